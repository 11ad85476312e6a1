/* tests/guests/pic/pic.c - 8259A masking, priority and EOI (Intel 8259A
 * datasheet, order no. 231468: OCW1 mask, OCW2 EOI commands, OCW3 reads;
 * fully nested mode).
 *
 * PIT counter 0 runs a square wave (mode 3, divisor 2000: about 597 Hz);
 * the kernel counts PIT periods by polling OUT0 through the read-back
 * command, so "N periods" needs no interrupt. In order:
 *   1. IRQ 0 masked (IMR reads back), IF = 1, 5 periods: no IRQ 0 arrives,
 *      but the request shows in the IRR (OCW3);
 *   2. unmasked: the pending IRQ 0 arrives, in service (ISR bit 0) in its
 *      handler, which sends no EOI;
 *   3. without an EOI, 3 more periods: no further IRQ 0 (ISR bit 0 still
 *      set, a new request in IRR);
 *   4. the RTC's periodic interrupt (IRQ 8, slave IR0, master IR2) is
 *      lower in priority than IR0 in service: it reaches the slave's IRR
 *      and the master's IRR bit 2 but is not delivered;
 *   5. a specific EOI for IR0 (OCW2 0x60) clears ISR bit 0; with IF = 1 the
 *      pending IRQ 0 comes first, then IRQ 8;
 *   6. IRQ 8's handler sends no EOI: IRQ 0 (higher priority) still
 *      arrives, and no second IRQ 8 does (IR0 of the slave in service)
 *      although the RTC runs on; specific EOIs to the slave (0x60) and the
 *      master's IR2 (0x62) leave both ISRs clear.
 * Both runners.
 */
#include "pic.h"

#define DIVISOR 2000
#define SPIN_LIMIT 20000000
#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_NMI_OFF 0x80

static volatile unsigned irq0_count, irq8_count, norder;
static volatile unsigned order[16];
static volatile int irq0_eoi;
static volatile uint8_t isr_in_irq0, isr_in_irq8_master, isr_in_irq8_slave;

static void irq0(struct trap_frame *f) {
  (void)f;
  if (norder < 16)
    order[norder++] = 0;
  irq0_count++;
  isr_in_irq0 = pic_read(PIC_MASTER, PIC_READ_ISR);
  if (irq0_eoi)
    outb(PIC_MASTER, PIC_SPECIFIC_EOI | 0);
}

static uint8_t rtc_read(uint8_t reg) {
  outb(RTC_INDEX, RTC_NMI_OFF | reg);
  return inb(RTC_DATA);
}
static void rtc_write(uint8_t reg, uint8_t v) {
  outb(RTC_INDEX, RTC_NMI_OFF | reg);
  outb(RTC_DATA, v);
}

static void irq8(struct trap_frame *f) {
  (void)f;
  if (norder < 16)
    order[norder++] = 8;
  irq8_count++;
  isr_in_irq8_master = pic_read(PIC_MASTER, PIC_READ_ISR);
  isr_in_irq8_slave = pic_read(PIC_SLAVE, PIC_READ_ISR);
  (void)rtc_read(0x0C); /* acknowledge the RTC; no EOI */
}

/* Waits for n rising edges of OUT0 (IF as the caller left it). */
static int wait_periods(unsigned n) {
  int prev = pit_out0();
  for (long spin = 0; spin < SPIN_LIMIT; spin++) {
    int out = pit_out0();
    if (out && !prev && --n == 0)
      return 1;
    prev = out;
  }
  return 0;
}

static int wait_for(volatile unsigned *count, unsigned want) {
  for (long spin = 0; spin < SPIN_LIMIT; spin++)
    if (*count >= want)
      return 1;
  return 0;
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("pic: 8259A masking, priority, specific EOI, IRR/ISR through OCW3\n");
  trap_set_handler(PIC_IRQ_BASE + 0, irq0);
  trap_set_handler(PIC_IRQ_BASE + 8, irq8);
  pic_init(0xFF, 0xFF);
  pit_ch0(3, DIVISOR);

  /* 1 */
  check_eq("IMR reads back (master)", inb(PIC_MASTER + 1), 0xFF);
  sti();
  check_true("5 PIT periods pass (OUT0 polled)", wait_periods(5));
  cli();
  check_eq("masked: no IRQ 0 delivered", irq0_count, 0);
  check_eq("masked: IRR bit 0 set", pic_read(PIC_MASTER, PIC_READ_IRR) & 1, 1);

  /* 2 */
  outb(PIC_MASTER + 1, 0xFE);
  check_eq("IMR reads back 0xFE", inb(PIC_MASTER + 1), 0xFE);
  sti();
  check_true("unmasked: IRQ 0 arrives", wait_for(&irq0_count, 1));
  /* 3 */
  check_true("3 more PIT periods pass", wait_periods(3));
  cli();
  check_eq("no EOI: exactly one IRQ 0", irq0_count, 1);
  check_eq("IRQ 0 in service inside its handler", isr_in_irq0 & 1, 1);
  check_eq("no EOI: ISR bit 0 still set", pic_read(PIC_MASTER, PIC_READ_ISR), 0x01);
  check_eq("no EOI: a new IRQ 0 request in IRR", pic_read(PIC_MASTER, PIC_READ_IRR) & 1, 1);

  /* 4 */
  rtc_write(0x0A, (uint8_t)((rtc_read(0x0A) & 0xF0) | 0x06)); /* 1024 Hz */
  (void)rtc_read(0x0C);
  rtc_write(0x0B, (uint8_t)(rtc_read(0x0B) | 0x40)); /* PIE */
  outb(PIC_SLAVE + 1, 0xFE);
  outb(PIC_MASTER + 1, 0xFA); /* IR0 and IR2 */
  sti();
  int seen = 0;
  for (long spin = 0; spin < SPIN_LIMIT && !seen; spin++)
    seen = pic_read(PIC_SLAVE, PIC_READ_IRR) & 1;
  check_true("IRQ 8 requested: slave IRR bit 0", seen);
  check_true("2 more PIT periods pass", wait_periods(2));
  cli();
  check_eq("IRQ 8 not delivered while IR0 is in service", irq8_count, 0);
  check_eq("master IRR bit 2 (the slave's request) set", pic_read(PIC_MASTER, PIC_READ_IRR) & 4, 4);
  check_eq("still one IRQ 0", irq0_count, 1);

  /* 5 */
  outb(PIC_MASTER, PIC_SPECIFIC_EOI | 0);
  check_eq("specific EOI for IR0 clears ISR", pic_read(PIC_MASTER, PIC_READ_ISR), 0);
  irq0_eoi = 1;
  norder = 0;
  sti();
  check_true("IRQ 8 arrives after the EOI", wait_for(&irq8_count, 1));
  cli();
  check_true("two interrupts seen", norder >= 2);
  check_eq("first the pending IRQ 0", order[0], 0);
  check_eq("then IRQ 8", order[1], 8);
  check_eq("IRQ 8 in service on the slave (IR0)", isr_in_irq8_slave, 0x01);
  check_eq("and on the master (IR2)", isr_in_irq8_master, 0x04);

  /* 6 */
  unsigned before = irq0_count;
  sti();
  check_true("3 PIT periods pass with IRQ 8 in service", wait_periods(3));
  cli();
  check_true("IRQ 0 still arrives (higher priority than IR2)", irq0_count > before);
  check_eq("no second IRQ 8 while the first is in service", irq8_count, 1);
  check_eq("master ISR: IR2 only", pic_read(PIC_MASTER, PIC_READ_ISR), 0x04);
  outb(PIC_SLAVE, PIC_SPECIFIC_EOI | 0);
  outb(PIC_MASTER, PIC_SPECIFIC_EOI | 2);
  check_eq("specific EOIs clear the slave ISR", pic_read(PIC_SLAVE, PIC_READ_ISR), 0);
  check_eq("and the master ISR", pic_read(PIC_MASTER, PIC_READ_ISR), 0);

  rtc_write(0x0B, (uint8_t)(rtc_read(0x0B) & ~0x40));
  (void)rtc_read(0x0C);
  outb(PIC_MASTER + 1, 0xFF);
  outb(PIC_SLAVE + 1, 0xFF);
  check_done("pic");
}
