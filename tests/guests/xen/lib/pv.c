/* tests/guests/xen/lib/pv.c - the PV test guests' runtime (pv.h). */
#include "pv.h"

#include <stdarg.h>
#include <xen/io/console.h>

start_info_t *pv_si;
shared_info_t *pv_shared;
int pv_failures;
static struct xencons_interface *cons_ring;
static uint8_t shared_page[4096] __attribute__((aligned(4096)));

static void ring_write(const char *s, uint32_t n) {
  struct xencons_interface *r = cons_ring;
  for (uint32_t k = 0; k < n; k++) {
    while (r->out_prod - r->out_cons >= sizeof r->out) {
      struct evtchn_send send = {.port = pv_si->console.domU.evtchn};
      HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
    }
    r->out[MASK_XENCONS_IDX(r->out_prod, r->out)] = s[k];
    __asm__ volatile("" ::: "memory");
    r->out_prod++;
  }
  struct evtchn_send send = {.port = pv_si->console.domU.evtchn};
  HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

static void console_write(const char *s, uint32_t n) {
  if (cons_ring)
    ring_write(s, n);
  else
    HYPERVISOR_console_io(CONSOLEIO_write, (int)n, s);
}

struct buf {
  char b[256];
  uint32_t n;
};

static void put(void *ctx, char c) {
  struct buf *b = ctx;
  if (b->n == sizeof b->b) {
    console_write(b->b, b->n);
    b->n = 0;
  }
  b->b[b->n++] = c;
}

int pv_printf(const char *fmt, ...) {
  struct buf b = {.n = 0};
  va_list ap;
  va_start(ap, fmt);
  int n = gl_vformat(put, &b, fmt, ap);
  va_end(ap);
  if (b.n)
    console_write(b.b, b.n);
  return n;
}

void pv_puts(const char *s) { console_write(s, strlen(s)); }

void pv_exit(int pass) {
  struct sched_shutdown s = {.reason = pass ? SHUTDOWN_poweroff : SHUTDOWN_crash};
  HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
  for (;;)
    ; /* not reached: the hypervisor does not return to a shut-down domain */
}

void pv_expect(const char *what, long got, long want) {
  if (got != want) {
    pv_printf("FAIL %s: got %ld (0x%lx), want %ld\n", what, got, (unsigned long)got, want);
    pv_failures++;
  }
}

uint64_t pv_pte_machine_address(uint32_t va) {
  /* pt_base is the L3; the L2s and L1s are in the bootstrap area. */
  const uint64_t *l3 = (const uint64_t *)pv_si->pt_base;
  uint32_t l2mfn = (uint32_t)(l3[va >> 30] >> 12);
  const uint64_t *l2 = (const uint64_t *)(PV_VIRT_BASE + (pv_mfn_to_pfn(l2mfn) << 12));
  uint32_t l1mfn = (uint32_t)(l2[(va >> 21) & 511] >> 12);
  return ((uint64_t)l1mfn << 12) | (((va >> 12) & 511) * 8);
}

uint64_t pv_read_pte(uint32_t va) {
  uint64_t ma = pv_pte_machine_address(va);
  const uint64_t *l1 = (const uint64_t *)(PV_VIRT_BASE + (pv_mfn_to_pfn((uint32_t)(ma >> 12)) << 12));
  return l1[(ma & 0xFFF) / 8];
}

void pv_map_shared_info(void) {
  if (pv_shared)
    return;
  long rc = HYPERVISOR_update_va_mapping((uint32_t)shared_page, pv_si->shared_info | PTE_P | PTE_RW | PTE_A | PTE_D,
                                         UVMF_INVLPG);
  if (rc) {
    pv_printf("FAIL mapping shared info: %ld\n", rc);
    pv_exit(0);
  }
  pv_shared = (shared_info_t *)shared_page;
  pv_vcpu = &pv_shared->vcpu_info[0];
}

uint64_t pv_system_time_ns(void) {
  volatile vcpu_time_info_t *t = &pv_shared->vcpu_info[0].time;
  uint32_t v;
  uint64_t ns;
  do {
    v = t->version;
    __asm__ volatile("" ::: "memory");
    uint64_t delta = pv_rdtsc() - t->tsc_timestamp;
    if (t->tsc_shift < 0)
      delta >>= -t->tsc_shift;
    else
      delta <<= t->tsc_shift;
    uint64_t lo = (delta & 0xFFFFFFFFu) * t->tsc_to_system_mul, hi = (delta >> 32) * t->tsc_to_system_mul;
    ns = t->system_time + hi + (lo >> 32);
    __asm__ volatile("" ::: "memory");
  } while ((v & 1) || v != t->version);
  return ns;
}

__attribute__((weak)) void pv_trap(struct pv_regs *r) {
  pv_printf("FAIL unexpected trap %u (error 0x%x) at %04x:%08x\n", r->vector, r->error, r->cs & 0xFFFF, r->eip);
  pv_exit(0);
}

uint32_t pv_port_count[128], pv_upcalls;
vcpu_info_t *pv_vcpu;

__attribute__((weak)) void pv_event(struct pv_regs *r) {
  (void)r;
  pv_upcalls++;
  vcpu_info_t *v = pv_vcpu;
  v->evtchn_upcall_pending = 0;
  uint32_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
  while (sel) {
    uint32_t w = (uint32_t)__builtin_ctz(sel);
    sel &= sel - 1;
    uint32_t bits = pv_shared->evtchn_pending[w] & ~pv_shared->evtchn_mask[w];
    while (bits) {
      uint32_t b = (uint32_t)__builtin_ctz(bits);
      bits &= bits - 1;
      uint32_t port = w * 32 + b;
      __atomic_fetch_and(&pv_shared->evtchn_pending[w], ~(1u << b), __ATOMIC_SEQ_CST);
      if (port < 128)
        pv_port_count[port]++;
    }
  }
}

void pv_install_traps(void) {
  static struct trap_info t[33];
  for (uint32_t v = 0; v < 32; v++)
    t[v] = (struct trap_info){.vector = (uint8_t)v, .flags = 0, .cs = FLAT_KERNEL_CS, .address = pv_trap_stubs[v]};
  t[3].flags = 3; /* int3 from ring 3 */
  t[32].address = 0;
  long rc = HYPERVISOR_set_trap_table(t);
  if (rc) {
    pv_printf("FAIL set_trap_table: %ld\n", rc);
    pv_exit(0);
  }
  HYPERVISOR_set_callbacks(FLAT_KERNEL_CS, pv_event_entry, FLAT_KERNEL_CS, pv_failsafe_entry);
}

void pv_start(start_info_t *si) {
  pv_si = si;
  if (!(si->flags & SIF_INITDOMAIN) && si->console.domU.mfn)
    cons_ring = (struct xencons_interface *)(PV_VIRT_BASE + (pv_mfn_to_pfn(si->console.domU.mfn) << 12));
  test_main();
  pv_exit(pv_failures == 0);
}
