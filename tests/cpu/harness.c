/* tests/cpu/harness.c - see harness.h. */
#include "harness.h"

#include <stdlib.h>

#define HARNESS_HANDLER 0x0500u /* HLT that every real-mode vector reaches */

struct harness *harness_new(enum harness_mode mode) {
  struct harness *h = calloc(1, sizeof *h);
  if (!h)
    abort();
  h->mem = mmu_new(HARNESS_RAM);
  h->cpu = h->mem ? cpu_new(h->mem, NULL, NULL) : NULL;
  if (!h->cpu)
    abort();
  if (mode == HARNESS_FLAT32) {
    cpu_set_flat_protected(h->cpu);
  } else {
    for (unsigned v = 0; v < 256; v++) {
      uint8_t entry[4] = {HARNESS_HANDLER & 0xFF, HARNESS_HANDLER >> 8, 0, 0};
      mmu_copy_to_guest(h->mem, v * 4, entry, 4);
    }
    mmu_write(h->mem, HARNESS_HANDLER, 1, 0xF4);
    for (unsigned s = 0; s < CPU_NSREG; s++)
      cpu_load_segment_real(h->cpu, (enum cpu_sreg)s, 0);
  }
  cpu_set_reg(h->cpu, CPU_ESP, HARNESS_STACK);
  return h;
}

void harness_free(struct harness *h) {
  if (!h)
    return;
  cpu_free(h->cpu);
  mmu_free(h->mem);
  free(h);
}

enum cpu_exit harness_run(struct harness *h, const uint8_t *code, size_t n, cycles_t budget) {
  mmu_copy_to_guest(h->mem, HARNESS_CODE, code, n);
  cpu_set_eip(h->cpu, HARNESS_CODE);
  return cpu_run(h->cpu, cpu_cycles(h->cpu) + budget);
}
