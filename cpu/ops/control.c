/* ops/control.c - Jcc, JMP, CALL, RET near and far, LOOP, JCXZ, INT n,
 * INT3, INTO, INT1, IRET, BOUND.
 *
 * Near transfers write cpu->next_eip; with a 16-bit operand size the target
 * is truncated to 16 bits (SDM: "IF OperandSize = 16 THEN EIP <- EIP AND
 * 0000FFFFH"). Every target is checked against the CS limit before anything
 * is committed (#GP(0) otherwise, reported at the branch itself).
 *
 * Far transfers and IRET follow the SDM's real-address-mode operation, which
 * virtual-8086 mode shares for JMP/CALL/RET far (the segment load is the
 * mode's own, cpu_load_sreg).
 *
 * Protected mode (SDM vol. 2 JMP, CALL, RET, IRET "Operation"; vol. 3, 5.8
 * "Privilege level checking when transferring program control between code
 * segments"): far JMP/CALL to a conforming or non-conforming code segment
 * (CPL unchanged, CS.RPL := CPL), through a 16- or 32-bit call gate (JMP to
 * the same level only, CALL to an inner level switches to the stack the TSS
 * names for that ring and copies the gate's parameter count of slots), far
 * RET and IRET to the same or an outer level (the outer stack popped, data
 * segment registers the new level may not use made null), IRET to
 * virtual-8086 mode. Task gates, TSS targets and IRET with NT (task return)
 * are hardware task switches (task.c).
 *
 * Fault discipline: a far CALL writes both stack slots before ESP or CS
 * changes; RET and IRET read every slot (cpu_stack_peek, which wraps as the
 * stack size says) and check the new EIP before ESP moves. Every descriptor
 * check is done before anything is committed; the accessed bits are set at
 * commit. A CALL through a gate to an inner level checks the room on the new
 * stack (#SS(new SS)), reads the parameters from the old one and, with
 * paging on, translates every page of the new stack it writes (#PF) before
 * it switches.
 *
 * LOOPcc and JCXZ count in CX or ECX by ADDRESS size (INSN_A32), and branch
 * to a target truncated by OPERAND size.
 */
#include "../cpu-internal.h"

/* A near target of operand size n, checked against the CS limit. */
static inline uint32_t near_target(struct cpu *c, uint32_t target, unsigned n) {
  target &= cpu_mask(n);
  if (target > c->seg[CPU_CS].limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  return target;
}

static inline void jump_near(struct cpu *c, uint32_t target, unsigned n) {
  c->next_eip = near_target(c, target, n);
}

/* ---- Jcc, JMP near ------------------------------------------------------------ */

/* Jcc whose condition cpu_cond_quick cannot decide, out of line: so the
 * common case (JZ/JNZ after a lazy operation) is a leaf without a frame. */
static __attribute__((noinline)) void jcc_lazy(struct cpu *c, const struct insn *i, unsigned n) {
  if (cpu_cond_lazy(c, i->opcode & 0xF))
    jump_near(c, c->next_eip + i->imm, n);
}

static inline void jcc(struct cpu *c, const struct insn *i, unsigned n) {
  bool taken;
  if (!cpu_cond_quick(c, i->opcode & 0xF, &taken))
    jcc_lazy(c, i, n);
  else if (taken)
    jump_near(c, c->next_eip + i->imm, n);
}
void Jcc_Jbw(struct cpu *c, const struct insn *i) { jcc(c, i, 2); }
void Jcc_Jbd(struct cpu *c, const struct insn *i) { jcc(c, i, 4); }
void Jcc_Jw(struct cpu *c, const struct insn *i) { jcc(c, i, 2); }
void Jcc_Jd(struct cpu *c, const struct insn *i) { jcc(c, i, 4); }

/* JZ/JNZ and JB/JNB of 32-bit operand size (rel8 or rel32), the branches
 * of most loops: the block builder puts these in insn.fn in place of
 * Jcc_Jbd/Jcc_Jd (cpu_jcc_handler), so that the condition needs no
 * dispatch on its code. Same results as jcc(): the tests of cpu_cond_quick
 * for that condition, the lazy way otherwise. */
static void jcc32_z(struct cpu *c, const struct insn *i) {
  unsigned op = c->cc_op;
  if (unlikely(op == CC_EAGER)) {
    jcc_lazy(c, i, 4);
    return;
  }
  if (((c->cc_res & cpu_cc_mask[op]) == 0) != (i->opcode & 1))
    jump_near(c, c->next_eip + i->imm, 4);
}
static void jcc32_b(struct cpu *c, const struct insn *i) {
  unsigned op = c->cc_op;
  if (unlikely(cpu_cc_kind[op] != CC_K_SUB)) {
    jcc_lazy(c, i, 4);
    return;
  }
  uint32_t m = cpu_cc_mask[op];
  if (((c->cc_src1 & m) < (c->cc_src2 & m)) != (i->opcode & 1))
    jump_near(c, c->next_eip + i->imm, 4);
}
cpu_handler cpu_jcc_handler(cpu_handler fn, unsigned cc) {
  if (fn != Jcc_Jbd && fn != Jcc_Jd)
    return fn;
  return (cc >> 1) == 2 ? jcc32_z : (cc >> 1) == 1 ? jcc32_b : fn;
}

void JMP_Jbw(struct cpu *c, const struct insn *i) { jump_near(c, c->next_eip + i->imm, 2); }
void JMP_Jbd(struct cpu *c, const struct insn *i) { jump_near(c, c->next_eip + i->imm, 4); }
void JMP_Jw(struct cpu *c, const struct insn *i) { jump_near(c, c->next_eip + i->imm, 2); }
void JMP_Jd(struct cpu *c, const struct insn *i) { jump_near(c, c->next_eip + i->imm, 4); }
void JMP_Ew(struct cpu *c, const struct insn *i) { jump_near(c, cpu_rm_read(c, i, 2), 2); }
void JMP_Ed(struct cpu *c, const struct insn *i) { jump_near(c, cpu_rm_read(c, i, 4), 4); }

/* ---- CALL near ------------------------------------------------------------------ */

/* The target (read first, with the ESP of before the push if ESP-based) is
 * checked, then the return address is pushed, then EIP changes. */
static inline void call_near(struct cpu *c, uint32_t target, unsigned n) {
  target = near_target(c, target, n);
  cpu_push(c, n, c->next_eip & cpu_mask(n));
  c->next_eip = target;
}
void CALL_Jw(struct cpu *c, const struct insn *i) { call_near(c, c->next_eip + i->imm, 2); }
void CALL_Jd(struct cpu *c, const struct insn *i) { call_near(c, c->next_eip + i->imm, 4); }
void CALL_Ew(struct cpu *c, const struct insn *i) { call_near(c, cpu_rm_read(c, i, 2), 2); }
void CALL_Ed(struct cpu *c, const struct insn *i) { call_near(c, cpu_rm_read(c, i, 4), 4); }

/* ---- far JMP / CALL ------------------------------------------------------------------ */

/* Reads a far pointer m16:16 or m16:32 (offset first, selector after it). */
static inline void read_far_pointer(struct cpu *c, const struct insn *i, unsigned n, uint16_t *sel,
                                    uint32_t *off) {
  uint32_t ea = cpu_ea(c, i);
  *off = cpu_read(c, i->seg, ea, n);
  *sel = (uint16_t)cpu_read(c, i->seg, ea + n, 2);
}

static void far_protected(struct cpu *c, bool call, unsigned n, uint16_t sel, uint32_t off);

static inline void jump_far(struct cpu *c, uint16_t sel, uint32_t off) {
  if (c->mode == CPU_MODE_PROT) {
    far_protected(c, false, 4, sel, off); /* the operand size masked off already */
    return;
  }
  if (off > c->seg[CPU_CS].limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  cpu_load_cs(c, sel, off);
}

/* Far CALL: push CS (zero-extended with O32) and the return (E)IP, both
 * written before ESP and CS change. */
static inline void call_far(struct cpu *c, unsigned n, uint16_t sel, uint32_t off) {
  if (c->mode == CPU_MODE_PROT) {
    far_protected(c, true, n, sel, off);
    return;
  }
  if (off > c->seg[CPU_CS].limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t mask = cpu_sp_mask(c);
  uint32_t sp = (c->gpr[CPU_ESP] - n) & mask;
  cpu_write(c, CPU_SS, sp, n, c->seg[CPU_CS].selector);
  sp = (sp - n) & mask;
  cpu_write(c, CPU_SS, sp, n, c->next_eip & cpu_mask(n));
  c->gpr[CPU_ESP] = cpu_sp_merge(c, sp);
  cpu_load_cs(c, sel, off);
}

void JMP_Ap(struct cpu *c, const struct insn *i) { jump_far(c, i->imm2, i->imm); }
void CALL_Ap(struct cpu *c, const struct insn *i) { call_far(c, cpu_osize(i), i->imm2, i->imm); }

void JMP_Mp(struct cpu *c, const struct insn *i) {
  uint16_t sel;
  uint32_t off;
  read_far_pointer(c, i, cpu_osize(i), &sel, &off);
  jump_far(c, sel, off);
}

void CALL_Mp(struct cpu *c, const struct insn *i) {
  uint16_t sel;
  uint32_t off;
  unsigned n = cpu_osize(i);
  read_far_pointer(c, i, n, &sel, &off);
  call_far(c, n, sel, off);
}

/* ---- RET ---------------------------------------------------------------------------- */

/* RET near [imm16]: pop (E)IP by operand size, then add imm16 to (E)SP. */
static inline void ret_near(struct cpu *c, const struct insn *i, uint32_t release) {
  unsigned n = cpu_osize(i);
  uint32_t target = near_target(c, cpu_stack_peek(c, 0, n), n);
  c->gpr[CPU_ESP] = cpu_sp_merge(c, c->gpr[CPU_ESP] + n + release);
  c->next_eip = target;
}
void RET_near(struct cpu *c, const struct insn *i) { ret_near(c, i, 0); }
void RET_near_Iw(struct cpu *c, const struct insn *i) { ret_near(c, i, i->imm & 0xFFFF); }

/* RET far [imm16]: pop (E)IP, pop CS (a full slot, upper half ignored),
 * then add imm16 to (E)SP. */
static void ret_far_protected(struct cpu *c, unsigned n, uint32_t release);

static inline void ret_far(struct cpu *c, const struct insn *i, uint32_t release) {
  unsigned n = cpu_osize(i);
  if (c->mode == CPU_MODE_PROT) {
    unsigned cpl = c->cpl;
    ret_far_protected(c, n, release);
    if (c->cpl != cpl) {
      cpu_charge(c, CPU_TEV_ret_far_outer);
      cpu_count_ring(c, cpl, c->cpl, TRACE_MECH_far_ret);
    }
    return;
  }
  uint32_t off = cpu_stack_peek(c, 0, n);
  uint16_t sel = (uint16_t)cpu_stack_peek(c, n, n);
  if (off > c->seg[CPU_CS].limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  c->gpr[CPU_ESP] = cpu_sp_merge(c, c->gpr[CPU_ESP] + 2 * n + release);
  cpu_load_cs(c, sel, off);
}
void RET_far(struct cpu *c, const struct insn *i) { ret_far(c, i, 0); }
void RET_far_Iw(struct cpu *c, const struct insn *i) { ret_far(c, i, i->imm & 0xFFFF); }

/* ---- LOOPcc / JCXZ ----------------------------------------------------------------------- */

enum loop_kind { LOOP_NE, LOOP_E, LOOP_ALWAYS };

static inline void loop(struct cpu *c, const struct insn *i, enum loop_kind kind) {
  bool a32 = (i->flags & INSN_A32) != 0;
  uint32_t count = (c->gpr[CPU_ECX] - 1) & (a32 ? 0xFFFFFFFFu : 0xFFFFu);
  bool taken = count != 0;
  if (kind != LOOP_ALWAYS) {
    bool zf = (cpu_flags_arith(c) & CPU_FLAG_ZF) != 0;
    taken = taken && (kind == LOOP_E ? zf : !zf);
  }
  uint32_t target = taken ? near_target(c, c->next_eip + i->imm, cpu_osize(i)) : 0;
  if (a32)
    cpu_w32(c, CPU_ECX, count);
  else
    cpu_w16(c, CPU_ECX, (uint16_t)count);
  if (taken)
    c->next_eip = target;
}
void LOOPNE_Jb(struct cpu *c, const struct insn *i) { loop(c, i, LOOP_NE); }
void LOOPE_Jb(struct cpu *c, const struct insn *i) { loop(c, i, LOOP_E); }
void LOOP_Jb(struct cpu *c, const struct insn *i) { loop(c, i, LOOP_ALWAYS); }

void JCXZ_Jb(struct cpu *c, const struct insn *i) {
  uint32_t count = (i->flags & INSN_A32) ? cpu_r32(c, CPU_ECX) : cpu_r16(c, CPU_ECX);
  if (count == 0)
    jump_near(c, c->next_eip + i->imm, cpu_osize(i));
}

/* ---- INT n, INT3, INTO, INT1 ---------------------------------------------------------------- */

/* All are traps: the return address pushed is the next instruction's. INT n
 * is IOPL-sensitive in virtual-8086 mode (CR4.VME is not modeled). INT1
 * (ICEBP) is delivered as a debug exception, not as a software interrupt
 * (no gate DPL check). */
void INT_Ib(struct cpu *c, const struct insn *i) {
  if (c->mode == CPU_MODE_V86 && ((c->eflags & CPU_FLAG_IOPL) >> 12) < 3)
    cpu_raise(c, CPU_EXC_GP, 0);
  cpu_deliver(c, (int)(i->imm & 0xFF), CPU_NO_ERROR_CODE, c->next_eip, CPU_DELIVER_SOFT_INT);
}

void INT3(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_deliver(c, CPU_EXC_BP, CPU_NO_ERROR_CODE, c->next_eip, CPU_DELIVER_SOFT_EXC);
}

void INTO(struct cpu *c, const struct insn *i) {
  (void)i;
  if (cpu_flags_arith(c) & CPU_FLAG_OF)
    cpu_deliver(c, CPU_EXC_OF, CPU_NO_ERROR_CODE, c->next_eip, CPU_DELIVER_SOFT_EXC);
}

void INT1(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_deliver(c, CPU_EXC_DB, CPU_NO_ERROR_CODE, c->next_eip, CPU_DELIVER_EXCEPTION);
}

/* ---- IRET ------------------------------------------------------------------------------------- */

/* Real-address mode (SDM IRET, REAL-ADDRESS-MODE):
 *   O16: IP, CS, FLAGS[15:0] <- pops (all 16 FLAGS bits but the reserved)
 *   O32: EIP, CS (32-bit slot), EFLAGS <- (temp AND 257FD5H) OR
 *        (EFLAGS AND 1A0000H): VM VIF VIP kept; RF AC ID loaded.
 * Virtual-8086 mode with IOPL 3 is the same but IOPL is kept too; with
 * IOPL < 3 it is #GP(0) (no CR4.VME). */
static void iret_protected(struct cpu *c, unsigned n);

static inline void iret(struct cpu *c, unsigned n) {
  if (c->mode == CPU_MODE_PROT) {
    unsigned cpl = c->cpl;
    bool task = (c->eflags & CPU_FLAG_NT) != 0; /* task.c charges the switch */
    iret_protected(c, n);
    cpu_count(c, TRACE_EV_iret); /* counted once it cannot fault any more */
    if (task)
      return;
    if (c->mode == CPU_MODE_V86) {
      cpu_charge(c, CPU_TEV_iret_to_v86);
      cpu_count_ring(c, cpl, c->cpl, TRACE_MECH_iret);
    } else if (c->cpl != cpl) {
      cpu_charge(c, CPU_TEV_iret_outer);
      cpu_count_ring(c, cpl, c->cpl, TRACE_MECH_iret);
    } else {
      cpu_charge(c, CPU_TEV_iret_same);
    }
    return;
  }
  bool v86 = c->mode == CPU_MODE_V86;
  if (v86 && ((c->eflags & CPU_FLAG_IOPL) >> 12) < 3)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t off = cpu_stack_peek(c, 0, n);
  uint16_t sel = (uint16_t)cpu_stack_peek(c, n, n);
  uint32_t flags = cpu_stack_peek(c, 2 * n, n);
  if (off > c->seg[CPU_CS].limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t mask = n == 4 ? 0x00257FD5u : 0x00007FD5u;
  if (v86)
    mask &= ~CPU_FLAG_IOPL;
  c->gpr[CPU_ESP] = cpu_sp_merge(c, c->gpr[CPU_ESP] + 3 * n);
  cpu_load_cs(c, sel, off);
  cpu_eflags_write(c, flags, mask);
  cpu_count(c, TRACE_EV_iret);
  cpu_charge(c, CPU_TEV_iret_real);
}
void IRET(struct cpu *c, const struct insn *i) { (void)i; iret(c, 2); }
void IRETD(struct cpu *c, const struct insn *i) { (void)i; iret(c, 4); }

/* ---- BOUND ----------------------------------------------------------------------------------------- */

/* BOUND r, m: the signed index must lie in [lower, upper] (both read from
 * memory, upper right after lower); else #BR, a fault. */
static inline void bound(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t ea = cpu_ea(c, i);
  uint32_t lo = cpu_read(c, i->seg, ea, n);
  uint32_t hi = cpu_read(c, i->seg, ea + n, n);
  int32_t idx = (int32_t)cpu_reg_read(c, i->reg, n);
  int32_t l = (int32_t)lo, h = (int32_t)hi;
  if (n == 2) {
    idx = (int16_t)idx;
    l = (int16_t)lo;
    h = (int16_t)hi;
  }
  if (idx < l || idx > h)
    cpu_raise(c, CPU_EXC_BR, CPU_NO_ERROR_CODE);
}
void BOUND_GwMa(struct cpu *c, const struct insn *i) { bound(c, i, 2); }
void BOUND_GdMa(struct cpu *c, const struct insn *i) { bound(c, i, 4); }

/* ---- protected mode: descriptors and privilege -------------------------------------------------- */

#define TYPE_RW 0x2u        /* data: writable; code: readable */
#define TYPE_CONFORMING 0x4u /* code */
#define TYPE_CODE 0x8u

/* System descriptor types (S = 0), SDM vol. 3, Table 3-2. */
#define SYS_TSS16 0x1u
#define SYS_TSS16_BUSY 0x3u
#define SYS_CALLGATE16 0x4u
#define SYS_TASKGATE 0x5u
#define SYS_TSS32 0x9u
#define SYS_TSS32_BUSY 0xBu
#define SYS_CALLGATE32 0xCu

/* A descriptor as read and as a segment-register cache. */
struct desc {
  struct cpu_descriptor raw;
  struct cpu_segment seg;
};

static inline uint32_t sel_error(uint16_t sel) { return sel & 0xFFFCu; }
static inline bool sel_null(uint16_t sel) { return (sel & 0xFFFCu) == 0; }
static inline unsigned sel_rpl(uint16_t sel) { return sel & CPU_SEL_RPL; }
static inline unsigned desc_dpl(const struct desc *d) { return cpu_attr_dpl(d->seg.attr); }
static inline unsigned desc_type(const struct desc *d) { return d->seg.attr & CPU_ATTR_TYPE; }
static inline bool desc_present(const struct desc *d) { return (d->seg.attr & CPU_ATTR_P) != 0; }
static inline bool desc_is_code(const struct desc *d) {
  return (d->seg.attr & CPU_ATTR_S) && (d->seg.attr & TYPE_CODE);
}
static inline bool desc_is_conforming(const struct desc *d) {
  return desc_is_code(d) && (d->seg.attr & TYPE_CONFORMING);
}
static inline bool desc_is_writable_data(const struct desc *d) {
  return (d->seg.attr & CPU_ATTR_S) && !(d->seg.attr & TYPE_CODE) && (d->seg.attr & TYPE_RW);
}

/* Reads the descriptor of a non-null selector; past the table limit it is
 * `vector`(selector), which the caller names (#GP for transfers, #TS for
 * the TSS stack). */
static void desc_read(struct cpu *c, uint16_t sel, struct desc *d, int vector) {
  if (!cpu_descriptor_read(c, sel, &d->raw))
    cpu_raise(c, vector, sel_error(sel));
  cpu_descriptor_to_segment(&d->raw, sel, &d->seg);
}

/* Commits CS:EIP from a checked code descriptor: CS.RPL and CPL become the
 * RPL of sel. */
static void commit_cs(struct cpu *c, struct desc *d, uint16_t sel, uint32_t eip) {
  cpu_descriptor_set_accessed(c, &d->raw);
  c->seg[CPU_CS] = d->seg; /* converted by desc_read; the accessed bit is set now */
  c->seg[CPU_CS].selector = sel;
  c->seg[CPU_CS].attr |= CPU_ATTR_ACCESSED;
  c->cpl = sel_rpl(sel);
  cpu_segment_loaded(c, CPU_CS);
  c->next_eip = eip;
  cpu_end_block(c);
}

/* Commits SS and ESP from a checked stack descriptor; esp is merged by the
 * NEW stack size (a 16-bit SS changes only SP). */
static void commit_ss(struct cpu *c, struct desc *d, uint16_t sel, uint32_t esp) {
  cpu_descriptor_set_accessed(c, &d->raw);
  c->seg[CPU_SS] = d->seg;
  c->seg[CPU_SS].selector = sel;
  c->seg[CPU_SS].attr |= CPU_ATTR_ACCESSED;
  cpu_segment_loaded(c, CPU_SS);
  c->gpr[CPU_ESP] = cpu_sp_merge(c, esp);
}

/* Whether n bytes at off lie in the segment (expand-down aware, as
 * cpu_segment_check), for a stack that is not SS yet. */
static bool seg_holds(const struct cpu_segment *sg, uint32_t off, unsigned n) {
  uint64_t last = (uint64_t)off + n - 1;
  if ((sg->attr & (CPU_ATTR_S | TYPE_CODE | TYPE_CONFORMING)) == (CPU_ATTR_S | TYPE_CONFORMING)) {
    uint64_t upper = (sg->attr & CPU_ATTR_DB) ? 0xFFFFFFFFull : 0xFFFFull;
    return off > sg->limit && last <= upper;
  }
  return last <= sg->limit;
}

/* ---- protected mode: far JMP and CALL ------------------------------------------------------------- */

/* Pushes CS:EIP (slots of n bytes) on the current stack, both written before
 * ESP is committed. */
static void push_return(struct cpu *c, unsigned n) {
  uint32_t mask = cpu_sp_mask(c);
  uint32_t sp = (c->gpr[CPU_ESP] - n) & mask;
  cpu_write(c, CPU_SS, sp, n, c->seg[CPU_CS].selector);
  sp = (sp - n) & mask;
  cpu_write(c, CPU_SS, sp, n, c->next_eip & cpu_mask(n));
  c->gpr[CPU_ESP] = cpu_sp_merge(c, sp);
}

/* CALL through a gate to a more privileged non-conforming code segment
 * (SDM CALL, MORE-PRIVILEGE): new SS:ESP from the TSS for the target ring
 * (cpu_tss_ring_stack, tss.c: ESPn at 4 + 8n and SSn at 8 + 8n in a 32-bit
 * TSS, SPn at 2 + 4n and SSn at 4 + 4n in a 16-bit one; #TS(TR) past its
 * limit), then on the new stack: old SS, old ESP, `count` parameters copied from
 * the old stack (same order), old CS, old EIP, all in slots of the gate
 * size n. */
static void call_gate_inner(struct cpu *c, struct desc *code, uint16_t code_sel, uint32_t eip,
                            unsigned n, unsigned count) {
  unsigned ring = desc_dpl(code);
  uint16_t ss_sel;
  uint32_t esp;
  cpu_tss_ring_stack(c, ring, &ss_sel, &esp);
  if (sel_null(ss_sel))
    cpu_raise(c, CPU_EXC_TS, sel_error(ss_sel));
  struct desc ss;
  desc_read(c, ss_sel, &ss, CPU_EXC_TS);
  if (sel_rpl(ss_sel) != ring || desc_dpl(&ss) != ring || !desc_is_writable_data(&ss))
    cpu_raise(c, CPU_EXC_TS, sel_error(ss_sel));
  if (!desc_present(&ss))
    cpu_raise(c, CPU_EXC_SS, sel_error(ss_sel));
  /* Room for SS, ESP, the parameters, CS, EIP on the new stack. */
  uint32_t new_mask = (ss.seg.attr & CPU_ATTR_DB) ? 0xFFFFFFFFu : 0xFFFFu;
  for (unsigned k = 1; k <= count + 4; k++)
    if (!seg_holds(&ss.seg, (esp - k * n) & new_mask, n))
      cpu_raise(c, CPU_EXC_SS, sel_error(ss_sel));
  if (eip > code->seg.limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t params[31];
  for (unsigned k = 0; k < count; k++)
    params[k] = cpu_stack_peek(c, k * n, n);
  uint32_t slots[4 + 31];
  unsigned m = 0;
  slots[m++] = c->seg[CPU_SS].selector;
  slots[m++] = c->gpr[CPU_ESP] & cpu_mask(n);
  for (unsigned k = count; k-- > 0;)
    slots[m++] = params[k];
  slots[m++] = c->seg[CPU_CS].selector;
  slots[m++] = c->next_eip & cpu_mask(n);

  /* The pushes go to the new stack at the new CPL (ring < 3: supervisor
   * accesses), by linear address: SS is not loaded yet. With paging on,
   * every page they write and the descriptor bytes of the SS and CS
   * accessed bits are translated first, so that a #PF comes before
   * anything changes. */
  uint32_t sp = esp & new_mask;
  if (c->mem->paging) {
    for (unsigned k = 0, p = sp; k < m; k++) {
      p = (p - n) & new_mask;
      cpu_lin_probe(c, ss.seg.base + p, n, true, false);
    }
    if (!(ss.raw.hi & 0x100))
      cpu_sys_probe(c, ss.raw.addr + 5, 1, true);
    if (!(code->raw.hi & 0x100))
      cpu_sys_probe(c, code->raw.addr + 5, 1, true);
  }

  /* Commit: nothing below can fault. */
  for (unsigned k = 0; k < m; k++) {
    sp = (sp - n) & new_mask;
    cpu_lin_write(c, ss.seg.base + sp, n, slots[k], false);
  }
  commit_ss(c, &ss, ss_sel, sp);
  commit_cs(c, code, (uint16_t)((code_sel & ~3u) | ring), eip);
}

/* A far JMP or CALL through a call gate (SDM JMP/CALL, CALL-GATE). */
static void far_gate(struct cpu *c, bool call, uint16_t gate_sel, struct desc *gate) {
  unsigned gdpl = desc_dpl(gate);
  if (gdpl < c->cpl || gdpl < sel_rpl(gate_sel))
    cpu_raise(c, CPU_EXC_GP, sel_error(gate_sel));
  if (!desc_present(gate))
    cpu_raise(c, CPU_EXC_NP, sel_error(gate_sel));
  bool gate32 = desc_type(gate) == SYS_CALLGATE32;
  unsigned n = gate32 ? 4 : 2;
  uint16_t code_sel = (uint16_t)(gate->raw.lo >> 16);
  uint32_t eip = (gate->raw.lo & 0xFFFFu) | (gate32 ? (gate->raw.hi & 0xFFFF0000u) : 0);
  unsigned count = gate->raw.hi & 0x1F;
  if (sel_null(code_sel))
    cpu_raise(c, CPU_EXC_GP, 0);
  struct desc code;
  desc_read(c, code_sel, &code, CPU_EXC_GP);
  unsigned dpl = desc_dpl(&code);
  bool bad = !desc_is_code(&code);
  if (!bad && call)
    bad = dpl > c->cpl;
  else if (!bad)
    bad = desc_is_conforming(&code) ? dpl > c->cpl : dpl != c->cpl;
  if (bad)
    cpu_raise(c, CPU_EXC_GP, sel_error(code_sel));
  if (!desc_present(&code))
    cpu_raise(c, CPU_EXC_NP, sel_error(code_sel));
  if (call && !desc_is_conforming(&code) && dpl < c->cpl) {
    unsigned from = c->cpl;
    call_gate_inner(c, &code, code_sel, eip, n, count);
    cpu_charge(c, CPU_TEV_callgate_inner);
    cpu_count_ring(c, from, c->cpl, TRACE_MECH_call_gate);
    return;
  }
  if (eip > code.seg.limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  if (call)
    push_return(c, n);
  commit_cs(c, &code, (uint16_t)((code_sel & ~3u) | c->cpl), eip);
  cpu_charge(c, CPU_TEV_callgate_same);
}

/* Far JMP/CALL in protected mode (SDM JMP and CALL "Operation"); off is
 * already of operand size n. */
static void far_protected(struct cpu *c, bool call, unsigned n, uint16_t sel, uint32_t off) {
  if (sel_null(sel))
    cpu_raise(c, CPU_EXC_GP, 0);
  struct desc d;
  desc_read(c, sel, &d, CPU_EXC_GP);
  if (d.seg.attr & CPU_ATTR_S) {
    if (!desc_is_code(&d))
      cpu_raise(c, CPU_EXC_GP, sel_error(sel));
    unsigned dpl = desc_dpl(&d);
    if (desc_is_conforming(&d) ? dpl > c->cpl : (sel_rpl(sel) > c->cpl || dpl != c->cpl))
      cpu_raise(c, CPU_EXC_GP, sel_error(sel));
    if (!desc_present(&d))
      cpu_raise(c, CPU_EXC_NP, sel_error(sel));
    if (off > d.seg.limit)
      cpu_raise(c, CPU_EXC_GP, 0);
    if (call)
      push_return(c, n);
    commit_cs(c, &d, (uint16_t)((sel & ~3u) | c->cpl), off);
    return;
  }
  switch (desc_type(&d)) {
  case SYS_CALLGATE16:
  case SYS_CALLGATE32:
    far_gate(c, call, sel, &d);
    return;
  case SYS_TASKGATE:
  case SYS_TSS16:
  case SYS_TSS32:
    cpu_task_far(c, call, sel, &d.raw); /* task.c */
    return;
  default: /* busy TSS, LDT, interrupt and trap gates, reserved types */
    cpu_raise(c, CPU_EXC_GP, sel_error(sel));
  }
}

/* ---- protected mode: far RET and IRET --------------------------------------------------------------- */

/* The checks of the return CS shared by RET and IRET (SDM RET, "PROTECTED
 * MODE"; IRET, PROTECTED-MODE-RETURN). */
static void check_return_cs(struct cpu *c, uint16_t sel, struct desc *d) {
  if (sel_null(sel))
    cpu_raise(c, CPU_EXC_GP, 0);
  desc_read(c, sel, d, CPU_EXC_GP);
  unsigned rpl = sel_rpl(sel), dpl = desc_dpl(d);
  if (!desc_is_code(d) || rpl < c->cpl || (desc_is_conforming(d) ? dpl > rpl : dpl != rpl))
    cpu_raise(c, CPU_EXC_GP, sel_error(sel));
  if (!desc_present(d))
    cpu_raise(c, CPU_EXC_NP, sel_error(sel));
}

/* The checks of the outer stack popped by RET and IRET to an outer level. */
static void check_return_ss(struct cpu *c, uint16_t ss_sel, uint16_t cs_sel, struct desc *d) {
  if (sel_null(ss_sel))
    cpu_raise(c, CPU_EXC_GP, 0);
  desc_read(c, ss_sel, d, CPU_EXC_GP);
  unsigned rpl = sel_rpl(cs_sel);
  if (sel_rpl(ss_sel) != rpl || !desc_is_writable_data(d) || desc_dpl(d) != rpl)
    cpu_raise(c, CPU_EXC_GP, sel_error(ss_sel));
  if (!desc_present(d))
    cpu_raise(c, CPU_EXC_SS, sel_error(ss_sel));
}

/* After a return to an outer level (SDM RET and IRET): ES, DS, FS, GS that
 * hold a data or non-conforming code segment with DPL < the new CPL become
 * null (selector 0, unusable). The DPL is the one in the register's cache. */
static void null_inaccessible_data_segments(struct cpu *c) {
  /* The common flat case: all four hold DPL-3 segments, which every level may use. */
  if ((c->seg[CPU_ES].attr & c->seg[CPU_DS].attr & c->seg[CPU_FS].attr & c->seg[CPU_GS].attr &
       (CPU_ATTR_S | CPU_ATTR_DPL)) == (CPU_ATTR_S | CPU_ATTR_DPL))
    return;
  static const unsigned regs[] = {CPU_ES, CPU_DS, CPU_FS, CPU_GS};
  for (unsigned k = 0; k < 4; k++) {
    struct cpu_segment *sg = &c->seg[regs[k]];
    if (!(sg->attr & CPU_ATTR_S))
      continue; /* already null */
    bool conforming = (sg->attr & (TYPE_CODE | TYPE_CONFORMING)) == (TYPE_CODE | TYPE_CONFORMING);
    if (!conforming && cpu_attr_dpl(sg->attr) < c->cpl) {
      *sg = (struct cpu_segment){.selector = 0};
      cpu_segment_loaded(c, regs[k]);
    }
  }
}

/* Far RET in protected mode (SDM RET, "Operation"): to the same level, pop
 * EIP and CS and release `release` bytes; to an outer level, also release
 * them on the called procedure's stack, pop ESP and SS, null the data
 * segment registers the outer level may not use, and release them again on
 * the caller's stack (by the new stack's size). */
static void ret_far_protected(struct cpu *c, unsigned n, uint32_t release) {
  uint32_t off = cpu_stack_peek(c, 0, n);
  uint16_t sel = (uint16_t)cpu_stack_peek(c, n, n);
  struct desc cs;
  check_return_cs(c, sel, &cs);
  if (sel_rpl(sel) == c->cpl) {
    if (off > cs.seg.limit)
      cpu_raise(c, CPU_EXC_GP, 0);
    c->gpr[CPU_ESP] = cpu_sp_merge(c, c->gpr[CPU_ESP] + 2 * n + release);
    commit_cs(c, &cs, sel, off);
    return;
  }
  uint32_t esp = cpu_stack_peek(c, 2 * n + release, n);
  uint16_t ss_sel = (uint16_t)cpu_stack_peek(c, 3 * n + release, n);
  struct desc ss;
  check_return_ss(c, ss_sel, sel, &ss);
  if (off > cs.seg.limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  commit_cs(c, &cs, sel, off);
  commit_ss(c, &ss, ss_sel, esp);
  null_inaccessible_data_segments(c);
  c->gpr[CPU_ESP] = cpu_sp_merge(c, c->gpr[CPU_ESP] + release);
}

#define FLAGS_IRET_ALWAYS 0x00004DD5u /* CF PF AF ZF SF TF DF OF NT */

/* Reads `count` stack slots of n bytes from SS:(ESP + first * n) into v, as
 * that many cpu_stack_peek calls would (the same faults, the same DTLB
 * uses), through one host pointer when they lie side by side in a page. */
static void stack_peek_slots(struct cpu *c, unsigned first, unsigned count, unsigned n, uint32_t *v) {
  const uint8_t *p = cpu_stack_span_ptr(c, first * n, count * n, count);
  for (unsigned k = 0; k < count; k++)
    v[k] = likely(p != NULL) ? cpu_ld_le(p + k * n, n) : cpu_stack_peek(c, (first + k) * n, n);
}

/* IRETD at CPL 0 with VM set in the EFLAGS image (SDM IRET, RETURN-TO-
 * VIRTUAL-8086-MODE; vol. 3, 20.3.3): below EIP, CS and EFLAGS the frame
 * holds ESP, SS, ES, DS, FS, GS in dword slots (the selectors' upper halves
 * ignored). All six are read and the new IP checked against the 64 KiB
 * limit before anything changes; then the whole EFLAGS image is loaded, the
 * segment registers take the real-mode style values of virtual-8086 mode
 * (base = selector * 16) and CPL becomes 3. */
static void iret_to_v86(struct cpu *c, uint32_t eip, uint16_t cs, uint32_t flags) {
  uint32_t v[6]; /* ESP SS ES DS FS GS */
  for (unsigned k = 0; k < 6; k++)
    v[k] = cpu_stack_peek(c, 12 + 4 * k, 4);
  if (eip > 0xFFFF)
    cpu_raise(c, CPU_EXC_GP, 0);
  cpu_eflags_write(c, flags, 0x003F7FD5u);
  cpu_update_mode(c); /* virtual-8086 mode, CPL 3 */
  c->gpr[CPU_ESP] = v[0];
  cpu_load_sreg(c, CPU_CS, cs);
  cpu_load_sreg(c, CPU_SS, (uint16_t)v[1]);
  cpu_load_sreg(c, CPU_ES, (uint16_t)v[2]);
  cpu_load_sreg(c, CPU_DS, (uint16_t)v[3]);
  cpu_load_sreg(c, CPU_FS, (uint16_t)v[4]);
  cpu_load_sreg(c, CPU_GS, (uint16_t)v[5]);
  c->next_eip = eip;
  cpu_end_block(c);
}

/* IRET in protected mode (SDM IRET, PROTECTED-MODE-RETURN). The EFLAGS
 * image is loaded by the CPL of before the return: IOPL (and VIF VIP) only
 * at CPL 0, IF only if CPL <= IOPL, RF AC ID only with a 32-bit operand
 * size. */
static void iret_protected(struct cpu *c, unsigned n) {
  if (c->eflags & CPU_FLAG_NT) {
    cpu_task_return(c); /* task.c: a task switch to the back link */
    return;
  }
  uint32_t top[3]; /* EIP, CS, EFLAGS */
  stack_peek_slots(c, 0, 3, n, top);
  uint32_t off = top[0];
  uint16_t sel = (uint16_t)top[1];
  uint32_t flags = top[2];
  if (n == 4 && (flags & CPU_FLAG_VM) && c->cpl == 0) {
    iret_to_v86(c, off, sel, flags);
    return;
  }
  struct desc cs, ss;
  check_return_cs(c, sel, &cs);
  bool outer = sel_rpl(sel) > c->cpl;
  uint32_t esp = 0;
  uint16_t ss_sel = 0;
  if (outer) {
    uint32_t outer_slots[2]; /* ESP, SS */
    stack_peek_slots(c, 3, 2, n, outer_slots);
    esp = outer_slots[0];
    ss_sel = (uint16_t)outer_slots[1];
    check_return_ss(c, ss_sel, sel, &ss);
  }
  if (off > cs.seg.limit)
    cpu_raise(c, CPU_EXC_GP, 0);

  unsigned iopl = (c->eflags & CPU_FLAG_IOPL) >> 12;
  uint32_t mask = FLAGS_IRET_ALWAYS;
  if (n == 4)
    mask |= CPU_FLAG_RF | CPU_FLAG_AC | CPU_FLAG_ID;
  if (c->cpl <= iopl)
    mask |= CPU_FLAG_IF;
  if (c->cpl == 0) {
    mask |= CPU_FLAG_IOPL;
    if (n == 4)
      mask |= CPU_FLAG_VIF | CPU_FLAG_VIP;
  }
  if (!outer)
    c->gpr[CPU_ESP] = cpu_sp_merge(c, c->gpr[CPU_ESP] + 3 * n);
  commit_cs(c, &cs, sel, off);
  cpu_eflags_write(c, flags, mask);
  if (outer) {
    commit_ss(c, &ss, ss_sel, esp);
    null_inaccessible_data_segments(c);
  }
}
