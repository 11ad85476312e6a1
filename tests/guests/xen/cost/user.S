/* tests/guests/xen/cost/user.S - the direct system call measured from
 * ring 3 (smallest of 64 int $0x80 round trips, into user_cycles), and
 * the entries it needs (as in ../traps/user.S). */
#define FLAT_RING3_CS 0xe02b
#define FLAT_RING3_DS 0xe033

        .text
        .globl enter_user
enter_user:
        pushl %ebx
        pushl %esi
        pushl %edi
        pushl %ebp
        movl %esp, kernel_esp
        movl 20(%esp), %eax
        movl 24(%esp), %ecx
        pushl $FLAT_RING3_DS
        pushl %ecx
        pushfl
        pushl $FLAT_RING3_CS
        pushl %eax
        movl $FLAT_RING3_DS, %eax
        movl %eax, %ds
        movl %eax, %es
        iret

        .globl back_to_kernel
back_to_kernel:
        movl $0xe021, %eax
        movl %eax, %ds
        movl %eax, %es
        movl kernel_esp, %esp
        popl %ebp
        popl %edi
        popl %esi
        popl %ebx
        ret

        .globl syscall_entry
syscall_entry:
        iret

        .section .text.user, "ax"
        .balign 4096
        .globl user_page, user_syscall_loop
user_page:
user_syscall_loop:
        movl $-1, %ebp                  /* best so far (low word; the high word is 0) */
        movl $64, %edi
1:      rdtsc
        movl %eax, %esi
        int $0x80
        rdtsc
        subl %esi, %eax
        cmpl %ebp, %eax
        jae 2f
        movl %eax, %ebp
2:      decl %edi
        jnz 1b
        rdtsc                           /* the empty measurement */
        movl %eax, %esi
        rdtsc
        subl %esi, %eax
        subl %eax, %ebp
        movl %ebp, user_cycles
        int $0x81
        .balign 4096

        .data
kernel_esp: .long 0

        .section .note.GNU-stack, "", @progbits

/* Minimal handlers, so that a figure is the mechanism's and not a C
 * handler's: a page fault skips the 6-byte probe; an upcall clears what
 * it was for and returns through the iret hypercall (which restores the
 * upcall mask from EFLAGS.IF). */
        .text
        .globl pf_fast, ev_fast, ev_vcpu, ev_pending0
pf_fast:
        addl $4, %esp                   /* the error code */
        addl $6, (%esp)
        iret
ev_fast:
        pushl %eax
        movl ev_vcpu, %eax
        movb $0, (%eax)                 /* evtchn_upcall_pending */
        movl $0, 4(%eax)                /* evtchn_pending_sel */
        movl ev_pending0, %eax
        movl $0, (%eax)                 /* evtchn_pending[0] */
        popl %eax
        jmp hypercall_page + 23 * 32

        .data
ev_vcpu:     .long 0
ev_pending0: .long 0
