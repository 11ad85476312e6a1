/* tests/guests/xen/cost - what the hypervisor's mechanisms cost, in the
 * model's cycles (RDTSC is ringlab's cycle counter): each common
 * hypercall, a bounced page fault, an event upcall, the direct system
 * call, writable-page-table emulation, and (command line "switch", two
 * domains) a domain switch. Each figure is the smallest of 64 runs of the
 * operation, minus the cost of the empty measurement, printed as
 * "cost: NAME CYCLES" (tests/hv/costs.sh makes the README's table). */
#include "pv.h"

#define RUNS 64
#define SANDBOX 0xC0300000u

static uint64_t overhead;

static uint64_t t(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

#define MEASURE(name, setup, ...)                         \
  do {                                                   \
    uint64_t best = ~0ull;                               \
    for (int run_ = 0; run_ < RUNS; run_++) {            \
      setup;                                             \
      uint64_t a_ = t();                                 \
      __VA_ARGS__;                                       \
      uint64_t d_ = t() - a_;                            \
      if (d_ < best)                                     \
        best = d_;                                       \
    }                                                    \
    report(name, best);                                  \
  } while (0)

static void report(const char *name, uint64_t cycles) {
  uint64_t c = cycles > overhead ? cycles - overhead : 0;
  pv_printf("cost: %s %lu\n", name, (unsigned long)c);
}

static volatile uint32_t pf_seen;
void pv_trap(struct pv_regs *r) {
  if (r->vector == 14) {
    pf_seen++;
    r->eip += 6; /* movl 0x1000, %eax (5) ... see pf() */
    return;
  }
  pv_printf("cost: FAIL trap %u at %08x\n", r->vector, r->eip);
  pv_exit(0);
}

static volatile uint32_t upcalls;
void pv_event(struct pv_regs *r) {
  (void)r;
  upcalls++;
  pv_vcpu->evtchn_upcall_pending = 0;
  pv_vcpu->evtchn_pending_sel = 0;
  pv_shared->evtchn_pending[0] = 0;
}

extern char user_page[], user_syscall_loop[];
void pf_fast(void);
void ev_fast(void);
extern uint32_t ev_vcpu, ev_pending0;
extern uint32_t sys_count;
void enter_user(void *entry, void *stack_top);
void back_to_kernel(void);
void syscall_entry(void);
static uint8_t user_stack[4096] __attribute__((aligned(4096)));
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
uint64_t user_cycles;

static void single(void) {
  {
    uint64_t best = ~0ull;
    for (int k = 0; k < RUNS; k++) {
      uint64_t a = t(), d = t() - a;
      if (d < best)
        best = d;
    }
    overhead = best;
  }
  MEASURE("hypercall_null_page", , HYPERVISOR_xen_version(XENVER_version, NULL));
  MEASURE("hypercall_null_int82", , pv_hypercall_int82(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0));
  uint32_t m1 = pv_pfn_to_mfn(1100), m2 = pv_pfn_to_mfn(1101);
  uint64_t ptr = pv_pte_machine_address(SANDBOX);
  uint32_t flip = 0;
  MEASURE("mmu_update_1", flip ^= 1, {
    mmu_update_t u = {.ptr = ptr, .val = ((uint64_t)(flip ? m1 : m2) << 12) | PTE_P | PTE_RW | PTE_A | PTE_D};
    HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
  });
  static mmu_update_t batch[16];
  MEASURE("mmu_update_16", {
    flip ^= 1;
    for (uint32_t k = 0; k < 16; k++) {
      batch[k].ptr = pv_pte_machine_address(SANDBOX + k * 4096);
      batch[k].val = ((uint64_t)(flip ? m1 : m2) << 12) | PTE_P | PTE_A;
    }
  }, HYPERVISOR_mmu_update(batch, 16, NULL, DOMID_SELF));
  MEASURE("update_va_mapping_invlpg", flip ^= 1,
          HYPERVISOR_update_va_mapping(SANDBOX, ((uint64_t)(flip ? m1 : m2) << 12) | PTE_P | PTE_RW | PTE_A | PTE_D,
                                       UVMF_INVLPG));
  struct mmuext_op fl = {.cmd = MMUEXT_TLB_FLUSH_LOCAL};
  MEASURE("mmuext_tlb_flush_local", , HYPERVISOR_mmuext_op(&fl, 1, NULL, DOMID_SELF));
  struct evtchn_bind_ipi ipi = {.vcpu = 0};
  HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &ipi);
  struct evtchn_send snd = {.port = ipi.port};
  pv_shared->evtchn_mask[0] |= 1u << ipi.port;
  MEASURE("evtchn_send_masked", pv_shared->evtchn_pending[0] = 0, HYPERVISOR_event_channel_op(EVTCHNOP_send, &snd));
  pv_shared->evtchn_pending[0] = 0;
  pv_shared->evtchn_mask[0] &= ~(1u << ipi.port);
  static multicall_entry_t mc[4];
  for (int k = 0; k < 4; k++)
    mc[k] = (multicall_entry_t){.op = __HYPERVISOR_xen_version, .args = {XENVER_version}};
  MEASURE("multicall_4_null", , HYPERVISOR_multicall(mc, 4));
  MEASURE("set_timer_op", , HYPERVISOR_set_timer_op(0));
  MEASURE("sched_yield_alone", , HYPERVISOR_sched_op(SCHEDOP_yield, NULL));
  /* writable page tables: one 32-bit store to an L1 entry, emulated */
  HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables);
  uint64_t ma = pv_pte_machine_address(SANDBOX + 0x8000);
  volatile uint32_t *pte = (volatile uint32_t *)(PV_VIRT_BASE + (pv_mfn_to_pfn((uint32_t)(ma >> 12)) << 12) + (uint32_t)(ma & 0xFFF));
  MEASURE("pt_write_emulated", flip ^= 1, *pte = ((flip ? m1 : m2) << 12) | (uint32_t)(PTE_P | PTE_A));
  HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables);
  /* a page fault in ring 1, bounced to our handler (C, then a minimal
   * one) and back */
  pf_seen = 0;
  MEASURE("page_fault_bounced_c", , __asm__ volatile("movl 0x1000, %%eax\n\tnop" ::: "eax", "memory"));
  PV_EXPECT(pf_seen, RUNS);
  struct trap_info fast[3] = {{.vector = 14, .flags = 0, .cs = FLAT_KERNEL_CS, .address = (unsigned long)pf_fast},
                              {0, 0, 0, 0}};
  HYPERVISOR_set_trap_table(fast);
  MEASURE("page_fault_bounced", , __asm__ volatile("movl 0x1000, %%eax\n\tnop" ::: "eax", "memory"));
  /* an event upcall: a send to ourselves with events on (C handler, then
   * a minimal one) */
  pv_vcpu->evtchn_upcall_mask = 0;
  upcalls = 0;
  MEASURE("event_upcall_send_c", , HYPERVISOR_event_channel_op(EVTCHNOP_send, &snd));
  PV_EXPECT(upcalls, RUNS);
  ev_vcpu = (uint32_t)pv_vcpu;
  ev_pending0 = (uint32_t)&pv_shared->evtchn_pending[0];
  HYPERVISOR_set_callbacks(FLAT_KERNEL_CS, ev_fast, FLAT_KERNEL_CS, pv_failsafe_entry);
  MEASURE("event_upcall_send", , HYPERVISOR_event_channel_op(EVTCHNOP_send, &snd));
  PV_EXPECT(pv_vcpu->evtchn_upcall_mask, 0);
  pv_vcpu->evtchn_upcall_mask = 1;
  /* the direct system call from ring 3 (measured there) */
  uint64_t pte_u = pv_read_pte((uint32_t)user_page);
  HYPERVISOR_update_va_mapping((uint32_t)user_page, pte_u | PTE_US, UVMF_INVLPG);
  pte_u = pv_read_pte((uint32_t)user_stack);
  HYPERVISOR_update_va_mapping((uint32_t)user_stack, pte_u | PTE_US, UVMF_INVLPG);
  HYPERVISOR_update_va_mapping((uint32_t)&user_cycles & ~0xFFFu, pv_read_pte((uint32_t)&user_cycles) | PTE_US, UVMF_INVLPG);
  HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (uint32_t)(kernel_stack + sizeof kernel_stack));
  struct trap_info tt[3] = {
      {.vector = 0x80, .flags = 3, .cs = FLAT_KERNEL_CS, .address = (unsigned long)syscall_entry},
      {.vector = 0x81, .flags = 3 | 4, .cs = FLAT_KERNEL_CS, .address = (unsigned long)back_to_kernel},
      {0, 0, 0, 0}};
  HYPERVISOR_set_trap_table(tt);
  enter_user(user_syscall_loop, user_stack + sizeof user_stack);
  report("syscall_direct_ring3", user_cycles);
}

static void dom_switch(void) {
  /* Two of us yield in turn: a yield that runs the other domain once
   * before returning is two yields and two switches. The median of 64
   * (a yield may also return at once, when BVT keeps us). */
  uint64_t d[RUNS];
  for (int k = 0; k < RUNS; k++) {
    uint64_t a = t();
    HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    d[k] = t() - a;
  }
  for (int i = 1; i < RUNS; i++)
    for (int j = i; j > 0 && d[j - 1] > d[j]; j--) {
      uint64_t x = d[j];
      d[j] = d[j - 1];
      d[j - 1] = x;
    }
  pv_printf("cost: yield_roundtrip_2_domains %lu\n", (unsigned long)d[RUNS / 2]);
}

void test_main(void) {
  pv_map_shared_info();
  pv_install_traps();
  const char *cmd = (const char *)pv_si->cmd_line;
  if (strcmp(cmd, "switch") == 0)
    dom_switch();
  else
    single();
  if (pv_failures == 0)
    pv_puts("xen_cost: PASS\n");
}
