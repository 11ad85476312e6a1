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
 * mode's own, cpu_load_sreg). Protected-mode far transfers (descriptors,
 * gates, task switches, returns to an outer level) belong to the
 * system-architecture work: until then they stop the machine with a reason.
 *
 * Fault discipline: a far CALL writes both stack slots before ESP or CS
 * changes; RET and IRET read every slot (cpu_stack_peek, which wraps as the
 * stack size says) and check the new EIP before ESP moves.
 *
 * LOOPcc and JCXZ count in CX or ECX by ADDRESS size (INSN_A32), and branch
 * to a target truncated by OPERAND size.
 */
#include "../cpu-internal.h"

_Noreturn static void far_unimplemented(struct cpu *c, const char *what) {
  cpu_stop(c, CPU_EXIT_UNIMPLEMENTED, "protected-mode %s at %04x:%08x is not implemented yet", what,
           c->seg[CPU_CS].selector, c->eip);
  cpu_raise(c, -1, 0);
}

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

static inline void jcc(struct cpu *c, const struct insn *i, unsigned n) {
  if (cpu_cond(c, i->opcode & 0xF))
    jump_near(c, c->next_eip + i->imm, n);
}
void Jcc_Jbw(struct cpu *c, const struct insn *i) { jcc(c, i, 2); }
void Jcc_Jbd(struct cpu *c, const struct insn *i) { jcc(c, i, 4); }
void Jcc_Jw(struct cpu *c, const struct insn *i) { jcc(c, i, 2); }
void Jcc_Jd(struct cpu *c, const struct insn *i) { jcc(c, i, 4); }

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

static inline void jump_far(struct cpu *c, uint16_t sel, uint32_t off) {
  if (c->mode == CPU_MODE_PROT)
    far_unimplemented(c, "far JMP");
  if (off > c->seg[CPU_CS].limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  cpu_load_cs(c, sel, off);
}

/* Far CALL: push CS (zero-extended with O32) and the return (E)IP, both
 * written before ESP and CS change. */
static inline void call_far(struct cpu *c, unsigned n, uint16_t sel, uint32_t off) {
  if (c->mode == CPU_MODE_PROT)
    far_unimplemented(c, "far CALL");
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
static inline void ret_far(struct cpu *c, const struct insn *i, uint32_t release) {
  if (c->mode == CPU_MODE_PROT)
    far_unimplemented(c, "far RET");
  unsigned n = cpu_osize(i);
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
  cpu_deliver(c, (int)(i->imm & 0xFF), CPU_NO_ERROR_CODE, c->next_eip, true);
}

void INT3(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_deliver(c, CPU_EXC_BP, CPU_NO_ERROR_CODE, c->next_eip, true);
}

void INTO(struct cpu *c, const struct insn *i) {
  (void)i;
  if (cpu_flags_arith(c) & CPU_FLAG_OF)
    cpu_deliver(c, CPU_EXC_OF, CPU_NO_ERROR_CODE, c->next_eip, true);
}

void INT1(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_deliver(c, CPU_EXC_DB, CPU_NO_ERROR_CODE, c->next_eip, false);
}

/* ---- IRET ------------------------------------------------------------------------------------- */

/* Real-address mode (SDM IRET, REAL-ADDRESS-MODE):
 *   O16: IP, CS, FLAGS[15:0] <- pops (all 16 FLAGS bits but the reserved)
 *   O32: EIP, CS (32-bit slot), EFLAGS <- (temp AND 257FD5H) OR
 *        (EFLAGS AND 1A0000H): VM VIF VIP kept; RF AC ID loaded.
 * Virtual-8086 mode with IOPL 3 is the same but IOPL is kept too; with
 * IOPL < 3 it is #GP(0) (no CR4.VME). */
static inline void iret(struct cpu *c, unsigned n) {
  if (c->mode == CPU_MODE_PROT)
    far_unimplemented(c, "IRET");
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
