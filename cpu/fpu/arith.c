/* cpu/fpu/arith.c - the basic operations: add, subtract, multiply,
 * divide, square root, round to integer, scale, extract, the partial
 * remainders and comparison.
 *
 * Every finite result is computed exactly as a 128-bit significand plus a
 * sticky bit and handed to fpu_round, so it is correctly rounded by
 * construction: additions align in 128 bits (an operand shifted out
 * entirely survives as the sticky bit), products are the full 128 bits,
 * quotients and square roots come digit by digit with their remainder.
 * The special operands (zeros, infinities, NaNs, unsupported formats) are
 * decided first: an invalid operation (IE), a zero divide (ZE) or a result
 * the special operand alone decides raises no DE; a denormal operand of an
 * operation that goes on to compute raises DE (as the host x87 does; the
 * SDM's priority list, vol. 1, 4.9.2, puts IE before DE before ZE).
 */
#include "fpu.h"

/* ---- add and subtract ----------------------------------------------------------- */

/* a + b with b's sign taken as bsign (subtraction flips it); NaNs were
 * handled by the caller with the operands as given. */
static bool add_signed(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, bool bsign, struct fpu_reg *out) {
  enum fpu_class ka = fpu_classify(a), kb = fpu_classify(b);
  bool as = fpu_sign(a);
  if (ka == FPU_C_INF && kb == FPU_C_INF && as != bsign)
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  if (!fpu_denormal2(st, a, b))
    return false;
  if (ka == FPU_C_INF || kb == FPU_C_INF) {
    *out = fpu_inf(ka == FPU_C_INF ? as : bsign);
    return true;
  }
  if (ka == FPU_C_ZERO && kb == FPU_C_ZERO) {
    bool s = as == bsign ? as : st->rc == FPU_RC_DOWN;
    *out = fpu_zero(s);
    st->c1 = false;
    return true;
  }
  struct fpu_unpacked ua = fpu_unpack(a), ub = fpu_unpack(b);
  ub.sign = bsign;
  if (ka == FPU_C_ZERO || kb == FPU_C_ZERO) { /* the other operand, rounded to the precision */
    struct fpu_unpacked u = ka == FPU_C_ZERO ? ub : ua;
    *out = fpu_round_reg(st, u.sign, u.exp, u.sig, 0, false);
    return true;
  }
  if (ua.exp < ub.exp || (ua.exp == ub.exp && ua.sig < ub.sig)) {
    struct fpu_unpacked t = ua;
    ua = ub;
    ub = t;
  }
  /* |a| >= |b|: align b's significand to a's in 128 bits, jamming what
   * falls off into the last bit. */
  uint32_t d = (uint32_t)(ua.exp - ub.exp);
  uint64_t bh = ub.sig, bl = 0;
  bool jam = false;
  if (d >= 128) {
    bh = bl = 0;
    jam = true;
  } else if (d >= 64) {
    jam = d > 64 && (ub.sig << (128 - d)) != 0;
    bl = d == 64 ? ub.sig : ub.sig >> (d - 64);
    bh = 0;
  } else if (d > 0) {
    bl = ub.sig << (64 - d);
    bh = ub.sig >> d;
  }
  bl |= (uint64_t)jam;
  uint64_t ah = ua.sig, al = 0, rh, rl;
  int32_t e = ua.exp;
  if (ua.sign == ub.sign) {
    rl = al + bl;
    rh = ah + bh + (rl < al);
    if (rh < ah) { /* carry out: shift right one, jamming */
      bool lost = rl & 1u;
      rl = (rl >> 1) | (rh << 63) | (uint64_t)lost;
      rh = (rh >> 1) | FPU_J;
      e++;
    }
  } else {
    rl = al - bl;
    rh = ah - bh - (al < bl);
    if (rh == 0 && rl == 0) { /* exact cancellation */
      *out = fpu_zero(st->rc == FPU_RC_DOWN);
      st->c1 = false;
      return true;
    }
  }
  *out = fpu_round_reg(st, ua.sign, e, rh, rl, false);
  return true;
}

bool fpu_add(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out) {
  int k = fpu_operands2(st, a, b, out);
  if (k != FPU_GO_ON)
    return k == FPU_DONE;
  return add_signed(st, a, b, fpu_sign(b), out);
}

bool fpu_sub(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out) {
  int k = fpu_operands2(st, a, b, out);
  if (k != FPU_GO_ON)
    return k == FPU_DONE;
  return add_signed(st, a, b, !fpu_sign(b), out);
}

/* ---- multiply and divide -------------------------------------------------------------- */

bool fpu_mul(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out) {
  int k = fpu_operands2(st, a, b, out);
  if (k != FPU_GO_ON)
    return k == FPU_DONE;
  enum fpu_class ka = fpu_classify(a), kb = fpu_classify(b);
  bool s = fpu_sign(a) != fpu_sign(b);
  if ((ka == FPU_C_INF || kb == FPU_C_INF) && (ka == FPU_C_ZERO || kb == FPU_C_ZERO))
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  if (!fpu_denormal2(st, a, b))
    return false;
  if (ka == FPU_C_INF || kb == FPU_C_INF) {
    *out = fpu_inf(s);
    return true;
  }
  if (ka == FPU_C_ZERO || kb == FPU_C_ZERO) {
    *out = fpu_zero(s);
    st->c1 = false;
    return true;
  }
  struct fpu_unpacked ua = fpu_unpack(a), ub = fpu_unpack(b);
  uint64_t hi, lo;
  fpu_mul64(ua.sig, ub.sig, &hi, &lo);
  *out = fpu_round_reg(st, s, ua.exp + ub.exp + 1, hi, lo, false);
  return true;
}

/* q = the first n bits of the quotient a / b (a, b normalized; the first
 * bit has the weight of a's leading bit over b's), as hi:lo aligned to bit
 * 127; *rest whether the remainder is nonzero. */
static void divide_bits(uint64_t a, uint64_t b, unsigned n, uint64_t *hi, uint64_t *lo, bool *rest) {
  uint64_t rh = 0, rl = a; /* remainder, < 2b: 65 bits */
  uint64_t qh = 0, ql = 0;
  for (unsigned i = 0; i < n; i++) {
    bool bit = rh || rl >= b;
    if (bit)
      rl -= b, rh = 0;
    qh = (qh << 1) | (ql >> 63);
    ql = (ql << 1) | (uint64_t)bit;
    rh = rl >> 63;
    rl <<= 1;
  }
  unsigned s = 128 - n;
  if (s >= 64) {
    *hi = ql << (s - 64);
    *lo = 0;
  } else {
    *hi = (qh << s) | (ql >> (64 - s));
    *lo = ql << s;
  }
  *rest = rh || rl;
}

bool fpu_div(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out) {
  int k = fpu_operands2(st, a, b, out);
  if (k != FPU_GO_ON)
    return k == FPU_DONE;
  enum fpu_class ka = fpu_classify(a), kb = fpu_classify(b);
  bool s = fpu_sign(a) != fpu_sign(b);
  if ((ka == FPU_C_INF && kb == FPU_C_INF) || (ka == FPU_C_ZERO && kb == FPU_C_ZERO))
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  if (kb == FPU_C_ZERO && ka != FPU_C_INF)
    return fpu_result(st, FPU_ZE, fpu_inf(s), out);
  if (!fpu_denormal2(st, a, b))
    return false;
  if (ka == FPU_C_INF) {
    *out = fpu_inf(s);
    return true;
  }
  if (kb == FPU_C_INF) {
    *out = fpu_zero(s);
    st->c1 = false;
    return true;
  }
  if (ka == FPU_C_ZERO) {
    *out = fpu_zero(s);
    st->c1 = false;
    return true;
  }
  struct fpu_unpacked ua = fpu_unpack(a), ub = fpu_unpack(b);
  uint64_t hi, lo;
  bool rest;
  divide_bits(ua.sig, ub.sig, 67, &hi, &lo, &rest);
  *out = fpu_round_reg(st, s, ua.exp - ub.exp, hi, lo, rest);
  return true;
}

/* ---- square root ---------------------------------------------------------------- */

/* The integer square root of the 128-bit n = nh:nl: *root (64 bits) and
 * whether n - root^2 exceeds root (the exact root's fraction is above one
 * half) or is nonzero. */
static uint64_t isqrt128(uint64_t nh, uint64_t nl, bool *above_half, bool *rest) {
  uint64_t root = 0, rh = 0, rl = 0; /* remainder: up to 66 bits */
  for (int i = 63; i >= 0; i--) {
    unsigned pair = i >= 32 ? (unsigned)(nh >> (2 * (i - 32))) & 3u : (unsigned)(nl >> (2 * i)) & 3u;
    rh = (rh << 2) | (rl >> 62);
    rl = (rl << 2) | pair;
    /* trial = 4 * root + 1, up to 66 bits */
    uint64_t th = root >> 62, tl = (root << 2) | 1u;
    if (rh > th || (rh == th && rl >= tl)) {
      uint64_t borrow = rl < tl;
      rl -= tl;
      rh = rh - th - borrow;
      root = (root << 1) | 1u;
    } else {
      root <<= 1;
    }
  }
  *above_half = rh || rl > root;
  *rest = rh || rl;
  return root;
}

bool fpu_sqrt(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *out) {
  int k = fpu_operands1(st, a, out);
  if (k != FPU_GO_ON)
    return k == FPU_DONE;
  enum fpu_class ka = fpu_classify(a);
  if (ka == FPU_C_ZERO) {
    *out = a;
    st->c1 = false;
    return true;
  }
  if (fpu_sign(a))
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  if (ka == FPU_C_INF) {
    *out = a;
    return true;
  }
  if (!fpu_denormal2(st, a, a)) /* a positive denormal: the only denormal left here */
    return false;
  struct fpu_unpacked u = fpu_unpack(a);
  int32_t e = u.exp - 63; /* value = sig * 2^e */
  uint64_t nh, nl;
  int32_t f;
  if ((e & 1) == 0) {
    nh = u.sig, nl = 0, f = e - 64;
  } else {
    nh = u.sig >> 1, nl = u.sig << 63, f = e - 63;
  }
  bool half, rest;
  uint64_t r = isqrt128(nh, nl, &half, &rest);
  *out = fpu_round_reg(st, false, 63 + f / 2, r, half ? FPU_J : 0, rest);
  return true;
}

/* ---- round to integer, scale, extract ------------------------------------------------- */

bool fpu_rndint(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *out) {
  int k = fpu_operands1(st, a, out);
  if (k != FPU_GO_ON)
    return k == FPU_DONE;
  enum fpu_class ka = fpu_classify(a);
  st->c1 = false;
  if (ka == FPU_C_ZERO || ka == FPU_C_INF) {
    *out = a;
    return true;
  }
  if (!fpu_denormal2(st, a, a))
    return false;
  struct fpu_unpacked u = fpu_unpack(a);
  if (u.exp >= 63) {
    *out = fpu_make(u.sign, (unsigned)(u.exp + FPU_BIAS), u.sig);
    return true;
  }
  /* The integer part has u.exp + 1 bits (none if u.exp < 0). */
  uint64_t ip, frac_hi;
  bool frac_rest;
  if (u.exp >= 0) {
    unsigned fb = 63 - (unsigned)u.exp; /* fraction bits */
    ip = u.sig >> fb;
    frac_hi = u.sig << (64 - fb); /* fraction aligned to bit 63 */
    frac_rest = false;
  } else if (u.exp == -1) {
    ip = 0;
    frac_hi = u.sig;
    frac_rest = false;
  } else {
    ip = 0;
    frac_hi = 0; /* below one half */
    frac_rest = true;
  }
  bool rnd = (frac_hi >> 63) != 0, rest = (frac_hi << 1) != 0 || frac_rest;
  bool inexact = rnd || rest, inc;
  switch (st->rc) {
  case FPU_RC_NEAREST: inc = rnd && (rest || (ip & 1u)); break;
  case FPU_RC_DOWN: inc = inexact && u.sign; break;
  case FPU_RC_UP: inc = inexact && !u.sign; break;
  default: inc = false; break;
  }
  ip += inc;
  if (inexact)
    st->flags |= FPU_PE;
  st->c1 = inc;
  if (ip == 0) {
    *out = fpu_zero(u.sign);
    return true;
  }
  unsigned s = fpu_clz64(ip);
  *out = fpu_make(u.sign, (unsigned)(63 - (int)s + FPU_BIAS), ip << s);
  return true;
}

bool fpu_scale(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out) {
  int k = fpu_operands2(st, a, b, out);
  if (k != FPU_GO_ON)
    return k == FPU_DONE;
  enum fpu_class ka = fpu_classify(a), kb = fpu_classify(b);
  st->c1 = false;
  if (kb == FPU_C_INF && (fpu_sign(b) ? ka == FPU_C_INF : ka == FPU_C_ZERO)) /* inf * 2^-inf, 0 * 2^inf */
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  if (!fpu_denormal2(st, a, b))
    return false;
  if (kb == FPU_C_INF) {
    *out = fpu_sign(b) ? fpu_zero(fpu_sign(a)) : fpu_inf(fpu_sign(a));
    return true;
  }
  if (ka == FPU_C_ZERO || ka == FPU_C_INF) {
    *out = a;
    return true;
  }
  /* n = trunc(b), clamped far beyond any exponent that can come back */
  int32_t n = 0;
  if (kb != FPU_C_ZERO) {
    struct fpu_unpacked ub = fpu_unpack(b);
    if (ub.exp >= 30)
      n = 1 << 30;
    else if (ub.exp >= 0)
      n = (int32_t)(ub.sig >> (63 - ub.exp));
    if (ub.sign)
      n = -n;
  }
  struct fpu_unpacked ua = fpu_unpack(a);
  struct fpu_format f = fpu_fmt_f80;
  struct fpu_rounded r;
  int64_t e = (int64_t)ua.exp + n;
  if (e > 0x10000)
    e = 0x10000;
  if (e < -0x10000)
    e = -0x10000;
  fpu_round(st, &f, ua.sign, (int32_t)e, ua.sig, 0, false, &r);
  *out = fpu_pack(&r);
  return true;
}

bool fpu_xtract(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *exp_out, struct fpu_reg *sig_out) {
  enum fpu_class ka = fpu_classify(a);
  if (ka == FPU_C_UNSUPPORTED || ka == FPU_C_QNAN || ka == FPU_C_SNAN) {
    struct fpu_reg r = ka == FPU_C_UNSUPPORTED ? fpu_indefinite : fpu_quiet(a);
    unsigned f = ka == FPU_C_QNAN ? 0 : FPU_IE;
    if (!fpu_raise_pre(st, f))
      return false;
    *exp_out = *sig_out = r;
    return true;
  }
  if (ka == FPU_C_ZERO) { /* the exponent of zero is -infinity: a zero divide */
    if (!fpu_raise_pre(st, FPU_ZE))
      return false;
    *exp_out = fpu_inf(true);
    *sig_out = a;
    return true;
  }
  if (ka == FPU_C_INF) {
    *exp_out = fpu_inf(false);
    *sig_out = a;
    return true;
  }
  if (ka == FPU_C_DENORMAL && !fpu_raise_pre(st, FPU_DE))
    return false;
  struct fpu_unpacked u = fpu_unpack(a);
  *exp_out = fpu_from_int(u.exp);
  *sig_out = fpu_make(u.sign, FPU_BIAS, u.sig);
  return true;
}

/* ---- partial remainder ------------------------------------------------------------ */

/* |a| below |b| by an exponent or more (FPREM1: two): the remainder is a. */
static bool d_small(struct fpu_unpacked ua, struct fpu_unpacked ub, bool ieee) {
  int32_t d = ua.exp - ub.exp;
  return d < -1 || (d == -1 && !ieee);
}

bool fpu_rem(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, bool ieee, struct fpu_reg *out, unsigned *q,
             bool *partial) {
  *q = 0;
  *partial = false;
  int k = fpu_operands2(st, a, b, out);
  if (k != FPU_GO_ON)
    return k == FPU_DONE;
  enum fpu_class ka = fpu_classify(a), kb = fpu_classify(b);
  if (ka == FPU_C_INF || kb == FPU_C_ZERO)
    return fpu_result(st, FPU_IE, fpu_indefinite, out);
  if (!fpu_denormal2(st, a, b))
    return false;
  st->c1 = false;
  struct fpu_unpacked ua = fpu_unpack(a), ub = fpu_unpack(b);
  struct fpu_format f = fpu_fmt_f80;
  struct fpu_rounded r;
  if (ka == FPU_C_ZERO) {
    *out = a;
    return true;
  }
  if (kb == FPU_C_INF || d_small(ua, ub, ieee)) {
    /* a itself, through the rounding at 64 bits (the precision control
     * does not apply): a pseudo-denormal comes out normalized, a denormal
     * as it is, or wrapped when UE is unmasked, as the host x87 does */
    fpu_round(st, &f, ua.sign, ua.exp, ua.sig, 0, false, &r);
    *out = fpu_pack(&r);
    return true;
  }
  int32_t d = ua.exp - ub.exp;
  if (d >= 64) {
    /* Partial: reduce by b * 2^(d - n) with n quotient bits, n in 32..63
     * (SDM: "an implementation-dependent number between 32 and 63"). */
    unsigned n = ((unsigned)d & 31u) | 32u;
    uint64_t rem = ua.sig, rh = 0;
    for (unsigned i = 0; i <= n; i++) {
      if (rh || rem >= ub.sig)
        rem -= ub.sig;
      if (i < n) {
        rh = rem >> 63;
        rem <<= 1;
      }
    }
    *partial = true;
    if (rem == 0) {
      *out = fpu_zero(ua.sign);
      return true;
    }
    fpu_round_norm(st, &f, ua.sign, ua.exp - (int32_t)n + 64, 0, rem, false, &r);
    *out = fpu_pack(&r);
    return true;
  }
  /* Exact: the quotient's integer part quo (up to 64 bits) and the
   * remainder rem * 2^(rexp - 63). */
  uint64_t rem = ua.sig, quo = 0;
  int32_t rexp = ub.exp;
  bool sign = ua.sign;
  if (d == -1) { /* FPREM1 with |b| / 2 <= |a| < |b| possible: quotient 0 or 1 */
    rexp = ua.exp;
    if (ua.sig > ub.sig) { /* |a| > |b| / 2: |b| - |a| = (2B - A) at a's weight */
      rem = ub.sig - (ua.sig - ub.sig);
      quo = 1;
      sign = !sign;
    }
  } else {
    uint64_t rh = 0;
    for (int32_t i = 0; i <= d; i++) {
      bool bit = rh || rem >= ub.sig;
      if (bit)
        rem -= ub.sig;
      quo = (quo << 1) | (uint64_t)bit;
      if (i < d) {
        rh = rem >> 63;
        rem <<= 1;
      }
    }
    if (ieee) { /* the quotient to nearest, even on a tie: 2 rem against b */
      bool gt = (rem >> 63) || (rem << 1) > ub.sig, eq = !(rem >> 63) && (rem << 1) == ub.sig;
      if (gt || (eq && (quo & 1u))) {
        quo++;
        sign = !sign;
        rem = ub.sig - rem;
      }
    }
  }
  *q = (unsigned)(quo & 7u);
  if (rem == 0) {
    *out = fpu_zero(ua.sign);
    return true;
  }
  fpu_round_norm(st, &f, sign, rexp + 64, 0, rem, false, &r);
  *out = fpu_pack(&r);
  return true;
}

/* ---- compare ---------------------------------------------------------------------- */

bool fpu_compare(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, bool quiet, enum fpu_cmp *out) {
  enum fpu_class ka = fpu_classify(a), kb = fpu_classify(b);
  if (ka == FPU_C_UNSUPPORTED || kb == FPU_C_UNSUPPORTED) {
    *out = FPU_CMP_UNORDERED;
    return fpu_raise_pre(st, FPU_IE);
  }
  bool an = ka == FPU_C_QNAN || ka == FPU_C_SNAN, bn = kb == FPU_C_QNAN || kb == FPU_C_SNAN;
  if (an || bn) {
    *out = FPU_CMP_UNORDERED;
    bool invalid = !quiet || ka == FPU_C_SNAN || kb == FPU_C_SNAN;
    return fpu_raise_pre(st, invalid ? FPU_IE : 0);
  }
  /* An unmasked DE still gives the comparison's result (the host x87
   * sets the condition codes then): *out is set either way. */
  bool go = fpu_denormal2(st, a, b);
  if (ka == FPU_C_ZERO && kb == FPU_C_ZERO) {
    *out = FPU_CMP_EQ;
    return go;
  }
  bool sa = fpu_sign(a), sb = fpu_sign(b);
  if (ka == FPU_C_ZERO)
    sa = !sb; /* 0 against a nonzero b: b's sign decides */
  if (kb == FPU_C_ZERO)
    sb = !sa;
  if (sa != sb) {
    *out = sa ? FPU_CMP_LT : FPU_CMP_GT;
    return go;
  }
  /* same sign, both nonzero: compare magnitudes (infinity is largest) */
  struct fpu_unpacked ua = fpu_unpack(a), ub = fpu_unpack(b);
  if (ka == FPU_C_INF)
    ua.exp = 1 << 20;
  if (kb == FPU_C_INF)
    ub.exp = 1 << 20;
  int c = ua.exp != ub.exp ? (ua.exp > ub.exp ? 1 : -1) : ua.sig != ub.sig ? (ua.sig > ub.sig ? 1 : -1) : 0;
  if (sa)
    c = -c;
  *out = c > 0 ? FPU_CMP_GT : c < 0 ? FPU_CMP_LT : FPU_CMP_EQ;
  return go;
}
