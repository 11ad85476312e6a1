/* arch/xen/mmu.c - page tables under Xen: entries hold machine frames,
 * the page tables of a pinned tree are read-only to the kernel, and every
 * change to them goes through the hypervisor, which validates it.
 *
 * Pinned and unpinned trees (pv.h). An address space is pinned when it is
 * first loaded; until then its tables are ordinary writable pages that
 * the kernel fills with plain stores (fork writes its child's tree so, as
 * Linux's Xen code does). Pinning makes each of its tables read-only in
 * the direct map (a walk of the tree: the PDPT, its four page directories,
 * the page tables under slots 0-2) and asks the hypervisor to validate
 * the whole tree (MMUEXT_PIN_L3_TABLE), in the batch of the switch that
 * loads it. A table allocated for a pinned tree becomes read-only at once;
 * unpinning (before teardown) drops the hypervisor's pin, and each table
 * becomes writable again as the kernel releases it. One byte per frame
 * (pt_pinned) says which frames are tables of a pinned tree: set_pte and
 * set_pmd on those are hypercalls, on the others plain stores.
 *
 * The batch. Operations are queued in one multicall list, in order, and
 * issued together (Linux's multicall batching; XenoLinux 2.4 queued its
 * updates the same way): consecutive entry updates share one mmu_update
 * member (up to MMU_QUEUE requests, XenoLinux 2.4's QUEUE_SIZE),
 * consecutive MMU extended operations one mmuext_op member. A batch of one
 * member is issued as that hypercall alone. Inside the core's lazy-MMU
 * brackets (fork's copy, teardown, munmap, mprotect) the batch is issued
 * at lazy_mmu_end, or when a list is full; outside them every operation is
 * issued at once, with three exceptions that wait for the operation that
 * needs them, in the same batch:
 *   - alloc_pt (the page becomes read-only): a new table is always linked
 *     next, by set_pmd, which is queued behind it;
 *   - pin_mm: the address space is loaded next (switch_mm);
 *   - unpin_mm: the teardown that follows releases the tables.
 *
 * Context switches: set_kernel_stack only remembers the stack; switch_mm
 * issues stack_switch and MMUEXT_NEW_BASEPTR in one multicall (as
 * XenoLinux's switch_to did), with the pin of a first load before them,
 * and a stack still pending when the kernel returns to user mode (a
 * switch without a new address space) is issued then
 * (xen_sync_kernel_stack).
 *
 * A failed member is a kernel bug: panic, naming it.
 */
#include "xen.h"

#define MC_MAX 32       /* members of one multicall: Linux's MC_BATCH */
#define MMU_QUEUE 2048  /* entry updates of one batch: XenoLinux 2.4's QUEUE_SIZE */
#define EXT_MAX 32      /* extended operations of one batch */

static multicall_entry_t mc[MC_MAX];
static unsigned mc_n;
static mmu_update_t mmu_q[MMU_QUEUE];
static unsigned mmu_n;
static struct mmuext_op ext_q[EXT_MAX];
static unsigned ext_n;
static int lazy;
static uint8_t pt_pinned[DIRECT_MAP_MAX >> PAGE_SHIFT]; /* 1: a table of a pinned tree */
static uint32_t esp0_hv;      /* the kernel stack the hypervisor has */
static uint32_t esp0_pending; /* a different one to give it, or 0 */

void xen_mmu_init(void) {
  mc_n = mmu_n = ext_n = 0;
  lazy = 0;
}

static const char *op_name(uint32_t op) {
  switch (op) {
  case __HYPERVISOR_mmu_update: return "mmu_update";
  case __HYPERVISOR_mmuext_op: return "mmuext_op";
  case __HYPERVISOR_update_va_mapping: return "update_va_mapping";
  case __HYPERVISOR_stack_switch: return "stack_switch";
  default: return "hypercall";
  }
}

void xen_mc_flush(void) {
  if (mc_n == 0)
    return;
  if (mc_n == 1) {
    const multicall_entry_t *e = &mc[0];
    mc[0].result = (xen_ulong_t)xen_hypercall(e->op, e->args[0], e->args[1], e->args[2], e->args[3], e->args[4]);
  } else {
    long rc = HYPERVISOR_multicall(mc, mc_n);
    if (rc != 0)
      panic("xen: multicall of %u members failed with %ld", mc_n, rc);
  }
  for (unsigned k = 0; k < mc_n; k++)
    if (mc[k].result != 0)
      panic("xen: %s (member %u of %u, arguments %#lx %#lx %#lx %#lx) failed with %ld", op_name(mc[k].op), k,
            mc_n, mc[k].args[0], mc[k].args[1], mc[k].args[2], mc[k].args[3], (long)mc[k].result);
  mc_n = mmu_n = ext_n = 0;
}

static multicall_entry_t *mc_entry(uint32_t op) {
  if (mc_n == MC_MAX)
    xen_mc_flush();
  multicall_entry_t *e = &mc[mc_n++];
  memset(e, 0, sizeof *e);
  e->op = op;
  return e;
}

static void queue_mmu(uint64_t ptr, uint64_t val) {
  if (mmu_n == MMU_QUEUE || (mc_n == MC_MAX && mc[mc_n - 1].op != __HYPERVISOR_mmu_update))
    xen_mc_flush();
  multicall_entry_t *last = mc_n ? &mc[mc_n - 1] : NULL;
  if (last && last->op == __HYPERVISOR_mmu_update && last->args[0] + last->args[1] * sizeof(mmu_update_t) ==
                                                         (uint32_t)&mmu_q[mmu_n]) {
    last->args[1]++;
  } else {
    multicall_entry_t *e = mc_entry(__HYPERVISOR_mmu_update);
    e->args[0] = (uint32_t)&mmu_q[mmu_n];
    e->args[1] = 1;
    e->args[2] = 0; /* no done count */
    e->args[3] = DOMID_SELF;
  }
  mmu_q[mmu_n].ptr = ptr | MMU_NORMAL_PT_UPDATE;
  mmu_q[mmu_n].val = val;
  mmu_n++;
}

void xen_mc_mmuext(uint32_t cmd, uint32_t arg1) {
  if (ext_n == EXT_MAX || (mc_n == MC_MAX && mc[mc_n - 1].op != __HYPERVISOR_mmuext_op))
    xen_mc_flush();
  multicall_entry_t *last = mc_n ? &mc[mc_n - 1] : NULL;
  if (last && last->op == __HYPERVISOR_mmuext_op &&
      last->args[0] + last->args[1] * sizeof(struct mmuext_op) == (uint32_t)&ext_q[ext_n]) {
    last->args[1]++;
  } else {
    multicall_entry_t *e = mc_entry(__HYPERVISOR_mmuext_op);
    e->args[0] = (uint32_t)&ext_q[ext_n];
    e->args[1] = 1;
    e->args[2] = 0;
    e->args[3] = DOMID_SELF;
  }
  struct mmuext_op *op = &ext_q[ext_n++];
  memset(op, 0, sizeof *op);
  op->cmd = cmd;
  op->arg1.mfn = arg1; /* a frame, or linear_addr: the same word */
}

void xen_mc_update_va(uint32_t va, uint64_t pte, uint32_t flags) {
  multicall_entry_t *e = mc_entry(__HYPERVISOR_update_va_mapping);
  e->args[0] = va;
  e->args[1] = (uint32_t)pte;
  e->args[2] = (uint32_t)(pte >> 32);
  e->args[3] = flags;
}

static void issue_unless_lazy(void) {
  if (!lazy)
    xen_mc_flush();
}

/* ---- entries ---------------------------------------------------------------- */
pte_t xen_make_pte(uint32_t pfn, uint32_t flags) { return ((pte_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | flags; }

uint32_t xen_pte_pfn(pte_t pte) { return mfn_to_pfn((uint32_t)(pte >> PAGE_SHIFT) & 0x00FFFFFFu); }

/* A store of a whole entry into a table the hypervisor does not watch:
 * the half holding the present bit goes last when an entry appears and
 * first when it goes away (as natively). */
static void write_entry(pte_t *p, pte_t v) {
  volatile uint32_t *w = (volatile uint32_t *)p;
  if (v & PTE_P) {
    w[1] = (uint32_t)(v >> 32);
    w[0] = (uint32_t)v;
  } else {
    w[0] = (uint32_t)v;
    w[1] = (uint32_t)(v >> 32);
  }
}

void xen_set_pte(pte_t *ptep, pte_t val) {
  if (!pt_pinned[virt_to_pfn(ptep)]) {
    write_entry(ptep, val);
    return;
  }
  queue_mmu(virt_to_machine(ptep), val);
  issue_unless_lazy();
}

void xen_set_pmd(pte_t *pmdp, pte_t val) { xen_set_pte(pmdp, val); }

void xen_update_va(pte_t *ptep, uint32_t va, pte_t val, int flush) {
  UNUSED(ptep); /* the hypervisor finds the entry from va in the current tables */
  xen_mc_update_va(va, val, flush ? UVMF_INVLPG | UVMF_LOCAL : UVMF_NONE);
  issue_unless_lazy();
}

/* pfn becomes a table of a pinned tree: its direct-map entry read-only
 * (the hypervisor refuses a page table that is writable anywhere). No
 * flush of the old writable translation: the kernel never writes a pinned
 * table directly, and the hypervisor flushes when the frame changes type. */
void xen_pin_frame(uint32_t pfn) {
  pt_pinned[pfn] = 1;
  xen_mc_update_va((uint32_t)pfn_to_virt(pfn), xen_make_pte(pfn, PTE_P | PTE_A | PTE_D), UVMF_NONE);
}

void xen_alloc_pt(uint32_t as, uint32_t pfn, int level) {
  UNUSED(level);
  if (pt_pinned[as]) /* else written with plain stores until the tree is pinned */
    xen_pin_frame(pfn);
}

/* ...and back: writable again, the read-only translation flushed (a write
 * through it would fault, and the core takes kernel faults for bugs). */
void xen_release_pt(uint32_t as, uint32_t pfn, int level) {
  UNUSED(as);
  UNUSED(level);
  if (!pt_pinned[pfn])
    return;
  pt_pinned[pfn] = 0;
  xen_mc_update_va((uint32_t)pfn_to_virt(pfn), xen_make_pte(pfn, PTE_P | PTE_W | PTE_A | PTE_D),
                   UVMF_INVLPG | UVMF_LOCAL);
  issue_unless_lazy();
}

/* The first load of an address space: every table of its tree read-only,
 * then the pin, which validates the tree. Issued with the switch. */
void xen_pin_mm(uint32_t as) {
  const pte_t *pdpt = pfn_to_virt(as);
  xen_pin_frame(as);
  for (unsigned k = 0; k < PDPT_ENTRIES; k++) {
    if (!(pdpt[k] & PTE_P))
      continue;
    uint32_t l2 = xen_pte_pfn(pdpt[k]);
    xen_pin_frame(l2);
    if (k == 3)
      continue; /* the kernel's tables: pinned at boot, shared by every tree */
    const pte_t *dir = pfn_to_virt(l2);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
      if (dir[i] & PTE_P)
        xen_pin_frame(xen_pte_pfn(dir[i]));
  }
  xen_mc_mmuext(MMUEXT_PIN_L3_TABLE, pfn_to_mfn(as));
}

void xen_unpin_mm(uint32_t as) { xen_mc_mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(as)); }

void xen_lazy_mmu_begin(void) { lazy = 1; }

void xen_lazy_mmu_end(void) {
  lazy = 0;
  xen_mc_flush();
}

/* ---- TLB and address spaces -------------------------------------------------- */
void xen_flush_tlb_page(uint32_t va) {
  xen_mc_mmuext(MMUEXT_INVLPG_LOCAL, va);
  issue_unless_lazy();
}

/* No global pages under Xen: flushing the user's translations is flushing
 * the guest's. */
void xen_flush_tlb_user(void) {
  xen_mc_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
  issue_unless_lazy();
}

void xen_flush_tlb_all(void) { xen_flush_tlb_user(); }

static void queue_stack_switch(void) {
  multicall_entry_t *e = mc_entry(__HYPERVISOR_stack_switch);
  e->args[0] = FLAT_KERNEL_SS;
  e->args[1] = esp0_pending;
  esp0_hv = esp0_pending;
  esp0_pending = 0;
}

void xen_switch_mm(uint32_t pdpt_pfn) {
  if (!pt_pinned[pdpt_pfn])
    panic("xen: loading the address space of frame %#x, which is not pinned", pdpt_pfn);
  xen_mc_mmuext(MMUEXT_NEW_BASEPTR, pfn_to_mfn(pdpt_pfn)); /* one member with a pin queued before */
  if (esp0_pending)
    queue_stack_switch();
  xen_mc_flush();
}

void xen_set_kernel_stack(uint32_t esp0) { esp0_pending = esp0 == esp0_hv ? 0 : esp0; }

void xen_sync_kernel_stack(void) {
  if (mc_n)
    panic("xen: %u hypercalls still queued on the way to user mode", mc_n);
  if (esp0_pending) {
    queue_stack_switch();
    xen_mc_flush();
  }
}
