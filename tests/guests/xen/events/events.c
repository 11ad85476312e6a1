/* tests/guests/xen/events - event channels and time in one domain:
 * VIRQ_TIMER from one-shot (set_timer_op, VCPUOP_set_singleshot_timer) and
 * periodic timers while blocked, interdomain loopback channels, IPI-style
 * self notification, per-port masks and EVTCHNOP_unmask, the
 * evtchn_upcall_mask, SCHEDOP_poll with a timeout, status/close and their
 * errors, a vcpu_info moved by VCPUOP_register_vcpu_info, the wall clock
 * from the CMOS clock and the vcpu time info. */
#include "pv.h"

static uint32_t bind_virq(uint32_t virq) {
  struct evtchn_bind_virq b = {.virq = virq, .vcpu = 0};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b), 0);
  return b.port;
}

static void send(uint32_t port) {
  struct evtchn_send s = {.port = port};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), 0);
}

/* Upper bounds on wake-up times hold in ringlab's emulated time; under
 * QEMU time is the host's, so they are checked only with "exact-time" on
 * our command line. */
static int exact_time;

static void block(void) { HYPERVISOR_sched_op(SCHEDOP_block, NULL); }

static void test_timers(void) {
  uint32_t t = bind_virq(VIRQ_TIMER);
  struct evtchn_status st = {.dom = DOMID_SELF, .port = t};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_status, &st), 0);
  PV_EXPECT(st.status, EVTCHNSTAT_virq);
  PV_EXPECT(st.u.virq, VIRQ_TIMER);
  /* One-shot: block until it fires. */
  uint64_t now = pv_system_time_ns(), deadline = now + 2000000;
  PV_EXPECT(HYPERVISOR_set_timer_op(deadline), 0);
  while (pv_port_count[t] == 0)
    block();
  uint64_t woke = pv_system_time_ns();
  PV_EXPECT(woke >= deadline, 1);
  if (exact_time)
    PV_EXPECT(woke < deadline + 100000, 1); /* within 100 us of the deadline */
  pv_printf("events: one-shot timer: asked %lu ns ahead, woke %lu ns after it\n", (unsigned long)(deadline - now),
            (unsigned long)(woke - deadline));
  /* The singleshot timer of vcpu_op does the same. */
  struct vcpu_set_singleshot_timer ss = {.timeout_abs_ns = pv_system_time_ns() + 1000000, .flags = 0};
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &ss), 0);
  while (pv_port_count[t] == 1)
    block();
  PV_EXPECT(pv_system_time_ns() >= ss.timeout_abs_ns, 1);
  /* Periodic: 5 ticks of 1 ms. */
  struct vcpu_set_periodic_timer per = {.period_ns = 1000000};
  uint64_t start = pv_system_time_ns();
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &per), 0);
  while (pv_port_count[t] < 2 + 5)
    block();
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
  uint64_t took = pv_system_time_ns() - start;
  pv_printf("events: 5 periodic ticks of 1 ms took %lu ns\n", (unsigned long)took);
  PV_EXPECT(took >= 5000000, 1);
  if (exact_time)
    PV_EXPECT(took < 5200000, 1);
  PV_EXPECT(bind_virq(VIRQ_DEBUG) != t, 1);
  struct evtchn_bind_virq again = {.virq = VIRQ_TIMER, .vcpu = 0};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &again), -EEXIST);
  again.virq = NR_VIRQS;
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &again), -EINVAL);
  again.virq = VIRQ_CONSOLE;
  again.vcpu = 1;
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &again), -ENOENT);
}

static void test_channels(void) {
  /* A loopback interdomain channel. */
  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a), 0);
  struct evtchn_status st = {.dom = DOMID_SELF, .port = a.port};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_status, &st), 0);
  PV_EXPECT(st.status, EVTCHNSTAT_unbound);
  struct evtchn_bind_interdomain b = {.remote_dom = DOMID_SELF, .remote_port = a.port};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b), 0);
  PV_EXPECT(pv_port_count[b.local_port], 1); /* binding marks the new end pending */
  send(a.port);
  PV_EXPECT(pv_port_count[b.local_port], 2);
  send(b.local_port);
  PV_EXPECT(pv_port_count[a.port], 1);
  st.port = b.local_port;
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_status, &st), 0);
  PV_EXPECT(st.status, EVTCHNSTAT_interdomain);
  PV_EXPECT(st.u.interdomain.port, a.port);
  /* Binding an end that is not unbound, or of no domain. */
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b), -EINVAL);
  b.remote_dom = 7;
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b), -ESRCH);
  struct evtchn_alloc_unbound other = {.dom = 7, .remote_dom = DOMID_SELF};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &other),
            (pv_si->flags & SIF_PRIVILEGED) ? -ESRCH : -EPERM);

  /* IPI-style: a port that notifies ourselves. */
  struct evtchn_bind_ipi ipi = {.vcpu = 0};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
  uint32_t p = ipi.port;
  send(p);
  PV_EXPECT(pv_port_count[p], 1);

  /* A masked port: pending, but no upcall until EVTCHNOP_unmask. */
  uint32_t up = pv_upcalls;
  pv_shared->evtchn_mask[p / 32] |= 1u << (p % 32);
  send(p);
  PV_EXPECT(pv_upcalls, up);
  PV_EXPECT((pv_shared->evtchn_pending[p / 32] >> (p % 32)) & 1, 1);
  PV_EXPECT(pv_vcpu->evtchn_upcall_pending, 0);
  struct evtchn_unmask um = {.port = p};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &um), 0);
  PV_EXPECT(pv_upcalls, up + 1);
  PV_EXPECT(pv_port_count[p], 2);

  /* evtchn_upcall_mask: pending without an upcall, until unmasked and the
   * next entry into the hypervisor (here a hypercall) returns. */
  pv_vcpu->evtchn_upcall_mask = 1;
  send(p);
  PV_EXPECT(pv_port_count[p], 2);
  PV_EXPECT(pv_vcpu->evtchn_upcall_pending, 1);
  pv_vcpu->evtchn_upcall_mask = 0;
  HYPERVISOR_xen_version(XENVER_version, NULL);
  PV_EXPECT(pv_port_count[p], 3);

  /* Poll: a port not pending with a timeout wakes at the timeout; one
   * already pending returns at once. */
  pv_shared->evtchn_mask[p / 32] |= 1u << (p % 32);
  evtchn_port_t ports[1] = {p};
  uint64_t t0 = pv_system_time_ns();
  struct sched_poll poll = {.nr_ports = 1, .timeout = t0 + 3000000};
  set_xen_guest_handle(poll.ports, ports);
  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_poll, &poll), 0);
  PV_EXPECT(pv_system_time_ns() >= t0 + 3000000, 1);
  send(p);
  t0 = pv_system_time_ns();
  poll.timeout = t0 + 3000000;
  PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_poll, &poll), 0);
  if (exact_time)
    PV_EXPECT(pv_system_time_ns() < t0 + 100000, 1);
  pv_shared->evtchn_pending[p / 32] &= ~(1u << (p % 32));
  pv_shared->evtchn_mask[p / 32] &= ~(1u << (p % 32));

  /* Close: the port is free again; a closed port cannot be sent on. */
  struct evtchn_close c = {.port = p};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_close, &c), 0);
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_close, &c), -EINVAL);
  struct evtchn_send s = {.port = p};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), -EINVAL);
  s.port = 5000;
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), -EINVAL);
  c.port = b.local_port; /* closing one end leaves the other unbound */
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_close, &c), 0);
  st.port = a.port;
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_status, &st), 0);
  PV_EXPECT(st.status, EVTCHNSTAT_unbound);
}

static void test_vcpu_info_move(void) {
  static uint8_t page[4096] __attribute__((aligned(4096)));
  struct vcpu_register_vcpu_info r = {.mfn = pv_virt_to_mfn(page), .offset = 128, .rsvd = 0};
  /* Masked while our handler's pointer still names the old place. */
  pv_vcpu->evtchn_upcall_mask = 1;
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r), 0);
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r), -EINVAL); /* once */
  pv_vcpu = (vcpu_info_t *)(page + 128);
  PV_EXPECT(pv_vcpu->evtchn_upcall_mask, 1); /* copied */
  PV_EXPECT(pv_vcpu->evtchn_upcall_pending, 1); /* Xen's rescan after the move */
  uint32_t up = pv_upcalls;
  pv_vcpu->evtchn_upcall_mask = 0;
  HYPERVISOR_xen_version(XENVER_version, NULL);
  PV_EXPECT(pv_upcalls, up + 1);
  /* Time info and event delivery now through the new place. */
  PV_EXPECT(pv_vcpu->time.tsc_to_system_mul != 0, 1);
  struct evtchn_bind_ipi ipi = {.vcpu = 0};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
  uint32_t before = pv_port_count[ipi.port]; /* a port number used before */
  send(ipi.port);
  PV_EXPECT(pv_port_count[ipi.port], before + 1);
}

static void test_time(void) {
  /* The wall clock at system time 0: ringlab's default CMOS clock is
   * 2000-01-01 00:00:00 (946684800); QEMU's is the host's. */
  uint32_t wc = pv_shared->wc_sec;
  pv_printf("events: wall clock %u s, version %u\n", wc, pv_shared->wc_version);
  PV_EXPECT(wc >= 946684800u, 1);
  PV_EXPECT(pv_shared->wc_version & 1, 0);
  uint64_t a = pv_system_time_ns();
  for (volatile int i = 0; i < 1000; i++)
    ;
  uint64_t b = pv_system_time_ns();
  PV_EXPECT(b > a, 1);
}

void test_main(void) {
  exact_time = strstr((const char *)pv_si->cmd_line, "exact-time") != NULL;
  pv_map_shared_info();
  pv_install_traps();
  pv_vcpu->evtchn_upcall_mask = 0;
  test_time();
  test_timers();
  test_channels();
  test_vcpu_info_move();
  if (pv_failures == 0)
    pv_puts("xen_events: PASS\n");
}
