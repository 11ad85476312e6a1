/* tests/cpu/test_fpu.c - the x87's arithmetic (cpu/fpu/) on vectors whose
 * answers are published or follow from the SDM's rules, apart from the
 * instructions around it (test_x87.c) and from the host's x87 (x87_diff.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fpu/fpu.h"
#include "fpu/mp.h"

#define ONE fpu_make(false, FPU_BIAS, FPU_J)

static struct fpu_status masked(unsigned rc, unsigned prec) {
  return (struct fpu_status){.rc = rc, .prec = prec, .masks = 0x3F};
}

static void assert_reg(struct fpu_reg r, uint16_t se, uint64_t sig) {
  if (r.se != se || r.sig != sig)
    fail_msg("got %04x %016llx, want %04x %016llx", r.se, (unsigned long long)r.sig, se, (unsigned long long)sig);
}

/* ---- constants ------------------------------------------------------------------ */

static void constants_match_their_published_expansions(void **state) {
  (void)state;
  /* pi and ln 2 in hexadecimal (the first 128 bits of each: pi's as in the
   * RFC 2409 Oakley primes, ln 2's as in every libm's split constants) */
  const struct mp *pi = mp_const(MP_PI), *ln2 = mp_const(MP_LN2);
  assert_int_equal(pi->exp, 1);
  assert_true(pi->w[3] == 0xC90FDAA22168C234ull && pi->w[2] == 0xC4C6628B80DC1CD1ull);
  assert_int_equal(ln2->exp, -1);
  assert_true(ln2->w[3] == 0xB17217F7D1CF79ABull && ln2->w[2] == 0xC9E3B39803F2F6AFull);
  /* the table is what the series give, to their accuracy (2^-245) */
  for (unsigned k = 0; k < MP_N_CONSTANTS; k++) {
    struct mp d = mp_sub(*mp_const(k), mp_const_series(k));
    assert_true(mp_is_zero(&d) || d.exp < mp_const(k)->exp - 245);
  }
  /* the others by their relations: log2(e) ln 2 = 1, log2(10) log10(2) = 1 */
  struct mp a = mp_mul(*mp_const(MP_LOG2E), *ln2), b = mp_mul(*mp_const(MP_LOG2_10), *mp_const(MP_LOG10_2));
  struct mp one = mp_from_u64(false, 1, 0);
  struct mp da = mp_sub(a, one), db = mp_sub(b, one);
  assert_true(mp_is_zero(&da) || da.exp < -240);
  assert_true(mp_is_zero(&db) || db.exp < -240);
}

static void fld_constants_are_the_known_images_rounded_by_rc(void **state) {
  (void)state;
  bool up;
  assert_reg(fpu_constant(3, FPU_RC_NEAREST, &up), 0x4000, 0xC90FDAA22168C235ull); /* FLDPI */
  assert_reg(fpu_constant(3, FPU_RC_DOWN, &up), 0x4000, 0xC90FDAA22168C234ull);
  assert_reg(fpu_constant(3, FPU_RC_ZERO, &up), 0x4000, 0xC90FDAA22168C234ull);
  assert_reg(fpu_constant(3, FPU_RC_UP, &up), 0x4000, 0xC90FDAA22168C235ull);
  assert_reg(fpu_constant(1, FPU_RC_NEAREST, &up), 0x4000, 0xD49A784BCD1B8AFEull); /* FLDL2T */
  assert_reg(fpu_constant(2, FPU_RC_NEAREST, &up), 0x3FFF, 0xB8AA3B295C17F0BCull); /* FLDL2E */
  assert_reg(fpu_constant(4, FPU_RC_NEAREST, &up), 0x3FFD, 0x9A209A84FBCFF799ull); /* FLDLG2 */
  assert_reg(fpu_constant(5, FPU_RC_NEAREST, &up), 0x3FFE, 0xB17217F7D1CF79ACull); /* FLDLN2 */
  assert_reg(fpu_constant(0, FPU_RC_DOWN, &up), 0x3FFF, FPU_J);                    /* FLD1 */
  assert_reg(fpu_constant(6, FPU_RC_UP, &up), 0x0000, 0);                          /* FLDZ */
}

/* ---- rounding ---------------------------------------------------------------------- */

static void one_third_rounds_by_precision_and_direction(void **state) {
  (void)state;
  struct fpu_reg three = fpu_from_int(3), r;
  static const struct {
    unsigned rc, prec;
    uint64_t sig;
    bool c1;
  } v[] = {
      {FPU_RC_NEAREST, 64, 0xAAAAAAAAAAAAAAABull, true}, {FPU_RC_ZERO, 64, 0xAAAAAAAAAAAAAAAAull, false},
      {FPU_RC_NEAREST, 53, 0xAAAAAAAAAAAAA800ull, false}, {FPU_RC_UP, 53, 0xAAAAAAAAAAAAB000ull, true},
      {FPU_RC_NEAREST, 24, 0xAAAAAB0000000000ull, true}, {FPU_RC_DOWN, 24, 0xAAAAAA0000000000ull, false},
  };
  for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
    struct fpu_status st = masked(v[k].rc, v[k].prec);
    assert_true(fpu_div(&st, ONE, three, &r));
    assert_reg(r, 0x3FFD, v[k].sig);
    assert_int_equal(st.flags, FPU_PE);
    assert_int_equal(st.c1, v[k].c1);
  }
}

/* Tininess is decided after rounding: the largest value below the smallest
 * normal that rounds up to it is not tiny (no UE); one that stays below is,
 * and is inexact: UE and PE, masked, a denormal. */
static void tininess_is_decided_after_rounding(void **state) {
  (void)state;
  struct fpu_status st = masked(FPU_RC_NEAREST, 64);
  /* (2^64 - 1) * 2^(-16382 - 64) * 2^0.5-ish: sig all ones one exponent below */
  struct fpu_reg r = fpu_round_reg(&st, false, -16383, ~0ull, 0xFFFFFFFFFFFFFFFFull, false);
  assert_reg(r, 0x0001, FPU_J); /* rounded up to the smallest normal */
  assert_int_equal(st.flags, FPU_PE);
  st = masked(FPU_RC_NEAREST, 64);
  r = fpu_round_reg(&st, false, -16383, 0xC000000000000000ull, 1, false);
  assert_reg(r, 0x0000, 0x6000000000000000ull); /* the denormal, a bit lost */
  assert_int_equal(st.flags, FPU_UE | FPU_PE);
  st = masked(FPU_RC_NEAREST, 64);
  r = fpu_round_reg(&st, false, -16383, 0xC000000000000000ull, 0, false);
  assert_reg(r, 0x0000, 0x6000000000000000ull); /* exact: no flag at all */
  assert_int_equal(st.flags, 0);
}

static void unmasked_overflow_and_underflow_wrap_the_exponent_by_24576(void **state) {
  (void)state;
  struct fpu_status st = {.rc = FPU_RC_NEAREST, .prec = 64, .masks = 0x3F & ~(FPU_OE | FPU_UE)};
  struct fpu_reg big = fpu_make(false, 0x7FFE, FPU_J), r;
  assert_true(fpu_mul(&st, big, big, &r)); /* 2^32766 */
  assert_reg(r, (uint16_t)(0x7FFE + 0x7FFE - FPU_BIAS - 24576), FPU_J);
  assert_int_equal(st.flags, FPU_OE);
  st.flags = 0;
  struct fpu_reg small = fpu_make(false, 1, FPU_J);
  assert_true(fpu_mul(&st, small, small, &r));
  assert_reg(r, (uint16_t)(1 + 1 - FPU_BIAS + 24576), FPU_J);
  assert_int_equal(st.flags, FPU_UE); /* tiny though exact: unmasked UE */
  /* masked: infinity (RN) or the largest finite (RZ) */
  st = masked(FPU_RC_ZERO, 53);
  assert_true(fpu_mul(&st, big, big, &r));
  assert_reg(r, 0x7FFE, 0xFFFFFFFFFFFFF800ull);
  assert_int_equal(st.flags, FPU_OE | FPU_PE);
  assert_false(st.c1);
}

/* ---- special operands ---------------------------------------------------------------- */

static void nans_propagate_by_the_sdm_table(void **state) {
  (void)state;
  struct fpu_reg qa = fpu_make(false, 0x7FFF, 0xC000000000000001ull), qb = fpu_make(true, 0x7FFF, 0xC000000000000002ull);
  struct fpu_reg sa = fpu_make(false, 0x7FFF, 0x8000000000000005ull), r;
  struct fpu_status st = masked(FPU_RC_NEAREST, 64);
  assert_true(fpu_add(&st, qa, qb, &r));
  assert_reg(r, qb.se, qb.sig); /* two QNaNs: the larger significand */
  assert_int_equal(st.flags, 0);
  assert_true(fpu_add(&st, sa, qa, &r));
  assert_reg(r, qa.se, qa.sig); /* an SNaN and a QNaN: the QNaN, IE */
  assert_int_equal(st.flags, FPU_IE);
  st.flags = 0;
  assert_true(fpu_mul(&st, sa, ONE, &r));
  assert_reg(r, sa.se, sa.sig | FPU_QBIT); /* an SNaN alone: quieted, IE */
  struct fpu_reg qneg = fpu_make(true, 0x7FFF, qa.sig);
  assert_true(fpu_sub(&st, qneg, qa, &r));
  assert_reg(r, qa.se, qa.sig); /* equal significands: the positive one */
  struct fpu_reg inf = fpu_inf(false);
  st.flags = 0;
  assert_true(fpu_sub(&st, inf, inf, &r));
  assert_reg(r, 0xFFFF, 0xC000000000000000ull); /* inf - inf: the real indefinite */
  assert_int_equal(st.flags, FPU_IE);
  struct fpu_reg unnormal = fpu_make(false, 0x4000, 0x4000000000000000ull);
  st.flags = 0;
  assert_true(fpu_add(&st, unnormal, ONE, &r));
  assert_reg(r, 0xFFFF, 0xC000000000000000ull); /* unsupported: invalid */
  assert_int_equal(st.flags, FPU_IE);
}

/* DE comes after IE and ZE: a denormal divided by zero is a zero divide
 * only; a denormal plus infinity raises DE (as the host x87 shows). */
static void denormal_operand_ranks_after_invalid_and_zero_divide(void **state) {
  (void)state;
  struct fpu_reg den = fpu_make(false, 0, 0x0000000012345678ull), r;
  struct fpu_status st = {.rc = 0, .prec = 64, .masks = 0x3F & ~FPU_DE};
  assert_true(fpu_div(&st, den, fpu_zero(false), &r));
  assert_int_equal(st.flags, FPU_ZE);
  st.flags = 0;
  assert_false(fpu_add(&st, den, fpu_inf(false), &r)); /* unmasked DE: no result */
  assert_int_equal(st.flags, FPU_DE);
  st.flags = 0;
  assert_true(fpu_sqrt(&st, fpu_make(true, 0, 0x10ull), &r)); /* sqrt of a negative denormal */
  assert_int_equal(st.flags, FPU_IE);
}

/* ---- conversions ---------------------------------------------------------------------- */

static void memory_formats_convert_as_the_sdm_says(void **state) {
  (void)state;
  struct fpu_status st = masked(FPU_RC_NEAREST, 64);
  struct fpu_reg r;
  assert_true(fpu_from_f32(&st, 0x7F800001u, &r)); /* single SNaN: IE, quieted */
  assert_reg(r, 0x7FFF, 0xC000010000000000ull);
  assert_int_equal(st.flags, FPU_IE);
  st.flags = 0;
  assert_true(fpu_from_f64(&st, 1, &r)); /* the smallest double denormal: DE */
  assert_reg(r, (uint16_t)(FPU_BIAS - 1074), FPU_J);
  assert_int_equal(st.flags, FPU_DE);
  int64_t v;
  st.flags = 0;
  assert_true(fpu_to_int(&st, fpu_from_int(40000), 16, &v)); /* out of range: indefinite */
  assert_int_equal(v, -32768);
  assert_int_equal(st.flags, FPU_IE);
  st = masked(FPU_RC_UP, 64);
  struct fpu_reg two_and_half = fpu_make(true, FPU_BIAS + 1, 0xA000000000000000ull); /* -2.5 */
  assert_true(fpu_to_int(&st, two_and_half, 32, &v));
  assert_int_equal(v, -2);
  assert_int_equal(st.flags, FPU_PE);
  assert_false(st.c1); /* toward +inf from -2.5: magnitude down */
  uint8_t bcd[10];
  st = masked(FPU_RC_NEAREST, 64);
  assert_true(fpu_to_bcd(&st, fpu_from_int(-123456789012345678), bcd));
  static const uint8_t want[10] = {0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80};
  assert_memory_equal(bcd, want, 10);
  assert_reg(fpu_from_bcd(bcd), fpu_from_int(-123456789012345678).se, fpu_from_int(-123456789012345678).sig);
  assert_true(fpu_to_bcd(&st, fpu_from_int(1000000000000000000), bcd)); /* 10^18: the BCD indefinite */
  static const uint8_t ind[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
  assert_memory_equal(bcd, ind, 10);
  uint32_t f;
  st = masked(FPU_RC_NEAREST, 64);
  assert_true(fpu_to_f32(&st, fpu_make(false, FPU_BIAS - 149, FPU_J), &f)); /* 2^-149: exact denormal */
  assert_int_equal(f, 1);
  assert_int_equal(st.flags, 0);
}

/* ---- remainders and scaling ------------------------------------------------------------- */

static void fprem_gives_partial_remainders_and_quotient_bits(void **state) {
  (void)state;
  struct fpu_status st = masked(FPU_RC_NEAREST, 64);
  struct fpu_reg r;
  unsigned q;
  bool partial;
  /* 7 rem 2 = 1, q = 3; FPREM1: 7 = 4 * 2 - 1: -1, q = 4 */
  assert_true(fpu_rem(&st, fpu_from_int(7), fpu_from_int(2), false, &r, &q, &partial));
  assert_reg(r, fpu_from_int(1).se, fpu_from_int(1).sig);
  assert_int_equal(q, 3);
  assert_false(partial);
  assert_true(fpu_rem(&st, fpu_from_int(7), fpu_from_int(2), true, &r, &q, &partial));
  assert_reg(r, fpu_from_int(-1).se, fpu_from_int(-1).sig);
  assert_int_equal(q, 4);
  /* 2^100 rem 3: partial (exponents 100 apart), again and again to the end */
  struct fpu_reg a = fpu_make(false, FPU_BIAS + 100, FPU_J), three = fpu_from_int(3);
  int rounds = 0;
  do {
    assert_true(fpu_rem(&st, a, three, false, &a, &q, &partial));
    rounds++;
  } while (partial && rounds < 10);
  assert_true(rounds >= 2);
  assert_false(partial);
  assert_reg(a, ONE.se, ONE.sig); /* 2^100 = 1 (mod 3) */
  assert_int_equal(st.flags, 0);
}

static void fscale_beyond_the_wrap_range_gives_infinity_or_zero(void **state) {
  (void)state;
  struct fpu_status st = {.rc = FPU_RC_UP, .prec = 64, .masks = 0x3F & ~FPU_UE};
  struct fpu_reg r;
  assert_true(fpu_scale(&st, ONE, fpu_from_int(-100000), &r));
  assert_reg(r, 0x0000, 0); /* +0 even rounding up, as the host x87 gives */
  assert_int_equal(st.flags, FPU_UE | FPU_PE);
  st = (struct fpu_status){.rc = FPU_RC_ZERO, .prec = 64, .masks = 0x3F & ~FPU_OE};
  assert_true(fpu_scale(&st, ONE, fpu_from_int(100000), &r));
  assert_reg(r, 0x7FFF, FPU_J);
  assert_true(st.c1);
}

/* ---- transcendental functions ------------------------------------------------------------ */

static void transcendental_special_and_exact_cases(void **state) {
  (void)state;
  struct fpu_status st = masked(FPU_RC_NEAREST, 64);
  struct fpu_reg r;
  bool out;
  /* sin of a tiny x is x, but just below it: toward zero it is the value below */
  struct fpu_reg tiny = fpu_make(false, FPU_BIAS - 200, 0xC000000000000000ull);
  assert_true(fpu_trig(&st, FPU_SIN, tiny, &r, &out));
  assert_reg(r, tiny.se, tiny.sig);
  st = masked(FPU_RC_ZERO, 64);
  assert_true(fpu_trig(&st, FPU_SIN, tiny, &r, &out));
  assert_reg(r, tiny.se, tiny.sig - 1);
  assert_true(fpu_trig(&st, FPU_TAN, tiny, &r, &out)); /* tan: just above */
  assert_reg(r, tiny.se, tiny.sig);
  /* out of range: C2 territory, the operand back */
  assert_true(fpu_trig(&st, FPU_COS, fpu_make(false, FPU_BIAS + 63, FPU_J), &r, &out));
  assert_true(out);
  /* exact results still raise PE (as the host x87 does) */
  st = masked(FPU_RC_NEAREST, 64);
  assert_true(fpu_f2xm1(&st, fpu_make(true, FPU_BIAS, FPU_J), &r)); /* 2^-1 - 1 */
  assert_reg(r, 0xBFFE, FPU_J);
  assert_int_equal(st.flags, FPU_PE);
  st.flags = 0;
  assert_true(fpu_fyl2x(&st, fpu_from_int(8), fpu_from_int(3), &r)); /* 3 log2 8 = 9 */
  assert_reg(r, fpu_from_int(9).se, fpu_from_int(9).sig);
  assert_int_equal(st.flags, FPU_PE);
  /* FPATAN's table: atan2(+0, -0) = +pi, atan2(-inf, +inf) = -pi/4 */
  bool up;
  assert_true(fpu_fpatan(&st, fpu_zero(false), fpu_zero(true), &r));
  assert_reg(r, 0x4000, fpu_constant(3, FPU_RC_NEAREST, &up).sig);
  assert_true(fpu_fpatan(&st, fpu_inf(true), fpu_inf(false), &r));
  assert_reg(r, 0xBFFE, 0xC90FDAA22168C235ull);
  /* log2 of zero: a zero divide; of a negative number: invalid */
  st.flags = 0;
  assert_true(fpu_fyl2x(&st, fpu_zero(false), ONE, &r));
  assert_reg(r, 0xFFFF, FPU_J);
  assert_int_equal(st.flags, FPU_ZE);
  st.flags = 0;
  assert_true(fpu_fyl2x(&st, fpu_from_int(-2), ONE, &r));
  assert_int_equal(st.flags, FPU_IE);
}

/* sin, cos and tan near a multiple of pi are those of the distance from
 * the multiple of the P6's 66-bit pi: FLDPI's value (...C235) lies 0.25 ulp
 * (2^-64) above pi66 (...C234.C), so FSIN(FLDPI) = -sin(2^-64) = -2^-64
 * rounded, where the true pi would give about -2^-65.7. */
static void trig_reduces_by_the_66_bit_pi(void **state) {
  (void)state;
  struct fpu_status st = masked(FPU_RC_NEAREST, 64);
  struct fpu_reg r;
  bool out, up;
  struct fpu_reg pi = fpu_constant(3, FPU_RC_NEAREST, &up); /* ...C235 > pi66 = ...C234C */
  assert_true(fpu_trig(&st, FPU_SIN, pi, &r, &out));
  /* sin(pi66 + d) = -sin(d) = -d, d = C235 - C234.C = 0.25 ulp = 2^-63 * 2^1 / 4 */
  assert_reg(r, (uint16_t)(0x8000 | (FPU_BIAS - 64)), FPU_J);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(constants_match_their_published_expansions),
      cmocka_unit_test(fld_constants_are_the_known_images_rounded_by_rc),
      cmocka_unit_test(one_third_rounds_by_precision_and_direction),
      cmocka_unit_test(tininess_is_decided_after_rounding),
      cmocka_unit_test(unmasked_overflow_and_underflow_wrap_the_exponent_by_24576),
      cmocka_unit_test(nans_propagate_by_the_sdm_table),
      cmocka_unit_test(denormal_operand_ranks_after_invalid_and_zero_divide),
      cmocka_unit_test(memory_formats_convert_as_the_sdm_says),
      cmocka_unit_test(fprem_gives_partial_remainders_and_quotient_bits),
      cmocka_unit_test(fscale_beyond_the_wrap_range_gives_infinity_or_zero),
      cmocka_unit_test(transcendental_special_and_exact_cases),
      cmocka_unit_test(trig_reduces_by_the_66_bit_pi),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
