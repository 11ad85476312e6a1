/* tests/guests/pc/pitreprog.c - a timer interrupt reaches a CPU that spins
 * (no HLT, no other port access) after the PIT was programmed: counter 0
 * in mode 0 first with a long count that is then replaced by a short one.
 * The interrupt must come when the short count ends, not when the long one
 * would have, nor never. (ringlab once ran the CPU to the device event it
 * knew when the run began, so a count written during the run went unseen
 * until the CPU stopped for another reason.) Runs under ringlab and QEMU;
 * under ringlab the interrupt's delay from the reprogramming must be
 * within 10% of the short count. */
#include "pc.h"
#include "ringlab_ops.h"

#define PIT_CH0 0x40
#define PIT_CTRL 0x43
#define SHORT 1193  /* 1 ms */
#define LONG 0xFFFF /* 55 ms */

static volatile unsigned ticks;
static volatile uint64_t tick_tsc;

static void timer(unsigned vector) {
  (void)vector;
  tick_tsc = pc_rdtsc();
  ticks++;
  pc_eoi(0);
}

static void fail(const char *why) {
  serial_puts("pitreprog: FAIL: ");
  serial_puts(why);
  serial_puts("\n");
  guest_exit(GUEST_FAIL);
}

static void program(uint16_t count) {
  outb(PIT_CTRL, 0x30); /* counter 0, lobyte/hibyte, mode 0 */
  outb(PIT_CH0, count & 0xFF);
  outb(PIT_CH0, count >> 8);
}

/* Spins (interrupts on) until a tick or the TSC limit. */
static void spin(uint64_t limit) {
  uint64_t start = pc_rdtsc();
  __asm__ volatile("sti");
  while (!ticks && pc_rdtsc() - start < limit)
    ;
  pc_cli();
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  pc_setup_cpu();
  pc_pic_init(0xFE, 0xFF);
  pc_set_handler(PC_IRQ_BASE + 0, timer);
  int exact = ringlab_ops_present();

  /* Programmed once, the CPU spinning. */
  uint64_t t0 = pc_rdtsc();
  program(SHORT);
  spin(200000000ull);
  if (!ticks)
    fail("no interrupt after programming counter 0");
  uint64_t one = tick_tsc - t0;

  /* A long count replaced by a short one while spinning. */
  ticks = 0;
  program(LONG);
  for (volatile int k = 0; k < 1000; k++)
    ;
  uint64_t t1 = pc_rdtsc();
  program(SHORT);
  spin(200000000ull);
  if (!ticks)
    fail("no interrupt after reprogramming counter 0");
  uint64_t two = tick_tsc - t1;
  if (exact && (two > one + one / 10 || two + one / 10 < one))
    fail("the interrupt after reprogramming came at the long count's time");
  serial_puts("pitreprog: PASS\n");
  guest_exit(GUEST_PASS);
}
