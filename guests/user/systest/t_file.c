/* t_file - regular files and descriptors.
 *
 * create, write, read back, lseek (SET, CUR, END, past the end: a hole
 * reads as zeros), stat and fstat fields (type and permission bits, size,
 * link count, one inode for both), unlink (the name goes, an open
 * descriptor still works), dup and dup2 (shared offset), O_APPEND, O_TRUNC,
 * O_EXCL, and the errors: ENOENT, EEXIST, ENOTDIR, EISDIR, EBADF, EINVAL. */
#include "t.h"

static void create_write_read(void) {
  char path[64];
  t_tmp(path, "a");
  int fd = T_OK(open(path, O_CREAT | O_EXCL | O_RDWR, 0640));
  T_EQ(write(fd, "hello, world", 12), 12);
  T_EQ(lseek(fd, 0, SEEK_CUR), 12);
  T_EQ(lseek(fd, 0, SEEK_SET), 0);
  char buf[32];
  memset(buf, 0, sizeof(buf));
  T_EQ(read(fd, buf, sizeof(buf)), 12);
  T_CHECK(!strcmp(buf, "hello, world"));
  T_EQ(read(fd, buf, sizeof(buf)), 0); /* at end of file */
  T_EQ(lseek(fd, -5, SEEK_END), 7);
  T_EQ(read(fd, buf, 5), 5);
  T_CHECK(!memcmp(buf, "world", 5));
  T_EQ(lseek(fd, -7, SEEK_CUR), 5);
  T_EQ(write(fd, ";", 1), 1); /* overwrite in place */
  /* a hole: write past the end, the gap reads as zeros */
  T_EQ(lseek(fd, 100, SEEK_SET), 100);
  T_EQ(write(fd, "!", 1), 1);
  struct stat64 st, st2;
  T_OK(fstat(fd, &st));
  T_EQ(st.st_size, 101);
  T_CHECK(S_ISREG(st.st_mode));
  T_EQ(st.st_mode & 07777, 0640);
  T_EQ(st.st_nlink, 1);
  T_OK(stat(path, &st2));
  T_EQ(st2.st_ino, st.st_ino);
  T_EQ(st2.st_dev, st.st_dev);
  T_EQ(st2.st_size, 101);
  T_EQ(lseek(fd, 0, SEEK_SET), 0);
  char all[128];
  T_EQ(read(fd, all, sizeof(all)), 101);
  T_CHECK(!memcmp(all, "hello; world", 12));
  int zeros = 0;
  for (int i = 12; i < 100; i++)
    zeros += all[i] == 0;
  T_EQ(zeros, 88);
  T_EQ(all[100], '!');
  T_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
  T_ERR(lseek(fd, 0, 42), EINVAL);

  /* unlink: the name is gone, the open file is not */
  T_OK(unlink(path));
  T_ERR(stat(path, &st2), ENOENT);
  T_ERR(open(path, O_RDONLY), ENOENT);
  T_EQ(lseek(fd, 0, SEEK_SET), 0);
  T_EQ(read(fd, buf, 5), 5);
  T_CHECK(!memcmp(buf, "hello", 5));
  T_OK(fstat(fd, &st));
  T_EQ(st.st_nlink, 0);
  T_OK(close(fd));
  T_ERR(close(fd), EBADF);
  T_ERR(unlink(path), ENOENT);
}

static void flags(void) {
  char path[64];
  t_tmp(path, "b");
  int fd = T_OK(open(path, O_CREAT | O_WRONLY, 0644));
  T_EQ(write(fd, "0123456789", 10), 10);
  close(fd);
  T_ERR(open(path, O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);

  /* O_APPEND: every write goes to the end, whatever the offset */
  fd = T_OK(open(path, O_WRONLY | O_APPEND));
  T_EQ(lseek(fd, 0, SEEK_SET), 0);
  T_EQ(write(fd, "ab", 2), 2);
  T_EQ(lseek(fd, 0, SEEK_CUR), 12);
  close(fd);
  char buf[32];
  fd = T_OK(open(path, O_RDONLY));
  T_EQ(read(fd, buf, sizeof(buf)), 12);
  T_CHECK(!memcmp(buf, "0123456789ab", 12));
  T_ERR(write(fd, "x", 1), EBADF); /* read-only descriptor */
  close(fd);

  /* O_TRUNC empties it */
  fd = T_OK(open(path, O_RDWR | O_TRUNC));
  struct stat64 st;
  T_OK(fstat(fd, &st));
  T_EQ(st.st_size, 0);
  T_EQ(read(fd, buf, sizeof(buf)), 0);
  close(fd);
  fd = T_OK(open(path, O_WRONLY));
  T_ERR(read(fd, buf, 1), EBADF); /* write-only descriptor */
  close(fd);
  T_OK(unlink(path));
}

static void dups(void) {
  char path[64];
  t_tmp(path, "c");
  int fd = T_OK(open(path, O_CREAT | O_RDWR | O_TRUNC, 0644));
  T_EQ(write(fd, "abcdef", 6), 6);
  int d = T_OK(dup(fd));
  T_CHECK(d != fd);
  T_EQ(lseek(fd, 1, SEEK_SET), 1);
  char c;
  T_EQ(read(d, &c, 1), 1); /* one open file: one offset */
  T_EQ(c, 'b');
  T_EQ(lseek(fd, 0, SEEK_CUR), 2);
  /* dup2 onto an open descriptor closes it first */
  int other = T_OK(open(path, O_RDONLY));
  T_EQ(dup2(fd, other), other);
  T_EQ(read(other, &c, 1), 1);
  T_EQ(c, 'c');
  T_EQ(dup2(fd, fd), fd); /* onto itself: nothing happens */
  T_EQ(dup2(fd, 100), 100);
  T_EQ(read(100, &c, 1), 1);
  T_EQ(c, 'd');
  T_ERR(dup2(fd, -1), EBADF);
  T_ERR(dup(-1), EBADF);
  T_ERR(dup(1000), EBADF);
  close(100);
  close(other);
  close(d);
  close(fd);
  /* the lowest free descriptor is taken */
  fd = T_OK(open(path, O_RDONLY));
  close(fd);
  int again = T_OK(open(path, O_RDONLY));
  T_EQ(again, fd);
  close(again);
  T_OK(unlink(path));
}

static void errors(void) {
  char path[64], sub[96], dir[64];
  t_tmp(path, "d");
  T_ERR(open("/nonexistent/x", O_RDONLY), ENOENT);
  T_ERR(open("/nonexistent/x", O_CREAT | O_WRONLY, 0644), ENOENT);
  T_ERR(open("", O_RDONLY), ENOENT);
  int fd = T_OK(open(path, O_CREAT | O_WRONLY, 0644));
  close(fd);
  snprintf(sub, sizeof(sub), "%s/x", path);
  T_ERR(open(sub, O_RDONLY), ENOTDIR);
  T_ERR(open(sub, O_CREAT | O_WRONLY, 0644), ENOTDIR);
  T_ERR(open(path, O_RDONLY | O_DIRECTORY), ENOTDIR);
  T_OK(unlink(path));
  t_tmp(dir, "dir");
  T_OK(mkdir(dir, 0755));
  T_ERR(open(dir, O_WRONLY), EISDIR);
  T_ERR(open(dir, O_RDWR), EISDIR);
  fd = T_OK(open(dir, O_RDONLY));
  char c;
  T_ERR(read(fd, &c, 1), EISDIR);
  close(fd);
  T_ERR(unlink(dir), EISDIR);
  T_OK(rmdir(dir));
  T_ERR(read(-1, &c, 1), EBADF);
  T_ERR(write(999, &c, 1), EBADF);
  T_ERR(fstat(999, &(struct stat64){0}), EBADF);
}

int main(void) {
  t_init("t_file");
  create_write_read();
  flags();
  dups();
  errors();
  return t_done();
}
