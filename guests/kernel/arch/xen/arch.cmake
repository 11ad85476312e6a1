# arch/xen/arch.cmake - the Xen build of the guest kernel (issue 12): the
# same core with arch/xen/, a Xen 32-bit PAE paravirtualized kernel for
# hv/ (arch/xen/README.md), guests/kernel-xen.elf of the build. Compiled
# with the native build's flags (tests/pv checks the core's objects are
# the same bytes); xen.h sets the Xen interface version itself.
set(kernel_arch_target kernel-xen)
set(kernel_arch_sources
  arch/xen/head.S arch/xen/entry.S arch/xen/boot.c arch/xen/mmu.c arch/xen/events.c arch/xen/xen.c)
set(kernel_arch_linker_script ${CMAKE_CURRENT_LIST_DIR}/kernel-xen.ld)
