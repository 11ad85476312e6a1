/* cpu/fpu/fpu.h - the x87's arithmetic, in integers.
 *
 * A soft-float of the P6's 80-bit double-extended format, written for the
 * emulated x87 (cpu/ops/x87*.c) and nothing else: every operation is
 * integer arithmetic on the 64-bit significand, so a result is the same on
 * every host, and no host floating point is used anywhere in this folder
 * (the build compiles it with -mgeneral-regs-only where the compiler has
 * it: a float here is a compile error).
 *
 * Values are register images (struct fpu_reg: the explicit-integer-bit
 * significand and the sign/exponent word), exactly as FSAVE stores them, so
 * the formats x87 software can build by hand survive untouched: denormals,
 * pseudo-denormals (exponent 0, integer bit set), unnormals (integer bit
 * clear with a nonzero exponent), pseudo-NaNs and pseudo-infinities (the
 * integer bit clear at exponent 7FFF). The last three are "unsupported"
 * since the 387: an arithmetic operation on one is an invalid operation.
 *
 * An operation takes a struct fpu_status: the control word's rounding
 * control, precision (24, 53 or 64 significand bits) and exception masks in,
 * the exception flags raised and the "rounded up" bit (C1) out. It applies
 * the masked responses itself and, where the SDM prescribes a result for an
 * unmasked numeric overflow or underflow (a register destination: the
 * exponent wrapped by 24576), produces that. Where an unmasked exception
 * suppresses the result (IE, DE, ZE: detected before computing; O/U to a
 * memory destination) the operation returns false and *out is not written;
 * the flags still tell why. SDM vol. 1, 4.9 and 8.5 give the rules; each
 * function below names the deviation-prone corners it handles.
 *
 * Rounding (round.c) follows the SDM: round to the precision first with an
 * unbounded exponent; "tiny" is decided on that rounded value (after
 * rounding); a masked underflow denormalizes at the destination's fixed
 * significand positions and flags UE only when the result is inexact.
 */
#ifndef RINGLAB_CPU_FPU_H
#define RINGLAB_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

/* An 80-bit register image: sig with its explicit integer bit (bit 63),
 * se = sign << 15 | biased exponent. */
struct fpu_reg {
  uint64_t sig;
  uint16_t se;
};

#define FPU_BIAS 16383
#define FPU_EXP_MAX 0x7FFF
#define FPU_SIGN 0x8000u
#define FPU_J (1ull << 63)   /* the explicit integer bit */
#define FPU_QBIT (1ull << 62) /* the quiet bit of a NaN */

/* Exception flags, as the status word's bits 0-5 (and the control word's
 * masks). */
#define FPU_IE 0x01u /* invalid operation */
#define FPU_DE 0x02u /* denormal operand */
#define FPU_ZE 0x04u /* zero divide */
#define FPU_OE 0x08u /* numeric overflow */
#define FPU_UE 0x10u /* numeric underflow */
#define FPU_PE 0x20u /* precision (inexact) */

/* Rounding control (CW bits 10-11). */
enum fpu_rc { FPU_RC_NEAREST, FPU_RC_DOWN, FPU_RC_UP, FPU_RC_ZERO };

struct fpu_status {
  unsigned rc;    /* in: enum fpu_rc */
  unsigned prec;  /* in: significand bits of register results: 24, 53 or 64 */
  unsigned masks; /* in: CW bits 0-5, a set bit masks that exception */
  unsigned flags; /* out: FPU_* raised (accumulated) */
  bool c1;        /* out: the last rounding increased the magnitude */
  bool denormal_in; /* in: an operand was a denormal in its memory format
                     * (single, double: exact, so normal once extended),
                     * which raises DE as a denormal register operand does */
};

/* The status of control word cw: its rounding and precision control (PC 1,
 * reserved, reads as 64 bits as on the P6) and masks. */
struct fpu_status fpu_status_of(uint16_t cw);

enum fpu_class {
  FPU_C_ZERO,
  FPU_C_NORMAL,
  FPU_C_DENORMAL,    /* exponent 0, significand nonzero (pseudo-denormals too) */
  FPU_C_INF,
  FPU_C_QNAN,
  FPU_C_SNAN,
  FPU_C_UNSUPPORTED, /* unnormal, pseudo-NaN, pseudo-infinity */
};
enum fpu_class fpu_classify(struct fpu_reg a);
static inline bool fpu_sign(struct fpu_reg a) { return (a.se & FPU_SIGN) != 0; }
static inline unsigned fpu_exp(struct fpu_reg a) { return a.se & FPU_EXP_MAX; }
static inline bool fpu_is_nan(struct fpu_reg a) {
  enum fpu_class k = fpu_classify(a);
  return k == FPU_C_QNAN || k == FPU_C_SNAN;
}
/* The tag the tag word gives a non-empty register: 0 valid, 1 zero, 2
 * special (NaN, infinity, denormal, unsupported). */
unsigned fpu_tag(struct fpu_reg a);

/* Constants. */
extern const struct fpu_reg fpu_indefinite; /* the real indefinite: FFFF C000000000000000 */
static inline struct fpu_reg fpu_make(bool sign, unsigned biased_exp, uint64_t sig) {
  return (struct fpu_reg){sig, (uint16_t)((sign ? FPU_SIGN : 0) | (biased_exp & FPU_EXP_MAX))};
}
static inline struct fpu_reg fpu_zero(bool sign) { return fpu_make(sign, 0, 0); }
static inline struct fpu_reg fpu_inf(bool sign) { return fpu_make(sign, FPU_EXP_MAX, FPU_J); }

/* ---- rounding (round.c) ------------------------------------------------------- */

/* A destination format: significand bits, exponent range (unbiased
 * exponents of the leading bit of normal numbers), the exponent adjust of
 * an unmasked overflow/underflow result, whether it is memory (an unmasked
 * overflow or underflow stores nothing). */
struct fpu_format {
  unsigned prec;
  int32_t emin, emax;
  int32_t wrap;
  bool memory;
};
extern const struct fpu_format fpu_fmt_f32, fpu_fmt_f64, fpu_fmt_f80;
/* A register destination at status st's precision. */
struct fpu_format fpu_fmt_reg(const struct fpu_status *st);

/* A rounded value: class ZERO, NORMAL, DENORMAL or INF; for the finite
 * nonzero ones value = sig * 2^(exp - 63) with sig's bit 63 set (NORMAL)
 * or exp = fmt.emin (DENORMAL). */
struct fpu_rounded {
  enum fpu_class cls;
  bool sign;
  int32_t exp;
  uint64_t sig;
};

/* Rounds the exact value (-1)^sign * (hi:lo) * 2^(exp - 127), hi's bit 63
 * set, plus a nonzero amount smaller than lo's last bit if sticky, to fmt
 * under st: flags OE UE PE, C1, the masked responses and the unmasked
 * register result. False: an unmasked overflow or underflow to memory,
 * nothing to store (OE or UE flagged). */
bool fpu_round(struct fpu_status *st, const struct fpu_format *fmt, bool sign, int32_t exp, uint64_t hi,
               uint64_t lo, bool sticky, struct fpu_rounded *out);
/* The same, normalizing first (hi:lo may have leading zeros; all zero is
 * an exact zero of that sign, which the caller should have handled). */
bool fpu_round_norm(struct fpu_status *st, const struct fpu_format *fmt, bool sign, int32_t exp, uint64_t hi,
                    uint64_t lo, bool sticky, struct fpu_rounded *out);
/* A rounded value as a register image. */
struct fpu_reg fpu_pack(const struct fpu_rounded *r);
/* Rounds to a register destination and packs: false as fpu_round (never
 * for a register). */
struct fpu_reg fpu_round_reg(struct fpu_status *st, bool sign, int32_t exp, uint64_t hi, uint64_t lo,
                             bool sticky);

/* An operand unpacked: value = sig * 2^(exp - 63), sig normalized (bit 63
 * set) for every finite nonzero value, denormals and pseudo-denormals
 * included (a pseudo-denormal has the exponent of biased 1). */
struct fpu_unpacked {
  bool sign;
  int32_t exp;
  uint64_t sig;
};
struct fpu_unpacked fpu_unpack(struct fpu_reg a);

/* Raises flags f into st; true if none of them is an unmasked IE, DE or
 * ZE, that is if the operation goes on to a result. */
bool fpu_raise_pre(struct fpu_status *st, unsigned f);

/* NaN results (SDM vol. 1, Table 4-7): a QNaN from an SNaN (IE), the one
 * of two NaN operands (a QNaN before an SNaN; of two of a kind, the larger
 * significand, then the positive one), the real indefinite. */
struct fpu_reg fpu_quiet(struct fpu_reg a);
struct fpu_reg fpu_nan_pick(struct fpu_reg a, struct fpu_reg b);

/* The operand checks every arithmetic instruction starts with: an
 * unsupported operand is invalid (IE, the indefinite); a NaN operand gives
 * the NaN result (IE if an SNaN). Returns FPU_GO_ON to compute, FPU_DONE
 * with *out the result, or FPU_STOP when an unmasked exception suppresses
 * the result. */
enum { FPU_STOP = -1, FPU_GO_ON = 0, FPU_DONE = 1 };
int fpu_operands2(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out);
int fpu_operands1(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *out);
/* DE for a denormal operand (a or b, or st->denormal_in), raised once an
 * operation has found no invalid operation, zero divide or special result
 * (the host x87 raises none for, say, a denormal divided by zero): true
 * unless DE is unmasked. */
bool fpu_denormal2(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b);
/* Finishes an operation whose result is r with flags f raised on the way
 * (an invalid operation's indefinite, a zero divide's infinity): true and
 * *out = r unless one of f is an unmasked IE, DE or ZE. */
bool fpu_result(struct fpu_status *st, unsigned f, struct fpu_reg r, struct fpu_reg *out);

/* ---- arithmetic (arith.c) ---------------------------------------------------- */

/* Each returns false if an unmasked exception suppresses the result (the
 * destination and the stack are then left alone). */
bool fpu_add(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out);
bool fpu_sub(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out);
bool fpu_mul(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out);
bool fpu_div(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out);
bool fpu_sqrt(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *out);
/* FRNDINT: to an integer by the rounding control (precision ignored). */
bool fpu_rndint(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *out);
/* FSCALE: a * 2^trunc(b). */
bool fpu_scale(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out);
/* FXTRACT: *exp_out = the unbiased exponent of a as a value, *sig_out =
 * its significand with exponent 0 (sign kept). */
bool fpu_xtract(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *exp_out, struct fpu_reg *sig_out);
/* FPREM (ieee = false: quotient truncated) and FPREM1 (ieee: rounded to
 * nearest): *out the (partial) remainder of a / b; *q the quotient's low
 * three bits; *partial set when the reduction is incomplete (C2). */
bool fpu_rem(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, bool ieee, struct fpu_reg *out,
             unsigned *q, bool *partial);

/* Comparison: FPU_CMP_* as C3 C2 C0 would say it. quiet: only an SNaN (or
 * an unsupported operand) is invalid (FUCOM); else any NaN is (FCOM).
 * False if an unmasked IE or DE stops the comparison. */
enum fpu_cmp { FPU_CMP_GT, FPU_CMP_LT, FPU_CMP_EQ, FPU_CMP_UNORDERED };
bool fpu_compare(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, bool quiet, enum fpu_cmp *out);

/* ---- conversions (convert.c) ---------------------------------------------------- */

/* Loads: exact, except an SNaN (IE, quieted) and a denormal (DE) of the
 * 32- and 64-bit formats. */
bool fpu_from_f32(struct fpu_status *st, uint32_t v, struct fpu_reg *out);
bool fpu_from_f64(struct fpu_status *st, uint64_t v, struct fpu_reg *out);
struct fpu_reg fpu_from_int(int64_t v);
/* A single or double operand of an arithmetic instruction, extended
 * exactly (an SNaN stays signaling: the operation's NaN rules apply);
 * *denormal set for a denormal (see fpu_status.denormal_in). */
struct fpu_reg fpu_extend_f32(uint32_t v, bool *denormal);
struct fpu_reg fpu_extend_f64(uint64_t v, bool *denormal);
/* FBLD: 18 BCD digits and the sign byte (bit 7 of byte 9). A digit above 9
 * is undefined by the SDM; ringlab weighs it like the others (digit times
 * its power of ten), which is what the host x87 gives. */
struct fpu_reg fpu_from_bcd(const uint8_t bcd[10]);

/* Stores: false if nothing is stored (an unmasked exception). */
bool fpu_to_f32(struct fpu_status *st, struct fpu_reg a, uint32_t *out);
bool fpu_to_f64(struct fpu_status *st, struct fpu_reg a, uint64_t *out);
/* FIST: to a signed integer of `bits` (16, 32, 64) by the rounding
 * control; out of range or NaN: IE, the integer indefinite (masked). */
bool fpu_to_int(struct fpu_status *st, struct fpu_reg a, unsigned bits, int64_t *out);
/* FBSTP: to 18 BCD digits, rounded by the rounding control; out of range,
 * NaN or infinity: IE, the BCD indefinite (masked). */
bool fpu_to_bcd(struct fpu_status *st, struct fpu_reg a, uint8_t out[10]);

/* ---- transcendental functions and constants (trans.c) ------------------------------ */

/* FLD1 ... FLDZ: k = 0 1, 1 log2(10), 2 log2(e), 3 pi, 4 log10(2), 5 ln(2),
 * 6 +0, the exact constant rounded by the rounding control. */
struct fpu_reg fpu_constant(unsigned k, unsigned rc, bool *rounded_up);

/* The SDM's domain limits: FSIN FCOS FSINCOS FPTAN leave |x| >= 2^63 alone
 * and set C2 (fpu_trig returns false with *out_of_range). */
enum fpu_trig { FPU_SIN, FPU_COS, FPU_TAN };
bool fpu_trig(struct fpu_status *st, enum fpu_trig f, struct fpu_reg a, struct fpu_reg *out, bool *out_of_range);
/* FSINCOS: both results, each rounded once; C1 from the sine's (as the host x87 reports it). */
bool fpu_sincos(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *sin_out, struct fpu_reg *cos_out,
                bool *out_of_range);
bool fpu_f2xm1(struct fpu_status *st, struct fpu_reg a, struct fpu_reg *out);
bool fpu_fyl2x(struct fpu_status *st, struct fpu_reg x, struct fpu_reg y, struct fpu_reg *out);
bool fpu_fyl2xp1(struct fpu_status *st, struct fpu_reg x, struct fpu_reg y, struct fpu_reg *out);
/* FPATAN: atan(y / x), the quadrant from both signs. */
bool fpu_fpatan(struct fpu_status *st, struct fpu_reg y, struct fpu_reg x, struct fpu_reg *out);

/* ---- 128-bit helpers (round.c), shared by the files of this folder --------------- */

/* The full 128-bit product of a and b. */
void fpu_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo);
/* Number of leading zero bits of a nonzero v. */
unsigned fpu_clz64(uint64_t v);

#endif
