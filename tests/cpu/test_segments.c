/* tests/cpu/test_segments.c - protected-mode segmentation: descriptor loads
 * into the data-segment registers and SS with their type, privilege, limit
 * and presence checks; far JMP/CALL/RET and IRET between code segments,
 * through a call gate to ring 0 with a stack switch and parameter copy, and
 * back to ring 3 with the data-segment nulling rule; the segmentation
 * system instructions (LLDT SLDT LTR STR LAR LSL VERR VERW ARPL); expand-down
 * limits.
 *
 * Every test starts in flat 32-bit protected mode at CPL 0 (the harness)
 * with the GDT, TSS and LDT below built in RAM and GDTR/TR set directly.
 * Exceptions are observed two ways: white-box, by catching cpu_raise() of a
 * single segment load or check (which gives the error code), and by running
 * code and reading cpu_first_exception() and the state left unchanged. The
 * IDT limit is 0, so a run that faults stops the machine one way or another
 * (while protected-mode delivery is not implemented, as unimplemented; once
 * it is, with a triple fault): those tests accept either stop, and never run
 * a stopped machine again.
 *
 *   0x00000  IVT area (unused)     0x21000  TSS (ESP0 0x9000, SS0 0x10)
 *   0x01000  code (harness)        0x21100  second TSS (for LTR)
 *   0x01200  ring-3 code           0x22000  LDT
 *   0x01300  call-gate target      0x50000  data seen through the LDT
 *   0x03000  16-bit code segment
 *   0x07000  ring-3 stack top
 *   0x08000  ring-0 stack top (harness)
 *   0x09000  ring-0 stack top from the TSS
 *   0x20000  GDT
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

#define GDT 0x20000u
#define TSS 0x21000u
#define TSS2 0x21100u
#define LDT 0x22000u
#define LDT_DATA 0x50000u
#define RING3_CODE 0x1200u
#define GATE_TARGET 0x1300u
#define RING3_STACK 0x7000u
#define RING0_STACK 0x9000u

/* Selectors */
#define SEL_CODE0 0x08   /* flat 32-bit code, DPL 0 */
#define SEL_DATA0 0x10   /* flat data, DPL 0 */
#define SEL_CODE3 0x18   /* flat 32-bit code, DPL 3 */
#define SEL_DATA3 0x20   /* flat data, DPL 3, accessed bit clear */
#define SEL_CODE16 0x28  /* 16-bit code, base 0x3000, limit 0xFFFF */
#define SEL_EXPDOWN 0x30 /* 16-bit expand-down data, limit 0x0FFF */
#define SEL_GATE 0x38    /* 32-bit call gate, DPL 3, to CODE0:GATE_TARGET, 2 params */
#define SEL_TSS 0x40     /* 32-bit TSS (TR) */
#define SEL_LDT 0x48     /* LDT at LDT */
#define SEL_NOTP 0x50    /* writable data, DPL 0, not present */
#define SEL_XONLY 0x58   /* execute-only code, DPL 0 */
#define SEL_RODATA 0x60  /* read-only data, DPL 0 */
#define SEL_TSS2 0x68    /* a second, available 32-bit TSS */
#define SEL_CONF 0x70    /* conforming readable code, DPL 0 */
#define GDT_LIMIT 0x77u

static const uint32_t gdt[][2] = {
    {0, 0},
    {0x0000FFFF, 0x00CF9B00},                             /* 08 code0 */
    {0x0000FFFF, 0x00CF9300},                             /* 10 data0 */
    {0x0000FFFF, 0x00CFFB00},                             /* 18 code3 */
    {0x0000FFFF, 0x00CFF200},                             /* 20 data3 (not accessed) */
    {0x3000FFFF, 0x00009B00},                             /* 28 code16 */
    {0x00000FFF, 0x00009700},                             /* 30 expand-down */
    {(SEL_CODE0 << 16) | GATE_TARGET, 0x0000EC02},        /* 38 call gate */
    {((TSS & 0xFFFF) << 16) | 0x67, 0x00008900 | (TSS >> 16)},   /* 40 TSS */
    {((LDT & 0xFFFF) << 16) | 0x0F, 0x00008200 | (LDT >> 16)},   /* 48 LDT */
    {0x0000FFFF, 0x00CF1300},                             /* 50 not present */
    {0x0000FFFF, 0x00CF9900},                             /* 58 execute-only */
    {0x0000FFFF, 0x00CF9100},                             /* 60 read-only */
    {((TSS2 & 0xFFFF) << 16) | 0x67, 0x00008900 | (TSS2 >> 16)}, /* 68 TSS2 */
    {0x0000FFFF, 0x00CF9F00},                             /* 70 conforming */
};

static void put32(struct harness *h, uint32_t addr, uint32_t v) { mmu_write(h->mem, addr, 4, v); }
static uint32_t get32(struct harness *h, uint32_t addr) { return mmu_read(h->mem, addr, 4); }

static int setup(void **state) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  struct cpu *c = h->cpu;
  for (unsigned k = 0; k < sizeof gdt / sizeof gdt[0]; k++) {
    put32(h, GDT + 8 * k, gdt[k][0]);
    put32(h, GDT + 8 * k + 4, gdt[k][1]);
  }
  put32(h, TSS + 4, RING0_STACK); /* ESP0 */
  put32(h, TSS + 8, SEL_DATA0);   /* SS0 */
  put32(h, LDT, 0x0000FFFF);      /* LDT entry 0: data, DPL 0, base LDT_DATA */
  put32(h, LDT + 4, 0x00409300 | (LDT_DATA >> 16));
  c->gdtr.base = GDT;
  c->gdtr.limit = GDT_LIMIT;
  c->idtr.base = 0;
  c->idtr.limit = 0;
  c->tr = (struct cpu_segment){.selector = SEL_TSS, .base = TSS, .limit = 0x67, .attr = 0x8B};
  *state = h;
  return 0;
}

static int teardown(void **state) {
  harness_free(*state);
  return 0;
}

#define CPU(state) (((struct harness *)*(state))->cpu)
#define REG(h, r) cpu_get_reg((h)->cpu, (r))

/* ---- white-box: one segment load or access check, its fault caught -------- */

/* Returns the vector raised (error code in *err), or -1 if none. */
static int try_load(struct cpu *c, unsigned s, uint16_t sel, uint32_t *err) {
  if (setjmp(c->fault_jmp)) {
    *err = c->fault_error;
    return c->fault_vector;
  }
  cpu_load_sreg(c, s, sel);
  return -1;
}

static int try_access(struct cpu *c, unsigned s, uint32_t off, unsigned n, bool write) {
  if (setjmp(c->fault_jmp))
    return c->fault_vector;
  cpu_segment_check(c, s, off, n, write);
  return -1;
}

static void expect_fault(struct cpu *c, unsigned s, uint16_t sel, int vector, uint32_t error) {
  struct cpu_segment before = c->seg[s];
  uint32_t err = 0xDEAD;
  assert_int_equal(try_load(c, s, sel, &err), vector);
  assert_int_equal(err, error);
  assert_memory_equal(&c->seg[s], &before, sizeof before); /* nothing loaded */
}

/* A run that must fault: the first exception is `vector`, the machine
 * stopped (no IDT to deliver it through). */
static void expect_run_fault(struct harness *h, enum cpu_exit e, int vector) {
  assert_true(e == CPU_EXIT_UNIMPLEMENTED || e == CPU_EXIT_TRIPLE_FAULT);
  assert_int_equal(cpu_first_exception(h->cpu), vector);
}

/* ---- MOV Sreg and friends ------------------------------------------------------ */

static void null_selector_loads_into_ds_and_the_first_access_faults(void **state) {
  struct harness *h = *state;
  uint32_t err;
  assert_int_equal(try_load(h->cpu, CPU_DS, 0x0003, &err), -1);
  assert_int_equal(h->cpu->seg[CPU_DS].selector, 0x0003);
  assert_int_equal(try_access(h->cpu, CPU_DS, 0, 1, false), CPU_EXC_GP);

  /* The same in code: the load succeeds, the read after it faults. */
  cpu_load_sreg(h->cpu, CPU_DS, SEL_DATA0);
  enum cpu_exit e = HARNESS_RUN(h, 0x31, 0xC0,             /* xor eax, eax */
                                0x8E, 0xD8,                /* mov ds, ax */
                                0xB9, 0x01, 0, 0, 0,       /* mov ecx, 1 */
                                0x8B, 0x15, 0, 0x01, 0, 0, /* mov edx, [0x100] */
                                0xF4);
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(REG(h, CPU_ECX), 1);
  assert_int_equal(h->cpu->seg[CPU_DS].selector, 0);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 9); /* at the read */
}

static void null_selector_into_ss_is_gp0(void **state) {
  expect_fault(CPU(state), CPU_SS, 0x0000, CPU_EXC_GP, 0);
  expect_fault(CPU(state), CPU_SS, 0x0003, CPU_EXC_GP, 0);
}

static void selector_past_the_gdt_limit_is_gp_selector(void **state) {
  expect_fault(CPU(state), CPU_DS, 0x0078, CPU_EXC_GP, 0x78);
  expect_fault(CPU(state), CPU_ES, 0x01FB, CPU_EXC_GP, 0x1F8); /* RPL cleared in the error code */
  expect_fault(CPU(state), CPU_SS, 0x0078, CPU_EXC_GP, 0x78);
}

static void ldt_selector_without_an_ldt_is_gp_selector(void **state) {
  expect_fault(CPU(state), CPU_DS, 0x0004, CPU_EXC_GP, 0x04);
}

static void data_segment_privilege_checks_use_max_of_cpl_and_rpl(void **state) {
  struct cpu *c = CPU(state);
  uint32_t err;
  expect_fault(c, CPU_DS, SEL_DATA0 | 3, CPU_EXC_GP, SEL_DATA0); /* RPL 3 > DPL 0 */
  assert_int_equal(try_load(c, CPU_DS, SEL_DATA3 | 3, &err), -1);  /* DPL 3 >= 3 */
  /* At CPL 3 a DPL-0 data segment is out of reach whatever the RPL. */
  c->cpl = 3;
  expect_fault(c, CPU_ES, SEL_DATA0, CPU_EXC_GP, SEL_DATA0);
  /* ... but conforming code is readable from any level. */
  assert_int_equal(try_load(c, CPU_ES, SEL_CONF | 3, &err), -1);
}

static void segment_type_checks_of_data_register_loads(void **state) {
  struct cpu *c = CPU(state);
  uint32_t err;
  expect_fault(c, CPU_DS, SEL_XONLY, CPU_EXC_GP, SEL_XONLY); /* execute-only code */
  expect_fault(c, CPU_DS, SEL_TSS, CPU_EXC_GP, SEL_TSS);     /* system descriptor */
  expect_fault(c, CPU_DS, SEL_GATE, CPU_EXC_GP, SEL_GATE);
  assert_int_equal(try_load(c, CPU_DS, SEL_CODE0, &err), -1); /* readable code */
  assert_int_equal(try_load(c, CPU_FS, SEL_RODATA, &err), -1);
  /* Reading through a read-only segment works, writing faults. */
  assert_int_equal(try_access(c, CPU_FS, 0x100, 4, false), -1);
  assert_int_equal(try_access(c, CPU_FS, 0x100, 4, true), CPU_EXC_GP);
  /* Code segments are never writable. */
  assert_int_equal(try_access(c, CPU_DS, 0x100, 4, true), CPU_EXC_GP);
}

static void not_present_data_segment_is_np_and_stack_segment_is_ss(void **state) {
  expect_fault(CPU(state), CPU_DS, SEL_NOTP, CPU_EXC_NP, SEL_NOTP);
  expect_fault(CPU(state), CPU_SS, SEL_NOTP, CPU_EXC_SS, SEL_NOTP);
}

static void stack_segment_needs_rpl_dpl_equal_cpl_and_writable_data(void **state) {
  struct cpu *c = CPU(state);
  uint32_t err;
  expect_fault(c, CPU_SS, SEL_DATA0 | 1, CPU_EXC_GP, SEL_DATA0); /* RPL != CPL */
  expect_fault(c, CPU_SS, SEL_DATA3, CPU_EXC_GP, SEL_DATA3);     /* DPL != CPL */
  expect_fault(c, CPU_SS, SEL_RODATA, CPU_EXC_GP, SEL_RODATA);   /* read-only */
  expect_fault(c, CPU_SS, SEL_CODE0, CPU_EXC_GP, SEL_CODE0);     /* code */
  assert_int_equal(try_load(c, CPU_SS, SEL_DATA0, &err), -1);
  assert_true(c->stack32);
}

static void load_sets_the_accessed_bit_in_the_gdt(void **state) {
  struct harness *h = *state;
  uint32_t err;
  assert_int_equal(get32(h, GDT + SEL_DATA3 + 4) & 0x100, 0);
  assert_int_equal(try_load(h->cpu, CPU_GS, SEL_DATA3 | 3, &err), -1);
  assert_int_equal(get32(h, GDT + SEL_DATA3 + 4) & 0x100, 0x100);
  assert_int_equal(h->cpu->seg[CPU_GS].attr & 0xFF, 0xF3);
  assert_int_equal(h->cpu->seg[CPU_GS].selector, SEL_DATA3 | 3);
}

static void mov_ds_fault_in_code_leaves_ds_and_registers_unchanged(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xB8, 0x13, 0x00, /* mov ax, 0x13 (RPL 3, DPL 0) */
                                0x8E, 0xD8,                /* mov ds, ax */
                                0xF4);
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(h->cpu->seg[CPU_DS].selector, SEL_DATA0);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 4);
}

/* (A machine that stopped on a triple fault is not run again: a new test.) */
static void mov_es_past_the_gdt_in_code_leaves_es_unchanged(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xB8, 0x78, 0x00, /* mov ax, 0x78 (past the GDT) */
                                0x8E, 0xC0,                /* mov es, ax */
                                0xF4);
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(h->cpu->seg[CPU_ES].selector, SEL_DATA0);
}

static void pop_ss_with_a_bad_selector_leaves_esp_unchanged(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h, 0x6A, SEL_DATA3, /* push 0x20 (DPL 3 != CPL 0) */
                                0x17,               /* pop ss */
                                0xF4);
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(REG(h, CPU_ESP), HARNESS_STACK - 4);
  assert_int_equal(h->cpu->seg[CPU_SS].selector, SEL_DATA0);
}

/* ---- expand-down ----------------------------------------------------------------- */

static void expand_down_segment_allows_offsets_above_the_limit_only(void **state) {
  struct cpu *c = CPU(state);
  uint32_t err;
  assert_int_equal(try_load(c, CPU_ES, SEL_EXPDOWN, &err), -1);
  assert_int_equal(try_access(c, CPU_ES, 0x0FFF, 1, false), CPU_EXC_GP); /* at the limit */
  assert_int_equal(try_access(c, CPU_ES, 0x0FFE, 2, true), CPU_EXC_GP);
  assert_int_equal(try_access(c, CPU_ES, 0x1000, 4, true), -1);           /* just above */
  assert_int_equal(try_access(c, CPU_ES, 0xFFFC, 4, false), -1);          /* up to 0xFFFF (B = 0) */
  assert_int_equal(try_access(c, CPU_ES, 0xFFFE, 4, false), CPU_EXC_GP);  /* past 0xFFFF */
  /* The same limits as a stack give #SS. */
  assert_int_equal(try_load(c, CPU_SS, SEL_EXPDOWN, &err), -1);
  assert_false(c->stack32);
  assert_int_equal(try_access(c, CPU_SS, 0x0800, 2, true), CPU_EXC_SS);
}

static void expand_down_access_in_code(void **state) {
  struct harness *h = *state;
  put32(h, 0x2000, 0x12345678);
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xB8, SEL_EXPDOWN, 0x00, /* mov ax, 0x30 */
                                0x8E, 0xC0,                       /* mov es, ax */
                                0x26, 0x8B, 0x0D, 0x00, 0x20, 0, 0, /* mov ecx, es:[0x2000] */
                                0x26, 0x8B, 0x15, 0x00, 0x08, 0, 0, /* mov edx, es:[0x800] */
                                0xF4);
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(REG(h, CPU_ECX), 0x12345678);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 13);
}

/* ---- far JMP / CALL / RET to code segments ------------------------------------------- */

static void far_jmp_to_a_16_bit_code_segment_runs_16_bit_code(void **state) {
  struct harness *h = *state;
  const uint8_t code16[] = {
      0xB8, 0x34, 0x12, /* mov ax, 0x1234 (16-bit immediate) */
      0x41,             /* inc cx */
      0xF4,             /* hlt */
  };
  mmu_copy_to_guest(h->mem, 0x3010, code16, sizeof code16);
  cpu_set_reg(h->cpu, CPU_ECX, 0xFFFF);
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0x10, 0, 0, 0, SEL_CODE16 | 0, 0); /* jmp 0x28:0x10 */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX) & 0xFFFF, 0x1234);
  assert_int_equal(REG(h, CPU_ECX), 0); /* 16-bit inc: CX wraps, ECX's upper half stays 0 */
  assert_int_equal(h->cpu->seg[CPU_CS].selector, SEL_CODE16);
  assert_int_equal(h->cpu->seg[CPU_CS].base, 0x3000);
  assert_false(h->cpu->code32);
  assert_int_equal(h->cpu->cpl, 0);
}

static void far_jmp_with_rpl_3_to_ring_0_code_is_gp(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0x10, 0, 0, 0, SEL_CODE16 | 3, 0);
  /* Non-conforming: RPL > CPL is #GP(selector). */
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(h->cpu->seg[CPU_CS].selector, SEL_CODE0);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE);
}

static void far_jmp_to_conforming_code_keeps_cpl_and_sets_rpl(void **state) {
  struct harness *h = *state;
  /* jmp 0x73:0x1010 (RPL 3 ignored for conforming code: CS.RPL := CPL) */
  mmu_write(h->mem, 0x1010, 1, 0xF4);
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0x10, 0x10, 0, 0, SEL_CONF | 3, 0);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(h->cpu->seg[CPU_CS].selector, SEL_CONF);
  assert_int_equal(h->cpu->cpl, 0);
}

static void far_call_and_far_ret_at_the_same_level(void **state) {
  struct harness *h = *state;
  const uint8_t target[] = {0x42, 0xCB}; /* inc edx; retf */
  mmu_copy_to_guest(h->mem, 0x1100, target, sizeof target);
  cpu_set_reg(h->cpu, CPU_EDX, 0);
  enum cpu_exit e = HARNESS_RUN(h, 0x9A, 0x00, 0x11, 0, 0, SEL_CODE0, 0, /* call 0x08:0x1100 */
                                0x42,                                    /* inc edx */
                                0xF4);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EDX), 2);
  assert_int_equal(REG(h, CPU_ESP), HARNESS_STACK);
  assert_int_equal(get32(h, HARNESS_STACK - 4), SEL_CODE0);
  assert_int_equal(get32(h, HARNESS_STACK - 8), HARNESS_CODE + 7);
}

/* The second TSS is all zeros: the switch commits (TR is loaded), then its
 * null SS is #TS in the new task (test_tasks.c covers task switches). */
static void far_jmp_to_a_tss_switches_tasks(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h, 0xEA, 0, 0, 0, 0, SEL_TSS2, 0);
  expect_run_fault(h, e, CPU_EXC_TS);
  assert_int_equal(h->cpu->tr.selector, SEL_TSS2);
}

/* ---- rings: far RET to ring 3, a call gate back, IRET ----------------------------------- */

/* Ring 0 loads GS with ring-3 data and FS with conforming code, then far
 * RETs to ring 3 through a pushed frame: DS and ES (DPL 0 data) become
 * null, FS and GS stay. Ring 3 pushes two parameters and calls ring 0
 * through the gate, which copies them onto the ring-0 stack from the TSS;
 * the gate target reads them and returns with RETF 8 to ring 3. */
static void far_ret_to_ring_3_and_call_gate_back_to_ring_0(void **state) {
  struct harness *h = *state;
  const uint8_t ring3[] = {
      0x8C, 0xD8,                         /* 1200: mov eax, ds */
      0x8C, 0xE3,                         /* 1202: mov ebx, fs */
      0x8C, 0xEE,                         /* 1204: mov esi, gs */
      0x68, 0x11, 0x11, 0, 0,             /* 1206: push 0x1111 */
      0x68, 0x22, 0x22, 0, 0,             /* 120b: push 0x2222 */
      0x9A, 0, 0, 0, 0, SEL_GATE | 3, 0, /* 1210: call 0x3b:0 (the gate) */
      0xEB, 0xFE,                         /* 1217: jmp $ */
  };
  const uint8_t gate_target[] = {
      0x8B, 0x4C, 0x24, 0x08, /* mov ecx, [esp+8] */
      0x8B, 0x54, 0x24, 0x0C, /* mov edx, [esp+12] */
      0x8B, 0x6C, 0x24, 0x10, /* mov ebp, [esp+16] */
      0x8C, 0xD7,             /* mov edi, ss */
      0xCA, 0x08, 0x00,       /* retf 8 */
  };
  mmu_copy_to_guest(h->mem, RING3_CODE, ring3, sizeof ring3);
  mmu_copy_to_guest(h->mem, GATE_TARGET, gate_target, sizeof gate_target);
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xB8, SEL_DATA3 | 3, 0x00, /* mov ax, 0x23 */
                                0x8E, 0xE8,                         /* mov gs, ax */
                                0x66, 0xB8, SEL_CONF, 0x00,         /* mov ax, 0x70 */
                                0x8E, 0xE0,                         /* mov fs, ax */
                                0x6A, SEL_DATA3 | 3,                /* push 0x23 (SS) */
                                0x68, 0x00, 0x70, 0, 0,             /* push 0x7000 (ESP) */
                                0x6A, SEL_CODE3 | 3,                /* push 0x1b (CS) */
                                0x68, 0x00, 0x12, 0, 0,             /* push 0x1200 (EIP) */
                                0xCB);                              /* retf */
  assert_int_equal(e, CPU_EXIT_BUDGET); /* spinning in ring 3 */
  struct cpu *c = h->cpu;
  assert_int_equal(c->cpl, 3);
  assert_int_equal(c->seg[CPU_CS].selector, SEL_CODE3 | 3);
  assert_int_equal(c->seg[CPU_SS].selector, SEL_DATA3 | 3);
  assert_int_equal(REG(h, CPU_ESP), RING3_STACK); /* RETF 8 released the parameters */
  assert_int_equal(cpu_get_eip(c), RING3_CODE + 0x17);

  /* The nulling rule on the return to ring 3. */
  assert_int_equal(REG(h, CPU_EAX), 0);
  assert_int_equal(REG(h, CPU_EBX), SEL_CONF);
  assert_int_equal(REG(h, CPU_ESI), SEL_DATA3 | 3);
  assert_int_equal(c->seg[CPU_DS].selector, 0);
  assert_int_equal(c->seg[CPU_ES].selector, 0);
  assert_int_equal(c->seg[CPU_FS].selector, SEL_CONF);

  /* In ring 0: the parameters, the old stack, the stack from the TSS. */
  assert_int_equal(REG(h, CPU_ECX), 0x2222);
  assert_int_equal(REG(h, CPU_EDX), 0x1111);
  assert_int_equal(REG(h, CPU_EBP), RING3_STACK - 8);
  assert_int_equal(REG(h, CPU_EDI), SEL_DATA0);
  assert_int_equal(get32(h, RING0_STACK - 4), SEL_DATA3 | 3);
  assert_int_equal(get32(h, RING0_STACK - 8), RING3_STACK - 8);
  assert_int_equal(get32(h, RING0_STACK - 12), 0x1111);
  assert_int_equal(get32(h, RING0_STACK - 16), 0x2222);
  assert_int_equal(get32(h, RING0_STACK - 20), SEL_CODE3 | 3);
  assert_int_equal(get32(h, RING0_STACK - 24), RING3_CODE + 0x17);
}

/* At ring 3, a call gate with DPL 3 to ring 0 halts there: CPL 0, CS.RPL 0. */
static void call_gate_switches_cpl_and_stack(void **state) {
  struct harness *h = *state;
  const uint8_t ring3[] = {0x9A, 0, 0, 0, 0, SEL_GATE | 3, 0}; /* call 0x3b:0 */
  mmu_copy_to_guest(h->mem, RING3_CODE, ring3, sizeof ring3);
  mmu_write(h->mem, GATE_TARGET, 1, 0xF4); /* hlt */
  enum cpu_exit e = HARNESS_RUN(h, 0x6A, SEL_DATA3 | 3, 0x68, 0x00, 0x70, 0, 0, 0x6A, SEL_CODE3 | 3, 0x68,
                                0x00, 0x12, 0, 0, 0xCB);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(h->cpu->cpl, 0);
  assert_int_equal(h->cpu->seg[CPU_CS].selector, SEL_CODE0);
  assert_int_equal(h->cpu->seg[CPU_SS].selector, SEL_DATA0);
  /* SS, ESP, 2 parameters, CS, EIP */
  assert_int_equal(REG(h, CPU_ESP), RING0_STACK - 24);
}

/* A 286 (16-bit) call gate pushes 16-bit slots: SS, SP, the parameter
 * words, CS, IP, and its offset is 16 bits. */
static void call_through_a_16_bit_gate_pushes_words(void **state) {
  struct harness *h = *state;
  put32(h, GDT + SEL_GATE + 4, 0xFFFFE402); /* type 4, DPL 3, 2 words; offset[31:16] ignored */
  const uint8_t ring3[] = {
      0x68, 0x22, 0x22, 0x11, 0x11,      /* push 0x11112222: the two parameter words */
      0x9A, 0, 0, 0, 0, SEL_GATE | 3, 0, /* call 0x3b:0 */
  };
  mmu_copy_to_guest(h->mem, RING3_CODE, ring3, sizeof ring3);
  mmu_write(h->mem, GATE_TARGET, 1, 0xF4);
  enum cpu_exit e = HARNESS_RUN(h, 0x6A, SEL_DATA3 | 3, 0x68, 0x00, 0x70, 0, 0, 0x6A, SEL_CODE3 | 3, 0x68,
                                0x00, 0x12, 0, 0, 0xCB);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(h->cpu->cpl, 0);
  assert_int_equal(cpu_get_eip(h->cpu), GATE_TARGET + 1);
  assert_int_equal(REG(h, CPU_ESP), RING0_STACK - 12);
  /* SS above SP, the words in their order, CS above IP */
  assert_int_equal(get32(h, RING0_STACK - 4), ((SEL_DATA3 | 3) << 16) | (RING3_STACK - 4));
  assert_int_equal(get32(h, RING0_STACK - 8), 0x11112222);
  assert_int_equal(get32(h, RING0_STACK - 12), ((SEL_CODE3 | 3) << 16) | (RING3_CODE + 12));
}

/* The ring-0 stack selector in the TSS is null: #TS, nothing changes. */
static void call_gate_with_a_null_tss_stack_is_ts(void **state) {
  struct harness *h = *state;
  put32(h, TSS + 8, 0);
  const uint8_t ring3[] = {0x9A, 0, 0, 0, 0, SEL_GATE | 3, 0};
  mmu_copy_to_guest(h->mem, RING3_CODE, ring3, sizeof ring3);
  enum cpu_exit e = HARNESS_RUN(h, 0x6A, SEL_DATA3 | 3, 0x68, 0x00, 0x70, 0, 0, 0x6A, SEL_CODE3 | 3, 0x68,
                                0x00, 0x12, 0, 0, 0xCB);
  expect_run_fault(h, e, CPU_EXC_TS);
  assert_int_equal(h->cpu->cpl, 3);
  assert_int_equal(h->cpu->seg[CPU_SS].selector, SEL_DATA3 | 3);
  assert_int_equal(REG(h, CPU_ESP), RING3_STACK);
}

/* A gate whose DPL is below CPL cannot be called: ring 3 through a DPL-0
 * gate is #GP(gate selector). */
static void call_gate_with_dpl_below_cpl_is_gp(void **state) {
  struct harness *h = *state;
  put32(h, GDT + SEL_GATE + 4, 0x00008C02); /* the gate with DPL 0 */
  const uint8_t ring3[] = {0x9A, 0, 0, 0, 0, SEL_GATE | 3, 0};
  mmu_copy_to_guest(h->mem, RING3_CODE, ring3, sizeof ring3);
  enum cpu_exit e = HARNESS_RUN(h, 0x6A, SEL_DATA3 | 3, 0x68, 0x00, 0x70, 0, 0, 0x6A, SEL_CODE3 | 3, 0x68,
                                0x00, 0x12, 0, 0, 0xCB);
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(h->cpu->cpl, 3);
  assert_int_equal(cpu_get_eip(h->cpu), RING3_CODE);
  assert_int_equal(REG(h, CPU_ESP), RING3_STACK);
}

/* RETF to a more privileged level is #GP(selector): RPL < CPL. */
static void far_ret_to_an_inner_level_is_gp(void **state) {
  struct harness *h = *state;
  const uint8_t ring3[] = {
      0x6A, SEL_CODE0,              /* push 0x08 */
      0x68, 0x00, 0x10, 0x00, 0x00, /* push 0x1000 */
      0xCB,                         /* retf */
  };
  mmu_copy_to_guest(h->mem, RING3_CODE, ring3, sizeof ring3);
  enum cpu_exit e = HARNESS_RUN(h, 0x6A, SEL_DATA3 | 3, 0x68, 0x00, 0x70, 0, 0, 0x6A, SEL_CODE3 | 3, 0x68,
                                0x00, 0x12, 0, 0, 0xCB);
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(h->cpu->cpl, 3);
  assert_int_equal(cpu_get_eip(h->cpu), RING3_CODE + 7);
  assert_int_equal(REG(h, CPU_ESP), RING3_STACK - 8);
}

/* IRETD from ring 0 to ring 3 loads IOPL and IF from the image; at ring 3
 * with IOPL 3 a same-level IRETD loads IF but cannot change IOPL. */
static void iret_to_ring_3_and_eflags_rules_by_cpl(void **state) {
  struct harness *h = *state;
  const uint8_t ring3[] = {
      0x8C, 0xD9,                         /* 1200: mov ecx, ds */
      0x9C,                               /* 1202: pushfd */
      0x5A,                               /* 1203: pop edx */
      0x6A, 0x02,                         /* 1204: push 0x2 (IF 0, IOPL 0) */
      0x6A, SEL_CODE3 | 3,                /* 1206: push 0x1b */
      0x68, 0x20, 0x12, 0, 0,             /* 1208: push 0x1220 */
      0xCF,                               /* 120d: iretd */
  };
  mmu_copy_to_guest(h->mem, RING3_CODE, ring3, sizeof ring3);
  const uint8_t spin[] = {0xEB, 0xFE};
  mmu_copy_to_guest(h->mem, RING3_CODE + 0x20, spin, sizeof spin);
  enum cpu_exit e = HARNESS_RUN(h, 0x6A, SEL_DATA3 | 3,          /* push ss */
                                0x68, 0x00, 0x70, 0, 0,          /* push esp */
                                0x68, 0x02, 0x32, 0, 0,          /* push 0x3202: IOPL 3, IF */
                                0x6A, SEL_CODE3 | 3,             /* push cs */
                                0x68, 0x00, 0x12, 0, 0,          /* push eip */
                                0xCF);                           /* iretd */
  assert_int_equal(e, CPU_EXIT_BUDGET);
  struct cpu *c = h->cpu;
  assert_int_equal(c->cpl, 3);
  assert_int_equal(REG(h, CPU_ECX), 0);                        /* DS nulled */
  assert_int_equal(REG(h, CPU_EDX) & 0x3200, 0x3200);          /* IOPL 3, IF after the first IRETD */
  assert_int_equal(cpu_get_eflags(c) & CPU_FLAG_IOPL, 0x3000); /* kept at CPL 3 */
  assert_int_equal(cpu_get_eflags(c) & CPU_FLAG_IF, 0);        /* CPL 3 <= IOPL 3: loaded */
  assert_int_equal(cpu_get_eip(c), RING3_CODE + 0x20);
  assert_int_equal(REG(h, CPU_ESP), RING3_STACK);
}

/* IRET with NT returns to the task of the back link; a null one is #TS
 * before anything changes (test_tasks.c covers task returns). */
static void iret_with_nt_and_a_null_back_link_is_ts(void **state) {
  struct harness *h = *state;
  cpu_set_eflags(h->cpu, 0x4002);
  enum cpu_exit e = HARNESS_RUN(h, 0xCF);
  expect_run_fault(h, e, CPU_EXC_TS);
  assert_int_equal(h->cpu->tr.selector, SEL_TSS);
}

/* ---- LLDT SLDT LTR STR ----------------------------------------------------------------------- */

static void lldt_loads_the_ldt_and_ldt_selectors_reach_it(void **state) {
  struct harness *h = *state;
  put32(h, LDT_DATA + 0x10, 0xCAFEBABE);
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xB8, SEL_LDT, 0x00,       /* mov ax, 0x48 */
                                0x0F, 0x00, 0xD0,                   /* lldt ax */
                                0x66, 0xB8, 0x04, 0x00,             /* mov ax, 0x04 (LDT entry 0) */
                                0x8E, 0xC0,                         /* mov es, ax */
                                0x26, 0x8B, 0x0D, 0x10, 0, 0, 0,    /* mov ecx, es:[0x10] */
                                0x0F, 0x00, 0xC2,                   /* sldt edx */
                                0xF4);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_ECX), 0xCAFEBABE);
  assert_int_equal(REG(h, CPU_EDX), SEL_LDT);
  assert_int_equal(h->cpu->ldtr.base, LDT);
  assert_int_equal(h->cpu->ldtr.limit, 0x0F);
  assert_int_equal(h->cpu->seg[CPU_ES].base, LDT_DATA);
}

static void lldt_of_a_non_ldt_descriptor_is_gp(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xB8, SEL_DATA0, 0x00, 0x0F, 0x00, 0xD0, 0xF4);
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(h->cpu->ldtr.selector, 0);
}

static void ltr_loads_tr_and_marks_the_tss_busy(void **state) {
  struct harness *h = *state;
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xB8, SEL_TSS2, 0x00, /* mov ax, 0x68 */
                                0x0F, 0x00, 0xD8,              /* ltr ax */
                                0x0F, 0x00, 0xC9,              /* str ecx */
                                0xF4);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_ECX), SEL_TSS2);
  assert_int_equal(h->cpu->tr.selector, SEL_TSS2);
  assert_int_equal(h->cpu->tr.base, TSS2);
  assert_int_equal(h->cpu->tr.attr & 0x8F, 0x8B);
  assert_int_equal((get32(h, GDT + SEL_TSS2 + 4) >> 8) & 0xFF, 0x8B); /* busy in the GDT */

}

static void ltr_of_a_busy_tss_is_gp(void **state) {
  struct harness *h = *state;
  put32(h, GDT + SEL_TSS2 + 4, 0x00008B00 | (TSS2 >> 16));
  enum cpu_exit e = HARNESS_RUN(h, 0x66, 0xB8, SEL_TSS2, 0x00, 0x0F, 0x00, 0xD8, 0xF4);
  expect_run_fault(h, e, CPU_EXC_GP);
  assert_int_equal(h->cpu->tr.selector, SEL_TSS);
}

static void system_instructions_are_ud_in_real_mode(void **state) {
  (void)state;
  struct harness *h = harness_new(HARNESS_REAL16);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x00, 0xC0, 0xF4), CPU_EXIT_HALT); /* sldt ax */
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_UD);
  cpu_clear_first_exception(h->cpu);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x02, 0xC8, 0xF4), CPU_EXIT_HALT); /* lar cx, ax */
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_UD);
  cpu_clear_first_exception(h->cpu);
  assert_int_equal(HARNESS_RUN(h, 0x63, 0xC8, 0xF4), CPU_EXIT_HALT); /* arpl ax, cx */
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_UD);
  harness_free(h);
}

/* ---- LAR LSL VERR VERW ARPL -------------------------------------------------------------------- */

/* Runs `mov eax, sel; <op> ; hlt` with ECX preset and ZF preset to the
 * opposite of `zf`; checks ZF, returns ECX. */
static uint32_t query(struct harness *h, uint8_t op0, uint8_t op1, uint8_t modrm, uint16_t sel, bool zf) {
  cpu_set_reg(h->cpu, CPU_ECX, 0xDEADBEEF);
  cpu_set_eflags(h->cpu, zf ? 0x2 : 0x42);
  const uint8_t code[] = {0xB8, (uint8_t)sel, (uint8_t)(sel >> 8), 0, 0, op0, op1, modrm, 0xF4};
  assert_int_equal(harness_run(h, code, sizeof code, 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(h->cpu), -1);
  assert_int_equal((cpu_get_eflags(h->cpu) & CPU_FLAG_ZF) != 0, zf);
  return REG(h, CPU_ECX);
}

#define LAR(h, sel, zf) query((h), 0x0F, 0x02, 0xC8, (sel), (zf)) /* lar ecx, eax */
#define LSL(h, sel, zf) query((h), 0x0F, 0x03, 0xC8, (sel), (zf)) /* lsl ecx, eax */
#define VERR(h, sel, zf) query((h), 0x0F, 0x00, 0xE0, (sel), (zf))
#define VERW(h, sel, zf) query((h), 0x0F, 0x00, 0xE8, (sel), (zf))

static void lar_returns_access_rights_of_visible_descriptors(void **state) {
  struct harness *h = *state;
  assert_int_equal(LAR(h, SEL_DATA0, true), 0x00C09300);
  assert_int_equal(LAR(h, SEL_CODE16, true), 0x00009B00);
  assert_int_equal(LAR(h, SEL_TSS2, true), 0x00008900);
  assert_int_equal(LAR(h, SEL_GATE, true), 0x0000EC00);
  assert_int_equal(LAR(h, SEL_NOTP, true), 0x00C01300); /* P is not checked */
  assert_int_equal(LAR(h, SEL_CONF | 3, true), 0x00C09F00);
  /* Invalid: ZF clear, ECX unchanged, no fault. */
  assert_int_equal(LAR(h, 0, false), 0xDEADBEEF);
  assert_int_equal(LAR(h, 0x78, false), 0xDEADBEEF);          /* past the GDT */
  assert_int_equal(LAR(h, SEL_DATA0 | 3, false), 0xDEADBEEF); /* RPL > DPL */
  assert_int_equal(LAR(h, 0x04, false), 0xDEADBEEF);          /* no LDT */
}

static void lsl_returns_the_byte_limit(void **state) {
  struct harness *h = *state;
  assert_int_equal(LSL(h, SEL_DATA0, true), 0xFFFFFFFF); /* G = 1 */
  assert_int_equal(LSL(h, SEL_EXPDOWN, true), 0x0FFF);
  assert_int_equal(LSL(h, SEL_TSS2, true), 0x67);
  assert_int_equal(LSL(h, SEL_LDT, true), 0x0F);
  assert_int_equal(LSL(h, SEL_GATE, false), 0xDEADBEEF); /* gates have no limit */
  assert_int_equal(LSL(h, 0, false), 0xDEADBEEF);
}

static void verr_and_verw_by_type_and_privilege(void **state) {
  struct harness *h = *state;
  VERR(h, SEL_DATA0, true);
  VERW(h, SEL_DATA0, true);
  VERR(h, SEL_CODE0, true); /* readable code */
  VERW(h, SEL_CODE0, false);
  VERR(h, SEL_XONLY, false);
  VERR(h, SEL_RODATA, true);
  VERW(h, SEL_RODATA, false);
  VERR(h, SEL_TSS, false);
  VERR(h, 0, false);
  VERW(h, 0x78, false);
  VERR(h, SEL_DATA0 | 3, false); /* RPL 3 > DPL 0 */
  VERR(h, SEL_CONF | 3, true);   /* conforming: no privilege check */
  VERW(h, SEL_DATA3 | 3, true);
}

static void arpl_raises_the_rpl_of_the_destination(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0xFFFF0010);
  cpu_set_reg(h->cpu, CPU_ECX, 0x0003);
  assert_int_equal(HARNESS_RUN(h, 0x63, 0xC8, /* arpl ax, cx */
                               0x0F, 0x94, 0xC2, /* setz dl */
                               0x63, 0xC8,       /* arpl ax, cx again */
                               0x0F, 0x94, 0xC6, /* setz dh */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 0xFFFF0013);
  assert_int_equal(REG(h, CPU_EDX) & 0xFFFF, 0x0001); /* ZF 1, then 0 */
}

static void arpl_with_a_memory_destination(void **state) {
  struct harness *h = *state;
  put32(h, 0x2000, 0xAAAA0021);
  cpu_set_reg(h->cpu, CPU_ECX, 0x0002);
  assert_int_equal(HARNESS_RUN(h, 0x63, 0x0D, 0x00, 0x20, 0, 0, 0xF4), CPU_EXIT_HALT); /* arpl [0x2000], cx */
  assert_int_equal(get32(h, 0x2000), 0xAAAA0022);
  assert_true(cpu_get_eflags(h->cpu) & CPU_FLAG_ZF);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(null_selector_loads_into_ds_and_the_first_access_faults),
      T(null_selector_into_ss_is_gp0),
      T(selector_past_the_gdt_limit_is_gp_selector),
      T(ldt_selector_without_an_ldt_is_gp_selector),
      T(data_segment_privilege_checks_use_max_of_cpl_and_rpl),
      T(segment_type_checks_of_data_register_loads),
      T(not_present_data_segment_is_np_and_stack_segment_is_ss),
      T(stack_segment_needs_rpl_dpl_equal_cpl_and_writable_data),
      T(load_sets_the_accessed_bit_in_the_gdt),
      T(mov_ds_fault_in_code_leaves_ds_and_registers_unchanged),
      T(mov_es_past_the_gdt_in_code_leaves_es_unchanged),
      T(pop_ss_with_a_bad_selector_leaves_esp_unchanged),
      T(expand_down_segment_allows_offsets_above_the_limit_only),
      T(expand_down_access_in_code),
      T(far_jmp_to_a_16_bit_code_segment_runs_16_bit_code),
      T(far_jmp_with_rpl_3_to_ring_0_code_is_gp),
      T(far_jmp_to_conforming_code_keeps_cpl_and_sets_rpl),
      T(far_call_and_far_ret_at_the_same_level),
      T(far_jmp_to_a_tss_switches_tasks),
      T(far_ret_to_ring_3_and_call_gate_back_to_ring_0),
      T(call_gate_switches_cpl_and_stack),
      T(call_through_a_16_bit_gate_pushes_words),
      T(call_gate_with_a_null_tss_stack_is_ts),
      T(call_gate_with_dpl_below_cpl_is_gp),
      T(far_ret_to_an_inner_level_is_gp),
      T(iret_to_ring_3_and_eflags_rules_by_cpl),
      T(iret_with_nt_and_a_null_back_link_is_ts),
      T(lldt_loads_the_ldt_and_ldt_selectors_reach_it),
      T(lldt_of_a_non_ldt_descriptor_is_gp),
      T(ltr_loads_tr_and_marks_the_tss_busy),
      T(ltr_of_a_busy_tss_is_gp),
      T(system_instructions_are_ud_in_real_mode),
      T(lar_returns_access_rights_of_visible_descriptors),
      T(lsl_returns_the_byte_limit),
      T(verr_and_verw_by_type_and_privilege),
      T(arpl_raises_the_rpl_of_the_destination),
      T(arpl_with_a_memory_destination),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
