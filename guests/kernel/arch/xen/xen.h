/* arch/xen/xen.h - the Xen layer's private interface: the kernel as a
 * 32-bit PAE paravirtualized guest in ring 1 of a Xen-style hypervisor
 * (ours, hv/; the ABI of Xen's public headers, <xen/...>). Nothing outside
 * arch/xen/ includes this.
 *
 * The layer's parts:
 *   head.S     Xen ELF notes, the entry from the domain builder, the
 *              hypercall page
 *   boot.c     start of day: start_info, the direct map over the builder's
 *              page tables, the kernel's own page tables, boot_info
 *   mmu.c      page-table entries (machine frames), the batch of page-table
 *              hypercalls (multicall), TLB flushes, address-space switches
 *   events.c   event channels instead of interrupts: the upcall, the
 *              upcall mask as the interrupt flag, VIRQ_TIMER, blocking
 *   entry.S    trap and event entries, the way back (with the critical
 *              region of the event mask), the failsafe callback
 *   xen.c      the table of operations, traps, console, power, reports
 *
 * The kernel's virtual address space is the native one (kernel.h): the
 * direct map at PAGE_OFFSET covers the domain's pseudo-physical frames,
 * frame f at PAGE_OFFSET + f * 4096 (the builder's layout, extended), in
 * 4 KiB pages (PV guests may not map 2 MiB pages, nor global ones); the
 * hypervisor owns everything from HV_VIRT_START up, its read-only M2P
 * table at MACH2PHYS_VIRT_START among it.
 */
#ifndef XEN_ARCH_H
#define XEN_ARCH_H

#include <stdint.h>

#include <xen/xen.h> /* __XEN_INTERFACE_VERSION__ from arch.cmake (0x00040d00) */
#include <xen/event_channel.h>
#include <xen/physdev.h>
#include <xen/version.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

#include "../../kernel.h"
#include "../../pv.h"

/* ---- hypercalls: through the page the hypervisor wrote ------------------- */
extern char hypercall_page[];

static inline long xen_hypercall(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5) {
  long r;
  uint32_t stub = (uint32_t)hypercall_page + nr * 32; /* in memory: no register is left */
  __asm__ volatile("call *%[stub]"
                   : "=a"(r), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5)
                   : [stub] "m"(stub)
                   : "memory");
  return r;
}

#define XEN_HC(nr, a, b, c, d) \
  xen_hypercall(nr, (uint32_t)(a), (uint32_t)(b), (uint32_t)(c), (uint32_t)(d), 0)

static inline long HYPERVISOR_console_io(int cmd, int count, const char *buf) {
  return XEN_HC(__HYPERVISOR_console_io, cmd, count, buf, 0);
}
static inline long HYPERVISOR_sched_op(int cmd, void *arg) { return XEN_HC(__HYPERVISOR_sched_op, cmd, arg, 0, 0); }
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg) {
  return XEN_HC(__HYPERVISOR_event_channel_op, cmd, arg, 0, 0);
}
static inline long HYPERVISOR_xen_version(int cmd, void *arg) { return XEN_HC(__HYPERVISOR_xen_version, cmd, arg, 0, 0); }
static inline long HYPERVISOR_update_va_mapping(uint32_t va, uint64_t pte, uint32_t flags) {
  return XEN_HC(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte, (uint32_t)(pte >> 32), flags);
}
static inline long HYPERVISOR_mmu_update(mmu_update_t *req, uint32_t count, uint32_t *done, uint32_t dom) {
  return XEN_HC(__HYPERVISOR_mmu_update, req, count, done, dom);
}
static inline long HYPERVISOR_mmuext_op(struct mmuext_op *op, uint32_t count, uint32_t *done, uint32_t dom) {
  return XEN_HC(__HYPERVISOR_mmuext_op, op, count, done, dom);
}
static inline long HYPERVISOR_multicall(multicall_entry_t *list, uint32_t n) {
  return XEN_HC(__HYPERVISOR_multicall, list, n, 0, 0);
}
static inline long HYPERVISOR_set_trap_table(const struct trap_info *t) {
  return XEN_HC(__HYPERVISOR_set_trap_table, t, 0, 0, 0);
}
static inline long HYPERVISOR_set_callbacks(uint32_t ecs, uint32_t eeip, uint32_t fcs, uint32_t feip) {
  return XEN_HC(__HYPERVISOR_set_callbacks, ecs, eeip, fcs, feip);
}
static inline long HYPERVISOR_stack_switch(uint32_t ss, uint32_t esp) {
  return XEN_HC(__HYPERVISOR_stack_switch, ss, esp, 0, 0);
}
static inline long HYPERVISOR_vcpu_op(int cmd, int vcpu, void *arg) { return XEN_HC(__HYPERVISOR_vcpu_op, cmd, vcpu, arg, 0); }
static inline long HYPERVISOR_physdev_op(int cmd, void *arg) { return XEN_HC(__HYPERVISOR_physdev_op, cmd, arg, 0, 0); }
static inline long HYPERVISOR_fpu_taskswitch(int set) { return XEN_HC(__HYPERVISOR_fpu_taskswitch, set, 0, 0, 0); }

/* ---- the domain ------------------------------------------------------------ */
extern start_info_t *xen_start_info;
extern shared_info_t *xen_shared;  /* mapped at a page of the kernel image */
extern uint32_t *xen_p2m;          /* pseudo-physical -> machine frame */
extern uint32_t xen_nr_pages;

/* The vcpu_info the hypervisor reads on every delivery (vcpu 0), at the
 * start of the shared info page, which is mapped at xen_shared_page. */
extern uint8_t xen_shared_page[];
#define xen_vcpu ((vcpu_info_t *)xen_shared_page)

static inline uint32_t pfn_to_mfn(uint32_t pfn) {
  if (pfn >= xen_nr_pages)
    panic("xen: pfn %#x beyond the domain's %u frames", pfn, xen_nr_pages);
  return xen_p2m[pfn];
}
static inline uint32_t mfn_to_pfn(uint32_t mfn) { return ((const uint32_t *)MACH2PHYS_VIRT_START)[mfn]; }
static inline uint64_t virt_to_machine(const void *p) {
  return ((uint64_t)pfn_to_mfn(virt_to_pfn(p)) << PAGE_SHIFT) | ((uint32_t)p & (PAGE_SIZE - 1));
}

/* boot.c */
__attribute__((noreturn)) void xen_start(start_info_t *si);

/* mmu.c: the batch, and the page-table operations of the table */
void xen_mmu_init(void);
void xen_mc_flush(void);                    /* issue whatever is queued */
void xen_mc_update_va(uint32_t va, uint64_t pte, uint32_t flags); /* queued */
void xen_mc_mmuext(uint32_t cmd, uint32_t arg1);                  /* queued */
void xen_set_kernel_stack(uint32_t esp0);
void xen_sync_kernel_stack(void);           /* before any return to user mode */
pte_t xen_make_pte(uint32_t pfn, uint32_t flags);
uint32_t xen_pte_pfn(pte_t pte);
void xen_set_pte(pte_t *ptep, pte_t val);
void xen_set_pmd(pte_t *pmdp, pte_t val);
void xen_update_va(pte_t *ptep, uint32_t va, pte_t val, int flush);
void xen_alloc_pt(uint32_t as, uint32_t pfn, int level);
void xen_release_pt(uint32_t as, uint32_t pfn, int level);
void xen_pin_frame(uint32_t pfn);           /* a table of a pinned tree: read-only (queued) */
void xen_pin_mm(uint32_t as);
void xen_unpin_mm(uint32_t as);
void xen_lazy_mmu_begin(void);
void xen_lazy_mmu_end(void);
void xen_flush_tlb_page(uint32_t va);
void xen_flush_tlb_user(void);
void xen_flush_tlb_all(void);
void xen_switch_mm(uint32_t pdpt_pfn);

/* events.c */
void xen_events_init(void);
void xen_event(struct trapframe *tf);       /* the upcall, from entry.S */
void xen_irq_disable(void);
void xen_irq_enable(void);
unsigned long xen_irq_save(void);
void xen_irq_restore(unsigned long flags);
void xen_safe_halt(void);
void xen_timer_start(unsigned hz, trap_handler_fn tick);
void xen_console_rx_start(void (*rx)(void));

/* entry.S */
extern const uint32_t xen_trap_stubs[256];  /* entry stub of each vector, 0 if none */
void xen_event_entry(void);                 /* the event callback */
void xen_failsafe_entry(void);              /* the failsafe callback */
__attribute__((noreturn)) void xen_return_to_user(struct trapframe *tf);
void xen_trap(struct trapframe *tf);        /* called by the common stub */

/* xen.c */
extern const struct pv_ops xen_ops;
void xen_ops_init(void);                    /* callbacks, I/O privilege, FPU */
extern int xen_ops_port;                    /* the ringlab ops port answers */
void xen_console_write(const char *s, size_t n);
#define XEN_VEC_EVENT 0xFF                  /* trapno of an event's frame */

#endif
