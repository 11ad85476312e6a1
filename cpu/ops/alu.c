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

/* Every handler with a ModRM operand comes in two parts: the register form
 * inline, a leaf that needs no stack frame, and the memory form, with its
 * slow paths and calls, in a function of its own that the handler
 * tail-calls. In one function the frame the memory form needs would be set
 * up on every register-form execution too. mem is a constant in each. */
#define SPLIT_HANDLER(name, reg_call, mem_call)                                       \
  static __attribute__((noinline)) void name##_mem(struct cpu *c, const struct insn *i) { \
    mem_call;                                                                       \
  }                                                                                 \
  void name(struct cpu *c, const struct insn *i) {                                  \
    if (i->flags & INSN_MEM)                                                        \
      name##_mem(c, i);                                                             \
    else                                                                            \
      reg_call;                                                                     \
  }

/* The r/m operand's address (memory form) or nothing. */
static inline __attribute__((always_inline)) uint32_t rm_ea(const struct cpu *c, const struct insn *i,
                                                            bool mem) {
  return mem ? cpu_ea(c, i) : 0;
}
static inline __attribute__((always_inline)) uint32_t rm_get(struct cpu *c, const struct insn *i, bool mem,
                                                             uint32_t ea, unsigned n) {
  return mem ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
}
static inline __attribute__((always_inline)) void rm_put(struct cpu *c, const struct insn *i, bool mem,
                                                         uint32_t ea, unsigned n, uint32_t v) {
  if (mem)
    cpu_write(c, i->seg, ea, n, v);
  else
    cpu_reg_write(c, i->rm, n, v);
}

/* op E, G */
static inline __attribute__((always_inline)) void alu_EG(struct cpu *c, const struct insn *i, enum alu_op op,
                                                         unsigned n, bool mem) {
  uint32_t ea = rm_ea(c, i, mem);
  uint32_t a = rm_get(c, i, mem, ea, n);
  uint32_t b = cpu_reg_read(c, i->reg, n);
  struct alu_result r = alu_compute(c, op, n, a, b);
  if (op != ALU_CMP)
    rm_put(c, i, mem, ea, n, r.value);
  cpu_set_lazy(c, r.cc_op, a, b, r.value);
}

/* op G, E */
static inline __attribute__((always_inline)) void alu_GE(struct cpu *c, const struct insn *i, enum alu_op op,
                                                         unsigned n, bool mem) {
  uint32_t a = cpu_reg_read(c, i->reg, n);
  uint32_t b = rm_get(c, i, mem, rm_ea(c, i, mem), n);
  struct alu_result r = alu_compute(c, op, n, a, b);
  if (op != ALU_CMP)
    cpu_reg_write(c, i->reg, n, r.value);
  cpu_set_lazy(c, r.cc_op, a, b, r.value);
}

/* op E, imm (the decoder has already extended the immediate) */
static inline __attribute__((always_inline)) void alu_EI(struct cpu *c, const struct insn *i, enum alu_op op,
                                                         unsigned n, bool mem) {
  uint32_t ea = rm_ea(c, i, mem);
  uint32_t a = rm_get(c, i, mem, ea, n);
  uint32_t b = i->imm & cpu_mask(n);
  struct alu_result r = alu_compute(c, op, n, a, b);
  if (op != ALU_CMP)
    rm_put(c, i, mem, ea, n, r.value);
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

#define ALU_SPLIT(name, form, op, n) SPLIT_HANDLER(name, form(c, i, op, n, false), form(c, i, op, n, true))
#define ALU_HANDLERS(OP, op)                                                        \
  ALU_SPLIT(OP##_EbGb, alu_EG, op, 1)                                               \
  ALU_SPLIT(OP##_EwGw, alu_EG, op, 2)                                               \
  ALU_SPLIT(OP##_EdGd, alu_EG, op, 4)                                               \
  ALU_SPLIT(OP##_GbEb, alu_GE, op, 1)                                               \
  ALU_SPLIT(OP##_GwEw, alu_GE, op, 2)                                               \
  ALU_SPLIT(OP##_GdEd, alu_GE, op, 4)                                               \
  void OP##_ALIb(struct cpu *c, const struct insn *i) { alu_AI(c, i, op, 1); }      \
  void OP##_AXIw(struct cpu *c, const struct insn *i) { alu_AI(c, i, op, 2); }      \
  void OP##_EAXId(struct cpu *c, const struct insn *i) { alu_AI(c, i, op, 4); }     \
  ALU_SPLIT(OP##_EbIb, alu_EI, op, 1)                                               \
  ALU_SPLIT(OP##_EwIw, alu_EI, op, 2)                                               \
  ALU_SPLIT(OP##_EdId, alu_EI, op, 4)                                               \
  ALU_SPLIT(OP##_EwIbs, alu_EI, op, 2)                                              \
  ALU_SPLIT(OP##_EdIbs, alu_EI, op, 4)

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
#define TEST_SPLIT(name, n, other)                                                                 \
  SPLIT_HANDLER(name, test(c, n, rm_get(c, i, false, 0, n), other),                              \
                test(c, n, rm_get(c, i, true, cpu_ea(c, i), n), other))
TEST_SPLIT(TEST_EbGb, 1, cpu_r8(c, i->reg))
TEST_SPLIT(TEST_EwGw, 2, cpu_r16(c, i->reg))
TEST_SPLIT(TEST_EdGd, 4, cpu_r32(c, i->reg))
void TEST_ALIb(struct cpu *c, const struct insn *i) { test(c, 1, cpu_r8(c, CPU_EAX), i->imm & 0xFF); }
void TEST_AXIw(struct cpu *c, const struct insn *i) { test(c, 2, cpu_r16(c, CPU_EAX), i->imm & 0xFFFF); }
void TEST_EAXId(struct cpu *c, const struct insn *i) { test(c, 4, cpu_r32(c, CPU_EAX), i->imm); }
TEST_SPLIT(TEST_EbIb, 1, i->imm & 0xFF)
TEST_SPLIT(TEST_EwIw, 2, i->imm & 0xFFFF)
TEST_SPLIT(TEST_EdId, 4, i->imm)

/* INC and DEC keep CF: it is captured into cc_src2 before the new op
 * (cpu_cf: from the lazy state, without computing the other flags). */
static inline __attribute__((always_inline)) void incdec_rm(struct cpu *c, const struct insn *i, unsigned n,
                                                            bool dec, bool mem) {
  uint32_t ea = rm_ea(c, i, mem);
  uint32_t a = rm_get(c, i, mem, ea, n);
  uint32_t r = (dec ? a - 1 : a + 1) & cpu_mask(n);
  uint32_t cf = cpu_cf(c) ? CPU_FLAG_CF : 0;
  rm_put(c, i, mem, ea, n, r);
  cpu_set_lazy(c, (dec ? CC_DEC8 : CC_INC8) + cpu_cc_size(n), a, cf, r);
}

static inline void incdec_reg(struct cpu *c, unsigned reg, unsigned n, bool dec) {
  uint32_t a = cpu_reg_read(c, reg, n);
  uint32_t r = (dec ? a - 1 : a + 1) & cpu_mask(n);
  uint32_t cf = cpu_cf(c) ? CPU_FLAG_CF : 0;
  cpu_reg_write(c, reg, n, r);
  cpu_set_lazy(c, (dec ? CC_DEC8 : CC_INC8) + cpu_cc_size(n), a, cf, r);
}

void INC_Zw(struct cpu *c, const struct insn *i) { incdec_reg(c, i->reg, 2, false); }
void INC_Zd(struct cpu *c, const struct insn *i) { incdec_reg(c, i->reg, 4, false); }
void DEC_Zw(struct cpu *c, const struct insn *i) { incdec_reg(c, i->reg, 2, true); }
void DEC_Zd(struct cpu *c, const struct insn *i) { incdec_reg(c, i->reg, 4, true); }
#define INCDEC_SPLIT(name, n, dec) SPLIT_HANDLER(name, incdec_rm(c, i, n, dec, false), incdec_rm(c, i, n, dec, true))
INCDEC_SPLIT(INC_Eb, 1, false)
INCDEC_SPLIT(DEC_Eb, 1, true)
INCDEC_SPLIT(INC_Ew, 2, false)
INCDEC_SPLIT(INC_Ed, 4, false)
INCDEC_SPLIT(DEC_Ew, 2, true)
INCDEC_SPLIT(DEC_Ed, 4, true)

/* NOT changes no flags; NEG is 0 - x with SUB's flags. */
static inline __attribute__((always_inline)) void not_rm(struct cpu *c, const struct insn *i, unsigned n,
                                                         bool mem) {
  uint32_t ea = rm_ea(c, i, mem);
  uint32_t a = rm_get(c, i, mem, ea, n);
  rm_put(c, i, mem, ea, n, ~a & cpu_mask(n));
}

static inline __attribute__((always_inline)) void neg_rm(struct cpu *c, const struct insn *i, unsigned n,
                                                         bool mem) {
  uint32_t ea = rm_ea(c, i, mem);
  uint32_t a = rm_get(c, i, mem, ea, n);
  uint32_t r = (0 - a) & cpu_mask(n);
  rm_put(c, i, mem, ea, n, r);
  cpu_set_lazy(c, CC_SUB8 + cpu_cc_size(n), 0, a, r);
}

#define UNARY_SPLIT(name, form, n) SPLIT_HANDLER(name, form(c, i, n, false), form(c, i, n, true))
UNARY_SPLIT(NOT_Eb, not_rm, 1)
UNARY_SPLIT(NOT_Ew, not_rm, 2)
UNARY_SPLIT(NOT_Ed, not_rm, 4)
UNARY_SPLIT(NEG_Eb, neg_rm, 1)
UNARY_SPLIT(NEG_Ew, neg_rm, 2)
UNARY_SPLIT(NEG_Ed, neg_rm, 4)
