/* tests/guests/xen/lib/pv.h - the small runtime of our PV test guests:
 * hypercalls through the hypercall page (and through int $0x82), the
 * console (console_io in domain 0, the console ring elsewhere), verdicts,
 * and the guest's view of its memory (p2m, m2p, mapping frames).
 *
 * A test defines test_main(); pv_start() calls it after setting up the
 * console. The verdict: pv_exit(1) shuts the domain down with
 * SHUTDOWN_poweroff (the hypervisor's run verdict 0 when every domain
 * did), pv_exit(0) with SHUTDOWN_crash.
 */
#ifndef PV_H
#define PV_H

#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/callback.h>
#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#include "guestlib.h"

#define XEN_ERRNO(name, value) name = value,
enum pv_errno {
#include <xen/errno.h>
};

extern char hypercall_page[];
extern start_info_t *pv_si;
extern shared_info_t *pv_shared;
extern int pv_failures;

/* ---- hypercalls ---------------------------------------------------------- */
/* Through the hypercall page (the usual way): its stub for nr. */
static inline long pv_hypercall(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5) {
  long r;
  uint32_t stub = (uint32_t)hypercall_page + (nr & 127) * 32;
  __asm__ volatile("call *%[stub]"
                   : "=a"(r), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5)
                   : "0"(nr), [stub] "m"(stub)
                   : "memory");
  return r;
}

/* Straight through int $0x82 (the page's stubs do this too). */
static inline long pv_hypercall_int82(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5) {
  long r;
  __asm__ volatile("int $0x82" : "=a"(r), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5) : "0"(nr) : "memory");
  return r;
}

#define HC0(nr) pv_hypercall(nr, 0, 0, 0, 0, 0)
#define HC1(nr, a) pv_hypercall(nr, (uint32_t)(a), 0, 0, 0, 0)
#define HC2(nr, a, b) pv_hypercall(nr, (uint32_t)(a), (uint32_t)(b), 0, 0, 0)
#define HC3(nr, a, b, c) pv_hypercall(nr, (uint32_t)(a), (uint32_t)(b), (uint32_t)(c), 0, 0)
#define HC4(nr, a, b, c, d) pv_hypercall(nr, (uint32_t)(a), (uint32_t)(b), (uint32_t)(c), (uint32_t)(d), 0)

static inline long HYPERVISOR_console_io(int cmd, int count, const char *buf) {
  return HC3(__HYPERVISOR_console_io, cmd, count, buf);
}
static inline long HYPERVISOR_sched_op(int cmd, void *arg) { return HC2(__HYPERVISOR_sched_op, cmd, arg); }
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg) {
  return HC2(__HYPERVISOR_event_channel_op, cmd, arg);
}
static inline long HYPERVISOR_xen_version(int cmd, void *arg) { return HC2(__HYPERVISOR_xen_version, cmd, arg); }
static inline long HYPERVISOR_update_va_mapping(uint32_t va, uint64_t pte, uint32_t flags) {
  return HC4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte, (uint32_t)(pte >> 32), flags);
}
static inline long HYPERVISOR_mmu_update(mmu_update_t *req, uint32_t count, uint32_t *done, uint32_t dom) {
  return HC4(__HYPERVISOR_mmu_update, req, count, done, dom);
}
static inline long HYPERVISOR_mmuext_op(struct mmuext_op *op, uint32_t count, uint32_t *done, uint32_t dom) {
  return HC4(__HYPERVISOR_mmuext_op, op, count, done, dom);
}
static inline long HYPERVISOR_memory_op(uint32_t cmd, void *arg) { return HC2(__HYPERVISOR_memory_op, cmd, arg); }
static inline long HYPERVISOR_vm_assist(uint32_t cmd, uint32_t type) { return HC2(__HYPERVISOR_vm_assist, cmd, type); }
static inline long HYPERVISOR_set_trap_table(const struct trap_info *t) { return HC1(__HYPERVISOR_set_trap_table, t); }
static inline long HYPERVISOR_set_callbacks(uint32_t ecs, void (*ev)(void), uint32_t fcs, void (*fs)(void)) {
  return HC4(__HYPERVISOR_set_callbacks, ecs, ev, fcs, fs);
}
static inline long HYPERVISOR_stack_switch(uint32_t ss, uint32_t esp) { return HC2(__HYPERVISOR_stack_switch, ss, esp); }
static inline long HYPERVISOR_set_timer_op(uint64_t t) { return HC2(__HYPERVISOR_set_timer_op, (uint32_t)t, (uint32_t)(t >> 32)); }
static inline long HYPERVISOR_vcpu_op(int cmd, int vcpu, void *arg) { return HC3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg); }
static inline long HYPERVISOR_multicall(multicall_entry_t *l, uint32_t n) { return HC2(__HYPERVISOR_multicall, l, n); }
static inline long HYPERVISOR_set_gdt(uint32_t *frames, uint32_t entries) { return HC2(__HYPERVISOR_set_gdt, frames, entries); }
static inline long HYPERVISOR_update_descriptor(uint64_t ma, uint64_t desc) {
  return HC4(__HYPERVISOR_update_descriptor, (uint32_t)ma, (uint32_t)(ma >> 32), (uint32_t)desc, (uint32_t)(desc >> 32));
}
static inline long HYPERVISOR_fpu_taskswitch(int set) { return HC1(__HYPERVISOR_fpu_taskswitch, set); }
static inline long HYPERVISOR_physdev_op(int cmd, void *arg) { return HC2(__HYPERVISOR_physdev_op, cmd, arg); }
static inline long HYPERVISOR_callback_op(int cmd, void *arg) { return HC2(__HYPERVISOR_callback_op, cmd, arg); }
static inline long HYPERVISOR_sched_op_compat_yield(void) { return HC2(__HYPERVISOR_sched_op_compat, SCHEDOP_yield, 0); }
static inline long HYPERVISOR_grant_table_op(int cmd, void *arg, uint32_t n) {
  return HC3(__HYPERVISOR_grant_table_op, cmd, arg, n);
}

/* ---- runtime --------------------------------------------------------------- */
void test_main(void);
int pv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pv_puts(const char *s);
__attribute__((noreturn)) void pv_exit(int pass);
/* Checks got == want; on a mismatch prints what and counts a failure. */
void pv_expect(const char *what, long got, long want);
#define PV_EXPECT(expr, want) pv_expect(#expr, (long)(expr), (long)(want))

/* Machine frame <-> pseudo-physical frame, virtual addresses of the
 * bootstrap area (pfn 0 at VIRT_BASE). */
#define PV_VIRT_BASE 0xC0000000u
static inline uint32_t pv_mfn_to_pfn(uint32_t mfn) { return ((const uint32_t *)MACH2PHYS_VIRT_START)[mfn]; }
static inline uint32_t pv_pfn_to_mfn(uint32_t pfn) { return ((const uint32_t *)pv_si->mfn_list)[pfn]; }
static inline uint32_t pv_virt_to_mfn(const void *p) {
  return pv_pfn_to_mfn(((uint32_t)p - PV_VIRT_BASE) >> 12);
}
static inline uint64_t pv_virt_to_machine(const void *p) {
  return ((uint64_t)pv_virt_to_mfn(p) << 12) | ((uint32_t)p & 0xFFF);
}
/* The L1 entry's machine address for va in the bootstrap page tables. */
uint64_t pv_pte_machine_address(uint32_t va);
uint64_t pv_read_pte(uint32_t va);

/* Maps the shared info page at a fixed page of ours (pv_shared). */
void pv_map_shared_info(void);
/* System time in ns (vcpu_time_info) and the TSC. */
uint64_t pv_system_time_ns(void);
static inline uint64_t pv_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

/* ---- traps and events (pvtrap.S) ---------------------------------------- */
/* What pv_trap and pv_event see: PUSHAL's registers, then the bounce frame. */
struct pv_regs {
  uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;
  uint32_t vector, error;
  uint32_t eip, cs, eflags; /* cs: bits 16-23 hold the saved upcall mask */
  uint32_t esp, ss;         /* only from ring 3 */
};
extern const uint32_t pv_trap_stubs[256];
extern uint32_t pv_failsafe_segs[4], pv_failsafe_count;
void pv_event_entry(void);
void pv_failsafe_entry(void);
/* Tests may supply these: pv_trap (default: fail), pv_event (default:
 * scan the pending ports as Linux does: clear evtchn_upcall_pending, take
 * the selector, then each pending unmasked port, clearing its pending bit
 * and counting it in pv_port_count[]). */
void pv_trap(struct pv_regs *r);
void pv_event(struct pv_regs *r);
extern uint32_t pv_port_count[128], pv_upcalls;
extern vcpu_info_t *pv_vcpu; /* our vcpu_info (in shared info unless moved) */
/* Installs pv_trap_stubs for vectors 0-31 (DPL 0, events not masked) and
 * the event and failsafe callbacks. */
void pv_install_traps(void);

#define PTE_P 0x001ull
#define PTE_RW 0x002ull
#define PTE_US 0x004ull
#define PTE_PWT 0x008ull
#define PTE_PCD 0x010ull
#define PTE_A 0x020ull
#define PTE_D 0x040ull
#define PTE_PS 0x080ull
#define PTE_G 0x100ull

#endif
