/* mem.h - physical memory: the page-frame allocator (a buddy allocator
 * with a reference count per frame) and the kernel heap on top of it.
 *
 * Every frame the allocator manages has a struct page. A frame's reference
 * count counts its users: each page-table entry that maps it, the page
 * cache when it holds file data, the kernel when it uses it directly. It is
 * freed when the count drops to zero. Blocks of 2^order frames (kernel
 * stacks, big heap objects) count on their first frame.
 *
 * Allocations hand out kernel virtual addresses in the direct map; the
 * frame number of p is virt_to_pfn(p).
 */
#ifndef KERNEL_MEM_H
#define KERNEL_MEM_H

#include "kernel.h"
#include "pv.h"

#define PG_RESERVED 0x01 /* not managed: kernel image, holes, boot data */
#define PG_FREE 0x02     /* on a free list (first frame of a free block) */
#define PG_SLAB 0x04     /* carved into heap objects of one size class */
#define PG_CACHE 0x08    /* holds a file's data in the page cache */
#define PG_PT 0x10       /* a page table (any level) */

struct page {
  int32_t ref;        /* users; 0 = free or reserved */
  uint8_t flags;      /* PG_* */
  uint8_t order;      /* block order, on the block's first frame */
  uint8_t slab_class; /* heap size class of a PG_SLAB frame */
  uint8_t pad;
  uint32_t next, prev; /* links (frame numbers): a buddy free list, or a
                          heap class's list of frames with free objects */
  uint16_t slab_inuse; /* PG_SLAB: objects handed out */
  uint16_t slab_free;  /* PG_SLAB: offset of the first free object, or SLAB_NONE */
};

#define SLAB_NONE 0xFFFFu

extern struct page *page_map;
extern uint32_t page_max_pfn;

void page_init(struct boot_info *bi);
/* Frees [first, end), e.g. the initramfs once unpacked. */
void page_free_range(uint32_t first_pfn, uint32_t end_pfn);
void *page_alloc(unsigned order);        /* count 1, contents undefined; NULL if none */
void *page_alloc_zero(unsigned order);
/* A page for user data (process memory, file data, pipe buffers): NULL
 * once the free count is down to the kernel's reserve, so that a process
 * or a file that takes all memory fails (SIGKILL, ENOSPC) while the kernel
 * can still allocate what it needs to clean up (page tables, paths,
 * stacks). */
void *page_alloc_user(int zero);
void page_get(uint32_t pfn);
void page_put(uint32_t pfn);             /* frees at zero */
static inline struct page *pfn_page(uint32_t pfn) { return &page_map[pfn]; }
static inline int32_t page_refs(uint32_t pfn) { return page_map[pfn].ref; }
uint32_t page_free_count(void);

void heap_init(void);
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void kfree(void *p);

#endif
