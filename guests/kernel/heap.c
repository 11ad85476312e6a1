/* heap.c - the kernel heap: kmalloc and kfree over the frame allocator.
 *
 * Objects up to 2 KiB come from size classes of powers of two (16 to
 * 2048 bytes), each served from whole frames carved into equal objects
 * (the frame's struct page says PG_SLAB and the class); a free object
 * holds the link of its class's free list. Larger objects are blocks of
 * 2^k frames from the buddy allocator. Everything is in the direct map,
 * so the kernel's mappings never change.
 */
#include "mem.h"

#define MIN_SHIFT 4   /* 16 bytes */
#define MAX_SHIFT 11  /* 2048 bytes */
#define N_CLASSES (MAX_SHIFT - MIN_SHIFT + 1)

struct free_obj {
  struct free_obj *next;
};

static struct free_obj *class_free[N_CLASSES];

void heap_init(void) {
  for (unsigned k = 0; k < N_CLASSES; k++)
    class_free[k] = NULL;
}

static unsigned size_class(size_t n) {
  unsigned c = 0;
  while (((size_t)1 << (c + MIN_SHIFT)) < n)
    c++;
  return c;
}

static unsigned block_order(size_t n) {
  unsigned o = 0;
  while (((size_t)PAGE_SIZE << o) < n)
    o++;
  return o;
}

void *kmalloc(size_t n) {
  if (n == 0)
    n = 1;
  if (n > (1u << MAX_SHIFT))
    return page_alloc(block_order(n));
  unsigned c = size_class(n);
  if (!class_free[c]) {
    uint8_t *frame = page_alloc(0);
    if (!frame)
      return NULL;
    struct page *pg = pfn_page(virt_to_pfn(frame));
    pg->flags = PG_SLAB;
    pg->slab_class = (uint8_t)c;
    size_t size = (size_t)1 << (c + MIN_SHIFT);
    for (size_t off = PAGE_SIZE; off >= size; off -= size) { /* low addresses first out */
      struct free_obj *o = (struct free_obj *)(frame + off - size);
      o->next = class_free[c];
      class_free[c] = o;
    }
  }
  struct free_obj *o = class_free[c];
  class_free[c] = o->next;
  return o;
}

void *kzalloc(size_t n) {
  void *p = kmalloc(n);
  if (p)
    memset(p, 0, n);
  return p;
}

void kfree(void *p) {
  if (!p)
    return;
  uint32_t pfn = virt_to_pfn(p);
  struct page *pg = pfn_page(pfn);
  if (pg->flags & PG_SLAB) {
    struct free_obj *o = p;
    o->next = class_free[pg->slab_class];
    class_free[pg->slab_class] = o;
  } else {
    KASSERT(((uint32_t)p & (PAGE_SIZE - 1)) == 0);
    page_put(pfn);
  }
}
