/* hv/domain.c - the domain builder: one 32-bit PAE PV domain from a kernel
 * module (and its initrd), as Xen's builder lays it out.
 *
 * The domain's bootstrap address space starts at the kernel's virt_base
 * (pseudo-physical frame 0 there) and holds, in order:
 *
 *   v_start        +-------------------------------+ virt_base, pfn 0
 *                  | kernel (ELF load segments)    |
 *                  | initrd (if any)               | start_info.mod_start/len
 *                  | phys-to-machine list          | start_info.mfn_list
 *                  | start_info                    | ESI at entry
 *                  | store page, console page      | console: domU only
 *                  | page tables: L3, 4 L2s, L1s   | start_info.pt_base, read-only
 *                  | boot stack (one page)         | ESP at entry = its top
 *                  | padding (>= 512 KiB)          |
 *   v_end          +-------------------------------+ a 4 MiB boundary
 *
 * every page mapped writable but the page tables (read-only, as validation
 * demands). The rest of the domain's memory is in the p2m list, unmapped.
 * The page tables are then validated like any the guest would install
 * (mm.c), which also gives the slot-3 L2 the hypervisor's entries. The
 * shared info page is a separate frame (start_info.shared_info, a machine
 * address), and the read-only M2P table is at MACH2PHYS_VIRT_START.
 *
 * The domain enters in ring 1 at the ELF entry with CS = FLAT_RING1_CS,
 * DS = ES = FS = GS = SS = FLAT_RING1_DS, ESP = the stack's top, ESI =
 * start_info, EFLAGS.IF = 1 and its events masked (evtchn_upcall_mask = 1).
 */
#include "domain.h"
#include "elfload.h"

#include <linux/elf.h>
#include <xen/features.h>

#define MB (1u << 20)
#define L1_PROT (PTE_P | PTE_RW | PTE_A)
#define L2_PROT (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_US)
#define L3_PROT PTE_P

struct hv_domain hv_domains[HV_MAX_DOMAINS];
uint32_t hv_n_domains;
static uint32_t build_p2m[HV_MAX_MFNS];

/* Features offered to guests (XENVER_get_features and the ELF check). */
uint32_t hv_supported_features =
    (1u << XENFEAT_writable_page_tables) | (1u << XENFEAT_pae_pgdir_above_4gb) |
    (1u << XENFEAT_mmu_pt_update_preserve_ad);

struct hv_domain *hv_domain_by_id_any(uint32_t id) {
  for (uint32_t k = 0; k < hv_n_domains + 1 && k < HV_MAX_DOMAINS; k++)
    if (hv_domains[k].id == id && (k < hv_n_domains || hv_domains[k].max_pages))
      return &hv_domains[k];
  return NULL;
}

struct hv_domain *hv_domain_by_id(uint32_t id) {
  for (uint32_t k = 0; k < hv_n_domains; k++)
    if (hv_domains[k].exists && hv_domains[k].id == id && !hv_domains[k].destroyed &&
        hv_domains[k].shutdown_reason < 0)
      return &hv_domains[k];
  return NULL;
}

static int is_elf(const struct hv_module *m) {
  return m->end - m->start >= 4 && memcmp(hv_phys_to_virt(m->start), ELFMAG, SELFMAG) == 0;
}

static uint32_t round_pg(uint32_t v) { return (v + HV_PAGE_SIZE - 1) & ~(HV_PAGE_SIZE - 1); }

/* Splits "ARGS" into the guest's command line and our hv.* options. */
static void split_args(struct hv_domain *d, const char *args, char *cmdline, uint32_t size) {
  cmdline[0] = 0;
  uint32_t len = 0;
  while (*args) {
    while (*args == ' ')
      args++;
    uint32_t n = (uint32_t)strcspn(args, " ");
    if (n == 0)
      break;
    if (n > 3 && memcmp(args, "hv.", 3) == 0) {
      char word[64];
      strlcpy(word, args, n + 1 < sizeof word ? n + 1 : sizeof word);
      char *val = strchr(word, '=');
      uint32_t v = val ? (uint32_t)strtoul(val + 1, NULL, 0) : 0;
      if (val && strncmp(word, "hv.mem=", 7) == 0)
        d->max_pages = hv_parse_size_kib(val + 1, NULL) / 4;
      else if (val && strncmp(word, "hv.weight=", 10) == 0)
        d->weight = v ? v : 1;
      else if (val && strncmp(word, "hv.warp=", 8) == 0)
        d->warp_us = v;
      else if (val && strncmp(word, "hv.warpl=", 9) == 0)
        d->warp_limit_us = v;
      else if (val && strncmp(word, "hv.warpu=", 9) == 0)
        d->unwarp_us = v;
      else
        hv_panic("domain %u: unknown option '%s'", d->id, word);
    } else if (len + n + 2 < size) {
      if (len)
        cmdline[len++] = ' ';
      memcpy(cmdline + len, args, n);
      len += n;
      cmdline[len] = 0;
    }
    args += n;
  }
}

/* The machine frame of bootstrap virtual address va. */
static uint32_t va_mfn(uint32_t v_start, uint32_t va) { return build_p2m[(va - v_start) >> HV_PAGE_SHIFT]; }

static void copy_to_domain(uint32_t v_start, uint32_t va, const uint8_t *src, uint32_t n) {
  while (n) {
    uint32_t off = va & (HV_PAGE_SIZE - 1), chunk = HV_PAGE_SIZE - off;
    if (chunk > n)
      chunk = n;
    uint8_t *dst = (uint8_t *)hv_mfn_to_virt(va_mfn(v_start, va)) + off;
    if (src) {
      memcpy(dst, src, chunk);
      src += chunk;
    } else {
      memset(dst, 0, chunk);
    }
    va += chunk;
    n -= chunk;
  }
}

static int build_one(struct hv_domain *d, const struct hv_module *kmod, const struct hv_module *initrd) {
  struct hv_elf_info e;
  const uint8_t *img = hv_phys_to_virt(kmod->start);
  char cmdline[MAX_GUEST_CMDLINE];
  split_args(d, kmod->string, cmdline, sizeof cmdline);
  if (hv_elf_parse(img, kmod->end - kmod->start, hv_supported_features, &e) != 0) {
    hv_printf("(XEN) domain %u: %s: %s\n", d->id, kmod->path, e.error);
    return -1;
  }
  if (e.virt_base & (HV_PAGE_SIZE - 1)) {
    hv_printf("(XEN) domain %u: %s: virt_base 0x%08x is not page aligned\n", d->id, kmod->path, e.virt_base);
    return -1;
  }
  d->nr_pages = d->max_pages;
  int domu = !d->privileged;

  /* The layout (Xen's builder: solve for the number of page-table frames). */
  uint32_t initrd_len = initrd ? initrd->end - initrd->start : 0;
  uint32_t v_start = e.virt_base;
  uint32_t vkern_end = round_pg(e.virt_kend);
  uint32_t vinitrd_start = vkern_end, vinitrd_end = vinitrd_start + initrd_len;
  uint32_t vphysmap_start = round_pg(vinitrd_end);
  uint32_t vphysmap_end = vphysmap_start + d->nr_pages * 4;
  uint32_t vstartinfo_start = round_pg(vphysmap_end);
  uint32_t vstore = vstartinfo_start + HV_PAGE_SIZE;
  uint32_t vconsole = vstore + HV_PAGE_SIZE;
  uint32_t vpt_start = vconsole + (domu ? HV_PAGE_SIZE : 0);
  uint32_t nr_pt, vpt_end, vstack_end, v_end;
  for (nr_pt = 6;; nr_pt++) {
    vpt_end = vpt_start + nr_pt * HV_PAGE_SIZE;
    vstack_end = vpt_end + HV_PAGE_SIZE;
    v_end = (vstack_end + 4 * MB - 1) & ~(4 * MB - 1);
    if (v_end - vstack_end < 512 * 1024)
      v_end += 4 * MB;
    uint32_t first_l2e = v_start >> 21, last_l2e = (v_end - 1) >> 21;
    if (5 + (last_l2e - first_l2e + 1) <= nr_pt)
      break;
  }
  if (v_end > HYPERVISOR_VIRT_START || v_end < v_start) {
    hv_printf("(XEN) domain %u: %s: bootstrap space 0x%08x-0x%08x reaches the hypervisor\n", d->id, kmod->path,
              v_start, v_end);
    return -1;
  }
  uint32_t boot_pages = (v_end - v_start) >> HV_PAGE_SHIFT;
  if (boot_pages > d->nr_pages) {
    hv_printf("(XEN) domain %u: %s: needs at least %u KiB of memory (hv.mem=), has %u KiB\n", d->id, kmod->path,
              boot_pages * 4, d->nr_pages * 4);
    return -1;
  }
  if (d->nr_pages + 8 > hv_free_frames()) {
    hv_printf("(XEN) domain %u: %s: %u KiB wanted, %u KiB free\n", d->id, kmod->path, d->nr_pages * 4,
              hv_free_frames() * 4);
    return -1;
  }

  /* Memory: frames from the top down, so pfn != mfn. */
  for (uint32_t pfn = 0; pfn < d->nr_pages; pfn++) {
    uint32_t mfn = hv_alloc_frame(d->id);
    hv_frames[mfn].count = 1; /* the domain's allocation reference */
    hv_frames[mfn].flags |= HV_PGF_ALLOCATED;
    hv_m2p[mfn] = pfn;
    build_p2m[pfn] = mfn;
  }
  d->tot_pages = d->nr_pages;

  /* Hypervisor-side frames of the domain. */
  d->shared_mfn = hv_alloc_frame(d->id);
  hv_frames[d->shared_mfn].count = 1;
  hv_frames[d->shared_mfn].flags |= HV_PGF_SHARED_RW | HV_PGF_ALLOCATED;
  d->shared = hv_mfn_to_virt(d->shared_mfn);
  d->perdomain_l1_mfn = hv_alloc_frame(HV_OWNER_XEN);
  hv_perdomain_fill(hv_mfn_to_virt(d->perdomain_l1_mfn), NULL, 0);

  /* Page tables: L3, four L2s, then the L1s. */
  uint32_t l3_mfn = va_mfn(v_start, vpt_start);
  hv_pte_t *l3 = hv_mfn_to_virt(l3_mfn);
  uint32_t l2_mfn[4];
  for (uint32_t s = 0; s < 4; s++) {
    l2_mfn[s] = va_mfn(v_start, vpt_start + (1 + s) * HV_PAGE_SIZE);
    l3[s] = ((hv_pte_t)l2_mfn[s] << HV_PAGE_SHIFT) | L3_PROT;
  }
  uint32_t next_l1 = vpt_start + 5 * HV_PAGE_SIZE;
  uint32_t cur_l2e = 0xFFFFFFFFu;
  hv_pte_t *l1 = NULL;
  for (uint32_t va = v_start; va < v_end; va += HV_PAGE_SIZE) {
    if ((va >> 21) != cur_l2e) {
      cur_l2e = va >> 21;
      uint32_t mfn = va_mfn(v_start, next_l1);
      next_l1 += HV_PAGE_SIZE;
      hv_pte_t *l2 = hv_mfn_to_virt(l2_mfn[va >> 30]);
      l2[(va >> 21) & 511] = ((hv_pte_t)mfn << HV_PAGE_SHIFT) | L2_PROT;
      l1 = hv_mfn_to_virt(mfn);
    }
    uint32_t prot = (va >= vpt_start && va < vpt_end) ? (L1_PROT & ~PTE_RW) : L1_PROT;
    l1[(va >> 12) & 511] = ((hv_pte_t)va_mfn(v_start, va) << HV_PAGE_SHIFT) | prot;
  }

  /* The kernel, the initrd, the p2m list. */
  for (uint32_t k = 0; k < e.n_segs; k++) {
    uint32_t va = e.segs[k].paddr + e.virt_offset;
    copy_to_domain(v_start, va, e.segs[k].data, e.segs[k].filesz);
    copy_to_domain(v_start, va + e.segs[k].filesz, NULL, e.segs[k].memsz - e.segs[k].filesz);
  }
  if (initrd)
    copy_to_domain(v_start, vinitrd_start, hv_phys_to_virt(initrd->start), initrd_len);
  copy_to_domain(v_start, vphysmap_start, (const uint8_t *)build_p2m, d->nr_pages * 4);
  if (e.hypercall_page != 0xFFFFFFFFu)
    hv_hypercall_page_fill(hv_mfn_to_virt(va_mfn(v_start, e.hypercall_page)));

  /* Events, console and store. */
  hv_evtchn_init(d);
  hv_gnttab_init(d);
  for (uint32_t v = 0; v < XEN_LEGACY_MAX_VCPUS; v++)
    d->shared->vcpu_info[v].evtchn_upcall_mask = 1;
  struct hv_vcpu *vc = hv_vcpu(d);
  vc->info = &d->shared->vcpu_info[0];
  if (domu) {
    d->console_mfn = va_mfn(v_start, vconsole);
    d->console_port = (uint32_t)hv_evtchn_alloc_xen(d, HV_XEN_SVC_CONSOLE);
  }
  d->store_mfn = va_mfn(v_start, vstore);
  d->store_port = (uint32_t)hv_evtchn_alloc_xen(d, HV_XEN_SVC_STORE);
  hv_store_init(d);

  /* start_info. */
  d->start_info_mfn = va_mfn(v_start, vstartinfo_start);
  start_info_t *si = hv_mfn_to_virt(d->start_info_mfn);
  snprintf(si->magic, sizeof si->magic, "xen-%d.%d-x86_32p", HV_XEN_MAJOR, HV_XEN_MINOR);
  si->nr_pages = d->nr_pages;
  si->shared_info = d->shared_mfn << HV_PAGE_SHIFT;
  si->flags = d->privileged ? (SIF_PRIVILEGED | SIF_INITDOMAIN) : 0;
  si->store_mfn = d->store_mfn;
  si->store_evtchn = d->store_port;
  if (domu) {
    si->console.domU.mfn = d->console_mfn;
    si->console.domU.evtchn = d->console_port;
  }
  si->pt_base = vpt_start;
  si->nr_pt_frames = nr_pt;
  si->mfn_list = vphysmap_start;
  si->mod_start = initrd ? vinitrd_start : 0;
  si->mod_len = initrd_len;
  strlcpy((char *)si->cmd_line, cmdline, sizeof si->cmd_line);

  /* Validate the bootstrap page tables as the domain's base pointer, and
   * pin the L3 as Xen's builders do (dom0's and libxc's for a domU): a
   * kernel that moves to tables of its own unpins it (Linux, GRUB). */
  vc->cr3_mfn = 0;
  if (!hv_new_guest_cr3(d, l3_mfn) || !hv_get_page_and_type(l3_mfn, d, HV_PGT_L3)) {
    hv_printf("(XEN) domain %u: %s: the bootstrap page tables did not validate\n", d->id, kmod->path);
    return -1;
  }
  hv_frames[l3_mfn].flags |= HV_PGF_PINNED;

  /* The initial registers. */
  memset(&vc->regs, 0, sizeof vc->regs);
  vc->regs.eip = e.entry;
  vc->regs.cs = FLAT_KERNEL_CS;
  vc->regs.ds = vc->regs.es = vc->regs.fs = vc->regs.gs = FLAT_KERNEL_DS;
  vc->regs.ss = FLAT_KERNEL_SS;
  vc->regs.esp = vstack_end;
  vc->regs.esi = vstartinfo_start;
  vc->regs.eflags = EFLAGS_IF | 0x2;
  vc->kernel_ss = FLAT_KERNEL_SS;
  vc->kernel_sp = vstack_end;
  vc->state = VCPU_RUNNABLE;
  vc->up = 1;

  hv_printf("(XEN) domain %u: %s (%s, %s) %u KiB at 0x%08x-0x%08x, entry 0x%08x%s%s\n", d->id, kmod->path,
            e.guest_os[0] ? e.guest_os : "?", e.xen_version, d->nr_pages * 4, v_start, v_end, e.entry,
            initrd ? ", initrd " : "", initrd ? initrd->path : "");
  return 0;
}

uint32_t hv_build_domains(const struct hv_module *mods, uint32_t n) {
  uint32_t built = 0;
  for (uint32_t k = 0; k < n; k++) {
    if (!is_elf(&mods[k]))
      hv_panic("module %u (%s) is not a kernel (no ELF magic) and follows no kernel", k, mods[k].path);
    const struct hv_module *initrd = (k + 1 < n && !is_elf(&mods[k + 1])) ? &mods[k + 1] : NULL;
    if (hv_n_domains == HV_MAX_DOMAINS)
      hv_panic("more than %u domains", HV_MAX_DOMAINS);
    struct hv_domain *d = &hv_domains[hv_n_domains];
    memset(d, 0, sizeof *d);
    d->id = (uint16_t)hv_n_domains;
    d->privileged = d->id == 0 && !hv_opts.dom0less;
    d->shutdown_reason = -1;
    d->max_pages = hv_opts.dom_mem_kib / 4;
    d->weight = 1;
    snprintf(d->name, sizeof d->name, "d%u", d->id);
    if (build_one(d, &mods[k], initrd) != 0)
      hv_panic("domain %u could not be built", d->id);
    d->exists = 1;
    hv_n_domains++;
    built++;
    if (initrd)
      k++;
  }
  return built;
}
