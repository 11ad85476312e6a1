/* tests/cpu/test_invalidate.c - cpu_invalidate_phys(): decoded code
 * dropped for a physical range that the host rewrote behind the CPU's back
 * (a loader, a snapshot restore, a fuzz harness zeroing RAM). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "trace.h"

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

static uint64_t decodes(struct harness *h) { return trace_counter(cpu_counters(h->cpu), TRACE_EV_block_decode); }

/* Runs from `at` to HLT (at most 1000 cycles). */
static enum cpu_exit run_at(struct harness *h, uint32_t at) {
  cpu_set_eip(h->cpu, at);
  return cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000);
}

/* A host write straight into RAM (not through mmu_write) is not seen by
 * the code cache: the old block runs again. That is what the call is for:
 * after it the new bytes run. */
static void ram_rewritten_directly_runs_the_new_code_after_invalidation(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0x40, 0x40, 0xF4), CPU_EXIT_HALT); /* inc eax; inc eax; hlt */
  assert_int_equal(REG(h, CPU_EAX), 2);
  h->mem->ram[HARNESS_CODE + 1] = 0x41; /* inc ecx, behind the cache's back */
  assert_int_equal(run_at(h, HARNESS_CODE), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 4); /* the stale block: two INC EAX */
  assert_int_equal(REG(h, CPU_ECX), 0);

  assert_int_equal(cpu_invalidate_phys(h->cpu, HARNESS_CODE + 1, 1), 1);
  assert_int_equal(run_at(h, HARNESS_CODE), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 5);
  assert_int_equal(REG(h, CPU_ECX), 1);
}

/* Only blocks whose bytes overlap the range go: a range beside the code,
 * in the same page, drops nothing and the block is not decoded again. */
static void a_range_beside_the_code_drops_nothing(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0x40, 0xF4), CPU_EXIT_HALT);
  uint64_t d0 = decodes(h);
  assert_int_equal(cpu_invalidate_phys(h->cpu, HARNESS_CODE + 2, 0x100), 0);
  assert_int_equal(cpu_invalidate_phys(h->cpu, 0, HARNESS_CODE), 0);
  assert_int_equal(cpu_invalidate_phys(h->cpu, HARNESS_CODE, 0), 0);
  assert_int_equal(run_at(h, HARNESS_CODE), CPU_EXIT_HALT);
  assert_int_equal(decodes(h) - d0, 0);
}

/* The whole of RAM at once (what a harness does between inputs) drops the
 * blocks of every page, not only those at a page's first byte: the bug
 * that let one fuzz input's code run in the next. */
static void all_of_ram_drops_blocks_anywhere_in_their_pages(void **state) {
  struct harness *h = *state;
  static const uint8_t a[] = {0x40, 0xF4}, b[] = {0x41, 0xF4}, c[] = {0x42, 0xF4};
  mmu_copy_to_guest(h->mem, 0x3700, a, sizeof a);
  mmu_copy_to_guest(h->mem, 0x5FFF, b, sizeof b); /* two blocks: a block ends at a page's end */
  mmu_copy_to_guest(h->mem, 0x10010, c, sizeof c);
  assert_int_equal(run_at(h, 0x3700), CPU_EXIT_HALT);
  assert_int_equal(run_at(h, 0x5FFF), CPU_EXIT_HALT);
  assert_int_equal(run_at(h, 0x10010), CPU_EXIT_HALT);
  uint64_t d0 = decodes(h);
  assert_int_equal(cpu_invalidate_phys(h->cpu, 0, HARNESS_RAM), 4);
  memset(h->mem->ram + 0x3700, 0x43, 1); /* inc ebx */
  assert_int_equal(run_at(h, 0x3700), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EBX), 1);
  assert_int_equal(run_at(h, 0x5FFF), CPU_EXIT_HALT);
  assert_int_equal(run_at(h, 0x10010), CPU_EXIT_HALT);
  assert_int_equal(decodes(h) - d0, 4);
  /* The page marks went with the blocks: a later guest write to those
   * pages finds no code and drops nothing. */
  assert_int_equal(cpu_invalidate_phys(h->cpu, 0, HARNESS_RAM), 4);
  uint64_t inv0 = trace_counter(cpu_counters(h->cpu), TRACE_EV_code_invalidate);
  assert_int_equal(h->mem->code_pages[0x3], 0);
  assert_int_equal(h->mem->code_pages[0x5], 0);
  assert_int_equal(h->mem->code_pages[0x6], 0);
  mmu_write(h->mem, 0x3700, 1, 0x40);
  mmu_write(h->mem, 0x6000, 1, 0x40);
  assert_int_equal(trace_counter(cpu_counters(h->cpu), TRACE_EV_code_invalidate) - inv0, 0);
}

/* A block that crosses into a second page is dropped by a range that
 * covers only its bytes on that page. */
static void a_range_on_the_second_page_of_a_block_drops_it(void **state) {
  struct harness *h = *state;
  static const uint8_t code[] = {0x05, 0x01, 0x02, 0x03, 0x04, 0xF4}; /* add eax, 04030201h; hlt */
  mmu_copy_to_guest(h->mem, 0x1FFE, code, sizeof code);
  assert_int_equal(run_at(h, 0x1FFE), CPU_EXIT_HALT);
  h->mem->ram[0x2002] = 0x10;
  assert_int_equal(cpu_invalidate_phys(h->cpu, 0x2002, 1), 1);
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  assert_int_equal(run_at(h, 0x1FFE), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 0x10030201);
}

/* Blocks in ROM are in no page list (ROM is never written by the guest);
 * a range over the ROM drops them too, for a host that replaces its image. */
static void a_range_over_rom_drops_rom_blocks(void **state) {
  struct harness *h = *state;
  static uint8_t rom[0x1000];
  memset(rom, 0xF4, sizeof rom);
  rom[0x10] = 0x40; /* inc eax; hlt */
  assert_int_equal(mmu_map_rom(h->mem, 0xFFFF0000u, rom, sizeof rom), 0);
  assert_int_equal(run_at(h, 0xFFFF0010u), CPU_EXIT_HALT);
  uint64_t d0 = decodes(h);
  assert_int_equal(run_at(h, 0xFFFF0010u), CPU_EXIT_HALT);
  assert_int_equal(decodes(h) - d0, 0); /* cached */
  assert_int_equal(cpu_invalidate_phys(h->cpu, 0xFFFF0000u, 0x10000), 1);
  assert_int_equal(cpu_invalidate_phys(h->cpu, 0xFFFF0000u, 0x10000), 0);
  assert_int_equal(run_at(h, 0xFFFF0010u), CPU_EXIT_HALT);
  assert_int_equal(decodes(h) - d0, 1);
  /* Ranges past 4 GiB are clipped, not wrapped onto low memory. */
  assert_int_equal(cpu_invalidate_phys(h->cpu, 0xFFFFF000u, 0x100001000ull), 0);
  assert_int_equal(cpu_invalidate_phys(h->cpu, 0xFFFF0000u, UINT64_MAX - 0xFFFF0000u), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(ram_rewritten_directly_runs_the_new_code_after_invalidation,
                                      harness_setup_flat32, harness_teardown),
      cmocka_unit_test_setup_teardown(a_range_beside_the_code_drops_nothing, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(all_of_ram_drops_blocks_anywhere_in_their_pages, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_range_on_the_second_page_of_a_block_drops_it, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_range_over_rom_drops_rom_blocks, harness_setup_flat32, harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
