/* hv/elfload.h - what the domain builder learns from a guest kernel's ELF
 * image and Xen notes (elf.c). */
#ifndef HV_ELFLOAD_H
#define HV_ELFLOAD_H

#include "hv-internal.h"

#define HV_ELF_MAX_SEGS 8

struct hv_elf_seg {
  uint32_t paddr, memsz, filesz;
  const uint8_t *data;
};

struct hv_elf_info {
  struct hv_elf_seg segs[HV_ELF_MAX_SEGS];
  uint32_t n_segs;
  uint32_t pstart, pend;          /* physical span of the load segments */
  uint32_t virt_base, paddr_offset, virt_offset;
  uint32_t virt_kstart, virt_kend; /* the kernel's virtual span */
  uint32_t entry, hypercall_page, hypercall_page_pfn;
  uint32_t features_supported, features_required; /* XENFEAT_* bits */
  int has_xen_notes;
  int from_xen_guest;
  int phys32_entry;               /* a PHYS32_ENTRY note: a PVH image */             /* the __xen_guest section, not notes */
  char xen_version[16], guest_os[32], loader[16], pae[24];
  char error[160];
};

/* 0, or -1 with e->error set (one line, no file name). */
int hv_elf_parse(const uint8_t *img, uint32_t size, uint32_t supported_features, struct hv_elf_info *e);

#endif
