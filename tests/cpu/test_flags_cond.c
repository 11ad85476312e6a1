/* tests/cpu/test_flags_cond.c - cpu_cond's fast path (the condition read
 * straight from the lazy flag state) against the full computation (all six
 * flags through cpu_flags_arith, then the condition), over many random and
 * edge operand pairs, all 16 conditions, every lazy operation and size
 * (and cpu_cf's own shortcut against the CF of the full computation);
 * and cpu_eflags_write's shortcut for writes of all six arithmetic flags.
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

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_random(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

/* An operand: edge values (0, 1, the sign bit and its neighbours, all ones)
 * half of the time, random bits otherwise. */
static uint32_t operand(void) {
  static const uint32_t edges[] = {0,    1,      2,      0x7F,   0x80,       0x81,       0xFF,       0x7FFF,
                                   0x8000, 0x8001, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE};
  uint32_t r = next_random();
  if (r & 1)
    return edges[(r >> 1) % (sizeof edges / sizeof edges[0])] ^ ((r & 0x100) ? 0xFFFFFF00u : 0);
  return next_random();
}

/* The result the operation would record (a random one a quarter of the
 * time: both paths must agree on any lazy state, consistent or not). */
static uint32_t result_of(unsigned op, uint32_t a, uint32_t b) {
  if ((next_random() & 3) == 0)
    return next_random();
  switch ((op - 1) / 3) {
  case 0: return a + b;
  case 1: return a + b + 1;
  case 2: return a - b;
  case 3: return a - b - 1;
  case 4: return a & b;
  case 5: return a + 1;
  default: return a - 1;
  }
}

static void fast_path_matches_full_flags_for_every_lazy_op_size_and_condition(void **state) {
  (void)state;
  struct cpu *c = calloc(1, sizeof *c);
  assert_non_null(c);
  unsigned checked = 0;
  for (unsigned op = CC_ADD8; op <= CC_DEC32; op++) {
    for (unsigned k = 0; k < 20000; k++) {
      uint32_t a = operand(), b = operand();
      if (op >= CC_INC8)
        b = next_random() & 1 ? CPU_FLAG_CF : 0; /* INC/DEC: src2 holds CF */
      cpu_set_lazy(c, op, a, b, result_of(op, a, b));
      for (unsigned cc = 0; cc < 16; cc++) {
        if (cpu_cond(c, cc) != cpu_cond_full(c, cc))
          fail_msg("op %u cc %u src1 %08x src2 %08x res %08x: fast %d full %d", op, cc, c->cc_src1, c->cc_src2,
                   c->cc_res, cpu_cond(c, cc), cpu_cond_full(c, cc));
        assert_int_equal(cpu_cond_lazy(c, cc), cpu_cond_full(c, cc)); /* Z/NZ out of line too */
        checked++;
      }
      assert_int_equal(cpu_cf(c), (cpu_flags_arith(c) & CPU_FLAG_CF) != 0);
    }
  }
  assert_int_equal(checked, (CC_DEC32 - CC_ADD8 + 1) * 20000u * 16u);
  free(c);
}

static void eager_flags_give_the_same_conditions(void **state) {
  (void)state;
  struct cpu *c = calloc(1, sizeof *c);
  assert_non_null(c);
  for (uint32_t f = 0; f < 0x1000; f++) { /* every combination of bits 0-11 */
    c->eflags = f | 0x2u;
    c->cc_op = CC_EAGER;
    for (unsigned cc = 0; cc < 16; cc++)
      assert_int_equal(cpu_cond(c, cc), cpu_cond_full(c, cc));
  }
  free(c);
}

/* Conditions after the ordinary compare: B is unsigned <, L signed <. */
static void compare_conditions_are_unsigned_and_signed_less(void **state) {
  (void)state;
  struct cpu *c = calloc(1, sizeof *c);
  assert_non_null(c);
  for (unsigned k = 0; k < 100000; k++) {
    uint32_t a = operand(), b = operand();
    cpu_set_lazy(c, CC_SUB32, a, b, a - b);
    assert_int_equal(cpu_cond(c, 0x2), a < b);                   /* B */
    assert_int_equal(cpu_cond(c, 0x6), a <= b);                  /* BE */
    assert_int_equal(cpu_cond(c, 0x4), a == b);                  /* Z */
    assert_int_equal(cpu_cond(c, 0xC), (int32_t)a < (int32_t)b);  /* L */
    assert_int_equal(cpu_cond(c, 0xE), (int32_t)a <= (int32_t)b); /* LE */
    cpu_set_lazy(c, CC_SUB16, a, b, a - b);
    assert_int_equal(cpu_cond(c, 0xC), (int16_t)a < (int16_t)b);
    assert_int_equal(cpu_cond(c, 0x3), (uint16_t)a >= (uint16_t)b); /* AE */
    cpu_set_lazy(c, CC_SUB8, a, b, a - b);
    assert_int_equal(cpu_cond(c, 0xF), (int8_t)a > (int8_t)b);      /* G */
    assert_int_equal(cpu_cond(c, 0x7), (uint8_t)a > (uint8_t)b);    /* A */
  }
  free(c);
}

/* A write of all six arithmetic flags skips computing the lazy ones, and
 * one of none of them keeps them lazy; either way EFLAGS reads as the merge
 * with the computed flags (masks: all six, none, any). */
static void eflags_write_of_all_or_no_arith_flags_equals_the_full_merge(void **state) {
  (void)state;
  struct cpu *c = calloc(1, sizeof *c);
  assert_non_null(c);
  for (unsigned k = 0; k < 20000; k++) {
    unsigned op = CC_ADD8 + next_random() % (CC_DEC32 - CC_ADD8 + 1);
    uint32_t a = operand(), b = operand();
    uint32_t others = next_random() & 0x003F7F00u & ~CPU_FLAGS_ARITH;
    uint32_t value = next_random(), mask = next_random();
    mask = k % 3 == 0 ? mask | CPU_FLAGS_ARITH : k % 3 == 1 ? mask & ~CPU_FLAGS_ARITH : mask;
    c->eflags = others | 0x2u;
    cpu_set_lazy(c, op, a, b, result_of(op, a, b));
    uint32_t expect = ((cpu_eflags(c) & ~mask) | (value & mask)) | 0x2u;
    cpu_eflags_write(c, value, mask);
    assert_int_equal(cpu_eflags(c), expect);
    if (mask & CPU_FLAGS_ARITH)
      assert_int_equal(c->cc_op, CC_EAGER);
    for (unsigned cc = 0; cc < 16; cc++)
      assert_int_equal(cpu_cond(c, cc), cpu_cond_full(c, cc));
  }
  free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fast_path_matches_full_flags_for_every_lazy_op_size_and_condition),
      cmocka_unit_test(eager_flags_give_the_same_conditions),
      cmocka_unit_test(compare_conditions_are_unsigned_and_signed_less),
      cmocka_unit_test(eflags_write_of_all_or_no_arith_flags_equals_the_full_merge),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
