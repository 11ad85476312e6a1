/* tests/guests/xen/fpu - the FPU is each domain's own across switches
 * (the hypervisor's lazy FPU: #NM on first use after a switch, FNSAVE of
 * the previous owner, FRSTOR of the new one). Two domains ("fpu STEP") keep
 * a running sum in ST(0), adding STEP (fild) between yields to each
 * other; each checks its own sum at the end. */
#include "pv.h"

void test_main(void) {
  int32_t step = (int32_t)strtoul((const char *)pv_si->cmd_line, NULL, 10), sum = 0;
  pv_map_shared_info();
  pv_install_traps();
  __asm__ volatile("fninit; fldz" ::: "memory");
  for (int k = 0; k < 50; k++) {
    __asm__ volatile("fiaddl %0" : : "m"(step) : "memory");
    HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
  }
  __asm__ volatile("fistpl %0" : "=m"(sum) : : "memory");
  pv_printf("fpu: step %d, sum %d\n", step, sum);
  PV_EXPECT(sum, step * 50);
  if (pv_failures == 0)
    pv_printf("xen_fpu %d: PASS\n", step);
}
