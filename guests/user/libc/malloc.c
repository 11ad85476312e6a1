/* guests/user/libc/malloc.c - malloc, free, calloc, realloc.
 *
 * Small blocks come from the heap that brk grows (the classic first-fit
 * allocator of K&R, section 8.7: a circular free list kept in address
 * order, neighbours merged on free); blocks of LIBC_MMAP_MIN bytes or more
 * get pages of their own from mmap2 and go back with munmap, as glibc does
 * above its mmap threshold. Every block starts with one 8-byte header;
 * payloads are 8-byte aligned.
 *
 *   heap (brk):  [hdr|payload....][hdr|free.........][hdr|payload]...  <- break
 *   mmap block:  [hdr|payload...................................]  (whole pages)
 */
#include "libc-internal.h"

#define LIBC_MMAP_MIN (128u * 1024) /* glibc's default threshold */
#define LIBC_HEAP_GROW (64u * 1024) /* least the break moves at a time */
#define LIBC_PAGE 4096u

union header {
  struct {
    union header *next; /* free list successor; LIBC_MAPPED for mmap blocks */
    size_t units;       /* block size in headers, the header included */
  } s;
  uint64_t align;
};
typedef union header header_t;

#define LIBC_MAPPED ((header_t *)1)

static header_t base;          /* the list's anchor, size 0 */
static header_t *free_list;    /* where the last search ended */
static unsigned long brk_cur;  /* the current break (0: not asked yet) */

int brk(void *end) {
  unsigned long r = libc_sys_brk(end);
  brk_cur = r;
  if (r != (unsigned long)end) {
    errno = ENOMEM;
    return -1;
  }
  return 0;
}

void *sbrk(intptr_t delta) {
  if (!brk_cur)
    brk_cur = libc_sys_brk(0);
  unsigned long old = brk_cur;
  if (delta && brk((void *)(old + delta)) < 0)
    return (void *)-1;
  return (void *)old;
}

/* Puts block b on the free list, merged with free neighbours. */
static void release(header_t *b) {
  header_t *p = free_list;
  while (!(b > p && b < p->s.next)) {
    if (p >= p->s.next && (b > p || b < p->s.next))
      break; /* b lies past the highest or below the lowest free block */
    p = p->s.next;
  }
  if (b + b->s.units == p->s.next) { /* merge with the upper neighbour */
    b->s.units += p->s.next->s.units;
    b->s.next = p->s.next->s.next;
  } else {
    b->s.next = p->s.next;
  }
  if (p + p->s.units == b) { /* merge with the lower neighbour */
    p->s.units += b->s.units;
    p->s.next = b->s.next;
  } else {
    p->s.next = b;
  }
  free_list = p;
}

static header_t *grow(size_t units) {
  size_t bytes = units * sizeof(header_t);
  if (bytes < LIBC_HEAP_GROW)
    bytes = LIBC_HEAP_GROW;
  void *p = sbrk((intptr_t)bytes);
  if (p == (void *)-1)
    return 0;
  header_t *b = p;
  b->s.units = bytes / sizeof(header_t);
  release(b);
  return free_list;
}

static void *alloc_mapped(size_t n) {
  size_t bytes = (n + sizeof(header_t) + LIBC_PAGE - 1) & ~(size_t)(LIBC_PAGE - 1);
  if (bytes < n)
    return 0;
  void *p = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return 0;
  header_t *b = p;
  b->s.next = LIBC_MAPPED;
  b->s.units = bytes / sizeof(header_t);
  return b + 1;
}

void *malloc(size_t n) {
  if (n >= LIBC_MMAP_MIN)
    return alloc_mapped(n);
  size_t units = (n + sizeof(header_t) - 1) / sizeof(header_t) + 1;
  if (!free_list) {
    base.s.next = free_list = &base;
    base.s.units = 0;
  }
  header_t *prev = free_list;
  for (header_t *p = prev->s.next;; prev = p, p = p->s.next) {
    if (p->s.units >= units) {
      if (p->s.units == units) {
        prev->s.next = p->s.next;
      } else { /* hand out the tail, the rest stays free */
        p->s.units -= units;
        p += p->s.units;
        p->s.units = units;
      }
      free_list = prev;
      p->s.next = 0;
      return p + 1;
    }
    if (p == free_list && !(p = grow(units))) {
      errno = ENOMEM;
      return 0;
    }
  }
}

void free(void *ptr) {
  if (!ptr)
    return;
  header_t *b = (header_t *)ptr - 1;
  if (b->s.next == LIBC_MAPPED) {
    munmap(b, b->s.units * sizeof(header_t));
    return;
  }
  release(b);
}

void *calloc(size_t count, size_t size) {
  size_t n = count * size;
  if (size && n / size != count) {
    errno = ENOMEM;
    return 0;
  }
  void *p = malloc(n);
  if (p)
    memset(p, 0, n); /* mmap'ed blocks are zero already; heap ones may be reused */
  return p;
}

void *realloc(void *ptr, size_t n) {
  if (!ptr)
    return malloc(n);
  if (!n) {
    free(ptr);
    return 0;
  }
  header_t *b = (header_t *)ptr - 1;
  size_t have = (b->s.units - 1) * sizeof(header_t);
  if (n <= have)
    return ptr;
  void *q = malloc(n);
  if (!q)
    return 0;
  memcpy(q, ptr, have);
  free(ptr);
  return q;
}

char *strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}
