/* hv/gdt.c - a guest's own descriptor tables: set_gdt, update_descriptor,
 * and the validation of descriptor pages (GDT and LDT frames), as 32-bit
 * Xen does them.
 *
 * A GDT or LDT frame takes the descriptor-page type (Xen 3 has one type
 * for GDT and one for LDT pages; we use one for both), which validates
 * each of its 512 descriptors with hv_check_descriptor (desc.c) and keeps
 * the frame from being mapped writable while it is in use. The GDT frames
 * are mapped at pages 0-13 of the CPU's GDT window (HV_GDT_VIRT); page 14
 * is the hypervisor's reserved entries.
 */
#include "domain.h"

int hv_alloc_segdesc_page(uint32_t mfn) {
  struct hv_desc *d = hv_mfn_to_virt(mfn);
  for (uint32_t i = 0; i < 512; i++)
    if (!hv_check_descriptor(&d[i]))
      return 0;
  return 1;
}

static void map_gdt(struct hv_domain *d) {
  struct hv_vcpu *v = hv_vcpu(d);
  hv_perdomain_fill(hv_mfn_to_virt(d->perdomain_l1_mfn), v->gdt_mfns, v->gdt_frames);
}

void hv_gdt_release(struct hv_domain *d) {
  struct hv_vcpu *v = hv_vcpu(d);
  for (uint32_t k = 0; k < v->gdt_frames; k++)
    hv_put_page_and_type(v->gdt_mfns[k]);
  v->gdt_frames = 0;
  v->gdt_ents = 0;
  map_gdt(d);
}

/* set_gdt(frame_list, entries) */
long hv_do_set_gdt(uint32_t frame_list, uint32_t entries) {
  struct hv_domain *d = hv_current;
  struct hv_vcpu *v = hv_vcpu(d);
  uint32_t frames[14];
  if (entries > FIRST_RESERVED_GDT_ENTRY)
    return -EINVAL;
  uint32_t n = (entries + 511) / 512;
  if (hv_copy_from_guest(frames, frame_list, n * 4))
    return -EFAULT;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t mfn = hv_gmfn_to_mfn(d, frames[i]);
    if (!hv_get_page_and_type(mfn, d, HV_PGT_SEG_DESC)) {
      while (i-- > 0)
        hv_put_page_and_type(frames[i]);
      return -EINVAL;
    }
    frames[i] = mfn;
  }
  for (uint32_t k = 0; k < v->gdt_frames; k++)
    hv_put_page_and_type(v->gdt_mfns[k]);
  memcpy(v->gdt_mfns, frames, n * 4);
  v->gdt_frames = n;
  v->gdt_ents = entries;
  map_gdt(d);
  hv_flush_tlb_local();
  return 0;
}

/* update_descriptor(ma, desc): one descriptor at machine address ma. */
long hv_do_update_descriptor(uint64_t pa, uint64_t desc) {
  struct hv_domain *d = hv_current;
  uint64_t gmfn64 = pa >> 12;
  uint32_t mfn = hv_gmfn_to_mfn(d, (uint32_t)gmfn64);
  struct hv_desc nd = {(uint32_t)desc, (uint32_t)(desc >> 32)};
  if ((pa % 8) != 0 || gmfn64 != (uint32_t)gmfn64 || mfn >= hv_max_mfn || !hv_check_descriptor(&nd))
    return -EINVAL;
  if (!hv_get_page(mfn, d))
    return -EINVAL;
  long rc = -EINVAL;
  uint32_t type = hv_frames[mfn].type == HV_PGT_SEG_DESC ? HV_PGT_SEG_DESC : HV_PGT_WRITABLE;
  if (hv_get_page_type(mfn, type)) {
    struct hv_desc *p = (struct hv_desc *)((uint8_t *)hv_mfn_to_virt(mfn) + ((uint32_t)pa & 0xFFF));
    *p = nd;
    hv_put_page_type(mfn);
    rc = 0;
  }
  hv_put_page(mfn);
  return rc;
}
