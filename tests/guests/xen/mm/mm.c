/* tests/guests/xen/mm - page-table validation as Xen does it: every rule a
 * guest can break, refused with Xen's error, and the updates that are
 * allowed (mmu_update at each level, MMU_MACHPHYS_UPDATE,
 * MMU_PT_UPDATE_PRESERVE_AD, update_va_mapping and its flush flags,
 * mmuext_op pin/unpin/new base pointer/flushes, vm_assist, writable page
 * tables, memory reservations). */
#include "pv.h"

#define SCRATCH 0xC0300000u /* bootstrap padding: windows onto other frames */
#define L1_PROT (PTE_P | PTE_RW | PTE_A | PTE_D)

static uint32_t next_pfn;
static uint32_t cur_l3; /* the L3 in use */
static int privileged;

/* A frame of ours that nothing maps (beyond the bootstrap area). */
static uint32_t fresh_mfn(void) { return pv_pfn_to_mfn(next_pfn++); }

/* Our L3's entries without A and D (the builder writes none; the tests
 * add them where they mean to). */
static uint64_t l3e(uint32_t slot) { return ((const uint64_t *)pv_si->pt_base)[slot] & ~(PTE_A | PTE_D); }

static long map(uint32_t va, uint64_t pte) { return HYPERVISOR_update_va_mapping(va, pte, UVMF_INVLPG); }

static long pt_update(uint64_t ptr, uint64_t val) {
  mmu_update_t u = {.ptr = ptr, .val = val};
  return HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
}

static long ext(uint32_t cmd, uint32_t mfn) {
  struct mmuext_op op = {.cmd = cmd};
  op.arg1.mfn = mfn;
  return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/* Fills frame mfn through a scratch window, then unmaps the window. */
static void fill_frame(uint32_t mfn, const uint64_t *entries, uint32_t n) {
  uint32_t va = SCRATCH + 0x10000;
  PV_EXPECT(map(va, ((uint64_t)mfn << 12) | L1_PROT), 0);
  uint64_t *p = (uint64_t *)va;
  for (uint32_t i = 0; i < 512; i++)
    p[i] = i < n ? entries[i] : 0;
  PV_EXPECT(map(va, 0), 0);
}

static void test_l1_rules(void) {
  uint32_t va = SCRATCH, mfn = fresh_mfn();
  uint64_t ptr = pv_pte_machine_address(va);
  /* Allowed: present, writable, user, accessed, dirty, software bits. */
  PV_EXPECT(pt_update(ptr, ((uint64_t)mfn << 12) | L1_PROT | PTE_US | 0xE00), 0);
  *(volatile uint32_t *)va = 0x1234;
  PV_EXPECT(*(volatile uint32_t *)va, 0x1234);
  /* L1_DISALLOW: PWT, PCD, PAT, G, bits 52-62. */
  PV_EXPECT(pt_update(ptr, ((uint64_t)mfn << 12) | L1_PROT | 0x008), -EINVAL);
  PV_EXPECT(pt_update(ptr, ((uint64_t)mfn << 12) | L1_PROT | 0x010), -EINVAL);
  PV_EXPECT(pt_update(ptr, ((uint64_t)mfn << 12) | L1_PROT | 0x080), -EINVAL);
  PV_EXPECT(pt_update(ptr, ((uint64_t)mfn << 12) | L1_PROT | 0x100), -EINVAL);
  PV_EXPECT(pt_update(ptr, ((uint64_t)mfn << 12) | L1_PROT | (1ull << 52)), -EINVAL);
  PV_EXPECT(pt_update(ptr, ((uint64_t)mfn << 12) | L1_PROT | (1ull << 63)), -EINVAL);
  /* Not present: anything goes. */
  PV_EXPECT(pt_update(ptr, 0xFFFFFFFFFFFFF000ull), 0);
  /* Page tables may be mapped read-only, never writable. */
  uint32_t l3 = pv_virt_to_mfn((void *)pv_si->pt_base);
  uint32_t l1 = (uint32_t)(pv_pte_machine_address(va) >> 12);
  PV_EXPECT(pt_update(ptr, ((uint64_t)l3 << 12) | PTE_P | PTE_A), 0);
  PV_EXPECT(pt_update(ptr, ((uint64_t)l3 << 12) | L1_PROT), -EINVAL);
  PV_EXPECT(pt_update(ptr, ((uint64_t)l1 << 12) | L1_PROT), -EINVAL);
  /* The hypervisor's frames (its image at 1 MiB). */
  PV_EXPECT(pt_update(ptr, (0x101ull << 12) | PTE_P), -EINVAL);
  /* The low megabyte is I/O memory, as Xen makes it (DOMID_IO's): the
   * privileged domain maps it, writable too (GRUB as domain 0 maps machine
   * frame 0, start_info's console.domU.mfn being dom0's info_off = 0),
   * and nobody else. */
  PV_EXPECT(pt_update(ptr, (0x10ull << 12) | PTE_P), privileged ? 0 : -EINVAL);
  PV_EXPECT(pt_update(ptr, (0x0ull << 12) | L1_PROT), privileged ? 0 : -EINVAL);
  PV_EXPECT(pt_update(ptr, 0), 0);
  /* A frame that is not RAM: I/O memory, the privileged domain only. */
  PV_EXPECT(pt_update(ptr, (0xFEE00ull << 12) | PTE_P), privileged ? 0 : -EINVAL);
  PV_EXPECT(pt_update(ptr, 0), 0);
  /* An update of a non-page-table page: a plain write. */
  uint32_t data = fresh_mfn();
  PV_EXPECT(map(va, ((uint64_t)data << 12) | L1_PROT), 0);
  PV_EXPECT(pt_update(((uint64_t)data << 12) + 8, 0x55667788), 0);
  PV_EXPECT(((volatile uint32_t *)va)[2], 0x55667788);
  /* Bad commands and pointers. */
  PV_EXPECT(pt_update(((uint64_t)data << 12) | 5, 0), -ENOSYS);
  PV_EXPECT(pt_update((0x101ull << 12), 0), -EINVAL);
  PV_EXPECT(pt_update(1ull << 60, 0), -EINVAL);
  PV_EXPECT(HYPERVISOR_mmu_update((mmu_update_t *)0x1000, 1, NULL, DOMID_SELF), -EFAULT);
  PV_EXPECT(HYPERVISOR_mmu_update((mmu_update_t *)0xF8000000, 1, NULL, DOMID_SELF), -EFAULT);
  PV_EXPECT(HYPERVISOR_mmu_update((mmu_update_t *)0xC0001000, 0x0FFFFFFF, NULL, DOMID_SELF), -EFAULT);
  mmu_update_t u = {.ptr = ptr, .val = 0};
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, 0), -ESRCH); /* itself as foreign domain */
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, 5), privileged ? -ESRCH : -ESRCH);
  /* done counts what succeeded before the first failure. */
  mmu_update_t batch[3] = {{ptr, ((uint64_t)data << 12) | L1_PROT},
                           {ptr, ((uint64_t)data << 12) | L1_PROT | 0x10},
                           {ptr, 0}};
  uint32_t done = 77;
  PV_EXPECT(HYPERVISOR_mmu_update(batch, 3, &done, DOMID_SELF), -EINVAL);
  PV_EXPECT(done, 1);
  /* PRESERVE_AD keeps the entry's A and D. */
  PV_EXPECT(pt_update(ptr, ((uint64_t)data << 12) | PTE_P | PTE_RW | PTE_A | PTE_D), 0);
  PV_EXPECT(pt_update(ptr | MMU_PT_UPDATE_PRESERVE_AD, ((uint64_t)data << 12) | PTE_P | PTE_RW), 0);
  PV_EXPECT(pv_read_pte(va) & (PTE_A | PTE_D), PTE_A | PTE_D);
  PV_EXPECT(map(va, 0), 0);
}

static void test_machphys(void) {
  uint32_t mfn = fresh_mfn();
  mmu_update_t u = {.ptr = ((uint64_t)mfn << 12) | MMU_MACHPHYS_UPDATE, .val = 0x4321};
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), 0);
  PV_EXPECT(pv_mfn_to_pfn(mfn), 0x4321);
  u.val = next_pfn - 1;
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), 0);
  u.ptr = (0x101ull << 12) | MMU_MACHPHYS_UPDATE;
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), -EINVAL);
  /* The M2P is read-only to us. */
}

static void test_l2_l3_rules(void) {
  /* A new L1 with one valid entry, hung into L2 slot 0 of L3 slot 0
   * (virtual 2-4 MiB, empty at boot). */
  uint32_t l1 = fresh_mfn(), target = fresh_mfn();
  uint64_t e = ((uint64_t)target << 12) | L1_PROT;
  fill_frame(l1, &e, 1);
  uint32_t l2_slot0 = (uint32_t)(l3e(0) >> 12), l2_slot3 = (uint32_t)(l3e(3) >> 12);
  uint64_t l2e0 = ((uint64_t)l2_slot0 << 12) + 8; /* virtual 2-4 MiB */
  PV_EXPECT(pt_update(l2e0, ((uint64_t)l1 << 12) | PTE_P | PTE_RW | PTE_US | PTE_A), 0);
  *(volatile uint32_t *)0x200000 = 0xabcd; /* virtual 2 MiB now maps target */
  PV_EXPECT(*(volatile uint32_t *)0x200000, 0xabcd);
  /* The L1 is now a page table: no writable mapping of it. */
  PV_EXPECT(map(SCRATCH, ((uint64_t)l1 << 12) | L1_PROT), -EINVAL);
  PV_EXPECT(map(SCRATCH, ((uint64_t)l1 << 12) | PTE_P), 0);
  PV_EXPECT(map(SCRATCH, 0), 0);
  /* L2 flags: a 2 MiB page (PS) and PCD are refused. */
  PV_EXPECT(pt_update(l2e0 + 8, ((uint64_t)l1 << 12) | PTE_P | 0x80), -EINVAL);
  PV_EXPECT(pt_update(l2e0 + 8, ((uint64_t)l1 << 12) | PTE_P | 0x10), -EINVAL);
  /* An L2 entry at a frame whose contents do not validate (a writable
   * mapping of our L3): refused, and the frame stays untyped. */
  uint32_t badl1 = fresh_mfn();
  uint64_t bad = ((uint64_t)pv_virt_to_mfn((void *)pv_si->pt_base) << 12) | L1_PROT;
  fill_frame(badl1, &bad, 1);
  PV_EXPECT(pt_update(l2e0 + 8, ((uint64_t)badl1 << 12) | PTE_P | PTE_RW), -EINVAL);
  PV_EXPECT(map(SCRATCH, ((uint64_t)badl1 << 12) | L1_PROT), 0);
  PV_EXPECT(map(SCRATCH, 0), 0);
  /* The hypervisor's slots of the slot-3 L2 (428 and up) cannot be written. */
  PV_EXPECT(pt_update(((uint64_t)l2_slot3 << 12) + 428 * 8, 0), -EINVAL);
  PV_EXPECT(pt_update(((uint64_t)l2_slot3 << 12) + 511 * 8, 0), -EINVAL);
  /* L3: slot 3 cannot change. Xen 4's rule for 32-bit PV guests
   * (COMPAT_L3_DISALLOW_MASK): RW, US, A and D are accepted (reserved in a
   * PAE PDPTE: the processor must never see them, so the hypervisor loads
   * CR3 from a shadow), PWT, PCD, PS and G are not. Slot 0 maps our
   * 2-4 MiB window below: it must keep working with RW|US|A|D in its
   * L3 entry (the shadow refreshed, CR3 reloaded). */
  uint64_t l3ma = pv_virt_to_machine((void *)pv_si->pt_base);
  PV_EXPECT(pt_update(l3ma + 3 * 8, l3e(3)), -EINVAL);
  PV_EXPECT(pt_update(l3ma + 0 * 8, l3e(0) | PTE_RW | PTE_US | PTE_A | PTE_D), 0);
  PV_EXPECT(((const uint64_t *)pv_si->pt_base)[0] & (PTE_RW | PTE_US), PTE_RW | PTE_US); /* kept as written */
  *(volatile uint32_t *)0x200000 = 0x5678;
  PV_EXPECT(*(volatile uint32_t *)0x200000, 0x5678);
  PV_EXPECT(pt_update(l3ma + 0 * 8, l3e(0)), 0);
  PV_EXPECT(pt_update(l3ma + 1 * 8, l3e(1) | PTE_PWT), -EINVAL);
  PV_EXPECT(pt_update(l3ma + 1 * 8, l3e(1) | PTE_PCD), -EINVAL);
  PV_EXPECT(pt_update(l3ma + 1 * 8, l3e(1) | PTE_PS), -EINVAL);
  PV_EXPECT(pt_update(l3ma + 1 * 8, l3e(1) | PTE_G), -EINVAL);
  PV_EXPECT(pt_update(l3ma + 1 * 8, l3e(1) | (1ull << 52)), -EINVAL);
  /* L3 slot 1 to another L2 and back (CR3 reloaded for the PDPTEs). */
  uint64_t old1 = l3e(1);
  uint32_t l2b = fresh_mfn();
  fill_frame(l2b, NULL, 0);
  PV_EXPECT(pt_update(l3ma + 8, ((uint64_t)l2b << 12) | PTE_P), 0);
  PV_EXPECT(pt_update(l3ma + 8, old1), 0);
  /* Unhook the L1: it loses its type when its last reference goes. */
  PV_EXPECT(pt_update(l2e0, 0), 0);
  PV_EXPECT(map(SCRATCH, ((uint64_t)l1 << 12) | L1_PROT), 0);
  PV_EXPECT(map(SCRATCH, 0), 0);
}

static void test_pin_and_baseptr(void) {
  uint32_t l1 = fresh_mfn();
  fill_frame(l1, NULL, 0);
  PV_EXPECT(ext(MMUEXT_PIN_L1_TABLE, l1), 0);
  PV_EXPECT(ext(MMUEXT_PIN_L1_TABLE, l1), -EINVAL); /* already pinned */
  PV_EXPECT(ext(MMUEXT_PIN_L2_TABLE, l1), -EINVAL); /* it is an L1 */
  PV_EXPECT(map(SCRATCH, ((uint64_t)l1 << 12) | L1_PROT), -EINVAL);
  PV_EXPECT(ext(MMUEXT_UNPIN_TABLE, l1), 0);
  PV_EXPECT(ext(MMUEXT_UNPIN_TABLE, l1), -EINVAL); /* not pinned */
  PV_EXPECT(ext(MMUEXT_PIN_L4_TABLE, l1), 0);      /* ignored on PAE */
  PV_EXPECT(ext(MMUEXT_PIN_L1_TABLE, 0x101), -EINVAL);
  /* A frame mapped writable cannot become a table. */
  uint32_t w = fresh_mfn();
  PV_EXPECT(map(SCRATCH, ((uint64_t)w << 12) | L1_PROT), 0);
  PV_EXPECT(ext(MMUEXT_PIN_L1_TABLE, w), -EINVAL);
  PV_EXPECT(map(SCRATCH, 0), 0);
  PV_EXPECT(ext(99, 0), -ENOSYS);
  PV_EXPECT(ext(MMUEXT_TLB_FLUSH_LOCAL, 0), 0);
  PV_EXPECT(ext(MMUEXT_TLB_FLUSH_ALL, 0), 0);
  PV_EXPECT(ext(MMUEXT_FLUSH_CACHE, 0), privileged ? 0 : -EINVAL);
  struct mmuext_op inv = {.cmd = MMUEXT_INVLPG_LOCAL};
  inv.arg1.linear_addr = SCRATCH;
  PV_EXPECT(HYPERVISOR_mmuext_op(&inv, 1, NULL, DOMID_SELF), 0);
  uint32_t mask = 1;
  struct mmuext_op multi = {.cmd = MMUEXT_TLB_FLUSH_MULTI};
  set_xen_guest_handle(multi.arg2.vcpumask, &mask);
  PV_EXPECT(HYPERVISOR_mmuext_op(&multi, 1, NULL, DOMID_SELF), 0);
  set_xen_guest_handle(multi.arg2.vcpumask, (void *)0x10);
  PV_EXPECT(HYPERVISOR_mmuext_op(&multi, 1, NULL, DOMID_SELF), -EINVAL);
  PV_EXPECT(HYPERVISOR_mmuext_op((struct mmuext_op *)0xF6000000, 1, NULL, DOMID_SELF), -EFAULT);

  /* A new base pointer: an L3 whose slot 3 is a copy of our slot-3 L2's
   * guest entries (an L2 in slot 3 may not be shared). */
  const uint64_t *l2_3 = (const uint64_t *)(PV_VIRT_BASE + (pv_mfn_to_pfn((uint32_t)(l3e(3) >> 12)) << 12));
  uint32_t nl2 = fresh_mfn(), nl3 = fresh_mfn();
  fill_frame(nl2, l2_3, 428);
  uint64_t shared3[4] = {l3e(0), l3e(1), l3e(2), l3e(3)};
  fill_frame(nl3, shared3, 4);
  PV_EXPECT(ext(MMUEXT_NEW_BASEPTR, nl3), -EINVAL); /* "PAE L3 3rd slot is shared" */
  /* Written as GRUB's i386-xen writes its L3s: P|RW in every entry. */
  uint64_t mine[4] = {l3e(0) | PTE_RW, l3e(1) | PTE_RW, l3e(2) | PTE_RW, ((uint64_t)nl2 << 12) | PTE_P | PTE_RW};
  fill_frame(nl3, mine, 4);
  uint64_t noslot3[4] = {l3e(0), l3e(1), l3e(2), 0};
  uint32_t nl3b = fresh_mfn();
  fill_frame(nl3b, noslot3, 4);
  PV_EXPECT(ext(MMUEXT_NEW_BASEPTR, nl3b), -EINVAL); /* "PAE L3 3rd slot is empty" */
  uint32_t old = pv_virt_to_mfn((void *)pv_si->pt_base);
  PV_EXPECT(ext(MMUEXT_NEW_BASEPTR, nl3), 0);
  uint32_t cr3;
  __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
  PV_EXPECT(xen_cr3_to_pfn(cr3), nl3);
  PV_EXPECT(pv_mfn_to_pfn(old), (pv_si->pt_base - PV_VIRT_BASE) >> 12); /* the M2P is there */
  /* The builder pinned the old L3 (as Xen's do): it keeps its type until
   * we unpin it, as Linux and GRUB do once on tables of their own; then
   * it may be mapped writable; the one in use may not. We stay on the new
   * one. */
  PV_EXPECT(ext(MMUEXT_PIN_L3_TABLE, old), -EINVAL); /* already pinned */
  PV_EXPECT(map(SCRATCH, ((uint64_t)old << 12) | L1_PROT), -EINVAL);
  PV_EXPECT(ext(MMUEXT_UNPIN_TABLE, old), 0);
  PV_EXPECT(map(SCRATCH, ((uint64_t)old << 12) | L1_PROT), 0);
  PV_EXPECT(map(SCRATCH, 0), 0);
  PV_EXPECT(map(SCRATCH, ((uint64_t)nl3 << 12) | L1_PROT), -EINVAL);
  cur_l3 = nl3;
}

static void test_update_va_mapping(void) {
  uint32_t mfn = fresh_mfn();
  PV_EXPECT(HYPERVISOR_update_va_mapping(0xF5800000, ((uint64_t)mfn << 12) | PTE_P, 0), -EINVAL);
  PV_EXPECT(HYPERVISOR_update_va_mapping(0x1000, ((uint64_t)mfn << 12) | PTE_P, 0), -EINVAL); /* no L1 */
  PV_EXPECT(HYPERVISOR_update_va_mapping(SCRATCH, ((uint64_t)mfn << 12) | L1_PROT, UVMF_TLB_FLUSH | UVMF_LOCAL), 0);
  PV_EXPECT(HYPERVISOR_update_va_mapping(SCRATCH, ((uint64_t)mfn << 12) | L1_PROT, UVMF_INVLPG | UVMF_ALL), 0);
  uint32_t mask = 1;
  PV_EXPECT(HYPERVISOR_update_va_mapping(SCRATCH, ((uint64_t)mfn << 12) | L1_PROT, UVMF_INVLPG | (uint32_t)&mask), 0);
  PV_EXPECT(HYPERVISOR_update_va_mapping(SCRATCH, 0, UVMF_INVLPG | 0x1000), -EFAULT);
  PV_EXPECT(HYPERVISOR_update_va_mapping(SCRATCH, ((uint64_t)mfn << 12) | L1_PROT | 0x10, UVMF_INVLPG), -EINVAL);
  PV_EXPECT(HYPERVISOR_update_va_mapping(SCRATCH, 0, UVMF_INVLPG), 0);
}

static uint32_t faults;
void pv_trap(struct pv_regs *r) {
  faults++;
  if (r->vector != 14) {
    pv_printf("FAIL trap %u at %08x\n", r->vector, r->eip);
    pv_exit(0);
  }
  r->eip += 3; /* the test's "movl %eax, (%edx)"-style store: 2 or 3 bytes, see below */
}

static void test_writable_pagetables(void) {
  PV_EXPECT(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0);
  PV_EXPECT(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_4gb_segments), -EINVAL);
  PV_EXPECT(HYPERVISOR_vm_assist(VMASST_CMD_enable, 40), -EINVAL);
  PV_EXPECT(HYPERVISOR_vm_assist(7, VMASST_TYPE_writable_pagetables), -ENOSYS);
  uint32_t mfn = fresh_mfn(), va = SCRATCH + 0x3000;
  uint64_t ma = pv_pte_machine_address(va);
  volatile uint64_t *pte = (volatile uint64_t *)(PV_VIRT_BASE + (pv_mfn_to_pfn((uint32_t)(ma >> 12)) << 12) +
                                                 (uint32_t)(ma & 0xFFF));
  /* A 64-bit store (two 32-bit halves, high first as Linux's set_pte):
   * the high half alone is fixed up (present dropped), the low half
   * completes it. */
  uint64_t val = ((uint64_t)mfn << 12) | L1_PROT;
  ((volatile uint32_t *)pte)[1] = (uint32_t)(val >> 32);
  ((volatile uint32_t *)pte)[0] = (uint32_t)val;
  *(volatile uint32_t *)va = 0x600d;
  PV_EXPECT(*(volatile uint32_t *)va, 0x600d);
  PV_EXPECT(*pte & ~(PTE_A | PTE_D), val & ~(PTE_A | PTE_D));
  /* XCHG and CMPXCHG8B on the entry. */
  uint32_t old = __atomic_exchange_n((volatile uint32_t *)pte, 0, __ATOMIC_SEQ_CST);
  PV_EXPECT(old & 1, 1);
  uint64_t expect = *pte;
  uint8_t ok;
  __asm__ volatile("lock cmpxchg8b (%[p]); sete %[ok]"
                   : [ok] "=q"(ok), "+A"(expect)
                   : [p] "r"(pte), "b"((uint32_t)val), "c"((uint32_t)(val >> 32))
                   : "memory");
  PV_EXPECT(ok, 1);
  PV_EXPECT(*(volatile uint32_t *)va, 0x600d);
  /* An entry that does not validate: the write is refused with the page
   * fault it was. */
  faults = 0;
  uint32_t badlow = (cur_l3 << 12) | (uint32_t)L1_PROT;
  __asm__ volatile("movl %0, (%1)\n\t.byte 0x90" : : "r"(badlow), "r"(pte) : "memory"); /* 2 bytes + nop */
  PV_EXPECT(faults, 1);
  PV_EXPECT(HYPERVISOR_update_va_mapping(va, 0, UVMF_INVLPG), 0);
  PV_EXPECT(HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables), 0);
}

static void test_reservation(void) {
  uint32_t mfn = fresh_mfn();
  xen_pfn_t list[1] = {mfn};
  struct xen_memory_reservation r = {.nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF};
  set_xen_guest_handle(r.extent_start, list);
  domid_t self = DOMID_SELF;
  long before = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
  PV_EXPECT(before, pv_si->nr_pages);
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r), 1);
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_current_reservation, &self), before - 1);
  PV_EXPECT(map(SCRATCH, ((uint64_t)mfn << 12) | L1_PROT), -EINVAL); /* gone */
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r), 0);
  /* Back up to the maximum, then no further. */
  r.extent_order = 0;
  list[0] = 0;
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_increase_reservation, &r), 1);
  PV_EXPECT(map(SCRATCH, ((uint64_t)list[0] << 12) | L1_PROT), 0);
  PV_EXPECT(map(SCRATCH, 0), 0);
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_increase_reservation, &r), 0);
  r.extent_order = 1;
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r), 0);
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self), pv_si->nr_pages);
  domid_t other = 3;
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_current_reservation, &other), privileged ? -ESRCH : -EPERM);
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_current_reservation, (void *)0x20), -EFAULT);
  PV_EXPECT(HYPERVISOR_memory_op(99, &self), -ENOSYS);
  /* The memory map: one RAM region of our pages. */
  struct {
    uint64_t addr, size;
    uint32_t type;
  } __attribute__((packed)) e820[4];
  struct xen_memory_map mm = {.nr_entries = 4};
  set_xen_guest_handle(mm.buffer, e820);
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_memory_map, &mm), 0);
  PV_EXPECT(mm.nr_entries, 1);
  PV_EXPECT(e820[0].size, (uint64_t)pv_si->nr_pages << 12);
  PV_EXPECT(e820[0].type, 1);
  PV_EXPECT(HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL) > 0, 1);
}

void test_main(void) {
  privileged = (pv_si->flags & SIF_PRIVILEGED) != 0;
  next_pfn = (PV_VIRT_BASE + 0x400000 - PV_VIRT_BASE) >> 12; /* past the 4 MiB bootstrap area */
  pv_install_traps();
  test_l1_rules();
  test_machphys();
  test_l2_l3_rules();
  test_pin_and_baseptr();
  test_update_va_mapping();
  test_writable_pagetables();
  test_reservation();
  if (pv_failures == 0)
    pv_puts("xen_mm: PASS\n");
}
