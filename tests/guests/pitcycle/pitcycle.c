/* tests/guests/pitcycle/pitcycle.c - PIT interrupts at their exact cycles
 * under the p6 preset (300,000,000 Hz). ringlab only: exact cycles.
 *
 * PIT counter 0 in mode 2 with divisor N = 1193; IRQ 0 through the PIC.
 * The handler's first act is RDTSC; the kernel halts (sti; hlt) between
 * interrupts. devices/pit8254.c: clock pulse k falls at CPU cycle
 * ceil(k * F / 1193182) on an absolute grid, and in mode 2 OUT0 rises
 * (the edge the 8259A takes) every N pulses. So successive edges are
 * ceil((P + (j+1)N) F / H) - ceil((P + jN) F / H) cycles apart, for an
 * unknown phase P: floor(N F / H) or that plus one; over K periods the
 * sum is floor(K N F / H) or that plus one. With F = 300,000,000,
 * H = 1,193,182, N = 1193: N F / H = 357,900,000,000 / 1,193,182 =
 * 299,954.26..., so each delta is 299,954 or 299,955.
 *
 * Tolerance: none beyond that grid rounding (1 cycle). The CPU is halted
 * when each edge comes, and a halted CPU's clock moves exactly to the
 * device event (machine/loop.c, cpu_run), where the interrupt is taken at
 * once; the path from acceptance to the handler's RDTSC (delivery, IRQ
 * acknowledge, trap.S, trap_dispatch) is the same instructions every time,
 * so its latency cancels in the deltas. (A CPU that is running instead
 * takes the interrupt at the next instruction boundary: up to one
 * instruction's cycles late; this kernel never relies on that.)
 * The control word itself raises OUT0 (mode 2: OUT high) and ringlab's
 * counter 0 powers up with OUT0 low (the datasheet leaves it undefined),
 * so the 8259A latches an edge at programming time, not on the period
 * grid: the kernel programs the PIT with IRQ 0 masked, and when the IRR
 * then shows that edge, the first interrupt is left out of the deltas.
 * Results: pitcycle_delta_J for the first deltas, pitcycle_total,
 * pitcycle_ticks, pitcycle_programming_edge.
 */
#include "pic.h"
#include "ringlab_ops.h"

#define DIVISOR 1193u
#define CPU_HZ 300000000u /* the p6 preset (manifest: --timing p6) */
#define TICKS 17          /* 16 deltas */
#define REPORTED 8

static volatile uint64_t tsc[TICKS + 1];
static volatile unsigned ticks;

static void timer(struct trap_frame *f) {
  uint64_t now = rdtsc();
  (void)f;
  if (ticks < TICKS + 1)
    tsc[ticks] = now;
  ticks++;
  outb(PIC_MASTER, PIC_EOI);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("pitcycle: PIT mode 2, divisor %u, IRQ 0 at exact cycles (p6, %u Hz)\n", DIVISOR, CPU_HZ);
  if (!ringlab_ops_present()) {
    kprintf("pitcycle: FAIL: needs ringlab (exact cycles)\n");
    guest_exit(GUEST_FAIL);
  }
  trap_set_handler(PIC_IRQ_BASE + 0, timer);
  pic_init(0xFF, 0xFF);
  pit_ch0(2, DIVISOR);
  unsigned skip = pic_read(PIC_MASTER, PIC_READ_IRR) & 1; /* the programming edge */
  kprintf("  IRR bit 0 after the control word: %u (%s)\n", skip,
          skip ? "OUT0 rose at programming: first interrupt left out" : "no edge at programming");
  ringlab_result("pitcycle_programming_edge", skip);
  outb(PIC_MASTER + 1, 0xFE);
  while (ticks < TICKS + skip)
    __asm__ volatile("sti; hlt; cli" ::: "memory");
  outb(PIC_MASTER + 1, 0xFF);

  uint64_t num = (uint64_t)DIVISOR * CPU_HZ;
  uint32_t lo = (uint32_t)(num / PIT_HZ), hi = lo + (num % PIT_HZ != 0);
  check_eq("floor(N F / H), the literal", lo, 299954);
  const volatile uint64_t *t = tsc + skip;
  for (int j = 0; j + 1 < TICKS; j++) {
    uint32_t d = (uint32_t)(t[j + 1] - t[j]);
    if (j < REPORTED) {
      static char name[] = "pitcycle_delta_0";
      name[sizeof name - 2] = (char)('0' + j);
      ringlab_result(name, d);
    }
    kprintf("  delta %d: %u cycles\n", j, d);
    check_true("  delta is floor or ceil of N F / H", d == lo || d == hi);
  }
  uint64_t total = t[TICKS - 1] - t[0];
  uint64_t knum = (uint64_t)(TICKS - 1) * num;
  uint64_t klo = knum / PIT_HZ, khi = klo + (knum % PIT_HZ != 0);
  ringlab_result("pitcycle_total", (int64_t)total);
  ringlab_result("pitcycle_ticks", TICKS);
  kprintf("  total over %d periods: %u cycles (grid: %u or %u)\n", TICKS - 1, (uint32_t)total, (uint32_t)klo,
          (uint32_t)khi);
  check_true("total over 16 periods is floor or ceil of 16 N F / H", total == klo || total == khi);
  check_eq("no interrupt lost or extra", ticks, TICKS + skip);
  check_done("pitcycle");
}
