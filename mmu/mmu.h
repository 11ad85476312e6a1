/* mmu/mmu.h - the physical memory map of the emulated machine.
 *
 * The MMU owns guest RAM (one contiguous host allocation starting at physical
 * address 0), ROM ranges, MMIO ranges claimed by devices, the A20 mask and the
 * per-page "holds decoded code" marks that make self-modifying code work.
 * It also owns paging (paging.c: the walks of 2-level, PSE and PAE paging,
 * A/D bits, the #PF error code) and the modeled TLBs (tlb.c); the paging
 * state (PG, WP, PSE, PAE, PGE, CR3, the PDPTEs) is set by the CPU on
 * control-register writes through mmu_set_paging() and mmu_load_cr3().
 * Linear addresses are physical addresses while paging is off.
 *
 * Physical address space as the board will lay it out:
 *
 *   0x00000000 +-------------------------+
 *              | RAM (ram_bytes)         |  direct host pointer, fast path
 *   ram_bytes  +-------------------------+
 *              | unclaimed: reads ~0,    |
 *              | writes ignored          |
 *              | MMIO ranges (devices)   |  read/write callbacks
 *              | ROM ranges (BIOS)       |  host pointer, writes ignored
 *   0xFFFFFFFF +-------------------------+
 *
 * The fast path (mmu_ram_read_ptr, mmu_ram_write_ptr) is inline: a bounds
 * check and, for writes, a check that the page holds no decoded code. All
 * else goes through mmu_read/mmu_write.
 */
#ifndef RINGLAB_MMU_H
#define RINGLAB_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define MMU_PAGE_SHIFT 12
#define MMU_PAGE_BYTES (1u << MMU_PAGE_SHIFT)

struct mmu;

/* A device's view of an MMIO range: offsets are relative to the range. */
struct mmu_mmio_ops {
  uint32_t (*read)(void *ctx, uint32_t offset, unsigned size_bytes);
  void (*write)(void *ctx, uint32_t offset, unsigned size_bytes, uint32_t value);
};

/* Called before a write lands in a page marked as holding decoded code. */
typedef void (*mmu_code_write_fn)(void *ctx, uint32_t phys, unsigned size_bytes);

/* ---- paging and the modeled TLBs (paging.c, tlb.c) ----------------------- */

/* One TLB entry. A page is named by its linear page number (lin >> 12, the
 * first 4 KiB page of a large page). phys_page may lie above 4 GiB (PAE):
 * such a page maps to nothing (reads all ones, writes dropped). The entry is
 * live while gen_all matches its TLB's and, unless global, gen_ng too, and
 * (tagged mode) its asid is the current one or it is global. */
struct mmu_tlb_entry {
  uint64_t lru;        /* TLB clock at the last use: per-set LRU */
  uint32_t lin_page;   /* linear page number (lin >> 12) */
  uint32_t phys_page;  /* physical page number (phys >> 12, up to 24 bits) */
  uint32_t gen_all;    /* TLB gen_all at fill; 0: empty */
  uint32_t gen_ng;     /* TLB gen_ng at fill */
  uint32_t asid;       /* address-space tag (CR3 page base) in tagged mode */
  uint8_t flags;       /* MMU_TLB_* */
};

#define MMU_TLB_U 0x01 /* user accesses allowed (U/S of every level) */
#define MMU_TLB_W 0x02 /* writes allowed (R/W of every level) */
#define MMU_TLB_D 0x04 /* dirty bit known set in the page's entry */
#define MMU_TLB_G 0x08 /* global (PTE.G with CR4.PGE): kept across CR3 loads */
#define MMU_TLB_LARGE 0x10 /* a 4 MiB or 2 MiB page */

/* One array of a TLB: sets x ways, for one page size. */
struct mmu_tlb_array {
  struct mmu_tlb_entry *e; /* sets * ways, set-major */
  unsigned sets;           /* a power of two */
  unsigned ways;
};

struct mmu_tlb {
  struct mmu_tlb_array small; /* 4 KiB pages */
  struct mmu_tlb_array large; /* 4 MiB pages (2 MiB with PAE) */
  uint64_t clock;             /* ticks on every use: the LRU stamps */
  uint32_t gen_all;           /* bumped by a full flush */
  uint32_t gen_ng;            /* bumped by every flush (non-global entries) */
  uint32_t large_gen_all;     /* gen_all at the last large-page fill (0: none): the
                               * large array holds a live entry only if equal */
};

enum mmu_tlb_which { MMU_ITLB, MMU_DTLB };

/* The host-pointer cache of the data-access fast path. It mirrors the DTLB:
 * an entry exists only while the DTLB entry it was made from is live (fills
 * that evict, flushes and INVLPG drop it), so it can never hide a missing
 * flush. Four direct-mapped arrays: supervisor/user x read/write. A write
 * entry exists only when the DTLB entry's D bit is set, the access is
 * allowed, and the page is RAM holding no decoded code. tag is the linear
 * page number | fast_gen (bits 20-31): bumping fast_gen drops every entry. */
#define MMU_FAST_BITS 8
#define MMU_FAST_ENTRIES (1u << MMU_FAST_BITS)
struct mmu_fast_entry {
  uint32_t tag;   /* lin >> 12 | fast_gen, or 0 */
  uint8_t *host;  /* host address of the page's first byte */
  uint64_t *lru;  /* lru of the DTLB entry this mirrors */
};

/* The fetch fast path: the last ITLB translation used, per privilege, under
 * the same rules as the data mirror (dropped with its ITLB entry). */
struct mmu_ifast_entry {
  uint32_t tag;       /* lin >> 12 | fast_gen, or 0 */
  uint32_t phys_page; /* below 4 GiB */
  uint64_t *lru;      /* lru of the ITLB entry this mirrors */
};

/* Paging state, as the CPU's control registers set it. */
struct mmu_paging {
  bool pg;             /* CR0.PG */
  bool wp;             /* CR0.WP */
  bool pse;            /* CR4.PSE */
  bool pae;            /* CR4.PAE */
  bool pge;            /* CR4.PGE */
  bool tagged;         /* experimental: ASID-tagged TLB entries */
  uint32_t cr3;
  uint64_t pdpte[4];   /* PAE: loaded with CR3 */
  uint32_t asid;       /* current tag: CR3's page-directory base */
};

struct mmu {
  uint8_t *ram;                  /* host copy of guest RAM */
  uint32_t ram_bytes;            /* multiple of MMU_PAGE_BYTES */
  uint32_t a20_mask;             /* 0xFFFFFFFF, or bit 20 clear when A20 is off */
  uint8_t *code_pages;           /* per RAM page: nonzero if decoded code lives there */
  mmu_code_write_fn code_write;  /* invalidation hook of the code cache */
  void *code_write_ctx;
  struct mmu_region *regions;    /* MMIO and ROM ranges, sorted by base */
  unsigned n_regions;

  uint32_t direct_bytes;         /* ram_bytes with paging off, 0 with it on (or watching) */
  bool watch;                    /* mmu_set_watch: no host pointer for data accesses */
  bool paging;                   /* CR0.PG: the fast path below is in use */
  uint32_t fast_gen;             /* current tag bits 20-31 of fast entries */
  struct mmu_fast_entry fast[4][MMU_FAST_ENTRIES]; /* [user * 2 + write] */
  struct mmu_ifast_entry ifast[2]; /* [user] */
  struct mmu_paging pg;
  struct mmu_tlb tlb[2];         /* MMU_ITLB, MMU_DTLB */
  /* Where the MMU counts its events (TLB hits and misses, page walks, A/D
   * updates): the CPU's counters once it calls mmu_set_counters, until then
   * own_counters. */
  struct trace_counters *counters;
  struct trace_counters own_counters;
};

/* Creates a machine memory of ram_bytes (rounded up to a page). Returns NULL
 * and sets errno on allocation failure. */
struct mmu *mmu_new(uint32_t ram_bytes);
void mmu_free(struct mmu *m);

/* Claims [base, base + size_bytes) for a device. Fails (returns -1) on an
 * overlap with RAM or another range. */
int mmu_map_mmio(struct mmu *m, uint32_t base, uint32_t size_bytes,
                 const struct mmu_mmio_ops *ops, void *ctx);
/* Gives back the MMIO range that starts at base (a device that moves, as
 * the local APIC's page when IA32_APIC_BASE changes). Returns -1 if no MMIO
 * range starts there. */
int mmu_unmap_mmio(struct mmu *m, uint32_t base);
/* Maps a read-only copy of image at base. */
int mmu_map_rom(struct mmu *m, uint32_t base, const void *image, uint32_t size_bytes);

void mmu_set_a20(struct mmu *m, bool enabled);
/* Makes the MMU count its events into c (NULL: back into its own). */
void mmu_set_counters(struct mmu *m, struct trace_counters *c);
void mmu_set_code_write_hook(struct mmu *m, mmu_code_write_fn fn, void *ctx);

/* Generic physical access, any address, any alignment, 1, 2 or 4 bytes.
 * The address is taken as is (the A20 mask is applied by the caller that
 * forms physical addresses from linear ones, mmu_phys()). */
uint32_t mmu_read(struct mmu *m, uint32_t phys, unsigned size_bytes);
void mmu_write(struct mmu *m, uint32_t phys, unsigned size_bytes, uint32_t value);

/* Copies between host buffers and guest physical memory (loaders, tests). */
int mmu_copy_to_guest(struct mmu *m, uint32_t phys, const void *src, size_t n);
int mmu_copy_from_guest(struct mmu *m, uint32_t phys, void *dst, size_t n);

/* Pointer into RAM or ROM for code fetch of up to n bytes within one page, or
 * NULL if the range is not backed by memory. */
const uint8_t *mmu_code_ptr(struct mmu *m, uint32_t phys, unsigned n);

/* Watch mode (the CPU's data breakpoints, DR7): the CPU's data-access fast
 * paths find no host pointer (direct_bytes 0, no fast-path entry installed,
 * those there dropped), so every data access takes the CPU's slow path,
 * where its linear address can be compared. Off, it costs nothing: the fast
 * paths test what they always tested. Instruction fetch is not affected. */
void mmu_set_watch(struct mmu *m, bool on);

/* Marks or clears a RAM page as holding decoded code. */
void mmu_mark_code_page(struct mmu *m, uint32_t phys_page, bool holds_code);

static inline uint32_t mmu_phys(const struct mmu *m, uint32_t linear) {
  return linear & m->a20_mask;
}

/* Fast path for reads: a host pointer if [phys, phys + n) is in RAM. */
static inline const uint8_t *mmu_ram_read_ptr(const struct mmu *m, uint32_t phys, unsigned n) {
  if (__builtin_expect((uint64_t)phys + n <= m->ram_bytes, 1))
    return m->ram + phys;
  return NULL;
}

/* Fast path for writes: a host pointer if [phys, phys + n) is in RAM and no
 * page it touches holds decoded code. */
static inline uint8_t *mmu_ram_write_ptr(const struct mmu *m, uint32_t phys, unsigned n) {
  if (__builtin_expect((uint64_t)phys + n <= m->ram_bytes, 1) &&
      __builtin_expect(!(m->code_pages[phys >> MMU_PAGE_SHIFT] |
                         m->code_pages[(phys + n - 1) >> MMU_PAGE_SHIFT]), 1))
    return m->ram + phys;
  return NULL;
}

/* The CPU's fast path with paging off: a host pointer for n bytes at linear
 * address lin (one page) if they are in RAM (for writes: in a page without
 * code); always NULL with paging on (direct_bytes is then 0), so the paged
 * path costs the unpaged one nothing. */
static inline const uint8_t *mmu_direct_read_ptr(const struct mmu *m, uint32_t lin, unsigned n) {
  uint32_t phys = lin & m->a20_mask;
  if (__builtin_expect((uint64_t)phys + n <= m->direct_bytes, 1))
    return m->ram + phys;
  return NULL;
}

static inline uint8_t *mmu_direct_write_ptr(const struct mmu *m, uint32_t lin, unsigned n) {
  uint32_t phys = lin & m->a20_mask;
  if (__builtin_expect((uint64_t)phys + n <= m->direct_bytes, 1) &&
      __builtin_expect(!(m->code_pages[phys >> MMU_PAGE_SHIFT] |
                         m->code_pages[(phys + n - 1) >> MMU_PAGE_SHIFT]), 1))
    return m->ram + phys;
  return NULL;
}

/* ---- paging ---------------------------------------------------------------- */

/* Access kinds of a translation (bits). */
#define MMU_ACC_WRITE 0x1u /* a write (else a read) */
#define MMU_ACC_USER 0x2u  /* a user-mode access (CPL 3, not a system access) */
#define MMU_ACC_EXEC 0x4u  /* an instruction fetch: goes through the ITLB */

/* #PF error code bits (SDM vol. 3, 4.7). */
#define MMU_PF_P 0x1u    /* 0: not present; 1: protection */
#define MMU_PF_W 0x2u    /* the access was a write */
#define MMU_PF_U 0x4u    /* the access was a user-mode access */
#define MMU_PF_RSVD 0x8u /* a reserved bit was set in a paging entry */

/* A physical page number at or above this lies above 4 GiB: nothing there. */
#define MMU_PHYS_PAGE_LIMIT 0x100000u

/* The result of a page walk. */
#define MMU_WALK_AD_MAX 2 /* entries a walk can write A/D bits in (PDE, PTE) */
struct mmu_walk {
  uint32_t phys_page;  /* of the 4 KiB page holding lin */
  uint8_t flags;       /* MMU_TLB_* for the TLB entry */
  unsigned reads;      /* paging-structure entries read from memory */
  uint32_t error;      /* #PF error code when the walk faults */
  unsigned ad_updates; /* entries whose A/D bits it wrote (counted as ad_update) */
  uint32_t ad_entry[MMU_WALK_AD_MAX]; /* their physical addresses, for the trace */
};

/* Sets the paging state from CR0.PG/WP and CR4.PSE/PAE/PGE. Does not flush
 * (the CPU decides which writes flush) and does not load PDPTEs. */
void mmu_set_paging(struct mmu *m, bool pg, bool wp, bool pse, bool pae, bool pge);
/* Reads the four PDPTEs of PAE paging for CR3 value cr3. Returns false
 * (loading nothing) if one that is present sets a reserved bit: the CPU
 * raises #GP(0). On success they are in force and mmu->pg.cr3 = cr3. */
bool mmu_load_pdptes(struct mmu *m, uint32_t cr3);
/* Sets CR3 (the walk's root and, in tagged mode, the current ASID, whose
 * change drops the fast-path entries). Flushes no TLB entry: the caller
 * decides (mmu_tlb_flush_nonglobal, as MOV CR3 does). */
void mmu_set_cr3(struct mmu *m, uint32_t cr3);
/* Walks the page tables for lin and access (MMU_ACC_*). Returns true with
 * *w filled and the A (and for writes D) bits set in memory, or false with
 * w->error the #PF error code (no bit written). w->reads counts the
 * memory reads either way. Counts a page walk, and an A/D update per entry
 * whose bits it writes. */
bool mmu_walk(struct mmu *m, uint32_t lin, unsigned access, struct mmu_walk *w);
/* Is an access allowed by a TLB entry's rights (U/S, R/W with CR0.WP)? */
static inline bool mmu_tlb_allows(const struct mmu *m, uint8_t flags, unsigned access) {
  if ((access & MMU_ACC_USER) && !(flags & MMU_TLB_U))
    return false;
  if ((access & MMU_ACC_WRITE) && !(flags & MMU_TLB_W) && ((access & MMU_ACC_USER) || m->pg.wp))
    return false;
  return true;
}

/* Snapshots (snapshot.c, snap/snap.h): the A20 mask, paging state, both
 * TLBs whole and the ROMs, RAM aside; load: 0, or -1 with the reader
 * failed and saying why. */
struct snap_writer;
struct snap_reader;
void mmu_save(const struct mmu *m, struct snap_writer *w);
int mmu_load(struct mmu *m, struct snap_reader *r);

/* For observers (a debugger): lin's physical address as a walk of the
 * page tables would find it now, changing nothing (no TLB use, no A/D
 * bit, nothing counted); rights not checked. false if not mapped (peek.c). */
bool mmu_peek_translate(const struct mmu *m, uint32_t lin, uint64_t *phys);

/* ---- the modeled TLBs (tlb.c) ---------------------------------------------- */

/* Sets a TLB's geometry: entries and ways of the 4 KiB array and of the
 * large-page array. entries must be a multiple of ways and entries / ways a
 * power of two (ways == entries: fully associative). Empties the TLB.
 * Returns 0, or -1 (geometry unchanged) if invalid or out of memory.
 * Default (a P6): ITLB 32 entries 4-way + 2 fully associative; DTLB 64
 * 4-way + 8 4-way. */
int mmu_tlb_configure(struct mmu *m, enum mmu_tlb_which t, unsigned small_entries, unsigned small_ways,
                      unsigned large_entries, unsigned large_ways);
/* Experimental tagged TLB: entries carry the ASID of the CR3 they were
 * filled under, and a CR3 load flushes nothing. */
void mmu_tlb_set_tagged(struct mmu *m, bool tagged);
/* The live entry of TLB t for lin (4 KiB array first, then large), its LRU
 * stamp updated; or NULL. Counts a hit or a miss of TLB t. */
struct mmu_tlb_entry *mmu_tlb_lookup(struct mmu *m, enum mmu_tlb_which t, uint32_t lin);
/* Fills TLB t with the translation of lin from a walk, evicting the set's
 * least recently used entry (and dropping fast entries that mirrored it). */
struct mmu_tlb_entry *mmu_tlb_fill(struct mmu *m, enum mmu_tlb_which t, uint32_t lin, const struct mmu_walk *w);
/* mmu_tlb_lookup, mmu_walk and mmu_tlb_fill in one call, the CPU's
 * translation path (the same counts, stamps and choices): looks lin up in
 * TLB t (a hit: *e, stamped, counted); on a miss (counted) walks the page
 * tables for access (mmu_walk into *w) and, if the walk succeeds, fills
 * TLB t with its result (*e) exactly as mmu_tlb_fill would; if it faults,
 * *e = NULL and w->error is the #PF error code. */
enum mmu_tlb_result { MMU_TLB_HIT, MMU_TLB_FILLED, MMU_TLB_FAULT };
enum mmu_tlb_result mmu_tlb_translate(struct mmu *m, enum mmu_tlb_which t, uint32_t lin, unsigned access,
                                      struct mmu_walk *w, struct mmu_tlb_entry **e);
/* mmu_tlb_translate for the DTLB with the fast-path install folded in (the
 * CPU's data accesses): a fill also does what mmu_fast_install_for(m, lin,
 * *e, access) would and sets *host to its result; a hit or a fault leaves
 * *host alone (a hit's rights are the caller's to check before it installs
 * with mmu_fast_install_for). */
enum mmu_tlb_result mmu_dtlb_translate(struct mmu *m, uint32_t lin, unsigned access, struct mmu_walk *w,
                                       struct mmu_tlb_entry **e, uint8_t **host);
/* Flushes: non-global entries (CR3 load), everything (CR4.PGE/PAE/PSE or
 * CR0.PG change), or the entries of every size holding lin in both TLBs
 * (INVLPG, and a page fault on lin). The first two bump generations. */
void mmu_tlb_flush_nonglobal(struct mmu *m);
void mmu_tlb_flush_all(struct mmu *m);
void mmu_tlb_flush_page(struct mmu *m, uint32_t lin);
/* Entries holding a translation not yet flushed, in both TLBs (any address
 * space): what a flush drops is the difference before and after (trace
 * records; a scan, so only when recording). */
unsigned mmu_tlb_occupied_entries(const struct mmu *m);
/* Drops one entry of TLB t (and its fast-path mirrors). */
void mmu_tlb_drop(struct mmu *m, enum mmu_tlb_which t, struct mmu_tlb_entry *e);
/* Installs fast-path entries for data accesses to lin's page from DTLB
 * entry e (read for any access, write when allowed and dirty). */
void mmu_fast_install(struct mmu *m, uint32_t lin, struct mmu_tlb_entry *e);
/* The same for the privilege of access only (MMU_ACC_USER: the user read
 * and write entries, else the supervisor ones: which entries exist changes
 * nothing but speed, a fast-path hit being counted and stamped as a DTLB
 * hit is), returning the host address of lin's page (its first byte) for
 * an access of kind access (MMU_ACC_WRITE or not) that e allows: the page
 * in RAM and, for a write, holding no decoded code; else NULL (ROM, MMIO,
 * nothing, above 4 GiB, a write to a code page: mmu_read/mmu_write). */
uint8_t *mmu_fast_install_for(struct mmu *m, uint32_t lin, struct mmu_tlb_entry *e, unsigned access);
/* Remembers ITLB entry e as the fetch fast path for lin's page. */
void mmu_ifast_install(struct mmu *m, uint32_t lin, struct mmu_tlb_entry *e);
/* Drops every fast-path entry (O(1): a generation bump). */
void mmu_fast_drop_all(struct mmu *m);

/* Data fast path with paging on: a host pointer for an access that lies in
 * one page, or NULL (then the slow path consults the DTLB). A hit counts as
 * a use of its DTLB entry for LRU, and as a dtlb_hit (one increment).
 * user is 1 for CPL 3, write 1 for a write. Always inlined: with the
 * counter GCC would otherwise make it a call (README, "Counters"). */
static inline __attribute__((always_inline)) uint8_t *mmu_fast_ptr(struct mmu *m, uint32_t lin, unsigned user,
                                                                 unsigned write) {
  struct mmu_fast_entry *f = &m->fast[user * 2 + write][(lin >> MMU_PAGE_SHIFT) & (MMU_FAST_ENTRIES - 1)];
  if (__builtin_expect(f->tag == ((lin >> MMU_PAGE_SHIFT) | m->fast_gen), 1)) {
    *f->lru = ++m->tlb[MMU_DTLB].clock;
    trace_count(m->counters, TRACE_EV_dtlb_hit);
    return f->host + (lin & (MMU_PAGE_BYTES - 1));
  }
  return NULL;
}

/* mmu_fast_ptr for `uses` accesses to one page in a row (an interrupt
 * frame, a descriptor's two dwords) made with one look-up: the clock
 * advanced and the hits counted as `uses` look-ups of the same entry would
 * leave them (each stamps the entry's LRU with ++clock, so only the last
 * stamp survives). NULL, nothing counted, on a miss. */
static inline __attribute__((always_inline)) uint8_t *mmu_fast_ptr_uses(struct mmu *m, uint32_t lin, unsigned user,
                                                                      unsigned write, unsigned uses) {
  struct mmu_fast_entry *f = &m->fast[user * 2 + write][(lin >> MMU_PAGE_SHIFT) & (MMU_FAST_ENTRIES - 1)];
  if (f->tag != ((lin >> MMU_PAGE_SHIFT) | m->fast_gen))
    return NULL;
  m->tlb[MMU_DTLB].clock += uses;
  *f->lru = m->tlb[MMU_DTLB].clock;
  for (unsigned k = 0; k < uses; k++)
    trace_count(m->counters, TRACE_EV_dtlb_hit);
  return f->host + (lin & (MMU_PAGE_BYTES - 1));
}

/* Fetch fast path with paging on: true with *phys if lin's page is the last
 * one the ITLB translated for this privilege (an ITLB hit, LRU updated,
 * itlb_hit counted). */
static inline __attribute__((always_inline)) bool mmu_ifast_phys(struct mmu *m, uint32_t lin, unsigned user,
                                                                uint32_t *phys) {
  struct mmu_ifast_entry *f = &m->ifast[user];
  if (__builtin_expect(f->tag == ((lin >> MMU_PAGE_SHIFT) | m->fast_gen), 1)) {
    *f->lru = ++m->tlb[MMU_ITLB].clock;
    trace_count(m->counters, TRACE_EV_itlb_hit);
    *phys = (f->phys_page << MMU_PAGE_SHIFT) | (lin & (MMU_PAGE_BYTES - 1));
    return true;
  }
  return false;
}

#endif
