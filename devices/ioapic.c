/* devices/ioapic.c - an Intel 82093AA I/O APIC.
 *
 *               +-------------+
 *   INTIN0-23 ->| 82093AA     |--> messages on the APIC bus (deliver:
 *               |  24 redir.  |    to the local APIC)
 *               |  entries    |<-- EOI messages (dev_ioapic_eoi)
 *               +-------------+
 *
 * Datasheet: Intel 82093AA I/O Advanced Programmable Interrupt Controller,
 * order no. 290566. Two registers in its page, the rest reached through
 * them:
 *
 *   offset 0x00  IOREGSEL  bits 7-0: the index of the register IOWIN shows
 *   offset 0x10  IOWIN     the register selected
 *
 *   index 0x00       IOAPICID   bits 27-24 the ID (read/write)
 *   index 0x01       IOAPICVER  0x00170011: version 0x11, 24 entries (0x17 = 23)
 *   index 0x02       IOAPICARB  bits 27-24 the arbitration ID (read only;
 *                               loaded with the ID when the ID is written)
 *   index 0x10+2n    entry n, bits 31-0:  vector 7-0, delivery mode 10-8,
 *                    destination mode 11 (1 logical), delivery status 12
 *                    (RO), polarity 13 (1 active low), remote IRR 14 (RO),
 *                    trigger mode 15 (1 level), mask 16
 *   index 0x11+2n    entry n, bits 63-32: destination 63-56
 *
 * Other indexes read 0 and ignore writes; other offsets in the page read 0.
 * IOREGSEL takes any write size (its low byte counts); IOWIN is 32 bits
 * wide: narrower writes are ignored, narrower reads give bytes of it.
 *
 * Each input pin is a level (the board's IRQ line). An entry whose pin
 * becomes active (the level, through the polarity bit) sends its message:
 * edge-triggered entries on that transition only, while unmasked (an edge
 * while masked is lost); level-triggered ones whenever the pin is active,
 * unmasked and the remote IRR clear, which the accepting local APIC sets
 * (fixed and lowest-priority deliveries) until its EOI message for the
 * entry's vector clears it; a level entry unmasked while its pin is active
 * sends then (NMI, INIT and ExtINT entries send on the pin's activation
 * whatever their trigger mode). A message goes out within the access or input change that
 * caused it: the delivery status bit always reads 0. Changing an entry to
 * edge-triggered clears its remote IRR.
 *
 * At power-on every entry is masked (the rest of each entry 0) and the ID
 * is the one given (the board's choice, as a BIOS programs it). The 82093AA
 * has no EOI register (version 0x20 parts do).
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>
#include <string.h>

#define IOREGSEL 0x00
#define IOWIN 0x10

#define REG_ID 0x00
#define REG_VERSION 0x01
#define REG_ARB 0x02
#define REG_REDIR 0x10 /* entry n: 0x10 + 2n (low), 0x11 + 2n (high) */

#define VERSION 0x00170011u

#define RTE_VECTOR 0x000000FFu
#define RTE_DELIVERY_SHIFT 8
#define RTE_LOGICAL 0x00000800u
#define RTE_ACTIVE_LOW 0x00002000u
#define RTE_REMOTE_IRR 0x00004000u
#define RTE_LEVEL 0x00008000u
#define RTE_MASKED 0x00010000u
#define RTE_WRITABLE_LO 0x0001AFFFu /* all but delivery status and remote IRR */
#define RTE_WRITABLE_HI 0xFF000000u

struct dev_ioapic {
  bool (*deliver)(void *opaque, const struct dev_apic_msg *m); /* wiring */
  void *opaque;
  uint8_t id, arb;  /* 4 bits each */
  uint8_t sel;      /* IOREGSEL */
  uint32_t input;   /* pin levels, bit n = INTIN n */
  uint64_t rte[DEV_IOAPIC_PINS];
};

static bool active(const struct dev_ioapic *io, unsigned pin) {
  bool level = (io->input >> pin) & 1;
  return level != ((io->rte[pin] & RTE_ACTIVE_LOW) != 0);
}

/* Is the entry level-triggered with the remote IRR protocol (fixed and
 * lowest-priority deliveries; NMI, INIT and ExtINT entries are sent on
 * their pin's activation whatever the trigger mode says)? */
static bool level_entry(uint64_t e) {
  unsigned mode = (e >> RTE_DELIVERY_SHIFT) & 7;
  return (e & RTE_LEVEL) && (mode == DEV_APIC_FIXED || mode == DEV_APIC_LOWEST);
}

/* Sends entry pin's message. */
static void send(struct dev_ioapic *io, unsigned pin) {
  uint64_t e = io->rte[pin];
  struct dev_apic_msg m = {
      .vector = (uint8_t)(e & RTE_VECTOR),
      .delivery = (uint8_t)((e >> RTE_DELIVERY_SHIFT) & 7),
      .logical = (e & RTE_LOGICAL) != 0,
      .level = (e & RTE_LEVEL) != 0,
      .dest = (uint8_t)(e >> 56),
  };
  bool accepted = io->deliver && io->deliver(io->opaque, &m);
  if (accepted && level_entry(e))
    io->rte[pin] |= RTE_REMOTE_IRR;
}

/* A level-triggered entry sends while its pin is active. */
static void level_check(struct dev_ioapic *io, unsigned pin) {
  uint64_t e = io->rte[pin];
  if (level_entry(e) && !(e & (RTE_MASKED | RTE_REMOTE_IRR)) && active(io, pin))
    send(io, pin);
}

void dev_ioapic_set_irq(void *ioapic, int pin, int level) {
  struct dev_ioapic *io = ioapic;
  if (pin < 0 || pin >= DEV_IOAPIC_PINS)
    return;
  bool was_active = active(io, (unsigned)pin);
  if (level)
    io->input |= 1u << pin;
  else
    io->input &= ~(1u << pin);
  uint64_t e = io->rte[pin];
  if (level_entry(e))
    level_check(io, (unsigned)pin);
  else if (!was_active && active(io, (unsigned)pin) && !(e & RTE_MASKED))
    send(io, (unsigned)pin);
}

void dev_ioapic_eoi(struct dev_ioapic *io, uint8_t vector) {
  for (unsigned pin = 0; pin < DEV_IOAPIC_PINS; pin++) {
    uint64_t e = io->rte[pin];
    if ((e & RTE_REMOTE_IRR) && (e & RTE_VECTOR) == vector) {
      io->rte[pin] &= ~(uint64_t)RTE_REMOTE_IRR;
      level_check(io, pin);
    }
  }
}

static uint32_t reg_read(const struct dev_ioapic *io, uint8_t index) {
  switch (index) {
  case REG_ID:
    return (uint32_t)io->id << 24;
  case REG_VERSION:
    return VERSION;
  case REG_ARB:
    return (uint32_t)io->arb << 24;
  default:
    if (index >= REG_REDIR && index < REG_REDIR + 2 * DEV_IOAPIC_PINS) {
      uint64_t e = io->rte[(index - REG_REDIR) / 2];
      return (index & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0;
  }
}

static void reg_write(struct dev_ioapic *io, uint8_t index, uint32_t value) {
  if (index == REG_ID) {
    io->id = io->arb = (uint8_t)((value >> 24) & 0x0F);
    return;
  }
  if (index < REG_REDIR || index >= REG_REDIR + 2 * DEV_IOAPIC_PINS)
    return; /* the version, the arbitration ID, nothing */
  unsigned pin = (index - REG_REDIR) / 2;
  uint64_t e = io->rte[pin];
  if (index & 1) {
    e = (e & 0xFFFFFFFFu) | (uint64_t)(value & RTE_WRITABLE_HI) << 32;
  } else {
    e = (e & ~(uint64_t)RTE_WRITABLE_LO) | (value & RTE_WRITABLE_LO);
    if (!(e & RTE_LEVEL))
      e &= ~(uint64_t)RTE_REMOTE_IRR;
  }
  io->rte[pin] = e;
  level_check(io, pin);
}

uint32_t dev_ioapic_read(struct dev_ioapic *io, uint32_t offset, unsigned size_bytes) {
  offset &= DEV_IOAPIC_BYTES - 1;
  uint32_t v;
  if (offset < IOREGSEL + 4)
    v = io->sel;
  else if (offset >= IOWIN && offset < IOWIN + 4)
    v = reg_read(io, io->sel);
  else
    return 0;
  v >>= 8 * (offset & 3);
  return size_bytes >= 4 ? v : v & ((1u << (8 * size_bytes)) - 1);
}

void dev_ioapic_write(struct dev_ioapic *io, uint32_t offset, unsigned size_bytes, uint32_t value) {
  offset &= DEV_IOAPIC_BYTES - 1;
  if (offset == IOREGSEL)
    io->sel = (uint8_t)value;
  else if (offset == IOWIN && size_bytes == 4)
    reg_write(io, io->sel, value);
}

uint64_t dev_ioapic_entry(const struct dev_ioapic *io, unsigned pin) {
  return pin < DEV_IOAPIC_PINS ? io->rte[pin] : 0;
}

uint8_t dev_ioapic_id(const struct dev_ioapic *io) { return io->id; }

void dev_ioapic_reset(struct dev_ioapic *io, uint8_t id) {
  io->id = io->arb = id & 0x0F;
  io->sel = 0;
  for (unsigned pin = 0; pin < DEV_IOAPIC_PINS; pin++)
    io->rte[pin] = RTE_MASKED;
}

struct dev_ioapic *dev_ioapic_new(uint8_t id, bool (*deliver)(void *opaque, const struct dev_apic_msg *m),
                                  void *opaque) {
  struct dev_ioapic *io = calloc(1, sizeof *io);
  if (!io)
    return NULL;
  io->deliver = deliver;
  io->opaque = opaque;
  dev_ioapic_reset(io, id);
  return io;
}

void dev_ioapic_free(struct dev_ioapic *io) { free(io); }

void dev_ioapic_save(const struct dev_ioapic *io, struct snap_writer *w) {
  struct dev_ioapic n;
  memcpy(&n, io, sizeof n);
  n.deliver = NULL;
  n.opaque = NULL;
  snap_put_struct(w, &n, sizeof n);
}

int dev_ioapic_load(struct dev_ioapic *io, struct snap_reader *r) {
  struct dev_ioapic n;
  if (!snap_get_struct(r, &n, sizeof n, "I/O APIC"))
    return -1;
  n.deliver = io->deliver; /* wiring, not state */
  n.opaque = io->opaque;
  *io = n;
  return 0;
}
