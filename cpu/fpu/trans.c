/* cpu/fpu/trans.c - the transcendental instructions' arithmetic and the
 * constants of FLD1 ... FLDZ.
 *
 * Every function is evaluated in 256-bit arithmetic (mp.c) by a series
 * that converges fast on a reduced argument, then rounded once to 64 bits
 * by the rounding control (the transcendental instructions ignore the
 * precision control, SDM vol. 1, 8.1.5.2). So the result is the correctly
 * rounded value of the function the model defines, and the same on every
 * host. The P6 itself is documented to be within 1 ulp (vol. 1, 8.3.10);
 * the differential test against the host's x87 counts how often the two
 * differ in the last place.
 *
 *   sin, cos, tan   argument reduced by the P6's 66-bit pi (vol. 1, 8.3.8:
 *                   "an internal value of pi with 66 significant bits"):
 *                   r = x - k pi66/2 exactly, |r| <= pi66/4, then Taylor
 *                   series of sin r and cos r; so like the P6 these lose
 *                   accuracy near multiples of pi, by the same amount.
 *                   |x| >= 2^63 is out of range: C2, ST(0) unchanged.
 *   2^x - 1         expm1(x ln 2) by its Taylor series (|x| <= 1; beyond,
 *                   undefined by the SDM, 2^n 2^f - 1 with f in [0, 1)).
 *   y log2 x        x = m 2^e, m in [sqrt(2)/2, sqrt(2)): e + ln(m) log2(e),
 *                   ln m = 2 atanh((m - 1)/(m + 1)); exact when m = 1.
 *   y log2(x + 1)   2 atanh(x / (2 + x)) for |x| < 0.29 (the SDM's domain
 *                   is |x| < 1 - sqrt(2)/2); beyond, as y log2 of 1 + x.
 *   atan(y / x)     the quadrant from the signs; atan z for z in [0, 1]
 *                   after three halvings z / (1 + sqrt(1 + z^2)).
 * A result the series cannot tell from its argument (sin, tan, atan of
 * |x| < 2^-100, whose corrections lie below 2^-200) is the argument with
 * the correction's direction kept as a sticky bit. The special operands
 * (zeros, infinities, NaNs, negative logarithms) follow the SDM's tables
 * for each instruction. A computed result raises PE even where it happens
 * to be exact (F2XM1 of +-1, FYL2X of a power of two): a real x87
 * evaluates an approximation and cannot tell, and the host's x87 raises it
 * there.
 */
#include "mp.h"

#define TINY_EXP (-100)

static struct mp one(void) { return mp_from_u64(false, 1, 0); }

/* The value a with its magnitude made just smaller (the true result lies
 * below a by less than a 256-bit unit): round with exact = false after. */
static struct mp nudge_down(struct mp a) {
  if (mp_is_zero(&a))
    return a;
  uint64_t borrow = 1;
  for (unsigned k = 0; k < MP_WORDS && borrow; k++) {
    borrow = a.w[k] == 0;
    a.w[k]--;
  }
  if (!(a.w[MP_WORDS - 1] >> 63)) { /* was a power of two: renormalize */
    for (unsigned k = MP_WORDS - 1; k > 0; k--)
      a.w[k] = (a.w[k] << 1) | (a.w[k - 1] >> 63);
    a.w[0] <<= 1;
    a.exp--;
  }
  return a;
}

/* ---- series ------------------------------------------------------------------------ */

static bool negligible(const struct mp *term, const struct mp *sum) {
  return mp_is_zero(term) || term->exp < sum->exp - 262;
}

/* sin r and cos r, |r| <= pi / 4. */
static void sincos_mp(struct mp r, struct mp *s, struct mp *c) {
  struct mp r2 = mp_mul(r, r);
  struct mp term = r, sum = r;
  for (uint32_t k = 1; k < 200; k++) {
    term = mp_neg(mp_div_u32(mp_mul(term, r2), (2 * k) * (2 * k + 1)));
    if (negligible(&term, &sum))
      break;
    sum = mp_add(sum, term);
  }
  *s = sum;
  term = one(), sum = one();
  for (uint32_t k = 1; k < 200; k++) {
    term = mp_neg(mp_div_u32(mp_mul(term, r2), (2 * k - 1) * (2 * k)));
    if (negligible(&term, &sum))
      break;
    sum = mp_add(sum, term);
  }
  *c = sum;
}

/* e^t - 1, |t| < 1. */
static struct mp expm1_mp(struct mp t) {
  struct mp term = t, sum = t;
  for (uint32_t k = 2; k < 300; k++) {
    term = mp_div_u32(mp_mul(term, t), k);
    if (negligible(&term, &sum))
      break;
    sum = mp_add(sum, term);
  }
  return sum;
}

/* atanh z = z + z^3/3 + z^5/5 + ..., |z| < 0.18; atan with alternate. */
static struct mp odd_series(struct mp z, bool alternate) {
  struct mp z2 = mp_mul(z, z), pw = z, sum = z;
  for (uint32_t k = 1; k < 400; k++) {
    pw = mp_mul(pw, z2);
    struct mp t = mp_div_u32(pw, 2 * k + 1);
    if (negligible(&t, &sum))
      break;
    sum = (alternate && (k & 1)) ? mp_sub(sum, t) : mp_add(sum, t);
  }
  return sum;
}

/* atan z, 0 <= z <= 1. */
static struct mp atan_mp(struct mp z) {
  for (int k = 0; k < 3; k++) /* atan z = 2 atan(z / (1 + sqrt(1 + z^2))) */
    z = mp_div(z, mp_add(one(), mp_sqrt(mp_add(one(), mp_mul(z, z)))));
  return mp_ldexp(odd_series(z, true), 3);
}

/* log2 of a positive finite value u (exact: *exact, when u is a power of
 * two). */
static struct mp log2_mp(struct fpu_unpacked u, bool *exact) {
  int32_t e = u.exp;
  *exact = u.sig == FPU_J;
  if (*exact)
    return mp_from_u64(e < 0, e < 0 ? (uint64_t)(-(int64_t)e) : (uint64_t)e, 0);
  struct mp m = mp_from_u64(false, u.sig, -63); /* in [1, 2) */
  if (u.sig > 0xB504F333F9DE6484ull) {          /* above sqrt(2): m / 2 */
    m = mp_ldexp(m, -1);
    e++;
  }
  struct mp z = mp_div(mp_sub(m, one()), mp_add(m, one()));
  struct mp ln = mp_ldexp(odd_series(z, false), 1);
  struct mp l = mp_mul(ln, *mp_const(MP_LOG2E));
  if (e)
    l = mp_add(l, mp_from_u64(e < 0, e < 0 ? (uint64_t)(-(int64_t)e) : (uint64_t)e, 0));
  return l;
}

/* ---- special operands -------------------------------------------------------------- */

static struct fpu_reg pi_times(struct fpu_status *st, unsigned num, unsigned den_log2, bool neg) {
  struct mp v = mp_ldexp(mp_mul_u32(*mp_const(MP_PI), num), -(int32_t)den_log2);
  v.neg = neg;
  return mp_round(st, &v, false);
}

/* ---- sine, cosine, tangent ------------------------------------------------------------ */

/* pi66 / 2 = 0xC90FDAA22168C234C * 2^-67 */
static struct mp pi66_half(void) {
  struct mp p = {false, 0, {0, 0, 0xC000000000000000ull, 0xC90FDAA22168C234ull}};
  return p;
}

/* r = x - k pi66/2 (exact), |r| <= pi66/4; returns k mod 4. */
static unsigned reduce(struct mp x, struct mp *r) {
  struct mp p = pi66_half();
  struct mp q = mp_div(x, p);
  int64_t k = mp_round_int(&q);
  if (k == 0) {
    *r = x;
    return 0;
  }
  struct mp kp = mp_mul(mp_from_u64(k < 0, k < 0 ? (uint64_t)(-k) : (uint64_t)k, 0), p);
  *r = mp_sub(x, kp);
  return (unsigned)((uint64_t)k & 3u);
}

/* f(x) of a finite nonzero x below 2^63 into *v; exact is never true. */
static void trig_mp(enum fpu_trig f, struct fpu_unpacked u, struct mp *v) {
  struct mp x = mp_from_unpacked(u);
  if (u.exp < TINY_EXP) {
    *v = f == FPU_SIN ? nudge_down(x) : f == FPU_TAN ? x : nudge_down(one());
    return;
  }
  struct mp r, s, c;
  unsigned q = reduce(x, &r);
  sincos_mp(r, &s, &c);
  switch (f) {
  case FPU_SIN: *v = q == 0 ? s : q == 1 ? c : q == 2 ? mp_neg(s) : mp_neg(c); break;
  case FPU_COS: *v = q == 0 ? c : q == 1 ? mp_neg(s) : q == 2 ? mp_neg(c) : s; break;
  default: *v = (q & 1) ? mp_neg(mp_div(c, s)) : mp_div(s, c); break;
  }
}

/* The checks of FSIN/FCOS/FPTAN/FSINCOS: 1 done (*out set or stopped:
 * ok tells), 0 compute. */
static int trig_special(struct fpu_status *st, struct fpu_reg a, bool cos, struct fpu_reg *out, bool *ok,
                        bool *out_of_range) {
  *out_of_range = false;
  enum fpu_class k = fpu_classify(a);
  if (k == FPU_C_INF) {
    *ok = fpu_result(st, FPU_IE, fpu_indefinite, out);
    return 1;
  }
  int r = fpu_operands1(st, a, out);
  if (r != FPU_GO_ON) {
    *ok = r == FPU_DONE;
    return 1;
  }
  st->c1 = false;
  if (k == FPU_C_ZERO) {
    *out = cos ? fpu_make(false, FPU_BIAS, FPU_J) : a;
    *ok = true;
    return 1;
  }
  if (fpu_unpack(a).exp >= 63) {
    *out_of_range = true;
    *out = a;
    *ok = true;
    return 1;
  }
  if (!fpu_denormal2(st, a, a)) {
    *ok = false;
    return 1;
  }
  return 0;
}

bool fpu_trig(struct fpu_status *st, enum fpu_trig f, struct fpu_reg a, struct fpu_reg *out, bool *out_of_range) {
  bool ok;
  if (trig_special(st, a, f == FPU_COS, out, &ok, out_of_range))
    return ok;
  struct mp v;
  trig_mp(f, fpu_unpack(a), &v);
  *out = mp_round(st, &v, false);
  return true;
}

bool fpu_sincos(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *sin_out, struct fpu_reg *cos_out,
                bool *out_of_range) {
  bool ok;
  struct fpu_reg r;
  if (trig_special(st, a, false, &r, &ok, out_of_range)) {
    if (!ok || *out_of_range)
      return ok;
    if (fpu_classify(a) == FPU_C_ZERO) {
      *sin_out = a;
      *cos_out = fpu_make(false, FPU_BIAS, FPU_J);
    } else {
      *sin_out = *cos_out = r; /* a NaN or the indefinite, in both */
    }
    return true;
  }
  struct fpu_unpacked u = fpu_unpack(a);
  struct mp s, c;
  trig_mp(FPU_SIN, u, &s);
  trig_mp(FPU_COS, u, &c);
  *cos_out = mp_round(st, &c, false);
  *sin_out = mp_round(st, &s, false); /* C1 from the sine's rounding */
  return true;
}

/* ---- 2^x - 1 ---------------------------------------------------------------------- */

bool fpu_f2xm1(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *out) {
  int r = fpu_operands1(st, a, out);
  if (r != FPU_GO_ON)
    return r == FPU_DONE;
  enum fpu_class k = fpu_classify(a);
  st->c1 = false;
  if (k == FPU_C_ZERO || (k == FPU_C_INF && !fpu_sign(a))) {
    *out = a;
    return true;
  }
  if (k == FPU_C_INF) { /* 2^-inf - 1 = -1 */
    *out = fpu_make(true, FPU_BIAS, FPU_J);
    return true;
  }
  if (!fpu_denormal2(st, a, a))
    return false;
  struct fpu_unpacked u = fpu_unpack(a);
  if (u.exp == 0 && u.sig == FPU_J) { /* x = 1: 1; x = -1: -1/2, exact, yet PE as ever */
    *out = u.sign ? fpu_make(true, FPU_BIAS - 1, FPU_J) : fpu_make(false, FPU_BIAS, FPU_J);
    st->flags |= FPU_PE;
    return true;
  }
  struct mp x = mp_from_unpacked(u), v;
  const struct mp *ln2 = mp_const(MP_LN2);
  if (u.exp < 0) {
    v = expm1_mp(mp_mul(x, *ln2));
  } else if (u.exp > 15) { /* far outside the SDM's domain */
    v = u.sign ? nudge_down(mp_neg(one())) : mp_from_u64(false, 1, 20000);
  } else {
    /* x = n + f, f in [0, 1): 2^x - 1 = 2^n (expm1(f ln 2) + 1) - 1 */
    int64_t n = (int64_t)(u.sig >> (63 - u.exp));
    if (u.sign)
      n = -n - 1;
    struct mp f = mp_sub(x, mp_from_u64(n < 0, n < 0 ? (uint64_t)(-n) : (uint64_t)n, 0));
    struct mp p = mp_add(expm1_mp(mp_mul(f, *ln2)), one());
    v = mp_sub(mp_ldexp(p, (int32_t)n), one());
    if (n < -200)
      v = nudge_down(mp_neg(one()));
  }
  *out = mp_round(st, &v, false);
  return true;
}

/* ---- y log2 x, y log2(x + 1) ------------------------------------------------------------ */

/* The NaN and unsupported checks of a two-operand transcendental: y first
 * as the SDM's tables list it. */
static int two_special(struct fpu_status *st, struct fpu_reg x, struct fpu_reg y, struct fpu_reg *out) {
  enum fpu_class kx = fpu_classify(x), ky = fpu_classify(y);
  if (kx == FPU_C_UNSUPPORTED || ky == FPU_C_UNSUPPORTED)
    return fpu_result(st, FPU_IE, fpu_indefinite, out) ? FPU_DONE : FPU_STOP;
  bool xn = kx == FPU_C_QNAN || kx == FPU_C_SNAN, yn = ky == FPU_C_QNAN || ky == FPU_C_SNAN;
  if (xn || yn) {
    unsigned f = (kx == FPU_C_SNAN || ky == FPU_C_SNAN) ? FPU_IE : 0;
    return fpu_result(st, f, fpu_nan_pick(x, y), out) ? FPU_DONE : FPU_STOP;
  }
  return FPU_GO_ON;
}

static bool denormal_check(struct fpu_status *st, struct fpu_reg x, struct fpu_reg y) {
  if (fpu_classify(x) == FPU_C_DENORMAL || fpu_classify(y) == FPU_C_DENORMAL)
    return fpu_raise_pre(st, FPU_DE);
  return true;
}

/* y * l, l = log2 of something (exact or not), rounded once; PE even when
 * exact (x a power of two), as the host x87 raises it. */
static struct fpu_reg times_log(struct fpu_status *st, struct fpu_reg y, struct mp l, bool exact) {
  struct mp v = mp_mul(mp_from_unpacked(fpu_unpack(y)), l);
  struct fpu_reg r = mp_round(st, &v, exact);
  st->flags |= FPU_PE;
  if (exact && fpu_classify(r) == FPU_C_DENORMAL) /* tiny and, as far as PE says, inexact */
    st->flags |= FPU_UE;
  return r;
}

bool fpu_fyl2x(struct fpu_status *st, struct fpu_reg x, struct fpu_reg y, struct fpu_reg *out) {
  int r = two_special(st, x, y, out);
  if (r != FPU_GO_ON)
    return r == FPU_DONE;
  enum fpu_class kx = fpu_classify(x), ky = fpu_classify(y);
  bool sy = fpu_sign(y);
  st->c1 = false;
  if (fpu_sign(x) && kx != FPU_C_ZERO) /* the logarithm of a negative number */
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  struct fpu_unpacked u = fpu_unpack(x);
  bool is_one = kx == FPU_C_NORMAL && u.exp == 0 && u.sig == FPU_J, below_one = u.exp < 0;
  /* invalid: 0 * log2 0, 0 * log2 inf, inf * log2 1 */
  if ((kx == FPU_C_ZERO || kx == FPU_C_INF) ? ky == FPU_C_ZERO : is_one && ky == FPU_C_INF)
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  if (kx == FPU_C_ZERO && ky != FPU_C_INF) /* y * log2 0: a zero divide, before DE */
    return fpu_result(st, FPU_ZE, fpu_inf(!sy), out);
  if (!denormal_check(st, x, y))
    return false;
  if (kx == FPU_C_ZERO || kx == FPU_C_INF) { /* log2 0 = -inf, log2 inf = inf */
    *out = fpu_inf(kx == FPU_C_ZERO ? !sy : sy);
    return true;
  }
  if (is_one) {
    *out = fpu_zero(sy);
    return true;
  }
  if (ky == FPU_C_INF || ky == FPU_C_ZERO) {
    *out = ky == FPU_C_INF ? fpu_inf(sy != below_one) : fpu_zero(sy != below_one);
    return true;
  }
  bool exact;
  struct mp l = log2_mp(u, &exact);
  *out = times_log(st, y, l, exact);
  return true;
}

bool fpu_fyl2xp1(struct fpu_status *st, struct fpu_reg x, struct fpu_reg y, struct fpu_reg *out) {
  int r = two_special(st, x, y, out);
  if (r != FPU_GO_ON)
    return r == FPU_DONE;
  enum fpu_class kx = fpu_classify(x), ky = fpu_classify(y);
  bool sx = fpu_sign(x), sy = fpu_sign(y);
  st->c1 = false;
  if (kx == FPU_C_INF && sx)
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  if ((kx == FPU_C_ZERO && ky == FPU_C_INF) || (kx == FPU_C_INF && ky == FPU_C_ZERO))
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  struct fpu_unpacked u = fpu_unpack(x);
  struct mp xm = kx == FPU_C_NORMAL || kx == FPU_C_DENORMAL ? mp_from_unpacked(u) : mp_zero();
  int below = sx ? mp_cmp_abs(&xm, &(struct mp){false, 0, {0, 0, 0, FPU_J}}) : -1; /* |x| against 1 */
  if (below > 0)  /* x < -1: the logarithm of a negative number */
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  if (below == 0) { /* x = -1: y * log2 0 */
    if (ky == FPU_C_ZERO)
      return fpu_result(st, FPU_IE, fpu_indefinite, out);
    return fpu_result(st, ky == FPU_C_INF ? 0 : FPU_ZE, fpu_inf(!sy), out);
  }
  if (!denormal_check(st, x, y))
    return false;
  if (kx == FPU_C_ZERO) {
    *out = fpu_zero(sx != sy);
    return true;
  }
  if (kx == FPU_C_INF) {
    *out = fpu_inf(sy);
    return true;
  }
  if (ky == FPU_C_INF || ky == FPU_C_ZERO) {
    *out = ky == FPU_C_INF ? fpu_inf(sy != sx) : fpu_zero(sy != sx);
    return true;
  }
  struct mp l;
  bool exact = false;
  if (u.exp < -2 || (u.exp == -2 && u.sig < 0x95F619980C433000ull)) { /* |x| < 1 - sqrt(2)/2 */
    struct mp z = mp_div(xm, mp_add(mp_from_u64(false, 2, 0), xm));
    l = mp_mul(mp_ldexp(odd_series(z, false), 1), *mp_const(MP_LOG2E));
  } else {
    struct mp w = mp_add(one(), xm); /* exact: x is not tiny here */
    struct fpu_unpacked uw = {false, w.exp, w.w[3]};
    if (w.w[2] | w.w[1] | w.w[0]) { /* more than 64 bits: log2 of the full value */
      struct mp m = mp_ldexp(w, -w.exp);
      int32_t e = w.exp;
      if (mp_cmp_abs(&m, &(struct mp){false, 0, {0, 0, 0, 0xB504F333F9DE6484ull}}) > 0) {
        m = mp_ldexp(m, -1);
        e++;
      }
      struct mp z = mp_div(mp_sub(m, one()), mp_add(m, one()));
      l = mp_mul(mp_ldexp(odd_series(z, false), 1), *mp_const(MP_LOG2E));
      if (e)
        l = mp_add(l, mp_from_u64(e < 0, e < 0 ? (uint64_t)(-(int64_t)e) : (uint64_t)e, 0));
    } else {
      l = log2_mp(uw, &exact);
    }
  }
  *out = times_log(st, y, l, exact);
  return true;
}

/* ---- arctangent -------------------------------------------------------------------- */

bool fpu_fpatan(struct fpu_status *st, struct fpu_reg y, struct fpu_reg x, struct fpu_reg *out) {
  int r = two_special(st, x, y, out);
  if (r != FPU_GO_ON)
    return r == FPU_DONE;
  if (!denormal_check(st, x, y))
    return false;
  enum fpu_class kx = fpu_classify(x), ky = fpu_classify(y);
  bool sx = fpu_sign(x), sy = fpu_sign(y);
  st->c1 = false;
  if (ky == FPU_C_ZERO) {
    *out = sx ? pi_times(st, 1, 0, sy) : y;
    return true;
  }
  if (ky == FPU_C_INF) {
    if (kx == FPU_C_INF)
      *out = pi_times(st, sx ? 3 : 1, 2, sy);
    else
      *out = pi_times(st, 1, 1, sy);
    return true;
  }
  if (kx == FPU_C_ZERO) {
    *out = pi_times(st, 1, 1, sy);
    return true;
  }
  if (kx == FPU_C_INF) {
    *out = sx ? pi_times(st, 1, 0, sy) : fpu_zero(sy);
    return true;
  }
  struct mp ax = mp_abs(mp_from_unpacked(fpu_unpack(x))), ay = mp_abs(mp_from_unpacked(fpu_unpack(y)));
  struct mp a;
  bool swap = mp_cmp_abs(&ay, &ax) > 0, exact_quotient;
  struct mp z = swap ? mp_div_exact(ax, ay, &exact_quotient) : mp_div_exact(ay, ax, &exact_quotient);
  bool tiny = z.exp < TINY_EXP;
  a = tiny ? z : atan_mp(z);
  if (swap)
    a = mp_sub(mp_ldexp(*mp_const(MP_PI), -1), a);
  if (sx)
    a = mp_sub(*mp_const(MP_PI), a);
  else if (tiny && !swap && exact_quotient)
    a = nudge_down(a); /* atan z = z - z^3/3 ...: just below z */
  a.neg = sy;
  *out = mp_round(st, &a, false);
  return true;
}

/* ---- constants ---------------------------------------------------------------------- */

struct fpu_reg fpu_constant(unsigned k, unsigned rc, bool *rounded_up) {
  static const enum mp_constant which[] = {MP_N_CONSTANTS, MP_LOG2_10, MP_LOG2E, MP_PI, MP_LOG10_2, MP_LN2};
  *rounded_up = false;
  if (k == 0)
    return fpu_make(false, FPU_BIAS, FPU_J);
  if (k >= 6)
    return fpu_zero(false);
  /* Rounded from the exact value (the host x87 agrees: FLDLG2's 66-bit
   * truncation would be a tie, which it does not round to even). */
  struct fpu_status st = {.rc = rc, .prec = 64, .masks = 0x3F};
  struct fpu_reg v = mp_round(&st, mp_const(which[k]), false);
  *rounded_up = st.c1;
  return v;
}
