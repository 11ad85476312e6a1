/* ops/x87_compare.c - x87 comparisons (rows: x87_compare.def).
 *
 * FCOM, FCOMP, FCOMPP, FICOM, FICOMP, FTST set C3 C2 C0 to 000 (ST(0) >
 * source), 001 (<), 100 (=) or 111 (unordered), C1 to 0; FUCOM, FUCOMP,
 * FUCOMPP the same, but only an SNaN is invalid there (FCOM: any NaN).
 * FCOMI, FCOMIP, FUCOMI, FUCOMIP (the P6's) put the three in ZF PF CF and
 * clear OF SF AF. An empty operand is a stack underflow (IE, SF, C1 = 0):
 * masked, the result is "unordered" and the pops happen; an unmasked IE
 * still reports "unordered" and an unmasked DE the comparison (as the host
 * x87 does), but neither pops. FXAM raises
 * nothing and classifies ST(0), empty or not, with C1 its sign.
 */
#include "x87-internal.h"

/* Compares ST(0) with ST(other) (other >= 0) or m; pops 0, 1 or 2; into
 * EFLAGS (eflags) or C3 C2 C0. */
static void compare(struct cpu *c, const struct insn *i, int other, struct fpu_reg m, bool m_den, bool quiet,
                    unsigned pops, bool eflags) {
  struct fpu_status st = x87_status(c);
  enum fpu_cmp r = FPU_CMP_UNORDERED;
  bool ok;
  if (x87_empty(c, 0) || (other >= 0 && x87_empty(c, (unsigned)other))) {
    ok = x87_stack_fault(c, &st, false);
  } else {
    st.denormal_in = m_den;
    ok = fpu_compare(&st, x87_st(c, 0), other >= 0 ? x87_st(c, (unsigned)other) : m, quiet, &r);
  }
  bool fault = (st.flags & X87_SW_SF) != 0; /* this instruction's stack fault */
  if (!fault && eflags)
    st.c1 = (c->x87.sw & X87_SW_C1) != 0; /* FCOMI leaves C1 alone */
  else if (!fault)
    st.c1 = false;
  unsigned c3 = r == FPU_CMP_EQ || r == FPU_CMP_UNORDERED, c2 = r == FPU_CMP_UNORDERED,
           c0 = r == FPU_CMP_LT || r == FPU_CMP_UNORDERED;
  /* An unmasked IE still reports "unordered", an unmasked DE the
   * comparison; neither pops. */
  {
    if (eflags)
      cpu_set_arith(c, (c3 ? CPU_FLAG_ZF : 0) | (c2 ? CPU_FLAG_PF : 0) | (c0 ? CPU_FLAG_CF : 0));
    else
      x87_set_cc(c, c3, c2, 0, c0);
  }
  if (ok)
    while (pops--)
      x87_pop(c);
  x87_end(c, i, &st);
}

static const struct fpu_reg no_mem = {0, 0};

static void reg(struct cpu *c, const struct insn *i, int other, bool quiet, unsigned pops, bool eflags) {
  if (!x87_begin(c))
    return;
  compare(c, i, other, no_mem, false, quiet, pops, eflags);
}

static void m32fp(struct cpu *c, const struct insn *i, unsigned pops) {
  if (!x87_begin(c))
    return;
  bool den;
  struct fpu_reg m = fpu_extend_f32(cpu_rd32(c, i->seg, cpu_ea(c, i)), &den);
  compare(c, i, -1, m, den, false, pops, false);
}

static void m64fp(struct cpu *c, const struct insn *i, unsigned pops) {
  if (!x87_begin(c))
    return;
  bool den;
  struct fpu_reg m = fpu_extend_f64(x87_read64(c, i), &den);
  compare(c, i, -1, m, den, false, pops, false);
}

static void m32int(struct cpu *c, const struct insn *i, unsigned pops) {
  if (!x87_begin(c))
    return;
  struct fpu_reg m = fpu_from_int((int32_t)cpu_rd32(c, i->seg, cpu_ea(c, i)));
  compare(c, i, -1, m, false, false, pops, false);
}

static void m16int(struct cpu *c, const struct insn *i, unsigned pops) {
  if (!x87_begin(c))
    return;
  struct fpu_reg m = fpu_from_int((int16_t)cpu_rd16(c, i->seg, cpu_ea(c, i)));
  compare(c, i, -1, m, false, false, pops, false);
}

void FCOM_Md(struct cpu *c, const struct insn *i) { m32fp(c, i, 0); }
void FCOMP_Md(struct cpu *c, const struct insn *i) { m32fp(c, i, 1); }
void FCOM_Mq(struct cpu *c, const struct insn *i) { m64fp(c, i, 0); }
void FCOMP_Mq(struct cpu *c, const struct insn *i) { m64fp(c, i, 1); }
void FICOM_Md(struct cpu *c, const struct insn *i) { m32int(c, i, 0); }
void FICOMP_Md(struct cpu *c, const struct insn *i) { m32int(c, i, 1); }
void FICOM_Mw(struct cpu *c, const struct insn *i) { m16int(c, i, 0); }
void FICOMP_Mw(struct cpu *c, const struct insn *i) { m16int(c, i, 1); }
void FCOM_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, false, 0, false); }
void FCOMP_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, false, 1, false); }
void FCOM2_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, false, 0, false); }
void FCOMP3_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, false, 1, false); }
void FCOMP5_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, false, 1, false); }
void FCOMPP(struct cpu *c, const struct insn *i) { reg(c, i, 1, false, 2, false); }
void FUCOM_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, true, 0, false); }
void FUCOMP_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, true, 1, false); }
void FUCOMPP(struct cpu *c, const struct insn *i) { reg(c, i, 1, true, 2, false); }
void FCOMI_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, false, 0, true); }
void FCOMIP_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, false, 1, true); }
void FUCOMI_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, true, 0, true); }
void FUCOMIP_STi(struct cpu *c, const struct insn *i) { reg(c, i, i->rm, true, 1, true); }

/* FTST: ST(0) against +0.0, as FCOM. */
void FTST(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  compare(c, i, -1, fpu_zero(false), false, false, 0, false);
}

/* FXAM: C3 C2 C0 = 000 unsupported, 001 NaN, 010 normal, 011 infinity,
 * 100 zero, 101 empty, 110 denormal; C1 = the sign bit. */
void FXAM(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg a = x87_st(c, 0);
  unsigned k;
  if (x87_empty(c, 0)) {
    k = 5;
  } else {
    switch (fpu_classify(a)) {
    case FPU_C_QNAN:
    case FPU_C_SNAN: k = 1; break;
    case FPU_C_NORMAL: k = 2; break;
    case FPU_C_INF: k = 3; break;
    case FPU_C_ZERO: k = 4; break;
    case FPU_C_DENORMAL: k = 6; break;
    default: k = 0; break;
    }
  }
  st.c1 = fpu_sign(a);
  x87_set_cc(c, (k >> 2) & 1u, (k >> 1) & 1u, st.c1, k & 1u);
  x87_end(c, i, &st);
}
