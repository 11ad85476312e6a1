/* tests/cpu/test_tasks.c - hardware task switches (SDM vol. 3, chapter 7):
 * JMP to a TSS, CALL through a task gate and IRET back through the back
 * link and NT, INT through a task gate, a double fault delivered to a task
 * of its own with a fresh stack, the #TS and #GP checks before the commit
 * point (in the old task) and after it (in the new task), a 16-bit TSS, the
 * T bit, the counters and cycles; and the I/O permission bitmap of the TSS
 * (SDM vol. 1, 19.5) at CPL > IOPL.
 *
 * The machine is the harness's flat 32-bit one (task A, TR = 0x28) with the
 * tables built in RAM and GDTR/IDTR/TR set directly:
 *
 *   0x01000  task A code (harness)       0x12000  TSS A (current, busy; I/O
 *                                                 bitmap 0x12068-0x120E8)
 *   0x08000  task A stack (harness)      0x12100  TSS B (32-bit)
 *   0x10000  GDT                         0x12200  TSS C (the #DF task)
 *   0x11000  IDT (interrupt gates to     0x12300  TSS D (16-bit)
 *            HLT at 0x13000 + 16 * v)    0x14000  task B / D code
 *   0x15000  task B stack top            0x16000  task C stack top
 *   0x17000  task B ring-0 stack top
 *
 *   GDT  0x08 code 0   0x10 data 0   0x18 code 3   0x20 data 3
 *        0x28 TSS A (busy)   0x30 TSS B   0x38 task gate -> B
 *        0x40 TSS C   0x48 TSS D (16-bit)   0x50 data 0, limit 0xFFF
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

#define GDT HARNESS_GDT
#define TSS_A HARNESS_TSS
#define TSS_B 0x12100u
#define TSS_C 0x12200u
#define TSS_D 0x12300u
#define CODE_B 0x14000u
#define STACK_B 0x15000u
#define STACK_C 0x16000u
#define STACK_B0 0x17000u

#define SEL_CODE0 HARNESS_SEL_CODE0
#define SEL_DATA0 HARNESS_SEL_DATA0
#define SEL_TSS_A HARNESS_SEL_TSS
#define SEL_TSS_B 0x30u
#define SEL_GATE_B 0x38u
#define SEL_TSS_C 0x40u
#define SEL_TSS_D 0x48u
#define SEL_SMALL 0x50u

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

static uint32_t rd32(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 4); }
static uint32_t rd16(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 2); }
static void wr32(struct harness *h, uint32_t a, uint32_t v) { mmu_write(h->mem, a, 4, v); }
static void wr16(struct harness *h, uint32_t a, uint32_t v) { mmu_write(h->mem, a, 2, v); }

static unsigned gdt_type(struct harness *h, unsigned sel) { return (rd32(h, GDT + sel + 4) >> 8) & 0xF; }

/* The ports: every access counted. */
static struct ports {
  unsigned ins, outs;
} ports;

static uint32_t port_in(void *ctx, uint16_t port, unsigned n) {
  (void)ctx, (void)port, (void)n;
  ports.ins++;
  return 0;
}

static void port_out(void *ctx, uint16_t port, unsigned n, uint32_t v) {
  (void)ctx, (void)port, (void)n, (void)v;
  ports.outs++;
}

static const struct cpu_io_ops io_ops = {port_in, port_out};

static struct harness *tasks_new(void) {
  struct harness *h = harness_new_io(HARNESS_FLAT32, &io_ops, NULL);
  ports = (struct ports){0};
  harness_pm_tables(h, STACK_B0, 0);
  harness_gdt_system(h, SEL_TSS_A, TSS_A, 0x67, 0xB);
  harness_gdt_system(h, SEL_TSS_B, TSS_B, 0x67, 0x9);
  harness_gdt_set(h, SEL_GATE_B, (uint32_t)SEL_TSS_B << 16, 0x8500); /* task gate, DPL 0 */
  harness_gdt_system(h, SEL_TSS_C, TSS_C, 0x67, 0x9);
  harness_gdt_system(h, SEL_TSS_D, TSS_D, 0x2B, 0x1);
  harness_gdt_set(h, SEL_SMALL, 0x00000FFF, 0x00409200); /* data, 32-bit, limit 0xFFF */
  h->cpu->gdtr.limit = 0x57;
  harness_tss32(h, TSS_A, 0, 0, STACK_B0);
  harness_tss32(h, TSS_B, CODE_B, STACK_B, STACK_B0);
  harness_tss32(h, TSS_C, harness_handler(CPU_EXC_DF), STACK_C, STACK_B0);
  return h;
}

static int setup(void **state) {
  *state = tasks_new();
  return 0;
}

/* Ring 3 with flat DPL-3 segments and EFLAGS as given; the TSS A of 0xE9
 * bytes has an I/O bitmap at +0x68 for ports 0-0x407, all allowed. */
static void ring3_with_bitmap(struct harness *h, uint32_t eflags) {
  harness_tss_io_bitmap(h, SEL_TSS_A, TSS_A);
  harness_enter_ring3(h);
  cpu_set_eflags(h->cpu, eflags);
}

static void deny_port(struct harness *h, unsigned port) {
  uint32_t a = TSS_A + 0x68 + port / 8;
  mmu_write(h->mem, a, 1, mmu_read(h->mem, a, 1) | (1u << (port % 8)));
}

/* The #GP(0) of a denied access reached ring 0 with the faulting EIP. */
static void assert_gp_at(struct harness *h, uint32_t eip) {
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, STACK_B0 - 24);
  assert_int_equal(rd32(h, esp), 0);
  assert_int_equal(rd32(h, esp + 4), eip);
}

static uint16_t tr_of(struct harness *h) { return h->cpu->tr.selector; }
static uint64_t switches(struct harness *h) { return trace_counter(cpu_counters(h->cpu), TRACE_EV_task_switch); }

/* ---- JMP ------------------------------------------------------------------ */

static void jmp_to_a_tss_saves_the_old_task_and_loads_the_new_one(void **state) {
  struct harness *h = *state;
  wr32(h, TSS_B + 0x28, 0xB0B0B0B0); /* EAX of task B */
  wr32(h, TSS_B + 0x34, 0xB1B1B1B1); /* EBX */
  mmu_write(h->mem, CODE_B, 1, 0xF4);
  cpu_set_reg(h->cpu, CPU_EAX, 0xA0A0A0A0);
  cpu_set_reg(h->cpu, CPU_ESI, 0xA6A6A6A6);
  cpu_set_eflags(h->cpu, 0x2 | CPU_FLAG_CF);
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS_B, 0); /* jmp 0x30:0 */
  assert_int_equal(e, CPU_EXIT_HALT);
  /* the new task runs */
  assert_int_equal(tr_of(h), SEL_TSS_B);
  assert_int_equal(cpu_get_eip(h->cpu), CODE_B + 1);
  assert_int_equal(REG(h, CPU_EAX), 0xB0B0B0B0);
  assert_int_equal(REG(h, CPU_EBX), 0xB1B1B1B1);
  assert_int_equal(REG(h, CPU_ESP), STACK_B);
  assert_int_equal(cpu_get_eflags(h->cpu), 0x2);
  assert_true(cpu_get_cr(h->cpu, 0) & 0x8); /* CR0.TS */
  /* the old task is saved: EIP after the JMP, registers, flags, selectors */
  assert_int_equal(rd32(h, TSS_A + 0x20), HARNESS_CODE + 7);
  assert_int_equal(rd32(h, TSS_A + 0x24), 0x2 | CPU_FLAG_CF);
  assert_int_equal(rd32(h, TSS_A + 0x28), 0xA0A0A0A0);
  assert_int_equal(rd32(h, TSS_A + 0x40), 0xA6A6A6A6);
  assert_int_equal(rd32(h, TSS_A + 0x38), HARNESS_STACK);
  assert_int_equal(rd16(h, TSS_A + 0x4C), SEL_CODE0);
  assert_int_equal(rd16(h, TSS_A + 0x50), SEL_DATA0);
  /* JMP: the old TSS is available again, the new one busy, no back link */
  assert_int_equal(gdt_type(h, SEL_TSS_A), 0x9);
  assert_int_equal(gdt_type(h, SEL_TSS_B), 0xB);
  assert_int_equal(rd16(h, TSS_B), 0);
  assert_false(cpu_get_eflags(h->cpu) & CPU_FLAG_NT);
  assert_int_equal(switches(h), 1);
}

static void jmp_to_a_busy_tss_is_gp_with_its_selector(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS_A, 0); /* jmp 0x28:0, itself */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), SEL_TSS_A);
  assert_int_equal(tr_of(h), SEL_TSS_A);
  assert_int_equal(switches(h), 0);
}

/* ---- CALL through a task gate and IRET back ---------------------------------- */

static void call_through_a_task_gate_nests_and_iret_returns_through_the_back_link(void **state) {
  struct harness *h = *state;
  const uint8_t b[] = {0xF4, 0x41, 0xCF}; /* hlt; inc ecx; iretd */
  mmu_copy_to_guest(h->mem, CODE_B, b, sizeof b);
  cpu_set_reg(h->cpu, CPU_ECX, 7);
  wr32(h, TSS_B + 0x2C, 100); /* ECX of task B */
  enum cpu_exit e = HARNESS_RUN(h, 0x9A, 0, 0, 0, 0, SEL_GATE_B, 0, /* call 0x38:0 */
                                0xF4);                             /* hlt */
  assert_int_equal(e, CPU_EXIT_HALT);
  /* in task B: nested, both busy, the back link names A */
  assert_int_equal(tr_of(h), SEL_TSS_B);
  assert_int_equal(cpu_get_eip(h->cpu), CODE_B + 1);
  assert_true(cpu_get_eflags(h->cpu) & CPU_FLAG_NT);
  assert_int_equal(rd16(h, TSS_B), SEL_TSS_A);
  assert_int_equal(gdt_type(h, SEL_TSS_A), 0xB);
  assert_int_equal(gdt_type(h, SEL_TSS_B), 0xB);
  assert_int_equal(rd32(h, TSS_A + 0x20), HARNESS_CODE + 7);
  assert_int_equal(REG(h, CPU_ECX), 100);

  cpu_set_eip(h->cpu, cpu_get_eip(h->cpu)); /* leave the HLT */
  e = cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000); /* inc ecx; iretd; back in A: hlt */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(tr_of(h), SEL_TSS_A);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 8);
  assert_int_equal(REG(h, CPU_ECX), 7);
  assert_int_equal(REG(h, CPU_ESP), HARNESS_STACK);
  assert_false(cpu_get_eflags(h->cpu) & CPU_FLAG_NT);
  /* IRET: B is available again (A stays busy); B's saved image has NT clear */
  assert_int_equal(gdt_type(h, SEL_TSS_B), 0x9);
  assert_int_equal(gdt_type(h, SEL_TSS_A), 0xB);
  assert_int_equal(rd32(h, TSS_B + 0x2C), 101);
  assert_int_equal(rd32(h, TSS_B + 0x20), CODE_B + 3);
  assert_false(rd32(h, TSS_B + 0x24) & CPU_FLAG_NT);
  assert_int_equal(switches(h), 2);
}

static void iret_with_nt_and_a_back_link_that_is_not_busy_is_ts(void **state) {
  struct harness *h = *state;
  wr16(h, TSS_A, SEL_TSS_B); /* B is available, not busy */
  cpu_set_eflags(h->cpu, 0x2 | CPU_FLAG_NT);
  enum cpu_exit e = HARNESS_RUN(h, 0xCF);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_TS) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), SEL_TSS_B);
  assert_int_equal(tr_of(h), SEL_TSS_A);
}

/* ---- INT and exceptions through task gates ------------------------------------- */

static void int_through_a_task_gate_saves_the_next_eip_and_links_back(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, 0x50, 0x5, 0, SEL_TSS_B, 0);
  mmu_write(h->mem, CODE_B, 1, 0xF4);
  cpu_set_eflags(h->cpu, 0x202);
  enum cpu_exit e = HARNESS_RUN(h, 0x90, 0xCD, 0x50); /* nop; int 0x50 */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(tr_of(h), SEL_TSS_B);
  assert_int_equal(cpu_get_eip(h->cpu), CODE_B + 1);
  assert_int_equal(REG(h, CPU_ESP), STACK_B); /* no frame, no error code */
  assert_true(cpu_get_eflags(h->cpu) & CPU_FLAG_NT);
  assert_int_equal(rd16(h, TSS_B), SEL_TSS_A);
  assert_int_equal(rd32(h, TSS_A + 0x20), HARNESS_CODE + 3);
  assert_int_equal(rd32(h, TSS_A + 0x24), 0x202); /* IF kept in the saved image */
  assert_int_equal(trace_counter_at(cpu_counters(h->cpu), TRACE_EV_softint, 0x50), 1);
}

/* A fault delivered through a task gate saves EFLAGS with RF = 1 in the old
 * TSS, as a gate's frame pushes it (SDM vol. 3, 17.3.1.1: "for any
 * fault-class exception ... the value pushed for RF is 1"); the EIP saved
 * is the faulting instruction's. */
static void a_fault_through_a_task_gate_saves_eflags_with_rf_set(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, CPU_EXC_UD, 0x5, 0, SEL_TSS_B, 0);
  mmu_write(h->mem, CODE_B, 1, 0xF4);
  cpu_set_eflags(h->cpu, 0x202);
  enum cpu_exit e = HARNESS_RUN(h, 0x0F, 0x0B); /* ud2 */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(tr_of(h), SEL_TSS_B);
  assert_int_equal(rd32(h, TSS_A + 0x20), HARNESS_CODE);
  assert_int_equal(rd32(h, TSS_A + 0x24), 0x202 | CPU_FLAG_RF);
}

/* The classic #DF task: task A's stack is exhausted (SS limit 0xFFF, ESP 8),
 * so #UD's frame does not fit (#SS), nor does the #SS's (#SS again: a
 * double fault). The #DF gate is a task gate: task C runs on its own stack
 * with the error code 0 pushed, and TSS A holds the state at the fault. */
static void a_double_fault_through_a_task_gate_runs_on_a_fresh_stack(void **state) {
  struct harness *h = *state;
  harness_idt_gate(h, CPU_EXC_DF, 0x5, 0, SEL_TSS_C, 0);
  struct cpu_segment ss = {.selector = SEL_SMALL, .base = 0, .limit = 0xFFF, .attr = 0x4093};
  cpu_set_segment(h->cpu, CPU_SS, &ss);
  harness_load(h, (const uint8_t[]){0x0F, 0x0B}, 2); /* ud2 */
  cpu_set_reg(h->cpu, CPU_ESP, 8);
  enum cpu_exit e = cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_UD);
  assert_int_equal(tr_of(h), SEL_TSS_C);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_DF) + 1);
  assert_int_equal(REG(h, CPU_ESP), STACK_C - 4);
  assert_int_equal(rd32(h, STACK_C - 4), 0); /* #DF's error code */
  assert_int_equal(rd16(h, TSS_C), SEL_TSS_A);
  assert_int_equal(rd32(h, TSS_A + 0x20), HARNESS_CODE); /* the UD2 */
  assert_int_equal(rd32(h, TSS_A + 0x38), 8);
  assert_int_equal(rd16(h, TSS_A + 0x50), SEL_SMALL);
  assert_int_equal(trace_counter_at(cpu_counters(h->cpu), TRACE_EV_exception, CPU_EXC_DF), 1);
}

/* ---- checks before and after the commit point ------------------------------------ */

static void a_tss_limit_below_0x67_is_ts_in_the_old_task(void **state) {
  struct harness *h = *state;
  harness_gdt_system(h, SEL_TSS_B, TSS_B, 0x60, 0x9);
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS_B, 0);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_TS) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, HARNESS_STACK - 16); /* same privilege, old stack */
  assert_int_equal(rd32(h, esp), SEL_TSS_B);
  assert_int_equal(rd32(h, esp + 4), HARNESS_CODE); /* the JMP */
  assert_int_equal(tr_of(h), SEL_TSS_A);
  assert_int_equal(gdt_type(h, SEL_TSS_A), 0xB); /* nothing changed */
  assert_int_equal(gdt_type(h, SEL_TSS_B), 0x9);
  assert_int_equal(switches(h), 0);
}

/* A null SS in the new task is found after the commit point: the #TS is
 * delivered in task B's context, at its first instruction, on the ring-0
 * stack of B's TSS. */
static void a_null_ss_in_the_new_task_is_ts_in_the_new_task(void **state) {
  struct harness *h = *state;
  wr32(h, TSS_B + 0x50, 0);
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS_B, 0);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_TS) + 1);
  assert_int_equal(tr_of(h), SEL_TSS_B);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, STACK_B0 - 24);
  assert_int_equal(rd32(h, esp), 0);          /* #TS(SS selector 0) */
  assert_int_equal(rd32(h, esp + 4), CODE_B); /* B's first instruction */
  assert_int_equal(switches(h), 1);
}

static void a_code_segment_dpl_other_than_its_rpl_is_ts_with_the_cs_selector(void **state) {
  struct harness *h = *state;
  wr32(h, TSS_B + 0x4C, 0x18); /* ring-3 code with RPL 0 */
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS_B, 0);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_TS) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), 0x18);
}

/* ---- 16-bit TSS, T bit ------------------------------------------------------------- */

static void a_16_bit_tss_loads_word_registers(void **state) {
  struct harness *h = *state;
  for (uint32_t k = 0; k < 0x2C; k += 2)
    wr16(h, TSS_D + k, 0);
  wr16(h, TSS_D + 0x10, 0x0002);
  wr16(h, TSS_D + 0x12, 0x1234); /* AX */
  wr16(h, TSS_D + 0x1A, 0x5000); /* SP */
  wr16(h, TSS_D + 0x24, SEL_CODE0);
  wr16(h, TSS_D + 0x22, SEL_DATA0);
  wr16(h, TSS_D + 0x26, SEL_DATA0);
  wr16(h, TSS_D + 0x28, SEL_DATA0);
  wr16(h, TSS_D + 0x0E, CODE_B & 0xFFFF); /* IP 0x4000 in the flat code segment */
  mmu_write(h->mem, CODE_B & 0xFFFF, 1, 0xF4);
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS_D, 0);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(tr_of(h), SEL_TSS_D);
  assert_int_equal(cpu_get_eip(h->cpu), (CODE_B & 0xFFFF) + 1);
  assert_int_equal(REG(h, CPU_EAX), 0xFFFF1234); /* upper halves 0xFFFF, as Bochs */
  assert_int_equal(REG(h, CPU_ESP), 0xFFFF5000);
  struct cpu_segment fs;
  cpu_get_segment(h->cpu, CPU_FS, &fs);
  assert_int_equal(fs.selector, 0);
  assert_int_equal(gdt_type(h, SEL_TSS_D), 0x3);
}

static void the_t_bit_raises_a_debug_trap_at_the_new_tasks_first_instruction(void **state) {
  struct harness *h = *state;
  mmu_write(h->mem, TSS_B + 0x64, 1, 1);
  mmu_write(h->mem, CODE_B, 1, 0xF4);
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS_B, 0);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_DB) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), CODE_B);
  assert_true(h->cpu->dr[6] & 0x8000); /* BT */
  assert_int_equal(tr_of(h), SEL_TSS_B);
}

/* p6: JMP ptr16:32 (8) + the task switch (120) + HLT (1). */
static void a_task_switch_is_charged_by_the_preset(void **state) {
  struct harness *h = *state;
  char err[128];
  mmu_write(h->mem, CODE_B, 1, 0xF4);
  assert_int_equal(cpu_set_timing(h->cpu, "p6", err, sizeof err), 0);
  cycles_t before = cpu_cycles(h->cpu);
  assert_int_equal(HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS_B, 0), CPU_EXIT_HALT);
  assert_int_equal(cpu_cycles(h->cpu) - before, 129);
}

/* EFLAGS.VM in the new task's image: its segment registers are loaded as
 * virtual-8086 mode loads them (CS 0x0400 is base 0x4000). Its HLT is
 * #GP(0) at CPL 3, delivered to ring 0 on the stack of task B's TSS with
 * the v86 frame. */
static void a_tss_with_vm_set_starts_a_virtual_8086_task(void **state) {
  struct harness *h = *state;
  wr32(h, TSS_B + 0x20, 0x0000);
  wr32(h, TSS_B + 0x24, CPU_FLAG_VM | 0x2);
  wr32(h, TSS_B + 0x38, 0x0100);
  wr32(h, TSS_B + 0x4C, 0x0400); /* CS */
  wr32(h, TSS_B + 0x50, 0x0500); /* SS */
  wr32(h, TSS_B + 0x54, 0x0300); /* DS */
  mmu_write(h->mem, 0x3010, 2, 0x8086);
  const uint8_t v86[] = {0xA1, 0x10, 0x00, 0xF4}; /* mov ax, [0x10]; hlt */
  mmu_copy_to_guest(h->mem, 0x4000, v86, sizeof v86);
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS_B, 0);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX) & 0xFFFF, 0x8086);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, STACK_B0 - 40);
  assert_int_equal(rd32(h, esp + 4), 3);        /* the HLT's IP */
  assert_int_equal(rd32(h, esp + 8), 0x0400);   /* CS */
  assert_true(rd32(h, esp + 12) & CPU_FLAG_VM); /* EFLAGS */
  assert_int_equal(rd32(h, esp + 20), 0x0500);  /* SS */
  assert_int_equal(rd32(h, esp + 28), 0x0300);  /* DS */
  assert_int_equal(tr_of(h), SEL_TSS_B);
}

/* ---- the I/O permission bitmap ------------------------------------------------------- */

static void the_io_bitmap_allows_and_denies_each_port_at_cpl_above_iopl(void **state) {
  struct harness *h = *state;
  ring3_with_bitmap(h, 0x2);
  deny_port(h, 0x61);
  enum cpu_exit e = HARNESS_RUN(h, 0xE4, 0x60, /* in al, 0x60 */
                                0xE6, 0x62,    /* out 0x62, al */
                                0xE4, 0x61);   /* in al, 0x61: denied */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(ports.ins, 1);
  assert_int_equal(ports.outs, 1);
  assert_gp_at(h, HARNESS_CODE + 4);
}

static void a_word_access_is_denied_if_any_of_its_ports_is(void **state) {
  struct harness *h = *state;
  ring3_with_bitmap(h, 0x2);
  deny_port(h, 0x71);
  enum cpu_exit e = HARNESS_RUN(h, 0xE4, 0x70,  /* in al, 0x70 */
                                0x66, 0xE5, 0x70); /* in ax, 0x70: 0x71 denied */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(ports.ins, 1);
  assert_gp_at(h, HARNESS_CODE + 2);
}

static void a_word_access_straddling_a_bitmap_byte_checks_the_next_byte(void **state) {
  struct harness *h = *state;
  ring3_with_bitmap(h, 0x2);
  deny_port(h, 0x80);
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xBA, 0x7F, 0x00, /* mov dx, 0x7F */
                                0xEC,                     /* in al, dx */
                                0x66, 0xED);              /* in ax, dx: 0x7F and 0x80 */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(ports.ins, 1);
  assert_gp_at(h, HARNESS_CODE + 5);
}

static void ports_whose_bitmap_bytes_pass_the_tss_limit_are_denied(void **state) {
  struct harness *h = *state;
  ring3_with_bitmap(h, 0x2);
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xBA, 0xF8, 0x03, /* mov dx, 0x3F8: bytes 0xE7-0xE8 */
                                0xEC,                     /* in al, dx */
                                0x66, 0xBA, 0x00, 0x04,   /* mov dx, 0x400: bytes 0xE8-0xE9 */
                                0xEC);                    /* in al, dx: past the limit */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(ports.ins, 1);
  assert_gp_at(h, HARNESS_CODE + 9);
}

static void cpl_at_or_below_iopl_needs_no_bitmap(void **state) {
  struct harness *h = *state;
  ring3_with_bitmap(h, 0x2 | 0x3000); /* IOPL 3 */
  deny_port(h, 0x61);
  enum cpu_exit e = HARNESS_RUN(h, 0xE6, 0x61, /* out 0x61, al */
                                0xF4);         /* hlt: #GP at CPL 3 */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(ports.outs, 1);
  assert_gp_at(h, HARNESS_CODE + 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(jmp_to_a_tss_saves_the_old_task_and_loads_the_new_one, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(jmp_to_a_busy_tss_is_gp_with_its_selector, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(call_through_a_task_gate_nests_and_iret_returns_through_the_back_link, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(iret_with_nt_and_a_back_link_that_is_not_busy_is_ts, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(int_through_a_task_gate_saves_the_next_eip_and_links_back, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_fault_through_a_task_gate_saves_eflags_with_rf_set, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_double_fault_through_a_task_gate_runs_on_a_fresh_stack, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_tss_limit_below_0x67_is_ts_in_the_old_task, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_null_ss_in_the_new_task_is_ts_in_the_new_task, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_code_segment_dpl_other_than_its_rpl_is_ts_with_the_cs_selector, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_16_bit_tss_loads_word_registers, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(the_t_bit_raises_a_debug_trap_at_the_new_tasks_first_instruction, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_task_switch_is_charged_by_the_preset, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_tss_with_vm_set_starts_a_virtual_8086_task, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(the_io_bitmap_allows_and_denies_each_port_at_cpl_above_iopl, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_word_access_is_denied_if_any_of_its_ports_is, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_word_access_straddling_a_bitmap_byte_checks_the_next_byte, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(ports_whose_bitmap_bytes_pass_the_tss_limit_are_denied, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(cpl_at_or_below_iopl_needs_no_bitmap, setup, harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
