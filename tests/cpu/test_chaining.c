/* tests/cpu/test_chaining.c - block chaining (codecache.c): a block's links
 * to its successors are followed instead of the hash lookup, and every
 * invalidation breaks them, so a loop whose blocks are linked still sees
 * code that another of its blocks rewrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

/* Blocks in a loop, L -> B -> C -> L, linked as they run (a link is made
 * when the hash finds a block, so from the second pass on); on the third
 * pass C rewrites B's immediate from 1 to 5, after which B must add 5: the
 * link L -> B must not lead to the dropped block. */
static void a_linked_block_rewritten_by_another_runs_its_new_code(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h,
                                0xB9, 0x05, 0x00, 0x00, 0x00,             /* 0x1000 mov ecx, 5 */
                                0x31, 0xC0,                               /* 0x1005 xor eax, eax */
                                0xEB, 0x00,                               /* 0x1007 L: jmp B */
                                0x83, 0xC0, 0x01,                         /* 0x1009 B: add eax, 1 */
                                0xEB, 0x00,                               /* 0x100C jmp C */
                                0x83, 0xF9, 0x03,                         /* 0x100E C: cmp ecx, 3 */
                                0x75, 0x07,                               /* 0x1011 jnz S */
                                0xC6, 0x05, 0x0B, 0x10, 0x00, 0x00, 0x05, /* 0x1013 mov byte [0x100B], 5 */
                                0x49,                                     /* 0x101A S: dec ecx */
                                0x75, 0xEA,                               /* 0x101B jnz L */
                                0xF4);                                    /* 0x101D hlt */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 1 + 1 + 1 + 5 + 5);
  assert_int_equal(REG(h, CPU_ECX), 0);
}

/* A loop of two blocks that jump to each other many times: links followed
 * on every pass give what the hash lookup gave (the count of both paths of
 * a conditional branch, taken and fall-through). */
static void a_long_loop_through_linked_blocks_counts_exactly(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h,
                                0xB9, 0xE8, 0x03, 0x00, 0x00, /* 0x1000 mov ecx, 1000 */
                                0x31, 0xC0,                   /* 0x1005 xor eax, eax */
                                0x31, 0xD2,                   /* 0x1007 xor edx, edx */
                                0xF6, 0xC1, 0x01,             /* 0x1009 L: test cl, 1 */
                                0x74, 0x01,                   /* 0x100C jz S (skip the inc) */
                                0x42,                         /* 0x100E inc edx */
                                0x40,                         /* 0x100F S: inc eax */
                                0x49,                         /* 0x1010 dec ecx */
                                0x75, 0xF6,                   /* 0x1011 jnz L */
                                0xF4);                        /* 0x1013 hlt */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 1000);
  assert_int_equal(REG(h, CPU_EDX), 500);
  /* 3 + 1000 * (test, jz, inc eax, dec, jnz) + 500 inc edx + hlt */
  assert_int_equal(cpu_instructions(h->cpu), 3 + 5000 + 500 + 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(a_linked_block_rewritten_by_another_runs_its_new_code, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_long_loop_through_linked_blocks_counts_exactly, harness_setup_flat32,
                                      harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
