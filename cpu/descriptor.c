/* cpu/descriptor.c - reading GDT/LDT/IDT entries and turning segment
 * descriptors into the segment-register cache.
 *
 * Descriptor layout (SDM vol. 3, 3.4.5), as two little-endian dwords:
 *
 *   lo: limit[15:0] | base[15:0] << 16
 *   hi: base[23:16] | type[3:0] << 8 | S << 12 | DPL << 13 | P << 15 |
 *       limit[19:16] << 16 | AVL << 20 | D/B << 22 | G << 23 | base[31:24] << 24
 *
 * struct cpu_segment.attr keeps hi bits 8-15 and 20-23 as bits 0-7 and
 * 12-15 (the layout of the SDM's "access rights" that LAR returns, shifted
 * down by 8).
 *
 * Table reads and the accessed-bit write are system accesses at linear
 * addresses (cpu_sys_read/cpu_sys_write): with paging on they are
 * translated as supervisor accesses whatever the CPL (SDM vol. 3, 4.6) and
 * may raise #PF.
 */
#include "cpu-internal.h"

/* The 8 bytes of the entry at lin, as two dword system reads: through one
 * host pointer when the entry lies in one page and the fast path takes it
 * (two DTLB uses, as the two reads), else one read after the other. */
static void system_read_entry(struct cpu *c, uint32_t lin, struct cpu_descriptor *d) {
  const uint8_t *p = cpu_lin_span_ptr(c, lin, 8, 2, 0, 0);
  if (likely(p != NULL)) {
    d->lo = cpu_ld_le(p, 4);
    d->hi = cpu_ld_le(p + 4, 4);
  } else {
    d->lo = cpu_sys_read(c, lin, 4);
    d->hi = cpu_sys_read(c, lin + 4, 4);
  }
  d->addr = lin;
}

static void system_write8(struct cpu *c, uint32_t lin, uint8_t v) { cpu_sys_write(c, lin, 1, v); }

bool cpu_descriptor_read(struct cpu *c, uint16_t selector, struct cpu_descriptor *d) {
  uint32_t base, limit;
  if (selector & CPU_SEL_TI) {
    if (!(c->ldtr.attr & CPU_ATTR_P) || (c->ldtr.selector & ~3u) == 0)
      return false;
    base = c->ldtr.base;
    limit = c->ldtr.limit;
  } else {
    base = c->gdtr.base;
    limit = c->gdtr.limit;
  }
  uint32_t off = selector & ~7u;
  if (off + 7 > limit)
    return false;
  system_read_entry(c, base + off, d);
  return true;
}

bool cpu_idt_read(struct cpu *c, unsigned vector, struct cpu_descriptor *d) {
  uint32_t off = vector * 8;
  if (off + 7 > c->idtr.limit)
    return false;
  system_read_entry(c, c->idtr.base + off, d);
  return true;
}

/* The write behind cpu_descriptor_set_accessed (cpu-internal.h). */
void cpu_descriptor_write_accessed(struct cpu *c, struct cpu_descriptor *d) {
  d->hi |= 0x100;
  system_write8(c, d->addr + 5, (uint8_t)(d->hi >> 8));
}
