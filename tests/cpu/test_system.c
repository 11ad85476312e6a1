/* tests/cpu/test_system.c - the system instructions: LGDT LIDT SGDT SIDT,
 * MOV to and from CR0 (PE switching real <-> protected; paging itself is
 * test_paging.c) and CR4 (reserved bits), the debug registers, CLTS LMSW SMSW,
 * RDMSR WRMSR (TSC, SYSENTER, MTRRs, unknown MSRs, the board's MSRs),
 * RDTSC after a TSC write, SYSENTER/SYSEXIT round trips, CPUID's feature
 * bits (the board's APIC bit), INIT, and the CPL 0 checks.
 *
 * Protected-mode tests use the harness's flat machine plus a GDT and an IDT
 * whose every vector leads to its own HLT (as in test_interrupts.c), so a
 * fault ends the run in the handler of its vector:
 *
 *   0x01000  code            0x10000  GDT: 0x08 code 0, 0x10 data 0,
 *   0x02000  data operands            0x18 code 3, 0x20 data 3, 0x28 TSS
 *   0x03000  SYSENTER entry  0x11000  IDT    0x12000  TSS
 *   0x07000  ring-3 stack    0x13000  handlers: HLT at +16 * vector
 *   0x09000  ring-0 stack
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

#define DATA 0x2000u
#define IDT HARNESS_IDT

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

static uint32_t rd32(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 4); }

static struct harness *pm_new(void) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  harness_pm_tables(h, 0x9000, 0);
  return h;
}

static int setup_pm(void **state) {
  *state = pm_new();
  return 0;
}

/* The run ended in the handler of vector v, with error code `error` on
 * the stack. */
static void assert_fault(struct harness *h, unsigned v, uint32_t error) {
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(v) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), error);
}

/* ---- GDTR, IDTR ------------------------------------------------------------------ */

static void lgdt_lidt_load_and_sgdt_sidt_store_limit_and_base(void **state) {
  struct harness *h = *state;
  mmu_write(h->mem, DATA, 2, 0x1234);
  mmu_write(h->mem, DATA + 2, 4, 0x89ABCDEF);
  mmu_write(h->mem, DATA + 8, 2, 0x0567);
  mmu_write(h->mem, DATA + 10, 4, 0x00456000);
  struct cpu *c = h->cpu;
  uint32_t gdt = c->gdtr.base, gdt_limit = c->gdtr.limit;
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x01, 0x1D, 0x08, 0x20, 0x00, 0x00, /* lidt [0x2008] */
                               0x0F, 0x01, 0x0D, 0x20, 0x20, 0x00, 0x00, /* sidt [0x2020] */
                               0x0F, 0x01, 0x05, 0x30, 0x20, 0x00, 0x00, /* sgdt [0x2030] */
                               0x0F, 0x01, 0x15, 0x00, 0x20, 0x00, 0x00, /* lgdt [0x2000] */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(c->idtr.base, 0x00456000);
  assert_int_equal(c->idtr.limit, 0x0567);
  assert_int_equal(c->gdtr.base, 0x89ABCDEF);
  assert_int_equal(c->gdtr.limit, 0x1234);
  assert_int_equal(mmu_read(h->mem, DATA + 0x20, 2), 0x0567);
  assert_int_equal(rd32(h, DATA + 0x22), 0x00456000);
  assert_int_equal(mmu_read(h->mem, DATA + 0x30, 2), gdt_limit);
  assert_int_equal(rd32(h, DATA + 0x32), gdt);
}

static void lgdt_with_16_bit_operand_size_loads_a_24_bit_base(void **state) {
  struct harness *h = *state;
  mmu_write(h->mem, DATA, 2, 0x00FF);
  mmu_write(h->mem, DATA + 2, 4, 0x12ABCDEF);
  assert_int_equal(HARNESS_RUN(h, 0x66, 0x0F, 0x01, 0x15, 0x00, 0x20, 0x00, 0x00, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(h->cpu->gdtr.base, 0x00ABCDEF);
  assert_int_equal(h->cpu->gdtr.limit, 0x00FF);
}

static void lidt_at_cpl_3_raises_gp_and_sidt_does_not(void **state) {
  struct harness *h = *state;
  harness_enter_ring3(h);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x01, 0x0D, 0x20, 0x20, 0x00, 0x00, /* sidt [0x2020] */
                               0x0F, 0x01, 0x1D, 0x00, 0x20, 0x00, 0x00), /* lidt [0x2000] */
                   CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
  assert_int_equal(rd32(h, REG(h, CPU_ESP) + 4), HARNESS_CODE + 7);
  assert_int_equal(h->cpu->idtr.base, IDT);
  assert_int_equal(rd32(h, DATA + 0x22), IDT);
}

/* ---- control registers -------------------------------------------------------------- */

/* 16-bit real-mode code: mov eax, cr0; or eax, 1; mov cr0, eax; hlt. */
static void setting_cr0_pe_enters_protected_mode_and_clearing_it_leaves(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x20, 0xC0, 0x66, 0x83, 0xC8, 0x01, 0x0F, 0x22, 0xC0, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(h->cpu->mode, CPU_MODE_PROT);
  assert_int_equal(cpu_get_cr(h->cpu, 0) & 1, 1);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 11);
  /* and eax, ~1; mov cr0, eax; hlt */
  assert_int_equal(HARNESS_RUN(h, 0x66, 0x83, 0xE0, 0xFE, 0x0F, 0x22, 0xC0, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(h->cpu->mode, CPU_MODE_REAL);
  assert_int_equal(cpu_get_cr(h->cpu, 0) & 1, 0);
}

static void cr0_pg_without_pe_raises_gp(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0x80000010);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xC0), CPU_EXIT_HALT); /* mov cr0, eax */
  assert_fault(h, CPU_EXC_GP, 0);
  assert_int_equal(h->cpu->mode, CPU_MODE_PROT);
}

static void cr4_reserved_bits_raise_gp(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0x200); /* OSFXSR: no SSE on this P6 */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xE0), CPU_EXIT_HALT); /* mov cr4, eax */
  assert_fault(h, CPU_EXC_GP, 0);
  assert_int_equal(cpu_get_cr(h->cpu, 4), 0);
}

static void cr4_tsd_is_written_and_read_back(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0x4);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xE0, 0x0F, 0x20, 0xE3, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EBX), 0x4);
}

static void cr1_is_undefined_opcode(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x20, 0xC8), CPU_EXIT_HALT); /* mov eax, cr1 */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_UD) + 1);
}

static void mov_cr_at_cpl_3_raises_gp(void **state) {
  struct harness *h = *state;
  harness_enter_ring3(h);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x20, 0xC0), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
}

static void cr2_and_cr3_hold_what_is_written(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0xDEADB000);
  /* mov cr2, eax; mov cr3, eax; mov ebx, cr2; mov ecx, cr3 */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xD0, 0x0F, 0x22, 0xD8, 0x0F, 0x20, 0xD3, 0x0F, 0x20, 0xD9, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EBX), 0xDEADB000);
  assert_int_equal(REG(h, CPU_ECX), 0xDEADB000);
}

/* ---- debug registers ------------------------------------------------------------------ */

static void dr4_aliases_dr6_unless_cr4_de(void **state) {
  struct harness *h = *state;
  /* mov eax, dr4; mov ebx, dr7 */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x21, 0xE0, 0x0F, 0x21, 0xFB, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 0xFFFF0FF0);
  assert_int_equal(REG(h, CPU_EBX), 0x400);
  cpu_set_reg(h->cpu, CPU_EAX, 0x8); /* CR4.DE */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xE0, 0x0F, 0x21, 0xE0), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_UD) + 1);
}

static void dr0_holds_an_address(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0x00123456);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x23, 0xC0, 0x0F, 0x21, 0xC1, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_ECX), 0x00123456);
}

/* ---- CLTS LMSW SMSW --------------------------------------------------------------------- */

/* In protected mode: lmsw with PE = 0 and TS = 1 keeps PE and sets TS;
 * smsw ebx; clts; smsw cx. */
static void lmsw_cannot_clear_pe_and_clts_clears_ts(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0x8);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x01, 0xF0,       /* lmsw ax */
                               0x0F, 0x01, 0xE3,       /* smsw ebx */
                               0x0F, 0x06,             /* clts */
                               0x66, 0x0F, 0x01, 0xE1, /* smsw cx */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EBX) & 0xF, 0x9);
  assert_int_equal(REG(h, CPU_ECX) & 0xF, 0x1);
  assert_int_equal(cpu_get_cr(h->cpu, 0) & 0x8, 0);
  assert_int_equal(h->cpu->mode, CPU_MODE_PROT);
}

static void lmsw_in_real_mode_can_enter_protected_mode(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0x1);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x01, 0xF0, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(h->cpu->mode, CPU_MODE_PROT);
}

static void clts_at_cpl_3_raises_gp(void **state) {
  struct harness *h = *state;
  harness_enter_ring3(h);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x06), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
}

static void smsw_to_memory_stores_a_word(void **state) {
  struct harness *h = *state;
  mmu_write(h->mem, DATA, 4, 0xFFFFFFFF);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x01, 0x25, 0x00, 0x20, 0x00, 0x00, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(rd32(h, DATA), 0xFFFF0000u | (cpu_get_cr(h->cpu, 0) & 0xFFFF));
}

/* ---- MSRs, RDTSC ----------------------------------------------------------------------- */

/* wrmsr TSC = 1000; rdtsc: one instruction later (1 cycle each in the
 * unit preset). Then rdmsr TSC, one more. */
static void rdtsc_after_wrmsr_tsc_counts_from_the_written_value(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_ECX, 0x10);
  cpu_set_reg(h->cpu, CPU_EAX, 1000);
  cpu_set_reg(h->cpu, CPU_EDX, 7); /* P6: the high half is cleared */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x30, 0x0F, 0x31, 0x89, 0xC6, 0x0F, 0x32, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_ESI), 1001); /* rdtsc */
  assert_int_equal(REG(h, CPU_EAX), 1003); /* rdmsr, two instructions later */
  assert_int_equal(REG(h, CPU_EDX), 0);
}

static void unknown_msrs_raise_gp_on_read_and_write(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_ECX, 0x1B); /* APIC base: no board MSR ops, no local APIC */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x32), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
  assert_int_equal(rd32(h, REG(h, CPU_ESP) + 4), HARNESS_CODE);
  cpu_set_reg(h->cpu, CPU_ESP, 0x8000);
  cpu_set_reg(h->cpu, CPU_ECX, 0xFE); /* MTRRcap is read-only */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x30), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
}

static void mtrrs_and_sysenter_msrs_hold_what_is_written(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_ECX, 0x2FF);
  cpu_set_reg(h->cpu, CPU_EAX, 0xC06);
  cpu_set_reg(h->cpu, CPU_EDX, 0);
  /* wrmsr; xor eax, eax; rdmsr; mov ebx, eax; mov ecx, 0xFE; rdmsr */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x30, 0x31, 0xC0, 0x0F, 0x32, 0x89, 0xC3, 0xB9, 0xFE, 0x00, 0x00, 0x00,
                               0x0F, 0x32, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EBX), 0xC06);
  assert_int_equal(REG(h, CPU_EAX), 0x508);
}

static void rdmsr_at_cpl_3_raises_gp(void **state) {
  struct harness *h = *state;
  harness_enter_ring3(h);
  cpu_set_reg(h->cpu, CPU_ECX, 0x10);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x32), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
}

/* ---- SYSENTER SYSEXIT ------------------------------------------------------------------- */

static void wrmsr_code(uint8_t *p, uint32_t msr, uint32_t value) {
  /* mov ecx, msr; mov eax, value; wrmsr */
  const uint8_t code[] = {0xB9, (uint8_t)msr, (uint8_t)(msr >> 8), 0, 0,
                          0xB8, (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
                          (uint8_t)(value >> 24), 0x0F, 0x30};
  memcpy(p, code, sizeof code);
}

/* Ring 0 sets the MSRs and SYSEXITs to ring 3 at 0x1100, which records its
 * CS and ESP and SYSENTERs back to 0x3000. */
static void sysexit_to_ring_3_and_sysenter_back_to_ring_0(void **state) {
  struct harness *h = *state;
  uint8_t code[64];
  unsigned n = 0;
  wrmsr_code(code + n, 0x174, 0x08);
  n += 12;
  wrmsr_code(code + n, 0x175, 0x9000);
  n += 12;
  wrmsr_code(code + n, 0x176, 0x3000);
  n += 12;
  const uint8_t tail[] = {0xB9, 0x00, 0x70, 0x00, 0x00, /* mov ecx, 0x7000 */
                          0xBA, 0x00, 0x11, 0x00, 0x00, /* mov edx, 0x1100 */
                          0x0F, 0x35};                  /* sysexit */
  memcpy(code + n, tail, sizeof tail);
  n += sizeof tail;
  const uint8_t user[] = {0x89, 0xE3,  /* mov ebx, esp */
                          0x8C, 0xCE,  /* mov esi, cs */
                          0x8C, 0xD7,  /* mov edi, ss */
                          0x0F, 0x34}; /* sysenter */
  mmu_copy_to_guest(h->mem, 0x1100, user, sizeof user);
  mmu_write(h->mem, 0x3000, 1, 0xF4);
  cpu_set_eflags(h->cpu, 0x202);
  assert_int_equal(harness_run(h, code, n, 1000), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EBX), 0x7000);
  assert_int_equal(REG(h, CPU_ESI), 0x1B);
  assert_int_equal(REG(h, CPU_EDI), 0x23);
  assert_int_equal(cpu_get_eip(h->cpu), 0x3001);
  assert_int_equal(h->cpu->cpl, 0);
  assert_int_equal(harness_selector(h, CPU_CS), 0x08);
  assert_int_equal(harness_selector(h, CPU_SS), 0x10);
  assert_int_equal(REG(h, CPU_ESP), 0x9000);
  assert_false(cpu_get_eflags(h->cpu) & CPU_FLAG_IF);
}

static void sysenter_with_a_null_sysenter_cs_raises_gp(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x34), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
}

static void sysexit_at_cpl_3_raises_gp(void **state) {
  struct harness *h = *state;
  h->cpu->sys.sysenter_cs = 0x08;
  harness_enter_ring3(h);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x35), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
}

/* The board's MSRs: IA32_APIC_BASE through cpu_set_msr_ops. */
static uint64_t board_apic_base = 0xFEE00900u;
static uint32_t board_msr_asked;

static bool board_rdmsr(void *ctx, uint32_t msr, uint64_t *value) {
  board_msr_asked = msr;
  if (msr != 0x1B)
    return false;
  *value = board_apic_base;
  return true;
}

static bool board_wrmsr(void *ctx, uint32_t msr, uint64_t value) {
  board_msr_asked = msr;
  if (msr != 0x1B || (value & 0xFF))
    return false; /* unknown, or a reserved bit */
  board_apic_base = value;
  return true;
}

static const struct cpu_msr_ops board_msrs = {.rdmsr = board_rdmsr, .wrmsr = board_wrmsr};

static void msrs_the_cpu_does_not_know_go_to_the_board(void **state) {
  struct harness *h = *state;
  cpu_set_msr_ops(h->cpu, &board_msrs, NULL);
  board_apic_base = 0xFEE00900u;
  /* rdmsr (0x1B); mov esi, eax; mov eax, 0xFED00800; wrmsr; hlt */
  cpu_set_reg(h->cpu, CPU_ECX, 0x1B);
  cpu_set_reg(h->cpu, CPU_EDX, 0);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x32, 0x89, 0xC6, 0xB8, 0x00, 0x08, 0xD0, 0xFE, 0x0F, 0x30, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_ESI), 0xFEE00900u);
  assert_int_equal(REG(h, CPU_EDX), 0);
  assert_true(board_apic_base == 0xFED00800u);
  /* TSC and MTRRs stay the CPU's: the board is not asked */
  board_msr_asked = 0;
  cpu_set_reg(h->cpu, CPU_ECX, 0x2FF);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x32, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(board_msr_asked, 0);
}

static void a_board_msr_write_it_refuses_raises_gp(void **state) {
  struct harness *h = *state;
  cpu_set_msr_ops(h->cpu, &board_msrs, NULL);
  board_apic_base = 0xFEE00900u;
  cpu_set_reg(h->cpu, CPU_ECX, 0x1B);
  cpu_set_reg(h->cpu, CPU_EAX, 0xFEE00901u); /* bit 0 reserved */
  cpu_set_reg(h->cpu, CPU_EDX, 0);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x30), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
  assert_true(board_apic_base == 0xFEE00900u);
  cpu_set_reg(h->cpu, CPU_ESP, 0x8000);
  cpu_set_reg(h->cpu, CPU_ECX, 0x1C); /* the board does not know it either */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x32), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
  assert_int_equal(board_msr_asked, 0x1C);
  cpu_set_reg(h->cpu, CPU_ESP, 0x8000);
  cpu_set_reg(h->cpu, CPU_ECX, 0xFE); /* MTRRcap stays read-only: not the board's */
  board_msr_asked = 0;
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x30), CPU_EXIT_HALT);
  assert_fault(h, CPU_EXC_GP, 0);
  assert_int_equal(board_msr_asked, 0);
}

/* ---- CPUID ------------------------------------------------------------------------------- */

static void cpuid_apic_bit_is_the_boards(void **state) {
  struct harness *h = *state;
  cpu_set_apic_present(h->cpu, true);
  cpu_set_reg(h->cpu, CPU_EAX, 1);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xA2, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EDX) & (1u << 9), 1u << 9);
  assert_int_equal(REG(h, CPU_EBX) >> 24, 0); /* initial APIC ID 0 */
  cpu_set_apic_present(h->cpu, false);
  cpu_set_reg(h->cpu, CPU_EAX, 1);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xA2, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EDX) & (1u << 9), 0);
}

/* ---- INIT -------------------------------------------------------------------------------- */

static void init_resets_the_processor_but_keeps_x87_msrs_and_cache_control(void **state) {
  struct harness *h = *state;
  /* wrmsr SYSENTER_CS = 0x08; fld1; hlt */
  cpu_set_reg(h->cpu, CPU_ECX, 0x174);
  cpu_set_reg(h->cpu, CPU_EAX, 0x08);
  cpu_set_reg(h->cpu, CPU_EDX, 0);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x30, 0xD9, 0xE8, 0xF4), CPU_EXIT_HALT);
  h->cpu->sys.mtrr[MTRR_SLOT_DEF_TYPE] = 0xC06;
  h->cpu->cr[0] |= 0x60000000u; /* CD, NW */
  uint16_t fsw = h->cpu->x87.sw;
  uint8_t st0[10];
  memcpy(st0, h->cpu->x87.st[(fsw >> 11) & 7], sizeof st0);
  uint64_t tsc_offset = h->cpu->sys.tsc_offset;
  cycles_t cycles = cpu_cycles(h->cpu);
  cpu_init(h->cpu);
  /* RESET's state ... */
  assert_int_equal(cpu_get_eip(h->cpu), 0xFFF0);
  struct cpu_segment cs;
  cpu_get_segment(h->cpu, CPU_CS, &cs);
  assert_int_equal(cs.selector, 0xF000);
  assert_int_equal(cs.base, 0xFFFF0000u);
  assert_int_equal(cpu_get_eflags(h->cpu), 0x2);
  assert_int_equal(REG(h, CPU_EDX), 0x633);
  assert_int_equal(REG(h, CPU_EAX), 0);
  assert_int_equal(cpu_get_cr(h->cpu, 0) & 0x1Fu, 0x10); /* real mode, ET */
  assert_int_equal(cpu_get_cr(h->cpu, 4), 0);
  /* ... but what INIT keeps */
  assert_int_equal(cpu_get_cr(h->cpu, 0) & 0x60000000u, 0x60000000u);
  assert_int_equal(h->cpu->x87.sw, fsw);
  assert_memory_equal(h->cpu->x87.st[(fsw >> 11) & 7], st0, sizeof st0);
  assert_int_equal(h->cpu->sys.sysenter_cs, 0x08);
  assert_true(h->cpu->sys.mtrr[MTRR_SLOT_DEF_TYPE] == 0xC06);
  assert_true(h->cpu->sys.tsc_offset == tsc_offset);
  assert_true(cpu_cycles(h->cpu) == cycles);
}


static void cpuid_advertises_exactly_fpu_pse_tsc_msr_pae_cx8_sep_mtrr_pge_cmov(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 1);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xA2, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 0x633);
  assert_int_equal(REG(h, CPU_EDX), (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 11) |
                                        (1u << 12) | (1u << 13) | (1u << 15));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(lgdt_lidt_load_and_sgdt_sidt_store_limit_and_base, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(lgdt_with_16_bit_operand_size_loads_a_24_bit_base, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(lidt_at_cpl_3_raises_gp_and_sidt_does_not, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(setting_cr0_pe_enters_protected_mode_and_clearing_it_leaves, harness_setup_real16,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(cr0_pg_without_pe_raises_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(cr4_reserved_bits_raise_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(cr4_tsd_is_written_and_read_back, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(cr1_is_undefined_opcode, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(mov_cr_at_cpl_3_raises_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(cr2_and_cr3_hold_what_is_written, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(dr4_aliases_dr6_unless_cr4_de, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(dr0_holds_an_address, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(lmsw_cannot_clear_pe_and_clts_clears_ts, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(lmsw_in_real_mode_can_enter_protected_mode, harness_setup_real16,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(clts_at_cpl_3_raises_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(smsw_to_memory_stores_a_word, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(rdtsc_after_wrmsr_tsc_counts_from_the_written_value, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(unknown_msrs_raise_gp_on_read_and_write, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(mtrrs_and_sysenter_msrs_hold_what_is_written, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(rdmsr_at_cpl_3_raises_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(sysexit_to_ring_3_and_sysenter_back_to_ring_0, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(sysenter_with_a_null_sysenter_cs_raises_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(sysexit_at_cpl_3_raises_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(msrs_the_cpu_does_not_know_go_to_the_board, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(a_board_msr_write_it_refuses_raises_gp, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(cpuid_apic_bit_is_the_boards, setup_pm, harness_teardown),
      cmocka_unit_test_setup_teardown(init_resets_the_processor_but_keeps_x87_msrs_and_cache_control, setup_pm,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(cpuid_advertises_exactly_fpu_pse_tsc_msr_pae_cx8_sep_mtrr_pge_cmov, setup_pm,
                                      harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
