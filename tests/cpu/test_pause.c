/* tests/cpu/test_pause.c - observer pauses (exec.c, "Pauses"): cpu_step
 * goes from one instruction boundary to the next (an instruction, or the
 * delivery of an exception or an interrupt), cpu_pause_at stops where a
 * budget would, and neither changes what the run does: the same cycles,
 * instructions and counters as one run without them. The guest-kernel
 * version of the last check is tests/machine/check-pause.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu-internal.h"
#include "harness.h"

#define NEVER UINT64_MAX

/* A loop with a memory operand and a far-apart store, enough blocks and
 * cost differences to put pauses at many kinds of places:
 *   mov ecx, 300; xor eax, eax
 * L: add eax, [0x2000]; mov [0x3000 + ecx*4], eax; inc dword [0x2000]
 *   test cl, 3; jnz S; nop; nop
 * S: dec ecx; jnz L; hlt */
static const uint8_t loop_code[] = {
    0xB9, 0x2C, 0x01, 0x00, 0x00,             /* mov ecx, 300 */
    0x31, 0xC0,                               /* xor eax, eax */
    0x03, 0x05, 0x00, 0x20, 0x00, 0x00,       /* L: add eax, [0x2000] */
    0x89, 0x04, 0x8D, 0x00, 0x30, 0x00, 0x00, /* mov [0x3000 + ecx*4], eax */
    0xFF, 0x05, 0x00, 0x20, 0x00, 0x00,       /* inc dword [0x2000] */
    0xF6, 0xC1, 0x03,                         /* test cl, 3 */
    0x75, 0x02,                               /* jnz S */
    0x90, 0x90,                               /* nop; nop */
    0x49,                                     /* S: dec ecx */
    0x75, 0xE6,                               /* jnz L */
    0xF4,                                     /* hlt */
};

struct result {
  cycles_t cycles;
  uint64_t instructions;
  uint32_t eax;
  struct trace_counters counters;
};

static struct result result_of(struct harness *h) {
  struct result r = {.cycles = cpu_cycles(h->cpu), .instructions = cpu_instructions(h->cpu),
                     .eax = cpu_get_reg(h->cpu, CPU_EAX), .counters = *cpu_counters(h->cpu)};
  return r;
}

static void same(const struct result *a, const struct result *b) {
  assert_int_equal(a->cycles, b->cycles);
  assert_int_equal(a->instructions, b->instructions);
  assert_int_equal(a->eax, b->eax);
  assert_memory_equal(&a->counters, &b->counters, sizeof a->counters);
}

static struct harness *loop_harness(void) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  char err[128];
  assert_int_equal(cpu_set_timing(h->cpu, "p6", err, sizeof err), 0);
  harness_load(h, loop_code, sizeof loop_code);
  return h;
}

static void a_step_retires_one_instruction(void **state) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  static const uint8_t code[] = {0xB8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
                                 0xBB, 0x02, 0x00, 0x00, 0x00, /* mov ebx, 2 */
                                 0x01, 0xD8,                   /* add eax, ebx */
                                 0xF4};                        /* hlt */
  harness_load(h, code, sizeof code);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_PAUSE);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 5);
  assert_int_equal(cpu_instructions(h->cpu), 1);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_PAUSE);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 10);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_PAUSE);
  assert_int_equal(cpu_get_reg(h->cpu, CPU_EAX), 3);
  assert_int_equal(cpu_instructions(h->cpu), 3);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_HALT);
  assert_int_equal(cpu_instructions(h->cpu), 4);
  harness_free(h);
}

static void a_step_stops_after_an_exceptions_delivery(void **state) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  harness_pm_tables(h, HARNESS_STACK, 0);
  static const uint8_t code[] = {0x90, 0x0F, 0x0B, 0xF4}; /* nop; ud2; hlt */
  harness_load(h, code, sizeof code);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_PAUSE);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_PAUSE); /* ud2: #UD delivered */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_UD));
  assert_int_equal(cpu_instructions(h->cpu), 1);
  assert_int_equal(trace_counter_at(cpu_counters(h->cpu), TRACE_EV_exception, CPU_EXC_UD), 1);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_HALT); /* the handler's hlt */
  harness_free(h);
}

static int ack_vector(void *ctx) { return 0x30; }

static void a_step_stops_after_an_interrupts_delivery(void **state) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  harness_pm_tables(h, HARNESS_STACK, 0);
  static const uint8_t code[] = {0xFB, 0x90, 0x90, 0xF4}; /* sti; nop; nop; hlt */
  harness_load(h, code, sizeof code);
  cpu_set_interrupt_ack(h->cpu, ack_vector, NULL);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_PAUSE); /* sti */
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_PAUSE); /* nop: the STI shadow */
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 2);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_PAUSE); /* the interrupt, no instruction */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x30));
  assert_int_equal(cpu_instructions(h->cpu), 2);
  cpu_set_intr(h->cpu, false);
  assert_int_equal(cpu_step(h->cpu, NEVER), CPU_EXIT_HALT);
  harness_free(h);
}

static void steps_change_nothing(void **state) {
  struct harness *one = loop_harness(), *stepped = loop_harness();
  assert_int_equal(cpu_run(one->cpu, NEVER), CPU_EXIT_HALT);
  struct result want = result_of(one);
  enum cpu_exit x;
  unsigned steps = 0;
  while ((x = cpu_step(stepped->cpu, NEVER)) == CPU_EXIT_PAUSE)
    steps++;
  assert_int_equal(x, CPU_EXIT_HALT);
  assert_int_equal(steps + 1, want.instructions);
  struct result got = result_of(stepped);
  same(&got, &want);
  harness_free(one);
  harness_free(stepped);
}

static void pauses_at_any_cycle_change_nothing(void **state) {
  struct harness *one = loop_harness();
  assert_int_equal(cpu_run(one->cpu, NEVER), CPU_EXIT_HALT);
  struct result want = result_of(one);
  for (cycles_t every = 1; every < 40; every += 3) {
    struct harness *h = loop_harness();
    enum cpu_exit x;
    unsigned pauses = 0;
    do {
      cpu_pause_at(h->cpu, cpu_cycles(h->cpu) + every);
      x = cpu_run(h->cpu, NEVER);
      pauses += x == CPU_EXIT_PAUSE;
    } while (x == CPU_EXIT_PAUSE);
    assert_int_equal(x, CPU_EXIT_HALT);
    assert_true(pauses >= want.cycles / every / 2); /* it did pause, all along */
    struct result got = result_of(h);
    same(&got, &want);
    harness_free(h);
  }
  harness_free(one);
}

/* A budget (a device event) after pauses stops where it stops without
 * them: the instruction boundary of the budget rule from the block's entry. */
static void a_budget_after_pauses_stops_where_it_would_have(void **state) {
  for (cycles_t until = 50; until < 2000; until += 37) {
    struct harness *one = loop_harness();
    assert_int_equal(cpu_run(one->cpu, until), CPU_EXIT_BUDGET);
    struct result want = result_of(one);
    uint32_t want_eip = cpu_get_eip(one->cpu);
    struct harness *h = loop_harness();
    enum cpu_exit x;
    cycles_t every = 1 + until % 7;
    do {
      cpu_pause_at(h->cpu, cpu_cycles(h->cpu) + every);
      x = cpu_run(h->cpu, until);
    } while (x == CPU_EXIT_PAUSE);
    assert_int_equal(x, CPU_EXIT_BUDGET);
    struct result got = result_of(h);
    same(&got, &want);
    assert_int_equal(cpu_get_eip(h->cpu), want_eip);
    harness_free(one);
    harness_free(h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_step_retires_one_instruction),
      cmocka_unit_test(a_step_stops_after_an_exceptions_delivery),
      cmocka_unit_test(a_step_stops_after_an_interrupts_delivery),
      cmocka_unit_test(steps_change_nothing),
      cmocka_unit_test(pauses_at_any_cycle_change_nothing),
      cmocka_unit_test(a_budget_after_pauses_stops_where_it_would_have),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
