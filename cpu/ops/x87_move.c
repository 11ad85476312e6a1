/* ops/x87_move.c - x87 loads, stores, constants, exchanges and conditional
 * moves (rows: x87_move.def).
 *
 * Pushes (FLD, FILD, FBLD, the constants): a full ST(7) (the register the
 * push fills) is a stack overflow: IE, SF, C1 = 1; masked, the real
 * indefinite is pushed; unmasked, nothing changes. A single or double
 * source raises IE for an SNaN and DE for a denormal (fpu/convert.c); an
 * extended source, an integer or BCD nothing.
 *
 * Stores (FST, FSTP, FIST, FISTP, FBSTP): an empty ST(0) is a stack
 * underflow (IE, SF, C1 = 0); masked, the format's indefinite is stored
 * (and FSTP pops); unmasked, nothing is stored and nothing pops. So too for
 * an unmasked IE, OE or UE of the conversion. FSTP m80 and the register
 * copies (FST/FSTP ST(i)) move the 80 bits as they are, SNaN included.
 * The memory destination is checked whole before anything changes.
 */
#include "x87-internal.h"

/* ---- pushes -------------------------------------------------------------------------- */

/* Pushes v (ok false: the load raised an unmasked exception: nothing). */
static void push_checked(struct cpu *c, const struct insn *i, struct fpu_status *st, bool ok, struct fpu_reg v) {
  if (!x87_empty(c, 7)) {
    ok = x87_stack_fault(c, st, true);
    v = fpu_indefinite;
  }
  if (ok)
    x87_push(c, v);
  x87_end(c, i, st);
}

void FLD_Md(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  uint32_t m = cpu_rd32(c, i->seg, cpu_ea(c, i));
  struct fpu_status st = x87_status(c);
  struct fpu_reg v = {0, 0};
  bool ok = x87_empty(c, 7) ? fpu_from_f32(&st, m, &v) : false;
  push_checked(c, i, &st, ok, v);
}

void FLD_Mq(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  uint64_t m = x87_read64(c, i);
  struct fpu_status st = x87_status(c);
  struct fpu_reg v = {0, 0};
  bool ok = x87_empty(c, 7) ? fpu_from_f64(&st, m, &v) : false;
  push_checked(c, i, &st, ok, v);
}

void FLD_Mt(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  uint8_t b[10];
  x87_read_bytes(c, i, 10, b);
  struct fpu_status st = x87_status(c);
  push_checked(c, i, &st, true, x87_reg_from_bytes(b));
}

/* FLD ST(i): the value is read before the push (FLD ST(0) duplicates). */
void FLD_STi(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg v = x87_st(c, i->rm);
  if (x87_empty(c, i->rm)) { /* the underflow wins over an overflow */
    if (x87_stack_fault(c, &st, false))
      x87_push(c, fpu_indefinite);
    x87_end(c, i, &st);
    return;
  }
  push_checked(c, i, &st, true, v);
}

void FILD_Mw(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  int16_t m = (int16_t)cpu_rd16(c, i->seg, cpu_ea(c, i));
  struct fpu_status st = x87_status(c);
  push_checked(c, i, &st, true, fpu_from_int(m));
}

void FILD_Md(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  int32_t m = (int32_t)cpu_rd32(c, i->seg, cpu_ea(c, i));
  struct fpu_status st = x87_status(c);
  push_checked(c, i, &st, true, fpu_from_int(m));
}

void FILD_Mq(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  int64_t m = (int64_t)x87_read64(c, i);
  struct fpu_status st = x87_status(c);
  push_checked(c, i, &st, true, fpu_from_int(m));
}

void FBLD_Mt(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  uint8_t b[10];
  x87_read_bytes(c, i, 10, b);
  struct fpu_status st = x87_status(c);
  push_checked(c, i, &st, true, fpu_from_bcd(b));
}

/* FLD1 ... FLDZ: rounded by the rounding control; C1 only reports a stack
 * overflow. */
static void constant(struct cpu *c, const struct insn *i, unsigned k) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  bool up;
  struct fpu_reg v = fpu_constant(k, st.rc, &up);
  push_checked(c, i, &st, true, v);
}
void FLD1(struct cpu *c, const struct insn *i) { constant(c, i, 0); }
void FLDL2T(struct cpu *c, const struct insn *i) { constant(c, i, 1); }
void FLDL2E(struct cpu *c, const struct insn *i) { constant(c, i, 2); }
void FLDPI(struct cpu *c, const struct insn *i) { constant(c, i, 3); }
void FLDLG2(struct cpu *c, const struct insn *i) { constant(c, i, 4); }
void FLDLN2(struct cpu *c, const struct insn *i) { constant(c, i, 5); }
void FLDZ(struct cpu *c, const struct insn *i) { constant(c, i, 6); }

/* ---- stores ----------------------------------------------------------------------------- */

/* Converts ST(0) into n bytes at *b with conv; the masked stack-underflow
 * response stores the indefinite ind. Stores (after a whole-destination
 * check) and pops as asked. */
typedef bool (*x87_conv)(struct fpu_status *st, struct fpu_reg a, uint8_t *b);

static void store(struct cpu *c, const struct insn *i, unsigned n, x87_conv conv, const uint8_t *ind, bool pop) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  uint8_t b[10];
  bool ok;
  if (x87_empty(c, 0)) {
    ok = x87_stack_fault(c, &st, false);
    for (unsigned k = 0; k < n; k++)
      b[k] = ind[k];
  } else {
    ok = conv(&st, x87_st(c, 0), b);
  }
  if (ok) {
    x87_write_bytes(c, i, n, b);
    if (pop)
      x87_pop(c);
  }
  x87_end(c, i, &st);
}

static bool conv_f32(struct fpu_status *st, struct fpu_reg a, uint8_t *b) {
  uint32_t v;
  if (!fpu_to_f32(st, a, &v))
    return false;
  for (int k = 0; k < 4; k++)
    b[k] = (uint8_t)(v >> (8 * k));
  return true;
}
static bool conv_f64(struct fpu_status *st, struct fpu_reg a, uint8_t *b) {
  uint64_t v;
  if (!fpu_to_f64(st, a, &v))
    return false;
  for (int k = 0; k < 8; k++)
    b[k] = (uint8_t)(v >> (8 * k));
  return true;
}
static bool conv_f80(struct fpu_status *st, struct fpu_reg a, uint8_t *b) {
  (void)st;
  x87_reg_to_bytes(a, b);
  return true;
}
static bool conv_int(struct fpu_status *st, struct fpu_reg a, uint8_t *b, unsigned bits) {
  int64_t v;
  if (!fpu_to_int(st, a, bits, &v))
    return false;
  for (unsigned k = 0; k < bits / 8; k++)
    b[k] = (uint8_t)((uint64_t)v >> (8 * k));
  return true;
}
static bool conv_i16(struct fpu_status *st, struct fpu_reg a, uint8_t *b) { return conv_int(st, a, b, 16); }
static bool conv_i32(struct fpu_status *st, struct fpu_reg a, uint8_t *b) { return conv_int(st, a, b, 32); }
static bool conv_i64(struct fpu_status *st, struct fpu_reg a, uint8_t *b) { return conv_int(st, a, b, 64); }
static bool conv_bcd(struct fpu_status *st, struct fpu_reg a, uint8_t *b) { return fpu_to_bcd(st, a, b); }

static const uint8_t ind_f32[4] = {0, 0, 0xC0, 0xFF};
static const uint8_t ind_f64[8] = {0, 0, 0, 0, 0, 0, 0xF8, 0xFF};
static const uint8_t ind_f80[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
static const uint8_t ind_i16[2] = {0, 0x80};
static const uint8_t ind_i32[4] = {0, 0, 0, 0x80};
static const uint8_t ind_i64[8] = {0, 0, 0, 0, 0, 0, 0, 0x80};
static const uint8_t ind_bcd[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};

void FST_Md(struct cpu *c, const struct insn *i) { store(c, i, 4, conv_f32, ind_f32, false); }
void FSTP_Md(struct cpu *c, const struct insn *i) { store(c, i, 4, conv_f32, ind_f32, true); }
void FST_Mq(struct cpu *c, const struct insn *i) { store(c, i, 8, conv_f64, ind_f64, false); }
void FSTP_Mq(struct cpu *c, const struct insn *i) { store(c, i, 8, conv_f64, ind_f64, true); }
void FSTP_Mt(struct cpu *c, const struct insn *i) { store(c, i, 10, conv_f80, ind_f80, true); }
void FIST_Mw(struct cpu *c, const struct insn *i) { store(c, i, 2, conv_i16, ind_i16, false); }
void FISTP_Mw(struct cpu *c, const struct insn *i) { store(c, i, 2, conv_i16, ind_i16, true); }
void FIST_Md(struct cpu *c, const struct insn *i) { store(c, i, 4, conv_i32, ind_i32, false); }
void FISTP_Md(struct cpu *c, const struct insn *i) { store(c, i, 4, conv_i32, ind_i32, true); }
void FISTP_Mq(struct cpu *c, const struct insn *i) { store(c, i, 8, conv_i64, ind_i64, true); }
void FBSTP_Mt(struct cpu *c, const struct insn *i) { store(c, i, 10, conv_bcd, ind_bcd, true); }

/* FST/FSTP ST(i): a copy of the 80 bits. */
static void store_reg(struct cpu *c, const struct insn *i, bool pop) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  struct fpu_reg v = x87_st(c, 0);
  bool ok = true;
  if (x87_empty(c, 0)) {
    ok = x87_stack_fault(c, &st, false);
    v = fpu_indefinite;
  }
  if (ok) {
    x87_st_put(c, i->rm, v);
    if (pop)
      x87_pop(c);
  }
  x87_end(c, i, &st);
}
void FST_STi(struct cpu *c, const struct insn *i) { store_reg(c, i, false); }
void FSTP_STi(struct cpu *c, const struct insn *i) { store_reg(c, i, true); }
/* D9 D8+i ("FSTPNCE": no check of empty): an empty ST(0) raises nothing,
 * writes nothing and is popped, as the host x87 does; a full one is stored
 * as FSTP ST(i). */
void FSTP1_STi(struct cpu *c, const struct insn *i) {
  if (!x87_empty(c, 0)) {
    store_reg(c, i, true);
    return;
  }
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  x87_pop(c);
  x87_end(c, i, &st);
}
void FSTP8_STi(struct cpu *c, const struct insn *i) { store_reg(c, i, true); }
void FSTP9_STi(struct cpu *c, const struct insn *i) { store_reg(c, i, true); }

/* ---- exchange and conditional move ------------------------------------------------------ */

/* FXCH ST(i): an empty one of the two is a stack underflow; masked, it
 * takes the indefinite before the exchange. */
static void fxch(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  bool e0 = x87_empty(c, 0), ei = x87_empty(c, i->rm);
  if (e0 || ei) {
    if (!x87_stack_fault(c, &st, false)) {
      x87_end(c, i, &st);
      return;
    }
    if (e0)
      x87_st_put(c, 0, fpu_indefinite);
    if (ei)
      x87_st_put(c, i->rm, fpu_indefinite);
  }
  struct fpu_reg a = x87_st(c, 0), b = x87_st(c, i->rm);
  x87_st_put(c, 0, b);
  x87_st_put(c, i->rm, a);
  x87_end(c, i, &st);
}
void FXCH_STi(struct cpu *c, const struct insn *i) { fxch(c, i); }
void FXCH4_STi(struct cpu *c, const struct insn *i) { fxch(c, i); }
void FXCH7_STi(struct cpu *c, const struct insn *i) { fxch(c, i); }

/* FCMOVcc: ST(0) = ST(i) if the EFLAGS condition holds. An empty ST(0) or
 * ST(i) is a stack underflow whatever the condition; masked, ST(0) gets
 * the indefinite. */
static void fcmov(struct cpu *c, const struct insn *i, unsigned cc) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  st.c1 = (c->x87.sw & X87_SW_C1) != 0; /* left alone unless a stack fault */
  if (x87_empty(c, 0) || x87_empty(c, i->rm)) {
    if (x87_stack_fault(c, &st, false))
      x87_st_put(c, 0, fpu_indefinite);
  } else if (cpu_cond(c, cc)) {
    x87_st_put(c, 0, x87_st(c, i->rm));
  }
  x87_end(c, i, &st);
}
/* Jcc condition numbers: B 2, E 4, BE 6, P 10; the N forms one more. */
void FCMOVB_STi(struct cpu *c, const struct insn *i) { fcmov(c, i, 2); }
void FCMOVE_STi(struct cpu *c, const struct insn *i) { fcmov(c, i, 4); }
void FCMOVBE_STi(struct cpu *c, const struct insn *i) { fcmov(c, i, 6); }
void FCMOVU_STi(struct cpu *c, const struct insn *i) { fcmov(c, i, 10); }
void FCMOVNB_STi(struct cpu *c, const struct insn *i) { fcmov(c, i, 3); }
void FCMOVNE_STi(struct cpu *c, const struct insn *i) { fcmov(c, i, 5); }
void FCMOVNBE_STi(struct cpu *c, const struct insn *i) { fcmov(c, i, 7); }
void FCMOVNU_STi(struct cpu *c, const struct insn *i) { fcmov(c, i, 11); }
