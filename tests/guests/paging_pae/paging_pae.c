/* tests/guests/paging_pae/paging_pae.c - PAE paging: a 4-entry PDPT,
 * 64-bit entries, 2 MiB and 4 KiB pages (SDM vol. 3, 4.4).
 *
 *   virtual                         physical
 *   0x00000000-0x007FFFFF  ------>  the same, four 2 MiB pages (pd0)
 *   0x40000000-0x401FFFFF  ------>  0x00000000 (alias, one 2 MiB page, pd1)
 *   0x40200000 + k * 4 KiB ------>  page_a (pd1 -> pt1)
 *   0x40400000-            ------>  not present (pd1 entry 2)
 *   0x80000000-0xFFFFFFFF  ------>  not present (PDPTE 2 and 3)
 *
 * Checks: CR4.PAE + CR0.PG run on through the identity map; a variable
 * read and written through the 2 MiB alias; A then D in that 2 MiB PDE; a
 * 4 KiB page and its PTE's A/D bits; #PF with CR2 for a not-present PDE
 * and a not-present PDPTE. Both runners (ringlab's run is pending until
 * paging lands).
 */
#include "x86.h"

static volatile uint64_t pdpt[4] __attribute__((aligned(32)));
static volatile uint64_t pd0[512] __attribute__((aligned(4096)));
static volatile uint64_t pd1[512] __attribute__((aligned(4096)));
static volatile uint64_t pt1[512] __attribute__((aligned(4096)));
static volatile uint32_t page_a[1024] __attribute__((aligned(4096)));
static volatile uint32_t target = 0xC0FFEE00u;

#define ALIAS_VA 0x40000000u
#define SMALL_VA 0x40200000u
#define ABSENT_PDE_VA 0x40400ABCu
#define ABSENT_PDPTE_VA 0x80001004u

static void probe_read(uint32_t addr) {
  uint32_t v = 0;
  trap_last.vector = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_ASM("movl (%1), %0") : "+r"(v) : "r"(addr) : "memory");
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("paging_pae: PAE with 2 MiB and 4 KiB pages\n");

  for (uint32_t k = 0; k < 4; k++)
    pd0[k] = ((uint64_t)k << 21) | PTE_PS | PTE_P | PTE_W;
  pd1[0] = 0x00000000u | PTE_PS | PTE_P | PTE_W;
  pd1[1] = (uint32_t)pt1 | PTE_P | PTE_W;
  pt1[0] = (uint32_t)page_a | PTE_P | PTE_W;
  pdpt[0] = (uint32_t)pd0 | PTE_P; /* PDPTEs: R/W and U/S are reserved */
  pdpt[1] = (uint32_t)pd1 | PTE_P;
  page_a[0] = 0xA1A1A1A1u;
  write_cr4(read_cr4() | CR4_PAE);
  write_cr3((uint32_t)pdpt);
  write_cr0(read_cr0() | CR0_PG);
  check_eq("CR0.PG and CR4.PAE on", (read_cr0() & CR0_PG) | (read_cr4() & CR4_PAE), CR0_PG | CR4_PAE);

  volatile uint32_t *alias = (volatile uint32_t *)(ALIAS_VA + (uint32_t)&target);
  check_eq("2 MiB alias PDE: A and D clear before use", (uint32_t)pd1[0] & (PTE_A | PTE_D), 0);
  check_eq("the variable read through the 2 MiB alias", *alias, 0xC0FFEE00u);
  check_eq("after the read: 2 MiB PDE A set, D clear", (uint32_t)pd1[0] & (PTE_A | PTE_D), PTE_A);
  *alias = 0x600DF00Du;
  check_eq("a write through the alias changes the variable", target, 0x600DF00Du);
  check_eq("after the write: 2 MiB PDE D set", (uint32_t)pd1[0] & PTE_D, PTE_D);

  check_eq("4 KiB page at 0x40200000 reads page_a", *(volatile uint32_t *)SMALL_VA, 0xA1A1A1A1u);
  check_eq("after the read: PTE A set, D clear", (uint32_t)pt1[0] & (PTE_A | PTE_D), PTE_A);
  *(volatile uint32_t *)SMALL_VA = 7;
  check_eq("after the write: PTE D set", (uint32_t)pt1[0] & PTE_D, PTE_D);
  check_eq("the write landed in page_a", page_a[0], 7);
  check_eq("the entries' high dwords stay 0", (uint32_t)(pt1[0] >> 32) | (uint32_t)(pd1[0] >> 32), 0);

  uint32_t before = trap_count;
  probe_read(ABSENT_PDE_VA);
  check_pf("#PF: read with a not-present PDE", before, 0, ABSENT_PDE_VA);
  before = trap_count;
  probe_read(ABSENT_PDPTE_VA);
  check_pf("#PF: read with a not-present PDPTE", before, 0, ABSENT_PDPTE_VA);

  write_cr0(read_cr0() & ~CR0_PG);
  write_cr4(read_cr4() & ~CR4_PAE);
  check_done("paging_pae");
}
