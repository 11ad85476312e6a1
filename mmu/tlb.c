/* mmu/tlb.c - the modeled TLBs and the fast-path mirror of the DTLB.
 *
 * Each TLB (instruction, data) has two set-associative arrays, one per page
 * size (4 KiB; 4 MiB, or 2 MiB with PAE), with LRU replacement inside a set:
 * every use stamps the entry with the TLB's clock, and a fill takes an empty
 * way, else the way with the oldest stamp. Default geometry, a P6 (Intel's
 * P6 family optimization guides; SDM vol. 3, CPUID leaf 2 descriptors 01h,
 * 02h, 03h, 04h):
 *
 *   ITLB  4 KiB: 32 entries, 4-way (8 sets)    4 MiB: 2 entries, fully assoc.
 *   DTLB  4 KiB: 64 entries, 4-way (16 sets)   4 MiB: 8 entries, 4-way (2 sets)
 *
 * The set of a page is its page number (lin >> 12 or lin >> 22/21) modulo
 * the number of sets. Entries stay as filled, whatever the page tables say
 * later, until a flush drops them: stale translations are the point.
 *
 * Flushes do not walk the arrays. An entry records the TLB's two
 * generations when filled: gen_all (bumped by a full flush) and gen_ng
 * (bumped by every flush); it is live if gen_all matches and, unless it is
 * global, gen_ng matches too. A CR3 load bumps gen_ng, a CR4.PGE/PAE/PSE
 * or CR0.PG change bumps both; INVLPG clears the few entries of one page.
 * Generation 0 means empty; when a generation would wrap the arrays are
 * cleared (once every 2^32 flushes). Each TLB also remembers gen_all at
 * its last large-page fill (large_gen_all): while that differs from
 * gen_all the large array holds nothing live, and lookups and INVLPG skip
 * it (a guest of 4 KiB pages never probes it).
 *
 * The CPU's path is mmu_tlb_translate: lookup, walk on a miss and fill in
 * one call (one pass over the set finds the page or the victim), the same
 * counts, stamps and choices as mmu_tlb_lookup, mmu_walk, mmu_tlb_fill.
 *
 * Tagged mode (experimental, not an IA-32 feature): every entry carries the
 * ASID of the CR3 it was filled under (CR3's page-directory base); a
 * lookup matches only entries of the current ASID or global ones, so a CR3
 * load need flush nothing. INVLPG drops the page in every address space.
 *
 * The fast path (mmu_fast_ptr in mmu.h) mirrors the DTLB: its entries are
 * made from live DTLB entries only, and everything that ends a DTLB entry
 * ends its mirrors too: a fill's eviction (exactly, for a 4 KiB victim; by
 * a generation bump of the whole fast cache for a large one), flushes
 * (bump) and INVLPG. The fetch fast path (mmu_ifast_phys) mirrors the
 * ITLB entry used last the same way.
 */
#include "mmu-internal.h"

#include <stdlib.h>
#include <string.h>

static bool is_pow2(unsigned x) { return x && !(x & (x - 1)); }

static int array_set(struct mmu_tlb_array *a, unsigned entries, unsigned ways) {
  if (ways == 0 || entries == 0 || entries % ways || !is_pow2(entries / ways) || entries > 65536)
    return -1;
  struct mmu_tlb_entry *e = calloc(entries, sizeof *e);
  if (!e)
    return -1;
  free(a->e);
  a->e = e;
  a->sets = entries / ways;
  a->ways = ways;
  return 0;
}

int mmu_tlb_configure(struct mmu *m, enum mmu_tlb_which t, unsigned small_entries, unsigned small_ways,
                      unsigned large_entries, unsigned large_ways) {
  struct mmu_tlb *tlb = &m->tlb[t];
  struct mmu_tlb_array s = {0}, l = {0};
  if (array_set(&s, small_entries, small_ways) < 0)
    return -1;
  if (array_set(&l, large_entries, large_ways) < 0) {
    free(s.e);
    return -1;
  }
  free(tlb->small.e);
  free(tlb->large.e);
  tlb->small = s;
  tlb->large = l;
  tlb->gen_all = tlb->gen_ng = 1;
  tlb->large_gen_all = 0;
  mmu_fast_drop_all(m);
  return 0;
}

/* Called by mmu_new: the P6 geometry, empty. */
int mmu_tlb_init(struct mmu *m) {
  m->fast_gen = 1u << 20;
  if (mmu_tlb_configure(m, MMU_ITLB, 32, 4, 2, 2) < 0 || mmu_tlb_configure(m, MMU_DTLB, 64, 4, 8, 4) < 0)
    return -1;
  return 0;
}

void mmu_tlb_fini(struct mmu *m) {
  for (int t = 0; t < 2; t++) {
    free(m->tlb[t].small.e);
    free(m->tlb[t].large.e);
  }
}

void mmu_tlb_set_tagged(struct mmu *m, bool tagged) {
  m->pg.tagged = tagged;
  mmu_tlb_flush_all(m);
}

void mmu_fast_drop_all(struct mmu *m) {
  m->fast_gen += 1u << 20;
  if (m->fast_gen == 0) { /* 4095 bumps: clear for real, start again */
    memset(m->fast, 0, sizeof m->fast);
    memset(m->ifast, 0, sizeof m->ifast);
    m->fast_gen = 1u << 20;
  }
}

/* Large pages: 4 MiB, or 2 MiB with PAE. */
static unsigned large_shift(const struct mmu *m) { return m->pg.pae ? 21 : 22; }

/* Holds a translation not yet flushed (of any address space). */
static bool occupied(const struct mmu_tlb *tlb, const struct mmu_tlb_entry *e) {
  return e->gen_all == tlb->gen_all && ((e->flags & MMU_TLB_G) || e->gen_ng == tlb->gen_ng);
}

/* Usable now: occupied and, in tagged mode, global or of the current ASID. */
static bool live(const struct mmu *m, const struct mmu_tlb *tlb, const struct mmu_tlb_entry *e) {
  return occupied(tlb, e) && (!m->pg.tagged || (e->flags & MMU_TLB_G) || e->asid == m->pg.asid);
}

unsigned mmu_tlb_occupied_entries(const struct mmu *m) {
  unsigned n = 0;
  for (unsigned t = 0; t < 2; t++) {
    const struct mmu_tlb *tlb = &m->tlb[t];
    const struct mmu_tlb_array *arrays[2] = {&tlb->small, &tlb->large};
    for (unsigned k = 0; k < 2; k++)
      for (unsigned j = 0; j < arrays[k]->sets * arrays[k]->ways; j++)
        n += occupied(tlb, &arrays[k]->e[j]);
  }
  return n;
}

struct mmu_tlb_entry *mmu_tlb_lookup(struct mmu *m, enum mmu_tlb_which t, uint32_t lin) {
  struct mmu_tlb *tlb = &m->tlb[t];
  uint32_t page = lin >> MMU_PAGE_SHIFT;
  struct mmu_tlb_array *a = &tlb->small;
  struct mmu_tlb_entry *e = &a->e[(page & (a->sets - 1)) * a->ways], *end = e + a->ways;
  for (; e != end; e++)
    if (e->lin_page == page && live(m, tlb, e))
      goto hit;
  /* The large array is probed only when a large page was filled since the
   * last full flush: otherwise it holds nothing live (4 KiB-only guests,
   * and every miss, skip it). */
  if (tlb->large_gen_all == tlb->gen_all) {
    unsigned sh = large_shift(m);
    uint32_t big = lin >> sh;
    uint32_t first = (big << sh) >> MMU_PAGE_SHIFT;
    a = &tlb->large;
    e = &a->e[(big & (a->sets - 1)) * a->ways];
    for (end = e + a->ways; e != end; e++)
      if (e->lin_page == first && (e->flags & MMU_TLB_LARGE) && live(m, tlb, e))
        goto hit;
  }
  trace_count(m->counters, t == MMU_ITLB ? TRACE_EV_itlb_miss : TRACE_EV_dtlb_miss);
  return NULL;
hit:
  e->lru = ++tlb->clock;
  trace_count(m->counters, t == MMU_ITLB ? TRACE_EV_itlb_hit : TRACE_EV_dtlb_hit);
  return e;
}

/* Drops the fetch fast entries that mirror ITLB entry e. */
static void ifast_drop_entry(struct mmu *m, const struct mmu_tlb_entry *e) {
  for (int k = 0; k < 2; k++)
    if (m->ifast[k].lru == &e->lru)
      m->ifast[k].tag = 0;
}

/* Drops the fast entries that mirror DTLB entry e (being evicted or
 * invalidated). */
static void fast_drop_entry(struct mmu *m, const struct mmu_tlb_entry *e) {
  if (e->flags & MMU_TLB_LARGE) {
    mmu_fast_drop_all(m);
    return;
  }
  unsigned idx = e->lin_page & (MMU_FAST_ENTRIES - 1);
  for (int k = 0; k < 4; k++)
    if (m->fast[k][idx].lru == &e->lru)
      m->fast[k][idx].tag = 0;
}

/* The way of a set (ways entries from e) a fill takes: the first that is
 * empty or flushed, else the one with the oldest stamp (the first such;
 * stamps of occupied ways are distinct anyway: the clock ticks on every
 * use). *evicts: it holds a translation. occupied() spelled out with the
 * generations in registers. */
static inline struct mmu_tlb_entry *victim_in(const struct mmu_tlb *tlb, struct mmu_tlb_entry *e, unsigned ways,
                                              bool *evicts) {
  uint32_t gen_all = tlb->gen_all, gen_ng = tlb->gen_ng;
  struct mmu_tlb_entry *end = e + ways, *victim = e;
  uint64_t oldest = e->lru;
  for (; e != end; e++) {
    if (e->gen_all != gen_all || (e->gen_ng != gen_ng && !(e->flags & MMU_TLB_G))) {
      *evicts = false;
      return e;
    }
    if (e->lru < oldest) {
      oldest = e->lru;
      victim = e;
    }
  }
  *evicts = true;
  return victim;
}

/* Puts a translation (linear page page, first frame phys) into way victim
 * of TLB t (evicts: the way holds a live translation, whose fast-path
 * mirrors go with it). */
static struct mmu_tlb_entry *install(struct mmu *m, enum mmu_tlb_which t, struct mmu_tlb_entry *victim, bool evicts,
                                     uint32_t page, uint32_t phys, uint8_t flags) {
  struct mmu_tlb *tlb = &m->tlb[t];
  if (t == MMU_DTLB) {
    if (evicts)
      fast_drop_entry(m, victim);
  } else {
    ifast_drop_entry(m, victim);
  }
  victim->lru = ++tlb->clock;
  victim->lin_page = page;
  victim->phys_page = phys;
  victim->gen_all = tlb->gen_all;
  victim->gen_ng = tlb->gen_ng;
  victim->asid = m->pg.asid;
  victim->flags = flags;
  return victim;
}

struct mmu_tlb_entry *mmu_tlb_fill(struct mmu *m, enum mmu_tlb_which t, uint32_t lin, const struct mmu_walk *w) {
  struct mmu_tlb *tlb = &m->tlb[t];
  bool large = (w->flags & MMU_TLB_LARGE) != 0;
  struct mmu_tlb_array *a = large ? &tlb->large : &tlb->small;
  uint32_t page, set;
  uint32_t phys = w->phys_page;
  if (large) {
    unsigned sh = large_shift(m);
    uint32_t big = lin >> sh;
    page = (big << sh) >> MMU_PAGE_SHIFT;
    set = big & (a->sets - 1);
    phys -= (lin >> MMU_PAGE_SHIFT) - page; /* the large page's first frame */
    tlb->large_gen_all = tlb->gen_all;
  } else {
    page = lin >> MMU_PAGE_SHIFT;
    set = page & (a->sets - 1);
  }
  bool evicts;
  struct mmu_tlb_entry *victim = victim_in(tlb, &a->e[set * a->ways], a->ways, &evicts);
  return install(m, t, victim, evicts, page, phys, w->flags);
}

/* One pass over a 4 KiB set (ways entries from e) for page: the live entry
 * holding it (returned), else NULL with *empty the first empty or flushed
 * way and *oldest the live way with the oldest stamp (the first such), the
 * way a fill takes as victim_in would choose it. Inline with ways a
 * constant for the common geometries: the loop unrolls. */
static inline __attribute__((always_inline)) struct mmu_tlb_entry *
scan_set(const struct mmu *m, const struct mmu_tlb *tlb, struct mmu_tlb_entry *e, unsigned ways, uint32_t page,
         struct mmu_tlb_entry **empty, struct mmu_tlb_entry **oldest) {
  uint32_t gen_all = tlb->gen_all, gen_ng = tlb->gen_ng;
  struct mmu_tlb_entry *first_empty = NULL, *old = NULL;
  uint64_t old_lru = 0;
  for (unsigned k = 0; k < ways; k++, e++) {
    if (e->gen_all != gen_all || (e->gen_ng != gen_ng && !(e->flags & MMU_TLB_G))) {
      if (!first_empty)
        first_empty = e;
      continue;
    }
    if (e->lin_page == page && (!m->pg.tagged || (e->flags & MMU_TLB_G) || e->asid == m->pg.asid))
      return e;
    if (!old || e->lru < old_lru) {
      old = e;
      old_lru = e->lru;
    }
  }
  *empty = first_empty;
  *oldest = old;
  return NULL;
}

/* Installs fast-path entries of lin's page (linear page number page, 4 KiB
 * frame phys_page) from the DTLB entry with these flags and LRU stamp, as
 * mmu_fast_install describes: for both privileges (priv < 0), or for one
 * (priv 0: supervisor, 1: user). Returns the host address of the page's
 * first byte if an access of kind write (0 or 1) may go through it (RAM;
 * for a write, a page without code), else NULL. */
static inline __attribute__((always_inline)) uint8_t *fast_install(struct mmu *m, uint32_t page, uint32_t phys_page,
                                                                  uint8_t flags, uint64_t *lru, int priv,
                                                                  unsigned write) {
  if (phys_page >= MMU_PHYS_PAGE_LIMIT || m->watch)
    return NULL; /* nothing there, or watching (mmu_set_watch): the slow path */
  uint32_t phys = (phys_page << MMU_PAGE_SHIFT) & m->a20_mask;
  if ((uint64_t)phys + MMU_PAGE_BYTES > m->ram_bytes)
    return NULL; /* ROM, MMIO, nothing: the slow path */
  unsigned idx = page & (MMU_FAST_ENTRIES - 1);
  uint8_t *host = m->ram + phys;
  struct mmu_fast_entry f = {.tag = page | m->fast_gen, .host = host, .lru = lru};
  bool code = m->code_pages[phys >> MMU_PAGE_SHIFT] != 0;
  if (priv <= 0) {
    m->fast[0][idx] = f; /* supervisor read */
    if ((flags & MMU_TLB_D) && !code && mmu_tlb_allows(m, flags, MMU_ACC_WRITE))
      m->fast[1][idx] = f;
  }
  if (priv != 0 && (flags & MMU_TLB_U)) {
    m->fast[2][idx] = f;
    if ((flags & (MMU_TLB_D | MMU_TLB_W)) == (MMU_TLB_D | MMU_TLB_W) && !code)
      m->fast[3][idx] = f;
  }
  return (write && code) ? NULL : host;
}

/* mmu_tlb_lookup, mmu_walk and mmu_tlb_fill in one call, with the counts,
 * stamps and choices of the three. One pass over the 4 KiB set looks for
 * the page and, as victim_in would, for the way a fill takes (the first
 * empty or flushed way, else the oldest stamp); the walk between cannot
 * change the TLB (it writes only A/D bits in memory), so a 4 KiB result
 * goes straight into that way. A large page goes through mmu_tlb_fill.
 * host != NULL (DTLB only): a fill also installs the fast-path entries
 * (fast_install; *host its result for this access). */
static inline __attribute__((always_inline)) enum mmu_tlb_result
translate(struct mmu *m, enum mmu_tlb_which t, uint32_t lin, unsigned access, struct mmu_walk *w,
          struct mmu_tlb_entry **out, uint8_t **host) {
  struct mmu_tlb *tlb = &m->tlb[t];
  uint32_t page = lin >> MMU_PAGE_SHIFT;
  struct mmu_tlb_array *a = &tlb->small;
  struct mmu_tlb_entry *set = &a->e[(page & (a->sets - 1)) * a->ways], *e, *empty, *oldest;
  if (a->ways == 4)
    e = scan_set(m, tlb, set, 4, page, &empty, &oldest);
  else
    e = scan_set(m, tlb, set, a->ways, page, &empty, &oldest);
  if (e)
    goto hit;
  if (tlb->large_gen_all == tlb->gen_all) {
    unsigned sh = large_shift(m);
    uint32_t big = lin >> sh;
    uint32_t first = (big << sh) >> MMU_PAGE_SHIFT;
    struct mmu_tlb_array *l = &tlb->large;
    e = &l->e[(big & (l->sets - 1)) * l->ways];
    for (struct mmu_tlb_entry *end = e + l->ways; e != end; e++)
      if (e->lin_page == first && (e->flags & MMU_TLB_LARGE) && live(m, tlb, e))
        goto hit;
  }
  trace_count(m->counters, t == MMU_ITLB ? TRACE_EV_itlb_miss : TRACE_EV_dtlb_miss);
  if (!mmu_walk(m, lin, access, w)) {
    *out = NULL;
    return MMU_TLB_FAULT;
  }
  if (__builtin_expect((w->flags & MMU_TLB_LARGE) != 0, 0)) {
    e = mmu_tlb_fill(m, t, lin, w);
    if (host)
      *host = fast_install(m, page, w->phys_page, e->flags, &e->lru, (access & MMU_ACC_USER) != 0,
                             access & MMU_ACC_WRITE);
  } else {
    e = install(m, t, empty ? empty : oldest, !empty, page, w->phys_page, w->flags);
    if (host)
      *host = fast_install(m, page, w->phys_page, w->flags, &e->lru, (access & MMU_ACC_USER) != 0,
                             access & MMU_ACC_WRITE);
  }
  *out = e;
  return MMU_TLB_FILLED;
hit:
  e->lru = ++tlb->clock;
  trace_count(m->counters, t == MMU_ITLB ? TRACE_EV_itlb_hit : TRACE_EV_dtlb_hit);
  *out = e;
  return MMU_TLB_HIT;
}

enum mmu_tlb_result mmu_tlb_translate(struct mmu *m, enum mmu_tlb_which t, uint32_t lin, unsigned access,
                                      struct mmu_walk *w, struct mmu_tlb_entry **out) {
  return translate(m, t, lin, access, w, out, NULL);
}

enum mmu_tlb_result mmu_dtlb_translate(struct mmu *m, uint32_t lin, unsigned access, struct mmu_walk *w,
                                       struct mmu_tlb_entry **out, uint8_t **host) {
  return translate(m, MMU_DTLB, lin, access, w, out, host);
}

static void bump(struct mmu *m, bool all) {
  for (int t = 0; t < 2; t++) {
    struct mmu_tlb *tlb = &m->tlb[t];
    if (all)
      tlb->gen_all++;
    tlb->gen_ng++;
    if (tlb->gen_all == 0 || tlb->gen_ng == 0) {
      memset(tlb->small.e, 0, tlb->small.sets * tlb->small.ways * sizeof *tlb->small.e);
      memset(tlb->large.e, 0, tlb->large.sets * tlb->large.ways * sizeof *tlb->large.e);
      tlb->gen_all = tlb->gen_ng = 1;
    }
  }
  mmu_fast_drop_all(m);
}

void mmu_tlb_flush_nonglobal(struct mmu *m) { bump(m, false); }
void mmu_tlb_flush_all(struct mmu *m) { bump(m, true); }

/* Drops the entries of a set (ways entries from e) that hold linear page
 * number page, with their fast-path mirrors. Inline with ways a constant
 * for the common geometries. */
static inline __attribute__((always_inline)) void drop_page_in(struct mmu *m, enum mmu_tlb_which t,
                                                               struct mmu_tlb_entry *e, unsigned ways,
                                                               uint32_t page) {
  for (unsigned w = 0; w < ways; w++)
    if (e[w].gen_all && e[w].lin_page == page) {
      if (t == MMU_DTLB)
        fast_drop_entry(m, &e[w]);
      else
        ifast_drop_entry(m, &e[w]);
      e[w].gen_all = 0;
    }
}

static inline __attribute__((always_inline)) void flush_page_in(struct mmu *m, enum mmu_tlb_which t, uint32_t lin,
                                                                uint32_t page, unsigned sh, uint32_t first) {
  struct mmu_tlb *tlb = &m->tlb[t];
  struct mmu_tlb_array *a = &tlb->small;
  struct mmu_tlb_entry *e = &a->e[(page & (a->sets - 1)) * a->ways];
  if (a->ways == 4)
    drop_page_in(m, t, e, 4, page);
  else
    drop_page_in(m, t, e, a->ways, page);
  if (tlb->large_gen_all != tlb->gen_all)
    return; /* no large entry holds a translation: nothing to drop */
  a = &tlb->large;
  drop_page_in(m, t, &a->e[((lin >> sh) & (a->sets - 1)) * a->ways], a->ways, first);
}

void mmu_tlb_flush_page(struct mmu *m, uint32_t lin) {
  uint32_t page = lin >> MMU_PAGE_SHIFT;
  unsigned sh = large_shift(m);
  uint32_t first = ((lin >> sh) << sh) >> MMU_PAGE_SHIFT;
  flush_page_in(m, MMU_ITLB, lin, page, sh, first);
  flush_page_in(m, MMU_DTLB, lin, page, sh, first);
}

void mmu_tlb_drop(struct mmu *m, enum mmu_tlb_which t, struct mmu_tlb_entry *e) {
  if (t == MMU_DTLB)
    fast_drop_entry(m, e);
  else
    ifast_drop_entry(m, e);
  e->gen_all = 0;
}

uint8_t *mmu_fast_install_for(struct mmu *m, uint32_t lin, struct mmu_tlb_entry *e, unsigned access) {
  uint32_t page = lin >> MMU_PAGE_SHIFT;
  uint32_t phys_page = e->phys_page + (page - e->lin_page); /* large pages: the 4 KiB frame */
  return fast_install(m, page, phys_page, e->flags, &e->lru, (access & MMU_ACC_USER) != 0, access & MMU_ACC_WRITE);
}

void mmu_fast_install(struct mmu *m, uint32_t lin, struct mmu_tlb_entry *e) {
  uint32_t page = lin >> MMU_PAGE_SHIFT;
  uint32_t phys_page = e->phys_page + (page - e->lin_page);
  (void)fast_install(m, page, phys_page, e->flags, &e->lru, -1, 0);
}

void mmu_ifast_install(struct mmu *m, uint32_t lin, struct mmu_tlb_entry *e) {
  uint32_t page = lin >> MMU_PAGE_SHIFT;
  uint32_t phys_page = e->phys_page + (page - e->lin_page);
  if (phys_page >= MMU_PHYS_PAGE_LIMIT)
    return;
  struct mmu_ifast_entry f = {.tag = page | m->fast_gen,
                              .phys_page = ((phys_page << MMU_PAGE_SHIFT) & m->a20_mask) >> MMU_PAGE_SHIFT,
                              .lru = &e->lru};
  m->ifast[0] = f; /* a supervisor fetch may use any entry */
  if (e->flags & MMU_TLB_U)
    m->ifast[1] = f;
}
