/* tests/guests/xen/hostile - an unprivileged domain that tries every way
 * out of its box, each refused: mapping the hypervisor (L1 entries at its
 * frames, update_va_mapping above HYPERVISOR_VIRT_START, its L2 slots, L3
 * slot 3), writing its own page tables directly, loading the hypervisor's
 * ring-0 selectors, installing gates (DPL 0, interrupt gates, gates to
 * hypervisor segments), raising its I/O privilege (iret with IOPL, POPF,
 * set_iopl then port I/O, CLI), system instructions (LGDT, LIDT, LTR, MOV
 * CR3, WRMSR), pointers into the hypervisor for every hypercall that takes
 * one, counts that overflow (multicall, mmu_update, mmuext_op, grants),
 * unknown hypercall numbers, hypercalls from ring 3, writes to the M2P.
 * Its last act is fatal on purpose (an iret to ring 0), so the hypervisor
 * destroys it (run verdict 8) while the other domain runs on. */
#include "pv.h"

#include <xen/grant_table.h>
#include <xen/physdev.h>

#define HV 0xF8100000u /* the hypervisor's image, in its direct map */

static uint32_t faults[32], skip;

void pv_trap(struct pv_regs *r) {
  faults[r->vector & 31]++;
  r->eip += skip;
}

#define EXPECT_FAULT(vec, nbytes, insn)                  \
  do {                                                   \
    uint32_t before = faults[vec];                       \
    skip = (nbytes);                                     \
    __asm__ volatile(insn ::: "memory", "eax", "ecx", "edx"); \
    pv_expect("fault " #vec " from " insn, faults[vec], before + 1); \
  } while (0)

static void mapping(void) {
  uint64_t pte = pv_pte_machine_address(0xC0300000);
  mmu_update_t u = {.ptr = pte, .val = ((uint64_t)0x101 << 12) | PTE_P};
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), -EINVAL);
  u.val = ((uint64_t)0x101 << 12) | PTE_P | PTE_RW;
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), -EINVAL);
  for (uint32_t va = 0xF5800000u; va; va += 0x00400000u)
    PV_EXPECT(HYPERVISOR_update_va_mapping(va, ((uint64_t)pv_virt_to_mfn(pv_si) << 12) | PTE_P, 0), -EINVAL);
  const uint64_t *l3 = (const uint64_t *)pv_si->pt_base;
  uint32_t l2_3 = (uint32_t)(l3[3] >> 12);
  for (uint32_t slot = 428; slot < 512; slot += 7) {
    u.ptr = ((uint64_t)l2_3 << 12) + slot * 8;
    u.val = ((uint64_t)pv_virt_to_mfn((void *)pv_si->pt_base) << 12) | PTE_P;
    PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), -EINVAL);
  }
  u.ptr = pv_virt_to_machine((void *)pv_si->pt_base) + 3 * 8;
  u.val = 0;
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), -EINVAL);
  /* Another domain's frames: the frames just below ours are the next
   * domain's (frames go out from the top down). */
  uint32_t other = pv_pfn_to_mfn(pv_si->nr_pages - 1) - 64;
  u.ptr = pte;
  u.val = ((uint64_t)other << 12) | PTE_P;
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), -EINVAL);
  /* A direct write to our own page table (no writable-pagetable assist). */
  uint32_t pt = pv_si->pt_base;
  skip = 2;
  uint32_t before = faults[14];
  __asm__ volatile("movl %%eax, (%0)" : : "r"(pt + 24) : "memory");
  PV_EXPECT(faults[14], before + 1);
  /* The M2P is read-only. */
  skip = 2;
  before = faults[14];
  __asm__ volatile("movl %%eax, (%0)" : : "r"(0xF5800000u) : "memory");
  PV_EXPECT(faults[14], before + 1);
  /* The hypervisor's range is beyond our segments' limits: #GP. */
  skip = 2;
  before = faults[13];
  __asm__ volatile("movl (%0), %%eax" : : "r"(HV) : "eax", "memory");
  PV_EXPECT(faults[13], before + 1);
}

static void selectors_and_gates(void) {
  EXPECT_FAULT(13, 2, "movl $0xe008, %%eax; movl %%eax, %%ds");
  EXPECT_FAULT(13, 2, "movl $0xe010, %%eax; movl %%eax, %%ss");
  EXPECT_FAULT(13, 7, "ljmp $0xe008, $0");
  struct trap_info t[2] = {{.vector = 0x30, .flags = 3, .cs = 0xe008, .address = 0x1000}, {0, 0, 0, 0}};
  PV_EXPECT(HYPERVISOR_set_trap_table(t), -EPERM);
  t[0].cs = 0xe010;
  PV_EXPECT(HYPERVISOR_set_trap_table(t), -EPERM);
  static uint64_t gdt[512] __attribute__((aligned(4096)));
  uint64_t pte = pv_read_pte((uint32_t)gdt);
  PV_EXPECT(HYPERVISOR_update_va_mapping((uint32_t)gdt, pte & ~PTE_RW, UVMF_INVLPG), 0);
  uint64_t ma = pv_virt_to_machine(&gdt[1]);
  /* an interrupt gate, a trap gate, a TSS, a gate into the hypervisor */
  PV_EXPECT(HYPERVISOR_update_descriptor(ma, 0x0000ee00e0081000ull), -EINVAL);
  PV_EXPECT(HYPERVISOR_update_descriptor(ma, 0x0000ef00e0081000ull), -EINVAL);
  PV_EXPECT(HYPERVISOR_update_descriptor(ma, 0x0000890000000067ull), -EINVAL);
  PV_EXPECT(HYPERVISOR_update_descriptor(ma, 0x0000ec00e0081000ull), -EINVAL);
  /* A DPL-0 code segment comes back as DPL 1; a 4 GiB one truncated. */
  PV_EXPECT(HYPERVISOR_update_descriptor(ma, 0x00cf9a000000ffffull), 0);
  PV_EXPECT((gdt[1] >> 45) & 3, 1);
  PV_EXPECT(gdt[1] & 0xFFFF, 0x67FF);
}

static void io_privilege(void) {
  struct physdev_set_iopl io = {.iopl = 3};
  PV_EXPECT(HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &io), 0);
  EXPECT_FAULT(13, 2, "inb $0x61, %%al");
  EXPECT_FAULT(13, 2, "movb $0xfe, %%al; outb %%al, $0x64");
  EXPECT_FAULT(13, 1, "cli");
  /* POPF cannot raise IOPL in ring 1 with IOPL 0: silently kept. */
  uint32_t fl;
  __asm__ volatile("pushfl; orl $0x3000, (%%esp); popfl; pushfl; popl %0" : "=r"(fl));
  PV_EXPECT(fl & 0x3000, 0);
  /* The iret hypercall strips IOPL too. */
  __asm__ volatile("pushfl\n\torl $0x3000, (%%esp)\n\tpushl %[cs]\n\tpushl $1f\n\tpushl %%eax\n\t"
                   "jmp hypercall_page + 23 * 32 + 1\n1:\n\tpushfl\n\tpopl %0"
                   : "=r"(fl)
                   : [cs] "i"(FLAT_KERNEL_CS)
                   : "eax", "memory");
  PV_EXPECT(fl & 0x3000, 0);
  io.iopl = 0;
  HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &io);
}

uint8_t hostile_desc[6];

static void system_instructions(void) {
  EXPECT_FAULT(13, 7, "lgdt hostile_desc");
  EXPECT_FAULT(13, 7, "lidt hostile_desc");
  EXPECT_FAULT(13, 3, "movl $0x40, %%eax; ltr %%ax");
  EXPECT_FAULT(13, 2, "xorl %%ecx, %%ecx; xorl %%eax, %%eax; xorl %%edx, %%edx; wrmsr");
  EXPECT_FAULT(13, 3, "movl $0x1000, %%eax; movl %%eax, %%cr4");
}

static void pointers_and_counts(void) {
  const uint32_t bad[] = {HV, 0xF5800000u, 0xF6800000u, 0xFFFFF000u, 0xF57FFFF8u, 0x00001000u};
  for (uint32_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    uint32_t p = bad[k];
    PV_EXPECT(HYPERVISOR_xen_version(XENVER_extraversion, (void *)p), -EFAULT);
    PV_EXPECT(HYPERVISOR_console_io(CONSOLEIO_write, 16, (const char *)p), -EPERM); /* not domain 0 */
    PV_EXPECT(HYPERVISOR_mmu_update((mmu_update_t *)p, 1, NULL, DOMID_SELF), -EFAULT);
    PV_EXPECT(HYPERVISOR_mmuext_op((struct mmuext_op *)p, 1, NULL, DOMID_SELF), -EFAULT);
    PV_EXPECT(HYPERVISOR_multicall((multicall_entry_t *)p, 1), -EFAULT);
    PV_EXPECT(HYPERVISOR_set_trap_table((struct trap_info *)p), -EFAULT);
    PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, (void *)p), -EFAULT);
    PV_EXPECT(HYPERVISOR_sched_op(SCHEDOP_poll, (void *)p), -EFAULT);
    PV_EXPECT(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (void *)p), -EFAULT);
    PV_EXPECT(HYPERVISOR_memory_op(XENMEM_current_reservation, (void *)p), -EFAULT);
    PV_EXPECT(HYPERVISOR_grant_table_op(GNTTABOP_query_size, (void *)p, 1), -EFAULT);
    PV_EXPECT(HYPERVISOR_set_gdt((uint32_t *)p, 512), -EFAULT);
    PV_EXPECT(HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, (void *)p), -EFAULT);
    PV_EXPECT(HYPERVISOR_callback_op(CALLBACKOP_register, (void *)p), -EFAULT);
  }
  /* A done pointer into the hypervisor: the work is done, nothing written. */
  mmu_update_t none[1];
  PV_EXPECT(HYPERVISOR_mmu_update(none, 0, (uint32_t *)HV, DOMID_SELF), 0);
  /* Counts whose byte size overflows 32 bits. */
  static multicall_entry_t mc[2];
  PV_EXPECT(HYPERVISOR_multicall(mc, 0xFFFFFFFFu), -EFAULT);
  PV_EXPECT(HYPERVISOR_multicall(mc, 0x08000000u), -EFAULT);
  PV_EXPECT(HYPERVISOR_mmu_update(none, 0x10000001u, NULL, DOMID_SELF), -EFAULT);
  PV_EXPECT(HYPERVISOR_mmu_update(none, 0xFFFFFFFFu, NULL, DOMID_SELF), -EFAULT);
  PV_EXPECT(HYPERVISOR_mmuext_op((struct mmuext_op *)none, 0x7FFFFFFFu, NULL, DOMID_SELF), -EFAULT);
  PV_EXPECT(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, none, 0xFFFFFFFFu), -EINVAL);
  /* Unknown hypercalls. */
  for (uint32_t nr = 64; nr < 256; nr += 13)
    PV_EXPECT(pv_hypercall_int82(nr, HV, HV, HV, HV, HV), -ENOSYS);
  /* Foreign domains it has no right to name. */
  mmu_update_t u = {.ptr = pv_pte_machine_address(0xC0300000), .val = 0};
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, 1), -ESRCH);
  PV_EXPECT(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_XEN), -ESRCH);
}

void test_main(void) {
  pv_map_shared_info();
  pv_install_traps();
  mapping();
  selectors_and_gates();
  io_privilege();
  system_instructions();
  pointers_and_counts();
  if (pv_failures == 0)
    pv_puts("hostile: every way out refused\n");
  else
    pv_exit(0);
  /* The last act: an iret hypercall to ring 0. The hypervisor destroys us. */
  __asm__ volatile("pushl $0x202\n\tpushl $0xe008\n\tpushl $0\n\tpushl %%eax\n\t"
                   "jmp hypercall_page + 23 * 32 + 1" ::: "memory");
  pv_puts("hostile: FAIL: still alive after an iret to ring 0\n");
  pv_exit(0);
}
