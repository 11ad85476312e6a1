/* tests/guests/apictimer/apictimer.c - the local APIC timer at its exact
 * cycles under the p6 preset. ringlab only: exact cycles.
 *
 * The p6 preset's APIC counts a 200000000/3 Hz bus clock (the Pentium II
 * 300's 66 MHz bus): bus tick k falls at cycle ceil(k * 4.5) on an
 * absolute grid (devices/lapic.c). In periodic mode with divide 16 and
 * initial count N = 1000 the count reaches zero every 16 N = 16,000 ticks,
 * exactly 72,000 cycles; with N = 1001 every 16,016 ticks, 72,072 cycles.
 * The kernel halts (sti; hlt) between interrupts and the handler's first
 * act is RDTSC: a halted CPU's clock moves to the device event itself and
 * the path to the RDTSC is the same every time, so the deltas are the
 * periods to the cycle (as pitcycle's). Then one-shot: the interrupt comes
 * once, at the cycle of the zero: from the initial-count write (its RDTSC
 * just before) the count reaches zero 16 N ticks after the write's tick,
 * so between 72,000 - 4.5 and 72,000 cycles after the write, plus the
 * constant path to the handler's RDTSC (which the periodic deltas cancel
 * but a single interval does not): checked as within 72,000 - 5 and
 * 72,000 + 500. Results: apictimer_delta_J, apictimer_oneshot.
 */
#include "apic.h"
#include "ringlab_ops.h"

#define TICKS 9 /* 8 deltas */
#define V_TIMER 0x50

static volatile uint64_t tsc[TICKS];
static volatile unsigned ticks;

static void timer(struct trap_frame *f) {
  uint64_t now = rdtsc();
  (void)f;
  if (ticks < TICKS)
    tsc[ticks] = now;
  ticks++;
  apic_eoi();
}

static void periodic(uint32_t n, uint32_t cycles) {
  ticks = 0;
  apic_write(APIC_LVT_TIMER, V_TIMER | APIC_LVT_PERIODIC);
  apic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_16);
  apic_write(APIC_TIMER_INITIAL, n);
  while (ticks < TICKS)
    __asm__ volatile("sti; hlt; cli" ::: "memory");
  apic_write(APIC_TIMER_INITIAL, 0);
  int exact = 1;
  for (int j = 0; j + 1 < TICKS; j++) {
    uint32_t d = (uint32_t)(tsc[j + 1] - tsc[j]);
    if (n == 1000 && j < 4) {
      static char name[] = "apictimer_delta_0";
      name[sizeof name - 2] = (char)('0' + j);
      ringlab_result(name, d);
    }
    if (d != cycles) {
      kprintf("  delta %d: %u cycles, want %u\n", j, d, cycles);
      exact = 0;
    }
  }
  kprintf("  initial count %u, divide 16: %u cycles a period\n", n, cycles);
  check_true("every period exact", exact);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("apictimer: the APIC timer at exact cycles (p6: bus 200000000/3 Hz, core 300 MHz)\n");
  if (!ringlab_ops_present()) {
    kprintf("apictimer: FAIL: needs ringlab (exact cycles)\n");
    guest_exit(GUEST_FAIL);
  }
  check_eq("the P6's APIC (version 0x00040011)", apic_read(APIC_VERSION), 0x00040011);
  trap_set_handler(V_TIMER, timer);
  periodic(1000, 72000);
  periodic(1001, 72072);

  ticks = 0;
  apic_write(APIC_LVT_TIMER, V_TIMER);
  uint64_t t0 = rdtsc();
  apic_write(APIC_TIMER_INITIAL, 1000);
  while (ticks < 1)
    __asm__ volatile("sti; hlt; cli" ::: "memory");
  uint32_t d = (uint32_t)(tsc[0] - t0);
  ringlab_result("apictimer_oneshot", d);
  kprintf("  one-shot: %u cycles from the write to the handler\n", d);
  check_true("one-shot: at its zero", d >= 72000 - 5 && d <= 72000 + 500);
  for (volatile long k = 0; k < 100000; k++)
    ;
  __asm__ volatile("sti; nop; nop; cli" ::: "memory");
  check_eq("one-shot: once", ticks, 1);
  check_eq("one-shot: the count stays 0", apic_read(APIC_TIMER_CURRENT), 0);
  check_done("apictimer");
}
