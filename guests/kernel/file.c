/* file.c - open files and the descriptor table: read, write, lseek,
 * close, dup, fcntl, ioctl, readv/writev, pipe.
 *
 * A descriptor is an index into the process's files[] (NOFILE of them),
 * pointing to a shared struct file (one per open: fork and dup share it,
 * with its offset and status flags). The close-on-exec flag belongs to
 * the descriptor.
 */
#include <asm-generic/errno.h>
#include <asm/ioctls.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/uio.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "uaccess.h"

#define IOV_MAX_K 1024

struct file *file_new(struct inode *ip, uint32_t flags) {
  struct file *f = kzalloc(sizeof *f);
  if (!f)
    return NULL;
  f->refs = 1;
  f->flags = flags;
  f->ip = ip;
  f->fop = ip ? ip->fop : NULL;
  if (ip)
    inode_get(ip);
  return f;
}

void file_get(struct file *f) { f->refs++; }

void file_put(struct file *f) {
  if (--f->refs > 0)
    return;
  if (f->fop && f->fop->release)
    f->fop->release(f);
  if (f->ip)
    inode_put(f->ip);
  kfree(f);
}

struct file *fd_file(int fd) {
  if (fd < 0 || fd >= NOFILE)
    return NULL;
  return current->files[fd];
}

static void set_cloexec(struct proc *p, int fd, int on) {
  if (on)
    p->cloexec[fd / 32] |= 1u << (fd % 32);
  else
    p->cloexec[fd / 32] &= ~(1u << (fd % 32));
}

int fd_install(struct file *f, int min_fd) {
  for (int fd = min_fd < 0 ? 0 : min_fd; fd < NOFILE; fd++)
    if (!current->files[fd]) {
      current->files[fd] = f;
      set_cloexec(current, fd, 0);
      return fd;
    }
  return -EMFILE;
}

static int fd_close(struct proc *p, int fd) {
  struct file *f = p->files[fd];
  if (!f)
    return -EBADF;
  p->files[fd] = NULL;
  set_cloexec(p, fd, 0);
  file_put(f);
  return 0;
}

void fd_close_all(struct proc *p) {
  for (int fd = 0; fd < NOFILE; fd++)
    if (p->files[fd])
      fd_close(p, fd);
}

void fd_close_on_exec(struct proc *p) {
  for (int fd = 0; fd < NOFILE; fd++)
    if (p->files[fd] && (p->cloexec[fd / 32] & (1u << (fd % 32))))
      fd_close(p, fd);
}

void fd_copy(struct proc *to, struct proc *from) {
  for (int fd = 0; fd < NOFILE; fd++) {
    to->files[fd] = from->files[fd];
    if (to->files[fd])
      file_get(to->files[fd]);
  }
  memcpy(to->cloexec, from->cloexec, sizeof to->cloexec);
}

/* ---- read and write ---------------------------------------------------------------- */
static long do_read(struct file *f, char *ubuf, uint32_t n) {
  if ((f->flags & O_ACCMODE) == O_WRONLY)
    return -EBADF;
  if (S_ISDIR(f->ip->mode))
    return -EISDIR;
  if (!f->fop || !f->fop->read)
    return -EINVAL;
  if (n > 0x7FFFF000u)
    n = 0x7FFFF000u; /* Linux's MAX_RW_COUNT */
  if (!access_ok((uint32_t)ubuf, n))
    return -EFAULT;
  return f->fop->read(f, ubuf, n);
}

static long do_write(struct file *f, const char *ubuf, uint32_t n) {
  if ((f->flags & O_ACCMODE) == O_RDONLY)
    return -EBADF;
  if (!f->fop || !f->fop->write)
    return -EINVAL;
  if (n > 0x7FFFF000u)
    n = 0x7FFFF000u;
  if (!access_ok((uint32_t)ubuf, n))
    return -EFAULT;
  return f->fop->write(f, ubuf, n);
}

long sys_read(int fd, uint32_t buf, uint32_t n) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  return do_read(f, (char *)buf, n);
}

long sys_write(int fd, uint32_t buf, uint32_t n) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  return do_write(f, (const char *)buf, n);
}

static long do_rw_vec(int fd, uint32_t uiov, int cnt, int write) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  if (cnt < 0 || cnt > IOV_MAX_K)
    return -EINVAL;
  long total = 0;
  for (int k = 0; k < cnt; k++) {
    struct iovec v;
    if (copy_from_user(&v, (const void *)(uiov + k * sizeof v), sizeof v) < 0)
      return total ? total : -EFAULT;
    if (v.iov_len == 0)
      continue;
    long r = write ? do_write(f, v.iov_base, v.iov_len) : do_read(f, v.iov_base, v.iov_len);
    if (r < 0)
      return total ? total : r;
    total += r;
    if ((size_t)r < v.iov_len)
      break;
  }
  return total;
}

long sys_readv(int fd, uint32_t iov, int cnt) { return do_rw_vec(fd, iov, cnt, 0); }
long sys_writev(int fd, uint32_t iov, int cnt) { return do_rw_vec(fd, iov, cnt, 1); }

static long do_pio(int fd, uint32_t buf, uint32_t n, uint64_t off, int write) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  if (!S_ISREG(f->ip->mode))
    return -ESPIPE;
  if ((int64_t)off < 0)
    return -EINVAL;
  uint64_t saved = f->pos;
  uint32_t flags = f->flags;
  f->pos = off;
  f->flags &= ~(uint32_t)O_APPEND;
  long r = write ? do_write(f, (const char *)buf, n) : do_read(f, (char *)buf, n);
  f->pos = saved;
  f->flags = flags;
  return r;
}

long sys_pread64(int fd, uint32_t buf, uint32_t n, uint32_t lo, uint32_t hi) {
  return do_pio(fd, buf, n, ((uint64_t)hi << 32) | lo, 0);
}
long sys_pwrite64(int fd, uint32_t buf, uint32_t n, uint32_t lo, uint32_t hi) {
  return do_pio(fd, buf, n, ((uint64_t)hi << 32) | lo, 1);
}

/* ---- positions ---------------------------------------------------------------------- */
static long do_lseek(struct file *f, int64_t off, int whence, uint64_t *result) {
  if (!S_ISREG(f->ip->mode) && !S_ISDIR(f->ip->mode) && !S_ISCHR(f->ip->mode))
    return -ESPIPE;
  int64_t base;
  switch (whence) {
  case SEEK_SET:
    base = 0;
    break;
  case SEEK_CUR:
    base = (int64_t)f->pos;
    break;
  case SEEK_END:
    base = (int64_t)f->ip->size;
    break;
  default:
    return -EINVAL;
  }
  int64_t pos = base + off;
  if (pos < 0)
    return -EINVAL;
  f->pos = (uint64_t)pos;
  *result = f->pos;
  return 0;
}

long sys_lseek(int fd, int32_t off, int whence) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  uint64_t pos;
  long r = do_lseek(f, off, whence, &pos);
  if (r < 0)
    return r;
  if (pos > 0x7FFFFFFF)
    return -EOVERFLOW;
  return (long)pos;
}

long sys_llseek(int fd, uint32_t hi, uint32_t lo, uint32_t uresult, int whence) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  uint64_t pos;
  long r = do_lseek(f, (int64_t)(((uint64_t)hi << 32) | lo), whence, &pos);
  if (r < 0)
    return r;
  return copy_to_user((void *)uresult, &pos, 8) < 0 ? -EFAULT : 0;
}

/* ---- descriptors --------------------------------------------------------------------- */
long sys_close(int fd) {
  if (fd < 0 || fd >= NOFILE)
    return -EBADF;
  return fd_close(current, fd);
}

long sys_dup(int fd) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  file_get(f);
  int r = fd_install(f, 0);
  if (r < 0)
    file_put(f);
  return r;
}

static long do_dup3(int old, int new, int flags) {
  struct file *f = fd_file(old);
  if (!f || new < 0 || new >= NOFILE)
    return -EBADF;
  if (old == new)
    return new;
  file_get(f);
  if (current->files[new])
    fd_close(current, new);
  current->files[new] = f;
  set_cloexec(current, new, (flags & O_CLOEXEC) != 0);
  return new;
}

long sys_dup2(int old, int new) {
  if (old == new)
    return fd_file(old) ? new : -EBADF;
  return do_dup3(old, new, 0);
}

long sys_dup3(int old, int new, int flags) {
  if (old == new || (flags & ~O_CLOEXEC))
    return -EINVAL;
  return do_dup3(old, new, flags);
}

#define SETFL_MASK (O_APPEND | O_NONBLOCK)

long sys_fcntl(int fd, int cmd, uint32_t arg) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  switch (cmd) {
  case F_DUPFD:
  case F_DUPFD_CLOEXEC: {
    if (arg >= NOFILE)
      return -EINVAL;
    file_get(f);
    int r = fd_install(f, (int)arg);
    if (r < 0)
      file_put(f);
    else if (cmd == F_DUPFD_CLOEXEC)
      set_cloexec(current, r, 1);
    return r;
  }
  case F_GETFD:
    return (current->cloexec[fd / 32] >> (fd % 32)) & 1 ? FD_CLOEXEC : 0;
  case F_SETFD:
    set_cloexec(current, fd, (arg & FD_CLOEXEC) != 0);
    return 0;
  case F_GETFL:
    return (long)f->flags;
  case F_SETFL:
    f->flags = (f->flags & ~(uint32_t)SETFL_MASK) | (arg & SETFL_MASK);
    return 0;
  case F_GETLK:
  case F_SETLK:
  case F_SETLKW:
  case F_GETLK64:
  case F_SETLK64:
  case F_SETLKW64:
    return -ENOLCK; /* no record locks */
  default:
    return -EINVAL;
  }
}

long sys_ioctl(int fd, uint32_t cmd, uint32_t arg) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  if (cmd == FIONBIO) {
    uint32_t on;
    if (get_user_u32(&on, (const void *)arg) < 0)
      return -EFAULT;
    if (on)
      f->flags |= O_NONBLOCK;
    else
      f->flags &= ~(uint32_t)O_NONBLOCK;
    return 0;
  }
  if (cmd == FIOCLEX || cmd == FIONCLEX) {
    set_cloexec(current, fd, cmd == FIOCLEX);
    return 0;
  }
  if (f->fop && f->fop->ioctl)
    return f->fop->ioctl(f, cmd, arg);
  return -ENOTTY;
}

static long do_pipe(uint32_t ufds, int flags) {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK))
    return -EINVAL;
  struct file *rf, *wf;
  int r = pipe_create(&rf, &wf);
  if (r < 0)
    return r;
  rf->flags |= flags & O_NONBLOCK;
  wf->flags |= flags & O_NONBLOCK;
  int fds[2];
  fds[0] = fd_install(rf, 0);
  if (fds[0] < 0) {
    file_put(rf);
    file_put(wf);
    return fds[0];
  }
  fds[1] = fd_install(wf, 0);
  if (fds[1] < 0) {
    fd_close(current, fds[0]);
    file_put(wf);
    return fds[1];
  }
  if (flags & O_CLOEXEC) {
    set_cloexec(current, fds[0], 1);
    set_cloexec(current, fds[1], 1);
  }
  if (copy_to_user((void *)ufds, fds, sizeof fds) < 0) {
    fd_close(current, fds[0]);
    fd_close(current, fds[1]);
    return -EFAULT;
  }
  return 0;
}

long sys_pipe(uint32_t ufds) { return do_pipe(ufds, 0); }
long sys_pipe2(uint32_t ufds, int flags) { return do_pipe(ufds, flags); }
