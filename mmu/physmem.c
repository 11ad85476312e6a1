/* mmu/physmem.c - RAM, ROM and MMIO ranges of the physical address space.
 *
 * Everything here is the slow path: the CPU reaches RAM through the inline
 * pointers of mmu.h and comes here for ROM, MMIO, unclaimed addresses and
 * writes to pages that hold decoded code. Little-endian accesses that straddle
 * two regions are split into bytes, so every region sees only accesses that
 * lie entirely inside it.
 */
#include "mmu-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


struct mmu *mmu_new(uint32_t ram_bytes) {
  uint64_t rounded = ((uint64_t)ram_bytes + MMU_PAGE_BYTES - 1) & ~(uint64_t)(MMU_PAGE_BYTES - 1);
  if (rounded == 0 || rounded > 0xF0000000u) {
    errno = EINVAL;
    return NULL;
  }
  struct mmu *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->ram_bytes = (uint32_t)rounded;
  m->ram = calloc(1, m->ram_bytes);
  m->code_pages = calloc(m->ram_bytes >> MMU_PAGE_SHIFT, 1);
  if (!m->ram || !m->code_pages || mmu_tlb_init(m) < 0) {
    mmu_free(m);
    errno = ENOMEM;
    return NULL;
  }
  m->a20_mask = 0xFFFFFFFFu;
  m->direct_bytes = m->ram_bytes;
  m->counters = &m->own_counters;
  return m;
}

void mmu_set_counters(struct mmu *m, struct trace_counters *c) { m->counters = c ? c : &m->own_counters; }

void mmu_free(struct mmu *m) {
  if (!m)
    return;
  for (unsigned k = 0; k < m->n_regions; k++)
    free(m->regions[k].rom);
  mmu_tlb_fini(m);
  free(m->regions);
  free(m->code_pages);
  free(m->ram);
  free(m);
}

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen) {
  return (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

static int add_region(struct mmu *m, struct mmu_region r) {
  if (r.size_bytes == 0 || (uint64_t)r.base + r.size_bytes > 0x100000000ull ||
      overlaps(r.base, r.size_bytes, 0, m->ram_bytes))
    return -1;
  for (unsigned k = 0; k < m->n_regions; k++)
    if (overlaps(r.base, r.size_bytes, m->regions[k].base, m->regions[k].size_bytes))
      return -1;
  struct mmu_region *grown = realloc(m->regions, (m->n_regions + 1) * sizeof *grown);
  if (!grown)
    return -1;
  m->regions = grown;
  unsigned at = m->n_regions;
  while (at > 0 && m->regions[at - 1].base > r.base) {
    m->regions[at] = m->regions[at - 1];
    at--;
  }
  m->regions[at] = r;
  m->n_regions++;
  return 0;
}

int mmu_map_mmio(struct mmu *m, uint32_t base, uint32_t size_bytes,
                 const struct mmu_mmio_ops *ops, void *ctx) {
  return add_region(m, (struct mmu_region){base, size_bytes, REGION_MMIO, ops, ctx, NULL});
}

int mmu_unmap_mmio(struct mmu *m, uint32_t base) {
  for (unsigned k = 0; k < m->n_regions; k++) {
    if (m->regions[k].base != base || m->regions[k].kind != REGION_MMIO)
      continue;
    memmove(&m->regions[k], &m->regions[k + 1], (m->n_regions - k - 1) * sizeof *m->regions);
    m->n_regions--;
    return 0;
  }
  return -1;
}

int mmu_map_rom(struct mmu *m, uint32_t base, const void *image, uint32_t size_bytes) {
  uint8_t *copy = malloc(size_bytes ? size_bytes : 1);
  if (!copy)
    return -1;
  memcpy(copy, image, size_bytes);
  if (add_region(m, (struct mmu_region){base, size_bytes, REGION_ROM, NULL, NULL, copy}) < 0) {
    free(copy);
    return -1;
  }
  return 0;
}

void mmu_set_a20(struct mmu *m, bool enabled) {
  m->a20_mask = enabled ? 0xFFFFFFFFu : ~(1u << 20);
  mmu_fast_drop_all(m); /* fast entries hold A20-masked host pointers */
}

void mmu_set_watch(struct mmu *m, bool on) {
  m->watch = on;
  m->direct_bytes = m->paging || on ? 0 : m->ram_bytes;
  mmu_fast_drop_all(m);
}

void mmu_set_code_write_hook(struct mmu *m, mmu_code_write_fn fn, void *ctx) {
  m->code_write = fn;
  m->code_write_ctx = ctx;
}

static const struct mmu_region *find_region(const struct mmu *m, uint32_t phys) {
  unsigned lo = 0, hi = m->n_regions;
  while (lo < hi) {
    unsigned mid = (lo + hi) / 2;
    const struct mmu_region *r = &m->regions[mid];
    if (phys < r->base)
      hi = mid;
    else if (phys - r->base >= r->size_bytes)
      lo = mid + 1;
    else
      return r;
  }
  return NULL;
}

/* True if [phys, phys + n) lies in one backing store (RAM or one region). */
static bool same_backing(const struct mmu *m, uint32_t phys, unsigned n, const struct mmu_region **out) {
  if ((uint64_t)phys + n <= m->ram_bytes) {
    *out = NULL;
    return true;
  }
  const struct mmu_region *r = find_region(m, phys);
  *out = r;
  if (!r)
    return phys >= m->ram_bytes && !find_region(m, phys + n - 1) && (uint64_t)phys + n <= 0x100000000ull;
  return (uint64_t)phys + n <= (uint64_t)r->base + r->size_bytes;
}

static uint32_t load_le(const uint8_t *p, unsigned n) {
  uint32_t v = 0;
  for (unsigned k = 0; k < n; k++)
    v |= (uint32_t)p[k] << (8 * k);
  return v;
}

static void store_le(uint8_t *p, unsigned n, uint32_t v) {
  for (unsigned k = 0; k < n; k++)
    p[k] = (uint8_t)(v >> (8 * k));
}

uint32_t mmu_read(struct mmu *m, uint32_t phys, unsigned size_bytes) {
  const struct mmu_region *r;
  if (!same_backing(m, phys, size_bytes, &r)) {
    uint32_t v = 0;
    for (unsigned k = 0; k < size_bytes; k++)
      v |= mmu_read(m, phys + k, 1) << (8 * k);
    return v;
  }
  if ((uint64_t)phys + size_bytes <= m->ram_bytes)
    return load_le(m->ram + phys, size_bytes);
  if (!r) /* unclaimed: the bus floats high */
    return size_bytes == 4 ? 0xFFFFFFFFu : (1u << (8 * size_bytes)) - 1;
  if (r->kind == REGION_ROM)
    return load_le(r->rom + (phys - r->base), size_bytes);
  return r->ops->read(r->ctx, phys - r->base, size_bytes);
}

void mmu_write(struct mmu *m, uint32_t phys, unsigned size_bytes, uint32_t value) {
  const struct mmu_region *r;
  if (!same_backing(m, phys, size_bytes, &r)) {
    for (unsigned k = 0; k < size_bytes; k++)
      mmu_write(m, phys + k, 1, value >> (8 * k));
    return;
  }
  if ((uint64_t)phys + size_bytes <= m->ram_bytes) {
    if (m->code_write && (m->code_pages[phys >> MMU_PAGE_SHIFT] |
                          m->code_pages[(phys + size_bytes - 1) >> MMU_PAGE_SHIFT]))
      m->code_write(m->code_write_ctx, phys, size_bytes);
    store_le(m->ram + phys, size_bytes, value);
    return;
  }
  if (r && r->kind == REGION_MMIO)
    r->ops->write(r->ctx, phys - r->base, size_bytes, value);
  /* ROM and unclaimed addresses ignore writes. */
}

int mmu_copy_to_guest(struct mmu *m, uint32_t phys, const void *src, size_t n) {
  if ((uint64_t)phys + n > m->ram_bytes)
    return -1;
  for (size_t k = 0; k < n; k++)
    if (m->code_pages[(phys + k) >> MMU_PAGE_SHIFT]) {
      mmu_write(m, (uint32_t)(phys + k), 1, ((const uint8_t *)src)[k]);
    } else {
      m->ram[phys + k] = ((const uint8_t *)src)[k];
    }
  return 0;
}

int mmu_copy_from_guest(struct mmu *m, uint32_t phys, void *dst, size_t n) {
  if ((uint64_t)phys + n > m->ram_bytes)
    return -1;
  memcpy(dst, m->ram + phys, n);
  return 0;
}

const uint8_t *mmu_code_ptr(struct mmu *m, uint32_t phys, unsigned n) {
  if ((phys & (MMU_PAGE_BYTES - 1)) + n > MMU_PAGE_BYTES)
    return NULL;
  if ((uint64_t)phys + n <= m->ram_bytes)
    return m->ram + phys;
  const struct mmu_region *r = find_region(m, phys);
  if (r && r->kind == REGION_ROM && (uint64_t)phys + n <= (uint64_t)r->base + r->size_bytes)
    return r->rom + (phys - r->base);
  return NULL;
}

void mmu_mark_code_page(struct mmu *m, uint32_t phys_page, bool holds_code) {
  if (phys_page < (m->ram_bytes >> MMU_PAGE_SHIFT)) {
    /* The paging fast path keeps write entries only for pages without
     * code: drop them all (O(1)) when a page starts holding code. */
    if (holds_code && !m->code_pages[phys_page])
      mmu_fast_drop_all(m);
    m->code_pages[phys_page] = holds_code;
  }
}
