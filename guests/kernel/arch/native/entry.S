/* arch/native/entry.S - the way into and out of the kernel.
 *
 * Every vector the kernel uses has a stub that makes the frame uniform
 * (pushes a zero where the CPU pushes no error code, then the vector) and
 * jumps to trap_common, which completes struct trapframe (pv.h: pushal,
 * then the segment registers), loads the kernel's data segments and calls
 * native_trap(tf). The way out (trap_return) pops the same frame and
 * IRETs, to user mode (CPL 3) or back into the interrupted kernel code.
 *
 * Stubs exist for the exceptions (0-31), the PIC's IRQs (32-47) and the
 * system call (0x80); native_trap_stubs lists their addresses by vector so
 * that set_trap_table can install the ones the core asks for.
 */
#define SEL_KDATA 0x10

        .text
        .macro stub v, err
        .balign 8
trap_stub_\v:
        .if \err == 0
        pushl $0                        /* no error code from the CPU */
        .endif
        pushl $\v
        jmp trap_common
        .endm

        /* exceptions 8, 10-14 and 17 push an error code */
        stub 0,0;  stub 1,0;  stub 2,0;  stub 3,0;  stub 4,0;  stub 5,0
        stub 6,0;  stub 7,0;  stub 8,1;  stub 9,0;  stub 10,1; stub 11,1
        stub 12,1; stub 13,1; stub 14,1; stub 15,0; stub 16,0; stub 17,1
        stub 18,0; stub 19,0; stub 20,0; stub 21,0; stub 22,0; stub 23,0
        stub 24,0; stub 25,0; stub 26,0; stub 27,0; stub 28,0; stub 29,0
        stub 30,0; stub 31,0
        /* IRQs 0-15 */
        stub 32,0; stub 33,0; stub 34,0; stub 35,0; stub 36,0; stub 37,0
        stub 38,0; stub 39,0; stub 40,0; stub 41,0; stub 42,0; stub 43,0
        stub 44,0; stub 45,0; stub 46,0; stub 47,0
        /* the system call */
        stub 128,0

trap_common:
        pushal
        pushl %ds
        pushl %es
        pushl %fs
        pushl %gs
        movl $SEL_KDATA, %eax
        movl %eax, %ds
        movl %eax, %es
        pushl %esp                      /* struct trapframe * */
        call native_trap
        addl $4, %esp
trap_return:
        popl %gs
        popl %fs
        popl %es
        popl %ds
        popal
        addl $8, %esp                   /* vector and error code */
        iret

/* void native_return_to_user(struct trapframe *tf): a new process's first
 * way out of the kernel (fork's child, init). */
        .globl native_return_to_user
        .type native_return_to_user, @function
native_return_to_user:
        movl 4(%esp), %esp
        jmp trap_return
        .size native_return_to_user, . - native_return_to_user

        .section .rodata
        .balign 4
        .globl native_trap_stubs
native_trap_stubs:                      /* indexed by vector; 0: no stub */
        .long trap_stub_0, trap_stub_1, trap_stub_2, trap_stub_3, trap_stub_4, trap_stub_5
        .long trap_stub_6, trap_stub_7, trap_stub_8, trap_stub_9, trap_stub_10, trap_stub_11
        .long trap_stub_12, trap_stub_13, trap_stub_14, trap_stub_15, trap_stub_16, trap_stub_17
        .long trap_stub_18, trap_stub_19, trap_stub_20, trap_stub_21, trap_stub_22, trap_stub_23
        .long trap_stub_24, trap_stub_25, trap_stub_26, trap_stub_27, trap_stub_28, trap_stub_29
        .long trap_stub_30, trap_stub_31, trap_stub_32, trap_stub_33, trap_stub_34, trap_stub_35
        .long trap_stub_36, trap_stub_37, trap_stub_38, trap_stub_39, trap_stub_40, trap_stub_41
        .long trap_stub_42, trap_stub_43, trap_stub_44, trap_stub_45, trap_stub_46, trap_stub_47
        .fill 128 - 48, 4, 0
        .long trap_stub_128
        .fill 256 - 129, 4, 0

        .section .note.GNU-stack, "", @progbits
