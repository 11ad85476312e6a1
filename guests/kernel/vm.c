/* vm.c - address spaces: page-table trees and their regions.
 *
 * Every page-table write goes through the layer (pv.set_pte, pv.set_pmd,
 * pv.update_va); a new table is filled while it is still a plain page and
 * announced with pv.alloc_pt before it is linked, and announced with
 * pv.release_pt before it is freed; an address space is pinned when first
 * loaded (so fork's child is built unpinned) and unpinned before teardown
 * (pv.h says why: Xen). Bulk work (fork's
 * copy, teardown, munmap, mprotect) runs inside lazy-MMU brackets, and
 * frames unmapped there are freed only after the TLB flush that follows.
 */
#include "vm.h"

#include <asm-generic/errno.h>
#include <linux/mman.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"

#define KERNEL_PMD_ENTRIES ((HV_VIRT_START - PAGE_OFFSET) >> 21) /* 428 */
#define PMD_USER_FLAGS (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D)   /* Linux's _PAGE_TABLE */

static pte_t *kernel_pmd;
static uint32_t kernel_pdpt_pfn;
struct mm *active_mm;

void vm_init(struct boot_info *bi) {
  kernel_pmd = bi->kernel_pmd;
  kernel_pdpt_pfn = bi->kernel_pdpt_pfn;
}

static inline int pte_has_page(pte_t e) { return (e & (PTE_P | PTE_PROTNONE)) != 0; }
static inline pte_t *table_of(pte_t e) { return pfn_to_virt(pv.pte_pfn(e)); }

static inline uint32_t mm_as(const struct mm *mm) { return virt_to_pfn(mm->pdpt); }

/* A fresh page for a page table, zeroed (announced by the caller once
 * filled, before it is linked in). */
static pte_t *pt_alloc(void) {
  pte_t *t = page_alloc_zero(0);
  if (!t)
    return NULL;
  pfn_page(virt_to_pfn(t))->flags |= PG_PT;
  return t;
}

static void pt_free(struct mm *mm, pte_t *t, int level) {
  uint32_t pfn = virt_to_pfn(t);
  pv.release_pt(mm_as(mm), pfn, level);
  pfn_page(pfn)->flags &= ~PG_PT;
  page_put(pfn);
}

/* ---- page-table walks ---------------------------------------------------------- */
static pte_t *pte_lookup(struct mm *mm, uint32_t va) {
  pte_t e = mm->pmd[pdpt_index(va)][pmd_index(va)];
  if (!(e & PTE_P))
    return NULL;
  return table_of(e) + pte_index(va);
}

static pte_t *pte_alloc(struct mm *mm, uint32_t va) {
  pte_t *pmdp = &mm->pmd[pdpt_index(va)][pmd_index(va)];
  if (!(*pmdp & PTE_P)) {
    pte_t *t = pt_alloc();
    if (!t)
      return NULL;
    uint32_t pfn = virt_to_pfn(t);
    pv.alloc_pt(mm_as(mm), pfn, 1);
    pv.set_pmd(pmdp, pv.make_pte(pfn, PMD_USER_FLAGS));
    return t + pte_index(va);
  }
  return table_of(*pmdp) + pte_index(va);
}

/* ---- address spaces ------------------------------------------------------------ */
struct mm *mm_create(void) {
  struct mm *mm = kzalloc(sizeof *mm);
  if (!mm)
    return NULL;
  mm->pdpt = pt_alloc();
  for (unsigned k = 0; k < PDPT_ENTRIES; k++)
    mm->pmd[k] = pt_alloc();
  if (!mm->pdpt || !mm->pmd[0] || !mm->pmd[1] || !mm->pmd[2] || !mm->pmd[3]) {
    for (unsigned k = 0; k < PDPT_ENTRIES; k++)
      if (mm->pmd[k])
        page_put(virt_to_pfn(mm->pmd[k]));
    if (mm->pdpt)
      page_put(virt_to_pfn(mm->pdpt));
    kfree(mm);
    return NULL;
  }
  /* plain pages still: fill them directly, then announce them */
  memcpy(mm->pmd[3], kernel_pmd, KERNEL_PMD_ENTRIES * sizeof(pte_t));
  uint32_t as = mm_as(mm);
  for (unsigned k = 0; k < PDPT_ENTRIES; k++) {
    uint32_t pfn = virt_to_pfn(mm->pmd[k]);
    pv.alloc_pt(as, pfn, 2);
    mm->pdpt[k] = pv.make_pte(pfn, PTE_P);
  }
  pv.alloc_pt(as, as, 3);
  return mm; /* pinned when first loaded (mm_activate) */
}

static void vma_free(struct vma *v) {
  if (v->ip)
    inode_put(v->ip);
  kfree(v);
}

void mm_destroy(struct mm *mm) {
  KASSERT(mm != active_mm);
  if (mm->pinned)
    pv.unpin_mm(mm_as(mm));
  pv.lazy_mmu_begin();
  for (unsigned slot = 0; slot < 3; slot++) {
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
      pte_t e = mm->pmd[slot][i];
      if (!(e & PTE_P))
        continue;
      pte_t *t = table_of(e);
      for (unsigned j = 0; j < PT_ENTRIES; j++)
        if (pte_has_page(t[j]))
          page_put(pv.pte_pfn(t[j]));
      pt_free(mm, t, 1);
    }
  }
  for (unsigned k = 0; k < PDPT_ENTRIES; k++)
    pt_free(mm, mm->pmd[k], 2);
  pt_free(mm, mm->pdpt, 3);
  pv.lazy_mmu_end();
  while (mm->vmas) {
    struct vma *v = mm->vmas;
    mm->vmas = v->next;
    vma_free(v);
  }
  kfree(mm);
}

static struct mm *dying_mm;

void mm_release_after_switch(struct mm *mm) {
  KASSERT(!dying_mm);
  dying_mm = mm;
}

void mm_reap(void) {
  struct mm *mm = dying_mm;
  if (!mm)
    return;
  dying_mm = NULL;
  if (mm == active_mm) /* the next process has none of its own (idle) */
    mm_activate(NULL);
  mm_destroy(mm);
}

void mm_activate(struct mm *mm) {
  if (mm == active_mm)
    return;
  if (mm && !mm->pinned) { /* first load: its tree goes into use */
    pv.pin_mm(mm_as(mm));
    mm->pinned = 1;
  }
  pv.switch_mm(mm ? mm_as(mm) : kernel_pdpt_pfn);
  active_mm = mm;
}

/* ---- regions --------------------------------------------------------------------- */
struct vma *vma_find(struct mm *mm, uint32_t addr) {
  for (struct vma *v = mm->vmas; v && v->start <= addr; v = v->next)
    if (addr < v->end)
      return v;
  return NULL;
}

static int range_free(struct mm *mm, uint32_t start, uint32_t end) {
  for (struct vma *v = mm->vmas; v && v->start < end; v = v->next)
    if (v->end > start)
      return 0;
  return 1;
}

int vma_add(struct mm *mm, uint32_t start, uint32_t end, uint32_t flags, struct inode *ip, uint32_t pgoff) {
  if (start >= end || !range_free(mm, start, end))
    return -EINVAL;
  struct vma *n = kzalloc(sizeof *n);
  if (!n)
    return -ENOMEM;
  n->start = start;
  n->end = end;
  n->flags = flags;
  n->ip = ip;
  n->pgoff = pgoff;
  if (ip)
    inode_get(ip);
  struct vma **pp = &mm->vmas;
  while (*pp && (*pp)->start < start)
    pp = &(*pp)->next;
  n->next = *pp;
  *pp = n;
  return 0;
}

/* Splits v at addr (inside it): v keeps [start, addr), a new region
 * [addr, end) follows it. */
static int vma_split(struct vma *v, uint32_t addr) {
  struct vma *n = kmalloc(sizeof *n);
  if (!n)
    return -ENOMEM;
  *n = *v;
  n->start = addr;
  if (n->ip) {
    n->pgoff += (addr - v->start) >> PAGE_SHIFT;
    inode_get(n->ip);
  }
  v->end = addr;
  v->next = n;
  return 0;
}

uint32_t vm_find_gap(struct mm *mm, uint32_t hint, uint32_t len) {
  if (hint && !(hint & (PAGE_SIZE - 1)) && hint >= USER_LOW && hint <= USER_STACK_BOTTOM - len &&
      range_free(mm, hint, hint + len))
    return hint;
  uint32_t a = MMAP_BASE;
  for (struct vma *v = mm->vmas; v; v = v->next) {
    if (v->end <= a)
      continue;
    if (v->start >= a + len)
      break;
    a = v->end;
  }
  if (a > USER_STACK_BOTTOM || USER_STACK_BOTTOM - a < len)
    return 0;
  return a;
}

/* ---- unmapping and protection -------------------------------------------------- */
#define GATHER_MAX 64

struct gather {
  uint32_t pfn[GATHER_MAX];
  unsigned n;
};

static void gather_flush(struct gather *g) {
  pv.lazy_mmu_end();
  pv.flush_tlb_user();
  for (unsigned k = 0; k < g->n; k++)
    page_put(g->pfn[k]);
  g->n = 0;
  pv.lazy_mmu_begin();
}

/* Clears the entries of [start, end) and drops the pages they mapped. */
static void zap_range(struct mm *mm, uint32_t start, uint32_t end) {
  struct gather g;
  g.n = 0;
  int any = 0;
  pv.lazy_mmu_begin();
  for (uint32_t va = start; va < end;) {
    pte_t *ptep = pte_lookup(mm, va);
    if (!ptep) {
      uint32_t next = ALIGN_DOWN(va, 0x200000u) + 0x200000u;
      if (next == 0 || next > end)
        break;
      va = next;
      continue;
    }
    pte_t e = *ptep;
    if (pte_has_page(e)) {
      pv.set_pte(ptep, 0);
      mm->rss--;
      any = 1;
      g.pfn[g.n++] = pv.pte_pfn(e);
      if (g.n == GATHER_MAX)
        gather_flush(&g);
    }
    va += PAGE_SIZE;
  }
  pv.lazy_mmu_end();
  if (any && mm == active_mm)
    pv.flush_tlb_user();
  for (unsigned k = 0; k < g.n; k++)
    page_put(g.pfn[k]);
}

int vm_unmap(struct mm *mm, uint32_t start, uint32_t end) {
  struct vma **pp = &mm->vmas;
  while (*pp) {
    struct vma *v = *pp;
    if (v->end <= start) {
      pp = &v->next;
      continue;
    }
    if (v->start >= end)
      break;
    if (v->start < start) { /* keep the part below */
      if (vma_split(v, start) < 0)
        return -ENOMEM;
      pp = &v->next;
      continue;
    }
    if (v->end > end && vma_split(v, end) < 0) /* keep the part above */
      return -ENOMEM;
    *pp = v->next;
    zap_range(mm, v->start, v->end);
    vma_free(v);
  }
  return 0;
}

static pte_t protect_entry(pte_t e, uint32_t prot) {
  if (!(prot & (VM_READ | VM_WRITE | VM_EXEC)))
    return (e & ~(pte_t)PTE_P) | PTE_PROTNONE;
  if (e & PTE_PROTNONE)
    e = ((e & ~(pte_t)PTE_PROTNONE) | PTE_P) & ~(pte_t)PTE_W; /* write enabled by a fault */
  if (!(prot & VM_WRITE))
    e &= ~(pte_t)PTE_W;
  return e;
}

int vm_protect(struct mm *mm, uint32_t start, uint32_t end, uint32_t prot) {
  /* the whole range must be mapped */
  uint32_t a = start;
  for (struct vma *v = mm->vmas; v && a < end; v = v->next) {
    if (v->end <= a)
      continue;
    if (v->start > a)
      return -ENOMEM;
    a = v->end;
  }
  if (a < end)
    return -ENOMEM;
  if (prot & VM_WRITE)
    for (struct vma *v = mm->vmas; v && v->start < end; v = v->next)
      if (v->end > start && !(v->flags & VM_MAYWRITE))
        return -EACCES;
  for (struct vma *v = mm->vmas; v && v->start < end; v = v->next) {
    if (v->end <= start)
      continue;
    if (v->start < start) {
      if (vma_split(v, start) < 0)
        return -ENOMEM;
      continue; /* the next one starts at start */
    }
    if (v->end > end && vma_split(v, end) < 0)
      return -ENOMEM;
    v->flags = (v->flags & ~(uint32_t)(VM_READ | VM_WRITE | VM_EXEC)) | prot;
  }
  int any = 0;
  pv.lazy_mmu_begin();
  for (uint32_t va = start; va < end; va += PAGE_SIZE) {
    pte_t *ptep = pte_lookup(mm, va);
    if (!ptep) {
      va = ALIGN_DOWN(va, 0x200000u) + 0x200000u - PAGE_SIZE;
      continue;
    }
    pte_t e = *ptep;
    if (!pte_has_page(e))
      continue;
    pte_t n = protect_entry(e, prot);
    if (n != e) {
      pv.set_pte(ptep, n);
      any = 1;
    }
  }
  pv.lazy_mmu_end();
  if (any && mm == active_mm)
    pv.flush_tlb_user();
  return 0;
}

/* ---- fork -------------------------------------------------------------------------- */
/* The child's table for va, allocated at the first entry of its 2 MiB
 * (inside the lazy bracket the child's page directory may not be read
 * back: its new entries may still be queued, so the table of the region
 * in progress is remembered here; regions come in increasing order). */
struct fork_cursor {
  uint32_t region; /* va >> 21, or ~0 */
  pte_t *table;
};

static pte_t *fork_table(struct mm *child, struct fork_cursor *c, uint32_t va) {
  if (c->region != va >> 21) {
    pte_t *t = pt_alloc();
    if (!t)
      return NULL;
    uint32_t pfn = virt_to_pfn(t);
    pv.alloc_pt(mm_as(child), pfn, 1);
    pv.set_pmd(&child->pmd[pdpt_index(va)][pmd_index(va)], pv.make_pte(pfn, PMD_USER_FLAGS));
    c->region = va >> 21;
    c->table = t;
  }
  return c->table + pte_index(va);
}

struct mm *mm_fork(struct mm *parent) {
  struct mm *mm = mm_create();
  if (!mm)
    return NULL;
  mm->brk_start = parent->brk_start;
  mm->brk = parent->brk;
  int wp = 0, err = 0;
  struct fork_cursor cur = {~0u, NULL};
  pv.lazy_mmu_begin();
  for (struct vma *v = parent->vmas; v && !err; v = v->next) {
    if (vma_add(mm, v->start, v->end, v->flags, v->ip, v->pgoff) < 0) {
      err = 1;
      break;
    }
    for (uint32_t va = v->start; va < v->end; va += PAGE_SIZE) {
      pte_t *ptep = pte_lookup(parent, va);
      if (!ptep) { /* no table: skip to the next 2 MiB */
        va = ALIGN_DOWN(va, 0x200000u) + 0x200000u - PAGE_SIZE;
        continue;
      }
      pte_t e = *ptep;
      if (!pte_has_page(e))
        continue;
      pte_t *cptep = fork_table(mm, &cur, va);
      if (!cptep) {
        err = 1;
        break;
      }
      if (!(v->flags & VM_SHARED) && (e & PTE_W)) { /* copy-on-write in both */
        e &= ~(pte_t)PTE_W;
        pv.set_pte(ptep, e);
        wp = 1;
      }
      page_get(pv.pte_pfn(e));
      pv.set_pte(cptep, e);
      mm->rss++;
    }
  }
  pv.lazy_mmu_end();
  if (wp && parent == active_mm)
    pv.flush_tlb_user();
  if (err) {
    mm_destroy(mm);
    return NULL;
  }
  return mm;
}

/* ---- page faults ------------------------------------------------------------------- */
static pte_t user_pte(uint32_t pfn, int writable, int dirty) {
  return pv.make_pte(pfn, PTE_P | PTE_U | PTE_A | (writable ? PTE_W : 0) | (dirty ? PTE_D : 0));
}

static void set_user_pte(struct mm *mm, pte_t *ptep, uint32_t va, pte_t e, int flush) {
  if (mm == active_mm)
    pv.update_va(ptep, va, e, flush);
  else
    pv.set_pte(ptep, e);
}

int vm_fault(struct mm *mm, uint32_t va, uint32_t err) {
  int write = (err & PF_WRITE) != 0;
  struct vma *v = vma_find(mm, va);
  if (!v)
    return FAULT_MAPERR;
  if (write ? !(v->flags & VM_WRITE) : !(v->flags & (VM_READ | VM_WRITE | VM_EXEC)))
    return FAULT_ACCERR;
  va &= PAGE_MASK;
  pte_t *ptep = pte_alloc(mm, va);
  if (!ptep)
    return FAULT_OOM;
  pte_t e = *ptep;

  if (e & PTE_P) {
    if (!write || (e & PTE_W)) { /* already fine: a stale translation */
      pv.flush_tlb_page(va);
      return FAULT_OK;
    }
    uint32_t pfn = pv.pte_pfn(e);
    struct page *pg = pfn_page(pfn);
    if ((v->flags & VM_SHARED) || (!(pg->flags & PG_CACHE) && pg->ref == 1)) {
      set_user_pte(mm, ptep, va, e | PTE_W | PTE_D, 1); /* sole user: just write */
      return FAULT_OK;
    }
    void *copy = page_alloc_user(0); /* copy on write */
    if (!copy)
      return FAULT_OOM;
    memcpy(copy, pfn_to_virt(pfn), PAGE_SIZE);
    set_user_pte(mm, ptep, va, user_pte(virt_to_pfn(copy), 1, 1), 1);
    page_put(pfn);
    return FAULT_OK;
  }
  if (e & PTE_PROTNONE) /* its region forbids access; checked above */
    return FAULT_ACCERR;

  int writable = (v->flags & VM_WRITE) != 0;
  uint32_t pfn;
  if (v->ip) {
    uint32_t idx = v->pgoff + ((va - v->start) >> PAGE_SHIFT);
    if ((uint64_t)idx << PAGE_SHIFT >= v->ip->size)
      return FAULT_BUS;
    uint32_t cpfn = pagecache_page(v->ip, idx, 1);
    if (!cpfn)
      return FAULT_OOM;
    if (v->flags & VM_SHARED) {
      page_get(cpfn);
      pfn = cpfn;
    } else if (write) { /* private and written: a copy at once */
      void *copy = page_alloc_user(0);
      if (!copy)
        return FAULT_OOM;
      memcpy(copy, pfn_to_virt(cpfn), PAGE_SIZE);
      pfn = virt_to_pfn(copy);
    } else { /* private, read: the cache page, read-only until written */
      page_get(cpfn);
      pfn = cpfn;
      writable = 0;
    }
  } else {
    void *z = page_alloc_user(1);
    if (!z)
      return FAULT_OOM;
    pfn = virt_to_pfn(z);
  }
  set_user_pte(mm, ptep, va, user_pte(pfn, writable, write), 0);
  mm->rss++;
  return FAULT_OK;
}
