/* t_dir - directories.
 *
 * mkdir and rmdir, getdents64 (every name once, "." and ".." included,
 * d_type, records that tile the buffer; a small buffer takes several calls;
 * EINVAL when not even one record fits), stat of a directory, chdir and
 * relative names, and the errors: EEXIST, ENOENT, ENOTEMPTY, ENOTDIR. */
#include "t.h"

/* Reads the directory at fd; returns a bit per expected name seen, or -1 if
 * a name comes twice or is unknown. */
static int scan(int fd, const char *const *names, int n, int bufsize) {
  char buf[4096];
  int seen = 0;
  for (;;) {
    int got = getdents64(fd, buf, (unsigned)bufsize);
    if (got < 0)
      return -2;
    if (got == 0)
      return seen;
    for (int off = 0; off < got;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
      if (d->d_reclen == 0 || off + d->d_reclen > got)
        return -3;
      int k;
      for (k = 0; k < n; k++)
        if (!strcmp(d->d_name, names[k]))
          break;
      if (k == n || (seen & (1 << k)))
        return -1;
      seen |= 1 << k;
      if (!strcmp(d->d_name, "sub") && d->d_type != DT_DIR)
        return -4;
      if (!strcmp(d->d_name, "f1") && d->d_type != DT_REG)
        return -5;
      off += d->d_reclen;
    }
  }
}

static void listing(void) {
  char dir[64], path[128];
  t_tmp(dir, "dir");
  T_OK(mkdir(dir, 0755));
  T_ERR(mkdir(dir, 0755), EEXIST);
  static const char *const names[] = {".", "..", "f1", "f2", "a_longer_file_name", "sub"};
  for (int i = 2; i < 5; i++) {
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    close(T_OK(open(path, O_CREAT | O_WRONLY, 0644)));
  }
  snprintf(path, sizeof(path), "%s/sub", dir);
  T_OK(mkdir(path, 0700));

  struct stat64 st;
  T_OK(stat(dir, &st));
  T_CHECK(S_ISDIR(st.st_mode));
  T_EQ(st.st_mode & 07777, 0755);
  T_OK(stat(path, &st));
  T_EQ(st.st_mode & 07777, 0700);

  int fd = T_OK(open(dir, O_RDONLY | O_DIRECTORY));
  T_EQ(scan(fd, names, 6, 4096), 0x3f);
  T_EQ(getdents64(fd, path, sizeof(path)), 0); /* at the end: 0 again */
  T_EQ(lseek(fd, 0, SEEK_SET), 0);               /* rewind */
  T_EQ(scan(fd, names, 6, 64), 0x3f);             /* small buffer: many calls */
  T_EQ(lseek(fd, 0, SEEK_SET), 0);
  char tiny[8];
  T_ERR(getdents64(fd, tiny, sizeof(tiny)), EINVAL);
  close(fd);
  int file = T_OK(open(dir, O_RDONLY));
  close(file);
  snprintf(path, sizeof(path), "%s/f1", dir);
  file = T_OK(open(path, O_RDONLY));
  T_ERR(getdents64(file, tiny, sizeof(tiny)), ENOTDIR);
  close(file);

  /* rmdir: not while it has entries; not on a file */
  T_ERR(rmdir(dir), ENOTEMPTY);
  T_ERR(rmdir(path), ENOTDIR);
  for (int i = 2; i < 5; i++) {
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    T_OK(unlink(path));
  }
  snprintf(path, sizeof(path), "%s/sub", dir);
  T_OK(rmdir(path));
  T_ERR(rmdir(path), ENOENT);
  T_OK(rmdir(dir));
  T_ERR(stat(dir, &st), ENOENT);
  T_ERR(mkdir("/nonexistent/dir", 0755), ENOENT);
}

static void relative_names(void) {
  char dir[64];
  t_tmp(dir, "cwd");
  T_OK(mkdir(dir, 0755));
  T_OK(chdir(dir));
  T_OK(mkdir("inner", 0755));
  int fd = T_OK(open("inner/file", O_CREAT | O_WRONLY, 0644));
  T_EQ(write(fd, "xyz", 3), 3);
  close(fd);
  T_OK(chdir("inner"));
  struct stat64 st;
  T_OK(stat("file", &st));
  T_EQ(st.st_size, 3);
  T_OK(stat("../inner/./file", &st));
  T_EQ(st.st_size, 3);
  T_OK(unlink("file"));
  T_OK(chdir(".."));
  T_OK(rmdir("inner"));
  T_ERR(chdir("inner"), ENOENT);
  fd = T_OK(open("plain", O_CREAT | O_WRONLY, 0644));
  close(fd);
  T_ERR(chdir("plain"), ENOTDIR);
  T_OK(unlink("plain"));
  T_OK(chdir("/"));
  T_OK(rmdir(dir));
}

int main(void) {
  t_init("t_dir");
  listing();
  relative_names();
  return t_done();
}
