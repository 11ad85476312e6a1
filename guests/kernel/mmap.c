/* mmap.c - the system calls of the mmap family and brk, on top of vm.c.
 *
 *   mmap2(addr, len, prot, flags, fd, pgoff)   anonymous or file-backed,
 *        MAP_PRIVATE or MAP_SHARED, MAP_FIXED; nothing is mapped until a
 *        page is touched. Shared anonymous memory is an unnamed RAM file,
 *        so fork's children share its pages; /dev/zero maps as anonymous.
 *   mmap (old, 90): the same, arguments in a user array, offset in bytes.
 *   munmap, mprotect, brk.
 */
#include <asm-generic/errno.h>
#include <asm-generic/fcntl.h>
#include <linux/mman.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "uaccess.h"
#include "vm.h"

#define DEV_ZERO ((1u << 8) | 5)

long sys_brk(uint32_t brk) {
  struct mm *mm = current->mm;
  if (brk < mm->brk_start)
    return mm->brk;
  uint32_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE);
  uint32_t new_end = ALIGN_UP(brk, PAGE_SIZE);
  if (brk > USER_STACK_BOTTOM)
    return mm->brk;
  if (new_end > old_end) {
    struct vma *heap = old_end > mm->brk_start ? vma_find(mm, old_end - 1) : NULL;
    if (heap && !(heap->flags & VM_HEAP))
      heap = NULL;
    if (heap) {
      if (heap->next && heap->next->start < new_end)
        return mm->brk;
      heap->end = new_end;
    } else if (vma_add(mm, old_end, new_end, VM_READ | VM_WRITE | VM_MAYWRITE | VM_HEAP, NULL, 0) < 0) {
      return mm->brk;
    }
  } else if (new_end < old_end) {
    if (vm_unmap(mm, new_end, old_end) < 0)
      return mm->brk;
  }
  mm->brk = brk;
  return brk;
}

long sys_mmap2(uint32_t addr, uint32_t len, uint32_t prot, uint32_t flags, int fd, uint32_t pgoff) {
  struct mm *mm = current->mm;
  if (len == 0 || (prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC)))
    return -EINVAL;
  if (len > USER_END)
    return -ENOMEM;
  len = ALIGN_UP(len, PAGE_SIZE);
  uint32_t type = flags & MAP_TYPE;
  if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
    return -EINVAL;
  int shared = type != MAP_PRIVATE;

  struct inode *ip = NULL;
  uint32_t maywrite = VM_MAYWRITE;
  if (!(flags & MAP_ANONYMOUS)) {
    struct file *f = fd_file(fd);
    if (!f)
      return -EBADF;
    if (S_ISCHR(f->ip->mode) && f->ip->rdev == DEV_ZERO) {
      flags |= MAP_ANONYMOUS; /* /dev/zero: anonymous memory */
    } else {
      if (!S_ISREG(f->ip->mode))
        return -ENODEV;
      if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EACCES;
      if (shared && (f->flags & O_ACCMODE) != O_RDWR) {
        if (prot & PROT_WRITE)
          return -EACCES;
        maywrite = 0; /* nor later, through mprotect */
      }
      if (pgoff > (0xFFFFFFFFu >> PAGE_SHIFT) - (len >> PAGE_SHIFT))
        return -EOVERFLOW;
      ip = f->ip;
      inode_get(ip);
    }
  }
  if ((flags & MAP_ANONYMOUS) && shared) { /* an unnamed file holds the pages */
    ip = inode_new(S_IFREG | 0600);
    if (!ip)
      return -ENOMEM;
    ip->size = len;
    pgoff = 0;
  } else if (flags & MAP_ANONYMOUS) {
    pgoff = 0;
  }

  long ret;
  if (flags & MAP_FIXED) {
    if ((addr & (PAGE_SIZE - 1)) || addr < USER_LOW || !access_ok(addr, len)) {
      ret = -EINVAL;
      goto out;
    }
    if (vm_unmap(mm, addr, addr + len) < 0) {
      ret = -ENOMEM;
      goto out;
    }
  } else {
    addr = vm_find_gap(mm, addr, len);
    if (!addr) {
      ret = -ENOMEM;
      goto out;
    }
  }
  uint32_t vflags = prot | maywrite | (shared ? VM_SHARED : 0);
  ret = vma_add(mm, addr, addr + len, vflags, ip, pgoff);
  if (ret == 0)
    ret = (long)addr;
out:
  if (ip)
    inode_put(ip); /* the region holds its own reference */
  return ret;
}

long sys_old_mmap(uint32_t uargs) {
  uint32_t a[6];
  if (copy_from_user(a, (const void *)uargs, sizeof a) < 0)
    return -EFAULT;
  if (a[5] & (PAGE_SIZE - 1))
    return -EINVAL;
  return sys_mmap2(a[0], a[1], a[2], a[3], (int)a[4], a[5] >> PAGE_SHIFT);
}

long sys_munmap(uint32_t addr, uint32_t len) {
  if ((addr & (PAGE_SIZE - 1)) || len == 0 || !access_ok(addr, len))
    return -EINVAL;
  return vm_unmap(current->mm, addr, addr + ALIGN_UP(len, PAGE_SIZE));
}

long sys_mprotect(uint32_t addr, uint32_t len, uint32_t prot) {
  if ((addr & (PAGE_SIZE - 1)) || (prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC)))
    return -EINVAL;
  if (len == 0)
    return 0;
  len = ALIGN_UP(len, PAGE_SIZE);
  if (!access_ok(addr, len))
    return -ENOMEM;
  return vm_protect(current->mm, addr, addr + len, prot);
}
