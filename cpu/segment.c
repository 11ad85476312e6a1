/* cpu/segment.c - segment registers: loads, the rights cached for the fast
 * path, and the full check of an access.
 *
 * Real mode: a load sets the selector and base = selector << 4 and keeps the
 * cached limit and attributes, as i386 and later processors do (this is
 * what lets "unreal mode" keep a 4 GiB limit). Virtual-8086 mode also sets
 * the limit 64 KiB and the attributes of a ring-3 data (or code) segment.
 *
 * Protected mode (SDM vol. 3, 5.4-5.6, 3.4.5; vol. 2 MOV and POP): a load
 * of DS/ES/FS/GS/SS reads the descriptor and applies the checks of MOV Sreg
 * (see load_protected) before anything changes; it sets the accessed bit of
 * the descriptor and loads the cache. A null selector (index 0 in the GDT,
 * any RPL) may go into DS/ES/FS/GS: the register holds the selector and an
 * attribute word of 0 ("unusable": P = 0), so cpu_segment_check raises
 * #GP(0) at the first access. Error codes are the selector with RPL cleared
 * (EXT = 0: these are instruction-caused).
 *
 * cpu_load_cs in protected mode is the commit step of a far transfer whose
 * privilege checks the caller has done (control.c, interrupt delivery): it
 * reads the descriptor, insists on a present code segment, sets the accessed
 * bit, loads CS and makes CPL the selector's RPL. Callers pass the selector
 * with the RPL the transfer gives CS (CS.RPL := CPL).
 */
#include "cpu-internal.h"

#define ATTR_TYPE_ACCESSED 0x01u
#define ATTR_TYPE_RW 0x02u     /* data: writable; code: readable */
#define ATTR_TYPE_EXPDOWN 0x04u /* data: expand-down; code: conforming */
#define ATTR_TYPE_CODE 0x08u
#define ATTR_S 0x10u           /* code or data (not system) */
#define ATTR_P 0x80u           /* present */

/* The rights cached for the fast path: cpu_segment_loaded (cpu-internal.h). */
static bool protected_rights(const struct cpu *c) { return c->mode == CPU_MODE_PROT; }

_Noreturn static void limit_fault(struct cpu *c, unsigned s) {
  cpu_raise(c, s == CPU_SS ? CPU_EXC_SS : CPU_EXC_GP, 0);
}

void cpu_segment_check(struct cpu *c, unsigned s, uint32_t off, unsigned n, bool write) {
  const struct cpu_segment *sg = &c->seg[s];
  uint64_t last = (uint64_t)off + n - 1;
  if (protected_rights(c)) {
    if (!(sg->attr & ATTR_P) || !(sg->attr & ATTR_S))
      limit_fault(c, s); /* null or unusable selector */
    if (sg->attr & ATTR_TYPE_CODE) {
      if (write || !(sg->attr & ATTR_TYPE_RW))
        cpu_raise(c, CPU_EXC_GP, 0);
    } else if (write && !(sg->attr & ATTR_TYPE_RW)) {
      limit_fault(c, s);
    }
  }
  bool expand_down = (sg->attr & (ATTR_S | ATTR_TYPE_CODE | ATTR_TYPE_EXPDOWN)) == (ATTR_S | ATTR_TYPE_EXPDOWN);
  if (expand_down) {
    uint64_t upper = (sg->attr & CPU_SEG_ATTR_DB) ? 0xFFFFFFFFull : 0xFFFFull;
    if (off <= sg->limit || last > upper)
      limit_fault(c, s);
  } else if (last > sg->limit) {
    limit_fault(c, s);
  }
}

/* A selector as an error code: RPL cleared, EXT = 0. */
static inline uint32_t sel_error(uint16_t sel) { return sel & 0xFFFCu; }
/* Null: index 0 in the GDT (TI = 0), any RPL. LDT entry 0 is not null. */
static inline bool sel_null(uint16_t sel) { return (sel & 0xFFFCu) == 0; }

/* MOV/POP/LxS of a data-segment register or SS in protected mode
 * (SDM vol. 2, MOV "Operation", and vol. 3, 5.6 "Privilege level checking
 * when accessing data segments"):
 *   SS: null -> #GP(0); index past the table -> #GP(sel); RPL != CPL, not a
 *       writable data segment, DPL != CPL -> #GP(sel); not present ->
 *       #SS(sel).
 *   DS/ES/FS/GS: null -> loaded, unusable; past the table -> #GP(sel); not
 *       data or readable code -> #GP(sel); data or non-conforming code with
 *       RPL > DPL or CPL > DPL -> #GP(sel); not present -> #NP(sel). */
static void load_protected(struct cpu *c, unsigned s, uint16_t sel) {
  if (sel_null(sel)) {
    if (s == CPU_SS)
      cpu_raise(c, CPU_EXC_GP, 0);
    c->seg[s] = (struct cpu_segment){.selector = sel};
    cpu_segment_loaded(c, s);
    return;
  }
  struct cpu_descriptor d;
  if (!cpu_descriptor_read(c, sel, &d))
    cpu_raise(c, CPU_EXC_GP, sel_error(sel));
  struct cpu_segment seg;
  cpu_descriptor_to_segment(&d, sel, &seg);
  unsigned dpl = cpu_attr_dpl(seg.attr), rpl = sel & CPU_SEL_RPL;
  bool code = (seg.attr & ATTR_S) && (seg.attr & ATTR_TYPE_CODE);
  if (s == CPU_SS) {
    bool writable_data = (seg.attr & ATTR_S) && !code && (seg.attr & ATTR_TYPE_RW);
    if (rpl != c->cpl || dpl != c->cpl || !writable_data)
      cpu_raise(c, CPU_EXC_GP, sel_error(sel));
    if (!(seg.attr & ATTR_P))
      cpu_raise(c, CPU_EXC_SS, sel_error(sel));
  } else {
    if (!(seg.attr & ATTR_S) || (code && !(seg.attr & ATTR_TYPE_RW)))
      cpu_raise(c, CPU_EXC_GP, sel_error(sel));
    bool conforming = code && (seg.attr & ATTR_TYPE_EXPDOWN);
    if (!conforming && (rpl > dpl || c->cpl > dpl))
      cpu_raise(c, CPU_EXC_GP, sel_error(sel));
    if (!(seg.attr & ATTR_P))
      cpu_raise(c, CPU_EXC_NP, sel_error(sel));
  }
  cpu_descriptor_set_accessed(c, &d);
  seg.attr |= ATTR_TYPE_ACCESSED;
  c->seg[s] = seg;
  cpu_segment_loaded(c, s);
}

/* The commit step of a protected-mode CS load (see the top of the file). */
static void load_cs_protected(struct cpu *c, uint16_t sel) {
  if (sel_null(sel))
    cpu_raise(c, CPU_EXC_GP, 0);
  struct cpu_descriptor d;
  if (!cpu_descriptor_read(c, sel, &d))
    cpu_raise(c, CPU_EXC_GP, sel_error(sel));
  struct cpu_segment seg;
  cpu_descriptor_to_segment(&d, sel, &seg);
  if ((seg.attr & (ATTR_S | ATTR_TYPE_CODE)) != (ATTR_S | ATTR_TYPE_CODE))
    cpu_raise(c, CPU_EXC_GP, sel_error(sel));
  if (!(seg.attr & ATTR_P))
    cpu_raise(c, CPU_EXC_NP, sel_error(sel));
  cpu_descriptor_set_accessed(c, &d);
  seg.attr |= ATTR_TYPE_ACCESSED;
  c->seg[CPU_CS] = seg;
  c->cpl = sel & CPU_SEL_RPL;
  cpu_segment_loaded(c, CPU_CS);
}

void cpu_load_sreg(struct cpu *c, unsigned s, uint16_t selector) {
  if (c->mode == CPU_MODE_PROT) {
    if (s == CPU_CS)
      load_cs_protected(c, selector);
    else
      load_protected(c, s, selector);
    return;
  }
  c->seg[s].selector = selector;
  c->seg[s].base = (uint32_t)selector << 4;
  if (c->mode == CPU_MODE_V86) {
    c->seg[s].limit = 0xFFFF;
    c->seg[s].attr = (s == CPU_CS ? 0xFB : 0xF3);
  }
  cpu_segment_loaded(c, s);
}

void cpu_load_cs(struct cpu *c, uint16_t selector, uint32_t eip) {
  cpu_load_sreg(c, CPU_CS, selector);
  c->next_eip = eip;
  cpu_end_block(c);
}
