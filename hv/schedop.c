/* hv/schedop.c - the hypercalls of scheduling and time: sched_op (yield,
 * block, shutdown, poll, shutdown_code), the old sched_op_compat,
 * set_timer_op and vcpu_op (running state, timers, runstate, vcpu_info
 * registration). One virtual CPU per domain: vcpu 0. */
#include "domain.h"

#include <xen/sched.h>
#include <xen/vcpu.h>

static long block(struct hv_domain *d) {
  struct hv_vcpu *v = hv_vcpu(d);
  v->info->evtchn_upcall_mask = 0; /* Xen: blocking enables event delivery */
  if (v->info->evtchn_upcall_pending)
    return 0;
  hv_sched_block();
  return 0;
}

static long poll(struct hv_domain *d, uint32_t arg) {
  struct sched_poll p;
  struct hv_vcpu *v = hv_vcpu(d);
  if (hv_copy_from_guest(&p, arg, sizeof p))
    return -EFAULT;
  if (p.nr_ports > 128)
    return -EINVAL;
  uint32_t ports = (uint32_t)p.ports.p;
  if (!hv_guest_range_ok(ports, p.nr_ports * 4))
    return -EFAULT;
  v->n_poll = 0;
  for (uint32_t i = 0; i < p.nr_ports; i++) {
    evtchn_port_t port;
    if (hv_copy_from_guest(&port, ports + i * 4, 4))
      return -EFAULT;
    if (port >= HV_NR_EVTCHN)
      return -EINVAL;
    if (d->shared->evtchn_pending[port / 32] & (1u << (port % 32)))
      return 0;
    if (v->n_poll < 8)
      v->poll_ports[v->n_poll++] = port;
  }
  v->poll_timeout_ns = p.timeout;
  if (p.timeout && p.timeout <= hv_now_ns())
    return 0;
  v->state = VCPU_POLLING;
  hv_need_resched = 1;
  hv_timer_reprogram();
  return 0;
}

long hv_do_sched_op(uint32_t cmd, uint32_t arg) {
  struct hv_domain *d = hv_current;
  switch (cmd) {
  case SCHEDOP_yield:
    hv_sched_yield();
    return 0;
  case SCHEDOP_block:
    return block(d);
  case SCHEDOP_shutdown: {
    struct sched_shutdown s;
    if (hv_copy_from_guest(&s, arg, sizeof s))
      return -EFAULT;
    hv_domain_shutdown(d, (int)(s.reason & 0xFF));
    return 0;
  }
  case SCHEDOP_poll:
    return poll(d, arg);
  case SCHEDOP_shutdown_code: {
    struct sched_shutdown s;
    if (hv_copy_from_guest(&s, arg, sizeof s))
      return -EFAULT;
    return 0; /* the code a later crash would report: nothing to keep without a toolstack */
  }
  case SCHEDOP_remote_shutdown: {
    struct sched_remote_shutdown r;
    if (!d->privileged)
      return -EPERM;
    if (hv_copy_from_guest(&r, arg, sizeof r))
      return -EFAULT;
    struct hv_domain *t = hv_domain_by_id(r.domain_id);
    if (!t)
      return -ESRCH;
    hv_domain_shutdown(t, (int)(r.reason & 0xFF));
    return 0;
  }
  default:
    return -ENOSYS;
  }
}

long hv_do_sched_op_compat(uint32_t cmd, uint32_t arg) {
  switch (cmd) {
  case SCHEDOP_yield:
    hv_sched_yield();
    return 0;
  case SCHEDOP_block:
    return block(hv_current);
  case SCHEDOP_shutdown:
    hv_domain_shutdown(hv_current, (int)(arg & 0xFF));
    return 0;
  default:
    return -ENOSYS;
  }
}

/* Xen's guard against wrapped or absurd deadlines: 100 ms from now. */
static uint64_t sane_deadline(int64_t t) {
  uint64_t now = hv_now_ns();
  if (t < 0 || (uint64_t)t - now >= (1ull << 50))
    return now + 100000000ull;
  return (uint64_t)t;
}

long hv_do_set_timer_op(uint32_t lo, uint32_t hi) {
  struct hv_vcpu *v = hv_vcpu(hv_current);
  int64_t t = (int64_t)(((uint64_t)hi << 32) | lo);
  v->timer_deadline_ns = t == 0 ? 0 : sane_deadline(t);
  if (v->timer_deadline_ns == 0 && t != 0)
    v->timer_deadline_ns = 1;
  hv_timer_reprogram();
  return 0;
}

long hv_do_vcpu_op(uint32_t cmd, uint32_t vcpuid, uint32_t arg) {
  struct hv_domain *d = hv_current;
  struct hv_vcpu *v = hv_vcpu(d);
  if (vcpuid >= XEN_LEGACY_MAX_VCPUS)
    return -EINVAL;
  if (vcpuid != 0)
    return -ENOENT;
  switch (cmd) {
  case VCPUOP_initialise:
    return -EEXIST; /* vcpu 0 is running */
  case VCPUOP_up:
    return 0;
  case VCPUOP_down:
    return -EBUSY; /* the only vcpu: Xen would sleep it for good; we refuse */
  case VCPUOP_is_up:
    return v->up;
  case VCPUOP_get_runstate_info: {
    struct vcpu_runstate_info r;
    memset(&r, 0, sizeof r);
    r.state = RUNSTATE_running;
    r.state_entry_time = hv_now_ns();
    extern uint64_t hv_vcpu_runtime_ns(struct hv_domain *);
    r.time[RUNSTATE_running] = hv_vcpu_runtime_ns(d);
    return hv_copy_to_guest(arg, &r, sizeof r) ? -EFAULT : 0;
  }
  case VCPUOP_set_periodic_timer: {
    struct vcpu_set_periodic_timer p;
    if (hv_copy_from_guest(&p, arg, sizeof p))
      return -EFAULT;
    if (p.period_ns < 1000000ull || p.period_ns > (~0ull >> 2)) /* Xen: at least 1 ms, at most STIME_DELTA_MAX */
      return -EINVAL;
    v->periodic_ns = p.period_ns;
    v->periodic_next_ns = hv_now_ns() + p.period_ns;
    hv_timer_reprogram();
    return 0;
  }
  case VCPUOP_stop_periodic_timer:
    v->periodic_ns = 0;
    return 0;
  case VCPUOP_set_singleshot_timer: {
    struct vcpu_set_singleshot_timer s;
    if (hv_copy_from_guest(&s, arg, sizeof s))
      return -EFAULT;
    if ((s.flags & VCPU_SSHOTTMR_future) && s.timeout_abs_ns < hv_now_ns())
      return -ETIME;
    v->timer_deadline_ns = s.timeout_abs_ns ? s.timeout_abs_ns : 1;
    hv_timer_reprogram();
    return 0;
  }
  case VCPUOP_stop_singleshot_timer:
    v->timer_deadline_ns = 0;
    return 0;
  case VCPUOP_register_vcpu_info: {
    struct vcpu_register_vcpu_info r;
    if (hv_copy_from_guest(&r, arg, sizeof r))
      return -EFAULT;
    if (r.offset > HV_PAGE_SIZE - sizeof(vcpu_info_t) || r.rsvd)
      return -EINVAL;
    if (v->info_mfn)
      return -EINVAL; /* already moved */
    uint32_t mfn = hv_gmfn_to_mfn(d, (uint32_t)r.mfn);
    if ((uint64_t)mfn != r.mfn || !hv_get_page_and_type(mfn, d, HV_PGT_WRITABLE))
      return -EINVAL;
    vcpu_info_t *n = (vcpu_info_t *)((uint8_t *)hv_mfn_to_virt(mfn) + r.offset);
    memcpy(n, v->info, sizeof *n);
    /* Xen marks everything pending so nothing is lost in the move: the
     * guest gets one spurious upcall and rescans. */
    n->evtchn_pending_sel = ~0u;
    n->evtchn_upcall_pending = 1;
    v->info = n;
    v->info_mfn = mfn;
    v->info_offset = r.offset;
    hv_time_fill_vcpu(d);
    return 0;
  }
  default:
    return -ENOSYS;
  }
}
