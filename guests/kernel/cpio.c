/* cpio.c - unpacks the initramfs, a cpio archive in the "newc" format
 * (what `cpio -o -H newc` writes; Linux's initramfs format), into the RAM
 * file system at boot.
 *
 * Each entry: a 110-byte ASCII header ("070701", then 13 eight-digit hex
 * fields: ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize, check), the name (namesize bytes with
 * its NUL), padding to 4 bytes, the data, padding to 4 bytes. The entry
 * named TRAILER!!! ends the archive. Directories, regular files, symbolic
 * links and character devices are created (parents first if the archive
 * lacks them); an existing file is replaced.
 */
#include <asm-generic/errno.h>

#include "fs.h"
#include "mem.h"

#define HDR 110

static uint32_t hex8(const uint8_t *p, int *bad) {
  uint32_t v = 0;
  for (int k = 0; k < 8; k++) {
    uint8_t c = p[k];
    uint32_t d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      d = (c | 0x20) - 'a' + 10;
    else {
      *bad = 1;
      return 0;
    }
    v = v << 4 | d;
  }
  return v;
}

/* Creates the directories above path (a kernel path like "/a/b/c"). */
static void make_parents(char *path) {
  for (char *s = path + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = 0;
    vfs_mknod(path, S_IFDIR | 0755, 0);
    *s = '/';
  }
}

static int unpack_one(const char *name, uint32_t mode, uint32_t rdev, const uint8_t *data, uint32_t size) {
  char *path = kmalloc(PATH_MAX);
  if (!path)
    return -ENOMEM;
  while (name[0] == '.' && name[1] == '/')
    name += 2;
  while (name[0] == '/')
    name++;
  int r = 0;
  if (!name[0] || strcmp(name, ".") == 0)
    goto out;
  snprintf(path, PATH_MAX, "/%s", name);
  make_parents(path);
  uint32_t type = mode & S_IFMT;
  if (type == S_IFDIR) {
    r = vfs_mknod(path, mode, 0);
    if (r == -EEXIST) {
      struct inode *ip;
      if (vfs_lookup(path, 0, &ip) == 0) { /* keep it, take the archive's mode */
        if (S_ISDIR(ip->mode))
          ip->mode = mode;
        inode_put(ip);
      }
      r = 0;
    }
  } else if (type == S_IFREG) {
    struct file *f;
    r = vfs_open(path, O_CREAT | O_WRONLY | O_TRUNC, mode & 07777, &f);
    if (r == 0) {
      f->ip->mode = mode;
      long w = inode_write(f->ip, 0, data, size);
      if (w != (long)size)
        r = -ENOSPC;
      file_put(f);
    }
  } else if (type == S_IFLNK) {
    struct inode *dir, *ip;
    char last[NAME_MAX + 1];
    r = vfs_parent(path, &dir, last);
    if (r == 0) {
      r = dir->iop->create(dir, last, mode, 0, &ip);
      if (r == 0) {
        ip->link = kmalloc(size + 1);
        if (ip->link) {
          memcpy(ip->link, data, size);
          ip->link[size] = 0;
          ip->size = size;
        }
        inode_put(ip);
      }
      inode_put(dir);
    }
  } else if (type == S_IFCHR) {
    r = vfs_mknod(path, mode, rdev);
    if (r == -EEXIST)
      r = 0;
  } /* other types (FIFOs, sockets, block devices) are skipped */
out:
  kfree(path);
  return r;
}

void initramfs_unpack(const uint8_t *data, uint32_t bytes) {
  uint32_t off = 0, files = 0;
  for (;;) {
    if (off + HDR > bytes)
      panic("initramfs: truncated at byte %u", off);
    const uint8_t *h = data + off;
    if (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0)
      panic("initramfs: not a newc cpio archive (byte %u)", off);
    int bad = 0;
    uint32_t mode = hex8(h + 14, &bad);
    uint32_t size = hex8(h + 54, &bad);
    uint32_t rmaj = hex8(h + 78, &bad), rmin = hex8(h + 86, &bad);
    uint32_t namesize = hex8(h + 94, &bad);
    if (bad || namesize == 0 || namesize > PATH_MAX)
      panic("initramfs: bad header at byte %u", off);
    uint32_t name_at = off + HDR;
    uint32_t data_at = ALIGN_UP(name_at + namesize, 4);
    if (data_at > bytes || size > bytes - data_at)
      panic("initramfs: entry at byte %u runs past the end", off);
    const char *name = (const char *)data + name_at;
    if (name[namesize - 1] != 0)
      panic("initramfs: unterminated name at byte %u", off);
    if (strcmp(name, "TRAILER!!!") == 0)
      break;
    int r = unpack_one(name, mode, (rmaj << 8) | rmin, data + data_at, size);
    if (r < 0)
      kprintf("initramfs: %s: error %d\n", name, r);
    files++;
    off = ALIGN_UP(data_at + size, 4);
  }
  kprintf("initramfs: %u entries unpacked\n", files);
}
