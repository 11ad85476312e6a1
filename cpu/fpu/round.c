/* cpu/fpu/round.c - classification, unpacking, NaN rules and the one
 * rounding routine every result goes through (fpu.h says the rules).
 *
 * Rounding, step by step (SDM vol. 1, 4.8.4, 4.9.1.4, 4.9.1.5, 8.5):
 *   1. the exact value (a 128-bit significand and a sticky bit) is rounded
 *      to the precision p with an unbounded exponent: this decides PE, C1
 *      and whether the result is tiny or too large;
 *   2. too large: masked, infinity or the largest finite value by the
 *      rounding direction (OE, PE); unmasked, to a register the step-1
 *      value with its exponent less 24576, to memory nothing;
 *   3. tiny (step 1's value below the smallest normal): unmasked, to a
 *      register the step-1 value with its exponent plus 24576 (UE even if
 *      exact), to memory nothing; masked, the exact value rounded again at
 *      the significand positions of the smallest exponent (a denormal, or
 *      the smallest normal), UE and PE only if that loses bits.
 * With a precision below 64 the denormal keeps the same p significand
 * positions as the normal numbers of the smallest exponent (the precision
 * control masks significand bits, not value bits).
 */
#include "fpu.h"

const struct fpu_reg fpu_indefinite = {0xC000000000000000ull, 0xFFFF};

const struct fpu_format fpu_fmt_f32 = {24, -126, 127, 192, true};
const struct fpu_format fpu_fmt_f64 = {53, -1022, 1023, 1536, true};
const struct fpu_format fpu_fmt_f80 = {64, -16382, 16383, 24576, false};

struct fpu_status fpu_status_of(uint16_t cw) {
  static const unsigned prec[4] = {24, 64, 53, 64}; /* PC 1 is reserved: the P6 rounds to 64 */
  return (struct fpu_status){.rc = (cw >> 10) & 3u, .prec = prec[(cw >> 8) & 3u], .masks = cw & 0x3Fu};
}

struct fpu_format fpu_fmt_reg(const struct fpu_status *st) {
  struct fpu_format f = fpu_fmt_f80;
  f.prec = st->prec;
  return f;
}

enum fpu_class fpu_classify(struct fpu_reg a) {
  unsigned e = fpu_exp(a);
  bool j = (a.sig & FPU_J) != 0;
  if (e == 0)
    return a.sig == 0 ? FPU_C_ZERO : FPU_C_DENORMAL;
  if (!j)
    return FPU_C_UNSUPPORTED; /* unnormal, pseudo-infinity, pseudo-NaN */
  if (e == FPU_EXP_MAX) {
    if ((a.sig << 1) == 0)
      return FPU_C_INF;
    return (a.sig & FPU_QBIT) ? FPU_C_QNAN : FPU_C_SNAN;
  }
  return FPU_C_NORMAL;
}

unsigned fpu_tag(struct fpu_reg a) {
  switch (fpu_classify(a)) {
  case FPU_C_NORMAL: return 0;
  case FPU_C_ZERO: return 1;
  default: return 2;
  }
}

unsigned fpu_clz64(uint64_t v) {
  unsigned n = 0;
  if (!(v >> 32)) { n += 32; v <<= 32; }
  if (!(v >> 48)) { n += 16; v <<= 16; }
  if (!(v >> 56)) { n += 8; v <<= 8; }
  if (!(v >> 60)) { n += 4; v <<= 4; }
  if (!(v >> 62)) { n += 2; v <<= 2; }
  if (!(v >> 63)) n += 1;
  return n;
}

void fpu_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
  uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
  uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
  *lo = (mid << 32) | (uint32_t)p00;
  *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

struct fpu_unpacked fpu_unpack(struct fpu_reg a) {
  struct fpu_unpacked u = {fpu_sign(a), (int32_t)fpu_exp(a) - FPU_BIAS, a.sig};
  if (fpu_exp(a) == 0 && a.sig) { /* denormal or pseudo-denormal: biased exponent 1 */
    unsigned s = fpu_clz64(a.sig);
    u.sig <<= s;
    u.exp = 1 - FPU_BIAS - (int32_t)s;
  }
  return u;
}

/* Rounds hi:lo (+ sticky) to its top p bits: the kept bits as a p-bit
 * integer in *k, whether bits were lost and whether the magnitude went up.
 * Returns true if the increment carried out of the p bits (*k is then
 * 2^(p-1): the value doubled its leading bit). */
static bool round_bits(uint64_t hi, uint64_t lo, bool sticky, unsigned p, unsigned rc, bool sign, uint64_t *k,
                       bool *inexact, bool *up) {
  uint64_t kept, rnd, rest;
  if (p == 64) {
    kept = hi;
    rnd = lo >> 63;
    rest = (lo << 1) | (uint64_t)sticky;
  } else {
    kept = hi >> (64 - p);
    rnd = (hi >> (63 - p)) & 1u;
    rest = (hi & ((1ull << (63 - p)) - 1)) | lo | (uint64_t)sticky;
  }
  bool lost = rnd || rest;
  bool inc;
  switch (rc) {
  case FPU_RC_NEAREST: inc = rnd && (rest || (kept & 1u)); break;
  case FPU_RC_DOWN: inc = lost && sign; break;
  case FPU_RC_UP: inc = lost && !sign; break;
  default: inc = false; break;
  }
  *inexact = lost;
  *up = inc;
  uint64_t top = p == 64 ? 0 : 1ull << p;
  kept += inc;
  if (p == 64 ? (inc && kept == 0) : kept == top) {
    *k = 1ull << (p - 1);
    return true;
  }
  *k = kept;
  return false;
}

/* Whether a masked overflow rounds to infinity (else the largest finite). */
static bool overflow_to_inf(unsigned rc, bool sign) {
  return rc == FPU_RC_NEAREST || (rc == FPU_RC_UP && !sign) || (rc == FPU_RC_DOWN && sign);
}

bool fpu_round(struct fpu_status *st, const struct fpu_format *fmt, bool sign, int32_t exp, uint64_t hi, uint64_t lo,
               bool sticky, struct fpu_rounded *out) {
  unsigned p = fmt->prec;
  uint64_t k;
  bool inexact, up;
  int32_t e = exp;
  if (round_bits(hi, lo, sticky, p, st->rc, sign, &k, &inexact, &up))
    e++;
  uint64_t sig = k << (64 - p);
  out->sign = sign;
  /* An unmasked overflow or underflow whose wrapped exponent is still out
   * of range (only FSCALE gets that far) gives infinity or zero whatever the
   * rounding direction, as the host x87 does. */
  bool wraps = e - fmt->wrap <= fmt->emax && e + fmt->wrap >= fmt->emin;
  if (!wraps && !fmt->memory && (e > fmt->emax ? !(st->masks & FPU_OE) : !(st->masks & FPU_UE))) {
    bool over = e > fmt->emax;
    st->flags |= (over ? FPU_OE : FPU_UE) | FPU_PE;
    st->c1 = over;
    *out = (struct fpu_rounded){over ? FPU_C_INF : FPU_C_ZERO, sign, 0, over ? FPU_J : 0};
    return true;
  }
  if (e > fmt->emax) {
    if (!(st->masks & FPU_OE)) {
      st->flags |= FPU_OE;
      if (fmt->memory)
        return false;
      if (inexact)
        st->flags |= FPU_PE;
      st->c1 = up;
      *out = (struct fpu_rounded){FPU_C_NORMAL, sign, e - fmt->wrap, sig};
      return true;
    }
    st->flags |= FPU_OE | FPU_PE;
    if (overflow_to_inf(st->rc, sign)) {
      st->c1 = true;
      *out = (struct fpu_rounded){FPU_C_INF, sign, 0, FPU_J};
    } else {
      st->c1 = false;
      uint64_t max = p == 64 ? ~0ull : ((1ull << p) - 1) << (64 - p);
      *out = (struct fpu_rounded){FPU_C_NORMAL, sign, fmt->emax, max};
    }
    return true;
  }
  if (e < fmt->emin) {
    if (!(st->masks & FPU_UE)) {
      st->flags |= FPU_UE;
      if (fmt->memory)
        return false;
      if (inexact)
        st->flags |= FPU_PE;
      st->c1 = up;
      *out = (struct fpu_rounded){FPU_C_NORMAL, sign, e + fmt->wrap, sig};
      return true;
    }
    /* Denormalize the exact value to the smallest exponent's positions. */
    uint32_t shift = (uint32_t)(fmt->emin - exp);
    bool st2 = sticky;
    if (shift >= 128) {
      st2 = st2 || hi || lo;
      hi = lo = 0;
    } else if (shift >= 64) {
      st2 = st2 || lo || (shift > 64 && (hi << (128 - shift)));
      lo = shift == 64 ? hi : hi >> (shift - 64);
      hi = 0;
    } else if (shift > 0) {
      st2 = st2 || (lo << (64 - shift));
      lo = (lo >> shift) | (hi << (64 - shift));
      hi >>= shift;
    }
    bool carry = round_bits(hi, lo, st2, p, st->rc, sign, &k, &inexact, &up);
    if (carry) /* rounded up to 2^emin exactly... only from k = 2^p - 1 */
      k = 1ull << (p - 1), sig = k << (64 - p);
    else
      sig = k << (64 - p);
    if (inexact)
      st->flags |= FPU_UE;
    if (inexact)
      st->flags |= FPU_PE;
    st->c1 = up;
    if (sig == 0)
      *out = (struct fpu_rounded){FPU_C_ZERO, sign, 0, 0};
    else
      *out = (struct fpu_rounded){(sig & FPU_J) ? FPU_C_NORMAL : FPU_C_DENORMAL, sign, fmt->emin, sig};
    return true;
  }
  if (inexact)
    st->flags |= FPU_PE;
  st->c1 = up;
  *out = (struct fpu_rounded){FPU_C_NORMAL, sign, e, sig};
  return true;
}

bool fpu_round_norm(struct fpu_status *st, const struct fpu_format *fmt, bool sign, int32_t exp, uint64_t hi,
                    uint64_t lo, bool sticky, struct fpu_rounded *out) {
  if (hi == 0) {
    if (lo == 0) { /* only sticky bits: below anything representable */
      hi = FPU_J;
      exp -= 200;
      sticky = false;
      /* a value of 2^(exp - 127 - 73): smaller than every format's denormals */
    } else {
      hi = lo;
      lo = 0;
      exp -= 64;
    }
  }
  unsigned s = fpu_clz64(hi);
  if (s) {
    hi = (hi << s) | (lo >> (64 - s));
    lo <<= s;
    exp -= (int32_t)s;
  }
  return fpu_round(st, fmt, sign, exp, hi, lo, sticky, out);
}

struct fpu_reg fpu_pack(const struct fpu_rounded *r) {
  switch (r->cls) {
  case FPU_C_ZERO: return fpu_zero(r->sign);
  case FPU_C_INF: return fpu_inf(r->sign);
  case FPU_C_DENORMAL: return fpu_make(r->sign, 0, r->sig);
  default: return fpu_make(r->sign, (unsigned)(r->exp + FPU_BIAS) & FPU_EXP_MAX, r->sig);
  }
}

struct fpu_reg fpu_round_reg(struct fpu_status *st, bool sign, int32_t exp, uint64_t hi, uint64_t lo, bool sticky) {
  struct fpu_format f = fpu_fmt_reg(st);
  struct fpu_rounded r;
  fpu_round_norm(st, &f, sign, exp, hi, lo, sticky, &r);
  return fpu_pack(&r);
}

bool fpu_raise_pre(struct fpu_status *st, unsigned f) {
  st->flags |= f;
  return !(f & ~st->masks & (FPU_IE | FPU_DE | FPU_ZE));
}

bool fpu_result(struct fpu_status *st, unsigned f, struct fpu_reg r, struct fpu_reg *out) {
  if (!fpu_raise_pre(st, f))
    return false;
  *out = r;
  return true;
}

struct fpu_reg fpu_quiet(struct fpu_reg a) {
  a.sig |= FPU_QBIT;
  return a;
}

struct fpu_reg fpu_nan_pick(struct fpu_reg a, struct fpu_reg b) {
  enum fpu_class ka = fpu_classify(a), kb = fpu_classify(b);
  bool an = ka == FPU_C_QNAN || ka == FPU_C_SNAN, bn = kb == FPU_C_QNAN || kb == FPU_C_SNAN;
  if (an && !bn)
    return fpu_quiet(a);
  if (bn && !an)
    return fpu_quiet(b);
  if (ka == FPU_C_QNAN && kb == FPU_C_SNAN)
    return a;
  if (kb == FPU_C_QNAN && ka == FPU_C_SNAN)
    return b;
  /* two of a kind: the larger significand; equal, the positive one */
  uint64_t sa = a.sig | FPU_QBIT, sb = b.sig | FPU_QBIT;
  if (sa != sb)
    return fpu_quiet(sa > sb ? a : b);
  return fpu_quiet(fpu_sign(a) ? b : a);
}

int fpu_operands2(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out) {
  enum fpu_class ka = fpu_classify(a), kb = fpu_classify(b);
  if (ka == FPU_C_UNSUPPORTED || kb == FPU_C_UNSUPPORTED)
    return fpu_result(st, FPU_IE, fpu_indefinite, out) ? FPU_DONE : FPU_STOP;
  bool an = ka == FPU_C_QNAN || ka == FPU_C_SNAN, bn = kb == FPU_C_QNAN || kb == FPU_C_SNAN;
  if (an || bn) {
    unsigned f = (ka == FPU_C_SNAN || kb == FPU_C_SNAN) ? FPU_IE : 0;
    return fpu_result(st, f, fpu_nan_pick(a, b), out) ? FPU_DONE : FPU_STOP;
  }
  return FPU_GO_ON;
}

bool fpu_denormal2(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b) {
  if (fpu_classify(a) == FPU_C_DENORMAL || fpu_classify(b) == FPU_C_DENORMAL || st->denormal_in)
    return fpu_raise_pre(st, FPU_DE);
  return true;
}

int fpu_operands1(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *out) {
  enum fpu_class ka = fpu_classify(a);
  if (ka == FPU_C_UNSUPPORTED)
    return fpu_result(st, FPU_IE, fpu_indefinite, out) ? FPU_DONE : FPU_STOP;
  if (ka == FPU_C_QNAN || ka == FPU_C_SNAN)
    return fpu_result(st, ka == FPU_C_SNAN ? FPU_IE : 0, fpu_quiet(a), out) ? FPU_DONE : FPU_STOP;
  return FPU_GO_ON;
}
