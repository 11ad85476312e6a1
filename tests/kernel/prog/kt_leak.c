/* kt_leak: nothing leaks. One round of work (fork, a copy-on-write write,
 * exec, exit and wait; a pipe; a file written, mapped and removed;
 * anonymous memory mapped, touched, protected and unmapped; brk up and
 * down; a signal through its handler; a child killed in the middle of a
 * sleep), once to warm the kernel's heap, then ROUNDS times more: the
 * frame allocator's free count (sysinfo's freeram, in pages) must come
 * back to exactly where it was after the first round. */
#include <linux/sysinfo.h>

#include "kt.h"

#define PG 4096

static volatile int got;
static void on_usr1(int sig) {
  (void)sig;
  got++;
}

static unsigned long free_pages(void) {
  struct sysinfo si;
  CHECK_EQ(SYS1(sysinfo, &si), 0);
  CHECK_EQ(si.mem_unit, PG);
  return si.freeram;
}

static int data = 1;

static void round_of_work(void) {
  long pid = SYS0(fork);
  if (pid == 0) {
    data = 2; /* a copy */
    char *av[] = {"kt_hello", NULL}, *ev[] = {NULL};
    SYS3(execve, "/bin/kt_hello", av, ev);
    kt_exit(99);
  }
  int st;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, 0);
  data = 3;

  int p[2];
  CHECK_EQ(SYS1(pipe, p), 0);
  static char block[3 * PG];
  CHECK_EQ(SYS3(write, p[1], block, sizeof block), sizeof block);
  SYS1(close, p[0]);
  SYS1(close, p[1]);

  int fd = (int)SYS3(open, "/tmp/leak", O_CREAT | O_RDWR | O_TRUNC, 0644);
  CHECK_EQ(SYS3(write, fd, block, sizeof block), sizeof block);
  char *m = (char *)SYS6(mmap2, 0, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  m[0] = 1;
  char *pm = (char *)SYS6(mmap2, 0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  pm[PG] = 1;
  CHECK_EQ(SYS2(munmap, m, 3 * PG), 0);
  SYS1(close, fd);
  CHECK_EQ(SYS1(unlink, "/tmp/leak"), 0);
  CHECK_EQ(SYS2(munmap, pm, 3 * PG), 0); /* the last user of the file */

  char *a = (char *)SYS6(mmap2, 0, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int k = 0; k < 64; k += 3)
    a[k * PG] = 1;
  CHECK_EQ(SYS3(mprotect, a, 32 * PG, PROT_NONE), 0);
  CHECK_EQ(SYS2(munmap, a, 64 * PG), 0);
  char *s = (char *)SYS6(mmap2, 0, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  s[0] = 1;
  pid = SYS0(fork);
  if (pid == 0) {
    s[PG] = 2;
    kt_exit(0);
  }
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(SYS2(munmap, s, 4 * PG), 0);

  char *b = (char *)SYS1(brk, 0);
  CHECK_EQ(SYS1(brk, b + 16 * PG), (long)(b + 16 * PG));
  for (int k = 0; k < 16; k++)
    b[k * PG] = 1;
  CHECK_EQ(SYS1(brk, b), (long)b);

  SYS2(kill, SYS0(getpid), SIGUSR1);

  pid = SYS0(fork);
  if (pid == 0) {
    int q[2];
    SYS1(pipe, q);
    char c;
    SYS3(read, q[0], &c, 1); /* sleeps forever */
    kt_exit(1);
  }
  SYS0(sched_yield);
  SYS2(kill, pid, SIGKILL);
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, SIGKILL);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_leak";
  CHECK_EQ(kt_sigaction(SIGUSR1, on_usr1, 0), 0);
  round_of_work();
  unsigned long base = free_pages();
  for (int r = 0; r < 10; r++)
    round_of_work();
  unsigned long now = free_pages();
  printf("kt_leak: %lu free pages after the first round, %lu after 10 more\n", base, now);
  CHECK_EQ(now, base);
  CHECK_EQ(got, 11);
  printf("kt_leak: PASS\n");
  return 0;
}
