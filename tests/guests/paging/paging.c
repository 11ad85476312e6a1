/* tests/guests/paging/paging.c - 2-level paging with 4 KiB pages (SDM vol.
 * 3, 4.3, 4.7 and 4.8).
 *
 *   virtual                         physical
 *   0x00000000-0x007FFFFF  ------>  the same (identity, 2 page tables)
 *   0x00C00000 + k * 4 KiB ------>  page_a / page_b, as each check sets
 *   0x01000000-            not present (no page table)
 *
 * Checks: CR0.PG turns on and the kernel runs on through the identity map;
 * a test page reads and writes the physical page its PTE names; #PF with
 * error code and CR2 for a not-present PDE (read) and PTE (write); a
 * read-only page is writable from ring 0 while CR0.WP = 0 and #PF(P|W)
 * once CR0.WP = 1; the walk sets A in the PDE and PTE on a read and D in
 * the PTE on a write only. Each PTE change is followed by INVLPG. Both
 * runners (ringlab's run is pending until paging lands).
 */
#include "x86.h"

#define TEST_VA 0x00C00000u
#define UNMAPPED_VA 0x01000123u
#define PDE_TEST (TEST_VA >> 22)

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[2][1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_test[1024] __attribute__((aligned(4096)));
static volatile uint32_t page_a[1024] __attribute__((aligned(4096)));
static volatile uint32_t page_b[1024] __attribute__((aligned(4096)));

static volatile uint32_t *va(int page) { return (volatile uint32_t *)(TEST_VA + 4096u * (uint32_t)page); }

static void set_pte(int page, uint32_t entry) {
  pt_test[page] = entry;
  invlpg(va(page));
}

static uint32_t probe_read(volatile uint32_t *p) {
  uint32_t v = 0xEEEEEEEEu;
  trap_last.vector = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_ASM("movl (%1), %0") : "+r"(v) : "r"(p) : "memory");
  return v;
}

static void probe_write(volatile uint32_t *p, uint32_t v) {
  trap_last.vector = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_ASM("movl %1, (%0)") : : "r"(p), "r"(v) : "memory");
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("paging: 4 KiB pages, #PF error codes and CR2, CR0.WP, A/D bits\n");

  paging_identity_4k(pd, pt_low, 2);
  pd[PDE_TEST] = (uint32_t)pt_test | PTE_P | PTE_W;
  page_a[0] = 0xA1A1A1A1u;
  page_b[0] = 0xB2B2B2B2u;
  write_cr3((uint32_t)pd);
  write_cr0(read_cr0() | CR0_PG);
  check_eq("CR0.PG reads 1", read_cr0() & CR0_PG, CR0_PG);
  check_eq("CR3 reads the page directory", read_cr3(), (uint32_t)pd);

  set_pte(0, (uint32_t)page_a | PTE_P | PTE_W);
  check_eq("0x00C00000 reads page_a", *va(0), 0xA1A1A1A1u);
  *va(0) = 0x5555AAAAu;
  check_eq("a write through 0x00C00000 lands in page_a", page_a[0], 0x5555AAAAu);
  set_pte(0, (uint32_t)page_b | PTE_P | PTE_W);
  check_eq("after remap + INVLPG 0x00C00000 reads page_b", *va(0), 0xB2B2B2B2u);

  uint32_t before = trap_count;
  probe_read((volatile uint32_t *)UNMAPPED_VA);
  check_pf("#PF: read with a not-present PDE", before, 0, UNMAPPED_VA);

  set_pte(1, 0);
  before = trap_count;
  probe_write(va(1) + 4, 1);
  check_pf("#PF: write to a not-present PTE", before, PF_W, (uint32_t)(va(1) + 4));

  page_b[0] = 0xB2B2B2B2u;
  set_pte(2, (uint32_t)page_b | PTE_P); /* read-only */
  before = trap_count;
  *va(2) = 0x12345678u;
  check_eq("CR0.WP = 0: ring 0 writes a read-only page", page_b[0], 0x12345678u);
  check_eq("    without a fault", trap_count - before, 0);
  write_cr0(read_cr0() | CR0_WP);
  before = trap_count;
  probe_write(va(2) + 2, 0x9999);
  check_pf("#PF: CR0.WP = 1, ring-0 write to a read-only page", before, PF_P | PF_W,
            (uint32_t)(va(2) + 2));
  check_eq("    the write did not happen", page_b[2], 0);
  write_cr0(read_cr0() & ~CR0_WP);

  pd[PDE_TEST] &= ~(uint32_t)(PTE_A | PTE_D);
  set_pte(3, (uint32_t)page_a | PTE_P | PTE_W);
  write_cr3((uint32_t)pd); /* the PDE changed too: flush it */
  check_eq("fresh PTE: A and D clear", pt_test[3] & (PTE_A | PTE_D), 0);
  (void)*va(3);
  check_eq("after a read: PTE A set, D clear", pt_test[3] & (PTE_A | PTE_D), PTE_A);
  check_eq("after a read: PDE A set", pd[PDE_TEST] & PTE_A, PTE_A);
  *va(3) = 1;
  check_eq("after a write: PTE A and D set", pt_test[3] & (PTE_A | PTE_D), PTE_A | PTE_D);

  write_cr0(read_cr0() & ~CR0_PG);
  check_eq("paging off again", read_cr0() & CR0_PG, 0);
  check_done("paging");
}
