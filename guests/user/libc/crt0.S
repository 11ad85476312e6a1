/* guests/user/libc/crt0.S - the entry point of every program.
 *
 * Linux's execve leaves the new program's initial stack like this (and our
 * kernel builds the same), ESP pointing at argc:
 *
 *   high  strings of argv and envp, the auxv's data
 *         0, 0                     AT_NULL ends the auxiliary vector
 *         type, value ...          auxv: (AT_*, value) pairs
 *         0                        end of envp
 *         envp[0] ...
 *         0                        argv[argc]
 *         argv[0] ... argv[argc-1]
 *   ESP-> argc
 *
 * _start clears EBP (the outermost frame for a debugger's backtrace), aligns
 * the stack to 16 bytes as the i386 psABI asks at a call, and hands the
 * initial stack pointer to libc_start (start.c), which never returns. The
 * registers other than ESP hold nothing the ABI promises (EDX may hold a
 * function for atexit on some systems; Linux passes 0 for a static program,
 * and this library ignores it). */
	.text
	.globl _start
	.type _start, @function
_start:
	xorl %ebp, %ebp
	movl %esp, %eax
	andl $-16, %esp
	subl $12, %esp
	pushl %eax
	call libc_start
	ud2
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
