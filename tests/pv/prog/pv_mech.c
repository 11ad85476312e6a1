/* pv_mech: three mechanisms of the paravirtualized kernel, each in a
 * ringlab region that check-mech.sh then reads from the run's --stats
 * (tests/pv/CMakeLists.txt lists the expectations):
 *
 *   pv.syscall   SYSCALLS getppid calls: Xen's direct int $0x80 gate, so
 *                no hypercall and no entry into the hypervisor at all;
 *   pv.fork      one fork of this process after it has touched PAGES
 *                private pages: the copy write-protects each in the parent
 *                (PAGES entries at least, in one batch: one mmu_update
 *                call) and writes the child's entries into its tree, not
 *                pinned yet, with plain stores;
 *   pv.switch    ROUNDS pipe round trips with a child: 2 * ROUNDS context
 *                switches, each one multicall of one mmuext_op
 *                (MMUEXT_NEW_BASEPTR) and stack_switch.
 *
 * The region of the fork ends with a system call made without touching
 * the stack (inline int $0x80): the fork left the parent's stack
 * copy-on-write, and a write would put a page fault in the region. */
#include "kt.h"
#include "ringlab_ops.h"

#define SYSCALLS 100
#define PAGES 64
#define ROUNDS 50

/* The ringlab system call on a region NAME (a string literal), with no
 * stack access of ours. */
#define region(op, name)                                                                      \
  ({                                                                                          \
    long r_;                                                                                  \
    __asm__ volatile("int $0x80"                                                              \
                     : "=a"(r_)                                                               \
                     : "0"(__NR_ringlab), "b"(op), "c"(name), "d"(sizeof(name) - 1), "S"(0),  \
                       "D"(0)                                                                 \
                     : "memory");                                                             \
    r_;                                                                                       \
  })

/* fork, and in the parent at once the end of the region, in one asm
 * block: the compiler would store fork's result on the stack, which the
 * fork has just made copy-on-write (a page fault in the region). The
 * region's end gets the child's pid in EDI, its fourth argument, which
 * REGION_END ignores. Gives the pid (0 in the child) and sets *end_status. */
static long fork_then_end_region(long *end_status) {
  long pid, status;
  __asm__ volatile("int $0x80\n\t"          /* fork */
                   "testl %%eax, %%eax\n\t"
                   "jz 1f\n\t"
                   "movl %%eax, %%edi\n\t"  /* the child's pid, kept */
                   "movl %[ringlab], %%eax\n\t"
                   "int $0x80\n\t"          /* ringlab(REGION_END, "pv.fork", 7) */
                   "xchgl %%eax, %%edi\n"    /* EAX = pid, EDI = the status */
                   "1:"
                   : "=a"(pid), "=D"(status)
                   : "0"(__NR_fork), "1"(0), [ringlab] "i"(__NR_ringlab), "b"(RINGLAB_OP_REGION_END),
                     "c"("pv.fork"), "d"(7), "S"(0)
                   : "memory");
  *end_status = status;
  return pid;
}

static void switches(void) {
  int down[2], up[2];
  CHECK_EQ(SYS1(pipe, down), 0);
  CHECK_EQ(SYS1(pipe, up), 0);
  long pid = SYS0(fork);
  CHECK(pid >= 0);
  char token = 't';
  if (pid == 0) {
    for (int k = 0; k < ROUNDS + 1; k++) {
      CHECK_EQ(SYS3(read, down[0], &token, 1), 1);
      CHECK_EQ(SYS3(write, up[1], &token, 1), 1);
    }
    CHECK_EQ(SYS3(read, down[0], &token, 1), 1); /* exit only after the region */
    kt_exit(0);
  }
  /* one round trip first: from here on the child waits in read */
  CHECK_EQ(SYS3(write, down[1], &token, 1), 1);
  CHECK_EQ(SYS3(read, up[0], &token, 1), 1);
  CHECK_EQ(region(RINGLAB_OP_REGION_BEGIN, "pv.switch"), RINGLAB_OPS_OK);
  for (int k = 0; k < ROUNDS; k++) {
    SYS3(write, down[1], &token, 1);
    SYS3(read, up[0], &token, 1);
  }
  CHECK_EQ(region(RINGLAB_OP_REGION_END, "pv.switch"), RINGLAB_OPS_OK);
  CHECK_EQ(SYS3(write, down[1], &token, 1), 1);
  int st = -1;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, 0);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "pv_mech";

  SYS0(getppid); /* pages in libc's system-call stub: no page fault in the region */
  CHECK_EQ(region(RINGLAB_OP_REGION_BEGIN, "pv.syscall"), RINGLAB_OPS_OK);
  for (int k = 0; k < SYSCALLS; k++)
    SYS0(getppid);
  CHECK_EQ(region(RINGLAB_OP_REGION_END, "pv.syscall"), RINGLAB_OPS_OK);

  volatile char *mem = (volatile char *)SYS6(mmap2, 0, PAGES * 4096, PROT_READ | PROT_WRITE,
                                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK((long)mem > 0);
  for (int k = 0; k < PAGES; k++)
    mem[k * 4096] = (char)k;
  CHECK_EQ(region(RINGLAB_OP_REGION_BEGIN, "pv.fork"), RINGLAB_OPS_OK);
  long r;
  long pid = fork_then_end_region(&r);
  if (pid == 0)
    kt_exit(mem[5 * 4096] == 5 ? 0 : 1);
  CHECK(pid > 0);
  CHECK_EQ(r, RINGLAB_OPS_OK);
  int st = -1;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, 0);

  switches();
  printf("pv_mech: PASS\n");
  return 0;
}
