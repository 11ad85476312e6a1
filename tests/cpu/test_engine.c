/* tests/cpu/test_engine.c - the execution engine: block cache and
 * self-modifying code, instructions across a page boundary, accounting of
 * retired instructions and cycles, faults in the middle of a block, the
 * double- and triple-fault rules, lazy flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "trace.h"

static int setup32(void **state) {
  *state = harness_new(HARNESS_FLAT32);
  return 0;
}
static int setup16(void **state) {
  *state = harness_new(HARNESS_REAL16);
  return 0;
}
static int teardown(void **state) {
  harness_free(*state);
  return 0;
}

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

/* add byte [0x1009], 1 rewrites the INC two instructions later, inside the
 * same block: the engine must leave the block and decode the new byte. */
static void write_into_the_running_block_takes_effect_at_the_next_insn(void **state) {
  struct harness *h = *state;
  const uint8_t code[] = {
      0x80, 0x05, 0x09, 0x10, 0x00, 0x00, 0x01, /* 1000: add byte [0x1009], 1 */
      0x40,                                     /* 1007: inc eax */
      0x40,                                     /* 1008: inc eax */
      0x40,                                     /* 1009: inc eax -> inc ecx */
      0xF4,                                     /* 100a: hlt */
  };
  assert_int_equal(harness_run(h, code, sizeof code, 1000), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 2);
  assert_int_equal(REG(h, CPU_ECX), 1);

  /* Run the same bytes again from the now cached block: 0x41 becomes 0x42. */
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  cpu_set_reg(h->cpu, CPU_ECX, 0);
  cpu_set_reg(h->cpu, CPU_EDX, 0); /* RESET left the CPU signature there */
  cpu_set_eip(h->cpu, HARNESS_CODE);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 2);
  assert_int_equal(REG(h, CPU_ECX), 0);
  assert_int_equal(REG(h, CPU_EDX), 1);
}

/* Found by fuzzing: a stack or data sharing a page with code made every
 * write drop the page's blocks and re-decode them. A write beside decoded
 * code drops nothing; a write into it drops only the blocks it overlaps. */
static void writes_beside_code_in_its_page_drop_no_block(void **state) {
  struct harness *h = *state;
  const struct trace_counters *k = cpu_counters(h->cpu);
  uint64_t inval0 = trace_counter(k, TRACE_EV_code_invalidate);
  uint64_t decode0 = trace_counter(k, TRACE_EV_block_decode);
  /* 3 x mov [0x1800], eax (same page, past the code); hlt */
  assert_int_equal(HARNESS_RUN(h, 0x89, 0x05, 0x00, 0x18, 0x00, 0x00, 0x89, 0x05, 0x00, 0x18, 0x00, 0x00, 0x89,
                               0x05, 0x00, 0x18, 0x00, 0x00, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(trace_counter(k, TRACE_EV_code_invalidate) - inval0, 0);
  assert_int_equal(trace_counter(k, TRACE_EV_block_decode) - decode0, 1);
  /* A write into the decoded bytes (the HLT at 0x1012) still drops it. */
  mmu_write(h->mem, HARNESS_CODE + 0x12, 1, 0xF4);
  assert_int_equal(trace_counter(k, TRACE_EV_code_invalidate) - inval0, 1);
}

/* A host-side write (a loader, DMA) into cached code invalidates it too. */
static void external_write_invalidates_cached_code(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0x40, 0xF4), CPU_EXIT_HALT); /* inc eax */
  assert_int_equal(REG(h, CPU_EAX), 1);
  mmu_write(h->mem, HARNESS_CODE, 1, 0x41); /* inc ecx */
  cpu_set_eip(h->cpu, HARNESS_CODE);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 100), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 1);
  assert_int_equal(REG(h, CPU_ECX), 1);
}

/* add eax, imm32 with its opcode at 0x1ffe and immediate across 0x2000;
 * then a write to the second page only must invalidate the block. */
static void instruction_across_a_page_boundary_runs_and_invalidates(void **state) {
  struct harness *h = *state;
  const uint8_t code[] = {0x05, 0x01, 0x02, 0x03, 0x04, 0xF4};
  mmu_copy_to_guest(h->mem, 0x1FFE, code, sizeof code);
  cpu_set_eip(h->cpu, 0x1FFE);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 100), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 0x04030201);
  mmu_write(h->mem, 0x2002, 1, 0x10); /* top byte of the immediate */
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  cpu_set_eip(h->cpu, 0x1FFE);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 100), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 0x10030201);
}

static void retired_instructions_and_cycles_are_counted(void **state) {
  struct harness *h = *state;
  uint64_t i0 = cpu_instructions(h->cpu);
  cycles_t c0 = cpu_cycles(h->cpu);
  assert_int_equal(HARNESS_RUN(h, 0x40, 0x40, 0x40, 0x41, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(cpu_instructions(h->cpu) - i0, 5); /* HLT retires */
  assert_int_equal(cpu_cycles(h->cpu) - c0, 5);       /* unit costs until presets */
}

/* inc ax; inc ax; ud2 in real mode: #UD is delivered through the IVT with
 * the UD2's address pushed; the two INCs retire, the UD2 does not. */
static void fault_mid_block_pushes_the_faulting_ip(void **state) {
  struct harness *h = *state;
  uint64_t i0 = cpu_instructions(h->cpu);
  cpu_clear_first_exception(h->cpu);
  assert_int_equal(HARNESS_RUN(h, 0x40, 0x40, 0x0F, 0x0B), CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_UD);
  assert_int_equal(REG(h, CPU_EAX) & 0xFFFF, 2);
  assert_int_equal(cpu_instructions(h->cpu) - i0, 3); /* 2 INCs + the handler's HLT */
  assert_int_equal(REG(h, CPU_ESP), HARNESS_STACK - 6);
  assert_int_equal(mmu_read(h->mem, HARNESS_STACK - 6, 2), HARNESS_CODE + 2); /* IP */
  assert_int_equal(mmu_read(h->mem, HARNESS_STACK - 4, 2), 0);                /* CS */
  assert_int_equal(cpu_get_eip(h->cpu), 0x0501);
}

/* With SP = 1 every push runs past offset 0xFFFF: #UD's delivery raises
 * #SS, whose delivery raises #SS again (contributory twice: #DF), whose
 * delivery faults too: a triple fault stops the machine. */
static void faults_while_delivering_end_in_a_triple_fault(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_ESP, 1);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x0B), CPU_EXIT_TRIPLE_FAULT);
  assert_non_null(strstr(cpu_stop_reason(h->cpu), "triple fault"));
}

/* The budget is honored at instruction boundaries, not block boundaries:
 * a device event due at cycle N is taken before the instruction that
 * would start at or after N. */
static void the_budget_stops_inside_a_block_at_an_instruction_boundary(void **state) {
  struct harness *h = *state;
  cycles_t c0 = cpu_cycles(h->cpu);
  uint64_t i0 = cpu_instructions(h->cpu);
  const uint8_t code[] = {0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0xF4}; /* 6 x inc eax; hlt */
  mmu_copy_to_guest(h->mem, HARNESS_CODE, code, sizeof code);
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  cpu_set_eip(h->cpu, HARNESS_CODE);
  assert_int_equal(cpu_run(h->cpu, c0 + 4), CPU_EXIT_BUDGET);
  assert_int_equal(cpu_cycles(h->cpu) - c0, 4);
  assert_int_equal(cpu_instructions(h->cpu) - i0, 4);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 4);
  assert_int_equal(REG(h, CPU_EAX), 4);
  assert_int_equal(cpu_run(h->cpu, c0 + 100), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 6);
}

/* Found by fuzzing: a #UD handler whose first instruction is UD2 faults
 * forever. Each delivery costs at least a cycle, so the budget ends it. */
static void a_loop_of_faults_still_ends_at_the_cycle_budget(void **state) {
  struct harness *h = *state;
  const uint8_t ivt6[4] = {0x00, 0x20, 0x00, 0x00}; /* #UD -> 0000:2000 */
  mmu_copy_to_guest(h->mem, 6 * 4, ivt6, sizeof ivt6);
  const uint8_t ud2[2] = {0x0F, 0x0B};
  mmu_copy_to_guest(h->mem, 0x2000, ud2, sizeof ud2);
  cpu_load_segment_real(h->cpu, CPU_SS, 0x3000); /* pushes wrap inside 0x30000-0x3FFFF */
  cycles_t c0 = cpu_cycles(h->cpu);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x0B), CPU_EXIT_BUDGET);
  assert_true(cpu_cycles(h->cpu) - c0 >= 100000);
  assert_int_equal(trace_counter_at(cpu_counters(h->cpu), TRACE_EV_exception, CPU_EXC_UD), cpu_cycles(h->cpu) - c0);
}

static void too_long_instruction_raises_gp(void **state) {
  struct harness *h = *state;
  cpu_clear_first_exception(h->cpu);
  assert_int_equal(HARNESS_RUN(h, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26,
                               0x26, 0x26, 0x26, 0x40),
                   CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_GP);
}

/* Real mode: an instruction that runs past CS's 64 KiB limit is #GP. */
static void fetch_past_the_cs_limit_raises_gp(void **state) {
  struct harness *h = *state;
  const uint8_t code[] = {0x05, 0x01}; /* add ax, imm16 needs 3 bytes */
  mmu_copy_to_guest(h->mem, 0xFFFE, code, sizeof code);
  cpu_clear_first_exception(h->cpu);
  cpu_set_eip(h->cpu, 0xFFFE);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 100), CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_GP);
}

struct flags_case {
  const char *what;
  uint8_t opcode; /* 01 add, 29 sub, 11 adc, 19 sbb, 21 and: op eax(rm=0), ebx */
  uint32_t a, b;
  bool carry_in;
  uint32_t result;
  uint32_t flags; /* arithmetic flags expected */
};

#define F(x) CPU_FLAG_##x
static const struct flags_case flag_cases[] = {
    {"add overflow into sign", 0x01, 0x7FFFFFFF, 1, false, 0x80000000, F(SF) | F(OF) | F(AF) | F(PF)},
    {"add carry out, zero", 0x01, 0xFFFFFFFF, 1, false, 0, F(CF) | F(ZF) | F(PF) | F(AF)},
    {"adc with carry in equals 2^32", 0x11, 0xFFFFFFFF, 0, true, 0, F(CF) | F(ZF) | F(PF) | F(AF)},
    {"adc carry when a + b + 1 wraps to a", 0x11, 5, 0xFFFFFFFF, true, 5, F(CF) | F(PF) | F(AF)},
    {"sub borrow", 0x29, 0, 1, false, 0xFFFFFFFF, F(CF) | F(SF) | F(PF) | F(AF)},
    {"sub signed overflow", 0x29, 0x80000000, 1, false, 0x7FFFFFFF, F(OF) | F(PF) | F(AF)},
    {"sbb borrow when b + 1 wraps", 0x19, 5, 0xFFFFFFFF, true, 5, F(CF) | F(PF) | F(AF)},
    {"and clears CF and OF, parity of the low byte", 0x21, 0xFF00FF03, 0xFFFFFF03, false, 0xFF00FF03, F(SF) | F(PF)},
};
#undef F

static void arithmetic_flags_match_the_manual_in_32_bit(void **state) {
  struct harness *h = *state;
  for (size_t k = 0; k < sizeof flag_cases / sizeof flag_cases[0]; k++) {
    const struct flags_case *t = &flag_cases[k];
    print_message("case: %s\n", t->what);
    cpu_set_reg(h->cpu, CPU_EAX, t->a);
    cpu_set_reg(h->cpu, CPU_EBX, t->b);
    cpu_set_eflags(h->cpu, t->carry_in ? CPU_FLAG_CF : 0);
    const uint8_t code[] = {t->opcode, 0xD8, 0xF4}; /* op eax, ebx; hlt */
    assert_int_equal(harness_run(h, code, sizeof code, 100), CPU_EXIT_HALT);
    assert_int_equal(REG(h, CPU_EAX), t->result);
    assert_int_equal(cpu_get_eflags(h->cpu) & CPU_FLAGS_ARITH, t->flags);
  }
}

/* INC keeps CF from before, whatever produced it. */
static void inc_keeps_the_carry_of_the_previous_operation(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0xFFFFFFFF);
  cpu_set_reg(h->cpu, CPU_EBX, 1);
  assert_int_equal(HARNESS_RUN(h, 0x01, 0xD8, 0x41, 0xF4), CPU_EXIT_HALT); /* add eax,ebx; inc ecx */
  assert_true(cpu_get_eflags(h->cpu) & CPU_FLAG_CF);
  assert_false(cpu_get_eflags(h->cpu) & CPU_FLAG_ZF);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(write_into_the_running_block_takes_effect_at_the_next_insn, setup32, teardown),
      cmocka_unit_test_setup_teardown(external_write_invalidates_cached_code, setup32, teardown),
      cmocka_unit_test_setup_teardown(writes_beside_code_in_its_page_drop_no_block, setup32, teardown),
      cmocka_unit_test_setup_teardown(instruction_across_a_page_boundary_runs_and_invalidates, setup32, teardown),
      cmocka_unit_test_setup_teardown(retired_instructions_and_cycles_are_counted, setup32, teardown),
      cmocka_unit_test_setup_teardown(fault_mid_block_pushes_the_faulting_ip, setup16, teardown),
      cmocka_unit_test_setup_teardown(faults_while_delivering_end_in_a_triple_fault, setup16, teardown),
      cmocka_unit_test_setup_teardown(the_budget_stops_inside_a_block_at_an_instruction_boundary, setup32, teardown),
      cmocka_unit_test_setup_teardown(a_loop_of_faults_still_ends_at_the_cycle_budget, setup16, teardown),
      cmocka_unit_test_setup_teardown(too_long_instruction_raises_gp, setup16, teardown),
      cmocka_unit_test_setup_teardown(fetch_past_the_cs_limit_raises_gp, setup16, teardown),
      cmocka_unit_test_setup_teardown(arithmetic_flags_match_the_manual_in_32_bit, setup32, teardown),
      cmocka_unit_test_setup_teardown(inc_keeps_the_carry_of_the_previous_operation, setup32, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
