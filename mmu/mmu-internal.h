/* mmu/mmu-internal.h - what the MMU's own files share. */
#ifndef RINGLAB_MMU_INTERNAL_H
#define RINGLAB_MMU_INTERNAL_H

#include "mmu.h"

/* physmem.c: the MMIO and ROM ranges (snapshot.c reads the ROMs). */
enum region_kind { REGION_MMIO, REGION_ROM };

struct mmu_region {
  uint32_t base;
  uint32_t size_bytes;
  enum region_kind kind;
  const struct mmu_mmio_ops *ops; /* REGION_MMIO */
  void *ctx;
  uint8_t *rom;                   /* REGION_ROM: owned copy */
};

/* tlb.c: the default (P6) geometry, empty; and freeing the arrays. */
int mmu_tlb_init(struct mmu *m);
void mmu_tlb_fini(struct mmu *m);

#endif
