/* ops/alu.c - ADD OR ADC SBB AND SUB XOR CMP, TEST, INC DEC NEG NOT.
 *
 * Every form reads its operands, computes the result without touching the
 * processor state, writes the destination (the one step that can fault after
 * the reads) and only then records the flags, so a faulting write leaves the
 * flags as they were. The flags are lazy (flags.c): the handlers record the
 * operation and its operands.
 */
#include "../cpu-internal.h"

enum alu_op { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

struct alu_result {
  uint32_t value;
  unsigned cc_op;
};

static inline struct alu_result alu_compute(const struct cpu *c, enum alu_op op, unsigned n, uint32_t a,
                                            uint32_t b) {
  unsigned sz = cpu_cc_size(n);
  uint32_t m = cpu_mask(n);
  switch (op) {
  case ALU_ADD:
    return (struct alu_result){(a + b) & m, CC_ADD8 + sz};
  case ALU_ADC: {
    bool cf = cpu_cf(c);
    return (struct alu_result){(a + b + cf) & m, (cf ? CC_ADC8 : CC_ADD8) + sz};
  }
  case ALU_SBB: {
    bool cf = cpu_cf(c);
    return (struct alu_result){(a - b - cf) & m, (cf ? CC_SBB8 : CC_SUB8) + sz};
  }
  case ALU_SUB:
  case ALU_CMP:
    return (struct alu_result){(a - b) & m, CC_SUB8 + sz};
  case ALU_OR:
    return (struct alu_result){a | b, CC_LOGIC8 + sz};
  case ALU_AND:
    return (struct alu_result){a & b, CC_LOGIC8 + sz};
  case ALU_XOR:
  default:
    return (struct alu_result){a ^ b, CC_LOGIC8 + sz};
  }
}

/* op E, G */
static inline void alu_EG(struct cpu *c, const struct insn *i, enum alu_op op, unsigned n) {
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  uint32_t a = (i->flags & INSN_MEM) ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  uint32_t b = cpu_reg_read(c, i->reg, n);
  struct alu_result r = alu_compute(c, op, n, a, b);
  if (op != ALU_CMP)
    cpu_rm_write(c, i, n, ea, r.value);
  cpu_set_lazy(c, r.cc_op, a, b, r.value);
}

/* op G, E */
static inline void alu_GE(struct cpu *c, const struct insn *i, enum alu_op op, unsigned n) {
  uint32_t a = cpu_reg_read(c, i->reg, n);
  uint32_t b = cpu_rm_read(c, i, n);
  struct alu_result r = alu_compute(c, op, n, a, b);
  if (op != ALU_CMP)
    cpu_reg_write(c, i->reg, n, r.value);
  cpu_set_lazy(c, r.cc_op, a, b, r.value);
}

/* op E, imm (the decoder has already extended the immediate) */
static inline void alu_EI(struct cpu *c, const struct insn *i, enum alu_op op, unsigned n) {
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  uint32_t a = (i->flags & INSN_MEM) ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  uint32_t b = i->imm & cpu_mask(n);
  struct alu_result r = alu_compute(c, op, n, a, b);
  if (op != ALU_CMP)
    cpu_rm_write(c, i, n, ea, r.value);
  cpu_set_lazy(c, r.cc_op, a, b, r.value);
}

/* op AL/AX/EAX, imm */
static inline void alu_AI(struct cpu *c, const struct insn *i, enum alu_op op, unsigned n) {
  uint32_t a = cpu_reg_read(c, CPU_EAX, n);
  uint32_t b = i->imm & cpu_mask(n);
  struct alu_result r = alu_compute(c, op, n, a, b);
  if (op != ALU_CMP)
    cpu_reg_write(c, CPU_EAX, n, r.value);
  cpu_set_lazy(c, r.cc_op, a, b, r.value);
}

#define ALU_HANDLERS(OP, op)                                                        \
  void OP##_EbGb(struct cpu *c, const struct insn *i) { alu_EG(c, i, op, 1); }      \
  void OP##_EwGw(struct cpu *c, const struct insn *i) { alu_EG(c, i, op, 2); }      \
  void OP##_EdGd(struct cpu *c, const struct insn *i) { alu_EG(c, i, op, 4); }      \
  void OP##_GbEb(struct cpu *c, const struct insn *i) { alu_GE(c, i, op, 1); }      \
  void OP##_GwEw(struct cpu *c, const struct insn *i) { alu_GE(c, i, op, 2); }      \
  void OP##_GdEd(struct cpu *c, const struct insn *i) { alu_GE(c, i, op, 4); }      \
  void OP##_ALIb(struct cpu *c, const struct insn *i) { alu_AI(c, i, op, 1); }      \
  void OP##_AXIw(struct cpu *c, const struct insn *i) { alu_AI(c, i, op, 2); }      \
  void OP##_EAXId(struct cpu *c, const struct insn *i) { alu_AI(c, i, op, 4); }     \
  void OP##_EbIb(struct cpu *c, const struct insn *i) { alu_EI(c, i, op, 1); }      \
  void OP##_EwIw(struct cpu *c, const struct insn *i) { alu_EI(c, i, op, 2); }      \
  void OP##_EdId(struct cpu *c, const struct insn *i) { alu_EI(c, i, op, 4); }      \
  void OP##_EwIbs(struct cpu *c, const struct insn *i) { alu_EI(c, i, op, 2); }     \
  void OP##_EdIbs(struct cpu *c, const struct insn *i) { alu_EI(c, i, op, 4); }

ALU_HANDLERS(ADD, ALU_ADD)
ALU_HANDLERS(OR, ALU_OR)
ALU_HANDLERS(ADC, ALU_ADC)
ALU_HANDLERS(SBB, ALU_SBB)
ALU_HANDLERS(AND, ALU_AND)
ALU_HANDLERS(SUB, ALU_SUB)
ALU_HANDLERS(XOR, ALU_XOR)
ALU_HANDLERS(CMP, ALU_CMP)

/* TEST: AND without a destination. */
static inline void test(struct cpu *c, unsigned n, uint32_t a, uint32_t b) {
  cpu_set_lazy(c, CC_LOGIC8 + cpu_cc_size(n), a, b, a & b);
}
void TEST_EbGb(struct cpu *c, const struct insn *i) { test(c, 1, cpu_rm_read(c, i, 1), cpu_r8(c, i->reg)); }
void TEST_EwGw(struct cpu *c, const struct insn *i) { test(c, 2, cpu_rm_read(c, i, 2), cpu_r16(c, i->reg)); }
void TEST_EdGd(struct cpu *c, const struct insn *i) { test(c, 4, cpu_rm_read(c, i, 4), cpu_r32(c, i->reg)); }
void TEST_ALIb(struct cpu *c, const struct insn *i) { test(c, 1, cpu_r8(c, CPU_EAX), i->imm & 0xFF); }
void TEST_AXIw(struct cpu *c, const struct insn *i) { test(c, 2, cpu_r16(c, CPU_EAX), i->imm & 0xFFFF); }
void TEST_EAXId(struct cpu *c, const struct insn *i) { test(c, 4, cpu_r32(c, CPU_EAX), i->imm); }
void TEST_EbIb(struct cpu *c, const struct insn *i) { test(c, 1, cpu_rm_read(c, i, 1), i->imm & 0xFF); }
void TEST_EwIw(struct cpu *c, const struct insn *i) { test(c, 2, cpu_rm_read(c, i, 2), i->imm & 0xFFFF); }
void TEST_EdId(struct cpu *c, const struct insn *i) { test(c, 4, cpu_rm_read(c, i, 4), i->imm); }

/* INC and DEC keep CF: it is captured into cc_src2 before the new op. */
static inline void incdec_rm(struct cpu *c, const struct insn *i, unsigned n, bool dec) {
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  uint32_t a = (i->flags & INSN_MEM) ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  uint32_t r = (dec ? a - 1 : a + 1) & cpu_mask(n);
  uint32_t cf = cpu_flags_arith(c) & CPU_FLAG_CF;
  cpu_rm_write(c, i, n, ea, r);
  cpu_set_lazy(c, (dec ? CC_DEC8 : CC_INC8) + cpu_cc_size(n), a, cf, r);
}

static inline void incdec_reg(struct cpu *c, unsigned reg, unsigned n, bool dec) {
  uint32_t a = cpu_reg_read(c, reg, n);
  uint32_t r = (dec ? a - 1 : a + 1) & cpu_mask(n);
  uint32_t cf = cpu_flags_arith(c) & CPU_FLAG_CF;
  cpu_reg_write(c, reg, n, r);
  cpu_set_lazy(c, (dec ? CC_DEC8 : CC_INC8) + cpu_cc_size(n), a, cf, r);
}

void INC_Zw(struct cpu *c, const struct insn *i) { incdec_reg(c, i->reg, 2, false); }
void INC_Zd(struct cpu *c, const struct insn *i) { incdec_reg(c, i->reg, 4, false); }
void DEC_Zw(struct cpu *c, const struct insn *i) { incdec_reg(c, i->reg, 2, true); }
void DEC_Zd(struct cpu *c, const struct insn *i) { incdec_reg(c, i->reg, 4, true); }
void INC_Eb(struct cpu *c, const struct insn *i) { incdec_rm(c, i, 1, false); }
void DEC_Eb(struct cpu *c, const struct insn *i) { incdec_rm(c, i, 1, true); }
void INC_Ew(struct cpu *c, const struct insn *i) { incdec_rm(c, i, 2, false); }
void INC_Ed(struct cpu *c, const struct insn *i) { incdec_rm(c, i, 4, false); }
void DEC_Ew(struct cpu *c, const struct insn *i) { incdec_rm(c, i, 2, true); }
void DEC_Ed(struct cpu *c, const struct insn *i) { incdec_rm(c, i, 4, true); }

/* NOT changes no flags; NEG is 0 - x with SUB's flags. */
static inline void not_rm(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  uint32_t a = (i->flags & INSN_MEM) ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  cpu_rm_write(c, i, n, ea, ~a & cpu_mask(n));
}

static inline void neg_rm(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  uint32_t a = (i->flags & INSN_MEM) ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  uint32_t r = (0 - a) & cpu_mask(n);
  cpu_rm_write(c, i, n, ea, r);
  cpu_set_lazy(c, CC_SUB8 + cpu_cc_size(n), 0, a, r);
}

void NOT_Eb(struct cpu *c, const struct insn *i) { not_rm(c, i, 1); }
void NOT_Ew(struct cpu *c, const struct insn *i) { not_rm(c, i, 2); }
void NOT_Ed(struct cpu *c, const struct insn *i) { not_rm(c, i, 4); }
void NEG_Eb(struct cpu *c, const struct insn *i) { neg_rm(c, i, 1); }
void NEG_Ew(struct cpu *c, const struct insn *i) { neg_rm(c, i, 2); }
void NEG_Ed(struct cpu *c, const struct insn *i) { neg_rm(c, i, 4); }
