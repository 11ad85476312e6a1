/* hv/domain.h - domains and their virtual CPU: what the hypervisor keeps
 * per guest, and the functions that build, run and destroy them.
 *
 * One virtual CPU per domain (vcpu 0; vcpu_op on others is -ENOENT). While
 * a domain runs its registers are in the frame at the top of the
 * hypervisor stack (hv_guest_frame()); when it does not, in vcpu.regs.
 */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include "hv-internal.h"

#include <xen/event_channel.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>

#define HV_MAX_DOMAINS 8
#define HV_MAX_MODULES 16
#define HV_XEN_MAJOR 3
#define HV_XEN_MINOR 0
#define HV_NR_EVTCHN 128 /* event channels per domain (ports 1-127) */

struct hv_module {
  uint32_t start, end; /* physical */
  char path[128];
  char string[1024]; /* after the path: the domain's arguments */
};

enum { HV_SCHED_BVT, HV_SCHED_RR };
struct hv_options {
  uint32_t dom_mem_kib;      /* dom_mem= : each domain's memory unless hv.mem= */
  int sched;                 /* sched=bvt|rr */
  uint32_t bvt_ctx_allow_us; /* ctx_allow= : BVT context-switch allowance */
  uint32_t audit;            /* audit[=N]: page-type audit every N hypercalls */
  int dom0less;              /* dom0less: every domain is an unprivileged domU */
};
extern struct hv_options hv_opts;
uint32_t hv_parse_size_kib(const char *s, char **end);

/* One event channel (ports are indices). */
enum hv_evtchn_state { ECS_FREE, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_VIRQ, ECS_IPI, ECS_XEN };
struct hv_evtchn {
  uint8_t state;
  uint8_t virq;        /* ECS_VIRQ */
  uint16_t remote_dom; /* ECS_UNBOUND: who may bind; ECS_INTERDOMAIN: peer */
  uint16_t remote_port;
  uint8_t xen_service; /* ECS_XEN: which hypervisor service consumes it */
};
enum { HV_XEN_SVC_CONSOLE = 1, HV_XEN_SVC_STORE = 2 };

enum hv_vcpu_state { VCPU_RUNNABLE, VCPU_BLOCKED, VCPU_POLLING, VCPU_DOWN };

struct hv_vcpu {
  struct hv_frame regs;        /* saved registers while not running */
  struct trap_info traps[256]; /* the virtual IDT (set_trap_table) */
  uint32_t kernel_ss, kernel_sp; /* stack_switch: the ring-1 stack */
  uint32_t event_cs, event_eip;  /* event callback */
  uint32_t failsafe_cs, failsafe_eip;
  uint32_t nmi_eip;
  int failsafe_masks_events;     /* CALLBACKF_mask_events on the failsafe */
  uint32_t cr3_mfn;            /* the guest's L3 (its base pointer) */
  uint64_t l3_shadow[4] __attribute__((aligned(32))); /* the PDPTEs CR3 loads (mm.c) */
  uint32_t gdt_mfns[14], gdt_frames, gdt_ents;
  uint32_t ldt_base, ldt_ents;
  uint32_t ldt_mapped;         /* LDT pages mapped in the per-domain area */
  uint32_t ldt_mfns[16];
  int fpu_ts;                  /* virtual CR0.TS (fpu_taskswitch) */
  int fpu_dirtied;             /* used the FPU since it was last switched in */
  int fpu_initialised;         /* fpu_state holds its state */
  uint8_t fpu_state[108];      /* FNSAVE image while it does not own the FPU */
  uint32_t iopl;               /* virtual IOPL (physdev set_iopl) */
  int in_upcall_mask_poll;
  vcpu_info_t *info;           /* in shared info, or registered elsewhere */
  uint32_t info_mfn, info_offset; /* VCPUOP_register_vcpu_info */
  enum hv_vcpu_state state;
  int up;                      /* running state for vcpu_op is_up */
  uint64_t timer_deadline_ns;  /* set_timer_op / singleshot (0: none) */
  uint64_t periodic_ns;        /* VCPUOP_set_periodic_timer period (0: off) */
  uint64_t periodic_next_ns;
  uint32_t poll_ports[8], n_poll; /* SCHEDOP_poll */
  uint64_t poll_timeout_ns;
  uint64_t runtime_ns;
};

struct hv_domain {
  uint16_t id;
  int exists;
  int privileged;               /* domain 0 (SIF_PRIVILEGED | SIF_INITDOMAIN) */
  int shutdown_reason;          /* -1: running; SHUTDOWN_* once shut down */
  int destroyed;                /* crashed into the hypervisor */
  char name[32];
  uint32_t nr_pages, max_pages, tot_pages;
  uint32_t vm_assist;           /* VMASST_TYPE_* bits */
  shared_info_t *shared;        /* hypervisor view of its shared info */
  uint32_t shared_mfn;
  uint32_t perdomain_l1_mfn;
  uint32_t start_info_mfn, console_mfn, store_mfn;
  uint32_t console_port, store_port; /* the domain's ends */
  struct hv_evtchn evtchn[HV_NR_EVTCHN];
  int virq_port[NR_VIRQS];
  struct hv_vcpu vcpu;
  /* scheduling (sched.c) */
  uint32_t weight, warp_us, warp_limit_us, unwarp_us;
  int warp_enabled;
  int64_t avt, evt;             /* BVT actual and effective virtual time */
  uint64_t warp_start_ns, unwarp_until_ns;
  /* console (conring.c): the line being assembled */
  char con_line[128];
  uint32_t con_len;
  uint32_t con_in_cons_seen;
  /* grant table (grant.c) */
  uint32_t gnttab_frames, gnttab_mfns[4];
  uint32_t gnt_maps;            /* grant mappings it holds (maptrack entries in use) */
  /* store (store.c) */
  uint32_t store_req_off;
  /* accounting for the verdict */
  uint32_t hypercalls;
};

extern struct hv_domain hv_domains[HV_MAX_DOMAINS];
extern struct hv_domain *hv_current; /* NULL: idle */
extern uint32_t hv_n_domains;

static inline struct hv_vcpu *hv_vcpu(struct hv_domain *d) { return &d->vcpu; }
struct hv_domain *hv_domain_by_id(uint32_t id); /* existing, not destroyed; NULL otherwise */
struct hv_domain *hv_domain_by_id_any(uint32_t id); /* any state, even while being built */

/* The frame of the running guest, at the top of the hypervisor stack. */
static inline struct hv_frame *hv_guest_frame(void) {
  uint32_t top;
  __asm__("movl $hv_stack_top, %0" : "=r"(top)); /* an address, not an array to index */
  return (struct hv_frame *)(top - sizeof(struct hv_frame));
}

/* domain.c: the builder */
uint32_t hv_build_domains(const struct hv_module *mods, uint32_t n);

/* sched.c */
extern uint64_t hv_tsc_hz;
void hv_sched_start(void) __attribute__((noreturn));
void hv_sched_yield(void);
void hv_sched_block(void);
void hv_vcpu_wake(struct hv_domain *d);
void hv_schedule(void); /* pick the next domain; may idle; returns with hv_current set */
void hv_domain_shutdown(struct hv_domain *d, int reason);
void hv_domain_crash(struct hv_domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int hv_need_resched;
void hv_context_load(struct hv_domain *d); /* CR3, GDT/LDT, TSS, IDT 0x80 of d */

/* time.c */
void hv_time_init(void);
uint64_t hv_now_ns(void);
void hv_timer_irq(void);
void hv_timer_reprogram(void);
void hv_time_fill_vcpu(struct hv_domain *d);
void hv_time_fill_wallclock(struct hv_domain *d);

/* traps.c */
void hv_dispatch(struct hv_frame *f);
int hv_bounce_trap(struct hv_domain *d, struct hv_frame *f, uint32_t vector, int has_error, uint32_t error);
int hv_bounce_callback(struct hv_domain *d, struct hv_frame *f, uint32_t cs, uint32_t eip, int mask_events);
void hv_check_events(struct hv_frame *f);
void hv_resume_frame(struct hv_frame *f) __attribute__((noreturn));
long hv_do_set_trap_table(uint32_t list);
long hv_do_iret(struct hv_frame *f);
long hv_do_stack_switch(uint32_t ss, uint32_t esp);
long hv_do_set_callbacks(uint32_t ecs, uint32_t eeip, uint32_t fcs, uint32_t feip);
long hv_do_fpu_taskswitch(uint32_t set);
void hv_fpu_take(struct hv_domain *d); /* #NM: give d the FPU */
void hv_fpu_save(struct hv_domain *d); /* switching away from d */
long hv_do_callback_op(uint32_t cmd, uint32_t arg);
long hv_do_physdev_op(uint32_t cmd, uint32_t arg);
void hv_update_direct_trap(struct hv_domain *d);

/* desc.c (domain side) */
void hv_perdomain_fill(hv_pte_t *l1, const uint32_t *gdt_mfns, uint32_t n_gdt);
hv_pte_t hv_perdomain_l2e(uint32_t l1_mfn);
hv_pte_t hv_idle_perdomain_l2e(void);
void hv_load_ldt(uint32_t ents);
uint32_t hv_fixup_guest_selector(uint32_t sel);
int hv_guest_gate_selector_ok(uint32_t sel);
long hv_do_set_gdt(uint32_t frame_list, uint32_t entries);
long hv_do_update_descriptor(uint64_t maddr, uint64_t desc);
void hv_gdt_release(struct hv_domain *d);

/* mm.c */
int hv_get_page(uint32_t mfn, struct hv_domain *d);
void hv_put_page(uint32_t mfn);
int hv_get_page_type(uint32_t mfn, uint32_t type);
void hv_put_page_type(uint32_t mfn);
int hv_get_page_and_type(uint32_t mfn, struct hv_domain *d, uint32_t type);
void hv_put_page_and_type(uint32_t mfn);
long hv_do_mmu_update(uint32_t reqs, uint32_t count, uint32_t pdone, uint32_t foreigndom);
long hv_do_mmuext_op(uint32_t ops, uint32_t count, uint32_t pdone, uint32_t foreigndom);
long hv_do_update_va_mapping(uint32_t va, uint64_t val, uint32_t flags);
long hv_do_vm_assist(uint32_t cmd, uint32_t type);
int hv_ptwr_fault(struct hv_frame *f, uint32_t addr);
int hv_new_guest_cr3(struct hv_domain *d, uint32_t mfn);
void hv_load_guest_cr3(struct hv_vcpu *v); /* CR3 := v's L3, through its shadow */
void hv_domain_relinquish(struct hv_domain *d);
int hv_audit(int verbose);
uint32_t hv_gmfn_to_mfn(struct hv_domain *d, uint32_t gmfn);
hv_pte_t *hv_guest_l1e(struct hv_domain *d, uint32_t va, uint32_t *l1mfn);

/* hypercall.c */
void hv_hypercall(struct hv_frame *f);
void hv_hypercall_page_fill(void *page);

/* the other hypercalls */
long hv_do_xen_version(uint32_t cmd, uint32_t arg);
long hv_do_memory_op(uint32_t cmd, uint32_t arg);
long hv_do_console_io(uint32_t cmd, uint32_t count, uint32_t buf);
long hv_do_sched_op(uint32_t cmd, uint32_t arg);
long hv_do_sched_op_compat(uint32_t cmd, uint32_t arg);
long hv_do_set_timer_op(uint32_t lo, uint32_t hi);
long hv_do_vcpu_op(uint32_t cmd, uint32_t vcpu, uint32_t arg);
long hv_do_event_channel_op(uint32_t cmd, uint32_t arg);
long hv_do_grant_table_op(uint32_t cmd, uint32_t arg, uint32_t count);

/* event.c */
void hv_evtchn_init(struct hv_domain *d);
int hv_evtchn_alloc_xen(struct hv_domain *d, int service); /* a port the hypervisor serves */
void hv_evtchn_set_pending(struct hv_domain *d, uint32_t port);
void hv_send_virq(struct hv_domain *d, uint32_t virq);
void hv_evtchn_close_all(struct hv_domain *d);
int hv_evtchn_is_pending_unmasked(struct hv_domain *d, uint32_t port);

/* conring.c / store.c */
void hv_console_domain_write(struct hv_domain *d, const char *buf, uint32_t n);
void hv_console_ring_service(struct hv_domain *d);
void hv_console_flush(struct hv_domain *d);
void hv_store_init(struct hv_domain *d);
void hv_store_service(struct hv_domain *d);

/* grant.c */
void hv_gnttab_init(struct hv_domain *d);
void hv_gnttab_release(struct hv_domain *d);
void hv_gnttab_implicit_unmap(struct hv_domain *d, uint32_t frame, int rw);

#endif
