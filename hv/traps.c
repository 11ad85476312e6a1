/* hv/traps.c - what happens on every entry from a guest: hypercalls,
 * exceptions (bounced to the guest's handler, or emulated), interrupts;
 * and on the way back: scheduling and event upcalls. Also the trap-related
 * hypercalls (set_trap_table, iret, stack_switch, set_callbacks,
 * callback_op, fpu_taskswitch).
 *
 * A bounce frame is what the CPU would have pushed had the guest's handler
 * been in the IDT, built on the guest's ring-1 stack (32-bit Xen's
 * create_bounce_frame): from low to high address
 *
 *   [DS ES FS GS]  failsafe callback only: the selectors that failed
 *   [error code]   exceptions that have one
 *   EIP
 *   CS             bits 16-23: the saved evtchn_upcall_mask
 *   EFLAGS         IF = !saved upcall mask
 *   [ESP SS]       when the guest was in ring 3 (the stack is then the
 *                  kernel stack of stack_switch)
 *
 * and the guest resumes at the handler with TF, NT, RF, VM clear (and its
 * events masked if the trap_info entry or the callback asks for it). A
 * page fault's address is in the vcpu_info's arch.cr2. A bounce that
 * cannot be built (no handler: a null selector; a stack that is not
 * writable) destroys the domain, as Xen's domain_crash_synchronous.
 */
#include "domain.h"

#include <xen/callback.h>
#include <xen/physdev.h>

#define TBF_ERRCODE 1
#define TBF_INTERRUPT 2 /* mask events */
#define TBF_FAILSAFE 4

extern char hv_exit_fault_ds[], hv_exit_fault_es[], hv_exit_fault_fs[], hv_exit_fault_gs[], hv_exit_fault_iret[];
extern const uint32_t hv_fixup_start[], hv_fixup_end[];

int hv_guest_range_ok(uint32_t va, uint32_t n) {
  return va <= HYPERVISOR_VIRT_START && n <= HYPERVISOR_VIRT_START - va;
}

int hv_copy_from_guest(void *dst, uint32_t src, uint32_t n) {
  if (!hv_guest_range_ok(src, n) || hv_copy_from_guest_raw(dst, src, n))
    return -EFAULT;
  return 0;
}

int hv_copy_to_guest(uint32_t dst, const void *src, uint32_t n) {
  if (!hv_guest_range_ok(dst, n) || hv_copy_to_guest_raw(dst, src, n))
    return -EFAULT;
  return 0;
}

uint32_t hv_fixup_lookup(uint32_t eip) {
  for (const uint32_t *p = hv_fixup_start; p < hv_fixup_end; p += 2)
    if (p[0] == eip)
      return p[1];
  return 0;
}

/* ---- bounce frames ------------------------------------------------------------ */
static int create_bounce_frame(struct hv_domain *d, struct hv_frame *g, uint32_t cs, uint32_t eip, uint32_t flags,
                               uint32_t error) {
  struct hv_vcpu *v = hv_vcpu(d);
  uint32_t words[11], n = 0;
  uint32_t esp, ss;
  int from_ring1 = (g->cs & 3) == 1;
  uint8_t saved_mask = v->info->evtchn_upcall_mask;
  if ((cs & ~3u) == 0)
    return 0; /* no handler: null selectors are not allowed */
  if (flags & TBF_FAILSAFE) {
    words[n++] = g->ds;
    words[n++] = g->es;
    words[n++] = g->fs;
    words[n++] = g->gs;
  }
  if (flags & TBF_ERRCODE)
    words[n++] = error;
  words[n++] = g->eip;
  words[n++] = ((uint32_t)saved_mask << 16) | (g->cs & 0xFFFF);
  words[n++] = (g->eflags & ~EFLAGS_IF) | (saved_mask ? 0 : EFLAGS_IF);
  if (from_ring1) {
    esp = g->esp;
    ss = g->ss;
  } else {
    esp = v->kernel_sp;
    ss = v->kernel_ss;
    words[n++] = g->esp;
    words[n++] = g->ss;
  }
  esp -= n * 4;
  if (hv_copy_to_guest(esp, words, n * 4))
    return 0;
  if (flags & TBF_INTERRUPT)
    v->info->evtchn_upcall_mask = 1;
  g->eflags &= ~(EFLAGS_VM | EFLAGS_RF | EFLAGS_NT | EFLAGS_TF);
  g->ss = ss;
  g->esp = esp;
  g->cs = cs;
  g->eip = eip;
  if (flags & TBF_FAILSAFE)
    g->ds = g->es = g->fs = g->gs = 0;
  return 1;
}

int hv_bounce_trap(struct hv_domain *d, struct hv_frame *g, uint32_t vector, int has_error, uint32_t error) {
  const struct trap_info *ti = &hv_vcpu(d)->traps[vector];
  uint32_t flags = (has_error ? TBF_ERRCODE : 0) | (TI_GET_IF(ti) ? TBF_INTERRUPT : 0);
  hv_mark_event(HV_EV_TRAP_BOUNCE, vector, d->id, error);
  if (!create_bounce_frame(d, g, ti->cs, ti->address, flags, error)) {
    hv_domain_crash(d, "unhandled trap %u (error 0x%x) at %04x:%08x: %s", vector, error, g->cs, g->eip,
                    (ti->cs & ~3u) ? "its stack is not writable" : "no handler registered");
    return 0;
  }
  return 1;
}

int hv_bounce_callback(struct hv_domain *d, struct hv_frame *g, uint32_t cs, uint32_t eip, int mask_events) {
  return create_bounce_frame(d, g, cs, eip, mask_events ? TBF_INTERRUPT : 0, 0);
}

/* ---- the failsafe callback ----------------------------------------------- */
/* A fault while reloading the guest's segments or on the final IRET: the
 * guest's frame is at the top of the stack; the registers already popped
 * are in the nested frame nf (see entry.S). */
static void exit_path_fault(struct hv_frame *nf) {
  struct hv_frame *g = hv_guest_frame();
  uint32_t at = nf->eip, vector = nf->vector, error = nf->error_code; /* nf overlaps g: read it first */
  uint32_t gpr[7] = {nf->ebx, nf->ecx, nf->edx, nf->esi, nf->edi, nf->ebp, nf->eax};
  uint32_t segs[4] = {nf->ds, nf->es, nf->fs, nf->gs};
  int popped = at == (uint32_t)hv_exit_fault_ds   ? 0
               : at == (uint32_t)hv_exit_fault_es ? 1
               : at == (uint32_t)hv_exit_fault_fs ? 2
               : at == (uint32_t)hv_exit_fault_gs ? 3
                                                  : 4;
  memcpy(&g->ebx, gpr, sizeof gpr);
  if (popped > 0)
    g->ds = segs[0];
  if (popped > 1)
    g->es = segs[1];
  if (popped > 2)
    g->fs = segs[2];
  if (popped > 3)
    g->gs = segs[3];
  __asm__ volatile("mov %0, %%ds; mov %0, %%es" : : "r"(HV_DS));
  struct hv_domain *d = hv_current;
  struct hv_vcpu *v = hv_vcpu(d);
  hv_mark_event(HV_EV_TRAP_BOUNCE, vector, d->id, error);
  if (!create_bounce_frame(d, g, v->failsafe_cs, v->failsafe_eip,
                           TBF_FAILSAFE | (v->failsafe_masks_events ? TBF_INTERRUPT : 0), 0))
    hv_domain_crash(d, "bad segment or frame on return to %04x:%08x (exception %u, error 0x%x) and %s", g->cs,
                    g->eip, vector, error,
                    (v->failsafe_cs & ~3u) ? "its stack is not writable" : "no failsafe callback");
  hv_check_events(g);
  hv_resume_frame(g);
}

/* ---- exceptions --------------------------------------------------------------- */
int hv_emulate_privileged(struct hv_frame *f);
int hv_emulate_forced(struct hv_frame *f);
int hv_emulate_fence(struct hv_frame *f);

static void guest_exception(struct hv_domain *d, struct hv_frame *f) {
  struct hv_vcpu *v = hv_vcpu(d);
  uint32_t vec = f->vector;
  switch (vec) {
  case 14: { /* page fault */
    uint32_t addr = hv_read_cr2();
    if ((f->error_code & 3) == 3 && (f->cs & 3) == 1 && hv_ptwr_fault(f, addr))
      return;
    v->info->arch.cr2 = addr;
    hv_bounce_trap(d, f, 14, 1, f->error_code);
    return;
  }
  case 13: /* general protection */
    if ((f->error_code & 3) == 2) {
      /* INT n through one of our DPL-0 gates: the guest's vector if its
       * trap_info DPL admits the caller. */
      uint32_t n = f->error_code >> 3;
      if (TI_GET_DPL(&v->traps[n]) >= (f->cs & 3)) {
        f->eip += 2;
        hv_bounce_trap(d, f, n, 0, 0);
        return;
      }
    }
    if (f->error_code == 0 && hv_emulate_privileged(f))
      return;
    hv_bounce_trap(d, f, 13, 1, f->error_code);
    return;
  case 6: /* invalid opcode: maybe Xen's forced-emulation prefix, or a
           * fence the emulated Pentium II lacks (priv.c) */
    if (hv_emulate_forced(f) || hv_emulate_fence(f))
      return;
    hv_bounce_trap(d, f, 6, 0, 0);
    return;
  case 7: /* device not available: Xen's lazy FPU */
    hv_fpu_take(d);
    if (v->fpu_ts) {
      v->fpu_ts = 0;
      hv_bounce_trap(d, f, 7, 0, 0);
    }
    return;
  case 8:
  case 10:
  case 11:
  case 12:
  case 17:
    hv_bounce_trap(d, f, vec, 1, f->error_code);
    return;
  case 2: /* NMI: not routed to guests */
    return;
  default:
    hv_bounce_trap(d, f, vec, 0, 0);
    return;
  }
}

static void dump_frame(const struct hv_frame *f) {
  hv_printf("(XEN)  eip %08x cs %04x eflags %08x vector %u error %08x cr2 %08x\n", f->eip, f->cs & 0xFFFF, f->eflags,
            f->vector, f->error_code, hv_read_cr2());
  hv_printf("(XEN)  eax %08x ebx %08x ecx %08x edx %08x esi %08x edi %08x ebp %08x\n", f->eax, f->ebx, f->ecx, f->edx,
            f->esi, f->edi, f->ebp);
}

void hv_irq(uint32_t vector);

/* An entry from ring 0: an interrupt while idle, a guest-access fault
 * (fixup), a fault on the way back to a guest (failsafe), or a bug. */
static void hypervisor_entry(struct hv_frame *f) {
  uint32_t vec = f->vector;
  if (vec >= 0x20 && vec < 0x30) {
    hv_irq(vec);
    return;
  }
  if (vec == 14) {
    uint32_t fix = hv_fixup_lookup(f->eip);
    if (fix) {
      f->eip = fix;
      return;
    }
  }
  if ((vec == 13 || vec == 11 || vec == 12 || vec == 10) &&
      (f->eip == (uint32_t)hv_exit_fault_ds || f->eip == (uint32_t)hv_exit_fault_es ||
       f->eip == (uint32_t)hv_exit_fault_fs || f->eip == (uint32_t)hv_exit_fault_gs ||
       f->eip == (uint32_t)hv_exit_fault_iret))
    exit_path_fault(f);
  hv_printf("(XEN) fatal exception %u in the hypervisor\n", vec);
  dump_frame(f);
  hv_panic("hypervisor fault");
}

void hv_dispatch(struct hv_frame *f) {
  if ((f->cs & 3) == 0 && !(f->eflags & EFLAGS_VM)) {
    hypervisor_entry(f);
    return;
  }
  struct hv_domain *d = hv_current;
  uint32_t vec = f->vector;
  if (vec == HV_HYPERCALL_VECTOR)
    hv_hypercall(f);
  else if (vec < 32)
    guest_exception(d, f);
  else if (vec >= 0x20 && vec < 0x30)
    hv_irq(vec);
  hv_check_events(f);
}

/* On the way back to a guest: switch if the scheduler wants to, then
 * deliver pending events (an upcall to the event callback). */
void hv_check_events(struct hv_frame *f) {
  for (;;) {
    struct hv_domain *d = hv_current;
    if (hv_need_resched || !d || d->destroyed || d->shutdown_reason >= 0 || hv_vcpu(d)->state != VCPU_RUNNABLE) {
      hv_schedule(); /* returns with a runnable hv_current, its frame in f */
      continue;
    }
    if (d->console_port)
      hv_console_ring_service(d);
    struct hv_vcpu *v = hv_vcpu(d);
    if (v->info->evtchn_upcall_pending && !v->info->evtchn_upcall_mask) {
      hv_mark_event(HV_EV_EVENT_UPCALL, d->id, 0, 0);
      if (!create_bounce_frame(d, f, v->event_cs, v->event_eip, TBF_INTERRUPT, 0)) {
        hv_domain_crash(d, "event pending and %s", (v->event_cs & ~3u) ? "its stack is not writable"
                                                                      : "no event callback registered");
        continue;
      }
    }
    return;
  }
}

/* ---- trap hypercalls ---------------------------------------------------------- */
/* The direct system-call gate (Xen's int80 direct trap): installed when the
 * guest's trap_info for 0x80 has DPL 3 and does not mask events. */
void hv_update_direct_trap(struct hv_domain *d) {
  const struct trap_info *ti = &hv_vcpu(d)->traps[0x80];
  int direct = TI_GET_DPL(ti) == 3 && !TI_GET_IF(ti) && (ti->cs & ~3u) && hv_guest_gate_selector_ok(ti->cs);
  hv_idt_set_direct_trap(0x80, ti->cs, ti->address, direct);
}

/* set_trap_table(list): entries up to one with address 0; NULL clears. */
long hv_do_set_trap_table(uint32_t list) {
  struct hv_domain *d = hv_current;
  struct hv_vcpu *v = hv_vcpu(d);
  if (list == 0) {
    memset(v->traps, 0, sizeof v->traps);
    hv_update_direct_trap(d);
    return 0;
  }
  for (uint32_t k = 0;; k++) {
    struct trap_info ti;
    if (hv_copy_from_guest(&ti, list + k * sizeof ti, sizeof ti))
      return -EFAULT;
    if (ti.address == 0)
      break;
    ti.cs = (uint16_t)hv_fixup_guest_selector(ti.cs);
    if (!hv_guest_gate_selector_ok(ti.cs))
      return -EPERM;
    v->traps[ti.vector] = ti;
    if (ti.vector == 0x80)
      hv_update_direct_trap(d);
  }
  return 0;
}

/* iret: the stub pushed EAX; then EIP, CS, EFLAGS [, ESP, SS]. */
long hv_do_iret(struct hv_frame *f) {
  struct hv_domain *d = hv_current;
  uint32_t w[6];
  if (!hv_guest_range_ok(f->esp, 40) || hv_copy_from_guest(w, f->esp, 16)) {
    hv_domain_crash(d, "iret with a bad frame at %08x", f->esp);
    return -EFAULT;
  }
  f->eax = w[0];
  f->eip = w[1];
  f->cs = w[2] & 0xFFFF;
  uint32_t eflags = w[3];
  f->esp += 16;
  f->eflags = (eflags & ~(EFLAGS_IOPL | EFLAGS_VM)) | EFLAGS_IF;
  if ((f->cs & 3) == 0) {
    hv_domain_crash(d, "iret to ring 0 (cs %04x)", f->cs);
    return -EINVAL;
  }
  if ((f->cs & 3) != 1) {
    if (hv_copy_from_guest(w, f->esp, 8)) {
      hv_domain_crash(d, "iret with a bad frame at %08x", f->esp);
      return -EFAULT;
    }
    f->esp = w[0];
    f->ss = w[1] & 0xFFFF;
  }
  hv_vcpu(d)->info->evtchn_upcall_mask = !(eflags & EFLAGS_IF);
  return (long)f->eax;
}

long hv_do_stack_switch(uint32_t ss, uint32_t esp) {
  struct hv_vcpu *v = hv_vcpu(hv_current);
  ss = hv_fixup_guest_selector(ss);
  v->kernel_ss = ss;
  v->kernel_sp = esp;
  hv_tss_set_ring1_stack(ss, esp);
  return 0;
}

long hv_do_set_callbacks(uint32_t ecs, uint32_t eeip, uint32_t fcs, uint32_t feip) {
  struct hv_vcpu *v = hv_vcpu(hv_current);
  v->event_cs = hv_fixup_guest_selector(ecs);
  v->event_eip = eeip;
  v->failsafe_cs = hv_fixup_guest_selector(fcs);
  v->failsafe_eip = feip;
  return 0;
}

static long register_callback(struct callback_register *r) {
  struct hv_vcpu *v = hv_vcpu(hv_current);
  uint32_t cs = hv_fixup_guest_selector(r->address.cs);
  switch (r->type) {
  case CALLBACKTYPE_event:
    v->event_cs = cs;
    v->event_eip = r->address.eip;
    return 0;
  case CALLBACKTYPE_failsafe:
    v->failsafe_cs = cs;
    v->failsafe_eip = r->address.eip;
    v->failsafe_masks_events = (r->flags & CALLBACKF_mask_events) != 0;
    return 0;
  case CALLBACKTYPE_nmi:
    v->nmi_eip = r->address.eip;
    return 0;
  default:
    return -ENOSYS;
  }
}

long hv_do_callback_op(uint32_t cmd, uint32_t arg) {
  switch (cmd) {
  case CALLBACKOP_register: {
    struct callback_register r;
    if (hv_copy_from_guest(&r, arg, sizeof r))
      return -EFAULT;
    return register_callback(&r);
  }
  case CALLBACKOP_unregister: {
    struct callback_unregister u;
    if (hv_copy_from_guest(&u, arg, sizeof u))
      return -EFAULT;
    if (u.type == CALLBACKTYPE_event || u.type == CALLBACKTYPE_failsafe)
      return -EINVAL; /* "cannot be unregistered" */
    if (u.type == CALLBACKTYPE_nmi) {
      hv_vcpu(hv_current)->nmi_eip = 0;
      return 0;
    }
    return -ENOSYS;
  }
  default:
    return -ENOSYS;
  }
}

/* The FPU, lazily, as Xen: a domain switched in runs with CR0.TS set; its
 * first FPU instruction faults (#NM) and the hypervisor gives it the FPU
 * (its saved state, or a fresh one), then bounces the #NM if the guest's
 * own TS (fpu_taskswitch) was set. Switching away from a domain that used
 * the FPU saves it (FNSAVE). */
static void stts(void) {
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 8u));
}

void hv_fpu_stts(void) { stts(); }

void hv_fpu_take(struct hv_domain *d) {
  struct hv_vcpu *v = hv_vcpu(d);
  __asm__ volatile("clts");
  if (v->fpu_dirtied)
    return;
  if (v->fpu_initialised)
    __asm__ volatile("frstor %0" : : "m"(v->fpu_state));
  else
    __asm__ volatile("fninit");
  v->fpu_dirtied = 1;
  v->fpu_initialised = 1;
}

void hv_fpu_save(struct hv_domain *d) {
  struct hv_vcpu *v = hv_vcpu(d);
  if (v->fpu_dirtied) {
    __asm__ volatile("clts; fnsave %0" : "=m"(v->fpu_state));
    v->fpu_dirtied = 0;
  }
  stts();
}

long hv_do_fpu_taskswitch(uint32_t set) {
  struct hv_vcpu *v = hv_vcpu(hv_current);
  if (set) {
    v->fpu_ts = 1;
    stts();
  } else {
    v->fpu_ts = 0;
    if (v->fpu_dirtied)
      __asm__ volatile("clts");
  }
  return 0;
}

/* physdev_op: only the I/O privilege level (set_iopl) and its query. */
long hv_do_physdev_op(uint32_t cmd, uint32_t arg) {
  struct hv_domain *d = hv_current;
  switch (cmd) {
  case PHYSDEVOP_set_iopl: {
    struct physdev_set_iopl s;
    if (hv_copy_from_guest(&s, arg, sizeof s))
      return -EFAULT;
    if (s.iopl > 3)
      return -EINVAL;
    /* A virtual IOPL, as Xen's: the real one stays 0, and a port access
     * from the guest faults into priv.c, which performs it only if this
     * level admits the guest's ring and the domain may use ports (the
     * privileged domain). */
    hv_vcpu(d)->iopl = s.iopl;
    return 0;
  }
  default:
    return -ENOSYS;
  }
}
