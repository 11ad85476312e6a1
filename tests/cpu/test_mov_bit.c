/* tests/cpu/test_mov_bit.c - the 0x0F-map instructions of the mov and bit
 * families, which the 80286 vectors cannot cover: CMPXCHG CMPXCHG8B XADD,
 * BT BTS BTR BTC, BSF BSR, BSWAP, SETcc, CMOVcc, MOVZX MOVSX.
 *
 * Each test runs a few instruction bytes followed by HLT on a fresh
 * processor: 32-bit code in flat protected mode, or 16-bit code in real mode
 * (CS = DS = ES = SS = 0), and checks registers, flags and memory through
 * the public accessors. An MMIO page records writes, for the writes a
 * register-only view cannot see (CMPXCHG writing its destination back).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define RAM_BYTES (1u << 20) /* leaves MMIO16 above RAM */
#define DATA 0x2000u
#define MMIO32 0xFEC00000u /* flat 32-bit tests */
#define MMIO16 0x100000u   /* real mode: FFFF:0010, just above RAM (A20 on) */

#define ARITH CPU_FLAGS_ARITH

/* ---- an MMIO page that records writes and answers base + offset ------------- */

struct recorder {
  unsigned writes;
  uint32_t offsets[4], values[4];
  unsigned sizes[4];
};

static uint32_t rec_read(void *ctx, uint32_t offset, unsigned size_bytes) {
  (void)ctx;
  uint32_t v = 0x11110000u + offset;
  return size_bytes == 4 ? v : v & ((1u << (8 * size_bytes)) - 1);
}

static void rec_write(void *ctx, uint32_t offset, unsigned size_bytes, uint32_t value) {
  struct recorder *r = ctx;
  if (r->writes < 4) {
    r->offsets[r->writes] = offset;
    r->sizes[r->writes] = size_bytes;
    r->values[r->writes] = value;
  }
  r->writes++;
}

static const struct mmu_mmio_ops rec_ops = {rec_read, rec_write};

/* ---- the harness ------------------------------------------------------------ */

struct vm {
  struct harness *h;
  uint32_t next_code; /* each run gets fresh code bytes */
  struct recorder rec;
};

static struct vm *vm_new(enum harness_mode mode) {
  struct vm *v = calloc(1, sizeof *v);
  assert_non_null(v);
  v->h = harness_new_sized(mode, RAM_BYTES, NULL, NULL);
  v->next_code = HARNESS_CODE;
  uint32_t mmio = mode == HARNESS_FLAT32 ? MMIO32 : MMIO16;
  assert_int_equal(mmu_map_mmio(v->h->mem, mmio, 0x1000, &rec_ops, &v->rec), 0);
  for (int r = CPU_EAX; r <= CPU_EDI; r++)
    cpu_set_reg(v->h->cpu, (enum cpu_reg)r, 0);
  cpu_set_reg(v->h->cpu, CPU_ESP, HARNESS_STACK);
  cpu_set_eflags(v->h->cpu, 0x2);
  return v;
}

static int setup32(void **state) {
  *state = vm_new(HARNESS_FLAT32);
  return 0;
}

static int setup16(void **state) {
  *state = vm_new(HARNESS_REAL16);
  return 0;
}

static int teardown(void **state) {
  struct vm *v = *state;
  harness_free(v->h);
  free(v);
  return 0;
}

/* Runs code (HLT appended) and checks it halted just past the HLT. */
static void run(struct vm *v, const uint8_t *code, size_t n) {
  uint8_t buf[32];
  assert_true(n < sizeof buf);
  memcpy(buf, code, n);
  buf[n] = 0xF4; /* HLT */
  assert_int_equal(mmu_copy_to_guest(v->h->mem, v->next_code, buf, n + 1), 0);
  cpu_set_eip(v->h->cpu, v->next_code);
  enum cpu_exit why = cpu_run(v->h->cpu, cpu_cycles(v->h->cpu) + 1000);
  if (why != CPU_EXIT_HALT)
    fail_msg("stopped (%d): %s", (int)why, cpu_stop_reason(v->h->cpu));
  assert_int_equal(cpu_get_eip(v->h->cpu), v->next_code + n + 1);
  v->next_code += 0x40;
}

#define RUN(v, ...)                                   \
  do {                                                \
    static const uint8_t code_[] = {__VA_ARGS__};     \
    run((v), code_, sizeof code_);                    \
  } while (0)

static void put(struct vm *v, uint32_t addr, uint32_t value, unsigned n) {
  uint8_t b[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16), (uint8_t)(value >> 24)};
  assert_int_equal(mmu_copy_to_guest(v->h->mem, addr, b, n), 0);
}

static uint32_t get(struct vm *v, uint32_t addr, unsigned n) {
  uint8_t b[4] = {0};
  assert_int_equal(mmu_copy_from_guest(v->h->mem, addr, b, n), 0);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint32_t reg(struct vm *v, enum cpu_reg r) { return cpu_get_reg(v->h->cpu, r); }
static void set(struct vm *v, enum cpu_reg r, uint32_t value) { cpu_set_reg(v->h->cpu, r, value); }
static uint32_t flags(struct vm *v) { return cpu_get_eflags(v->h->cpu); }

/* ---- CMPXCHG ------------------------------------------------------------------ */

static void cmpxchg32_equal_stores_source_and_sets_zf(void **state) {
  struct vm *v = *state;
  put(v, DATA, 0xCAFEF00D, 4);
  set(v, CPU_EAX, 0xCAFEF00D);
  set(v, CPU_ECX, 0x12345678);
  RUN(v, 0x0F, 0xB1, 0x0D, 0x00, 0x20, 0x00, 0x00); /* cmpxchg [0x2000], ecx */
  assert_int_equal(get(v, DATA, 4), 0x12345678);
  assert_int_equal(reg(v, CPU_EAX), 0xCAFEF00D);
  assert_int_equal(flags(v) & (CPU_FLAG_ZF | CPU_FLAG_CF), CPU_FLAG_ZF);
}

static void cmpxchg32_different_loads_eax_and_writes_old_value_back(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 1);
  set(v, CPU_ECX, 0x99999999);
  RUN(v, 0x0F, 0xB1, 0x0D, 0x10, 0x00, 0xC0, 0xFE); /* cmpxchg [0xFEC00010], ecx */
  assert_int_equal(reg(v, CPU_EAX), 0x11110010);
  /* flags of CMP 1, 0x11110010: borrow, not zero */
  assert_int_equal(flags(v) & (CPU_FLAG_ZF | CPU_FLAG_CF), CPU_FLAG_CF);
  /* the i686 writes the destination anyway, with its old value */
  assert_int_equal(v->rec.writes, 1);
  assert_int_equal(v->rec.offsets[0], 0x10);
  assert_int_equal(v->rec.sizes[0], 4);
  assert_int_equal(v->rec.values[0], 0x11110010);
}

static void cmpxchg8_register_forms(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0xAAAAAA42);
  set(v, CPU_EBX, 0x00004200); /* BH = 0x42 */
  set(v, CPU_EDX, 0x77);
  RUN(v, 0x0F, 0xB0, 0xD7); /* cmpxchg bh, dl: equal */
  assert_int_equal(reg(v, CPU_EBX), 0x00007700);
  assert_true(flags(v) & CPU_FLAG_ZF);
  RUN(v, 0x0F, 0xB0, 0xD7); /* again: BH 0x77 != AL 0x42 */
  assert_int_equal(reg(v, CPU_EAX), 0xAAAAAA77);
  assert_int_equal(reg(v, CPU_EBX), 0x00007700);
  assert_false(flags(v) & CPU_FLAG_ZF);
}

static void cmpxchg16_real_mode_equal_and_different(void **state) {
  struct vm *v = *state;
  put(v, DATA, 0xBEEF, 2);
  set(v, CPU_EAX, 0xFFFFBEEF);
  set(v, CPU_ECX, 0x11112222);
  RUN(v, 0x0F, 0xB1, 0x0E, 0x00, 0x20); /* cmpxchg [0x2000], cx */
  assert_int_equal(get(v, DATA, 4), 0x2222);
  assert_true(flags(v) & CPU_FLAG_ZF);
  RUN(v, 0x0F, 0xB1, 0x0E, 0x00, 0x20); /* AX 0xBEEF != 0x2222 */
  assert_int_equal(reg(v, CPU_EAX), 0xFFFF2222); /* upper half kept */
  assert_false(flags(v) & CPU_FLAG_ZF);
  assert_true(flags(v) & CPU_FLAG_SF); /* 0xBEEF - 0x2222 is negative */
}

static void cmpxchg16_real_mode_different_writes_old_value_back(void **state) {
  struct vm *v = *state;
  cpu_load_segment_real(v->h->cpu, CPU_DS, 0xFFFF); /* FFFF:0010 = 0x100000 */
  set(v, CPU_EAX, 0x0001);
  RUN(v, 0x0F, 0xB1, 0x0E, 0x14, 0x00); /* cmpxchg [0x0014], cx */
  assert_int_equal(reg(v, CPU_EAX), 0x0004);
  assert_int_equal(v->rec.writes, 1);
  assert_int_equal(v->rec.offsets[0], 4);
  assert_int_equal(v->rec.sizes[0], 2);
  assert_int_equal(v->rec.values[0], 0x0004);
}

/* ---- CMPXCHG8B ---------------------------------------------------------------- */

static void cmpxchg8b_equal_stores_ecx_ebx(void **state) {
  struct vm *v = *state;
  put(v, DATA, 0x11223344, 4);
  put(v, DATA + 4, 0x55667788, 4);
  set(v, CPU_EAX, 0x11223344);
  set(v, CPU_EDX, 0x55667788);
  set(v, CPU_EBX, 0xAAAAAAAA);
  set(v, CPU_ECX, 0xBBBBBBBB);
  cpu_set_eflags(v->h->cpu, 0x2 | CPU_FLAG_CF);
  RUN(v, 0x0F, 0xC7, 0x0D, 0x00, 0x20, 0x00, 0x00); /* cmpxchg8b [0x2000] */
  assert_int_equal(get(v, DATA, 4), 0xAAAAAAAA);
  assert_int_equal(get(v, DATA + 4, 4), 0xBBBBBBBB);
  assert_int_equal(flags(v) & ARITH, CPU_FLAG_ZF | CPU_FLAG_CF); /* only ZF changes */
}

static void cmpxchg8b_different_loads_edx_eax_and_writes_back(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0x11110000);
  set(v, CPU_EDX, 0);
  cpu_set_eflags(v->h->cpu, 0x2 | CPU_FLAG_ZF | CPU_FLAG_SF);
  RUN(v, 0x0F, 0xC7, 0x0D, 0x00, 0x00, 0xC0, 0xFE); /* cmpxchg8b [0xFEC00000] */
  assert_int_equal(reg(v, CPU_EAX), 0x11110000);
  assert_int_equal(reg(v, CPU_EDX), 0x11110004);
  assert_int_equal(flags(v) & ARITH, CPU_FLAG_SF);
  assert_int_equal(v->rec.writes, 2);
  assert_int_equal(v->rec.values[0], 0x11110000);
  assert_int_equal(v->rec.values[1], 0x11110004);
}

static void cmpxchg8b_real_mode(void **state) {
  struct vm *v = *state;
  put(v, DATA, 1, 4);
  put(v, DATA + 4, 2, 4);
  set(v, CPU_EAX, 1);
  set(v, CPU_EDX, 2);
  set(v, CPU_EBX, 3);
  set(v, CPU_ECX, 4);
  RUN(v, 0x0F, 0xC7, 0x0E, 0x00, 0x20); /* cmpxchg8b [0x2000] */
  assert_int_equal(get(v, DATA, 4), 3);
  assert_int_equal(get(v, DATA + 4, 4), 4);
  assert_true(flags(v) & CPU_FLAG_ZF);
}

/* ---- XADD ------------------------------------------------------------------------ */

static void xadd32_memory_exchanges_and_adds(void **state) {
  struct vm *v = *state;
  put(v, DATA, 0xFFFFFFFF, 4);
  set(v, CPU_ECX, 2);
  RUN(v, 0x0F, 0xC1, 0x0D, 0x00, 0x20, 0x00, 0x00); /* xadd [0x2000], ecx */
  assert_int_equal(get(v, DATA, 4), 1);
  assert_int_equal(reg(v, CPU_ECX), 0xFFFFFFFF);
  assert_int_equal(flags(v) & (CPU_FLAG_CF | CPU_FLAG_ZF | CPU_FLAG_OF), CPU_FLAG_CF);
}

static void xadd32_registers_and_same_register(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0x7FFFFFFF);
  set(v, CPU_EBX, 1);
  RUN(v, 0x0F, 0xC1, 0xD8); /* xadd eax, ebx */
  assert_int_equal(reg(v, CPU_EAX), 0x80000000);
  assert_int_equal(reg(v, CPU_EBX), 0x7FFFFFFF);
  assert_int_equal(flags(v) & (CPU_FLAG_OF | CPU_FLAG_SF | CPU_FLAG_CF), CPU_FLAG_OF | CPU_FLAG_SF);
  set(v, CPU_EDX, 21);
  RUN(v, 0x0F, 0xC1, 0xD2); /* xadd edx, edx: the sum is written last */
  assert_int_equal(reg(v, CPU_EDX), 42);
}

static void xadd16_real_mode(void **state) {
  struct vm *v = *state;
  put(v, DATA, 0x8000, 2);
  set(v, CPU_ECX, 0xABCD8000);
  RUN(v, 0x0F, 0xC1, 0x0E, 0x00, 0x20); /* xadd [0x2000], cx */
  assert_int_equal(get(v, DATA, 4), 0);
  assert_int_equal(reg(v, CPU_ECX), 0xABCD8000);
  assert_int_equal(flags(v) & (CPU_FLAG_CF | CPU_FLAG_ZF | CPU_FLAG_OF), CPU_FLAG_CF | CPU_FLAG_ZF | CPU_FLAG_OF);
  set(v, CPU_EAX, 0x12340305);
  RUN(v, 0x0F, 0xC0, 0xE0); /* xadd al, ah: AL = 5 + 3, AH = 5 */
  assert_int_equal(reg(v, CPU_EAX), 0x12340508);
}

/* ---- BT BTS BTR BTC ------------------------------------------------------------ */

static void bt32_register_offset_is_modulo_32(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0x00000002);
  set(v, CPU_ECX, 33);
  cpu_set_eflags(v->h->cpu, 0x2 | CPU_FLAG_ZF | CPU_FLAG_OF);
  RUN(v, 0x0F, 0xA3, 0xC8); /* bt eax, ecx */
  assert_int_equal(flags(v) & ARITH, CPU_FLAG_CF | CPU_FLAG_ZF | CPU_FLAG_OF); /* only CF */
}

static void bt32_memory_offset_beyond_the_operand(void **state) {
  struct vm *v = *state;
  put(v, DATA + 4, 0x08, 1); /* bit 35 of the string at 0x2000 */
  set(v, CPU_ECX, 35);
  RUN(v, 0x0F, 0xA3, 0x0D, 0x00, 0x20, 0x00, 0x00); /* bt [0x2000], ecx */
  assert_true(flags(v) & CPU_FLAG_CF);
  set(v, CPU_ECX, 34);
  RUN(v, 0x0F, 0xA3, 0x0D, 0x00, 0x20, 0x00, 0x00);
  assert_false(flags(v) & CPU_FLAG_CF);
}

static void bt32_memory_negative_offset_addresses_below(void **state) {
  struct vm *v = *state;
  put(v, DATA + 0x0F, 0x80, 1); /* bit -1 of the string at 0x2010 */
  set(v, CPU_ECX, 0xFFFFFFFF);
  RUN(v, 0x0F, 0xA3, 0x0D, 0x10, 0x20, 0x00, 0x00); /* bt [0x2010], ecx */
  assert_true(flags(v) & CPU_FLAG_CF);
  set(v, CPU_ECX, (uint32_t)-100); /* byte 0x2010 - 13 = 0x2003, bit 4 */
  RUN(v, 0x0F, 0xAB, 0x0D, 0x10, 0x20, 0x00, 0x00); /* bts [0x2010], ecx */
  assert_false(flags(v) & CPU_FLAG_CF);
  assert_int_equal(get(v, DATA + 3, 1), 0x10);
}

static void bts_btr_btc32_memory_write_the_bit(void **state) {
  struct vm *v = *state;
  put(v, DATA + 12, 0xFF, 1);
  set(v, CPU_ECX, 100); /* byte 12, bit 4 */
  RUN(v, 0x0F, 0xB3, 0x0D, 0x00, 0x20, 0x00, 0x00); /* btr [0x2000], ecx */
  assert_true(flags(v) & CPU_FLAG_CF);
  assert_int_equal(get(v, DATA + 12, 1), 0xEF);
  RUN(v, 0x0F, 0xBB, 0x0D, 0x00, 0x20, 0x00, 0x00); /* btc [0x2000], ecx */
  assert_false(flags(v) & CPU_FLAG_CF);
  assert_int_equal(get(v, DATA + 12, 1), 0xFF);
  RUN(v, 0x0F, 0xAB, 0x0D, 0x00, 0x20, 0x00, 0x00); /* bts [0x2000], ecx */
  assert_true(flags(v) & CPU_FLAG_CF);
  assert_int_equal(get(v, DATA + 12, 1), 0xFF);
}

static void bt32_immediate_offset_is_modulo_32(void **state) {
  struct vm *v = *state;
  put(v, DATA, 0, 4);
  put(v, DATA + 4, 0, 4);
  RUN(v, 0x0F, 0xBA, 0x2D, 0x00, 0x20, 0x00, 0x00, 0x21); /* bts dword [0x2000], 33 */
  assert_false(flags(v) & CPU_FLAG_CF);
  assert_int_equal(get(v, DATA, 4), 2);
  assert_int_equal(get(v, DATA + 4, 4), 0);
  set(v, CPU_EDX, 0x80000000);
  RUN(v, 0x0F, 0xBA, 0xFA, 0x3F); /* btc edx, 63 */
  assert_true(flags(v) & CPU_FLAG_CF);
  assert_int_equal(reg(v, CPU_EDX), 0);
}

static void bt16_real_mode_register_and_memory(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0x00010000); /* bit 16: outside a 16-bit operand */
  set(v, CPU_ECX, 16);         /* CX 16 = bit 0 of AX */
  RUN(v, 0x0F, 0xA3, 0xC8);    /* bt ax, cx */
  assert_false(flags(v) & CPU_FLAG_CF);
  put(v, DATA + 2, 0x10, 1);
  set(v, CPU_ECX, 0xFFFF0014); /* CX = 20: byte 0x2002, bit 4 (upper half ignored) */
  RUN(v, 0x0F, 0xA3, 0x0E, 0x00, 0x20); /* bt [0x2000], cx */
  assert_true(flags(v) & CPU_FLAG_CF);
  set(v, CPU_ECX, 0xFFFD); /* CX = -3: byte 0x1FFF, bit 5 */
  RUN(v, 0x0F, 0xAB, 0x0E, 0x00, 0x20); /* bts [0x2000], cx */
  assert_false(flags(v) & CPU_FLAG_CF);
  assert_int_equal(get(v, DATA - 1, 1), 0x20);
  RUN(v, 0x0F, 0xBA, 0x36, 0x00, 0x20, 0x1D); /* btr word [0x2000], 29 = bit 13 */
  assert_false(flags(v) & CPU_FLAG_CF);
  put(v, DATA + 1, 0x20, 1);
  RUN(v, 0x0F, 0xBA, 0x26, 0x00, 0x20, 0x1D); /* bt word [0x2000], 29 */
  assert_true(flags(v) & CPU_FLAG_CF);
}

/* ---- BSF BSR -------------------------------------------------------------------- */

static void bsf_bsr32_find_lowest_and_highest_bit(void **state) {
  struct vm *v = *state;
  set(v, CPU_ECX, 0x00F01000);
  RUN(v, 0x0F, 0xBC, 0xC1); /* bsf eax, ecx */
  assert_int_equal(reg(v, CPU_EAX), 12);
  assert_false(flags(v) & CPU_FLAG_ZF);
  RUN(v, 0x0F, 0xBD, 0xC1); /* bsr eax, ecx */
  assert_int_equal(reg(v, CPU_EAX), 23);
  assert_false(flags(v) & CPU_FLAG_ZF);
}

static void bsf_bsr32_zero_source_keeps_destination_and_sets_zf(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0xDEADBEEF);
  put(v, DATA, 0, 4);
  RUN(v, 0x0F, 0xBC, 0x05, 0x00, 0x20, 0x00, 0x00); /* bsf eax, [0x2000] */
  assert_int_equal(reg(v, CPU_EAX), 0xDEADBEEF);
  assert_true(flags(v) & CPU_FLAG_ZF);
  cpu_set_eflags(v->h->cpu, 0x2);
  RUN(v, 0x0F, 0xBD, 0x05, 0x00, 0x20, 0x00, 0x00); /* bsr eax, [0x2000] */
  assert_int_equal(reg(v, CPU_EAX), 0xDEADBEEF);
  assert_true(flags(v) & CPU_FLAG_ZF);
}

static void bsf_bsr16_real_mode(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0x12345678);
  set(v, CPU_ECX, 0x00010000); /* CX = 0 */
  RUN(v, 0x0F, 0xBC, 0xC1);    /* bsf ax, cx */
  assert_int_equal(reg(v, CPU_EAX), 0x12345678);
  assert_true(flags(v) & CPU_FLAG_ZF);
  set(v, CPU_ECX, 0x00018100);
  RUN(v, 0x0F, 0xBD, 0xC1); /* bsr ax, cx */
  assert_int_equal(reg(v, CPU_EAX), 0x1234000F);
  assert_false(flags(v) & CPU_FLAG_ZF);
  RUN(v, 0x0F, 0xBC, 0xC1); /* bsf ax, cx */
  assert_int_equal(reg(v, CPU_EAX), 0x12340008);
}

/* ---- BSWAP -------------------------------------------------------------------- */

static void bswap32_reverses_bytes(void **state) {
  struct vm *v = *state;
  set(v, CPU_ECX, 0x11223344);
  RUN(v, 0x0F, 0xC9); /* bswap ecx */
  assert_int_equal(reg(v, CPU_ECX), 0x44332211);
}

/* Undefined by Intel; ringlab does what a P6 does: the low word becomes 0. */
static void bswap16_clears_the_low_word(void **state) {
  struct vm *v = *state;
  set(v, CPU_EBX, 0x11223344);
  RUN(v, 0x66, 0x0F, 0xCB); /* bswap bx (o16 in 32-bit code) */
  assert_int_equal(reg(v, CPU_EBX), 0x11220000);
}

static void bswap_real_mode(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0xAABBCCDD);
  RUN(v, 0x0F, 0xC8); /* bswap ax: undefined, low word 0 */
  assert_int_equal(reg(v, CPU_EAX), 0xAABB0000);
  set(v, CPU_EDX, 0x01020304);
  RUN(v, 0x66, 0x0F, 0xCA); /* bswap edx */
  assert_int_equal(reg(v, CPU_EDX), 0x04030201);
}

/* ---- SETcc -------------------------------------------------------------------- */

static void setcc_writes_one_or_zero(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0xFFFFFF55);
  cpu_set_eflags(v->h->cpu, 0x2 | CPU_FLAG_ZF);
  RUN(v, 0x0F, 0x94, 0xC0); /* sete al */
  assert_int_equal(reg(v, CPU_EAX), 0xFFFFFF01);
  RUN(v, 0x0F, 0x95, 0xC4); /* setne ah */
  assert_int_equal(reg(v, CPU_EAX), 0xFFFF0001);
  put(v, DATA, 0xAA, 1);
  cpu_set_eflags(v->h->cpu, 0x2 | CPU_FLAG_SF); /* SF != OF: less */
  RUN(v, 0x0F, 0x9C, 0x05, 0x00, 0x20, 0x00, 0x00); /* setl [0x2000] */
  assert_int_equal(get(v, DATA, 1), 1);
  RUN(v, 0x0F, 0x9F, 0x05, 0x00, 0x20, 0x00, 0x00); /* setg [0x2000] */
  assert_int_equal(get(v, DATA, 1), 0);
}

static void setcc_real_mode(void **state) {
  struct vm *v = *state;
  cpu_set_eflags(v->h->cpu, 0x2 | CPU_FLAG_CF);
  put(v, DATA, 0x77, 1);
  RUN(v, 0x0F, 0x92, 0x06, 0x00, 0x20); /* setb [0x2000] */
  assert_int_equal(get(v, DATA, 1), 1);
  RUN(v, 0x0F, 0x97, 0xC3); /* seta bl */
  assert_int_equal(reg(v, CPU_EBX) & 0xFF, 0);
}

/* ---- CMOVcc ------------------------------------------------------------------- */

static void cmov32_true_moves_false_keeps_register(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0xAAAAAAAA);
  set(v, CPU_ECX, 0x12345678);
  cpu_set_eflags(v->h->cpu, 0x2 | CPU_FLAG_ZF);
  RUN(v, 0x0F, 0x45, 0xC1); /* cmovne eax, ecx: false */
  assert_int_equal(reg(v, CPU_EAX), 0xAAAAAAAA); /* 32-bit mode: no zero-extension */
  RUN(v, 0x0F, 0x44, 0xC1); /* cmove eax, ecx: true */
  assert_int_equal(reg(v, CPU_EAX), 0x12345678);
  put(v, DATA, 0xCAFEBABE, 4);
  RUN(v, 0x0F, 0x4C, 0x05, 0x00, 0x20, 0x00, 0x00); /* cmovl eax, [0x2000]: false */
  assert_int_equal(reg(v, CPU_EAX), 0x12345678);
  RUN(v, 0x0F, 0x4E, 0x05, 0x00, 0x20, 0x00, 0x00); /* cmovle eax, [0x2000]: true */
  assert_int_equal(reg(v, CPU_EAX), 0xCAFEBABE);
}

static void cmov16_real_mode(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0x11112222);
  set(v, CPU_ECX, 0x33334444);
  cpu_set_eflags(v->h->cpu, 0x2 | CPU_FLAG_CF);
  RUN(v, 0x0F, 0x43, 0xC1); /* cmovae ax, cx: false */
  assert_int_equal(reg(v, CPU_EAX), 0x11112222);
  RUN(v, 0x0F, 0x42, 0xC1); /* cmovb ax, cx: true */
  assert_int_equal(reg(v, CPU_EAX), 0x11114444);
  RUN(v, 0x66, 0x0F, 0x42, 0xC1); /* cmovb eax, ecx */
  assert_int_equal(reg(v, CPU_EAX), 0x33334444);
}

/* ---- MOVZX MOVSX -------------------------------------------------------------- */

static void movzx_movsx32(void **state) {
  struct vm *v = *state;
  put(v, DATA, 0x80F1, 2);
  set(v, CPU_EAX, 0xFFFFFFFF);
  RUN(v, 0x0F, 0xB6, 0x05, 0x00, 0x20, 0x00, 0x00); /* movzx eax, byte [0x2000] */
  assert_int_equal(reg(v, CPU_EAX), 0xF1);
  RUN(v, 0x0F, 0xBE, 0x05, 0x00, 0x20, 0x00, 0x00); /* movsx eax, byte [0x2000] */
  assert_int_equal(reg(v, CPU_EAX), 0xFFFFFFF1);
  RUN(v, 0x0F, 0xB7, 0x05, 0x00, 0x20, 0x00, 0x00); /* movzx eax, word [0x2000] */
  assert_int_equal(reg(v, CPU_EAX), 0x80F1);
  set(v, CPU_ECX, 0x00008001);
  RUN(v, 0x0F, 0xBF, 0xC1); /* movsx eax, cx */
  assert_int_equal(reg(v, CPU_EAX), 0xFFFF8001);
  set(v, CPU_EBX, 0x00007F00);
  RUN(v, 0x66, 0x0F, 0xBE, 0xC7); /* movsx ax, bh */
  assert_int_equal(reg(v, CPU_EAX), 0xFFFF007F);
}

static void movzx_movsx16_real_mode(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0xAAAAAAAA);
  set(v, CPU_EBX, 0x0000C300);
  RUN(v, 0x0F, 0xB6, 0xC7); /* movzx ax, bh */
  assert_int_equal(reg(v, CPU_EAX), 0xAAAA00C3);
  RUN(v, 0x0F, 0xBE, 0xC7); /* movsx ax, bh */
  assert_int_equal(reg(v, CPU_EAX), 0xAAAAFFC3);
  put(v, DATA, 0x9000, 2);
  RUN(v, 0x66, 0x0F, 0xBF, 0x06, 0x00, 0x20); /* movsx eax, word [0x2000] */
  assert_int_equal(reg(v, CPU_EAX), 0xFFFF9000);
  RUN(v, 0x66, 0x0F, 0xB7, 0x06, 0x00, 0x20); /* movzx eax, word [0x2000] */
  assert_int_equal(reg(v, CPU_EAX), 0x9000);
}

/* ---- a few 32-bit forms of the one-byte map ------------------------------------ */

static void mov_sreg_to_r32_zero_extends(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0xFFFFFFFF);
  RUN(v, 0x8C, 0xD8); /* mov eax, ds */
  assert_int_equal(reg(v, CPU_EAX), 0x10);
  set(v, CPU_ECX, 0xFFFFFFFF);
  RUN(v, 0x66, 0x8C, 0xC1); /* mov cx, es */
  assert_int_equal(reg(v, CPU_ECX), 0xFFFF0010);
}

static void cwde_cdq_and_lea32(void **state) {
  struct vm *v = *state;
  set(v, CPU_EAX, 0x12348000);
  RUN(v, 0x98); /* cwde */
  assert_int_equal(reg(v, CPU_EAX), 0xFFFF8000);
  RUN(v, 0x99); /* cdq */
  assert_int_equal(reg(v, CPU_EDX), 0xFFFFFFFF);
  set(v, CPU_EBX, 0x1000);
  set(v, CPU_ESI, 0x20);
  RUN(v, 0x8D, 0x44, 0xB3, 0x08); /* lea eax, [ebx + esi*4 + 8] */
  assert_int_equal(reg(v, CPU_EAX), 0x1088);
}

static void lss32_loads_offset_then_selector(void **state) {
  struct vm *v = *state;
  cpu_set_reg(v->h->cpu, CPU_ESP, 0x8000);
  put(v, DATA, 0x00012345, 4);
  put(v, DATA + 4, 0x0100, 2);
  RUN(v, 0x66, 0x0F, 0xB2, 0x26, 0x00, 0x20); /* lss esp, [0x2000] (real mode, o32) */
  assert_int_equal(reg(v, CPU_ESP), 0x00012345);
  struct cpu_segment ss;
  cpu_get_segment(v->h->cpu, CPU_SS, &ss);
  assert_int_equal(ss.selector, 0x0100);
  assert_int_equal(ss.base, 0x1000);
}

#define T32(f) cmocka_unit_test_setup_teardown(f, setup32, teardown)
#define T16(f) cmocka_unit_test_setup_teardown(f, setup16, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T32(cmpxchg32_equal_stores_source_and_sets_zf),
      T32(cmpxchg32_different_loads_eax_and_writes_old_value_back),
      T32(cmpxchg8_register_forms),
      T16(cmpxchg16_real_mode_equal_and_different),
      T16(cmpxchg16_real_mode_different_writes_old_value_back),
      T32(cmpxchg8b_equal_stores_ecx_ebx),
      T32(cmpxchg8b_different_loads_edx_eax_and_writes_back),
      T16(cmpxchg8b_real_mode),
      T32(xadd32_memory_exchanges_and_adds),
      T32(xadd32_registers_and_same_register),
      T16(xadd16_real_mode),
      T32(bt32_register_offset_is_modulo_32),
      T32(bt32_memory_offset_beyond_the_operand),
      T32(bt32_memory_negative_offset_addresses_below),
      T32(bts_btr_btc32_memory_write_the_bit),
      T32(bt32_immediate_offset_is_modulo_32),
      T16(bt16_real_mode_register_and_memory),
      T32(bsf_bsr32_find_lowest_and_highest_bit),
      T32(bsf_bsr32_zero_source_keeps_destination_and_sets_zf),
      T16(bsf_bsr16_real_mode),
      T32(bswap32_reverses_bytes),
      T32(bswap16_clears_the_low_word),
      T16(bswap_real_mode),
      T32(setcc_writes_one_or_zero),
      T16(setcc_real_mode),
      T32(cmov32_true_moves_false_keeps_register),
      T16(cmov16_real_mode),
      T32(movzx_movsx32),
      T16(movzx_movsx16_real_mode),
      T32(mov_sreg_to_r32_zero_extends),
      T32(cwde_cdq_and_lea32),
      T16(lss32_loads_offset_then_selector),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
