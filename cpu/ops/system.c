/* ops/system.c - the system instructions of system.def.
 *
 * Privilege: the loads (LGDT LIDT LMSW CLTS INVLPG INVD WBINVD, MOV to and
 * from CRn and DRn, RDMSR WRMSR) need CPL 0: #GP(0) in protected mode at
 * CPL > 0 and always in virtual-8086 mode (CPL 3); real mode runs at CPL 0.
 * The stores SGDT SIDT SMSW are allowed at any CPL (no UMIP on a P6).
 *
 * Control registers (SDM vol. 3, 2.5), as a P6 without SSE has them:
 *
 *   CR0  PE 0  MP 1  EM 2  TS 3  ET 4 (reads 1)  NE 5  WP 16  AM 18
 *        NW 29  CD 30  PG 31; the other bits read 0 and writes to them are
 *        ignored. PG without PE, or NW without CD: #GP(0).
 *   CR4  TSD 2  DE 3  PSE 4  PAE 5  PGE 7 are accepted; VME PVI MCE PCE
 *        and bits 9-31 are features this processor does not advertise in
 *        CPUID, so setting them is #GP(0), as for any reserved bit.
 *
 * Paging (mmu/paging.c, mmu/tlb.c) follows these registers: every CR0 and
 * CR4 write passes PG, WP, PSE, PAE and PGE to the MMU. TLB flushes (SDM
 * vol. 3, 4.10.4.1): a change of CR0.PG or of CR4.PSE, PAE or PGE flushes
 * both TLBs entirely (global entries too); MOV to CR3 flushes the non-global
 * entries (nothing in the experimental tagged mode); INVLPG drops the
 * page's entries of every size in both TLBs. The PAE PDPTEs are loaded by
 * MOV to CR3 with PAE paging on and when a CR0/CR4 write leaves PAE paging
 * on after changing PG, PAE, PSE or PGE; a present PDPTE with a reserved bit
 * set makes that write #GP(0), changing nothing (4.4.1). Each of these
 * writes ends the block: the code's own translation may have changed.
 * Debug registers: DR4/DR5 are DR6/DR7 unless CR4.DE is set, then #UD;
 * DR6 and DR7 keep their fixed bits; a write ends the block and recomputes
 * the breakpoints (debug.c says what they do); DR7.GD makes any MOV DR a
 * #DB fault. Checks in the order: #GP (CPL > 0), #UD (DR4/DR5 under
 * CR4.DE), #DB (GD). Bochs checks GD before the privilege; the SDM gives
 * no order, and a ring-3 MOV DR is #GP here whatever GD says.
 *
 * MSRs (SDM vol. 4, P6 family): the TSC (0x10; a write sets the low 32
 * bits and clears the high ones, as on P6 processors), SYSENTER_CS/ESP/EIP
 * and the MTRRs, kept as storage (MTRRcap reads 0x508 and is read-only);
 * any other goes to the board's MSR ops (IA32_APIC_BASE, 0x1B, is the local
 * APIC's: cpu_set_msr_ops), and is #GP(0) if they do not take it.
 */
#include "../cpu-internal.h"

#define CR0_PE 0x00000001u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR0_DEFINED 0xE005003Fu /* PE MP EM TS ET NE WP AM NW CD PG */

#define CR4_TSD 0x004u
#define CR4_DE 0x008u
#define CR4_PSE 0x010u
#define CR4_PAE 0x020u
#define CR4_PGE 0x080u
#define CR4_ACCEPTED (CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE)

static void need_cpl0(struct cpu *c) {
  if (c->mode == CPU_MODE_V86 || (c->mode == CPU_MODE_PROT && c->cpl != 0))
    cpu_raise(c, CPU_EXC_GP, 0);
}

#define CR0_WP 0x00010000u

/* Hands CR0/CR4's paging bits to the MMU. */
static void paging_sync(struct cpu *c) {
  mmu_set_paging(c->mem, (c->cr[0] & CR0_PG) != 0, (c->cr[0] & CR0_WP) != 0, (c->cr[4] & CR4_PSE) != 0,
                 (c->cr[4] & CR4_PAE) != 0, (c->cr[4] & CR4_PGE) != 0);
}

/* Live TLB entries before a flush, for the "entries" field of its record
 * (a scan of the TLBs: only when the flush event is being recorded). */
static unsigned occupied_if_recording(struct cpu *c, unsigned slot) {
  return cpu_trace_wants(c, slot) ? mmu_tlb_occupied_entries(c->mem) : 0;
}
static unsigned dropped_since(struct cpu *c, unsigned slot, unsigned before) {
  return cpu_trace_wants(c, slot) ? before - mmu_tlb_occupied_entries(c->mem) : 0;
}

static void flush_all(struct cpu *c) {
  unsigned before = occupied_if_recording(c, TRACE_EV_tlb_flush_all);
  mmu_tlb_flush_all(c->mem);
  cpu_count_with(c, TRACE_EV_tlb_flush_all, 1, dropped_since(c, TRACE_EV_tlb_flush_all, before), 0, 0);
}

void cpu_paging_reset(struct cpu *c) {
  paging_sync(c);
  mmu_set_cr3(c->mem, c->cr[3]);
  mmu_tlb_flush_all(c->mem);
}

/* Loads the PDPTEs from cr3 (PAE paging about to be on), each read charged
 * as a page-walk access; #GP(0) if one sets a reserved bit. */
static void load_pdptes(struct cpu *c, uint32_t cr3) {
  for (int k = 0; k < 4; k++)
    cpu_charge(c, CPU_TEV_page_walk_access);
  if (!mmu_load_pdptes(c->mem, cr3))
    cpu_raise(c, CPU_EXC_GP, 0);
}

/* INVLPG: the page's entries of every size, in both TLBs. */
void cpu_tlb_invalidate_page(struct cpu *c, uint32_t lin) {
  unsigned before = occupied_if_recording(c, TRACE_EV_tlb_flush_invlpg);
  mmu_tlb_flush_page(c->mem, lin);
  cpu_count_with(c, TRACE_EV_invlpg, 1, lin, 0, 0);
  cpu_count_with(c, TRACE_EV_tlb_flush_invlpg, 2, lin, dropped_since(c, TRACE_EV_tlb_flush_invlpg, before), 0);
  cpu_end_block(c);
}

bool cpu_load_cr3(struct cpu *c, uint32_t v, enum trace_event flush) {
  if ((c->cr[0] & CR0_PG) && (c->cr[4] & CR4_PAE)) {
    for (int k = 0; k < 4; k++)
      cpu_charge(c, CPU_TEV_page_walk_access);
    if (!mmu_load_pdptes(c->mem, v))
      return false;
  } else {
    mmu_set_cr3(c->mem, v);
  }
  uint32_t old = c->cr[3];
  c->cr[3] = v;
  cpu_count_with(c, TRACE_EV_cr3_write, 2, old, v, 0);
  if (!c->mem->pg.tagged) {
    unsigned before = occupied_if_recording(c, flush);
    mmu_tlb_flush_nonglobal(c->mem);
    cpu_count_with(c, flush, 1, dropped_since(c, flush, before), 0, 0);
  }
  cpu_charge(c, CPU_TEV_cr3_load);
  cpu_end_block(c);
  return true;
}

/* Offset k bytes after ea, wrapping as the address size does. */
static uint32_t ea_plus(const struct insn *i, uint32_t ea, uint32_t k) {
  return (i->flags & INSN_A32) ? ea + k : ((ea + k) & 0xFFFF);
}

/* ---- GDTR and IDTR --------------------------------------------------------------- */

/* SGDT/SIDT: limit in the low word, the 32-bit base in the next four bytes
 * (current SDM: with either operand size; the 80286's 0xFF top byte is
 * history). Both destinations are checked before either is written. */
static void store_table(struct cpu *c, const struct insn *i, uint32_t base, uint32_t limit) {
  uint32_t ea = cpu_ea(c, i);
  cpu_probe_write(c, i->seg, ea, 2);
  cpu_probe_write(c, i->seg, ea_plus(i, ea, 2), 4);
  cpu_write(c, i->seg, ea, 2, limit & 0xFFFF);
  cpu_write(c, i->seg, ea_plus(i, ea, 2), 4, base);
}

/* LGDT/LIDT: with a 16-bit operand size only 24 bits of base are loaded. */
static void load_table(struct cpu *c, const struct insn *i, uint32_t *base, uint32_t *limit) {
  need_cpl0(c);
  uint32_t ea = cpu_ea(c, i);
  uint32_t l = cpu_read(c, i->seg, ea, 2);
  uint32_t b = cpu_read(c, i->seg, ea_plus(i, ea, 2), 4);
  if (!(i->flags & INSN_O32))
    b &= 0x00FFFFFFu;
  *limit = l;
  *base = b;
}

void SGDT_Ms(struct cpu *c, const struct insn *i) { store_table(c, i, c->gdtr.base, c->gdtr.limit); }
void SIDT_Ms(struct cpu *c, const struct insn *i) { store_table(c, i, c->idtr.base, c->idtr.limit); }
void LGDT_Ms(struct cpu *c, const struct insn *i) { load_table(c, i, &c->gdtr.base, &c->gdtr.limit); }
void LIDT_Ms(struct cpu *c, const struct insn *i) { load_table(c, i, &c->idtr.base, &c->idtr.limit); }

/* ---- the machine status word -------------------------------------------------------- */

/* SMSW: a memory destination is a word; a 32-bit register gets all of CR0
 * (the SDM leaves bits 31:16 undefined; P6 processors return CR0's). */
void SMSW_Ew(struct cpu *c, const struct insn *i) {
  if (i->flags & INSN_MEM)
    cpu_write(c, i->seg, cpu_ea(c, i), 2, c->cr[0] & 0xFFFF);
  else
    cpu_reg_write(c, i->rm, cpu_osize(i), c->cr[0]);
}

/* LMSW: loads PE MP EM TS; it can set PE but never clear it. */
void LMSW_Ew(struct cpu *c, const struct insn *i) {
  need_cpl0(c);
  uint32_t msw = cpu_rm_read(c, i, 2) & 0xF;
  uint32_t old = c->cr[0];
  c->cr[0] = (old & ~0xEu) | (msw & 0xE) | ((old | msw) & CR0_PE);
  if ((c->cr[0] ^ old) & CR0_PE)
    cpu_update_mode(c);
}

void CLTS(struct cpu *c, const struct insn *i) {
  (void)i;
  need_cpl0(c);
  c->cr[0] &= ~CR0_TS;
}

/* ---- caches and TLB ---------------------------------------------------------------- */

void INVLPG_Mb(struct cpu *c, const struct insn *i) {
  need_cpl0(c);
  cpu_tlb_invalidate_page(c, c->seg[i->seg].base + cpu_ea(c, i));
  cpu_charge(c, CPU_TEV_invlpg);
}

/* No caches are modeled: nothing to flush or drop. */
void INVD(struct cpu *c, const struct insn *i) {
  (void)i;
  need_cpl0(c);
}

void WBINVD(struct cpu *c, const struct insn *i) {
  (void)i;
  need_cpl0(c);
}

/* ---- control registers ----------------------------------------------------------------- */

/* MOV r32, CRn: ModRM.reg names CRn, ModRM.rm the register; the operand is
 * always 32 bits. CR1 and CR5-CR7 are #UD. */
void MOV_RdCd(struct cpu *c, const struct insn *i) {
  if (i->reg == 1 || i->reg > 4)
    cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE);
  need_cpl0(c);
  cpu_w32(c, i->rm, c->cr[i->reg]);
}

static void write_cr0(struct cpu *c, uint32_t v) {
  v = (v & CR0_DEFINED) | CR0_ET;
  if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t old = c->cr[0];
  if ((v & CR0_PG) && !(old & CR0_PG) && (c->cr[4] & CR4_PAE))
    load_pdptes(c, c->cr[3]); /* may #GP: before anything changes */
  else if ((v & CR0_PG) && !(old & CR0_PG))
    mmu_set_cr3(c->mem, c->cr[3]);
  c->cr[0] = v;
  paging_sync(c);
  if ((old ^ v) & CR0_PG)
    flush_all(c);
  if ((old ^ v) & CR0_PE)
    cpu_update_mode(c); /* real <-> protected */
  if ((old ^ v) & 0x20u) /* NE: FERR# reports a pending x87 error only without it */
    cpu_x87_update_ferr(c);
  cpu_end_block(c);
}

static void write_cr4(struct cpu *c, uint32_t v) {
  if (v & ~CR4_ACCEPTED)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t old = c->cr[4];
  uint32_t paging_bits = CR4_PSE | CR4_PAE | CR4_PGE;
  if ((c->cr[0] & CR0_PG) && (v & CR4_PAE) && ((old ^ v) & paging_bits))
    load_pdptes(c, c->cr[3]); /* may #GP: before anything changes */
  c->cr[4] = v;
  paging_sync(c);
  if ((old ^ v) & paging_bits)
    flush_all(c);
  if ((old ^ v) & CR4_DE)
    cpu_debug_update(c); /* I/O breakpoints exist only with DE */
  cpu_end_block(c);
}

void MOV_CdRd(struct cpu *c, const struct insn *i) {
  if (i->reg == 1 || i->reg > 4)
    cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE);
  need_cpl0(c);
  uint32_t v = cpu_r32(c, i->rm);
  uint32_t old = c->cr[i->reg];
  switch (i->reg) {
  case 0:
    write_cr0(c, v);
    break;
  case 2:
    c->cr[2] = v;
    break;
  case 3:
    if (!cpu_load_cr3(c, v, TRACE_EV_tlb_flush_cr3))
      cpu_raise(c, CPU_EXC_GP, 0); /* a PAE PDPTE sets a reserved bit */
    break;
  case 4:
    write_cr4(c, v);
    break;
  }
  cpu_count_with(c, TRACE_EV_cr_write, 3, i->reg, old, c->cr[i->reg]);
}

/* ---- debug registers --------------------------------------------------------------------- */

#define DR6_FIXED 0xFFFF0FF0u /* bits that read 1 */
#define DR6_WRITABLE 0x0000E00Fu
#define DR7_FIXED 0x00000400u
#define DR7_WRITABLE 0xFFFF23FFu

/* DR4 and DR5 alias DR6 and DR7 unless CR4.DE, which makes them #UD. */
static unsigned debug_reg(struct cpu *c, unsigned n) {
  if (n == 4 || n == 5) {
    if (c->cr[4] & CR4_DE)
      cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE);
    return n + 2;
  }
  return n;
}

/* General detect (DR7.GD): any MOV to or from a debug register is a #DB
 * fault with DR6.BD set (SDM vol. 3, 17.2.4), after the #GP and #UD checks
 * (see the top of this file). The frame's RF is 1 (a fault-class #DB);
 * entering the handler clears GD, done here with the raise. */
static void general_detect(struct cpu *c) {
  if (unlikely(c->dr[7] & CPU_DR7_GD)) {
    c->dr[6] |= CPU_DR6_BD;
    c->dr[7] &= ~CPU_DR7_GD; /* entering the handler clears it */
    c->fault_db_rf = true;
    cpu_raise(c, CPU_EXC_DB, CPU_NO_ERROR_CODE);
  }
}

void MOV_RdDd(struct cpu *c, const struct insn *i) {
  need_cpl0(c);
  unsigned n = debug_reg(c, i->reg);
  general_detect(c);
  cpu_w32(c, i->rm, c->dr[n]);
}

/* A write to DR0-DR3 or DR7 may enable or move a breakpoint: the block ends
 * so that the run loop's boundary checks see it at the next instruction. */
void MOV_DdRd(struct cpu *c, const struct insn *i) {
  need_cpl0(c);
  unsigned n = debug_reg(c, i->reg);
  general_detect(c);
  uint32_t v = cpu_r32(c, i->rm);
  if (n == 6)
    v = (v & DR6_WRITABLE) | DR6_FIXED;
  else if (n == 7)
    v = (v & DR7_WRITABLE) | DR7_FIXED;
  c->dr[n] = v;
  cpu_debug_update(c);
  cpu_end_block(c);
}

/* ---- MSRs --------------------------------------------------------------------------------- */

/* The storage slot of an MTRR, or -1. */
static int mtrr_slot(uint32_t msr) {
  if (msr >= MSR_MTRR_PHYS_FIRST && msr <= MSR_MTRR_PHYS_LAST)
    return MTRR_SLOT_PHYS + (int)(msr - MSR_MTRR_PHYS_FIRST);
  if (msr == MSR_MTRR_FIX64K)
    return MTRR_SLOT_FIX64K;
  if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000)
    return MTRR_SLOT_FIX16K + (int)(msr - MSR_MTRR_FIX16K_80000);
  if (msr >= MSR_MTRR_FIX4K_FIRST && msr <= MSR_MTRR_FIX4K_LAST)
    return MTRR_SLOT_FIX4K + (int)(msr - MSR_MTRR_FIX4K_FIRST);
  if (msr == MSR_MTRR_DEF_TYPE)
    return MTRR_SLOT_DEF_TYPE;
  return -1;
}

void RDMSR(struct cpu *c, const struct insn *i) {
  (void)i;
  need_cpl0(c);
  struct cpu_sys *s = &c->sys;
  uint32_t msr = c->gpr[CPU_ECX];
  uint64_t v;
  int slot = mtrr_slot(msr);
  if (slot >= 0)
    v = s->mtrr[slot];
  else if (msr == MSR_TSC)
    v = cpu_tsc(c);
  else if (msr == MSR_MTRRCAP)
    v = MTRRCAP_VALUE;
  else if (msr == MSR_SYSENTER_CS)
    v = s->sysenter_cs;
  else if (msr == MSR_SYSENTER_ESP)
    v = s->sysenter_esp;
  else if (msr == MSR_SYSENTER_EIP)
    v = s->sysenter_eip;
  else if (!s->msr_ops || !s->msr_ops->rdmsr || !s->msr_ops->rdmsr(s->msr_ctx, msr, &v))
    cpu_raise(c, CPU_EXC_GP, 0); /* the board does not know it either */
  c->gpr[CPU_EAX] = (uint32_t)v;
  c->gpr[CPU_EDX] = (uint32_t)(v >> 32);
}

void WRMSR(struct cpu *c, const struct insn *i) {
  (void)i;
  need_cpl0(c);
  struct cpu_sys *s = &c->sys;
  uint32_t msr = c->gpr[CPU_ECX];
  uint32_t lo = c->gpr[CPU_EAX];
  uint64_t v = ((uint64_t)c->gpr[CPU_EDX] << 32) | lo;
  int slot = mtrr_slot(msr);
  if (slot >= 0)
    s->mtrr[slot] = v;
  else if (msr == MSR_TSC)
    s->tsc_offset = (uint64_t)lo - cpu_now(c); /* P6: bits 63:32 cleared */
  else if (msr == MSR_SYSENTER_CS)
    s->sysenter_cs = lo;
  else if (msr == MSR_SYSENTER_ESP)
    s->sysenter_esp = lo;
  else if (msr == MSR_SYSENTER_EIP)
    s->sysenter_eip = lo;
  else if (msr == MSR_MTRRCAP || !s->msr_ops || !s->msr_ops->wrmsr || !s->msr_ops->wrmsr(s->msr_ctx, msr, v))
    cpu_raise(c, CPU_EXC_GP, 0); /* MTRRcap (read-only), a reserved bit, the rest */
}

/* ---- SYSENTER SYSEXIT (SDM vol. 2, SYSENTER and SYSEXIT, 32-bit forms) ------------------- */

/* Flat 4 GiB segments whatever the GDT says: the SDM's fixed caches. */
static void load_flat(struct cpu *c, unsigned s, uint16_t selector, bool code, unsigned dpl) {
  uint16_t type = code ? 0x1B : 0x13; /* execute/read or read/write, accessed, S */
  c->seg[s] = (struct cpu_segment){.selector = selector, .base = 0, .limit = 0xFFFFFFFFu,
                                   .attr = (uint16_t)(0xC080u | type | (dpl << 5))};
  cpu_segment_loaded(c, s);
}

void SYSENTER(struct cpu *c, const struct insn *i) {
  (void)i;
  struct cpu_sys *s = &c->sys;
  if (c->mode == CPU_MODE_REAL || (s->sysenter_cs & 0xFFFC) == 0)
    cpu_raise(c, CPU_EXC_GP, 0);
  unsigned from = c->cpl;
  cpu_eflags_write(c, 0, CPU_FLAG_VM | CPU_FLAG_IF | CPU_FLAG_RF);
  cpu_update_mode(c); /* leaves virtual-8086 mode */
  c->cpl = 0;
  uint16_t cs = (uint16_t)(s->sysenter_cs & 0xFFFC);
  load_flat(c, CPU_CS, cs, true, 0);
  load_flat(c, CPU_SS, (uint16_t)(cs + 8), false, 0);
  c->gpr[CPU_ESP] = s->sysenter_esp;
  c->next_eip = s->sysenter_eip;
  cpu_charge(c, CPU_TEV_sysenter);
  cpu_count(c, TRACE_EV_sysenter);
  cpu_count_ring(c, from, 0, TRACE_MECH_sysenter);
  cpu_end_block(c);
}

void SYSEXIT(struct cpu *c, const struct insn *i) {
  (void)i;
  struct cpu_sys *s = &c->sys;
  if (c->mode != CPU_MODE_PROT || c->cpl != 0 || (s->sysenter_cs & 0xFFFC) == 0)
    cpu_raise(c, CPU_EXC_GP, 0);
  c->cpl = 3;
  load_flat(c, CPU_CS, (uint16_t)((s->sysenter_cs + 16) | 3), true, 3);
  load_flat(c, CPU_SS, (uint16_t)((s->sysenter_cs + 24) | 3), false, 3);
  c->gpr[CPU_ESP] = c->gpr[CPU_ECX];
  c->next_eip = c->gpr[CPU_EDX];
  cpu_charge(c, CPU_TEV_sysexit);
  cpu_count(c, TRACE_EV_sysexit);
  cpu_count_ring(c, 0, 3, TRACE_MECH_sysexit);
  cpu_end_block(c);
}
