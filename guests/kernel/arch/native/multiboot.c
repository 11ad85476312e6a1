/* arch/native/multiboot.c - what the Multiboot v1 loader tells the kernel
 * (Multiboot Specification 0.6.96, section 3.3), turned into the core's
 * struct boot_info: free frame ranges, the initramfs (module 0) and the
 * command line (without the image path the loader puts first).
 *
 * Frames the core may allocate: RAM (memory map type 1, or mem_upper when
 * there is no map) from 1 MiB up to the end of the direct map, minus the
 * kernel image and the modules. Everything below 1 MiB is left alone
 * (BIOS data, and where QEMU puts the information structure). The
 * information structure and the command line may lie in free frames: they
 * are copied here, before the core allocates anything.
 */
#include "native.h"

#define MB_BOOTLOADER_MAGIC 0x2BADB002u
#define MBI_MEM 0x001u
#define MBI_CMDLINE 0x004u
#define MBI_MODS 0x008u
#define MBI_MMAP 0x040u

struct mb_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
};

struct mb_module {
  uint32_t start, end, string, reserved;
};

struct mb_mmap {
  uint32_t size; /* of the rest of the entry */
  uint64_t base, length;
  uint32_t type;
} __attribute__((packed));

extern char _kernel_phys_start[], _end[];

/* Adds [first, end) minus the reserved ranges to bi->free. */
static void add_free(struct boot_info *bi, uint32_t first, uint32_t end, const uint32_t (*resv)[2],
                     unsigned n_resv) {
  for (unsigned k = 0; k < n_resv && first < end; k++) {
    uint32_t rf = resv[k][0], re = resv[k][1];
    if (re <= first || rf >= end)
      continue;
    if (rf > first)
      add_free(bi, first, rf, resv + k + 1, n_resv - k - 1);
    first = re;
  }
  if (first >= end)
    return;
  if (bi->n_free == BOOT_MAX_RANGES)
    panic("boot: more than %u free memory ranges", BOOT_MAX_RANGES);
  bi->free[bi->n_free].first_pfn = first;
  bi->free[bi->n_free].end_pfn = end;
  bi->n_free++;
}

static const void *mb_ptr(uint32_t pa) { return (const void *)(pa + PAGE_OFFSET); }

void native_multiboot_parse(uint32_t magic, uint32_t info_phys, struct boot_info *bi) {
  if (magic != MB_BOOTLOADER_MAGIC)
    panic("boot: not started by a Multiboot loader (magic %#x)", magic);
  const struct mb_info *mbi = mb_ptr(info_phys);

  /* the core wants the arguments only: Multiboot loaders (GRUB, QEMU,
   * ringlab) put the kernel image's path first */
  bi->cmdline[0] = 0;
  if (mbi->flags & MBI_CMDLINE) {
    const char *c = mb_ptr(mbi->cmdline);
    while (*c == ' ')
      c++;
    while (*c && *c != ' ')
      c++;
    while (*c == ' ')
      c++;
    strlcpy(bi->cmdline, c, sizeof bi->cmdline);
  }

  /* the end of RAM: the highest end of a type-1 region */
  uint64_t ram_end = 0;
  if (mbi->flags & MBI_MMAP) {
    for (uint32_t off = 0; off < mbi->mmap_length;) {
      const struct mb_mmap *m = mb_ptr(mbi->mmap_addr + off);
      if (m->type == 1 && m->base + m->length > ram_end)
        ram_end = m->base + m->length;
      off += m->size + 4;
    }
  } else if (mbi->flags & MBI_MEM) {
    ram_end = 0x100000ull + (uint64_t)mbi->mem_upper * 1024;
  } else {
    panic("boot: the loader gave no memory information");
  }
  if (ram_end > DIRECT_MAP_MAX)
    ram_end = DIRECT_MAP_MAX;
  bi->max_pfn = (uint32_t)(ram_end >> PAGE_SHIFT);

  /* reserved frames: below 1 MiB, the kernel, the modules */
  uint32_t resv[2 + 8][2];
  unsigned n_resv = 0;
  resv[n_resv][0] = 0;
  resv[n_resv][1] = 0x100000 >> PAGE_SHIFT;
  n_resv++;
  resv[n_resv][0] = (uint32_t)_kernel_phys_start >> PAGE_SHIFT;
  resv[n_resv][1] = ALIGN_UP(virt_to_phys(_end), PAGE_SIZE) >> PAGE_SHIFT;
  n_resv++;
  bi->initrd = NULL;
  bi->initrd_bytes = 0;
  bi->initrd_first_pfn = bi->initrd_end_pfn = 0;
  if ((mbi->flags & MBI_MODS) && mbi->mods_count > 0) {
    const struct mb_module *mod = mb_ptr(mbi->mods_addr);
    for (uint32_t k = 0; k < mbi->mods_count && n_resv < ARRAY_SIZE(resv); k++) {
      uint32_t first = mod[k].start >> PAGE_SHIFT;
      uint32_t end = ALIGN_UP(mod[k].end, PAGE_SIZE) >> PAGE_SHIFT;
      if (end > bi->max_pfn) {
        kprintf("boot: module %u lies beyond the direct map, ignored\n", k);
        continue;
      }
      resv[n_resv][0] = first;
      resv[n_resv][1] = end;
      n_resv++;
      if (k == 0) {
        bi->initrd = mb_ptr(mod[k].start);
        bi->initrd_bytes = mod[k].end - mod[k].start;
        bi->initrd_first_pfn = first;
        bi->initrd_end_pfn = end;
      }
    }
  }
  /* sort the reserved ranges by start (insertion sort, a handful) */
  for (unsigned a = 1; a < n_resv; a++)
    for (unsigned b = a; b > 0 && resv[b][0] < resv[b - 1][0]; b--) {
      uint32_t t0 = resv[b][0], t1 = resv[b][1];
      resv[b][0] = resv[b - 1][0];
      resv[b][1] = resv[b - 1][1];
      resv[b - 1][0] = t0;
      resv[b - 1][1] = t1;
    }

  bi->n_free = 0;
  if (mbi->flags & MBI_MMAP) {
    for (uint32_t off = 0; off < mbi->mmap_length;) {
      const struct mb_mmap *m = mb_ptr(mbi->mmap_addr + off);
      off += m->size + 4;
      if (m->type != 1 || m->base >= ram_end)
        continue;
      uint64_t end = m->base + m->length > ram_end ? ram_end : m->base + m->length;
      add_free(bi, (uint32_t)(ALIGN_UP(m->base, PAGE_SIZE) >> PAGE_SHIFT), (uint32_t)(end >> PAGE_SHIFT),
               (const uint32_t(*)[2])resv, n_resv);
    }
  } else {
    add_free(bi, 0x100000 >> PAGE_SHIFT, bi->max_pfn, (const uint32_t(*)[2])resv, n_resv);
  }
}
