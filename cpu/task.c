/* cpu/task.c - hardware task switches (SDM vol. 3, chapter 7).
 *
 * A task switch happens on a far JMP or CALL to a TSS or a task gate, on an
 * interrupt or exception whose IDT entry is a task gate, and on an IRET with
 * EFLAGS.NT = 1 (a return to the task named by the back link). The task
 * state segments it reads and writes:
 *
 *   32-bit TSS (types 9, 11; limit >= 0x67)   16-bit TSS (types 1, 3; >= 0x2B)
 *     0x00 back link                            0x00 back link
 *     0x04 ESP0 SS0 ESP1 SS1 ESP2 SS2 (tss.c)   0x02 SP0 SS0 SP1 SS1 SP2 SS2
 *     0x1C CR3                                  0x0E IP
 *     0x20 EIP    0x24 EFLAGS                   0x10 FLAGS
 *     0x28 EAX ECX EDX EBX ESP EBP ESI EDI      0x12 AX CX DX BX SP BP SI DI
 *     0x48 ES CS SS DS FS GS (dword slots)      0x22 ES CS SS DS
 *     0x60 LDT selector                         0x2A LDT selector
 *     0x64 T (bit 0)   0x66 I/O map base
 *
 * The switch (SDM 7.3, "Task Switching"), in the order of its steps:
 *
 *   before the commit point, in the old task's context (nothing changed):
 *     the new TSS descriptor checked by the caller (GDT, type, busy, DPL,
 *     present: cpu_task_far, cpu_task_gate_deliver_rf, cpu_task_return);
 *     new TSS limit >= 0x67 / 0x2B            #TS(new TSS)
 *     old TSS limit covers the state saved    #TS(old TSS)
 *   commit:
 *     JMP, IRET: the old TSS descriptor's busy bit cleared
 *     IRET: NT cleared in the EFLAGS image saved
 *     the old task's EIP, EFLAGS, general and segment registers saved
 *     CALL, INT: the old TR selector written into the new TSS's back link,
 *       NT set in the EFLAGS loaded
 *     JMP, CALL, INT: the new TSS descriptor marked busy (IRET: already)
 *     TR loaded, CR0.TS set; the task_switch event charged and counted
 *     CR3 (32-bit TSS, paging on), EIP, EFLAGS, general registers and the
 *     selectors loaded
 *   after the commit point, in the new task's context (a fault is delivered
 *   with the new task's CS:EIP, its selectors in the registers and the
 *   descriptor caches not yet validated unusable), SDM vol. 3 Table 7-1 in
 *   its order (the order of P6-family processors), except that the LDT
 *   is qualified completely first because the other descriptors may live
 *   in it:
 *     LDT selector valid (GDT, type 2), LDT present      #TS(LDT)
 *     CS: code segment DPL matches the selector's RPL    #TS(CS)
 *     SS: valid (not null, in its table, writable data)  #TS(SS)
 *         present                                        #SS(SS)
 *         DPL = CPL (the new CS.RPL)                      #TS(SS)
 *     CS: valid (not null, in its table, code; conforming DPL <= RPL)
 *                                                        #TS(CS)
 *         present                                        #NP(CS)
 *     SS: DPL = RPL                                       #TS(SS)
 *     DS ES FS GS, each unless null: valid (in its table), readable (data
 *         or readable code) #TS(sel); present #NP(sel); data or
 *         nonconforming code with DPL < CPL or DPL < RPL #TS(sel)
 *   then the error code of an exception delivered through a task gate is
 *   pushed on the new stack (a dword through a 32-bit TSS, a word through a
 *   16-bit one), EIP is checked against the CS limit (#GP(0), or #GP(EXT)
 *   for a delivery), and the T bit of a 32-bit TSS raises a debug trap
 *   (#DB with DR6.BT) before the new task's first instruction.
 *
 * Until the LDT and SS are qualified the CPL is 3, so that a fault there is
 * delivered through the new task's TSS ring-0 stack rather than the unloaded
 * SS (as Bochs does). If EFLAGS.VM is set in the new task's image the
 * segment registers are loaded as virtual-8086 mode loads them (base =
 * selector * 16, no checks) and CPL is 3.
 *
 * A 16-bit TSS holds 16-bit registers: the upper halves of the general
 * registers read 0xFFFF, of EIP and EFLAGS 0, FS and GS are null (what
 * Bochs does; the SDM leaves these bits undefined). CR3 is loaded only from
 * a 32-bit TSS and only while paging is on (SDM 7.2.1, "CR3 control
 * register field").
 *
 * TSS and descriptor-table accesses are system accesses at linear addresses
 * (cpu_sys_read/cpu_sys_write: supervisor translations with paging on); the
 * pages written at the commit are probed before it.
 */
#include "cpu-internal.h"

enum task_source { TASK_JMP, TASK_CALL, TASK_INT, TASK_IRET };

#define TYPE_TSS16 0x1u
#define TYPE_LDT 0x2u
#define TYPE_TSS16_BUSY 0x3u
#define TYPE_TASKGATE 0x5u
#define TYPE_TSS32 0x9u
#define TYPE_TSS32_BUSY 0xBu
#define TYPE_BUSY 0x2u       /* the busy bit of a TSS type */
#define TYPE_TSS32_BIT 0x8u  /* a 32-bit TSS */
#define TYPE_CODE 0x8u       /* code/data: code */
#define TYPE_CONFORMING 0x4u /* code: conforming */
#define TYPE_RW 0x2u         /* data: writable; code: readable */

#define CR0_TS 0x00000008u
#define CR0_PG 0x80000000u
#define DR6_BT 0x00008000u /* the debug trap came from a TSS's T bit */
#define EFLAGS_LOADABLE 0x003F7FD5u /* what a TSS image can set */

/* TSS and GDT accesses are system accesses: supervisor translations
 * whatever the CPL (memory.c); they may raise #PF. */
static uint32_t sys_read(struct cpu *c, uint32_t lin, unsigned n) { return cpu_sys_read(c, lin, n); }
static void sys_write(struct cpu *c, uint32_t lin, unsigned n, uint32_t v) { cpu_sys_write(c, lin, n, v); }

/* CR3 from a 32-bit TSS, as MOV CR3 loads it (cpu_load_cr3: the PAE PDPTEs,
 * the TLB flush, cr3_load charged). A PDPTE with a reserved bit set is
 * #TS(0) in the new task, as Bochs has it (the SDM names no vector). */
static void load_cr3(struct cpu *c, uint32_t v) {
  uint32_t old = c->cr[3];
  if (!cpu_load_cr3(c, v, TRACE_EV_tlb_flush_task))
    cpu_raise(c, CPU_EXC_TS, 0);
  cpu_count_with(c, TRACE_EV_cr_write, 3, 3, old, v);
}

static inline uint32_t sel_error(uint16_t sel) { return sel & 0xFFFCu; }
static inline bool sel_null(uint16_t sel) { return (sel & 0xFFFCu) == 0; }
static inline unsigned attr_type(uint16_t attr) { return attr & CPU_ATTR_TYPE; }
static inline bool is_system(uint16_t attr) { return !(attr & CPU_ATTR_S); }
static inline bool is_code(uint16_t attr) { return (attr & CPU_ATTR_S) && (attr & TYPE_CODE); }
static inline bool is_tss32(uint16_t attr) { return (attr & TYPE_TSS32_BIT) != 0; }

/* An available TSS (type 1 or 9)? A busy one (3 or 11)? */
static bool tss_available(uint16_t attr) {
  return is_system(attr) && (attr_type(attr) == TYPE_TSS16 || attr_type(attr) == TYPE_TSS32);
}
static bool tss_busy(uint16_t attr) {
  return is_system(attr) && (attr_type(attr) == TYPE_TSS16_BUSY || attr_type(attr) == TYPE_TSS32_BUSY);
}

/* Sets or clears the busy bit of the TSS descriptor of sel in the GDT. */
static void set_busy(struct cpu *c, uint16_t sel, bool busy) {
  uint32_t at = c->gdtr.base + (sel & ~7u) + 5; /* the type/S/DPL/P byte */
  uint32_t b = sys_read(c, at, 1);
  sys_write(c, at, 1, busy ? (b | TYPE_BUSY) : (b & ~TYPE_BUSY));
}

/* ---- the state in a TSS ----------------------------------------------------- */

struct tss_state {
  uint32_t cr3, eip, eflags;
  uint32_t gpr[8];
  uint16_t sreg[CPU_NSREG];
  uint16_t ldt;
  bool trap; /* T bit */
};

static void tss_read_state(struct cpu *c, uint32_t base, bool tss32, struct tss_state *s) {
  if (tss32) {
    s->cr3 = sys_read(c, base + 0x1C, 4);
    s->eip = sys_read(c, base + 0x20, 4);
    s->eflags = sys_read(c, base + 0x24, 4);
    for (unsigned r = 0; r < 8; r++)
      s->gpr[r] = sys_read(c, base + 0x28 + 4 * r, 4);
    for (unsigned k = 0; k < CPU_NSREG; k++)
      s->sreg[k] = (uint16_t)sys_read(c, base + 0x48 + 4 * k, 2); /* ES CS SS DS FS GS */
    s->ldt = (uint16_t)sys_read(c, base + 0x60, 2);
    s->trap = sys_read(c, base + 0x64, 1) & 1;
    return;
  }
  s->cr3 = c->cr[3];
  s->eip = sys_read(c, base + 0x0E, 2);
  s->eflags = sys_read(c, base + 0x10, 2);
  for (unsigned r = 0; r < 8; r++)
    s->gpr[r] = 0xFFFF0000u | sys_read(c, base + 0x12 + 2 * r, 2);
  for (unsigned k = 0; k < 4; k++)
    s->sreg[k] = (uint16_t)sys_read(c, base + 0x22 + 2 * k, 2); /* ES CS SS DS */
  s->sreg[CPU_FS] = s->sreg[CPU_GS] = 0;
  s->ldt = (uint16_t)sys_read(c, base + 0x2A, 2);
  s->trap = false;
}

/* Saves the current task's dynamic state into the TSS that TR holds. */
static void tss_save_state(struct cpu *c, uint32_t eip, uint32_t eflags) {
  uint32_t base = c->tr.base;
  if (is_tss32(c->tr.attr)) {
    sys_write(c, base + 0x20, 4, eip);
    sys_write(c, base + 0x24, 4, eflags);
    for (unsigned r = 0; r < 8; r++)
      sys_write(c, base + 0x28 + 4 * r, 4, c->gpr[r]);
    for (unsigned k = 0; k < CPU_NSREG; k++)
      sys_write(c, base + 0x48 + 4 * k, 2, c->seg[k].selector);
    return;
  }
  sys_write(c, base + 0x0E, 2, eip);
  sys_write(c, base + 0x10, 2, eflags);
  for (unsigned r = 0; r < 8; r++)
    sys_write(c, base + 0x12 + 2 * r, 2, c->gpr[r]);
  for (unsigned k = 0; k < 4; k++)
    sys_write(c, base + 0x22 + 2 * k, 2, c->seg[k].selector);
}

/* ---- qualifying the new task's segments (after the commit point) ------------- */

static void load_ldt(struct cpu *c, uint16_t sel) {
  if (sel_null(sel)) {
    c->ldtr = (struct cpu_segment){.selector = sel}; /* unusable */
    return;
  }
  struct cpu_descriptor d;
  struct cpu_segment seg;
  if ((sel & CPU_SEL_TI) || !cpu_descriptor_read(c, sel, &d))
    cpu_raise(c, CPU_EXC_TS, sel_error(sel));
  cpu_descriptor_to_segment(&d, sel, &seg);
  if (!is_system(seg.attr) || attr_type(seg.attr) != TYPE_LDT || !(seg.attr & CPU_ATTR_P))
    cpu_raise(c, CPU_EXC_TS, sel_error(sel));
  c->ldtr = seg;
}

static void commit_segment(struct cpu *c, unsigned s, struct cpu_descriptor *d, uint16_t sel) {
  cpu_descriptor_set_accessed(c, d);
  cpu_descriptor_to_segment(d, sel, &c->seg[s]);
  cpu_segment_loaded(c, s);
}

/* DS, ES, FS or GS of the new task (the last rows of Table 7-1). */
static void load_data_segment(struct cpu *c, unsigned s, uint16_t sel, unsigned cpl) {
  if (sel_null(sel))
    return; /* stays null: selector loaded, cache unusable */
  struct cpu_descriptor d;
  struct cpu_segment seg;
  if (!cpu_descriptor_read(c, sel, &d))
    cpu_raise(c, CPU_EXC_TS, sel_error(sel));
  cpu_descriptor_to_segment(&d, sel, &seg);
  bool code = is_code(seg.attr);
  if (is_system(seg.attr) || (code && !(seg.attr & TYPE_RW)))
    cpu_raise(c, CPU_EXC_TS, sel_error(sel));
  if (!(seg.attr & CPU_ATTR_P))
    cpu_raise(c, CPU_EXC_NP, sel_error(sel));
  unsigned dpl = cpu_attr_dpl(seg.attr), rpl = sel & CPU_SEL_RPL;
  if (!(code && (seg.attr & TYPE_CONFORMING)) && (dpl < cpl || dpl < rpl))
    cpu_raise(c, CPU_EXC_TS, sel_error(sel));
  commit_segment(c, s, &d, sel);
}

/* The protected-mode segment loads of the new task, Table 7-1 order. */
static void load_protected_segments(struct cpu *c, const struct tss_state *s) {
  uint16_t cs_sel = s->sreg[CPU_CS], ss_sel = s->sreg[CPU_SS];
  unsigned cpl = cs_sel & CPU_SEL_RPL;
  struct cpu_descriptor csd, ssd;
  struct cpu_segment cs = {0}, ss = {0};
  bool cs_read = !sel_null(cs_sel) && cpu_descriptor_read(c, cs_sel, &csd);
  if (cs_read)
    cpu_descriptor_to_segment(&csd, cs_sel, &cs);
  bool cs_code = cs_read && is_code(cs.attr);
  if (cs_code && !(cs.attr & TYPE_CONFORMING) && cpu_attr_dpl(cs.attr) != cpl)
    cpu_raise(c, CPU_EXC_TS, sel_error(cs_sel));

  if (sel_null(ss_sel) || !cpu_descriptor_read(c, ss_sel, &ssd))
    cpu_raise(c, CPU_EXC_TS, sel_error(ss_sel));
  cpu_descriptor_to_segment(&ssd, ss_sel, &ss);
  if (is_system(ss.attr) || is_code(ss.attr) || !(ss.attr & TYPE_RW))
    cpu_raise(c, CPU_EXC_TS, sel_error(ss_sel));
  if (!(ss.attr & CPU_ATTR_P))
    cpu_raise(c, CPU_EXC_SS, sel_error(ss_sel));
  if (cpu_attr_dpl(ss.attr) != cpl)
    cpu_raise(c, CPU_EXC_TS, sel_error(ss_sel));

  if (!cs_code || ((cs.attr & TYPE_CONFORMING) && cpu_attr_dpl(cs.attr) > cpl))
    cpu_raise(c, CPU_EXC_TS, sel_error(cs_sel));
  if (!(cs.attr & CPU_ATTR_P))
    cpu_raise(c, CPU_EXC_NP, sel_error(cs_sel));
  if (cpu_attr_dpl(ss.attr) != (ss_sel & CPU_SEL_RPL))
    cpu_raise(c, CPU_EXC_TS, sel_error(ss_sel));
  commit_segment(c, CPU_SS, &ssd, ss_sel);
  commit_segment(c, CPU_CS, &csd, cs_sel);
  c->cpl = (uint8_t)cpl;

  static const unsigned data[] = {CPU_DS, CPU_ES, CPU_FS, CPU_GS};
  for (unsigned k = 0; k < 4; k++)
    load_data_segment(c, data[k], s->sreg[data[k]], cpl);
}

/* ---- the switch ------------------------------------------------------------------- */

static void task_switch(struct cpu *c, uint16_t sel, const struct cpu_descriptor *nd, enum task_source src,
                        uint32_t return_eip, uint32_t error_code, unsigned ext, bool set_rf) {
  struct cpu_segment nt;
  cpu_descriptor_to_segment(nd, sel, &nt);
  bool new32 = is_tss32(nt.attr);
  if (nt.limit < (new32 ? 0x67u : 0x2Bu))
    cpu_raise(c, CPU_EXC_TS, sel_error(sel) | ext);
  if (c->tr.limit < (is_tss32(c->tr.attr) ? 0x5Fu : 0x29u))
    cpu_raise(c, CPU_EXC_TS, sel_error(c->tr.selector) | ext);
  struct tss_state s;
  tss_read_state(c, nt.base, new32, &s);
  /* Every page written below is translated first, so that a page fault
   * comes in the old task with nothing changed. */
  if (is_tss32(c->tr.attr))
    cpu_sys_probe(c, c->tr.base + 0x20, 0x40, true); /* EIP .. GS */
  else
    cpu_sys_probe(c, c->tr.base + 0x0E, 0x1C, true); /* IP .. DS */
  if (src == TASK_JMP || src == TASK_IRET)
    cpu_sys_probe(c, c->gdtr.base + (c->tr.selector & ~7u) + 5, 1, true);
  if (src == TASK_CALL || src == TASK_INT)
    cpu_sys_probe(c, nt.base, 2, true);
  if (src != TASK_IRET)
    cpu_sys_probe(c, c->gdtr.base + (sel & ~7u) + 5, 1, true);

  /* The commit point. */
  uint32_t flags = cpu_eflags(c);
  if (set_rf) /* a fault: the image saved has RF = 1 (SDM 17.3.1.1; a 16-bit TSS drops it) */
    flags |= CPU_FLAG_RF;
  if (src == TASK_JMP || src == TASK_IRET)
    set_busy(c, c->tr.selector, false);
  if (src == TASK_IRET)
    flags &= ~CPU_FLAG_NT;
  tss_save_state(c, return_eip, flags);
  if (src == TASK_CALL || src == TASK_INT) {
    sys_write(c, nt.base, 2, c->tr.selector); /* back link */
    s.eflags |= CPU_FLAG_NT;
  }
  if (src != TASK_IRET)
    set_busy(c, sel, true);
  nt.attr |= TYPE_BUSY;
  c->tr = nt;
  c->cr[0] |= CR0_TS;
  /* A delivery through a task gate costs at least one cycle, like every
   * delivery (exception.c): time advances even in a loop of faults. */
  cycles_t cost = cpu_timing_event(&c->timing, CPU_TEV_task_switch);
  c->cycles += (cost == 0 && src == TASK_INT) ? 1 : cost;
  cpu_count(c, TRACE_EV_task_switch);
  cpu_end_block(c);

  /* The new task's state; its segment caches are unusable until qualified. */
  c->eip = c->next_eip = s.eip;
  for (unsigned r = 0; r < 8; r++)
    c->gpr[r] = s.gpr[r];
  c->eflags = (s.eflags & EFLAGS_LOADABLE) | 0x2u;
  c->cc_op = CC_EAGER;
  for (unsigned k = 0; k < CPU_NSREG; k++)
    c->seg[k] = (struct cpu_segment){.selector = s.sreg[k]};
  c->ldtr = (struct cpu_segment){.selector = s.ldt};
  c->cpl = 3;
  cpu_update_mode(c); /* VM from the new image; caches of attr 0 are unusable */
  if (new32 && (c->cr[0] & CR0_PG) && s.cr3 != c->cr[3])
    load_cr3(c, s.cr3); /* SDM 4.10.4.1: only a switch that changes CR3 flushes */

  load_ldt(c, s.ldt);
  if (c->mode == CPU_MODE_V86) {
    for (unsigned k = 0; k < CPU_NSREG; k++)
      cpu_load_sreg(c, k, s.sreg[k]);
  } else {
    load_protected_segments(c, &s);
  }

  if (src == TASK_INT && error_code != CPU_NO_ERROR_CODE)
    cpu_push(c, new32 ? 4 : 2, error_code);
  if (c->eip > c->seg[CPU_CS].limit)
    cpu_raise(c, CPU_EXC_GP, src == TASK_INT ? ext : 0);
  if (s.trap) {
    /* A trap before the new task's first instruction: the switch (and a
     * delivery through the task gate) is complete, so the #DB is an event
     * of its own, not a fault during the delivery. */
    c->dr[6] |= DR6_BT;
    c->dr[7] &= ~CPU_DR7_GD; /* entering the #DB handler clears GD */
    c->delivering = -1;
    cpu_raise(c, CPU_EXC_DB, CPU_NO_ERROR_CODE);
  }
}

/* ---- the entry points ------------------------------------------------------------------ */

void cpu_task_far(struct cpu *c, bool call, uint16_t sel, const struct cpu_descriptor *d) {
  struct cpu_segment seg;
  cpu_descriptor_to_segment(d, sel, &seg);
  unsigned dpl = cpu_attr_dpl(seg.attr), rpl = sel & CPU_SEL_RPL;
  /* SDM JMP/CALL: a task gate or TSS with DPL < CPL or < RPL is #GP(sel). */
  if (dpl < c->cpl || dpl < rpl)
    cpu_raise(c, CPU_EXC_GP, sel_error(sel));
  uint16_t tss_sel = sel;
  struct cpu_descriptor tss = *d;
  if (attr_type(seg.attr) == TYPE_TASKGATE) {
    if (!(seg.attr & CPU_ATTR_P))
      cpu_raise(c, CPU_EXC_NP, sel_error(sel));
    tss_sel = (uint16_t)(d->lo >> 16);
    if ((tss_sel & CPU_SEL_TI) || !cpu_descriptor_read(c, tss_sel, &tss))
      cpu_raise(c, CPU_EXC_GP, sel_error(tss_sel));
    cpu_descriptor_to_segment(&tss, tss_sel, &seg);
  } else if (sel & CPU_SEL_TI) {
    cpu_raise(c, CPU_EXC_GP, sel_error(sel)); /* a TSS lives in the GDT only */
  }
  if (!tss_available(seg.attr))
    cpu_raise(c, CPU_EXC_GP, sel_error(tss_sel));
  if (!(seg.attr & CPU_ATTR_P))
    cpu_raise(c, CPU_EXC_NP, sel_error(tss_sel));
  unsigned cpl = c->cpl;
  task_switch(c, tss_sel, &tss, call ? TASK_CALL : TASK_JMP, c->next_eip, CPU_NO_ERROR_CODE, 0, false);
  cpu_count_ring(c, cpl, c->cpl, TRACE_MECH_task_switch);
}

void cpu_task_gate_deliver_rf(struct cpu *c, const struct cpu_descriptor *gate, uint32_t error_code,
                              uint32_t return_eip, unsigned ext, bool set_rf) {
  uint16_t tss_sel = (uint16_t)(gate->lo >> 16);
  uint32_t err = sel_error(tss_sel) | (ext & 1);
  struct cpu_descriptor tss;
  struct cpu_segment seg;
  if ((tss_sel & CPU_SEL_TI) || !cpu_descriptor_read(c, tss_sel, &tss))
    cpu_raise(c, CPU_EXC_GP, err);
  cpu_descriptor_to_segment(&tss, tss_sel, &seg);
  if (!tss_available(seg.attr))
    cpu_raise(c, CPU_EXC_GP, err);
  if (!(seg.attr & CPU_ATTR_P))
    cpu_raise(c, CPU_EXC_NP, err);
  task_switch(c, tss_sel, &tss, TASK_INT, return_eip, error_code, ext & 1, set_rf);
}

void cpu_task_return(struct cpu *c) {
  if (c->tr.limit < 1)
    cpu_raise(c, CPU_EXC_TS, sel_error(c->tr.selector));
  uint16_t link = (uint16_t)sys_read(c, c->tr.base, 2);
  struct cpu_descriptor tss;
  struct cpu_segment seg;
  if ((link & CPU_SEL_TI) || sel_null(link) || !cpu_descriptor_read(c, link, &tss))
    cpu_raise(c, CPU_EXC_TS, sel_error(link));
  cpu_descriptor_to_segment(&tss, link, &seg);
  if (!tss_busy(seg.attr))
    cpu_raise(c, CPU_EXC_TS, sel_error(link));
  if (!(seg.attr & CPU_ATTR_P))
    cpu_raise(c, CPU_EXC_NP, sel_error(link));
  unsigned cpl = c->cpl;
  task_switch(c, link, &tss, TASK_IRET, c->next_eip, CPU_NO_ERROR_CODE, 0, false);
  cpu_count_ring(c, cpl, c->cpl, TRACE_MECH_task_switch);
}
