/* uaccess.c - checked copies between the kernel and user memory (see
 * uaccess.h); the loops that may fault are in uaccess_copy.S. */
#include "uaccess.h"

#include <asm-generic/errno.h>

size_t uaccess_copy(void *dst, const void *src, size_t n);
size_t uaccess_clear(void *dst, size_t n);
long uaccess_strncpy(char *dst, const char *src, size_t max);

struct ex_entry {
  uint32_t insn, fixup;
};
extern const struct ex_entry __ex_table_start[], __ex_table_end[];

uint32_t uaccess_fixup(uint32_t eip) {
  for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++)
    if (e->insn == eip)
      return e->fixup;
  return 0;
}

int copy_from_user(void *dst, const void *usrc, size_t n) {
  if (!access_ok((uint32_t)usrc, n))
    return -EFAULT;
  return uaccess_copy(dst, usrc, n) ? -EFAULT : 0;
}

size_t copy_from_user_partial(void *dst, const void *usrc, size_t n) {
  if (!access_ok((uint32_t)usrc, n))
    return 0;
  return n - uaccess_copy(dst, usrc, n);
}

int copy_to_user(void *udst, const void *src, size_t n) {
  if (!access_ok((uint32_t)udst, n))
    return -EFAULT;
  return uaccess_copy(udst, src, n) ? -EFAULT : 0;
}

int clear_user(void *udst, size_t n) {
  if (!access_ok((uint32_t)udst, n))
    return -EFAULT;
  return uaccess_clear(udst, n) ? -EFAULT : 0;
}

long strncpy_from_user(char *dst, const char *usrc, size_t max) {
  uint32_t a = (uint32_t)usrc;
  if (a >= USER_END)
    return -EFAULT;
  if (max > USER_END - a)
    max = USER_END - a; /* never read past the user half */
  long n = uaccess_strncpy(dst, usrc, max);
  if (n < 0)
    return -EFAULT;
  if ((size_t)n == max)
    return a + max == USER_END ? -EFAULT : -ENAMETOOLONG;
  return n;
}

int get_user_u32(uint32_t *v, const void *uaddr) { return copy_from_user(v, uaddr, 4); }
int put_user_u32(void *uaddr, uint32_t v) { return copy_to_user(uaddr, &v, 4); }
