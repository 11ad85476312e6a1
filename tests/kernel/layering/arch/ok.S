/* Arch code of the layering self-test kernel: privileged, and allowed. */
        .text
        .globl bad_entry
bad_entry:
        cli
        movl %cr3, %eax
        call core_function
        hlt
        .section .note.GNU-stack, "", @progbits
