/* hv/sched.c - which domain runs: Borrowed Virtual Time (Duda and
 * Cheriton, SOSP 1999; the Xen paper's scheduler) or round robin
 * (sched=rr), the idle loop that halts, the switch itself, and the end of
 * domains and of the run.
 *
 * BVT: each domain has an actual virtual time (avt) that advances by its
 * run time divided by its weight (hv.weight=, default 1), and runs the
 * domain with the smallest effective virtual time, evt = avt - warp while
 * it is warped. A domain woken from blocking is first brought up to the
 * smallest avt of the others (it cannot bank the time it slept), and, if
 * it has a warp (hv.warp= microseconds of virtual time, hv.warpl= limit
 * of one warped run, hv.warpu= unwarped time after that), runs warped: it
 * preempts the others at once, which is BVT's low wake-up latency. The
 * running domain keeps the CPU until its evt passes the next one's by the
 * context-switch allowance (ctx_allow=, 5000 us of virtual time).
 * Round robin gives each runnable domain 10 ms in turn.
 *
 * The verdict (port 0xF4) when the last domain is gone: 0 if every domain
 * shut down with SHUTDOWN_poweroff, 8 if any was destroyed (crashed into
 * the hypervisor, or its bounce could not be built), otherwise 1 + the
 * first other shutdown reason (reboot 2, suspend 3, crash 4, watchdog 5,
 * soft_reset 6, anything larger 7).
 */
#include "domain.h"

#include <xen/sched.h>

#define RR_SLICE_NS 10000000ull
#define MIN_SLICE_NS 100000ull
#define VT_SCALE 1024 /* virtual time = ns * VT_SCALE / weight */

struct hv_domain *hv_current;
int hv_need_resched;
extern uint64_t hv_slice_end_ns;
extern hv_pte_t hv_idle_l3[];
static uint64_t run_start_ns;
static int first_verdict_reason = -1;
static int any_destroyed;

static int runnable(struct hv_domain *d) {
  return d->exists && !d->destroyed && d->shutdown_reason < 0 && hv_vcpu(d)->state == VCPU_RUNNABLE;
}

static int alive(struct hv_domain *d) { return d->exists && !d->destroyed && d->shutdown_reason < 0; }

static int64_t evt(struct hv_domain *d, uint64_t now) {
  int64_t e = d->avt;
  if (d->warp_enabled && d->warp_us) {
    if (!d->warp_limit_us || now - d->warp_start_ns < (uint64_t)d->warp_limit_us * 1000)
      e -= (int64_t)d->warp_us * 1000 * VT_SCALE;
  }
  return e;
}

/* Accounts the running domain's time since it was put on the CPU. */
static void account(uint64_t now) {
  struct hv_domain *d = hv_current;
  if (!d || !run_start_ns)
    return;
  uint64_t ran = now - run_start_ns;
  hv_vcpu(d)->runtime_ns += ran;
  d->avt += (int64_t)(ran * VT_SCALE / d->weight);
  if (d->warp_enabled && d->warp_limit_us && now - d->warp_start_ns >= (uint64_t)d->warp_limit_us * 1000) {
    d->warp_enabled = 0; /* warped long enough: unwarp for warpu */
    d->unwarp_until_ns = now + (uint64_t)d->unwarp_us * 1000;
  }
  run_start_ns = now;
}

static struct hv_domain *pick(uint64_t now, uint64_t *slice) {
  struct hv_domain *best = NULL, *second = NULL;
  if (hv_opts.sched == HV_SCHED_RR) {
    uint32_t start = hv_current ? (uint32_t)(hv_current - hv_domains) + 1 : 0;
    for (uint32_t k = 0; k < hv_n_domains; k++) {
      struct hv_domain *d = &hv_domains[(start + k) % hv_n_domains];
      if (runnable(d)) {
        *slice = RR_SLICE_NS;
        return d;
      }
    }
    return NULL;
  }
  for (uint32_t k = 0; k < hv_n_domains; k++) {
    struct hv_domain *d = &hv_domains[k];
    if (!runnable(d))
      continue;
    if (!best || evt(d, now) < evt(best, now)) {
      second = best;
      best = d;
    } else if (!second || evt(d, now) < evt(second, now)) {
      second = d;
    }
  }
  if (!best)
    return NULL;
  if (!second) {
    *slice = 0; /* alone: run until something wakes */
    return best;
  }
  int64_t lead = evt(second, now) - evt(best, now) + (int64_t)hv_opts.bvt_ctx_allow_us * 1000 * VT_SCALE;
  uint64_t ns = lead > 0 ? (uint64_t)lead * best->weight / VT_SCALE : 0;
  *slice = ns < MIN_SLICE_NS ? MIN_SLICE_NS : ns;
  return best;
}

static void finish_run(void) __attribute__((noreturn));
static void finish_run(void) {
  uint32_t v;
  if (any_destroyed)
    v = HV_VERDICT_DESTROYED;
  else if (first_verdict_reason < 0)
    v = HV_VERDICT_POWEROFF;
  else
    v = first_verdict_reason > 5 ? 7 : 1 + (uint32_t)first_verdict_reason;
  hv_printf("(XEN) all domains are gone: verdict %u\n", v);
  hv_halt_machine(v);
}

static void any_left_or_finish(void) {
  for (uint32_t k = 0; k < hv_n_domains; k++)
    if (alive(&hv_domains[k]))
      return;
  finish_run();
}

/* Makes d the running domain: its page tables, descriptor tables, ring-1
 * stack, direct system-call gate and virtual CR0.TS. */
void hv_context_load(struct hv_domain *d) {
  struct hv_vcpu *v = hv_vcpu(d);
  hv_load_guest_cr3(v);
  hv_tss_set_ring1_stack(v->kernel_ss, v->kernel_sp);
  hv_update_direct_trap(d);
  hv_load_ldt(v->ldt_mapped ? v->ldt_ents : 0);
  (void)v; /* CR0.TS is set: the domain's first FPU use takes the FPU (traps.c) */
  hv_time_fill_vcpu(d);
}

static char switch_note[40];

void hv_schedule(void) {
  struct hv_frame *g = hv_guest_frame();
  uint64_t now = hv_now_ns(), slice = 0;
  hv_need_resched = 0;
  account(now);
  struct hv_domain *next;
  while (!(next = pick(now, &slice))) {
    any_left_or_finish();
    /* Idle: nothing runnable. Halt with interrupts on until a timer or
     * event makes a domain runnable. */
    if (hv_current && !alive(hv_current))
      hv_current = NULL;
    hv_slice_end_ns = 0;
    hv_timer_reprogram();
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    now = hv_now_ns();
    run_start_ns = 0;
  }
  if (next != hv_current) {
    struct hv_domain *prev = hv_current;
    if (prev && alive(prev)) {
      hv_vcpu(prev)->regs = *g;
      hv_fpu_save(prev);
    } else {
      extern void hv_fpu_stts(void);
      hv_fpu_stts();
    }
    *g = hv_vcpu(next)->regs;
    hv_current = next;
    hv_context_load(next);
    hv_mark_event(HV_EV_DOMAIN_SWITCH, next->id, prev ? prev->id : 0xFFFFFFFFu, 0); /* ~0: the idle loop */
    snprintf(switch_note, sizeof switch_note, "domain %u runs", next->id);
    hv_annotate(switch_note);
  }
  run_start_ns = now;
  hv_slice_end_ns = slice ? now + slice : 0;
  hv_timer_reprogram();
}

void hv_sched_start(void) {
  hv_printf("(XEN) scheduler: %s; starting %u domain%s\n", hv_opts.sched == HV_SCHED_RR ? "round robin" : "BVT",
            hv_n_domains, hv_n_domains == 1 ? "" : "s");
  for (uint32_t k = 0; k < hv_n_domains; k++)
    hv_time_fill_wallclock(&hv_domains[k]);
  hv_current = NULL;
  hv_schedule();
  hv_resume_frame(hv_guest_frame());
}

void hv_vcpu_wake(struct hv_domain *d) {
  struct hv_vcpu *v = hv_vcpu(d);
  if (!alive(d) || (v->state != VCPU_BLOCKED && v->state != VCPU_POLLING))
    return;
  v->state = VCPU_RUNNABLE;
  uint64_t now = hv_now_ns();
  account(now); /* the running domain's virtual time up to now */
  /* BVT: no credit for the time asleep (avt at least the smallest of the
   * runnable), then warp if it may. */
  int64_t svt = d->avt;
  int have = 0;
  for (uint32_t k = 0; k < hv_n_domains; k++) {
    struct hv_domain *o = &hv_domains[k];
    if (o != d && runnable(o) && (!have || o->avt < svt)) {
      svt = o->avt;
      have = 1;
    }
  }
  if (have && d->avt < svt)
    d->avt = svt;
  if (d->warp_us && now >= d->unwarp_until_ns) {
    d->warp_enabled = 1;
    d->warp_start_ns = now;
  }
  /* Preempt the running domain only if BVT lets the woken one in: its
   * effective virtual time is below the runner's by more than the
   * context-switch allowance (a warp larger than the allowance does
   * that at once). Round robin waits for the slice to end; an idle CPU
   * takes it at once. */
  struct hv_domain *c = hv_current;
  if (d == c)
    return;
  if (!c || !runnable(c))
    hv_need_resched = 1;
  else if (hv_opts.sched == HV_SCHED_BVT) {
    int64_t lead = evt(d, now) + (int64_t)hv_opts.bvt_ctx_allow_us * 1000 * VT_SCALE - evt(c, now);
    if (lead < 0) {
      hv_need_resched = 1;
    } else {
      /* The runner keeps the CPU until its evt passes the woken one's by
       * the allowance. */
      uint64_t end = now + (uint64_t)lead * c->weight / VT_SCALE;
      if (end < now + MIN_SLICE_NS)
        end = now + MIN_SLICE_NS;
      if (!hv_slice_end_ns || end < hv_slice_end_ns) {
        hv_slice_end_ns = end;
        hv_timer_reprogram();
      }
    }
  }
}

/* A vcpu's run time so far, the current run included. */
uint64_t hv_vcpu_runtime_ns(struct hv_domain *d) {
  uint64_t t = hv_vcpu(d)->runtime_ns;
  if (d == hv_current && run_start_ns)
    t += hv_now_ns() - run_start_ns;
  return t;
}

void hv_sched_yield(void) { hv_need_resched = 1; }

void hv_sched_block(void) {
  struct hv_domain *d = hv_current;
  hv_vcpu(d)->state = VCPU_BLOCKED;
  hv_need_resched = 1;
}

static void note_end(struct hv_domain *d) {
  if (d == hv_current) {
    hv_write_cr3(hv_virt_to_phys(hv_idle_l3)); /* off its page tables before they go */
    hv_current = NULL;
    run_start_ns = 0;
  }
  hv_console_flush(d);
  hv_evtchn_close_all(d);
  hv_domain_relinquish(d);
  hv_need_resched = 1;
}

void hv_domain_shutdown(struct hv_domain *d, int reason) {
  if (!alive(d))
    return;
  static const char *const names[] = {"poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset"};
  hv_printf("(XEN) domain %u shut down: %s\n", d->id, reason >= 0 && reason <= 5 ? names[reason] : "unknown reason");
  d->shutdown_reason = reason;
  if (reason != SHUTDOWN_poweroff && first_verdict_reason < 0)
    first_verdict_reason = reason;
  note_end(d);
}

void hv_domain_crash(struct hv_domain *d, const char *fmt, ...) {
  if (!alive(d))
    return;
  va_list ap;
  va_start(ap, fmt);
  hv_printf("(XEN) domain %u crashed: ", d->id);
  hv_vprintf(fmt, ap);
  hv_printf("; destroyed\n");
  va_end(ap);
  d->destroyed = 1;
  any_destroyed = 1;
  note_end(d);
}
