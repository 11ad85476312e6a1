/* page.c - the page-frame allocator: a binary buddy allocator over the
 * free frames the arch reported, with a reference count per frame.
 *
 * A free block of 2^k frames starts at a frame number that is a multiple
 * of 2^k and sits on free_list[k]; its buddy is the block at pfn ^ 2^k.
 * Freeing merges a block with its buddy while the buddy is free and of the
 * same order. Reserved frames (outside the free ranges) never merge. The
 * allocator is deterministic: the same calls give the same frames.
 *
 * The struct page array itself is carved from the first free range big
 * enough to hold it, before the rest is handed to the buddy lists.
 */
#include "mem.h"

#define MAX_ORDER 10 /* blocks up to 4 MiB */
#define NIL 0xFFFFFFFFu

struct page *page_map;
uint32_t page_max_pfn;
static uint32_t free_list[MAX_ORDER + 1];
static uint32_t free_frames;

static void list_push(unsigned order, uint32_t pfn) {
  struct page *p = &page_map[pfn];
  p->flags = PG_FREE;
  p->order = (uint8_t)order;
  p->ref = 0;
  p->prev = NIL;
  p->next = free_list[order];
  if (free_list[order] != NIL)
    page_map[free_list[order]].prev = pfn;
  free_list[order] = pfn;
}

static void list_remove(unsigned order, uint32_t pfn) {
  struct page *p = &page_map[pfn];
  if (p->prev != NIL)
    page_map[p->prev].next = p->next;
  else
    free_list[order] = p->next;
  if (p->next != NIL)
    page_map[p->next].prev = p->prev;
  p->flags = 0;
}

static void free_block(uint32_t pfn, unsigned order) {
  free_frames += 1u << order;
  while (order < MAX_ORDER) {
    uint32_t buddy = pfn ^ (1u << order);
    if (buddy >= page_max_pfn)
      break;
    struct page *b = &page_map[buddy];
    if (!(b->flags & PG_FREE) || b->order != order)
      break;
    list_remove(order, buddy);
    pfn &= ~(1u << order);
    order++;
  }
  list_push(order, pfn);
}

void page_free_range(uint32_t first, uint32_t end) {
  for (uint32_t pfn = first; pfn < end && pfn < page_max_pfn; pfn++) {
    page_map[pfn].flags = 0;
    page_map[pfn].order = 0;
    free_block(pfn, 0);
  }
}

void page_init(struct boot_info *bi) {
  page_max_pfn = bi->max_pfn;
  uint32_t need = ALIGN_UP(page_max_pfn * (uint32_t)sizeof(struct page), PAGE_SIZE) >> PAGE_SHIFT;
  unsigned k;
  for (k = 0; k < bi->n_free; k++)
    if (bi->free[k].end_pfn - bi->free[k].first_pfn >= need)
      break;
  if (k == bi->n_free)
    panic("page: no room for %u frames' struct page", page_max_pfn);
  page_map = pfn_to_virt(bi->free[k].first_pfn);
  bi->free[k].first_pfn += need;
  memset(page_map, 0, page_max_pfn * sizeof(struct page));
  for (uint32_t pfn = 0; pfn < page_max_pfn; pfn++)
    page_map[pfn].flags = PG_RESERVED;
  for (unsigned o = 0; o <= MAX_ORDER; o++)
    free_list[o] = NIL;
  for (k = 0; k < bi->n_free; k++)
    page_free_range(bi->free[k].first_pfn, bi->free[k].end_pfn);
}

void *page_alloc(unsigned order) {
  unsigned o = order;
  while (o <= MAX_ORDER && free_list[o] == NIL)
    o++;
  if (o > MAX_ORDER)
    return NULL;
  uint32_t pfn = free_list[o];
  list_remove(o, pfn);
  while (o > order) { /* split: the upper half goes back */
    o--;
    list_push(o, pfn + (1u << o));
  }
  struct page *p = &page_map[pfn];
  p->flags = 0;
  p->order = (uint8_t)order;
  p->ref = 1;
  free_frames -= 1u << order;
  return pfn_to_virt(pfn);
}

void *page_alloc_zero(unsigned order) {
  void *p = page_alloc(order);
  if (p)
    memset(p, 0, PAGE_SIZE << order);
  return p;
}

void page_get(uint32_t pfn) {
  KASSERT(pfn < page_max_pfn && page_map[pfn].ref > 0);
  page_map[pfn].ref++;
}

void page_put(uint32_t pfn) {
  struct page *p = &page_map[pfn];
  KASSERT(pfn < page_max_pfn && p->ref > 0);
  if (--p->ref == 0) {
    unsigned order = p->order;
    p->flags = 0;
    free_block(pfn, order);
  }
}

uint32_t page_free_count(void) { return free_frames; }

static uint32_t reserve_frames;

void *page_alloc_user(int zero) {
  if (!reserve_frames) /* 1/128 of memory, at least 256 frames (1 MiB) */
    reserve_frames = MAX(page_max_pfn / 128, 256u);
  if (free_frames <= reserve_frames)
    return NULL;
  return zero ? page_alloc_zero(0) : page_alloc(0);
}
