/* cpu/snapshot.c - the processor's state in a snapshot (snap/snap.h):
 * everything that decides what it does next, field by field.
 *
 *   registers       EAX..EDI, EIP, EFLAGS (the lazy flags computed), the
 *                   six segment registers with their descriptor caches,
 *                   the mode and CPL, CR0-CR4, DR0-DR7, GDTR, IDTR, LDTR, TR,
 *                   the x87's control, status and tag words, pointers and
 *                   its eight registers
 *   time            the cycle counter and instructions retired
 *   timing          the preset in force: its name, frequency, its APIC and
 *                   APIC bus frequency, every event
 *                   cost and every opcode row's cost (a preset read from a
 *                   file needs no file to restore)
 *   system          INTR's level, a pending NMI, NMI blocking, the interrupt
 *                   shadow, CPUID's APIC bit, the TSC offset, the SYSENTER
 *                   MSRs, the MTRRs, HLT,
 *                   the x87's FERR# and IGNNE#, the debug traps pending
 *   counters        every counter slot (the event catalog's size must match)
 *
 * Not kept: the decoded code (cpu_load drops it all: the restored run
 * decodes afresh, as the saving run does after the save, machine/snapshot.c),
 * a pause's cut block, the INTA and MSR wiring and the trace hook (the
 * machine's).
 * The MMU's paging state and TLBs are the MMU's section (mmu_save).
 */
#include "cpu-internal.h"

#include "snap.h"

#define CPU_SNAP_VERSION 2

static void put_segment(struct snap_writer *w, const struct cpu_segment *s) {
  snap_put_u16(w, s->selector);
  snap_put_u32(w, s->base);
  snap_put_u32(w, s->limit);
  snap_put_u16(w, s->attr);
}

static void get_segment(struct snap_reader *r, struct cpu_segment *s) {
  s->selector = snap_get_u16(r);
  s->base = snap_get_u32(r);
  s->limit = snap_get_u32(r);
  s->attr = snap_get_u16(r);
}

void cpu_save(const struct cpu *c, struct snap_writer *w) {
  snap_put_u32(w, CPU_SNAP_VERSION);
  for (unsigned k = 0; k < 8; k++)
    snap_put_u32(w, c->gpr[k]);
  snap_put_u32(w, c->eip);
  snap_put_u32(w, cpu_eflags(c));
  for (unsigned s = 0; s < CPU_NSREG; s++)
    put_segment(w, &c->seg[s]);
  snap_put_u8(w, (uint8_t)c->mode);
  snap_put_u8(w, c->cpl);
  for (unsigned k = 0; k < 5; k++)
    snap_put_u32(w, c->cr[k]);
  for (unsigned k = 0; k < 8; k++)
    snap_put_u32(w, c->dr[k]);
  snap_put_u32(w, c->gdtr.base);
  snap_put_u32(w, c->gdtr.limit);
  snap_put_u32(w, c->idtr.base);
  snap_put_u32(w, c->idtr.limit);
  put_segment(w, &c->ldtr);
  put_segment(w, &c->tr);
  snap_put_u16(w, c->x87.cw);
  snap_put_u16(w, c->x87.sw);
  snap_put_u16(w, c->x87.tw);
  snap_put_u32(w, c->x87.fip);
  snap_put_u32(w, c->x87.fdp);
  snap_put_u16(w, c->x87.fcs);
  snap_put_u16(w, c->x87.fds);
  snap_put_u16(w, c->x87.fop);
  snap_put_bytes(w, c->x87.st, sizeof c->x87.st);

  snap_put_u64(w, c->cycles);
  snap_put_u64(w, c->instructions);

  size_t name_len = strlen(c->timing.name);
  snap_put_u16(w, (uint16_t)name_len);
  snap_put_bytes(w, c->timing.name, name_len);
  snap_put_u64(w, c->timing.frequency_hz);
  snap_put_u64(w, c->timing.apic_bus_num);
  snap_put_u64(w, c->timing.apic_bus_den);
  snap_put_u8(w, (uint8_t)c->timing.apic);
  snap_put_u32(w, CPU_TEV_COUNT);
  for (unsigned e = 0; e < CPU_TEV_COUNT; e++)
    snap_put_u64(w, cpu_timing_event(&c->timing, (enum cpu_timing_event)e));
  snap_put_bool(w, c->timing.row_cost != NULL);
  snap_put_u32(w, CPU_ROW_MAX);
  for (unsigned k = 0; k < CPU_ROW_MAX; k++)
    snap_put_u16(w, c->timing.row_cost ? c->timing.row_cost[k] : 1);

  snap_put_bool(w, c->sys.intr);
  snap_put_bool(w, c->sys.nmi_pending);
  snap_put_bool(w, c->sys.nmi_blocked);
  snap_put_bool(w, c->sys.shadow);
  snap_put_bool(w, c->sys.apic_present);
  snap_put_u64(w, c->sys.tsc_offset);
  snap_put_u32(w, c->sys.sysenter_cs);
  snap_put_u32(w, c->sys.sysenter_esp);
  snap_put_u32(w, c->sys.sysenter_eip);
  for (unsigned k = 0; k < MTRR_SLOTS; k++)
    snap_put_u64(w, c->sys.mtrr[k]);
  snap_put_bool(w, c->halted);
  snap_put_bool(w, c->sys.ferr);
  snap_put_bool(w, c->sys.ignne);
  snap_put_bool(w, c->dbg_inhibit);
  snap_put_u32(w, c->dbg_pending);

  snap_put_u32(w, TRACE_SLOT_COUNT);
  for (unsigned k = 0; k < TRACE_SLOT_COUNT; k++)
    snap_put_u64(w, c->counters.slot[k]);
}

int cpu_load(struct cpu *c, struct snap_reader *r) {
  uint32_t version = snap_get_u32(r);
  if (snap_ok(r) && version != CPU_SNAP_VERSION)
    snap_fail(r, "processor state of version %u (this ringlab reads %u)", version, CPU_SNAP_VERSION);
  struct cpu n = *c; /* read into a copy: c stays as it was on failure */
  for (unsigned k = 0; k < 8; k++)
    n.gpr[k] = snap_get_u32(r);
  n.eip = n.next_eip = snap_get_u32(r);
  n.eflags = (snap_get_u32(r) & 0x003F7FD5u) | 0x2u;
  n.cc_op = CC_EAGER;
  for (unsigned s = 0; s < CPU_NSREG; s++)
    get_segment(r, &n.seg[s]);
  uint8_t mode = snap_get_u8(r);
  n.cpl = snap_get_u8(r);
  if (mode > CPU_MODE_V86 || n.cpl > 3)
    snap_fail(r, "processor mode %u, CPL %u", mode, n.cpl);
  n.mode = (enum cpu_mode)mode;
  for (unsigned k = 0; k < 5; k++)
    n.cr[k] = snap_get_u32(r);
  for (unsigned k = 0; k < 8; k++)
    n.dr[k] = snap_get_u32(r);
  n.gdtr.base = snap_get_u32(r);
  n.gdtr.limit = snap_get_u32(r);
  n.idtr.base = snap_get_u32(r);
  n.idtr.limit = snap_get_u32(r);
  get_segment(r, &n.ldtr);
  get_segment(r, &n.tr);
  n.x87.cw = snap_get_u16(r);
  n.x87.sw = snap_get_u16(r);
  n.x87.tw = snap_get_u16(r);
  n.x87.fip = snap_get_u32(r);
  n.x87.fdp = snap_get_u32(r);
  n.x87.fcs = snap_get_u16(r);
  n.x87.fds = snap_get_u16(r);
  n.x87.fop = snap_get_u16(r);
  snap_get_bytes(r, n.x87.st, sizeof n.x87.st);

  n.cycles = snap_get_u64(r);
  n.instructions = snap_get_u64(r);

  uint16_t name_len = snap_get_u16(r);
  if (name_len >= sizeof n.timing.name_buf)
    snap_fail(r, "timing preset name of %u bytes", name_len);
  else
    snap_get_bytes(r, n.timing.name_buf, name_len);
  n.timing.name_buf[name_len < sizeof n.timing.name_buf ? name_len : 0] = 0;
  n.timing.frequency_hz = snap_get_u64(r);
  n.timing.apic_bus_num = snap_get_u64(r);
  n.timing.apic_bus_den = snap_get_u64(r);
  uint8_t apic = snap_get_u8(r);
  if (apic > CPU_APIC_XAPIC || n.timing.apic_bus_num == 0 || n.timing.apic_bus_den == 0 ||
      n.timing.apic_bus_den > 1000)
    snap_fail(r, "APIC model %u, bus %llu/%llu Hz", apic, (unsigned long long)n.timing.apic_bus_num,
              (unsigned long long)n.timing.apic_bus_den);
  n.timing.apic = (enum cpu_apic_model)apic;
  if (snap_get_u32(r) != CPU_TEV_COUNT)
    snap_fail(r, "another timing model's events (another ringlab made it)");
  uint64_t ev[CPU_TEV_COUNT];
  for (unsigned e = 0; e < CPU_TEV_COUNT; e++)
    ev[e] = snap_get_u64(r);
  unsigned e = 0;
#define X(name) n.timing.name = ev[e++];
  CPU_TIMING_EVENTS(X)
#undef X
  bool rows = snap_get_bool(r);
  if (snap_get_u32(r) != CPU_ROW_MAX)
    snap_fail(r, "another opcode table (another ringlab made it)");
  for (unsigned k = 0; k < CPU_ROW_MAX && snap_ok(r); k++)
    n.timing.row_cost_table[k] = snap_get_u16(r);
  n.timing.row_cost = rows ? c->timing.row_cost_table : NULL; /* c's own table, after the copy below */

  n.sys.intr = snap_get_bool(r);
  n.sys.nmi_pending = snap_get_bool(r);
  n.sys.nmi_blocked = snap_get_bool(r);
  n.sys.shadow = snap_get_bool(r);
  n.sys.apic_present = snap_get_bool(r);
  n.sys.tsc_offset = snap_get_u64(r);
  n.sys.sysenter_cs = snap_get_u32(r);
  n.sys.sysenter_esp = snap_get_u32(r);
  n.sys.sysenter_eip = snap_get_u32(r);
  for (unsigned k = 0; k < MTRR_SLOTS; k++)
    n.sys.mtrr[k] = snap_get_u64(r);
  n.halted = snap_get_bool(r);
  n.sys.ferr = snap_get_bool(r);
  n.sys.ignne = snap_get_bool(r);
  n.dbg_inhibit = snap_get_bool(r);
  n.dbg_pending = snap_get_u32(r);
  n.dbg_step = false;

  if (snap_get_u32(r) != TRACE_SLOT_COUNT)
    snap_fail(r, "another event catalog (another ringlab made it)");
  for (unsigned k = 0; k < TRACE_SLOT_COUNT && snap_ok(r); k++)
    n.counters.slot[k] = snap_get_u64(r);
  if (!snap_ok(r))
    return -1;

  /* What is not state starts afresh. */
  n.cur = n.block_first = NULL;
  n.block_end = NULL;
  n.stop_requested = false;
  n.paused = false;
  n.resume = (struct cpu_resume){0};
  n.delivering = -1;
  n.first_exception = -1;
  n.stop_reason[0] = 0;
  n.trace_site_fixed = false;
  *c = n;
  c->timing.name = c->timing.name_buf; /* pointers into c itself, not into the copy */
  for (unsigned s = 0; s < CPU_NSREG; s++)
    cpu_segment_loaded(c, s);
  cpu_debug_update(c); /* the breakpoint masks from DR7 (and the MMU's watch mode) */
  cpu_code_cache_flush(c->cache);
  return 0;
}
