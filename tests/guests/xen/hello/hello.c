/* tests/guests/xen/hello - the first PV guest: the start-of-day state Xen
 * promises (start_info, page tables, p2m and m2p, ring 1 with the flat
 * selectors), console output, and a shutdown with SHUTDOWN_poweroff. */
#include "pv.h"

void test_main(void) {
  uint16_t cs, ds, ss;
  __asm__ volatile("mov %%cs, %0; mov %%ds, %1; mov %%ss, %2" : "=r"(cs), "=r"(ds), "=r"(ss));
  pv_printf("xen_hello: domain with %lu pages, command line '%s'\n", pv_si->nr_pages, (const char *)pv_si->cmd_line);
  pv_expect("magic", memcmp(pv_si->magic, "xen-3.0-x86_32p", 16), 0);
  PV_EXPECT(cs, FLAT_RING1_CS);
  PV_EXPECT(ds, FLAT_RING1_DS);
  PV_EXPECT(ss, FLAT_RING1_SS);
  /* p2m and m2p agree, and pseudo-physical is not machine. */
  uint32_t same = 0, bad = 0;
  for (uint32_t pfn = 0; pfn < pv_si->nr_pages; pfn++) {
    uint32_t mfn = pv_pfn_to_mfn(pfn);
    bad += pv_mfn_to_pfn(mfn) != pfn;
    same += mfn == pfn;
  }
  PV_EXPECT(bad, 0);
  PV_EXPECT(same, 0);
  /* The page tables are mapped read-only, everything else writable. */
  PV_EXPECT(pv_read_pte(pv_si->pt_base) & (PTE_P | PTE_RW), PTE_P);
  PV_EXPECT(pv_read_pte((uint32_t)pv_si) & (PTE_P | PTE_RW), PTE_P | PTE_RW);
  /* The version hypercall through int $0x82 and through the page. */
  long v = HYPERVISOR_xen_version(XENVER_version, NULL);
  PV_EXPECT(pv_hypercall_int82(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0), v);
  pv_printf("xen_hello: Xen %ld.%ld\n", v >> 16, v & 0xFFFF);
  if (pv_failures == 0)
    pv_puts("xen_hello: PASS\n");
}
