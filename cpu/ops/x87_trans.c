/* ops/x87_trans.c - the x87's transcendental instructions (rows:
 * x87_trans.def); the arithmetic is ../fpu/trans.c.
 *
 * Stack use (SDM vol. 2): FSIN, FCOS and F2XM1 replace ST(0); FPTAN
 * replaces it with the tangent and pushes 1.0; FSINCOS replaces it with the
 * sine and pushes the cosine; FYL2X, FYL2XP1 and FPATAN combine ST(0) and
 * ST(1) into ST(1) and pop. An empty operand (or, for FPTAN and FSINCOS, a
 * full register to push into) is a stack fault; masked, every destination
 * gets the real indefinite (and the push or pop happens). C2 is set when
 * FSIN, FCOS, FSINCOS or FPTAN find |ST(0)| >= 2^63 (ST(0) is then left
 * alone, nothing pushed) and cleared otherwise; C1 reports the rounding.
 */
#include "x87-internal.h"

static void trig(struct cpu *c, const struct insn *i, enum fpu_trig f) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg r = fpu_indefinite;
  bool ok, out = false;
  if (x87_empty(c, 0))
    ok = x87_stack_fault(c, &st, false);
  else
    ok = fpu_trig(&st, f, x87_st(c, 0), &r, &out);
  if (ok && !out)
    x87_st_put(c, 0, r);
  c->x87.sw = (uint16_t)((c->x87.sw & ~X87_SW_C2) | (out ? X87_SW_C2 : 0));
  x87_end(c, i, &st);
}

void FSIN(struct cpu *c, const struct insn *i) { trig(c, i, FPU_SIN); }
void FCOS(struct cpu *c, const struct insn *i) { trig(c, i, FPU_COS); }

/* FPTAN and FSINCOS: ST(0) = first, then second pushed. */
static void trig2(struct cpu *c, const struct insn *i, bool sincos) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg first = fpu_indefinite, second = fpu_indefinite;
  bool ok, out = false;
  if (x87_empty(c, 0)) {
    ok = x87_stack_fault(c, &st, false);
  } else if (!x87_empty(c, 7)) {
    ok = x87_stack_fault(c, &st, true);
  } else if (sincos) {
    ok = fpu_sincos(&st, x87_st(c, 0), &first, &second, &out);
  } else {
    ok = fpu_trig(&st, FPU_TAN, x87_st(c, 0), &first, &out);
    second = fpu_make(false, FPU_BIAS, FPU_J);
    if (ok && fpu_is_nan(first))
      second = first; /* a NaN operand: both results the NaN */
  }
  if (ok && !out) {
    x87_st_put(c, 0, first);
    x87_push(c, second);
  }
  c->x87.sw = (uint16_t)((c->x87.sw & ~X87_SW_C2) | (out ? X87_SW_C2 : 0));
  x87_end(c, i, &st);
}

void FPTAN(struct cpu *c, const struct insn *i) { trig2(c, i, false); }
void FSINCOS(struct cpu *c, const struct insn *i) { trig2(c, i, true); }

void F2XM1(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg r = fpu_indefinite;
  bool ok;
  if (x87_empty(c, 0))
    ok = x87_stack_fault(c, &st, false);
  else
    ok = fpu_f2xm1(&st, x87_st(c, 0), &r);
  if (ok)
    x87_st_put(c, 0, r);
  x87_end(c, i, &st);
}

/* ST(1) = f(ST(0), ST(1)), then pop. */
static void two(struct cpu *c, const struct insn *i,
                bool (*f)(struct fpu_status *, struct fpu_reg, struct fpu_reg, struct fpu_reg *)) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg r = fpu_indefinite;
  bool ok;
  if (x87_empty(c, 0) || x87_empty(c, 1))
    ok = x87_stack_fault(c, &st, false);
  else
    ok = f(&st, x87_st(c, 0), x87_st(c, 1), &r);
  if (ok) {
    x87_st_put(c, 1, r);
    x87_pop(c);
  }
  x87_end(c, i, &st);
}

static bool atan_of(struct fpu_status *st, struct fpu_reg x, struct fpu_reg y, struct fpu_reg *out) {
  return fpu_fpatan(st, y, x, out);
}

void FYL2X(struct cpu *c, const struct insn *i) { two(c, i, fpu_fyl2x); }
void FYL2XP1(struct cpu *c, const struct insn *i) { two(c, i, fpu_fyl2xp1); }
void FPATAN(struct cpu *c, const struct insn *i) { two(c, i, atan_of); }
