/* heap.c - the kernel heap: kmalloc and kfree over the frame allocator.
 *
 * Objects up to 2 KiB come from size classes of powers of two (16 to
 * 2048 bytes). Each class serves from whole frames carved into equal
 * objects; a frame's struct page (PG_SLAB) holds its class, how many of
 * its objects are in use, and its own list of free objects (each free
 * object holds the offset of the next). A class keeps the frames that have
 * free objects on a list; a frame whose objects are all free again goes
 * back to the frame allocator, unless it is the class's only one (kept, so
 * that one object allocated and freed in a loop does not take and give
 * back a frame each time). Larger objects are blocks of 2^k frames. All of
 * it is in the direct map: the kernel's mappings never change.
 */
#include "mem.h"

#define MIN_SHIFT 4   /* 16 bytes */
#define MAX_SHIFT 11  /* 2048 bytes */
#define N_CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define NIL 0xFFFFFFFFu

static uint32_t partial[N_CLASSES]; /* frames with free objects, by class */

void heap_init(void) {
  for (unsigned k = 0; k < N_CLASSES; k++)
    partial[k] = NIL;
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

static void partial_push(unsigned c, uint32_t pfn) {
  struct page *pg = pfn_page(pfn);
  pg->prev = NIL;
  pg->next = partial[c];
  if (partial[c] != NIL)
    pfn_page(partial[c])->prev = pfn;
  partial[c] = pfn;
}

static void partial_remove(unsigned c, uint32_t pfn) {
  struct page *pg = pfn_page(pfn);
  if (pg->prev != NIL)
    pfn_page(pg->prev)->next = pg->next;
  else
    partial[c] = pg->next;
  if (pg->next != NIL)
    pfn_page(pg->next)->prev = pg->prev;
}

/* A fresh frame for class c, all its objects free. */
static int slab_grow(unsigned c) {
  uint8_t *frame = page_alloc(0);
  if (!frame)
    return -1;
  uint32_t pfn = virt_to_pfn(frame);
  struct page *pg = pfn_page(pfn);
  pg->flags = PG_SLAB;
  pg->slab_class = (uint8_t)c;
  pg->slab_inuse = 0;
  uint32_t size = 1u << (c + MIN_SHIFT);
  for (uint32_t off = 0; off < PAGE_SIZE; off += size) /* lowest address first out */
    *(uint16_t *)(frame + off) = off + size < PAGE_SIZE ? (uint16_t)(off + size) : SLAB_NONE;
  pg->slab_free = 0;
  partial_push(c, pfn);
  return 0;
}

void *kmalloc(size_t n) {
  if (n == 0)
    n = 1;
  if (n > (1u << MAX_SHIFT))
    return page_alloc(block_order(n));
  unsigned c = size_class(n);
  if (partial[c] == NIL && slab_grow(c) < 0)
    return NULL;
  uint32_t pfn = partial[c];
  struct page *pg = pfn_page(pfn);
  uint8_t *obj = (uint8_t *)pfn_to_virt(pfn) + pg->slab_free;
  pg->slab_free = *(uint16_t *)obj;
  pg->slab_inuse++;
  if (pg->slab_free == SLAB_NONE)
    partial_remove(c, pfn); /* full */
  return obj;
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
  if (!(pg->flags & PG_SLAB)) {
    KASSERT(((uint32_t)p & (PAGE_SIZE - 1)) == 0);
    page_put(pfn);
    return;
  }
  unsigned c = pg->slab_class;
  int was_full = pg->slab_free == SLAB_NONE;
  *(uint16_t *)p = pg->slab_free;
  pg->slab_free = (uint16_t)((uint32_t)p & (PAGE_SIZE - 1));
  KASSERT(pg->slab_inuse > 0);
  pg->slab_inuse--;
  if (was_full)
    partial_push(c, pfn);
  if (pg->slab_inuse == 0 && !(partial[c] == pfn && pg->next == NIL)) {
    partial_remove(c, pfn); /* empty, and not the class's last frame */
    pg->flags = 0;
    page_put(pfn);
  }
}
