/* tests/guests/xen/hcall - every hypercall's success and error paths that
 * the other tests do not cover: -ENOSYS for every number the hypercall
 * table (hv/hypercalls.def) does not have, -EFAULT for pointers that are
 * unmapped or reach into the hypervisor, xen_version, console_io,
 * multicall (results, nesting, bad lists, overflowing counts), vcpu_op,
 * sched_op and set_timer_op. */
#include "pv.h"

#include <xen/physdev.h>

static int implemented(uint32_t nr) {
  switch (nr) {
#define HYPERCALL(n, name, args) case n:
#include "hypercalls.def"
#undef HYPERCALL
    return 1;
  default:
    return 0;
  }
}

static void test_enosys(void) {
  uint32_t n = 0;
  for (uint32_t nr = 0; nr < 128; nr++) {
    if (implemented(nr))
      continue;
    PV_EXPECT(pv_hypercall(nr, 1, 2, 3, 4, 5), -ENOSYS);
    n++;
  }
  PV_EXPECT(n > 80, 1);
  PV_EXPECT(pv_hypercall_int82(1000, 0, 0, 0, 0, 0), -ENOSYS);
  PV_EXPECT(pv_hypercall_int82(0xFFFFFFFFu, 0, 0, 0, 0, 0), -ENOSYS);
}

static void test_xen_version(void) {
  long v = HYPERVISOR_xen_version(XENVER_version, NULL);
  PV_EXPECT(v, (3 << 16) | 0);
  xen_capabilities_info_t caps;
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_capabilities, caps), 0);
  PV_EXPECT(strcmp(caps, "xen-3.0-x86_32p"), 0);
  xen_platform_parameters_t pp;
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_platform_parameters, &pp), 0);
  PV_EXPECT(pp.virt_start, HYPERVISOR_VIRT_START);
  xen_feature_info_t fi = {.submap_idx = 0};
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_get_features, &fi), 0);
  PV_EXPECT(fi.submap & 1, 1); /* XENFEAT_writable_page_tables */
  fi.submap_idx = 1;
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_get_features, &fi), -EINVAL);
  xen_extraversion_t ev;
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_extraversion, ev), 0);
  xen_compile_info_t ci;
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_compile_info, &ci), 0);
  xen_changeset_info_t cs;
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_changeset, cs), 0);
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_pagesize, NULL), 4096);
  xen_domain_handle_t h;
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_guest_handle, h), 0);
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_capabilities, (void *)0x1000), -EFAULT);
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_capabilities, (void *)0xF5800000), -EFAULT); /* the read-only M2P */
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_capabilities, (void *)0xF8100000), -EFAULT); /* the hypervisor */
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_capabilities, (void *)(pv_si->pt_base)), -EFAULT); /* read-only */
  PV_EXPECT(HYPERVISOR_xen_version(XENVER_capabilities, (void *)0xF57FFFF0), -EFAULT); /* straddles */
  PV_EXPECT(HYPERVISOR_xen_version(99, NULL), -ENOSYS);
}

static void test_console_io(void) {
  PV_EXPECT(HYPERVISOR_console_io(CONSOLEIO_write, 0, "x"), 0);
  PV_EXPECT(HYPERVISOR_console_io(CONSOLEIO_write, -5, "x"), 0);
  PV_EXPECT(HYPERVISOR_console_io(CONSOLEIO_write, 10, (const char *)0x1000), -EFAULT);
  PV_EXPECT(HYPERVISOR_console_io(CONSOLEIO_write, 0x7FFFFFFF, "x"), -EFAULT);
  PV_EXPECT(HYPERVISOR_console_io(CONSOLEIO_write, 10, (const char *)0xF8000000), -EFAULT);
  char in[8];
  PV_EXPECT(HYPERVISOR_console_io(CONSOLEIO_read, sizeof in, in), 0); /* nothing typed */
  PV_EXPECT(HYPERVISOR_console_io(7, 1, in), -ENOSYS);
}

static void test_multicall(void) {
  static xen_capabilities_info_t caps;
  multicall_entry_t mc[4];
  memset(mc, 0, sizeof mc);
  mc[0].op = __HYPERVISOR_xen_version;
  mc[0].args[0] = XENVER_version;
  mc[1].op = __HYPERVISOR_vm_assist;
  mc[1].args[0] = VMASST_CMD_enable;
  mc[1].args[1] = 31;
  mc[2].op = 60; /* no such hypercall */
  mc[3].op = __HYPERVISOR_xen_version;
  mc[3].args[0] = XENVER_capabilities;
  mc[3].args[1] = (unsigned long)caps;
  PV_EXPECT(HYPERVISOR_multicall(mc, 4), 0);
  PV_EXPECT(mc[0].result, (3 << 16) | 0);
  PV_EXPECT((long)mc[1].result, -EINVAL);
  PV_EXPECT((long)mc[2].result, -ENOSYS);
  PV_EXPECT(mc[3].result, 0);
  PV_EXPECT(caps[0], 'x');
  /* A multicall inside a multicall is refused. */
  multicall_entry_t inner = {.op = __HYPERVISOR_xen_version, .args = {XENVER_version}};
  multicall_entry_t outer = {.op = __HYPERVISOR_multicall, .args = {(unsigned long)&inner, 1}};
  PV_EXPECT(HYPERVISOR_multicall(&outer, 1), 0);
  PV_EXPECT((long)outer.result, -EINVAL);
  /* Bad lists, and counts that overflow the list's size. */
  PV_EXPECT(HYPERVISOR_multicall((multicall_entry_t *)0x1000, 1), -EFAULT);
  PV_EXPECT(HYPERVISOR_multicall((multicall_entry_t *)0xF8000000, 1), -EFAULT);
  PV_EXPECT(HYPERVISOR_multicall(mc, 0xFFFFFFFFu), -EFAULT);
  PV_EXPECT(HYPERVISOR_multicall(mc, 0x08000001u), -EFAULT); /* 0x08000001 * 32 wraps to 32 */
  PV_EXPECT(HYPERVISOR_multicall(mc, 0), 0);
}

static void test_vcpu_sched(void) {
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, NULL), 1);
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL), -ENOENT);
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_is_up, 40, NULL), -EINVAL);
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_initialise, 0, NULL), -EEXIST);
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_up, 0, NULL), 0);
  PV_EXPECT(HYPERVISOR_vcpu_op(99, 0, NULL), -ENOSYS);
  struct vcpu_runstate_info rs;
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &rs), 0);
  PV_EXPECT(rs.state, RUNSTATE_running);
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (void *)0xF8000000), -EFAULT);
  struct vcpu_set_periodic_timer per = {.period_ns = 100000};
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &per), -EINVAL); /* under 1 ms */
  per.period_ns = 0xFFFFFFFFFFFFFF00ull; /* would wrap the next deadline around */
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &per), -EINVAL);
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
  struct vcpu_set_singleshot_timer ss = {.timeout_abs_ns = 1, .flags = VCPU_SSHOTTMR_future};
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &ss), -ETIME);
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), 0);
  struct vcpu_register_vcpu_info ri = {.mfn = pv_virt_to_mfn(pv_si), .offset = 4090, .rsvd = 0};
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &ri), -EINVAL);
  ri.offset = 0;
  ri.mfn = 0x101;
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &ri), -EINVAL);

  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_yield, NULL), 0);
  PV_EXPECT(HYPERVISOR_sched_op(77, NULL), -ENOSYS);
  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_shutdown, (void *)0x1000), -EFAULT);
  evtchn_port_t ports[2] = {1, 2};
  struct sched_poll poll = {.nr_ports = 129, .timeout = 0};
  set_xen_guest_handle(poll.ports, ports);
  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_poll, &poll), -EINVAL);
  poll.nr_ports = 2;
  ports[1] = 100000;
  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_poll, &poll), -EINVAL);
  ports[1] = 2;
  set_xen_guest_handle(poll.ports, (evtchn_port_t *)0x1000);
  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_poll, &poll), -EFAULT);
  set_xen_guest_handle(poll.ports, ports);
  poll.timeout = 1; /* long past: returns at once */
  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_poll, &poll), 0);
  struct sched_shutdown code = {.reason = SHUTDOWN_reboot};
  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_shutdown_code, &code), 0);
  struct sched_remote_shutdown rsd = {.domain_id = 9, .reason = SHUTDOWN_poweroff};
  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &rsd), (pv_si->flags & SIF_PRIVILEGED) ? -ESRCH : -EPERM);
  PV_EXPECT(HYPERVISOR_sched_op_compat_yield(), 0);
  PV_EXPECT(HYPERVISOR_set_timer_op(0), 0);
  PV_EXPECT(HYPERVISOR_event_channel_op(99, NULL), -ENOSYS);
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_send, (void *)0x1000), -EFAULT);
  PV_EXPECT(HYPERVISOR_stack_switch(FLAT_KERNEL_SS, 0xC0002000), 0);
}

void test_main(void) {
  test_enosys();
  test_xen_version();
  test_console_io();
  test_multicall();
  test_vcpu_sched();
  if (pv_failures == 0)
    pv_puts("xen_hcall: PASS\n");
}
