/* tests/cpu/test_counters.c - the always-on event counters (issue 3 section
 * 4): exact counts of known sequences, by counter name (trace/events.def).
 *
 * Protected-mode tests start from the harness's flat 32-bit machine with
 * the tables of test_interrupts.c built in RAM (GDTR/IDTR/TR set directly):
 *
 *   0x01000  code (harness)            0x10000  GDT
 *   0x07000  ring-3 stack top          0x11000  IDT (256 gates)
 *   0x08000  ring-0 stack (harness)    0x12000  TSS (ESP0 0x9000, SS0 0x10)
 *   0x09000  ring-0 stack from the TSS 0x13000  handlers: HLT at +16 * vector
 *   0x20000  page directory            0x21000  page table: identity 0-2 MiB
 *   0x30000  a data page
 *
 *   GDT  0x08 code 0   0x10 data 0   0x18 code 3   0x20 data 3   0x28 TSS
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

#define RING0_STACK 0x9000u
#define RING3_STACK HARNESS_RING3_STACK
#define PD 0x20000u
#define PT 0x21000u
#define DATA 0x30000u

#define GATE_INT32 HARNESS_GATE_INT32
#define LE32(v) (uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16), (uint8_t)((v) >> 24)

static int setup_pm(void **state) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  harness_pm_tables(h, RING0_STACK, 0);
  cpu_counters_reset(h->cpu);
  *state = h;
  return 0;
}

/* 4 KiB paging identity-mapping the 2 MiB of RAM, A and D bits clear,
 * turned on directly (no instruction, nothing counted). */
static void paging_on(struct harness *h) {
  struct cpu *c = h->cpu;
  mmu_write(h->mem, PD, 4, PT | 0x7);
  for (uint32_t k = 0; k < 512; k++)
    mmu_write(h->mem, PT + 4 * k, 4, (k << 12) | 0x7); /* P W U */
  c->cr[3] = PD;
  c->cr[0] |= 0x80000000u;
  cpu_paging_reset(c);
  cpu_counters_reset(c);
}

/* The counter named name (trace_event_by_name: "softint.128", ...). */
static uint64_t n(struct harness *h, const char *name) {
  int slot = trace_event_by_name(name);
  assert_true(slot >= 0);
  return cpu_counters(h->cpu)->slot[slot];
}

/* An IRET that faults is not an IRET executed: only the #GP counts. */
static void a_faulting_iret_counts_the_exception_not_the_iret(void **state) {
  struct harness *h = *state;
  /* push 0x202; push 0 (a null CS); push 0; iretd */
  harness_load(h, (const uint8_t[]){0x68, LE32(0x202), 0x6A, 0x00, 0x6A, 0x00, 0xCF}, 10);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 100000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(n(h, "exception.13"), 1);
  assert_int_equal(n(h, "iret"), 0);
}

static void three_int_0x80_round_trips_from_ring_3_count_softint_128_and_both_ring_directions(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, 0x80, GATE_INT32, 3, 0x08, harness_handler(0x80));
  mmu_write(h->mem, harness_handler(0x80), 1, 0xCF); /* iretd */
  harness_load(h, (const uint8_t[]){0xCD, 0x80, 0xCD, 0x80, 0xCD, 0x80, 0xF4}, 7); /* int 0x80 x 3; hlt */
  harness_enter_ring3(h);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 100000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1); /* ring-3 HLT: #GP */
  assert_int_equal(n(h, "softint.128"), 3);
  assert_int_equal(n(h, "ring.3to0"), 4); /* 3 x INT 0x80, and the #GP */
  assert_int_equal(n(h, "ring.0to3"), 3); /* 3 x IRET */
  assert_int_equal(n(h, "iret"), 3);
  assert_int_equal(n(h, "exception.13"), 1);
  assert_int_equal(n(h, "ring.0to1") + n(h, "ring.1to0") + n(h, "ring.3to1"), 0);
  assert_int_equal(trace_event_by_name("softint.129") >= 0, 1);
  assert_int_equal(n(h, "softint.129"), 0);
}

/* The PIC's side of INTA: vector 0x30, and INTR drops. */
static int ack_0x30(void *ctx) {
  struct harness *h = ctx;
  cpu_set_intr(h->cpu, false);
  return 0x30;
}

static void exceptions_and_hardware_interrupts_count_by_vector(void **state) {
  struct harness *h = *state;
  /* ud2 at ring 0: exception.6 */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x0B), CPU_EXIT_HALT);
  assert_int_equal(n(h, "exception.6"), 1);
  assert_int_equal(n(h, "ring.0to0") + n(h, "ring.3to0"), 0); /* no change of CPL */
  /* INTR acknowledged with vector 0x30: irq.48 */
  cpu_set_interrupt_ack(h->cpu, ack_0x30, h);
  cpu_set_eflags(h->cpu, 0x202);
  cpu_set_intr(h->cpu, true);
  harness_load(h, (const uint8_t[]){0x90, 0x90, 0xF4}, 3);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x30) + 1);
  assert_int_equal(n(h, "irq.48"), 1);
  assert_int_equal(n(h, "exception.6"), 1);
  assert_int_equal(n(h, "softint.48"), 0);
}

static void port_io_counts_io_in_and_io_out(void **state) {
  struct harness *h = *state;
  /* in al, 0x60; out 0x80, al; out dx, al; hlt */
  assert_int_equal(HARNESS_RUN(h, 0xE4, 0x60, 0xE6, 0x80, 0xEE, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(n(h, "io_in"), 1);
  assert_int_equal(n(h, "io_out"), 2);
  assert_int_equal(n(h, "halt"), 1);
}

static void a_dtlb_miss_then_a_hit_count_one_miss_one_walk_and_one_hit(void **state) {
  struct harness *h = *state;
  paging_on(h);
  /* mov eax, [DATA]; mov ebx, [DATA]; hlt (one code page, one data page) */
  assert_int_equal(HARNESS_RUN(h, 0xA1, LE32(DATA), 0x8B, 0x1D, LE32(DATA), 0xF4), CPU_EXIT_HALT);
  assert_int_equal(n(h, "dtlb_miss"), 1);
  assert_int_equal(n(h, "dtlb_hit"), 1); /* the second load, on the fast path */
  assert_int_equal(n(h, "itlb_miss"), 1);
  assert_int_equal(n(h, "page_walk"), 2);  /* one per miss */
  assert_int_equal(n(h, "ad_update"), 3);  /* A: PDE and code PTE, then the data PTE */
  assert_int_equal(mmu_read(h->mem, PT + 4 * (DATA >> 12), 4) & 0x60, 0x20); /* A, not D */
  /* a write through the clean entry walks again to set D: a walk and an
   * A/D update, but a hit, not a miss */
  assert_int_equal(HARNESS_RUN(h, 0xA3, LE32(DATA), 0xF4), CPU_EXIT_HALT); /* mov [DATA], eax */
  assert_int_equal(n(h, "dtlb_miss"), 1);
  assert_int_equal(n(h, "dtlb_hit"), 2);
  assert_int_equal(n(h, "page_walk"), 3);
  assert_int_equal(n(h, "ad_update"), 4);
  assert_int_equal(mmu_read(h->mem, PT + 4 * (DATA >> 12), 4) & 0x60, 0x60);
}

static void invlpg_cr3_loads_and_cr4_pge_count_their_flush_kinds(void **state) {
  struct harness *h = *state;
  paging_on(h);
  /* invlpg [DATA]; mov eax, cr3; mov cr3, eax; mov cr3, eax;
   * mov eax, cr4; or eax, 0x80; mov cr4, eax (PGE on); hlt */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x01, 0x3D, LE32(DATA), 0x0F, 0x20, 0xD8, 0x0F, 0x22, 0xD8, 0x0F, 0x22,
                               0xD8, 0x0F, 0x20, 0xE0, 0x0D, LE32(0x80), 0x0F, 0x22, 0xE0, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(n(h, "invlpg"), 1);
  assert_int_equal(n(h, "tlb_flush.invlpg"), 1);
  assert_int_equal(n(h, "cr3_write"), 2);
  assert_int_equal(n(h, "tlb_flush.cr3"), 2);
  assert_int_equal(n(h, "tlb_flush.all"), 1);
  assert_int_equal(n(h, "cr_write"), 3);
  assert_int_equal(n(h, "tlb_flush.task") + n(h, "tlb_flush.page_fault"), 0);
}

static void a_page_fault_counts_exception_14_and_its_page_flush(void **state) {
  struct harness *h = *state;
  paging_on(h);
  mmu_write(h->mem, PT + 4 * (DATA >> 12), 4, 0); /* not present */
  assert_int_equal(HARNESS_RUN(h, 0xA1, LE32(DATA)), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_PF) + 1);
  assert_int_equal(n(h, "exception.14"), 1);
  assert_int_equal(n(h, "tlb_flush.page_fault"), 1);
  /* the load, then the delivery's IDT and GDT reads and its frame push */
  assert_int_equal(n(h, "dtlb_miss"), 4);
}

static void sysenter_and_sysexit_count_themselves_and_the_ring_change(void **state) {
  struct harness *h = *state;
  struct cpu *c = h->cpu;
  c->sys.sysenter_cs = 0x08;
  c->sys.sysenter_esp = RING0_STACK;
  c->sys.sysenter_eip = 0x1100;
  /* at 0x1100 (ring 0): mov edx, 0x1004; sysexit -> ring 3 at 0x1004 */
  static const uint8_t kernel[] = {0xBA, LE32(0x1004), 0x0F, 0x35};
  mmu_copy_to_guest(h->mem, 0x1100, kernel, sizeof kernel);
  /* at 0x1000 (ring 3): sysenter; nop; nop; hlt (#GP at ring 3) */
  harness_load(h, (const uint8_t[]){0x0F, 0x34, 0x90, 0x90, 0xF4}, 5);
  harness_enter_ring3(h);
  cpu_set_reg(c, CPU_ECX, RING3_STACK);
  assert_int_equal(cpu_run(c, cpu_cycles(c) + 100000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(c), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(n(h, "sysenter"), 1);
  assert_int_equal(n(h, "sysexit"), 1);
  assert_int_equal(n(h, "ring.3to0"), 2); /* SYSENTER, the #GP */
  assert_int_equal(n(h, "ring.0to3"), 1); /* SYSEXIT */
}

static void the_counters_reset_to_zero(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x0B), CPU_EXIT_HALT);
  assert_int_equal(n(h, "exception.6"), 1);
  cpu_counters_reset(h->cpu);
  for (unsigned s = 0; s < TRACE_SLOT_COUNT; s++)
    assert_int_equal(cpu_counters(h->cpu)->slot[s], 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(a_faulting_iret_counts_the_exception_not_the_iret, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(three_int_0x80_round_trips_from_ring_3_count_softint_128_and_both_ring_directions,
                                      setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(exceptions_and_hardware_interrupts_count_by_vector, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(port_io_counts_io_in_and_io_out, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(a_dtlb_miss_then_a_hit_count_one_miss_one_walk_and_one_hit, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(invlpg_cr3_loads_and_cr4_pge_count_their_flush_kinds, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(a_page_fault_counts_exception_14_and_its_page_flush, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(sysenter_and_sysexit_count_themselves_and_the_ring_change, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(the_counters_reset_to_zero, setup_pm, harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
