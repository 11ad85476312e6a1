/* tests/guests/common/boot.S - Multiboot v1 header and entry of a test kernel.
 *
 * The loader (QEMU's, or ringlab's) enters _start in 32-bit protected mode,
 * paging off, interrupts off, with EAX = 0x2BADB002 and EBX = the physical
 * address of the Multiboot information structure. _start sets up a stack and
 * calls kmain(magic, info). A kmain that returns has not reported a verdict:
 * that is a failure, reported through the exit port.
 */
#define MB_HEADER_MAGIC 0x1BADB002
#define MB_PAGE_ALIGN   0x00000001  /* modules on page boundaries */
#define MB_MEMORY_INFO  0x00000002  /* mem_lower/mem_upper and the memory map */
#define MB_FLAGS        (MB_PAGE_ALIGN | MB_MEMORY_INFO)

#define EXIT_PORT       0xf4        /* as QEMU's isa-debug-exit */
#define VERDICT_FAIL    1

#define STACK_BYTES     16384

        .section .multiboot, "a"
        .balign 4
        .long MB_HEADER_MAGIC
        .long MB_FLAGS
        .long -(MB_HEADER_MAGIC + MB_FLAGS)

        .section .bss
        .balign 16
stack_bottom:
        .skip STACK_BYTES
stack_top:

        .section .text
        .globl _start
        .type _start, @function
_start:
        movl $stack_top, %esp
        pushl $0
        popfl                           /* known flags: IF=0, DF=0 */
        subl $8, %esp                   /* 16-byte aligned at the call */
        pushl %ebx                      /* info */
        pushl %eax                      /* magic */
        call kmain

        movb $VERDICT_FAIL, %al
        outb %al, $EXIT_PORT
1:      cli
        hlt
        jmp 1b
        .size _start, . - _start

        .section .note.GNU-stack, "", @progbits
