/* cpu/fpu/mp.c - 256-bit multiple-precision arithmetic (mp.h) and the
 * constants the transcendental functions need, from these series (their
 * values are tabled below; mp_const_series computes them again):
 *   pi        = 16 atan(1/5) - 4 atan(1/239)        (Machin)
 *   ln 2      = 2 atanh(1/3)
 *   ln 10     = 3 ln 2 + 2 atanh(1/9)               (ln 1.25 = 2 atanh(1/9))
 *   log2 e    = 1 / ln 2,  log2 10 = ln 10 / ln 2,  log10 2 = ln 2 / ln 10
 * tests/cpu/test_fpu.c checks the table against the series and their
 * leading bits against published expansions.
 */
#include "mp.h"

#define W MP_WORDS

/* ---- 256-bit words ---------------------------------------------------------------- */

static bool w_zero(const uint64_t *a) { return !(a[0] | a[1] | a[2] | a[3]); }

static int w_cmp(const uint64_t *a, const uint64_t *b, unsigned n) {
  for (int k = (int)n - 1; k >= 0; k--)
    if (a[k] != b[k])
      return a[k] > b[k] ? 1 : -1;
  return 0;
}

static uint64_t w_add(uint64_t *r, const uint64_t *a, const uint64_t *b, unsigned n) {
  uint64_t carry = 0;
  for (unsigned k = 0; k < n; k++) {
    uint64_t s = a[k] + carry;
    uint64_t c1 = s < carry;
    r[k] = s + b[k];
    carry = c1 | (r[k] < s);
  }
  return carry;
}

static uint64_t w_sub(uint64_t *r, const uint64_t *a, const uint64_t *b, unsigned n) {
  uint64_t borrow = 0;
  for (unsigned k = 0; k < n; k++) {
    uint64_t d = a[k] - b[k];
    uint64_t b1 = a[k] < b[k];
    r[k] = d - borrow;
    borrow = b1 | (d < borrow);
  }
  return borrow;
}

/* r = a >> s (n words), s < 64 * n. */
static void w_shr(uint64_t *r, const uint64_t *a, unsigned s, unsigned n) {
  unsigned q = s / 64, b = s % 64;
  for (unsigned k = 0; k < n; k++) {
    uint64_t lo = k + q < n ? a[k + q] : 0, hi = k + q + 1 < n ? a[k + q + 1] : 0;
    r[k] = b ? (lo >> b) | (hi << (64 - b)) : lo;
  }
}

/* r = a << s (n words), s < 64 * n. */
static void w_shl(uint64_t *r, const uint64_t *a, unsigned s, unsigned n) {
  unsigned q = s / 64, b = s % 64;
  for (int k = (int)n - 1; k >= 0; k--) {
    uint64_t hi = k >= (int)q ? a[k - (int)q] : 0, lo = k >= (int)q + 1 ? a[k - (int)q - 1] : 0;
    r[k] = b ? (hi << b) | (lo >> (64 - b)) : hi;
  }
}

/* Leading zero bits of n words (n * 64 if zero). */
static unsigned w_clz(const uint64_t *a, unsigned n) {
  for (int k = (int)n - 1; k >= 0; k--)
    if (a[k])
      return (unsigned)(n - 1 - (unsigned)k) * 64 + fpu_clz64(a[k]);
  return n * 64;
}

/* ---- numbers ----------------------------------------------------------------------- */

bool mp_is_zero(const struct mp *a) { return w_zero(a->w); }

struct mp mp_zero(void) { return (struct mp){false, 0, {0, 0, 0, 0}}; }

/* Normalizes the words of a (exp is the weight of bit 255 as given). */
static struct mp norm(struct mp a) {
  unsigned s = w_clz(a.w, W);
  if (s == 256)
    return mp_zero();
  if (s) {
    w_shl(a.w, a.w, s, W);
    a.exp -= (int32_t)s;
  }
  return a;
}

struct mp mp_from_u64(bool neg, uint64_t v, int32_t e) {
  struct mp a = {neg, e + 63, {0, 0, 0, v}};
  return norm(a);
}

struct mp mp_from_unpacked(struct fpu_unpacked u) { return mp_from_u64(u.sign, u.sig, u.exp - 63); }

struct mp mp_neg(struct mp a) {
  a.neg = !a.neg;
  return a;
}

struct mp mp_abs(struct mp a) {
  a.neg = false;
  return a;
}

struct mp mp_ldexp(struct mp a, int32_t n) {
  if (!mp_is_zero(&a))
    a.exp += n;
  return a;
}

int mp_cmp_abs(const struct mp *a, const struct mp *b) {
  bool za = mp_is_zero(a), zb = mp_is_zero(b);
  if (za || zb)
    return za && zb ? 0 : za ? -1 : 1;
  if (a->exp != b->exp)
    return a->exp > b->exp ? 1 : -1;
  return w_cmp(a->w, b->w, W);
}

struct mp mp_add(struct mp a, struct mp b) {
  if (mp_is_zero(&a))
    return b;
  if (mp_is_zero(&b))
    return a;
  if (mp_cmp_abs(&a, &b) < 0) {
    struct mp t = a;
    a = b;
    b = t;
  }
  uint32_t d = (uint32_t)(a.exp - b.exp);
  if (d >= 256)
    return a;
  uint64_t bw[W];
  w_shr(bw, b.w, d, W);
  struct mp r = a;
  if (a.neg == b.neg) {
    if (w_add(r.w, a.w, bw, W)) {
      w_shr(r.w, r.w, 1, W);
      r.w[W - 1] |= 1ull << 63;
      r.exp++;
    }
    return r;
  }
  w_sub(r.w, a.w, bw, W);
  return norm(r);
}

struct mp mp_sub(struct mp a, struct mp b) { return mp_add(a, mp_neg(b)); }

struct mp mp_mul(struct mp a, struct mp b) {
  if (mp_is_zero(&a) || mp_is_zero(&b))
    return mp_zero();
  uint64_t p[2 * W] = {0};
  for (unsigned i = 0; i < W; i++) {
    uint64_t carry = 0;
    for (unsigned j = 0; j < W; j++) {
      uint64_t hi, lo;
      fpu_mul64(a.w[i], b.w[j], &hi, &lo);
      lo += carry;
      hi += lo < carry;
      uint64_t s = p[i + j] + lo;
      hi += s < lo;
      p[i + j] = s;
      carry = hi;
    }
    p[i + W] = carry;
  }
  struct mp r = {a.neg != b.neg, a.exp + b.exp + 1, {p[4], p[5], p[6], p[7]}};
  if (!(p[7] >> 63)) {
    w_shl(p, p, 1, 2 * W);
    r.w[0] = p[4], r.w[1] = p[5], r.w[2] = p[6], r.w[3] = p[7];
    r.exp--;
  }
  return r;
}

/* a / b with 256 quotient bits; *exact whether the remainder is zero. */
static struct mp divide(struct mp a, struct mp b, bool *exact) {
  if (mp_is_zero(&a)) {
    *exact = true;
    return mp_zero();
  }
  uint64_t rem[W + 1] = {a.w[0], a.w[1], a.w[2], a.w[3], 0}, bw[W + 1] = {b.w[0], b.w[1], b.w[2], b.w[3], 0};
  int32_t e = a.exp - b.exp;
  if (w_cmp(a.w, b.w, W) < 0) {
    w_shl(rem, rem, 1, W + 1);
    e--;
  }
  uint64_t q[W] = {0};
  for (int i = 255; i >= 0; i--) {
    if (w_cmp(rem, bw, W + 1) >= 0) {
      w_sub(rem, rem, bw, W + 1);
      q[i / 64] |= 1ull << (i % 64);
    }
    w_shl(rem, rem, 1, W + 1);
  }
  *exact = w_zero(rem) && rem[W] == 0;
  return (struct mp){a.neg != b.neg, e, {q[0], q[1], q[2], q[3]}};
}

struct mp mp_div(struct mp a, struct mp b) {
  bool exact;
  return divide(a, b, &exact);
}

struct mp mp_div_exact(struct mp a, struct mp b, bool *exact) { return divide(a, b, exact); }

struct mp mp_div_u32(struct mp a, uint32_t d) {
  if (mp_is_zero(&a))
    return a;
  /* (W * 2^64) / d digit by digit (32-bit digits, ten of them). */
  uint32_t dig[10];
  for (unsigned k = 0; k < 4; k++) {
    dig[2 * k + 2] = (uint32_t)a.w[k];
    dig[2 * k + 3] = (uint32_t)(a.w[k] >> 32);
  }
  dig[0] = dig[1] = 0;
  uint64_t rem = 0;
  uint32_t qd[10];
  for (int k = 9; k >= 0; k--) {
    uint64_t cur = (rem << 32) | dig[k];
    qd[k] = (uint32_t)(cur / d);
    rem = cur % d;
  }
  uint64_t q[W + 1];
  for (unsigned k = 0; k < 5; k++)
    q[k] = (uint64_t)qd[2 * k] | (uint64_t)qd[2 * k + 1] << 32;
  unsigned s = w_clz(q, W + 1); /* leading bit at 319 - s */
  w_shl(q, q, s, W + 1);
  return (struct mp){a.neg, a.exp - (int32_t)s, {q[1], q[2], q[3], q[4]}};
}

struct mp mp_mul_u32(struct mp a, uint32_t m) {
  if (mp_is_zero(&a) || m == 0)
    return mp_zero();
  uint64_t r[W + 1], carry = 0;
  for (unsigned k = 0; k < W; k++) {
    uint64_t hi, lo;
    fpu_mul64(a.w[k], m, &hi, &lo);
    lo += carry;
    hi += lo < carry;
    r[k] = lo;
    carry = hi;
  }
  r[W] = carry;
  unsigned s = w_clz(r, W + 1); /* leading bit at 319 - s */
  w_shl(r, r, s, W + 1);
  return (struct mp){a.neg, a.exp + 64 - (int32_t)s, {r[1], r[2], r[3], r[4]}};
}

static uint64_t isqrt64(uint64_t v) {
  uint64_t root = 0, bit = 1ull << 62;
  while (bit > v)
    bit >>= 2;
  while (bit) {
    if (v >= root + bit) {
      v -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return root;
}

struct mp mp_sqrt(struct mp a) {
  if (mp_is_zero(&a))
    return a;
  /* a = t * 2^(exp - 63) with t the top word; a first guess from the top
   * 62 or 63 bits, then Newton: x = (x + a / x) / 2, doubling the bits. */
  int32_t e = a.exp - 63;
  uint64_t t = a.w[W - 1];
  if (e & 1) {
    t >>= 1;
    e++;
  }
  struct mp x = mp_from_u64(false, isqrt64(t) + 1, e / 2);
  for (int k = 0; k < 5; k++)
    x = mp_ldexp(mp_add(x, mp_div(a, x)), -1);
  return x;
}

int64_t mp_round_int(const struct mp *a) {
  if (mp_is_zero(a) || a->exp < -1)
    return 0;
  uint64_t v = 0, half = 1; /* exp -1: in [1/2, 1) */
  if (a->exp >= 0) {
    v = a->w[W - 1] >> (63 - a->exp);
    half = a->exp == 63 ? a->w[W - 2] >> 63 : (a->w[W - 1] >> (62 - a->exp)) & 1u;
  }
  v += half;
  return a->neg ? -(int64_t)v : (int64_t)v;
}

struct fpu_reg mp_round(struct fpu_status *st, const struct mp *a, bool exact) {
  if (mp_is_zero(a))
    return fpu_zero(a->neg);
  struct fpu_rounded r;
  bool sticky = !exact || a->w[1] || a->w[0];
  fpu_round(st, &fpu_fmt_f80, a->neg, a->exp, a->w[3], a->w[2], sticky, &r);
  return fpu_pack(&r);
}

/* ---- constants -------------------------------------------------------------------------- */

/* sum over k >= 0 of s^k / ((2k + 1) n^(2k + 1)), s = -1 (atan) or +1
 * (atanh) */
static struct mp series_inv(uint32_t n, bool alternate) {
  struct mp term = mp_div_u32(mp_from_u64(false, 1, 0), n); /* 1 / n^(2k+1) */
  struct mp sum = term;
  for (uint32_t k = 1; k < 1000; k++) {
    term = mp_div_u32(mp_div_u32(term, n), n);
    struct mp t = mp_div_u32(term, 2 * k + 1);
    if (mp_is_zero(&t) || t.exp < sum.exp - 270)
      break;
    sum = (alternate && (k & 1)) ? mp_sub(sum, t) : mp_add(sum, t);
  }
  return sum;
}

struct mp mp_const_series(enum mp_constant k) {
  struct mp pi = mp_sub(mp_ldexp(series_inv(5, true), 4), mp_ldexp(series_inv(239, true), 2));
  struct mp ln2 = mp_ldexp(series_inv(3, false), 1);
  struct mp ln10 = mp_add(mp_mul_u32(ln2, 3), mp_ldexp(series_inv(9, false), 1));
  switch (k) {
  case MP_PI: return pi;
  case MP_LN2: return ln2;
  case MP_LN10: return ln10;
  case MP_LOG2E: return mp_div(mp_from_u64(false, 1, 0), ln2);
  case MP_LOG2_10: return mp_div(ln10, ln2);
  case MP_LOG10_2: return mp_div(ln2, ln10);
  default: return mp_zero();
  }
}

/* The table mp_const serves: mp_const_series's values, written out once so
 * that nothing is computed (or shared between threads) at run time; pi's
 * and ln 2's last word set to the published expansions' (the series lose
 * their last few bits). tests/cpu/test_fpu.c checks the table against the
 * series and the expansions. */
static const struct mp constants[MP_N_CONSTANTS] = {
    [MP_PI] = {false, 1, {0x020BBEA63B139B22ull, 0x29024E088A67CC74ull, 0xC4C6628B80DC1CD1ull, 0xC90FDAA22168C234ull}},
    [MP_LN2] = {false, -1, {0x8A0D175B8BAAFA2Bull, 0x40F343267298B62Dull, 0xC9E3B39803F2F6AFull, 0xB17217F7D1CF79ABull}},
    [MP_LOG2E] = {false, 0, {0x8B25166CD1A13270ull, 0xEB577AA8DD695A58ull, 0xBE87FED0691D3E88ull, 0xB8AA3B295C17F0BBull}},
    [MP_LOG2_10] = {false, 1, {0x91B6AC8082E7859Eull, 0xD96C55FE37B3AD4Eull, 0x492BF6FF4DAFDB4Cull, 0xD49A784BCD1B8AFEull}},
    [MP_LOG10_2] = {false, -2, {0x8A5E6F26B7CC63CAull, 0x26AD30C543D1F349ull, 0x8F8959AC0B7C9178ull, 0x9A209A84FBCFF798ull}},
    [MP_LN10] = {false, 1, {0x83C61E8201F02D53ull, 0xE28FECF9DA5DF90Eull, 0xEA56D62B82D30A28ull, 0x935D8DDDAAA8AC16ull}},
};

const struct mp *mp_const(enum mp_constant k) { return &constants[k]; }
