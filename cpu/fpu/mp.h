/* cpu/fpu/mp.h - multiple-precision binary numbers for the transcendental
 * functions (trans.c): a sign, an exponent and a 256-bit significand, in
 * integers only.
 *
 * value = (-1)^neg * W * 2^(exp - 255), W = w[3]:w[2]:w[1]:w[0], normalized
 * (bit 255 set) unless the value is zero (W = 0). Operations truncate to
 * 256 bits: each loses less than 2^-254 of its result, so a chain of a few
 * hundred operations (a series) keeps about 240 correct bits, far beyond
 * the 64 a result is rounded to. trans.c decides where that is not enough
 * (a value that must round exactly: the exact cases are handled apart).
 */
#ifndef RINGLAB_CPU_FPU_MP_H
#define RINGLAB_CPU_FPU_MP_H

#include <stdbool.h>
#include <stdint.h>

#include "fpu.h"

#define MP_WORDS 4

struct mp {
  bool neg;
  int32_t exp;         /* of the leading bit */
  uint64_t w[MP_WORDS]; /* w[3] most significant */
};

bool mp_is_zero(const struct mp *a);
struct mp mp_zero(void);
/* (-1)^neg * v * 2^e (v need not be normalized). */
struct mp mp_from_u64(bool neg, uint64_t v, int32_t e);
/* An x87 operand (finite, unpacked). */
struct mp mp_from_unpacked(struct fpu_unpacked u);
struct mp mp_neg(struct mp a);
struct mp mp_abs(struct mp a);
struct mp mp_ldexp(struct mp a, int32_t n);
struct mp mp_add(struct mp a, struct mp b);
struct mp mp_sub(struct mp a, struct mp b);
struct mp mp_mul(struct mp a, struct mp b);
struct mp mp_div(struct mp a, struct mp b);
/* The same, telling whether the quotient is exact. */
struct mp mp_div_exact(struct mp a, struct mp b, bool *exact);
struct mp mp_div_u32(struct mp a, uint32_t d);
struct mp mp_mul_u32(struct mp a, uint32_t m);
struct mp mp_sqrt(struct mp a);
/* Compares magnitudes: -1, 0, 1. */
int mp_cmp_abs(const struct mp *a, const struct mp *b);
/* The integer nearest a (ties away from zero), |a| < 2^62. */
int64_t mp_round_int(const struct mp *a);
/* Rounds a into an x87 register by st (64 bits and the extended exponent
 * range: the transcendental instructions ignore the precision control).
 * exact: a is the exact result; otherwise the true result lies strictly
 * between a and the next 256-bit value above it in magnitude (a sticky
 * bit), which is what a truncated series leaves. */
struct fpu_reg mp_round(struct fpu_status *st, const struct mp *a, bool exact);

/* Constants to 256 bits: mp_const from a table (nothing computed at run
 * time), mp_const_series from their series (for the tests). */
enum mp_constant { MP_PI, MP_LN2, MP_LOG2E, MP_LOG2_10, MP_LOG10_2, MP_LN10, MP_N_CONSTANTS };
const struct mp *mp_const(enum mp_constant k);
struct mp mp_const_series(enum mp_constant k);

#endif
