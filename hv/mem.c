/* hv/mem.c - machine memory: which frames exist, who owns each, the free
 * pool, and the machine-to-physical table.
 *
 * The Multiboot memory map says which RAM exists; the hypervisor manages
 * the frames of its direct map (machine memory below 128 MiB) and leaves
 * the first megabyte and anything above alone. The first megabyte is I/O
 * memory, as Xen has always made it (arch_init_memory gives it to
 * DOMID_IO): no domain's RAM, mappable by the privileged domain alone and
 * uncounted, like any frame that is not RAM. Every frame has
 * a struct hv_page (owner, type, counts: mm.c's rules). Free frames form a
 * stack that hands out the highest frame first, so a domain's
 * pseudo-physical frame 0 is a high machine frame and its frames run
 * downwards: no domain's pseudo-physical frame numbers equal its machine
 * frame numbers, and a guest that confuses the two fails here as on Xen.
 *
 * The machine-to-physical table (hv_m2p, 4 bytes per machine frame) is
 * hypervisor memory written through the direct map and mapped read-only at
 * MACH2PHYS_VIRT_START for guests; unused entries hold INVALID_M2P_ENTRY.
 */
#include "hv-internal.h"

#define INVALID_M2P_ENTRY 0xFFFFFFFFu
#define LOW_MEM_END 0x100000u /* frames below 1 MiB stay unused */

struct hv_page hv_frames[HV_MAX_MFNS];
uint32_t hv_max_mfn;
uint32_t hv_m2p[HV_MAX_MFNS] __attribute__((aligned(4096)));
static hv_pte_t m2p_l1[512] __attribute__((aligned(4096)));

static uint32_t free_top = 0; /* top of the free stack (mfn), 0 = empty */
static uint32_t free_count;

extern char hv_image_start[], hv_image_end[];
extern hv_pte_t hv_l2[512];

static void push_free(uint32_t mfn) {
  struct hv_page *pg = &hv_frames[mfn];
  pg->owner = HV_OWNER_FREE;
  pg->type = HV_PGT_NONE;
  pg->flags = 0;
  pg->type_count = 0;
  pg->count = 0;
  pg->next_free = free_top;
  free_top = mfn;
  free_count++;
}

void hv_mem_init(uint32_t mbi_phys) {
  const uint8_t *mbi = hv_phys_to_virt(mbi_phys);
  uint32_t flags = *(const uint32_t *)mbi;
  for (uint32_t m = 0; m < HV_MAX_MFNS; m++) {
    hv_frames[m].owner = HV_OWNER_NONE;
    hv_m2p[m] = INVALID_M2P_ENTRY;
  }
  uint8_t ram[HV_MAX_MFNS / 8];
  memset(ram, 0, sizeof ram);
  if (flags & 0x40) { /* memory map */
    uint32_t len = *(const uint32_t *)(mbi + 44), at = *(const uint32_t *)(mbi + 48);
    for (uint32_t off = 0; off + 24 <= len;) {
      const uint8_t *e = hv_phys_to_virt(at + off);
      uint32_t size = *(const uint32_t *)e;
      uint64_t base = *(const uint64_t *)(e + 4), n = *(const uint64_t *)(e + 12);
      uint32_t type = *(const uint32_t *)(e + 20);
      if (type == 1) {
        uint64_t first = (base + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT, end = (base + n) >> HV_PAGE_SHIFT;
        for (uint64_t m = first; m < end && m < HV_MAX_MFNS; m++)
          ram[m / 8] |= (uint8_t)(1u << (m % 8));
      }
      off += size + 4;
    }
  } else if (flags & 0x1) { /* only mem_upper (KiB above 1 MiB) */
    uint32_t upper = *(const uint32_t *)(mbi + 8);
    uint64_t end = (LOW_MEM_END + ((uint64_t)upper << 10)) >> HV_PAGE_SHIFT;
    for (uint64_t m = LOW_MEM_END >> HV_PAGE_SHIFT; m < end && m < HV_MAX_MFNS; m++)
      ram[m / 8] |= (uint8_t)(1u << (m % 8));
  }
  uint32_t img_first = hv_virt_to_mfn(hv_image_start) & ~0xFFu; /* from 1 MiB: .boot too */
  uint32_t img_end = hv_virt_to_mfn(hv_image_end);
  for (uint32_t m = 0; m < HV_MAX_MFNS; m++) {
    if (!(ram[m / 8] & (1u << (m % 8))))
      continue;
    hv_max_mfn = m + 1;
    if (m < (LOW_MEM_END >> HV_PAGE_SHIFT)) {
      continue; /* BIOS and loader areas: I/O memory (HV_OWNER_NONE) */
    } else if (m >= img_first && m < img_end) {
      hv_frames[m].owner = HV_OWNER_XEN;
      hv_frames[m].count = 1;
    } else {
      push_free(m);
    }
  }

  /* The read-only M2P view (first 2 MiB of its 16 MiB: 512K frames). */
  for (uint32_t k = 0; k < sizeof hv_m2p / HV_PAGE_SIZE; k++) {
    uint32_t mfn = hv_virt_to_mfn((const uint8_t *)hv_m2p + k * HV_PAGE_SIZE);
    m2p_l1[k] = ((hv_pte_t)mfn << HV_PAGE_SHIFT) | PTE_P | PTE_A | PTE_G;
    hv_frames[mfn].flags |= HV_PGF_SHARED_RO;
  }
  hv_l2[HV_FIRST_HV_L2_SLOT] = (hv_pte_t)hv_virt_to_phys(m2p_l1) | PTE_P | PTE_RW | PTE_A;
  hv_flush_tlb_local();
}

/* Takes [start, end) out of the free pool (a module still to be read). */
void hv_mem_reserve(uint32_t start_phys, uint32_t end_phys) {
  uint32_t first = start_phys >> HV_PAGE_SHIFT, end = (end_phys + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
  uint32_t *link = &free_top;
  while (*link) {
    uint32_t m = *link;
    if (m >= first && m < end) {
      *link = hv_frames[m].next_free;
      hv_frames[m].owner = HV_OWNER_XEN;
      hv_frames[m].count = 1;
      free_count--;
    } else {
      link = &hv_frames[m].next_free;
    }
  }
}

void hv_mem_release(uint32_t start_phys, uint32_t end_phys) {
  uint32_t first = start_phys >> HV_PAGE_SHIFT, end = (end_phys + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
  for (uint32_t m = first; m < end && m < hv_max_mfn; m++)
    if (hv_frames[m].owner == HV_OWNER_XEN && m >= (LOW_MEM_END >> HV_PAGE_SHIFT))
      push_free(m);
}

uint32_t hv_alloc_frame(uint16_t owner) {
  uint32_t m = free_top;
  if (!m)
    return 0;
  free_top = hv_frames[m].next_free;
  free_count--;
  struct hv_page *pg = &hv_frames[m];
  pg->owner = owner;
  pg->type = HV_PGT_NONE;
  pg->flags = 0;
  pg->type_count = 0;
  pg->count = 0;
  pg->next_free = 0;
  memset(hv_mfn_to_virt(m), 0, HV_PAGE_SIZE);
  return m;
}

void hv_free_frame(uint32_t mfn) {
  hv_m2p[mfn] = INVALID_M2P_ENTRY;
  push_free(mfn);
}

uint32_t hv_free_frames(void) { return free_count; }
