/* arch/xen/boot.c - start of day as a Xen PV domain: from start_info and
 * the builder's page tables to the kernel's own, and boot_info for the
 * core.
 *
 * What the builder gives us (Xen's start_info contract, <xen/xen.h>): one
 * contiguous virtual region from VIRT_BASE = PAGE_OFFSET mapping the first
 * pseudo-physical frames one to one, in this order, each part page
 * aligned: the kernel image, the initrd (mod_start, mod_len), the p2m
 * list (mfn_list), start_info, the bootstrap page tables (pt_base,
 * nr_pt_frames; mapped read-only), a one-page stack, then at least 512 KiB
 * of padding up to a 4 MiB boundary. Everything but the page tables is
 * writable; the other frames of the domain are not mapped.
 *
 *   PAGE_OFFSET + pfn * 4096
 *   0xC0000000 +-------------------------------+ pfn 0
 *              | kernel image (text ... bss)   |  _end
 *              | initrd                        |  freed by the core once unpacked
 *              | p2m list, start_info          |  kept
 *              | builder's L3, L2s, L1s        |  its L1s stay: they map this region
 *              | builder's stack               |
 *              | padding: the new L1s          |  boot_pt_next
 *              +-------------------------------+ boot_end (4 MiB aligned)
 *              | the rest of the domain        |  mapped by the new L1s
 *              +-------------------------------+ nr_pages (at most DIRECT_MAP_MAX)
 *
 * The kernel's tables, as natively: kernel_pmd, the master page directory
 * of the kernel half (L3 slot 3), and kernel_pdpt, the kernel-only address
 * space, both pages of the image. kernel_pmd takes the builder's entries
 * for the bootstrap region (its L1s, which map the builder's tables
 * read-only already) and one new L1 per further 2 MiB, taken from the
 * padding, filled while writable, then made read-only. Then kernel_pdpt
 * is pinned and becomes the base pointer; the builder's L3 and L2s are
 * plain pages again (left unused). The shared info page is mapped over a
 * page of the image (xen_shared_page) before anything else.
 */
#include "xen.h"

#define MB (1u << 20)

start_info_t *xen_start_info;
shared_info_t *xen_shared;
uint32_t *xen_p2m;
uint32_t xen_nr_pages;

uint8_t xen_shared_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static pte_t kernel_pmd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static pte_t kernel_pdpt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static struct boot_info boot_info;

_Static_assert(offsetof(shared_info_t, vcpu_info[0].evtchn_upcall_pending) == 0, "entry.S: VCPU_PENDING");
_Static_assert(offsetof(shared_info_t, vcpu_info[0].evtchn_upcall_mask) == 1, "entry.S: VCPU_MASK");
_Static_assert(FLAT_KERNEL_DS == 0xe021 && FLAT_USER_DS == 0xe033, "entry.S: selectors");

static void hypercall_or_panic(long rc, const char *what) {
  if (rc)
    panic("xen boot: %s failed with %ld", what, rc);
}

/* The builder's L2 of slot 3, read through the direct map (read-only). */
static const pte_t *builder_kernel_l2(void) {
  const pte_t *l3 = (const pte_t *)xen_start_info->pt_base;
  if (!(l3[3] & PTE_P))
    panic("xen boot: the bootstrap page tables have no slot 3");
  return pfn_to_virt(xen_pte_pfn(l3[3]));
}

/* Builds the direct map and loads the kernel's page tables; returns the
 * first frame after the padding's used part. */
static uint32_t build_direct_map(uint32_t max_pfn) {
  start_info_t *si = xen_start_info;
  uint32_t stack_end = si->pt_base + si->nr_pt_frames * PAGE_SIZE + PAGE_SIZE;
  uint32_t v_end = ALIGN_UP(stack_end, 4 * MB);
  if (v_end - stack_end < 512 * 1024)
    v_end += 4 * MB;
  uint32_t boot_end = (v_end - PAGE_OFFSET) >> PAGE_SHIFT;
  uint32_t next = (stack_end - PAGE_OFFSET) >> PAGE_SHIFT; /* the padding */
  if (boot_end > xen_nr_pages)
    panic("xen boot: bootstrap region (%u frames) beyond the domain (%u)", boot_end, xen_nr_pages);

  /* the bootstrap region: the builder's L1s */
  const pte_t *bl2 = builder_kernel_l2();
  uint32_t boot_slots = boot_end / PT_ENTRIES; /* 2 MiB each: boot_end is 4 MiB aligned */
  for (uint32_t s = 0; s < boot_slots; s++) {
    if (!(bl2[s] & PTE_P))
      panic("xen boot: bootstrap 2 MiB slot %u not mapped", s);
    kernel_pmd[s] = bl2[s];
  }
  if (boot_end < xen_nr_pages && boot_slots < PT_ENTRIES && (bl2[boot_slots] & PTE_P))
    panic("xen boot: the bootstrap region goes on past %#x", v_end);

  /* the rest: new L1s from the padding */
  uint32_t slots = ALIGN_UP(max_pfn, PT_ENTRIES) / PT_ENTRIES;
  for (uint32_t s = boot_slots; s < slots; s++) {
    if (next >= boot_end)
      panic("xen boot: the bootstrap padding holds too few page tables for %u frames", max_pfn);
    pte_t *t = pfn_to_virt(next);
    memset(t, 0, PAGE_SIZE);
    for (uint32_t k = 0; k < PT_ENTRIES && s * PT_ENTRIES + k < max_pfn; k++)
      t[k] = xen_make_pte(s * PT_ENTRIES + k, PTE_P | PTE_W | PTE_A | PTE_D);
    xen_pin_frame(next);
    kernel_pmd[s] = xen_make_pte(next, PTE_P | PTE_W | PTE_A | PTE_D);
    next++;
  }
  kernel_pdpt[3] = xen_make_pte(virt_to_pfn(kernel_pmd), PTE_P);
  xen_pin_frame(virt_to_pfn(kernel_pmd));
  xen_pin_frame(virt_to_pfn(kernel_pdpt));
  xen_mc_flush();
  hypercall_or_panic(HYPERVISOR_mmuext_op(&(struct mmuext_op){.cmd = MMUEXT_PIN_L3_TABLE,
                                                              .arg1.mfn = pfn_to_mfn(virt_to_pfn(kernel_pdpt))},
                                          1, NULL, DOMID_SELF),
                     "pinning the kernel's page tables");
  xen_switch_mm(virt_to_pfn(kernel_pdpt));
  return next;
}

__attribute__((noreturn)) void xen_start(start_info_t *si) {
  pv = xen_ops;
  xen_start_info = si;
  xen_nr_pages = si->nr_pages;
  xen_p2m = (uint32_t *)si->mfn_list;
  xen_mmu_init();
  hypercall_or_panic(HYPERVISOR_update_va_mapping((uint32_t)xen_shared_page,
                                                  (uint64_t)si->shared_info | PTE_P | PTE_W | PTE_A | PTE_D,
                                                  UVMF_INVLPG | UVMF_LOCAL),
                     "mapping the shared info page");
  xen_shared = (shared_info_t *)xen_shared_page;
  if (!(si->flags & SIF_INITDOMAIN))
    panic("xen boot: not domain 0 (the console is domain 0's console_io)");

  struct boot_info *bi = &boot_info;
  bi->max_pfn = MIN(xen_nr_pages, DIRECT_MAP_MAX >> PAGE_SHIFT);
  uint32_t first_free = build_direct_map(bi->max_pfn);
  bi->kernel_pmd = kernel_pmd;
  bi->kernel_pdpt_pfn = virt_to_pfn(kernel_pdpt);
  bi->n_free = 0;
  if (first_free < bi->max_pfn) {
    bi->free[0].first_pfn = first_free;
    bi->free[0].end_pfn = bi->max_pfn;
    bi->n_free = 1;
  }
  bi->initrd = NULL;
  bi->initrd_bytes = 0;
  bi->initrd_first_pfn = bi->initrd_end_pfn = 0;
  if (si->mod_start && si->mod_len) {
    bi->initrd = (const uint8_t *)si->mod_start;
    bi->initrd_bytes = si->mod_len;
    bi->initrd_first_pfn = virt_to_pfn((const void *)si->mod_start);
    bi->initrd_end_pfn = ALIGN_UP(virt_to_phys((const void *)si->mod_start) + si->mod_len, PAGE_SIZE) >> PAGE_SHIFT;
  }
  strlcpy(bi->cmdline, (const char *)si->cmd_line, sizeof bi->cmdline); /* the arguments alone */

  xen_ops_init();
  kprintf("xen: domain 0, %u frames (%u KiB), direct map over %u, start_info %s\n", xen_nr_pages,
          xen_nr_pages * 4, bi->max_pfn, si->magic);
  kern_start(bi);
}
