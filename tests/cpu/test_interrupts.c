/* tests/cpu/test_interrupts.c - interrupt and exception delivery: through
 * interrupt, trap and 16-bit gates of the IDT, at the same privilege and
 * from ring 3 to ring 0 with the stack from the TSS, the error codes, the
 * gate checks (#NP, #GP for a gate DPL below CPL, past the IDT limit), a task
 * gate to a busy TSS (task switches: test_tasks.c), IRET back; and the interrupt
 * inputs: INTR with IF, the INTA callback, the STI and MOV SS shadows, a
 * device asserting INTR during a block, HLT waiting for INTR, NMI.
 *
 * Protected-mode tests start from the harness's flat 32-bit machine with the
 * tables below built in RAM and GDTR/IDTR/TR set directly. Every vector's
 * gate leads to its own HLT, so a run ends in the handler of the vector
 * delivered and the frame can be read at ESP.
 *
 *   0x01000  code (harness)            0x10000  GDT
 *   0x07000  ring-3 stack top          0x11000  IDT (256 gates)
 *   0x08000  ring-0 stack (harness)    0x12000  TSS (ESP0 0x9000, SS0 0x10)
 *   0x09000  ring-0 stack from the TSS 0x13000  handlers: HLT at +16 * vector
 *
 *   GDT  0x08 code 0   0x10 data 0   0x18 code 3   0x20 data 3   0x28 TSS
 *        0x30 code 0, 16-bit
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

#define IDT HARNESS_IDT
#define TSS HARNESS_TSS
#define RING0_STACK 0x9000u
#define RING3_STACK HARNESS_RING3_STACK

#define GATE_TASK HARNESS_GATE_TASK
#define GATE_INT16 HARNESS_GATE_INT16
#define GATE_INT32 HARNESS_GATE_INT32
#define GATE_TRAP32 HARNESS_GATE_TRAP32

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

static uint32_t rd32(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 4); }
static uint32_t rd16(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 2); }

static struct harness *pm_new(void) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  harness_pm_tables(h, RING0_STACK, 0);
  harness_gdt_set(h, 0x30, 0x0000FFFF, 0x00009A00); /* code, DPL 0, 16-bit, 64 KiB */
  h->cpu->gdtr.limit = 0x37;
  return h;
}

static int setup_pm(void **state) {
  *state = pm_new();
  return 0;
}

/* ---- delivery through the IDT ------------------------------------------------- */

static void int_n_through_an_interrupt_gate_pushes_eflags_cs_eip_and_clears_if(void **state) {
  struct harness *h = *state;
  cpu_set_eflags(h->cpu, 0x202 | CPU_FLAG_TF);
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x40), CPU_EXIT_HALT); /* int 0x40 */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x40) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, HARNESS_STACK - 12);
  assert_int_equal(rd32(h, esp), HARNESS_CODE + 2);         /* EIP after INT */
  assert_int_equal(rd32(h, esp + 4), 0x08);                 /* CS */
  assert_int_equal(rd32(h, esp + 8), 0x202 | CPU_FLAG_TF);  /* EFLAGS before */
  assert_false(cpu_get_eflags(h->cpu) & (CPU_FLAG_IF | CPU_FLAG_TF));
  assert_int_equal(harness_selector(h, CPU_CS), 0x08);
}

static void a_trap_gate_leaves_if_set(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, 0x41, GATE_TRAP32, 0, 0x08, harness_handler(0x41));
  cpu_set_eflags(h->cpu, 0x202);
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x41), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x41) + 1);
  assert_true(cpu_get_eflags(h->cpu) & CPU_FLAG_IF);
}

static void a_16_bit_gate_pushes_word_slots_and_jumps_to_a_16_bit_offset(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, 0x42, GATE_INT16, 0, 0x08, 0xABCD2000u); /* offset's high half unused */
  mmu_write(h->mem, 0x2000, 1, 0xF4);
  cpu_set_eflags(h->cpu, 0x202);
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x42), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), 0x2001);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, HARNESS_STACK - 6);
  assert_int_equal(rd16(h, esp), HARNESS_CODE + 2);
  assert_int_equal(rd16(h, esp + 2), 0x08);
  assert_int_equal(rd16(h, esp + 4), 0x202);
}

static void int_from_ring_3_switches_to_the_ring_0_stack_of_the_tss(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, 0x80, GATE_INT32, 3, 0x08, harness_handler(0x80));
  harness_enter_ring3(h);
  cpu_set_eflags(h->cpu, 0x202);
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x80), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x80) + 1);
  assert_int_equal(h->cpu->cpl, 0);
  assert_int_equal(harness_selector(h, CPU_CS), 0x08);
  assert_int_equal(harness_selector(h, CPU_SS), 0x10);
  assert_int_equal(harness_selector(h, CPU_DS), 0x23); /* data segments stay */
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, RING0_STACK - 20);
  assert_int_equal(rd32(h, esp), HARNESS_CODE + 2);
  assert_int_equal(rd32(h, esp + 4), 0x1B);
  assert_int_equal(rd32(h, esp + 8), 0x202);
  assert_int_equal(rd32(h, esp + 12), RING3_STACK);
  assert_int_equal(rd32(h, esp + 16), 0x23);
}

/* WRMSR of an MSR that does not exist is #GP(0): a fault, so the pushed
 * EIP is the WRMSR's, with the error code on top. */
static void gp_at_cpl_0_pushes_its_error_code_and_the_faulting_eip(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_ECX, 0x12345);
  assert_int_equal(HARNESS_RUN(h, 0x90, 0x0F, 0x30), CPU_EXIT_HALT); /* nop; wrmsr */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, HARNESS_STACK - 16);
  assert_int_equal(rd32(h, esp), 0);                    /* error code */
  assert_int_equal(rd32(h, esp + 4), HARNESS_CODE + 1); /* the WRMSR */
  assert_int_equal(rd32(h, esp + 8), 0x08);
}

/* CLI at CPL 3 with IOPL 0: #GP(0) delivered to ring 0, six slots. */
static void gp_from_ring_3_pushes_the_outer_stack_and_the_error_code(void **state) {
  struct harness *h = *state;
  harness_enter_ring3(h);
  cpu_set_eflags(h->cpu, 0x202);
  assert_int_equal(HARNESS_RUN(h, 0xFA), CPU_EXIT_HALT); /* cli */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_GP);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, RING0_STACK - 24);
  assert_int_equal(rd32(h, esp), 0);
  assert_int_equal(rd32(h, esp + 4), HARNESS_CODE);
  assert_int_equal(rd32(h, esp + 8), 0x1B);
  assert_int_equal(rd32(h, esp + 12), 0x202 | CPU_FLAG_RF); /* a fault: RF set (SDM 17.3.1.1) */
  assert_int_equal(rd32(h, esp + 16), RING3_STACK);
  assert_int_equal(rd32(h, esp + 20), 0x23);
}

/* SDM vol. 3, 17.3.1.1: "For any fault-class exception except a debug
 * exception generated in response to an instruction breakpoint, the value
 * pushed for RF is 1"; the handler itself runs with RF clear. */
static void a_fault_pushes_eflags_with_rf_set_and_the_handler_runs_with_rf_clear(void **state) {
  struct harness *h = *state;
  cpu_set_eflags(h->cpu, 0x202);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x0B), CPU_EXIT_HALT); /* ud2: #UD */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_UD) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(rd32(h, esp), HARNESS_CODE);
  assert_int_equal(rd32(h, esp + 8), 0x202 | CPU_FLAG_RF);
  assert_false(cpu_get_eflags(h->cpu) & CPU_FLAG_RF);
  /* #GP with an error code: RF set in the slot above CS */
  cpu_set_eflags(h->cpu, 0x202);
  cpu_set_reg(h->cpu, CPU_ECX, 0x12345);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x30), CPU_EXIT_HALT); /* wrmsr of no MSR: #GP(0) */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  esp = REG(h, CPU_ESP);
  assert_int_equal(rd32(h, esp + 12), 0x202 | CPU_FLAG_RF);
}

static void wire(struct harness *h, int vector); /* INTR: below */

/* Traps (INT3, INTO, INT1), INT n and external interrupts push RF as it is
 * in EFLAGS (here clear). */
static void traps_and_interrupts_push_eflags_without_setting_rf(void **state) {
  struct harness *h = *state;
  static const struct {
    uint8_t code[2];
    unsigned n;
    int vector;
  } cases[] = {
      {{0xCC}, 1, CPU_EXC_BP},       /* int3 */
      {{0xCE}, 1, CPU_EXC_OF},       /* into, OF set */
      {{0xF1}, 1, CPU_EXC_DB},       /* int1 */
      {{0xCD, 0x40}, 2, 0x40},       /* int 0x40 */
  };
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    cpu_set_eflags(h->cpu, 0x202 | CPU_FLAG_OF);
    cpu_set_reg(h->cpu, CPU_ESP, HARNESS_STACK);
    assert_int_equal(harness_run(h, cases[k].code, cases[k].n, 100000), CPU_EXIT_HALT);
    assert_int_equal(cpu_get_eip(h->cpu), harness_handler((unsigned)cases[k].vector) + 1);
    assert_int_equal(rd32(h, REG(h, CPU_ESP) + 8), 0x202 | CPU_FLAG_OF);
  }
  wire(h, 0x50);
  cpu_set_eflags(h->cpu, 0x202);
  cpu_set_reg(h->cpu, CPU_ESP, HARNESS_STACK);
  cpu_set_intr(h->cpu, true); /* dropped by the acknowledge */
  assert_int_equal(HARNESS_RUN(h, 0x90, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x50) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP) + 8), 0x202);
}

/* A 16-bit gate pushes a 16-bit FLAGS image, which has no RF bit. */
static void a_fault_through_a_16_bit_gate_pushes_flags_without_rf(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, CPU_EXC_UD, GATE_INT16, 0, 0x08, 0x2000);
  mmu_write(h->mem, 0x2000, 1, 0xF4);
  cpu_set_eflags(h->cpu, 0x202);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x0B), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), 0x2001);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, HARNESS_STACK - 6);
  assert_int_equal(rd16(h, esp + 4), 0x202);
  assert_int_equal(rd16(h, esp + 6), 0); /* nothing above the frame was written */
}

/* Real mode pushes FLAGS (16 bits: no RF), as the 80286 does. */
static void a_fault_in_real_mode_pushes_flags_unchanged(void **state) {
  struct harness *h = *state;
  cpu_set_eflags(h->cpu, 0x0A03);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x0B), CPU_EXIT_HALT); /* ud2 */
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_HANDLER + 1);
  assert_int_equal(REG(h, CPU_ESP) & 0xFFFF, HARNESS_STACK - 6);
  assert_int_equal(rd16(h, HARNESS_STACK - 2), 0x0A03);
  assert_int_equal(rd16(h, HARNESS_STACK - 6), HARNESS_CODE);
}

static void a_not_present_gate_raises_np_with_the_idt_error_code(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, 0x43, GATE_INT32, 0, 0x08, harness_handler(0x43));
  mmu_write(h->mem, IDT + 8 * 0x43 + 4, 4, rd32(h, IDT + 8 * 0x43 + 4) & ~0x8000u); /* not present */
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x43), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_NP) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(rd32(h, esp), 0x43 * 8 + 2); /* IDT bit; EXT 0 for INT n */
  assert_int_equal(rd32(h, esp + 4), HARNESS_CODE);
}

static void software_int_through_a_gate_below_cpl_raises_gp(void **state) {
  struct harness *h = *state;
  harness_enter_ring3(h); /* gate 0x40 has DPL 0 */
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x40), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, RING0_STACK - 24);
  assert_int_equal(rd32(h, esp), 0x40 * 8 + 2);
  assert_int_equal(rd32(h, esp + 4), HARNESS_CODE);
}

/* The gate DPL check is for software interrupts only: INTR through a DPL-0
 * gate from ring 3 is delivered. */
static int ack_vector = -1;
static unsigned ack_calls;
static struct cpu *ack_cpu;
static int ack(void *ctx) {
  (void)ctx;
  ack_calls++;
  cpu_set_intr(ack_cpu, false); /* the controller drops INTR once acknowledged */
  return ack_vector;
}
static void wire(struct harness *h, int vector) {
  ack_vector = vector;
  ack_calls = 0;
  ack_cpu = h->cpu;
  cpu_set_interrupt_ack(h->cpu, ack, NULL);
}

static void intr_from_ring_3_enters_a_dpl_0_gate_with_ext_frame(void **state) {
  struct harness *h = *state;
  wire(h, 0x20);
  harness_enter_ring3(h);
  cpu_set_eflags(h->cpu, 0x202);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(HARNESS_RUN(h, 0x40, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(ack_calls, 1);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x20) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, RING0_STACK - 20);
  assert_int_equal(rd32(h, esp), HARNESS_CODE); /* taken before the first instruction */
  assert_int_equal(REG(h, CPU_EAX), 0);
}

/* An exception while delivering an external interrupt has EXT = 1. */
static void a_bad_gate_for_intr_raises_gp_with_ext(void **state) {
  struct harness *h = *state;
  wire(h, 0x21);
  mmu_write(h->mem, IDT + 8 * 0x21 + 4, 4, 0x00008C00); /* a call gate: not for the IDT */
  cpu_set_eflags(h->cpu, 0x202);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(HARNESS_RUN(h, 0x90, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), 0x21 * 8 + 2 + 1);
}

static void int_past_the_idt_limit_raises_gp(void **state) {
  struct harness *h = *state;
  h->cpu->idtr.limit = 0x40 * 8 - 1;
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x50), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), 0x50 * 8 + 2);
}

static void a_ring_3_handler_cannot_take_an_interrupt_from_ring_0(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, 0x44, GATE_INT32, 0, 0x1B, harness_handler(0x44)); /* code DPL 3 > CPL 0 */
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x44), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), 0x18);
}

static void a_bad_ring_0_stack_in_the_tss_raises_ts(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, 0x80, GATE_INT32, 3, 0x08, harness_handler(0x80));
  mmu_write(h->mem, TSS + 8, 4, 0x20); /* SS0: a DPL-3 data segment */
  harness_enter_ring3(h);
  enum cpu_exit why = HARNESS_RUN(h, 0xCD, 0x80);
  /* #TS itself goes to ring 0 through the same TSS: #TS again, a double
   * fault, and the #DF too: a triple fault. */
  assert_int_equal(why, CPU_EXIT_TRIPLE_FAULT);
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_TS);
}

/* A task gate leads to a task switch (test_tasks.c); to the busy TSS of
 * the current task it is #GP(TSS selector), EXT = 0 for INT n. */
static void a_task_gate_to_a_busy_tss_is_gp_with_its_selector(void **state) {
  struct harness *h = *state;
  harness_gdt_system(h, 0x28, TSS, 0x67, 0xB); /* busy, as TR */
  harness_idt_gate(h, 0x45, GATE_TASK, 0, 0x28, 0);
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x45), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), 0x28);
  assert_int_equal(rd32(h, REG(h, CPU_ESP) + 4), HARNESS_CODE);
}

/* int 0x80 from ring 3, the handler IRETs back: ring 3, its stack, EAX
 * incremented on both sides. */
static void iret_returns_from_ring_0_to_ring_3(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, 0x80, GATE_INT32, 3, 0x08, 0x3000);
  mmu_write(h->mem, 0x3000, 2, 0xCF40); /* inc eax; iret */
  harness_enter_ring3(h);
  cpu_set_eflags(h->cpu, 0x202);
  enum cpu_exit why = HARNESS_RUN(h, 0xCD, 0x80, 0x40, 0xEB, 0xFE); /* int 0x80; inc eax; jmp $ */
  assert_int_equal(why, CPU_EXIT_BUDGET);
  assert_int_equal(REG(h, CPU_EAX), 2);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 3);
  assert_int_equal(h->cpu->cpl, 3);
  assert_int_equal(harness_selector(h, CPU_CS), 0x1B);
  assert_int_equal(harness_selector(h, CPU_SS), 0x23);
  assert_int_equal(REG(h, CPU_ESP), RING3_STACK);
  assert_true(cpu_get_eflags(h->cpu) & CPU_FLAG_IF);
}

/* ---- the INTR line -------------------------------------------------------------- */

static void intr_waits_while_if_is_clear(void **state) {
  struct harness *h = *state;
  wire(h, 0x20);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(HARNESS_RUN(h, 0x40, 0xF4), CPU_EXIT_HALT); /* IF = 0 */
  assert_int_equal(ack_calls, 0);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 2);
}

/* STI; INC; INC: the instruction after STI runs before the interrupt. */
static void the_instruction_after_sti_runs_before_the_interrupt(void **state) {
  struct harness *h = *state;
  wire(h, 0x20);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(HARNESS_RUN(h, 0xFB, 0x40, 0x40, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(ack_calls, 1);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x20) + 1);
  assert_int_equal(REG(h, CPU_EAX), 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), HARNESS_CODE + 2);
}

/* With IF already set, STI casts no shadow: STI; STI; INC takes the
 * interrupt after the second STI (in the first one's shadow). */
static void sti_with_if_already_set_casts_no_shadow(void **state) {
  struct harness *h = *state;
  wire(h, 0x20);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(HARNESS_RUN(h, 0xFB, 0xFB, 0x40, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x20) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), HARNESS_CODE + 2);
  assert_int_equal(REG(h, CPU_EAX), 0);
}

/* Real mode, IVT delivery (every vector: HLT at 0:0500). STI shadows MOV
 * SS, and MOV SS shadows the next instruction: the interrupt comes after
 * INC CX. */
static void mov_ss_holds_the_interrupt_for_one_more_instruction(void **state) {
  struct harness *h = *state;
  wire(h, 0x20);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(HARNESS_RUN(h, 0xFB, 0x8E, 0xD0, 0x41, 0x42, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(ack_calls, 1);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_HANDLER + 1);
  assert_int_equal(REG(h, CPU_ECX), 1);
  assert_int_equal(REG(h, CPU_EDX) & 0xFFFF, 0x0633); /* INC DX did not run */
  assert_int_equal(rd16(h, REG(h, CPU_ESP) & 0xFFFF), 0x1004);
}

/* A device that asserts INTR from an OUT handler ends the block: the
 * interrupt comes right after the OUT (real mode, IVT). */
static struct cpu *device_cpu;
static void device_out(void *ctx, uint16_t port, unsigned size, uint32_t value) {
  (void)ctx;
  (void)port;
  (void)size;
  (void)value;
  cpu_set_intr(device_cpu, true);
}
static uint32_t device_in(void *ctx, uint16_t port, unsigned size) {
  (void)ctx;
  (void)port;
  (void)size;
  return 0;
}
static const struct cpu_io_ops device_ops = {.in = device_in, .out = device_out};

static void intr_asserted_by_a_device_during_a_block_is_taken_after_that_instruction(void **state) {
  (void)state;
  struct harness *h = harness_new_io(HARNESS_REAL16, &device_ops, NULL);
  device_cpu = h->cpu;
  wire(h, 0x08);
  cpu_set_eflags(h->cpu, 0x202);
  assert_int_equal(HARNESS_RUN(h, 0xE6, 0x80, 0x40, 0x40, 0xF4), CPU_EXIT_HALT); /* out 0x80, al */
  assert_int_equal(ack_calls, 1);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_HANDLER + 1);
  assert_int_equal(REG(h, CPU_EAX) & 0xFFFF, 0);
  assert_int_equal(rd16(h, REG(h, CPU_ESP) & 0xFFFF), 0x1002); /* IP */
  assert_int_equal(rd16(h, (REG(h, CPU_ESP) & 0xFFFF) + 4), 0x202); /* FLAGS */
  harness_free(h);
}

static void a_spurious_inta_delivers_nothing(void **state) {
  struct harness *h = *state;
  wire(h, -1);
  cpu_set_eflags(h->cpu, 0x202);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(HARNESS_RUN(h, 0x40, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(ack_calls, 1);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 2);
  assert_int_equal(REG(h, CPU_EAX), 1);
}

/* HLT with IF = 1 waits: cpu_run returns HALT, time passes to `until`,
 * and INTR wakes it; the interrupt returns after the HLT. */
static void hlt_waits_for_intr_and_wakes_to_deliver_it(void **state) {
  struct harness *h = *state;
  wire(h, 0x20);
  cpu_set_eflags(h->cpu, 0x202);
  assert_int_equal(HARNESS_RUN(h, 0xF4, 0x40, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 1);
  cycles_t t = cpu_cycles(h->cpu);
  assert_int_equal(cpu_run(h->cpu, t + 500), CPU_EXIT_HALT);
  assert_int_equal(cpu_cycles(h->cpu), t + 500); /* halted time counts */
  assert_int_equal(ack_calls, 0);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000), CPU_EXIT_HALT);
  assert_int_equal(ack_calls, 1);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x20) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), HARNESS_CODE + 1);
  assert_int_equal(REG(h, CPU_EAX), 0);
}

static void hlt_with_if_clear_stays_halted_and_time_stands(void **state) {
  struct harness *h = *state;
  wire(h, 0x20);
  assert_int_equal(HARNESS_RUN(h, 0xF4), CPU_EXIT_HALT);
  cycles_t t = cpu_cycles(h->cpu);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(cpu_run(h->cpu, t + 500), CPU_EXIT_HALT);
  assert_int_equal(cpu_cycles(h->cpu), t);
  assert_int_equal(ack_calls, 0);
}

/* STI; HLT with INTR asserted: HLT runs in the shadow, then the interrupt
 * wakes it at once. */
static void sti_hlt_with_intr_pending_delivers_after_the_hlt(void **state) {
  struct harness *h = *state;
  wire(h, 0x20);
  cpu_set_intr(h->cpu, true);
  assert_int_equal(HARNESS_RUN(h, 0xFB, 0xF4, 0x40, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(ack_calls, 1);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x20) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), HARNESS_CODE + 2);
}

static void nmi_is_delivered_with_if_clear_and_wakes_hlt(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0xF4, 0x40, 0xF4), CPU_EXIT_HALT);
  cpu_nmi(h->cpu);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_NMI) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), HARNESS_CODE + 1);
  /* A second NMI waits for the first handler's IRET. */
  cpu_nmi(h->cpu);
  cpu_set_eip(h->cpu, HARNESS_CODE + 1);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 3);
  assert_int_equal(REG(h, CPU_EAX), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(int_n_through_an_interrupt_gate_pushes_eflags_cs_eip_and_clears_if, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_trap_gate_leaves_if_set, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(a_16_bit_gate_pushes_word_slots_and_jumps_to_a_16_bit_offset, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(int_from_ring_3_switches_to_the_ring_0_stack_of_the_tss, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(gp_at_cpl_0_pushes_its_error_code_and_the_faulting_eip, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(gp_from_ring_3_pushes_the_outer_stack_and_the_error_code, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_fault_pushes_eflags_with_rf_set_and_the_handler_runs_with_rf_clear, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(traps_and_interrupts_push_eflags_without_setting_rf, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(a_fault_through_a_16_bit_gate_pushes_flags_without_rf, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_fault_in_real_mode_pushes_flags_unchanged, harness_setup_real16,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_not_present_gate_raises_np_with_the_idt_error_code, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(software_int_through_a_gate_below_cpl_raises_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(intr_from_ring_3_enters_a_dpl_0_gate_with_ext_frame, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(a_bad_gate_for_intr_raises_gp_with_ext, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(int_past_the_idt_limit_raises_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(a_ring_3_handler_cannot_take_an_interrupt_from_ring_0, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_bad_ring_0_stack_in_the_tss_raises_ts, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(a_task_gate_to_a_busy_tss_is_gp_with_its_selector, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(iret_returns_from_ring_0_to_ring_3, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(intr_waits_while_if_is_clear, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(the_instruction_after_sti_runs_before_the_interrupt, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(sti_with_if_already_set_casts_no_shadow, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(mov_ss_holds_the_interrupt_for_one_more_instruction, harness_setup_real16,
                                      harness_teardown),
      cmocka_unit_test(intr_asserted_by_a_device_during_a_block_is_taken_after_that_instruction),
      cmocka_unit_test_setup_teardown(a_spurious_inta_delivers_nothing, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(hlt_waits_for_intr_and_wakes_to_deliver_it, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(hlt_with_if_clear_stays_halted_and_time_stands, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(sti_hlt_with_intr_pending_delivers_after_the_hlt, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(nmi_is_delivered_with_if_clear_and_wakes_hlt, setup_pm, harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
