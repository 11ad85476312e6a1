/* ops/segsys.c - the segmentation system instructions: SLDT STR LLDT LTR
 * (the LDT and task registers), VERR VERW LAR LSL (asking about a selector
 * without loading it), ARPL.
 *
 * All of them are #UD in real-address and virtual-8086 mode (SDM vol. 2,
 * each instruction's "Real-Address Mode Exceptions" and "Virtual-8086 Mode
 * Exceptions"). CR4.UMIP is not modeled, so SLDT and STR work at any CPL.
 *
 * VERR, VERW, LAR and LSL never fault on the selector: a null selector, one
 * past the table limit, a wrong type or too little privilege only clear ZF
 * (the r/m operand itself is read as usual and may fault). They set ZF and
 * leave the other flags alone. They do not look at the P bit.
 */
#include "../cpu-internal.h"

#define TYPE_RW 0x2u         /* data: writable; code: readable */
#define TYPE_CONFORMING 0x4u /* code */
#define TYPE_CODE 0x8u

static inline uint32_t sel_error(uint16_t sel) { return sel & 0xFFFCu; }
static inline bool sel_null(uint16_t sel) { return (sel & 0xFFFCu) == 0; }

static inline void ud_unless_protected(struct cpu *c) {
  if (c->mode != CPU_MODE_PROT)
    cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE);
}

static inline void set_zf(struct cpu *c, bool zf) { cpu_eflags_write(c, zf ? CPU_FLAG_ZF : 0, CPU_FLAG_ZF); }

/* ---- SLDT STR ------------------------------------------------------------ */

/* A memory destination is a word; a register one takes the operand size,
 * the selector zero-extended (P6 and later, SDM SLDT/STR). */
static void store_selector(struct cpu *c, const struct insn *i, uint16_t sel) {
  if (i->flags & INSN_MEM)
    cpu_write(c, i->seg, cpu_ea(c, i), 2, sel);
  else
    cpu_reg_write(c, i->rm, cpu_osize(i), sel);
}

void SLDT_Ew(struct cpu *c, const struct insn *i) {
  ud_unless_protected(c);
  store_selector(c, i, c->ldtr.selector);
}

void STR_Ew(struct cpu *c, const struct insn *i) {
  ud_unless_protected(c);
  store_selector(c, i, c->tr.selector);
}

/* ---- LLDT LTR -------------------------------------------------------------- */

/* Reads the GDT entry of a system-register selector (LLDT/LTR): TI = 1 or
 * past the GDT limit is #GP(sel); the type must be one of `types` (a bit per
 * system type) with S = 0, else #GP(sel); not present is #NP(sel). */
static void system_desc(struct cpu *c, uint16_t sel, unsigned types, struct cpu_descriptor *d,
                        struct cpu_segment *seg) {
  if ((sel & CPU_SEL_TI) || !cpu_descriptor_read(c, sel, d))
    cpu_raise(c, CPU_EXC_GP, sel_error(sel));
  cpu_descriptor_to_segment(d, sel, seg);
  if ((seg->attr & CPU_ATTR_S) || !(types & (1u << (seg->attr & CPU_ATTR_TYPE))))
    cpu_raise(c, CPU_EXC_GP, sel_error(sel));
  if (!(seg->attr & CPU_ATTR_P))
    cpu_raise(c, CPU_EXC_NP, sel_error(sel));
}

/* LLDT (SDM LLDT): CPL 0 only. A null selector leaves the LDTR unusable
 * (any later LDT reference but LAR/LSL/VERR/VERW is #GP); otherwise the
 * descriptor must be an LDT (type 2) in the GDT. */
void LLDT_Ew(struct cpu *c, const struct insn *i) {
  ud_unless_protected(c);
  if (c->cpl != 0)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint16_t sel = (uint16_t)cpu_rm_read(c, i, 2);
  if (sel_null(sel)) {
    c->ldtr = (struct cpu_segment){.selector = sel};
    return;
  }
  struct cpu_descriptor d;
  struct cpu_segment seg;
  system_desc(c, sel, 1u << 2, &d, &seg);
  c->ldtr = seg;
}

/* LTR (SDM LTR): CPL 0 only; a null selector is #GP(0); the descriptor must
 * be an available TSS (type 1 or 9) in the GDT. LTR marks it busy (type 3
 * or 11) in the GDT and in TR. */
void LTR_Ew(struct cpu *c, const struct insn *i) {
  ud_unless_protected(c);
  if (c->cpl != 0)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint16_t sel = (uint16_t)cpu_rm_read(c, i, 2);
  if (sel_null(sel))
    cpu_raise(c, CPU_EXC_GP, 0);
  struct cpu_descriptor d;
  struct cpu_segment seg;
  system_desc(c, sel, (1u << 1) | (1u << 9), &d, &seg);
  d.hi |= 0x200u; /* busy */
  cpu_sys_write(c, d.addr + 5, 1, (d.hi >> 8) & 0xFF); /* a system access: through paging */
  seg.attr |= 0x2u;
  c->tr = seg;
}

/* ---- VERR VERW LAR LSL ------------------------------------------------------------ */

/* The descriptor of sel if it is "visible" to the current CPL and the
 * selector's RPL: not null, inside its table, and (unless conforming code)
 * DPL >= max(CPL, RPL). System descriptors pass only if their type is one
 * of `system_types`. */
static bool visible_desc(struct cpu *c, uint16_t sel, unsigned system_types, struct cpu_descriptor *d,
                         struct cpu_segment *seg) {
  if (sel_null(sel) || !cpu_descriptor_read(c, sel, d))
    return false;
  cpu_descriptor_to_segment(d, sel, seg);
  unsigned type = seg->attr & CPU_ATTR_TYPE, dpl = cpu_attr_dpl(seg->attr), rpl = sel & CPU_SEL_RPL;
  bool conforming =
      (seg->attr & CPU_ATTR_S) && (type & (TYPE_CODE | TYPE_CONFORMING)) == (TYPE_CODE | TYPE_CONFORMING);
  if (!(seg->attr & CPU_ATTR_S) && !(system_types & (1u << type)))
    return false;
  return conforming || (dpl >= c->cpl && dpl >= rpl);
}

/* VERR (SDM VERR): a code or data segment, readable, visible. */
void VERR_Ew(struct cpu *c, const struct insn *i) {
  ud_unless_protected(c);
  uint16_t sel = (uint16_t)cpu_rm_read(c, i, 2);
  struct cpu_descriptor d;
  struct cpu_segment seg;
  bool ok = visible_desc(c, sel, 0, &d, &seg) && (seg.attr & CPU_ATTR_S) &&
            (!(seg.attr & TYPE_CODE) || (seg.attr & TYPE_RW));
  set_zf(c, ok);
}

/* VERW (SDM VERW): a writable data segment with DPL >= max(CPL, RPL). */
void VERW_Ew(struct cpu *c, const struct insn *i) {
  ud_unless_protected(c);
  uint16_t sel = (uint16_t)cpu_rm_read(c, i, 2);
  struct cpu_descriptor d;
  struct cpu_segment seg;
  bool ok = visible_desc(c, sel, 0, &d, &seg) && (seg.attr & CPU_ATTR_S) && !(seg.attr & TYPE_CODE) &&
            (seg.attr & TYPE_RW);
  set_zf(c, ok);
}

/* System types LAR accepts (SDM LAR, Table "Segment and Gate Types"): TSSs
 * (available and busy, 16 and 32 bit), LDT, call gates, task gate. LSL
 * accepts only those with a limit: the TSSs and the LDT. */
#define LAR_SYSTEM_TYPES \
  ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 9) | (1u << 11) | (1u << 12))
#define LSL_SYSTEM_TYPES ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 9) | (1u << 11))

/* LAR: the access rights of the second descriptor dword, masked as the SDM
 * says (00FxFF00H with O32, FF00H with O16; the undefined limit[19:16] "x"
 * reads as 0 here, as QEMU has it). */
static void lar(struct cpu *c, const struct insn *i, unsigned n) {
  ud_unless_protected(c);
  uint16_t sel = (uint16_t)cpu_rm_read(c, i, 2);
  struct cpu_descriptor d;
  struct cpu_segment seg;
  bool ok = visible_desc(c, sel, LAR_SYSTEM_TYPES, &d, &seg);
  if (ok)
    cpu_reg_write(c, i->reg, n, d.hi & (n == 4 ? 0x00F0FF00u : 0xFF00u));
  set_zf(c, ok);
}
void LAR_GwEw(struct cpu *c, const struct insn *i) { lar(c, i, 2); }
void LAR_GdEw(struct cpu *c, const struct insn *i) { lar(c, i, 4); }

/* LSL: the byte limit, granularity applied (the low 16 bits with O16). */
static void lsl(struct cpu *c, const struct insn *i, unsigned n) {
  ud_unless_protected(c);
  uint16_t sel = (uint16_t)cpu_rm_read(c, i, 2);
  struct cpu_descriptor d;
  struct cpu_segment seg;
  bool ok = visible_desc(c, sel, LSL_SYSTEM_TYPES, &d, &seg);
  if (ok)
    cpu_reg_write(c, i->reg, n, seg.limit);
  set_zf(c, ok);
}
void LSL_GwEw(struct cpu *c, const struct insn *i) { lsl(c, i, 2); }
void LSL_GdEw(struct cpu *c, const struct insn *i) { lsl(c, i, 4); }

/* ---- ARPL --------------------------------------------------------------------------- */

/* ARPL Ew, Gw (SDM ARPL): if the destination's RPL is below the source's,
 * raise it to the source's and set ZF; else clear ZF. Always a word. */
void ARPL_EwGw(struct cpu *c, const struct insn *i) {
  ud_unless_protected(c);
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  uint16_t dst = (uint16_t)cpu_rm_read(c, i, 2);
  uint16_t src = cpu_r16(c, i->reg);
  bool raise = (dst & 3u) < (src & 3u);
  if (raise)
    cpu_rm_write(c, i, 2, ea, (uint16_t)((dst & ~3u) | (src & 3u)));
  set_zf(c, raise);
}
