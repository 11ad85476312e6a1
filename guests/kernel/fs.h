/* fs.h - files: inodes, the page cache, open files and descriptors, and
 * the virtual file system's operations.
 *
 * There is one file system, a RAM file system (ramfs.c) whose files live
 * only in the page cache, as Linux's ramfs does: a regular file's data is
 * its cached pages, shared by read/write and by mmap. The VFS (vfs.c:
 * paths, the system calls) reaches the file system through inode_ops and
 * reaches an open file through file_ops, so devices (dev.c) and pipes
 * (pipe.c) are files like the others.
 *
 * Reference counting: an inode's `refs` counts in-memory users (open
 * files, current directories, mapped regions, a lookup in progress), its
 * `nlink` the directory entries that name it. It is freed when both are
 * zero. A struct file's `refs` counts descriptors (dup, fork) and other
 * holders.
 */
#ifndef KERNEL_FS_H
#define KERNEL_FS_H

#include <asm-generic/fcntl.h>
#include <asm/stat.h>
#include <linux/stat.h>

#include "kernel.h"

#define NOFILE 256        /* descriptors per process */
#define NAME_MAX 255
#define PATH_MAX 4096
#define SYMLOOP_MAX 8

struct file;
struct pipe;
struct proc;
struct inode;

struct file_ops {
  long (*read)(struct file *f, char *ubuf, uint32_t n);  /* user buffer */
  long (*write)(struct file *f, const char *ubuf, uint32_t n);
  unsigned (*poll)(struct file *f);                     /* POLLIN | POLLOUT ... now */
  void (*release)(struct file *f);                      /* the last reference went */
  long (*ioctl)(struct file *f, uint32_t cmd, uint32_t arg);
};

struct inode_ops {
  int (*lookup)(struct inode *dir, const char *name, struct inode **out);
  int (*create)(struct inode *dir, const char *name, uint32_t mode, uint32_t rdev, struct inode **out);
  int (*link)(struct inode *dir, const char *name, struct inode *ip);
  int (*unlink)(struct inode *dir, const char *name, int want_dir);
  int (*rename)(struct inode *odir, const char *oname, struct inode *ndir, const char *nname);
  /* the entry at index *pos (".", "..", then the others): 0, or 1 at the end */
  int (*readdir)(struct inode *dir, uint32_t *pos, char *name, uint32_t *ino, uint32_t *type);
  int (*truncate)(struct inode *ip, uint64_t size);
};

struct dentry {
  struct dentry *next;
  struct inode *ip;
  char name[];
};

struct inode {
  uint32_t ino;
  uint32_t mode;         /* S_IFMT type and permission bits */
  uint32_t nlink;
  int refs;
  uint64_t size;
  uint32_t rdev;         /* character devices: major << 8 | minor */
  uint32_t atime, mtime, ctime;
  const struct inode_ops *iop;
  const struct file_ops *fop;
  /* directories */
  struct dentry *entries;
  struct inode *parent;
  uint32_t n_entries;
  /* regular files: the page cache, pfn per page index (0: not cached) */
  uint32_t *pages;
  uint32_t pages_cap;
  /* symbolic links */
  char *link;
  /* pipes */
  struct pipe *pipe;
};

struct file {
  int refs;
  uint32_t flags;        /* O_ACCMODE, O_APPEND, O_NONBLOCK */
  uint64_t pos;
  struct inode *ip;
  const struct file_ops *fop;
  void *priv;
};

/* inode.c */
struct inode *inode_new(uint32_t mode);
void inode_get(struct inode *ip);
void inode_put(struct inode *ip);
/* The cached page of ip at index idx (allocated zero if absent), or 0. */
uint32_t pagecache_page(struct inode *ip, uint32_t idx, int alloc);
void pagecache_truncate(struct inode *ip, uint64_t size);
long inode_read(struct inode *ip, uint64_t off, void *kbuf, uint32_t n); /* kernel buffer */
long inode_write(struct inode *ip, uint64_t off, const void *kbuf, uint32_t n);
uint32_t fs_now(void); /* seconds, for time stamps */

/* ramfs.c */
struct inode *ramfs_root(void);
extern const struct file_ops ramfs_file_ops, ramfs_dir_ops;

/* vfs.c: paths (kernel strings); every inode returned holds a reference */
int vfs_lookup(const char *path, int follow, struct inode **out);
int vfs_parent(const char *path, struct inode **dir, char *last);
int vfs_mknod(const char *path, uint32_t mode, uint32_t rdev); /* for boot */
int vfs_open(const char *path, uint32_t flags, uint32_t mode, struct file **out);
void fs_init(void);

/* file.c: open files and descriptors of the current process */
struct file *file_new(struct inode *ip, uint32_t flags);
void file_get(struct file *f);
void file_put(struct file *f);
struct file *fd_file(int fd);          /* no reference taken; NULL if not open */
int fd_install(struct file *f, int min_fd); /* takes over the reference */
void fd_close_all(struct proc *p);
void fd_close_on_exec(struct proc *p);
void fd_copy(struct proc *to, struct proc *from);

/* dev.c */
void dev_init(void);
const struct file_ops *dev_file_ops(uint32_t rdev);
void console_input(void);

/* pipe.c */
int pipe_create(struct file **rf, struct file **wf);
void pipe_wake_pollers(void);
extern int poll_chan;

/* cpio.c */
void initramfs_unpack(const uint8_t *data, uint32_t bytes);

#endif
