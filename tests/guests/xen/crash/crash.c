/* tests/guests/xen/crash - a domain that goes wrong in one of the ways
 * the hypervisor must survive (command line): "nohandler" faults with no
 * trap table (a PV kernel's way of triple-faulting), "badstack" faults
 * with its ring-1 stack unmapped (the bounce frame cannot be written),
 * "loop" never stops (it is preempted like any domain). The first two are
 * destroyed with a report; the others run on either way. */
#include "pv.h"

void test_main(void) {
  const char *cmd = (const char *)pv_si->cmd_line;
  pv_printf("crash: going wrong: %s\n", cmd);
  if (strcmp(cmd, "nohandler") == 0) {
    __asm__ volatile("movl $0, %%eax; movl (%%eax), %%eax" ::: "eax", "memory");
  } else if (strcmp(cmd, "badstack") == 0) {
    pv_install_traps();
    __asm__ volatile("movl $0x1000, %%esp; int3" ::: "memory");
  } else if (strcmp(cmd, "loop") == 0) {
    for (;;)
      __asm__ volatile("" ::: "memory");
  }
  pv_puts("crash: FAIL: still running\n");
}
