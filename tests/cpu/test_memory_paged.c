/* tests/cpu/test_memory_paged.c - the data accesses that miss the
 * host-pointer cache with paging on (cpu_read_paged, cpu_write_paged): one
 * DTLB translation, then the page's host address, or the physical map when
 * the page is not plain RAM (MMIO, a page holding decoded code). What the
 * DTLB sees is what the segmented slow path showed it: a read-modify-write
 * that misses counts one miss (the read) and one hit (the write); an
 * access whose page the DTLB holds, but the cache does not (another
 * privilege, a code page), is a hit and walks nothing.
 *
 * The machine: the harness's flat one, its protected-mode tables, and page
 * tables at 0x20000 (directory) and 0x21000 that identity-map the first
 * 4 MiB with 4 KiB user-writable pages; MMIO at 0x300000 (past RAM).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu-internal.h"

#include "harness.h"

#define PD 0x20000u
#define PT0 0x21000u
#define MMIO 0x300000u

#define P 0x001u
#define W 0x002u
#define U 0x004u

#define CR0_PG 0x80000000u

#define REG(h, r) cpu_get_reg((h)->cpu, (r))
#define LE32(x) (uint8_t)(x), (uint8_t)((x) >> 8), (uint8_t)((x) >> 16), (uint8_t)((x) >> 24)

static void wr32(struct harness *h, uint32_t a, uint32_t v) { mmu_write(h->mem, a, 4, v); }
static uint32_t rd32(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 4); }
static uint64_t count(struct harness *h, enum trace_event e) { return trace_counter(cpu_counters(h->cpu), e); }

/* A device page that answers 0xD0D00000 | offset and remembers the last
 * write. */
struct device {
  uint32_t offset, value;
  unsigned writes;
};
static uint32_t dev_read(void *ctx, uint32_t offset, unsigned n) {
  (void)ctx;
  (void)n;
  return 0xD0D00000u | offset;
}
static void dev_write(void *ctx, uint32_t offset, unsigned n, uint32_t v) {
  struct device *d = ctx;
  (void)n;
  d->offset = offset;
  d->value = v;
  d->writes++;
}
static const struct mmu_mmio_ops dev_ops = {dev_read, dev_write};
static struct device dev;

/* mov eax, PD; mov cr3, eax; mov eax, cr0; or eax, PG; mov cr0, eax; hlt */
static int setup(void **state) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  harness_pm_tables(h, 0x8000, 0);
  wr32(h, PD, PT0 | P | W | U);
  for (uint32_t k = 0; k < 1024; k++)
    wr32(h, PT0 + 4 * k, (k << 12) | P | W | U);
  memset(&dev, 0, sizeof dev);
  assert_int_equal(mmu_map_mmio(h->mem, MMIO, 0x1000, &dev_ops, &dev), 0);
  uint32_t pg = CR0_PG;
  assert_int_equal(HARNESS_RUN(h, 0xB8, LE32(PD), 0x0F, 0x22, 0xD8, 0x0F, 0x20, 0xC0, 0x0D, LE32(pg), 0x0F, 0x22,
                               0xC0, 0xF4),
                   CPU_EXIT_HALT);
  assert_true(h->mem->paging);
  *state = h;
  return 0;
}

/* mov eax, [addr]; hlt */
static uint32_t load(struct harness *h, uint32_t addr) {
  assert_int_equal(HARNESS_RUN(h, 0xA1, LE32(addr), 0xF4), CPU_EXIT_HALT);
  return REG(h, CPU_EAX);
}

/* mov [addr], eax; hlt (with eax = v) */
static void store(struct harness *h, uint32_t addr, uint32_t v) {
  cpu_set_reg(h->cpu, CPU_EAX, v);
  assert_int_equal(HARNESS_RUN(h, 0xA3, LE32(addr), 0xF4), CPU_EXIT_HALT);
}

/* inc dword [addr]; hlt */
static void inc(struct harness *h, uint32_t addr) {
  assert_int_equal(HARNESS_RUN(h, 0xFF, 0x05, LE32(addr), 0xF4), CPU_EXIT_HALT);
}

/* The DTLB counters and page walks since *since (then *since = now). */
struct dtlb_delta {
  uint64_t hit, miss, walk;
};
static struct dtlb_delta delta(struct harness *h, struct dtlb_delta *since) {
  struct dtlb_delta now = {count(h, TRACE_EV_dtlb_hit), count(h, TRACE_EV_dtlb_miss), count(h, TRACE_EV_page_walk)};
  struct dtlb_delta d = {now.hit - since->hit, now.miss - since->miss, now.walk - since->walk};
  *since = now;
  return d;
}

static void an_rmw_that_misses_counts_one_miss_for_the_read_and_one_hit_for_the_write(void **state) {
  struct harness *h = *state;
  wr32(h, 0x33010, 41);
  struct dtlb_delta t;
  delta(h, &t);
  inc(h, 0x33010);
  struct dtlb_delta d = delta(h, &t);
  assert_int_equal(rd32(h, 0x33010), 42);
  assert_int_equal(d.miss, 1);
  assert_int_equal(d.hit, 1);
  assert_int_equal(d.walk, 2); /* the read's walk, and the write's for the D bit (a P6 dirty-bit assist) */
  inc(h, 0x33010); /* both through the host-pointer cache now */
  d = delta(h, &t);
  assert_int_equal(rd32(h, 0x33010), 43);
  assert_int_equal(d.miss, 0);
  assert_int_equal(d.hit, 2);
  assert_int_equal(d.walk, 0);
  wr32(h, PT0 + 4 * 0x36, 0x36000 | P | W | U | 0x40); /* dirty already: one walk */
  inc(h, 0x36ffc);
  d = delta(h, &t);
  assert_int_equal(rd32(h, 0x36ffc), 1);
  assert_int_equal(d.miss, 1);
  assert_int_equal(d.hit, 1);
  assert_int_equal(d.walk, 1);
}

static void a_paged_access_to_an_mmio_page_reaches_the_device(void **state) {
  struct harness *h = *state;
  struct dtlb_delta t;
  delta(h, &t);
  assert_int_equal(load(h, MMIO + 0x24), 0xD0D00024u);
  struct dtlb_delta d = delta(h, &t);
  assert_int_equal(d.miss, 1);
  assert_int_equal(d.walk, 1);
  store(h, MMIO + 0x38, 0xCAFE);
  d = delta(h, &t);
  assert_int_equal(dev.writes, 1);
  assert_int_equal(dev.offset, 0x38);
  assert_int_equal(dev.value, 0xCAFE);
  assert_int_equal(d.miss, 0); /* no host pointer for MMIO: the slow path, a DTLB hit */
  assert_int_equal(d.hit, 1);
}

/* 0x31000 holds `mov al, n; hlt`, run through `mov edx, 0x31000; jmp edx`.
 * The second store finds the DTLB entry dirty but no write entry in the
 * cache (the page holds code): it must still go through the physical map,
 * whose code-write hook drops the decoded block. */
static void a_write_to_a_code_page_the_dtlb_holds_reaches_the_code_cache(void **state) {
  struct harness *h = *state;
  const uint8_t code[] = {0xB0, 0x11, 0xF4}; /* mov al, 0x11; hlt */
  mmu_copy_to_guest(h->mem, 0x31000, code, sizeof code);
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  assert_int_equal(HARNESS_RUN(h, 0xBA, LE32(0x31000), 0xFF, 0xE2), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX) & 0xFF, 0x11);
  store(h, 0x31000, 0x00F422B0); /* mov al, 0x22; hlt */
  assert_int_equal(HARNESS_RUN(h, 0xBA, LE32(0x31000), 0xFF, 0xE2), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX) & 0xFF, 0x22);
  struct dtlb_delta t;
  delta(h, &t);
  store(h, 0x31000, 0x00F433B0); /* mov al, 0x33; hlt */
  struct dtlb_delta d = delta(h, &t);
  assert_int_equal(d.miss, 0);
  assert_int_equal(d.hit, 1);
  assert_int_equal(d.walk, 0);
  assert_int_equal(HARNESS_RUN(h, 0xBA, LE32(0x31000), 0xFF, 0xE2), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX) & 0xFF, 0x33);
}

/* A fill at CPL 0 makes host-cache entries for supervisor accesses only;
 * a user read of the page then finds the DTLB entry on the slow path: a
 * hit, no walk. (Each ring-3 run ends in HLT's #GP, whose delivery reads
 * the IDT, GDT and TSS and writes the ring-0 stack: a first run warms
 * those pages, so the second counts the user read alone.) */
static void a_user_read_of_a_page_the_kernel_filled_is_a_dtlb_hit(void **state) {
  struct harness *h = *state;
  wr32(h, 0x34000, 0x1234);
  wr32(h, 0x35000, 0x5678);
  struct dtlb_delta t;
  delta(h, &t);
  assert_int_equal(load(h, 0x34000), 0x1234); /* ring 0 fills 0x34000 */
  assert_int_equal(delta(h, &t).miss, 1);
  for (int k = 0; k < 2; k++) { /* warm what the #GP delivery touches */
    harness_enter_ring3(h);
    assert_int_equal(load(h, 0x35000), 0x5678);
    assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  }
  delta(h, &t);
  harness_enter_ring3(h);
  assert_int_equal(load(h, 0x35000), 0x5678);
  struct dtlb_delta warm = delta(h, &t);
  assert_int_equal(warm.miss, 0);
  harness_enter_ring3(h);
  assert_int_equal(load(h, 0x34000), 0x1234);
  struct dtlb_delta d = delta(h, &t);
  assert_int_equal(d.miss, 0);
  assert_int_equal(d.walk, 0);
  assert_int_equal(d.hit, warm.hit); /* the same run as the warm one, another page */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(an_rmw_that_misses_counts_one_miss_for_the_read_and_one_hit_for_the_write,
                                      setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_paged_access_to_an_mmio_page_reaches_the_device, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_write_to_a_code_page_the_dtlb_holds_reaches_the_code_cache, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_user_read_of_a_page_the_kernel_filled_is_a_dtlb_hit, setup,
                                      harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
