/* tests/guests/xen/timecal - Xen refreshes the running vcpu's
 * vcpu_time_info once a second (its time calibration, EPOCH), not only
 * when the vcpu is switched in: a guest that reads system_time without
 * extrapolating from the TSC (GRUB's date: wc_sec + system_time) sees time
 * move while it runs alone. We spin 1.3 s of system time, computed from the
 * TSC as the ABI says, with no hypercall and no switch: the time info must
 * have been refreshed meanwhile (a later version, a system_time past our
 * start). Under QEMU only: 1.3 s is 390 million cycles of ringlab. */
#include "pv.h"

void test_main(void) {
  pv_map_shared_info();
  volatile vcpu_time_info_t *t = &pv_shared->vcpu_info[0].time;
  uint32_t version0 = t->version;
  uint64_t start = pv_system_time_ns();
  while (pv_system_time_ns() - start < 1300000000ull)
    ;
  uint32_t version1 = t->version;
  uint64_t stamped = t->system_time;
  PV_EXPECT(version1 != version0, 1);
  PV_EXPECT((version1 & 1), 0);
  PV_EXPECT(stamped > start, 1);
  if (pv_failures == 0)
    pv_puts("xen_timecal: PASS\n");
}
