# arch/native/arch.cmake - the native build of the guest kernel: its arch
# sources, its link layout, and the ELF it makes (guests/kernel.elf of the
# build). guests/kernel/CMakeLists.txt includes every arch/*/arch.cmake and
# links each with the core; another arch (issue 12's arch/xen/) adds its
# own folder and this file, and nothing outside arch/.
set(kernel_arch_target kernel)
set(kernel_arch_sources
  arch/native/boot.S arch/native/entry.S arch/native/native.c arch/native/desc.c
  arch/native/pic.c arch/native/serial.c arch/native/multiboot.c arch/native/check.c)
set(kernel_arch_linker_script ${CMAKE_CURRENT_LIST_DIR}/kernel.ld)
