/* tests/cpu/test_stack_size.c - operand size against stack size in the
 * stack instructions: a 32-bit operand on a 16-bit stack (SS.B = 0, real
 * mode here) moves only SP but pushes and loads whole 32-bit values; a
 * 16-bit operand on a 32-bit stack moves all of ESP but its values are 16
 * bits. Checked against the SDM's pseudocode and Bochs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

static uint32_t rd(struct harness *h, uint32_t a, unsigned n) { return mmu_read(h->mem, a, n); }

/* Loads code, sets ESP and EBP, runs to HLT. */
static void run(struct harness *h, const uint8_t *code, size_t n, uint32_t esp, uint32_t ebp) {
  harness_load(h, code, n);
  cpu_set_reg(h->cpu, CPU_ESP, esp);
  cpu_set_reg(h->cpu, CPU_EBP, ebp);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000), CPU_EXIT_HALT);
}
#define RUN(h, esp, ebp, ...) \
  run((h), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), (esp), (ebp))

/* o32 enter 8, 0 on a 16-bit stack: EBP gets the whole of ESP after the
 * push, upper half included (SDM: FrameTemp := ESP); only SP moves. */
static void enter_o32_on_a_16_bit_stack_sets_ebp_to_all_of_esp(void **state) {
  struct harness *h = *state;
  RUN(h, 0x12348000u, 0xCAFE7000u, 0x66, 0xC8, 0x08, 0x00, 0x00, 0xF4);
  assert_int_equal(rd(h, 0x7FFC, 4), 0xCAFE7000u); /* the old EBP, a dword */
  assert_int_equal(REG(h, CPU_EBP), 0x12347FFCu);
  assert_int_equal(REG(h, CPU_ESP), 0x12347FF4u);
}

/* o32 enter 0, 2 on a 16-bit stack: the nesting level copies the dword at
 * SS:[BP - 4] and then pushes the frame pointer, the whole of ESP. */
static void enter_o32_nested_on_a_16_bit_stack_pushes_the_whole_frame(void **state) {
  struct harness *h = *state;
  mmu_write(h->mem, 0x6FFC, 4, 0x11223344u); /* the outer frame's display entry at BP - 4 */
  RUN(h, 0xABCD8000u, 0x55557000u, 0x66, 0xC8, 0x00, 0x00, 0x02, 0xF4);
  assert_int_equal(rd(h, 0x7FFC, 4), 0x55557000u);
  assert_int_equal(rd(h, 0x7FF8, 4), 0x11223344u);
  assert_int_equal(rd(h, 0x7FF4, 4), 0xABCD7FFCu); /* FrameTemp, not 0x00007FFC */
  assert_int_equal(REG(h, CPU_EBP), 0xABCD7FFCu);
  assert_int_equal(REG(h, CPU_ESP), 0xABCD7FF4u);
}

/* o16 enter on a 32-bit stack (flat mode): FrameTemp := SP, BP gets it and
 * EBP's upper half stays; all of ESP moves. */
static void enter_o16_on_a_32_bit_stack_sets_bp_only(void **state) {
  struct harness *h = *state;
  RUN(h, 0x00018000u, 0x77770000u, 0x66, 0xC8, 0x04, 0x00, 0x00, 0xF4);
  assert_int_equal(rd(h, 0x17FFE, 2), 0x0000);
  assert_int_equal(REG(h, CPU_EBP), 0x77777FFEu);
  assert_int_equal(REG(h, CPU_ESP), 0x00017FFAu);
}

/* o32 leave on a 16-bit stack: SP = BP + 4, the upper half of ESP kept,
 * EBP the whole dword popped. */
static void leave_o32_on_a_16_bit_stack(void **state) {
  struct harness *h = *state;
  mmu_write(h->mem, 0x7000, 4, 0x89ABCDEFu);
  RUN(h, 0x44440100u, 0x99997000u, 0x66, 0xC9, 0xF4);
  assert_int_equal(REG(h, CPU_EBP), 0x89ABCDEFu);
  assert_int_equal(REG(h, CPU_ESP), 0x44447004u);
}

/* o32 pusha on a 16-bit stack pushes the whole ESP of before; o32 popa
 * skips that slot. */
static void pushad_on_a_16_bit_stack_pushes_all_of_esp(void **state) {
  struct harness *h = *state;
  RUN(h, 0x12348000u, 0, 0x66, 0x60, 0xF4);
  assert_int_equal(rd(h, 0x8000 - 20, 4), 0x12348000u);
  assert_int_equal(REG(h, CPU_ESP), 0x12347FE0u);
}

/* o32 push esp / pop esp on a 16-bit stack: the whole register. */
static void push_and_pop_esp_o32_on_a_16_bit_stack(void **state) {
  struct harness *h = *state;
  RUN(h, 0x56787004u, 0, 0x66, 0x54, 0xF4); /* push esp */
  assert_int_equal(rd(h, 0x7000, 4), 0x56787004u);
  assert_int_equal(REG(h, CPU_ESP), 0x56787000u);
  mmu_write(h->mem, 0x7000, 4, 0xDEADBEEFu);
  RUN(h, 0x56787000u, 0, 0x66, 0x5C, 0xF4); /* pop esp: the value popped, all 32 bits */
  assert_int_equal(REG(h, CPU_ESP), 0xDEADBEEFu);
}

/* o32 call/ret near and o32 push of a segment register on a 16-bit stack:
 * dword slots, only SP moves. */
static void call_ret_and_push_sreg_o32_on_a_16_bit_stack(void **state) {
  struct harness *h = *state;
  /* 1000: o32 call +1 (to 1007); 1006: hlt; 1007: o32 push ds; o32 pop eax; o32 ret */
  RUN(h, 0x11118000u, 0, 0x66, 0xE8, 0x01, 0x00, 0x00, 0x00, 0xF4, 0x66, 0x1E, 0x66, 0x58, 0x66, 0xC3);
  assert_int_equal(rd(h, 0x7FFC, 4), 0x00001006u);
  assert_int_equal(REG(h, CPU_EAX) & 0xFFFF, 0);
  assert_int_equal(REG(h, CPU_ESP), 0x11118000u);
  assert_int_equal(cpu_get_eip(h->cpu), 0x1007);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(enter_o32_on_a_16_bit_stack_sets_ebp_to_all_of_esp, harness_setup_real16,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(enter_o32_nested_on_a_16_bit_stack_pushes_the_whole_frame,
                                      harness_setup_real16, harness_teardown),
      cmocka_unit_test_setup_teardown(enter_o16_on_a_32_bit_stack_sets_bp_only, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(leave_o32_on_a_16_bit_stack, harness_setup_real16, harness_teardown),
      cmocka_unit_test_setup_teardown(pushad_on_a_16_bit_stack_pushes_all_of_esp, harness_setup_real16,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(push_and_pop_esp_o32_on_a_16_bit_stack, harness_setup_real16,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(call_ret_and_push_sreg_o32_on_a_16_bit_stack, harness_setup_real16,
                                      harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
