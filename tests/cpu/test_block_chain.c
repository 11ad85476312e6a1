/* tests/cpu/test_block_chain.c - the run loop's way from one block to the
 * next without the interrupt checks (exec.c): taken only after a block
 * that ran to its end by itself and ended with a near transfer, so a
 * device's INTR raised inside a block is still taken at the next
 * instruction boundary, and a budget still stops at the first boundary
 * at or after it; and the Jcc handlers specialised to JZ/JNZ/JB/JNB that
 * the block builder installs (cpu_jcc_handler) decide as the flags say.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu-internal.h"
#include "harness.h"

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

static struct cpu *io_cpu;
static unsigned outs, acks;
static void raise_on_third_out(void *ctx, uint16_t port, unsigned size, uint32_t value) {
  (void)ctx, (void)port, (void)size, (void)value;
  if (++outs == 3)
    cpu_set_intr(io_cpu, true);
}
static uint32_t no_in(void *ctx, uint16_t port, unsigned size) {
  (void)ctx, (void)port, (void)size;
  return 0;
}
static const struct cpu_io_ops out_io = {no_in, raise_on_third_out};
static int ack(void *ctx) {
  (void)ctx;
  acks++;
  cpu_set_intr(io_cpu, false);
  return 0x20;
}

/* Real mode, IF = 1: mov cx, 5; L: out dx, al; inc bx; loop L; hlt. The
 * loop's blocks follow each other by their LOOP; the third OUT raises INTR,
 * which is taken right after that OUT (INC BX has run twice, the IP pushed
 * is the INC's), not at the end of its block or later. */
static void an_intr_raised_inside_a_chained_loop_is_taken_after_that_instruction(void **state) {
  (void)state;
  struct harness *h = harness_new_io(HARNESS_REAL16, &out_io, NULL);
  assert_non_null(h);
  io_cpu = h->cpu;
  outs = acks = 0;
  cpu_set_interrupt_ack(h->cpu, ack, NULL);
  cpu_set_reg(h->cpu, CPU_EBX, 0);
  cpu_set_eflags(h->cpu, cpu_get_eflags(h->cpu) | CPU_FLAG_IF);
  assert_int_equal(HARNESS_RUN(h, 0xB9, 0x05, 0x00, 0xEE, 0x43, 0xE2, 0xFC, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(outs, 3);
  assert_int_equal(acks, 1);
  assert_int_equal(REG(h, CPU_EBX), 2);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_HANDLER + 1);
  assert_int_equal(mmu_read(h->mem, REG(h, CPU_ESP) & 0xFFFF, 2), HARNESS_CODE + 4);
  harness_free(h);
}

/* L: inc ax; jmp L. Every run of one cycle's budget, in the middle of
 * chained blocks or not, retires exactly one instruction: the loop stops at
 * the first boundary at or after the budget. */
static void a_budget_inside_chained_blocks_stops_at_the_next_boundary(void **state) {
  struct harness *h = *state;
  static const uint8_t code[] = {0x40, 0xEB, 0xFD};
  harness_load(h, code, sizeof code);
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  uint64_t before = cpu_instructions(h->cpu);
  for (unsigned k = 1; k <= 11; k++) {
    assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1), CPU_EXIT_BUDGET);
    assert_int_equal(cpu_instructions(h->cpu) - before, k);
  }
  assert_int_equal(REG(h, CPU_EAX) & 0xFFFF, 6);
  /* A larger budget runs many blocks on the way without the checks. */
  cycles_t until = cpu_cycles(h->cpu) + 1000;
  assert_int_equal(cpu_run(h->cpu, until), CPU_EXIT_BUDGET);
  assert_true(cpu_cycles(h->cpu) >= until);
  uint64_t n = cpu_instructions(h->cpu) - before;
  assert_int_equal(REG(h, CPU_EAX) & 0xFFFF, (n + 1) / 2);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_random(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

/* For every lazy operation (and the eager flags), with random operands:
 * the handler the builder installs for JZ JNZ JB JNB (rel8 and rel32, 32-bit
 * operand size) branches exactly when the condition from all six flags
 * computed in full holds; other conditions and sizes keep the row's
 * handler. */
static void specialised_jcc_handlers_branch_as_the_full_flags_say(void **state) {
  struct harness *h = *state;
  struct cpu *c = h->cpu;
  for (unsigned cc = 0; cc < 16; cc++) {
    bool special = (cc >> 1) == 1 || (cc >> 1) == 2;
    assert_true((cpu_jcc_handler(Jcc_Jbd, cc) != Jcc_Jbd) == special);
    assert_true((cpu_jcc_handler(Jcc_Jd, cc) != Jcc_Jd) == special);
    assert_ptr_equal(cpu_jcc_handler(Jcc_Jbw, cc), Jcc_Jbw);
    assert_ptr_equal(cpu_jcc_handler(Jcc_Jw, cc), Jcc_Jw);
  }
  assert_ptr_equal(cpu_jcc_handler(JMP_Jbd, 4), JMP_Jbd);
  for (unsigned op = 0; op < CC_COUNT; op++) {
    for (unsigned round = 0; round < 200; round++) {
      uint32_t a = next_random(), b = next_random();
      uint32_t res = round % 4 == 0 ? 0 : round % 4 == 1 ? a - b : next_random();
      if (round % 8 == 7)
        b = a; /* equal operands: JB not taken, a zero difference */
      cpu_set_lazy(c, op, a, b, res);
      if (op == CC_EAGER)
        c->eflags = (c->eflags & ~CPU_FLAGS_ARITH) | (next_random() & CPU_FLAGS_ARITH);
      for (unsigned cc = 2; cc < 6; cc++) {
        cpu_handler fns[2] = {Jcc_Jbd, Jcc_Jd};
        for (unsigned k = 0; k < 2; k++) {
          struct insn in;
          memset(&in, 0, sizeof in);
          in.opcode = (uint8_t)((k ? 0x80 : 0x70) | cc);
          in.imm = 0x10;
          in.flags = INSN_O32;
          in.fn = cpu_jcc_handler(fns[k], cc);
          c->next_eip = 0x2000;
          in.fn(c, &in);
          assert_int_equal(c->next_eip, cpu_cond_full(c, cc) ? 0x2010u : 0x2000u);
        }
      }
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(an_intr_raised_inside_a_chained_loop_is_taken_after_that_instruction),
      cmocka_unit_test_setup_teardown(a_budget_inside_chained_blocks_stops_at_the_next_boundary,
                                      harness_setup_real16, harness_teardown),
      cmocka_unit_test_setup_teardown(specialised_jcc_handlers_branch_as_the_full_flags_say, harness_setup_flat32,
                                      harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
