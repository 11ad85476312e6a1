/* uaccess.h - the kernel's only way to touch user memory.
 *
 * Every system call that takes a user pointer goes through these: the
 * range is checked against USER_END first, and a fault during the copy
 * (an unmapped page, a write to a read-only page that is not copy-on-write)
 * does not crash the kernel: the page-fault handler first tries to resolve
 * it for the current process (demand paging, COW), and when it cannot, it
 * resumes at the copy routine's fixup (the __ex_table section), which
 * makes the call return -EFAULT.
 */
#ifndef KERNEL_UACCESS_H
#define KERNEL_UACCESS_H

#include "kernel.h"

static inline int access_ok(uint32_t addr, size_t n) { return n <= USER_END && addr <= USER_END - n; }

int copy_from_user(void *dst, const void *usrc, size_t n); /* 0 or -EFAULT */
/* Bytes copied before the first fault (n if none): for calls that report
 * a partial transfer, as write(2) does. */
size_t copy_from_user_partial(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);
int clear_user(void *udst, size_t n);
/* Copies a NUL-terminated string of at most max - 1 bytes: its length, or
 * -EFAULT, or -ENAMETOOLONG when there is no NUL in max bytes. */
long strncpy_from_user(char *dst, const char *usrc, size_t max);
int get_user_u32(uint32_t *v, const void *uaddr);
int put_user_u32(void *uaddr, uint32_t v);

/* The fixup for a faulting instruction at eip, or 0. */
uint32_t uaccess_fixup(uint32_t eip);

#endif
