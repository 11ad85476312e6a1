/* tests/mmu/test_tlb_translate.c - the TLB miss path in one call
 * (mmu_tlb_translate) against the three calls it replaces (lookup, walk,
 * fill), the walk's reads from RAM and from elsewhere, and the large-page
 * array that is skipped while it holds nothing live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mmu.h"

#define RAM (8u << 20)
#define PD_A 0x10000u
#define PD_B 0x11000u
#define PT0 0x20000u /* PT0 + 0x1000 * k: page table k */

#define P 0x001u
#define W 0x002u
#define U 0x004u
#define A 0x020u
#define D 0x040u
#define PS 0x080u
#define G 0x100u

static uint32_t lcg(uint32_t *s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 8;
}

/* Two page directories over the same page tables: PDEs 0-3 point to page
 * tables whose PTEs mix P, W, U, A, D and G; PDE 4 maps a 4 MiB page (a
 * global one in PD_B); PDE 5 is not present. */
static void build_tables(struct mmu *m, uint32_t seed) {
  for (uint32_t k = 0; k < 4; k++) {
    uint32_t bits = P | W | U | ((k & 1) ? A : 0);
    mmu_write(m, PD_A + 4 * k, 4, (PT0 + 0x1000 * k) | bits);
    mmu_write(m, PD_B + 4 * k, 4, (PT0 + 0x1000 * ((k + 1) & 3)) | bits);
    for (uint32_t j = 0; j < 1024; j++) {
      uint32_t r = lcg(&seed);
      uint32_t pte = ((r & 0x3FF) << 12) | (r & (W | U | A | D | G)) | ((r & 0x7000) ? P : 0);
      mmu_write(m, PT0 + 0x1000 * k + 4 * j, 4, pte);
    }
  }
  mmu_write(m, PD_A + 16, 4, 0x00400000 | PS | P | W | U);
  mmu_write(m, PD_B + 16, 4, 0x00400000 | PS | P | W | G);
}

static struct mmu *twin(bool tagged) {
  struct mmu *m = mmu_new(RAM);
  assert_non_null(m);
  /* Small arrays, so that fills evict: 4 sets of 2; 2 large sets of 1. */
  assert_int_equal(mmu_tlb_configure(m, MMU_DTLB, 8, 2, 2, 1), 0);
  assert_int_equal(mmu_tlb_configure(m, MMU_ITLB, 4, 4, 2, 2), 0);
  mmu_tlb_set_tagged(m, tagged);
  build_tables(m, 7);
  mmu_set_paging(m, true, true, true, false, true);
  mmu_set_cr3(m, PD_A);
  return m;
}

/* The reference: the three calls as the CPU made them before. */
static struct mmu_tlb_entry *three_calls(struct mmu *m, enum mmu_tlb_which t, uint32_t lin, unsigned access,
                                         struct mmu_walk *w, bool *walked) {
  struct mmu_tlb_entry *e = mmu_tlb_lookup(m, t, lin);
  *walked = e == NULL;
  if (e)
    return e;
  if (!mmu_walk(m, lin, access, w))
    return NULL;
  return mmu_tlb_fill(m, t, lin, w);
}

static void assert_same_tlbs(const struct mmu *a, const struct mmu *b) {
  for (int t = 0; t < 2; t++) {
    const struct mmu_tlb_array *x[2] = {&a->tlb[t].small, &a->tlb[t].large};
    const struct mmu_tlb_array *y[2] = {&b->tlb[t].small, &b->tlb[t].large};
    for (int k = 0; k < 2; k++)
      for (unsigned j = 0; j < x[k]->sets * x[k]->ways; j++) {
        const struct mmu_tlb_entry *p = &x[k]->e[j], *q = &y[k]->e[j];
        assert_int_equal(p->lru, q->lru);
        assert_int_equal(p->lin_page, q->lin_page);
        assert_int_equal(p->phys_page, q->phys_page);
        assert_int_equal(p->gen_all, q->gen_all);
        assert_int_equal(p->gen_ng, q->gen_ng);
        assert_int_equal(p->asid, q->asid);
        assert_int_equal(p->flags, q->flags);
      }
    assert_int_equal(a->tlb[t].clock, b->tlb[t].clock);
  }
  for (int k = 0; k < 4; k++)
    for (unsigned j = 0; j < MMU_FAST_ENTRIES; j++) {
      assert_int_equal(a->fast[k][j].tag, b->fast[k][j].tag);
      if (a->fast[k][j].tag)
        assert_int_equal(a->fast[k][j].host - a->ram, b->fast[k][j].host - b->ram);
    }
  assert_memory_equal(&a->own_counters, &b->own_counters, sizeof a->own_counters);
  assert_memory_equal(a->ram, b->ram, RAM);
}

/* Which entry e is: its index, the large array's after the small one's. */
static unsigned slot(const struct mmu *m, enum mmu_tlb_which t, const struct mmu_tlb_entry *e) {
  const struct mmu_tlb_array *s = &m->tlb[t].small, *l = &m->tlb[t].large;
  for (unsigned j = 0; j < s->sets * s->ways; j++)
    if (&s->e[j] == e)
      return j;
  for (unsigned j = 0; j < l->sets * l->ways; j++)
    if (&l->e[j] == e)
      return 1000 + j;
  fail_msg("entry not in TLB %d", (int)t);
  return 0;
}

static void run_twins(bool tagged) {
  struct mmu *ref = twin(tagged), *one = twin(tagged);
  uint32_t s = 99;
  for (int n = 0; n < 20000; n++) {
    uint32_t r = lcg(&s);
    uint32_t op = r % 64;
    if (op == 0) {
      uint32_t cr3 = (r & 64) ? PD_B : PD_A;
      mmu_set_cr3(ref, cr3);
      mmu_set_cr3(one, cr3);
      if (!tagged) {
        mmu_tlb_flush_nonglobal(ref);
        mmu_tlb_flush_nonglobal(one);
      }
      continue;
    }
    uint32_t lin = lcg(&s) % (6u << 22); /* PDEs 0-5 */
    if (op == 1) {
      mmu_tlb_flush_page(ref, lin);
      mmu_tlb_flush_page(one, lin);
      continue;
    }
    if (op == 2) {
      mmu_tlb_flush_all(ref);
      mmu_tlb_flush_all(one);
      continue;
    }
    unsigned access = r & (MMU_ACC_WRITE | MMU_ACC_USER | MMU_ACC_EXEC);
    enum mmu_tlb_which t = (access & MMU_ACC_EXEC) ? MMU_ITLB : MMU_DTLB;
    struct mmu_walk wr, wo;
    bool walked;
    struct mmu_tlb_entry *er = three_calls(ref, t, lin, access, &wr, &walked), *eo;
    enum mmu_tlb_result res = mmu_tlb_translate(one, t, lin, access, &wo, &eo);
    assert_int_equal(res, !walked ? MMU_TLB_HIT : er ? MMU_TLB_FILLED : MMU_TLB_FAULT);
    assert_int_equal(er == NULL, eo == NULL);
    if (walked) {
      assert_int_equal(wr.reads, wo.reads);
      assert_int_equal(wr.ad_updates, wo.ad_updates);
      if (!er)
        assert_int_equal(wr.error, wo.error);
    }
    if (er) {
      assert_int_equal(slot(ref, t, er), slot(one, t, eo));
    }
    if (er && t == MMU_DTLB) {
      mmu_fast_install(ref, lin, er);
      mmu_fast_install(one, lin, eo);
      const uint8_t *pr = mmu_fast_ptr(ref, lin, 0, 0), *po = mmu_fast_ptr(one, lin, 0, 0);
      assert_non_null(pr);
      assert_non_null(po);
      assert_int_equal(pr - ref->ram, po - one->ram);
    }
    if (n % 1000 == 0)
      assert_same_tlbs(ref, one);
  }
  assert_same_tlbs(ref, one);
  mmu_free(ref);
  mmu_free(one);
}

static void translate_hits_misses_fills_and_evicts_as_lookup_walk_fill_do(void **state) {
  (void)state;
  run_twins(false);
}

static void translate_matches_lookup_walk_fill_in_tagged_mode(void **state) {
  (void)state;
  run_twins(true);
}

/* The data path: mmu_dtlb_translate (the fill installs the fast-path
 * entries of the access's privilege and hands back the host address)
 * against lookup, walk, fill and mmu_fast_install_for, in a DTLB of the
 * given geometry. Some frames lie outside RAM (no host address) and some
 * pages hold code (no host address for a write). */
static void run_dtlb_twins(bool tagged, unsigned entries, unsigned ways) {
  struct mmu *ref = twin(tagged), *one = twin(tagged);
  struct mmu *both[2] = {ref, one};
  for (int k = 0; k < 2; k++) {
    assert_int_equal(mmu_tlb_configure(both[k], MMU_DTLB, entries, ways, 2, 1), 0);
    mmu_set_paging(both[k], true, true, true, false, true);
    for (uint32_t f = 0; f < 1024; f += 7)
      mmu_mark_code_page(both[k], f, true);
    for (uint32_t j = 0; j < 1024; j += 13) { /* PT 2: frames past RAM */
      uint32_t pte = mmu_read(both[k], PT0 + 0x2000 + 4 * j, 4);
      mmu_write(both[k], PT0 + 0x2000 + 4 * j, 4, (pte & 0xFFF) | ((0x800u + j) << 12));
    }
  }
  uint32_t s = 4242;
  for (int n = 0; n < 20000; n++) {
    uint32_t r = lcg(&s);
    uint32_t op = r % 64;
    uint32_t lin = lcg(&s) % (6u << 22);
    if (op == 0) {
      uint32_t cr3 = (r & 64) ? PD_B : PD_A;
      for (int k = 0; k < 2; k++) {
        mmu_set_cr3(both[k], cr3);
        if (!tagged)
          mmu_tlb_flush_nonglobal(both[k]);
      }
      continue;
    }
    if (op == 1) {
      mmu_tlb_flush_page(ref, lin);
      mmu_tlb_flush_page(one, lin);
      continue;
    }
    unsigned access = r & (MMU_ACC_WRITE | MMU_ACC_USER);
    struct mmu_walk wr, wo;
    bool walked;
    struct mmu_tlb_entry *er = three_calls(ref, MMU_DTLB, lin, access, &wr, &walked), *eo;
    uint8_t *host = (uint8_t *)1; /* must be set by a fill, left alone otherwise */
    enum mmu_tlb_result res = mmu_dtlb_translate(one, lin, access, &wo, &eo, &host);
    assert_int_equal(res, !walked ? MMU_TLB_HIT : er ? MMU_TLB_FILLED : MMU_TLB_FAULT);
    if (res != MMU_TLB_FILLED)
      assert_ptr_equal(host, (uint8_t *)1);
    if (!er)
      continue;
    assert_int_equal(slot(ref, MMU_DTLB, er), slot(one, MMU_DTLB, eo));
    if (res == MMU_TLB_HIT) {
      if (!mmu_tlb_allows(one, eo->flags, access) || ((access & MMU_ACC_WRITE) && !(eo->flags & MMU_TLB_D)))
        continue; /* the CPU faults or walks again: no install */
      host = mmu_fast_install_for(one, lin, eo, access);
    }
    uint8_t *expect = mmu_fast_install_for(ref, lin, er, access);
    uint32_t frame = er->phys_page + ((lin >> MMU_PAGE_SHIFT) - er->lin_page);
    bool ram = frame < RAM / MMU_PAGE_BYTES, code = ram && (frame % 7) == 0;
    if (!ram || ((access & MMU_ACC_WRITE) && code)) {
      assert_null(expect);
      assert_null(host);
    } else {
      assert_int_equal(expect - ref->ram, (ptrdiff_t)frame << MMU_PAGE_SHIFT);
      assert_int_equal(host - one->ram, expect - ref->ram);
    }
    if (n % 1000 == 0)
      assert_same_tlbs(ref, one);
  }
  assert_same_tlbs(ref, one);
  mmu_free(ref);
  mmu_free(one);
}

static void dtlb_translate_fills_and_installs_as_fill_then_install_do(void **state) {
  (void)state;
  run_dtlb_twins(false, 8, 2);
  run_dtlb_twins(true, 8, 2);
}

static void dtlb_translate_agrees_in_the_default_and_fully_associative_geometries(void **state) {
  (void)state;
  run_dtlb_twins(false, 64, 4); /* the P6 DTLB: the unrolled 4-way scan */
  run_dtlb_twins(false, 16, 16);
  run_dtlb_twins(true, 64, 4);
}

/* mmu_fast_install_for installs the entries of the access's privilege only
 * (mmu_fast_install both): a user access then misses the supervisor fill's
 * mirror, and the other way round. */
static void fast_install_for_installs_the_access_privilege_only(void **state) {
  (void)state;
  struct mmu *m = twin(false);
  struct mmu_walk w = {.phys_page = 0x123, .flags = MMU_TLB_U | MMU_TLB_W | MMU_TLB_D};
  struct mmu_tlb_entry *e = mmu_tlb_fill(m, MMU_DTLB, 0x5000, &w);
  assert_ptr_equal(mmu_fast_install_for(m, 0x5000, e, 0), m->ram + 0x123000);
  assert_non_null(mmu_fast_ptr(m, 0x5004, 0, 0));
  assert_non_null(mmu_fast_ptr(m, 0x5004, 0, 1));
  assert_null(mmu_fast_ptr(m, 0x5004, 1, 0));
  assert_null(mmu_fast_ptr(m, 0x5004, 1, 1));
  assert_ptr_equal(mmu_fast_install_for(m, 0x5000, e, MMU_ACC_USER | MMU_ACC_WRITE), m->ram + 0x123000);
  assert_non_null(mmu_fast_ptr(m, 0x5004, 1, 0));
  assert_non_null(mmu_fast_ptr(m, 0x5004, 1, 1));
  e = mmu_tlb_fill(m, MMU_DTLB, 0x6000, &w);
  assert_ptr_equal(mmu_fast_install_for(m, 0x6000, e, MMU_ACC_USER), m->ram + 0x123000);
  assert_non_null(mmu_fast_ptr(m, 0x6004, 1, 0));
  assert_null(mmu_fast_ptr(m, 0x6004, 0, 0));
  assert_null(mmu_fast_ptr(m, 0x6004, 0, 1));
  mmu_mark_code_page(m, 0x123, true); /* a write to a code page: mmu_write */
  assert_null(mmu_fast_install_for(m, 0x6000, e, MMU_ACC_WRITE));
  assert_ptr_equal(mmu_fast_install_for(m, 0x6000, e, 0), m->ram + 0x123000);
  mmu_free(m);
}

static void a_page_table_in_rom_is_walked_through_the_physical_map(void **state) {
  (void)state;
  struct mmu *m = mmu_new(1u << 20);
  assert_non_null(m);
  uint8_t pt[4096] = {0};
  uint32_t pte = 0x5000 | P | W | A | D;
  memcpy(pt + 4 * 3, &pte, 4); /* little-endian, as the guest's */
  assert_int_equal(mmu_map_rom(m, 0xFFFF0000u, pt, sizeof pt), 0);
  mmu_write(m, 0x1000, 4, 0xFFFF0000u | P | W | A);
  mmu_set_paging(m, true, false, false, false, false);
  mmu_set_cr3(m, 0x1000);
  struct mmu_walk w;
  assert_true(mmu_walk(m, 0x3123, 0, &w));
  assert_int_equal(w.phys_page, 0x5);
  assert_int_equal(w.reads, 2);
  /* A page table in unclaimed space reads all ones: present, every frame
   * bit, and (with PSE) the reserved PAT bit. */
  mmu_write(m, 0x1004, 4, 0xE0000000u | P | W | A);
  assert_true(mmu_walk(m, 0x00400000, 0, &w));
  assert_int_equal(w.phys_page, 0xFFFFF);
  mmu_set_paging(m, true, false, true, false, false);
  assert_false(mmu_walk(m, 0x00400000, 0, &w));
  assert_int_equal(w.error, MMU_PF_P | MMU_PF_RSVD);
  mmu_free(m);
}

static void a_large_page_is_found_after_a_full_flush_and_a_new_fill(void **state) {
  (void)state;
  struct mmu *m = mmu_new(RAM);
  assert_non_null(m);
  mmu_set_paging(m, true, false, true, false, false);
  mmu_set_cr3(m, PD_A);
  struct mmu_walk big = {.phys_page = 0x400, .flags = MMU_TLB_LARGE | MMU_TLB_W};
  assert_null(mmu_tlb_lookup(m, MMU_DTLB, 0x00400000)); /* never filled */
  mmu_tlb_fill(m, MMU_DTLB, 0x00400000, &big);
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x00401000));
  mmu_tlb_flush_all(m);
  assert_null(mmu_tlb_lookup(m, MMU_DTLB, 0x00401000));
  mmu_tlb_flush_page(m, 0x00401000); /* nothing live there: drops nothing */
  mmu_tlb_fill(m, MMU_DTLB, 0x00400000, &big);
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x00402000));
  mmu_tlb_flush_nonglobal(m); /* gen_ng only: the large array is probed again */
  big.flags |= MMU_TLB_G;
  mmu_tlb_fill(m, MMU_DTLB, 0x00400000, &big);
  mmu_tlb_flush_nonglobal(m);
  assert_non_null(mmu_tlb_lookup(m, MMU_DTLB, 0x00403000));
  mmu_tlb_flush_page(m, 0x00403000);
  assert_null(mmu_tlb_lookup(m, MMU_DTLB, 0x00403000));
  mmu_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(translate_hits_misses_fills_and_evicts_as_lookup_walk_fill_do),
      cmocka_unit_test(translate_matches_lookup_walk_fill_in_tagged_mode),
      cmocka_unit_test(dtlb_translate_fills_and_installs_as_fill_then_install_do),
      cmocka_unit_test(dtlb_translate_agrees_in_the_default_and_fully_associative_geometries),
      cmocka_unit_test(fast_install_for_installs_the_access_privilege_only),
      cmocka_unit_test(a_page_table_in_rom_is_walked_through_the_physical_map),
      cmocka_unit_test(a_large_page_is_found_after_a_full_flush_and_a_new_fill),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
