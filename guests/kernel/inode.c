/* inode.c - inodes and the page cache.
 *
 * A regular file's data is an array of page frames indexed by page number
 * (0: no page, reads as zeros). The cache holds one reference on each of
 * its pages (flag PG_CACHE); a process that maps the file holds one more
 * per mapping entry, so a page outlives its file's truncation while it is
 * mapped (a process keeps seeing the old data there; Linux would unmap it:
 * see the README's gaps). read, write, exec and mmap all go through these
 * pages, so a write is seen at once by every mapping of the file.
 */
#include <asm-generic/errno.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"

static uint32_t next_ino = 1;

uint32_t fs_now(void) { return jiffies / HZ; }

struct inode *inode_new(uint32_t mode) {
  struct inode *ip = kzalloc(sizeof *ip);
  if (!ip)
    return NULL;
  ip->ino = next_ino++;
  ip->mode = mode;
  ip->refs = 1;
  ip->atime = ip->mtime = ip->ctime = fs_now();
  return ip;
}

void inode_get(struct inode *ip) { ip->refs++; }

static void inode_free(struct inode *ip) {
  pagecache_truncate(ip, 0);
  kfree(ip->pages);
  kfree(ip->link);
  while (ip->entries) { /* only if a directory is dropped with entries (boot failure paths) */
    struct dentry *d = ip->entries;
    ip->entries = d->next;
    kfree(d);
  }
  kfree(ip);
}

void inode_put(struct inode *ip) {
  KASSERT(ip->refs > 0);
  if (--ip->refs == 0 && ip->nlink == 0)
    inode_free(ip);
}

void inode_unlinked(struct inode *ip) {
  if (ip->refs == 0 && ip->nlink == 0)
    inode_free(ip);
}

/* ---- the page cache ---------------------------------------------------------------- */
uint32_t pagecache_page(struct inode *ip, uint32_t idx, int alloc) {
  if (idx < ip->pages_cap && ip->pages[idx])
    return ip->pages[idx];
  if (!alloc)
    return 0;
  if (idx >= ip->pages_cap) {
    uint32_t cap = ip->pages_cap ? ip->pages_cap : 4;
    while (cap <= idx)
      cap *= 2;
    uint32_t *n = kzalloc(cap * sizeof *n);
    if (!n)
      return 0;
    if (ip->pages)
      memcpy(n, ip->pages, ip->pages_cap * sizeof *n);
    kfree(ip->pages);
    ip->pages = n;
    ip->pages_cap = cap;
  }
  void *pg = page_alloc_user(1);
  if (!pg)
    return 0;
  uint32_t pfn = virt_to_pfn(pg);
  pfn_page(pfn)->flags |= PG_CACHE;
  ip->pages[idx] = pfn;
  return pfn;
}

void pagecache_truncate(struct inode *ip, uint64_t size) {
  uint32_t keep = (uint32_t)((size + PAGE_SIZE - 1) >> PAGE_SHIFT);
  for (uint32_t idx = keep; idx < ip->pages_cap; idx++) {
    uint32_t pfn = ip->pages[idx];
    if (pfn) {
      ip->pages[idx] = 0;
      pfn_page(pfn)->flags &= ~PG_CACHE;
      page_put(pfn);
    }
  }
  uint32_t tail = (uint32_t)(size & (PAGE_SIZE - 1));
  if (tail && keep > 0 && keep - 1 < ip->pages_cap && ip->pages[keep - 1]) /* zero past the end */
    memset((uint8_t *)pfn_to_virt(ip->pages[keep - 1]) + tail, 0, PAGE_SIZE - tail);
}

long inode_read(struct inode *ip, uint64_t off, void *kbuf, uint32_t n) {
  if (off >= ip->size)
    return 0;
  if (n > ip->size - off)
    n = (uint32_t)(ip->size - off);
  uint8_t *dst = kbuf;
  uint32_t done = 0;
  while (done < n) {
    uint32_t idx = (uint32_t)((off + done) >> PAGE_SHIFT);
    uint32_t in = (uint32_t)((off + done) & (PAGE_SIZE - 1));
    uint32_t chunk = MIN(PAGE_SIZE - in, n - done);
    uint32_t pfn = pagecache_page(ip, idx, 0);
    if (pfn)
      memcpy(dst + done, (uint8_t *)pfn_to_virt(pfn) + in, chunk);
    else
      memset(dst + done, 0, chunk);
    done += chunk;
  }
  return done;
}

long inode_write(struct inode *ip, uint64_t off, const void *kbuf, uint32_t n) {
  const uint8_t *src = kbuf;
  uint32_t done = 0;
  while (done < n) {
    uint32_t idx = (uint32_t)((off + done) >> PAGE_SHIFT);
    uint32_t in = (uint32_t)((off + done) & (PAGE_SIZE - 1));
    uint32_t chunk = MIN(PAGE_SIZE - in, n - done);
    uint32_t pfn = pagecache_page(ip, idx, 1);
    if (!pfn)
      break;
    memcpy((uint8_t *)pfn_to_virt(pfn) + in, src + done, chunk);
    done += chunk;
  }
  if (off + done > ip->size)
    ip->size = off + done;
  if (done == 0 && n)
    return -ENOSPC;
  return done;
}
