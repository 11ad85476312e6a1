/* vfs.c - path names and the file-system system calls.
 *
 * A path is resolved component by component from the root ("/...") or
 * the current directory: "." stays, ".." goes to the parent (the root's
 * is itself), a symbolic link is followed (up to SYMLOOP_MAX times;
 * the last component only when asked: lstat, O_NOFOLLOW). Every inode a
 * lookup returns carries a reference the caller drops with inode_put.
 * There are no permission checks beyond execute bits for exec: everything
 * runs as root.
 */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "uaccess.h"

static struct inode *start_dir(const char *path) {
  struct inode *d = (path[0] == '/' || !current->cwd) ? ramfs_root() : current->cwd;
  inode_get(d);
  return d;
}

static int walk(struct inode *dir, const char *path, int follow_last, int depth, struct inode **out);

/* Resolves one symbolic link found in dir; consumes nothing. */
static int follow(struct inode *dir, struct inode *link, int depth, struct inode **out) {
  if (depth >= SYMLOOP_MAX)
    return -ELOOP;
  const char *target = link->link ? link->link : "";
  struct inode *base = target[0] == '/' ? ramfs_root() : dir;
  inode_get(base);
  return walk(base, target, 1, depth + 1, out);
}

/* Walks path from dir (a reference that walk consumes). */
static int walk(struct inode *dir, const char *path, int follow_last, int depth, struct inode **out) {
  char name[NAME_MAX + 1];
  struct inode *cur = dir;
  const char *p = path;
  if (!*p) {
    inode_put(cur);
    return -ENOENT;
  }
  for (;;) {
    while (*p == '/')
      p++;
    if (!*p)
      break;
    const char *end = p;
    while (*end && *end != '/')
      end++;
    size_t len = (size_t)(end - p);
    if (len > NAME_MAX) {
      inode_put(cur);
      return -ENAMETOOLONG;
    }
    memcpy(name, p, len);
    name[len] = 0;
    p = end;
    int last = 1;
    for (const char *q = p; *q; q++)
      if (*q != '/') {
        last = 0;
        break;
      }
    if (!S_ISDIR(cur->mode)) {
      inode_put(cur);
      return -ENOTDIR;
    }
    if (strcmp(name, ".") == 0)
      continue;
    struct inode *next;
    if (strcmp(name, "..") == 0) {
      next = cur->parent ? cur->parent : cur;
      inode_get(next);
    } else {
      int r = cur->iop->lookup(cur, name, &next);
      if (r < 0) {
        inode_put(cur);
        return r;
      }
      if (S_ISLNK(next->mode) && (!last || follow_last || *p)) {
        struct inode *t;
        r = follow(cur, next, depth, &t);
        inode_put(next);
        if (r < 0) {
          inode_put(cur);
          return r;
        }
        next = t;
      }
    }
    inode_put(cur);
    cur = next;
  }
  /* "a/" names a directory */
  size_t n = strlen(path);
  if (n && path[n - 1] == '/' && !S_ISDIR(cur->mode)) {
    inode_put(cur);
    return -ENOTDIR;
  }
  *out = cur;
  return 0;
}

int vfs_lookup(const char *path, int follow_last, struct inode **out) {
  return walk(start_dir(path), path, follow_last, 0, out);
}

/* The directory that holds path's last component, and that component
 * (trailing slashes dropped). last is "" for "/". */
int vfs_parent(const char *path, struct inode **dir, char *last) {
  size_t n = strlen(path);
  if (n == 0)
    return -ENOENT;
  while (n > 1 && path[n - 1] == '/')
    n--;
  size_t s = n;
  while (s > 0 && path[s - 1] != '/')
    s--;
  if (n - s > NAME_MAX)
    return -ENAMETOOLONG;
  memcpy(last, path + s, n - s);
  last[n - s] = 0;
  struct inode *d;
  if (s == 0) {
    d = start_dir(path);
  } else {
    char *head = kmalloc(s + 1);
    if (!head)
      return -ENOMEM;
    memcpy(head, path, s);
    head[s] = 0;
    int r = vfs_lookup(head, 1, &d);
    kfree(head);
    if (r < 0)
      return r;
  }
  if (!S_ISDIR(d->mode)) {
    inode_put(d);
    return -ENOTDIR;
  }
  *dir = d;
  return 0;
}

static int special_name(const char *name) {
  return name[0] == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

int vfs_mknod(const char *path, uint32_t mode, uint32_t rdev) {
  struct inode *dir, *ip;
  char last[NAME_MAX + 1];
  int r = vfs_parent(path, &dir, last);
  if (r < 0)
    return r;
  if (special_name(last))
    r = -EEXIST;
  else
    r = dir->iop->create(dir, last, mode, rdev, &ip);
  if (r == 0)
    inode_put(ip);
  inode_put(dir);
  return r;
}

/* ---- open ------------------------------------------------------------------------------ */
int vfs_open(const char *path, uint32_t flags, uint32_t mode, struct file **out) {
  struct inode *ip = NULL;
  int r;
  if (flags & O_CREAT) {
    struct inode *dir;
    char last[NAME_MAX + 1];
    r = vfs_parent(path, &dir, last);
    if (r < 0)
      return r;
    if (special_name(last) || path[strlen(path) - 1] == '/') {
      inode_put(dir);
      return -EISDIR;
    }
    r = dir->iop->lookup(dir, last, &ip);
    if (r == 0) {
      if (flags & O_EXCL) {
        inode_put(ip);
        inode_put(dir);
        return -EEXIST;
      }
      if (S_ISLNK(ip->mode)) { /* follow it */
        struct inode *t;
        if (flags & O_NOFOLLOW) {
          inode_put(ip);
          inode_put(dir);
          return -ELOOP;
        }
        r = vfs_lookup(path, 1, &t);
        inode_put(ip);
        if (r < 0) {
          inode_put(dir);
          return r;
        }
        ip = t;
      }
    } else if (r == -ENOENT) {
      r = dir->iop->create(dir, last, S_IFREG | (mode & 07777 & ~current->umask), 0, &ip);
    }
    inode_put(dir);
    if (r < 0)
      return r;
  } else {
    r = vfs_lookup(path, !(flags & O_NOFOLLOW), &ip);
    if (r < 0)
      return r;
    if (S_ISLNK(ip->mode)) {
      inode_put(ip);
      return -ELOOP;
    }
  }
  uint32_t acc = flags & O_ACCMODE;
  if (S_ISDIR(ip->mode) && (acc != O_RDONLY || (flags & O_TRUNC))) {
    inode_put(ip);
    return -EISDIR;
  }
  if ((flags & O_DIRECTORY) && !S_ISDIR(ip->mode)) {
    inode_put(ip);
    return -ENOTDIR;
  }
  if (acc == 3) {
    inode_put(ip);
    return -EINVAL;
  }
  if ((flags & O_TRUNC) && S_ISREG(ip->mode) && acc != O_RDONLY)
    ramfs_root()->iop->truncate(ip, 0);
  struct file *f = file_new(ip, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  inode_put(ip);
  if (!f)
    return -ENOMEM;
  *out = f;
  return 0;
}

/* Copies a user path into a fresh kernel buffer (kfree it). */
static int get_path(uint32_t upath, char **out) {
  char *p = kmalloc(PATH_MAX);
  if (!p)
    return -ENOMEM;
  long r = strncpy_from_user(p, (const char *)upath, PATH_MAX);
  if (r < 0) {
    kfree(p);
    return (int)r;
  }
  if (r == 0) {
    kfree(p);
    return -ENOENT;
  }
  *out = p;
  return 0;
}

long sys_open(uint32_t upath, uint32_t flags, uint32_t mode) {
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  struct file *f;
  r = vfs_open(path, flags, mode, &f);
  kfree(path);
  if (r < 0)
    return r;
  int fd = fd_install(f, 0);
  if (fd < 0) {
    file_put(f);
    return fd;
  }
  if (flags & O_CLOEXEC)
    current->cloexec[fd / 32] |= 1u << (fd % 32);
  return fd;
}

long sys_creat(uint32_t upath, uint32_t mode) { return sys_open(upath, O_CREAT | O_WRONLY | O_TRUNC, mode); }

long sys_openat(int dirfd, uint32_t upath, uint32_t flags, uint32_t mode) {
  if (dirfd != AT_FDCWD)
    return -ENOSYS; /* only relative to the current directory */
  return sys_open(upath, flags, mode);
}

/* ---- names ------------------------------------------------------------------------------ */
long sys_mkdir(uint32_t upath, uint32_t mode) {
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  r = vfs_mknod(path, S_IFDIR | (mode & 07777 & ~current->umask), 0);
  kfree(path);
  return r;
}

long sys_mknod(uint32_t upath, uint32_t mode, uint32_t dev) {
  uint32_t type = mode & S_IFMT;
  if (type != 0 && type != S_IFREG && type != S_IFCHR)
    return -EPERM; /* no FIFOs, sockets or block devices */
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  r = vfs_mknod(path, (type ? type : S_IFREG) | (mode & 07777 & ~current->umask), dev & 0xFFFF);
  kfree(path);
  return r;
}

static long remove_common(uint32_t upath, int want_dir) {
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  struct inode *dir;
  char last[NAME_MAX + 1];
  r = vfs_parent(path, &dir, last);
  kfree(path);
  if (r < 0)
    return r;
  if (last[0] == 0)
    r = -EBUSY;
  else if (strcmp(last, ".") == 0)
    r = -EINVAL;
  else if (strcmp(last, "..") == 0)
    r = -ENOTEMPTY;
  else
    r = dir->iop->unlink(dir, last, want_dir);
  inode_put(dir);
  return r;
}

long sys_unlink(uint32_t upath) { return remove_common(upath, 0); }
long sys_rmdir(uint32_t upath) { return remove_common(upath, 1); }

long sys_link(uint32_t uold, uint32_t unew) {
  char *o, *n;
  int r = get_path(uold, &o);
  if (r < 0)
    return r;
  r = get_path(unew, &n);
  if (r < 0) {
    kfree(o);
    return r;
  }
  struct inode *ip, *dir;
  char last[NAME_MAX + 1];
  r = vfs_lookup(o, 0, &ip);
  if (r == 0) {
    if (S_ISDIR(ip->mode)) {
      r = -EPERM;
    } else {
      r = vfs_parent(n, &dir, last);
      if (r == 0) {
        r = special_name(last) ? -EEXIST : dir->iop->link(dir, last, ip);
        inode_put(dir);
      }
    }
    inode_put(ip);
  }
  kfree(o);
  kfree(n);
  return r;
}

long sys_rename(uint32_t uold, uint32_t unew) {
  char *o, *n;
  int r = get_path(uold, &o);
  if (r < 0)
    return r;
  r = get_path(unew, &n);
  if (r < 0) {
    kfree(o);
    return r;
  }
  struct inode *odir, *ndir;
  char olast[NAME_MAX + 1], nlast[NAME_MAX + 1];
  r = vfs_parent(o, &odir, olast);
  if (r == 0) {
    r = vfs_parent(n, &ndir, nlast);
    if (r == 0) {
      if (special_name(olast) || special_name(nlast))
        r = -EBUSY;
      else
        r = odir->iop->rename(odir, olast, ndir, nlast);
      inode_put(ndir);
    }
    inode_put(odir);
  }
  kfree(o);
  kfree(n);
  return r;
}

long sys_symlink(uint32_t utarget, uint32_t upath) {
  char *t, *path;
  int r = get_path(utarget, &t);
  if (r < 0)
    return r;
  r = get_path(upath, &path);
  if (r < 0) {
    kfree(t);
    return r;
  }
  struct inode *dir, *ip;
  char last[NAME_MAX + 1];
  r = vfs_parent(path, &dir, last);
  if (r == 0) {
    r = special_name(last) ? -EEXIST : dir->iop->create(dir, last, S_IFLNK | 0777, 0, &ip);
    if (r == 0) {
      size_t len = strlen(t);
      ip->link = kmalloc(len + 1);
      if (ip->link) {
        memcpy(ip->link, t, len + 1);
        ip->size = len;
      }
      inode_put(ip);
    }
    inode_put(dir);
  }
  kfree(t);
  kfree(path);
  return r;
}

long sys_readlink(uint32_t upath, uint32_t ubuf, int size) {
  if (size <= 0)
    return -EINVAL;
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  struct inode *ip;
  r = vfs_lookup(path, 0, &ip);
  kfree(path);
  if (r < 0)
    return r;
  long n = -EINVAL;
  if (S_ISLNK(ip->mode) && ip->link) {
    n = MIN((long)strlen(ip->link), size);
    if (copy_to_user((void *)ubuf, ip->link, (size_t)n) < 0)
      n = -EFAULT;
  }
  inode_put(ip);
  return n;
}

/* ---- directories ---------------------------------------------------------------------- */
long sys_chdir(uint32_t upath) {
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  struct inode *ip;
  r = vfs_lookup(path, 1, &ip);
  kfree(path);
  if (r < 0)
    return r;
  if (!S_ISDIR(ip->mode)) {
    inode_put(ip);
    return -ENOTDIR;
  }
  inode_put(current->cwd);
  current->cwd = ip;
  return 0;
}

long sys_fchdir(int fd) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  if (!S_ISDIR(f->ip->mode))
    return -ENOTDIR;
  inode_get(f->ip);
  inode_put(current->cwd);
  current->cwd = f->ip;
  return 0;
}

/* The name of child in dir, or NULL. */
static const char *name_in(struct inode *dir, struct inode *child) {
  for (struct dentry *d = dir->entries; d; d = d->next)
    if (d->ip == child)
      return d->name;
  return NULL;
}

long sys_getcwd(uint32_t ubuf, uint32_t size) {
  char *buf = kmalloc(PATH_MAX);
  if (!buf)
    return -ENOMEM;
  uint32_t pos = PATH_MAX - 1;
  buf[pos] = 0;
  struct inode *d = current->cwd ? current->cwd : ramfs_root();
  long r = 0;
  if (d != ramfs_root() && !d->parent)
    r = -ENOENT; /* removed */
  while (r == 0 && d != ramfs_root()) {
    const char *name = name_in(d->parent, d);
    size_t len = name ? strlen(name) : 0;
    if (!name || len + 1 > pos) {
      r = -ENAMETOOLONG;
      break;
    }
    pos -= (uint32_t)len;
    memcpy(buf + pos, name, len);
    buf[--pos] = '/';
    d = d->parent;
  }
  if (r == 0 && pos == PATH_MAX - 1)
    buf[--pos] = '/';
  if (r == 0) {
    uint32_t len = PATH_MAX - pos; /* with the NUL */
    if (len > size)
      r = -ERANGE;
    else if (copy_to_user((void *)ubuf, buf + pos, len) < 0)
      r = -EFAULT;
    else
      r = (long)len;
  }
  kfree(buf);
  return r;
}

/* struct linux_dirent64 (getdents64) and struct linux_dirent (getdents)
 * are not in Linux's UAPI headers (libc declares its own): their layouts,
 * from the kernel's fs/readdir.c. */
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  uint16_t d_reclen;
  uint8_t d_type;
  char d_name[];
} __attribute__((packed));

struct linux_dirent {
  uint32_t d_ino;
  uint32_t d_off;
  uint16_t d_reclen;
  char d_name[]; /* then a NUL, then d_type in the record's last byte */
} __attribute__((packed));

static uint8_t dtype(uint32_t mode) { return (uint8_t)((mode & S_IFMT) >> 12); } /* DT_* = S_IFMT >> 12 */

static long do_getdents(int fd, uint32_t ubuf, uint32_t count, int is64) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  if (!S_ISDIR(f->ip->mode))
    return -ENOTDIR;
  char name[NAME_MAX + 1];
  uint8_t rec[sizeof(struct linux_dirent64) + NAME_MAX + 8];
  uint32_t done = 0;
  for (;;) {
    uint32_t pos = (uint32_t)f->pos, ino, type;
    if (f->ip->iop->readdir(f->ip, &pos, name, &ino, &type))
      break;
    size_t len = strlen(name);
    uint32_t reclen;
    if (is64) {
      reclen = ALIGN_UP((uint32_t)(offsetof(struct linux_dirent64, d_name) + len + 1), 8);
      struct linux_dirent64 *d = (struct linux_dirent64 *)rec;
      memset(rec, 0, reclen);
      d->d_ino = ino;
      d->d_off = pos;
      d->d_reclen = (uint16_t)reclen;
      d->d_type = dtype(type);
      memcpy(d->d_name, name, len + 1);
    } else {
      reclen = ALIGN_UP((uint32_t)(offsetof(struct linux_dirent, d_name) + len + 2), 4);
      struct linux_dirent *d = (struct linux_dirent *)rec;
      memset(rec, 0, reclen);
      d->d_ino = ino;
      d->d_off = pos;
      d->d_reclen = (uint16_t)reclen;
      memcpy(d->d_name, name, len + 1);
      rec[reclen - 1] = dtype(type);
    }
    if (done + reclen > count) {
      if (!done)
        return -EINVAL;
      break;
    }
    if (copy_to_user((void *)(ubuf + done), rec, reclen) < 0)
      return done ? (long)done : -EFAULT;
    done += reclen;
    f->pos = pos;
  }
  return done;
}

long sys_getdents64(int fd, uint32_t ubuf, uint32_t count) { return do_getdents(fd, ubuf, count, 1); }
long sys_getdents(int fd, uint32_t ubuf, uint32_t count) { return do_getdents(fd, ubuf, count, 0); }

/* ---- attributes ------------------------------------------------------------------------- */
#define FS_DEV 1 /* the RAM file system's device number */

static void fill_stat64(struct stat64 *st, const struct inode *ip) {
  memset(st, 0, sizeof *st);
  st->st_dev = FS_DEV;
  st->__st_ino = ip->ino;
  st->st_ino = ip->ino;
  st->st_mode = ip->mode;
  st->st_nlink = ip->nlink;
  st->st_rdev = ip->rdev;
  st->st_size = (long long)ip->size;
  st->st_blksize = PAGE_SIZE;
  st->st_blocks = ((ip->size + PAGE_SIZE - 1) >> PAGE_SHIFT) * (PAGE_SIZE / 512);
  st->st_atime = ip->atime;
  st->st_mtime = ip->mtime;
  st->st_ctime = ip->ctime;
}

static int put_stat(uint32_t ubuf, const struct inode *ip, int is64) {
  struct stat64 s64;
  fill_stat64(&s64, ip);
  if (is64)
    return copy_to_user((void *)ubuf, &s64, sizeof s64);
  if (ip->size > 0x7FFFFFFF)
    return -EOVERFLOW;
  struct stat st;
  memset(&st, 0, sizeof st);
  st.st_dev = FS_DEV;
  st.st_ino = ip->ino;
  st.st_mode = (unsigned short)ip->mode;
  st.st_nlink = (unsigned short)ip->nlink;
  st.st_rdev = ip->rdev;
  st.st_size = (unsigned long)ip->size;
  st.st_blksize = PAGE_SIZE;
  st.st_blocks = (unsigned long)s64.st_blocks;
  st.st_atime = ip->atime;
  st.st_mtime = ip->mtime;
  st.st_ctime = ip->ctime;
  return copy_to_user((void *)ubuf, &st, sizeof st);
}

static long stat_path(uint32_t upath, uint32_t ubuf, int follow_last, int is64) {
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  struct inode *ip;
  r = vfs_lookup(path, follow_last, &ip);
  kfree(path);
  if (r < 0)
    return r;
  r = put_stat(ubuf, ip, is64);
  inode_put(ip);
  return r;
}

long sys_stat(uint32_t p, uint32_t b) { return stat_path(p, b, 1, 0); }
long sys_lstat(uint32_t p, uint32_t b) { return stat_path(p, b, 0, 0); }
long sys_stat64(uint32_t p, uint32_t b) { return stat_path(p, b, 1, 1); }
long sys_lstat64(uint32_t p, uint32_t b) { return stat_path(p, b, 0, 1); }

static long stat_fd(int fd, uint32_t ubuf, int is64) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  return put_stat(ubuf, f->ip, is64);
}

long sys_fstat(int fd, uint32_t b) { return stat_fd(fd, b, 0); }
long sys_fstat64(int fd, uint32_t b) { return stat_fd(fd, b, 1); }

long sys_fstatat64(int dirfd, uint32_t upath, uint32_t ubuf, int flags) {
  if (flags & AT_EMPTY_PATH) {
    char c;
    if (copy_from_user(&c, (const void *)upath, 1) == 0 && c == 0)
      return stat_fd(dirfd, ubuf, 1);
  }
  if (dirfd != AT_FDCWD)
    return -ENOSYS;
  return stat_path(upath, ubuf, !(flags & AT_SYMLINK_NOFOLLOW), 1);
}

long sys_access(uint32_t upath, int mode) {
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  struct inode *ip;
  r = vfs_lookup(path, 1, &ip);
  kfree(path);
  if (r < 0)
    return r;
  if ((mode & 1) && !(ip->mode & 0111) && !S_ISDIR(ip->mode)) /* root: X needs some x bit */
    r = -EACCES;
  inode_put(ip);
  return r;
}

static long truncate_inode(struct inode *ip, uint64_t size) {
  if (S_ISDIR(ip->mode))
    return -EISDIR;
  if (!S_ISREG(ip->mode))
    return -EINVAL;
  return ramfs_root()->iop->truncate(ip, size);
}

long sys_truncate(uint32_t upath, int32_t len) {
  if (len < 0)
    return -EINVAL;
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  struct inode *ip;
  r = vfs_lookup(path, 1, &ip);
  kfree(path);
  if (r < 0)
    return r;
  r = (int)truncate_inode(ip, (uint64_t)len);
  inode_put(ip);
  return r;
}

long sys_ftruncate(int fd, int32_t len) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  if (len < 0)
    return -EINVAL;
  if ((f->flags & O_ACCMODE) == O_RDONLY)
    return -EINVAL;
  return truncate_inode(f->ip, (uint64_t)len);
}

long sys_ftruncate64(int fd, uint32_t lo, uint32_t hi) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  if ((int32_t)hi < 0)
    return -EINVAL;
  if ((f->flags & O_ACCMODE) == O_RDONLY)
    return -EINVAL;
  return truncate_inode(f->ip, ((uint64_t)hi << 32) | lo);
}

long sys_chmod(uint32_t upath, uint32_t mode) {
  char *path;
  int r = get_path(upath, &path);
  if (r < 0)
    return r;
  struct inode *ip;
  r = vfs_lookup(path, 1, &ip);
  kfree(path);
  if (r < 0)
    return r;
  ip->mode = (ip->mode & S_IFMT) | (mode & 07777);
  ip->ctime = fs_now();
  inode_put(ip);
  return 0;
}

long sys_fchmod(int fd, uint32_t mode) {
  struct file *f = fd_file(fd);
  if (!f)
    return -EBADF;
  f->ip->mode = (f->ip->mode & S_IFMT) | (mode & 07777);
  return 0;
}

long sys_umask(uint32_t mask) {
  uint32_t old = current->umask;
  current->umask = mask & 0777;
  return old;
}

/* The root directory exists from here on (lookups start there). */
void fs_init(void) { ramfs_root(); }
