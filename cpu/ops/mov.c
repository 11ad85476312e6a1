/* ops/mov.c - MOV forms, MOVZX MOVSX, LEA, XCHG, CMPXCHG CMPXCHG8B, XADD,
 * CBW CWDE CWD CDQ, SAHF LAHF, XLAT, SALC, LES LDS LSS LFS LGS.
 *
 * Fault discipline (cpu-internal.h): every read and check comes first, then
 * memory writes, then registers and flags. The exchanges (XCHG, XADD,
 * CMPXCHG) therefore write their memory operand before the register, and the
 * far-pointer loads read offset and selector and load the segment register
 * (which may fault) before writing the general register.
 *
 * i686 behavior chosen where the manual leaves room (SDM vol. 2):
 * - MOV r32, Sreg zero-extends the selector into the full register (Pentium
 *   Pro and later); the memory form always stores 16 bits.
 * - CMPXCHG and CMPXCHG8B write their destination even when the comparison
 *   fails (the old value back), so a read-only destination faults either way.
 * - NOP (0x90) has its row here but its handler lives in misc.c with the
 *   multi-byte NOP.
 */
#include "../cpu-internal.h"

/* ---- MOV ----------------------------------------------------------------- */

static inline void mov_EG(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t v = cpu_reg_read(c, i->reg, n);
  cpu_rm_write(c, i, n, (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0, v);
}

static inline void mov_GE(struct cpu *c, const struct insn *i, unsigned n) {
  cpu_reg_write(c, i->reg, n, cpu_rm_read(c, i, n));
}

static inline void mov_EI(struct cpu *c, const struct insn *i, unsigned n) {
  cpu_rm_write(c, i, n, (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0, i->imm & cpu_mask(n));
}

void MOV_EbGb(struct cpu *c, const struct insn *i) { mov_EG(c, i, 1); }
void MOV_EwGw(struct cpu *c, const struct insn *i) { mov_EG(c, i, 2); }
void MOV_EdGd(struct cpu *c, const struct insn *i) { mov_EG(c, i, 4); }
void MOV_GbEb(struct cpu *c, const struct insn *i) { mov_GE(c, i, 1); }
void MOV_GwEw(struct cpu *c, const struct insn *i) { mov_GE(c, i, 2); }
void MOV_GdEd(struct cpu *c, const struct insn *i) { mov_GE(c, i, 4); }
void MOV_EbIb(struct cpu *c, const struct insn *i) { mov_EI(c, i, 1); }
void MOV_EwIw(struct cpu *c, const struct insn *i) { mov_EI(c, i, 2); }
void MOV_EdId(struct cpu *c, const struct insn *i) { mov_EI(c, i, 4); }
void MOV_ZbIb(struct cpu *c, const struct insn *i) { cpu_w8(c, i->reg, (uint8_t)i->imm); }
void MOV_ZwIw(struct cpu *c, const struct insn *i) { cpu_w16(c, i->reg, (uint16_t)i->imm); }
void MOV_ZdId(struct cpu *c, const struct insn *i) { cpu_w32(c, i->reg, i->imm); }

/* moffs forms: the offset (of address size) is in disp, the segment is DS
 * or the override. */
static inline void mov_AO(struct cpu *c, const struct insn *i, unsigned n) {
  cpu_reg_write(c, CPU_EAX, n, cpu_read(c, i->seg, i->disp, n));
}
static inline void mov_OA(struct cpu *c, const struct insn *i, unsigned n) {
  cpu_write(c, i->seg, i->disp, n, cpu_reg_read(c, CPU_EAX, n));
}

void MOV_ALOb(struct cpu *c, const struct insn *i) { mov_AO(c, i, 1); }
void MOV_AXOw(struct cpu *c, const struct insn *i) { mov_AO(c, i, 2); }
void MOV_EAXOd(struct cpu *c, const struct insn *i) { mov_AO(c, i, 4); }
void MOV_ObAL(struct cpu *c, const struct insn *i) { mov_OA(c, i, 1); }
void MOV_OwAX(struct cpu *c, const struct insn *i) { mov_OA(c, i, 2); }
void MOV_OdEAX(struct cpu *c, const struct insn *i) { mov_OA(c, i, 4); }

/* MOV Ew, Sreg: reg 0-5 name ES CS SS DS FS GS; 6 and 7 are #UD. A register
 * destination with 32-bit operand size gets the selector zero-extended
 * (Pentium Pro and later); a memory destination is always a word. */
void MOV_EwSw(struct cpu *c, const struct insn *i) {
  if (i->reg >= CPU_NSREG)
    cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE);
  uint16_t sel = c->seg[i->reg].selector;
  if (i->flags & INSN_MEM)
    cpu_write(c, i->seg, cpu_ea(c, i), 2, sel);
  else
    cpu_reg_write(c, i->rm, cpu_osize(i), sel);
}

/* MOV Sreg, Ew: loading CS this way is #UD, as are reg 6 and 7. MOV SS
 * inhibits interrupts (and debug traps) until the next instruction has run,
 * so that MOV SS / MOV SP is atomic. ringlab has no interrupts yet; the row
 * carries F_BRANCH so the block ends here, which is where the interrupt
 * check that honours the shadow will go. */
void MOV_SwEw(struct cpu *c, const struct insn *i) {
  if (i->reg == CPU_CS || i->reg >= CPU_NSREG)
    cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE);
  uint16_t sel = (uint16_t)cpu_rm_read(c, i, 2);
  cpu_load_sreg(c, i->reg, sel);
}

/* ---- MOVZX MOVSX --------------------------------------------------------- */

void MOVZX_GwEb(struct cpu *c, const struct insn *i) { cpu_w16(c, i->reg, (uint16_t)cpu_rm_read(c, i, 1)); }
void MOVZX_GdEb(struct cpu *c, const struct insn *i) { cpu_w32(c, i->reg, cpu_rm_read(c, i, 1)); }
void MOVZX_GwEw(struct cpu *c, const struct insn *i) { cpu_w16(c, i->reg, (uint16_t)cpu_rm_read(c, i, 2)); }
void MOVZX_GdEw(struct cpu *c, const struct insn *i) { cpu_w32(c, i->reg, cpu_rm_read(c, i, 2)); }

void MOVSX_GwEb(struct cpu *c, const struct insn *i) {
  cpu_w16(c, i->reg, (uint16_t)(int16_t)(int8_t)cpu_rm_read(c, i, 1));
}
void MOVSX_GdEb(struct cpu *c, const struct insn *i) {
  cpu_w32(c, i->reg, (uint32_t)(int32_t)(int8_t)cpu_rm_read(c, i, 1));
}
void MOVSX_GwEw(struct cpu *c, const struct insn *i) { cpu_w16(c, i->reg, (uint16_t)cpu_rm_read(c, i, 2)); }
void MOVSX_GdEw(struct cpu *c, const struct insn *i) {
  cpu_w32(c, i->reg, (uint32_t)(int32_t)(int16_t)cpu_rm_read(c, i, 2));
}

/* ---- LEA: the offset, of address size, truncated to operand size ---------- */

void LEA_GwM(struct cpu *c, const struct insn *i) { cpu_w16(c, i->reg, (uint16_t)cpu_ea(c, i)); }
void LEA_GdM(struct cpu *c, const struct insn *i) { cpu_w32(c, i->reg, cpu_ea(c, i)); }

/* ---- XCHG ------------------------------------------------------------------ */

static inline void xchg_EG(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t g = cpu_reg_read(c, i->reg, n);
  if (i->flags & INSN_MEM) {
    uint32_t ea = cpu_ea(c, i);
    uint32_t m = cpu_read(c, i->seg, ea, n);
    cpu_write(c, i->seg, ea, n, g);
    cpu_reg_write(c, i->reg, n, m);
  } else {
    uint32_t r = cpu_reg_read(c, i->rm, n);
    cpu_reg_write(c, i->rm, n, g);
    cpu_reg_write(c, i->reg, n, r);
  }
}

void XCHG_EbGb(struct cpu *c, const struct insn *i) { xchg_EG(c, i, 1); }
void XCHG_EwGw(struct cpu *c, const struct insn *i) { xchg_EG(c, i, 2); }
void XCHG_EdGd(struct cpu *c, const struct insn *i) { xchg_EG(c, i, 4); }

static inline void xchg_ZA(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t a = cpu_reg_read(c, CPU_EAX, n);
  cpu_reg_write(c, CPU_EAX, n, cpu_reg_read(c, i->reg, n));
  cpu_reg_write(c, i->reg, n, a);
}

void XCHG_ZwAX(struct cpu *c, const struct insn *i) { xchg_ZA(c, i, 2); }
void XCHG_ZdEAX(struct cpu *c, const struct insn *i) { xchg_ZA(c, i, 4); }

/* ---- CMPXCHG CMPXCHG8B XADD -------------------------------------------------- */

/* CMPXCHG E, G: compares the accumulator with E (flags as CMP acc, E). Equal:
 * E = G. Different: the accumulator = E, and E is written back unchanged, as
 * the processor always issues the write (SDM vol. 2, CMPXCHG). */
static inline void cmpxchg_EG(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  uint32_t dest = (i->flags & INSN_MEM) ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  uint32_t acc = cpu_reg_read(c, CPU_EAX, n);
  uint32_t res = (acc - dest) & cpu_mask(n);
  if (acc == dest) {
    cpu_rm_write(c, i, n, ea, cpu_reg_read(c, i->reg, n));
  } else {
    cpu_rm_write(c, i, n, ea, dest);
    cpu_reg_write(c, CPU_EAX, n, dest);
  }
  cpu_set_lazy(c, CC_SUB8 + cpu_cc_size(n), acc, dest, res);
}

void CMPXCHG_EbGb(struct cpu *c, const struct insn *i) { cmpxchg_EG(c, i, 1); }
void CMPXCHG_EwGw(struct cpu *c, const struct insn *i) { cmpxchg_EG(c, i, 2); }
void CMPXCHG_EdGd(struct cpu *c, const struct insn *i) { cmpxchg_EG(c, i, 4); }

/* CMPXCHG8B m64: EDX:EAX against m64; equal: m64 = ECX:EBX, else EDX:EAX =
 * m64 (and m64 written back). Only ZF changes. The whole quadword is checked
 * for writing before either half is written. */
void CMPXCHG8B_Mq(struct cpu *c, const struct insn *i) {
  uint32_t ea = cpu_ea(c, i);
  uint32_t lo = cpu_read(c, i->seg, ea, 4);
  uint32_t hi = cpu_read(c, i->seg, ea + 4, 4);
  cpu_probe_write(c, i->seg, ea, 8);
  bool eq = lo == c->gpr[CPU_EAX] && hi == c->gpr[CPU_EDX];
  if (eq) {
    cpu_write(c, i->seg, ea, 4, c->gpr[CPU_EBX]);
    cpu_write(c, i->seg, ea + 4, 4, c->gpr[CPU_ECX]);
  } else {
    cpu_write(c, i->seg, ea, 4, lo);
    cpu_write(c, i->seg, ea + 4, 4, hi);
    c->gpr[CPU_EAX] = lo;
    c->gpr[CPU_EDX] = hi;
  }
  cpu_eflags_write(c, eq ? CPU_FLAG_ZF : 0, CPU_FLAG_ZF);
}

/* XADD E, G: TEMP = E + G; G = E; E = TEMP (so with G and E the same register
 * the sum wins). Flags as ADD. */
static inline void xadd_EG(struct cpu *c, const struct insn *i, unsigned n) {
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  uint32_t dest = (i->flags & INSN_MEM) ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  uint32_t src = cpu_reg_read(c, i->reg, n);
  uint32_t sum = (dest + src) & cpu_mask(n);
  if (i->flags & INSN_MEM) {
    cpu_write(c, i->seg, ea, n, sum);
    cpu_reg_write(c, i->reg, n, dest);
  } else {
    cpu_reg_write(c, i->reg, n, dest);
    cpu_reg_write(c, i->rm, n, sum);
  }
  cpu_set_lazy(c, CC_ADD8 + cpu_cc_size(n), dest, src, sum);
}

void XADD_EbGb(struct cpu *c, const struct insn *i) { xadd_EG(c, i, 1); }
void XADD_EwGw(struct cpu *c, const struct insn *i) { xadd_EG(c, i, 2); }
void XADD_EdGd(struct cpu *c, const struct insn *i) { xadd_EG(c, i, 4); }

/* ---- sign extension of the accumulator ---------------------------------------- */

void CBW(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_w16(c, CPU_EAX, (uint16_t)(int16_t)(int8_t)cpu_r8(c, CPU_EAX));
}
void CWDE(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_w32(c, CPU_EAX, (uint32_t)(int32_t)(int16_t)cpu_r16(c, CPU_EAX));
}
void CWD(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_w16(c, CPU_EDX, (cpu_r16(c, CPU_EAX) & 0x8000) ? 0xFFFF : 0);
}
void CDQ(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_w32(c, CPU_EDX, (cpu_r32(c, CPU_EAX) & 0x80000000u) ? 0xFFFFFFFFu : 0);
}

/* ---- SAHF LAHF SALC XLAT ------------------------------------------------------- */

#define AH_FLAGS (CPU_FLAG_SF | CPU_FLAG_ZF | CPU_FLAG_AF | CPU_FLAG_PF | CPU_FLAG_CF)

/* SAHF: SF ZF AF PF CF from AH bits 7 6 4 2 0; OF is kept. */
void SAHF(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_eflags_write(c, cpu_r8(c, 4), AH_FLAGS);
}

/* LAHF: AH = SF ZF 0 AF 0 PF 1 CF. */
void LAHF(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_w8(c, 4, (uint8_t)((cpu_eflags(c) & AH_FLAGS) | 0x02));
}

/* SALC (undocumented, executes on P6): AL = CF ? 0xFF : 0; no flags. */
void SALC(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_w8(c, CPU_EAX, cpu_cf(c) ? 0xFF : 0);
}

/* XLAT: AL = [seg:(E)BX + AL], the sum wrapped to address size. */
void XLAT(struct cpu *c, const struct insn *i) {
  uint32_t off = c->gpr[CPU_EBX] + cpu_r8(c, CPU_EAX);
  if (!(i->flags & INSN_A32))
    off &= 0xFFFF;
  cpu_w8(c, CPU_EAX, cpu_rd8(c, i->seg, off));
}

/* ---- far pointers: LES LDS LSS LFS LGS -------------------------------------------- */

/* Mp: the offset (operand size) at ea, then the selector at ea + n. Both are
 * read, the segment register loaded (which may fault in protected mode), and
 * only then the general register written. */
static inline void load_far(struct cpu *c, const struct insn *i, unsigned s, unsigned n) {
  uint32_t ea = cpu_ea(c, i);
  uint32_t off = cpu_read(c, i->seg, ea, n);
  uint16_t sel = (uint16_t)cpu_read(c, i->seg, ea + n, 2);
  cpu_load_sreg(c, s, sel);
  cpu_reg_write(c, i->reg, n, off);
}

void LES_GwMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_ES, 2); }
void LES_GdMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_ES, 4); }
void LDS_GwMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_DS, 2); }
void LDS_GdMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_DS, 4); }
void LSS_GwMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_SS, 2); }
void LSS_GdMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_SS, 4); }
void LFS_GwMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_FS, 2); }
void LFS_GdMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_FS, 4); }
void LGS_GwMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_GS, 2); }
void LGS_GdMp(struct cpu *c, const struct insn *i) { load_far(c, i, CPU_GS, 4); }
