/* trace/hypercalls.c - the names of Xen's hypercalls, for the readers:
 * `ringlab trace` dump and export, trace stats and --stats name a
 * hypercall.N by the hypervisor ABI's name for N.
 *
 * The numbers come from Xen's public header (Debian's libxen-dev), the
 * same header the hypervisor and its guests are built against, so the ABI
 * is declared once; this file only spells each macro's name. The interface
 * version is the one guest code is built with (NOTES.md): with an older
 * one, xen.h would map sched_op and friends to their compat numbers. */
#define __XEN_INTERFACE_VERSION__ 0x00040d00
#include <stdint.h>
#include <xen/xen.h>

#include "trace.h"

#define HC(name) [__HYPERVISOR_##name] = #name
static const char *const names[] = {
    HC(set_trap_table),
    HC(mmu_update),
    HC(set_gdt),
    HC(stack_switch),
    HC(set_callbacks),
    HC(fpu_taskswitch),
    HC(sched_op_compat),
    HC(platform_op),
    HC(set_debugreg),
    HC(get_debugreg),
    HC(update_descriptor),
    HC(memory_op),
    HC(multicall),
    HC(update_va_mapping),
    HC(set_timer_op),
    HC(event_channel_op_compat),
    HC(xen_version),
    HC(console_io),
    HC(physdev_op_compat),
    HC(grant_table_op),
    HC(vm_assist),
    HC(update_va_mapping_otherdomain),
    HC(iret),
    HC(vcpu_op),
    HC(set_segment_base),
    HC(mmuext_op),
    HC(xsm_op),
    HC(nmi_op),
    HC(sched_op),
    HC(callback_op),
    HC(xenoprof_op),
    HC(event_channel_op),
    HC(physdev_op),
    HC(hvm_op),
    HC(sysctl),
    HC(domctl),
    HC(kexec_op),
    HC(tmem_op),
    HC(argo_op),
    HC(xenpmu_op),
    HC(dm_op),
    HC(hypfs_op),
};
#undef HC

const char *trace_hypercall_name(unsigned nr) {
  return nr < sizeof names / sizeof names[0] ? names[nr] : NULL;
}
