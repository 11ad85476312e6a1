/* guests/user/libc/syscall6.S - int $0x80 with six arguments.
 *
 *   long libc_sc6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
 *
 * The sixth argument goes in EBP, which C's inline assembly cannot name, so
 * this one is written out: it saves the callee-saved EBX, ESI, EDI and EBP,
 * loads EAX and the six argument registers from the stack and traps. */
	.text
	.globl libc_sc6
	.type libc_sc6, @function
libc_sc6:
	pushl %ebp
	pushl %edi
	pushl %esi
	pushl %ebx
	movl 20(%esp), %eax	/* nr (16 bytes saved + return address) */
	movl 24(%esp), %ebx
	movl 28(%esp), %ecx
	movl 32(%esp), %edx
	movl 36(%esp), %esi
	movl 40(%esp), %edi
	movl 44(%esp), %ebp
	int $0x80
	popl %ebx
	popl %esi
	popl %edi
	popl %ebp
	ret
	.size libc_sc6, . - libc_sc6

	.section .note.GNU-stack, "", @progbits
