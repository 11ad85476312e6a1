/* tests/guests/x87irq13/x87irq13.c - the PC's legacy x87 error reporting:
 * CR0.NE = 0, FERR# to IRQ 13 through the 8259 pair, port F0h and IGNNE#
 * (SDM vol. 1, 8.7.2 and D.2; vol. 3, 2.5 "NE").
 *
 * In order:
 *   1. before any error, no IRQ 13 request;
 *   2. unmasked with IF = 1, IRQ 13 arrives (vector 0x28 + 5) by the next
 *      FWAIT at the latest (the P6 asserts FERR# when the FDIV completes;
 *      QEMU raises it at the FWAIT); the handler writes port F0h, which
 *      lowers IRQ 13 and asserts IGNNE#, so a waiting x87 instruction in
 *      the handler runs although the error is still pending; then FNCLEX
 *      and EOIs; the interrupted FWAIT then completes, once;
 *   3. a second error raises IRQ 13 again (the latch was cleared);
 *   4. with CR0.NE = 1 the same error is #MF at the FWAIT and IRQ 13 stays
 *      quiet.
 * ringlab only: QEMU 7.2 aborts in its FERR# path (the assertion
 * qemu_mutex_iothread_locked() in tcg_handle_interrupt: it raises IRQ 13
 * from the vCPU thread without the lock, fixed upstream after 7.2), and
 * asserts IGNNE# on any write to F0h, dropping it only at FLDENV/FRSTOR.
 */
#include "pic.h"

#define VEC_MF 16
#define IRQ13_VECTOR (PIC_IRQ_BASE + 13)
#define FPU_ERROR_PORT 0xF0
#define CR0_NE 0x20u
#define SPIN_LIMIT 1000000

/* FNSTENV's 32-bit protected-mode image. */
struct env {
  uint32_t cw, sw, tw, fip, fcs_fop, fdp, fds;
};

static volatile uint32_t irq13_count, mf_count, handler_wait_ok;
static volatile uint16_t irq13_sw;

static inline uint16_t fnstsw(void) {
  uint16_t v;
  __asm__ volatile("fnstsw %0" : "=a"(v) : : "memory");
  return v;
}
static inline void fldcw(uint16_t cw) { __asm__ volatile("fldcw %0" : : "m"(cw) : "memory"); }

static void on_irq13(struct trap_frame *f) {
  (void)f;
  irq13_count++;
  irq13_sw = fnstsw();
  outb(FPU_ERROR_PORT, 0); /* clear the latch; IGNNE# while the error lasts */
  /* a waiting instruction with the error still pending: IGNNE# lets it run */
  __asm__ volatile("fld1\n\tfstp %%st(0)\n\tfwait" ::: "memory");
  handler_wait_ok++;
  /* Clear the error as a DOS handler may: the flags out of the saved
   * environment, FLDENV (FERR# drops, and IGNNE# with it). */
  struct env e;
  __asm__ volatile("fnstenv %0" : "=m"(e) : : "memory");
  e.sw &= ~0x80FFu;
  __asm__ volatile("fldenv %0" : : "m"(e) : "memory");
  outb(PIC_SLAVE, PIC_EOI);
  outb(PIC_MASTER, PIC_EOI);
}

static void on_mf(struct trap_frame *f) {
  (void)f;
  mf_count++;
  __asm__ volatile("fnclex" ::: "memory");
}

/* 1 / 0 with ZE unmasked; the caller then waits. */
static void zero_divide(void) {
  __asm__ volatile("fninit" ::: "memory");
  fldcw(0x037B);
  __asm__ volatile("fld1\n\tfldz\n\tfdivrp" ::: "memory");
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("x87irq13: FERR# -> IRQ 13, port F0h -> IGNNE#, with CR0.NE = 0\n");
  trap_set_handler(IRQ13_VECTOR, on_irq13);
  trap_set_handler(VEC_MF, on_mf);
  write_cr0(read_cr0() & ~(CR0_NE | 0xCu)); /* NE, TS, EM off */
  pic_init(0xFB, 0xFF);                      /* the cascade (IR2) only */

  /* 1 */
  check_eq("no error: no IRQ 13 request", pic_read(PIC_SLAVE, PIC_READ_IRR) & 0x20, 0);

  /* 2 */
  outb(PIC_SLAVE + 1, 0xDF); /* IRQ 13 unmasked */
  sti();
  zero_divide();
  __asm__ volatile("fwait" ::: "memory");
  for (long spin = 0; spin < SPIN_LIMIT && irq13_count == 0; spin++)
    ;
  check_eq("IRQ 13 taken once", irq13_count, 1);
  check_eq("the handler saw ZE and ES", irq13_sw & 0x80BF, 0x8084);
  check_eq("IGNNE#: the handler's FWAIT ran", handler_wait_ok, 1);
  check_eq("after the handler: nothing pending", fnstsw() & 0x80BF, 0);
  check_eq("no #MF without CR0.NE", mf_count, 0);

  /* 3 */
  zero_divide();
  __asm__ volatile("fwait" ::: "memory");
  for (long spin = 0; spin < SPIN_LIMIT && irq13_count < 2; spin++)
    ;
  check_eq("a second error: IRQ 13 again", irq13_count, 2);
  cli();

  /* 4 */
  write_cr0(read_cr0() | CR0_NE);
  sti();
  zero_divide();
  __asm__ volatile("fwait" ::: "memory");
  for (long spin = 0; spin < 10000; spin++)
    ;
  cli();
  check_eq("CR0.NE = 1: #MF at the FWAIT", mf_count, 1);
  check_eq("CR0.NE = 1: no IRQ 13", irq13_count, 2);
  __asm__ volatile("fninit" ::: "memory");
  check_done("x87irq13");
}
