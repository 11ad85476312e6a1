/* mmu/mmu.h - the physical memory map of the emulated machine.
 *
 * The MMU owns guest RAM (one contiguous host allocation starting at physical
 * address 0), ROM ranges, MMIO ranges claimed by devices, the A20 mask and the
 * per-page "holds decoded code" marks that make self-modifying code work.
 * Paging, the modeled TLBs and A/D bits arrive with the system-architecture
 * work; until then linear addresses are physical addresses.
 *
 * Physical address space as the board will lay it out:
 *
 *   0x00000000 +-------------------------+
 *              | RAM (ram_bytes)         |  direct host pointer, fast path
 *   ram_bytes  +-------------------------+
 *              | unclaimed: reads ~0,    |
 *              | writes ignored          |
 *              | MMIO ranges (devices)   |  read/write callbacks
 *              | ROM ranges (BIOS)       |  host pointer, writes ignored
 *   0xFFFFFFFF +-------------------------+
 *
 * The fast path (mmu_ram_read_ptr, mmu_ram_write_ptr) is inline: a bounds
 * check and, for writes, a check that the page holds no decoded code. All
 * else goes through mmu_read/mmu_write.
 */
#ifndef RINGLAB_MMU_H
#define RINGLAB_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MMU_PAGE_SHIFT 12
#define MMU_PAGE_BYTES (1u << MMU_PAGE_SHIFT)

struct mmu;

/* A device's view of an MMIO range: offsets are relative to the range. */
struct mmu_mmio_ops {
  uint32_t (*read)(void *ctx, uint32_t offset, unsigned size_bytes);
  void (*write)(void *ctx, uint32_t offset, unsigned size_bytes, uint32_t value);
};

/* Called before a write lands in a page marked as holding decoded code. */
typedef void (*mmu_code_write_fn)(void *ctx, uint32_t phys, unsigned size_bytes);

struct mmu {
  uint8_t *ram;                  /* host copy of guest RAM */
  uint32_t ram_bytes;            /* multiple of MMU_PAGE_BYTES */
  uint32_t a20_mask;             /* 0xFFFFFFFF, or bit 20 clear when A20 is off */
  uint8_t *code_pages;           /* per RAM page: nonzero if decoded code lives there */
  mmu_code_write_fn code_write;  /* invalidation hook of the code cache */
  void *code_write_ctx;
  struct mmu_region *regions;    /* MMIO and ROM ranges, sorted by base */
  unsigned n_regions;
};

/* Creates a machine memory of ram_bytes (rounded up to a page). Returns NULL
 * and sets errno on allocation failure. */
struct mmu *mmu_new(uint32_t ram_bytes);
void mmu_free(struct mmu *m);

/* Claims [base, base + size_bytes) for a device. Fails (returns -1) on an
 * overlap with RAM or another range. */
int mmu_map_mmio(struct mmu *m, uint32_t base, uint32_t size_bytes,
                 const struct mmu_mmio_ops *ops, void *ctx);
/* Maps a read-only copy of image at base. */
int mmu_map_rom(struct mmu *m, uint32_t base, const void *image, uint32_t size_bytes);

void mmu_set_a20(struct mmu *m, bool enabled);
void mmu_set_code_write_hook(struct mmu *m, mmu_code_write_fn fn, void *ctx);

/* Generic physical access, any address, any alignment, 1, 2 or 4 bytes.
 * The address is taken as is (the A20 mask is applied by the caller that
 * forms physical addresses from linear ones, mmu_phys()). */
uint32_t mmu_read(struct mmu *m, uint32_t phys, unsigned size_bytes);
void mmu_write(struct mmu *m, uint32_t phys, unsigned size_bytes, uint32_t value);

/* Copies between host buffers and guest physical memory (loaders, tests). */
int mmu_copy_to_guest(struct mmu *m, uint32_t phys, const void *src, size_t n);
int mmu_copy_from_guest(struct mmu *m, uint32_t phys, void *dst, size_t n);

/* Pointer into RAM or ROM for code fetch of up to n bytes within one page, or
 * NULL if the range is not backed by memory. */
const uint8_t *mmu_code_ptr(struct mmu *m, uint32_t phys, unsigned n);

/* Marks or clears a RAM page as holding decoded code. */
void mmu_mark_code_page(struct mmu *m, uint32_t phys_page, bool holds_code);

static inline uint32_t mmu_phys(const struct mmu *m, uint32_t linear) {
  return linear & m->a20_mask;
}

/* Fast path for reads: a host pointer if [phys, phys + n) is in RAM. */
static inline const uint8_t *mmu_ram_read_ptr(const struct mmu *m, uint32_t phys, unsigned n) {
  if (__builtin_expect((uint64_t)phys + n <= m->ram_bytes, 1))
    return m->ram + phys;
  return NULL;
}

/* Fast path for writes: a host pointer if [phys, phys + n) is in RAM and no
 * page it touches holds decoded code. */
static inline uint8_t *mmu_ram_write_ptr(const struct mmu *m, uint32_t phys, unsigned n) {
  if (__builtin_expect((uint64_t)phys + n <= m->ram_bytes, 1) &&
      __builtin_expect(!(m->code_pages[phys >> MMU_PAGE_SHIFT] |
                         m->code_pages[(phys + n - 1) >> MMU_PAGE_SHIFT]), 1))
    return m->ram + phys;
  return NULL;
}

#endif
