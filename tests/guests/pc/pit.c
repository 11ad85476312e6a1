/* tests/guests/pc/pit.c - timer interrupts from the 8254 through the 8259A.
 *
 * Programs the PIC pair (vectors 0x20-0x2F) and PIT counter 0 in mode 2
 * (rate generator, 1 kHz), installs an IDT (protected mode, CPL 0) and
 * counts timer interrupts, halting in between. On the way it checks:
 *   - a masked IRQ 0 shows in the master's IRR and is not delivered;
 *   - unmasking delivers it, with IRQ 0 in the ISR inside the handler;
 *   - the PIT's read-back status gives the mode programmed (0x34);
 *   - a counter-latch read is within the count;
 *   - counter 2 in mode 0 does not count with GATE2 (port 0x61 bit 0) low
 *     (ringlab only: QEMU's 8254 ignores GATE in mode 0), and OUT2 (port
 *     0x61 bit 5) rises after the count with the gate high.
 * Runs under ringlab and QEMU. Under ringlab it also reports the cycles
 * between the first and last interrupt as the result "pit_cycles".
 */
#include "pc.h"
#include "ringlab_ops.h"

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CTRL 0x43
#define PORT_B 0x61
#define COUNT 1193 /* 1193182 / 1193 = 1000.2 Hz */
#define TICKS 20
#define SPIN_LIMIT 10000000

static volatile unsigned ticks;
static volatile unsigned isr_seen; /* IRQ 0 was in service in the handler */
static volatile uint64_t first_tsc, last_tsc;

static void fail(const char *why) {
  serial_puts("pit: FAIL: ");
  serial_puts(why);
  serial_puts("\n");
  guest_exit(GUEST_FAIL);
}

static void timer(unsigned vector) {
  (void)vector;
  uint64_t now = pc_rdtsc();
  if (ticks == 0)
    first_tsc = now;
  last_tsc = now;
  if (pc_pic_read(PIC_MASTER, PIC_READ_ISR) & 0x01)
    isr_seen++;
  ticks++;
  pc_eoi(0);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  pc_setup_cpu();
  pc_pic_init(0xFF, 0xFF); /* everything masked */
  pc_set_handler(PC_IRQ_BASE + 0, timer);

  outb(PIT_CTRL, 0x34); /* counter 0, lobyte/hibyte, mode 2, binary */
  outb(PIT_CH0, COUNT & 0xFF);
  outb(PIT_CH0, COUNT >> 8);

  /* Masked: the request reaches IRR but is not delivered. */
  __asm__ volatile("sti");
  int spin;
  for (spin = 0; spin < SPIN_LIMIT; spin++)
    if (pc_pic_read(PIC_MASTER, PIC_READ_IRR) & 0x01)
      break;
  pc_cli();
  if (spin == SPIN_LIMIT)
    fail("IRQ 0 never showed in IRR");
  if (ticks)
    fail("a masked IRQ 0 was delivered");

  /* Unmasked: the pending request and the following ones arrive. */
  outb(PIC_MASTER + 1, 0xFE);
  while (ticks < TICKS)
    pc_sti_hlt_cli();
  outb(PIC_MASTER + 1, 0xFF);
  if (isr_seen != ticks)
    fail("IRQ 0 not in service inside its handler");
  if (pc_pic_read(PIC_MASTER, PIC_READ_ISR) != 0)
    fail("ISR not clear after EOI");

  outb(PIT_CTRL, 0xE2); /* read-back: status of counter 0 only */
  uint8_t status = inb(PIT_CH0);
  if ((status & 0x3F) != 0x34)
    fail("read-back status does not give mode 2, lobyte/hibyte");
  outb(PIT_CTRL, 0x00); /* counter latch, counter 0 */
  unsigned lo = inb(PIT_CH0), hi = inb(PIT_CH0), v = lo | hi << 8;
  if (v < 1 || v > COUNT)
    fail("latched count out of range");

  /* Counter 2 and port B: mode 0 counts only with GATE2 high. */
  outb(PORT_B, inb(PORT_B) & ~0x03);
  outb(PIT_CTRL, 0xB0); /* counter 2, lobyte/hibyte, mode 0 */
  outb(PIT_CH2, 100);
  outb(PIT_CH2, 0);
  for (spin = 0; spin < 20000; spin++)
    (void)inb(PORT_B);
  /* QEMU does not stop a mode-0 count with GATE low (its i8254 ignores
   * the gate in modes 0 and 4), so this datasheet check is ringlab's. */
  if ((inb(PORT_B) & 0x20) && ringlab_ops_present())
    fail("OUT2 rose with GATE2 low");
  outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
  for (spin = 0; spin < SPIN_LIMIT; spin++)
    if (inb(PORT_B) & 0x20)
      break;
  if (spin == SPIN_LIMIT)
    fail("OUT2 never rose with GATE2 high");
  outb(PORT_B, inb(PORT_B) & ~0x03);

  if (pc_stray_irqs)
    fail("stray interrupts");
  if (ringlab_ops_present()) {
    ringlab_result("pit_ticks", ticks);
    ringlab_result("pit_cycles", (int64_t)(last_tsc - first_tsc));
  }
  serial_puts("pit: ");
  pc_put_uint(ticks);
  serial_puts(" timer interrupts\n");
  guest_exit(GUEST_PASS);
}
