/* cpu/fpu/convert.c - the memory formats: single and double precision,
 * 16/32/64-bit integers and 18-digit packed BCD, in and out.
 *
 * Loads (SDM vol. 2, FLD, FILD, FBLD): a single or double converts
 * exactly; its SNaN is an invalid operation (the masked result is the NaN
 * quieted, payload kept in the high bits) and its denormal a denormal
 * operand (DE), loaded normalized, even with DE unmasked (the host x87
 * loads it then too). Integers and BCD convert exactly.
 *
 * Stores (FST, FIST, FBSTP): a single or double rounds to the format's own
 * precision and exponent range (the precision control does not apply); an
 * unmasked overflow or underflow stores nothing. An integer or BCD rounds
 * by the rounding control; a NaN, an infinity or a value out of range is
 * invalid, and the masked response stores the format's indefinite (the
 * most negative integer; for BCD FFFF C000 0000 0000 0000). Unsupported
 * formats are invalid everywhere.
 */
#include "fpu.h"

/* ---- loads ---------------------------------------------------------------------- */

/* A single or double: frac (with fbits fraction bits), biased exponent e of
 * ebits bits. */
static bool from_ieee(struct fpu_status *st, bool sign, uint32_t e, uint64_t frac, unsigned fbits, unsigned ebits,
                      struct fpu_reg *out) {
  uint32_t emaxb = (1u << ebits) - 1, bias = emaxb >> 1;
  uint64_t sig = frac << (63 - fbits);
  if (e == emaxb) {
    if (frac == 0) {
      *out = fpu_inf(sign);
      return true;
    }
    struct fpu_reg n = fpu_make(sign, FPU_EXP_MAX, FPU_J | sig);
    if (!(n.sig & FPU_QBIT))
      return fpu_result(st, FPU_IE, fpu_quiet(n), out);
    *out = n;
    return true;
  }
  if (e == 0) {
    if (frac == 0) {
      *out = fpu_zero(sign);
      return true;
    }
    st->flags |= FPU_DE; /* loaded even when DE is unmasked, as the host x87 does */
    unsigned s = fpu_clz64(sig);
    *out = fpu_make(sign, (unsigned)(1 - (int32_t)bias - (int32_t)s + FPU_BIAS), sig << s);
    return true;
  }
  *out = fpu_make(sign, e - bias + FPU_BIAS, FPU_J | sig);
  return true;
}

bool fpu_from_f32(struct fpu_status *st, uint32_t v, struct fpu_reg *out) {
  return from_ieee(st, v >> 31, (v >> 23) & 0xFFu, v & 0x7FFFFFu, 23, 8, out);
}

bool fpu_from_f64(struct fpu_status *st, uint64_t v, struct fpu_reg *out) {
  return from_ieee(st, v >> 63, (uint32_t)(v >> 52) & 0x7FFu, v & ((1ull << 52) - 1), 52, 11, out);
}

/* Exact extension of a single (fbits 23, ebits 8) or double. */
static struct fpu_reg extend(bool sign, uint32_t e, uint64_t frac, unsigned fbits, unsigned ebits, bool *denormal) {
  uint32_t emaxb = (1u << ebits) - 1, bias = emaxb >> 1;
  uint64_t sig = frac << (63 - fbits);
  *denormal = false;
  if (e == emaxb)
    return fpu_make(sign, FPU_EXP_MAX, FPU_J | sig);
  if (e == 0) {
    if (frac == 0)
      return fpu_zero(sign);
    *denormal = true;
    unsigned s = fpu_clz64(sig);
    return fpu_make(sign, (unsigned)(1 - (int32_t)bias - (int32_t)s + FPU_BIAS), sig << s);
  }
  return fpu_make(sign, e - bias + FPU_BIAS, FPU_J | sig);
}

struct fpu_reg fpu_extend_f32(uint32_t v, bool *denormal) {
  return extend(v >> 31, (v >> 23) & 0xFFu, v & 0x7FFFFFu, 23, 8, denormal);
}

struct fpu_reg fpu_extend_f64(uint64_t v, bool *denormal) {
  return extend(v >> 63, (uint32_t)(v >> 52) & 0x7FFu, v & ((1ull << 52) - 1), 52, 11, denormal);
}

struct fpu_reg fpu_from_int(int64_t v) {
  if (v == 0)
    return fpu_zero(false);
  bool sign = v < 0;
  uint64_t m = sign ? 0 - (uint64_t)v : (uint64_t)v;
  unsigned s = fpu_clz64(m);
  return fpu_make(sign, (unsigned)(63 - (int)s + FPU_BIAS), m << s);
}

struct fpu_reg fpu_from_bcd(const uint8_t bcd[10]) {
  uint64_t m = 0;
  for (int k = 8; k >= 0; k--)
    m = m * 100 + (uint64_t)(bcd[k] >> 4) * 10 + (bcd[k] & 0xFu);
  bool sign = (bcd[9] & 0x80u) != 0;
  if (m == 0)
    return fpu_zero(sign);
  unsigned s = fpu_clz64(m);
  return fpu_make(sign, (unsigned)(63 - (int)s + FPU_BIAS), m << s);
}

/* ---- stores ---------------------------------------------------------------------- */

/* a to a single (fbits 23, ebits 8) or double: the bit pattern in *out. */
static bool to_ieee(struct fpu_status *st, struct fpu_reg a, const struct fpu_format *fmt, unsigned fbits,
                    unsigned ebits, uint64_t *out) {
  enum fpu_class k = fpu_classify(a);
  uint64_t sign = (uint64_t)fpu_sign(a) << (fbits + ebits);
  uint64_t inf = ((1ull << ebits) - 1) << fbits;
  uint64_t qbit = 1ull << (fbits - 1);
  switch (k) {
  case FPU_C_UNSUPPORTED:
    if (!fpu_raise_pre(st, FPU_IE))
      return false;
    *out = (1ull << (fbits + ebits)) | inf | qbit; /* the indefinite */
    return true;
  case FPU_C_SNAN:
  case FPU_C_QNAN:
    if (!fpu_raise_pre(st, k == FPU_C_SNAN ? FPU_IE : 0))
      return false;
    *out = sign | inf | qbit | ((a.sig << 1) >> (64 - fbits));
    return true;
  case FPU_C_INF:
    *out = sign | inf;
    return true;
  case FPU_C_ZERO:
    *out = sign;
    return true;
  default:
    break;
  }
  struct fpu_unpacked u = fpu_unpack(a);
  struct fpu_rounded r;
  if (!fpu_round(st, fmt, u.sign, u.exp, u.sig, 0, false, &r))
    return false;
  uint64_t frac = (r.sig >> (63 - fbits)) & ((1ull << fbits) - 1);
  switch (r.cls) {
  case FPU_C_ZERO: *out = sign; break;
  case FPU_C_INF: *out = sign | inf; break;
  case FPU_C_DENORMAL: *out = sign | frac; break;
  default: *out = sign | ((uint64_t)(r.exp + (int32_t)((1u << (ebits - 1)) - 1)) << fbits) | frac; break;
  }
  return true;
}

bool fpu_to_f32(struct fpu_status *st, struct fpu_reg a, uint32_t *out) {
  uint64_t v;
  if (!to_ieee(st, a, &fpu_fmt_f32, 23, 8, &v))
    return false;
  *out = (uint32_t)v;
  return true;
}

bool fpu_to_f64(struct fpu_status *st, struct fpu_reg a, uint64_t *out) {
  return to_ieee(st, a, &fpu_fmt_f64, 52, 11, out);
}

/* a rounded to an integer magnitude by the rounding control: false if it
 * does not fit 64 bits. Sets PE and C1. */
static bool to_magnitude(struct fpu_status *st, struct fpu_reg a, uint64_t *m) {
  struct fpu_unpacked u = fpu_unpack(a);
  if (fpu_classify(a) == FPU_C_ZERO) {
    *m = 0;
    st->c1 = false;
    return true;
  }
  if (u.exp >= 64)
    return false;
  uint64_t ip;
  bool rnd, rest;
  if (u.exp == 63) {
    ip = u.sig, rnd = false, rest = false;
  } else if (u.exp >= 0) {
    unsigned fb = 63 - (unsigned)u.exp;
    ip = u.sig >> fb;
    uint64_t fr = u.sig << (64 - fb);
    rnd = fr >> 63;
    rest = (fr << 1) != 0;
  } else {
    ip = 0;
    rnd = u.exp == -1;
    rest = u.exp < -1 || (u.sig << 1) != 0;
  }
  bool inexact = rnd || rest, inc;
  switch (st->rc) {
  case FPU_RC_NEAREST: inc = rnd && (rest || (ip & 1u)); break;
  case FPU_RC_DOWN: inc = inexact && u.sign; break;
  case FPU_RC_UP: inc = inexact && !u.sign; break;
  default: inc = false; break;
  }
  if (inc && ip == ~0ull)
    return false;
  *m = ip + inc;
  if (inexact)
    st->flags |= FPU_PE;
  st->c1 = inc;
  return true;
}

bool fpu_to_int(struct fpu_status *st, struct fpu_reg a, unsigned bits, int64_t *out) {
  enum fpu_class k = fpu_classify(a);
  int64_t indefinite = bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
  uint64_t m;
  struct fpu_status trial = *st;
  bool ok = k != FPU_C_UNSUPPORTED && k != FPU_C_QNAN && k != FPU_C_SNAN && k != FPU_C_INF &&
            to_magnitude(&trial, a, &m);
  if (ok) {
    uint64_t limit = (1ull << (bits - 1)) - (fpu_sign(a) ? 0 : 1);
    ok = m <= limit;
  }
  if (!ok) {
    if (!fpu_raise_pre(st, FPU_IE))
      return false;
    *out = indefinite;
    return true;
  }
  *st = trial;
  *out = fpu_sign(a) ? (int64_t)(0 - m) : (int64_t)m;
  return true;
}

bool fpu_to_bcd(struct fpu_status *st, struct fpu_reg a, uint8_t out[10]) {
  enum fpu_class k = fpu_classify(a);
  uint64_t m;
  struct fpu_status trial = *st;
  bool ok = k != FPU_C_UNSUPPORTED && k != FPU_C_QNAN && k != FPU_C_SNAN && k != FPU_C_INF &&
            to_magnitude(&trial, a, &m) && m <= 999999999999999999ull;
  if (!ok) {
    if (!fpu_raise_pre(st, FPU_IE))
      return false;
    static const uint8_t indefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
    for (int i = 0; i < 10; i++)
      out[i] = indefinite[i];
    return true;
  }
  *st = trial;
  for (int i = 0; i < 9; i++) {
    unsigned lo = (unsigned)(m % 10);
    m /= 10;
    unsigned hi = (unsigned)(m % 10);
    m /= 10;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  out[9] = fpu_sign(a) ? 0x80 : 0;
  return true;
}
