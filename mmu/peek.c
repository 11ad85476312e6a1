/* mmu/peek.c - a translation that changes nothing: for observers (the gdb
 * stub, snapshots' readers), never for the guest's own accesses.
 *
 * It walks the page tables as the processor would now (CR0.PG, CR4.PSE and
 * PAE, CR3 and the PDPTEs loaded with it, the A20 mask), reading entries
 * straight from RAM: no TLB lookup or fill, no A/D bit written, nothing
 * counted or charged. Rights are not checked (a debugger reads what the
 * kernel could). It answers from the page tables, not from the TLBs: a
 * stale TLB entry the guest has not flushed is not what a debugger shows.
 */
#include "mmu.h"

#define PTE_P 0x001u
#define PTE_PS 0x080u

static bool entry(const struct mmu *m, uint64_t phys, unsigned bytes, uint64_t *out) {
  if (phys + bytes > m->ram_bytes)
    return false;
  const uint8_t *p = m->ram + phys;
  uint64_t v = 0;
  for (unsigned k = bytes; k-- > 0;)
    v = v << 8 | p[k];
  *out = v;
  return (v & PTE_P) != 0;
}

bool mmu_peek_translate(const struct mmu *m, uint32_t lin, uint64_t *phys) {
  uint64_t e;
  if (!m->pg.pg) {
    *phys = lin & m->a20_mask;
    return true;
  }
  if (m->pg.pae) {
    e = m->pg.pdpte[lin >> 30];
    if (!(e & PTE_P) || !entry(m, ((e & 0xFFFFFF000ull) + ((lin >> 21) & 0x1FFu) * 8) & m->a20_mask, 8, &e))
      return false;
    if (e & PTE_PS) {
      *phys = (e & 0xFFFE00000ull) | (lin & 0x1FFFFFu);
      return true;
    }
    if (!entry(m, ((e & 0xFFFFFF000ull) + ((lin >> 12) & 0x1FFu) * 8) & m->a20_mask, 8, &e))
      return false;
    *phys = (e & 0xFFFFFF000ull) | (lin & 0xFFFu);
    return true;
  }
  if (!entry(m, ((m->pg.cr3 & ~0xFFFu) + (lin >> 22) * 4) & m->a20_mask, 4, &e))
    return false;
  if ((e & PTE_PS) && m->pg.pse) {
    *phys = (e & 0xFFC00000u) | (lin & 0x3FFFFFu);
    return true;
  }
  if (!entry(m, ((e & 0xFFFFF000u) + ((lin >> 12) & 0x3FFu) * 4) & m->a20_mask, 4, &e))
    return false;
  *phys = (e & 0xFFFFF000u) | (lin & 0xFFFu);
  return true;
}
