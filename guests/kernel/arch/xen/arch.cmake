# arch/xen/arch.cmake - the paravirtualized build of the guest kernel
# (issue 12): the same core with arch/xen/, a Xen 32-bit PAE PV kernel for
# hv/ (arch/xen/README.md), guests/kernel-xen.elf of the build.
# -D__XEN_INTERFACE_VERSION__ matters to arch/xen only (the Xen headers);
# tests/pv checks that the core's objects are the same bytes in both builds.
set(kernel_arch_target kernel-xen)
set(kernel_arch_sources
  arch/xen/head.S arch/xen/entry.S arch/xen/boot.c arch/xen/mmu.c arch/xen/events.c arch/xen/xen.c)
set(kernel_arch_linker_script ${CMAKE_CURRENT_LIST_DIR}/kernel-xen.ld)
set(kernel_arch_options -D__XEN_INTERFACE_VERSION__=0x00040d00)
