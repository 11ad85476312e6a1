/* tests/cpu/harness.c - see harness.h. */
#include "harness.h"

#include "cpu-internal.h" /* the CPU's tables and CPL, set directly */

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

int harness_setup_real16(void **state) {
  *state = harness_new(HARNESS_REAL16);
  return 0;
}

int harness_setup_flat32(void **state) {
  *state = harness_new(HARNESS_FLAT32);
  return 0;
}

int harness_teardown(void **state) {
  harness_free(*state);
  return 0;
}

void harness_load(struct harness *h, const uint8_t *code, size_t n) {
  mmu_copy_to_guest(h->mem, HARNESS_CODE, code, n);
  cpu_set_eip(h->cpu, HARNESS_CODE);
}

enum cpu_exit harness_run(struct harness *h, const uint8_t *code, size_t n, cycles_t budget) {
  harness_load(h, code, n);
  return cpu_run(h->cpu, cpu_cycles(h->cpu) + budget);
}

/* ---- protected-mode tables ---------------------------------------------------- */

static void wr32(struct harness *h, uint32_t a, uint32_t v) { mmu_write(h->mem, a, 4, v); }

uint32_t harness_handler(unsigned v) { return HARNESS_HANDLERS + 16 * v; }

void harness_gdt_set(struct harness *h, unsigned sel, uint32_t lo, uint32_t hi) {
  wr32(h, HARNESS_GDT + sel, lo);
  wr32(h, HARNESS_GDT + sel + 4, hi);
}

void harness_gdt_system(struct harness *h, unsigned sel, uint32_t base, uint32_t limit, unsigned type) {
  harness_gdt_set(h, sel, (base << 16) | (limit & 0xFFFF),
                  (base & 0xFF000000u) | (limit & 0xF0000u) | 0x8000u | (type << 8) | ((base >> 16) & 0xFF));
}

void harness_idt_gate(struct harness *h, unsigned v, unsigned type, unsigned dpl, uint16_t sel, uint32_t off) {
  wr32(h, HARNESS_IDT + 8 * v, ((uint32_t)sel << 16) | (off & 0xFFFF));
  wr32(h, HARNESS_IDT + 8 * v + 4, (off & 0xFFFF0000u) | 0x8000u | (dpl << 13) | (type << 8));
}

void harness_tss32(struct harness *h, uint32_t base, uint32_t eip, uint32_t esp, uint32_t esp0) {
  for (uint32_t k = 0; k < 0x68; k += 4)
    wr32(h, base + k, 0);
  wr32(h, base + 0x04, esp0);
  wr32(h, base + 0x08, HARNESS_SEL_DATA0); /* SS0 */
  wr32(h, base + 0x20, eip);
  wr32(h, base + 0x24, 0x2); /* EFLAGS */
  wr32(h, base + 0x38, esp);
  wr32(h, base + 0x4C, HARNESS_SEL_CODE0);
  static const unsigned data[] = {0x48, 0x50, 0x54, 0x58, 0x5C}; /* ES SS DS FS GS */
  for (unsigned k = 0; k < 5; k++)
    wr32(h, base + data[k], HARNESS_SEL_DATA0);
  mmu_write(h->mem, base + 0x66, 2, 0x68); /* I/O map base: no map */
}

void harness_tss_io_bitmap(struct harness *h, unsigned sel, uint32_t base) {
  harness_gdt_system(h, sel, base, 0xE8, 0xB);
  h->cpu->tr.limit = 0xE8;
  mmu_write(h->mem, base + 0x66, 2, 0x68);
  for (uint32_t k = 0x68; k <= 0xE8; k++)
    mmu_write(h->mem, base + k, 1, 0);
}

void harness_pm_tables(struct harness *h, uint32_t esp0, unsigned gate_dpl) {
  struct cpu *c = h->cpu;
  harness_gdt_set(h, HARNESS_SEL_CODE0, 0x0000FFFF, 0x00CF9A00); /* code, DPL 0, 32-bit, 4 GiB */
  harness_gdt_set(h, HARNESS_SEL_DATA0, 0x0000FFFF, 0x00CF9200); /* data, DPL 0 */
  harness_gdt_set(h, HARNESS_SEL_CODE3, 0x0000FFFF, 0x00CFFA00); /* code, DPL 3 */
  harness_gdt_set(h, HARNESS_SEL_DATA3, 0x0000FFFF, 0x00CFF200); /* data, DPL 3 */
  harness_gdt_system(h, HARNESS_SEL_TSS, HARNESS_TSS, 0x67, 0x9);
  c->gdtr.base = HARNESS_GDT;
  c->gdtr.limit = 0x2F;
  c->idtr.base = HARNESS_IDT;
  c->idtr.limit = 256 * 8 - 1;
  for (unsigned v = 0; v < 256; v++) {
    mmu_write(h->mem, harness_handler(v), 1, 0xF4); /* hlt */
    harness_idt_gate(h, v, HARNESS_GATE_INT32, gate_dpl, HARNESS_SEL_CODE0, harness_handler(v));
  }
  wr32(h, HARNESS_TSS + 4, esp0);              /* ESP0 */
  wr32(h, HARNESS_TSS + 8, HARNESS_SEL_DATA0); /* SS0 */
  c->tr = (struct cpu_segment){.selector = HARNESS_SEL_TSS, .base = HARNESS_TSS, .limit = 0x67, .attr = 0x8B};
}

void harness_enter_ring3(struct harness *h) {
  struct cpu_segment cs = {.selector = 0x1B, .base = 0, .limit = 0xFFFFFFFFu, .attr = 0xC0FB};
  struct cpu_segment ds = {.selector = 0x23, .base = 0, .limit = 0xFFFFFFFFu, .attr = 0xC0F3};
  cpu_set_segment(h->cpu, CPU_CS, &cs);
  for (unsigned s = 0; s < CPU_NSREG; s++)
    if (s != CPU_CS)
      cpu_set_segment(h->cpu, (enum cpu_sreg)s, &ds);
  h->cpu->cpl = 3;
  cpu_set_reg(h->cpu, CPU_ESP, HARNESS_RING3_STACK);
}

uint16_t harness_selector(struct harness *h, enum cpu_sreg s) {
  struct cpu_segment seg;
  cpu_get_segment(h->cpu, s, &seg);
  return seg.selector;
}
