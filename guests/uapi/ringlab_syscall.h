/* guests/uapi/ringlab_syscall.h - the one system call of the guest kernel
 * that Linux does not have: a user program's way to the ringlab ops port
 * (machine/ringlab_ops.h), for reporting results and marking regions of an
 * experiment. Everything else in the kernel's system-call ABI is Linux's
 * i386 ABI, taken from Linux's own UAPI headers (Debian's linux-libc-dev:
 * <asm/unistd_32.h>, <asm/stat.h>, <asm/signal.h>, ...), never redeclared.
 *
 *   int ringlab(op, arg0, arg1, arg2, arg3)     (EAX = __NR_ringlab,
 *                                                EBX = op, ECX..EDI = args)
 *
 * op is a RINGLAB_OP_* of machine/ringlab_ops.h. Names and texts (REGION_*,
 * RESULT, ANNOTATE) are passed by USER virtual address and length; the
 * kernel copies them and hands the port a physical address. Returns the
 * port's STATUS (RINGLAB_OPS_OK = 0, or a RINGLAB_OPS_E* value), -EFAULT
 * for a bad pointer, -EINVAL for an op a user may not ask for (EXIT: a user
 * program ends the run by making init exit, which powers the machine off;
 * HYPERCALL_*: the hypervisor's), and -ENODEV where there is no ops port
 * (under QEMU, or on Linux itself, where the number is unknown and the
 * call gives -ENOSYS). A program uses it outside its timed loops: each call
 * is a full system call.
 */
#ifndef RINGLAB_SYSCALL_H
#define RINGLAB_SYSCALL_H

/* Far above Linux's i386 numbers (under 500 in 2026), so it never collides. */
#define __NR_ringlab 1440

#endif
