/* tests/cpu/test_callgate.c - far CALL through a call gate to an inner ring
 * with paging on: the pushes on the new stack are supervisor writes at the
 * new CPL, and a #PF on that stack comes before SS, ESP or CS change.
 *
 * The machine is the harness's flat one with its tables (harness_pm_tables)
 * plus a 32-bit call gate of DPL 3 at selector 0x30 to ring-0 code at the
 * HLT of harness_handler(0x40), copying 3 parameters, and page tables that
 * identity-map the first 4 MiB with 4 KiB user-writable pages:
 *
 *   0x01000  code              0x10000  GDT     0x11000  IDT
 *   0x07000  ring-3 stack      0x12000  TSS     0x13000  handlers (HLT at +16 * vector)
 *   0x20000  page directory    0x21000  page table of 0-4 MiB
 *   0x40018  ring-0 stack top (ESP0): the call's 28-byte frame reaches
 *            0x3FFFC, a #PF's 24-byte frame stays on page 0x40000
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
#define P 0x001u
#define W 0x002u
#define U 0x004u
#define CR0_PG 0x80000000u

#define SEL_GATE 0x30u
#define ESP0 0x40018u
#define PARAMS 3u
#define GATE_TARGET harness_handler(0x40)

#define REG(h, r) cpu_get_reg((h)->cpu, (r))
#define LE32(x) (uint8_t)(x), (uint8_t)((x) >> 8), (uint8_t)((x) >> 16), (uint8_t)((x) >> 24)

static uint32_t rd32(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 4); }
static void wr32(struct harness *h, uint32_t a, uint32_t v) { mmu_write(h->mem, a, 4, v); }

static int setup(void **state) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  harness_pm_tables(h, ESP0, 0);
  uint32_t target = GATE_TARGET;
  harness_gdt_set(h, SEL_GATE, (HARNESS_SEL_CODE0 << 16) | (target & 0xFFFF),
                  (target & 0xFFFF0000u) | 0xEC00u | PARAMS); /* 32-bit call gate, P, DPL 3 */
  h->cpu->gdtr.limit = SEL_GATE + 7;
  wr32(h, PD, PT0 | P | W | U);
  for (uint32_t k = 0; k < 1024; k++)
    wr32(h, PT0 + 4 * k, (k << 12) | P | W | U);
  *state = h;
  return 0;
}

/* mov eax, cr0; or eax, PG; mov cr0, eax; hlt (CR3 = PD first). */
static void paging_on(struct harness *h) {
  assert_int_equal(HARNESS_RUN(h, 0xB8, LE32(PD), 0x0F, 0x22, 0xD8, 0x0F, 0x20, 0xC0, 0x0D, LE32(CR0_PG), 0x0F, 0x22,
                               0xC0, 0xF4),
                   CPU_EXIT_HALT);
  assert_true(h->cpu->mem->paging);
}

/* At ring 3: call 0x33:0 (through the gate). */
static enum cpu_exit call_gate_from_ring3(struct harness *h) {
  harness_enter_ring3(h);
  for (unsigned k = 0; k < PARAMS; k++)
    wr32(h, HARNESS_RING3_STACK + 4 * k, 0x1000u + k);
  return HARNESS_RUN(h, 0x9A, LE32(0), SEL_GATE | 3, 0x00);
}

/* The ring-0 stack pages are supervisor-only: the pushes are supervisor
 * writes (the new CPL), not user writes at the caller's CPL 3. */
static void call_gate_pushes_to_a_supervisor_stack_page_with_paging(void **state) {
  struct harness *h = *state;
  wr32(h, PT0 + 4 * 0x3F, 0x3F000 | P | W);
  wr32(h, PT0 + 4 * 0x40, 0x40000 | P | W);
  paging_on(h);
  assert_int_equal(call_gate_from_ring3(h), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), GATE_TARGET + 1);
  assert_int_equal(h->cpu->cpl, 0);
  assert_int_equal(harness_selector(h, CPU_SS), HARNESS_SEL_DATA0);
  assert_int_equal(REG(h, CPU_ESP), ESP0 - 4 * (4 + PARAMS));
  /* old SS, old ESP, the parameters in their order, old CS, return EIP */
  assert_int_equal(rd32(h, ESP0 - 4), HARNESS_SEL_DATA3 | 3);
  assert_int_equal(rd32(h, ESP0 - 8), HARNESS_RING3_STACK);
  for (unsigned k = 0; k < PARAMS; k++)
    assert_int_equal(rd32(h, ESP0 - 12 - 4 * k), 0x1000u + PARAMS - 1 - k);
  assert_int_equal(rd32(h, ESP0 - 24), HARNESS_SEL_CODE3 | 3);
  assert_int_equal(rd32(h, ESP0 - 28), HARNESS_CODE + 7);
}

/* The frame's last slot (the return EIP, at 0x3FFFC) lies on a not-present
 * page: the #PF is raised at the CALL with nothing changed, so its own
 * frame (which fits on page 0x40000) holds the caller's SS:ESP and CS:EIP. */
static void a_page_fault_on_the_new_stack_comes_before_ss_esp_or_cs_change(void **state) {
  struct harness *h = *state;
  wr32(h, PT0 + 4 * 0x3F, 0);
  paging_on(h);
  assert_int_equal(call_gate_from_ring3(h), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_PF) + 1);
  assert_int_equal(cpu_get_cr(h->cpu, 2), ESP0 - 4 * (4 + PARAMS));
  assert_int_equal(REG(h, CPU_ESP), ESP0 - 24);
  assert_int_equal(rd32(h, ESP0 - 24), MMU_PF_W); /* not present, supervisor write */
  assert_int_equal(rd32(h, ESP0 - 20), HARNESS_CODE);
  assert_int_equal(rd32(h, ESP0 - 16), HARNESS_SEL_CODE3 | 3);
  assert_int_equal(rd32(h, ESP0 - 8), HARNESS_RING3_STACK);
  assert_int_equal(rd32(h, ESP0 - 4), HARNESS_SEL_DATA3 | 3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(call_gate_pushes_to_a_supervisor_stack_page_with_paging, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_page_fault_on_the_new_stack_comes_before_ss_esp_or_cs_change, setup,
                                      harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
