/* arch/native/check.c - "pvcheck": the native layer with Xen's rules
 * checked (kernel command line option pvcheck).
 *
 * The native layer writes page-table entries at once and ignores the
 * page-table hooks; Xen does neither. To find a core that only works
 * natively before issue 12 does, this mode wraps the page-table
 * operations and panics when the core breaks one of the rules of pv.h:
 *
 *   - set_pte writes only into level-1 tables, set_pmd only into level-2
 *     ones (pages announced with alloc_pt and not yet released), and
 *     set_pmd links only level-1 tables of the same address space;
 *   - no present, writable user or kernel mapping of a page that is a
 *     page table (Xen refuses it);
 *   - a table is released only at its own level and by its own address
 *     space, a PDPT only unpinned; switch_mm loads only a pinned PDPT (or
 *     the kernel-only one); pin_mm finds the whole tree made of that
 *     address space's tables: level 2 in each PDPT slot, level 1 under
 *     each present user entry;
 *   - lazy-MMU brackets do not nest, and update_va is not used inside one.
 *
 * And it behaves as Xen batches: inside a lazy-MMU bracket, set_pte and
 * set_pmd are queued and written at lazy_mmu_end (or when the queue is
 * full), so a core that reads back an entry it has just written inside
 * the bracket sees the old value, as it would under Xen.
 */
#include "native.h"

#define QUEUE_MAX 128
#define LV_MASK 0x03
#define LV_PINNED 0x80

static uint8_t *pt_level; /* per frame: table level 0-3, LV_PINNED */
static uint32_t *pt_owner; /* per frame: the address space (PDPT frame) of a table */
static uint32_t max_pfn, kernel_pdpt;
static struct pv_ops inner; /* the plain native operations */
static int lazy;
static struct {
  pte_t *p;
  pte_t v;
  int pmd;
} queue[QUEUE_MAX];
static unsigned queued;

#define FAIL(...) panic("pvcheck: " __VA_ARGS__)

static unsigned level_of(uint32_t pfn) { return pfn < max_pfn ? pt_level[pfn] & LV_MASK : 0; }

static void check_target(pte_t v) {
  if (!(v & PTE_P))
    return;
  uint32_t pfn = inner.pte_pfn(v);
  if ((v & PTE_W) && level_of(pfn))
    FAIL("a writable mapping of frame %#x, a level-%u page table", pfn, level_of(pfn));
}

static void flush_queue(void) {
  for (unsigned k = 0; k < queued; k++)
    (queue[k].pmd ? inner.set_pmd : inner.set_pte)(queue[k].p, queue[k].v);
  queued = 0;
}

static void write_or_queue(pte_t *p, pte_t v, int pmd) {
  if (!lazy) {
    (pmd ? inner.set_pmd : inner.set_pte)(p, v);
    return;
  }
  if (queued == QUEUE_MAX)
    flush_queue();
  queue[queued].p = p;
  queue[queued].v = v;
  queue[queued].pmd = pmd;
  queued++;
}

static void check_set_pte(pte_t *p, pte_t v) {
  uint32_t table = virt_to_pfn(p);
  if (level_of(table) != 1)
    FAIL("set_pte into frame %#x, which is not a level-1 table (level %u)", table, level_of(table));
  check_target(v);
  write_or_queue(p, v, 0);
}

static void check_set_pmd(pte_t *p, pte_t v) {
  uint32_t table = virt_to_pfn(p);
  if (level_of(table) != 2)
    FAIL("set_pmd into frame %#x, which is not a level-2 table (level %u)", table, level_of(table));
  uint32_t child = inner.pte_pfn(v);
  if ((v & PTE_P) && (level_of(child) != 1 || pt_owner[child] != pt_owner[table]))
    FAIL("set_pmd links frame %#x, not a level-1 table of the same address space", child);
  write_or_queue(p, v, 1);
}

static void check_update_va(pte_t *p, uint32_t va, pte_t v, int flush) {
  if (lazy)
    FAIL("update_va inside a lazy-MMU bracket");
  if (level_of(virt_to_pfn(p)) != 1)
    FAIL("update_va of an entry outside a level-1 table");
  check_target(v);
  inner.update_va(p, va, v, flush);
}

static void check_alloc_pt(uint32_t as, uint32_t pfn, int level) {
  if (pfn >= max_pfn || as >= max_pfn || level < 1 || level > 3 || (level == 3) != (as == pfn))
    FAIL("alloc_pt(%#x, %#x, %d): no such frame or level", as, pfn, level);
  if (level_of(pfn))
    FAIL("alloc_pt(%#x, %d): already a level-%u table", pfn, level, level_of(pfn));
  pt_level[pfn] = (uint8_t)level;
  pt_owner[pfn] = as;
}

static void check_release_pt(uint32_t as, uint32_t pfn, int level) {
  if (pfn >= max_pfn || level_of(pfn) != (unsigned)level || pt_owner[pfn] != as)
    FAIL("release_pt(%#x, %#x, %d): it is a level-%u table of %#x", as, pfn, level, level_of(pfn),
         pfn < max_pfn ? pt_owner[pfn] : 0);
  if (pt_level[pfn] & LV_PINNED)
    FAIL("release_pt(%#x): still pinned", pfn);
  pt_level[pfn] = 0;
  pt_owner[pfn] = 0;
}

static void check_pin(uint32_t pfn) {
  if (level_of(pfn) != 3 || (pt_level[pfn] & LV_PINNED))
    FAIL("pin_mm(%#x): not an unpinned PDPT", pfn);
  const pte_t *pdpt = pfn_to_virt(pfn);
  for (unsigned k = 0; k < PDPT_ENTRIES; k++) {
    uint32_t pmd = inner.pte_pfn(pdpt[k]);
    if (!(pdpt[k] & PTE_P) || level_of(pmd) != 2 || pt_owner[pmd] != pfn)
      FAIL("pin_mm(%#x): slot %u is not one of its level-2 tables", pfn, k);
    if (k == 3)
      continue; /* the kernel half: the boot tables, the arch's */
    const pte_t *dir = pfn_to_virt(pmd);
    for (unsigned j = 0; j < PT_ENTRIES; j++) {
      uint32_t l1 = inner.pte_pfn(dir[j]);
      if ((dir[j] & PTE_P) && (level_of(l1) != 1 || pt_owner[l1] != pfn))
        FAIL("pin_mm(%#x): entry %u of slot %u is not one of its level-1 tables", pfn, j, k);
    }
  }
  pt_level[pfn] |= LV_PINNED;
}

static void check_unpin(uint32_t pfn) {
  if (level_of(pfn) != 3 || !(pt_level[pfn] & LV_PINNED))
    FAIL("unpin_mm(%#x): not a pinned PDPT", pfn);
  pt_level[pfn] &= (uint8_t)~LV_PINNED;
}

static void check_switch_mm(uint32_t pfn) {
  if (pfn != kernel_pdpt && (level_of(pfn) != 3 || !(pt_level[pfn] & LV_PINNED)))
    FAIL("switch_mm(%#x): not a pinned PDPT", pfn);
  if (lazy)
    FAIL("switch_mm inside a lazy-MMU bracket");
  inner.switch_mm(pfn);
}

static void check_lazy_begin(void) {
  if (lazy)
    FAIL("nested lazy-MMU brackets");
  lazy = 1;
}

static void check_lazy_end(void) {
  if (!lazy)
    FAIL("lazy_mmu_end without lazy_mmu_begin");
  flush_queue();
  lazy = 0;
}

static void check_flush_user(void) {
  if (lazy)
    FAIL("a TLB flush inside a lazy-MMU bracket (the queued entries are not written yet)");
  inner.flush_tlb_user();
}

void native_check_start(struct boot_info *bi) {
  max_pfn = bi->max_pfn;
  kernel_pdpt = bi->kernel_pdpt_pfn;
  uint32_t need = ALIGN_UP(max_pfn * 5, PAGE_SIZE) >> PAGE_SHIFT; /* level and owner */
  unsigned k;
  for (k = 0; k < bi->n_free; k++)
    if (bi->free[k].end_pfn - bi->free[k].first_pfn >= need)
      break;
  if (k == bi->n_free)
    panic("pvcheck: no room for the frame table");
  pt_owner = pfn_to_virt(bi->free[k].first_pfn);
  pt_level = (uint8_t *)(pt_owner + max_pfn);
  bi->free[k].first_pfn += need;
  memset(pt_owner, 0, max_pfn * 5);
  inner = pv;
  pv.set_pte = check_set_pte;
  pv.set_pmd = check_set_pmd;
  pv.update_va = check_update_va;
  pv.alloc_pt = check_alloc_pt;
  pv.release_pt = check_release_pt;
  pv.pin_mm = check_pin;
  pv.unpin_mm = check_unpin;
  pv.switch_mm = check_switch_mm;
  pv.lazy_mmu_begin = check_lazy_begin;
  pv.lazy_mmu_end = check_lazy_end;
  pv.flush_tlb_user = check_flush_user;
  pv.name = "native+pvcheck";
}
