/* mmu/mmu-internal.h - what the MMU's own files share. */
#ifndef RINGLAB_MMU_INTERNAL_H
#define RINGLAB_MMU_INTERNAL_H

#include "mmu.h"

/* tlb.c: the default (P6) geometry, empty; and freeing the arrays. */
int mmu_tlb_init(struct mmu *m);
void mmu_tlb_fini(struct mmu *m);

#endif
