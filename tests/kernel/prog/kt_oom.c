/* kt_oom: running out of memory. A child that touches more anonymous
 * memory than the machine has is killed (SIGKILL) and its memory comes
 * back; a file written until the RAM file system is full gets ENOSPC,
 * and its removal gives the memory back; while a child holds almost all
 * memory, fork and mmap fail cleanly (or succeed) and the kernel runs on.
 * The free count (sysinfo's freeram) ends where it began. */
#include <linux/sysinfo.h>

#include "kt.h"

#define PG 4096

static unsigned long free_pages(void) {
  struct sysinfo si;
  CHECK_EQ(SYS1(sysinfo, &si), 0);
  return si.freeram;
}

static void touch_all(char *p, unsigned long pages) {
  for (unsigned long k = 0; k < pages; k++)
    p[k * PG] = 1;
}

/* The three cases; returns the free count at the end. */
static unsigned long round_of_pressure(unsigned long base) {
  int st;
  long pid;
  int fd;
  /* 1. anonymous memory beyond the machine's */
  unsigned long pages = base + 1024;
  pid = SYS0(fork);
  if (pid == 0) {
    char *p = (char *)SYS6(mmap2, 0, pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK((long)p > 0);
    touch_all(p, pages);
    kt_exit(1); /* not reached */
  }
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, SIGKILL);

  /* 2. a file until the RAM file system is full */
  fd = (int)SYS3(open, "/tmp/oom", O_CREAT | O_RDWR | O_TRUNC, 0644);
  static char block[16 * PG];
  long r, total = 0;
  while ((r = SYS3(write, fd, block, sizeof block)) > 0)
    total += r;
  CHECK_EQ(r, -ENOSPC);
  CHECK(total > (long)(base / 2) * PG);
  CHECK(free_pages() < base / 8); /* down to the kernel's reserve */
  pid = SYS0(fork); /* may fail for want of memory, and must not crash */
  CHECK(pid == -ENOMEM || pid == -EAGAIN || pid > 0);
  if (pid == 0)
    kt_exit(0);
  if (pid > 0)
    SYS4(wait4, pid, &st, 0, 0);
  SYS1(close, fd);
  CHECK_EQ(SYS1(unlink, "/tmp/oom"), 0);

  /* 3. a child holds nearly everything (all but the kernel's reserve, 256
   * pages at 128 MiB, and a little); the parent keeps working */
  int up[2], down[2];
  CHECK_EQ(SYS1(pipe, up), 0);
  CHECK_EQ(SYS1(pipe, down), 0);
  pid = SYS0(fork);
  if (pid == 0) {
    unsigned long hold = free_pages() - 320;
    char *m = (char *)SYS6(mmap2, 0, hold * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    touch_all(m, hold);
    SYS3(write, up[1], "h", 1);
    char c;
    SYS3(read, down[0], &c, 1); /* until killed */
    kt_exit(1);
  }
  SYS1(close, up[1]);
  char c;
  CHECK(SYS3(read, up[0], &c, 1) >= 0); /* 1, or 0 if it died first */
  int forks = 0, fails = 0;
  for (int k = 0; k < 40; k++) {
    long q = SYS0(fork);
    if (q == 0) {
      static char scratch[64 * PG];
      touch_all(scratch, 64); /* may be killed for want of memory */
      kt_exit(0);
    }
    if (q < 0) {
      CHECK(q == -ENOMEM || q == -EAGAIN);
      fails++;
      continue;
    }
    forks++;
    SYS4(wait4, q, &st, 0, 0);
    CHECK(st == 0 || st == SIGKILL);
  }
  printf("kt_oom: under pressure: %d forks, %d refused\n", forks, fails);
  CHECK_EQ(SYS2(kill, pid, SIGKILL), 0);
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  SYS1(close, up[0]);
  SYS1(close, down[0]);
  SYS1(close, down[1]);
  return free_pages();
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_oom";
  unsigned long base = free_pages();
  printf("kt_oom: %lu pages free\n", base);
  /* the first round also grows the kernel heap to what the cases need */
  unsigned long first = round_of_pressure(base);
  unsigned long second = round_of_pressure(base);
  printf("kt_oom: %lu pages free after one round, %lu after two\n", first, second);
  CHECK_EQ(second, first);
  CHECK(first + 64 > base);
  printf("kt_oom: PASS\n");
  return 0;
}
