/* cpu/cpu.c - creating a processor, RESET, and the register accessors. */
#include "cpu-internal.h"

#include <stdlib.h>

struct cpu *cpu_new(struct mmu *mem, const struct cpu_io_ops *io, void *io_ctx) {
  cpu_decode_init();
  struct cpu *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->mem = mem;
  if (mem)
    mmu_set_counters(mem, &c->counters); /* TLB hits/misses, walks, A/D updates */
  c->io = io;
  c->io_ctx = io_ctx;
  c->timing.name = "unit";
  c->timing.frequency_hz = 1000000000u;
  c->timing.apic_bus_num = 1000000000u; /* as cpu/timing/unit.ini */
  c->timing.apic_bus_den = 1;
  c->timing.apic = CPU_APIC_XAPIC;
  c->cache = cpu_code_cache_new(c);
  if (!c->cache) {
    free(c);
    return NULL;
  }
  cpu_reset(c);
  return c;
}

void cpu_free(struct cpu *c) {
  if (!c)
    return;
  cpu_code_cache_free(c->cache);
  if (c->mem && c->mem->counters == &c->counters)
    mmu_set_counters(c->mem, NULL);
  free(c);
}

static void set_real_segment(struct cpu *c, unsigned s, uint16_t sel, uint32_t base, uint16_t attr) {
  c->seg[s] = (struct cpu_segment){.selector = sel, .base = base, .limit = 0xFFFF, .attr = attr};
  cpu_segment_loaded(c, s);
}

void cpu_reset(struct cpu *c) {
  memset(c->gpr, 0, sizeof c->gpr);
  c->gpr[CPU_EDX] = 0x00000633; /* family 6, model 3, stepping 3 */
  c->eip = c->next_eip = 0xFFF0;
  c->eflags = 0x2;
  c->cc_op = CC_EAGER;
  c->mode = CPU_MODE_REAL;
  c->cpl = 0;
  memset(c->cr, 0, sizeof c->cr);
  c->cr[0] = 0x60000010; /* CD, NW, ET */
  memset(c->dr, 0, sizeof c->dr);
  c->dr[6] = 0xFFFF0FF0;
  c->dr[7] = 0x400;
  c->dbg_step = c->dbg_inhibit = false;
  c->dbg_pending = 0;
  c->gdtr.base = 0;
  c->gdtr.limit = 0xFFFF;
  c->idtr.base = 0;
  c->idtr.limit = 0x3FF;
  set_real_segment(c, CPU_CS, 0xF000, 0xFFFF0000u, 0x9B);
  for (unsigned s = 0; s < CPU_NSREG; s++)
    if (s != CPU_CS)
      set_real_segment(c, s, 0, 0, 0x93);
  /* x87 after RESET (SDM vol. 3, 9.2 and Table 9-1): CW 0040H, SW 0,
   * TW 5555H (every register +0.0, tagged zero), pointers 0. This is not
   * the FNINIT state (037FH, FFFFH): software runs FNINIT after reset.
   * INIT would leave the x87 alone; ringlab models RESET only. */
  memset(&c->x87, 0, sizeof c->x87);
  c->x87.cw = 0x0040;
  c->x87.tw = 0x5555;
  cpu_x87_update_ferr(c); /* no exception pending: FERR# drops */
  c->ldtr = (struct cpu_segment){.limit = 0xFFFF, .attr = 0x82};
  c->tr = (struct cpu_segment){.limit = 0xFFFF, .attr = 0x8B};
  c->halted = false;
  c->stop_requested = false;
  c->delivering = -1;
  c->first_exception = -1;
  c->stop_reason[0] = 0;
  cpu_sys_reset(c);
  cpu_paging_reset(c); /* CR0.PG is clear again: the MMU translates nothing */
  cpu_debug_update(c); /* no breakpoint: the MMU leaves watch mode */
}

void cpu_init(struct cpu *c) {
  /* What INIT keeps (Table 9-1): the x87, the MSRs, CR0.CD/NW. */
  struct cpu_x87 x87 = c->x87;
  struct cpu_sys sys = c->sys;
  uint32_t cd_nw = c->cr[0] & 0x60000000u;
  cpu_reset(c);
  c->x87 = x87;
  c->sys.tsc_offset = sys.tsc_offset;
  c->sys.sysenter_cs = sys.sysenter_cs;
  c->sys.sysenter_esp = sys.sysenter_esp;
  c->sys.sysenter_eip = sys.sysenter_eip;
  memcpy(c->sys.mtrr, sys.mtrr, sizeof c->sys.mtrr);
  c->cr[0] = (c->cr[0] & ~0x60000000u) | cd_nw;
  cpu_x87_update_ferr(c); /* FERR# as the kept x87 state says */
  cpu_code_cache_flush(c->cache); /* decoded for the old mode: start afresh */
}

void cpu_set_msr_ops(struct cpu *c, const struct cpu_msr_ops *ops, void *ctx) {
  c->sys.msr_ops = ops;
  c->sys.msr_ctx = ctx;
}

void cpu_set_apic_present(struct cpu *c, bool present) { c->sys.apic_present = present; }

cycles_t cpu_cycles(const struct cpu *c) { return c->cycles; }
uint64_t cpu_instructions(const struct cpu *c) { return c->instructions; }
const char *cpu_stop_reason(const struct cpu *c) { return c->stop_reason; }

uint32_t cpu_get_reg(const struct cpu *c, enum cpu_reg r) { return c->gpr[r & 7]; }
void cpu_set_reg(struct cpu *c, enum cpu_reg r, uint32_t value) { c->gpr[r & 7] = value; }
uint32_t cpu_get_eip(const struct cpu *c) { return c->eip; }

void cpu_set_eip(struct cpu *c, uint32_t eip) {
  c->eip = c->next_eip = eip;
  c->halted = false;
}

uint32_t cpu_get_eflags(const struct cpu *c) { return cpu_eflags(c); }

void cpu_set_eflags(struct cpu *c, uint32_t eflags) {
  c->eflags = (eflags & 0x003F7FD5u) | 0x2u;
  c->cc_op = CC_EAGER;
}

void cpu_get_segment(const struct cpu *c, enum cpu_sreg s, struct cpu_segment *out) { *out = c->seg[s]; }

void cpu_set_segment(struct cpu *c, enum cpu_sreg s, const struct cpu_segment *seg) {
  c->seg[s] = *seg;
  cpu_segment_loaded(c, s);
}

void cpu_load_segment_real(struct cpu *c, enum cpu_sreg s, uint16_t selector) {
  c->seg[s].selector = selector;
  c->seg[s].base = (uint32_t)selector << 4;
  cpu_segment_loaded(c, s);
}

void cpu_set_intr(struct cpu *c, bool asserted) {
  c->sys.intr = asserted;
  if (asserted)
    cpu_end_block(c); /* from a device callback: take it at the next boundary */
}

void cpu_set_interrupt_ack(struct cpu *c, int (*ack)(void *ctx), void *ctx) {
  c->sys.ack = ack;
  c->sys.ack_ctx = ctx;
}

void cpu_nmi(struct cpu *c) {
  c->sys.nmi_pending = true;
  cpu_end_block(c);
}

void cpu_sys_reset(struct cpu *c) {
  struct cpu_sys *s = &c->sys;
  s->nmi_pending = false;
  s->nmi_blocked = false;
  s->shadow = false;
  s->tsc_offset = 0 - (uint64_t)c->cycles; /* RESET zeroes the time-stamp counter */
  s->sysenter_cs = s->sysenter_esp = s->sysenter_eip = 0;
  memset(s->mtrr, 0, sizeof s->mtrr);
}

void cpu_update_mode(struct cpu *c) {
  if (!(c->cr[0] & 1))
    c->mode = CPU_MODE_REAL;
  else
    c->mode = (c->eflags & CPU_FLAG_VM) ? CPU_MODE_V86 : CPU_MODE_PROT;
  if (c->mode == CPU_MODE_REAL)
    c->cpl = 0;
  else if (c->mode == CPU_MODE_V86)
    c->cpl = 3;
  for (unsigned s = 0; s < CPU_NSREG; s++)
    cpu_segment_loaded(c, s);
}

void cpu_set_flat_protected(struct cpu *c) {
  c->cr[0] |= 1; /* PE */
  c->mode = CPU_MODE_PROT;
  c->cpl = 0;
  c->seg[CPU_CS] = (struct cpu_segment){.selector = 0x08, .base = 0, .limit = 0xFFFFFFFFu, .attr = 0xC09B};
  for (unsigned s = 0; s < CPU_NSREG; s++)
    if (s != CPU_CS)
      c->seg[s] = (struct cpu_segment){.selector = 0x10, .base = 0, .limit = 0xFFFFFFFFu, .attr = 0xC093};
  for (unsigned s = 0; s < CPU_NSREG; s++)
    cpu_segment_loaded(c, s);
}

void cpu_set_gdtr(struct cpu *c, uint32_t base, uint16_t limit) {
  c->gdtr.base = base;
  c->gdtr.limit = limit;
}

uint32_t cpu_get_cr(const struct cpu *c, int n) { return (n >= 0 && n < 5) ? c->cr[n] : 0; }

int cpu_first_exception(const struct cpu *c) { return c->first_exception; }
void cpu_clear_first_exception(struct cpu *c) { c->first_exception = -1; }

cycles_t cpu_cycles_now(const struct cpu *c) { return cpu_now(c); }

const struct trace_counters *cpu_counters(const struct cpu *c) { return &c->counters; }
void cpu_counters_reset(struct cpu *c) { trace_counters_reset(&c->counters); }

/* Every slot recorded: the filter of a trace set without one. */
static const uint8_t trace_want_all[TRACE_SLOT_COUNT] = {[0 ... TRACE_SLOT_COUNT - 1] = 1};

void cpu_set_trace(struct cpu *c, cpu_trace_fn record, void *ctx) {
  c->trace = record;
  c->trace_ctx = record ? ctx : NULL;
  c->trace_want = trace_want_all;
}

void cpu_set_trace_filter(struct cpu *c, const uint8_t *want_slot) {
  c->trace_want = want_slot ? want_slot : trace_want_all;
}

/* Snapshots the current CS, CPL and mode (and EIP) as the site of the
 * records to come. */
void cpu_trace_site_now(struct cpu *c) {
  c->trace_site = (struct cpu_trace_site){.cs = c->seg[CPU_CS].selector, .cpl = c->cpl, .code32 = c->code32,
                                          .cs_base = c->seg[CPU_CS].base, .eip = c->eip};
}

/* A record of slot at its site (struct trace_record): during a delivery the
 * state cpu_deliver saw; in an instruction the block's CS, CPL and mode at
 * its start (an instruction that changes them ends its block) with the
 * instruction's EIP (committed only after it); between instructions (a
 * fetch) the state as it is. */
static struct trace_record record_at_site(struct cpu *c, unsigned slot) {
  struct cpu_trace_site s;
  if (c->trace_site_fixed)
    s = c->trace_site;
  else if (c->cur) {
    s = c->trace_site;
    s.eip = c->eip;
  } else {
    s = (struct cpu_trace_site){.cs = c->seg[CPU_CS].selector, .cpl = c->cpl, .code32 = c->code32,
                                .cs_base = c->seg[CPU_CS].base, .eip = c->eip};
  }
  return (struct trace_record){.cycle = cpu_now(c), .slot = (uint16_t)slot, .cpu = 0, .cpl = s.cpl,
                               .cs = s.cs, .eip = s.eip, .cs_base = s.cs_base,
                               .flags = s.code32 ? TRACE_REC_CODE32 : 0};
}

/* The callers test cpu_trace_wants before building anything (the inline
 * counters), or call here directly for records whose count is elsewhere
 * (the MMU's walks and A/D updates, the machine's ops events): the filter
 * is checked again, so a filtered-out slot costs no record either way. */
void cpu_trace_record_fields(struct cpu *c, unsigned slot, unsigned n, const uint32_t *fields) {
  if (slot >= TRACE_SLOT_COUNT || !cpu_trace_wants(c, slot))
    return;
  struct trace_record r = record_at_site(c, slot);
  for (unsigned k = 0; k < n && k < TRACE_FIELDS_MAX; k++)
    r.field[r.n_fields++] = fields[k];
  c->trace(c->trace_ctx, &r);
}

/* The record of slot with the fields (trace/events.def EVENT_FIELDS) the
 * state at hand holds; the recording hook (machine/run.c) adds the
 * instruction bytes. Reads only: nothing the guest sees changes. */
void cpu_trace_record(struct cpu *c, unsigned slot) {
  if (slot >= TRACE_SLOT_COUNT || !cpu_trace_wants(c, slot))
    return;
  struct trace_record r = record_at_site(c, slot);
  const struct insn *i = c->cur;
  if (slot - TRACE_EV_exception < 256u) {
    /* a fault delivered by cpu_handle_fault: its error code (#DF: 0) */
    int v = (int)(slot - TRACE_EV_exception);
    if (c->delivering == v && (c->fault_has_error || v == CPU_EXC_DF)) {
      r.field[r.n_fields++] = v == CPU_EXC_DF ? 0 : c->fault_error;
      if (v == CPU_EXC_PF)
        r.field[r.n_fields++] = c->cr[2];
    }
  } else if ((slot == TRACE_EV_io_in || slot == TRACE_EV_io_out) && i) {
    bool imm = i->fn == IN_ALIb || i->fn == IN_AXIb || i->fn == IN_EAXIb || i->fn == OUT_IbAL ||
               i->fn == OUT_IbAX || i->fn == OUT_IbEAX;
    r.field[r.n_fields++] = imm ? (i->imm & 0xFFu) : (c->gpr[CPU_EDX] & 0xFFFFu);
    if (i->fn == OUT_IbAL || i->fn == OUT_DXAL)
      r.field[r.n_fields++] = c->gpr[CPU_EAX] & 0xFFu;
    else if (i->fn == OUT_IbAX || i->fn == OUT_DXAX)
      r.field[r.n_fields++] = c->gpr[CPU_EAX] & 0xFFFFu;
    else if (i->fn == OUT_IbEAX || i->fn == OUT_DXEAX)
      r.field[r.n_fields++] = c->gpr[CPU_EAX];
  }
  c->trace(c->trace_ctx, &r);
}

void cpu_trace_emit(struct cpu *c, unsigned slot, unsigned n, const uint32_t *fields) {
  cpu_trace_record_fields(c, slot, n, fields);
}

void cpu_set_uncharged_ports(struct cpu *c, uint16_t first, uint16_t count) {
  c->uncharged_first = first;
  c->uncharged_count = count;
}

void cpu_set_ferr_output(struct cpu *c, void (*ferr)(void *ctx, bool asserted), void *ctx) {
  c->sys.ferr_fn = ferr;
  c->sys.ferr_ctx = ctx;
}

void cpu_set_ignne(struct cpu *c, bool asserted) { c->sys.ignne = asserted; }

bool cpu_ferr(const struct cpu *c) { return c->sys.ferr; }
