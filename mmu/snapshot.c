/* mmu/snapshot.c - the MMU's state in a snapshot (snap/snap.h), RAM aside
 * (the machine compresses that itself, from m->ram):
 *
 *   the A20 mask; the paging state as the CPU set it (PG, WP, PSE, PAE,
 *   PGE, the tagged mode, CR3 and its ASID, the four PDPTEs loaded with
 *   CR3); both modeled TLBs whole: geometry, every entry (pages, flags,
 *   generations, LRU stamps), the LRU clock and the flush generations, so
 *   the restored TLBs hit, miss and evict as the saved ones would; the ROM
 *   ranges (base, size, bytes).
 *
 * Not kept: the host-pointer fast paths (mmu_load drops them; they mirror
 * the DTLB and change only speed), the code-page marks (the CPU's decoded
 * code is dropped with its own section), MMIO ranges (the board's wiring).
 */
#include <stdlib.h>

#include "mmu-internal.h"
#include "snap.h"

#define MMU_SNAP_VERSION 1

static void put_tlb(struct snap_writer *w, const struct mmu_tlb *t) {
  const struct mmu_tlb_array *arr[2] = {&t->small, &t->large};
  for (int a = 0; a < 2; a++) {
    snap_put_u32(w, arr[a]->sets);
    snap_put_u32(w, arr[a]->ways);
    for (unsigned k = 0; k < arr[a]->sets * arr[a]->ways; k++) {
      const struct mmu_tlb_entry *e = &arr[a]->e[k];
      snap_put_u64(w, e->lru);
      snap_put_u32(w, e->lin_page);
      snap_put_u32(w, e->phys_page);
      snap_put_u32(w, e->gen_all);
      snap_put_u32(w, e->gen_ng);
      snap_put_u32(w, e->asid);
      snap_put_u8(w, e->flags);
    }
  }
  snap_put_u64(w, t->clock);
  snap_put_u32(w, t->gen_all);
  snap_put_u32(w, t->gen_ng);
  snap_put_u32(w, t->large_gen_all);
}

static int get_tlb(struct mmu *m, enum mmu_tlb_which which, struct snap_reader *r) {
  unsigned geometry[4];
  struct mmu_tlb_entry *entries[2] = {NULL, NULL};
  for (int a = 0; a < 2; a++) {
    unsigned sets = snap_get_u32(r), ways = snap_get_u32(r);
    geometry[2 * a] = sets * ways;
    geometry[2 * a + 1] = ways;
    if (!snap_ok(r) || !sets || !ways || sets * ways > 1u << 16) {
      snap_fail(r, "a TLB of %u x %u entries", sets, ways);
      break;
    }
    entries[a] = calloc(sets * ways, sizeof *entries[a]);
    if (!entries[a]) {
      snap_fail(r, "out of memory");
      break;
    }
    for (unsigned k = 0; k < sets * ways; k++) {
      struct mmu_tlb_entry *e = &entries[a][k];
      e->lru = snap_get_u64(r);
      e->lin_page = snap_get_u32(r);
      e->phys_page = snap_get_u32(r);
      e->gen_all = snap_get_u32(r);
      e->gen_ng = snap_get_u32(r);
      e->asid = snap_get_u32(r);
      e->flags = snap_get_u8(r);
    }
  }
  uint64_t clock = snap_get_u64(r);
  uint32_t gen_all = snap_get_u32(r), gen_ng = snap_get_u32(r), large_gen_all = snap_get_u32(r);
  if (snap_ok(r) &&
      mmu_tlb_configure(m, which, geometry[0], geometry[1], geometry[2], geometry[3]) != 0)
    snap_fail(r, "a TLB geometry this ringlab refuses");
  if (snap_ok(r)) {
    struct mmu_tlb *t = &m->tlb[which];
    memcpy(t->small.e, entries[0], (size_t)geometry[0] * sizeof *entries[0]);
    memcpy(t->large.e, entries[1], (size_t)geometry[2] * sizeof *entries[1]);
    t->clock = clock;
    t->gen_all = gen_all;
    t->gen_ng = gen_ng;
    t->large_gen_all = large_gen_all;
  }
  free(entries[0]);
  free(entries[1]);
  return snap_ok(r) ? 0 : -1;
}

void mmu_save(const struct mmu *m, struct snap_writer *w) {
  snap_put_u32(w, MMU_SNAP_VERSION);
  snap_put_u32(w, m->ram_bytes);
  snap_put_u32(w, m->a20_mask);
  const struct mmu_paging *p = &m->pg;
  snap_put_bool(w, p->pg);
  snap_put_bool(w, p->wp);
  snap_put_bool(w, p->pse);
  snap_put_bool(w, p->pae);
  snap_put_bool(w, p->pge);
  snap_put_bool(w, p->tagged);
  snap_put_u32(w, p->cr3);
  for (int k = 0; k < 4; k++)
    snap_put_u64(w, p->pdpte[k]);
  snap_put_u32(w, p->asid);
  put_tlb(w, &m->tlb[MMU_ITLB]);
  put_tlb(w, &m->tlb[MMU_DTLB]);
  unsigned roms = 0;
  for (unsigned k = 0; k < m->n_regions; k++)
    roms += m->regions[k].kind == REGION_ROM;
  snap_put_u32(w, roms);
  for (unsigned k = 0; k < m->n_regions; k++)
    if (m->regions[k].kind == REGION_ROM) {
      snap_put_u32(w, m->regions[k].base);
      snap_put_u32(w, m->regions[k].size_bytes);
      snap_put_bytes(w, m->regions[k].rom, m->regions[k].size_bytes);
    }
}

int mmu_load(struct mmu *m, struct snap_reader *r) {
  uint32_t version = snap_get_u32(r);
  if (snap_ok(r) && version != MMU_SNAP_VERSION)
    snap_fail(r, "memory state of version %u (this ringlab reads %u)", version, MMU_SNAP_VERSION);
  uint32_t ram = snap_get_u32(r);
  if (snap_ok(r) && ram != m->ram_bytes)
    snap_fail(r, "%u bytes of RAM, the machine has %u", ram, m->ram_bytes);
  uint32_t a20 = snap_get_u32(r);
  if (snap_ok(r) && a20 != 0xFFFFFFFFu && a20 != ~(1u << 20))
    snap_fail(r, "an A20 mask of 0x%08x", a20);
  struct mmu_paging p = {0};
  p.pg = snap_get_bool(r);
  p.wp = snap_get_bool(r);
  p.pse = snap_get_bool(r);
  p.pae = snap_get_bool(r);
  p.pge = snap_get_bool(r);
  p.tagged = snap_get_bool(r);
  p.cr3 = snap_get_u32(r);
  for (int k = 0; k < 4; k++)
    p.pdpte[k] = snap_get_u64(r);
  p.asid = snap_get_u32(r);
  if (!snap_ok(r) || get_tlb(m, MMU_ITLB, r) != 0 || get_tlb(m, MMU_DTLB, r) != 0)
    return -1;
  uint32_t roms = snap_get_u32(r);
  for (uint32_t k = 0; k < roms && snap_ok(r); k++) {
    uint32_t base = snap_get_u32(r), size = snap_get_u32(r);
    if (!snap_ok(r) || size > r->len - r->pos || size == 0) {
      snap_fail(r, "a ROM of %u bytes", size);
      break;
    }
    const uint8_t *bytes = r->p + r->pos;
    r->pos += size;
    struct mmu_region *have = NULL;
    for (unsigned j = 0; j < m->n_regions; j++)
      if (m->regions[j].kind == REGION_ROM && m->regions[j].base == base && m->regions[j].size_bytes == size)
        have = &m->regions[j];
    if (have)
      memcpy(have->rom, bytes, size);
    else if (mmu_map_rom(m, base, bytes, size) != 0)
      snap_fail(r, "cannot map its ROM at 0x%08x", base);
  }
  if (!snap_ok(r))
    return -1;
  m->a20_mask = a20;
  mmu_set_paging(m, p.pg, p.wp, p.pse, p.pae, p.pge);
  m->pg.tagged = p.tagged;
  m->pg.cr3 = p.cr3;
  memcpy(m->pg.pdpte, p.pdpte, sizeof p.pdpte);
  m->pg.asid = p.asid;
  mmu_fast_drop_all(m);
  return 0;
}
