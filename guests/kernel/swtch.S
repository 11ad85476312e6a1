/* swtch.S - the kernel-stack switch between two processes.
 *
 *   void swtch(struct context **old, struct context *new)
 *
 * Pushes the callee-saved registers (struct context in proc.h, with the
 * return address as eip), stores the stack pointer in *old, loads new as
 * the stack pointer and pops the same. Nothing privileged: the layer's
 * set_kernel_stack and switch_mm do the rest of a context switch.
 */
        .text
        .globl swtch
        .type swtch, @function
swtch:
        movl 4(%esp), %eax
        movl 8(%esp), %edx
        pushl %ebp
        pushl %ebx
        pushl %esi
        pushl %edi
        movl %esp, (%eax)
        movl %edx, %esp
        popl %edi
        popl %esi
        popl %ebx
        popl %ebp
        ret
        .size swtch, . - swtch

        .section .note.GNU-stack, "", @progbits
