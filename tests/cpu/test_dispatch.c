/* tests/cpu/test_dispatch.c - what the run loop does between blocks: the
 * interrupt shadow after POP SS, the end of NMI blocking at the IRET that
 * ends an NMI handler (both marked on the instruction when its block is
 * built, insn.after), and 16-bit IP wrapping from 0xFFFF to 0 at a block's
 * end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

static int ack_calls;
static struct cpu *ack_cpu;
static int ack(void *ctx) {
  (void)ctx;
  ack_calls++;
  cpu_set_intr(ack_cpu, false); /* the controller drops INTR once acknowledged */
  return 0x20;
}

/* sti; pop ss; inc cx; inc dx; hlt with INTR asserted: STI's shadow
 * covers POP SS, whose own shadow holds the interrupt one more
 * instruction: INC CX runs, INC DX does not (its IP is the one pushed). */
static void pop_ss_holds_the_interrupt_for_one_more_instruction(void **state) {
  struct harness *h = *state;
  ack_calls = 0;
  ack_cpu = h->cpu;
  cpu_set_interrupt_ack(h->cpu, ack, NULL);
  cpu_set_reg(h->cpu, CPU_ECX, 0);
  cpu_set_reg(h->cpu, CPU_EDX, 0);
  mmu_write(h->mem, HARNESS_STACK, 2, 0x0000); /* the SS that POP SS loads */
  cpu_set_intr(h->cpu, true);
  assert_int_equal(HARNESS_RUN(h, 0xFB, 0x17, 0x41, 0x42, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(ack_calls, 1);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_HANDLER + 1);
  assert_int_equal(REG(h, CPU_ECX), 1);
  assert_int_equal(REG(h, CPU_EDX), 0); /* INC DX did not run */
  assert_int_equal(mmu_read(h->mem, REG(h, CPU_ESP) & 0xFFFF, 2), HARNESS_CODE + 3);
}

/* An OUT from the NMI handler raises a second NMI, the first time only. */
static struct cpu *nmi_cpu;
static unsigned outs;
static void nmi_out(void *ctx, uint16_t port, unsigned size, uint32_t value) {
  (void)ctx, (void)port, (void)size, (void)value;
  if (outs++ == 0)
    cpu_nmi(nmi_cpu);
}
static uint32_t nmi_in(void *ctx, uint16_t port, unsigned size) {
  (void)ctx, (void)port, (void)size;
  return 0;
}
static const struct cpu_io_ops nmi_io = {nmi_in, nmi_out};

/* Real mode, the NMI vector at a handler `out dx, al; add si, cx; inc bx;
 * iret`. The second NMI, raised inside the first handler, waits for that
 * handler's IRET and comes right after it, before the interrupted code runs
 * again (SI adds CX = 0 both times); the main code then runs to HLT. */
static void an_nmi_raised_in_the_nmi_handler_comes_right_after_its_iret(void **state) {
  (void)state;
  struct harness *h = harness_new_io(HARNESS_REAL16, &nmi_io, NULL);
  assert_non_null(h);
  nmi_cpu = h->cpu;
  outs = 0;
  static const uint8_t handler[] = {0xEE, 0x01, 0xCE, 0x43, 0xCF};
  assert_int_equal(mmu_copy_to_guest(h->mem, 0x2000, handler, sizeof handler), 0);
  const uint8_t vec[4] = {0x00, 0x20, 0x00, 0x00}; /* IVT[2] = 0000:2000 */
  assert_int_equal(mmu_copy_to_guest(h->mem, 2 * 4, vec, sizeof vec), 0);
  cpu_set_reg(h->cpu, CPU_EBX, 0);
  cpu_set_reg(h->cpu, CPU_ECX, 0);
  cpu_set_reg(h->cpu, CPU_ESI, 0);
  cpu_nmi(h->cpu);
  assert_int_equal(HARNESS_RUN(h, 0x41, 0x41, 0xF4), CPU_EXIT_HALT); /* inc cx; inc cx; hlt */
  assert_int_equal(outs, 2);
  assert_int_equal(REG(h, CPU_EBX), 2); /* both handlers ran */
  assert_int_equal(REG(h, CPU_ESI), 0); /* both before the interrupted code */
  assert_int_equal(REG(h, CPU_ECX), 2);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 3);
  harness_free(h);
}

/* Real mode, CS = 0x0180: inc cx; inc cx; inc dx at CS:FFFD-FFFF end their
 * block at the CS limit; IP wraps to 0, where HLT is (linear 0x1800). */
static void ip_wraps_from_ffff_to_0_in_16_bit_code(void **state) {
  struct harness *h = *state;
  static const uint8_t code[] = {0x41, 0x41, 0x42};
  static const uint8_t hlt[] = {0xF4};
  assert_int_equal(mmu_copy_to_guest(h->mem, 0x1800 + 0xFFFD, code, sizeof code), 0);
  assert_int_equal(mmu_copy_to_guest(h->mem, 0x1800, hlt, sizeof hlt), 0);
  cpu_set_reg(h->cpu, CPU_ECX, 0);
  cpu_set_reg(h->cpu, CPU_EDX, 0);
  cpu_load_segment_real(h->cpu, CPU_CS, 0x0180);
  cpu_set_eip(h->cpu, 0xFFFD);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_ECX), 2);
  assert_int_equal(REG(h, CPU_EDX), 1);
  assert_int_equal(cpu_get_eip(h->cpu), 1); /* past the HLT at CS:0000 */
  assert_int_equal(cpu_instructions(h->cpu), 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(pop_ss_holds_the_interrupt_for_one_more_instruction, harness_setup_real16,
                                      harness_teardown),
      cmocka_unit_test(an_nmi_raised_in_the_nmi_handler_comes_right_after_its_iret),
      cmocka_unit_test_setup_teardown(ip_wraps_from_ffff_to_0_in_16_bit_code, harness_setup_real16,
                                      harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
