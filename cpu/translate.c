/* cpu/translate.c - linear to physical address translation for the CPU:
 * the modeled TLBs, the page walk on a miss, #PF.
 *
 * With paging on (cpu_translate), SDM vol. 3, 4.10:
 *
 *   TLB hit   the entry's rights (U/S, R/W with CR0.WP) decide; a denied
 *             access is a #PF (P = 1). Every #PF drops the page's entries
 *             from both TLBs, as SDM 4.10.4.1 says a page fault does. A write
 *             through an entry whose D bit is not known set walks again to
 *             set it (counted as a page walk, not as a miss), as P6
 *             processors do (a dirty-bit assist).
 *   miss      counted (dtlb_miss, itlb_miss: mmu_tlb_translate) and charged
 *             (tlb_fill); the walk is counted (page_walk) and every entry it
 *             reads charged (page_walk_access); a walk that faults sets CR2
 *             and raises #PF with its error code, filling nothing (TLBs do
 *             not hold not-present translations); one that succeeds fills
 *             the TLB (LRU victim).
 *   data hit  or fill then installs the host-cache entries (mmu_fast_install;
 *             for the data accesses the fast path missed, cpu_read_paged
 *             and cpu_write_paged, the fill's install is part of
 *             mmu_dtlb_translate, which hands back the page's host address
 *             as well).
 */
#include "cpu-internal.h"

/* A page fault drops the TLB entries of the page (SDM 4.10.4.1: "a
 * page-fault exception ... will invalidate any TLB entries that are for a
 * page number corresponding to that linear address"), in both TLBs. */
_Noreturn static void page_fault(struct cpu *c, uint32_t lin, uint32_t error) {
  bool want = cpu_trace_wants(c, TRACE_EV_tlb_flush_page_fault); /* the scans only then */
  unsigned before = want ? mmu_tlb_occupied_entries(c->mem) : 0;
  mmu_tlb_flush_page(c->mem, lin);
  cpu_count_with(c, TRACE_EV_tlb_flush_page_fault, 2, lin, want ? before - mmu_tlb_occupied_entries(c->mem) : 0,
                 0);
  c->cr[2] = lin;
  cpu_raise(c, CPU_EXC_PF, error);
}

static uint32_t pf_error(unsigned access, uint32_t kind) {
  return kind | ((access & MMU_ACC_WRITE) ? MMU_PF_W : 0) | ((access & MMU_ACC_USER) ? MMU_PF_U : 0);
}

/* Charges a walk made (mmu_walk counts it and its A/D updates; they are
 * recorded here, where the CPU's site is known). */
static void charge_walk(struct cpu *c, uint32_t lin, const struct mmu_walk *w) {
  for (unsigned k = 0; k < w->reads; k++)
    cpu_charge(c, CPU_TEV_page_walk_access);
  if (cpu_trace_wants(c, TRACE_EV_page_walk) || cpu_trace_wants(c, TRACE_EV_ad_update)) {
    const uint32_t f[2] = {lin, w->reads};
    cpu_trace_record_fields(c, TRACE_EV_page_walk, 2, f);
    for (unsigned k = 0; k < w->ad_updates; k++)
      cpu_trace_record_fields(c, TRACE_EV_ad_update, 1, &w->ad_entry[k]);
  }
}

/* One walk, charged. */
static bool walk(struct cpu *c, uint32_t lin, unsigned access, struct mmu_walk *w) {
  bool ok = mmu_walk(c->mem, lin, access, w);
  charge_walk(c, lin, w);
  return ok;
}

/* The record of a TLB miss (counted by mmu_tlb_translate): the address, the
 * entries its walk read and the cycles the miss cost. */
static void record_miss(struct cpu *c, enum mmu_tlb_which t, uint32_t lin, const struct mmu_walk *w,
                        cycles_t cost) {
  const uint32_t f[3] = {lin, w->reads, (uint32_t)cost};
  cpu_trace_record_fields(c, t == MMU_ITLB ? TRACE_EV_itlb_miss : TRACE_EV_dtlb_miss, 3, f);
}

/* Forced inline: one copy raising (cpu_translate), one not, and one for
 * the slow data accesses (host != NULL: the DTLB path with the fast-path
 * install folded into the fill, mmu_dtlb_translate, and *host the host
 * address of lin's page for this access, or NULL). */
static inline __attribute__((always_inline)) bool translate(struct cpu *c, uint32_t lin, unsigned access,
                                                            uint64_t *phys, bool raise, uint8_t **host) {
  struct mmu *m = c->mem;
  enum mmu_tlb_which t = (!host && (access & MMU_ACC_EXEC)) ? MMU_ITLB : MMU_DTLB;
  struct mmu_walk w;
  struct mmu_tlb_entry *e;
  /* Lookup, and on a miss walk and fill, in one MMU call; the miss is
   * charged after it (nothing in between reads the cycle counter). */
  enum mmu_tlb_result r =
      host ? mmu_dtlb_translate(m, lin, access, &w, &e, host) : mmu_tlb_translate(m, t, lin, access, &w, &e);
  if (r != MMU_TLB_HIT) {
    cycles_t start = c->cycles;
    cpu_charge(c, CPU_TEV_tlb_fill); /* the miss is counted by mmu_tlb_translate */
    charge_walk(c, lin, &w);
    if (cpu_trace_wants(c, t == MMU_ITLB ? TRACE_EV_itlb_miss : TRACE_EV_dtlb_miss))
      record_miss(c, t, lin, &w, c->cycles - start);
    if (r == MMU_TLB_FAULT) {
      if (!raise)
        return false;
      page_fault(c, lin, w.error);
    }
  } else {
    if (unlikely(!mmu_tlb_allows(m, e->flags, access))) {
      if (!raise)
        return false;
      page_fault(c, lin, pf_error(access, MMU_PF_P));
    }
    if ((access & MMU_ACC_WRITE) && !(e->flags & MMU_TLB_D)) {
      if (!walk(c, lin, access, &w)) {
        if (!raise)
          return false;
        page_fault(c, lin, w.error);
      }
      mmu_tlb_drop(m, t, e); /* the re-walked translation replaces it */
      e = mmu_tlb_fill(m, t, lin, &w);
    }
    if (host)
      *host = mmu_fast_install_for(m, lin, e, access);
  }
  if (!host) {
    if (t == MMU_DTLB)
      mmu_fast_install(m, lin, e);
    else
      mmu_ifast_install(m, lin, e);
  } else if (likely(*host != NULL)) {
    return true; /* RAM: the physical address is not needed */
  }
  uint64_t page = (uint64_t)e->phys_page + ((lin >> MMU_PAGE_SHIFT) - e->lin_page);
  uint64_t pa = (page << MMU_PAGE_SHIFT) | (lin & (MMU_PAGE_BYTES - 1));
  *phys = pa < 0x100000000ull ? (pa & m->a20_mask) : pa;
  return true;
}

uint64_t cpu_translate(struct cpu *c, uint32_t lin, unsigned access) {
  if (!c->mem->paging)
    return mmu_phys(c->mem, lin);
  uint64_t pa = 0;
  translate(c, lin, access, &pa, true, NULL);
  return pa;
}

bool cpu_translate_try(struct cpu *c, uint32_t lin, unsigned access, uint64_t *phys) {
  if (!c->mem->paging) {
    *phys = mmu_phys(c->mem, lin);
    return true;
  }
  return translate(c, lin, access, phys, false, NULL);
}

/* The data accesses the inline fast path (cpu_read, cpu_write) missed with
 * paging on: here rather than in memory.c so that the translation inlines
 * into them (the TLB-miss path of TLB-bound guests is a chain of calls). */
static inline __attribute__((always_inline)) uint8_t *translate_data(struct cpu *c, uint32_t lin, unsigned access,
                                                                    uint64_t *phys) {
  uint8_t *host = NULL;
  translate(c, lin, access, phys, true, &host);
  return host ? host + (lin & (MMU_PAGE_BYTES - 1)) : NULL;
}

/* Data breakpoints (debug.c): in the MMU's watch mode no host pointer is
 * handed out, so every access comes to the branch without one, where the
 * check costs the common case nothing. */
uint32_t cpu_read_paged(struct cpu *c, uint32_t lin, unsigned n) {
  uint64_t pa;
  const uint8_t *p = translate_data(c, lin, cpu_acc_user(c), &pa);
  if (likely(p != NULL))
    return cpu_ld_le(p, n);
  if (unlikely(c->dbg_data))
    cpu_debug_data(c, lin, n, false);
  return cpu_phys_read(c, pa, n);
}

void cpu_write_paged(struct cpu *c, uint32_t lin, unsigned n, uint32_t v) {
  uint64_t pa;
  uint8_t *p = translate_data(c, lin, MMU_ACC_WRITE | cpu_acc_user(c), &pa);
  if (likely(p != NULL)) {
    cpu_st_le(p, n, v);
    return;
  }
  if (unlikely(c->dbg_data))
    cpu_debug_data(c, lin, n, true);
  cpu_phys_write(c, pa, n, v);
}
