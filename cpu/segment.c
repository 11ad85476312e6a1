/* cpu/segment.c - segment registers: loads, the rights cached for the fast
 * path, and the full check of an access.
 *
 * Real mode: a load sets the selector and base = selector << 4 and keeps the
 * cached limit and attributes, as i386 and later processors do (this is
 * what lets "unreal mode" keep a 4 GiB limit). Protected-mode descriptor
 * loads belong to the system-architecture work; until then a protected-mode
 * segment load stops the machine with a clear reason instead of guessing.
 */
#include "cpu-internal.h"

#define ATTR_TYPE_ACCESSED 0x01u
#define ATTR_TYPE_RW 0x02u     /* data: writable; code: readable */
#define ATTR_TYPE_EXPDOWN 0x04u /* data: expand-down; code: conforming */
#define ATTR_TYPE_CODE 0x08u
#define ATTR_S 0x10u           /* code or data (not system) */
#define ATTR_P 0x80u           /* present */

static bool protected_rights(const struct cpu *c) { return c->mode == CPU_MODE_PROT; }

void cpu_segment_loaded(struct cpu *c, unsigned s) {
  const struct cpu_segment *sg = &c->seg[s];
  uint8_t ok = 0;
  if (!protected_rights(c)) {
    ok = SEG_OK_READ | SEG_OK_WRITE;
  } else if ((sg->attr & (ATTR_P | ATTR_S)) == (ATTR_P | ATTR_S)) {
    if (sg->attr & ATTR_TYPE_CODE) {
      if (sg->attr & ATTR_TYPE_RW)
        ok = SEG_OK_READ;
    } else {
      ok = SEG_OK_READ | ((sg->attr & ATTR_TYPE_RW) ? SEG_OK_WRITE : 0);
    }
  }
  /* Expand-down data segments always take the slow path. */
  if ((sg->attr & (ATTR_S | ATTR_TYPE_CODE | ATTR_TYPE_EXPDOWN)) == (ATTR_S | ATTR_TYPE_EXPDOWN))
    ok = 0;
  c->seg_ok[s] = ok;
  if (s == CPU_CS) {
    c->code32 = (sg->attr & CPU_SEG_ATTR_DB) != 0;
    c->ip_mask = c->code32 ? 0xFFFFFFFFu : 0xFFFFu;
  }
  if (s == CPU_SS)
    c->stack32 = (sg->attr & CPU_SEG_ATTR_DB) != 0;
}

_Noreturn static void limit_fault(struct cpu *c, unsigned s) {
  cpu_raise(c, s == CPU_SS ? CPU_EXC_SS : CPU_EXC_GP, 0);
}

void cpu_segment_check(struct cpu *c, unsigned s, uint32_t off, unsigned n, bool write) {
  const struct cpu_segment *sg = &c->seg[s];
  uint64_t last = (uint64_t)off + n - 1;
  if (protected_rights(c)) {
    if (!(sg->attr & ATTR_P) || !(sg->attr & ATTR_S))
      limit_fault(c, s); /* null or unusable selector */
    if (sg->attr & ATTR_TYPE_CODE) {
      if (write || !(sg->attr & ATTR_TYPE_RW))
        cpu_raise(c, CPU_EXC_GP, 0);
    } else if (write && !(sg->attr & ATTR_TYPE_RW)) {
      limit_fault(c, s);
    }
  }
  bool expand_down = (sg->attr & (ATTR_S | ATTR_TYPE_CODE | ATTR_TYPE_EXPDOWN)) == (ATTR_S | ATTR_TYPE_EXPDOWN);
  if (expand_down) {
    uint64_t upper = (sg->attr & CPU_SEG_ATTR_DB) ? 0xFFFFFFFFull : 0xFFFFull;
    if (off <= sg->limit || last > upper)
      limit_fault(c, s);
  } else if (last > sg->limit) {
    limit_fault(c, s);
  }
}

void cpu_load_sreg(struct cpu *c, unsigned s, uint16_t selector) {
  if (c->mode == CPU_MODE_PROT) {
    cpu_stop(c, CPU_EXIT_UNIMPLEMENTED,
             "protected-mode segment load (%s <- %#06x) is not implemented yet",
             (const char *[]){"ES", "CS", "SS", "DS", "FS", "GS"}[s], selector);
    cpu_raise(c, -1, 0);
  }
  c->seg[s].selector = selector;
  c->seg[s].base = (uint32_t)selector << 4;
  if (c->mode == CPU_MODE_V86) {
    c->seg[s].limit = 0xFFFF;
    c->seg[s].attr = (s == CPU_CS ? 0xFB : 0xF3);
  }
  cpu_segment_loaded(c, s);
}

void cpu_load_cs(struct cpu *c, uint16_t selector, uint32_t eip) {
  cpu_load_sreg(c, CPU_CS, selector);
  c->next_eip = eip;
  cpu_end_block(c);
}
