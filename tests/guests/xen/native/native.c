/* tests/guests/xen/native/native.c - the native side of the hypervisor's
 * cost table: the same kind of measurements as the cost guest (smallest
 * of 64, minus the empty measurement, RDTSC = the model's cycles), made by
 * a kernel that runs in ring 0 of the bare PC with 4 KiB paging and C
 * handlers (tests/guests/common), for comparison with the paravirtualized
 * path: a page fault taken by the kernel (vs. one bounced by the
 * hypervisor), a software interrupt to the kernel (vs. an event upcall),
 * an INT 0x80 round trip from ring 3 (vs. the direct system call). */
#include "x86.h"

#define RUNS 64

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt[8][1024] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static uint64_t overhead;
static volatile uint32_t pf_seen, ints_seen;
static volatile uint64_t user_best;

/* Minimal handlers (as the cost guest's): the page fault skips the 6-byte
 * probe; the interrupts just return. */
void pf_fast(void);
void int_fast(void);
__asm__(".text\n"
        "pf_fast: addl $4, %esp\n addl $6, (%esp)\n iret\n"
        "int_fast: iret\n");

static inline uint64_t t(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

static void pf_handler(struct trap_frame *f) {
  pf_seen++;
  f->eip += 6; /* movl 0x400000, %eax (5) and a nop */
}

static void int_handler(struct trap_frame *f) {
  (void)f;
  ints_seen++;
}

static void user_main(void) {
  uint64_t best = ~0ull;
  for (int k = 0; k < RUNS; k++) {
    uint64_t a = t();
    __asm__ volatile("int $0x80" ::: "memory");
    uint64_t d = t() - a;
    if (d < best)
      best = d;
  }
  user_best = best;
  ring3_exit(0);
}

#define BEST(var, ...)                \
  do {                                \
    var = ~0ull;                      \
    for (int k = 0; k < RUNS; k++) {  \
      uint64_t a = t();               \
      __VA_ARGS__;                    \
      uint64_t d = t() - a;           \
      if (d < var)                    \
        var = d;                      \
    }                                 \
  } while (0)

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  /* 0-32 MiB one to one, user-accessible, but the page at 4 MiB. */
  for (uint32_t k = 0; k < 8 * 1024; k++)
    pt[k / 1024][k % 1024] = (k << 12) | PTE_P | PTE_W | PTE_U;
  for (uint32_t k = 0; k < 8; k++)
    pd[k] = (uint32_t)pt[k] | PTE_P | PTE_W | PTE_U;
  pt[1][0] = 0;
  write_cr3((uint32_t)pd);
  write_cr0(read_cr0() | CR0_PG | CR0_WP);

  uint64_t empty, pf_c, sw_c, pf, sw, sys;
  BEST(empty, );
  overhead = empty;
  /* With the common C handlers. */
  trap_set_handler(VEC_PF, pf_handler);
  BEST(pf_c, __asm__ volatile("movl 0x400000, %%eax\n\tnop" ::: "eax", "memory"));
  idt_set_stub(0x40, SYS_INTR_GATE32, 0);
  trap_set_handler(0x40, int_handler);
  BEST(sw_c, __asm__ volatile("int $0x40" ::: "memory"));
  check_eq("page faults taken", pf_seen, RUNS);
  check_eq("interrupts taken", ints_seen, RUNS);
  /* With the minimal ones. */
  idt_set_gate(VEC_PF, SEL_KCODE, (uint32_t)pf_fast, SYS_INTR_GATE32, 0);
  BEST(pf, __asm__ volatile("movl 0x400000, %%eax\n\tnop" ::: "eax", "memory"));
  idt_set_gate(0x40, SEL_KCODE, (uint32_t)int_fast, SYS_INTR_GATE32, 0);
  BEST(sw, __asm__ volatile("int $0x40" ::: "memory"));
  idt_set_gate(0x80, SEL_KCODE, (uint32_t)int_fast, SYS_TRAP_GATE32, 3);
  ring3_call(user_main, (uint32_t)(user_stack + sizeof user_stack));
  sys = user_best;
  kprintf("cost: native_page_fault_c %u\n", (uint32_t)(pf_c - overhead));
  kprintf("cost: native_interrupt_c %u\n", (uint32_t)(sw_c - overhead));
  kprintf("cost: native_page_fault %u\n", (uint32_t)(pf - overhead));
  kprintf("cost: native_interrupt %u\n", (uint32_t)(sw - overhead));
  kprintf("cost: native_syscall_ring3 %u\n", (uint32_t)(sys - overhead));
  write_cr0(read_cr0() & ~CR0_PG);
  kprintf("xen_native: PASS\n");
  guest_exit(GUEST_PASS);
}
