/* arch/xen/xen.c - the paravirtualization layer as a Xen PV guest: the
 * table of operations (pv.h), the trap table, the console, power-off and
 * the ringlab reports.
 *
 * Traps: set_trap_table hands the hypervisor a virtual IDT of Xen
 * trap_info entries pointing at our entry stubs (entry.S), ring-1 code
 * selector, the entry's DPL and, for the core's "interrupt gates", the
 * flag that masks events on entry; NMI, double fault and machine check
 * stay the hypervisor's. int $0x80 has DPL 3 and does not mask
 * events, so the hypervisor installs it as a real trap gate straight into
 * ring 1 (Xen's direct system-call trap): a system call never enters the
 * hypervisor. A page fault's address comes from the vcpu_info (arch.cr2),
 * written by the hypervisor when it bounced the fault.
 *
 * No FPU for programs, as natively (CR0.EM there): the virtual CR0.TS is
 * kept set (fpu_taskswitch), so an x87 instruction raises #NM, which the
 * core turns into SIGILL; the hypervisor clears TS to deliver it, and the
 * trap dispatcher sets it again.
 *
 * Console: console_io (domain 0's, the hypervisor's serial line). Power
 * off: SCHEDOP_shutdown, poweroff for status 0 and crash for any other
 * (Xen's shutdown carries a reason, not a status: the run's verdict tells
 * them apart, and the core has printed the status). Reports: the ringlab
 * ops port with the I/O privilege the hypervisor grants domain 0
 * (physdev_op set_iopl; each port access traps and the hypervisor performs
 * it), names by MACHINE address: the port reads the machine's memory.
 */
#include "xen.h"

#include <asm-generic/errno.h>

#include "ringlab_ops.h"

int xen_ops_port;
static trap_handler_fn trap_handlers[256];

/* ---- traps ---------------------------------------------------------------- */
/* Vectors the hypervisor keeps for itself and never bounces: NMI (a guest
 * registers it with CALLBACKTYPE_nmi), double fault, machine check (pv.h:
 * the arch's to leave out). */
static int xen_keeps(unsigned vector) { return vector == 2 || vector == 8 || vector == 18; }

static void xen_set_trap_table(const struct pv_trap *traps, unsigned n) {
  static struct trap_info table[257];
  unsigned m = 0;
  if (n > 256)
    panic("xen: %u traps", n);
  for (unsigned k = 0; k < n; k++) {
    unsigned v = traps[k].vector;
    if (xen_keeps(v))
      continue;
    if (!xen_trap_stubs[v])
      panic("xen: no entry stub for vector %u", v);
    trap_handlers[v] = traps[k].handler;
    table[m++] = (struct trap_info){.vector = (uint8_t)v,
                                    .flags = (uint8_t)((traps[k].dpl & 3) | (traps[k].mask_irqs ? 4 : 0)),
                                    .cs = FLAT_KERNEL_CS,
                                    .address = xen_trap_stubs[v]};
  }
  table[m] = (struct trap_info){0}; /* address 0 ends the list */
  long rc = HYPERVISOR_set_trap_table(table);
  if (rc)
    panic("xen: set_trap_table failed with %ld", rc);
}

void xen_trap(struct trapframe *tf) {
  uint32_t v = tf->trapno;
  if (v == 7) /* the hypervisor cleared TS to deliver #NM: no FPU, still */
    HYPERVISOR_fpu_taskswitch(1);
  if (v < 256 && trap_handlers[v])
    trap_handlers[v](tf);
  else
    panic("xen: trap %u with no handler at %#x:%#x", v, tf->cs & 0xFFFF, tf->eip);
  if (tf_from_user(tf)) {
    kern_exit_to_user(tf);
    xen_sync_kernel_stack();
  }
}

static uint32_t xen_fault_address(void) { return xen_vcpu->arch.cr2; }

static __attribute__((noreturn)) void xen_return_to_user_op(struct trapframe *tf) {
  xen_sync_kernel_stack();
  xen_return_to_user(tf);
}

/* ---- console ----------------------------------------------------------------- */
void xen_console_write(const char *s, size_t n) {
  if (n)
    HYPERVISOR_console_io(CONSOLEIO_write, (int)n, s);
}

static char rx_buf[64];
static unsigned rx_head, rx_tail;

/* Reads what the hypervisor's serial line has; whether anything is there. */
int xen_console_poll(void) {
  if (rx_head == rx_tail) {
    long n = HYPERVISOR_console_io(CONSOLEIO_read, sizeof rx_buf, rx_buf);
    rx_head = 0;
    rx_tail = n > 0 ? (unsigned)n : 0;
  }
  return rx_head != rx_tail;
}

static int xen_console_getc(void) {
  if (!xen_console_poll())
    return -1;
  return (uint8_t)rx_buf[rx_head++];
}

/* ---- time, power, reports ------------------------------------------------------- */
static uint64_t xen_read_cycles(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); /* the TSC is not virtualized */
  return ((uint64_t)hi << 32) | lo;
}

static __attribute__((noreturn)) void xen_power_off(int status) {
  xen_irq_disable();
  struct sched_shutdown s = {.reason = status == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash};
  HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
  for (;;) /* the hypervisor does not run a domain that has shut down */
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}

/* Names and texts, copied where they cannot cross a page: machine frames
 * of consecutive pages are not consecutive. */
static char report_text[RINGLAB_OPS_TEXT_MAX + 1] __attribute__((aligned(256)));

static int xen_report(uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  if (!xen_ops_port)
    return -ENODEV;
  switch (op) {
  case RINGLAB_OP_REGION_BEGIN:
  case RINGLAB_OP_REGION_END:
  case RINGLAB_OP_RESULT:
  case RINGLAB_OP_ANNOTATE: {
    uint32_t n = a1 < sizeof report_text ? a1 : sizeof report_text;
    memcpy(report_text, (const void *)a0, n);
    a0 = (uint32_t)virt_to_machine(report_text);
    break;
  }
  default:
    break;
  }
  return (int)ringlab_op(op, a0, a1, a2, a3);
}

/* ---- the table -------------------------------------------------------------------- */
struct pv_ops pv;

const struct pv_ops xen_ops = {
    .name = "xen",
    .kernel_cs = FLAT_KERNEL_CS,
    .kernel_ds = FLAT_KERNEL_DS,
    .user_cs = FLAT_USER_CS,
    .user_ds = FLAT_USER_DS,
    .make_pte = xen_make_pte,
    .pte_pfn = xen_pte_pfn,
    .set_pte = xen_set_pte,
    .set_pmd = xen_set_pmd,
    .update_va = xen_update_va,
    .alloc_pt = xen_alloc_pt,
    .release_pt = xen_release_pt,
    .pin_mm = xen_pin_mm,
    .unpin_mm = xen_unpin_mm,
    .lazy_mmu_begin = xen_lazy_mmu_begin,
    .lazy_mmu_end = xen_lazy_mmu_end,
    .flush_tlb_page = xen_flush_tlb_page,
    .flush_tlb_user = xen_flush_tlb_user,
    .flush_tlb_all = xen_flush_tlb_all,
    .switch_mm = xen_switch_mm,
    .set_kernel_stack = xen_set_kernel_stack,
    .fault_address = xen_fault_address,
    .set_trap_table = xen_set_trap_table,
    .irq_disable = xen_irq_disable,
    .irq_enable = xen_irq_enable,
    .irq_save = xen_irq_save,
    .irq_restore = xen_irq_restore,
    .safe_halt = xen_safe_halt,
    .timer_start = xen_timer_start,
    .console_rx_start = xen_console_rx_start,
    .read_cycles = xen_read_cycles,
    .console_write = xen_console_write,
    .console_getc = xen_console_getc,
    .power_off = xen_power_off,
    .report = xen_report,
    .return_to_user = xen_return_to_user_op,
};

/* The rest of start of day, once the page tables are ours (boot.c):
 * callbacks, the I/O privilege for the ops port, the FPU kept off. */
void xen_ops_init(void) {
  xen_events_init();
  if (xen_start_info->flags & SIF_PRIVILEGED) { /* a domU's port access would fault */
    struct physdev_set_iopl iopl = {.iopl = 1};
    long rc = HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &iopl);
    xen_ops_port = rc == 0 && ringlab_ops_present();
  }
  HYPERVISOR_fpu_taskswitch(1);
}
