/* tests/mmu/test_paging.c - the page walker (mmu/paging.c) and the TLB model
 * (mmu/tlb.c) driven directly through mmu.h, without a CPU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mmu.h"

#define RAM (4u << 20)
#define PD 0x10000u
#define PT 0x11000u
#define PDPT 0x20000u
#define PAE_PD 0x21000u
#define PAE_PT 0x22000u

#define P 0x001u
#define W 0x002u
#define U 0x004u
#define A 0x020u
#define D 0x040u
#define PS 0x080u
#define G 0x100u

static int setup(void **state) {
  struct mmu *m = mmu_new(RAM);
  assert_non_null(m);
  mmu_write(m, PD, 4, PT | P | W | U);
  *state = m;
  return 0;
}

static int teardown(void **state) {
  mmu_free(*state);
  return 0;
}

static void two_level(struct mmu *m, bool pse, bool pge) {
  mmu_set_paging(m, true, false, pse, false, pge);
  mmu_set_cr3(m, PD);
}

static void walk_4kib_page_reads_two_entries_and_sets_a_then_d(void **state) {
  struct mmu *m = *state;
  mmu_write(m, PT + 4 * 5, 4, 0x123000 | P | W | U);
  two_level(m, false, false);
  struct mmu_walk w;
  assert_true(mmu_walk(m, 0x5ABC, 0, &w));
  assert_int_equal(w.phys_page, 0x123);
  assert_int_equal(w.reads, 2);
  assert_int_equal(w.flags, MMU_TLB_U | MMU_TLB_W);
  assert_int_equal(mmu_read(m, PD, 4) & (A | D), A);
  assert_int_equal(mmu_read(m, PT + 20, 4) & (A | D), A);
  assert_true(mmu_walk(m, 0x5ABC, MMU_ACC_WRITE, &w));
  assert_int_equal(w.flags & MMU_TLB_D, MMU_TLB_D);
  assert_int_equal(mmu_read(m, PT + 20, 4) & (A | D), A | D);
  assert_int_equal(mmu_read(m, PD, 4) & D, 0); /* D only on the leaf */
}

static void walk_4mib_page_reads_one_entry_and_keeps_the_offset(void **state) {
  struct mmu *m = *state;
  mmu_write(m, PD + 4 * 3, 4, 0x00800000 | PS | P | G);
  two_level(m, true, true);
  struct mmu_walk w;
  assert_true(mmu_walk(m, 0x00C12345, 0, &w));
  assert_int_equal(w.reads, 1);
  assert_int_equal(w.phys_page, 0x812);
  assert_int_equal(w.flags, MMU_TLB_LARGE | MMU_TLB_G);
}

static void walk_faults_carry_the_error_code_and_write_nothing(void **state) {
  struct mmu *m = *state;
  mmu_write(m, PT + 4 * 1, 4, 0x5000 | P);         /* supervisor, read-only */
  mmu_write(m, PD + 4 * 2, 4, 0x00800000 | PS | P | (1u << 15)); /* reserved bit 15 */
  two_level(m, true, false);
  struct mmu_walk w;
  assert_false(mmu_walk(m, 0x2000, MMU_ACC_USER, &w)); /* PTE 2 not present */
  assert_int_equal(w.error, MMU_PF_U);
  assert_false(mmu_walk(m, 0x1000, MMU_ACC_USER, &w));
  assert_int_equal(w.error, MMU_PF_P | MMU_PF_U);
  assert_false(mmu_walk(m, 0x1000, MMU_ACC_USER | MMU_ACC_WRITE, &w));
  assert_int_equal(w.error, MMU_PF_P | MMU_PF_U | MMU_PF_W);
  assert_true(mmu_walk(m, 0x1000, MMU_ACC_WRITE, &w)); /* supervisor, WP = 0 */
  mmu_set_paging(m, true, true, true, false, false);
  assert_false(mmu_walk(m, 0x1000, MMU_ACC_WRITE, &w));
  assert_int_equal(w.error, MMU_PF_P | MMU_PF_W);
  assert_false(mmu_walk(m, 0x00800000, 0, &w));
  assert_int_equal(w.error, MMU_PF_P | MMU_PF_RSVD);
  assert_int_equal(mmu_read(m, PD + 8, 4) & A, 0);
}

static void pae(struct mmu *m) {
  mmu_write(m, PDPT, 4, PAE_PD | P);
  mmu_write(m, PAE_PD, 4, PAE_PT | P | W | U);
  mmu_write(m, PAE_PD + 8, 4, 0x00400000 | PS | P | W);
  mmu_write(m, PAE_PT + 8 * 7, 4, 0x7000 | P | W | U);
  mmu_write(m, PAE_PT + 8 * 7 + 4, 4, 0x0);
  mmu_set_paging(m, true, false, false, true, false);
  assert_true(mmu_load_pdptes(m, PDPT));
}

static void pae_walks_4kib_and_2mib_pages(void **state) {
  struct mmu *m = *state;
  pae(m);
  struct mmu_walk w;
  assert_true(mmu_walk(m, 0x7123, 0, &w));
  assert_int_equal(w.phys_page, 0x7);
  assert_int_equal(w.reads, 2);
  assert_true(mmu_walk(m, 0x00234567, 0, &w));
  assert_int_equal(w.phys_page, 0x434);
  assert_int_equal(w.reads, 1);
  assert_int_equal(w.flags & MMU_TLB_LARGE, MMU_TLB_LARGE);
  assert_false(mmu_walk(m, 0x40000000, 0, &w)); /* PDPTE 1 not present */
  assert_int_equal(w.error, 0);
  assert_int_equal(w.reads, 0);
}

static void pae_reserved_bits_fault_and_pdptes_refuse_them(void **state) {
  struct mmu *m = *state;
  pae(m);
  mmu_write(m, PAE_PT + 8 * 7 + 4, 4, 0x10); /* bit 36 */
  struct mmu_walk w;
  assert_false(mmu_walk(m, 0x7000, 0, &w));
  assert_int_equal(w.error, MMU_PF_P | MMU_PF_RSVD);
  mmu_write(m, PDPT + 0x100, 4, PAE_PD | P | W); /* bit 1 reserved in a PDPTE */
  assert_false(mmu_load_pdptes(m, PDPT + 0x100));
  assert_int_equal(m->pg.cr3, PDPT); /* nothing loaded */
  mmu_write(m, PDPT + 0x100, 4, PAE_PD); /* not present: not checked */
  mmu_write(m, PDPT + 0x104, 4, 0xFFFFFFFFu);
  assert_true(mmu_load_pdptes(m, PDPT + 0x100));
}

static struct mmu_walk small(uint32_t phys_page) {
  return (struct mmu_walk){.phys_page = phys_page, .flags = MMU_TLB_W | MMU_TLB_U | MMU_TLB_D};
}

static void tlb_lookup_finds_filled_pages_until_flushed(void **state) {
  struct mmu *m = *state;
  two_level(m, true, true);
  struct mmu_walk w = small(0x77);
  mmu_tlb_fill(m, MMU_DTLB, 0x5000, &w);
  struct mmu_tlb_entry *e = mmu_tlb_lookup(m, MMU_DTLB, 0x5FFF);
  assert_non_null(e);
  assert_int_equal(e->phys_page, 0x77);
  assert_null(mmu_tlb_lookup(m, MMU_ITLB, 0x5000)); /* separate TLBs */
  struct mmu_walk g = small(0x88);
  g.flags |= MMU_TLB_G;
  mmu_tlb_fill(m, MMU_DTLB, 0x6000, &g);
  mmu_tlb_flush_nonglobal(m);
  assert_null(mmu_tlb_lookup(m, MMU_DTLB, 0x5000));
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x6000));
  mmu_tlb_flush_all(m);
  assert_null(mmu_tlb_lookup(m, MMU_DTLB, 0x6000));
}

static void invlpg_drops_every_size_holding_the_page(void **state) {
  struct mmu *m = *state;
  two_level(m, true, false);
  struct mmu_walk big = {.phys_page = 0x400, .flags = MMU_TLB_LARGE | MMU_TLB_W};
  mmu_tlb_fill(m, MMU_DTLB, 0x00400000, &big);
  struct mmu_walk w = small(0x10);
  mmu_tlb_fill(m, MMU_DTLB, 0x00401000, &w);
  mmu_tlb_fill(m, MMU_ITLB, 0x00401000, &w);
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x00402000)); /* the 4 MiB entry */
  mmu_tlb_flush_page(m, 0x00401234);
  assert_null(mmu_tlb_lookup(m, MMU_DTLB, 0x00401000));
  assert_null(mmu_tlb_lookup(m, MMU_DTLB, 0x00402000));
  assert_null(mmu_tlb_lookup(m, MMU_ITLB, 0x00401000));
}

static void a_full_set_replaces_its_least_recently_used_way(void **state) {
  struct mmu *m = *state;
  two_level(m, false, false);
  assert_int_equal(mmu_tlb_configure(m, MMU_DTLB, 8, 2, 2, 2), 0); /* 4 sets of 2 */
  struct mmu_walk w = small(1);
  mmu_tlb_fill(m, MMU_DTLB, 0x0000, &w); /* set 0 */
  mmu_tlb_fill(m, MMU_DTLB, 0x4000, &w); /* set 0 */
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x0000)); /* page 0 used last */
  mmu_tlb_fill(m, MMU_DTLB, 0x8000, &w); /* evicts page 4 */
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x0000));
  assert_null(mmu_tlb_lookup(m, MMU_DTLB, 0x4000));
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x8000));
  mmu_tlb_fill(m, MMU_DTLB, 0x1000, &w); /* set 1: no eviction in set 0 */
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x0000));
}

static void bad_geometries_are_refused(void **state) {
  struct mmu *m = *state;
  assert_int_equal(mmu_tlb_configure(m, MMU_ITLB, 0, 4, 2, 2), -1);
  assert_int_equal(mmu_tlb_configure(m, MMU_ITLB, 24, 4, 2, 2), -1); /* 6 sets */
  assert_int_equal(mmu_tlb_configure(m, MMU_ITLB, 32, 4, 3, 2), -1);
  assert_int_equal(m->tlb[MMU_ITLB].small.sets, 8); /* P6 default kept */
  assert_int_equal(m->tlb[MMU_ITLB].small.ways, 4);
  assert_int_equal(m->tlb[MMU_ITLB].large.ways, 2);
  assert_int_equal(m->tlb[MMU_DTLB].small.sets * m->tlb[MMU_DTLB].small.ways, 64);
  assert_int_equal(m->tlb[MMU_DTLB].large.sets, 2);
}

static void the_fast_path_mirrors_only_live_dtlb_entries(void **state) {
  struct mmu *m = *state;
  two_level(m, false, false);
  assert_int_equal(mmu_tlb_configure(m, MMU_DTLB, 1, 1, 1, 1), 0);
  struct mmu_walk w = small(0x30);
  struct mmu_tlb_entry *e = mmu_tlb_fill(m, MMU_DTLB, 0x5000, &w);
  mmu_fast_install(m, 0x5000, e);
  assert_ptr_equal(mmu_fast_ptr(m, 0x5004, 1, 1), m->ram + 0x30004);
  uint64_t stamp = e->lru;
  mmu_fast_ptr(m, 0x5004, 0, 0);
  assert_true(e->lru > stamp); /* a fast hit is a use for LRU */
  struct mmu_walk ro = {.phys_page = 0x31, .flags = MMU_TLB_U}; /* clean, read-only */
  e = mmu_tlb_fill(m, MMU_DTLB, 0x6000, &ro); /* evicts 0x5000 */
  assert_null(mmu_fast_ptr(m, 0x5004, 1, 0));
  mmu_fast_install(m, 0x6000, e);
  assert_non_null(mmu_fast_ptr(m, 0x6000, 1, 0));
  assert_null(mmu_fast_ptr(m, 0x6000, 1, 1)); /* no write entry */
  assert_null(mmu_fast_ptr(m, 0x6000, 0, 1));
  mmu_tlb_flush_page(m, 0x6000);
  assert_null(mmu_fast_ptr(m, 0x6000, 1, 0));
  e = mmu_tlb_fill(m, MMU_DTLB, 0x6000, &ro);
  mmu_fast_install(m, 0x6000, e);
  mmu_tlb_flush_nonglobal(m);
  assert_null(mmu_fast_ptr(m, 0x6000, 1, 0));
}

static void a_page_that_starts_holding_code_loses_its_write_entries(void **state) {
  struct mmu *m = *state;
  two_level(m, false, false);
  struct mmu_walk w = small(0x40);
  struct mmu_tlb_entry *e = mmu_tlb_fill(m, MMU_DTLB, 0x9000, &w);
  mmu_fast_install(m, 0x9000, e);
  assert_non_null(mmu_fast_ptr(m, 0x9000, 0, 1));
  mmu_mark_code_page(m, 0x40, true);
  assert_null(mmu_fast_ptr(m, 0x9000, 0, 1));
  mmu_fast_install(m, 0x9000, e);
  assert_null(mmu_fast_ptr(m, 0x9000, 0, 1));
  assert_non_null(mmu_fast_ptr(m, 0x9000, 0, 0));
}

static void tagged_entries_belong_to_their_address_space(void **state) {
  struct mmu *m = *state;
  mmu_tlb_set_tagged(m, true);
  two_level(m, false, false);
  struct mmu_walk w = small(0x50);
  mmu_tlb_fill(m, MMU_DTLB, 0x5000, &w);
  mmu_set_cr3(m, PD + 0x1000);
  assert_null(mmu_tlb_lookup(m, MMU_DTLB, 0x5000));
  mmu_set_cr3(m, PD);
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x5000));
}

/* The 2-level walk's TLB flags, for every combination of the bits they
 * come from (U/S and R/W of both levels, the leaf's D and G, CR4.PGE, a
 * 4 MiB page or not, every access kind that succeeds), as the SDM rules
 * give them: U and W only if every level has them, D if set or written,
 * G only with PGE, LARGE for a PS page with PSE. */
static void two_level_walk_flags_follow_every_bit_they_come_from(void **state) {
  struct mmu *m = *state;
  for (uint32_t combo = 0; combo < (1u << 8); combo++) {
    uint32_t pde_bits = ((combo & 1) ? U : 0) | ((combo & 2) ? W : 0);
    uint32_t pte_bits = ((combo & 4) ? U : 0) | ((combo & 8) ? W : 0) | ((combo & 16) ? D : 0) |
                        ((combo & 32) ? G : 0);
    bool pge = (combo & 64) != 0, large = (combo & 128) != 0;
    for (unsigned access = 0; access < 4; access++) {
      two_level(m, true, pge);
      if (large) {
        mmu_write(m, PD + 4 * 2, 4, 0x00400000 | PS | P | A | (pte_bits & (U | W | D | G)));
        pde_bits = pte_bits & (U | W);
      } else {
        mmu_write(m, PD + 4 * 2, 4, PT | P | A | pde_bits);
        mmu_write(m, PT + 4 * 7, 4, 0x77000 | P | A | pte_bits);
      }
      uint32_t rights = large ? pte_bits : pde_bits & pte_bits;
      bool ok = (!(access & MMU_ACC_USER) || (rights & U)) &&
                (!(access & MMU_ACC_WRITE) || (rights & W) || !(access & MMU_ACC_USER));
      struct mmu_walk w;
      assert_int_equal(mmu_walk(m, 0x00807000, access, &w), ok);
      if (!ok)
        continue;
      uint8_t expect = (uint8_t)(((rights & U) ? MMU_TLB_U : 0) | ((rights & W) ? MMU_TLB_W : 0) |
                                 (((pte_bits & D) || (access & MMU_ACC_WRITE)) ? MMU_TLB_D : 0) |
                                 ((pge && (pte_bits & G)) ? MMU_TLB_G : 0) | (large ? MMU_TLB_LARGE : 0));
      assert_int_equal(w.flags, expect);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(walk_4kib_page_reads_two_entries_and_sets_a_then_d, setup, teardown),
      cmocka_unit_test_setup_teardown(walk_4mib_page_reads_one_entry_and_keeps_the_offset, setup, teardown),
      cmocka_unit_test_setup_teardown(walk_faults_carry_the_error_code_and_write_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(two_level_walk_flags_follow_every_bit_they_come_from, setup, teardown),
      cmocka_unit_test_setup_teardown(pae_walks_4kib_and_2mib_pages, setup, teardown),
      cmocka_unit_test_setup_teardown(pae_reserved_bits_fault_and_pdptes_refuse_them, setup, teardown),
      cmocka_unit_test_setup_teardown(tlb_lookup_finds_filled_pages_until_flushed, setup, teardown),
      cmocka_unit_test_setup_teardown(invlpg_drops_every_size_holding_the_page, setup, teardown),
      cmocka_unit_test_setup_teardown(a_full_set_replaces_its_least_recently_used_way, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_geometries_are_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(the_fast_path_mirrors_only_live_dtlb_entries, setup, teardown),
      cmocka_unit_test_setup_teardown(a_page_that_starts_holding_code_loses_its_write_entries, setup, teardown),
      cmocka_unit_test_setup_teardown(tagged_entries_belong_to_their_address_space, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
