/* t_mmap - mmap, mprotect, munmap.
 *
 * Anonymous mappings are zero-filled, page-aligned and private; MAP_FIXED
 * puts a mapping where asked. A file mapped MAP_SHARED shares its pages
 * with read and write: stores through the mapping are what read() returns,
 * write() shows through the mapping, and the bytes stay after munmap. A
 * MAP_PRIVATE mapping's stores are its own: the file does not change. The
 * part of the last page past the end of the file reads as zeros. mprotect
 * takes write and read permission away (SIGSEGV, caught) and gives them
 * back; munmap of one page in the middle leaves its neighbours. Errors:
 * EINVAL (length 0, unaligned offset or address, no MAP_SHARED or
 * MAP_PRIVATE), EBADF, EACCES (a shared writable mapping of a file opened
 * read-only). */
#include "t.h"

static sigjmp_buf env;
static void on_segv(int sig) {
  (void)sig;
  siglongjmp(env, 1);
}

static int faults(volatile char *p, int write) {
  if (sigsetjmp(env, 1) == 0) {
    if (write)
      *p = 1;
    else
      (void)*p;
    return 0;
  }
  return 1;
}

static void anonymous(void) {
  size_t len = 5 * 4096;
  unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T_CHECK(p != MAP_FAILED);
  if (p == MAP_FAILED)
    return;
  T_EQ((uintptr_t)p & 4095, 0);
  int nonzero = 0;
  for (size_t i = 0; i < len; i++)
    nonzero += p[i] != 0;
  T_EQ(nonzero, 0);
  for (size_t i = 0; i < len; i += 512)
    p[i] = (unsigned char)(i >> 9);
  T_EQ(p[4096 * 3], (4096 * 3) >> 9);

  /* munmap the middle page: it faults, its neighbours stay */
  T_OK(munmap(p + 2 * 4096, 4096));
  T_CHECK(faults((char *)p + 2 * 4096, 0));
  T_EQ(p[4096], 4096 >> 9);
  T_EQ(p[3 * 4096], (3 * 4096) >> 9);

  /* MAP_FIXED into the hole: a fresh zero page */
  void *q = mmap(p + 2 * 4096, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  T_CHECK(q == p + 2 * 4096);
  T_EQ(p[2 * 4096], 0);
  T_OK(munmap(p, len));
  T_CHECK(faults((char *)p, 0));
  T_OK(munmap(p, len)); /* unmapping nothing is fine */
}

static void protection(void) {
  char *p = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T_CHECK(p != MAP_FAILED);
  p[0] = 'a';
  p[4096] = 'b';
  T_OK(mprotect(p, 4096, PROT_READ));
  T_CHECK(faults(p, 1));
  T_CHECK(!faults(p, 0));
  T_CHECK(!faults(p + 4096, 1)); /* the other page keeps its rights */
  T_OK(mprotect(p, 2 * 4096, PROT_NONE));
  T_CHECK(faults(p, 0));
  T_CHECK(faults(p + 4096, 0));
  T_OK(mprotect(p, 2 * 4096, PROT_READ | PROT_WRITE));
  T_CHECK(!faults(p + 10, 1));
  T_EQ(p[0], 'a'); /* the data survived */
  T_EQ(p[4096], 1);
  T_ERR(mprotect(p + 1, 4096, PROT_READ), EINVAL);
  T_OK(munmap(p, 2 * 4096));
}

static int make_file(char *path, const char *tag, size_t size) {
  t_tmp(path, tag);
  int fd = T_OK(open(path, O_CREAT | O_RDWR | O_TRUNC, 0644));
  char buf[4096];
  for (size_t off = 0; off < size; off += sizeof(buf)) {
    size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);
    for (size_t i = 0; i < n; i++)
      buf[i] = (char)('A' + (off + i) % 26);
    T_EQ(write(fd, buf, n), (long)n);
  }
  return fd;
}

static void file_shared(void) {
  char path[64];
  size_t size = 3 * 4096 + 100; /* the last page is partly past the end */
  int fd = make_file(path, "shared", size);
  char *m = mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  T_CHECK(m != MAP_FAILED);
  if (m == MAP_FAILED)
    return;
  T_EQ(m[0], 'A');
  T_EQ(m[4096 + 1], 'A' + (4096 + 1) % 26);
  T_EQ(m[size - 1], 'A' + (size - 1) % 26);
  T_EQ(m[size], 0); /* past the end, in the last page */
  T_EQ(m[4 * 4096 - 1], 0);

  /* a store through the mapping is what read() returns */
  m[5] = '#';
  m[2 * 4096 + 7] = '$';
  char c;
  T_EQ(lseek(fd, 5, SEEK_SET), 5);
  T_EQ(read(fd, &c, 1), 1);
  T_EQ(c, '#');
  T_EQ(lseek(fd, 2 * 4096 + 7, SEEK_SET), 2 * 4096 + 7);
  T_EQ(read(fd, &c, 1), 1);
  T_EQ(c, '$');
  /* a write() shows through the mapping */
  T_EQ(lseek(fd, 4096 + 9, SEEK_SET), 4096 + 9);
  T_EQ(write(fd, "%", 1), 1);
  T_EQ(m[4096 + 9], '%');
  /* a second mapping of the file sees the same bytes */
  char *m2 = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 4096);
  T_CHECK(m2 != MAP_FAILED);
  T_EQ(m2[9], '%');
  m[4096 + 10] = '&';
  T_EQ(m2[10], '&');
  T_OK(munmap(m2, 4096));
  T_OK(munmap(m, 4 * 4096));
  close(fd);

  /* the stores stay in the file after munmap and close */
  fd = T_OK(open(path, O_RDONLY));
  char buf[8];
  T_EQ(read(fd, buf, 8), 8);
  T_CHECK(!memcmp(buf, "ABCDE#GH", 8));
  struct stat64 st;
  T_OK(fstat(fd, &st));
  T_EQ(st.st_size, (long)size); /* stores past the end do not grow it */
  close(fd);
  T_OK(unlink(path));
}

static void file_private(void) {
  char path[64];
  int fd = make_file(path, "private", 2 * 4096);
  char *m = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  T_CHECK(m != MAP_FAILED);
  if (m == MAP_FAILED)
    return;
  T_EQ(m[1], 'B');
  m[1] = '!';
  m[4096] = '?';
  T_EQ(m[1], '!');
  char c;
  T_EQ(lseek(fd, 1, SEEK_SET), 1);
  T_EQ(read(fd, &c, 1), 1);
  T_EQ(c, 'B'); /* not written back */
  T_OK(munmap(m, 2 * 4096));
  m = mmap(0, 2 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  T_CHECK(m != MAP_FAILED);
  T_EQ(m[1], 'B');
  T_EQ(m[4096], 'A' + 4096 % 26);
  T_OK(munmap(m, 2 * 4096));
  /* a read-only descriptor maps privately even for writing */
  close(fd);
  fd = T_OK(open(path, O_RDONLY));
  m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  T_CHECK(m != MAP_FAILED);
  if (m != MAP_FAILED) {
    m[0] = 'x';
    T_OK(munmap(m, 4096));
  }
  T_CHECK(mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
  T_EQ(errno, EACCES);
  close(fd);
  T_OK(unlink(path));
}

static void errors(void) {
  T_CHECK(mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
  T_EQ(errno, EINVAL);
  T_CHECK(mmap(0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
  T_EQ(errno, EINVAL);
  T_CHECK(mmap((void *)0x10000001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
               0) == MAP_FAILED);
  T_EQ(errno, EINVAL);
  T_CHECK(mmap(0, 4096, PROT_READ, MAP_PRIVATE, 999, 0) == MAP_FAILED);
  T_EQ(errno, EBADF);
  T_EQ(syscall_raw(__NR_munmap, 0x10000001, 4096, 0, 0, 0, 0), -EINVAL);
}

int main(void) {
  t_init("t_mmap");
  signal(SIGSEGV, on_segv);
  anonymous();
  protection();
  file_shared();
  file_private();
  errors();
  return t_done();
}
