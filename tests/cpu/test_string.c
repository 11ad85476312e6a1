/* tests/cpu/test_string.c - the string instructions (cpu/ops/string.c) in the
 * forms the 80286 vectors cannot show: 32-bit address size (ESI/EDI/ECX),
 * the 16-bit address size inside 32-bit code, DF = 1, REP with a zero
 * count, a fault in the middle of a REP, port strings, and the chunking of
 * long REPs (invisible to the final state, and no lock-up on ECX = ~0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define CHUNK 4096u /* iterations per execution in string.c */

/* A port that answers a counting sequence and records what it is sent. */
struct ports {
  uint16_t last_port;
  unsigned ins, outs;
  uint8_t next_in;
  uint8_t sent[64];
};

static uint32_t port_in(void *ctx, uint16_t port, unsigned size_bytes) {
  struct ports *p = ctx;
  (void)size_bytes;
  p->last_port = port;
  p->ins++;
  return p->next_in++;
}

static void port_out(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value) {
  struct ports *p = ctx;
  (void)size_bytes;
  p->last_port = port;
  if (p->outs < sizeof p->sent)
    p->sent[p->outs] = (uint8_t)value;
  p->outs++;
}

static const struct cpu_io_ops port_ops = {port_in, port_out};

/* A harness machine whose ports are the recorder above. */
struct box {
  struct harness *h;
  struct ports ports;
};

static struct box *box_new(enum harness_mode mode) {
  struct box *b = calloc(1, sizeof *b);
  if (!b)
    abort();
  b->h = harness_new_io(mode, &port_ops, &b->ports);
  return b;
}

static void box_free(struct box *b) {
  harness_free(b->h);
  free(b);
}

static int setup32(void **state) {
  *state = box_new(HARNESS_FLAT32);
  return 0;
}
static int setup16(void **state) {
  *state = box_new(HARNESS_REAL16);
  return 0;
}
static int teardown(void **state) {
  box_free(*state);
  return 0;
}

static enum cpu_exit run(struct box *b, cycles_t budget) {
  return cpu_run(b->h->cpu, cpu_cycles(b->h->cpu) + budget);
}

#define REG(b, r) cpu_get_reg((b)->h->cpu, (r))
#define SET(b, r, v) cpu_set_reg((b)->h->cpu, (r), (v))
#define LOAD(b, ...)                                                                             \
  harness_load((b)->h, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void fill(struct box *b, uint32_t addr, uint8_t first, size_t n) {
  for (size_t k = 0; k < n; k++)
    mmu_write(b->h->mem, addr + (uint32_t)k, 1, (uint8_t)(first + k));
}

static uint8_t peek(struct box *b, uint32_t addr) { return (uint8_t)mmu_read(b->h->mem, addr, 1); }

/* rep movsd with ESI/EDI above 64 KiB and a count above 0xFFFF: all three
 * registers are used at 32 bits. */
static void rep_movsd_uses_esi_edi_ecx_at_32_bits(void **state) {
  struct box *b = *state;
  const uint32_t n = 0x10010, src = 0x40000, dst = 0x100000;
  fill(b, src, 1, n * 4);
  SET(b, CPU_ESI, src);
  SET(b, CPU_EDI, dst);
  SET(b, CPU_ECX, n);
  LOAD(b, 0xF3, 0xA5, 0xF4); /* rep movsd; hlt */
  assert_int_equal(run(b, 10000000), CPU_EXIT_HALT);
  assert_int_equal(REG(b, CPU_ESI), src + n * 4);
  assert_int_equal(REG(b, CPU_EDI), dst + n * 4);
  assert_int_equal(REG(b, CPU_ECX), 0);
  for (uint32_t k = 0; k < n * 4; k += 997)
    assert_int_equal(peek(b, dst + k), (uint8_t)(1 + k));
  assert_int_equal(peek(b, dst + n * 4 - 1), (uint8_t)(n * 4));
  assert_int_equal(peek(b, dst + n * 4), 0);
}

/* DF = 1: the pointers step down, and the copy starts at the top. */
static void rep_movsw_with_df_set_steps_down(void **state) {
  struct box *b = *state;
  fill(b, 0x20000, 0x10, 8);
  SET(b, CPU_ESI, 0x20006);
  SET(b, CPU_EDI, 0x30006);
  SET(b, CPU_ECX, 4);
  cpu_set_eflags(b->h->cpu, 0x2 | CPU_FLAG_DF);
  LOAD(b, 0x66, 0xF3, 0xA5, 0xF4); /* rep movsw; hlt */
  assert_int_equal(run(b, 1000), CPU_EXIT_HALT);
  assert_int_equal(REG(b, CPU_ESI), 0x1FFFE);
  assert_int_equal(REG(b, CPU_EDI), 0x2FFFE);
  assert_int_equal(REG(b, CPU_ECX), 0);
  for (unsigned k = 0; k < 8; k++)
    assert_int_equal(peek(b, 0x30000 + k), 0x10 + k);
  assert_int_equal(peek(b, 0x2FFFF), 0);
  assert_int_equal(peek(b, 0x30008), 0);
}

/* std; lodsd; scasb: single forms step down by their own size. */
static void single_lodsd_and_scasb_with_df_set(void **state) {
  struct box *b = *state;
  mmu_write(b->h->mem, 0x20000, 4, 0xCAFEF00D);
  mmu_write(b->h->mem, 0x30000, 1, 0x0D);
  SET(b, CPU_ESI, 0x20000);
  SET(b, CPU_EDI, 0x30000);
  cpu_set_eflags(b->h->cpu, 0x2 | CPU_FLAG_DF);
  LOAD(b, 0xAD, 0xAE, 0xF4); /* lodsd; scasb; hlt */
  assert_int_equal(run(b, 1000), CPU_EXIT_HALT);
  assert_int_equal(REG(b, CPU_EAX), 0xCAFEF00D);
  assert_int_equal(REG(b, CPU_ESI), 0x1FFFC);
  assert_int_equal(REG(b, CPU_EDI), 0x2FFFF);
  assert_true(cpu_get_eflags(b->h->cpu) & CPU_FLAG_ZF);
}

/* A REP with ECX = 0 executes no iteration: no memory access, no register
 * or flag change, for the moving and the comparing forms alike. */
static void rep_with_ecx_zero_does_nothing(void **state) {
  struct box *b = *state;
  fill(b, 0x20000, 0x55, 16);
  SET(b, CPU_EAX, 0x11223344);
  SET(b, CPU_ESI, 0x20000);
  SET(b, CPU_EDI, 0x30000);
  SET(b, CPU_ECX, 0);
  uint32_t flags = 0x2 | CPU_FLAG_CF | CPU_FLAG_SF | CPU_FLAG_OF;
  cpu_set_eflags(b->h->cpu, flags);
  LOAD(b, 0xF3, 0xA4,       /* rep movsb */
       0xF3, 0xAB,          /* rep stosd */
       0xF3, 0xA6,          /* repe cmpsb */
       0xF2, 0xAF,          /* repne scasd */
       0xF3, 0xAC,          /* rep lodsb */
       0xF3, 0x6C,          /* rep insb */
       0xF3, 0x6E,          /* rep outsb */
       0xF4);
  assert_int_equal(run(b, 1000), CPU_EXIT_HALT);
  assert_int_equal(REG(b, CPU_EAX), 0x11223344);
  assert_int_equal(REG(b, CPU_ESI), 0x20000);
  assert_int_equal(REG(b, CPU_EDI), 0x30000);
  assert_int_equal(REG(b, CPU_ECX), 0);
  assert_int_equal(cpu_get_eflags(b->h->cpu), flags);
  for (unsigned k = 0; k < 16; k++)
    assert_int_equal(peek(b, 0x30000 + k), 0);
  assert_int_equal(b->ports.ins + b->ports.outs, 0);
}

/* repne scasb stops on the first match; repe cmpsd on the first mismatch. */
static void repne_scasb_and_repe_cmpsd_stop_on_zf(void **state) {
  struct box *b = *state;
  fill(b, 0x20000, 0x00, 256);
  SET(b, CPU_EAX, 0x42);
  SET(b, CPU_EDI, 0x20000);
  SET(b, CPU_ECX, 1000);
  LOAD(b, 0xF2, 0xAE, 0xF4); /* repne scasb; hlt */
  assert_int_equal(run(b, 10000), CPU_EXIT_HALT);
  assert_int_equal(REG(b, CPU_EDI), 0x20043);
  assert_int_equal(REG(b, CPU_ECX), 1000 - 0x43);
  assert_true(cpu_get_eflags(b->h->cpu) & CPU_FLAG_ZF);

  fill(b, 0x30000, 0x00, 256);
  mmu_write(b->h->mem, 0x30000 + 4 * 5, 1, 0xFF); /* dword 5 differs: src < dst */
  SET(b, CPU_ESI, 0x20000);
  SET(b, CPU_EDI, 0x30000);
  SET(b, CPU_ECX, 50);
  LOAD(b, 0xF3, 0xA7, 0xF4); /* repe cmpsd; hlt */
  assert_int_equal(run(b, 10000), CPU_EXIT_HALT);
  assert_int_equal(REG(b, CPU_ESI), 0x20000 + 4 * 6);
  assert_int_equal(REG(b, CPU_EDI), 0x30000 + 4 * 6);
  assert_int_equal(REG(b, CPU_ECX), 50 - 6);
  uint32_t f = cpu_get_eflags(b->h->cpu);
  assert_false(f & CPU_FLAG_ZF);
  assert_true(f & CPU_FLAG_CF); /* 0x17161514 - 0x171615FF borrows */
}

/* F2 on a non-comparing string instruction repeats it like F3. */
static void repne_on_stos_repeats_like_rep(void **state) {
  struct box *b = *state;
  SET(b, CPU_EAX, 0xAB);
  SET(b, CPU_EDI, 0x20000);
  SET(b, CPU_ECX, 5);
  cpu_set_eflags(b->h->cpu, 0x2 | CPU_FLAG_ZF); /* ZF must not stop it */
  LOAD(b, 0xF2, 0xAA, 0xF4); /* repne stosb; hlt */
  assert_int_equal(run(b, 1000), CPU_EXIT_HALT);
  assert_int_equal(REG(b, CPU_ECX), 0);
  assert_int_equal(REG(b, CPU_EDI), 0x20005);
  for (unsigned k = 0; k < 5; k++)
    assert_int_equal(peek(b, 0x20000 + k), 0xAB);
  assert_int_equal(peek(b, 0x20005), 0);
}

/* 0x67 in 32-bit code: DI and CX at 16 bits, DI wraps inside the segment,
 * the upper halves of EDI and ECX are kept. */
static void address_size_16_in_32_bit_code_wraps_di_and_keeps_upper_halves(void **state) {
  struct box *b = *state;
  SET(b, CPU_EAX, 0x77);
  SET(b, CPU_EDI, 0x1234FFFE);
  SET(b, CPU_ECX, 0xABCD0004);
  LOAD(b, 0x67, 0xF3, 0xAA, 0xF4); /* a16 rep stosb; hlt */
  assert_int_equal(run(b, 1000), CPU_EXIT_HALT);
  assert_int_equal(REG(b, CPU_EDI), 0x12340002);
  assert_int_equal(REG(b, CPU_ECX), 0xABCD0000);
  assert_int_equal(peek(b, 0xFFFE), 0x77);
  assert_int_equal(peek(b, 0xFFFF), 0x77);
  assert_int_equal(peek(b, 0x0000), 0x77);
  assert_int_equal(peek(b, 0x0001), 0x77);
  assert_int_equal(peek(b, 0x10000), 0);
}

/* A REP STOSB long enough to run in several chunks ends exactly as one
 * pass would: memory, registers, EIP, and the counters (one instruction
 * retired for the REP, one cycle per iteration at the unit timing). Run
 * again with a one-cycle budget, cpu_run returns between chunks with EIP
 * still at the REP and the count partly done (and once more before the
 * HLT, the budget being honored at instruction boundaries), and resuming
 * reaches the same final state. */
static void long_rep_stosb_in_chunks_matches_a_single_pass(void **state) {
  (void)state;
  const uint32_t n = 3 * CHUNK + 123, dst = 0x20000;
  struct box *one = box_new(HARNESS_FLAT32), *cut = box_new(HARNESS_FLAT32);
  struct box *boxes[2] = {one, cut};
  for (int k = 0; k < 2; k++) {
    SET(boxes[k], CPU_EAX, 0x5A);
    SET(boxes[k], CPU_EDI, dst);
    SET(boxes[k], CPU_ECX, n);
    LOAD(boxes[k], 0xF3, 0xAA, 0xF4); /* rep stosb; hlt */
  }
  cycles_t c0 = cpu_cycles(one->h->cpu);
  uint64_t i0 = cpu_instructions(one->h->cpu);
  assert_int_equal(run(one, 1000000), CPU_EXIT_HALT);
  assert_int_equal(cpu_instructions(one->h->cpu) - i0, 2);
  assert_int_equal(cpu_cycles(one->h->cpu) - c0, n + 1);

  unsigned stops = 0, runs = 0;
  enum cpu_exit why;
  while ((why = run(cut, 1)) == CPU_EXIT_BUDGET) {
    assert_true(++runs < 10);
    if (cpu_get_eip(cut->h->cpu) == HARNESS_CODE + 2) {
      /* The REP is done; the budget ended the run before the HLT. */
      assert_int_equal(REG(cut, CPU_ECX), 0);
      continue;
    }
    stops++;
    assert_int_equal(cpu_get_eip(cut->h->cpu), HARNESS_CODE);
    assert_int_equal(REG(cut, CPU_ECX), n - stops * CHUNK);
    assert_int_equal(REG(cut, CPU_EDI), dst + stops * CHUNK);
    assert_true(stops < 10);
  }
  assert_int_equal(why, CPU_EXIT_HALT);
  assert_int_equal(stops, 3);

  for (int r = CPU_EAX; r <= CPU_EDI; r++)
    assert_int_equal(REG(cut, r), REG(one, r));
  assert_int_equal(REG(one, CPU_EDI), dst + n);
  assert_int_equal(REG(one, CPU_ECX), 0);
  assert_int_equal(cpu_get_eip(cut->h->cpu), cpu_get_eip(one->h->cpu));
  assert_int_equal(cpu_get_eip(one->h->cpu), HARNESS_CODE + 3);
  assert_int_equal(cpu_get_eflags(cut->h->cpu), cpu_get_eflags(one->h->cpu));
  assert_int_equal(cpu_instructions(cut->h->cpu), cpu_instructions(one->h->cpu));
  assert_int_equal(cpu_cycles(cut->h->cpu), cpu_cycles(one->h->cpu));
  for (uint32_t a = dst - 1; a <= dst + n; a++)
    assert_int_equal(peek(cut, a), peek(one, a));
  assert_int_equal(peek(one, dst), 0x5A);
  assert_int_equal(peek(one, dst + n - 1), 0x5A);
  assert_int_equal(peek(one, dst + n), 0);
  box_free(one);
  box_free(cut);
}

/* rep lodsb with ECX = 0xFFFFFFFF hands control back to cpu_run between
 * chunks, so a cycle budget stops it promptly at an iteration boundary. */
static void rep_with_ecx_all_ones_yields_to_the_budget(void **state) {
  struct box *b = *state;
  SET(b, CPU_ESI, 0);
  SET(b, CPU_ECX, 0xFFFFFFFFu);
  LOAD(b, 0xF3, 0xAC, 0xF4); /* rep lodsb; hlt */
  assert_int_equal(run(b, 100000), CPU_EXIT_BUDGET);
  assert_int_equal(cpu_get_eip(b->h->cpu), HARNESS_CODE);
  uint32_t done = REG(b, CPU_ESI);
  assert_true(done >= 100000 && done < 100000 + 2 * CHUNK);
  assert_int_equal(done % CHUNK, 0);
  assert_int_equal(REG(b, CPU_ECX), 0xFFFFFFFFu - done);
}

/* Real mode, rep movsw with DI = 0xFFF9: three words fit, the fourth runs
 * past offset 0xFFFF and raises #GP. CX, SI and DI show the three completed
 * iterations and the pushed IP is the REP's own (prefix included). */
static void fault_in_a_rep_leaves_completed_iterations_committed(void **state) {
  struct box *b = *state;
  fill(b, 0x3000, 0x80, 16);
  SET(b, CPU_ESI, 0x3000);
  SET(b, CPU_EDI, 0xFFF9);
  SET(b, CPU_ECX, 10);
  LOAD(b, 0xF3, 0xA5, 0xF4); /* rep movsw; hlt */
  assert_int_equal(run(b, 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(b->h->cpu), HARNESS_HANDLER + 1);
  assert_int_equal(REG(b, CPU_ECX), 7);
  assert_int_equal(REG(b, CPU_ESI), 0x3006);
  assert_int_equal(REG(b, CPU_EDI), 0xFFFF);
  assert_int_equal(REG(b, CPU_ESP), HARNESS_STACK - 6);
  assert_int_equal(mmu_read(b->h->mem, HARNESS_STACK - 6, 2), HARNESS_CODE); /* IP */
  for (unsigned k = 0; k < 6; k++)
    assert_int_equal(peek(b, 0xFFF9 + k), 0x80 + k);
  assert_int_equal(peek(b, 0xFFFF), 0);
}

/* rep outsb sends DS:ESI to port DX; rep insb stores port DX at ES:EDI. */
static void rep_outsb_and_rep_insb_use_the_port_in_dx(void **state) {
  struct box *b = *state;
  fill(b, 0x20000, 0x30, 8);
  SET(b, CPU_EDX, 0x12345E9); /* port 0x45E9: only DX counts */
  SET(b, CPU_ESI, 0x20000);
  SET(b, CPU_ECX, 8);
  LOAD(b, 0xF3, 0x6E, 0xF4); /* rep outsb; hlt */
  assert_int_equal(run(b, 1000), CPU_EXIT_HALT);
  assert_int_equal(b->ports.outs, 8);
  assert_int_equal(b->ports.last_port, 0x45E9);
  for (unsigned k = 0; k < 8; k++)
    assert_int_equal(b->ports.sent[k], 0x30 + k);
  assert_int_equal(REG(b, CPU_ESI), 0x20008);

  b->ports.next_in = 0x90;
  SET(b, CPU_EDI, 0x30000);
  SET(b, CPU_ECX, 4);
  LOAD(b, 0xF3, 0x6C, 0xF4); /* rep insb; hlt */
  assert_int_equal(run(b, 1000), CPU_EXIT_HALT);
  assert_int_equal(b->ports.ins, 4);
  for (unsigned k = 0; k < 4; k++)
    assert_int_equal(peek(b, 0x30000 + k), 0x90 + k);
  assert_int_equal(REG(b, CPU_EDI), 0x30004);
  assert_int_equal(REG(b, CPU_ECX), 0);
}

/* A segment override applies to the source; the destination stays ES. */
static void override_changes_the_source_segment_only(void **state) {
  struct box *b = *state;
  mmu_write(b->h->mem, 0x0100, 1, 0x11);         /* DS:0100 (DS = 0) */
  mmu_write(b->h->mem, 0x2000 * 16 + 0x100, 1, 0x22); /* FS:0100 */
  cpu_load_segment_real(b->h->cpu, CPU_FS, 0x2000);
  cpu_load_segment_real(b->h->cpu, CPU_ES, 0x3000);
  SET(b, CPU_ESI, 0x100);
  SET(b, CPU_EDI, 0x200);
  LOAD(b, 0x64, 0xA4, 0xF4); /* fs movsb; hlt */
  assert_int_equal(run(b, 1000), CPU_EXIT_HALT);
  assert_int_equal(peek(b, 0x3000 * 16 + 0x200), 0x22);
  assert_int_equal(peek(b, 0x0200), 0);
  assert_int_equal(REG(b, CPU_ESI), 0x101);
  assert_int_equal(REG(b, CPU_EDI), 0x201);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(rep_movsd_uses_esi_edi_ecx_at_32_bits, setup32, teardown),
      cmocka_unit_test_setup_teardown(rep_movsw_with_df_set_steps_down, setup32, teardown),
      cmocka_unit_test_setup_teardown(single_lodsd_and_scasb_with_df_set, setup32, teardown),
      cmocka_unit_test_setup_teardown(rep_with_ecx_zero_does_nothing, setup32, teardown),
      cmocka_unit_test_setup_teardown(repne_scasb_and_repe_cmpsd_stop_on_zf, setup32, teardown),
      cmocka_unit_test_setup_teardown(repne_on_stos_repeats_like_rep, setup32, teardown),
      cmocka_unit_test_setup_teardown(address_size_16_in_32_bit_code_wraps_di_and_keeps_upper_halves,
                                      setup32, teardown),
      cmocka_unit_test(long_rep_stosb_in_chunks_matches_a_single_pass),
      cmocka_unit_test_setup_teardown(rep_with_ecx_all_ones_yields_to_the_budget, setup32, teardown),
      cmocka_unit_test_setup_teardown(fault_in_a_rep_leaves_completed_iterations_committed, setup16,
                                      teardown),
      cmocka_unit_test_setup_teardown(rep_outsb_and_rep_insb_use_the_port_in_dx, setup32, teardown),
      cmocka_unit_test_setup_teardown(override_changes_the_source_segment_only, setup16, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
