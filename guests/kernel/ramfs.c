/* ramfs.c - the RAM file system: directories are lists of entries in
 * memory, files are their page-cache pages (inode.c), nothing is ever
 * written anywhere else.
 *
 * Link counts as on Linux: a file's nlink counts its names; a directory's
 * is 2 plus its subdirectories (its own "." and its entry in the parent,
 * and each child's ".."). A directory's parent pointer gives ".."; a
 * removed directory has none, and ".." there stays put.
 */
#include <asm-generic/errno.h>

#include "fs.h"
#include "mem.h"
#include "uaccess.h"

void inode_unlinked(struct inode *ip);

static const struct inode_ops ramfs_dir_iops;
static struct inode *root;

static struct dentry *find_entry(struct inode *dir, const char *name, struct dentry ***link) {
  struct dentry **pp = &dir->entries;
  for (; *pp; pp = &(*pp)->next)
    if (strcmp((*pp)->name, name) == 0)
      break;
  if (link)
    *link = pp;
  return *pp;
}

static int ramfs_lookup(struct inode *dir, const char *name, struct inode **out) {
  struct dentry *d = find_entry(dir, name, NULL);
  if (!d)
    return -ENOENT;
  inode_get(d->ip);
  *out = d->ip;
  return 0;
}

static int add_entry(struct inode *dir, const char *name, struct inode *ip) {
  struct dentry **tail;
  if (find_entry(dir, name, &tail))
    return -EEXIST;
  size_t len = strlen(name);
  struct dentry *d = kmalloc(sizeof *d + len + 1);
  if (!d)
    return -ENOMEM;
  memcpy(d->name, name, len + 1);
  d->ip = ip;
  d->next = NULL;
  *tail = d; /* appended: readdir lists in creation order */
  dir->n_entries++;
  dir->mtime = dir->ctime = fs_now();
  return 0;
}

static void init_ops(struct inode *ip) {
  switch (ip->mode & S_IFMT) {
  case S_IFDIR:
    ip->iop = &ramfs_dir_iops;
    ip->fop = &ramfs_dir_ops;
    break;
  case S_IFREG:
    ip->fop = &ramfs_file_ops;
    break;
  case S_IFCHR:
    ip->fop = dev_file_ops(ip->rdev);
    break;
  default:
    ip->fop = NULL; /* symbolic links are not opened */
    break;
  }
}

static int ramfs_create(struct inode *dir, const char *name, uint32_t mode, uint32_t rdev, struct inode **out) {
  if (find_entry(dir, name, NULL))
    return -EEXIST;
  struct inode *ip = inode_new(mode);
  if (!ip)
    return -ENOMEM;
  ip->rdev = rdev;
  init_ops(ip);
  int r = add_entry(dir, name, ip);
  if (r < 0) {
    inode_put(ip);
    return r;
  }
  ip->nlink = 1;
  if (S_ISDIR(mode)) {
    ip->nlink = 2;
    ip->parent = dir;
    dir->nlink++;
  }
  *out = ip; /* with the reference inode_new gave */
  return 0;
}

static int ramfs_link(struct inode *dir, const char *name, struct inode *ip) {
  int r = add_entry(dir, name, ip);
  if (r == 0) {
    ip->nlink++;
    ip->ctime = fs_now();
  }
  return r;
}

static void drop_entry(struct inode *dir, struct dentry **link) {
  struct dentry *d = *link;
  struct inode *ip = d->ip;
  *link = d->next;
  kfree(d);
  dir->n_entries--;
  dir->mtime = dir->ctime = fs_now();
  if (S_ISDIR(ip->mode)) {
    ip->nlink = 0;
    ip->parent = NULL;
    dir->nlink--;
  } else {
    ip->nlink--;
  }
  ip->ctime = fs_now();
  inode_unlinked(ip);
}

static int ramfs_unlink(struct inode *dir, const char *name, int want_dir) {
  struct dentry **link;
  struct dentry *d = find_entry(dir, name, &link);
  if (!d)
    return -ENOENT;
  if (want_dir) {
    if (!S_ISDIR(d->ip->mode))
      return -ENOTDIR;
    if (d->ip->entries)
      return -ENOTEMPTY;
  } else if (S_ISDIR(d->ip->mode)) {
    return -EISDIR;
  }
  drop_entry(dir, link);
  return 0;
}

static int ramfs_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname) {
  struct dentry **olink, **nlink;
  struct dentry *od = find_entry(odir, oname, &olink);
  if (!od)
    return -ENOENT;
  struct inode *ip = od->ip;
  if (S_ISDIR(ip->mode)) /* not into itself or below it */
    for (struct inode *a = ndir; a; a = a->parent == a ? NULL : a->parent)
      if (a == ip)
        return -EINVAL;
  struct dentry *nd = find_entry(ndir, nname, &nlink);
  if (nd) {
    if (nd->ip == ip)
      return 0;
    if (S_ISDIR(ip->mode) && !S_ISDIR(nd->ip->mode))
      return -ENOTDIR;
    if (!S_ISDIR(ip->mode) && S_ISDIR(nd->ip->mode))
      return -EISDIR;
    if (S_ISDIR(nd->ip->mode) && nd->ip->entries)
      return -ENOTEMPTY;
  }
  inode_get(ip); /* keep it while its entry moves */
  uint32_t keep_nlink = ip->nlink;
  struct inode *keep_parent = ip->parent;
  *olink = od->next; /* unhook the old entry without touching counts */
  kfree(od);
  odir->n_entries--;
  if (nd) {
    find_entry(ndir, nname, &nlink); /* the list may have changed above */
    drop_entry(ndir, nlink);
  }
  int r = add_entry(ndir, nname, ip);
  if (r < 0) /* no memory: put it back under its old name */
    add_entry(odir, oname, ip);
  ip->nlink = keep_nlink;
  ip->parent = keep_parent;
  if (r == 0 && S_ISDIR(ip->mode) && odir != ndir) {
    odir->nlink--;
    ndir->nlink++;
    ip->parent = ndir;
  }
  ip->ctime = fs_now();
  inode_put(ip);
  return r;
}

static int ramfs_readdir(struct inode *dir, uint32_t *pos, char *name, uint32_t *ino, uint32_t *type) {
  uint32_t k = *pos;
  if (k == 0 || k == 1) {
    strcpy(name, k == 0 ? "." : "..");
    struct inode *ip = k == 0 || !dir->parent ? dir : dir->parent;
    *ino = ip->ino;
    *type = S_IFDIR;
    *pos = k + 1;
    return 0;
  }
  struct dentry *d = dir->entries;
  for (uint32_t n = 2; d && n < k; n++)
    d = d->next;
  if (!d)
    return 1;
  strcpy(name, d->name);
  *ino = d->ip->ino;
  *type = d->ip->mode & S_IFMT;
  *pos = k + 1;
  return 0;
}

static int ramfs_truncate(struct inode *ip, uint64_t size) {
  if (size < ip->size)
    pagecache_truncate(ip, size);
  ip->size = size;
  ip->mtime = ip->ctime = fs_now();
  return 0;
}

static const struct inode_ops ramfs_dir_iops = {
    .lookup = ramfs_lookup,
    .create = ramfs_create,
    .link = ramfs_link,
    .unlink = ramfs_unlink,
    .rename = ramfs_rename,
    .readdir = ramfs_readdir,
    .truncate = ramfs_truncate,
};

/* ---- open regular files ------------------------------------------------------------ */
static long file_read(struct file *f, char *ubuf, uint32_t n) {
  struct inode *ip = f->ip;
  if (f->pos >= ip->size)
    return 0;
  if (n > ip->size - f->pos)
    n = (uint32_t)(ip->size - f->pos);
  uint32_t done = 0;
  while (done < n) {
    uint64_t off = f->pos + done;
    uint32_t in = (uint32_t)(off & (PAGE_SIZE - 1));
    uint32_t chunk = MIN(PAGE_SIZE - in, n - done);
    uint32_t pfn = pagecache_page(ip, (uint32_t)(off >> PAGE_SHIFT), 0);
    int r = pfn ? copy_to_user(ubuf + done, (uint8_t *)pfn_to_virt(pfn) + in, chunk)
                : clear_user(ubuf + done, chunk);
    if (r < 0) {
      if (!done)
        return -EFAULT;
      break;
    }
    done += chunk;
  }
  f->pos += done;
  return done;
}

static long file_write(struct file *f, const char *ubuf, uint32_t n) {
  struct inode *ip = f->ip;
  if (f->flags & O_APPEND)
    f->pos = ip->size;
  uint32_t done = 0;
  while (done < n) {
    uint64_t off = f->pos + done;
    uint32_t in = (uint32_t)(off & (PAGE_SIZE - 1));
    uint32_t chunk = MIN(PAGE_SIZE - in, n - done);
    uint32_t pfn = pagecache_page(ip, (uint32_t)(off >> PAGE_SHIFT), 1);
    if (!pfn) {
      if (!done)
        return -ENOSPC;
      break;
    }
    size_t got = copy_from_user_partial((uint8_t *)pfn_to_virt(pfn) + in, ubuf + done, chunk);
    done += (uint32_t)got;
    if (got < chunk) {
      if (!done)
        return -EFAULT;
      break;
    }
  }
  f->pos += done;
  if (f->pos > ip->size)
    ip->size = f->pos;
  if (done)
    ip->mtime = ip->ctime = fs_now();
  return done;
}

const struct file_ops ramfs_file_ops = {.read = file_read, .write = file_write};
const struct file_ops ramfs_dir_ops = {0}; /* read and write: EISDIR (vfs.c) */

struct inode *ramfs_root(void) {
  if (!root) {
    root = inode_new(S_IFDIR | 0755);
    if (!root)
      panic("ramfs: no memory for the root");
    root->nlink = 2;
    init_ops(root);
  }
  return root;
}
