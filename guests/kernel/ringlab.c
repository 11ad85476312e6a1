/* ringlab.c - the one system call Linux does not have (guests/uapi/
 * ringlab_syscall.h): a user program's way to the ringlab ops port, for
 * regions of interest, named results, annotations and the counters. The
 * name or text is copied from the user and handed to the layer's report
 * operation, which gives the port its physical address. EXIT and the
 * hypervisor's marks are not a user's to ask for.
 */
#include <asm-generic/errno.h>

#include "kernel.h"
#include "pv.h"
#include "ringlab_ops.h"
#include "uaccess.h"

long sys_ringlab(uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  char text[RINGLAB_OPS_TEXT_MAX + 1];
  switch (op) {
  case RINGLAB_OP_EXIT:
  case RINGLAB_OP_HYPERCALL_ENTER:
  case RINGLAB_OP_HYPERCALL_EXIT:
    return -EINVAL;
  case RINGLAB_OP_REGION_BEGIN:
  case RINGLAB_OP_REGION_END:
  case RINGLAB_OP_RESULT:
  case RINGLAB_OP_ANNOTATE: {
    uint32_t max = op == RINGLAB_OP_ANNOTATE ? RINGLAB_OPS_TEXT_MAX : RINGLAB_OPS_NAME_MAX;
    if (a1 == 0 || a1 > max) { /* what the port would answer: no need to copy */
      int r = pv.report(op, (uint32_t)text, 0, 0, 0);
      return r == -ENODEV ? r : RINGLAB_OPS_ENAME;
    }
    if (copy_from_user(text, (const void *)a0, a1) < 0)
      return -EFAULT;
    return pv.report(op, (uint32_t)text, a1, a2, a3);
  }
  case RINGLAB_OP_COUNTERS_RESET:
  case RINGLAB_OP_COUNTERS_DUMP:
    return pv.report(op, 0, 0, 0, 0);
  default: /* unknown to us: the port says so (its EINVAL), with no
              user value taken for an address */
    UNUSED(a0);
    return pv.report(op, 0, 0, 0, 0);
  }
}
