/* hv/elf.c - reading a paravirtual guest kernel: ELF32 i386 program
 * headers and Xen's notes (<xen/elfnote.h>), or the older __xen_guest
 * section ("GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,...").
 *
 * The rules are Xen's loader's (libelf's elf_xen_parse and
 * elf_xen_addr_calc_check): the image must say it is for Xen 3.0 and for
 * the generic loader (or be Linux), PAE must be "yes" (we are a PAE
 * hypervisor), and the kernel's physical addresses become virtual ones by
 * virt_base - paddr_offset. A feature the notes mark required ("!feature")
 * that we do not offer refuses the kernel. Every refusal is one line.
 */
#include "elfload.h"

#include <linux/elf.h>
#include <xen/elfnote.h>

#define UNSET 0xFFFFFFFFu

static int fail(struct hv_elf_info *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct hv_elf_info *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->error, sizeof e->error, fmt, ap);
  va_end(ap);
  return -1;
}

/* Features (XEN_ELFNOTE_FEATURES names, bit numbers of <xen/features.h>). */
static const struct {
  const char *name;
  uint32_t bit;
} feature_names[] = {
    {"writable_page_tables", 0},      {"writable_descriptor_tables", 1},
    {"auto_translated_physmap", 2},   {"supervisor_mode_kernel", 3},
    {"pae_pgdir_above_4gb", 4},       {"mmu_pt_update_preserve_ad", 5},
    {"gnttab_map_avail_bits", 7},     {"hvm_callback_vector", 8},
    {"hvm_safe_pvclock", 9},          {"hvm_pirqs", 10},
    {"dom0", 11},
};

static int parse_features(struct hv_elf_info *e, const char *s, uint32_t len) {
  uint32_t at = 0;
  while (at < len && s[at]) {
    uint32_t n = 0;
    while (at + n < len && s[at + n] && s[at + n] != '|')
      n++;
    int required = 0;
    const char *name = s + at;
    uint32_t nl = n;
    if (nl && name[0] == '!') {
      required = 1;
      name++;
      nl--;
    }
    int known = 0;
    for (uint32_t k = 0; k < sizeof feature_names / sizeof feature_names[0]; k++)
      if (strlen(feature_names[k].name) == nl && memcmp(feature_names[k].name, name, nl) == 0) {
        e->features_supported |= 1u << feature_names[k].bit;
        if (required)
          e->features_required |= 1u << feature_names[k].bit;
        known = 1;
      }
    if (!known && required)
      return fail(e, "requires feature '%.*s', which this hypervisor does not know", (int)nl, name);
    at += n;
    if (at < len && s[at] == '|')
      at++;
  }
  return 0;
}

/* A numeric note, as libelf's elf_note_numeric: 1, 2, 4 or 8 bytes (an
 * 8-byte value truncated to 32 bits), any other size 0. */
static uint32_t note_value(const uint8_t *desc, uint32_t descsz) {
  switch (descsz) {
  case 1: return desc[0];
  case 2: return *(const uint16_t *)desc;
  case 4: return *(const uint32_t *)desc;
  case 8: return (uint32_t) * (const uint64_t *)desc;
  default: return 0;
  }
}

static void copy_str(char *dst, uint32_t size, const uint8_t *src, uint32_t n) {
  if (n >= size)
    n = size - 1;
  memcpy(dst, src, n);
  dst[n] = 0;
  dst[strnlen(dst, n)] = 0;
}

/* The notes of one PT_NOTE segment or SHT_NOTE section, file offsets
 * [start, end), as libelf's elf_xen_parse_notes walks them: every note
 * whose header starts inside the range is read, but its name and
 * description are bounded by the file, not by the range. GRUB's
 * grub-mkimage (i386-xen) writes a PAE_MODE note whose descsz (12,
 * "yes,bimodal") runs 8 bytes past its segment and past the end of the
 * file, with only "yes\0" in it: Xen reads the string up to its NUL and
 * loads the image. A string note is read up to its NUL (libelf's
 * elf_strval); one with no NUL inside the file is ignored. Returns the
 * number of Xen notes, or -1. */
static int parse_notes(struct hv_elf_info *e, const uint8_t *img, uint32_t size, uint32_t start, uint32_t end) {
  int found = 0;
  uint32_t at = start;
  while (at < end) {
    if ((uint64_t)at + sizeof(Elf32_Nhdr) > size)
      break;
    const Elf32_Nhdr *nh = (const Elf32_Nhdr *)(img + at);
    uint64_t name_at = (uint64_t)at + sizeof *nh;
    uint64_t desc_at = name_at + (((uint64_t)nh->n_namesz + 3) & ~3ull);
    uint64_t next = desc_at + (((uint64_t)nh->n_descsz + 3) & ~3ull);
    if (next > UINT32_MAX)
      next = UINT32_MAX;
    at = (uint32_t)next;
    if (nh->n_namesz != 4 || name_at + 4 > size || memcmp(img + name_at, "Xen", 4) != 0)
      continue;
    found++;
    e->has_xen_notes = 1;
    /* What of the description lies inside the file. */
    uint32_t avail = desc_at >= size ? 0 : (uint32_t)(size - desc_at);
    const uint8_t *desc = img + (desc_at > size ? size : desc_at);
    uint32_t v = nh->n_descsz <= avail ? note_value(desc, nh->n_descsz) : 0;
    uint32_t slen = strnlen((const char *)desc, avail);
    int str_ok = slen < avail; /* a NUL inside the file */
    switch (nh->n_type) {
    case XEN_ELFNOTE_ENTRY: e->entry = v; break;
    case XEN_ELFNOTE_HYPERCALL_PAGE: e->hypercall_page = v; break;
    case XEN_ELFNOTE_VIRT_BASE: e->virt_base = v; break;
    case XEN_ELFNOTE_PADDR_OFFSET: e->paddr_offset = v; break;
    case XEN_ELFNOTE_XEN_VERSION:
      if (str_ok)
        copy_str(e->xen_version, sizeof e->xen_version, desc, slen);
      break;
    case XEN_ELFNOTE_GUEST_OS:
      if (str_ok)
        copy_str(e->guest_os, sizeof e->guest_os, desc, slen);
      break;
    case XEN_ELFNOTE_LOADER:
      if (str_ok)
        copy_str(e->loader, sizeof e->loader, desc, slen);
      break;
    case XEN_ELFNOTE_PAE_MODE:
      if (str_ok)
        copy_str(e->pae, sizeof e->pae, desc, slen);
      break;
    case XEN_ELFNOTE_FEATURES:
      if (str_ok && parse_features(e, (const char *)desc, slen) != 0)
        return -1;
      break;
    case XEN_ELFNOTE_SUPPORTED_FEATURES: e->features_supported |= v; break;
    case XEN_ELFNOTE_PHYS32_ENTRY: e->phys32_entry = 1; break;
    default: break;
    }
  }
  return found;
}

/* The __xen_guest section: comma-separated KEY=VALUE pairs. */
static int parse_xen_guest(struct hv_elf_info *e, const char *s, uint32_t len) {
  char buf[512];
  copy_str(buf, sizeof buf, (const uint8_t *)s, len);
  e->has_xen_notes = 1;
  e->from_xen_guest = 1;
  char *p = buf;
  while (*p) {
    char *end = p + strcspn(p, ",");
    char save = *end;
    *end = 0;
    char *val = strchr(p, '=');
    if (val) {
      *val++ = 0;
      if (strcmp(p, "GUEST_OS") == 0)
        strlcpy(e->guest_os, val, sizeof e->guest_os);
      else if (strcmp(p, "XEN_VER") == 0)
        strlcpy(e->xen_version, val, sizeof e->xen_version);
      else if (strcmp(p, "LOADER") == 0)
        strlcpy(e->loader, val, sizeof e->loader);
      else if (strcmp(p, "VIRT_BASE") == 0)
        e->virt_base = strtoul(val, NULL, 0);
      else if (strcmp(p, "ELF_PADDR_OFFSET") == 0)
        e->paddr_offset = strtoul(val, NULL, 0);
      else if (strcmp(p, "HYPERCALL_PAGE") == 0)
        e->hypercall_page_pfn = strtoul(val, NULL, 0);
      else if (strcmp(p, "PAE") == 0)
        strlcpy(e->pae, val, sizeof e->pae);
      else if (strcmp(p, "FEATURES") == 0 && parse_features(e, val, strlen(val)) != 0)
        return -1;
    }
    if (!save)
      break;
    p = end + 1;
  }
  return 0;
}

int hv_elf_parse(const uint8_t *img, uint32_t size, uint32_t supported_features, struct hv_elf_info *e) {
  memset(e, 0, sizeof *e);
  e->entry = e->hypercall_page = e->virt_base = e->paddr_offset = e->hypercall_page_pfn = UNSET;
  const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
  if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
    return fail(e, "not an ELF file");
  if (eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_386)
    return fail(e, "not a 32-bit little-endian i386 ELF (a 64-bit kernel cannot run on 32-bit PAE Xen)");
  if (eh->e_type != ET_EXEC)
    return fail(e, "not an executable ELF");
  if (eh->e_phentsize != sizeof(Elf32_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64 ||
      (uint64_t)eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > size)
    return fail(e, "bad program headers");
  const Elf32_Phdr *ph = (const Elf32_Phdr *)(img + eh->e_phoff);
  e->pstart = UNSET;
  e->pend = 0;
  for (uint32_t k = 0; k < eh->e_phnum; k++) {
    /* libelf skips a note segment at offset 0 (some binutils wrote
     * those); the notes' reads are bounded by the file (parse_notes). */
    if (ph[k].p_type == PT_NOTE && ph[k].p_offset != 0) {
      uint64_t nend = (uint64_t)ph[k].p_offset + ph[k].p_filesz;
      if (parse_notes(e, img, size, ph[k].p_offset, nend > size ? size : (uint32_t)nend) < 0)
        return -1;
    }
    if (ph[k].p_type != PT_LOAD || ph[k].p_memsz == 0)
      continue;
    if ((uint64_t)ph[k].p_offset + ph[k].p_filesz > size || ph[k].p_filesz > ph[k].p_memsz)
      return fail(e, "load segment outside the file");
    if (e->n_segs == HV_ELF_MAX_SEGS)
      return fail(e, "more than %u load segments", HV_ELF_MAX_SEGS);
    struct hv_elf_seg *s = &e->segs[e->n_segs++];
    s->paddr = ph[k].p_paddr;
    s->memsz = ph[k].p_memsz;
    s->filesz = ph[k].p_filesz;
    s->data = img + ph[k].p_offset;
    if (s->paddr < e->pstart)
      e->pstart = s->paddr;
    if ((uint64_t)s->paddr + s->memsz > e->pend)
      e->pend = s->paddr + s->memsz;
  }
  if (e->n_segs == 0)
    return fail(e, "no load segments");

  /* Section headers: notes in SHT_NOTE sections and __xen_guest. */
  if (!e->has_xen_notes && eh->e_shoff && eh->e_shentsize == sizeof(Elf32_Shdr) &&
      (uint64_t)eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf32_Shdr) <= size && eh->e_shstrndx < eh->e_shnum) {
    const Elf32_Shdr *sh = (const Elf32_Shdr *)(img + eh->e_shoff);
    const Elf32_Shdr *strs = &sh[eh->e_shstrndx];
    for (uint32_t k = 0; k < eh->e_shnum; k++) {
      if ((uint64_t)sh[k].sh_offset + sh[k].sh_size > size)
        continue;
      if (sh[k].sh_type == SHT_NOTE && parse_notes(e, img, size, sh[k].sh_offset, sh[k].sh_offset + sh[k].sh_size) < 0)
        return -1;
      if (strs->sh_offset + sh[k].sh_name + 12 <= size &&
          memcmp(img + strs->sh_offset + sh[k].sh_name, "__xen_guest", 12) == 0 &&
          parse_xen_guest(e, (const char *)img + sh[k].sh_offset, sh[k].sh_size) != 0)
        return -1;
    }
  }
  if (!e->has_xen_notes)
    return fail(e, "not a Xen kernel: no Xen ELF notes and no __xen_guest section");

  /* Xen's loader's checks, in its order (elf_xen_note_check): the loader
   * or guest OS first (prefixes "generic", "linux"), then the version. A
   * PVH image (PHYS32_ENTRY alone) fails the first, as on Xen's PV
   * builder. */
  if (strncmp(e->loader, "generic", 7) != 0 && strncmp(e->guest_os, "linux", 5) != 0)
    return fail(e, "built for loader '%s', guest OS '%s': only the generic loader or Linux images load here%s",
                e->loader, e->guest_os,
                e->phys32_entry ? " (a PVH image: its entry is PHYS32_ENTRY, for an HVM container)" : "");
  if (strncmp(e->xen_version, "xen-3.0", 7) != 0)
    return fail(e, "built for '%s': this hypervisor loads only xen-3.0 images", e->xen_version);
  if (strncmp(e->pae, "yes", 3) != 0 && strcmp(e->pae, "bimodal") != 0)
    return fail(e, "not a PAE kernel (PAE '%s'): this is a 32-bit PAE hypervisor", e->pae[0] ? e->pae : "no");
  uint32_t missing = e->features_required & ~supported_features;
  if (missing) {
    for (uint32_t k = 0; k < sizeof feature_names / sizeof feature_names[0]; k++)
      if (missing & (1u << feature_names[k].bit))
        return fail(e, "requires feature '%s', which this hypervisor does not offer", feature_names[k].name);
  }

  /* Addresses (elf_xen_addr_calc_check). An unset paddr_offset is 0 for
   * a kernel with ELF notes and virt_base for the old __xen_guest section
   * (whose kernels put virt_base in the ELF's physical addresses). */
  if (e->paddr_offset != UNSET && e->virt_base == UNSET)
    return fail(e, "ELF_PADDR_OFFSET set, VIRT_BASE unset");
  if (e->virt_base == UNSET)
    e->virt_base = 0;
  if (e->paddr_offset == UNSET)
    e->paddr_offset = e->from_xen_guest ? e->virt_base : 0;
  uint32_t virt_offset = e->virt_base - e->paddr_offset;
  e->virt_kstart = e->pstart + virt_offset;
  e->virt_kend = e->pend + virt_offset;
  e->virt_offset = virt_offset;
  if (e->entry == UNSET)
    e->entry = eh->e_entry;
  if (e->hypercall_page == UNSET && e->hypercall_page_pfn != UNSET)
    e->hypercall_page = e->virt_base + (e->hypercall_page_pfn << 12);
  if (e->virt_kstart > e->virt_kend || e->virt_kstart < e->virt_base || e->entry < e->virt_kstart ||
      e->entry >= e->virt_kend || e->virt_kend > HYPERVISOR_VIRT_START)
    return fail(e, "kernel addresses 0x%08x-0x%08x (entry 0x%08x, base 0x%08x) do not fit below 0x%08x",
                e->virt_kstart, e->virt_kend, e->entry, e->virt_base, (uint32_t)HYPERVISOR_VIRT_START);
  if (e->hypercall_page != UNSET &&
      (e->hypercall_page < e->virt_kstart || e->hypercall_page >= e->virt_kend || (e->hypercall_page & 0xFFF)))
    return fail(e, "hypercall page 0x%08x is not a page of the kernel", e->hypercall_page);
  return 0;
}
