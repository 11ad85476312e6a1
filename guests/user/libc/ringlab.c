/* guests/user/libc/ringlab.c - the kernel's ringlab system call
 * (guests/uapi/ringlab_syscall.h): named results and regions of interest
 * for the emulator's ops port (machine/ringlab_ops.h). Names are passed by
 * user address and length; the kernel copies them. On Linux the number is
 * unknown and every call gives -ENOSYS, which callers ignore: a benchmark
 * prints its figures on stdout either way. */
#include "libc-internal.h"
#include "ringlab_ops.h"

long ringlab_call(unsigned op, unsigned long a0, unsigned long a1, unsigned long a2,
                  unsigned long a3) {
  return libc_sc5(__NR_ringlab, (long)op, (long)a0, (long)a1, (long)a2, (long)a3);
}

long ringlab_report(const char *name, int64_t value) {
  uint64_t v = (uint64_t)value;
  return ringlab_call(RINGLAB_OP_RESULT, (unsigned long)name, strlen(name), (unsigned long)v,
                      (unsigned long)(v >> 32));
}

long ringlab_begin(const char *name) {
  return ringlab_call(RINGLAB_OP_REGION_BEGIN, (unsigned long)name, strlen(name), 0, 0);
}

long ringlab_end(const char *name) {
  return ringlab_call(RINGLAB_OP_REGION_END, (unsigned long)name, strlen(name), 0, 0);
}

long ringlab_note(const char *text) {
  return ringlab_call(RINGLAB_OP_ANNOTATE, (unsigned long)text, strlen(text), 0, 0);
}
