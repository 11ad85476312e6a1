/* ops/muldiv.c - MUL, IMUL (one-, two- and three-operand), DIV, IDIV.
 *
 * Every form reads its source (the one step that can fault, besides #DE)
 * before it commits anything; DIV and IDIV check for #DE before they write
 * a register, so a faulting divide leaves every register and flag as it was.
 *
 * Flags. MUL and IMUL define only CF and OF (set when the product does not
 * fit the destination); SF ZF AF PF are undefined. ringlab sets SF ZF PF from
 * the low half of the product (the destination of the two- and three-operand
 * forms) and clears AF, a deterministic choice. DIV and IDIV leave all six
 * arithmetic flags undefined; ringlab leaves them unchanged.
 *
 * IDIV: a quotient of exactly -2^(bits-1) (0x80, 0x8000, 0x80000000) is
 * representable and does not fault on a 286 or later (the 8086 faulted);
 * the 286 vectors agree.
 */
#include "../cpu-internal.h"

/* Flags of a multiply: low is the n-byte destination value, overflow says
 * whether the full product differs from it (extended). */
static inline void mul_flags(struct cpu *c, uint32_t low, unsigned n, bool overflow) {
  uint32_t f = cpu_flags_szp(low, n);
  if (overflow)
    f |= CPU_FLAG_CF | CPU_FLAG_OF;
  cpu_set_arith(c, f);
}

static inline int64_t sext(uint32_t v, unsigned n) {
  return n == 1 ? (int8_t)v : n == 2 ? (int16_t)v : (int32_t)v;
}

/* Writes the double-width result of a one-operand multiply or divide:
 * AH:AL for bytes (lo in AL, hi in AH), DX:AX or EDX:EAX otherwise. */
static inline void write_pair(struct cpu *c, unsigned n, uint32_t lo, uint32_t hi) {
  if (n == 1) {
    cpu_w16(c, CPU_EAX, (uint16_t)((lo & 0xFF) | (hi & 0xFF) << 8));
    return;
  }
  cpu_reg_write(c, CPU_EAX, n, lo);
  cpu_reg_write(c, CPU_EDX, n, hi);
}

/* The double-width dividend: AX, DX:AX or EDX:EAX. */
static inline uint64_t read_dividend(const struct cpu *c, unsigned n) {
  if (n == 1)
    return cpu_r16(c, CPU_EAX);
  return ((uint64_t)cpu_reg_read(c, CPU_EDX, n) << (8 * n)) | cpu_reg_read(c, CPU_EAX, n);
}

static inline void mul(struct cpu *c, const struct insn *i, unsigned n) {
  uint64_t b = cpu_rm_read(c, i, n);
  uint64_t p = (uint64_t)cpu_reg_read(c, CPU_EAX, n) * b;
  uint32_t lo = (uint32_t)p & cpu_mask(n), hi = (uint32_t)(p >> (8 * n)) & cpu_mask(n);
  write_pair(c, n, lo, hi);
  mul_flags(c, lo, n, hi != 0);
}

static inline void imul1(struct cpu *c, const struct insn *i, unsigned n) {
  int64_t b = sext(cpu_rm_read(c, i, n), n);
  int64_t p = sext(cpu_reg_read(c, CPU_EAX, n), n) * b;
  uint32_t lo = (uint32_t)p & cpu_mask(n), hi = (uint32_t)((uint64_t)p >> (8 * n)) & cpu_mask(n);
  write_pair(c, n, lo, hi);
  mul_flags(c, lo, n, p != sext(lo, n));
}

/* IMUL G, E, imm and IMUL G, E (imm is the second factor, sign-extended). */
static inline void imul_into(struct cpu *c, unsigned reg, unsigned n, uint32_t a, uint32_t b) {
  int64_t p = sext(a, n) * sext(b, n);
  uint32_t lo = (uint32_t)p & cpu_mask(n);
  cpu_reg_write(c, reg, n, lo);
  mul_flags(c, lo, n, p != sext(lo, n));
}

static inline void divide(struct cpu *c, const struct insn *i, unsigned n) {
  uint64_t d = cpu_rm_read(c, i, n);
  if (d == 0)
    cpu_raise(c, CPU_EXC_DE, CPU_NO_ERROR_CODE);
  uint64_t a = read_dividend(c, n);
  uint64_t q = a / d, r = a % d;
  if (q > cpu_mask(n))
    cpu_raise(c, CPU_EXC_DE, CPU_NO_ERROR_CODE);
  write_pair(c, n, (uint32_t)q, (uint32_t)r);
}

static inline void idivide(struct cpu *c, const struct insn *i, unsigned n) {
  int64_t d = sext(cpu_rm_read(c, i, n), n);
  if (d == 0)
    cpu_raise(c, CPU_EXC_DE, CPU_NO_ERROR_CODE);
  uint64_t raw = read_dividend(c, n);
  int64_t a = n == 1 ? (int16_t)raw : n == 2 ? (int32_t)raw : (int64_t)raw;
  /* INT64_MIN / -1 overflows in C as on the processor: #DE before dividing. */
  if (n == 4 && a == INT64_MIN && d == -1)
    cpu_raise(c, CPU_EXC_DE, CPU_NO_ERROR_CODE);
  int64_t q = a / d, r = a % d; /* C truncates toward zero, as IDIV does */
  int64_t max = (int64_t)cpu_sign(n) - 1;
  if (q > max || q < -max - 1)
    cpu_raise(c, CPU_EXC_DE, CPU_NO_ERROR_CODE);
  write_pair(c, n, (uint32_t)q & cpu_mask(n), (uint32_t)r & cpu_mask(n));
}

void MUL_Eb(struct cpu *c, const struct insn *i) { mul(c, i, 1); }
void MUL_Ew(struct cpu *c, const struct insn *i) { mul(c, i, 2); }
void MUL_Ed(struct cpu *c, const struct insn *i) { mul(c, i, 4); }
void IMUL_Eb(struct cpu *c, const struct insn *i) { imul1(c, i, 1); }
void IMUL_Ew(struct cpu *c, const struct insn *i) { imul1(c, i, 2); }
void IMUL_Ed(struct cpu *c, const struct insn *i) { imul1(c, i, 4); }
void DIV_Eb(struct cpu *c, const struct insn *i) { divide(c, i, 1); }
void DIV_Ew(struct cpu *c, const struct insn *i) { divide(c, i, 2); }
void DIV_Ed(struct cpu *c, const struct insn *i) { divide(c, i, 4); }
void IDIV_Eb(struct cpu *c, const struct insn *i) { idivide(c, i, 1); }
void IDIV_Ew(struct cpu *c, const struct insn *i) { idivide(c, i, 2); }
void IDIV_Ed(struct cpu *c, const struct insn *i) { idivide(c, i, 4); }

void IMUL_GwEw(struct cpu *c, const struct insn *i) {
  imul_into(c, i->reg, 2, cpu_r16(c, i->reg), cpu_rm_read(c, i, 2));
}
void IMUL_GdEd(struct cpu *c, const struct insn *i) {
  imul_into(c, i->reg, 4, cpu_r32(c, i->reg), cpu_rm_read(c, i, 4));
}
void IMUL_GwEwIw(struct cpu *c, const struct insn *i) { imul_into(c, i->reg, 2, cpu_rm_read(c, i, 2), i->imm); }
void IMUL_GdEdId(struct cpu *c, const struct insn *i) { imul_into(c, i->reg, 4, cpu_rm_read(c, i, 4), i->imm); }
void IMUL_GwEwIb(struct cpu *c, const struct insn *i) { imul_into(c, i->reg, 2, cpu_rm_read(c, i, 2), i->imm); }
void IMUL_GdEdIb(struct cpu *c, const struct insn *i) { imul_into(c, i->reg, 4, cpu_rm_read(c, i, 4), i->imm); }
