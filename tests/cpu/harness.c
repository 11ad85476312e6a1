/* tests/cpu/harness.c - see harness.h. */
#include "harness.h"

#include <stdlib.h>

struct harness *harness_new(enum harness_mode mode) { return harness_new_io(mode, NULL, NULL); }

struct harness *harness_new_io(enum harness_mode mode, const struct cpu_io_ops *io, void *io_ctx) {
  return harness_new_sized(mode, HARNESS_RAM, io, io_ctx);
}

struct harness *harness_new_sized(enum harness_mode mode, uint32_t ram_bytes,
                                  const struct cpu_io_ops *io, void *io_ctx) {
  struct harness *h = calloc(1, sizeof *h);
  if (!h)
    abort();
  h->mem = mmu_new(ram_bytes);
  h->cpu = h->mem ? cpu_new(h->mem, io, io_ctx) : NULL;
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

void harness_load(struct harness *h, const uint8_t *code, size_t n) {
  mmu_copy_to_guest(h->mem, HARNESS_CODE, code, n);
  cpu_set_eip(h->cpu, HARNESS_CODE);
}

enum cpu_exit harness_run(struct harness *h, const uint8_t *code, size_t n, cycles_t budget) {
  harness_load(h, code, n);
  return cpu_run(h->cpu, cpu_cycles(h->cpu) + budget);
}
