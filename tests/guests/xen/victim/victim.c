/* tests/guests/xen/victim - the domain that must come out unharmed while
 * another attacks the hypervisor (hostile) or fuzzes it (fuzz): it fills
 * a megabyte of its memory with a pattern and keeps checking it, and checks
 * that its system time only moves forward, for the milliseconds given on
 * its command line (yielding now and then), then reports. */
#include "pv.h"

#define WORDS (256 * 1024)
static uint32_t buf[WORDS];

void test_main(void) {
  uint32_t ms = (uint32_t)strtoul((const char *)pv_si->cmd_line, NULL, 10);
  if (!ms)
    ms = 200;
  pv_map_shared_info();
  for (uint32_t k = 0; k < WORDS; k++)
    buf[k] = k * 2654435761u;
  uint64_t start = pv_system_time_ns(), last = start, end = start + (uint64_t)ms * 1000000;
  uint32_t rounds = 0, bad = 0, backwards = 0;
  while (last < end) {
    for (uint32_t k = 0; k < WORDS; k += 97)
      bad += buf[k] != k * 2654435761u;
    uint64_t now = pv_system_time_ns();
    backwards += now < last;
    last = now;
    rounds++;
    if (rounds % 8 == 0)
      HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
  }
  for (uint32_t k = 0; k < WORDS; k++)
    bad += buf[k] != k * 2654435761u;
  PV_EXPECT(bad, 0);
  PV_EXPECT(backwards, 0);
  pv_printf("victim: %u rounds over %u ms, memory and time intact\n", rounds, ms);
  if (pv_failures == 0)
    pv_puts("xen_victim: PASS\n");
}
