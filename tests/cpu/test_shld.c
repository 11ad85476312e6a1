/* tests/cpu/test_shld.c - SHLD and SHRD (0F A4/A5/AC/AD), which have no
 * hardware vectors: results, CF/OF/SF/ZF, the 5-bit count mask, the 16-bit
 * forms with a count above 16, memory destinations. Flat 32-bit mode;
 * 0x66 selects the 16-bit forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

static int setup32(void **state) {
  *state = harness_new(HARNESS_FLAT32);
  return 0;
}
static int teardown(void **state) {
  harness_free(*state);
  return 0;
}

#define REG(h, r) cpu_get_reg((h)->cpu, (r))
#define FLAGS(h) cpu_get_eflags((h)->cpu)

static void set_ab(struct harness *h, uint32_t eax, uint32_t ebx) {
  cpu_set_reg(h->cpu, CPU_EAX, eax);
  cpu_set_reg(h->cpu, CPU_EBX, ebx);
}

static void shld_imm_fills_from_the_source_and_sets_cf_to_the_last_bit_out(void **state) {
  struct harness *h = *state;
  set_ab(h, 0x12345678, 0x9ABCDEF0);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xA4, 0xD8, 0x04, 0xF4), CPU_EXIT_HALT); /* shld eax, ebx, 4 */
  assert_int_equal(REG(h, CPU_EAX), 0x23456789);
  assert_int_equal(REG(h, CPU_EBX), 0x9ABCDEF0);
  assert_true(FLAGS(h) & CPU_FLAG_CF); /* bit 28 of 0x12345678 */
  assert_false(FLAGS(h) & (CPU_FLAG_ZF | CPU_FLAG_SF));
}

static void shrd_cl_fills_from_the_source_at_the_top(void **state) {
  struct harness *h = *state;
  set_ab(h, 0x12345678, 0x9ABCDEF5);
  cpu_set_reg(h->cpu, CPU_ECX, 8);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xAD, 0xD8, 0xF4), CPU_EXIT_HALT); /* shrd eax, ebx, cl */
  assert_int_equal(REG(h, CPU_EAX), 0xF5123456);
  assert_false(FLAGS(h) & CPU_FLAG_CF); /* bit 7 of 0x12345678 */
  assert_true(FLAGS(h) & CPU_FLAG_SF);
}

static void count_is_masked_to_five_bits_and_zero_changes_nothing(void **state) {
  struct harness *h = *state;
  set_ab(h, 0x12345678, 0xFFFFFFFF);
  cpu_set_reg(h->cpu, CPU_ECX, 0x20); /* masked to 0 */
  /* stc; shld eax, ebx, cl */
  assert_int_equal(HARNESS_RUN(h, 0xF9, 0x0F, 0xA5, 0xD8, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 0x12345678);
  assert_true(FLAGS(h) & CPU_FLAG_CF);

  cpu_set_reg(h->cpu, CPU_ECX, 0x21); /* masked to 1 */
  assert_int_equal(HARNESS_RUN(h, 0xF8, 0x0F, 0xA5, 0xD8, 0xF4), CPU_EXIT_HALT); /* clc; shld */
  assert_int_equal(REG(h, CPU_EAX), 0x2468ACF1);
}

static void one_bit_shift_sets_of_on_a_sign_change(void **state) {
  struct harness *h = *state;
  set_ab(h, 0x40000000, 0);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xA4, 0xD8, 0x01, 0xF4), CPU_EXIT_HALT); /* shld eax, ebx, 1 */
  assert_int_equal(REG(h, CPU_EAX), 0x80000000);
  assert_true(FLAGS(h) & CPU_FLAG_OF);
  assert_true(FLAGS(h) & CPU_FLAG_SF);
  assert_false(FLAGS(h) & CPU_FLAG_CF);

  set_ab(h, 0x80000001, 0);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xAC, 0xD8, 0x01, 0xF4), CPU_EXIT_HALT); /* shrd eax, ebx, 1 */
  assert_int_equal(REG(h, CPU_EAX), 0x40000000);
  assert_true(FLAGS(h) & CPU_FLAG_OF);
  assert_true(FLAGS(h) & CPU_FLAG_CF);
}

static void result_of_zero_sets_zf_and_pf(void **state) {
  struct harness *h = *state;
  set_ab(h, 0x0000FFFF, 0);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xAC, 0xD8, 0x10, 0xF4), CPU_EXIT_HALT); /* shrd eax, ebx, 16 */
  assert_int_equal(REG(h, CPU_EAX), 0);
  assert_true(FLAGS(h) & CPU_FLAG_ZF);
  assert_true(FLAGS(h) & CPU_FLAG_PF);
  assert_true(FLAGS(h) & CPU_FLAG_CF); /* bit 15 */
}

static void word_forms_keep_the_upper_half_of_the_register(void **state) {
  struct harness *h = *state;
  set_ab(h, 0xDEAD1234, 0x0000ABCD);
  assert_int_equal(HARNESS_RUN(h, 0x66, 0x0F, 0xA4, 0xD8, 0x04, 0xF4), CPU_EXIT_HALT); /* shld ax, bx, 4 */
  assert_int_equal(REG(h, CPU_EAX), 0xDEAD234A);
  assert_true(FLAGS(h) & CPU_FLAG_CF); /* bit 12 of 0x1234 */

  set_ab(h, 0xDEAD1234, 0x0000ABCD);
  assert_int_equal(HARNESS_RUN(h, 0x66, 0x0F, 0xAC, 0xD8, 0x04, 0xF4), CPU_EXIT_HALT); /* shrd ax, bx, 4 */
  assert_int_equal(REG(h, CPU_EAX), 0xDEADD123);
  assert_false(FLAGS(h) & CPU_FLAG_CF); /* bit 3 of 0x1234 */
}

/* Intel leaves a 16-bit count above 16 undefined; ringlab shifts dest:src:dest. */
static void word_count_above_16_shifts_dest_back_in(void **state) {
  struct harness *h = *state;
  set_ab(h, 0x1234, 0xABCD);
  assert_int_equal(HARNESS_RUN(h, 0x66, 0x0F, 0xAC, 0xD8, 0x14, 0xF4), CPU_EXIT_HALT); /* shrd ax, bx, 20 */
  assert_int_equal(REG(h, CPU_EAX), 0x4ABC);

  set_ab(h, 0x1234, 0xABCD);
  assert_int_equal(HARNESS_RUN(h, 0x66, 0x0F, 0xA4, 0xD8, 0x14, 0xF4), CPU_EXIT_HALT); /* shld ax, bx, 20 */
  assert_int_equal(REG(h, CPU_EAX), 0xBCD1);
}

static void memory_destination_is_written(void **state) {
  struct harness *h = *state;
  mmu_write(h->mem, 0x2000, 4, 0x12345678);
  cpu_set_reg(h->cpu, CPU_EBX, 0x9ABCDEF0);
  /* shld dword [0x2000], ebx, 8 */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xA4, 0x1D, 0x00, 0x20, 0x00, 0x00, 0x08, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(mmu_read(h->mem, 0x2000, 4), 0x3456789A);
  assert_int_equal(REG(h, CPU_EBX), 0x9ABCDEF0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(shld_imm_fills_from_the_source_and_sets_cf_to_the_last_bit_out, setup32, teardown),
      cmocka_unit_test_setup_teardown(shrd_cl_fills_from_the_source_at_the_top, setup32, teardown),
      cmocka_unit_test_setup_teardown(count_is_masked_to_five_bits_and_zero_changes_nothing, setup32, teardown),
      cmocka_unit_test_setup_teardown(one_bit_shift_sets_of_on_a_sign_change, setup32, teardown),
      cmocka_unit_test_setup_teardown(result_of_zero_sets_zf_and_pf, setup32, teardown),
      cmocka_unit_test_setup_teardown(word_forms_keep_the_upper_half_of_the_register, setup32, teardown),
      cmocka_unit_test_setup_teardown(word_count_above_16_shifts_dest_back_in, setup32, teardown),
      cmocka_unit_test_setup_teardown(memory_destination_is_written, setup32, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
