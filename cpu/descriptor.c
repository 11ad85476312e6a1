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

static uint32_t system_read32(struct cpu *c, uint32_t lin) { return cpu_sys_read(c, lin, 4); }

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
  d->lo = system_read32(c, base + off);
  d->hi = system_read32(c, base + off + 4);
  d->addr = base + off;
  return true;
}

bool cpu_idt_read(struct cpu *c, unsigned vector, struct cpu_descriptor *d) {
  uint32_t off = vector * 8;
  if (off + 7 > c->idtr.limit)
    return false;
  d->lo = system_read32(c, c->idtr.base + off);
  d->hi = system_read32(c, c->idtr.base + off + 4);
  d->addr = c->idtr.base + off;
  return true;
}

void cpu_descriptor_set_accessed(struct cpu *c, struct cpu_descriptor *d) {
  if (!(d->hi & 0x100)) {
    d->hi |= 0x100;
    system_write8(c, d->addr + 5, (uint8_t)(d->hi >> 8));
  }
}

void cpu_descriptor_to_segment(const struct cpu_descriptor *d, uint16_t selector, struct cpu_segment *out) {
  uint32_t limit = (d->lo & 0xFFFF) | (d->hi & 0x000F0000u);
  if (d->hi & 0x00800000u) /* G: 4 KiB granularity */
    limit = (limit << 12) | 0xFFF;
  out->selector = selector;
  out->base = (d->lo >> 16) | ((d->hi & 0xFF) << 16) | (d->hi & 0xFF000000u);
  out->limit = limit;
  out->attr = (uint16_t)(((d->hi >> 8) & 0xFF) | ((d->hi >> 8) & 0xF000));
}
