/* tests/guests/pitspin/pitspin.c - timer interrupts reach a kernel that
 * neither halts nor touches a port: it programs the PIT (1 kHz, mode 2,
 * IRQ 0) and then only computes, counting the interrupts its handler sees.
 *
 * The machine runs the CPU until the next device event; an event the
 * guest creates while the CPU runs (here the PIT's first tick, made by the
 * OUTs that program it) must shorten that run, or the interrupt waits for
 * the next port access or the run's end. Both runners: at least 20 ticks
 * within a bounded amount of computing (about 50 ms of p6 time at 1 kHz
 * gives 50).
 */
#include "pic.h"

#define TICKS 20
#define SPIN_LIMIT 200000000u

static volatile uint32_t ticks;

static void timer_irq(struct trap_frame *f) {
  (void)f;
  ticks++;
  outb(PIC_MASTER, PIC_EOI);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("pitspin: PIT interrupts while the kernel only computes\n");
  trap_set_handler(PIC_IRQ_BASE + 0, timer_irq);
  pic_init((uint8_t)~1u, 0xFF);
  pit_ch0(2, (uint16_t)(PIT_HZ / 1000));
  sti();
  uint32_t spins = 0, x = 1;
  while (ticks < TICKS && spins < SPIN_LIMIT) {
    x = x * 1103515245u + 12345u; /* no port, no HLT: computing only */
    spins++;
  }
  cli();
  kprintf("  %u ticks after %u spins (x = %u)\n", ticks, spins, x);
  check_true("20 timer interrupts while computing", ticks >= TICKS);
  outb(PIC_MASTER + 1, 0xFF);
  check_done("pitspin");
}
