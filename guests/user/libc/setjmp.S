/* guests/user/libc/setjmp.S - setjmp/longjmp and sigsetjmp.
 *
 * struct libc_jmp (libc.h) holds, in order: EBX, ESI, EDI, EBP (the
 * callee-saved registers of the i386 psABI), ESP as it is after setjmp
 * returns, EIP to return to; then mask_saved and the 64-bit signal mask for
 * sigsetjmp. longjmp restores the registers and "returns" from setjmp again
 * with val (1 if val is 0). siglongjmp (misc.c) restores the mask first. */
	.text

	.globl setjmp
	.type setjmp, @function
setjmp:
	movl 4(%esp), %eax	/* env */
	movl $0, 24(%eax)	/* mask_saved = 0 */
	jmp libc_save_regs
	.size setjmp, . - setjmp

/* int sigsetjmp(sigjmp_buf env, int savemask): saves the registers, then
 * jumps (not calls) to libc_sigsetjmp_mask(env, savemask) in C, which finds
 * its arguments where sigsetjmp's caller put them and returns 0 to it. */
	.globl sigsetjmp
	.type sigsetjmp, @function
sigsetjmp:
	movl 4(%esp), %eax
	call libc_save_regs_at	/* EAX = env */
	jmp libc_sigsetjmp_mask
	.size sigsetjmp, . - sigsetjmp

/* Saves the registers of setjmp's caller into *EAX and returns 0 to it. */
libc_save_regs:
	movl %ebx, 0(%eax)
	movl %esi, 4(%eax)
	movl %edi, 8(%eax)
	movl %ebp, 12(%eax)
	leal 4(%esp), %ecx	/* ESP after setjmp's RET */
	movl %ecx, 16(%eax)
	movl (%esp), %ecx	/* the return address */
	movl %ecx, 20(%eax)
	xorl %eax, %eax
	ret

/* Called from sigsetjmp: the caller's frame is one slot deeper. */
libc_save_regs_at:
	movl %ebx, 0(%eax)
	movl %esi, 4(%eax)
	movl %edi, 8(%eax)
	movl %ebp, 12(%eax)
	leal 8(%esp), %ecx	/* ESP after sigsetjmp's RET */
	movl %ecx, 16(%eax)
	movl 4(%esp), %ecx	/* sigsetjmp's return address */
	movl %ecx, 20(%eax)
	ret

	.globl longjmp
	.type longjmp, @function
longjmp:
	movl 4(%esp), %edx	/* env */
	movl 8(%esp), %eax	/* val */
	testl %eax, %eax
	jnz 1f
	incl %eax
1:	movl 0(%edx), %ebx
	movl 4(%edx), %esi
	movl 8(%edx), %edi
	movl 12(%edx), %ebp
	movl 16(%edx), %esp
	jmp *20(%edx)
	.size longjmp, . - longjmp

	.section .note.GNU-stack, "", @progbits
