/* tests/guests/xen/traps/user.S - ring-3 code and the ring-1 entries it
 * reaches: the direct system-call gate (int $0x80: Xen puts the guest's
 * handler straight into the IDT, so the hypervisor never runs), and
 * int $0x81, bounced by the hypervisor, which returns to the kernel. */
#define FLAT_RING3_CS 0xe02b
#define FLAT_RING3_DS 0xe033

        .text
/* enter_user(entry, stack_top): runs entry in ring 3 until it does
 * int $0x81; returns then. */
        .globl enter_user
enter_user:
        pushl %ebx
        pushl %esi
        pushl %edi
        pushl %ebp
        movl %esp, kernel_esp
        movl 20(%esp), %eax              /* entry */
        movl 24(%esp), %ecx              /* stack top */
        pushl $FLAT_RING3_DS             /* SS */
        pushl %ecx                       /* ESP */
        pushfl                           /* EFLAGS (IF = 1) */
        pushl $FLAT_RING3_CS             /* CS */
        pushl %eax                       /* EIP */
        movl $FLAT_RING3_DS, %eax
        movl %eax, %ds
        movl %eax, %es
        iret

/* int $0x81 from ring 3 (bounced): back to enter_user's caller. */
        .globl back_to_kernel
back_to_kernel:
        movl $0xe021, %eax
        movl %eax, %ds
        movl %eax, %es
        movl 8(%esp), %eax               /* the user's EFLAGS at int $0x81 */
        movl %eax, user_eflags
        movl kernel_esp, %esp
        popl %ebp
        popl %edi
        popl %esi
        popl %ebx
        ret

/* The direct system call: counts and returns to ring 3. */
        .globl syscall_entry
syscall_entry:
        incl syscall_count
        movl %eax, syscall_last_eax
        iret

        .section .text.user, "ax"
        .balign 4096
        .globl user_page, user_syscalls, user_privileged
user_page:
/* N system calls, then back to the kernel. */
user_syscalls:
        movl $1000, %ecx
1:      movl %ecx, %eax
        int $0x80
        loop 1b
        int $0x81
/* A privileged instruction in ring 3 (bounced #GP), then int3, then back. */
user_privileged:
        cli
        int3
        int $0x81
        .balign 4096

        .data
        .globl syscall_count, syscall_last_eax, user_eflags
kernel_esp:     .long 0
syscall_count:  .long 0
syscall_last_eax: .long 0
user_eflags:    .long 0

        .section .note.GNU-stack, "", @progbits
