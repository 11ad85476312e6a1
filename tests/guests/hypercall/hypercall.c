/* tests/guests/hypercall/hypercall.c - the ops port's hypercall marks
 * (ringlab_ops.h, HYPERCALL_ENTER/EXIT), seen from a guest: the marks a
 * hypervisor would put around a Xen-style hypercall, nested as a multicall
 * nests its members, the hypervisor's other events (HV_EVENT), and the
 * STATUS each kind of bad mark gets. ringlab
 * only (the port is missing under QEMU); ends with an ops-port exit 0.
 */
#include "guest.h"
#include "ringlab_ops.h"

#define HC_MMU_UPDATE 1 /* Xen's __HYPERVISOR_mmu_update */
#define HC_MULTICALL 13 /* Xen's __HYPERVISOR_multicall */

static int failures;

static void expect(const char *what, uint32_t got, uint32_t want) {
  if (got != want) {
    serial_puts("hypercall: FAIL ");
    serial_puts(what);
    serial_puts("\n");
    failures++;
  }
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  if (!ringlab_ops_present()) {
    serial_puts("hypercall: no ringlab ops port\n");
    guest_exit(GUEST_FAIL);
  }

  expect("enter", ringlab_hypercall_enter(HC_MMU_UPDATE, 0x1000, 1, 0), RINGLAB_OPS_OK);
  expect("exit", ringlab_hypercall_exit(HC_MMU_UPDATE, 0), RINGLAB_OPS_OK);

  expect("multicall enter", ringlab_hypercall_enter(HC_MULTICALL, 0x2000, 2, 0), RINGLAB_OPS_OK);
  expect("member enter", ringlab_hypercall_enter(HC_MMU_UPDATE, 0x3000, 1, 0), RINGLAB_OPS_OK);
  expect("multicall exit before its member", ringlab_hypercall_exit(HC_MULTICALL, 0), RINGLAB_OPS_ESTATE);
  expect("member exit", ringlab_hypercall_exit(HC_MMU_UPDATE, 0), RINGLAB_OPS_OK);
  expect("multicall exit", ringlab_hypercall_exit(HC_MULTICALL, (uint32_t)-22), RINGLAB_OPS_OK);

  expect("exit with none open", ringlab_hypercall_exit(HC_MMU_UPDATE, 0), RINGLAB_OPS_ESTATE);
  expect("number above 255", ringlab_hypercall_enter(256, 0, 0, 0), RINGLAB_OPS_EINVAL);
  for (uint32_t k = 0; k < RINGLAB_OPS_HYPERCALL_DEPTH; k++)
    expect("enter to the depth", ringlab_hypercall_enter(k, 0, 0, 0), RINGLAB_OPS_OK);
  expect("enter past the depth", ringlab_hypercall_enter(99, 0, 0, 0), RINGLAB_OPS_EFULL);
  for (uint32_t k = RINGLAB_OPS_HYPERCALL_DEPTH; k-- > 0;)
    expect("exit from the depth", ringlab_hypercall_exit(k, 0), RINGLAB_OPS_OK);

  /* the hypervisor's other events (HV_EVENT) */
  expect("trap bounce", ringlab_hv_event(RINGLAB_HV_TRAP_BOUNCE, 14, 1, 6), RINGLAB_OPS_OK);
  expect("upcall", ringlab_hv_event(RINGLAB_HV_EVENT_UPCALL, 1, 0, 0), RINGLAB_OPS_OK);
  expect("page-table emulation", ringlab_hv_event(RINGLAB_HV_PT_EMULATE, 1, 0xC0400000u, 0), RINGLAB_OPS_OK);
  expect("domain switch", ringlab_hv_event(RINGLAB_HV_DOMAIN_SWITCH, 2, 1, 0), RINGLAB_OPS_OK);
  expect("page-table updates", ringlab_hv_event(RINGLAB_HV_PT_UPDATE, 1, 64, 0), RINGLAB_OPS_OK);
  expect("page-table updates of no entries", ringlab_hv_event(RINGLAB_HV_PT_UPDATE, 1, 0, 0), RINGLAB_OPS_EINVAL);
  expect("unknown hv event", ringlab_hv_event(77, 0, 0, 0), RINGLAB_OPS_EINVAL);

  if (failures) {
    serial_puts("hypercall: failed\n");
    guest_exit(GUEST_FAIL);
  }
  serial_puts("hypercall: all marks answered as documented\n");
  ringlab_exit(0);
  serial_puts("hypercall: EXIT returned\n");
  guest_exit(GUEST_FAIL);
}
