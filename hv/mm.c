/* hv/mm.c - page frames and their types, and every update of a guest's
 * page tables, as 32-bit PAE Xen does them (xen/arch/x86/mm.c of the 3.x
 * releases: the rules are Xen's, the code ours).
 *
 * Every frame has an owner and a general reference count (struct hv_page:
 * the domain's allocation holds one, every mapping another), and one type
 * at a time with a type count: L1, L2, L3 page table, a segment-descriptor
 * page, or writable. A frame changes type only when its type count is 0,
 * so a page that some page table maps writable can never be a page table
 * (and the reverse): that is how the guest owns its page tables while the
 * hypervisor keeps them safe. A page table's type count goes from 0 to 1
 * only after its every entry validated (alloc_*_table), taking the
 * references its entries imply; at 0 again it drops them (free_*_table).
 * Pinning holds a type reference, so a pinned table stays validated.
 *
 * Validation rules (each failure is Xen's -EINVAL for the batch):
 *   L1 entry: no PWT, PCD, PAT, G or bits 44-62 (L1_DISALLOW); the frame
 *     must be the domain's (I/O frames: domain 0 only); writable means the
 *     frame takes the writable type (so no page table or descriptor page).
 *   L2 entry: the same flags (no 2 MiB pages either); points at an L1 of
 *     the domain, or read-only at a validated L2 (a linear page table).
 *   L3 entry (PAE): P, RW, US, A, D and the software bits, no PWT, PCD,
 *     PS, G or bits 44-63: the rule of the Xen that runs 32-bit PV guests
 *     today (64-bit Xen 4, COMPAT_L3_DISALLOW_MASK; 32-bit Xen 3 refused
 *     RW, US, A and D, which are reserved in a PAE PDPTE, and GRUB's
 *     i386-xen writes its L3 entries with RW). Points at an L2; slot 3
 *     must be present, an L2 that no other L3 uses (PAE_XEN_L2), which
 *     gets the hypervisor's entries 428-511; an existing L3's slot 3
 *     cannot be changed.
 *   The processor never loads a guest's L3 itself: CR3 points at the
 *   vcpu's shadow of it (hv_load_guest_cr3), the four entries with only
 *   what a PDPTE may hold (frame, P, PWT, PCD), refreshed whenever the L3
 *   in use changes, as 32-bit Xen's per-vcpu PAE L3 cache did for L3s
 *   above 4 GiB. The guest reads back its L3 as it wrote it, and its CR3
 *   (priv.c) names its own L3.
 *   Entries of an L2 in slot 3 at 428 and above are the hypervisor's and
 *   cannot be written.
 * Writable page tables (VMASST_TYPE_writable_pagetables): a guest's plain
 * write to one of its own L1 tables, mapped read-only, faults into
 * hv_ptwr_fault, which decodes the instruction, validates the new entry as
 * mmu_update would and performs the write (Xen's ptwr emulation).
 */
#include "domain.h"

#define L1_DISALLOW 0xFFFFF198u /* flags: pte[63:44] << 12 | pte[11:0] */
#define L2_DISALLOW 0xFFFFF198u
#define L3_DISALLOW 0xFFFFF198u /* Xen 4 for 32-bit PV guests: PWT, PCD, PS, G, bits 44-63 */
#define PDPTE_KEEP (PTE_FRAME | PTE_PWT | PTE_PCD | PTE_P) /* what a PAE PDPTE may hold */
#define HV_TYPE_XEN_L2 0x100u /* with HV_PGT_L2: an L2 in L3 slot 3 */
#define MMU_UPDATE_PREEMPTED (~(~0u >> 1))
#define COUNT_MAX 0x7FFFFFFFu

static int deferred_flush; /* a TLB flush due before returning to the guest */
static uint32_t pt_updates[4]; /* validated entry updates this hypercall, by level */
static struct hv_domain *foreign; /* mmu_update's FOREIGNDOM */

static uint32_t pte_flags(hv_pte_t e) { return ((uint32_t)(e >> 32) & ~0xFFFu) | ((uint32_t)e & 0xFFFu); }
static uint32_t pte_mfn(hv_pte_t e) { return (uint32_t)(e >> 12); } /* pte[43:12] */
static int mfn_is_ram(uint32_t mfn) { return mfn < hv_max_mfn && hv_frames[mfn].owner != HV_OWNER_NONE; }

uint32_t hv_gmfn_to_mfn(struct hv_domain *d, uint32_t gmfn) {
  (void)d; /* PV domains name machine frames directly */
  return gmfn;
}

/* ---- references ----------------------------------------------------------- */
int hv_get_page(uint32_t mfn, struct hv_domain *d) {
  if (!mfn_is_ram(mfn) || !d)
    return 0;
  struct hv_page *pg = &hv_frames[mfn];
  if (pg->owner != d->id || pg->count == 0 || pg->count >= COUNT_MAX)
    return 0;
  pg->count++;
  return 1;
}

void hv_put_page(uint32_t mfn) {
  struct hv_page *pg = &hv_frames[mfn];
  if (pg->count == 0)
    hv_panic("put_page: mfn 0x%x has no references", mfn);
  if (--pg->count == 0 && pg->owner != HV_OWNER_XEN && pg->owner != HV_OWNER_FREE)
    hv_free_frame(mfn); /* the domain gave it up (destruction) */
}

static int alloc_page_type(uint32_t mfn, uint32_t type);
static void free_page_type(uint32_t mfn, uint32_t type);

int hv_get_page_type(uint32_t mfn, uint32_t type) {
  struct hv_page *pg = &hv_frames[mfn];
  uint32_t want = type & 0xFF;
  int xen_l2 = (type & HV_TYPE_XEN_L2) != 0;
  if (pg->type_count >= COUNT_MAX)
    return 0;
  if (pg->type_count == 0) {
    if (pg->type != want) {
      /* A writable page becoming a table: stale writable TLB entries must go. */
      if (pg->type == HV_PGT_WRITABLE)
        deferred_flush = 1, hv_flush_tlb_local(), deferred_flush = 0;
      pg->type = (uint8_t)want;
      pg->flags &= (uint8_t) ~(HV_PGF_VALIDATED | HV_PGF_PAE_XEN_L2);
      if (want == HV_PGT_WRITABLE)
        pg->flags |= HV_PGF_VALIDATED;
    }
    if (xen_l2)
      pg->flags |= HV_PGF_PAE_XEN_L2;
  } else if (pg->type != want || !!(pg->flags & HV_PGF_PAE_XEN_L2) != xen_l2) {
    return 0;
  }
  pg->type_count++;
  if (!(pg->flags & HV_PGF_VALIDATED)) {
    if (!alloc_page_type(mfn, type)) {
      pg->type_count = 0;
      pg->type = HV_PGT_NONE;
      pg->flags &= (uint8_t) ~(HV_PGF_VALIDATED | HV_PGF_PAE_XEN_L2 | HV_PGF_PINNED);
      return 0;
    }
    pg->flags |= HV_PGF_VALIDATED;
  }
  return 1;
}

void hv_put_page_type(uint32_t mfn) {
  struct hv_page *pg = &hv_frames[mfn];
  if (pg->type_count == 0)
    hv_panic("put_page_type: mfn 0x%x has no type references", mfn);
  if (pg->type_count == 1 && pg->type >= HV_PGT_L1 && pg->type <= HV_PGT_L3 && (pg->flags & HV_PGF_VALIDATED)) {
    /* A page table no longer in use: unvalidate and drop what its entries held. */
    pg->flags &= (uint8_t)~HV_PGF_VALIDATED;
    free_page_type(mfn, pg->type);
    deferred_flush = 1;
  }
  pg->type_count--;
}

int hv_get_page_and_type(uint32_t mfn, struct hv_domain *d, uint32_t type) {
  if (!hv_get_page(mfn, d))
    return 0;
  if (!hv_get_page_type(mfn, type)) {
    hv_put_page(mfn);
    return 0;
  }
  return 1;
}

void hv_put_page_and_type(uint32_t mfn) {
  hv_put_page_type(mfn);
  hv_put_page(mfn);
}

/* ---- entries ---------------------------------------------------------------- */
static int get_page_from_l1e(hv_pte_t e, struct hv_domain *d) {
  if (!(e & PTE_P))
    return 1;
  if (pte_flags(e) & L1_DISALLOW)
    return 0;
  uint32_t mfn = pte_mfn(e);
  if (!mfn_is_ram(mfn))
    return d->privileged; /* I/O memory: the privileged domain only, uncounted */
  return (e & PTE_RW) ? hv_get_page_and_type(mfn, d, HV_PGT_WRITABLE) : hv_get_page(mfn, d);
}

/* owner: the domain whose page table held the entry. While the domain has
 * grant mappings, an entry dropped other than by unmap_grant_ref may have
 * been one: that grant mapping ends with it (grant.c), so unmap_grant_ref
 * cannot drop its references a second time. */
static void put_page_from_l1e(hv_pte_t e, struct hv_domain *owner) {
  if (!(e & PTE_P) || !mfn_is_ram(pte_mfn(e)))
    return;
  if (owner && owner->gnt_maps)
    hv_gnttab_implicit_unmap(owner, pte_mfn(e), (e & PTE_RW) != 0);
  if (e & PTE_RW)
    hv_put_page_and_type(pte_mfn(e));
  else
    hv_put_page(pte_mfn(e));
}

/* A read-only entry of one table naming another (validated) table of the
 * same level, or itself: Xen's linear page tables. */
static int get_linear_pagetable(hv_pte_t e, uint32_t self_mfn, struct hv_domain *d, uint32_t level) {
  if (e & PTE_RW)
    return 0;
  uint32_t mfn = pte_mfn(e);
  if (mfn == self_mfn)
    return 1;
  if (!hv_get_page(mfn, d))
    return 0;
  struct hv_page *pg = &hv_frames[mfn];
  if (pg->type != level || !(pg->flags & HV_PGF_VALIDATED) || pg->type_count >= COUNT_MAX) {
    hv_put_page(mfn);
    return 0;
  }
  pg->type_count++;
  return 1;
}

static int get_page_from_l2e(hv_pte_t e, uint32_t self_mfn, struct hv_domain *d) {
  if (!(e & PTE_P))
    return 1;
  if (pte_flags(e) & L2_DISALLOW)
    return 0;
  if (hv_get_page_and_type(pte_mfn(e), d, HV_PGT_L1))
    return 1;
  return get_linear_pagetable(e, self_mfn, d, HV_PGT_L2);
}

static void put_page_from_l2e(hv_pte_t e, uint32_t self_mfn) {
  if ((e & PTE_P) && pte_mfn(e) != self_mfn)
    hv_put_page_and_type(pte_mfn(e));
}

static int get_page_from_l3e(hv_pte_t e, uint32_t self_mfn, struct hv_domain *d) {
  if (!(e & PTE_P))
    return 1;
  if (pte_flags(e) & L3_DISALLOW)
    return 0;
  if (hv_get_page_and_type(pte_mfn(e), d, HV_PGT_L2))
    return 1;
  return get_linear_pagetable(e, self_mfn, d, HV_PGT_L3);
}

static void put_page_from_l3e(hv_pte_t e, uint32_t self_mfn) {
  if ((e & PTE_P) && pte_mfn(e) != self_mfn)
    hv_put_page_and_type(pte_mfn(e));
}

static struct hv_domain *owner_of(uint32_t mfn) { return hv_domain_by_id_any(hv_frames[mfn].owner); }

static int is_guest_l2_slot(uint32_t mfn, uint32_t slot) {
  return !(hv_frames[mfn].flags & HV_PGF_PAE_XEN_L2) || slot < HV_FIRST_HV_L2_SLOT;
}

/* ---- tables ----------------------------------------------------------------- */
static int alloc_l1_table(uint32_t mfn) {
  struct hv_domain *d = owner_of(mfn);
  hv_pte_t *t = hv_mfn_to_virt(mfn);
  for (uint32_t i = 0; i < 512; i++)
    if (!get_page_from_l1e(t[i], d)) {
      while (i-- > 0)
        put_page_from_l1e(t[i], d);
      return 0;
    }
  return 1;
}

static int alloc_l2_table(uint32_t mfn) {
  struct hv_domain *d = owner_of(mfn);
  hv_pte_t *t = hv_mfn_to_virt(mfn);
  for (uint32_t i = 0; i < 512; i++)
    if (is_guest_l2_slot(mfn, i) && !get_page_from_l2e(t[i], mfn, d)) {
      while (i-- > 0)
        if (is_guest_l2_slot(mfn, i))
          put_page_from_l2e(t[i], mfn);
      return 0;
    }
  return 1;
}

/* The slot-3 L2 gets the hypervisor's entries; it must be used by this L3
 * alone (its type count is 1). */
static int create_pae_xen_mappings(struct hv_domain *d, hv_pte_t *l3) {
  extern hv_pte_t hv_l2[512];
  hv_pte_t e3 = l3[3];
  if (!(e3 & PTE_P))
    return 0; /* "PAE L3 3rd slot is empty" */
  uint32_t l2mfn = pte_mfn(e3);
  if (hv_frames[l2mfn].type_count != 1)
    return 0; /* "PAE L3 3rd slot is shared" */
  hv_pte_t *l2 = hv_mfn_to_virt(l2mfn);
  memcpy(&l2[HV_FIRST_HV_L2_SLOT], &hv_l2[HV_FIRST_HV_L2_SLOT], (512 - HV_FIRST_HV_L2_SLOT) * sizeof(hv_pte_t));
  l2[HV_PERDOMAIN_L2_SLOT] = hv_perdomain_l2e(d->perdomain_l1_mfn);
  return 1;
}

static int alloc_l3_table(uint32_t mfn) {
  struct hv_domain *d = owner_of(mfn);
  hv_pte_t *t = hv_mfn_to_virt(mfn);
  uint32_t i;
  for (i = 0; i < 4; i++) {
    if (i == 3) {
      if (!(t[i] & PTE_P) || (pte_flags(t[i]) & L3_DISALLOW) ||
          !hv_get_page_and_type(pte_mfn(t[i]), d, HV_PGT_L2 | HV_TYPE_XEN_L2))
        goto fail;
    } else if (!get_page_from_l3e(t[i], mfn, d)) {
      goto fail;
    }
  }
  if (!create_pae_xen_mappings(d, t)) {
    i = 4;
    goto fail;
  }
  return 1;
fail:
  while (i-- > 0)
    put_page_from_l3e(t[i], mfn);
  return 0;
}

static void free_l1_table(uint32_t mfn) {
  hv_pte_t *t = hv_mfn_to_virt(mfn);
  struct hv_domain *d = owner_of(mfn);
  for (uint32_t i = 0; i < 512; i++)
    put_page_from_l1e(t[i], d);
}

static void free_l2_table(uint32_t mfn) {
  hv_pte_t *t = hv_mfn_to_virt(mfn);
  for (uint32_t i = 0; i < 512; i++)
    if (is_guest_l2_slot(mfn, i))
      put_page_from_l2e(t[i], mfn);
  hv_frames[mfn].flags &= (uint8_t)~HV_PGF_PAE_XEN_L2;
}

static void free_l3_table(uint32_t mfn) {
  hv_pte_t *t = hv_mfn_to_virt(mfn);
  for (uint32_t i = 0; i < 4; i++)
    put_page_from_l3e(t[i], mfn);
}

int hv_alloc_segdesc_page(uint32_t mfn);

static int alloc_page_type(uint32_t mfn, uint32_t type) {
  switch (type & 0xFF) {
  case HV_PGT_L1: return alloc_l1_table(mfn);
  case HV_PGT_L2: return alloc_l2_table(mfn);
  case HV_PGT_L3: return alloc_l3_table(mfn);
  case HV_PGT_SEG_DESC: return hv_alloc_segdesc_page(mfn);
  default: hv_panic("alloc_page_type: type %u", type);
  }
}

static void free_page_type(uint32_t mfn, uint32_t type) {
  switch (type) {
  case HV_PGT_L1: free_l1_table(mfn); break;
  case HV_PGT_L2: free_l2_table(mfn); break;
  case HV_PGT_L3: free_l3_table(mfn); break;
  default: break;
  }
}

/* ---- modifying one entry (mod_l*_entry) ------------------------------------- */
static void write_pte(hv_pte_t *p, hv_pte_t v) { *(volatile hv_pte_t *)p = v; }

static int mod_l1_entry(hv_pte_t *p, hv_pte_t n, struct hv_domain *d) {
  hv_pte_t o = *p;
  if (n & PTE_P) {
    if (pte_flags(n) & L1_DISALLOW)
      return 0;
    if (!((o ^ n) & (PTE_FRAME | PTE_RW | PTE_P))) { /* same frame, rights, presence */
      write_pte(p, n);
      return 1;
    }
    if (!get_page_from_l1e(n, d))
      return 0;
  }
  write_pte(p, n);
  put_page_from_l1e(o, hv_current);
  return 1;
}

static int mod_l2_entry(hv_pte_t *p, hv_pte_t n, uint32_t mfn, struct hv_domain *d) {
  uint32_t slot = ((uint32_t)p & 0xFFF) / 8;
  if (!is_guest_l2_slot(mfn, slot))
    return 0; /* "Illegal L2 update attempt in Xen-private area" */
  hv_pte_t o = *p;
  if (n & PTE_P) {
    if (pte_flags(n) & L2_DISALLOW)
      return 0;
    if (!((o ^ n) & (PTE_FRAME | PTE_P))) {
      write_pte(p, n);
      return 1;
    }
    if (!get_page_from_l2e(n, mfn, d))
      return 0;
  }
  write_pte(p, n);
  put_page_from_l2e(o, mfn);
  return 1;
}

/* The vcpu's PDPTEs from its L3: frame and P, PWT, PCD of each present
 * entry (RW, US, A, D are reserved in a PDPTE). */
static void sync_l3_shadow(struct hv_vcpu *v) {
  const hv_pte_t *l3 = hv_mfn_to_virt(v->cr3_mfn);
  for (uint32_t k = 0; k < 4; k++)
    v->l3_shadow[k] = (l3[k] & PTE_P) ? (l3[k] & PDPTE_KEEP) : 0;
}

void hv_load_guest_cr3(struct hv_vcpu *v) {
  sync_l3_shadow(v);
  hv_write_cr3(hv_virt_to_phys(v->l3_shadow));
}

static int mod_l3_entry(hv_pte_t *p, hv_pte_t n, uint32_t mfn, struct hv_domain *d) {
  uint32_t slot = ((uint32_t)p & 0xFFF) / 8;
  if (slot >= 3)
    return 0; /* slot 3 holds our entries; 4-511 are not PAE entries */
  hv_pte_t o = *p;
  if (n & PTE_P) {
    if (pte_flags(n) & L3_DISALLOW)
      return 0;
    if (!((o ^ n) & (PTE_FRAME | PTE_P))) {
      write_pte(p, n);
      goto done;
    }
    if (!get_page_from_l3e(n, mfn, d))
      return 0;
  }
  write_pte(p, n);
  put_page_from_l3e(o, mfn);
done:
  /* The CPU holds PDPTEs from the CR3 load: refresh the shadow and reload
   * CR3 (the deferred flush) if this L3 is in use. */
  if (hv_current && hv_vcpu(hv_current)->cr3_mfn == mfn) {
    sync_l3_shadow(hv_vcpu(hv_current));
    deferred_flush = 1;
  }
  return 1;
}

static void process_deferred_ops(void) {
  if (deferred_flush) {
    deferred_flush = 0;
    hv_flush_tlb_local();
  }
  for (uint32_t l = 1; l <= 3; l++)
    if (pt_updates[l]) {
      hv_mark_event(HV_EV_PT_UPDATE, l, pt_updates[l], 0);
      pt_updates[l] = 0;
    }
}

/* ---- base pointer ------------------------------------------------------------- */
int hv_new_guest_cr3(struct hv_domain *d, uint32_t mfn) {
  struct hv_vcpu *v = hv_vcpu(d);
  if (!hv_get_page_and_type(mfn, d, HV_PGT_L3))
    return 0;
  uint32_t old = v->cr3_mfn;
  v->cr3_mfn = mfn;
  if (d == hv_current)
    hv_load_guest_cr3(v);
  if (old)
    hv_put_page_and_type(old);
  return 1;
}

/* ---- hypercalls --------------------------------------------------------------- */
static int set_foreigndom(struct hv_domain *d, uint32_t domid) {
  foreign = d;
  if (domid == DOMID_SELF)
    return 1;
  if (domid == d->id)
    return 0; /* "tried to specify itself as foreign domain" */
  if (!d->privileged)
    return domid == DOMID_IO ? (foreign = d, 1) : 0;
  struct hv_domain *e = hv_domain_by_id(domid);
  if (e) {
    foreign = e;
    return 1;
  }
  return domid == DOMID_IO || domid == DOMID_XEN ? 1 : 0;
}

/* mmu_update(reqs, count, pdone, foreigndom) */
long hv_do_mmu_update(uint32_t ureqs, uint32_t count, uint32_t pdone, uint32_t foreigndom) {
  struct hv_domain *d = hv_current;
  uint32_t done = 0, i = 0;
  long rc = 0;
  if (count & MMU_UPDATE_PREEMPTED) {
    count &= ~MMU_UPDATE_PREEMPTED;
    if (pdone)
      (void)hv_copy_from_guest(&done, pdone, 4);
  }
  if (count > 0x0FFFFFFFu || !hv_guest_range_ok(ureqs, count * (uint32_t)sizeof(mmu_update_t))) {
    rc = -EFAULT;
    goto out;
  }
  if (!set_foreigndom(d, foreigndom & 0xFFFF)) {
    rc = -ESRCH;
    goto out;
  }
  for (i = 0; i < count; i++) {
    mmu_update_t req;
    if (hv_copy_from_guest(&req, ureqs + i * sizeof req, sizeof req)) {
      rc = -EFAULT;
      break;
    }
    uint32_t cmd = (uint32_t)req.ptr & 7;
    int okay = 0;
    uint64_t mfn64 = req.ptr >> 12;
    uint32_t mfn = (uint32_t)mfn64;
    switch (cmd) {
    case MMU_NORMAL_PT_UPDATE:
    case MMU_PT_UPDATE_PRESERVE_AD:
    case MMU_PT_UPDATE_NO_TRANSLATE: {
      if (mfn64 != mfn || !hv_get_page(mfn, d))
        break; /* "Could not get page for normal update" */
      hv_pte_t *p = (hv_pte_t *)((uint8_t *)hv_mfn_to_virt(mfn) + ((uint32_t)req.ptr & 0xFF8));
      hv_pte_t val = req.val;
      if (cmd == MMU_PT_UPDATE_PRESERVE_AD)
        val |= *p & (PTE_A | PTE_D);
      struct hv_page *pg = &hv_frames[mfn];
      uint32_t t = pg->type;
      if (t >= HV_PGT_L1 && t <= HV_PGT_L3) {
        uint32_t full = t | ((pg->flags & HV_PGF_PAE_XEN_L2) ? HV_TYPE_XEN_L2 : 0);
        if (hv_get_page_type(mfn, full)) {
          if (t == HV_PGT_L1)
            okay = mod_l1_entry(p, val, foreign);
          else if (t == HV_PGT_L2)
            okay = mod_l2_entry(p, val, mfn, d);
          else
            okay = mod_l3_entry(p, val, mfn, d);
          if (okay)
            pt_updates[t]++;
          hv_put_page_type(mfn);
          hv_put_page(mfn);
          break;
        }
      }
      /* Not a page table: an ordinary write to a page that may be writable. */
      if (hv_get_page_type(mfn, HV_PGT_WRITABLE)) {
        write_pte(p, val);
        okay = 1;
        hv_put_page_type(mfn);
      }
      hv_put_page(mfn);
      break;
    }
    case MMU_MACHPHYS_UPDATE:
      if (mfn64 != mfn || !hv_get_page(mfn, foreign))
        break; /* "Could not get page for mach->phys update" */
      hv_m2p[mfn] = (uint32_t)req.val;
      hv_put_page(mfn);
      okay = 1;
      break;
    default:
      rc = -ENOSYS;
      break;
    }
    if (!okay) {
      if (!rc)
        rc = -EINVAL;
      break;
    }
  }
  process_deferred_ops();
out:
  if (pdone) {
    done += i;
    (void)hv_copy_to_guest(pdone, &done, 4);
  }
  return rc;
}

static int copy_vcpumask(uint32_t ptr, uint32_t *mask) { return hv_copy_from_guest(mask, ptr, 4); }

static int set_ldt(struct hv_domain *d, uint32_t ptr, uint32_t ents);

long hv_do_mmuext_op(uint32_t uops, uint32_t count, uint32_t pdone, uint32_t foreigndom) {
  struct hv_domain *d = hv_current;
  struct hv_vcpu *v = hv_vcpu(d);
  uint32_t done = 0, i = 0;
  long rc = 0;
  if (count & MMU_UPDATE_PREEMPTED) {
    count &= ~MMU_UPDATE_PREEMPTED;
    if (pdone)
      (void)hv_copy_from_guest(&done, pdone, 4);
  }
  if (count > 0x0FFFFFFFu || !hv_guest_range_ok(uops, count * (uint32_t)sizeof(struct mmuext_op))) {
    rc = -EFAULT;
    goto out;
  }
  if (!set_foreigndom(d, foreigndom & 0xFFFF)) {
    rc = -ESRCH;
    goto out;
  }
  for (i = 0; i < count; i++) {
    struct mmuext_op op;
    if (hv_copy_from_guest(&op, uops + i * sizeof op, sizeof op)) {
      rc = -EFAULT;
      break;
    }
    int okay = 1;
    uint32_t mfn = hv_gmfn_to_mfn(foreign, op.arg1.mfn), type = 0;
    switch (op.cmd) {
    case MMUEXT_PIN_L1_TABLE: type = HV_PGT_L1; goto pin;
    case MMUEXT_PIN_L2_TABLE: type = HV_PGT_L2; goto pin;
    case MMUEXT_PIN_L3_TABLE: type = HV_PGT_L3; goto pin;
    case MMUEXT_PIN_L4_TABLE:
      break; /* "Ignore pinning of invalid paging levels" */
    pin:
      okay = hv_get_page_and_type(mfn, foreign, type);
      if (!okay)
        break; /* "Error while pinning mfn" */
      if (hv_frames[mfn].flags & HV_PGF_PINNED) {
        hv_put_page_and_type(mfn); /* "already pinned" */
        okay = 0;
        break;
      }
      hv_frames[mfn].flags |= HV_PGF_PINNED;
      break;
    case MMUEXT_UNPIN_TABLE:
      if (!(okay = hv_get_page(mfn, d)))
        break;
      if (hv_frames[mfn].flags & HV_PGF_PINNED) {
        hv_frames[mfn].flags &= (uint8_t)~HV_PGF_PINNED;
        hv_put_page_and_type(mfn);
        hv_put_page(mfn);
      } else {
        okay = 0; /* "not pinned" */
        hv_put_page(mfn);
      }
      break;
    case MMUEXT_NEW_BASEPTR:
      okay = hv_new_guest_cr3(d, mfn);
      deferred_flush = 0; /* the CR3 load flushed */
      break;
    case MMUEXT_TLB_FLUSH_LOCAL:
      deferred_flush = 1;
      break;
    case MMUEXT_INVLPG_LOCAL:
      hv_invlpg(op.arg1.linear_addr);
      break;
    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_INVLPG_MULTI: {
      uint32_t mask;
      if (copy_vcpumask((uint32_t)op.arg2.vcpumask.p, &mask)) {
        okay = 0;
        break;
      }
      if (mask & 1) { /* vcpu 0 is the only one, and it is here */
        if (op.cmd == MMUEXT_TLB_FLUSH_MULTI)
          deferred_flush = 1;
        else
          hv_invlpg(op.arg1.linear_addr);
      }
      break;
    }
    case MMUEXT_TLB_FLUSH_ALL:
      deferred_flush = 1;
      break;
    case MMUEXT_INVLPG_ALL:
      hv_invlpg(op.arg1.linear_addr);
      break;
    case MMUEXT_FLUSH_CACHE:
      okay = d->privileged; /* "Non-physdev domain tried to FLUSH_CACHE" */
      break;
    case MMUEXT_SET_LDT:
      okay = set_ldt(d, op.arg1.linear_addr, op.arg2.nr_ents);
      break;
    default:
      rc = -ENOSYS;
      okay = 0;
      break;
    }
    (void)v;
    if (!okay) {
      if (!rc)
        rc = -EINVAL;
      break;
    }
  }
  process_deferred_ops();
out:
  if (pdone) {
    done += i;
    (void)hv_copy_to_guest(pdone, &done, 4);
  }
  return rc;
}

/* The L1 entry that maps va in d's current page tables (its frame must be
 * an L1 table), or NULL. */
hv_pte_t *hv_guest_l1e(struct hv_domain *d, uint32_t va, uint32_t *l1mfn) {
  uint32_t l3mfn = hv_vcpu(d)->cr3_mfn;
  if (!l3mfn)
    return NULL;
  hv_pte_t l3e = ((hv_pte_t *)hv_mfn_to_virt(l3mfn))[va >> 30];
  if (!(l3e & PTE_P) || !mfn_is_ram(pte_mfn(l3e)))
    return NULL;
  hv_pte_t l2e = ((hv_pte_t *)hv_mfn_to_virt(pte_mfn(l3e)))[(va >> 21) & 511];
  if ((l2e & (PTE_P | PTE_PS)) != PTE_P || !mfn_is_ram(pte_mfn(l2e)))
    return NULL;
  uint32_t m = pte_mfn(l2e);
  if (hv_frames[m].type != HV_PGT_L1 || hv_frames[m].owner != d->id)
    return NULL;
  *l1mfn = m;
  return (hv_pte_t *)hv_mfn_to_virt(m) + ((va >> 12) & 511);
}

/* update_va_mapping(va, val (64 bits in two registers), flags) */
long hv_do_update_va_mapping(uint32_t va, uint64_t val, uint32_t flags) {
  struct hv_domain *d = hv_current;
  long rc = 0;
  if (va >= HYPERVISOR_VIRT_START)
    return -EINVAL;
  uint32_t l1mfn;
  hv_pte_t *p = hv_guest_l1e(d, va, &l1mfn);
  if (!p || !mod_l1_entry(p, val, d))
    rc = -EINVAL;
  else
    pt_updates[1]++;
  uint32_t bmap = flags & ~UVMF_FLUSHTYPE_MASK;
  uint32_t mask = 1;
  if (bmap != UVMF_LOCAL && bmap != UVMF_ALL && (flags & UVMF_FLUSHTYPE_MASK)) {
    if (hv_copy_from_guest(&mask, bmap, 4))
      rc = -EFAULT;
  }
  switch (flags & UVMF_FLUSHTYPE_MASK) {
  case UVMF_TLB_FLUSH:
    if (mask & 1)
      deferred_flush = 1;
    break;
  case UVMF_INVLPG:
    if (mask & 1)
      hv_invlpg(va);
    break;
  default:
    break;
  }
  process_deferred_ops();
  return rc;
}

/* vm_assist(cmd, type): the assists a 32-bit PV guest may ask for here. */
#define VMASST_VALID ((1u << VMASST_TYPE_writable_pagetables) | (1u << VMASST_TYPE_pae_extended_cr3) | \
                      (1u << VMASST_TYPE_runstate_update_flag))
long hv_do_vm_assist(uint32_t cmd, uint32_t type) {
  struct hv_domain *d = hv_current;
  if (type >= 32 || !(VMASST_VALID & (1u << type)))
    return -EINVAL;
  switch (cmd) {
  case VMASST_CMD_enable:
    d->vm_assist |= 1u << type;
    return 0;
  case VMASST_CMD_disable:
    d->vm_assist &= ~(1u << type);
    return 0;
  default:
    return -ENOSYS;
  }
}

/* ---- the LDT ------------------------------------------------------------------- */
/* MMUEXT_SET_LDT: the LDT's pages become descriptor pages (validated) and
 * are mapped in the per-domain area at HV_LDT_VIRT. Xen maps them lazily
 * on the first fault; we map them here, so a page that is not mapped yet
 * fails the call instead of faulting later. */
void hv_ldt_release(struct hv_domain *d) {
  struct hv_vcpu *v = hv_vcpu(d);
  hv_pte_t *l1 = hv_mfn_to_virt(d->perdomain_l1_mfn);
  for (uint32_t k = 0; k < v->ldt_mapped; k++) {
    l1[16 + k] = 0;
    hv_put_page_and_type(v->ldt_mfns[k]);
  }
  v->ldt_mapped = 0;
}

static int set_ldt(struct hv_domain *d, uint32_t ptr, uint32_t ents) {
  struct hv_vcpu *v = hv_vcpu(d);
  if ((ptr & (HV_PAGE_SIZE - 1)) || ents > 8192 || !hv_guest_range_ok(ptr, ents * 8))
    return 0; /* "Bad args to SET_LDT" */
  if (v->ldt_ents == ents && v->ldt_base == ptr)
    return 1;
  uint32_t pages = (ents * 8 + HV_PAGE_SIZE - 1) / HV_PAGE_SIZE, mfns[16];
  for (uint32_t k = 0; k < pages; k++) {
    uint32_t l1mfn;
    hv_pte_t *p = hv_guest_l1e(d, ptr + k * HV_PAGE_SIZE, &l1mfn);
    if (!p || !(*p & PTE_P) || !hv_get_page_and_type(pte_mfn(*p), d, HV_PGT_SEG_DESC)) {
      while (k-- > 0)
        hv_put_page_and_type(mfns[k]);
      return 0;
    }
    mfns[k] = pte_mfn(*p);
  }
  hv_ldt_release(d);
  hv_pte_t *l1 = hv_mfn_to_virt(d->perdomain_l1_mfn);
  for (uint32_t k = 0; k < pages; k++) {
    v->ldt_mfns[k] = mfns[k];
    l1[16 + k] = ((hv_pte_t)mfns[k] << HV_PAGE_SHIFT) | PTE_P | PTE_RW | PTE_A | PTE_D;
  }
  v->ldt_mapped = pages;
  v->ldt_base = ptr;
  v->ldt_ents = ents;
  deferred_flush = 1;
  hv_load_ldt(ents);
  return 1;
}

/* ---- writable page tables --------------------------------------------------- */
#include "ptwr.h"

int hv_ptwr_fault(struct hv_frame *f, uint32_t addr) {
  struct hv_domain *d = hv_current;
  if (!(d->vm_assist & (1u << VMASST_TYPE_writable_pagetables)))
    return 0;
  uint32_t l1mfn;
  hv_pte_t *p = hv_guest_l1e(d, addr, &l1mfn);
  if (!p)
    return 0;
  hv_pte_t pte = *p;
  uint32_t mfn = pte_mfn(pte);
  /* Only read-only mappings of the domain's own L1 tables in use. */
  if ((pte & (PTE_P | PTE_RW)) != PTE_P || !mfn_is_ram(mfn) || hv_frames[mfn].type != HV_PGT_L1 ||
      hv_frames[mfn].type_count == 0 || hv_frames[mfn].owner != d->id)
    return 0;
  struct hv_ptwr_write w;
  if (!hv_ptwr_decode(f, addr, &w))
    return 0;
  /* Naturally aligned, within the faulting page. */
  if (((w.addr ^ addr) & ~0xFFFu) || (w.addr & (w.bytes - 1)))
    return 0;
  hv_pte_t *slot = (hv_pte_t *)((uint8_t *)hv_mfn_to_virt(mfn) + (w.addr & 0xFF8));
  hv_pte_t old = *slot, val = w.val, cmp = w.old;
  if (w.bytes != 8) {
    uint32_t off = w.addr & 7;
    hv_pte_t keep = ~((((hv_pte_t)1 << (w.bytes * 8)) - 1) << (off * 8));
    val = (old & keep) | ((val & (((hv_pte_t)1 << (w.bytes * 8)) - 1)) << (off * 8));
    cmp = (old & keep) | ((cmp & (((hv_pte_t)1 << (w.bytes * 8)) - 1)) << (off * 8));
  }
  if (w.is_cmpxchg && old != cmp) {
    hv_ptwr_complete(f, &w, old, 0);
    return 1;
  }
  hv_pte_t n = val;
  if (!get_page_from_l1e(n, d)) {
    /* An upper-half write of a PAE entry first: Xen assumes the halves
     * come the wrong way round and drops PRESENT until the low half. */
    if (w.bytes == 4 && (w.addr & 4) && !w.is_cmpxchg && (n & PTE_P))
      n &= ~(hv_pte_t)PTE_P;
    else
      return 0;
  }
  write_pte(slot, n);
  put_page_from_l1e(old, d);
  hv_ptwr_complete(f, &w, old, 1);
  hv_mark_event(HV_EV_PT_EMULATE, d->id, addr, 0);
  pt_updates[1]++;
  process_deferred_ops();
  return 1;
}

/* ---- destruction and audit ----------------------------------------------------- */
/* Drops every reference the domain's state holds (base pointer, pins, GDT,
 * LDT, a registered vcpu_info, its grant mappings' pins), unvalidates what
 * is left of its page tables (dropping what their entries held), then its
 * allocation reference on each frame: a frame no one else maps is freed
 * now; one another domain still maps through a grant stays until that
 * mapping goes (hv_put_page frees it then). */
void hv_domain_relinquish(struct hv_domain *d) {
  struct hv_vcpu *v = hv_vcpu(d);
  hv_ldt_release(d);
  hv_gdt_release(d);
  hv_gnttab_release(d);
  if (v->cr3_mfn) {
    uint32_t m = v->cr3_mfn;
    v->cr3_mfn = 0;
    hv_put_page_and_type(m);
  }
  if (v->info_mfn) {
    uint32_t m = v->info_mfn;
    v->info_mfn = 0;
    v->info = &d->shared->vcpu_info[0];
    hv_put_page_and_type(m);
  }
  for (uint32_t m = 0; m < hv_max_mfn; m++)
    if (hv_frames[m].owner == d->id && (hv_frames[m].flags & HV_PGF_PINNED)) {
      hv_frames[m].flags &= (uint8_t)~HV_PGF_PINNED;
      hv_put_page_and_type(m);
    }
  /* Tables still validated (held by each other, as linear mappings can):
   * force them down. */
  for (uint32_t m = 0; m < hv_max_mfn; m++) {
    struct hv_page *pg = &hv_frames[m];
    if (pg->owner == d->id && pg->type >= HV_PGT_L1 && pg->type <= HV_PGT_L3 && (pg->flags & HV_PGF_VALIDATED)) {
      pg->flags &= (uint8_t)~HV_PGF_VALIDATED;
      free_page_type(m, pg->type);
    }
  }
  for (uint32_t m = 0; m < hv_max_mfn; m++) {
    struct hv_page *pg = &hv_frames[m];
    if (pg->owner != d->id)
      continue;
    if (pg->type >= HV_PGT_L1 && pg->type <= HV_PGT_L3)
      pg->type_count = 0; /* references from tables forced down */
    if (pg->flags & HV_PGF_ALLOCATED) {
      pg->flags &= (uint8_t)~HV_PGF_ALLOCATED;
      hv_put_page(m);
    }
  }
  hv_free_frame(d->perdomain_l1_mfn);
  hv_flush_tlb_local();
}
