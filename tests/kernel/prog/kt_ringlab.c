/* kt_ringlab: the ringlab system call (guests/uapi/ringlab_syscall.h).
 * Under ringlab: a region around exactly 100 getppid calls, a named
 * result, an annotation, and the answers for a bad pointer (-EFAULT), ops
 * a user may not use (-EINVAL), a name too long (the port's ENAME), an
 * unknown op (the port's EINVAL) and a region closed twice (ESTATE);
 * check-ringlab.sh then reads the run's --stats. Under QEMU every call
 * gives -ENODEV (there is no ops port). Argument "qemu" or "ringlab"
 * says which to expect. */
#include "kt.h"
#include "ringlab_ops.h"

static long rl(unsigned op, const void *a0, unsigned long a1, unsigned long a2, unsigned long a3) {
  return ringlab_call(op, (unsigned long)a0, a1, a2, a3);
}

int main(int argc, char **argv) {
  kt_name = "kt_ringlab";
  CHECK(argc == 2);
  if (strcmp(argv[1], "qemu") == 0) {
    CHECK_EQ(rl(RINGLAB_OP_REGION_BEGIN, "kt_region", 9, 0, 0), -ENODEV);
    CHECK_EQ(rl(RINGLAB_OP_RESULT, "kt.answer", 9, 42, 0), -ENODEV);
    CHECK_EQ(rl(RINGLAB_OP_EXIT, 0, 0, 0, 0), -EINVAL);
    printf("kt_ringlab: PASS\n");
    return 0;
  }
  SYS0(getppid); /* pages in libc's system-call stub: no page fault in the region */
  CHECK_EQ(rl(RINGLAB_OP_REGION_BEGIN, "kt_region", 9, 0, 0), RINGLAB_OPS_OK);
  for (int k = 0; k < 100; k++)
    SYS0(getppid);
  CHECK_EQ(rl(RINGLAB_OP_REGION_END, "kt_region", 9, 0, 0), RINGLAB_OPS_OK);
  CHECK_EQ(rl(RINGLAB_OP_REGION_END, "kt_region", 9, 0, 0), RINGLAB_OPS_ESTATE);
  CHECK_EQ(rl(RINGLAB_OP_RESULT, "kt.answer", 9, 42, 0), RINGLAB_OPS_OK);
  CHECK_EQ(rl(RINGLAB_OP_RESULT, "kt.big", 6, 0x89abcdef, 0x1234567), RINGLAB_OPS_OK);
  CHECK_EQ(rl(RINGLAB_OP_ANNOTATE, "hello trace", 11, 0, 0), RINGLAB_OPS_OK);
  CHECK_EQ(rl(RINGLAB_OP_RESULT, (void *)0xC0000000, 9, 1, 0), -EFAULT);
  CHECK_EQ(rl(RINGLAB_OP_RESULT, (void *)0, 9, 1, 0), -EFAULT);
  CHECK_EQ(rl(RINGLAB_OP_EXIT, 0, 0, 0, 0), -EINVAL);
  CHECK_EQ(rl(RINGLAB_OP_HYPERCALL_ENTER, 0, 0, 0, 0), -EINVAL);
  CHECK_EQ(rl(RINGLAB_OP_HYPERCALL_EXIT, 0, 0, 0, 0), -EINVAL);
  static const char longname[] = "a_name_of_sixty_four_bytes_is_one_byte_more_than_the_port_takes!";
  CHECK_EQ(sizeof longname - 1, 64);
  CHECK_EQ(rl(RINGLAB_OP_RESULT, longname, 64, 1, 0), RINGLAB_OPS_ENAME);
  CHECK_EQ(rl(RINGLAB_OP_RESULT, "bad name!", 9, 1, 0), RINGLAB_OPS_ENAME);
  CHECK_EQ(rl(99, 0, 0, 0, 0), RINGLAB_OPS_EINVAL);
  printf("kt_ringlab: PASS\n");
  return 0;
}
