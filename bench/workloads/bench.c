/* bench/workloads/bench.c - setup and reporting of a benchmark image.
 *
 * Builds a GDT (ring 0 and ring 3 flat segments, a TSS), an IDT (every
 * exception to bench_fault, DPL-3 interrupt gates 0x80 and 0x81 for the
 * ring workload) and two page directories with 4 KiB pages, no global
 * pages: A maps 0 - 32 MiB identically; B is A except that the buffer's
 * 8 MiB (16 - 24 MiB) map to 24 - 32 MiB. Then runs the workloads the build
 * selected (BENCH_WORKLOADS) with A loaded and reports, for each workload X:
 *
 *   X.n      its iteration count     X.tsc    its RDTSC delta
 *   X.check  its checksum (the same on every emulator)
 *
 * as ringlab ops-port results; without the ops port (QEMU, Bochs) as lines
 * "X.tsc=123" on COM1 and on port 0xe9. Then it exits: ops EXIT 0 on
 * ringlab (status 0), else debug-exit 0 (QEMU: status 1) and "Shutdown" to
 * port 0x8900 (Bochs). The measured loops and their formulas are in loops.S.
 */
#include <stdint.h>

#include "bench.h"
#include "ringlab_ops.h"

extern uint64_t bench_t0, bench_t1;
extern char bench_ring0_stack_top[];
uint32_t bench_alu(void);
uint32_t bench_mem(void);
uint32_t bench_ring(void);
uint32_t bench_cr3(uint32_t pd_a, uint32_t pd_b);
void bench_syscall(void);
void bench_leave(void);
void bench_fault(void);
__attribute__((noreturn)) void bench_main(void);

#define PTE_P 0x1u
#define PTE_W 0x2u
#define PTE_U 0x4u
#define PAGE 4096u

static uint32_t pd_a[1024] __attribute__((aligned(4096)));
static uint32_t pd_b[1024] __attribute__((aligned(4096)));
static uint32_t pt_a[BENCH_MAP_BYTES / 0x400000][1024] __attribute__((aligned(4096)));
static uint32_t pt_b[BENCH_BUF_BYTES / 0x400000][1024] __attribute__((aligned(4096)));

static uint64_t gdt[6];
static uint64_t idt[BENCH_LEAVE_VECTOR + 1];
static uint32_t tss[26];
static int ops; /* the ringlab ops port is there */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static uint64_t seg(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (limit & 0xFFFFull) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)access << 40) |
         ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)(flags & 0xF0) << 48) |
         ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate(void (*fn)(void), uint8_t dpl) {
  uint32_t off = (uint32_t)fn;
  return (off & 0xFFFFull) | ((uint64_t)SEL_KCODE << 16) | ((uint64_t)(0x8E | (dpl << 5)) << 40) |
         ((uint64_t)(off >> 16) << 48);
}

static void tables(void) {
  gdt[1] = seg(0, 0xFFFFF, 0x9A, 0xC0); /* ring-0 code */
  gdt[2] = seg(0, 0xFFFFF, 0x92, 0xC0); /* ring-0 data */
  gdt[3] = seg(0, 0xFFFFF, 0xFA, 0xC0); /* ring-3 code */
  gdt[4] = seg(0, 0xFFFFF, 0xF2, 0xC0); /* ring-3 data */
  tss[1] = (uint32_t)bench_ring0_stack_top; /* ESP0 */
  tss[2] = SEL_KDATA;                       /* SS0 */
  tss[25] = (uint32_t)sizeof tss << 16;     /* I/O map base beyond the limit: no bitmap */
  gdt[5] = seg((uint32_t)tss, sizeof tss - 1, 0x89, 0x00);
  for (unsigned v = 0; v < 32; v++)
    idt[v] = gate(bench_fault, 0);
  idt[BENCH_SYSCALL_VECTOR] = gate(bench_syscall, 3);
  idt[BENCH_LEAVE_VECTOR] = gate(bench_leave, 3);

  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } gdtr = {sizeof gdt - 1, (uint32_t)gdt}, idtr = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile("lgdt %0\n\t"
                   "lidt %1\n\t"
                   "ljmp %2, $1f\n"
                   "1:\tmovl %3, %%eax\n\t"
                   "movl %%eax, %%ds\n\tmovl %%eax, %%es\n\tmovl %%eax, %%ss\n\t"
                   "movl %%eax, %%fs\n\tmovl %%eax, %%gs\n\t"
                   "movw %4, %%ax\n\tltr %%ax"
                   :
                   : "m"(gdtr), "m"(idtr), "i"(SEL_KCODE), "i"(SEL_KDATA), "i"(SEL_TSS)
                   : "eax", "memory");
}

static void paging(void) {
  const uint32_t flags = PTE_P | PTE_W | PTE_U; /* ring 3 runs in these pages too */
  for (uint32_t t = 0; t < BENCH_MAP_BYTES / 0x400000; t++) {
    for (uint32_t k = 0; k < 1024; k++)
      pt_a[t][k] = (t * 0x400000 + k * PAGE) | flags;
    pd_a[t] = pd_b[t] = (uint32_t)pt_a[t] | flags;
  }
  for (uint32_t t = 0; t < BENCH_BUF_BYTES / 0x400000; t++) {
    for (uint32_t k = 0; k < 1024; k++)
      pt_b[t][k] = (BENCH_BUF_B_PHYS + t * 0x400000 + k * PAGE) | flags;
    pd_b[BENCH_BUF / 0x400000 + t] = (uint32_t)pt_b[t] | flags;
  }
  __asm__ volatile("movl %0, %%cr3\n\t"
                   "movl %%cr0, %%eax\n\t"
                   "orl $0x80000000, %%eax\n\t"
                   "movl %%eax, %%cr0\n\t"
                   "jmp 1f\n1:"
                   :
                   : "r"(pd_a)
                   : "eax", "memory");
}

/* ---- reporting ---------------------------------------------------------- */

static void putc_all(char c) {
  for (int spin = 0; spin < 100000; spin++)
    if (inb(0x3F8 + 5) & 0x20)
      break;
  outb(0x3F8, (uint8_t)c);
  outb(0xE9, (uint8_t)c);
}

static void puts_all(const char *s) {
  while (*s)
    putc_all(*s++);
}

static void report(const char *workload, const char *what, uint64_t value) {
  char name[32];
  unsigned n = 0;
  for (const char *s = workload; *s; s++)
    name[n++] = *s;
  name[n++] = '.';
  for (const char *s = what; *s; s++)
    name[n++] = *s;
  name[n] = 0;
  if (ops) {
    ringlab_result(name, (int64_t)value);
    return;
  }
  char digits[24];
  int d = 0;
  do {
    digits[d++] = (char)('0' + value % 10);
    value /= 10;
  } while (value);
  puts_all(name);
  putc_all('=');
  while (d)
    putc_all(digits[--d]);
  putc_all('\n');
}

static void done(const char *workload, uint64_t n, uint32_t check) {
  report(workload, "n", n);
  report(workload, "tsc", bench_t1 - bench_t0);
  report(workload, "check", check);
}

void bench_main(void) {
  ops = ringlab_ops_present();
  if (!ops) { /* COM1 for QEMU's -nographic: 115200 8N1, no interrupts */
    outb(0x3F8 + 1, 0x00);
    outb(0x3F8 + 3, 0x80);
    outb(0x3F8 + 0, 0x01);
    outb(0x3F8 + 1, 0x00);
    outb(0x3F8 + 3, 0x03);
  }
  tables();
  paging();

  if (BENCH_WORKLOADS & BENCH_W_ALU)
    done("alu", BENCH_ALU_N, bench_alu());
  if (BENCH_WORKLOADS & BENCH_W_MEM)
    done("mem", BENCH_MEM_RND_N, bench_mem());
  if (BENCH_WORKLOADS & BENCH_W_RING)
    done("ring", BENCH_RING_N, bench_ring());
  if (BENCH_WORKLOADS & BENCH_W_CR3) {
    uint32_t check = bench_cr3((uint32_t)pd_a, (uint32_t)pd_b);
    /* each directory's touches incremented its own copy of the first page */
    check = *(volatile uint32_t *)BENCH_BUF + *(volatile uint32_t *)(BENCH_BUF + BENCH_BUF_BYTES);
    done("cr3", BENCH_CR3_N, check);
  }

  if (ops)
    ringlab_exit(0);
  puts_all("bench: done\n");
  outb(0xF4, 0); /* QEMU isa-debug-exit: status 1 */
  for (const char *s = "Shutdown"; *s; s++)
    outb(0x8900, (uint8_t)*s); /* Bochs */
  for (;;)
    __asm__ volatile("cli; hlt");
}
