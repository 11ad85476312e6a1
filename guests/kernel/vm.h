/* vm.h - address spaces: page tables (through the paravirtualization
 * layer), the regions a process has mapped (struct vma), page faults, and
 * the mmap family.
 *
 * A process's address space (struct mm) is its page-table tree and a list
 * of regions sorted by address. A page is mapped only when first touched
 * (demand paging): the fault handler finds the region and fills the entry
 * with a zero page (anonymous memory), a page-cache page (files: shared
 * mappings map it writable; private ones map it read-only and copy it on
 * the first write) or a copy (copy-on-write after fork). A user page's
 * reference count counts the entries that map it.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include "kernel.h"
#include "pv.h"

struct inode;

#define VM_READ 0x1   /* = PROT_READ */
#define VM_WRITE 0x2  /* = PROT_WRITE */
#define VM_EXEC 0x4   /* = PROT_EXEC */
#define VM_SHARED 0x10 /* MAP_SHARED: writes reach the file / other processes */
#define VM_STACK 0x20  /* the user stack */
#define VM_HEAP 0x40   /* the brk heap */
#define VM_MAYWRITE 0x80 /* mprotect may add VM_WRITE (not for a shared map of a read-only open) */

struct vma {
  uint32_t start, end;  /* [start, end), page aligned */
  uint32_t flags;       /* VM_* */
  struct inode *ip;     /* mapped file (a reference), or NULL: anonymous */
  uint32_t pgoff;       /* file page at start */
  struct vma *next;     /* by address */
};

struct mm {
  pte_t *pdpt;          /* page-directory-pointer table (a page) */
  pte_t *pmd[PDPT_ENTRIES]; /* page directories; [3] this mm's kernel copy */
  struct vma *vmas;
  uint32_t brk_start, brk; /* program break: heap is [brk_start, page_up(brk)) */
  uint32_t rss;         /* user pages mapped */
  int pinned;           /* loaded at least once: pin_mm done */
};

/* Results of vm_fault. */
#define FAULT_OK 0
#define FAULT_MAPERR 1 /* no region: SIGSEGV, SEGV_MAPERR */
#define FAULT_ACCERR 2 /* region forbids it: SIGSEGV, SEGV_ACCERR */
#define FAULT_BUS 3    /* file page past the end: SIGBUS */
#define FAULT_OOM 4    /* out of memory */

/* Page-fault error code bits (the CPU's, and Xen's). */
#define PF_PRESENT 0x1
#define PF_WRITE 0x2
#define PF_USER 0x4

void vm_init(struct boot_info *bi);
struct mm *mm_create(void);
void mm_destroy(struct mm *mm);       /* not the active one */
struct mm *mm_fork(struct mm *parent);
void mm_activate(struct mm *mm);      /* load it, or the kernel-only space (NULL) */
/* An exiting process's address space stays loaded until the scheduler
 * has loaded the next one, then goes (Linux frees it after the switch
 * too): no extra CR3 load for the kernel-only space on every exit. */
void mm_release_after_switch(struct mm *mm);
void mm_reap(void);                   /* called by the scheduler after a switch */
extern struct mm *active_mm;

struct vma *vma_find(struct mm *mm, uint32_t addr); /* region holding addr */
/* Adds a region (no overlap allowed; takes a reference on ip). */
int vma_add(struct mm *mm, uint32_t start, uint32_t end, uint32_t flags, struct inode *ip, uint32_t pgoff);
int vm_unmap(struct mm *mm, uint32_t start, uint32_t end); /* regions and pages */
int vm_protect(struct mm *mm, uint32_t start, uint32_t end, uint32_t prot);
uint32_t vm_find_gap(struct mm *mm, uint32_t hint, uint32_t len);

int vm_fault(struct mm *mm, uint32_t va, uint32_t err);

/* system calls */
long sys_brk(uint32_t brk);
long sys_mmap2(uint32_t addr, uint32_t len, uint32_t prot, uint32_t flags, int fd, uint32_t pgoff);
long sys_old_mmap(uint32_t args);
long sys_munmap(uint32_t addr, uint32_t len);
long sys_mprotect(uint32_t addr, uint32_t len, uint32_t prot);

#endif
