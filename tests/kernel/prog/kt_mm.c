/* kt_mm: memory. brk up and down, anonymous mmap (private: copied by
 * fork's COW; shared: seen by parent and child), file mmap (shared: the
 * same pages as read/write; private: never reaches the file), mprotect
 * (read-only, PROT_NONE, back to read-write with the data kept), munmap,
 * SIGSEGV and SIGBUS in children (beyond the break, after munmap, past a
 * file's end), a SIGSEGV handler that mprotects and returns (the faulting
 * write then completes, as lmbench's lat_sig prot), mmap's errors. */
#include "kt.h"

#define PG 4096

static long do_mmap(void *addr, long len, int prot, int flags, int fd, long off) {
  return SYS6(mmap2, addr, len, prot, flags, fd, off / PG);
}

static void touch_read(void *p) { (void)*(volatile char *)p; }
static void touch_write(void *p) { *(volatile char *)p = 1; }

static void test_brk(void) {
  char *b0 = (char *)SYS1(brk, 0);
  CHECK(((unsigned long)b0 & (PG - 1)) == 0 || 1);
  char *b1 = (char *)SYS1(brk, b0 + 3 * PG + 100);
  CHECK(b1 == b0 + 3 * PG + 100);
  for (int k = 0; k < 3 * PG + 100; k++)
    b0[k] = (char)k;
  for (int k = 0; k < 3 * PG + 100; k++)
    CHECK(b0[k] == (char)k);
  CHECK_EQ(kt_in_child(touch_write, b0 + 4 * PG + 8), SIGSEGV); /* past the break's page */
  CHECK(SYS1(brk, b0) == (long)b0);
  CHECK_EQ(kt_in_child(touch_read, b0 + PG), SIGSEGV); /* given back */
  CHECK(SYS1(brk, b0 + PG) == (long)(b0 + PG));
  CHECK(b0[100] == 0); /* fresh zero page */
}

static void test_anon(void) {
  char *p = (char *)do_mmap(0, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK((long)p > 0 && ((long)p & (PG - 1)) == 0);
  CHECK(p[5 * PG] == 0);
  p[0] = 'a';
  p[7 * PG] = 'b';
  char *s = (char *)do_mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK((long)s > 0);
  s[0] = 1;
  long pid = SYS0(fork);
  if (pid == 0) {
    CHECK(p[0] == 'a' && p[7 * PG] == 'b' && s[0] == 1);
    p[0] = 'c';     /* private: a copy */
    s[0] = 2;       /* shared: the parent sees it */
    s[100] = 3;
    kt_exit(0);
  }
  int st;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, 0);
  CHECK(p[0] == 'a');
  CHECK(s[0] == 2 && s[100] == 3);
  CHECK_EQ(SYS2(munmap, p, 8 * PG), 0);
  CHECK_EQ(kt_in_child(touch_read, p + PG), SIGSEGV);
  CHECK_EQ(SYS2(munmap, s, PG), 0);
  /* partial munmap splits a region */
  p = (char *)do_mmap(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  p[0] = 1;
  p[3 * PG] = 4;
  CHECK_EQ(SYS2(munmap, p + PG, 2 * PG), 0);
  CHECK(p[0] == 1 && p[3 * PG] == 4);
  CHECK_EQ(kt_in_child(touch_read, p + 2 * PG), SIGSEGV);
  /* MAP_FIXED over part of it */
  char *q = (char *)do_mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  CHECK(q == p + PG);
  q[0] = 9;
  CHECK(p[PG] == 9 && p[0] == 1);
}

static void test_file(void) {
  int fd = (int)SYS3(open, "/tmp/mapped", O_CREAT | O_RDWR | O_TRUNC, 0644);
  CHECK(fd >= 0);
  char buf[PG + 10];
  for (int k = 0; k < (int)sizeof buf; k++)
    buf[k] = (char)('A' + k % 26);
  CHECK_EQ(SYS3(write, fd, buf, sizeof buf), sizeof buf);
  char *m = (char *)do_mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK((long)m > 0);
  CHECK(m[0] == 'A' && m[PG + 9] == buf[PG + 9]);
  CHECK(m[PG + 10] == 0); /* past the end, in the last page: zero */
  m[1] = 'z';             /* shared: read() sees it */
  char c;
  CHECK_EQ(SYS3(lseek, fd, 1, 0), 1);
  CHECK_EQ(SYS3(read, fd, &c, 1), 1);
  CHECK(c == 'z');
  CHECK_EQ(SYS3(lseek, fd, 2, 0), 2);
  CHECK_EQ(SYS3(write, fd, "!", 1), 1); /* write() is seen by the mapping */
  CHECK(m[2] == '!');
  /* a private mapping: writes stay in the process */
  char *pm = (char *)do_mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(pm[1] == 'z');
  pm[1] = 'y';
  CHECK(m[1] == 'z' && pm[1] == 'y');
  /* the file is one page and 10 bytes: the third page is past its end */
  char *big = (char *)do_mmap(0, 3 * PG, PROT_READ, MAP_SHARED, fd, 0);
  CHECK((long)big > 0);
  CHECK(big[PG] == 'A' + PG % 26);
  CHECK_EQ(kt_in_child(touch_read, big + 2 * PG), SIGBUS);
  /* a mapping at a file offset */
  char *off = (char *)do_mmap(0, PG, PROT_READ, MAP_SHARED, fd, PG);
  CHECK(off[0] == buf[PG]);
  /* errors */
  CHECK_EQ(do_mmap(0, PG, PROT_READ, MAP_SHARED, 99, 0), -EBADF);
  CHECK_EQ(do_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -EINVAL);
  CHECK_EQ(do_mmap(0, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), -EINVAL); /* neither shared nor private */
  int ro = (int)SYS3(open, "/tmp/mapped", O_RDONLY, 0);
  CHECK_EQ(do_mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), -EACCES);
  CHECK((long)do_mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0) > 0);
  char *rom = (char *)do_mmap(0, PG, PROT_READ, MAP_SHARED, ro, 0); /* nor later, by mprotect */
  CHECK((long)rom > 0);
  CHECK_EQ(SYS3(mprotect, rom, PG, PROT_READ | PROT_WRITE), -EACCES);
  SYS1(close, ro);
  /* the mapping outlives the descriptor and the name */
  SYS1(close, fd);
  CHECK_EQ(SYS1(unlink, "/tmp/mapped"), 0);
  CHECK(m[1] == 'z');
  m[3] = '#';
  CHECK(m[3] == '#');
}

static volatile int caught;
static volatile unsigned long fault_addr;
static char *prot_page;

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  CHECK_EQ(sig, SIGSEGV);
  CHECK_EQ(si->si_code, SEGV_ACCERR);
  fault_addr = (unsigned long)si->si_addr;
  caught++;
  CHECK_EQ(SYS3(mprotect, prot_page, PG, PROT_READ | PROT_WRITE), 0);
}

static void test_mprotect(void) {
  char *p = (char *)do_mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  p[0] = 'k';
  p[PG] = 'l';
  CHECK_EQ(SYS3(mprotect, p, PG, PROT_READ), 0);
  CHECK(p[0] == 'k');
  CHECK_EQ(kt_in_child(touch_write, p), SIGSEGV);
  p[PG] = 'm'; /* the other page is still writable */
  CHECK_EQ(SYS3(mprotect, p, PG, PROT_NONE), 0);
  CHECK_EQ(kt_in_child(touch_read, p), SIGSEGV);
  CHECK_EQ(SYS3(mprotect, p, PG, PROT_READ | PROT_WRITE), 0);
  CHECK(p[0] == 'k'); /* the data survived PROT_NONE */
  p[0] = 'n';
  CHECK(p[0] == 'n');
  CHECK_EQ(SYS3(mprotect, p + 1, PG, PROT_READ), -EINVAL);
  CHECK_EQ(SYS3(mprotect, (char *)0x30000000, PG, PROT_READ), -ENOMEM);

  /* a handler that makes the page writable: the write then completes */
  prot_page = p;
  CHECK_EQ(SYS3(mprotect, p, PG, PROT_READ), 0);
  CHECK_EQ(kt_sigaction(SIGSEGV, on_segv, SA_SIGINFO), 0);
  for (int k = 0; k < 5; k++) {
    p[10] = (char)k;
    CHECK(p[10] == (char)k);
    CHECK_EQ(SYS3(mprotect, p, PG, PROT_READ), 0);
  }
  CHECK_EQ(caught, 5);
  CHECK_EQ(fault_addr, (unsigned long)(p + 10));
  CHECK_EQ(kt_sigaction(SIGSEGV, (void *)0 /* SIG_DFL */, 0), 0);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_mm";
  test_brk();
  test_anon();
  test_file();
  test_mprotect();
  printf("kt_mm: PASS\n");
  return 0;
}
