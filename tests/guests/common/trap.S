/* tests/guests/common/trap.S - the common trap entry, and ring-3 entry/exit.
 *
 * trap_stubs: 256 stubs, 16 bytes apart (stub v at trap_stubs + 16 * v).
 * Each pushes a 0 in place of the error code for vectors the processor
 * gives none (all but 8, 10-14 and 17), then its vector, and jumps to
 * trap_common, which saves the registers, loads the kernel data segments
 * and calls trap_dispatch(frame) (desc.c); layout: struct trap_frame in
 * x86.h. The processor's error code is therefore always in the frame. */
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23

        .section .text
        .balign 16
        .globl trap_stubs
trap_stubs:
        .set vec, 0
        .rept 256
        .balign 16
        .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17)
        .else
        pushl $0
        .endif
        pushl $vec
        jmp trap_common
        .set vec, vec + 1
        .endr

trap_common:
        pushal
        pushl %ds
        pushl %es
        movl $SEL_KDATA, %eax
        movl %eax, %ds
        movl %eax, %es
        cld
        pushl %esp
        call trap_dispatch
        addl $4, %esp
        popl %es
        popl %ds
        popal
        addl $8, %esp                   /* vector and error code */
        iretl

/* uint32_t ring3_call(void (*fn)(void), uint32_t user_esp)
 * Saves the callee-saved registers and ESP, then IRETs to fn at CPL 3 on
 * user_esp, with the flat ring-3 data segment in DS ES FS GS and a return
 * address to ring3_fell_off on the user stack. */
        .globl ring3_call
        .type ring3_call, @function
ring3_call:
        pushl %ebp
        pushl %ebx
        pushl %esi
        pushl %edi
        movl %esp, ring3_kernel_esp
        movl 20(%esp), %eax             /* fn */
        movl 24(%esp), %ecx             /* user_esp */
        subl $4, %ecx
        movl $ring3_fell_off, (%ecx)
        pushl $SEL_UDATA
        pushl %ecx
        pushfl
        andl $~0x3200, (%esp)           /* IF=0, IOPL=0 */
        pushl $SEL_UCODE
        pushl %eax
        movl $SEL_UDATA, %edx
        movl %edx, %ds
        movl %edx, %es
        movl %edx, %fs
        movl %edx, %gs
        iretl
        .size ring3_call, . - ring3_call

/* A ring-3 function that returned instead of calling ring3_exit. */
ring3_fell_off:
        movl $0xDEADDEAD, %eax
        int $0x81

/* void ring3_return(uint32_t value): back to ring3_call's caller (CPL 0). */
        .globl ring3_return
        .type ring3_return, @function
ring3_return:
        movl 4(%esp), %eax
        movl ring3_kernel_esp, %esp
        movl $SEL_KDATA, %edx
        movl %edx, %ds
        movl %edx, %es
        movl %edx, %fs
        movl %edx, %gs
        popl %edi
        popl %esi
        popl %ebx
        popl %ebp
        ret
        .size ring3_return, . - ring3_return

        .section .bss
        .balign 4
ring3_kernel_esp:
        .skip 4

        .section .note.GNU-stack, "", @progbits
