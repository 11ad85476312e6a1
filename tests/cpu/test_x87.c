/* tests/cpu/test_x87.c - the x87's control side: FNINIT FNCLEX FNSTSW
 * FNSTCW FLDCW FNSAVE FRSTOR and WAIT, the decoding of the D8-DF space
 * (reserved encodings: #NM, else #UD), the CR0.EM/MP/TS matrix of #NM,
 * pending exceptions (#MF with CR0.NE; FERR#, the freeze and IGNNE#
 * without), the FNSAVE images of the SDM (16- and 32-bit, real and
 * protected mode) and a lazy FPU switch: TS set, an ESC raises #NM, the
 * handler runs CLTS and FRSTOR, the ESC resumes. The arithmetic is
 * test_fpu.c's and x87_diff.c's (against the host).
 *
 * Real-mode tests use the harness's IVT (every vector reaches a HLT at
 * 0000:0500) and cpu_first_exception() to name the vector. Data sits at
 * 0x2000; protected-mode tests run in the harness's flat machine with an
 * IDT whose vector v leads to a HLT at HANDLERS + 16 * v. */
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
#define DATA2 0x2200u
#define SAVED 0x4000u
#define NM_HANDLER 0x3000u
#define IDT 0x11000u
#define HANDLERS 0x13000u

#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_NE 0x20u

static unsigned x87_top_of(const struct cpu *c) { return (c->x87.sw >> 11) & 7u; }

static int setup_real(void **state) {
  *state = harness_new(HARNESS_REAL16);
  return 0;
}

/* Flat protected mode with an IDT: the harness's descriptors are already
 * loaded, so no GDT is read unless a handler changes CS (none does: the
 * gates name selector 0x08, whose descriptor lives at GDT 0x10000). */
static int setup_pm(void **state) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  struct cpu *c = h->cpu;
  mmu_write(h->mem, 0x10000 + 8, 4, 0x0000FFFF);
  mmu_write(h->mem, 0x10000 + 12, 4, 0x00CF9A00);
  c->gdtr.base = 0x10000;
  c->gdtr.limit = 0x17;
  c->idtr.base = IDT;
  c->idtr.limit = 256 * 8 - 1;
  for (unsigned v = 0; v < 256; v++) {
    uint32_t at = HANDLERS + 16 * v;
    mmu_write(h->mem, at, 1, 0xF4);
    mmu_write(h->mem, IDT + 8 * v, 4, (0x08u << 16) | (at & 0xFFFF));
    mmu_write(h->mem, IDT + 8 * v + 4, 4, (at & 0xFFFF0000u) | 0x8E00);
  }
  *state = h;
  return 0;
}

static int teardown(void **state) {
  harness_free(*state);
  return 0;
}

/* The run ended at the real-mode catch-all HLT after raising `vector`. */
static void assert_real_vector(struct harness *h, int vector) {
  assert_int_equal(cpu_first_exception(h->cpu), vector);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_HANDLER + 1);
}

static void assert_fninit_state(const struct cpu_x87 *x) {
  assert_int_equal(x->cw, 0x037F);
  assert_int_equal(x->sw, 0);
  assert_int_equal(x->tw, 0xFFFF);
  assert_int_equal(x->fip, 0);
  assert_int_equal(x->fdp, 0);
  assert_int_equal(x->fcs, 0);
  assert_int_equal(x->fds, 0);
  assert_int_equal(x->fop, 0);
}

/* ---- the instructions ------------------------------------------------------ */

static void reset_leaves_the_x87_in_the_sdm_reset_state_and_fninit_initialises_it(void **state) {
  struct harness *h = *state;
  struct cpu_x87 *x = &h->cpu->x87;
  assert_int_equal(x->cw, 0x0040); /* SDM vol. 3, Table 9-1: not the FNINIT state */
  assert_int_equal(x->sw, 0);
  assert_int_equal(x->tw, 0x5555);
  x->fip = 0x1234;
  x->fdp = 0x5678;
  x->fop = 0x123;
  x->fcs = 0x10;
  x->fds = 0x18;
  assert_int_equal(HARNESS_RUN(h, 0xDB, 0xE3, 0xF4), CPU_EXIT_HALT); /* fninit; hlt */
  assert_int_equal(cpu_first_exception(h->cpu), -1);
  assert_fninit_state(x);
}

static void fnstsw_ax_stores_the_status_word_in_ax_only(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 0xDEAD0000u);
  h->cpu->x87.sw = 0x3A01;
  assert_int_equal(HARNESS_RUN(h, 0xDF, 0xE0, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_reg(h->cpu, CPU_EAX), 0xDEAD3A01u);
}

static void fnstsw_and_fnstcw_store_a_word_in_memory(void **state) {
  struct harness *h = *state;
  h->cpu->x87.sw = 0x4321;
  h->cpu->x87.cw = 0x0B7F;
  mmu_write(h->mem, DATA + 2, 2, 0xAAAA);
  assert_int_equal(HARNESS_RUN(h, 0xDD, 0x3E, 0x00, 0x20,  /* fnstsw [0x2000] */
                               0xD9, 0x3E, 0x04, 0x20,     /* fnstcw [0x2004] */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(mmu_read(h->mem, DATA, 2), 0x4321);
  assert_int_equal(mmu_read(h->mem, DATA + 2, 2), 0xAAAA);
  assert_int_equal(mmu_read(h->mem, DATA + 4, 2), 0x0B7F);
}

static void fldcw_loads_the_control_word_with_reserved_bits_as_fninit_leaves_them(void **state) {
  struct harness *h = *state;
  mmu_write(h->mem, DATA, 2, 0x0C72);
  mmu_write(h->mem, DATA + 2, 2, 0xFFFF);
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x2E, 0x00, 0x20, /* fldcw [0x2000] */
                               0xD9, 0x3E, 0x10, 0x20,    /* fnstcw [0x2010] */
                               0xD9, 0x2E, 0x02, 0x20,    /* fldcw [0x2002] */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(mmu_read(h->mem, DATA + 0x10, 2), 0x0C72 | 0x0040); /* bit 6 reads 1 */
  assert_int_equal(h->cpu->x87.cw, 0x1F7F);                             /* 13-15 read 0 */
}

static void fnclex_clears_flags_stack_fault_es_and_busy_and_keeps_the_rest(void **state) {
  struct harness *h = *state;
  h->cpu->x87.sw = 0xFFFF;
  assert_int_equal(HARNESS_RUN(h, 0xDB, 0xE2, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(h->cpu->x87.sw, 0x7F00); /* C0-C3 and TOP stay */
}

static void finit_with_9b_is_wait_then_fninit(void **state) {
  struct harness *h = *state;
  struct insn in;
  const uint8_t finit[] = {0x9B, 0xDB, 0xE3};
  assert_int_equal(cpu_decode(&in, finit, 3, false), 1);
  assert_string_equal(cpu_rows[in.row].name, "WAIT");
  assert_int_equal(HARNESS_RUN(h, 0x9B, 0xDB, 0xE3, 0xF4), CPU_EXIT_HALT);
  assert_fninit_state(&h->cpu->x87);
}

static void exact_modrm_rows_take_only_their_byte_and_reserved_forms_fall_to_the_escape(void **state) {
  (void)state;
  static const struct {
    uint8_t b[3];
    const char *row;
  } cases[] = {
      {{0xDB, 0xE3}, "FNINIT"},      {{0xDB, 0xE2}, "FNCLEX"},      {{0xDF, 0xE0}, "FNSTSW_AX"},
      {{0xDB, 0xE4}, "FNSETPM"},     {{0xDB, 0xE1}, "FNDISI"},      {{0xDF, 0xE1}, "X87_escape"},
      {{0xDB, 0x23}, "X87_escape"},  /* DB /4 memory form */
      {{0xD9, 0x2F}, "FLDCW_Mw"},    {{0xD9, 0xEF}, "X87_escape"},  /* D9 /5 register form */
      {{0xDD, 0x3F}, "FNSTSW_Mw"},   {{0xDD, 0xFF}, "X87_escape"},
      {{0xD8, 0xC1}, "FADD_ST0_STi"}, {{0xD9, 0xD1}, "X87_escape"}, {{0xDE, 0xD9}, "FCOMPP"},
      {{0xDE, 0xD8}, "X87_escape"},  {{0xDB, 0x0C}, "X87_escape"},  /* DB /1: FISTTP is SSE3 */
  };
  cpu_decode_init();
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    struct insn in;
    cpu_decode(&in, cases[k].b, 3, false);
    assert_string_equal(cpu_rows[in.row].name, cases[k].row);
  }
  const uint8_t locked[] = {0xF0, 0xD9, 0x3F};
  struct insn in;
  cpu_decode(&in, locked, 3, false);
  assert_int_equal(in.row, CPU_ROW_UD); /* LOCK FNSTCW: #UD */
}

static void reserved_x87_encodings_raise_ud(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0x90, 0xDF, 0xE1, 0xF4), CPU_EXIT_HALT);
  assert_real_vector(h, CPU_EXC_UD);
  assert_int_equal(mmu_read(h->mem, HARNESS_STACK - 6, 2), HARNESS_CODE + 1); /* the faulting IP */
}

static void cpuid_advertises_the_fpu(void **state) {
  struct harness *h = *state;
  cpu_set_reg(h->cpu, CPU_EAX, 1);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0xA2, 0xF4), CPU_EXIT_HALT);
  assert_true(cpu_get_reg(h->cpu, CPU_EDX) & 1u);
}

/* ---- #NM: SDM vol. 3, Table 2-2 -------------------------------------------------- */

static void nm_follows_em_mp_ts_for_esc_wait_and_reserved_esc(void **state) {
  (void)state;
  for (unsigned bits = 0; bits < 8; bits++) {
    uint32_t cr0 = (bits & 1 ? CR0_MP : 0) | (bits & 2 ? CR0_EM : 0) | (bits & 4 ? CR0_TS : 0);
    bool esc_nm = (cr0 & (CR0_EM | CR0_TS)) != 0;
    bool wait_nm = (cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS);
    static const struct {
      uint8_t code[5];
      unsigned n;
      bool wait;
    } forms[] = {
        {{0xDB, 0xE3, 0xF4}, 3, false},             /* fninit */
        {{0xD9, 0x3E, 0x00, 0x20, 0xF4}, 5, false}, /* fnstcw [0x2000] */
        {{0xDD, 0x36, 0x00, 0x20, 0xF4}, 5, false}, /* fnsave [0x2000] */
        {{0x9B, 0xF4}, 2, true},                    /* wait */
    };
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
      struct harness *h = harness_new(HARNESS_REAL16);
      h->cpu->cr[0] |= cr0;
      assert_int_equal(harness_run(h, forms[f].code, forms[f].n, 1000), CPU_EXIT_HALT);
      if (forms[f].wait ? wait_nm : esc_nm) {
        assert_real_vector(h, CPU_EXC_NM);
        assert_int_equal(mmu_read(h->mem, HARNESS_STACK - 6, 2), HARNESS_CODE); /* faulting IP */
        assert_int_equal(h->cpu->x87.cw, 0x0040); /* nothing done */
      } else {
        assert_int_equal(cpu_first_exception(h->cpu), -1);
      }
      harness_free(h);
    }
    /* A reserved ESC encoding: #NM first, else #UD. */
    struct harness *h = harness_new(HARNESS_REAL16);
    h->cpu->cr[0] |= cr0;
    assert_int_equal(HARNESS_RUN(h, 0xD9, 0xD1, 0xF4), CPU_EXIT_HALT);
    assert_real_vector(h, esc_nm ? CPU_EXC_NM : CPU_EXC_UD);
    harness_free(h);
  }
}

/* ---- pending exceptions ---------------------------------------------------------- */

static void an_unmasked_flag_makes_wait_raise_mf_until_fnclex(void **state) {
  struct harness *h = *state;
  h->cpu->cr[0] |= CR0_NE;
  h->cpu->x87.sw = 0x0004; /* ZE set, masked by the CW below */
  h->cpu->x87.cw = 0x037F;
  mmu_write(h->mem, DATA, 2, 0x037B); /* unmasks ZE */
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x2E, 0x00, 0x20, /* fldcw [0x2000] */
                               0xDB, 0xE2,                /* fnclex */
                               0x9B,                      /* wait */
                               0xD9, 0x2E, 0x00, 0x20,    /* fldcw [0x2000] */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(h->cpu), -1);
  assert_int_equal(h->cpu->x87.sw, 0);

  h->cpu->x87.sw = 0x0004;
  h->cpu->x87.cw = 0x037F;
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x2E, 0x00, 0x20, 0x9B, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(h->cpu->x87.sw, 0x8084); /* ES and B follow the unmasked flag */
  assert_real_vector(h, CPU_EXC_MF);
  assert_int_equal(mmu_read(h->mem, HARNESS_STACK - 6, 2), HARNESS_CODE + 4); /* at the WAIT */
}

static void ferr_record(void *ctx, bool level) {
  int *n = ctx;
  n[level ? 1 : 0]++;
}

/* Without CR0.NE (the PC's legacy wiring): the pending error drives FERR#
 * and the WAIT freezes, EIP at the WAIT, until an interrupt; with IGNNE#
 * asserted it goes ahead; FNCLEX drops FERR#. */
static void without_cr0_ne_a_pending_flag_asserts_ferr_and_freezes_the_wait(void **state) {
  struct harness *h = *state;
  int edges[2] = {0, 0};
  cpu_set_ferr_output(h->cpu, ferr_record, edges);
  h->cpu->x87.cw = 0x037E;
  mmu_write(h->mem, DATA, 2, 0x037E);
  /* fldcw [DATA] with IE set: ES goes up, FERR# with it */
  h->cpu->x87.sw = 0x0001;
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x2E, 0x00, 0x20, /* fldcw [0x2000] */
                               0xDF, 0xE0,                /* fnstsw ax: does not wait */
                               0x9B,                      /* wait: frozen */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(cpu_get_reg(h->cpu, CPU_EAX) & 0xFFFF, 0x8081);
  assert_true(cpu_ferr(h->cpu));
  assert_int_equal(edges[1], 1);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 6); /* at the WAIT */
  assert_non_null(strstr(cpu_stop_reason(h->cpu), "frozen"));
  assert_int_equal(cpu_first_exception(h->cpu), -1);
  /* still frozen on the next run */
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 6);
  /* IGNNE#: the WAIT goes ahead */
  cpu_set_ignne(h->cpu, true);
  cpu_set_eip(h->cpu, HARNESS_CODE + 6);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 8); /* past the HLT */
  cpu_set_ignne(h->cpu, false);
  assert_int_equal(HARNESS_RUN(h, 0xDB, 0xE2, 0x9B, 0xF4), CPU_EXIT_HALT); /* fnclex; wait */
  assert_false(cpu_ferr(h->cpu));
  assert_int_equal(edges[0], 1);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 4);
}

/* Setting CR0.NE turns FERR# off (the error is then #MF's); clearing it
 * again turns FERR# back on while the error is pending. */
static void cr0_ne_gates_ferr(void **state) {
  struct harness *h = *state;
  h->cpu->x87.sw = 0x0001;
  h->cpu->x87.cw = 0x037E;
  mmu_write(h->mem, DATA, 2, 0x037E);
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x2E, 0x00, 0x20, 0xF4), CPU_EXIT_HALT); /* fldcw */
  assert_true(cpu_ferr(h->cpu));
  /* mov eax, cr0; or al, 0x20; mov cr0, eax */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x20, 0xC0, 0x0C, 0x20, 0x0F, 0x22, 0xC0, 0xF4), CPU_EXIT_HALT);
  assert_false(cpu_ferr(h->cpu));
  /* and al, 0xDF; mov cr0, eax */
  assert_int_equal(HARNESS_RUN(h, 0x24, 0xDF, 0x0F, 0x22, 0xC0, 0xF4), CPU_EXIT_HALT);
  assert_true(cpu_ferr(h->cpu));
}

/* ---- FNSAVE / FRSTOR --------------------------------------------------------------- */

static void fill_state(struct cpu_x87 *x) {
  x->cw = 0x0B72;
  x->sw = 0x6900; /* TOP = 5, C0 and C3 (0x4100), no flags */
  x->tw = 0xAABA; /* R2 empty; the others unnormals (below): tag 10 */
  x->fip = 0x00012345;
  x->fcs = 0x0008;
  x->fop = 0x05AB;
  x->fdp = 0x00067890;
  x->fds = 0x0010;
  for (unsigned r = 0; r < 8; r++)
    for (unsigned k = 0; k < 10; k++)
      x->st[r][k] = (uint8_t)(r * 16 + k);
}

static uint32_t rd(struct harness *h, uint32_t a, unsigned n) { return mmu_read(h->mem, a, n); }

/* The image at DATA holds fill_state()'s values as the SDM's figure of
 * the format says; env is its environment size. */
static unsigned check_image(struct harness *h, bool o32, bool real) {
  unsigned env = o32 ? 28 : 14;
  if (o32) {
    assert_int_equal(rd(h, DATA + 0, 2), 0x0B72);
    assert_int_equal(rd(h, DATA + 4, 2), 0x6900);
    assert_int_equal(rd(h, DATA + 8, 2), 0xAABA);
    if (real) {
      assert_int_equal(rd(h, DATA + 12, 2), 0x2345);
      assert_int_equal(rd(h, DATA + 16, 4), 0x05AB | (0x0001u << 12));
      assert_int_equal(rd(h, DATA + 20, 2), 0x7890);
      assert_int_equal(rd(h, DATA + 24, 4), 0x0006u << 12);
    } else {
      assert_int_equal(rd(h, DATA + 12, 4), 0x00012345);
      assert_int_equal(rd(h, DATA + 16, 4), 0x0008 | (0x05ABu << 16));
      assert_int_equal(rd(h, DATA + 20, 4), 0x00067890);
      assert_int_equal(rd(h, DATA + 24, 2), 0x0010);
    }
  } else {
    assert_int_equal(rd(h, DATA + 0, 2), 0x0B72);
    assert_int_equal(rd(h, DATA + 2, 2), 0x6900);
    assert_int_equal(rd(h, DATA + 4, 2), 0xAABA);
    assert_int_equal(rd(h, DATA + 6, 2), 0x2345);
    assert_int_equal(rd(h, DATA + 8, 2), real ? 0x05AB | 0x1000 : 0x0008);
    assert_int_equal(rd(h, DATA + 10, 2), 0x7890);
    assert_int_equal(rd(h, DATA + 12, 2), real ? 0x6000 : 0x0010);
  }
  for (unsigned i = 0; i < 8; i++) /* ST(i) = R[(TOP + i) & 7], TOP = 5 */
    for (unsigned k = 0; k < 10; k++)
      assert_int_equal(rd(h, DATA + env + 10 * i + k, 1), ((5 + i) & 7) * 16 + k);
  return env + 80;
}

/* FNSAVE [DATA]; FRSTOR [DATA]; FNSAVE [DATA2]; FRSTOR [DATA2]: the image
 * matches the SDM's layout, FNSAVE leaves the FNINIT state, and the round
 * trip gives back the state and the same bytes. */
static void round_trip(struct harness *h, bool o32, bool real) {
  struct cpu_x87 *x = &h->cpu->x87;
  fill_state(x);
  struct cpu_x87 want = *x;
  if (real) /* the real-mode images hold linear pointers, no selectors */
    want.fcs = want.fds = 0;
  if (!o32 && !real) { /* the 16-bit protected-mode image: 16-bit offsets */
    want.fip &= 0xFFFF;
    want.fdp &= 0xFFFF;
  }
  bool code32 = !real;
  uint8_t code[64];
  unsigned n = 0, resume = 0;
  unsigned len = (o32 ? 28u : 14u) + 80u;
  static const uint8_t regs[4] = {6, 4, 6, 4}; /* fnsave, frstor, fnsave, frstor */
  for (unsigned k = 0; k < 4; k++) {
    uint32_t at = k < 2 ? DATA : DATA2;
    if (o32 != code32)
      code[n++] = 0x66;
    code[n++] = 0xDD;
    if (code32) {
      code[n++] = (uint8_t)(0x05 | regs[k] << 3);
      memcpy(code + n, &at, 4);
      n += 4;
    } else {
      code[n++] = (uint8_t)(0x06 | regs[k] << 3);
      code[n++] = (uint8_t)at;
      code[n++] = (uint8_t)(at >> 8);
    }
    if (k == 0) {
      code[n++] = 0xF4; /* stop once to look at the FNINIT state */
      resume = n;
    }
  }
  code[n++] = 0xF4;
  mmu_write(h->mem, DATA2 + len, 4, 0xCCCCCCCC);
  assert_int_equal(harness_run(h, code, n, 10000), CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(h->cpu), -1);
  assert_fninit_state(x);
  assert_int_equal(check_image(h, o32, real), len);
  cpu_set_eip(h->cpu, HARNESS_CODE + resume);
  assert_int_equal(cpu_run(h->cpu, cpu_cycles(h->cpu) + 10000), CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(h->cpu), -1);
  uint8_t a[108], b[108];
  mmu_copy_from_guest(h->mem, DATA, a, len);
  mmu_copy_from_guest(h->mem, DATA2, b, len);
  assert_memory_equal(a, b, len);
  assert_int_equal(rd(h, DATA2 + len, 4), 0xCCCCCCCC); /* exactly len bytes */
  assert_int_equal(x->cw, want.cw);
  assert_int_equal(x->sw, want.sw);
  assert_int_equal(x->tw, want.tw);
  assert_int_equal(x->fip, want.fip);
  assert_int_equal(x->fdp, want.fdp);
  assert_int_equal(x->fcs, want.fcs);
  assert_int_equal(x->fds, want.fds);
  if (o32 || real) /* the 16-bit protected-mode image has no FOP */
    assert_int_equal(x->fop, want.fop);
  assert_memory_equal(x->st, want.st, sizeof want.st);
}

static void fnsave_frstor_round_trip_16_bit_real_mode(void **state) { round_trip(*state, false, true); }
static void fnsave_frstor_round_trip_32_bit_real_mode(void **state) { round_trip(*state, true, true); }
static void fnsave_frstor_round_trip_16_bit_protected_mode(void **state) { round_trip(*state, false, false); }
static void fnsave_frstor_round_trip_32_bit_protected_mode(void **state) { round_trip(*state, true, false); }

static void fnsave_past_the_segment_limit_faults_and_changes_nothing(void **state) {
  struct harness *h = *state;
  fill_state(&h->cpu->x87);
  struct cpu_x87 before = h->cpu->x87;
  assert_int_equal(HARNESS_RUN(h, 0xDD, 0x36, 0xD0, 0xFF, 0xF4), CPU_EXIT_HALT); /* fnsave [0xFFD0] */
  assert_real_vector(h, CPU_EXC_GP);
  assert_memory_equal(&h->cpu->x87, &before, sizeof before);
  assert_int_equal(rd(h, 0xFFD0, 4), 0);
}

static void frstor_past_the_segment_limit_faults_and_changes_nothing(void **state) {
  struct harness *h = *state;
  assert_int_equal(HARNESS_RUN(h, 0xDD, 0x26, 0xD0, 0xFF, 0xF4), CPU_EXIT_HALT); /* frstor [0xFFD0] */
  assert_real_vector(h, CPU_EXC_GP);
  assert_int_equal(h->cpu->x87.cw, 0x0040);
  assert_int_equal(h->cpu->x87.tw, 0x5555);
}

/* ---- lazy FPU switching ------------------------------------------------------------ */

/* A kernel switches tasks with TS set instead of saving the FPU; the next
 * task's first ESC raises #NM, whose handler clears TS and restores that
 * task's FPU image; IRET re-executes the ESC, which now sees the restored
 * state. */
static void lazy_fpu_switch_nm_handler_clts_frstor_resumes_the_esc(void **state) {
  struct harness *h = *state;
  /* the task's saved FPU image: FNINIT's, with CW 0x0272 */
  struct cpu_x87 img = {.cw = 0x0272, .sw = 0x0000, .tw = 0xFFFF};
  h->cpu->x87 = img;
  h->cpu->x87.st[0][0] = 0x5A;
  /* build the image with the CPU itself, then scramble the live state */
  assert_int_equal(HARNESS_RUN(h, 0xDD, 0x36, 0x00, 0x40, 0xF4), CPU_EXIT_HALT); /* fnsave [0x4000] */
  assert_int_equal(rd(h, SAVED, 2), 0x0272);
  assert_int_equal(h->cpu->x87.cw, 0x037F); /* FNSAVE initialised it */
  h->cpu->x87.st[0][0] = 0;

  /* IVT 7 -> 0000:3000: clts; frstor [0x4000]; iret */
  mmu_write(h->mem, 7 * 4, 4, NM_HANDLER);
  const uint8_t handler[] = {0x0F, 0x06, 0xDD, 0x26, 0x00, 0x40, 0xCF};
  mmu_copy_to_guest(h->mem, NM_HANDLER, handler, sizeof handler);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x20, 0xC0,       /* mov eax, cr0 */
                               0x66, 0x83, 0xC8, 0x08,    /* or eax, 8 (TS) */
                               0x0F, 0x22, 0xC0,          /* mov cr0, eax */
                               0xD9, 0x3E, 0x00, 0x20,    /* fnstcw [0x2000]: #NM, then again */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_NM);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 15); /* resumed, past the HLT */
  assert_int_equal(h->cpu->cr[0] & CR0_TS, 0);
  assert_int_equal(rd(h, DATA, 2), 0x0272);
  assert_int_equal(h->cpu->x87.st[0][0], 0x5A);
}

static void lazy_fpu_switch_in_protected_mode(void **state) {
  struct harness *h = *state;
  struct cpu *c = h->cpu;
  /* the image: FNSAVE of a state with CW 0x0A7F, 108 bytes */
  c->x87.cw = 0x0A7F;
  c->x87.tw = 0xFFFF;
  assert_int_equal(HARNESS_RUN(h, 0xDD, 0x35, 0x00, 0x40, 0x00, 0x00, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(c->x87.cw, 0x037F);
  /* IDT 7 -> 0x3000: clts; frstor [0x4000]; iretd */
  mmu_write(h->mem, IDT + 8 * 7, 4, (0x08u << 16) | NM_HANDLER);
  mmu_write(h->mem, IDT + 8 * 7 + 4, 4, 0x8E00);
  const uint8_t handler[] = {0x0F, 0x06, 0xDD, 0x25, 0x00, 0x40, 0x00, 0x00, 0xCF};
  mmu_copy_to_guest(h->mem, NM_HANDLER, handler, sizeof handler);
  c->cr[0] |= CR0_TS;
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x3D, 0x00, 0x20, 0x00, 0x00, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(cpu_first_exception(c), CPU_EXC_NM);
  assert_int_equal(cpu_get_eip(c), HARNESS_CODE + 7);
  assert_int_equal(rd(h, DATA, 2), 0x0A7F);
  assert_int_equal(c->cr[0] & CR0_TS, 0);
}

/* ---- the last-instruction pointers ------------------------------------------------- */

/* FIP/FCS/FOP name the last non-control instruction, FDP/FDS its memory
 * operand; a register form leaves FDP/FDS, a control instruction all of
 * them (SDM vol. 1, 8.1.8 and 8.1.9). In protected mode offsets and
 * selectors. */
static void pointers_name_the_last_non_control_instruction(void **state) {
  struct harness *h = *state;
  struct cpu *c = h->cpu;
  mmu_write(h->mem, DATA, 4, 0x3F800000); /* 1.0f */
  mmu_write(h->mem, DATA2, 2, 0x037F);
  assert_int_equal(HARNESS_RUN(h, 0xDB, 0xE3,                         /* fninit */
                               0xD9, 0x05, 0x00, 0x20, 0x00, 0x00,    /* +2: fld dword [0x2000] */
                               0xD8, 0xC0,                            /* +8: fadd st0, st0 */
                               0xD9, 0x2D, 0x00, 0x22, 0x00, 0x00,    /* +10: fldcw [0x2200] */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(c->x87.fip, HARNESS_CODE + 8);
  assert_int_equal(c->x87.fcs, 0x08);
  assert_int_equal(c->x87.fop, 0x0C0); /* D8 C0: (D8 & 7) << 8 | C0 */
  assert_int_equal(c->x87.fdp, DATA);  /* the FLD's operand: FADD has none */
  assert_int_equal(c->x87.fds, 0x10);
}

/* In real mode FIP and FDP are linear (the real-mode images store them so). */
static void real_mode_pointers_are_linear(void **state) {
  struct harness *h = *state;
  struct cpu *c = h->cpu;
  cpu_load_segment_real(c, CPU_DS, 0x0100); /* DS base 0x1000 */
  mmu_write(h->mem, 0x1000 + 0x1234, 4, 0x3F800000);
  assert_int_equal(HARNESS_RUN(h, 0xDB, 0xE3, 0xD9, 0x06, 0x34, 0x12, 0xF4), CPU_EXIT_HALT); /* fld dword [0x1234] */
  assert_int_equal(c->x87.fip, HARNESS_CODE + 2);
  assert_int_equal(c->x87.fdp, 0x1000 + 0x1234);
  assert_int_equal(c->x87.fop, 0x106); /* D9 06 */
}

/* ---- #MF at a computing instruction ------------------------------------------------- */

/* A pending unmasked error is reported by the next waiting x87
 * instruction, whatever it is (here FLD1), before it does anything; the
 * pointers still name the instruction that raised it. */
static void a_computing_instruction_reports_a_pending_error_first(void **state) {
  struct harness *h = *state;
  struct cpu *c = h->cpu;
  c->cr[0] |= CR0_NE;
  mmu_write(h->mem, DATA, 2, 0x037B); /* ZE unmasked */
  assert_int_equal(HARNESS_RUN(h, 0xDB, 0xE3,                      /* fninit */
                               0xD9, 0x2E, 0x00, 0x20,             /* +2: fldcw [0x2000] */
                               0xD9, 0xE8, 0xD9, 0xEE,             /* +6: fld1; fldz */
                               0xDE, 0xF9,                         /* +10: fdivp: 1/0, pending */
                               0xD9, 0xE8,                         /* +12: fld1: #MF */
                               0xF4),
                   CPU_EXIT_HALT);
  assert_real_vector(h, CPU_EXC_MF);
  assert_int_equal(mmu_read(h->mem, HARNESS_STACK - 6, 2), HARNESS_CODE + 12);
  assert_int_equal(x87_top_of(c), 6); /* the FDIVP neither popped nor the FLD1 pushed */
  assert_int_equal(c->x87.fip, HARNESS_CODE + 10);
  assert_int_equal(c->x87.sw & 0x80BF, 0x8084);
}

/* FERR# goes up at the end of the instruction that raised the error (the
 * P6's timing, SDM vol. 3, "Assertion of the FERR# Pin"), before any
 * later instruction waits. */
static void ferr_rises_when_the_faulting_instruction_completes(void **state) {
  struct harness *h = *state;
  int edges[2] = {0, 0};
  cpu_set_ferr_output(h->cpu, ferr_record, edges);
  mmu_write(h->mem, DATA, 2, 0x037B);
  assert_int_equal(HARNESS_RUN(h, 0xDB, 0xE3, 0xD9, 0x2E, 0x00, 0x20, 0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(edges[1], 1);
  assert_true(cpu_ferr(h->cpu));
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 13); /* ran to the HLT */
}

/* FNSTENV stores the environment, then masks everything, which clears ES. */
static void fnstenv_masks_all_and_clears_the_summary(void **state) {
  struct harness *h = *state;
  struct cpu *c = h->cpu;
  c->x87.cw = 0x037B;
  c->x87.sw = 0x8084;
  c->x87.tw = 0xFFFF;
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x36, 0x00, 0x20, 0xF4), CPU_EXIT_HALT); /* fnstenv [0x2000] */
  assert_int_equal(mmu_read(h->mem, DATA, 2), 0x037B);
  assert_int_equal(mmu_read(h->mem, DATA + 2, 2), 0x8084);
  assert_int_equal(c->x87.cw, 0x037F);
  assert_int_equal(c->x87.sw, 0x0004);
  /* FLDENV brings the error back as it was */
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x26, 0x00, 0x20, 0xF4), CPU_EXIT_HALT); /* fldenv [0x2000] */
  assert_int_equal(c->x87.cw, 0x037B);
  assert_int_equal(c->x87.sw, 0x8084);
}

/* A store that faults on its destination changes nothing of the x87, not
 * even the stack fault's flags of an empty ST(0). */
static void a_store_that_faults_leaves_the_status_word(void **state) {
  struct harness *h = *state;
  struct cpu *c = h->cpu;
  c->x87.cw = 0x037F;
  c->x87.sw = 0;
  c->x87.tw = 0xFFFF; /* ST(0) empty: a masked stack underflow */
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x1E, 0xFE, 0xFF, 0xF4), CPU_EXIT_HALT); /* fstp dword [0xFFFE] */
  assert_real_vector(h, CPU_EXC_GP);
  assert_int_equal(c->x87.sw, 0);
  assert_int_equal(c->x87.tw, 0xFFFF);
  assert_int_equal(HARNESS_RUN(h, 0xD9, 0x1E, 0x00, 0x20, 0xF4), CPU_EXIT_HALT); /* fstp dword [0x2000] */
  assert_int_equal(c->x87.sw & 0x3FFF, 0x0041 | (1u << 11)); /* IE, SF; popped: TOP 1 */
  assert_int_equal(mmu_read(h->mem, DATA, 4), 0xFFC00000u);  /* the single indefinite */
}

#define REAL(t) cmocka_unit_test_setup_teardown(t, setup_real, teardown)
#define PM(t) cmocka_unit_test_setup_teardown(t, setup_pm, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      REAL(reset_leaves_the_x87_in_the_sdm_reset_state_and_fninit_initialises_it),
      REAL(fnstsw_ax_stores_the_status_word_in_ax_only),
      REAL(fnstsw_and_fnstcw_store_a_word_in_memory),
      REAL(fldcw_loads_the_control_word_with_reserved_bits_as_fninit_leaves_them),
      REAL(fnclex_clears_flags_stack_fault_es_and_busy_and_keeps_the_rest),
      REAL(finit_with_9b_is_wait_then_fninit),
      REAL(exact_modrm_rows_take_only_their_byte_and_reserved_forms_fall_to_the_escape),
      REAL(reserved_x87_encodings_raise_ud),
      REAL(cpuid_advertises_the_fpu),
      REAL(nm_follows_em_mp_ts_for_esc_wait_and_reserved_esc),
      REAL(an_unmasked_flag_makes_wait_raise_mf_until_fnclex),
      REAL(without_cr0_ne_a_pending_flag_asserts_ferr_and_freezes_the_wait),
      REAL(cr0_ne_gates_ferr),
      REAL(fnsave_frstor_round_trip_16_bit_real_mode),
      REAL(fnsave_frstor_round_trip_32_bit_real_mode),
      PM(fnsave_frstor_round_trip_16_bit_protected_mode),
      PM(fnsave_frstor_round_trip_32_bit_protected_mode),
      REAL(fnsave_past_the_segment_limit_faults_and_changes_nothing),
      REAL(frstor_past_the_segment_limit_faults_and_changes_nothing),
      REAL(lazy_fpu_switch_nm_handler_clts_frstor_resumes_the_esc),
      PM(lazy_fpu_switch_in_protected_mode),
      PM(pointers_name_the_last_non_control_instruction),
      REAL(real_mode_pointers_are_linear),
      REAL(a_computing_instruction_reports_a_pending_error_first),
      REAL(ferr_rises_when_the_faulting_instruction_completes),
      REAL(fnstenv_masks_all_and_clears_the_summary),
      REAL(a_store_that_faults_leaves_the_status_word),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
