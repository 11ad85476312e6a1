/* guests/user/libc/sigreturn.S - the signal restorers.
 *
 * sigaction() registers every handler with SA_RESTORER and one of these as
 * sa_restorer, as glibc does on i386. The kernel writes the restorer's
 * address as the handler's return address in the signal frame, so a
 * handler's RET lands here. Linux i386 builds two kinds of frame:
 *
 *   SA_SIGINFO   struct rt_sigframe: return address, signal number,
 *                siginfo and ucontext pointers, then siginfo and ucontext.
 *                libc_restore_rt calls rt_sigreturn with ESP just above the
 *                return address.
 *   otherwise    struct sigframe: return address, signal number, then a
 *                struct sigcontext. libc_restore pops the signal number and
 *                calls sigreturn, with ESP at the sigcontext.
 *
 * Either call restores the registers and mask saved in the frame and never
 * returns. */
#include <asm/unistd_32.h>
	.text
	.globl libc_restore_rt
	.type libc_restore_rt, @function
libc_restore_rt:
	movl $__NR_rt_sigreturn, %eax
	int $0x80
	ud2
	.size libc_restore_rt, . - libc_restore_rt

	.globl libc_restore
	.type libc_restore, @function
libc_restore:
	popl %eax
	movl $__NR_sigreturn, %eax
	int $0x80
	ud2
	.size libc_restore, . - libc_restore

	.section .note.GNU-stack, "", @progbits
