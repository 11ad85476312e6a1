/* guests/user/libc/misc.c - the standard interfaces that wrap a system call
 * with a different shape (open's optional mode, mmap's byte offset over
 * mmap2's page offset, select over _newselect, stat over stat64, wait over
 * wait4), and the small conversions: atoi, strerror, perror. */
#include "libc-internal.h"

int open(const char *path, int flags, ...) {
  int mode = 0;
  if (flags & (O_CREAT | __O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, int);
    va_end(ap);
  }
  return libc_sys_open(path, flags, mode);
}

int creat(const char *path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return libc_sys_fcntl64(fd, cmd, arg);
}

int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  long arg = va_arg(ap, long);
  va_end(ap);
  return libc_sys_ioctl(fd, req, arg);
}

int isatty(int fd) {
  unsigned char termios[64]; /* struct termios: 36 bytes on i386 */
  return ioctl(fd, TCGETS, (long)termios) == 0;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset) {
  if (offset & 4095) {
    errno = EINVAL;
    return MAP_FAILED;
  }
  return (void *)libc_sys_mmap2(addr, len, prot, flags, fd, (unsigned long)offset >> 12);
}

int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout) {
  return libc_sys_newselect(nfds, r, w, e, timeout);
}

int stat(const char *path, struct stat64 *st) { return stat64(path, st); }
int fstat(int fd, struct stat64 *st) { return fstat64(fd, st); }
int lstat(const char *path, struct stat64 *st) { return lstat64(path, st); }

pid_t wait(int *status) { return wait4(-1, status, 0, 0); }
pid_t waitpid(pid_t pid, int *status, int options) { return wait4(pid, status, options, 0); }

unsigned int sleep(unsigned int seconds) {
  struct timespec t = {(long)seconds, 0}, left;
  if (nanosleep(&t, &left) < 0)
    return (unsigned int)left.tv_sec;
  return 0;
}

long atol(const char *s) { return strtol(s, 0, 10); }
int atoi(const char *s) { return (int)strtol(s, 0, 10); }

/* errno names and texts, one row each (values from <asm-generic/errno*.h>) */
#define LIBC_ERRNOS(X)                            \
  X(EPERM, "Operation not permitted")             \
  X(ENOENT, "No such file or directory")          \
  X(ESRCH, "No such process")                     \
  X(EINTR, "Interrupted system call")             \
  X(EIO, "Input/output error")                    \
  X(ENXIO, "No such device or address")           \
  X(E2BIG, "Argument list too long")              \
  X(ENOEXEC, "Exec format error")                 \
  X(EBADF, "Bad file descriptor")                 \
  X(ECHILD, "No child processes")                 \
  X(EAGAIN, "Resource temporarily unavailable")   \
  X(ENOMEM, "Cannot allocate memory")             \
  X(EACCES, "Permission denied")                  \
  X(EFAULT, "Bad address")                        \
  X(EBUSY, "Device or resource busy")             \
  X(EEXIST, "File exists")                        \
  X(EXDEV, "Invalid cross-device link")           \
  X(ENODEV, "No such device")                     \
  X(ENOTDIR, "Not a directory")                   \
  X(EISDIR, "Is a directory")                     \
  X(EINVAL, "Invalid argument")                   \
  X(ENFILE, "Too many open files in system")      \
  X(EMFILE, "Too many open files")                \
  X(ENOTTY, "Inappropriate ioctl for device")     \
  X(EFBIG, "File too large")                      \
  X(ENOSPC, "No space left on device")            \
  X(ESPIPE, "Illegal seek")                       \
  X(EROFS, "Read-only file system")               \
  X(EMLINK, "Too many links")                     \
  X(EPIPE, "Broken pipe")                         \
  X(ERANGE, "Numerical result out of range")      \
  X(ENAMETOOLONG, "File name too long")           \
  X(ENOSYS, "Function not implemented")           \
  X(ENOTEMPTY, "Directory not empty")             \
  X(ELOOP, "Too many levels of symbolic links")

const char *strerror(int err) {
  switch (err) {
#define LIBC_ERRNO_CASE(name, text) \
  case name:                        \
    return #name " (" text ")";
    LIBC_ERRNOS(LIBC_ERRNO_CASE)
#undef LIBC_ERRNO_CASE
  case 0:
    return "Success";
  }
  static char unknown[32];
  snprintf(unknown, sizeof(unknown), "errno %d", err);
  return unknown;
}

void perror(const char *what) {
  int e = errno;
  if (what && *what)
    fprintf(stderr, "%s: %s\n", what, strerror(e));
  else
    fprintf(stderr, "%s\n", strerror(e));
}
