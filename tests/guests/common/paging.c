/* tests/guests/common/paging.c - page tables the paging kernels share. */
#include "x86.h"

void paging_identity_4k(volatile uint32_t *pd, volatile uint32_t (*pt)[1024], uint32_t n) {
  for (uint32_t k = 0; k < n * 1024; k++)
    pt[k / 1024][k % 1024] = (k << 12) | PTE_P | PTE_W;
  for (uint32_t k = 0; k < n; k++)
    pd[k] = (uint32_t)pt[k] | PTE_P | PTE_W;
}
