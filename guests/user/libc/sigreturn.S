/* guests/user/libc/sigreturn.S - the signal restorer.
 *
 * sigaction() registers every handler with SA_RESTORER and this function as
 * sa_restorer, as glibc does on i386: the kernel writes its address as the
 * handler's return address in the signal frame, so a handler's RET lands
 * here with ESP just above that slot, on the rest of the rt frame (signal
 * number, siginfo and ucontext pointers, then the structures). rt_sigreturn
 * restores the registers and mask saved in the ucontext and never returns. */
#include <asm/unistd_32.h>
	.text
	.globl libc_restore_rt
	.type libc_restore_rt, @function
libc_restore_rt:
	movl $__NR_rt_sigreturn, %eax
	int $0x80
	ud2
	.size libc_restore_rt, . - libc_restore_rt

	.section .note.GNU-stack, "", @progbits
