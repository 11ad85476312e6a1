/* mmu/paging.c - page walks: 2-level paging with 4 KiB and 4 MiB (PSE)
 * pages, PAE paging with 4 KiB and 2 MiB pages (SDM vol. 3, chapter 4).
 *
 *   2-level:  CR3 --> PD[lin 31:22] --PS=0--> PT[lin 21:12] --> 4 KiB page
 *                                   --PS=1 (CR4.PSE)--------> 4 MiB page
 *   PAE:      PDPTE[lin 31:30] (loaded with CR3) --> PD[lin 29:21]
 *                                   --PS=0--> PT[lin 20:12] --> 4 KiB page
 *                                   --PS=1--------------------> 2 MiB page
 *
 * A walk reads one entry per level from physical memory (the PDPTEs are
 * registers, loaded by MOV to CR3 and when PAE paging is turned on: each
 * read is a page_walk_access for the timing model). It stops at the first
 * entry that is not present (#PF, P = 0) or sets a reserved bit (#PF,
 * P = 1, RSVD = 1), then checks the rights of the whole path (4.6):
 *
 *   user access (CPL 3, not a system access): U/S = 1 at every level;
 *     a user write also needs R/W = 1 at every level;
 *   supervisor write: R/W = 1 at every level if CR0.WP = 1, else anything;
 *   supervisor read or fetch: anything (no SMEP, no NX on a P6).
 *
 * Only a walk that succeeds writes A/D bits (4.8): the accessed flag of every
 * entry used that lacks it, and for a write the dirty flag of the entry that
 * maps the page; the update writes the entry's low dword.
 *
 * Reserved bits (4.3, 4.4.2) as a P6 without PSE-36 and PAT, whose
 * MAXPHYADDR is 36 with PAE:
 *   2-level with CR4.PSE = 1: bits 21:12 of a 4 MiB PDE; bit 7 of a PTE
 *     (PAT is not supported). With CR4.PSE = 0 nothing is reserved.
 *   PAE: bits 63:36 of every entry (XD is reserved: no NX); bits 20:12 of a
 *     2 MiB PDE and bit 7 of a PTE (no PAT); in a PDPTE also bits 2:1 and
 *     8:5 (MOV to CR3 and CR0/CR4 then raise #GP(0), mmu_load_pdptes).
 *
 * Physical addresses above 4 GiB (PAE entries may hold 36-bit frames): this
 * machine has nothing there. A page there reads as all ones and ignores
 * writes; a paging structure there reads as all ones too, which sets
 * reserved bits, so a walk through it faults with RSVD.
 */
#include "mmu.h"

#define PTE_P 0x001u   /* present */
#define PTE_W 0x002u   /* read/write */
#define PTE_U 0x004u   /* user/supervisor */
#define PTE_A 0x020u   /* accessed */
#define PTE_D 0x040u   /* dirty */
#define PTE_PS 0x080u  /* page size (PDE); PAT (PTE), reserved here */
#define PTE_G 0x100u   /* global */

#define PSE_PDE_RSVD 0x003FF000u         /* 4 MiB PDE bits 21:12 */
#define PAE_RSVD 0xFFFFFFF000000000ull   /* bits 63:36 */
#define PAE_PDE2M_RSVD 0x1FF000ull       /* 2 MiB PDE bits 20:12 */
#define PAE_PDPTE_RSVD (PAE_RSVD | 0x1E6ull) /* 63:36, 8:5, 2:1 */
#define PAE_FRAME 0x0000000FFFFFF000ull  /* bits 35:12 */

/* A little-endian dword of host memory (GCC makes this one load). */
static inline uint32_t ld32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads a paging-structure entry (8 bytes with PAE, else 4). Entries are
 * naturally aligned, so with the A20 mask applied to the first dword the
 * second follows it; in RAM (every walk of a sane guest) the entry is read
 * through the host pointer, anything else (ROM, MMIO, unclaimed) through
 * mmu_read as before. */
static inline uint64_t read_entry(struct mmu *m, uint64_t addr, bool pae) {
  if (addr >= 0x100000000ull)
    return ~0ull;
  uint32_t a = (uint32_t)addr & m->a20_mask;
  const uint8_t *p = mmu_ram_read_ptr(m, a, pae ? 8 : 4);
  if (__builtin_expect(p != NULL, 1))
    return pae ? ld32(p) | (uint64_t)ld32(p + 4) << 32 : ld32(p);
  uint64_t v = mmu_read(m, a, 4);
  if (pae)
    v |= (uint64_t)mmu_read(m, (a + 4) & m->a20_mask, 4) << 32;
  return v;
}

/* Sets bits in the low dword of the entry at addr (A/D updates). */
static void set_bits(struct mmu *m, struct mmu_walk *w, uint64_t addr, uint64_t entry, uint32_t bits) {
  if ((entry & bits) == bits || addr >= 0x100000000ull)
    return;
  trace_count(m->counters, TRACE_EV_ad_update);
  if (w->ad_updates < MMU_WALK_AD_MAX)
    w->ad_entry[w->ad_updates++] = (uint32_t)addr & m->a20_mask;
  mmu_write(m, (uint32_t)addr & m->a20_mask, 4, (uint32_t)entry | bits);
}

void mmu_set_paging(struct mmu *m, bool pg, bool wp, bool pse, bool pae, bool pge) {
  if (wp != m->pg.wp || pg != m->pg.pg)
    mmu_fast_drop_all(m); /* supervisor write entries depend on WP */
  m->pg.pg = pg;
  m->pg.wp = wp;
  m->pg.pse = pse;
  m->pg.pae = pae;
  m->pg.pge = pge;
  m->paging = pg;
  m->direct_bytes = pg || m->watch ? 0 : m->ram_bytes;
}

void mmu_set_cr3(struct mmu *m, uint32_t cr3) {
  m->pg.cr3 = cr3;
  m->pg.asid = cr3 & ~0xFFFu;
  /* The fast path is keyed by linear page only: in tagged mode a new ASID
   * makes the current one's entries unusable, so they go. Otherwise the
   * DTLB keeps its entries until a flush, and so do their mirrors. */
  if (m->pg.tagged)
    mmu_fast_drop_all(m);
}

bool mmu_load_pdptes(struct mmu *m, uint32_t cr3) {
  uint64_t p[4];
  for (unsigned k = 0; k < 4; k++) {
    p[k] = read_entry(m, (cr3 & ~0x1Fu) + 8 * k, true);
    if ((p[k] & PTE_P) && (p[k] & PAE_PDPTE_RSVD))
      return false;
  }
  for (unsigned k = 0; k < 4; k++)
    m->pg.pdpte[k] = p[k];
  mmu_set_cr3(m, cr3);
  return true;
}

/* The fault of access at this point of the walk. */
static bool fault(struct mmu_walk *w, unsigned access, uint32_t kind) {
  w->error = kind | ((access & MMU_ACC_WRITE) ? MMU_PF_W : 0) | ((access & MMU_ACC_USER) ? MMU_PF_U : 0);
  return false;
}

/* The rights check of 4.6 on the path's combined U/S and R/W. */
static bool allowed(const struct mmu *m, uint32_t rights, unsigned access) {
  if ((access & MMU_ACC_USER) && !(rights & PTE_U))
    return false;
  if ((access & MMU_ACC_WRITE) && !(rights & PTE_W) && ((access & MMU_ACC_USER) || m->pg.wp))
    return false;
  return true;
}

/* The A/D writes of a successful 2-level walk: A on the PDE and on the PTE
 * (the one entry of a 4 MiB page), D on the leaf for a write. Apart from
 * walk_2level: most walks write nothing, so the walk keeps its registers. */
static __attribute__((noinline, cold)) void set_ad_2level(struct mmu *m, struct mmu_walk *w, bool large,
                                                         uint32_t pde_addr, uint32_t pde, uint32_t pte_addr,
                                                         uint32_t pte, uint32_t leaf_bits) {
  if (!large)
    set_bits(m, w, pde_addr, pde, PTE_A);
  set_bits(m, w, pte_addr, pte, leaf_bits);
}

/* 2-level paging (CR4.PAE = 0), the walk below written for 32-bit entries:
 * the same reads, checks, faults, A/D writes and flags, in that order (the
 * TLB miss path of TLB-bound guests). A 4 MiB page passes its PDE as both
 * entries. */
static __attribute__((noinline)) bool walk_2level(struct mmu *m, uint32_t lin, unsigned access, struct mmu_walk *w) {
  uint32_t pde_addr = (m->pg.cr3 & ~0xFFFu) + (lin >> 22) * 4;
  uint32_t pde = (uint32_t)read_entry(m, pde_addr, false);
  w->reads = 1;
  if (!(pde & PTE_P))
    return fault(w, access, 0);
  bool large = (pde & PTE_PS) && m->pg.pse;
  uint32_t pte_addr, pte, rights;
  if (large) {
    if (pde & PSE_PDE_RSVD)
      return fault(w, access, MMU_PF_P | MMU_PF_RSVD);
    pte_addr = pde_addr;
    pte = pde;
    rights = pde;
    w->phys_page = ((pde & 0xFFC00000u) >> 12) + ((lin >> 12) & 0x3FF);
  } else {
    pte_addr = (pde & 0xFFFFF000u) + ((lin >> 12) & 0x3FF) * 4;
    pte = (uint32_t)read_entry(m, pte_addr, false);
    w->reads = 2;
    if (!(pte & PTE_P))
      return fault(w, access, 0);
    if (m->pg.pse && (pte & PTE_PS))
      return fault(w, access, MMU_PF_P | MMU_PF_RSVD);
    rights = pde & pte;
    w->phys_page = pte >> 12;
  }
  if (!allowed(m, rights, access))
    return fault(w, access, MMU_PF_P);
  uint32_t leaf_bits = PTE_A | ((access & MMU_ACC_WRITE) ? PTE_D : 0);
  if (__builtin_expect((!large && !(pde & PTE_A)) || (pte & leaf_bits) != leaf_bits, 0))
    set_ad_2level(m, w, large, pde_addr, pde, pte_addr, pte, leaf_bits);
  w->flags = (uint8_t)(((rights & PTE_U) ? MMU_TLB_U : 0) | ((rights & PTE_W) ? MMU_TLB_W : 0) |
                       (((pte & PTE_D) || (access & MMU_ACC_WRITE)) ? MMU_TLB_D : 0) |
                       ((m->pg.pge && (pte & PTE_G)) ? MMU_TLB_G : 0) | (large ? MMU_TLB_LARGE : 0));
  return true;
}

/* PAE paging, and the reference the 2-level walk above follows. */
static inline __attribute__((always_inline)) bool walk(struct mmu *m, uint32_t lin, unsigned access,
                                                       struct mmu_walk *w, const bool pae) {
  uint64_t pde_addr, pde, pte_addr = 0, pte = 0;
  if (pae) {
    uint64_t pdpte = m->pg.pdpte[lin >> 30];
    if (!(pdpte & PTE_P))
      return fault(w, access, 0);
    pde_addr = (pdpte & PAE_FRAME) + ((lin >> 21) & 0x1FF) * 8;
  } else {
    pde_addr = (m->pg.cr3 & ~0xFFFu) + (lin >> 22) * 4;
  }
  pde = read_entry(m, pde_addr, pae);
  w->reads++;
  if (!(pde & PTE_P))
    return fault(w, access, 0);
  if (pae && (pde & PAE_RSVD))
    return fault(w, access, MMU_PF_P | MMU_PF_RSVD);
  bool large = (pde & PTE_PS) && (pae || m->pg.pse);
  uint32_t rights;
  uint64_t leaf, leaf_addr;
  if (large) {
    if (pae ? (pde & PAE_PDE2M_RSVD) != 0 : (pde & PSE_PDE_RSVD) != 0)
      return fault(w, access, MMU_PF_P | MMU_PF_RSVD);
    rights = (uint32_t)pde;
    leaf = pde;
    leaf_addr = pde_addr;
    if (pae)
      w->phys_page = (uint32_t)(((pde & PAE_FRAME & ~0x1FFFFFull) >> 12) + ((lin >> 12) & 0x1FF));
    else
      w->phys_page = (uint32_t)((pde & 0xFFC00000u) >> 12) + ((lin >> 12) & 0x3FF);
  } else {
    pte_addr = pae ? (pde & PAE_FRAME) + ((lin >> 12) & 0x1FF) * 8
                   : (pde & 0xFFFFF000u) + ((lin >> 12) & 0x3FF) * 4;
    pte = read_entry(m, pte_addr, pae);
    w->reads++;
    if (!(pte & PTE_P))
      return fault(w, access, 0);
    if ((pae && (pte & (PAE_RSVD | PTE_PS))) || (!pae && m->pg.pse && (pte & PTE_PS)))
      return fault(w, access, MMU_PF_P | MMU_PF_RSVD);
    rights = (uint32_t)pde & (uint32_t)pte;
    leaf = pte;
    leaf_addr = pte_addr;
    w->phys_page = (uint32_t)((pae ? (pte & PAE_FRAME) : (pte & 0xFFFFF000u)) >> 12);
  }
  if (!allowed(m, rights, access))
    return fault(w, access, MMU_PF_P);

  /* Success: A on every entry used, D on the leaf for a write. */
  if (large) {
    set_bits(m, w, leaf_addr, leaf, PTE_A | ((access & MMU_ACC_WRITE) ? PTE_D : 0));
  } else {
    set_bits(m, w, pde_addr, pde, PTE_A);
    set_bits(m, w, leaf_addr, leaf, PTE_A | ((access & MMU_ACC_WRITE) ? PTE_D : 0));
  }
  w->flags = (uint8_t)(((rights & PTE_U) ? MMU_TLB_U : 0) | ((rights & PTE_W) ? MMU_TLB_W : 0) |
                       (((leaf & PTE_D) || (access & MMU_ACC_WRITE)) ? MMU_TLB_D : 0) |
                       ((m->pg.pge && (leaf & PTE_G)) ? MMU_TLB_G : 0) | (large ? MMU_TLB_LARGE : 0));
  return true;
}

/* Each mode its own function, so that the 2-level walk keeps few registers. */
static __attribute__((noinline)) bool walk_pae(struct mmu *m, uint32_t lin, unsigned access, struct mmu_walk *w) {
  return walk(m, lin, access, w, true);
}

bool mmu_walk(struct mmu *m, uint32_t lin, unsigned access, struct mmu_walk *w) {
  trace_count(m->counters, TRACE_EV_page_walk);
  w->reads = 0;
  w->flags = 0;
  w->ad_updates = 0;
  return m->pg.pae ? walk_pae(m, lin, access, w) : walk_2level(m, lin, access, w);
}
