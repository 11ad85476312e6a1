/* tests/guests/paging_pse/paging_pse.c - 4 MiB pages with CR4.PSE (SDM vol.
 * 3, 4.3: a PDE with PS = 1 maps 4 MiB; bits 31:22 of the PDE are the
 * frame).
 *
 *   virtual                         physical
 *   0x00000000-0x007FFFFF  ------>  the same, two 4 MiB pages
 *   0x00800000 (4 KiB PT)  ------>  page_a (4 MiB and 4 KiB pages mixed)
 *   0x40000000-0x403FFFFF  ------>  0x00000000 (alias, 4 MiB)
 *   0x40400000-0x407FFFFF  ------>  not present (4 MiB PDE, P = 0)
 *   0x40800000-0x40BFFFFF  ------>  0x00000000, read-only
 *
 * Checks: a variable read through the alias; a write through it; A then D
 * in the 4 MiB PDE; a 4 KiB page next to them; #PF on the not-present
 * 4 MiB page with CR2; CR0.WP on the read-only 4 MiB page. Both runners
 * (ringlab's run is pending until paging lands).
 */
#include "x86.h"

#define ALIAS_VA 0x40000000u
#define PDE_ALIAS (ALIAS_VA >> 22)
#define PDE_ABSENT (PDE_ALIAS + 1)
#define PDE_READONLY (PDE_ALIAS + 2)

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_small[1024] __attribute__((aligned(4096)));
static volatile uint32_t page_a[1024] __attribute__((aligned(4096)));
static volatile uint32_t target = 0xC0FFEE00u;

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("paging_pse: 4 MiB pages (CR4.PSE)\n");

  pd[0] = 0x00000000u | PTE_PS | PTE_P | PTE_W;
  pd[1] = 0x00400000u | PTE_PS | PTE_P | PTE_W;
  pd[2] = (uint32_t)pt_small | PTE_P | PTE_W;
  pt_small[0] = (uint32_t)page_a | PTE_P | PTE_W;
  pd[PDE_ALIAS] = 0x00000000u | PTE_PS | PTE_P | PTE_W;
  pd[PDE_ABSENT] = 0x00400000u | PTE_PS | PTE_W;
  pd[PDE_READONLY] = 0x00000000u | PTE_PS | PTE_P;
  page_a[0] = 0xA1A1A1A1u;
  write_cr4(read_cr4() | CR4_PSE);
  write_cr3((uint32_t)pd);
  write_cr0(read_cr0() | CR0_PG);
  check_eq("CR0.PG and CR4.PSE on", (read_cr0() & CR0_PG) | (read_cr4() & CR4_PSE), CR0_PG | CR4_PSE);

  volatile uint32_t *alias = (volatile uint32_t *)(ALIAS_VA + (uint32_t)&target);
  check_eq("4 MiB alias PDE: A and D clear before use", pd[PDE_ALIAS] & (PTE_A | PTE_D), 0);
  check_eq("the variable read through the 4 MiB alias", *alias, 0xC0FFEE00u);
  check_eq("after the read: alias PDE A set, D clear", pd[PDE_ALIAS] & (PTE_A | PTE_D), PTE_A);
  *alias = 0x600DF00Du;
  check_eq("a write through the alias changes the variable", target, 0x600DF00Du);
  check_eq("after the write: alias PDE D set", pd[PDE_ALIAS] & PTE_D, PTE_D);
  check_eq("4 KiB page at 0x00800000 beside 4 MiB pages reads page_a",
           *(volatile uint32_t *)0x00800000u, 0xA1A1A1A1u);

  uint32_t absent = (PDE_ABSENT << 22) + 0x123458u;
  uint32_t before = trap_count;
  uint32_t v = 0;
  trap_last.vector = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_ASM("movl (%1), %0") : "+r"(v) : "r"(absent) : "memory");
  check_pf("#PF: read of a not-present 4 MiB page", before, 0, absent);

  write_cr0(read_cr0() | CR0_WP);
  uint32_t ro = (PDE_READONLY << 22) + (uint32_t)&target;
  before = trap_count;
  trap_last.vector = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_ASM("movl $1, (%0)") : : "r"(ro) : "memory");
  check_pf("#PF: CR0.WP = 1, write to a read-only 4 MiB page", before, PF_P | PF_W, ro);
  check_eq("    the variable is unchanged", target, 0x600DF00Du);
  write_cr0(read_cr0() & ~(CR0_WP | CR0_PG));
  check_done("paging_pse");
}
