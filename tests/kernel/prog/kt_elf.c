/* kt_elf: exec of damaged programs. A copy of /bin/kt_hello with bytes of
 * its ELF and program headers changed at random (fixed seed), and files
 * of random bytes, are executed in children: each exec fails with an
 * error, or the child runs and exits or dies of a signal; the kernel runs
 * on. Then the undamaged program still runs. */
#include "kt.h"

static uint32_t rng = 12345;
static uint32_t next(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 8;
}

static char image[65536];

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_elf";
  int fd = (int)SYS3(open, "/bin/kt_hello", O_RDONLY, 0);
  CHECK(fd >= 0);
  long size = SYS3(read, fd, image, sizeof image);
  CHECK(size > 512 && size < (long)sizeof image);
  SYS1(close, fd);
  int failed = 0, exited = 0, signaled = 0;
  static char copy[65536];
  for (int round = 0; round < 200; round++) {
    memcpy(copy, image, (size_t)size);
    long len = size;
    if (round % 10 == 9) { /* random bytes, a random length */
      len = (long)(next() % 8192);
      for (long k = 0; k < len; k++)
        copy[k] = (char)next();
      if (len >= 4 && (round & 1))
        memcpy(copy, "\177ELF", 4);
    } else { /* a few bytes of the headers changed */
      int n = 1 + (int)(next() % 6);
      for (int k = 0; k < n; k++) {
        uint32_t at = next() % 256; /* ELF header and program headers */
        copy[at] = (char)next();
      }
    }
    fd = (int)SYS3(open, "/tmp/e", O_CREAT | O_WRONLY | O_TRUNC, 0755);
    CHECK(fd >= 0);
    CHECK_EQ(SYS3(write, fd, copy, len), len);
    SYS1(close, fd);
    long pid = SYS0(fork);
    CHECK(pid >= 0);
    if (pid == 0) {
      int null = (int)SYS3(open, "/dev/null", O_WRONLY, 0);
      SYS2(dup2, null, 1);
      char *av[] = {"e", NULL}, *ev[] = {NULL};
      long r = SYS3(execve, "/tmp/e", av, ev);
      kt_exit(r == -ENOEXEC ? 100 : r == -ENOMEM ? 101 : 102);
    }
    int st;
    CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
    if ((st & 0x7f) == 0 && ((st >> 8) == 100 || (st >> 8) == 101))
      failed++;
    else if ((st & 0x7f) == 0)
      exited++;
    else
      signaled++;
    CHECK((st & 0x7f) != 0 || (st >> 8) != 102); /* no other error from exec */
  }
  printf("kt_elf: 200 damaged programs: %d refused, %d exited, %d died of a signal\n", failed, exited,
            signaled);
  kt_check_exec_hello();
  printf("kt_elf: PASS\n");
  return 0;
}
