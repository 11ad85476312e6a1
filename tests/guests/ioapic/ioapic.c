/* tests/guests/ioapic/ioapic.c - the I/O APIC at 0xFEC00000 (Intel 82093AA
 * datasheet; the board: ISA IRQ n on pin n, IRQ 0 on pin 2, edge, active
 * high), with the 8259A pair masked.
 *
 * In order:
 *   1. Registers: the ID is writable (bits 27-24), the version says 24
 *      entries (0x11 on ringlab's 82093AA, 0x20 on QEMU's), every entry
 *      masked as the firmware leaves it.
 *   2. The PIT (ISA IRQ 0) through pin 2, edge-triggered, fixed, physical
 *      destination 0: interrupts arrive, their TMR bit clear.
 *   3. Masking: none while pin 2 is masked; the edges that came meanwhile
 *      are lost (nothing right after unmasking); then they come again.
 *   4. Logical destination (flat, LDR 0x01): delivered.
 *   5. Level-triggered: the RTC's periodic interrupt (IRQ 8, pin 8; its
 *      line stays high until register C is read). In the handler the
 *      entry's remote IRR is set and the vector's TMR bit too; an EOI with
 *      the line still high brings it again at once; read C, then EOI:
 *      remote IRR clear. A level entry unmasked while its line is high
 *      sends then.
 *   6. NMI delivery (pin 2 as an NMI entry): taken with IF = 0.
 *   ringlab only (the command line says "qemu" under QEMU):
 *   7. Pin 0 is the 8259A's INT (QEMU leaves it unconnected): an ExtINT
 *      entry there brings the PIC's IRQ 0 (vector from the PIC) with the
 *      local APIC's LINT0 masked.
 */
#include "apic.h"
#include "pic.h"

#define SPIN 3000000
#define DIVISOR 2000
#define V_PIT 0x60
#define V_RTC 0x68
#define RTC_INDEX 0x70
#define RTC_DATA 0x71

static int strict;
static volatile unsigned hits[256];
static volatile uint32_t rirr_in_handler[4], tmr_in_handler[4];

static uint8_t rtc_read(uint8_t reg) {
  outb(RTC_INDEX, 0x80 | reg);
  return inb(RTC_DATA);
}
static void rtc_write(uint8_t reg, uint8_t v) {
  outb(RTC_INDEX, 0x80 | reg);
  outb(RTC_DATA, v);
}

static void plain(struct trap_frame *f) {
  hits[f->vector]++;
  apic_eoi();
}

static void pit(struct trap_frame *f) {
  hits[f->vector]++;
  tmr_in_handler[0] = apic_bit(APIC_TMR, V_PIT);
  apic_eoi();
}

/* The first time: EOI with the line still high; then read C first. */
static void rtc(struct trap_frame *f) {
  unsigned n = hits[f->vector]++;
  if (n < 4) {
    rirr_in_handler[n] = ioapic_read(IOAPIC_REDIR(8)) & IOAPIC_REMOTE_IRR;
    tmr_in_handler[n] = apic_bit(APIC_TMR, V_RTC);
  }
  if (n > 0)
    (void)rtc_read(0x0C);
  apic_eoi();
}

static void nmi(struct trap_frame *f) { hits[f->vector]++; }

static void pic_irq0(struct trap_frame *f) {
  hits[f->vector]++;
  outb(PIC_MASTER, PIC_EOI);
}

static int wait_hits(unsigned v, unsigned n) {
  int ok = 0;
  sti();
  for (long k = 0; k < SPIN && !ok; k++)
    ok = hits[v] >= n;
  cli();
  return ok;
}

/* Waits for n rising edges of the PIT's OUT0. */
static int wait_periods(unsigned n) {
  int prev = pit_out0();
  for (long spin = 0; spin < SPIN; spin++) {
    int out = pit_out0();
    if (out && !prev && --n == 0)
      return 1;
    prev = out;
  }
  return 0;
}

void kmain(uint32_t magic, uint32_t info) {
  serial_init();
  strict = !cmdline_has(magic, info, "qemu");
  desc_init();
  kprintf("ioapic: the I/O APIC%s\n", strict ? "" : " (under QEMU: ringlab-only parts skipped)");
  for (int v = 0x20; v < 0x100; v++)
    trap_set_handler(v, plain);
  pic_init(0xFF, 0xFF);

  /* 1 */
  uint32_t id = ioapic_read(IOAPIC_ID);
  kprintf("  ID register %#x, version register %#x\n", id, ioapic_read(IOAPIC_VERSION));
  ioapic_write(IOAPIC_ID, 0x05000000u);
  check_eq("ID writable (bits 27-24)", ioapic_read(IOAPIC_ID) & 0x0F000000u, 0x05000000u);
  ioapic_write(IOAPIC_ID, id);
  uint32_t ver = ioapic_read(IOAPIC_VERSION);
  check_eq("version: 24 entries (maximum entry 23)", (ver >> 16) & 0xFF, 23);
  check_true("version 0x11 (82093AA) or 0x20", (ver & 0xFF) == 0x11 || (ver & 0xFF) == 0x20);
  int masked = 1;
  for (unsigned n = 0; n < 24; n++)
    masked &= (ioapic_read((uint8_t)IOAPIC_REDIR(n)) & IOAPIC_MASKED) != 0;
  check_true("every entry masked", masked);
  ioapic_write((uint8_t)(IOAPIC_REDIR(5) + 1), 0xAB000000u);
  check_eq("an entry's destination reads back", ioapic_read((uint8_t)(IOAPIC_REDIR(5) + 1)), 0xAB000000u);
  ioapic_write((uint8_t)(IOAPIC_REDIR(5) + 1), 0);

  /* 2 */
  trap_set_handler(V_PIT, pit);
  ioapic_route(2, V_PIT, 0);
  pit_ch0(3, DIVISOR);
  check_true("ISA IRQ 0 (the PIT) through pin 2", wait_hits(V_PIT, 3));
  check_eq("edge-triggered: TMR bit clear", tmr_in_handler[0], 0);
  check_eq("nothing through the masked 8259A", hits[PIC_IRQ_BASE], 0);

  /* 3 */
  ioapic_route(2, V_PIT | IOAPIC_MASKED, 0);
  unsigned before = hits[V_PIT];
  sti();
  check_true("3 PIT periods", wait_periods(3));
  cli();
  check_eq("masked: no interrupt", hits[V_PIT], before);
  ioapic_route(2, V_PIT, 0);
  sti();
  for (volatile int k = 0; k < 20; k++)
    ;
  cli();
  check_eq("unmasked: the edges while masked were lost", hits[V_PIT], before);
  check_true("then the next edge arrives", wait_hits(V_PIT, before + 1));

  /* 4 */
  apic_write(APIC_DFR, 0xFFFFFFFFu);
  apic_write(APIC_LDR, 0x01000000u);
  ioapic_route(2, (V_PIT + 1) | APIC_LOGICAL, 0x01);
  check_true("logical destination 0x01 (LDR 0x01)", wait_hits(V_PIT + 1, 2));
  ioapic_route(2, V_PIT | IOAPIC_MASKED, 0);
  apic_write(APIC_LDR, 0);

  /* 5 */
  trap_set_handler(V_RTC, rtc);
  ioapic_route(8, V_RTC | IOAPIC_LEVEL, 0);
  rtc_write(0x0A, (uint8_t)((rtc_read(0x0A) & 0xF0) | 0x06)); /* 1024 Hz */
  (void)rtc_read(0x0C);
  rtc_write(0x0B, (uint8_t)(rtc_read(0x0B) | 0x40)); /* PIE */
  check_true("ISA IRQ 8 (the RTC) through pin 8, level-triggered", wait_hits(V_RTC, 2));
  check_eq("in the handler: remote IRR set", rirr_in_handler[0], IOAPIC_REMOTE_IRR);
  check_eq("in the handler: TMR bit set", tmr_in_handler[0], 1);
  check_eq("EOI with the line high: again at once, remote IRR set", rirr_in_handler[1], IOAPIC_REMOTE_IRR);
  check_eq("register C read, EOI: remote IRR clear", ioapic_read(IOAPIC_REDIR(8)) & IOAPIC_REMOTE_IRR, 0);
  ioapic_route(8, V_RTC | IOAPIC_LEVEL | IOAPIC_MASKED, 0);
  before = hits[V_RTC];
  sti();
  check_true("2 PIT periods: the RTC's line rises, masked", wait_periods(2));
  cli();
  check_eq("masked: nothing", hits[V_RTC], before);
  ioapic_route(8, V_RTC | IOAPIC_LEVEL, 0);
  sti();
  for (volatile int k = 0; k < 20; k++)
    ;
  cli();
  check_eq("unmasked with the line high: delivered then", hits[V_RTC], before + 1);
  rtc_write(0x0B, (uint8_t)(rtc_read(0x0B) & ~0x40));
  (void)rtc_read(0x0C);
  ioapic_route(8, V_RTC | IOAPIC_MASKED, 0);

  /* 6 */
  trap_set_handler(2, nmi);
  ioapic_route(2, APIC_DM_NMI, 0);
  check_true("an NMI entry: taken with IF = 0", wait_periods(2) && hits[2] >= 1);
  ioapic_route(2, V_PIT | IOAPIC_MASKED, 0);

  if (!strict)
    check_done("ioapic");

  /* 7 */
  trap_set_handler(PIC_IRQ_BASE, pic_irq0);
  apic_write(APIC_LVT_LINT0, 0x8700 | APIC_LVT_MASKED);
  ioapic_route(0, APIC_DM_EXTINT, 0);
  outb(PIC_MASTER + 1, 0xFE);
  check_true("pin 0 ExtINT: the 8259A's IRQ 0 (LINT0 masked)", wait_hits(PIC_IRQ_BASE, 2));
  outb(PIC_MASTER + 1, 0xFF);
  ioapic_route(0, APIC_DM_EXTINT | IOAPIC_MASKED, 0);
  apic_write(APIC_LVT_LINT0, 0x8700);
  check_done("ioapic");
}
