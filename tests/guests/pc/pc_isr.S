/* tests/guests/pc/pc_isr.S - one entry stub per vector: pushes a zero error
 * code where the processor pushes none, then the vector, and calls
 * isr_dispatch(vector) with every register saved. */
        .altmacro
        .macro stub n
        .globl pc_isr_stub_\n
pc_isr_stub_\n:
        .if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17)
        .else
        pushl $0
        .endif
        pushl $\n
        jmp isr_common
        .endm

        .macro addr n
        .long pc_isr_stub_\n
        .endm

        .section .text
isr_common:
        pushal
        cld
        movl 32(%esp), %eax
        pushl %eax
        call isr_dispatch
        addl $4, %esp
        popal
        addl $8, %esp
        iret

        .set i, 0
        .rept 48
        stub %i
        .set i, i + 1
        .endr

        .section .rodata
        .globl pc_isr_stubs
        .balign 4
pc_isr_stubs:
        .set i, 0
        .rept 48
        addr %i
        .set i, i + 1
        .endr

        .section .note.GNU-stack, "", @progbits
