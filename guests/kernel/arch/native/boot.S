/* arch/native/boot.S - Multiboot header and the first instructions.
 *
 * The loader (ringlab's or QEMU's) enters boot_entry at its PHYSICAL address
 * (the ELF entry point is physical: the kernel is linked at 0xC0100000 but
 * loaded at 0x100000, and paging is off), with EAX = 0x2BADB002 and EBX =
 * the physical address of the Multiboot information. This code runs from
 * the .boot section, linked at its physical address; it builds a boot page
 * table that maps the first GiB twice, at 0 (so this code keeps running)
 * and at PAGE_OFFSET, turns on PAE paging and jumps to the kernel's virtual
 * addresses. native_start (native.c) then builds the real kernel page
 * tables, which drop the low mapping.
 *
 *   boot_pdpt[0] -> boot_pmd   0x00000000-0x3FFFFFFF -> 0-1 GiB (2 MiB pages)
 *   boot_pdpt[3] -> boot_pmd   0xC0000000-0xFFFFFFFF -> 0-1 GiB
 */
#define PAGE_OFFSET 0xC0000000
#define V2P(x) ((x) - PAGE_OFFSET)

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003    /* modules page aligned, memory information */

#define CR0_EM 0x00000004      /* x87 instructions raise #NM: no FPU for users */
#define CR0_WP 0x00010000      /* ring 0 honours read-only pages (copy-on-write) */
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define PDE_2M 0x83            /* present, writable, 2 MiB */

        .section .multiboot, "a"
        .balign 4
        .long MB_HEADER_MAGIC
        .long MB_FLAGS
        .long -(MB_HEADER_MAGIC + MB_FLAGS)

        .section .boot.text, "ax"
        .globl boot_entry
        .type boot_entry, @function
boot_entry:
        cld
        movl %eax, %esi                 /* Multiboot magic */
        movl %ebx, %edi                 /* Multiboot information (physical) */

        movl $V2P(boot_pmd), %edx       /* 512 entries of 2 MiB: the first GiB */
        xorl %ecx, %ecx
1:      movl %ecx, %eax
        shll $21, %eax
        orl $PDE_2M, %eax
        movl %eax, (%edx,%ecx,8)
        movl $0, 4(%edx,%ecx,8)
        incl %ecx
        cmpl $512, %ecx
        jne 1b

        movl $V2P(boot_pdpt), %ecx
        movl $(V2P(boot_pmd) + 1), %eax /* PDPT entries: present only */
        movl %eax, 0(%ecx)
        movl $0, 4(%ecx)
        movl %eax, 24(%ecx)
        movl $0, 28(%ecx)

        movl %cr4, %eax
        orl $CR4_PAE, %eax
        movl %eax, %cr4
        movl %ecx, %cr3
        movl %cr0, %eax
        orl $(CR0_PG | CR0_WP | CR0_EM), %eax
        movl %eax, %cr0

        movl $boot_high, %eax           /* a virtual address: leave the low map */
        jmp *%eax
        .size boot_entry, . - boot_entry

        .text
boot_high:
        movl $boot_stack_top, %esp
        pushl $0
        popfl                           /* IF=0, DF=0, IOPL=0 */
        pushl %edi
        pushl %esi
        call native_start               /* never returns */
2:      cli
        hlt
        jmp 2b

        .bss
        .balign 4096
boot_pmd:
        .skip 4096
        .globl boot_pdpt
boot_pdpt:
        .skip 4096
        .globl boot_stack_top
boot_stack:
        .skip 8192                      /* also the idle context's stack */
boot_stack_top:

        .section .note.GNU-stack, "", @progbits
