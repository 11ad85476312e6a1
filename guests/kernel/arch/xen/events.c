/* arch/xen/events.c - event channels in place of interrupts.
 *
 * A PV guest has no interrupt flag of its own (IF is the hypervisor's):
 * the vcpu_info's evtchn_upcall_mask is its "interrupts off", and an event
 * is delivered by an upcall into the event callback (entry.S), which the
 * hypervisor enters with the mask set. The layer's irq_* operations are
 * plain writes of that byte; turning events back on with one pending
 * makes any hypercall so that the hypervisor delivers it on the way back
 * (Linux's force_evtchn_callback). Halting is SCHEDOP_block, which
 * unmasks and sleeps until an event is pending.
 *
 * The upcall (xen_event) does what Linux's evtchn_do_upcall does: clear
 * evtchn_upcall_pending, take the pending-selector word, and for each
 * pending and unmasked port clear its bit and run its handler; again
 * while something new became pending. The timer tick is VIRQ_TIMER from
 * a periodic vcpu timer at HZ; console input would be VIRQ_CONSOLE, which
 * our hypervisor does not raise (it does not take COM1's interrupt), so
 * the idle loop also polls console_io's read before it blocks: typed
 * input reaches a waiting reader within a tick.
 */
#include "xen.h"

#define NR_PORTS (sizeof(xen_shared->evtchn_pending) * 8)

static evtchn_port_t timer_port, console_port; /* 0: none (Xen never allocates port 0) */
static trap_handler_fn timer_fn;
static void (*console_fn)(void);
int xen_console_poll(void);                    /* xen.c */

#define barrier() __asm__ volatile("" ::: "memory")

void xen_events_init(void) {
  long rc = HYPERVISOR_set_callbacks(FLAT_KERNEL_CS, (uint32_t)xen_event_entry, FLAT_KERNEL_CS,
                                     (uint32_t)xen_failsafe_entry);
  if (rc)
    panic("xen: set_callbacks failed with %ld", rc);
}

/* Any hypercall: the hypervisor delivers pending events on its way back.
 * Out of line, so that the usual path of the operations below (nothing
 * pending) stays a few instructions. */
static __attribute__((noinline)) void force_upcall(void) { HYPERVISOR_xen_version(XENVER_version, NULL); }

void xen_irq_disable(void) {
  xen_vcpu->evtchn_upcall_mask = 1;
  barrier();
}

void xen_irq_enable(void) {
  barrier();
  xen_vcpu->evtchn_upcall_mask = 0;
  barrier(); /* unmask, then look: an event set in between is not lost */
  if (xen_vcpu->evtchn_upcall_pending)
    force_upcall();
}

unsigned long xen_irq_save(void) {
  unsigned long f = xen_vcpu->evtchn_upcall_mask;
  xen_vcpu->evtchn_upcall_mask = 1;
  barrier();
  return f;
}

void xen_irq_restore(unsigned long f) {
  barrier();
  xen_vcpu->evtchn_upcall_mask = (uint8_t)f;
  barrier();
  if (!f && xen_vcpu->evtchn_upcall_pending)
    force_upcall();
}

void xen_safe_halt(void) {
  if (console_fn && xen_console_poll()) { /* what a console interrupt would have done */
    console_fn();
    xen_irq_enable();
    return;
  }
  HYPERVISOR_sched_op(SCHEDOP_block, NULL); /* unmasks; returns once an event is pending */
}

static evtchn_port_t bind_virq(uint32_t virq) {
  struct evtchn_bind_virq b = {.virq = virq, .vcpu = 0};
  long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b);
  if (rc)
    panic("xen: binding VIRQ %u failed with %ld", virq, rc);
  return b.port;
}

void xen_timer_start(unsigned hz, trap_handler_fn tick) {
  timer_fn = tick;
  timer_port = bind_virq(VIRQ_TIMER);
  struct vcpu_set_periodic_timer p = {.period_ns = 1000000000ull / hz};
  long rc = HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &p);
  if (rc)
    panic("xen: the periodic timer (%u Hz) failed with %ld", hz, rc);
}

void xen_console_rx_start(void (*rx)(void)) {
  console_fn = rx;
  console_port = bind_virq(VIRQ_CONSOLE);
}

static void dispatch(evtchn_port_t port, struct trapframe *tf) {
  if (port == timer_port && timer_fn)
    timer_fn(tf);
  else if (port == console_port && console_fn)
    console_fn();
}

void xen_event(struct trapframe *tf) {
  vcpu_info_t *v = xen_vcpu;
  do {
    v->evtchn_upcall_pending = 0;
    barrier();
    uint32_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
      uint32_t w = (uint32_t)__builtin_ctz(sel);
      sel &= sel - 1;
      uint32_t bits = xen_shared->evtchn_pending[w] & ~xen_shared->evtchn_mask[w];
      while (bits) {
        uint32_t b = (uint32_t)__builtin_ctz(bits);
        bits &= bits - 1;
        __atomic_fetch_and(&xen_shared->evtchn_pending[w], ~(1ul << b), __ATOMIC_SEQ_CST);
        uint32_t port = w * 32 + b;
        if (port < NR_PORTS)
          dispatch(port, tf);
      }
    }
    barrier();
  } while (v->evtchn_upcall_pending);
  if (tf_from_user(tf)) {
    kern_exit_to_user(tf);
    xen_sync_kernel_stack();
  }
}
