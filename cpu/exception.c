/* cpu/exception.c - raising faults and delivering interrupts and exceptions.
 *
 * A fault is raised by longjmp to cpu_run() (exec.c), which calls
 * cpu_handle_fault() to apply the double-fault rules of SDM vol. 3, 6.15
 * ("Exception and Interrupt Reference", Table 6-5) and deliver it.
 *
 * Real-mode delivery follows the IVT at IDTR.base: push FLAGS, CS, IP (no
 * error code), clear IF, TF and AC, load CS:IP from the vector's entry. If
 * the entry lies past IDTR.limit the processor raises #GP; the pushes can
 * raise #SS.
 *
 * Protected-mode delivery follows the IDT (SDM vol. 3, 6.10-6.13, and the
 * INT n pseudocode of vol. 2), in the order the pseudocode checks:
 *
 *   IDT entry past IDTR.limit, or not a gate (types 5, 6, 7, 14, 15)
 *                                             #GP(vector*8 + 2 + EXT)
 *   INT n / INT3 / INTO and gate DPL < CPL    #GP(vector*8 + 2)
 *   gate not present                          #NP(vector*8 + 2 + EXT)
 *   task gate                                 a task switch (task.c)
 *   null code selector                        #GP(EXT)
 *   selector past its table, not code, DPL > CPL
 *                                             #GP(selector + EXT)
 *   code segment not present                  #NP(selector + EXT)
 *   nonconforming, DPL < CPL: inner privilege: SS:ESP for ring DPL from the
 *     TSS (#TS(TR selector + EXT) past its limit); new SS null #TS(EXT);
 *     past its table, RPL != DPL, DPL != DPL or not writable data
 *     #TS(SS + EXT); not present #SS(SS + EXT); no room for the frame
 *     #SS(SS + EXT). Frame: old SS, old ESP, EFLAGS, CS, EIP (+ error code).
 *   conforming, or DPL = CPL: same privilege; no room #SS(EXT).
 *     Frame: EFLAGS, CS, EIP (+ error code).
 *   gate offset past the new CS limit         #GP(EXT)
 *
 * The frame's slots are 4 bytes through a 32-bit gate (selectors zero-
 * extended) and 2 through a 16-bit one; the stack-address size is the B bit
 * of the stack used. EXT (bit 0 of an error code raised during delivery) is
 * 1 for external interrupts, NMI, exceptions and INT1, 0 for INT n, INT3 and
 * INTO (SDM 6.13). Every check comes before the first write, so a fault
 * during delivery leaves the state as it was; the frame goes straight to
 * linear memory after the room check (with paging on, after every page of
 * it and the descriptor bytes of the CS and SS accessed bits were
 * translated: frame_probe, accessed_probe). Then TF, NT, RF and VM are cleared, IF too
 * through an interrupt gate, and CPL becomes the code segment's DPL (inner,
 * nonconforming) or stays (CS.RPL = CPL).
 *
 * From virtual-8086 mode (SDM vol. 3, 20.3.1.1) the code segment must be a
 * nonconforming ring-0 one (#GP(selector + EXT) otherwise); the frame on the
 * ring-0 stack starts with GS, FS, DS, ES below the usual SS, ESP, EFLAGS
 * (VM set), CS, EIP, and the handler starts with those four registers null.
 *
 * RF in the pushed EFLAGS image (SDM vol. 3, 17.3.1.1, "Instruction-
 * Breakpoint Exception Condition": "For any fault-class exception except a
 * debug exception generated in response to an instruction breakpoint, the
 * value pushed for RF is 1"; in every other case it is EFLAGS.RF as it is):
 * set for the fault-class exceptions ringlab raises, #DE #BR #UD #NM #TS #NP
 * #SS #GP #PF #MF #AC (fault_class), and for the #DB of general detect
 * (fault_db_rf, ops/system.c). Not for the other #DBs (traps, and the
 * instruction-breakpoint fault, which the SDM excepts: debug.c), #BP and
 * #OF (traps), #DF (an abort), INT n or external interrupts. An interrupt
 * or trap between two iterations of a REP string finds RF set in EFLAGS
 * itself (ops/string.c), so its frame has RF = 1 too. Real-mode
 * delivery pushes a 16-bit FLAGS, which has no RF, and so does a 16-bit
 * gate's frame. Delivery through a task gate (task.c) follows the same
 * rule for the EFLAGS image it saves in the old TSS (a 16-bit TSS has no
 * RF either).
 */
#include "cpu-internal.h"

#include <stdarg.h>
#include <stdio.h>

_Noreturn void cpu_raise(struct cpu *c, int vector, uint32_t error_code) {
  c->fault_vector = vector;
  c->fault_error = error_code;
  c->fault_has_error = error_code != CPU_NO_ERROR_CODE;
  longjmp(c->fault_jmp, 1);
}

void cpu_stop(struct cpu *c, enum cpu_exit why, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->stop_reason, sizeof c->stop_reason, fmt, ap);
  va_end(ap);
  c->exit = why;
  c->stop_requested = true;
  cpu_end_block(c);
}

/* A delivery costs what the preset says (0 under `unit`, where RDTSC counts
 * instructions). Time still advances in a loop of faults: the run loop
 * charges each fault the faulting instruction's cost (exec.c). */
static void charge_delivery(struct cpu *c, enum cpu_timing_event e) { cpu_charge(c, e); }

static void deliver_real(struct cpu *c, int vector, uint32_t return_eip) {
  uint32_t entry = (uint32_t)vector * 4;
  if (entry + 3 > c->idtr.limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t lin = c->idtr.base + entry;
  uint16_t new_ip = (uint16_t)cpu_sys_read(c, lin, 2); /* system accesses (memory.c) */
  uint16_t new_cs = (uint16_t)cpu_sys_read(c, lin + 2, 2);
  /* Three pushes, committed only when all three are written. */
  uint32_t mask = cpu_sp_mask(c);
  uint32_t sp = c->gpr[CPU_ESP];
  uint32_t values[3] = {cpu_eflags(c) & 0xFFFF, c->seg[CPU_CS].selector, return_eip & 0xFFFF};
  for (int k = 0; k < 3; k++) {
    sp = (sp - 2) & mask;
    cpu_write(c, CPU_SS, sp, 2, values[k]);
  }
  c->gpr[CPU_ESP] = cpu_sp_merge(c, sp);
  cpu_eflags_write(c, 0, CPU_FLAG_IF | CPU_FLAG_TF | CPU_FLAG_AC);
  c->seg[CPU_CS].selector = new_cs;
  c->seg[CPU_CS].base = (uint32_t)new_cs << 4;
  cpu_segment_loaded(c, CPU_CS);
  c->eip = c->next_eip = new_ip;
  charge_delivery(c, CPU_TEV_int_real);
}

/* ---- protected mode ------------------------------------------------------ */

#define ATTR_CODE 0x08u      /* type bit 3: code segment */
#define ATTR_CONFORMING 0x04u
#define ATTR_WRITABLE 0x02u
#define ATTR_ACCESSED 0x01u

/* Does an access of n bytes at off lie within segment sg (expand-down
 * data segments included)? */
static bool seg_fits(const struct cpu_segment *sg, uint32_t off, unsigned n) {
  uint64_t last = (uint64_t)off + n - 1;
  if ((sg->attr & (CPU_ATTR_S | ATTR_CODE | 0x4u)) == (CPU_ATTR_S | 0x4u)) {
    uint64_t upper = (sg->attr & CPU_ATTR_DB) ? 0xFFFFFFFFull : 0xFFFFull;
    return off > sg->limit && last <= upper;
  }
  return last <= sg->limit;
}

/* Would `count` pushes of `size` bytes below esp fit in stack segment sg?
 * `big` is its B bit: 32-bit ESP, else SP wrapping in 16 bits. */
static bool frame_fits(const struct cpu_segment *sg, bool big, uint32_t esp, unsigned count, unsigned size) {
  uint32_t mask = big ? 0xFFFFFFFFu : 0xFFFFu;
  uint32_t sp = esp & mask;
  /* Expand-up, no wrap at the bottom: the slots fill [sp - count * size, sp),
   * and each fits if the topmost byte, sp - 1, is within the limit. */
  if ((sg->attr & (CPU_ATTR_S | ATTR_CODE | 0x4u)) != (CPU_ATTR_S | 0x4u) && sp >= count * size)
    return sp - 1 <= sg->limit;
  for (unsigned k = 0; k < count; k++) {
    sp = (sp - size) & mask;
    if (!seg_fits(sg, sp, size))
      return false;
  }
  return true;
}


/* The linear address of a frame of `bytes` below stack pointer sp (already
 * masked by the stack size) when it does not wrap at the bottom of the
 * stack: then its slots lie side by side in [*lin, *lin + bytes). */
static bool frame_span(const struct cpu_segment *sg, uint32_t sp, unsigned bytes, uint32_t *lin) {
  if (sp < bytes)
    return false;
  *lin = sg->base + (sp - bytes);
  return true;
}

/* With paging on, translates every slot's pages for writing (after
 * frame_fits), so that a #PF comes before any byte of the frame, or of the
 * descriptors' accessed bits, is written. The pushes go to the new stack at
 * the new CPL, which is the stack segment's DPL: user-mode accesses if that
 * is 3, else supervisor ones. (A departure from "supervisor whatever the
 * CPL", which SDM vol. 3, 4.6 says of the GDT/LDT/IDT/TSS accesses but not
 * of the stack: it matters only for a handler that runs at CPL 3.) */
static void frame_probe(struct cpu *c, const struct cpu_segment *sg, bool big, uint32_t esp, unsigned count,
                        unsigned size) {
  if (!c->mem->paging)
    return;
  uint32_t mask = big ? 0xFFFFFFFFu : 0xFFFFu;
  bool user = cpu_attr_dpl(sg->attr) == 3;
  uint32_t sp = esp & mask;
  uint32_t lin;
  if (frame_span(sg, sp, count * size, &lin) && cpu_lin_span_ptr(c, lin, count * size, count, user, 1) != NULL)
    return; /* every slot's page is live for the write: as many DTLB hits as slots */
  for (unsigned k = 0; k < count; k++) {
    sp = (sp - size) & mask;
    cpu_lin_probe(c, sg->base + sp, size, true, user);
  }
}

/* With paging on, translates the byte holding a descriptor's accessed bit
 * for a (supervisor) write if that bit is still to be set. */
static void accessed_probe(struct cpu *c, const struct cpu_descriptor *d) {
  if (c->mem->paging && !(d->hi & 0x100))
    cpu_sys_probe(c, d->addr + 5, 1, true);
}

/* Pushes the frame (after frame_probe) and returns the new ESP. */
static uint32_t frame_write(struct cpu *c, const struct cpu_segment *sg, bool big, uint32_t esp,
                            const uint32_t *v, unsigned count, unsigned size) {
  uint32_t mask = big ? 0xFFFFFFFFu : 0xFFFFu;
  bool user = cpu_attr_dpl(sg->attr) == 3;
  uint32_t sp = esp & mask;
  unsigned bytes = count * size;
  uint32_t lin;
  uint8_t *p = frame_span(sg, sp, bytes, &lin) ? cpu_lin_span_ptr(c, lin, bytes, count, user, 1) : NULL;
  if (likely(p != NULL)) { /* one page: slot k at bytes - (k + 1) * size, as the pushes below */
    for (unsigned k = 0; k < count; k++)
      cpu_st_le(p + bytes - (k + 1) * size, size, v[k]);
    sp -= bytes;
  } else {
    for (unsigned k = 0; k < count; k++) {
      sp = (sp - size) & mask;
      cpu_lin_write(c, sg->base + sp, size, v[k], user);
    }
  }
  return big ? sp : ((esp & 0xFFFF0000u) | sp);
}

/* The exception vectors ringlab raises as faults (SDM vol. 3, 6.15). */
static bool fault_class(int v) {
  switch (v) {
  case CPU_EXC_DE:
  case CPU_EXC_BR:
  case CPU_EXC_UD:
  case CPU_EXC_NM:
  case CPU_EXC_TS:
  case CPU_EXC_NP:
  case CPU_EXC_SS:
  case CPU_EXC_GP:
  case CPU_EXC_PF:
  case CPU_EXC_MF:
  case CPU_EXC_AC:
    return true;
  default:
    return false;
  }
}

/* set_rf: a fault-class exception, whose pushed EFLAGS image has RF set
 * (SDM 17.3.1.1; see the head of this file). */
static void deliver_protected(struct cpu *c, int vector, uint32_t error_code, uint32_t return_eip, bool software,
                              bool set_rf) {
  /* EXT: set for events the program did not ask for (not INT n/INT3/INTO). */
  uint32_t ext = software ? 0 : 1;
  uint32_t idt_error = (uint32_t)vector * 8 + 2 + ext;
  bool v86 = c->mode == CPU_MODE_V86;
  uint32_t eflags_image = cpu_eflags(c) | (set_rf ? CPU_FLAG_RF : 0);

  /* The gate */
  struct cpu_descriptor gate;
  if (!cpu_idt_read(c, (unsigned)vector, &gate))
    cpu_raise(c, CPU_EXC_GP, idt_error);
  unsigned type = (gate.hi >> 8) & 0x1F; /* S and type: a gate has S = 0 */
  if (type != 5 && type != 6 && type != 7 && type != 14 && type != 15)
    cpu_raise(c, CPU_EXC_GP, idt_error);
  if (software && ((gate.hi >> 13) & 3) < c->cpl)
    cpu_raise(c, CPU_EXC_GP, (uint32_t)vector * 8 + 2);
  if (!(gate.hi & 0x8000))
    cpu_raise(c, CPU_EXC_NP, idt_error);
  if (type == 5) {
    cpu_task_gate_deliver_rf(c, &gate, error_code, return_eip, ext, set_rf); /* task.c */
    return;
  }
  bool gate32 = type >= 14;
  bool trap_gate = type & 1;
  uint16_t sel = (uint16_t)(gate.lo >> 16);
  uint32_t offset = (gate.lo & 0xFFFF) | (gate.hi & 0xFFFF0000u);
  if (!gate32)
    offset &= 0xFFFF;

  /* The code segment */
  if ((sel & 0xFFFC) == 0)
    cpu_raise(c, CPU_EXC_GP, ext);
  uint32_t sel_error = (sel & 0xFFFCu) | ext;
  struct cpu_descriptor cd;
  if (!cpu_descriptor_read(c, sel, &cd))
    cpu_raise(c, CPU_EXC_GP, sel_error);
  struct cpu_segment cs;
  cpu_descriptor_to_segment(&cd, sel, &cs);
  unsigned dpl = cpu_attr_dpl(cs.attr);
  if ((cs.attr & (CPU_ATTR_S | ATTR_CODE)) != (CPU_ATTR_S | ATTR_CODE) || dpl > c->cpl)
    cpu_raise(c, CPU_EXC_GP, sel_error);
  if (!(cs.attr & CPU_ATTR_P))
    cpu_raise(c, CPU_EXC_NP, sel_error);
  /* From virtual-8086 mode only to a ring-0 nonconforming code segment
   * (SDM INT n, INTERRUPT-FROM-VIRTUAL-8086-MODE). */
  if (v86 && ((cs.attr & ATTR_CONFORMING) || dpl != 0))
    cpu_raise(c, CPU_EXC_GP, sel_error);

  /* The stack and the frame */
  unsigned size = gate32 ? 4 : 2;
  uint32_t frame[10];
  unsigned count = 0;
  bool inner = !(cs.attr & ATTR_CONFORMING) && dpl < c->cpl;
  unsigned new_cpl = inner ? dpl : c->cpl;
  struct cpu_segment ss;
  struct cpu_descriptor ssd;
  uint32_t esp;
  if (inner) {
    uint16_t ss_sel;
    cpu_tss_ring_stack_ext(c, dpl, &ss_sel, &esp, ext);
    if ((ss_sel & 0xFFFC) == 0)
      cpu_raise(c, CPU_EXC_TS, ext);
    uint32_t ss_error = (ss_sel & 0xFFFCu) | ext;
    if (!cpu_descriptor_read(c, ss_sel, &ssd) || (ss_sel & CPU_SEL_RPL) != dpl)
      cpu_raise(c, CPU_EXC_TS, ss_error);
    cpu_descriptor_to_segment(&ssd, ss_sel, &ss);
    if (cpu_attr_dpl(ss.attr) != dpl ||
        (ss.attr & (CPU_ATTR_S | ATTR_CODE | ATTR_WRITABLE)) != (CPU_ATTR_S | ATTR_WRITABLE))
      cpu_raise(c, CPU_EXC_TS, ss_error);
    if (!(ss.attr & CPU_ATTR_P))
      cpu_raise(c, CPU_EXC_SS, ss_error);
    if (v86) {
      frame[count++] = c->seg[CPU_GS].selector;
      frame[count++] = c->seg[CPU_FS].selector;
      frame[count++] = c->seg[CPU_DS].selector;
      frame[count++] = c->seg[CPU_ES].selector;
    }
    frame[count++] = c->seg[CPU_SS].selector;
    frame[count++] = c->gpr[CPU_ESP];
    frame[count++] = eflags_image;
    frame[count++] = c->seg[CPU_CS].selector;
    frame[count++] = return_eip;
    if (error_code != CPU_NO_ERROR_CODE)
      frame[count++] = error_code;
    if (!frame_fits(&ss, (ss.attr & CPU_ATTR_DB) != 0, esp, count, size))
      cpu_raise(c, CPU_EXC_SS, ss_error);
  } else {
    /* conforming, or DPL = CPL (DPL > CPL was refused above) */
    ss = c->seg[CPU_SS];
    esp = c->gpr[CPU_ESP];
    frame[count++] = eflags_image;
    frame[count++] = c->seg[CPU_CS].selector;
    frame[count++] = return_eip;
    if (error_code != CPU_NO_ERROR_CODE)
      frame[count++] = error_code;
    if (!frame_fits(&ss, c->stack32, esp, count, size))
      cpu_raise(c, CPU_EXC_SS, ext);
  }
  if (offset > cs.limit)
    cpu_raise(c, CPU_EXC_GP, ext);

  /* Every page written below is translated first: the frame's, and the
   * GDT/LDT bytes of the CS and (inner) SS accessed bits, which a read-only
   * descriptor page under CR0.WP refuses with a #PF. A fault here leaves
   * memory and state untouched. */
  bool big = inner ? (ss.attr & CPU_ATTR_DB) != 0 : c->stack32;
  frame_probe(c, &ss, big, esp, count, size);
  accessed_probe(c, &cd);
  if (inner)
    accessed_probe(c, &ssd);

  /* Commit: nothing below can fault. */
  cpu_descriptor_set_accessed(c, &cd);
  cs.attr |= ATTR_ACCESSED;
  if (inner) {
    cpu_descriptor_set_accessed(c, &ssd);
    ss.attr |= ATTR_ACCESSED;
  }
  uint32_t new_esp = frame_write(c, &ss, big, esp, frame, count, size);
  if (inner) {
    c->seg[CPU_SS] = ss;
    cpu_segment_loaded(c, CPU_SS);
  }
  c->gpr[CPU_ESP] = new_esp;
  cs.selector = (uint16_t)((sel & 0xFFFCu) | new_cpl);
  c->seg[CPU_CS] = cs;
  c->cpl = (uint8_t)new_cpl;
  cpu_segment_loaded(c, CPU_CS);
  uint32_t clear = CPU_FLAG_TF | CPU_FLAG_NT | CPU_FLAG_RF | CPU_FLAG_VM;
  if (!trap_gate)
    clear |= CPU_FLAG_IF;
  cpu_eflags_write(c, 0, clear);
  if (v86) {
    /* SDM 20.3.1.1: the handler starts with DS ES FS GS null. */
    static const unsigned data[] = {CPU_ES, CPU_DS, CPU_FS, CPU_GS};
    for (unsigned k = 0; k < 4; k++)
      c->seg[data[k]] = (struct cpu_segment){.selector = 0};
    cpu_update_mode(c); /* protected mode, CPL 0 */
    cpu_charge(c, CPU_TEV_gate_from_v86);
  }
  c->eip = c->next_eip = offset;
  charge_delivery(c, trap_gate ? (inner ? CPU_TEV_trapgate_inner : CPU_TEV_trapgate_same)
                               : (inner ? CPU_TEV_intgate_inner : CPU_TEV_intgate_same));
}

void cpu_deliver(struct cpu *c, int vector, uint32_t error_code, uint32_t return_eip, enum cpu_delivery kind) {
  unsigned cpl = c->cpl;
  if (unlikely(c->trace != NULL)) { /* the records of this delivery are made where it started */
    cpu_trace_site_now(c);
    c->trace_site_fixed = true;
  }
  bool set_rf = false;
  if (kind == CPU_DELIVER_EXCEPTION) {
    set_rf = fault_class(vector) || (vector == CPU_EXC_DB && c->fault_db_rf);
    c->fault_db_rf = false;
  }
  if (c->mode == CPU_MODE_REAL)
    deliver_real(c, vector, return_eip);
  else
    deliver_protected(c, vector, error_code, return_eip,
                      kind == CPU_DELIVER_SOFT_INT || kind == CPU_DELIVER_SOFT_EXC, set_rf);
  /* The handler runs: a single step armed for the instruction that caused
   * this (INT n, a fault) does not trap. */
  c->dbg_step = false;
  switch (kind) {
  case CPU_DELIVER_EXCEPTION:
  case CPU_DELIVER_SOFT_EXC:
    cpu_count_at(c, TRACE_EV_exception, (unsigned)vector & 0xFF);
    break;
  case CPU_DELIVER_SOFT_INT:
    cpu_count_at(c, TRACE_EV_softint, (unsigned)vector & 0xFF);
    break;
  case CPU_DELIVER_EXTERNAL:
    cpu_count_at(c, TRACE_EV_irq, (unsigned)vector & 0xFF);
    break;
  }
  cpu_count_ring(c, cpl, c->cpl,
                 kind == CPU_DELIVER_EXTERNAL ? TRACE_MECH_interrupt
                 : kind == CPU_DELIVER_EXCEPTION ? TRACE_MECH_exception
                                                 : TRACE_MECH_int);
  c->trace_site_fixed = false;
  cpu_end_block(c);
}

/* Exception classes for the double-fault rules. */
static bool contributory(int v) {
  return v == CPU_EXC_DE || v == CPU_EXC_TS || v == CPU_EXC_NP || v == CPU_EXC_SS || v == CPU_EXC_GP;
}

/* Called by cpu_run() after a longjmp from cpu_raise(). Returns false if the
 * machine must stop (an abort, a triple fault). */
bool cpu_handle_fault(struct cpu *c) {
  for (;;) {
    int vector = c->fault_vector;
    if (vector < 0) {
      c->delivering = -1; /* a run after the stop starts afresh */
      return false;       /* cpu_stop() already said why */
    }
    uint32_t error = c->fault_has_error ? c->fault_error : CPU_NO_ERROR_CODE;
    int prev = c->delivering;
    if (prev >= 0) {
      if (prev == CPU_EXC_DF) {
        cpu_count(c, TRACE_EV_triple_fault);
        cpu_stop(c, CPU_EXIT_TRIPLE_FAULT,
                 "triple fault at %04x:%08x: vector %d while delivering a double fault (first fault %d)",
                 c->seg[CPU_CS].selector, c->eip, vector, c->first_fault);
        return false;
      }
      if ((contributory(prev) && contributory(vector)) ||
          (prev == CPU_EXC_PF && (contributory(vector) || vector == CPU_EXC_PF))) {
        vector = CPU_EXC_DF;
        error = 0;
      }
    } else {
      c->first_fault = vector;
    }
    c->delivering = vector;
    if (c->first_exception < 0)
      c->first_exception = vector;
    c->fault_vector = -2; /* a nested raise overwrites this */
    cpu_deliver(c, vector, error, c->eip, CPU_DELIVER_EXCEPTION);
    c->delivering = -1;
    return true;
  }
}

/* The decoder's verdicts (rows 0 and 1 of the opcode table). */
void UD_invalid(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE);
}

void GP_too_long(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_raise(c, CPU_EXC_GP, 0);
}
