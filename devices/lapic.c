/* devices/lapic.c - the processor's local APIC: the P6 family's APIC and
 * the Pentium 4 / Xeon xAPIC (SDM vol. 3, chapter 10).
 *
 *                 +---------------+
 *   LINT0 ------->| local APIC    |--> INTR to the core (lines.intr)
 *   LINT1 ------->|               |<-- INTA from the core (dev_lapic_inta)
 *   APIC bus ---->|  timer (bus   |--> NMI, INIT to the core
 *   (I/O APIC)    |  clock)       |--> EOI messages to the I/O APICs
 *                 +---------------+--> ExtINT's INTA to the 8259A
 *
 * The register page (4 KiB at IA32_APIC_BASE, 0xFEE00000 at power-on),
 * one 32-bit register at the start of each 16-byte slot:
 *
 *   0x020 ID         RW  P6: bits 27-24 (4-bit IDs); xAPIC: bits 31-24
 *   0x030 version    RO  P6: 0x00040011 (version 0x11, 5 LVT entries);
 *                        xAPIC: 0x00050014 (0x14, 6 entries)
 *   0x080 TPR        RW  task priority, bits 7-0
 *   0x090 APR        RO  arbitration priority (SDM 10.8.3.1's formula)
 *   0x0A0 PPR        RO  processor priority: TPR, or the class of the
 *                        highest in-service vector if that is higher
 *   0x0B0 EOI        WO  any write ends the highest in-service vector
 *   0x0C0 RRD        RO  remote read (reads 0: no remote reads here)
 *   0x0D0 LDR        RW  logical ID, bits 31-24
 *   0x0E0 DFR        RW  model, bits 31-28 (1111 flat, 0000 cluster); 27-0 read 1
 *   0x0F0 SVR        RW  spurious vector 7-0 (P6: bits 3-0 always 1), bit 8
 *                        software enable, bit 9 focus checking (stored)
 *   0x100-0x170 ISR, 0x180-0x1F0 TMR, 0x200-0x270 IRR   RO, 256 bits each
 *   0x280 ESR        RW  a write latches the errors found since the last
 *                        write; reads give what the last write latched
 *   0x300 ICR low    RW  a write sends the IPI; delivery status reads 0
 *   0x310 ICR high   RW  destination, bits 31-24
 *   0x320 LVT timer, 0x330 LVT thermal (xAPIC only), 0x340 LVT performance
 *         counters, 0x350 LVT LINT0, 0x360 LVT LINT1, 0x370 LVT error
 *   0x380 timer initial count RW, 0x390 current count RO, 0x3E0 divide RW
 *
 * Any other slot is reserved: an access sets ESR bit 7 (illegal register
 * address), reads 0 and writes nothing. Registers are 32-bit and the SDM
 * leaves other accesses undefined: a narrower read gives the bytes of the
 * register it falls in (bytes 4-15 of a slot read 0); a write narrower than
 * 32 bits, or not at a slot's start, is ignored. Writes to read-only
 * registers are ignored.
 *
 * Priorities (SDM 10.8.3): an interrupt in the IRR is dispatched to the
 * core when its priority class (vector bits 7-4) is above the class of the
 * PPR. The APIC then asserts INTR and keeps it asserted until the core's
 * INTA: if by then the interrupt has been masked (the TPR raised with
 * interrupts disabled), the INTA gets the spurious vector (SVR bits 7-0)
 * and no ISR bit is set (SDM 10.9). At INTA the highest IRR vector moves to
 * the ISR; an EOI clears the highest ISR bit, and if that vector's TMR bit
 * is set (level-triggered) sends the EOI message to the I/O APICs and
 * clears the remote IRR of a level-triggered LINT entry with that vector.
 *
 * Interrupt sources: LVT entries (timer, LINT0/1, error), IPIs through
 * the ICR, messages from the I/O APIC. Fixed and lowest-priority ones go
 * to the IRR (vectors 0-15 never do: the receive-illegal-vector error);
 * NMI and INIT go to the core (lines.nmi, lines.init); ExtINT makes INTR
 * follow the 8259A (LINT0 in ExtINT mode, a level input: the PC's
 * virtual-wire mode) or latches until the next INTA (an ExtINT message),
 * and its INTA is the 8259A's (lines.extint_ack). At an INTA a dispatched
 * fixed interrupt goes before an ExtINT (as Bochs and QEMU order them; the
 * SDM does not say), and ExtINT ignores the TPR and the ISR (SDM 10.8.1).
 * LINT pins: fixed (edge, or level with the remote IRR), NMI and INIT on
 * the rising edge of the active level (polarity bit 13), ExtINT by level.
 * With IA32_APIC_BASE.EN = 0 the APIC is off: LINT0 is INTR and LINT1's
 * rising edge is an NMI, as on a processor without an APIC.
 *
 * Software disable (SVR bit 8 = 0, and so at power-on): every LVT entry is
 * masked and stays masked; NMI, INIT, SMI and startup messages are still
 * taken; fixed messages (IPIs, the I/O APIC) are discarded; interrupts
 * already in the IRR are still dispatched (SDM 10.4.7.2: they "require
 * handling by the CPU"). QEMU instead holds them until the APIC is
 * enabled, and Bochs takes fixed messages into the IRR.
 *
 * IPIs, on this one-processor machine (SDM tables 10-3 and 10-4): the
 * shorthands self and all-including-self reach this APIC with fixed
 * delivery only (the other modes are invalid there and send nothing); no
 * shorthand reaches it when the destination matches (physical: its ID, or
 * the broadcast 0xF on the P6, 0xFF on the xAPIC; logical: the flat or
 * cluster model of DFR and LDR); all-excluding-self reaches nobody. An IPI
 * nobody accepts sets the send accept error on the P6 (the 3-wire bus
 * reports it; the xAPIC does not). Vectors 0-15 in a fixed IPI set the send
 * illegal vector error (and, sent to itself, the receive one). NMI and INIT
 * to itself reach the core; INIT level de-assert only resynchronizes the
 * APIC bus's arbitration IDs: nothing here; startup IPIs are ignored (the
 * bootstrap processor is not waiting for one); SMI is not modeled (taken
 * and dropped). A level-triggered fixed IPI sets the TMR bit on the P6; the
 * xAPIC sends it edge-triggered (table 10-3, note 2). The send completes
 * within the writing instruction: the ICR's delivery status always reads 0.
 *
 * The timer (SDM 10.5.4) counts the bus clock (the preset's APIC bus
 * frequency) divided by 1-128 (divide register bits 0, 1, 3). Bus clock
 * tick k falls at cycle ceil(k * F / B) (F the core frequency, B the bus
 * frequency, a fraction: 200000000/3 Hz on the p6 preset; exact 128-bit
 * arithmetic on an absolute grid from cycle 0, as the PIT's clock). A write of N to the initial count at bus tick T starts
 * the count at N; it decrements at ticks T + d, T + 2d, ... (d the divisor)
 * and reaches zero at tick T + N d, which is the event: the LVT timer's
 * vector unless masked; in periodic mode (LVT bit 17) the count reloads N
 * there and goes on, in one-shot mode it stays 0. Writing 0 stops it. A new
 * divisor takes effect from the tick of its write, the count going on from
 * where it is. The current count is computed from the tick, never stepped.
 *
 * Departures: the P6's two-slots-per-priority-level acceptance (a third
 * interrupt of one class is retried on the APIC bus) is not modeled: the
 * IRR holds one per vector, as the xAPIC does. Remote read (ICR mode 011)
 * and SMI are not modeled. The LVT entries' delivery status bit always
 * reads 0 (an interrupt is accepted into the IRR at once). Thermal and
 * performance-counter LVT entries are stored and never fire (ringlab has
 * neither sensor nor counters). IA32_APIC_BASE.EN set again after it was
 * cleared re-enables the APIC on both models (the P6's 3-wire bus could
 * not resynchronize without a reset); clearing it returns the APIC to its
 * power-on state (SDM 10.4.3 allows that).
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>
#include <string.h>

/* register offsets */
#define REG_ID 0x020
#define REG_VERSION 0x030
#define REG_TPR 0x080
#define REG_APR 0x090
#define REG_PPR 0x0A0
#define REG_EOI 0x0B0
#define REG_RRD 0x0C0
#define REG_LDR 0x0D0
#define REG_DFR 0x0E0
#define REG_SVR 0x0F0
#define REG_ISR 0x100
#define REG_TMR 0x180
#define REG_IRR 0x200
#define REG_ESR 0x280
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT 0x320 /* timer; + 0x10 per entry, enum lvt */
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3E0

enum lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

#define LVT_VECTOR 0x000000FFu
#define LVT_DELIVERY 0x00000700u    /* bits 10-8 (LINT, thermal, performance) */
#define LVT_ACTIVE_LOW 0x00002000u  /* LINT polarity */
#define LVT_REMOTE_IRR 0x00004000u  /* LINT, read only */
#define LVT_LEVEL 0x00008000u       /* LINT trigger mode */
#define LVT_MASKED 0x00010000u
#define LVT_PERIODIC 0x00020000u    /* timer mode */

/* What software can write in each entry. */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = LVT_VECTOR | LVT_MASKED | LVT_PERIODIC,
    [LVT_THERMAL] = LVT_VECTOR | LVT_DELIVERY | LVT_MASKED,
    [LVT_PERF] = LVT_VECTOR | LVT_DELIVERY | LVT_MASKED,
    [LVT_LINT0] = LVT_VECTOR | LVT_DELIVERY | LVT_ACTIVE_LOW | LVT_LEVEL | LVT_MASKED,
    [LVT_LINT1] = LVT_VECTOR | LVT_DELIVERY | LVT_ACTIVE_LOW | LVT_LEVEL | LVT_MASKED,
    [LVT_ERROR] = LVT_VECTOR | LVT_MASKED,
};

#define SVR_ENABLE 0x100u
#define SVR_WRITABLE 0x3FFu

/* ICR low */
#define ICR_DELIVERY_SHIFT 8
#define ICR_LOGICAL 0x00000800u
#define ICR_ASSERT 0x00004000u
#define ICR_LEVEL 0x00008000u
#define ICR_SHORTHAND_SHIFT 18
#define ICR_WRITABLE 0x000CCFFFu /* vector, delivery mode, destination mode, level, trigger, shorthand */
enum shorthand { SH_NONE, SH_SELF, SH_ALL, SH_OTHERS };

/* ESR */
#define ESR_SEND_ACCEPT 0x04u   /* P6 only */
#define ESR_SEND_ILLEGAL 0x20u
#define ESR_RECV_ILLEGAL 0x40u
#define ESR_ILLEGAL_REG 0x80u

/* IA32_APIC_BASE */
#define BASE_BSP 0x100u
#define BASE_EN 0x800u
#define BASE_ADDR 0x0000000FFFFFF000ull /* bits 35-12: 36-bit physical addresses */

struct dev_lapic {
  /* wiring */
  struct dev_timebase tb;
  struct dev_lapic_clock clock;
  struct dev_lapic_lines lines;

  uint64_t base_msr;  /* IA32_APIC_BASE */
  uint8_t id;         /* APIC ID */
  uint8_t tpr;
  uint8_t ldr;        /* LDR bits 31-24 */
  uint8_t dfr_model;  /* DFR bits 31-28 */
  uint32_t svr;
  uint32_t irr[8], isr[8], tmr[8]; /* vector v: word v / 32, bit v % 32 */
  uint32_t esr;       /* as the last ESR write latched it */
  uint32_t esr_new;   /* errors found since */
  uint32_t icr_lo, icr_hi;
  uint32_t lvt[LVT_COUNT];
  uint32_t timer_initial;
  uint32_t timer_divide; /* bits 0, 1, 3 */

  /* the timer's count, closed-form from its base (see the header) */
  bool timer_running;
  uint64_t timer_base_tick;    /* bus clock tick of the count's base */
  uint32_t timer_base_count;   /* the count at the base */
  uint64_t timer_next;         /* the next zero: the base's count, then k more periods */

  /* pins */
  bool lint[2];       /* LINT0, LINT1 input levels */
  bool extint_msg;    /* an ExtINT message waits for its INTA */
  bool fixed_out;     /* INTR asserted for a dispatched fixed interrupt, until INTA */
  bool intr_out;      /* the level driven on INTR */
};

static enum dev_lapic_model model(const struct dev_lapic *l) {
  return l->clock.model ? l->clock.model(l->clock.opaque) : DEV_LAPIC_XAPIC;
}

static bool p6(const struct dev_lapic *l) { return model(l) == DEV_LAPIC_P6; }

static bool hw_enabled(const struct dev_lapic *l) { return (l->base_msr & BASE_EN) != 0; }
static bool sw_enabled(const struct dev_lapic *l) { return (l->svr & SVR_ENABLE) != 0; }

static void report(struct dev_lapic *l, enum dev_lapic_event e, uint8_t vector, uint32_t a, uint32_t b) {
  if (l->lines.event)
    l->lines.event(l->lines.opaque, e, vector, a, b);
}

/* ---- the 256-bit registers ------------------------------------------------------ */

static bool test_bit(const uint32_t *r, unsigned v) { return (r[v >> 5] >> (v & 31)) & 1; }
static void set_bit(uint32_t *r, unsigned v) { r[v >> 5] |= 1u << (v & 31); }
static void clear_bit(uint32_t *r, unsigned v) { r[v >> 5] &= ~(1u << (v & 31)); }

/* The highest vector set, or -1. */
static int highest(const uint32_t *r) {
  for (int w = 7; w >= 0; w--)
    if (r[w])
      return w * 32 + 31 - __builtin_clz(r[w]);
  return -1;
}

/* ---- priorities (SDM 10.8.3.1) --------------------------------------------------- */

static uint8_t ppr(const struct dev_lapic *l) {
  int isrv = highest(l->isr);
  if (isrv < 0 || (l->tpr & 0xF0) >= (isrv & 0xF0))
    return l->tpr;
  return (uint8_t)(isrv & 0xF0);
}

static uint8_t apr(const struct dev_lapic *l) {
  int irrv = highest(l->irr), isrv = highest(l->isr);
  unsigned tpr_class = l->tpr >> 4, irr_class = irrv < 0 ? 0 : (unsigned)irrv >> 4,
           isr_class = isrv < 0 ? 0 : (unsigned)isrv >> 4;
  if (tpr_class >= irr_class && tpr_class > isr_class)
    return l->tpr;
  unsigned c = tpr_class & isr_class;
  return (uint8_t)((c > irr_class ? c : irr_class) << 4);
}

/* Is a fixed interrupt in the IRR above the processor priority? */
static bool dispatchable(const struct dev_lapic *l) {
  int v = highest(l->irr);
  return v >= 0 && (v & 0xF0) > (ppr(l) & 0xF0);
}

/* Is a LINT pin's input at its active level? */
static bool lint_active(const struct dev_lapic *l, int pin) {
  return l->lint[pin] != ((l->lvt[LVT_LINT0 + pin] & LVT_ACTIVE_LOW) != 0);
}

static unsigned lvt_delivery(uint32_t lvt) { return (lvt & LVT_DELIVERY) >> 8; }

/* Does an ExtINT source hold INTR: a LINT pin in ExtINT mode at its active
 * level, or an ExtINT message not yet acknowledged? */
static bool extint_asserted(const struct dev_lapic *l) {
  if (l->extint_msg)
    return true;
  for (int pin = 0; pin < 2; pin++) {
    uint32_t e = l->lvt[LVT_LINT0 + pin];
    if (!(e & LVT_MASKED) && lvt_delivery(e) == DEV_APIC_EXTINT && lint_active(l, pin))
      return true;
  }
  return false;
}

/* Drives INTR from the state. */
static void update(struct dev_lapic *l) {
  bool level;
  if (!hw_enabled(l)) {
    l->fixed_out = false;
    level = l->lint[0]; /* no APIC: LINT0 is INTR */
  } else {
    if (!l->fixed_out && dispatchable(l))
      l->fixed_out = true;
    level = l->fixed_out || extint_asserted(l);
  }
  if (level != l->intr_out) {
    l->intr_out = level;
    if (l->lines.intr)
      l->lines.intr(l->lines.opaque, level);
  }
}

/* ---- accepting interrupts --------------------------------------------------------- */

static bool accept_fixed(struct dev_lapic *l, uint8_t vector, bool level);

/* An error detected: recorded for the next ESR write, and the error
 * interrupt unless its entry is masked (or its own vector is illegal:
 * that only records the receive error, once). */
static void error(struct dev_lapic *l, uint32_t bits) {
  l->esr_new |= bits;
  report(l, DEV_LAPIC_EV_ERROR, 0, bits, 0);
  uint32_t e = l->lvt[LVT_ERROR];
  if (e & LVT_MASKED)
    return;
  if ((e & LVT_VECTOR) < 16)
    l->esr_new |= ESR_RECV_ILLEGAL;
  else
    accept_fixed(l, (uint8_t)(e & LVT_VECTOR), false);
}

/* A fixed (or lowest-priority) interrupt into the IRR. */
static bool accept_fixed(struct dev_lapic *l, uint8_t vector, bool level) {
  if (vector < 16) {
    error(l, ESR_RECV_ILLEGAL);
    return false;
  }
  set_bit(l->irr, vector);
  if (level)
    set_bit(l->tmr, vector);
  else
    clear_bit(l->tmr, vector);
  update(l);
  return true;
}

/* An interrupt of delivery mode `mode` for this APIC, from a message (an
 * IPI or the I/O APIC). True if taken. */
static bool take(struct dev_lapic *l, unsigned mode, uint8_t vector, bool level) {
  switch (mode) {
  case DEV_APIC_FIXED:
  case DEV_APIC_LOWEST:
    if (!sw_enabled(l))
      return false; /* discarded while software-disabled */
    return accept_fixed(l, vector, level);
  case DEV_APIC_NMI:
    if (l->lines.nmi)
      l->lines.nmi(l->lines.opaque);
    return true;
  case DEV_APIC_INIT:
    if (l->lines.init)
      l->lines.init(l->lines.opaque);
    return true;
  case DEV_APIC_SMI:     /* not modeled: taken and dropped */
  case DEV_APIC_STARTUP: /* the bootstrap processor waits for no SIPI */
    return true;
  case DEV_APIC_EXTINT:
    l->extint_msg = true;
    update(l);
    return true;
  default:
    return false;
  }
}

static bool physical_match(const struct dev_lapic *l, uint8_t dest) {
  if (p6(l))
    return (dest & 0x0F) == 0x0F || (dest & 0x0F) == (l->id & 0x0F);
  return dest == 0xFF || dest == l->id;
}

static bool logical_match(const struct dev_lapic *l, uint8_t dest) {
  if (dest == 0xFF)
    return true; /* broadcast, in both models */
  if (l->dfr_model == 0xF)
    return (dest & l->ldr) != 0; /* flat: one bit per APIC */
  if (l->dfr_model == 0x0) /* cluster: cluster ID in bits 7-4, member bits 3-0 */
    return ((dest >> 4) == 0xF || (dest >> 4) == (l->ldr >> 4)) && (dest & l->ldr & 0x0F) != 0;
  return false;
}

static bool dest_match(const struct dev_lapic *l, bool logical, uint8_t dest) {
  return logical ? logical_match(l, dest) : physical_match(l, dest);
}

bool dev_lapic_receive(struct dev_lapic *l, const struct dev_apic_msg *m) {
  if (!hw_enabled(l) || !dest_match(l, m->logical, m->dest))
    return false;
  return take(l, m->delivery, m->vector, m->level);
}

/* ---- IPIs --------------------------------------------------------------------------- */

static void send_ipi(struct dev_lapic *l) {
  uint32_t lo = l->icr_lo;
  uint8_t vector = (uint8_t)lo;
  unsigned mode = (lo >> ICR_DELIVERY_SHIFT) & 7;
  unsigned sh = (lo >> ICR_SHORTHAND_SHIFT) & 3;
  bool level = (lo & ICR_LEVEL) != 0;
  report(l, DEV_LAPIC_EV_IPI, vector, lo, l->icr_hi);
  if (mode == DEV_APIC_INIT && level && !(lo & ICR_ASSERT))
    return; /* INIT level de-assert: arbitration IDs only */
  if ((sh == SH_SELF || sh == SH_ALL) && mode != DEV_APIC_FIXED)
    return; /* invalid combinations (tables 10-3, 10-4): nothing sent */
  if (mode == DEV_APIC_REMOTE_READ || mode == DEV_APIC_EXTINT)
    return; /* not sent: remote reads are not modeled; 111 is reserved */
  if (!p6(l))
    level = false; /* the xAPIC sends level-triggered IPIs as edge-triggered */
  bool fixed = mode == DEV_APIC_FIXED || mode == DEV_APIC_LOWEST;
  if (fixed && vector < 16)
    error(l, ESR_SEND_ILLEGAL);
  bool to_me;
  switch (sh) {
  case SH_NONE:
    to_me = dest_match(l, (lo & ICR_LOGICAL) != 0, (uint8_t)(l->icr_hi >> 24));
    break;
  case SH_SELF:
  case SH_ALL:
    to_me = true;
    break;
  default:
    to_me = false;
    break;
  }
  /* Its own IPIs reach it as bus messages do (sw_enabled matters). */
  bool accepted = to_me && (take(l, mode, vector, level) || (fixed && vector < 16));
  if (!accepted && p6(l))
    error(l, ESR_SEND_ACCEPT); /* nobody on the 3-wire bus took it */
}

/* ---- the LINT pins ------------------------------------------------------------------- */

/* A level-triggered fixed LINT entry: accept while the input is active and
 * no earlier one waits for its EOI (the remote IRR). */
static void lint_level_check(struct dev_lapic *l, int pin) {
  uint32_t *e = &l->lvt[LVT_LINT0 + pin];
  if (!hw_enabled(l) || (*e & (LVT_MASKED | LVT_REMOTE_IRR)) || !(*e & LVT_LEVEL) ||
      lvt_delivery(*e) != DEV_APIC_FIXED || !lint_active(l, pin))
    return;
  if (accept_fixed(l, (uint8_t)(*e & LVT_VECTOR), true))
    *e |= LVT_REMOTE_IRR;
}

void dev_lapic_set_lint(void *lapic, int pin, int level) {
  struct dev_lapic *l = lapic;
  if (pin < 0 || pin > 1)
    return;
  bool was = l->lint[pin], was_active = lint_active(l, pin);
  l->lint[pin] = level != 0;
  bool rising = !was_active && lint_active(l, pin);
  if (!hw_enabled(l)) {
    /* no APIC: LINT0 is INTR, LINT1 the NMI pin (an NMI on its rising edge) */
    if (pin == 1 && !was && level && l->lines.nmi)
      l->lines.nmi(l->lines.opaque);
    update(l);
    return;
  }
  uint32_t e = l->lvt[LVT_LINT0 + pin];
  if (!(e & LVT_MASKED) && rising) {
    switch (lvt_delivery(e)) {
    case DEV_APIC_FIXED:
      if (!(e & LVT_LEVEL))
        accept_fixed(l, (uint8_t)(e & LVT_VECTOR), false);
      break;
    case DEV_APIC_NMI:
    case DEV_APIC_INIT: /* always edge-sensitive */
    case DEV_APIC_SMI:
      take(l, lvt_delivery(e), 0, false);
      break;
    default:
      break;
    }
  }
  lint_level_check(l, pin);
  update(l); /* ExtINT follows the level */
}

/* ---- the timer ----------------------------------------------------------------------- */

static uint64_t cpu_hz(const struct dev_lapic *l) {
  uint64_t f = l->tb.cpu_hz ? l->tb.cpu_hz(l->tb.opaque) : 0;
  return f ? f : 1000000000u;
}

/* The bus clock, num / den Hz (the core's clock if none is given). */
static void bus_hz(const struct dev_lapic *l, uint64_t *num, uint64_t *den) {
  *num = 0;
  *den = 1;
  if (l->clock.bus_hz)
    l->clock.bus_hz(l->clock.opaque, num, den);
  if (!*num || !*den) {
    *num = cpu_hz(l);
    *den = 1;
  }
}

static cycles_t now(const struct dev_lapic *l) { return l->tb.sched ? dev_sched_now(l->tb.sched) : 0; }

/* Bus clock ticks by cycle c: floor(c * num / (F * den)); and the cycle of
 * tick k: ceil(k * F * den / num). */
static uint64_t tick_at(const struct dev_lapic *l, cycles_t c) {
  uint64_t num, den;
  bus_hz(l, &num, &den);
  return (uint64_t)((unsigned __int128)c * num / ((unsigned __int128)cpu_hz(l) * den));
}

static cycles_t cycle_of_tick(const struct dev_lapic *l, unsigned __int128 k) {
  uint64_t num, den;
  bus_hz(l, &num, &den);
  unsigned __int128 c = (k * cpu_hz(l) * den + num - 1) / num;
  return c >= DEV_NEVER ? DEV_NEVER - 1 : (cycles_t)c;
}

static unsigned divisor(const struct dev_lapic *l) {
  unsigned code = ((l->timer_divide & 8) >> 1) | (l->timer_divide & 3);
  return code == 7 ? 1 : 2u << code;
}

/* Divided ticks since the base. */
static uint64_t timer_elapsed(const struct dev_lapic *l, cycles_t c) {
  uint64_t t = tick_at(l, c);
  return t > l->timer_base_tick ? (t - l->timer_base_tick) / divisor(l) : 0;
}

static uint32_t current_count(const struct dev_lapic *l) {
  if (!l->timer_running)
    return 0;
  uint64_t e = timer_elapsed(l, now(l));
  if (e < l->timer_base_count)
    return (uint32_t)(l->timer_base_count - e);
  if (!(l->lvt[LVT_TIMER] & LVT_PERIODIC) && e >= l->timer_next)
    return 0; /* a one-shot at its zero (its event stops it) */
  /* past a zero, periodic: counting down the current period */
  return l->timer_initial - (uint32_t)((e - l->timer_base_count) % l->timer_initial);
}

/* The count starts again from `count` at the current tick. */
static void timer_rebase(struct dev_lapic *l, uint32_t count) {
  l->timer_running = count != 0;
  l->timer_base_tick = tick_at(l, now(l));
  l->timer_base_count = count;
  l->timer_next = count;
}

static cycles_t timer_next_event(void *ctx) {
  const struct dev_lapic *l = ctx;
  if (!l->timer_running)
    return DEV_NEVER;
  return cycle_of_tick(l, (unsigned __int128)l->timer_base_tick + (unsigned __int128)l->timer_next * divisor(l));
}

static void timer_run_until(void *ctx, cycles_t t) {
  struct dev_lapic *l = ctx;
  while (l->timer_running && timer_next_event(l) <= t) {
    uint32_t e = l->lvt[LVT_TIMER];
    report(l, DEV_LAPIC_EV_TIMER, (uint8_t)(e & LVT_VECTOR), (e & LVT_MASKED) != 0, 0);
    if (e & LVT_PERIODIC)
      l->timer_next += l->timer_initial;
    else
      l->timer_running = false;
    if (!(e & LVT_MASKED))
      accept_fixed(l, (uint8_t)(e & LVT_VECTOR), false);
  }
}

const struct dev_clock_ops dev_lapic_clock_ops = {
    .name = "local APIC timer",
    .next_event = timer_next_event,
    .run_until = timer_run_until,
};

/* ---- registers ------------------------------------------------------------------------ */

static uint32_t version(const struct dev_lapic *l) { return p6(l) ? 0x00040011u : 0x00050014u; }

/* Is this slot (offset / 16) a register of this model? */
static bool slot_exists(const struct dev_lapic *l, unsigned slot) {
  switch (slot) {
  case REG_ID >> 4:
  case REG_VERSION >> 4:
  case REG_TPR >> 4:
  case REG_APR >> 4:
  case REG_PPR >> 4:
  case REG_EOI >> 4:
  case REG_RRD >> 4:
  case REG_LDR >> 4:
  case REG_DFR >> 4:
  case REG_SVR >> 4:
  case REG_ESR >> 4:
  case REG_ICR_LO >> 4:
  case REG_ICR_HI >> 4:
  case REG_TIMER_INITIAL >> 4:
  case REG_TIMER_CURRENT >> 4:
  case REG_TIMER_DIVIDE >> 4:
    return true;
  case (REG_LVT >> 4) + LVT_THERMAL:
    return !p6(l);
  default:
    return (slot >= REG_ISR >> 4 && slot < (REG_IRR >> 4) + 8) ||
           (slot >= REG_LVT >> 4 && slot < (REG_LVT >> 4) + LVT_COUNT);
  }
}

/* A register's value (slot must exist). */
static uint32_t reg(const struct dev_lapic *l, unsigned slot) {
  unsigned off = slot << 4;
  if (off >= REG_ISR && off < REG_TMR)
    return l->isr[(off - REG_ISR) >> 4];
  if (off >= REG_TMR && off < REG_IRR)
    return l->tmr[(off - REG_TMR) >> 4];
  if (off >= REG_IRR && off < REG_IRR + 0x80)
    return l->irr[(off - REG_IRR) >> 4];
  if (off >= REG_LVT && off < REG_LVT + 0x10 * LVT_COUNT)
    return l->lvt[(off - REG_LVT) >> 4];
  switch (off) {
  case REG_ID:
    return (uint32_t)(p6(l) ? l->id & 0x0F : l->id) << 24;
  case REG_VERSION:
    return version(l);
  case REG_TPR:
    return l->tpr;
  case REG_APR:
    return apr(l);
  case REG_PPR:
    return ppr(l);
  case REG_LDR:
    return (uint32_t)l->ldr << 24;
  case REG_DFR:
    return (uint32_t)l->dfr_model << 28 | 0x0FFFFFFFu;
  case REG_SVR:
    return l->svr;
  case REG_ESR:
    return l->esr;
  case REG_ICR_LO:
    return l->icr_lo;
  case REG_ICR_HI:
    return l->icr_hi;
  case REG_TIMER_INITIAL:
    return l->timer_initial;
  case REG_TIMER_CURRENT:
    return current_count(l);
  case REG_TIMER_DIVIDE:
    return l->timer_divide;
  default: /* EOI (write-only), RRD */
    return 0;
  }
}

uint32_t dev_lapic_peek(const struct dev_lapic *l, uint32_t offset) {
  unsigned slot = (offset & (DEV_LAPIC_BYTES - 1)) >> 4;
  return slot_exists(l, slot) ? reg(l, slot) : 0;
}

uint32_t dev_lapic_read(struct dev_lapic *l, uint32_t offset, unsigned size_bytes) {
  offset &= DEV_LAPIC_BYTES - 1;
  unsigned slot = offset >> 4;
  if (!slot_exists(l, slot)) {
    error(l, ESR_ILLEGAL_REG);
    return 0;
  }
  if (offset & 0xC)
    return 0;
  uint32_t v = reg(l, slot) >> (8 * (offset & 3));
  return size_bytes >= 4 ? v : v & ((1u << (8 * size_bytes)) - 1);
}

static void write_lvt(struct dev_lapic *l, enum lvt n, uint32_t value) {
  uint32_t keep = l->lvt[n] & LVT_REMOTE_IRR;
  uint32_t e = (value & lvt_writable[n]) | keep;
  if (!(e & LVT_LEVEL))
    e &= ~LVT_REMOTE_IRR; /* meaningless for edge: dropped */
  if (!sw_enabled(l))
    e |= LVT_MASKED; /* cannot be unmasked while software-disabled */
  l->lvt[n] = e;
  if (n == LVT_LINT0 || n == LVT_LINT1)
    lint_level_check(l, n - LVT_LINT0);
  update(l);
}

static void write_svr(struct dev_lapic *l, uint32_t value) {
  l->svr = value & SVR_WRITABLE;
  if (p6(l))
    l->svr |= 0x0F; /* bits 3-0 of the P6's spurious vector are 1 */
  if (!sw_enabled(l))
    for (unsigned k = 0; k < LVT_COUNT; k++)
      l->lvt[k] |= LVT_MASKED;
  update(l);
}

static void eoi(struct dev_lapic *l) {
  int v = highest(l->isr);
  if (v < 0)
    return;
  clear_bit(l->isr, (unsigned)v);
  report(l, DEV_LAPIC_EV_EOI, (uint8_t)v, 0, 0);
  if (test_bit(l->tmr, (unsigned)v) && l->lines.eoi)
    l->lines.eoi(l->lines.opaque, (uint8_t)v);
  for (int pin = 0; pin < 2; pin++) {
    uint32_t *e = &l->lvt[LVT_LINT0 + pin];
    if ((*e & LVT_REMOTE_IRR) && (*e & LVT_VECTOR) == (unsigned)v) {
      *e &= ~LVT_REMOTE_IRR;
      lint_level_check(l, pin);
    }
  }
  update(l);
}

void dev_lapic_write(struct dev_lapic *l, uint32_t offset, unsigned size_bytes, uint32_t value) {
  offset &= DEV_LAPIC_BYTES - 1;
  unsigned slot = offset >> 4;
  if (!slot_exists(l, slot)) {
    error(l, ESR_ILLEGAL_REG);
    return;
  }
  if (size_bytes != 4 || (offset & 0xF))
    return; /* undefined (SDM 10.4.1): ignored */
  unsigned off = slot << 4;
  if (off >= REG_LVT && off < REG_LVT + 0x10 * LVT_COUNT) {
    write_lvt(l, (enum lvt)((off - REG_LVT) >> 4), value);
    return;
  }
  switch (off) {
  case REG_ID:
    l->id = (uint8_t)(value >> 24);
    if (p6(l))
      l->id &= 0x0F;
    break;
  case REG_TPR:
    l->tpr = (uint8_t)value;
    update(l);
    break;
  case REG_EOI:
    eoi(l);
    break;
  case REG_LDR:
    l->ldr = (uint8_t)(value >> 24);
    break;
  case REG_DFR:
    l->dfr_model = (uint8_t)(value >> 28);
    break;
  case REG_SVR:
    write_svr(l, value);
    break;
  case REG_ESR:
    l->esr = l->esr_new;
    l->esr_new = 0;
    break;
  case REG_ICR_LO:
    l->icr_lo = value & ICR_WRITABLE;
    send_ipi(l);
    break;
  case REG_ICR_HI:
    l->icr_hi = value & 0xFF000000u;
    break;
  case REG_TIMER_INITIAL:
    l->timer_initial = value;
    timer_rebase(l, value);
    break;
  case REG_TIMER_DIVIDE: {
    uint32_t count = current_count(l);
    l->timer_divide = value & 0xB;
    if (l->timer_running)
      timer_rebase(l, count);
    break;
  }
  default: /* read-only registers */
    break;
  }
}

/* ---- the core's side -------------------------------------------------------------------- */

int dev_lapic_inta(struct dev_lapic *l) {
  if (!hw_enabled(l))
    return l->lines.extint_ack ? l->lines.extint_ack(l->lines.opaque) : -1;
  if (l->fixed_out) {
    l->fixed_out = false;
    int v = highest(l->irr);
    int vector;
    if (v >= 0 && (v & 0xF0) > (ppr(l) & 0xF0)) {
      clear_bit(l->irr, (unsigned)v);
      set_bit(l->isr, (unsigned)v);
      vector = v;
    } else {
      vector = (int)(l->svr & 0xFF); /* masked since INTR rose: spurious */
    }
    update(l);
    return vector;
  }
  if (extint_asserted(l)) {
    l->extint_msg = false;
    int vector = l->lines.extint_ack ? l->lines.extint_ack(l->lines.opaque) : -1;
    update(l);
    return vector;
  }
  return -1;
}

bool dev_lapic_intr(const struct dev_lapic *l) { return l->intr_out; }

/* ---- IA32_APIC_BASE and resets -------------------------------------------------------- */

/* The registers at power-on (SDM 10.4.7.1), with APIC ID id. */
static void registers_reset(struct dev_lapic *l, uint8_t id) {
  l->id = id;
  l->tpr = l->ldr = 0;
  l->dfr_model = 0xF;
  l->svr = 0xFF;
  memset(l->irr, 0, sizeof l->irr);
  memset(l->isr, 0, sizeof l->isr);
  memset(l->tmr, 0, sizeof l->tmr);
  l->esr = l->esr_new = 0;
  l->icr_lo = l->icr_hi = 0;
  for (unsigned k = 0; k < LVT_COUNT; k++)
    l->lvt[k] = LVT_MASKED;
  l->timer_initial = l->timer_divide = 0;
  l->timer_running = false;
  l->timer_base_tick = l->timer_next = 0;
  l->timer_base_count = 0;
  l->extint_msg = false;
  l->fixed_out = false;
  update(l);
}

uint64_t dev_lapic_base_msr(const struct dev_lapic *l) { return l->base_msr; }
bool dev_lapic_enabled(const struct dev_lapic *l) { return hw_enabled(l); }
uint64_t dev_lapic_base(const struct dev_lapic *l) { return l->base_msr & BASE_ADDR; }

bool dev_lapic_set_base_msr(struct dev_lapic *l, uint64_t value) {
  if (value & ~(uint64_t)(BASE_BSP | BASE_EN | BASE_ADDR))
    return false;
  uint64_t old = l->base_msr;
  l->base_msr = (value & (BASE_EN | BASE_ADDR)) | (old & BASE_BSP); /* BSP is read-only */
  if ((old & BASE_EN) && !(value & BASE_EN))
    registers_reset(l, l->id); /* back to the power-on state (SDM 10.4.3) */
  update(l);
  if (l->base_msr != old && l->lines.base_changed)
    l->lines.base_changed(l->lines.opaque);
  return true;
}

void dev_lapic_reset(struct dev_lapic *l) {
  uint64_t old = l->base_msr;
  l->base_msr = DEV_LAPIC_DEFAULT_BASE | BASE_EN | BASE_BSP;
  registers_reset(l, l->id);
  if (l->base_msr != old && l->lines.base_changed)
    l->lines.base_changed(l->lines.opaque);
}

void dev_lapic_init_reset(struct dev_lapic *l) { registers_reset(l, l->id); }

struct dev_lapic *dev_lapic_new(uint8_t id, struct dev_timebase tb, struct dev_lapic_clock clock,
                                struct dev_lapic_lines lines) {
  struct dev_lapic *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  l->tb = tb;
  l->clock = clock;
  l->base_msr = DEV_LAPIC_DEFAULT_BASE | BASE_EN | BASE_BSP;
  registers_reset(l, id); /* with no lines yet: nothing driven */
  l->lines = lines;
  return l;
}

void dev_lapic_free(struct dev_lapic *l) { free(l); }

/* ---- snapshots ----------------------------------------------------------------------- */

void dev_lapic_save(const struct dev_lapic *l, struct snap_writer *w) {
  struct dev_lapic n;
  memcpy(&n, l, sizeof n);
  memset(&n.tb, 0, sizeof n.tb);
  memset(&n.clock, 0, sizeof n.clock);
  memset(&n.lines, 0, sizeof n.lines);
  snap_put_struct(w, &n, sizeof n);
}

int dev_lapic_load(struct dev_lapic *l, struct snap_reader *r) {
  struct dev_lapic n;
  if (!snap_get_struct(r, &n, sizeof n, "local APIC"))
    return -1;
  n.tb = l->tb; /* wiring, not state */
  n.clock = l->clock;
  n.lines = l->lines;
  *l = n;
  return 0;
}
