/* tests/cpu/test_flags_rotate.c - the flags that rotates and INC/DEC keep
 * lazily: a rotate (ROL ROR RCL RCR) sets CF and OF and leaves SF ZF AF PF
 * of the operation before it, which stay lazy (CC_ROT); INC and DEC keep
 * CF, read straight from the lazy state. Checked at two levels: the lazy
 * state itself (cpu_set_cf_of after every lazy operation against the flags
 * computed in full) and instructions run in a flat 32-bit machine against
 * the SDM's definitions (counts 0, 1 and more, 8-, 16- and 32-bit forms).
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

#define CFOF (CPU_FLAG_CF | CPU_FLAG_OF)

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t next_random(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

/* Every condition from the lazy state agrees with the one from all six
 * flags computed in full, and cpu_cf with their CF. */
static void assert_conditions_consistent(const struct cpu *c) {
  for (unsigned cc = 0; cc < 16; cc++) {
    assert_int_equal(cpu_cond(c, cc), cpu_cond_full(c, cc));
    assert_int_equal(cpu_cond_lazy(c, cc), cpu_cond_full(c, cc));
  }
  assert_int_equal(cpu_cf(c), (cpu_flags_arith(c) & CPU_FLAG_CF) != 0);
}

static void set_cf_of_replaces_only_cf_and_of_after_every_lazy_op(void **state) {
  (void)state;
  struct cpu *c = calloc(1, sizeof *c);
  assert_non_null(c);
  for (unsigned op = CC_EAGER; op <= CC_DEC32; op++) {
    for (unsigned k = 0; k < 5000; k++) {
      uint32_t a = next_random(), b = next_random(), r = next_random();
      if (k & 1) { /* results with a zero low byte or all zero: ZF and PF set */
        r &= k & 2 ? 0 : 0xFFFFFF00u;
        b &= ~0x10u;
      }
      c->eflags = (next_random() & CPU_FLAGS_ARITH) | 0x2u;
      if (op == CC_EAGER)
        c->cc_op = CC_EAGER;
      else
        cpu_set_lazy(c, op, a, op >= CC_INC8 ? (b & CPU_FLAG_CF) : b, r);
      /* One to three rotates in a row: a rotate after a rotate too. */
      for (unsigned n = 0; n <= (k % 3); n++) {
        uint32_t before = cpu_eflags(c);
        uint32_t cf_of = next_random() & CFOF;
        cpu_set_cf_of(c, cf_of);
        assert_int_equal(cpu_eflags(c), (before & ~CFOF) | cf_of);
        if (op != CC_EAGER)
          assert_true(c->cc_op >= CC_ROT8 && c->cc_op <= CC_ROT32); /* the others stay lazy */
        assert_conditions_consistent(c);
      }
    }
  }
  free(c);
}

/* The size of the operation before the rotate, not the rotate's, decides
 * SF, ZF and PF (a byte ADD with result 0x80 then a 32-bit rotate: SF). */
static void rotate_keeps_sign_and_zero_at_the_size_of_the_operation_before(void **state) {
  (void)state;
  struct cpu *c = calloc(1, sizeof *c);
  assert_non_null(c);
  cpu_set_lazy(c, CC_ADD8, 0x7F, 0x01, 0x80);
  cpu_set_cf_of(c, CPU_FLAG_CF);
  assert_int_equal(cpu_eflags(c) & CPU_FLAGS_ARITH, CPU_FLAG_CF | CPU_FLAG_SF | CPU_FLAG_AF);
  cpu_set_lazy(c, CC_SUB16, 0x10000, 0x0000, 0x10000); /* 16-bit result 0: ZF, PF */
  cpu_set_cf_of(c, CPU_FLAG_OF);
  assert_int_equal(cpu_eflags(c) & CPU_FLAGS_ARITH, CPU_FLAG_OF | CPU_FLAG_ZF | CPU_FLAG_PF);
  assert_true(cpu_cond(c, 0x4)); /* JZ */
  free(c);
}

/* ---- instructions --------------------------------------------------------- */

static int setup32(void **state) {
  *state = harness_new(HARNESS_FLAT32);
  return 0;
}
static int teardown(void **state) {
  harness_free(*state);
  return 0;
}

/* Runs code (up to 16 bytes, HLT appended) with EAX = eax, EBX = ebx,
 * ECX = ecx and the arithmetic flags clear; returns EFLAGS' arithmetic
 * bits, *out = EAX. */
static uint32_t run(struct harness *h, const uint8_t *code, size_t n, uint32_t eax, uint32_t ebx, uint32_t ecx,
                    uint32_t *out) {
  uint8_t buf[17];
  assert_true(n < sizeof buf);
  memcpy(buf, code, n);
  buf[n] = 0xF4; /* hlt */
  cpu_set_reg(h->cpu, CPU_EAX, eax);
  cpu_set_reg(h->cpu, CPU_EBX, ebx);
  cpu_set_reg(h->cpu, CPU_ECX, ecx);
  cpu_set_eflags(h->cpu, 0);
  assert_int_equal(harness_run(h, buf, n + 1, 1000), CPU_EXIT_HALT);
  if (out)
    *out = cpu_get_reg(h->cpu, CPU_EAX);
  return cpu_get_eflags(h->cpu) & CPU_FLAGS_ARITH;
}

/* The operations that set the flags a rotate then keeps: lazy ones of each
 * kind and size, and an eager one (SHL). Operands EBX, ECX. */
static const struct {
  const char *what;
  uint8_t code[3];
  uint8_t len;
} before_ops[] = {
    {"add ebx, ecx", {0x01, 0xCB}, 2}, {"sub ebx, ecx", {0x29, 0xCB}, 2}, {"and ebx, ecx", {0x21, 0xCB}, 2},
    {"add bl, cl", {0x00, 0xCB}, 2},   {"add bx, cx", {0x66, 0x01, 0xCB}, 3},
    {"inc ebx", {0x43}, 1},            {"dec ebx", {0x4B}, 1},            {"shl ebx, 1", {0xD1, 0xE3}, 2},
};

/* The operand pairs for them: carries, signed overflow, zero and parity. */
static const uint32_t before_operands[][2] = {
    {0x7FFFFFFF, 1}, {0xFFFFFFFF, 1}, {0, 1}, {0x0000007F, 0x81}, {0x00008000, 0x8000}, {0x1234, 0x0F0F},
};

/* ROL/ROR of an n-byte value by masked count k > 0, with CF and OF as the
 * SDM defines them for a count of 1 (and ringlab keeps for more: the last
 * single-bit step, shift.c). */
static uint32_t rotate_ref(bool right, unsigned n, uint32_t v, unsigned k, uint32_t *cf_of) {
  unsigned bits = 8 * n;
  uint32_t m = n == 4 ? 0xFFFFFFFFu : (1u << bits) - 1, s = 1u << (bits - 1);
  v &= m;
  unsigned r = k % bits;
  uint32_t res = r == 0 ? v : right ? ((v >> r) | (v << (bits - r))) & m : ((v << r) | (v >> (bits - r))) & m;
  bool cf = right ? (res & s) != 0 : (res & 1) != 0;
  bool of = right ? ((res & s) != 0) != ((res & (s >> 1)) != 0) : ((res & s) != 0) != cf;
  *cf_of = (cf ? CPU_FLAG_CF : 0) | (of ? CPU_FLAG_OF : 0);
  return res;
}

static void rol_ror_set_cf_of_by_count_and_keep_the_other_flags(void **state) {
  struct harness *h = *state;
  static const unsigned counts[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33};
  static const uint32_t values[] = {0x81C3A55Au, 0x80000001u, 0x40000000u, 0x00000001u, 0xC000u, 0x0u};
  unsigned checked = 0;
  for (size_t b = 0; b < sizeof before_ops / sizeof before_ops[0]; b++)
    for (size_t p = 0; p < sizeof before_operands / sizeof before_operands[0]; p++)
      for (unsigned n = 1; n <= 4; n *= 2)
        for (unsigned right = 0; right <= 1; right++)
          for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++)
            for (size_t vi = 0; vi < sizeof values / sizeof values[0]; vi++) {
              uint32_t x = before_operands[p][0], y = before_operands[p][1], v = values[vi];
              uint8_t code[16];
              size_t len = before_ops[b].len;
              memcpy(code, before_ops[b].code, len);
              if (n == 2)
                code[len++] = 0x66;
              code[len++] = n == 1 ? 0xC0 : 0xC1;   /* group 2, Ib */
              code[len++] = right ? 0xC8 : 0xC0;    /* /1 ROR or /0 ROL, r/m = (E)AX/AL */
              code[len++] = (uint8_t)counts[ci];
              uint32_t flags_before = run(h, before_ops[b].code, before_ops[b].len, v, x, y, NULL);
              uint32_t eax, flags = run(h, code, len, v, x, y, &eax);
              unsigned k = counts[ci] & 0x1F;
              uint32_t m = n == 4 ? 0xFFFFFFFFu : (1u << (8 * n)) - 1;
              if (k == 0) { /* a masked count of 0 changes nothing */
                assert_int_equal(eax, v);
                assert_int_equal(flags, flags_before);
              } else {
                uint32_t cf_of, res = rotate_ref(right, n, v, k, &cf_of);
                if (eax != ((v & ~m) | res) || flags != ((flags_before & ~CFOF) | cf_of))
                  fail_msg("%s; %s %u-bit %08x by %u: eax %08x flags %03x, want %08x %03x", before_ops[b].what,
                           right ? "ror" : "rol", 8 * n, v, counts[ci], eax, flags, (v & ~m) | res,
                           (flags_before & ~CFOF) | cf_of);
              }
              checked++;
            }
  assert_int_equal(checked, 8u * 6u * 3u * 2u * 12u * 6u);
}

/* Two rotates in a row: the second replaces CF and OF again, the flags of
 * the operation before both stay. */
static void rotate_after_rotate_keeps_the_flags_of_the_operation_before(void **state) {
  struct harness *h = *state;
  /* add ebx, ecx (0x7FFFFFFF + 1: SF OF AF PF); rol eax, 1; ror eax, 3 */
  uint32_t add_flags = run(h, (const uint8_t[]){0x01, 0xCB}, 2, 0x80000001u, 0x7FFFFFFF, 1, NULL);
  assert_int_equal(add_flags, CPU_FLAG_SF | CPU_FLAG_OF | CPU_FLAG_AF | CPU_FLAG_PF);
  uint32_t eax, flags = run(h, (const uint8_t[]){0x01, 0xCB, 0xD1, 0xC0, 0xC1, 0xC8, 0x03}, 7, 0x80000001u,
                            0x7FFFFFFF, 1, &eax);
  uint32_t cf_of1, cf_of2;
  uint32_t r1 = rotate_ref(false, 4, 0x80000001u, 1, &cf_of1);
  uint32_t r2 = rotate_ref(true, 4, r1, 3, &cf_of2);
  assert_int_equal(eax, r2);
  assert_int_equal(flags, (add_flags & ~CFOF) | cf_of2);
}

/* INC and DEC keep the CF of whatever set it last: a borrow, a carry, a
 * rotate, a logical operation (0), an eager shift; ADC then reads it. */
static void inc_and_dec_keep_the_carry_across_lazy_operations(void **state) {
  struct harness *h = *state;
  static const struct {
    const char *what;
    uint8_t code[8];
    uint8_t len;
    uint32_t ebx, ecx;
    bool cf;
  } cases[] = {
      {"sub borrow; dec; inc", {0x29, 0xCB, 0x4A, 0x42}, 4, 0, 1, true},
      {"add carry; inc; dec", {0x01, 0xCB, 0x42, 0x4A}, 4, 0xFFFFFFFF, 2, true},
      {"add no carry; inc to zero", {0x01, 0xCB, 0x42}, 3, 1, 2, false},
      {"cmp equal; dec", {0x39, 0xCB, 0x4A}, 3, 5, 5, false},
      {"rol sets CF; inc; dec", {0xD1, 0xC3, 0x42, 0x4A}, 4, 0x80000000, 0, true},
      {"rol clears CF after a borrow; inc", {0x29, 0xCB, 0xD1, 0xC3, 0x42}, 5, 0, 0x80000001, false},
      {"and clears CF; inc byte dl", {0x21, 0xCB, 0xFE, 0xC2}, 4, 0xFFFFFFFF, 0xFFFFFFFF, false},
      {"shl (eager) carry; dec word dx", {0xD1, 0xE3, 0x66, 0x4A}, 4, 0x80000000, 0, true},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    print_message("case: %s\n", cases[k].what);
    /* ...; adc esi, 0 (83 D6 00) turns the kept CF into ESI. */
    uint8_t code[16];
    memcpy(code, cases[k].code, cases[k].len);
    memcpy(code + cases[k].len, (const uint8_t[]){0x83, 0xD6, 0x00}, 3);
    cpu_set_reg(h->cpu, CPU_EDX, 0xFFFFFFFF);
    cpu_set_reg(h->cpu, CPU_ESI, 100);
    uint32_t flags = run(h, cases[k].code, cases[k].len, 0, cases[k].ebx, cases[k].ecx, NULL);
    assert_int_equal((flags & CPU_FLAG_CF) != 0, cases[k].cf);
    cpu_set_reg(h->cpu, CPU_EDX, 0xFFFFFFFF);
    cpu_set_reg(h->cpu, CPU_ESI, 100);
    run(h, code, cases[k].len + 3u, 0, cases[k].ebx, cases[k].ecx, NULL);
    assert_int_equal(cpu_get_reg(h->cpu, CPU_ESI), 100u + (cases[k].cf ? 1u : 0u));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(set_cf_of_replaces_only_cf_and_of_after_every_lazy_op),
      cmocka_unit_test(rotate_keeps_sign_and_zero_at_the_size_of_the_operation_before),
      cmocka_unit_test_setup_teardown(rol_ror_set_cf_of_by_count_and_keep_the_other_flags, setup32, teardown),
      cmocka_unit_test_setup_teardown(rotate_after_rotate_keeps_the_flags_of_the_operation_before, setup32,
                                      teardown),
      cmocka_unit_test_setup_teardown(inc_and_dec_keep_the_carry_across_lazy_operations, setup32, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
