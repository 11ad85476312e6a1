/* hv/hypercall.c - the hypercall entry: Xen's 32-bit convention (number
 * in EAX, arguments in EBX, ECX, EDX, ESI, EDI, EBP, result in EAX), one
 * table (hypercalls.def) from number to handler, multicall, and the
 * hypercall page every guest calls through.
 *
 * Each hypercall is marked on the ringlab ops port (number, first three
 * arguments, result), multicall members nested inside their multicall, so
 * `--stats` counts hypercall.N and a trace shows spans. Numbers without a
 * row answer -ENOSYS.
 */
#include "domain.h"

#include <xen/sched.h>

typedef long (*hv_hypercall_fn)(struct hv_frame *f, const uint32_t *a);

static long hc_set_trap_table(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_set_trap_table(a[0]); }
static long hc_mmu_update(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_mmu_update(a[0], a[1], a[2], a[3]); }
static long hc_set_gdt(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_set_gdt(a[0], a[1]); }
static long hc_stack_switch(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_stack_switch(a[0], a[1]); }
static long hc_set_callbacks(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_set_callbacks(a[0], a[1], a[2], a[3]); }
static long hc_fpu_taskswitch(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_fpu_taskswitch(a[0]); }
static long hc_sched_op_compat(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_sched_op_compat(a[0], a[1]); }
static long hc_update_descriptor(struct hv_frame *f, const uint32_t *a) {
  (void)f;
  return hv_do_update_descriptor(((uint64_t)a[1] << 32) | a[0], ((uint64_t)a[3] << 32) | a[2]);
}
static long hc_memory_op(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_memory_op(a[0], a[1]); }
static long hc_multicall(struct hv_frame *f, const uint32_t *a);
static long hc_update_va_mapping(struct hv_frame *f, const uint32_t *a) {
  (void)f;
  return hv_do_update_va_mapping(a[0], ((uint64_t)a[2] << 32) | a[1], a[3]);
}
static long hc_set_timer_op(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_set_timer_op(a[0], a[1]); }
static long hc_xen_version(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_xen_version(a[0], a[1]); }
static long hc_console_io(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_console_io(a[0], a[1], a[2]); }
static long hc_grant_table_op(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_grant_table_op(a[0], a[1], a[2]); }
static long hc_vm_assist(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_vm_assist(a[0], a[1]); }
static long hc_iret(struct hv_frame *f, const uint32_t *a) { (void)a; return hv_do_iret(f); }
static long hc_vcpu_op(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_vcpu_op(a[0], a[1], a[2]); }
static long hc_mmuext_op(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_mmuext_op(a[0], a[1], a[2], a[3]); }
static long hc_sched_op(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_sched_op(a[0], a[1]); }
static long hc_callback_op(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_callback_op(a[0], a[1]); }
static long hc_event_channel_op(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_event_channel_op(a[0], a[1]); }
static long hc_physdev_op(struct hv_frame *f, const uint32_t *a) { (void)f; return hv_do_physdev_op(a[0], a[1]); }

static const struct {
  hv_hypercall_fn fn;
  const char *name;
  uint8_t nargs;
} table[64] = {
#define HYPERCALL(nr, name, nargs) [nr] = {hc_##name, #name, nargs},
#include "hypercalls.def"
#undef HYPERCALL
};

static long call(struct hv_frame *f, uint32_t nr, const uint32_t *a) {
  hv_mark_hypercall_enter(nr, a[0], a[1], a[2]);
  long rc = (nr < 64 && table[nr].fn) ? table[nr].fn(f, a) : -ENOSYS;
  hv_mark_hypercall_exit(nr, (uint32_t)rc);
  return rc;
}

static int in_multicall;

/* multicall(list, count): each entry's op and six arguments; its result
 * written back. A multicall inside a multicall is refused (-EINVAL). */
static long hc_multicall(struct hv_frame *f, const uint32_t *a) {
  uint32_t list = a[0], n = a[1];
  if (in_multicall)
    return -EINVAL;
  if (n > 0x07FFFFFFu || !hv_guest_range_ok(list, n * (uint32_t)sizeof(multicall_entry_t)))
    return -EFAULT;
  in_multicall = 1;
  long rc = 0;
  for (uint32_t i = 0; i < n; i++) {
    multicall_entry_t e;
    uint32_t at = list + i * sizeof e;
    if (hv_copy_from_guest(&e, at, sizeof e)) {
      rc = -EFAULT;
      break;
    }
    uint32_t args[6];
    for (int k = 0; k < 6; k++)
      args[k] = e.args[k];
    e.result = (xen_ulong_t)call(f, e.op, args);
    if (hv_copy_to_guest(at + offsetof(multicall_entry_t, result), &e.result, sizeof e.result)) {
      rc = -EFAULT;
      break;
    }
    if (!hv_current || hv_current->destroyed)
      break;
  }
  in_multicall = 0;
  return rc;
}

void hv_hypercall(struct hv_frame *f) {
  uint32_t a[6] = {f->ebx, f->ecx, f->edx, f->esi, f->edi, f->ebp};
  hv_current->hypercalls++;
  long rc = call(f, f->eax, a);
  f->eax = (uint32_t)rc;
  extern void hv_audit_tick(void);
  hv_audit_tick();
}

/* The hypercall page: one 32-byte stub per number, "mov $nr, %eax; int
 * $0x82; ret"; iret's stub pushes EAX first and does not return. */
void hv_hypercall_page_fill(void *page) {
  uint8_t *p = page;
  memset(p, 0xCC, HV_PAGE_SIZE);
  for (uint32_t i = 0; i < HV_PAGE_SIZE / 32; i++) {
    uint8_t *s = p + i * 32;
    if (i == __HYPERVISOR_iret) {
      s[0] = 0x50; /* push %eax */
      s[1] = 0xB8; /* mov $iret, %eax */
      memcpy(s + 2, &i, 4);
      s[6] = 0xCD; /* int $0x82 */
      s[7] = HV_HYPERCALL_VECTOR;
      continue;
    }
    s[0] = 0xB8; /* mov $i, %eax */
    memcpy(s + 1, &i, 4);
    s[5] = 0xCD; /* int $0x82 */
    s[6] = HV_HYPERCALL_VECTOR;
    s[7] = 0xC3; /* ret */
  }
}

const char *hv_hypercall_name(uint32_t nr) { return nr < 64 && table[nr].name ? table[nr].name : "?"; }
