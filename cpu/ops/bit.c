/* ops/bit.c - BT BTS BTR BTC, BSF BSR, BSWAP, SETcc, CMOVcc.
 *
 * Bit tests with a register bit offset and a memory operand address a bit
 * string: the offset is signed (16 or 32 bits by operand size) and may reach
 * outside the operand. The processor reads the word (dword) that holds the
 * bit, at ea + 2 * (offset >> 4) (ea + 4 * (offset >> 5)), arithmetic shifts,
 * the sum wrapped to address size (SDM vol. 2, BT, "bit base" and Table 3-2).
 * An immediate offset, and any offset with a register operand, is taken
 * modulo the operand width.
 *
 * Undefined flags, chosen deterministically (the SDM leaves them undefined;
 * these match what Bochs models for P6):
 * - BT BTS BTR BTC set CF to the selected bit and leave OF SF AF PF (and ZF,
 *   which the SDM says is unaffected) as they were.
 * - BSF BSR with a nonzero source: ZF = 0, SF and PF from the index, CF OF
 *   AF clear. With a zero source: ZF = 1, the destination is unchanged (what
 *   P6 processors do; Intel: "content of the destination is undefined") and
 *   the other flags are kept.
 * - BSWAP of a 16-bit register is undefined; a P6 leaves 0 in the low word
 *   (it swaps the zero-extended word into the upper half and keeps the lower
 *   half of the result), the upper 16 bits unchanged.
 */
#include "../cpu-internal.h"

/* ---- BT BTS BTR BTC ---------------------------------------------------------- */

enum bt_op { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

static inline uint32_t bt_apply(enum bt_op op, uint32_t v, uint32_t mask) {
  switch (op) {
  case BT_SET: return v | mask;
  case BT_RESET: return v & ~mask;
  case BT_COMPLEMENT: return v ^ mask;
  case BT_TEST:
  default: return v;
  }
}

static inline void bt_set_cf(struct cpu *c, bool bit) {
  cpu_eflags_write(c, bit ? CPU_FLAG_CF : 0, CPU_FLAG_CF);
}

/* The operand (register or memory at ea) of n bytes holding bit `bit`. */
static inline void bt_at(struct cpu *c, const struct insn *i, enum bt_op op, unsigned n, uint32_t ea,
                         unsigned bit) {
  uint32_t mask = 1u << bit;
  uint32_t v = (i->flags & INSN_MEM) ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  if (op != BT_TEST)
    cpu_rm_write(c, i, n, ea, bt_apply(op, v, mask));
  bt_set_cf(c, (v & mask) != 0);
}

/* op Ev, Gv: register bit offset. */
static inline void bt_EG(struct cpu *c, const struct insn *i, enum bt_op op, unsigned n) {
  uint32_t off = cpu_reg_read(c, i->reg, n);
  unsigned width = 8 * n;
  if (!(i->flags & INSN_MEM)) {
    bt_at(c, i, op, n, 0, off & (width - 1));
    return;
  }
  int32_t soff = n == 2 ? (int16_t)off : (int32_t)off;
  /* Arithmetic shift of a signed offset, written without relying on >> of
   * negative values: floor division by the width. */
  int32_t units = soff >= 0 ? soff / (int32_t)width : -(int32_t)((-(int64_t)soff + width - 1) / width);
  uint32_t ea = cpu_ea(c, i) + (uint32_t)units * n;
  if (!(i->flags & INSN_A32))
    ea &= 0xFFFF;
  bt_at(c, i, op, n, ea, (unsigned)off & (width - 1));
}

/* op Ev, Ib: immediate bit offset, modulo the operand width. */
static inline void bt_EI(struct cpu *c, const struct insn *i, enum bt_op op, unsigned n) {
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  bt_at(c, i, op, n, ea, i->imm & (8 * n - 1));
}

void BT_EwGw(struct cpu *c, const struct insn *i) { bt_EG(c, i, BT_TEST, 2); }
void BT_EdGd(struct cpu *c, const struct insn *i) { bt_EG(c, i, BT_TEST, 4); }
void BTS_EwGw(struct cpu *c, const struct insn *i) { bt_EG(c, i, BT_SET, 2); }
void BTS_EdGd(struct cpu *c, const struct insn *i) { bt_EG(c, i, BT_SET, 4); }
void BTR_EwGw(struct cpu *c, const struct insn *i) { bt_EG(c, i, BT_RESET, 2); }
void BTR_EdGd(struct cpu *c, const struct insn *i) { bt_EG(c, i, BT_RESET, 4); }
void BTC_EwGw(struct cpu *c, const struct insn *i) { bt_EG(c, i, BT_COMPLEMENT, 2); }
void BTC_EdGd(struct cpu *c, const struct insn *i) { bt_EG(c, i, BT_COMPLEMENT, 4); }
void BT_EwIb(struct cpu *c, const struct insn *i) { bt_EI(c, i, BT_TEST, 2); }
void BT_EdIb(struct cpu *c, const struct insn *i) { bt_EI(c, i, BT_TEST, 4); }
void BTS_EwIb(struct cpu *c, const struct insn *i) { bt_EI(c, i, BT_SET, 2); }
void BTS_EdIb(struct cpu *c, const struct insn *i) { bt_EI(c, i, BT_SET, 4); }
void BTR_EwIb(struct cpu *c, const struct insn *i) { bt_EI(c, i, BT_RESET, 2); }
void BTR_EdIb(struct cpu *c, const struct insn *i) { bt_EI(c, i, BT_RESET, 4); }
void BTC_EwIb(struct cpu *c, const struct insn *i) { bt_EI(c, i, BT_COMPLEMENT, 2); }
void BTC_EdIb(struct cpu *c, const struct insn *i) { bt_EI(c, i, BT_COMPLEMENT, 4); }

/* ---- BSF BSR ----------------------------------------------------------------- */

static inline void bitscan(struct cpu *c, const struct insn *i, unsigned n, bool reverse) {
  uint32_t src = cpu_rm_read(c, i, n);
  if (src == 0) {
    cpu_eflags_write(c, CPU_FLAG_ZF, CPU_FLAG_ZF);
    return;
  }
  uint32_t index = reverse ? 31u - (uint32_t)__builtin_clz(src) : (uint32_t)__builtin_ctz(src);
  cpu_reg_write(c, i->reg, n, index);
  cpu_set_arith(c, cpu_flags_szp(index, n) & ~CPU_FLAG_ZF);
}

void BSF_GwEw(struct cpu *c, const struct insn *i) { bitscan(c, i, 2, false); }
void BSF_GdEd(struct cpu *c, const struct insn *i) { bitscan(c, i, 4, false); }
void BSR_GwEw(struct cpu *c, const struct insn *i) { bitscan(c, i, 2, true); }
void BSR_GdEd(struct cpu *c, const struct insn *i) { bitscan(c, i, 4, true); }

/* ---- BSWAP ------------------------------------------------------------------- */

void BSWAP_Zd(struct cpu *c, const struct insn *i) { cpu_w32(c, i->reg, __builtin_bswap32(cpu_r32(c, i->reg))); }

/* Undefined by Intel; P6: the low word becomes 0 (see the top of the file). */
void BSWAP_Zw(struct cpu *c, const struct insn *i) { cpu_w16(c, i->reg, 0); }

/* ---- SETcc CMOVcc (condition in the opcode's low four bits) -------------------- */

void SETcc_Eb(struct cpu *c, const struct insn *i) {
  uint8_t v = cpu_cond(c, i->opcode & 15) ? 1 : 0;
  cpu_rm_write(c, i, 1, (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0, v);
}

/* The source is read (and may fault) whatever the condition; with a false
 * condition the destination is left unchanged, in 32-bit operand size too
 * (only 64-bit mode zero-extends). */
static inline void cmov(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t v = cpu_rm_read(c, i, n);
  if (cpu_cond(c, i->opcode & 15))
    cpu_reg_write(c, i->reg, n, v);
}

void CMOVcc_GwEw(struct cpu *c, const struct insn *i) { cmov(c, i, 2); }
void CMOVcc_GdEd(struct cpu *c, const struct insn *i) { cmov(c, i, 4); }
