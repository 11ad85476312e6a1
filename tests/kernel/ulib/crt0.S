/* tests/kernel/ulib/crt0.S - program entry, the system-call stub and the
 * signal restorers of the kernel's test programs. */
        .text
        .globl _start
_start:
        xorl %ebp, %ebp
        movl (%esp), %eax               /* argc */
        leal 4(%esp), %ecx              /* argv */
        leal 8(%esp,%eax,4), %edx       /* envp */
        movl %edx, kt_environ
        andl $-16, %esp
        subl $8, %esp
        pushl %ecx
        pushl %eax
        call main
        pushl %eax
        call kt_exit

/* long ksys(nr, a, b, c, d, e, f) */
        .globl ksys
ksys:
        pushl %ebx
        pushl %esi
        pushl %edi
        pushl %ebp
        movl 20(%esp), %eax
        movl 24(%esp), %ebx
        movl 28(%esp), %ecx
        movl 32(%esp), %edx
        movl 36(%esp), %esi
        movl 40(%esp), %edi
        movl 44(%esp), %ebp
        int $0x80
        popl %ebp
        popl %edi
        popl %esi
        popl %ebx
        ret

        .globl kt_rt_restorer
kt_rt_restorer:
        movl $173, %eax
        int $0x80
        .globl kt_old_restorer
kt_old_restorer:
        popl %eax
        movl $119, %eax
        int $0x80

        .section .note.GNU-stack, "", @progbits
