/* bench/workloads/entry.S - entry of a benchmark image.
 *
 * Two ways in, both in flat 32-bit protected mode with paging and
 * interrupts off: a Multiboot v1 loader (ringlab, QEMU -kernel) enters the
 * ELF at _start; the floppy boot sector (bench/boot/floppy.S, for Bochs)
 * copies the flat image to 1 MiB and jumps to its first byte, which is
 * _start too (bench.ld puts .text.entry first). Nothing here reads the
 * Multiboot information. _start zeroes .bss itself (the boot sector does
 * not), sets a stack and calls bench_main(), which never returns.
 */
#define MB_HEADER_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000002 /* memory info (unused; ringlab and QEMU accept it) */

        .section .text.entry, "ax"
        .globl _start
_start:
        cld
        movl $__bss_start, %edi
        movl $_end, %ecx
        subl %edi, %ecx
        shrl $2, %ecx
        xorl %eax, %eax
        rep stosl
        movl $bench_stack_top, %esp
        pushl $0
        popfl                           /* IF = 0, DF = 0 */
        call bench_main
1:      cli
        hlt
        jmp 1b

        .balign 4
        .long MB_HEADER_MAGIC
        .long MB_FLAGS
        .long -(MB_HEADER_MAGIC + MB_FLAGS)

        .section .bss
        .balign 16
        .skip 16384
        .globl bench_stack_top
bench_stack_top:
        .skip 4096
        .globl bench_user_stack_top
bench_user_stack_top:
        .skip 4096
        .globl bench_ring0_stack_top
bench_ring0_stack_top:

        .section .note.GNU-stack, "", @progbits
