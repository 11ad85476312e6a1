/* tests/devices/test_ioapic.c - the I/O APIC chip (devices/ioapic.c) alone:
 * its registers through IOREGSEL/IOWIN, edge and level entries, masking,
 * polarity, the remote IRR and EOI, and a snapshot's round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices.h"
#include "snap.h"

#define MASKED 0x10000u
#define LEVEL 0x8000u
#define REMOTE_IRR 0x4000u
#define ACTIVE_LOW 0x2000u

struct bus {
  struct dev_apic_msg sent[16];
  unsigned n;
  bool accept;
};

static bool deliver(void *opaque, const struct dev_apic_msg *m) {
  struct bus *b = opaque;
  if (b->n < 16)
    b->sent[b->n++] = *m;
  return b->accept;
}

static uint32_t rd(struct dev_ioapic *io, uint8_t index) {
  dev_ioapic_write(io, 0x00, 4, index);
  return dev_ioapic_read(io, 0x10, 4);
}

static void wr(struct dev_ioapic *io, uint8_t index, uint32_t v) {
  dev_ioapic_write(io, 0x00, 4, index);
  dev_ioapic_write(io, 0x10, 4, v);
}

static void registers_through_ioregsel_and_iowin(void **state) {
  struct bus b = {.accept = true};
  struct dev_ioapic *io = dev_ioapic_new(1, deliver, &b);
  assert_int_equal(rd(io, 0x00), 0x01000000u);
  assert_int_equal(rd(io, 0x01), 0x00170011u); /* version 0x11, 24 entries */
  assert_int_equal(rd(io, 0x02), 0x01000000u); /* arbitration ID */
  for (uint8_t n = 0; n < 24; n++) {
    assert_int_equal(rd(io, (uint8_t)(0x10 + 2 * n)), MASKED);
    assert_int_equal(rd(io, (uint8_t)(0x11 + 2 * n)), 0);
  }
  wr(io, 0x00, 0xFF000000u);
  assert_int_equal(rd(io, 0x00), 0x0F000000u); /* 4 bits */
  assert_int_equal(dev_ioapic_id(io), 0x0F);
  assert_int_equal(rd(io, 0x02), 0x0F000000u);
  wr(io, 0x01, 0);
  assert_int_equal(rd(io, 0x01), 0x00170011u);
  wr(io, 0x10, 0xFFFFFFFFu); /* delivery status and remote IRR are read-only */
  assert_int_equal(rd(io, 0x10), 0x0001AFFFu);
  wr(io, 0x11, 0xFFFFFFFFu);
  assert_int_equal(rd(io, 0x11), 0xFF000000u);
  assert_int_equal(rd(io, 0x40), 0); /* past the table */
  assert_int_equal(dev_ioapic_read(io, 0x00, 4), 0x40); /* IOREGSEL reads back */
  dev_ioapic_write(io, 0x00, 1, 0x12);                    /* a byte write selects */
  assert_int_equal(dev_ioapic_read(io, 0x10, 4), MASKED);  /* entry 1 */
  assert_int_equal(dev_ioapic_read(io, 0x12, 1), 0x01);    /* a byte of IOWIN */
  dev_ioapic_write(io, 0x10, 2, 0x1234); /* IOWIN narrower than 32 bits: ignored */
  assert_int_equal(rd(io, 0x12), MASKED);
  assert_int_equal(dev_ioapic_read(io, 0x20, 4), 0);
  assert_int_equal(b.n, 0);
  dev_ioapic_free(io);
}

static void an_edge_entry_sends_on_the_rising_edge_while_unmasked(void **state) {
  struct bus b = {.accept = true};
  struct dev_ioapic *io = dev_ioapic_new(0, deliver, &b);
  wr(io, 0x15, 0x03000000u);
  wr(io, 0x14, 0x0931); /* pin 2: vector 0x31, lowest priority, logical */
  dev_ioapic_set_irq(io, 2, 1);
  dev_ioapic_set_irq(io, 2, 1);
  assert_int_equal(b.n, 1);
  assert_int_equal(b.sent[0].vector, 0x31);
  assert_int_equal(b.sent[0].delivery, DEV_APIC_LOWEST);
  assert_true(b.sent[0].logical);
  assert_false(b.sent[0].level);
  assert_int_equal(b.sent[0].dest, 3);
  assert_int_equal(rd(io, 0x14) & REMOTE_IRR, 0);
  dev_ioapic_set_irq(io, 2, 0);
  wr(io, 0x14, 0x0931 | MASKED);
  dev_ioapic_set_irq(io, 2, 1); /* lost */
  wr(io, 0x14, 0x0931);
  assert_int_equal(b.n, 1);
  dev_ioapic_set_irq(io, 2, 0);
  dev_ioapic_set_irq(io, 2, 1);
  assert_int_equal(b.n, 2);
  /* active low: the falling edge */
  wr(io, 0x14, 0x0931 | ACTIVE_LOW);
  dev_ioapic_set_irq(io, 2, 0);
  assert_int_equal(b.n, 3);
  dev_ioapic_set_irq(io, 2, 1);
  assert_int_equal(b.n, 3);
  dev_ioapic_free(io);
}

static void a_level_entry_holds_its_remote_irr_until_the_eoi(void **state) {
  struct bus b = {.accept = true};
  struct dev_ioapic *io = dev_ioapic_new(0, deliver, &b);
  wr(io, 0x20, 0x68 | LEVEL); /* pin 8 */
  dev_ioapic_set_irq(io, 8, 1);
  assert_int_equal(b.n, 1);
  assert_true(b.sent[0].level);
  assert_int_equal(rd(io, 0x20) & REMOTE_IRR, REMOTE_IRR);
  dev_ioapic_set_irq(io, 8, 1);
  assert_int_equal(b.n, 1);
  dev_ioapic_eoi(io, 0x67); /* another vector */
  assert_int_equal(rd(io, 0x20) & REMOTE_IRR, REMOTE_IRR);
  dev_ioapic_eoi(io, 0x68); /* still high: sent again */
  assert_int_equal(b.n, 2);
  assert_int_equal(rd(io, 0x20) & REMOTE_IRR, REMOTE_IRR);
  dev_ioapic_set_irq(io, 8, 0);
  dev_ioapic_eoi(io, 0x68);
  assert_int_equal(rd(io, 0x20) & REMOTE_IRR, 0);
  assert_int_equal(b.n, 2);
  /* masked while high, unmasked: sent then */
  wr(io, 0x20, 0x68 | LEVEL | MASKED);
  dev_ioapic_set_irq(io, 8, 1);
  assert_int_equal(b.n, 2);
  wr(io, 0x20, 0x68 | LEVEL);
  assert_int_equal(b.n, 3);
  /* edge again: the remote IRR goes */
  wr(io, 0x20, 0x68);
  assert_int_equal(rd(io, 0x20) & REMOTE_IRR, 0);
  /* not accepted: no remote IRR, and sent again at the next change */
  b.accept = false;
  dev_ioapic_set_irq(io, 8, 0);
  wr(io, 0x20, 0x68 | LEVEL);
  dev_ioapic_set_irq(io, 8, 1);
  assert_int_equal(b.n, 4);
  assert_int_equal(rd(io, 0x20) & REMOTE_IRR, 0);
  /* an NMI entry sends on the pin's activation, whatever its trigger mode */
  b.accept = true;
  wr(io, 0x22, 0x400 | LEVEL);
  dev_ioapic_set_irq(io, 9, 1);
  dev_ioapic_set_irq(io, 9, 1);
  assert_int_equal(b.n, 5);
  assert_int_equal(b.sent[4].delivery, DEV_APIC_NMI);
  assert_int_equal(rd(io, 0x22) & REMOTE_IRR, 0);
  dev_ioapic_free(io);
}

static void a_snapshot_restores_the_entries_and_pins(void **state) {
  struct bus b = {.accept = true};
  struct dev_ioapic *io = dev_ioapic_new(2, deliver, &b);
  wr(io, 0x20, 0x68 | LEVEL);
  wr(io, 0x11, 0x05000000u);
  dev_ioapic_set_irq(io, 8, 1);
  struct snap_writer w = {0};
  dev_ioapic_save(io, &w);
  struct bus c = {.accept = true};
  struct dev_ioapic *q = dev_ioapic_new(0, deliver, &c);
  struct snap_reader r = snap_reader_of(w.buf, w.len);
  assert_int_equal(dev_ioapic_load(q, &r), 0);
  assert_true(snap_ok(&r) && r.pos == r.len);
  assert_int_equal(dev_ioapic_id(q), 2);
  for (unsigned n = 0; n < DEV_IOAPIC_PINS; n++)
    assert_true(dev_ioapic_entry(q, n) == dev_ioapic_entry(io, n));
  dev_ioapic_eoi(q, 0x68); /* the pin is high in the copy too */
  assert_int_equal(c.n, 1);
  struct snap_reader cut = snap_reader_of(w.buf, 3);
  assert_int_equal(dev_ioapic_load(q, &cut), -1);
  snap_writer_free(&w);
  dev_ioapic_free(q);
  dev_ioapic_free(io);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(registers_through_ioregsel_and_iowin),
      cmocka_unit_test(an_edge_entry_sends_on_the_rising_edge_while_unmasked),
      cmocka_unit_test(a_level_entry_holds_its_remote_irr_until_the_eoi),
      cmocka_unit_test(a_snapshot_restores_the_entries_and_pins),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
