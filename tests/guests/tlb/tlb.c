/* tests/guests/tlb/tlb.c - the TLB keeps translations until told (SDM vol.
 * 3, 4.10.4: software must invalidate after changing a paging entry; a
 * stale translation may be used until then).
 *
 * With 4 KiB paging (identity below 8 MiB, test pages at 0x00C00000):
 *   - a PTE changed without INVLPG: the old translation is still used,
 *     even when the new PTE is not present; INVLPG makes the new one seen;
 *   - a CR3 load flushes non-global entries;
 *   - with CR4.PGE a global (G) entry survives a CR3 load, INVLPG drops it,
 *     and clearing CR4.PGE flushes it.
 * Nothing is printed between filling an entry and checking it, so no other
 * access can evict it.
 *
 * ringlab only: a real processor may drop entries at any time and QEMU
 * flushes its TLB more often than a real one (NOTES.md), so staleness is
 * asserted where the TLB is modeled.
 */
#include "x86.h"

#define TEST_VA 0x00C00000u
#define PDE_TEST (TEST_VA >> 22)
#define A 0xAAAA0001u
#define B 0xBBBB0002u

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[2][1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_test[1024] __attribute__((aligned(4096)));
static volatile uint32_t page_a[1024] __attribute__((aligned(4096)));
static volatile uint32_t page_b[1024] __attribute__((aligned(4096)));

static volatile uint32_t *va(int page) { return (volatile uint32_t *)(TEST_VA + 4096u * (uint32_t)page); }

#define PTE_TO(page, extra) ((uint32_t)(page) | PTE_P | PTE_W | (extra))

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("tlb: stale translations until INVLPG, CR3 loads, global pages with CR4.PGE\n");

  paging_identity_4k(pd, pt_low, 2);
  pd[PDE_TEST] = (uint32_t)pt_test | PTE_P | PTE_W;
  page_a[0] = A;
  page_b[0] = B;
  for (int k = 0; k < 4; k++)
    pt_test[k] = PTE_TO(page_a, 0);
  write_cr3((uint32_t)pd);
  write_cr0(read_cr0() | CR0_PG);

  uint32_t r[8];
  /* 1: INVLPG */
  r[0] = *va(0);
  pt_test[0] = PTE_TO(page_b, 0);
  r[1] = *va(0);
  invlpg(va(0));
  r[2] = *va(0);
  check_eq("read through page 0 fills the TLB (page_a)", r[0], A);
  check_eq("PTE -> page_b without INVLPG: still page_a", r[1], A);
  check_eq("after INVLPG: page_b", r[2], B);

  /* 2: a stale entry whose PTE is now not present: no #PF until INVLPG */
  uint32_t before = trap_count;
  r[0] = *va(1);
  pt_test[1] = 0;
  r[1] = *va(1);
  uint32_t taken = trap_count - before;
  check_eq("PTE cleared without INVLPG: still reads page_a", r[1], A);
  check_eq("    and no #PF", taken, 0);
  invlpg(va(1));
  before = trap_count;
  uint32_t v = 0;
  trap_last.vector = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_ASM("movl (%1), %0") : "+r"(v) : "r"(va(1)) : "memory");
  check_eq("after INVLPG: #PF", trap_last.vector, VEC_PF);
  check_eq("    CR2", trap_last.cr2, (uint32_t)va(1));
  check_eq("    taken once", trap_count - before, 1);

  /* 3: a CR3 load flushes non-global entries */
  r[0] = *va(2);
  pt_test[2] = PTE_TO(page_b, 0);
  r[1] = *va(2);
  write_cr3(read_cr3());
  r[2] = *va(2);
  check_eq("PTE -> page_b: stale before the CR3 load", r[1], A);
  check_eq("after MOV CR3 (non-global): page_b", r[2], B);

  /* 4: global pages (CR4.PGE) */
  write_cr4(read_cr4() | CR4_PGE);
  pt_test[3] = PTE_TO(page_a, PTE_G);
  invlpg(va(3));
  r[0] = *va(3);
  pt_test[3] = PTE_TO(page_b, PTE_G);
  write_cr3(read_cr3());
  r[1] = *va(3);
  invlpg(va(3));
  r[2] = *va(3);
  pt_test[3] = PTE_TO(page_a, PTE_G);
  write_cr3(read_cr3());
  r[3] = *va(3);
  write_cr4(read_cr4() & ~CR4_PGE);
  r[4] = *va(3);
  check_eq("global entry filled (page_a)", r[0], A);
  check_eq("PTE -> page_b, MOV CR3: the global entry survives (page_a)", r[1], A);
  check_eq("INVLPG drops the global entry (page_b)", r[2], B);
  check_eq("PTE -> page_a, MOV CR3: global page_b survives", r[3], B);
  check_eq("clearing CR4.PGE flushes global entries (page_a)", r[4], A);

  write_cr0(read_cr0() & ~CR0_PG);
  check_done("tlb");
}
