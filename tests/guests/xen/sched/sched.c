/* tests/guests/xen/sched - the scheduler seen from its domains. One image,
 * two roles chosen on the command line:
 *
 *   spin UNTIL_MS SHARE_PCT TOL_PCT   burn the CPU until system time
 *       UNTIL_MS, then check that this domain ran SHARE_PCT (+- TOL_PCT)
 *       of the time since it started (VCPUOP_get_runstate_info): BVT
 *       shares follow the weights (hv.weight=), round robin splits evenly.
 *   lat N PERIOD_US low|high         N times: block until a one-shot timer
 *       PERIOD_US ahead and measure how late it ran; "low": every wake-up
 *       within 200 us (a warped BVT domain preempts a spinning one at
 *       once), "high": the median later than 1 ms (no warp: the spinner
 *       keeps its context-switch allowance; round robin: its slice).
 */
#include "pv.h"

static uint32_t arg(const char **p) {
  while (**p == ' ')
    (*p)++;
  char *end;
  uint32_t v = (uint32_t)strtoul(*p, &end, 10);
  *p = end;
  return v;
}

static uint64_t runtime_ns(void) {
  struct vcpu_runstate_info r;
  PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &r), 0);
  return r.time[RUNSTATE_running];
}

static void spin(const char *p) {
  uint32_t until_ms = arg(&p), share = arg(&p), tol = arg(&p);
  uint64_t start = pv_system_time_ns(), run0 = runtime_ns(), until = (uint64_t)until_ms * 1000000;
  uint64_t iters = 0;
  while (pv_system_time_ns() < until)
    iters++;
  uint64_t elapsed = pv_system_time_ns() - start, ran = runtime_ns() - run0;
  uint32_t pct = (uint32_t)(ran * 100 / elapsed);
  pv_printf("sched: spun %lu ms, ran %lu ms: %u%% of the CPU (want %u +- %u)\n", (unsigned long)(elapsed / 1000000),
            (unsigned long)(ran / 1000000), pct, share, tol);
  PV_EXPECT(pct + tol >= share && pct <= share + tol, 1);
}

static void lat(const char *p) {
  uint32_t n = arg(&p), period_us = arg(&p);
  while (*p == ' ')
    p++;
  int low = strncmp(p, "low", 3) == 0;
  struct evtchn_bind_virq b = {.virq = VIRQ_TIMER, .vcpu = 0};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b), 0);
  uint64_t lat[64];
  if (n > 64)
    n = 64;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t seen = pv_port_count[b.port];
    uint64_t deadline = pv_system_time_ns() + (uint64_t)period_us * 1000;
    PV_EXPECT(HYPERVISOR_set_timer_op(deadline), 0);
    while (pv_port_count[b.port] == seen)
      HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    lat[k] = pv_system_time_ns() - deadline;
  }
  /* sort for the median and the maximum */
  for (uint32_t i = 1; i < n; i++)
    for (uint32_t j = i; j > 0 && lat[j - 1] > lat[j]; j--) {
      uint64_t t = lat[j];
      lat[j] = lat[j - 1];
      lat[j - 1] = t;
    }
  pv_printf("sched: wake-up latency over %u timers: median %lu us, max %lu us\n", n,
            (unsigned long)(lat[n / 2] / 1000), (unsigned long)(lat[n - 1] / 1000));
  if (low)
    PV_EXPECT(lat[n - 1] < 200000, 1);
  else
    PV_EXPECT(lat[n / 2] > 1000000, 1);
}

void test_main(void) {
  const char *cmd = (const char *)pv_si->cmd_line;
  pv_map_shared_info();
  pv_install_traps();
  pv_vcpu->evtchn_upcall_mask = 0;
  if (strncmp(cmd, "spin", 4) == 0)
    spin(cmd + 4);
  else if (strncmp(cmd, "lat", 3) == 0)
    lat(cmd + 3);
  else
    pv_expect("role on the command line", 0, 1);
  if (pv_failures == 0)
    pv_printf("xen_sched %.4s: PASS\n", cmd);
}
