/* tests/devices/test_lapic.c - the local APIC chip (devices/lapic.c) alone:
 * its register page for both models, priorities, INTA and EOI, IPIs to
 * itself, the LINT pins, global and software disable, errors, the timer at
 * its exact cycles through the scheduler, and a snapshot's round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices.h"
#include "snap.h"

#define ID 0x020
#define VERSION 0x030
#define TPR 0x080
#define APR 0x090
#define PPR 0x0A0
#define EOI 0x0B0
#define LDR 0x0D0
#define DFR 0x0E0
#define SVR 0x0F0
#define ISR 0x100
#define TMR 0x180
#define IRR 0x200
#define ESR 0x280
#define ICR_LO 0x300
#define ICR_HI 0x310
#define LVT_TIMER 0x320
#define LVT_THERMAL 0x330
#define LVT_LINT0 0x350
#define LVT_LINT1 0x360
#define LVT_ERROR 0x370
#define TIMER_INITIAL 0x380
#define TIMER_CURRENT 0x390
#define TIMER_DIVIDE 0x3E0

#define MASKED 0x10000u
#define SELF (1u << 18)
#define ALL (2u << 18)
#define OTHERS (3u << 18)

/* What the chip drove on its lines. */
struct rig {
  struct dev_sched *s;
  struct dev_lapic *l;
  enum dev_lapic_model model;
  uint64_t cpu_hz, bus_num, bus_den;
  bool intr;
  unsigned intr_changes, nmis, inits, acks, base_changes;
  int extint_vector;
  uint8_t eois[8];
  unsigned n_eois;
  unsigned timer_events;
};

static uint64_t rig_cpu_hz(void *opaque) { return ((struct rig *)opaque)->cpu_hz; }
static enum dev_lapic_model rig_model(void *opaque) { return ((struct rig *)opaque)->model; }
static void rig_bus(void *opaque, uint64_t *num, uint64_t *den) {
  struct rig *r = opaque;
  *num = r->bus_num;
  *den = r->bus_den;
}
static void on_intr(void *opaque, bool level) {
  struct rig *r = opaque;
  r->intr = level;
  r->intr_changes++;
}
static void on_nmi(void *opaque) { ((struct rig *)opaque)->nmis++; }
static void on_init(void *opaque) { ((struct rig *)opaque)->inits++; }
static int on_extint(void *opaque) {
  struct rig *r = opaque;
  r->acks++;
  return r->extint_vector;
}
static void on_eoi(void *opaque, uint8_t v) {
  struct rig *r = opaque;
  if (r->n_eois < 8)
    r->eois[r->n_eois++] = v;
}
static void on_base(void *opaque) { ((struct rig *)opaque)->base_changes++; }
static void on_event(void *opaque, enum dev_lapic_event e, uint8_t vector, uint32_t a, uint32_t b) {
  if (e == DEV_LAPIC_EV_TIMER)
    ((struct rig *)opaque)->timer_events++;
}

static struct dev_lapic *new_chip(struct rig *r) {
  return dev_lapic_new(0, (struct dev_timebase){.sched = r->s, .cpu_hz = rig_cpu_hz, .opaque = r},
                       (struct dev_lapic_clock){.model = rig_model, .bus_hz = rig_bus, .opaque = r},
                       (struct dev_lapic_lines){.intr = on_intr, .nmi = on_nmi, .init = on_init,
                                                .extint_ack = on_extint, .eoi = on_eoi,
                                                .base_changed = on_base, .event = on_event, .opaque = r});
}

/* A P6 at 300 MHz on the 200000000/3 Hz bus (4.5 cycles a tick). */
static struct rig *rig_new(enum dev_lapic_model model) {
  struct rig *r = test_calloc(1, sizeof *r);
  r->model = model;
  r->cpu_hz = 300000000u;
  r->bus_num = 200000000u;
  r->bus_den = 3;
  r->extint_vector = 0x28;
  r->s = dev_sched_new();
  r->l = new_chip(r);
  assert_non_null(r->l);
  assert_int_equal(dev_sched_add(r->s, &dev_lapic_clock_ops, r->l), 0);
  return r;
}

static void rig_free(struct rig *r) {
  dev_lapic_free(r->l);
  dev_sched_free(r->s);
  test_free(r);
}

static uint32_t rd(struct rig *r, uint32_t off) { return dev_lapic_read(r->l, off, 4); }
static void wr(struct rig *r, uint32_t off, uint32_t v) { dev_lapic_write(r->l, off, 4, v); }
static int bit(struct rig *r, uint32_t reg, unsigned v) { return (rd(r, reg + v / 32 * 16) >> (v % 32)) & 1; }
static uint32_t esr(struct rig *r) {
  wr(r, ESR, 0);
  return rd(r, ESR);
}
/* Software-enabled, spurious vector 0xFF. */
static void enable(struct rig *r) { wr(r, SVR, 0x1FF); }

static void power_on_state_is_the_sdms(void **state) {
  for (int m = 0; m < 2; m++) {
    struct rig *r = rig_new(m ? DEV_LAPIC_XAPIC : DEV_LAPIC_P6);
    assert_true(dev_lapic_base_msr(r->l) == 0xFEE00900u); /* base, EN, BSP */
    assert_int_equal(rd(r, VERSION), m ? 0x00050014u : 0x00040011u);
    assert_int_equal(rd(r, ID), 0);
    assert_int_equal(rd(r, SVR), 0xFF);
    assert_int_equal(rd(r, DFR), 0xFFFFFFFFu);
    assert_int_equal(rd(r, LDR), 0);
    assert_int_equal(rd(r, TPR), 0);
    for (uint32_t off = LVT_TIMER; off <= LVT_ERROR; off += 0x10)
      if (m || off != LVT_THERMAL)
        assert_int_equal(rd(r, off), MASKED);
    assert_int_equal(rd(r, TIMER_INITIAL) | rd(r, TIMER_CURRENT) | rd(r, TIMER_DIVIDE), 0);
    assert_false(r->intr);
    assert_int_equal(esr(r), 0);
    rig_free(r);
  }
}

static void reserved_registers_read_0_and_set_the_illegal_register_error(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  assert_int_equal(rd(r, 0x3F0), 0);
  assert_int_equal(esr(r), 0x80);
  assert_int_equal(esr(r), 0); /* a second write clears it */
  wr(r, 0x010, 5);
  assert_int_equal(esr(r), 0x80);
  assert_int_equal(rd(r, LVT_THERMAL), 0); /* the P6 has no thermal entry */
  assert_int_equal(esr(r), 0x80);
  r->model = DEV_LAPIC_XAPIC;
  assert_int_equal(rd(r, LVT_THERMAL), MASKED);
  assert_int_equal(esr(r), 0);
  /* narrower reads give bytes of the register, narrower writes nothing */
  assert_int_equal(dev_lapic_read(r->l, VERSION + 2, 1), 0x05);
  assert_int_equal(dev_lapic_read(r->l, VERSION + 4, 4), 0);
  dev_lapic_write(r->l, TPR, 1, 0x30);
  assert_int_equal(rd(r, TPR), 0);
  rig_free(r);
}

static void ids_are_4_bits_on_the_p6_and_8_on_the_xapic(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  wr(r, ID, 0xFF000000u);
  assert_int_equal(rd(r, ID), 0x0F000000u);
  r->model = DEV_LAPIC_XAPIC;
  wr(r, ID, 0xFF000000u);
  assert_int_equal(rd(r, ID), 0xFF000000u);
  wr(r, ID, 0);
  rig_free(r);
}

static void the_p6s_spurious_vector_has_bits_3_to_0_set(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  wr(r, SVR, 0x3E0);
  assert_int_equal(rd(r, SVR), 0x3EF);
  r->model = DEV_LAPIC_XAPIC;
  wr(r, SVR, 0x3E0);
  assert_int_equal(rd(r, SVR), 0x3E0);
  wr(r, DFR, 0x0u);
  assert_int_equal(rd(r, DFR), 0x0FFFFFFFu);
  wr(r, LDR, 0x12345678u);
  assert_int_equal(rd(r, LDR), 0x12000000u);
  rig_free(r);
}

static void a_self_ipi_waits_in_the_irr_goes_in_service_at_inta_and_ends_at_eoi(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  enable(r);
  wr(r, ICR_LO, SELF | 0x40);
  assert_int_equal(rd(r, ICR_LO), SELF | 0x40); /* delivery status 0: sent */
  assert_int_equal(bit(r, IRR, 0x40), 1);
  assert_true(r->intr);
  assert_int_equal(dev_lapic_inta(r->l), 0x40);
  assert_int_equal(bit(r, IRR, 0x40), 0);
  assert_int_equal(bit(r, ISR, 0x40), 1);
  assert_false(r->intr);
  assert_int_equal(rd(r, PPR), 0x40);
  wr(r, EOI, 0);
  assert_int_equal(bit(r, ISR, 0x40), 0);
  assert_int_equal(rd(r, PPR), 0);
  assert_int_equal(r->n_eois, 0); /* edge-triggered: no EOI message */
  assert_int_equal(dev_lapic_inta(r->l), -1);
  rig_free(r);
}

static void the_highest_class_above_the_ppr_is_dispatched(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_XAPIC);
  enable(r);
  wr(r, TPR, 0x50);
  wr(r, ICR_LO, SELF | 0x45);
  wr(r, ICR_LO, SELF | 0x55);
  assert_false(r->intr); /* class 5 is not above TPR class 5 */
  assert_int_equal(rd(r, PPR), 0x50);
  wr(r, TPR, 0x4F);
  assert_true(r->intr);
  assert_int_equal(dev_lapic_inta(r->l), 0x55);
  assert_false(r->intr); /* 0x45: class 4, and the PPR is 0x50 now (0x55 in service) */
  assert_int_equal(rd(r, PPR), 0x50);
  wr(r, ICR_LO, SELF | 0x5A);
  assert_false(r->intr); /* the same class as the one in service */
  wr(r, ICR_LO, SELF | 0x61);
  assert_true(r->intr);
  assert_int_equal(dev_lapic_inta(r->l), 0x61);
  wr(r, EOI, 0); /* ends 0x61, the highest in service */
  assert_int_equal(bit(r, ISR, 0x61), 0);
  assert_int_equal(bit(r, ISR, 0x55), 1);
  wr(r, EOI, 0);
  assert_true(r->intr);
  assert_int_equal(dev_lapic_inta(r->l), 0x5A);
  wr(r, EOI, 0);
  assert_false(r->intr); /* 0x45 under TPR 0x4F */
  wr(r, TPR, 0);
  assert_int_equal(dev_lapic_inta(r->l), 0x45);
  /* APR (SDM 10.8.3.1): the TPR when its class is at least the pending
   * one's and above the in-service one's, else max(TPR class AND ISR
   * class, IRR class) */
  wr(r, TPR, 0x60);
  assert_int_equal(rd(r, APR), 0x60);
  wr(r, TPR, 0x20);
  wr(r, ICR_LO, SELF | 0x75);
  assert_int_equal(rd(r, APR), 0x70);
  assert_int_equal(dev_lapic_inta(r->l), 0x75);
  wr(r, EOI, 0);
  wr(r, EOI, 0);
  assert_int_equal(rd(r, APR), 0x20);
  rig_free(r);
}

static void a_masked_interrupt_at_inta_gives_the_spurious_vector(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  wr(r, SVR, 0x1E0);
  wr(r, ICR_LO, SELF | 0x40);
  assert_true(r->intr);
  wr(r, TPR, 0x50); /* INTR stays up until the INTA (SDM 10.9) */
  assert_true(r->intr);
  assert_int_equal(dev_lapic_inta(r->l), 0xEF);
  assert_false(r->intr);
  assert_int_equal(bit(r, ISR, 0x40), 0);
  assert_int_equal(bit(r, IRR, 0x40), 1);
  wr(r, TPR, 0);
  assert_int_equal(dev_lapic_inta(r->l), 0x40);
  rig_free(r);
}

static void a_level_triggered_vector_sends_the_eoi_message(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_XAPIC);
  enable(r);
  struct dev_apic_msg m = {.vector = 0x68, .delivery = DEV_APIC_FIXED, .level = true, .dest = 0};
  assert_true(dev_lapic_receive(r->l, &m));
  assert_int_equal(bit(r, TMR, 0x68), 1);
  assert_int_equal(dev_lapic_inta(r->l), 0x68);
  wr(r, EOI, 0);
  assert_int_equal(r->n_eois, 1);
  assert_int_equal(r->eois[0], 0x68);
  m.level = false;
  assert_true(dev_lapic_receive(r->l, &m));
  assert_int_equal(bit(r, TMR, 0x68), 0);
  rig_free(r);
}

static void messages_reach_it_by_physical_or_logical_destination(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  enable(r);
  struct dev_apic_msg m = {.vector = 0x30, .delivery = DEV_APIC_FIXED, .dest = 1};
  assert_false(dev_lapic_receive(r->l, &m)); /* ID 0 */
  m.dest = 0x0F; /* the P6's physical broadcast */
  assert_true(dev_lapic_receive(r->l, &m));
  m.dest = 0x10; /* 4-bit IDs: 0x10 is ID 0 */
  assert_true(dev_lapic_receive(r->l, &m));
  r->model = DEV_LAPIC_XAPIC;
  assert_false(dev_lapic_receive(r->l, &m));
  m.dest = 0xFF;
  assert_true(dev_lapic_receive(r->l, &m));
  m.logical = true; /* flat, LDR 0x24 */
  wr(r, LDR, 0x24000000u);
  m.dest = 0x04;
  assert_true(dev_lapic_receive(r->l, &m));
  m.dest = 0x42;
  assert_false(dev_lapic_receive(r->l, &m));
  wr(r, DFR, 0x0FFFFFFFu); /* cluster: cluster 2, member 4 */
  m.dest = 0x24;
  assert_true(dev_lapic_receive(r->l, &m));
  m.dest = 0x34;
  assert_false(dev_lapic_receive(r->l, &m));
  m.dest = 0x21;
  assert_false(dev_lapic_receive(r->l, &m));
  m.dest = 0xFF;
  assert_true(dev_lapic_receive(r->l, &m));
  rig_free(r);
}

static void lint0_in_extint_mode_is_the_8259as_intr(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  enable(r);
  wr(r, LVT_LINT0, 0x8700);
  dev_lapic_set_lint(r->l, 0, 1);
  assert_true(r->intr);
  wr(r, TPR, 0xFF); /* ExtINT ignores the TPR */
  assert_true(r->intr);
  assert_int_equal(dev_lapic_inta(r->l), 0x28);
  assert_int_equal(r->acks, 1);
  assert_int_equal(bit(r, ISR, 0x28), 0); /* not in service in the APIC */
  dev_lapic_set_lint(r->l, 0, 0);
  assert_false(r->intr);
  wr(r, TPR, 0);
  /* a dispatched fixed interrupt goes first */
  dev_lapic_set_lint(r->l, 0, 1);
  wr(r, ICR_LO, SELF | 0x90);
  assert_int_equal(dev_lapic_inta(r->l), 0x90);
  assert_int_equal(dev_lapic_inta(r->l), 0x28);
  /* masked: the 8259A's INT does not reach INTR */
  wr(r, LVT_LINT0, 0x8700 | MASKED);
  wr(r, EOI, 0);
  assert_false(r->intr);
  rig_free(r);
}

static void lint_pins_deliver_fixed_nmi_and_init(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_XAPIC);
  enable(r);
  wr(r, LVT_LINT1, 0x400); /* NMI, edge */
  dev_lapic_set_lint(r->l, 1, 1);
  dev_lapic_set_lint(r->l, 1, 1);
  assert_int_equal(r->nmis, 1);
  dev_lapic_set_lint(r->l, 1, 0);
  wr(r, LVT_LINT1, 0x2400); /* active low: on the falling edge */
  dev_lapic_set_lint(r->l, 1, 1);
  assert_int_equal(r->nmis, 1);
  dev_lapic_set_lint(r->l, 1, 0);
  assert_int_equal(r->nmis, 2);
  wr(r, LVT_LINT1, 0x500); /* INIT */
  dev_lapic_set_lint(r->l, 1, 0);
  dev_lapic_set_lint(r->l, 1, 1);
  assert_int_equal(r->inits, 1);
  /* fixed, level: the remote IRR holds it until its EOI */
  wr(r, LVT_LINT0, 0x8031);
  dev_lapic_set_lint(r->l, 0, 1);
  assert_int_equal(rd(r, LVT_LINT0) & 0x4000, 0x4000);
  assert_int_equal(dev_lapic_inta(r->l), 0x31);
  assert_int_equal(bit(r, TMR, 0x31), 1);
  wr(r, EOI, 0);
  assert_int_equal(bit(r, IRR, 0x31), 1); /* still high: again */
  assert_int_equal(dev_lapic_inta(r->l), 0x31);
  dev_lapic_set_lint(r->l, 0, 0);
  wr(r, EOI, 0);
  assert_int_equal(rd(r, LVT_LINT0) & 0x4000, 0);
  assert_int_equal(bit(r, IRR, 0x31), 0);
  /* fixed, edge */
  wr(r, LVT_LINT0, 0x32);
  dev_lapic_set_lint(r->l, 0, 1);
  dev_lapic_set_lint(r->l, 0, 1);
  assert_int_equal(dev_lapic_inta(r->l), 0x32);
  wr(r, EOI, 0);
  assert_int_equal(bit(r, IRR, 0x32), 0);
  rig_free(r);
}

static void ipis_to_itself_by_mode_and_shorthand(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  enable(r);
  wr(r, ICR_HI, 0);
  wr(r, ICR_LO, 0x400); /* NMI, physical destination 0 */
  assert_int_equal(r->nmis, 1);
  wr(r, ICR_LO, SELF | 0x400); /* NMI with the self shorthand: invalid, not sent */
  assert_int_equal(r->nmis, 1);
  wr(r, ICR_LO, 0x8500); /* INIT level de-assert: nothing */
  assert_int_equal(r->inits, 0);
  wr(r, ICR_LO, 0x4500); /* INIT */
  assert_int_equal(r->inits, 1);
  wr(r, ICR_LO, 0x600); /* startup: ignored by the bootstrap processor */
  assert_false(r->intr);
  wr(r, ICR_LO, ALL | 0x41);
  assert_int_equal(dev_lapic_inta(r->l), 0x41);
  wr(r, EOI, 0);
  assert_int_equal(esr(r), 0);
  wr(r, ICR_LO, OTHERS | 0x42); /* nobody else: the P6's send accept error */
  assert_int_equal(esr(r), 0x04);
  assert_false(r->intr);
  r->model = DEV_LAPIC_XAPIC;
  wr(r, ICR_LO, OTHERS | 0x42);
  assert_int_equal(esr(r), 0);
  /* level-triggered fixed IPIs: the P6 sets the TMR bit, the xAPIC sends them edge-triggered */
  wr(r, ICR_LO, SELF | 0xC000 | 0x43);
  assert_int_equal(bit(r, TMR, 0x43), 0);
  r->model = DEV_LAPIC_P6;
  wr(r, ICR_LO, SELF | 0xC000 | 0x44);
  assert_int_equal(bit(r, TMR, 0x44), 1);
  rig_free(r);
}

static void illegal_vectors_and_the_error_interrupt(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_XAPIC);
  enable(r);
  wr(r, ICR_LO, SELF | 0x05);
  assert_false(r->intr);
  assert_int_equal(esr(r), 0x60); /* send and receive illegal vector */
  wr(r, LVT_ERROR, 0x5E);
  wr(r, ICR_LO, 0x07 | 0x800); /* logical, destination 0: to nobody */
  assert_true(r->intr);
  assert_int_equal(dev_lapic_inta(r->l), 0x5E);
  assert_int_equal(esr(r), 0x20);
  wr(r, EOI, 0);
  wr(r, LVT_ERROR, 0x03); /* an illegal error vector: recorded, no interrupt */
  wr(r, ICR_LO, SELF | 0x05);
  assert_false(r->intr);
  assert_int_equal(esr(r), 0x60);
  wr(r, LVT_TIMER, 0x02);
  wr(r, TIMER_DIVIDE, 0xB);
  wr(r, TIMER_INITIAL, 1);
  dev_sched_advance(r->s, 100);
  assert_int_equal(esr(r), 0x40); /* a local interrupt with vector 2 */
  rig_free(r);
}

static void software_disable_masks_the_lvt_and_discards_fixed_messages(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  /* power-on: software-disabled */
  wr(r, LVT_LINT0, 0x700);
  assert_int_equal(rd(r, LVT_LINT0), 0x700 | MASKED);
  struct dev_apic_msg m = {.vector = 0x30, .delivery = DEV_APIC_FIXED, .dest = 0};
  assert_false(dev_lapic_receive(r->l, &m));
  m.delivery = DEV_APIC_NMI;
  assert_true(dev_lapic_receive(r->l, &m));
  assert_int_equal(r->nmis, 1);
  enable(r);
  assert_int_equal(rd(r, LVT_LINT0), 0x700 | MASKED); /* still masked until written */
  wr(r, LVT_LINT0, 0x700);
  assert_int_equal(rd(r, LVT_LINT0), 0x700);
  wr(r, ICR_LO, SELF | 0x40);
  wr(r, SVR, 0xFF);
  assert_int_equal(rd(r, LVT_LINT0), 0x700 | MASKED);
  assert_true(r->intr); /* what is in the IRR is still dispatched */
  assert_int_equal(dev_lapic_inta(r->l), 0x40);
  rig_free(r);
}

static void global_disable_passes_lint0_and_lint1_straight_through(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  enable(r);
  wr(r, ICR_LO, SELF | 0x40);
  wr(r, TPR, 0x20);
  assert_false(dev_lapic_set_base_msr(r->l, 0xFEE00901u)); /* reserved bit 0 */
  assert_false(dev_lapic_set_base_msr(r->l, 1ull << 36));
  assert_int_equal(r->base_changes, 0);
  assert_true(dev_lapic_set_base_msr(r->l, 0xFEE00000u)); /* EN clear (BSP is read-only) */
  assert_int_equal(r->base_changes, 1);
  assert_false(dev_lapic_enabled(r->l));
  assert_true(dev_lapic_base_msr(r->l) == 0xFEE00100u);
  assert_false(r->intr); /* the fixed interrupt is gone with the state */
  dev_lapic_set_lint(r->l, 0, 1);
  assert_true(r->intr);
  assert_int_equal(dev_lapic_inta(r->l), 0x28);
  dev_lapic_set_lint(r->l, 0, 0);
  assert_false(r->intr);
  dev_lapic_set_lint(r->l, 1, 1);
  assert_int_equal(r->nmis, 1);
  struct dev_apic_msg m = {.vector = 0x30, .delivery = DEV_APIC_NMI, .dest = 0};
  assert_false(dev_lapic_receive(r->l, &m)); /* off the bus */
  assert_true(dev_lapic_set_base_msr(r->l, 0xFED00800u)); /* enabled again, moved */
  assert_int_equal(r->base_changes, 2);
  assert_true(dev_lapic_base(r->l) == 0xFED00000u);
  assert_int_equal(rd(r, SVR), 0xFF); /* the power-on state */
  assert_int_equal(rd(r, TPR), 0);
  assert_int_equal(bit(r, IRR, 0x40), 0);
  rig_free(r);
}

static void the_timer_counts_the_bus_clock_at_exact_cycles(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  enable(r);
  wr(r, LVT_TIMER, 0x50); /* one-shot */
  wr(r, TIMER_DIVIDE, 0xB); /* by 1 */
  wr(r, TIMER_INITIAL, 100); /* at cycle 0: zero at tick 100, cycle 450 */
  assert_true(dev_sched_next(r->s) == 450);
  dev_sched_advance(r->s, 449);
  assert_int_equal(rd(r, TIMER_CURRENT), 1); /* tick 99 at cycle 445.5 */
  assert_false(r->intr);
  dev_sched_advance(r->s, 450);
  assert_true(r->intr);
  assert_int_equal(rd(r, TIMER_CURRENT), 0);
  assert_true(dev_sched_next(r->s) == DEV_NEVER);
  assert_int_equal(dev_lapic_inta(r->l), 0x50);
  wr(r, EOI, 0);
  /* periodic, divide by 16, from cycle 1000 (tick 222): zeros every 160
   * ticks, 720 cycles, the first at tick 382, cycle 1719 */
  wr(r, LVT_TIMER, 0x51 | 0x20000);
  wr(r, TIMER_DIVIDE, 0x3);
  dev_sched_advance(r->s, 1000);
  wr(r, TIMER_INITIAL, 10);
  assert_true(dev_sched_next(r->s) == 1719);
  dev_sched_advance(r->s, 1000 + 70);
  assert_int_equal(rd(r, TIMER_CURRENT), 10); /* tick 237: no divided tick yet */
  dev_sched_advance(r->s, 1000 + 72);
  assert_int_equal(rd(r, TIMER_CURRENT), 9); /* tick 238: 16 ticks */
  dev_sched_advance(r->s, 1719);
  assert_int_equal(rd(r, TIMER_CURRENT), 10); /* reloaded */
  assert_true(dev_sched_next(r->s) == 2439);
  dev_sched_advance(r->s, 2439 + 720 * 3);
  assert_int_equal(r->timer_events, 1 + 5); /* 1719, 2439, 3159, 3879, 4599 */
  assert_int_equal(dev_lapic_inta(r->l), 0x51); /* one in the IRR however many came */
  wr(r, EOI, 0);
  /* masked: counts, no interrupt */
  wr(r, LVT_TIMER, 0x51 | 0x20000 | MASKED);
  dev_sched_advance(r->s, 2439 + 720 * 5);
  assert_int_equal(r->timer_events, 1 + 7);
  assert_false(r->intr);
  /* initial count 0 stops it */
  wr(r, TIMER_INITIAL, 0);
  assert_true(dev_sched_next(r->s) == DEV_NEVER);
  assert_int_equal(rd(r, TIMER_CURRENT), 0);
  rig_free(r);
}

static void a_new_divisor_counts_on_from_where_the_count_is(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_XAPIC);
  r->bus_num = r->cpu_hz; /* one tick a cycle */
  r->bus_den = 1;
  enable(r);
  wr(r, LVT_TIMER, 0x50);
  wr(r, TIMER_DIVIDE, 0x0); /* by 2 */
  wr(r, TIMER_INITIAL, 1000);
  dev_sched_advance(r->s, 200);
  assert_int_equal(rd(r, TIMER_CURRENT), 900);
  wr(r, TIMER_DIVIDE, 0xA); /* by 128 */
  assert_int_equal(rd(r, TIMER_DIVIDE), 0xA);
  assert_true(dev_sched_next(r->s) == 200 + 900 * 128);
  dev_sched_advance(r->s, 200 + 128 * 10);
  assert_int_equal(rd(r, TIMER_CURRENT), 890);
  rig_free(r);
}

static void a_snapshot_restores_registers_and_the_timer(void **state) {
  struct rig *r = rig_new(DEV_LAPIC_P6);
  enable(r);
  wr(r, TPR, 0x20);
  wr(r, LDR, 0x05000000u);
  wr(r, LVT_LINT0, 0x8700);
  wr(r, LVT_TIMER, 0x51 | 0x20000);
  wr(r, TIMER_INITIAL, 1000);
  wr(r, ICR_LO, SELF | 0x66);
  dev_sched_advance(r->s, 777);
  struct snap_writer w = {0};
  dev_lapic_save(r->l, &w);
  assert_false(w.failed);

  struct rig *q = rig_new(DEV_LAPIC_P6);
  dev_sched_advance(q->s, 777);
  struct snap_reader rr = snap_reader_of(w.buf, w.len);
  assert_int_equal(dev_lapic_load(q->l, &rr), 0);
  assert_true(snap_ok(&rr) && rr.pos == rr.len);
  for (uint32_t off = 0x20; off < 0x400; off += 0x10)
    assert_int_equal(dev_lapic_peek(q->l, off), dev_lapic_peek(r->l, off));
  assert_true(dev_sched_next(q->s) == dev_sched_next(r->s));
  assert_int_equal(dev_lapic_intr(q->l), dev_lapic_intr(r->l));
  assert_int_equal(dev_lapic_inta(q->l), 0x66);

  struct snap_reader cut = snap_reader_of(w.buf, w.len / 2);
  assert_int_equal(dev_lapic_load(q->l, &cut), -1);
  snap_writer_free(&w);
  rig_free(q);
  rig_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(power_on_state_is_the_sdms),
      cmocka_unit_test(reserved_registers_read_0_and_set_the_illegal_register_error),
      cmocka_unit_test(ids_are_4_bits_on_the_p6_and_8_on_the_xapic),
      cmocka_unit_test(the_p6s_spurious_vector_has_bits_3_to_0_set),
      cmocka_unit_test(a_self_ipi_waits_in_the_irr_goes_in_service_at_inta_and_ends_at_eoi),
      cmocka_unit_test(the_highest_class_above_the_ppr_is_dispatched),
      cmocka_unit_test(a_masked_interrupt_at_inta_gives_the_spurious_vector),
      cmocka_unit_test(a_level_triggered_vector_sends_the_eoi_message),
      cmocka_unit_test(messages_reach_it_by_physical_or_logical_destination),
      cmocka_unit_test(lint0_in_extint_mode_is_the_8259as_intr),
      cmocka_unit_test(lint_pins_deliver_fixed_nmi_and_init),
      cmocka_unit_test(ipis_to_itself_by_mode_and_shorthand),
      cmocka_unit_test(illegal_vectors_and_the_error_interrupt),
      cmocka_unit_test(software_disable_masks_the_lvt_and_discards_fixed_messages),
      cmocka_unit_test(global_disable_passes_lint0_and_lint1_straight_through),
      cmocka_unit_test(the_timer_counts_the_bus_clock_at_exact_cycles),
      cmocka_unit_test(a_new_divisor_counts_on_from_where_the_count_is),
      cmocka_unit_test(a_snapshot_restores_registers_and_the_timer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
