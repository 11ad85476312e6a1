/* tests/guests/pc/rtc.c - the CMOS clock, and IRQ 8 through the cascade.
 *
 * Reads the date (waiting for UIP to clear), checks every field is in
 * range and, when the command line says "expect-2003-10-19" (ringlab runs
 * it with --rtc "2003-10-19 12:00:00"), that it is that date at noon.
 * Then takes periodic interrupts (1024 Hz) and one update-ended interrupt
 * on IRQ 8 (the slave PIC, through the master's IR2), checking register C
 * and that the seconds advanced by one. Runs under ringlab and QEMU.
 */
#include "pc.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define PERIODIC_WANTED 8
#define SPIN_LIMIT 10000000

static volatile unsigned periodic, updates, other;

static void fail(const char *why) {
  serial_puts("rtc: FAIL: ");
  serial_puts(why);
  serial_puts("\n");
  guest_exit(GUEST_FAIL);
}

static uint8_t cmos(uint8_t reg) {
  outb(CMOS_INDEX, reg);
  return inb(CMOS_DATA);
}

static void cmos_set(uint8_t reg, uint8_t v) {
  outb(CMOS_INDEX, reg);
  outb(CMOS_DATA, v);
}

static unsigned field(uint8_t v, int binary) { return binary ? v : (v >> 4) * 10u + (v & 15); }

static void irq8(unsigned vector) {
  (void)vector;
  uint8_t c = cmos(0x0C);
  if (!(c & 0x80))
    other++;
  if (c & 0x40)
    periodic++;
  if (c & 0x10)
    updates++;
  pc_eoi(8);
}

static void put2(unsigned v) {
  serial_putc((char)('0' + v / 10 % 10));
  serial_putc((char)('0' + v % 10));
}

static int contains(const char *s, const char *w) {
  for (; *s; s++) {
    const char *a = s, *b = w;
    while (*a && *b && *a == *b)
      a++, b++;
    if (!*b)
      return 1;
  }
  return 0;
}

struct mb_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

void kmain(uint32_t magic, uint32_t info) {
  serial_init();
  pc_setup_cpu();
  pc_pic_init(0xFB, 0xFE); /* IR2 (the slave) and IRQ 8 open */
  pc_set_handler(PC_IRQ_BASE + 8, irq8);
  const struct mb_info *mbi = (const struct mb_info *)info;
  int expect = magic == MULTIBOOT_BOOTLOADER_MAGIC && (mbi->flags & 4) &&
               contains((const char *)mbi->cmdline, "expect-2003-10-19");

  int spin;
  for (spin = 0; spin < SPIN_LIMIT && (cmos(0x0A) & 0x80); spin++)
    ;
  uint8_t b = cmos(0x0B);
  int bin = b & 0x04;
  unsigned sec = field(cmos(0x00), bin), min = field(cmos(0x02), bin), hour = cmos(0x04);
  unsigned day = field(cmos(0x07), bin), month = field(cmos(0x08), bin), year = field(cmos(0x09), bin);
  unsigned century = field(cmos(0x32), 0);
  if (!(b & 0x02)) { /* 12-hour */
    unsigned h = field(hour & 0x7F, bin) % 12;
    hour = h + ((hour & 0x80) ? 12 : 0);
  } else {
    hour = field((uint8_t)hour, bin);
  }
  serial_puts("rtc: ");
  put2(century);
  put2(year);
  serial_putc('-');
  put2(month);
  serial_putc('-');
  put2(day);
  serial_putc(' ');
  put2(hour);
  serial_putc(':');
  put2(min);
  serial_putc(':');
  put2(sec);
  serial_puts("\n");
  if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12 || year > 99 ||
      century < 19 || century > 21)
    fail("a field out of range");
  if (!(cmos(0x0D) & 0x80))
    fail("register D: VRT clear");
  if (expect && (century != 20 || year != 3 || month != 10 || day != 19 || hour != 12 || min != 0 || sec > 2))
    fail("not the configured date");

  /* Periodic interrupts at 1024 Hz. */
  cmos_set(0x0A, (uint8_t)((cmos(0x0A) & 0xF0) | 0x06));
  (void)cmos(0x0C);
  cmos_set(0x0B, (uint8_t)(cmos(0x0B) | 0x40));
  while (periodic < PERIODIC_WANTED)
    pc_sti_hlt_cli();
  cmos_set(0x0B, (uint8_t)(cmos(0x0B) & ~0x40));

  /* One update-ended interrupt: the seconds move on by one. */
  (void)cmos(0x0C);
  for (spin = 0; spin < SPIN_LIMIT && (cmos(0x0A) & 0x80); spin++)
    ;
  unsigned before = field(cmos(0x00), bin);
  cmos_set(0x0B, (uint8_t)(cmos(0x0B) | 0x10));
  while (!updates)
    pc_sti_hlt_cli();
  cmos_set(0x0B, (uint8_t)(cmos(0x0B) & ~0x10));
  unsigned after = field(cmos(0x00), bin);
  if (after != (before + 1) % 60)
    fail("the update interrupt did not come with the next second");
  if (other || pc_stray_irqs)
    fail("interrupts that were not the RTC's");
  serial_puts("rtc: periodic and update interrupts ok\n");
  guest_exit(GUEST_PASS);
}
