/* tests/mmu/test_physmem.c - the physical memory map (mmu/physmem.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mmu.h"

#define RAM_BYTES   (64u * 1024)
#define MMIO_BASE   0xFEC00000u
#define MMIO_BYTES  0x1000u
#define ROM_BASE    0xFFFF0000u

/* An MMIO device that records its last access and answers a fixed pattern. */
struct fake_dev {
  unsigned reads, writes;
  uint32_t last_offset;
  unsigned last_size_bytes;
  uint32_t last_value;
  uint32_t answer;
};

static uint32_t fake_read(void *ctx, uint32_t offset, unsigned size_bytes) {
  struct fake_dev *d = ctx;
  d->reads++;
  d->last_offset = offset;
  d->last_size_bytes = size_bytes;
  return d->answer;
}

static void fake_write(void *ctx, uint32_t offset, unsigned size_bytes, uint32_t value) {
  struct fake_dev *d = ctx;
  d->writes++;
  d->last_offset = offset;
  d->last_size_bytes = size_bytes;
  d->last_value = value;
}

static const struct mmu_mmio_ops fake_ops = {fake_read, fake_write};

/* A code-cache invalidation hook that records its calls. */
struct hook_log {
  unsigned calls;
  uint32_t last_phys;
  unsigned last_size_bytes;
};

static void log_code_write(void *ctx, uint32_t phys, unsigned size_bytes) {
  struct hook_log *log = ctx;
  log->calls++;
  log->last_phys = phys;
  log->last_size_bytes = size_bytes;
}

static int setup(void **state) {
  struct mmu *m = mmu_new(RAM_BYTES);
  if (!m)
    return -1;
  *state = m;
  return 0;
}

static int teardown(void **state) {
  mmu_free(*state);
  return 0;
}

static void new_rounds_ram_up_to_a_whole_page(void **state) {
  (void)state;
  struct mmu *m = mmu_new(MMU_PAGE_BYTES + 1);
  assert_non_null(m);
  assert_int_equal(m->ram_bytes, 2 * MMU_PAGE_BYTES);
  mmu_free(m);
}

static void new_ram_reads_zero(void **state) {
  struct mmu *m = *state;
  assert_int_equal(mmu_read(m, 0, 4), 0);
  assert_int_equal(mmu_read(m, RAM_BYTES - 4, 4), 0);
}

static void ram_reads_back_what_was_written_at_each_width(void **state) {
  struct mmu *m = *state;
  mmu_write(m, 0x100, 1, 0xAB);
  mmu_write(m, 0x200, 2, 0xBEEF);
  mmu_write(m, 0x301, 4, 0xDEADBEEF); /* unaligned */
  assert_int_equal(mmu_read(m, 0x100, 1), 0xAB);
  assert_int_equal(mmu_read(m, 0x200, 2), 0xBEEF);
  assert_int_equal(mmu_read(m, 0x301, 4), 0xDEADBEEF);
}

static void narrow_writes_keep_neighbouring_bytes(void **state) {
  struct mmu *m = *state;
  mmu_write(m, 0x400, 4, 0x11223344);
  mmu_write(m, 0x401, 1, 0xAA);
  assert_int_equal(mmu_read(m, 0x400, 4), 0x1122AA44);
}

static void ram_stores_multibyte_values_little_endian(void **state) {
  struct mmu *m = *state;
  mmu_write(m, 0x500, 4, 0x04030201);
  uint8_t bytes[4];
  assert_int_equal(mmu_copy_from_guest(m, 0x500, bytes, 4), 0);
  assert_int_equal(bytes[0], 0x01);
  assert_int_equal(bytes[1], 0x02);
  assert_int_equal(bytes[2], 0x03);
  assert_int_equal(bytes[3], 0x04);
  assert_int_equal(mmu_read(m, 0x501, 2), 0x0302);
}

static void unclaimed_addresses_read_all_ones_at_every_width(void **state) {
  struct mmu *m = *state;
  assert_int_equal(mmu_read(m, 0x80000000u, 1), 0xFF);
  assert_int_equal(mmu_read(m, 0x80000000u, 2), 0xFFFF);
  assert_int_equal(mmu_read(m, 0x80000000u, 4), 0xFFFFFFFFu);
  assert_int_equal(mmu_read(m, 0xFFFFFFFEu, 2), 0xFFFF);
}

static void unclaimed_addresses_ignore_writes(void **state) {
  struct mmu *m = *state;
  mmu_write(m, 0x80000000u, 4, 0);
  assert_int_equal(mmu_read(m, 0x80000000u, 4), 0xFFFFFFFFu);
}

static void rom_reads_its_image_and_ignores_writes(void **state) {
  struct mmu *m = *state;
  const uint8_t image[16] = {0xEA, 0x5B, 0xE0, 0x00, 0xF0};
  assert_int_equal(mmu_map_rom(m, ROM_BASE, image, sizeof image), 0);
  assert_int_equal(mmu_read(m, ROM_BASE, 4), 0x00E05BEA);
  mmu_write(m, ROM_BASE, 4, 0x12345678);
  mmu_write(m, ROM_BASE + 4, 1, 0x00);
  assert_int_equal(mmu_read(m, ROM_BASE, 4), 0x00E05BEA);
  assert_int_equal(mmu_read(m, ROM_BASE + 4, 1), 0xF0);
}

static void rom_keeps_its_own_copy_of_the_image(void **state) {
  struct mmu *m = *state;
  uint8_t image[4] = {1, 2, 3, 4};
  assert_int_equal(mmu_map_rom(m, ROM_BASE, image, sizeof image), 0);
  image[0] = 0x99;
  assert_int_equal(mmu_read(m, ROM_BASE, 1), 1);
}

static void mmio_read_gets_offset_from_range_base_and_size(void **state) {
  struct mmu *m = *state;
  struct fake_dev dev = {.answer = 0xCAFEF00D};
  assert_int_equal(mmu_map_mmio(m, MMIO_BASE, MMIO_BYTES, &fake_ops, &dev), 0);
  assert_int_equal(mmu_read(m, MMIO_BASE + 0x10, 4), 0xCAFEF00D);
  assert_int_equal(dev.reads, 1);
  assert_int_equal(dev.last_offset, 0x10);
  assert_int_equal(dev.last_size_bytes, 4);
}

static void mmio_write_gets_offset_size_and_value(void **state) {
  struct mmu *m = *state;
  struct fake_dev dev = {0};
  assert_int_equal(mmu_map_mmio(m, MMIO_BASE, MMIO_BYTES, &fake_ops, &dev), 0);
  mmu_write(m, MMIO_BASE + 0x22, 2, 0x1234);
  assert_int_equal(dev.writes, 1);
  assert_int_equal(dev.last_offset, 0x22);
  assert_int_equal(dev.last_size_bytes, 2);
  assert_int_equal(dev.last_value, 0x1234);
}

static void mmio_sees_only_accesses_inside_its_range(void **state) {
  struct mmu *m = *state;
  struct fake_dev dev = {.answer = 0x000000AA};
  assert_int_equal(mmu_map_mmio(m, MMIO_BASE, MMIO_BYTES, &fake_ops, &dev), 0);
  /* Two bytes below the range are unclaimed, two are the device's. */
  uint32_t v = mmu_read(m, MMIO_BASE - 2, 4);
  assert_int_equal(v, 0xAAAAFFFFu);
  assert_int_equal(dev.reads, 2);
  assert_int_equal(dev.last_offset, 1);
  assert_int_equal(dev.last_size_bytes, 1);
}

static void mapping_over_ram_or_another_range_fails(void **state) {
  struct mmu *m = *state;
  struct fake_dev dev = {0};
  assert_int_equal(mmu_map_mmio(m, RAM_BYTES - MMU_PAGE_BYTES, MMIO_BYTES, &fake_ops, &dev), -1);
  assert_int_equal(mmu_map_mmio(m, MMIO_BASE, MMIO_BYTES, &fake_ops, &dev), 0);
  assert_int_equal(mmu_map_mmio(m, MMIO_BASE + MMIO_BYTES - 1, 2, &fake_ops, &dev), -1);
  const uint8_t image[2] = {0};
  assert_int_equal(mmu_map_rom(m, MMIO_BASE, image, sizeof image), -1);
  assert_int_equal(mmu_map_mmio(m, 0xFFFFFFFFu, 2, &fake_ops, &dev), -1);
}

static void read_straddling_ram_end_takes_high_bytes_from_unclaimed_space(void **state) {
  struct mmu *m = *state;
  mmu_write(m, RAM_BYTES - 2, 2, 0x5678);
  assert_int_equal(mmu_read(m, RAM_BYTES - 2, 4), 0xFFFF5678u);
}

static void write_straddling_ram_end_lands_only_in_ram(void **state) {
  struct mmu *m = *state;
  mmu_write(m, RAM_BYTES - 1, 4, 0x11223344);
  assert_int_equal(mmu_read(m, RAM_BYTES - 1, 1), 0x44);
  assert_int_equal(mmu_read(m, RAM_BYTES, 1), 0xFF);
}

static void access_straddling_ram_end_into_mmio_splits_into_bytes(void **state) {
  struct mmu *m = *state;
  struct fake_dev dev = {.answer = 0x000000BB};
  assert_int_equal(mmu_map_mmio(m, RAM_BYTES, MMIO_BYTES, &fake_ops, &dev), 0);
  mmu_write(m, RAM_BYTES - 1, 1, 0x77);
  assert_int_equal(mmu_read(m, RAM_BYTES - 1, 2), 0xBB77);
  assert_int_equal(dev.reads, 1);
  assert_int_equal(dev.last_offset, 0);
  assert_int_equal(dev.last_size_bytes, 1);
}

static void copy_to_guest_beyond_ram_fails(void **state) {
  struct mmu *m = *state;
  const uint8_t bytes[4] = {1, 2, 3, 4};
  assert_int_equal(mmu_copy_to_guest(m, RAM_BYTES - 2, bytes, sizeof bytes), -1);
  assert_int_equal(mmu_copy_to_guest(m, RAM_BYTES - 4, bytes, sizeof bytes), 0);
  assert_int_equal(mmu_read(m, RAM_BYTES - 4, 4), 0x04030201);
}

static void code_write_hook_fires_only_for_marked_pages(void **state) {
  struct mmu *m = *state;
  struct hook_log log = {0};
  mmu_set_code_write_hook(m, log_code_write, &log);
  mmu_mark_code_page(m, 2, true);

  mmu_write(m, 1 * MMU_PAGE_BYTES + 8, 4, 1);
  mmu_write(m, 3 * MMU_PAGE_BYTES, 1, 1);
  assert_int_equal(log.calls, 0);

  mmu_write(m, 2 * MMU_PAGE_BYTES + 8, 2, 0xABCD);
  assert_int_equal(log.calls, 1);
  assert_int_equal(log.last_phys, 2 * MMU_PAGE_BYTES + 8);
  assert_int_equal(log.last_size_bytes, 2);
  assert_int_equal(mmu_read(m, 2 * MMU_PAGE_BYTES + 8, 2), 0xABCD);
}

static void code_write_hook_fires_for_write_straddling_into_marked_page(void **state) {
  struct mmu *m = *state;
  struct hook_log log = {0};
  mmu_set_code_write_hook(m, log_code_write, &log);
  mmu_mark_code_page(m, 2, true);
  mmu_write(m, 2 * MMU_PAGE_BYTES - 2, 4, 0);
  assert_int_equal(log.calls, 1);
}

static void code_write_hook_stops_once_page_is_unmarked(void **state) {
  struct mmu *m = *state;
  struct hook_log log = {0};
  mmu_set_code_write_hook(m, log_code_write, &log);
  mmu_mark_code_page(m, 2, true);
  mmu_mark_code_page(m, 2, false);
  mmu_write(m, 2 * MMU_PAGE_BYTES, 4, 0);
  assert_int_equal(log.calls, 0);
}

static void copy_to_guest_fires_code_write_hook_on_marked_pages(void **state) {
  struct mmu *m = *state;
  struct hook_log log = {0};
  mmu_set_code_write_hook(m, log_code_write, &log);
  mmu_mark_code_page(m, 1, true);
  const uint8_t bytes[2] = {0x90, 0x90};
  assert_int_equal(mmu_copy_to_guest(m, MMU_PAGE_BYTES - 1, bytes, sizeof bytes), 0);
  assert_int_equal(log.calls, 1);
  assert_int_equal(log.last_phys, MMU_PAGE_BYTES);
}

static void write_fast_path_refuses_marked_code_pages(void **state) {
  struct mmu *m = *state;
  assert_non_null(mmu_ram_write_ptr(m, 2 * MMU_PAGE_BYTES, 4));
  mmu_mark_code_page(m, 2, true);
  assert_null(mmu_ram_write_ptr(m, 2 * MMU_PAGE_BYTES, 4));
  assert_null(mmu_ram_write_ptr(m, 2 * MMU_PAGE_BYTES - 2, 4));
  assert_non_null(mmu_ram_read_ptr(m, 2 * MMU_PAGE_BYTES, 4));
}

static void fast_paths_refuse_ranges_past_ram_end(void **state) {
  struct mmu *m = *state;
  assert_non_null(mmu_ram_read_ptr(m, RAM_BYTES - 4, 4));
  assert_null(mmu_ram_read_ptr(m, RAM_BYTES - 3, 4));
  assert_null(mmu_ram_write_ptr(m, RAM_BYTES - 3, 4));
  assert_null(mmu_ram_read_ptr(m, 0xFFFFFFFEu, 4));
}

static void code_ptr_serves_ram_and_rom_within_one_page(void **state) {
  struct mmu *m = *state;
  const uint8_t image[MMU_PAGE_BYTES] = {0xF4};
  assert_int_equal(mmu_map_rom(m, ROM_BASE, image, sizeof image), 0);
  const uint8_t *p = mmu_code_ptr(m, ROM_BASE, 1);
  assert_non_null(p);
  assert_int_equal(p[0], 0xF4);
  assert_non_null(mmu_code_ptr(m, 0x10, 15));
  assert_null(mmu_code_ptr(m, MMU_PAGE_BYTES - 2, 4)); /* crosses a page */
  assert_null(mmu_code_ptr(m, 0x80000000u, 1));        /* unclaimed */
}

static void a20_off_clears_bit_20_of_physical_addresses(void **state) {
  struct mmu *m = *state;
  assert_int_equal(mmu_phys(m, 0x00100010u), 0x00100010u);
  mmu_set_a20(m, false);
  assert_int_equal(mmu_phys(m, 0x00100010u), 0x00000010u);
  assert_int_equal(mmu_phys(m, 0x00300000u), 0x00200000u);
  assert_int_equal(mmu_phys(m, 0xFFFFFFFFu), 0xFFEFFFFFu);
  mmu_set_a20(m, true);
  assert_int_equal(mmu_phys(m, 0x00100010u), 0x00100010u);
}

static void a20_off_wraps_real_mode_high_memory_to_low_ram(void **state) {
  struct mmu *m = *state;
  mmu_write(m, 0x10, 2, 0xA20A);
  mmu_set_a20(m, false);
  /* FFFF:0020 = 0x100010 wraps to 0x10 as on an 8086. */
  assert_int_equal(mmu_read(m, mmu_phys(m, 0xFFFF0u + 0x20), 2), 0xA20A);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(new_rounds_ram_up_to_a_whole_page),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      T(new_ram_reads_zero),
      T(ram_reads_back_what_was_written_at_each_width),
      T(narrow_writes_keep_neighbouring_bytes),
      T(ram_stores_multibyte_values_little_endian),
      T(unclaimed_addresses_read_all_ones_at_every_width),
      T(unclaimed_addresses_ignore_writes),
      T(rom_reads_its_image_and_ignores_writes),
      T(rom_keeps_its_own_copy_of_the_image),
      T(mmio_read_gets_offset_from_range_base_and_size),
      T(mmio_write_gets_offset_size_and_value),
      T(mmio_sees_only_accesses_inside_its_range),
      T(mapping_over_ram_or_another_range_fails),
      T(read_straddling_ram_end_takes_high_bytes_from_unclaimed_space),
      T(write_straddling_ram_end_lands_only_in_ram),
      T(access_straddling_ram_end_into_mmio_splits_into_bytes),
      T(copy_to_guest_beyond_ram_fails),
      T(code_write_hook_fires_only_for_marked_pages),
      T(code_write_hook_fires_for_write_straddling_into_marked_page),
      T(code_write_hook_stops_once_page_is_unmarked),
      T(copy_to_guest_fires_code_write_hook_on_marked_pages),
      T(write_fast_path_refuses_marked_code_pages),
      T(fast_paths_refuse_ranges_past_ram_end),
      T(code_ptr_serves_ram_and_rom_within_one_page),
      T(a20_off_clears_bit_20_of_physical_addresses),
      T(a20_off_wraps_real_mode_high_memory_to_low_ram),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
