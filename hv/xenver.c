/* hv/xenver.c - the informational and memory hypercalls: xen_version,
 * memory_op (reservations and the memory-map queries a PV kernel makes at
 * boot) and console_io. */
#include "domain.h"

#include <xen/memory.h>
#include <xen/version.h>
#include <xen/features.h>

extern uint32_t hv_supported_features;
extern uint32_t hv_m2p[];

long hv_do_xen_version(uint32_t cmd, uint32_t arg) {
  struct hv_domain *d = hv_current;
  switch (cmd) {
  case XENVER_version:
    return (HV_XEN_MAJOR << 16) | HV_XEN_MINOR;
  case XENVER_extraversion: {
    xen_extraversion_t s = "-ringlab";
    return hv_copy_to_guest(arg, s, sizeof s) ? -EFAULT : 0;
  }
  case XENVER_compile_info: {
    xen_compile_info_t ci;
    memset(&ci, 0, sizeof ci);
    strlcpy(ci.compiler, "gcc", sizeof ci.compiler);
    strlcpy(ci.compile_by, "ringlab", sizeof ci.compile_by);
    strlcpy(ci.compile_domain, "ringlab", sizeof ci.compile_domain);
    strlcpy(ci.compile_date, "ringlab", sizeof ci.compile_date); /* no build time: runs are reproducible */
    return hv_copy_to_guest(arg, &ci, sizeof ci) ? -EFAULT : 0;
  }
  case XENVER_capabilities: {
    xen_capabilities_info_t c;
    memset(c, 0, sizeof c);
    snprintf(c, sizeof c, "xen-%d.%d-x86_32p", HV_XEN_MAJOR, HV_XEN_MINOR);
    return hv_copy_to_guest(arg, c, sizeof c) ? -EFAULT : 0;
  }
  case XENVER_changeset: {
    xen_changeset_info_t c;
    memset(c, 0, sizeof c);
    strlcpy(c, "ringlab", sizeof c);
    return hv_copy_to_guest(arg, c, sizeof c) ? -EFAULT : 0;
  }
  case XENVER_platform_parameters: {
    xen_platform_parameters_t p = {.virt_start = HYPERVISOR_VIRT_START};
    return hv_copy_to_guest(arg, &p, sizeof p) ? -EFAULT : 0;
  }
  case XENVER_get_features: {
    xen_feature_info_t fi;
    if (hv_copy_from_guest(&fi, arg, sizeof fi))
      return -EFAULT;
    if (fi.submap_idx != 0)
      return -EINVAL;
    fi.submap = hv_supported_features;
    return hv_copy_to_guest(arg, &fi, sizeof fi) ? -EFAULT : 0;
  }
  case XENVER_pagesize:
    return HV_PAGE_SIZE;
  case XENVER_guest_handle: {
    xen_domain_handle_t h;
    memset(h, 0, sizeof h);
    h[15] = (uint8_t)d->id;
    return hv_copy_to_guest(arg, h, sizeof h) ? -EFAULT : 0;
  }
  default:
    return -ENOSYS;
  }
}

/* ---- memory_op ------------------------------------------------------------------ */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK ((1u << MEMOP_EXTENT_SHIFT) - 1)

static struct hv_domain *memop_domain(domid_t id) {
  if (id == DOMID_SELF || id == hv_current->id)
    return hv_current;
  return hv_current->privileged ? hv_domain_by_id(id) : NULL;
}

/* increase_reservation, decrease_reservation, populate_physmap: order-0
 * extents only; returns the extents done. */
static long reservation(uint32_t op, uint32_t start, uint32_t arg) {
  struct xen_memory_reservation r;
  if (hv_copy_from_guest(&r, arg, sizeof r))
    return -EFAULT;
  uint32_t list = (uint32_t)r.extent_start.p;
  if (r.nr_extents > 0x0FFFFFFFu || !hv_guest_range_ok(list, r.nr_extents * 4))
    return start;
  struct hv_domain *d = memop_domain(r.domid);
  if (!d || r.extent_order != 0)
    return start;
  uint32_t i;
  for (i = start; i < r.nr_extents; i++) {
    uint32_t v;
    if (op == XENMEM_decrease_reservation) {
      if (hv_copy_from_guest(&v, list + i * 4, 4))
        break;
      uint32_t mfn = hv_gmfn_to_mfn(d, v);
      if (!hv_get_page(mfn, d))
        break; /* not the domain's frame */
      struct hv_page *pg = &hv_frames[mfn];
      if (pg->flags & HV_PGF_SHARED_RW) {
        hv_put_page(mfn); /* shared info, grant-table frames: the hypervisor's to keep */
        break;
      }
      if (pg->flags & HV_PGF_PINNED) {
        pg->flags &= (uint8_t)~HV_PGF_PINNED;
        hv_put_page_and_type(mfn);
      }
      /* Xen's guest_remove_page: the allocation reference goes if it is
       * still there (a frame given back earlier but still mapped is gone
       * already), then ours; the frame is freed with its last reference. */
      if (pg->flags & HV_PGF_ALLOCATED) {
        pg->flags &= (uint8_t)~HV_PGF_ALLOCATED;
        hv_m2p[mfn] = 0xFFFFFFFFu;
        d->tot_pages--;
        hv_put_page(mfn);
      }
      hv_put_page(mfn);
      continue;
    }
    if (d->tot_pages >= d->max_pages)
      break;
    uint32_t gpfn = 0;
    if (op == XENMEM_populate_physmap && hv_copy_from_guest(&gpfn, list + i * 4, 4))
      break;
    uint32_t mfn = hv_alloc_frame(d->id);
    if (!mfn)
      break;
    hv_frames[mfn].count = 1;
    hv_frames[mfn].flags |= HV_PGF_ALLOCATED;
    hv_m2p[mfn] = op == XENMEM_populate_physmap ? gpfn : 0xFFFFFFFFu;
    d->tot_pages++;
    if (hv_copy_to_guest(list + i * 4, &mfn, 4)) {
      hv_put_page(mfn);
      d->tot_pages--;
      break;
    }
  }
  return i;
}

long hv_do_memory_op(uint32_t cmd, uint32_t arg) {
  struct hv_domain *d = hv_current;
  uint32_t op = cmd & MEMOP_CMD_MASK, start = cmd >> MEMOP_EXTENT_SHIFT;
  switch (op) {
  case XENMEM_increase_reservation:
  case XENMEM_decrease_reservation:
  case XENMEM_populate_physmap:
    return reservation(op, start, arg);
  case XENMEM_maximum_ram_page:
    return hv_max_mfn - 1;
  case XENMEM_current_reservation:
  case XENMEM_maximum_reservation:
  case XENMEM_maximum_gpfn: {
    domid_t id;
    if (hv_copy_from_guest(&id, arg, sizeof id))
      return -EFAULT;
    struct hv_domain *t = memop_domain(id);
    if (!t)
      return id == DOMID_SELF || hv_current->privileged ? -ESRCH : -EPERM;
    return op == XENMEM_current_reservation ? (long)t->tot_pages
           : op == XENMEM_maximum_reservation ? (long)t->max_pages
                                              : (long)t->nr_pages - 1;
  }
  case XENMEM_memory_map:
  case XENMEM_machine_memory_map: {
    struct xen_memory_map m;
    if (hv_copy_from_guest(&m, arg, sizeof m))
      return -EFAULT;
    if (op == XENMEM_machine_memory_map && !d->privileged)
      return -EPERM;
    struct {
      uint64_t addr, size;
      uint32_t type;
    } __attribute__((packed)) e = {0, (uint64_t)(op == XENMEM_memory_map ? d->nr_pages : hv_max_mfn) << 12, 1};
    if (m.nr_entries < 1)
      return -EINVAL;
    if (hv_copy_to_guest((uint32_t)m.buffer.p, &e, sizeof e))
      return -EFAULT;
    m.nr_entries = 1;
    return hv_copy_to_guest(arg, &m, sizeof m) ? -EFAULT : 0;
  }
  case XENMEM_machphys_mfn_list: {
    struct xen_machphys_mfn_list l;
    if (hv_copy_from_guest(&l, arg, sizeof l))
      return -EFAULT;
    uint32_t mfn = hv_virt_to_mfn(hv_m2p), n = l.max_extents ? 1 : 0;
    if (n && hv_copy_to_guest((uint32_t)l.extent_start.p, &mfn, 4))
      return -EFAULT;
    l.nr_extents = n;
    return hv_copy_to_guest(arg, &l, sizeof l) ? -EFAULT : 0;
  }
  default:
    return -ENOSYS;
  }
}

/* ---- console_io --------------------------------------------------------------------- */
long hv_do_console_io(uint32_t cmd, uint32_t count, uint32_t buf) {
  struct hv_domain *d = hv_current;
  if (!d->privileged)
    return -EPERM; /* only domain 0 reaches the hypervisor's console */
  switch (cmd) {
  case CONSOLEIO_write: {
    if ((int32_t)count <= 0)
      return 0;
    if (!hv_guest_range_ok(buf, count))
      return -EFAULT;
    char chunk[128];
    for (uint32_t done = 0; done < count;) {
      uint32_t n = count - done < sizeof chunk ? count - done : sizeof chunk;
      if (hv_copy_from_guest(chunk, buf + done, n))
        return -EFAULT;
      for (uint32_t k = 0; k < n; k++)
        hv_putc(chunk[k]);
      done += n;
    }
    return 0;
  }
  case CONSOLEIO_read: {
    /* Bytes already received on COM1 (no interrupt: polled). */
    uint32_t n = 0;
    if ((int32_t)count <= 0)
      return 0;
    if (!hv_guest_range_ok(buf, count))
      return -EFAULT;
    while (n < count && (hv_inb(0x3F8 + 5) & 1)) {
      char c = (char)hv_inb(0x3F8);
      if (hv_copy_to_guest(buf + n, &c, 1))
        return -EFAULT;
      n++;
    }
    return n;
  }
  default:
    return -ENOSYS;
  }
}
