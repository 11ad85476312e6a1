/* tests/guests/iobitmap/iobitmap.c - the TSS's I/O permission bitmap
 * (SDM vol. 1, 19.5.2 "I/O Permission Bit Map"; vol. 3, 8.2.1 (TSS)).
 *
 * The kernel loads its own TSS (same ring-0 stack as the common one) whose
 * bitmap covers ports 0x000-0x7FF (256 bytes) plus the all-ones byte the
 * SDM asks for at the end (the processor reads two bitmap bytes per
 * check), and whose limit ends right after that byte. Past the limit the
 * memory holds zeros, which would allow every port if the processor read
 * them. Then at CPL 3 with IOPL 0 (ring3_call):
 *   - OUT and IN on the allowed port 0x3FF (COM1's scratch register): no
 *     fault, and the value written reads back (also from ring 0);
 *   - IN on the denied 0x3FE and OUT on the denied 0x80: #GP(0);
 *   - a word IN at 0x3FE (0x3FE denied, 0x3FF allowed) and at 0x3FF (0x3FF
 *     allowed, 0x400 denied): #GP(0); every bit of the access is checked;
 *   - a word IN at 0x2F8 (0x2F8 and 0x2F9 both allowed; nothing is there
 *     under either runner): no fault;
 *   - IN on port 0x900, whose bitmap byte (0x120) lies past the TSS limit
 *     although the memory there is zero: #GP(0).
 * Both runners.
 */
#include "x86.h"

#define TSS_INDEX 6
#define SEL_IOTSS (TSS_INDEX * 8)
#define BITMAP_BYTES 256 /* ports 0x000-0x7FF */
#define USER_STACK_BYTES 4096

#define PORT_SCR 0x3FF    /* COM1 scratch register: allowed */
#define PORT_MSR 0x3FE    /* COM1 modem status: denied */
#define PORT_DENIED 0x80  /* POST port: denied */
#define PORT_PAIR 0x2F8   /* COM2 RBR/IER, nothing there under ringlab: allowed pair */
#define PORT_FAR 0x900    /* bitmap byte 0x120: past the limit */

struct tss_io {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
  uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
  uint8_t bitmap[BITMAP_BYTES + 1]; /* + the all-ones end byte */
  uint8_t beyond[512];              /* past the limit: zeros */
} __attribute__((packed));

static struct tss_io iotss __attribute__((aligned(128)));
static uint8_t user_stack[USER_STACK_BYTES] __attribute__((aligned(16)));

static void deny_all(void) {
  for (int k = 0; k < BITMAP_BYTES + 1; k++)
    iotss.bitmap[k] = 0xFF;
}
static void allow(uint16_t port) { iotss.bitmap[port >> 3] &= (uint8_t)~(1u << (port & 7)); }

/* What ring 3 saw: per probe, the vector (0xFFFFFFFF: none) and error. */
enum { P_OUT_OK, P_IN_OK, P_IN_DENIED, P_OUT_DENIED, P_WORD_LOW_DENIED, P_WORD_HIGH_DENIED, P_WORD_OK,
       P_PAST_LIMIT, P_COUNT };
static const char *const probe_names[P_COUNT] = {
    "OUT to allowed port 0x3FF",         "IN from allowed port 0x3FF",
    "IN from denied port 0x3FE",         "OUT to denied port 0x80",
    "word IN at 0x3FE (0x3FE denied, 0x3FF allowed)", "word IN at 0x3FF (0x3FF allowed, 0x400 denied)",
    "word IN at 0x2F8 (both allowed)",   "IN from port 0x900 (bitmap byte past the TSS limit)",
};
static volatile uint32_t probe_vec[P_COUNT], probe_err[P_COUNT];
static volatile uint32_t user_read, user_iopl;

#define PROBE(k, insn, ...)                                                                          \
  do {                                                                                             \
    trap_last.vector = 0xFFFFFFFFu;                                                                \
    trap_last.error = 0xFFFFFFFFu;                                                                 \
    __asm__ volatile(PROBE_ASM(insn) __VA_ARGS__);                                                 \
    probe_vec[k] = trap_last.vector;                                                               \
    probe_err[k] = trap_last.error;                                                                \
  } while (0)

static void user_main(void) {
  user_iopl = (read_eflags() >> 12) & 3;
  uint32_t v = 0;
  PROBE(P_OUT_OK, "outb %%al, %%dx", : : "a"(0x5A), "d"(PORT_SCR) : "memory");
  PROBE(P_IN_OK, "inb %%dx, %%al", : "+a"(v) : "d"(PORT_SCR) : "memory");
  user_read = v & 0xFF;
  PROBE(P_IN_DENIED, "inb %%dx, %%al", : "+a"(v) : "d"(PORT_MSR) : "memory");
  PROBE(P_OUT_DENIED, "outb %%al, %%dx", : : "a"(0x11), "d"(PORT_DENIED) : "memory");
  PROBE(P_WORD_LOW_DENIED, "inw %%dx, %%ax", : "+a"(v) : "d"(PORT_MSR) : "memory");
  PROBE(P_WORD_HIGH_DENIED, "inw %%dx, %%ax", : "+a"(v) : "d"(PORT_SCR) : "memory");
  PROBE(P_WORD_OK, "inw %%dx, %%ax", : "+a"(v) : "d"(PORT_PAIR) : "memory");
  PROBE(P_PAST_LIMIT, "inb %%dx, %%al", : "+a"(v) : "d"(PORT_FAR) : "memory");
  ring3_exit(0x10B);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("iobitmap: ring 3 with IOPL 0 against a TSS I/O permission bitmap\n");

  iotss.ss0 = SEL_KDATA;
  iotss.esp0 = tss_esp0();
  iotss.iomap_base = (uint16_t)__builtin_offsetof(struct tss_io, bitmap);
  deny_all();
  allow(PORT_SCR);
  allow(PORT_PAIR);
  allow(PORT_PAIR + 1);
  /* the limit ends at the all-ones byte: bitmap bytes 0x000-0x100 */
  uint32_t limit = (uint32_t)__builtin_offsetof(struct tss_io, bitmap) + BITMAP_BYTES;
  gdt_set_segment(TSS_INDEX, (uint32_t)&iotss, limit, SEG_P | SYS_TSS32, 0);
  __asm__ volatile("ltr %w0" : : "r"(SEL_IOTSS) : "memory");

  outb(PORT_SCR, 0x00);
  uint32_t r = ring3_call(user_main, (uint32_t)user_stack + USER_STACK_BYTES);
  check_eq("ring 3 came back", r, 0x10B);
  check_eq("ring 3 ran with IOPL 0", user_iopl, 0);
  for (int k = 0; k < P_COUNT; k++) {
    int ok = k == P_OUT_OK || k == P_IN_OK || k == P_WORD_OK;
    char what[120];
    const char *s = probe_names[k];
    int n = 0;
    while (*s && n < 90)
      what[n++] = *s++;
    const char *t = ok ? ": no fault" : ": #GP";
    while (*t)
      what[n++] = *t++;
    what[n] = 0;
    check_eq(what, probe_vec[k], ok ? 0xFFFFFFFFu : VEC_GP);
    if (!ok)
      check_eq("  ... error code 0", probe_err[k], 0);
  }
  check_eq("ring 3 read back the scratch register", user_read, 0x5A);
  check_eq("ring 0 reads the value ring 3 wrote", inb(PORT_SCR), 0x5A);
  check_done("iobitmap");
}
