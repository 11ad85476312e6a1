/* ops/stack.c - PUSH and POP of every kind, PUSHA POPA, PUSHF POPF, ENTER
 * LEAVE.
 *
 * The stack is SS with the stack-address size of SS.B (c->stack32): with a
 * 16-bit stack only SP moves and every slot address wraps at 64 KiB, the
 * upper half of ESP is kept. Operand size (O16/O32) sets the slot width.
 *
 * Fault discipline: every instruction that writes more than one slot, or
 * that reads an operand and then pushes, writes all of its memory first at
 * addresses computed from a local copy of (E)SP, and commits ESP and the
 * registers only when nothing can fault any more. A faulting push therefore
 * leaves ESP and the registers as they were (memory already written by the
 * same instruction may remain, as on hardware).
 *
 * Choices where the SDM leaves room, and what they follow:
 * - PUSH of a segment register with a 32-bit operand size writes the
 *   selector with a 16-bit store into the 4-byte slot (upper half left as
 *   it was) after checking the whole slot; the SDM allows this or a
 *   zero-extended push, and P6 and later processors do the 16-bit store.
 * - POPF/POPFD follow the SDM's privilege table: real mode acts as CPL 0;
 *   RF ends clear, VM VIF VIP never change; AC and ID only with O32.
 *   Virtual-8086 mode without CR4.VME (not modeled): IOPL 3 lets POPF change
 *   everything but IOPL, else #GP(0); PUSHF likewise.
 * - Operand size against stack size (audited against the SDM's pseudocode
 *   and Bochs): the stack size decides only how (E)SP moves and wraps;
 *   every value pushed or loaded has the operand size. So O32 PUSHA on a
 *   16-bit stack pushes all of ESP, O32 POP ESP loads all of it, O32 LEAVE
 *   keeps ESP's upper half and loads all of EBP, and O32 ENTER's frame
 *   pointer is all of ESP (it was cut to SP: fixed, test_stack_size).
 * - ENTER ends with a write check of an operand-sized slot at the final
 *   (E)SP (the SDM's "#SS if the new value of SP or ESP is outside the stack
 *   segment limit"), as Bochs models the P6.
 */
#include "../cpu-internal.h"

/* Writes one n-byte slot below sp (a local stack pointer, not ESP) and
 * returns the new local sp. Faults before anything is committed. */
static inline uint32_t stack_put(struct cpu *c, uint32_t sp, unsigned n, uint32_t v) {
  sp = (sp - n) & cpu_sp_mask(c);
  cpu_write(c, CPU_SS, sp, n, v);
  return sp;
}

static inline void stack_commit(struct cpu *c, uint32_t sp) { c->gpr[CPU_ESP] = cpu_sp_merge(c, sp); }

static inline uint32_t sp_now(const struct cpu *c) { return c->gpr[CPU_ESP] & cpu_sp_mask(c); }

/* ---- PUSH / POP of general registers, immediates and r/m ----------------- */

/* PUSH reg: PUSH (E)SP pushes the value (E)SP had before the instruction,
 * which is what reading the register before cpu_push() gives. */
void PUSH_Zw(struct cpu *c, const struct insn *i) { cpu_push(c, 2, cpu_r16(c, i->reg)); }
void PUSH_Zd(struct cpu *c, const struct insn *i) { cpu_push(c, 4, cpu_r32(c, i->reg)); }

/* POP reg: the register is written after ESP is incremented, so POP (E)SP
 * leaves the popped value in (E)SP. */
static inline void pop_reg(struct cpu *c, unsigned reg, unsigned n) {
  uint32_t v = cpu_pop(c, n);
  cpu_reg_write(c, reg, n, v);
}
void POP_Zw(struct cpu *c, const struct insn *i) { pop_reg(c, i->reg, 2); }
void POP_Zd(struct cpu *c, const struct insn *i) { pop_reg(c, i->reg, 4); }

void PUSH_Iw(struct cpu *c, const struct insn *i) { cpu_push(c, 2, i->imm & 0xFFFF); }
void PUSH_Id(struct cpu *c, const struct insn *i) { cpu_push(c, 4, i->imm); }
void PUSH_Ibw(struct cpu *c, const struct insn *i) { cpu_push(c, 2, i->imm & 0xFFFF); }
void PUSH_Ibd(struct cpu *c, const struct insn *i) { cpu_push(c, 4, i->imm); }

/* PUSH r/m: the operand is read (with the ESP of before the push, if it is
 * ESP-based) and then pushed. */
static inline void push_rm(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t v = cpu_rm_read(c, i, n);
  cpu_push(c, n, v);
}
void PUSH_Ew(struct cpu *c, const struct insn *i) { push_rm(c, i, 2); }
void PUSH_Ed(struct cpu *c, const struct insn *i) { push_rm(c, i, 4); }

/* POP r/m: SDM "If the ESP register is used as a base register for
 * addressing a destination operand in memory, the POP instruction computes
 * the effective address of the operand after it increments the ESP
 * register." The address is computed with the incremented ESP, memory is
 * written, and only then is ESP committed. A register destination of (E)SP
 * gets the popped value. */
static inline void pop_rm(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t sp = sp_now(c);
  uint32_t v = cpu_read(c, CPU_SS, sp, n);
  uint32_t new_esp = cpu_sp_merge(c, sp + n);
  if (!(i->flags & INSN_MEM)) {
    c->gpr[CPU_ESP] = new_esp;
    cpu_reg_write(c, i->rm, n, v);
    return;
  }
  uint32_t old_esp = c->gpr[CPU_ESP];
  c->gpr[CPU_ESP] = new_esp; /* for the address only */
  uint32_t ea = cpu_ea(c, i);
  c->gpr[CPU_ESP] = old_esp;
  cpu_write(c, i->seg, ea, n, v);
  c->gpr[CPU_ESP] = new_esp;
}
void POP_Ew(struct cpu *c, const struct insn *i) { pop_rm(c, i, 2); }
void POP_Ed(struct cpu *c, const struct insn *i) { pop_rm(c, i, 4); }

/* ---- segment registers ------------------------------------------------------ */

static inline void push_sreg(struct cpu *c, const struct insn *i, unsigned s) {
  uint16_t sel = c->seg[s].selector;
  if (!(i->flags & INSN_O32)) {
    cpu_push(c, 2, sel);
    return;
  }
  uint32_t sp = (sp_now(c) - 4) & cpu_sp_mask(c);
  cpu_probe_write(c, CPU_SS, sp, 4);
  cpu_write(c, CPU_SS, sp, 2, sel);
  stack_commit(c, sp);
}

/* POP Sreg: the load (which may fault) comes before ESP moves. */
static inline void pop_sreg(struct cpu *c, const struct insn *i, unsigned s) {
  unsigned n = cpu_osize(i);
  uint32_t sp = sp_now(c);
  uint16_t sel = (uint16_t)cpu_read(c, CPU_SS, sp, n);
  cpu_load_sreg(c, s, sel);
  stack_commit(c, sp + n);
}

void PUSH_ES(struct cpu *c, const struct insn *i) { push_sreg(c, i, CPU_ES); }
void PUSH_CS(struct cpu *c, const struct insn *i) { push_sreg(c, i, CPU_CS); }
void PUSH_SS(struct cpu *c, const struct insn *i) { push_sreg(c, i, CPU_SS); }
void PUSH_DS(struct cpu *c, const struct insn *i) { push_sreg(c, i, CPU_DS); }
void PUSH_FS(struct cpu *c, const struct insn *i) { push_sreg(c, i, CPU_FS); }
void PUSH_GS(struct cpu *c, const struct insn *i) { push_sreg(c, i, CPU_GS); }
void POP_ES(struct cpu *c, const struct insn *i) { pop_sreg(c, i, CPU_ES); }
void POP_DS(struct cpu *c, const struct insn *i) { pop_sreg(c, i, CPU_DS); }
void POP_FS(struct cpu *c, const struct insn *i) { pop_sreg(c, i, CPU_FS); }
void POP_GS(struct cpu *c, const struct insn *i) { pop_sreg(c, i, CPU_GS); }

/* POP SS: the new SS.B (stack32) must not change how ESP is committed, so
 * the new ESP is computed with the stack size of before the load. */
void POP_SS(struct cpu *c, const struct insn *i) {
  unsigned n = cpu_osize(i);
  uint32_t sp = sp_now(c);
  uint16_t sel = (uint16_t)cpu_read(c, CPU_SS, sp, n);
  uint32_t new_esp = cpu_sp_merge(c, sp + n);
  cpu_load_sreg(c, CPU_SS, sel);
  c->gpr[CPU_ESP] = new_esp;
}

/* ---- PUSHA / POPA -------------------------------------------------------------- */

/* Pushes AX CX DX BX, the original SP, BP SI DI: eight slots, each at its
 * own wrapped address, then one ESP commit. */
static inline void pusha(struct cpu *c, unsigned n) {
  uint32_t sp = sp_now(c);
  for (unsigned r = CPU_EAX; r <= CPU_EDI; r++)
    sp = stack_put(c, sp, n, cpu_reg_read(c, r, n));
  stack_commit(c, sp);
}

/* Pops DI SI BP, skips the SP slot, pops BX DX CX AX; reads all eight slots
 * before writing any register. */
static inline void popa(struct cpu *c, unsigned n) {
  uint32_t sp = sp_now(c);
  uint32_t v[8];
  for (int r = CPU_EDI; r >= CPU_EAX; r--) {
    v[r] = cpu_read(c, CPU_SS, sp, n);
    sp = (sp + n) & cpu_sp_mask(c);
  }
  for (unsigned r = CPU_EAX; r <= CPU_EDI; r++)
    if (r != CPU_ESP)
      cpu_reg_write(c, r, n, v[r]);
  stack_commit(c, sp);
}

void PUSHA(struct cpu *c, const struct insn *i) { (void)i; pusha(c, 2); }
void PUSHAD(struct cpu *c, const struct insn *i) { (void)i; pusha(c, 4); }
void POPA(struct cpu *c, const struct insn *i) { (void)i; popa(c, 2); }
void POPAD(struct cpu *c, const struct insn *i) { (void)i; popa(c, 4); }

/* ---- PUSHF / POPF ---------------------------------------------------------------- */

static inline unsigned iopl(const struct cpu *c) { return (c->eflags & CPU_FLAG_IOPL) >> 12; }

#define FLAGS_LOW 0x00007FD5u /* CF PF AF ZF SF TF IF DF OF IOPL NT */

/* PUSHFD pushes EFLAGS with VM and RF clear (SDM: EFLAGS AND 00FCFFFFH). */
static inline void pushf(struct cpu *c, unsigned n) {
  if (c->mode == CPU_MODE_V86 && iopl(c) < 3)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t f = cpu_eflags(c) & 0x00FCFFFFu;
  cpu_push(c, n, f & cpu_mask(n));
}

/* The EFLAGS bits POPF may change, by mode, CPL and IOPL (SDM POPF). */
static inline uint32_t popf_mask(const struct cpu *c, unsigned n) {
  uint32_t m = FLAGS_LOW;
  if (n == 4)
    m |= CPU_FLAG_AC | CPU_FLAG_ID;
  if (c->mode == CPU_MODE_V86) {
    m &= ~CPU_FLAG_IOPL;
  } else if (c->mode == CPU_MODE_PROT) {
    if (c->cpl > 0)
      m &= ~CPU_FLAG_IOPL;
    if (c->cpl > iopl(c))
      m &= ~CPU_FLAG_IF;
  }
  return m;
}

static inline void popf(struct cpu *c, unsigned n) {
  if (c->mode == CPU_MODE_V86 && iopl(c) < 3)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t mask = popf_mask(c, n);
  uint32_t v = cpu_pop(c, n);
  if (n == 4)
    mask |= CPU_FLAG_RF; /* RF always ends clear (bit 16 of v is dropped) */
  cpu_eflags_write(c, n == 4 ? v & ~CPU_FLAG_RF : v, mask);
}

void PUSHF(struct cpu *c, const struct insn *i) { (void)i; pushf(c, 2); }
void PUSHFD(struct cpu *c, const struct insn *i) { (void)i; pushf(c, 4); }
void POPF(struct cpu *c, const struct insn *i) { (void)i; popf(c, 2); }
void POPFD(struct cpu *c, const struct insn *i) { (void)i; popf(c, 4); }

/* ---- ENTER / LEAVE ------------------------------------------------------------------ */

/* ENTER imm16, imm8 (SDM ENTER operation, nesting level mod 32):
 *   push (E)BP; frame = ESP (O32) or SP (O16)
 *   for level-1 times: (E)BP -= n; push [SS:(E)BP]   (a copy of EBP; stack size)
 *   if level > 0: push frame
 *   (E)BP = frame (operand size); (E)SP -= imm16 (stack size)
 * The frame is sized by the operand size, not the stack size: with O32 on
 * a 16-bit stack (SS.B = 0) it is the whole of ESP after the push, upper
 * half included (the SDM's FrameTemp := ESP; Bochs' ENTER32 likewise), and
 * that is what EBP gets and what a nesting level pushes. With O16 on a
 * 32-bit stack it is SP, the low half. Every read and write is done on
 * locals first; registers are committed at the end. */
static inline void enter(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t alloc = i->imm & 0xFFFF;
  unsigned level = i->imm2 & 31;
  uint32_t smask = cpu_sp_mask(c);
  uint32_t sp = stack_put(c, sp_now(c), n, cpu_reg_read(c, CPU_EBP, n));
  uint32_t frame = cpu_sp_merge(c, sp) & cpu_mask(n);
  if (level > 0) {
    uint32_t bp = c->gpr[CPU_EBP];
    for (unsigned k = 1; k < level; k++) {
      bp = c->stack32 ? bp - n : ((bp & 0xFFFF0000u) | ((bp - n) & 0xFFFFu));
      uint32_t v = cpu_read(c, CPU_SS, bp & smask, n);
      sp = stack_put(c, sp, n, v);
    }
    sp = stack_put(c, sp, n, frame);
  }
  sp = (sp - alloc) & smask;
  cpu_probe_write(c, CPU_SS, sp, n);
  cpu_reg_write(c, CPU_EBP, n, frame);
  stack_commit(c, sp);
}

void ENTER_w(struct cpu *c, const struct insn *i) { enter(c, i, 2); }
void ENTER_d(struct cpu *c, const struct insn *i) { enter(c, i, 4); }

/* LEAVE: (E)SP = (E)BP by stack size, then pop (E)BP by operand size. */
static inline void leave(struct cpu *c, unsigned n) {
  uint32_t sp = c->gpr[CPU_EBP] & cpu_sp_mask(c);
  uint32_t v = cpu_read(c, CPU_SS, sp, n);
  stack_commit(c, sp + n);
  cpu_reg_write(c, CPU_EBP, n, v);
}

void LEAVE_w(struct cpu *c, const struct insn *i) { (void)i; leave(c, 2); }
void LEAVE_d(struct cpu *c, const struct insn *i) { (void)i; leave(c, 4); }
