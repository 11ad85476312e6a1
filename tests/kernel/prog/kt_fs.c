/* kt_fs: files and directories. create, write, read, lseek, _llseek,
 * O_EXCL, O_TRUNC, O_APPEND, stat (old struct stat and stat64 agree),
 * fstat, lstat, a sparse file, a file larger than a page, unlink of an
 * open file, mkdir/rmdir/chdir/getcwd with their errors, getdents64 and
 * getdents, rename (over a file, into another directory, a directory),
 * link counts, symlinks, dup/dup2 sharing an offset, fcntl (F_DUPFD,
 * F_GETFL/F_SETFL, FD_CLOEXEC across exec), /dev/null, /dev/zero,
 * /dev/console, ftruncate. */
#include "kt.h"

#define PG 4096

/* Whether dir lists name (getdents64). */
static int listed(const char *dir, const char *name) {
  int fd = (int)SYS3(open, dir, O_RDONLY | O_DIRECTORY, 0);
  CHECK(fd >= 0);
  char buf[512];
  int found = 0, dots = 0;
  long n;
  while ((n = SYS3(getdents64, fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
      if (strcmp(d->d_name, name) == 0)
        found = 1;
      if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
        dots++;
      off += d->d_reclen;
    }
  }
  CHECK_EQ(n, 0);
  CHECK_EQ(dots, 2);
  SYS1(close, fd);
  return found;
}

static void test_files(void) {
  int fd = (int)SYS3(open, "/tmp/a", O_CREAT | O_RDWR | O_EXCL, 0644);
  CHECK(fd >= 0);
  CHECK_EQ(SYS3(open, "/tmp/a", O_CREAT | O_RDWR | O_EXCL, 0644), -EEXIST);
  CHECK_EQ(SYS3(write, fd, "hello, world", 12), 12);
  CHECK_EQ(SYS3(lseek, fd, 0, 1 /* SEEK_CUR */), 12);
  CHECK_EQ(SYS3(lseek, fd, 7, 0), 7);
  char buf[64] = {0};
  CHECK_EQ(SYS3(read, fd, buf, sizeof buf), 5);
  CHECK(memcmp(buf, "world", 5) == 0);
  CHECK_EQ(SYS3(read, fd, buf, sizeof buf), 0);
  struct stat st;
  struct stat64 st64;
  CHECK_EQ(SYS2(fstat, fd, &st), 0);
  CHECK_EQ(st.st_size, 12);
  CHECK((st.st_mode & S_IFMT) == S_IFREG);
  CHECK_EQ(st.st_mode & 0777, 0644);
  CHECK_EQ(st.st_nlink, 1);
  CHECK_EQ(SYS2(stat64, "/tmp/a", &st64), 0);
  CHECK_EQ(st64.st_size, 12);
  CHECK_EQ(st64.st_ino, st.st_ino);
  CHECK_EQ(SYS2(stat, "/tmp/a", &st), 0);
  CHECK_EQ(st.st_ino, (long)st64.st_ino);
  CHECK_EQ(SYS2(fstat64, fd, &st64), 0);
  CHECK_EQ(st64.st_size, 12);
  /* _llseek with a 64-bit result */
  uint64_t pos = 0;
  CHECK_EQ(SYS5(_llseek, fd, 0, 3, &pos, 0), 0);
  CHECK_EQ(pos, 3);
  CHECK_EQ(SYS3(lseek, fd, -1, 0), -EINVAL);
  CHECK_EQ(SYS3(lseek, fd, 0, 9), -EINVAL);
  SYS1(close, fd);
  /* O_APPEND and O_TRUNC */
  fd = (int)SYS3(open, "/tmp/a", O_WRONLY | O_APPEND, 0);
  CHECK_EQ(SYS3(write, fd, "!", 1), 1);
  SYS1(close, fd);
  CHECK_EQ(SYS2(stat, "/tmp/a", &st), 0);
  CHECK_EQ(st.st_size, 13);
  fd = (int)SYS3(open, "/tmp/a", O_WRONLY | O_TRUNC, 0);
  CHECK_EQ(SYS2(fstat, fd, &st), 0);
  CHECK_EQ(st.st_size, 0);
  /* sparse: a hole reads as zeros; a file over several pages */
  CHECK_EQ(SYS3(lseek, fd, 3 * PG + 5, 0), 3 * PG + 5);
  CHECK_EQ(SYS3(write, fd, "end", 3), 3);
  SYS1(close, fd);
  fd = (int)SYS3(open, "/tmp/a", O_RDONLY, 0);
  static char big[4 * PG];
  CHECK_EQ(SYS3(read, fd, big, sizeof big), 3 * PG + 8);
  for (int k = 0; k < 3 * PG + 5; k++)
    CHECK(big[k] == 0);
  CHECK(memcmp(big + 3 * PG + 5, "end", 3) == 0);
  /* unlinked but open: still readable */
  CHECK_EQ(SYS1(unlink, "/tmp/a"), 0);
  CHECK_EQ(SYS2(stat, "/tmp/a", &st), -ENOENT);
  CHECK_EQ(SYS3(lseek, fd, 3 * PG + 5, 0), 3 * PG + 5);
  CHECK_EQ(SYS3(read, fd, buf, 3), 3);
  CHECK(memcmp(buf, "end", 3) == 0);
  CHECK_EQ(SYS2(fstat, fd, &st), 0);
  CHECK_EQ(st.st_nlink, 0);
  SYS1(close, fd);
  /* ftruncate */
  fd = (int)SYS3(open, "/tmp/t", O_CREAT | O_RDWR, 0600);
  CHECK_EQ(SYS3(write, fd, "abcdef", 6), 6);
  CHECK_EQ(SYS2(ftruncate, fd, 2), 0);
  CHECK_EQ(SYS2(fstat, fd, &st), 0);
  CHECK_EQ(st.st_size, 2);
  CHECK_EQ(SYS2(ftruncate, fd, 10), 0);
  CHECK_EQ(SYS3(lseek, fd, 0, 0), 0);
  CHECK_EQ(SYS3(read, fd, buf, 20), 10);
  CHECK(buf[0] == 'a' && buf[1] == 'b' && buf[2] == 0 && buf[9] == 0);
  SYS1(close, fd);
  CHECK_EQ(SYS3(open, "/tmp/none", O_RDONLY, 0), -ENOENT);
  CHECK_EQ(SYS3(open, "/tmp/t/x", O_RDONLY, 0), -ENOTDIR);
  CHECK_EQ(SYS3(open, "/tmp", O_WRONLY, 0), -EISDIR);
  CHECK_EQ(SYS3(open, "/tmp/t", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
}

static void test_dirs(void) {
  CHECK_EQ(SYS2(mkdir, "/tmp/d", 0755), 0);
  CHECK_EQ(SYS2(mkdir, "/tmp/d", 0755), -EEXIST);
  CHECK_EQ(SYS2(mkdir, "/tmp/nope/x", 0755), -ENOENT);
  struct stat st;
  CHECK_EQ(SYS2(stat, "/tmp", &st), 0);
  int tmp_links = st.st_nlink;
  CHECK_EQ(SYS2(stat, "/tmp/d", &st), 0);
  CHECK((st.st_mode & S_IFMT) == S_IFDIR);
  CHECK_EQ(st.st_nlink, 2);
  CHECK_EQ(SYS1(chdir, "/tmp/d"), 0);
  char cwd[64];
  CHECK_EQ(SYS2(getcwd, cwd, sizeof cwd), 7);
  CHECK(strcmp(cwd, "/tmp/d") == 0);
  CHECK_EQ(SYS2(getcwd, cwd, 3), -ERANGE);
  int fd = (int)SYS3(open, "f1", O_CREAT | O_WRONLY, 0644); /* relative */
  CHECK(fd >= 0);
  SYS1(close, fd);
  CHECK_EQ(SYS2(mkdir, "sub", 0755), 0);
  CHECK(listed("/tmp/d", "f1"));
  CHECK(listed(".", "sub"));
  CHECK(listed("..", "d"));
  CHECK_EQ(SYS2(stat, "../d/./f1", &st), 0);
  CHECK_EQ(SYS1(rmdir, "/tmp/d"), -ENOTEMPTY);
  CHECK_EQ(SYS1(rmdir, "f1"), -ENOTDIR);
  CHECK_EQ(SYS1(unlink, "sub"), -EISDIR);
  CHECK_EQ(SYS1(rmdir, "."), -EINVAL);
  /* rename: a file over a file, into a subdirectory, a directory */
  fd = (int)SYS3(open, "f2", O_CREAT | O_WRONLY, 0644);
  CHECK_EQ(SYS3(write, fd, "two", 3), 3);
  SYS1(close, fd);
  CHECK_EQ(SYS2(rename, "f2", "f1"), 0);
  CHECK_EQ(SYS2(stat, "f1", &st), 0);
  CHECK_EQ(st.st_size, 3);
  CHECK(!listed(".", "f2"));
  CHECK_EQ(SYS2(rename, "f1", "sub/f3"), 0);
  CHECK(listed("sub", "f3"));
  CHECK_EQ(SYS2(rename, "sub", "sub2"), 0);
  CHECK_EQ(SYS2(stat, "sub2/f3", &st), 0);
  CHECK_EQ(SYS2(rename, "/tmp/d", "/tmp/d/sub2/x"), -EINVAL);
  /* hard link */
  CHECK_EQ(SYS2(link, "sub2/f3", "f4"), 0);
  CHECK_EQ(SYS2(stat, "f4", &st), 0);
  CHECK_EQ(st.st_nlink, 2);
  CHECK_EQ(SYS2(link, "sub2", "sub3"), -EPERM);
  /* symlink */
  CHECK_EQ(SYS2(symlink, "sub2/f3", "ln"), 0);
  CHECK_EQ(SYS2(stat, "ln", &st), 0);
  CHECK_EQ(st.st_size, 3);
  CHECK_EQ(SYS2(lstat, "ln", &st), 0);
  CHECK((st.st_mode & S_IFMT) == S_IFLNK);
  char target[32] = {0};
  CHECK_EQ(SYS3(readlink, "ln", target, sizeof target), 7);
  CHECK(strcmp(target, "sub2/f3") == 0);
  /* clean up; the directory's link count comes back */
  CHECK_EQ(SYS1(unlink, "ln"), 0);
  CHECK_EQ(SYS1(unlink, "f4"), 0);
  CHECK_EQ(SYS1(unlink, "sub2/f3"), 0);
  CHECK_EQ(SYS1(rmdir, "sub2"), 0);
  CHECK_EQ(SYS1(chdir, "/"), 0);
  CHECK_EQ(SYS1(rmdir, "/tmp/d"), 0);
  CHECK_EQ(SYS2(stat, "/tmp", &st), 0);
  CHECK_EQ(st.st_nlink, tmp_links - 1);
  CHECK(!listed("/tmp", "d"));
}

static void test_descriptors(void) {
  int fd = (int)SYS3(open, "/tmp/dup", O_CREAT | O_RDWR, 0644);
  CHECK_EQ(SYS3(write, fd, "0123456789", 10), 10);
  int d = (int)SYS1(dup, fd);
  CHECK(d > fd);
  CHECK_EQ(SYS3(lseek, fd, 2, 0), 2);
  char c;
  CHECK_EQ(SYS3(read, d, &c, 1), 1); /* one shared offset */
  CHECK(c == '2');
  CHECK_EQ(SYS2(dup2, fd, 20), 20);
  CHECK_EQ(SYS3(read, 20, &c, 1), 1);
  CHECK(c == '3');
  CHECK_EQ(SYS2(dup2, 77, 21), -EBADF);
  CHECK_EQ(SYS3(fcntl, fd, F_DUPFD, 30), 30);
  CHECK_EQ(SYS3(fcntl, fd, F_GETFL, 0) & O_ACCMODE, O_RDWR);
  CHECK_EQ(SYS3(fcntl, fd, F_SETFL, O_NONBLOCK), 0);
  CHECK(SYS3(fcntl, d, F_GETFL, 0) & O_NONBLOCK); /* status flags are the open file's */
  CHECK_EQ(SYS3(fcntl, 20, F_SETFD, FD_CLOEXEC), 0);
  CHECK_EQ(SYS3(fcntl, 20, F_GETFD, 0), FD_CLOEXEC);
  CHECK_EQ(SYS3(fcntl, d, F_GETFD, 0), 0);
  CHECK_EQ(SYS1(close, 20), 0);
  CHECK_EQ(SYS1(close, 20), -EBADF);
  CHECK_EQ(SYS3(read, 20, &c, 1), -EBADF);
  CHECK_EQ(SYS3(read, -1, &c, 1), -EBADF);
  SYS1(close, 30);
  SYS1(close, d);
  SYS1(close, fd);
  int ro = (int)SYS3(open, "/tmp/dup", O_RDONLY, 0);
  CHECK_EQ(SYS3(write, ro, "x", 1), -EBADF);
  SYS1(close, ro);
  int dir = (int)SYS3(open, "/tmp", O_RDONLY, 0);
  CHECK_EQ(SYS3(read, dir, &c, 1), -EISDIR);
  SYS1(close, dir);
}

static void test_devices(void) {
  int n = (int)SYS3(open, "/dev/null", O_RDWR, 0);
  CHECK(n >= 0);
  char buf[16];
  CHECK_EQ(SYS3(write, n, "abc", 3), 3);
  CHECK_EQ(SYS3(read, n, buf, sizeof buf), 0);
  int z = (int)SYS3(open, "/dev/zero", O_RDONLY, 0);
  memset(buf, 1, sizeof buf);
  CHECK_EQ(SYS3(read, z, buf, sizeof buf), sizeof buf);
  for (unsigned k = 0; k < sizeof buf; k++)
    CHECK(buf[k] == 0);
  struct stat st;
  CHECK_EQ(SYS2(fstat, n, &st), 0);
  CHECK((st.st_mode & S_IFMT) == S_IFCHR);
  CHECK_EQ(st.st_rdev, (1 << 8) | 3);
  int c = (int)SYS3(open, "/dev/console", O_WRONLY, 0);
  CHECK_EQ(SYS3(write, c, "kt_fs: console ok\n", 18), 18);
  SYS1(close, c);
  SYS1(close, n);
  SYS1(close, z);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_fs";
  test_files();
  test_dirs();
  test_descriptors();
  test_devices();
  printf("kt_fs: PASS\n");
  return 0;
}
