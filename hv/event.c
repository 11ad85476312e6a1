/* hv/event.c - event channels (Xen's two-level ABI): ports with pending
 * and mask bits in the shared info page, the per-vcpu selector and
 * evtchn_upcall_pending, and event_channel_op.
 *
 * Setting a port pending (evtchn_set_pending in Xen): if its pending bit
 * was clear and its mask bit is clear, the selector bit for its word is
 * set, and if that was clear, evtchn_upcall_pending is set; a blocked vcpu
 * wakes, a polling vcpu wakes if it polls that port. The upcall itself is
 * made on the way back to the guest (traps.c, hv_check_events) when
 * evtchn_upcall_mask is clear. Ports the hypervisor itself serves (a
 * domain's console ring and store) are ECS_XEN: a send on them runs the
 * service.
 */
#include "domain.h"

static inline int test_bit(const xen_ulong_t *w, uint32_t b) { return (w[b / 32] >> (b % 32)) & 1; }
static inline int test_and_set(xen_ulong_t *w, uint32_t b) {
  int old = test_bit(w, b);
  w[b / 32] |= 1u << (b % 32);
  return old;
}

void hv_evtchn_init(struct hv_domain *d) {
  memset(d->evtchn, 0, sizeof d->evtchn);
  for (uint32_t k = 0; k < NR_VIRQS; k++)
    d->virq_port[k] = 0;
}

static int alloc_port(struct hv_domain *d) {
  for (uint32_t p = 1; p < HV_NR_EVTCHN; p++)
    if (d->evtchn[p].state == ECS_FREE)
      return (int)p;
  return -ENOSPC;
}

int hv_evtchn_alloc_xen(struct hv_domain *d, int service) {
  int p = alloc_port(d);
  if (p > 0) {
    d->evtchn[p].state = ECS_XEN;
    d->evtchn[p].xen_service = (uint8_t)service;
  }
  return p;
}

void hv_evtchn_set_pending(struct hv_domain *d, uint32_t port) {
  shared_info_t *s = d->shared;
  struct hv_vcpu *v = hv_vcpu(d);
  if (test_and_set(s->evtchn_pending, port))
    return;
  if (!test_bit(s->evtchn_mask, port) && !test_and_set(&v->info->evtchn_pending_sel, port / 32)) {
    v->info->evtchn_upcall_pending = 1;
    if (v->state == VCPU_BLOCKED)
      hv_vcpu_wake(d);
  }
  if (v->state == VCPU_POLLING)
    for (uint32_t k = 0; k < v->n_poll; k++)
      if (v->poll_ports[k] == port) {
        hv_vcpu_wake(d);
        break;
      }
}

int hv_evtchn_is_pending_unmasked(struct hv_domain *d, uint32_t port) {
  return test_bit(d->shared->evtchn_pending, port) && !test_bit(d->shared->evtchn_mask, port);
}

void hv_send_virq(struct hv_domain *d, uint32_t virq) {
  if (virq < NR_VIRQS && d->virq_port[virq])
    hv_evtchn_set_pending(d, (uint32_t)d->virq_port[virq]);
}

static void close_port(struct hv_domain *d, uint32_t port) {
  struct hv_evtchn *c = &d->evtchn[port];
  if (c->state == ECS_VIRQ)
    d->virq_port[c->virq] = 0;
  if (c->state == ECS_INTERDOMAIN) {
    struct hv_domain *r = hv_domain_by_id(c->remote_dom);
    if (r && r->evtchn[c->remote_port].state == ECS_INTERDOMAIN && r->evtchn[c->remote_port].remote_dom == d->id &&
        r->evtchn[c->remote_port].remote_port == port) {
      r->evtchn[c->remote_port].state = ECS_UNBOUND; /* the other end waits for a new peer */
      r->evtchn[c->remote_port].remote_dom = d->id;
    }
  }
  memset(c, 0, sizeof *c);
}

void hv_evtchn_close_all(struct hv_domain *d) {
  for (uint32_t p = 1; p < HV_NR_EVTCHN; p++)
    if (d->evtchn[p].state != ECS_FREE)
      close_port(d, p);
}

static struct hv_domain *resolve(domid_t id) {
  if (id == DOMID_SELF)
    return hv_current;
  return hv_domain_by_id(id);
}

long hv_do_event_channel_op(uint32_t cmd, uint32_t arg) {
  struct hv_domain *d = hv_current;
  switch (cmd) {
  case EVTCHNOP_alloc_unbound: {
    struct evtchn_alloc_unbound a;
    if (hv_copy_from_guest(&a, arg, sizeof a))
      return -EFAULT;
    struct hv_domain *owner = resolve(a.dom);
    if (a.dom != DOMID_SELF && a.dom != d->id && !d->privileged)
      return -EPERM;
    if (!owner)
      return -ESRCH;
    int p = alloc_port(owner);
    if (p < 0)
      return p;
    owner->evtchn[p].state = ECS_UNBOUND;
    owner->evtchn[p].remote_dom = a.remote_dom == DOMID_SELF ? d->id : a.remote_dom;
    a.port = (evtchn_port_t)p;
    return hv_copy_to_guest(arg, &a, sizeof a) ? -EFAULT : 0;
  }
  case EVTCHNOP_bind_interdomain: {
    struct evtchn_bind_interdomain b;
    if (hv_copy_from_guest(&b, arg, sizeof b))
      return -EFAULT;
    struct hv_domain *r = resolve(b.remote_dom);
    if (!r)
      return -ESRCH;
    if (b.remote_port == 0 || b.remote_port >= HV_NR_EVTCHN)
      return -EINVAL;
    struct hv_evtchn *rc = &r->evtchn[b.remote_port];
    if (rc->state != ECS_UNBOUND || rc->remote_dom != d->id)
      return -EINVAL;
    int p = alloc_port(d);
    if (p < 0)
      return p;
    if (r == d && (uint32_t)p == b.remote_port)
      return -EINVAL;
    d->evtchn[p].state = ECS_INTERDOMAIN;
    d->evtchn[p].remote_dom = r->id;
    d->evtchn[p].remote_port = (uint16_t)b.remote_port;
    rc->state = ECS_INTERDOMAIN;
    rc->remote_dom = d->id;
    rc->remote_port = (uint16_t)p;
    /* Xen: the local end is made pending so the binder checks the ring. */
    hv_evtchn_set_pending(d, (uint32_t)p);
    b.local_port = (evtchn_port_t)p;
    return hv_copy_to_guest(arg, &b, sizeof b) ? -EFAULT : 0;
  }
  case EVTCHNOP_bind_virq: {
    struct evtchn_bind_virq b;
    if (hv_copy_from_guest(&b, arg, sizeof b))
      return -EFAULT;
    if (b.virq >= NR_VIRQS)
      return -EINVAL;
    if (b.vcpu != 0)
      return -ENOENT;
    if (d->virq_port[b.virq])
      return -EEXIST;
    int p = alloc_port(d);
    if (p < 0)
      return p;
    d->evtchn[p].state = ECS_VIRQ;
    d->evtchn[p].virq = (uint8_t)b.virq;
    d->virq_port[b.virq] = p;
    b.port = (evtchn_port_t)p;
    return hv_copy_to_guest(arg, &b, sizeof b) ? -EFAULT : 0;
  }
  case EVTCHNOP_bind_ipi: {
    struct evtchn_bind_ipi b;
    if (hv_copy_from_guest(&b, arg, sizeof b))
      return -EFAULT;
    if (b.vcpu != 0)
      return -ENOENT;
    int p = alloc_port(d);
    if (p < 0)
      return p;
    d->evtchn[p].state = ECS_IPI;
    b.port = (evtchn_port_t)p;
    return hv_copy_to_guest(arg, &b, sizeof b) ? -EFAULT : 0;
  }
  case EVTCHNOP_close: {
    struct evtchn_close c;
    if (hv_copy_from_guest(&c, arg, sizeof c))
      return -EFAULT;
    if (c.port == 0 || c.port >= HV_NR_EVTCHN)
      return -EINVAL;
    if (d->evtchn[c.port].state == ECS_FREE || d->evtchn[c.port].state == ECS_XEN)
      return -EINVAL;
    close_port(d, c.port);
    return 0;
  }
  case EVTCHNOP_send: {
    struct evtchn_send s;
    if (hv_copy_from_guest(&s, arg, sizeof s))
      return -EFAULT;
    if (s.port == 0 || s.port >= HV_NR_EVTCHN)
      return -EINVAL;
    struct hv_evtchn *c = &d->evtchn[s.port];
    switch (c->state) {
    case ECS_INTERDOMAIN: {
      struct hv_domain *r = hv_domain_by_id(c->remote_dom);
      if (r)
        hv_evtchn_set_pending(r, c->remote_port);
      return 0;
    }
    case ECS_IPI:
      hv_evtchn_set_pending(d, s.port);
      return 0;
    case ECS_UNBOUND:
      return 0; /* nobody listens yet: dropped, as Xen */
    case ECS_XEN:
      if (c->xen_service == HV_XEN_SVC_CONSOLE)
        hv_console_ring_service(d);
      else if (c->xen_service == HV_XEN_SVC_STORE)
        hv_store_service(d);
      return 0;
    default:
      return -EINVAL;
    }
  }
  case EVTCHNOP_status: {
    struct evtchn_status st;
    if (hv_copy_from_guest(&st, arg, sizeof st))
      return -EFAULT;
    struct hv_domain *t = resolve(st.dom);
    if (st.dom != DOMID_SELF && st.dom != d->id && !d->privileged)
      return -EPERM;
    if (!t)
      return -ESRCH;
    if (st.port >= HV_NR_EVTCHN)
      return -EINVAL;
    struct hv_evtchn *c = &t->evtchn[st.port];
    memset(&st.u, 0, sizeof st.u);
    st.vcpu = 0;
    switch (c->state) {
    case ECS_FREE: st.status = EVTCHNSTAT_closed; break;
    case ECS_UNBOUND: st.status = EVTCHNSTAT_unbound; st.u.unbound.dom = c->remote_dom; break;
    case ECS_INTERDOMAIN:
      st.status = EVTCHNSTAT_interdomain;
      st.u.interdomain.dom = c->remote_dom;
      st.u.interdomain.port = c->remote_port;
      break;
    case ECS_VIRQ: st.status = EVTCHNSTAT_virq; st.u.virq = c->virq; break;
    case ECS_IPI: st.status = EVTCHNSTAT_ipi; break;
    default: /* a port the hypervisor serves: an interdomain channel to it */
      st.status = EVTCHNSTAT_interdomain;
      st.u.interdomain.dom = DOMID_XEN;
      break;
    }
    return hv_copy_to_guest(arg, &st, sizeof st) ? -EFAULT : 0;
  }
  case EVTCHNOP_bind_vcpu: {
    struct evtchn_bind_vcpu b;
    if (hv_copy_from_guest(&b, arg, sizeof b))
      return -EFAULT;
    if (b.port == 0 || b.port >= HV_NR_EVTCHN || d->evtchn[b.port].state == ECS_FREE)
      return -EINVAL;
    return b.vcpu == 0 ? 0 : -ENOENT;
  }
  case EVTCHNOP_unmask: {
    struct evtchn_unmask u;
    if (hv_copy_from_guest(&u, arg, sizeof u))
      return -EFAULT;
    if (u.port >= HV_NR_EVTCHN)
      return -EINVAL;
    shared_info_t *s = d->shared;
    struct hv_vcpu *v = hv_vcpu(d);
    s->evtchn_mask[u.port / 32] &= ~(1u << (u.port % 32));
    /* A pending port becomes visible to the upcall now. */
    if (test_bit(s->evtchn_pending, u.port) && !test_and_set(&v->info->evtchn_pending_sel, u.port / 32))
      v->info->evtchn_upcall_pending = 1;
    return 0;
  }
  case EVTCHNOP_reset: {
    struct evtchn_reset r;
    if (hv_copy_from_guest(&r, arg, sizeof r))
      return -EFAULT;
    if (r.dom != DOMID_SELF && r.dom != d->id)
      return -EPERM;
    for (uint32_t p = 1; p < HV_NR_EVTCHN; p++)
      if (d->evtchn[p].state != ECS_FREE && d->evtchn[p].state != ECS_XEN)
        close_port(d, p);
    return 0;
  }
  default:
    return -ENOSYS;
  }
}
