/* tests/cpu/test_v86.c - virtual-8086 mode (SDM vol. 3, chapter 20): entered
 * by IRETD with VM = 1 from ring 0, 8086 code with segment = selector * 16,
 * INT n (IOPL 3) to a ring-0 handler through the IDT with the v86 frame and
 * IRETD back, the IOPL-sensitive instructions faulting to the monitor with
 * IOPL < 3, a gate to a code segment other than ring 0 (#GP), I/O through
 * the TSS bitmap whatever IOPL says, and the counters and cycles.
 *
 * The monitor is ring 0 of the harness's flat 32-bit machine:
 *
 *   0x01000  monitor code: IRETD (harness)   0x10000  GDT
 *   0x02000  v86 code (CS 0x0200)            0x11000  IDT (DPL-3 interrupt
 *   0x03000  v86 data (DS 0x0300)                     gates to 0x13000 + 16v)
 *   0x05000  v86 stack (SS 0x0500, SP 0xFFE) 0x12000  TSS (ESP0 0x9000)
 *   0x08000  monitor stack (harness)         0x13000  handlers: HLT
 *   0x09000  ring-0 stack from the TSS
 *
 *   GDT  0x08 code 0   0x10 data 0   0x18 code 3   0x20 data 3   0x28 TSS
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu-internal.h"
#include "harness.h"

#define TSS HARNESS_TSS
#define RING0_STACK 0x9000u

#define V86_CS 0x0200u
#define V86_DS 0x0300u
#define V86_ES 0x0400u
#define V86_SS 0x0500u
#define V86_FS 0x0600u
#define V86_GS 0x0700u
#define V86_SP 0x0FFEu

#define IOPL3 0x3000u

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

static uint32_t rd32(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 4); }
static void wr32(struct harness *h, uint32_t a, uint32_t v) { mmu_write(h->mem, a, 4, v); }

struct ports {
  unsigned ins, outs;
  uint16_t last;
};

static uint32_t port_in(void *ctx, uint16_t port, unsigned n) {
  struct ports *p = ctx;
  (void)n;
  p->ins++;
  p->last = port;
  return 0x5A5A5A5A;
}

static void port_out(void *ctx, uint16_t port, unsigned n, uint32_t v) {
  struct ports *p = ctx;
  (void)n;
  (void)v;
  p->outs++;
  p->last = port;
}

static const struct cpu_io_ops io_ops = {port_in, port_out};

struct fixture {
  struct harness *h;
  struct ports ports;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  struct harness *h = harness_new_io(HARNESS_FLAT32, &io_ops, &f->ports);
  f->h = h;
  harness_pm_tables(h, RING0_STACK, 3); /* gates of DPL 3, for INT n from v86 */
  /* TSS with an I/O bitmap for ports 0-0x3FF at +0x68: limit 0xE8 */
  harness_tss_io_bitmap(h, 0x28, TSS);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  harness_free(f->h);
  free(f);
  return 0;
}

/* Places v86 code at V86_CS:0 and runs the monitor's IRETD into it with
 * the given EFLAGS (VM added) until the machine stops. */
static enum cpu_exit run_v86(struct harness *h, uint32_t eflags, const uint8_t *code, size_t n) {
  mmu_copy_to_guest(h->mem, V86_CS * 16, code, n);
  uint32_t esp = HARNESS_STACK - 36;
  const uint32_t frame[9] = {0, V86_CS, eflags | CPU_FLAG_VM | 0x2, V86_SP, V86_SS, V86_ES, V86_DS, V86_FS, V86_GS};
  for (unsigned k = 0; k < 9; k++)
    wr32(h, esp + 4 * k, frame[k]);
  cpu_set_reg(h->cpu, CPU_ESP, esp);
  return harness_run(h, (const uint8_t[]){0xCF}, 1, 100000); /* iretd */
}

#define RUN_V86(h, flags, ...) \
  run_v86((h), (flags), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static uint16_t sel_of(struct harness *h, enum cpu_sreg s) {
  struct cpu_segment seg;
  cpu_get_segment(h->cpu, s, &seg);
  return seg.selector;
}

/* The monitor's view of a fault from v86 through a 32-bit gate with an
 * error code: error, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS. */
static void assert_v86_frame(struct harness *h, uint32_t ip, bool error) {
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(esp, RING0_STACK - (error ? 40 : 36));
  if (error)
    esp += 4;
  assert_int_equal(rd32(h, esp), ip);
  assert_int_equal(rd32(h, esp + 4), V86_CS);
  assert_true(rd32(h, esp + 8) & CPU_FLAG_VM);
  assert_int_equal(rd32(h, esp + 12), V86_SP);
  assert_int_equal(rd32(h, esp + 16), V86_SS);
  assert_int_equal(rd32(h, esp + 20), V86_ES);
  assert_int_equal(rd32(h, esp + 24), V86_DS);
  assert_int_equal(rd32(h, esp + 28), V86_FS);
  assert_int_equal(rd32(h, esp + 32), V86_GS);
}

/* ---- entering, running, leaving ------------------------------------------------ */

static void iretd_with_vm_enters_v86_where_segments_are_selector_times_16(void **state) {
  struct fixture *f = *state;
  struct harness *h = f->h;
  mmu_write(h->mem, V86_DS * 16 + 0x10, 2, 0xBEEF);
  mmu_write(h->mem, 0x7000 + 0x10, 2, 0xCAFE);
  enum cpu_exit e = RUN_V86(h, IOPL3, 0xA1, 0x10, 0x00, /* mov ax, [0x10] */
                            0xB9, 0x00, 0x07,             /* mov cx, 0x0700 */
                            0x8E, 0xC1,                   /* mov es, cx */
                            0x26, 0x8B, 0x1E, 0x10, 0x00, /* mov bx, es:[0x10] */
                            0x50,                         /* push ax */
                            0xF4);                        /* hlt: #GP to the monitor */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX) & 0xFFFF, 0xBEEF);
  assert_int_equal(REG(h, CPU_EBX) & 0xFFFF, 0xCAFE);
  assert_int_equal(mmu_read(h->mem, V86_SS * 16 + V86_SP - 2, 2), 0xBEEF);
  /* HLT at CPL 3 is #GP(0): the monitor's handler, on the TSS's ring-0 stack */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(h->cpu->mode, CPU_MODE_PROT);
  assert_int_equal(h->cpu->cpl, 0);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), 0); /* error code */
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(rd32(h, esp + 4), 14); /* the HLT's IP */
  assert_int_equal(rd32(h, esp + 24), 0x0700); /* ES as the v86 code left it */
  assert_int_equal(rd32(h, esp + 16), V86_SP - 2);
  /* the handler starts with the data segment registers null */
  assert_int_equal(sel_of(h, CPU_DS), 0);
  assert_int_equal(sel_of(h, CPU_ES), 0);
  assert_int_equal(sel_of(h, CPU_FS), 0);
  assert_int_equal(sel_of(h, CPU_GS), 0);
  assert_int_equal(sel_of(h, CPU_SS), 0x10);
  assert_false(cpu_get_eflags(h->cpu) & CPU_FLAG_VM);
}

static void int_n_with_iopl_3_goes_to_the_ring_0_handler_and_iretd_returns(void **state) {
  struct fixture *f = *state;
  struct harness *h = f->h;
  const uint8_t handler40[] = {0x41, 0xCF}; /* inc ecx; iretd */
  mmu_copy_to_guest(h->mem, harness_handler(0x40), handler40, sizeof handler40);
  cpu_set_reg(h->cpu, CPU_ECX, 0);
  cpu_set_reg(h->cpu, CPU_EBX, 0);
  enum cpu_exit e = RUN_V86(h, IOPL3 | CPU_FLAG_IF, 0xCD, 0x40, /* int 0x40 */
                            0x43,                                /* inc bx */
                            0xCD, 0x40,                          /* int 0x40 */
                            0x43,                                /* inc bx */
                            0xF4);                               /* hlt */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_ECX), 2);
  assert_int_equal(REG(h, CPU_EBX), 2);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_v86_frame(h, 6, true);
  const struct trace_counters *k = cpu_counters(h->cpu);
  assert_int_equal(trace_counter_at(k, TRACE_EV_softint, 0x40), 2);
  /* into v86 (IRETD x 3) and out of it (INT x 2, #GP) */
  assert_int_equal(trace_counter_at(k, TRACE_EV_ring, TRACE_RING_INDEX(0, 3)), 3);
  assert_int_equal(trace_counter_at(k, TRACE_EV_ring, TRACE_RING_INDEX(3, 0)), 3);
}

static void the_handler_sees_the_v86_frame_of_int_n(void **state) {
  struct fixture *f = *state;
  struct harness *h = f->h;
  enum cpu_exit e = RUN_V86(h, IOPL3, 0x90, 0xCD, 0x41); /* nop; int 0x41 */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x41) + 1);
  assert_v86_frame(h, 3, false);
  assert_false(cpu_get_eflags(h->cpu) & CPU_FLAG_IF); /* interrupt gate */
}

/* ---- IOPL-sensitive instructions ---------------------------------------------------- */

static void cli_with_iopl_below_3_faults_to_the_monitor(void **state) {
  struct fixture *f = *state;
  struct harness *h = f->h;
  enum cpu_exit e = RUN_V86(h, CPU_FLAG_IF, 0x90, 0xFA); /* nop; cli */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_v86_frame(h, 1, true);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), 0);
  assert_true(rd32(h, REG(h, CPU_ESP) + 12) & CPU_FLAG_IF); /* not cleared */
}

static void int_n_pushf_popf_sti_with_iopl_below_3_fault_to_the_monitor(void **state) {
  static const uint8_t insns[][2] = {{0xCD, 0x40}, {0x9C, 0x90}, {0x9D, 0x90}, {0xFB, 0x90}, {0xCF, 0x90}};
  for (unsigned k = 0; k < sizeof insns / sizeof insns[0]; k++) {
    struct fixture *f = *state;
    struct harness *h = f->h;
    enum cpu_exit e = run_v86(h, 0x1000 /* IOPL 1 */, insns[k], 2);
    assert_int_equal(e, CPU_EXIT_HALT);
    assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
    assert_v86_frame(h, 0, true);
  }
}

static void iretd_in_v86_with_iopl_3_is_the_real_mode_iret(void **state) {
  struct fixture *f = *state;
  struct harness *h = f->h;
  /* a real-mode style frame on the v86 stack: IP 0x20, CS 0x0200, FLAGS */
  const uint8_t code[] = {0x9C,                   /* pushf */
                          0x0E,                   /* push cs */
                          0x68, 0x20, 0x00,       /* push 0x20 */
                          0xCF};                  /* iret */
  mmu_write(h->mem, V86_CS * 16 + 0x20, 1, 0xF4); /* hlt */
  enum cpu_exit e = run_v86(h, IOPL3, code, sizeof code);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_v86_frame(h, 0x20, true);
}

/* ---- gates, I/O --------------------------------------------------------------------- */

static void a_gate_to_a_ring_3_code_segment_is_gp_with_its_selector(void **state) {
  struct fixture *f = *state;
  struct harness *h = f->h;
  harness_idt_gate(h, 0x42, 0xE, 3, 0x18, harness_handler(0x42));
  enum cpu_exit e = RUN_V86(h, IOPL3, 0xCD, 0x42);
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), 0x18);
}

static void in_and_out_in_v86_follow_the_io_bitmap_whatever_iopl(void **state) {
  struct fixture *f = *state;
  struct harness *h = f->h;
  mmu_write(h->mem, TSS + 0x68 + 0x61 / 8, 1, 1u << (0x61 % 8)); /* port 0x61 denied */
  enum cpu_exit e = RUN_V86(h, IOPL3, 0xE4, 0x60, /* in al, 0x60: allowed */
                            0xE6, 0x61);          /* out 0x61, al: denied */
  assert_int_equal(e, CPU_EXIT_HALT);
  assert_int_equal(f->ports.ins, 1);
  assert_int_equal(f->ports.outs, 0);
  assert_int_equal(REG(h, CPU_EAX) & 0xFF, 0x5A);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_v86_frame(h, 2, true);
}

/* p6: IRETD (1) + iret_to_v86 (35), INT 0x41 (1) + intgate_inner (48) +
 * gate_from_v86 (12), HLT (1). */
static void entering_and_leaving_v86_charge_their_events(void **state) {
  struct fixture *f = *state;
  struct harness *h = f->h;
  char err[128];
  assert_int_equal(cpu_set_timing(h->cpu, "p6", err, sizeof err), 0);
  cycles_t before = cpu_cycles(h->cpu);
  assert_int_equal(RUN_V86(h, IOPL3, 0xCD, 0x41), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x41) + 1);
  assert_int_equal(cpu_cycles(h->cpu) - before, 98);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(iretd_with_vm_enters_v86_where_segments_are_selector_times_16, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(int_n_with_iopl_3_goes_to_the_ring_0_handler_and_iretd_returns, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(the_handler_sees_the_v86_frame_of_int_n, setup, teardown),
      cmocka_unit_test_setup_teardown(cli_with_iopl_below_3_faults_to_the_monitor, setup, teardown),
      cmocka_unit_test_setup_teardown(int_n_pushf_popf_sti_with_iopl_below_3_fault_to_the_monitor, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(iretd_in_v86_with_iopl_3_is_the_real_mode_iret, setup, teardown),
      cmocka_unit_test_setup_teardown(a_gate_to_a_ring_3_code_segment_is_gp_with_its_selector, setup, teardown),
      cmocka_unit_test_setup_teardown(in_and_out_in_v86_follow_the_io_bitmap_whatever_iopl, setup, teardown),
      cmocka_unit_test_setup_teardown(entering_and_leaving_v86_charge_their_events, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
