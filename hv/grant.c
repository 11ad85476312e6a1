/* hv/grant.c - grant tables (Xen's v1 ABI, <xen/grant_table.h>): a domain
 * grants another access to one of its frames through an entry of its
 * shared grant table (flags, the grantee's id, the frame); the grantee
 * maps the granted frame into its own page tables with
 * GNTTABOP_map_grant_ref and unmaps it with GNTTABOP_unmap_grant_ref. With
 * event channels this is the base of Xen's I/O rings.
 *
 * The checks are Xen's (__gnttab_map_grant_ref of the 3.x releases): the
 * flags must ask for a host (or device) mapping; the granting domain must
 * exist and the reference lie in its table; an entry not yet in use must
 * say GTF_permit_access for the mapping domain; a writable mapping of a
 * GTF_readonly entry is refused; the frame must be the granter's, and a
 * writable mapping makes it a writable page (so a granted page table or
 * descriptor page cannot be mapped writable); the host address must have
 * an L1 entry in the mapper's tables. While an entry is in use Xen's
 * GTF_reading and GTF_writing are set in it. Unmapping checks the handle
 * and that the address still maps the granted frame.
 *
 * A domain's grant table is up to HV_GNTTAB_MAX_FRAMES frames of the
 * hypervisor's that the domain may map (GNTTABOP_setup_table gives their
 * machine frames); one frame in use at first, grown by setup_table.
 * Not implemented (-ENOSYS): copy, transfer, unmap_and_replace, dump_table,
 * version 2 (set_version accepts only 1), status frames, swap, cache_flush;
 * GNTMAP_contains_pte and GNTMAP_device_map (GNTST_general_error: there
 * are no devices to map for). An entry that held a grant mapping and is
 * replaced through mmu_update or update_va_mapping ends that mapping
 * (hv_gnttab_implicit_unmap), so its references are dropped once.
 */
#include "domain.h"

#include <xen/grant_table.h>

#define HV_GNTTAB_MAX_FRAMES 4
#define ENTRIES_PER_FRAME (HV_PAGE_SIZE / sizeof(grant_entry_v1_t))
#define MAX_ENTRIES (HV_GNTTAB_MAX_FRAMES * ENTRIES_PER_FRAME)
#define MAPTRACK 64

struct active {
  uint16_t domid;    /* who maps it */
  uint16_t readers;  /* read-only host mappings */
  uint16_t writers;  /* writable host mappings */
  uint32_t frame;
};

struct maptrack {
  uint8_t used;
  uint16_t dom; /* the granter */
  uint32_t ref;
  uint32_t flags;
  uint32_t frame;
};

static struct active active[HV_MAX_DOMAINS][MAX_ENTRIES];
static struct maptrack maptrack[HV_MAX_DOMAINS][MAPTRACK];

static grant_entry_v1_t *shared_entry(struct hv_domain *d, uint32_t ref) {
  grant_entry_v1_t *f = hv_mfn_to_virt(d->gnttab_mfns[ref / ENTRIES_PER_FRAME]);
  return &f[ref % ENTRIES_PER_FRAME];
}

static uint32_t nr_entries(struct hv_domain *d) { return d->gnttab_frames * ENTRIES_PER_FRAME; }

void hv_gnttab_init(struct hv_domain *d) {
  for (uint32_t k = 0; k < HV_GNTTAB_MAX_FRAMES; k++) {
    uint32_t m = hv_alloc_frame(d->id);
    hv_frames[m].count = 1;
    hv_frames[m].flags |= HV_PGF_SHARED_RW | HV_PGF_ALLOCATED;
    d->gnttab_mfns[k] = m;
  }
  d->gnttab_frames = 1;
  memset(active[d->id], 0, sizeof active[d->id]);
  memset(maptrack[d->id], 0, sizeof maptrack[d->id]);
}

static void release_one(struct hv_domain *d, uint32_t h);

/* The dying domain's mappings of others' grants: their pins go (the page
 * references go with its page tables). */
void hv_gnttab_release(struct hv_domain *d) {
  for (uint32_t h = 0; h < MAPTRACK; h++)
    if (maptrack[d->id][h].used)
      release_one(d, h);
}

/* A page-table entry of d that mapped frame through a grant was replaced
 * or dropped without unmap_grant_ref (mm.c): that mapping is over. */
void hv_gnttab_implicit_unmap(struct hv_domain *d, uint32_t frame, int rw) {
  for (uint32_t h = 0; h < MAPTRACK; h++) {
    struct maptrack *m = &maptrack[d->id][h];
    if (m->used && m->frame == frame && (m->flags & GNTMAP_host_map) && !(m->flags & GNTMAP_readonly) == !!rw) {
      release_one(d, h);
      return;
    }
  }
}

static void release_one(struct hv_domain *d, uint32_t h) {
  {
    struct maptrack *m = &maptrack[d->id][h];
    struct hv_domain *r = hv_domain_by_id_any(m->dom);
    if (r && m->ref < MAX_ENTRIES) {
      struct active *a = &active[r->id][m->ref];
      if (m->flags & GNTMAP_readonly) {
        if (a->readers)
          a->readers--;
      } else if (a->writers) {
        a->writers--;
      }
      if (!a->writers)
        shared_entry(r, m->ref)->flags &= (uint16_t)~GTF_writing;
      if (!a->readers && !a->writers)
        shared_entry(r, m->ref)->flags &= (uint16_t)~GTF_reading;
    }
    m->used = 0;
    d->gnt_maps--;
  }
}

static int16_t map_one(struct hv_domain *ld, struct gnttab_map_grant_ref *op, uint32_t *handle_out) {
  if (!(op->flags & (GNTMAP_device_map | GNTMAP_host_map)))
    return GNTST_bad_gntref;
  struct hv_domain *rd = op->dom == DOMID_SELF ? ld : hv_domain_by_id(op->dom);
  if (!rd)
    return GNTST_bad_domain;
  uint32_t h;
  for (h = 0; h < MAPTRACK && maptrack[ld->id][h].used; h++)
    ;
  if (h == MAPTRACK)
    return GNTST_no_device_space;
  if (op->ref >= nr_entries(rd))
    return GNTST_bad_gntref;
  if (op->flags & (GNTMAP_contains_pte | GNTMAP_device_map))
    return GNTST_general_error; /* no PTE addresses, no devices to map for */
  int ro = (op->flags & GNTMAP_readonly) != 0;
  struct active *a = &active[rd->id][op->ref];
  grant_entry_v1_t *sha = shared_entry(rd, op->ref);
  int pinned = a->readers || a->writers;
  if (pinned && (a->domid != ld->id || a->readers >= 0x7F || a->writers >= 0x7F))
    return GNTST_general_error;
  if (!pinned) {
    if ((sha->flags & GTF_type_mask) != GTF_permit_access || sha->domid != ld->id)
      return GNTST_general_error; /* "Bad flags or dom" */
    a->domid = ld->id;
    a->frame = hv_gmfn_to_mfn(rd, sha->frame);
  }
  if (!ro && (sha->flags & GTF_readonly))
    return GNTST_general_error; /* "Attempt to write-pin a r/o grant entry" */
  uint32_t frame = a->frame;
  int ok = ro ? hv_get_page(frame, rd) : hv_get_page_and_type(frame, rd, HV_PGT_WRITABLE);
  if (!ok)
    return GNTST_general_error; /* "Could not pin grant frame" */
  if (op->flags & GNTMAP_host_map) {
    uint32_t l1mfn;
    hv_pte_t *p = (uint32_t)op->host_addr == op->host_addr && op->host_addr < HYPERVISOR_VIRT_START
                      ? hv_guest_l1e(ld, (uint32_t)op->host_addr, &l1mfn)
                      : NULL;
    if (!p) {
      if (ro)
        hv_put_page(frame);
      else
        hv_put_page_and_type(frame);
      return GNTST_general_error; /* no L1 entry for the address */
    }
    hv_pte_t old = *p;
    hv_pte_t n = ((hv_pte_t)frame << HV_PAGE_SHIFT) | PTE_P | PTE_A | PTE_D | (ro ? 0 : PTE_RW) |
                 ((op->flags & GNTMAP_application_map) ? PTE_US : 0);
    *(volatile hv_pte_t *)p = n;
    if (old & PTE_P) {
      uint32_t om = (uint32_t)(old >> 12);
      if (om < hv_max_mfn && hv_frames[om].owner != HV_OWNER_NONE) {
        if (old & PTE_RW)
          hv_put_page_and_type(om);
        else
          hv_put_page(om);
      }
    }
    hv_invlpg((uint32_t)op->host_addr);
  }
  sha->flags |= GTF_reading | (ro ? 0 : GTF_writing);
  if (ro)
    a->readers++;
  else
    a->writers++;
  struct maptrack *m = &maptrack[ld->id][h];
  ld->gnt_maps++;
  m->used = 1;
  m->dom = rd->id;
  m->ref = op->ref;
  m->flags = op->flags;
  m->frame = frame;
  *handle_out = h;
  op->dev_bus_addr = (uint64_t)frame << HV_PAGE_SHIFT;
  return GNTST_okay;
}

static int16_t unmap_one(struct hv_domain *ld, struct gnttab_unmap_grant_ref *op) {
  if (op->handle >= MAPTRACK || !maptrack[ld->id][op->handle].used)
    return GNTST_bad_handle;
  struct maptrack *m = &maptrack[ld->id][op->handle];
  struct hv_domain *rd = hv_domain_by_id_any(m->dom);
  if (op->dev_bus_addr && (op->dev_bus_addr >> HV_PAGE_SHIFT) != m->frame)
    return GNTST_general_error;
  if ((m->flags & GNTMAP_host_map) && op->host_addr) {
    uint32_t l1mfn;
    hv_pte_t *p = (uint32_t)op->host_addr == op->host_addr && op->host_addr < HYPERVISOR_VIRT_START
                      ? hv_guest_l1e(ld, (uint32_t)op->host_addr, &l1mfn)
                      : NULL;
    if (!p || !(*p & PTE_P) || (uint32_t)(*p >> 12) != m->frame)
      return GNTST_general_error; /* "PTE doesn't match frame" */
    hv_pte_t old = *p;
    *(volatile hv_pte_t *)p = 0;
    hv_invlpg((uint32_t)op->host_addr);
    if (old & PTE_RW)
      hv_put_page_and_type(m->frame);
    else
      hv_put_page(m->frame);
  }
  if (rd) {
    struct active *a = &active[rd->id][m->ref];
    if (m->flags & GNTMAP_readonly)
      a->readers--;
    else
      a->writers--;
    if (!a->writers)
      shared_entry(rd, m->ref)->flags &= (uint16_t)~GTF_writing;
    if (!a->readers && !a->writers)
      shared_entry(rd, m->ref)->flags &= (uint16_t)~GTF_reading;
  }
  m->used = 0;
  ld->gnt_maps--;
  return GNTST_okay;
}

long hv_do_grant_table_op(uint32_t cmd, uint32_t uop, uint32_t count) {
  struct hv_domain *d = hv_current;
  if ((int32_t)count < 0 || count > 512)
    return -EINVAL;
  switch (cmd) {
  case GNTTABOP_map_grant_ref:
    for (uint32_t i = 0; i < count; i++) {
      struct gnttab_map_grant_ref op;
      uint32_t at = uop + i * sizeof op;
      if (hv_copy_from_guest(&op, at, sizeof op))
        return -EFAULT;
      uint32_t handle = 0;
      op.status = map_one(d, &op, &handle);
      op.handle = handle;
      if (hv_copy_to_guest(at, &op, sizeof op))
        return -EFAULT;
    }
    return 0;
  case GNTTABOP_unmap_grant_ref:
    for (uint32_t i = 0; i < count; i++) {
      struct gnttab_unmap_grant_ref op;
      uint32_t at = uop + i * sizeof op;
      if (hv_copy_from_guest(&op, at, sizeof op))
        return -EFAULT;
      op.status = unmap_one(d, &op);
      if (hv_copy_to_guest(at, &op, sizeof op))
        return -EFAULT;
    }
    return 0;
  case GNTTABOP_setup_table:
  case GNTTABOP_query_size:
    for (uint32_t i = 0; i < count; i++) {
      if (cmd == GNTTABOP_setup_table) {
        struct gnttab_setup_table op;
        uint32_t at = uop + i * sizeof op;
        if (hv_copy_from_guest(&op, at, sizeof op))
          return -EFAULT;
        struct hv_domain *t = op.dom == DOMID_SELF || op.dom == d->id ? d : (d->privileged ? hv_domain_by_id(op.dom) : NULL);
        if (op.nr_frames > HV_GNTTAB_MAX_FRAMES)
          op.status = GNTST_general_error;
        else if (!t)
          op.status = d->privileged ? GNTST_bad_domain : GNTST_permission_denied;
        else {
          if (op.nr_frames > t->gnttab_frames)
            t->gnttab_frames = op.nr_frames;
          op.status = GNTST_okay;
          for (uint32_t k = 0; k < op.nr_frames; k++)
            if (hv_copy_to_guest((uint32_t)op.frame_list.p + k * 4, &t->gnttab_mfns[k], 4))
              return -EFAULT;
        }
        if (hv_copy_to_guest(at, &op, sizeof op))
          return -EFAULT;
      } else {
        struct gnttab_query_size op;
        uint32_t at = uop + i * sizeof op;
        if (hv_copy_from_guest(&op, at, sizeof op))
          return -EFAULT;
        struct hv_domain *t = op.dom == DOMID_SELF || op.dom == d->id ? d : (d->privileged ? hv_domain_by_id(op.dom) : NULL);
        if (!t) {
          op.status = d->privileged ? GNTST_bad_domain : GNTST_permission_denied;
        } else {
          op.nr_frames = t->gnttab_frames;
          op.max_nr_frames = HV_GNTTAB_MAX_FRAMES;
          op.status = GNTST_okay;
        }
        if (hv_copy_to_guest(at, &op, sizeof op))
          return -EFAULT;
      }
    }
    return 0;
  case GNTTABOP_set_version: {
    struct gnttab_set_version v;
    if (count != 1)
      return -EINVAL;
    if (hv_copy_from_guest(&v, uop, sizeof v))
      return -EFAULT;
    return v.version == 1 ? 0 : -EINVAL;
  }
  case GNTTABOP_get_version: {
    struct gnttab_get_version v;
    if (count != 1)
      return -EINVAL;
    if (hv_copy_from_guest(&v, uop, sizeof v))
      return -EFAULT;
    if (v.dom != DOMID_SELF && v.dom != d->id && !(d->privileged && hv_domain_by_id(v.dom)))
      return d->privileged ? -ESRCH : -EPERM;
    v.version = 1;
    return hv_copy_to_guest(uop, &v, sizeof v) ? -EFAULT : 0;
  }
  default:
    return -ENOSYS;
  }
}
