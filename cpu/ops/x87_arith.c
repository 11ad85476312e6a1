/* ops/x87_arith.c - x87 arithmetic instructions (rows: x87_arith.def):
 * FADD FSUB FSUBR FMUL FDIV FDIVR in every form, FIADD ... FIDIVR, and
 * FCHS FABS FSQRT FRNDINT FSCALE FXTRACT FPREM FPREM1.
 *
 * The operation itself is cpu/fpu's (exact, then rounded once by the
 * precision and rounding control). What is decided here (SDM vol. 2, each
 * instruction's "x87 FPU Flags Affected" and "Floating-Point Exceptions"):
 * - an empty operand register is a stack underflow: IE and SF with C1 = 0;
 *   masked, the destination gets the real indefinite (and the pop, if any,
 *   happens); unmasked, nothing changes;
 * - an unmasked IE, DE or ZE leaves the destination and the stack alone;
 *   an unmasked OE or UE still writes the wrapped result (fpu.h);
 * - C1 is the rounding's "rounded up"; C0, C2 and C3 are left as they were
 *   (the SDM: undefined), except that FPREM/FPREM1 set all four.
 */
#include "x87-internal.h"

typedef bool (*fpu_op2)(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out);

static bool op_subr(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out) {
  return fpu_sub(st, b, a, out);
}
static bool op_divr(struct fpu_status *st, struct fpu_reg a, struct fpu_reg b, struct fpu_reg *out) {
  return fpu_div(st, b, a, out);
}

/* ST(d) = ST(d) op y, y = ST(other) (other >= 0) or the memory operand m;
 * then a pop if asked. */
static void arith(struct cpu *c, const struct insn *i, fpu_op2 op, unsigned d, int other, struct fpu_reg m,
                  bool m_denormal, bool pop) {
  struct fpu_status st = x87_status(c);
  struct fpu_reg r;
  bool ok;
  if (x87_empty(c, d) || (other >= 0 && x87_empty(c, (unsigned)other))) {
    ok = x87_stack_fault(c, &st, false);
    r = fpu_indefinite;
  } else {
    st.denormal_in = m_denormal;
    ok = op(&st, x87_st(c, d), other >= 0 ? x87_st(c, (unsigned)other) : m, &r);
  }
  if (ok) {
    x87_st_put(c, d, r);
    if (pop)
      x87_pop(c);
  }
  x87_end(c, i, &st);
}

static void reg_form(struct cpu *c, const struct insn *i, fpu_op2 op, bool to_sti, bool pop) {
  if (!x87_begin(c))
    return;
  struct fpu_reg none = {0, 0};
  if (to_sti)
    arith(c, i, op, i->rm, 0, none, false, pop);
  else
    arith(c, i, op, 0, i->rm, none, false, false);
}

static void m32fp(struct cpu *c, const struct insn *i, fpu_op2 op) {
  if (!x87_begin(c))
    return;
  bool den;
  struct fpu_reg m = fpu_extend_f32(cpu_rd32(c, i->seg, cpu_ea(c, i)), &den);
  arith(c, i, op, 0, -1, m, den, false);
}

static void m64fp(struct cpu *c, const struct insn *i, fpu_op2 op) {
  if (!x87_begin(c))
    return;
  bool den;
  struct fpu_reg m = fpu_extend_f64(x87_read64(c, i), &den);
  arith(c, i, op, 0, -1, m, den, false);
}

static void m32int(struct cpu *c, const struct insn *i, fpu_op2 op) {
  if (!x87_begin(c))
    return;
  struct fpu_reg m = fpu_from_int((int32_t)cpu_rd32(c, i->seg, cpu_ea(c, i)));
  arith(c, i, op, 0, -1, m, false, false);
}

static void m16int(struct cpu *c, const struct insn *i, fpu_op2 op) {
  if (!x87_begin(c))
    return;
  struct fpu_reg m = fpu_from_int((int16_t)cpu_rd16(c, i->seg, cpu_ea(c, i)));
  arith(c, i, op, 0, -1, m, false, false);
}

/* Every form of one operation: F the register and floating-point forms,
 * FI the integer ones. */
#define ARITH(F, FI, OP)                                                                  \
  void F##_Md(struct cpu *c, const struct insn *i) { m32fp(c, i, OP); }                   \
  void F##_Mq(struct cpu *c, const struct insn *i) { m64fp(c, i, OP); }                   \
  void F##_ST0_STi(struct cpu *c, const struct insn *i) { reg_form(c, i, OP, false, false); } \
  void F##_STi_ST0(struct cpu *c, const struct insn *i) { reg_form(c, i, OP, true, false); }  \
  void F##P_STi_ST0(struct cpu *c, const struct insn *i) { reg_form(c, i, OP, true, true); }  \
  void FI##_Md(struct cpu *c, const struct insn *i) { m32int(c, i, OP); }                 \
  void FI##_Mw(struct cpu *c, const struct insn *i) { m16int(c, i, OP); }

ARITH(FADD, FIADD, fpu_add)
ARITH(FMUL, FIMUL, fpu_mul)
ARITH(FSUB, FISUB, fpu_sub)
ARITH(FSUBR, FISUBR, op_subr)
ARITH(FDIV, FIDIV, fpu_div)
ARITH(FDIVR, FIDIVR, op_divr)

/* ---- one operand: ST(0) ---------------------------------------------------------------- */

/* ST(0) = f(ST(0)); f NULL for FCHS/FABS, which flip or clear the sign of
 * whatever ST(0) holds (a NaN included) and raise nothing. */
static void unary(struct cpu *c, const struct insn *i, bool (*f)(struct fpu_status *, struct fpu_reg, struct fpu_reg *),
                  uint16_t sign_and, uint16_t sign_xor) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg r;
  bool ok;
  if (x87_empty(c, 0)) {
    ok = x87_stack_fault(c, &st, false);
    r = fpu_indefinite;
  } else if (f) {
    ok = f(&st, x87_st(c, 0), &r);
  } else {
    r = x87_st(c, 0);
    r.se = (uint16_t)((r.se & sign_and) ^ sign_xor);
    ok = true;
  }
  if (ok)
    x87_st_put(c, 0, r);
  x87_end(c, i, &st);
}

void FCHS(struct cpu *c, const struct insn *i) { unary(c, i, NULL, 0xFFFF, FPU_SIGN); }
void FABS(struct cpu *c, const struct insn *i) { unary(c, i, NULL, 0x7FFF, 0); }
void FSQRT(struct cpu *c, const struct insn *i) { unary(c, i, fpu_sqrt, 0, 0); }
void FRNDINT(struct cpu *c, const struct insn *i) { unary(c, i, fpu_rndint, 0, 0); }

/* FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)). */
void FSCALE(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  struct fpu_reg none = {0, 0};
  arith(c, i, fpu_scale, 0, 1, none, false, false);
}

/* FXTRACT: ST(0) becomes its exponent, then its significand is pushed. */
void FXTRACT(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg e = fpu_indefinite, s = fpu_indefinite;
  bool ok;
  if (x87_empty(c, 0))
    ok = x87_stack_fault(c, &st, false);
  else if (!x87_empty(c, 7))
    ok = x87_stack_fault(c, &st, true);
  else
    ok = fpu_xtract(&st, x87_st(c, 0), &e, &s);
  if (ok) {
    x87_st_put(c, 0, e);
    x87_push(c, s);
  }
  x87_end(c, i, &st);
}

/* FPREM / FPREM1: ST(0) = the (partial) remainder of ST(0) / ST(1); C2 set
 * while the reduction is incomplete, else C0 C3 C1 = the quotient's bits
 * 2, 1, 0. */
static void prem(struct cpu *c, const struct insn *i, bool ieee) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg r = fpu_indefinite;
  unsigned q = 0;
  bool partial = false, ok;
  if (x87_empty(c, 0) || x87_empty(c, 1))
    ok = x87_stack_fault(c, &st, false);
  else
    ok = fpu_rem(&st, x87_st(c, 0), x87_st(c, 1), ieee, &r, &q, &partial);
  bool special = !ok || (st.flags & FPU_IE) || fpu_is_nan(r);
  if (ok)
    x87_st_put(c, 0, r);
  if (special) { /* no quotient: C2 and C1 cleared, C3 and C0 left (as the host x87) */
    c->x87.sw &= (uint16_t)~X87_SW_C2;
    st.c1 = false;
  } else {
    x87_set_cc(c, (q >> 1) & 1u, partial, q & 1u, (q >> 2) & 1u);
    st.c1 = q & 1u;
  }
  x87_end(c, i, &st);
}

void FPREM(struct cpu *c, const struct insn *i) { prem(c, i, false); }
void FPREM1(struct cpu *c, const struct insn *i) { prem(c, i, true); }
