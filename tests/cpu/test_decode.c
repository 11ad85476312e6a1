/* tests/cpu/test_decode.c - the decoder on forms the 286 vectors cannot
 * cover: 32-bit addressing with SIB, the 0x66/0x67 size prefixes, the 0x0F
 * map, the LOCK and length verdicts. Table-driven: each row gives the bytes,
 * the code size, and what struct insn must hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpu-internal.h"

#define NONE CPU_REG_NONE

struct decode_case {
  const char *what;
  uint8_t bytes[16];
  unsigned n;
  bool code32;
  unsigned len;
  const char *row;   /* handler name of the row */
  int base, index, scale;
  uint32_t disp;
  int seg;
  uint8_t flags;     /* INSN_O32 | INSN_A32 | INSN_MEM ... that must be set */
};

static const struct decode_case cases[] = {
    {"32-bit [eax]", {0x01, 0x00}, 2, true, 2, "ADD_EdGd", CPU_EAX, NONE, 0, 0, CPU_DS, INSN_O32 | INSN_A32 | INSN_MEM},
    {"32-bit disp32 only", {0x01, 0x05, 0x78, 0x56, 0x34, 0x12}, 6, true, 6, "ADD_EdGd", NONE, NONE, 0, 0x12345678, CPU_DS, INSN_MEM},
    {"SIB base+index*4+disp8", {0x01, 0x44, 0x8B, 0xF0}, 4, true, 4, "ADD_EdGd", CPU_EBX, CPU_ECX, 2, 0xFFFFFFF0u, CPU_DS, INSN_MEM},
    {"SIB no index (100b)", {0x01, 0x04, 0x24}, 3, true, 3, "ADD_EdGd", CPU_ESP, NONE, 0, 0, CPU_SS, INSN_MEM},
    {"SIB no base: disp32 + index*8", {0x01, 0x04, 0xCD, 0x00, 0x10, 0x00, 0x00}, 7, true, 7, "ADD_EdGd", NONE, CPU_ECX, 3, 0x1000, CPU_DS, INSN_MEM},
    {"[ebp+disp8] defaults to SS", {0x01, 0x45, 0x08}, 3, true, 3, "ADD_EdGd", CPU_EBP, NONE, 0, 8, CPU_SS, INSN_MEM},
    {"[ebp+disp32] with DS override", {0x3E, 0x01, 0x85, 0x00, 0x01, 0x00, 0x00}, 7, true, 7, "ADD_EdGd", CPU_EBP, NONE, 0, 0x100, CPU_DS, INSN_MEM | INSN_SEGOVR},
    {"16-bit [bp+si] defaults to SS", {0x01, 0x02}, 2, false, 2, "ADD_EwGw", CPU_EBP, CPU_ESI, 0, 0, CPU_SS, INSN_MEM},
    {"16-bit disp16 only", {0x01, 0x06, 0x34, 0x12}, 4, false, 4, "ADD_EwGw", NONE, NONE, 0, 0x1234, CPU_DS, INSN_MEM},
    {"0x66 in 16-bit code selects the dword row", {0x66, 0x01, 0xC0}, 3, false, 3, "ADD_EdGd", NONE, NONE, 0, 0, CPU_DS, INSN_O32},
    {"0x66 in 32-bit code selects the word row", {0x66, 0x01, 0xC0}, 3, true, 3, "ADD_EwGw", NONE, NONE, 0, 0, CPU_DS, INSN_A32},
    {"0x67 in 16-bit code: 32-bit SIB addressing", {0x67, 0x01, 0x04, 0x98}, 4, false, 4, "ADD_EwGw", CPU_EAX, CPU_EBX, 2, 0, CPU_DS, INSN_A32 | INSN_MEM},
    {"0x67 in 32-bit code: 16-bit [bx+di+disp8]", {0x67, 0x01, 0x41, 0x7F}, 4, true, 4, "ADD_EdGd", CPU_EBX, CPU_EDI, 0, 0x7F, CPU_DS, INSN_O32 | INSN_MEM},
    {"moffs with 0x67 in 16-bit code is 4 bytes", {0x67, 0xA1, 1, 2, 3, 4}, 6, false, 6, "MOV_AXOw", NONE, NONE, 0, 0x04030201, CPU_DS, INSN_A32},
    {"0F map: Jcc rel32", {0x0F, 0x85, 0x10, 0, 0, 0}, 6, true, 6, "Jcc_Jd", NONE, NONE, 0, 0, CPU_DS, INSN_O32},
    {"0F map: Jcc rel16 in 16-bit code", {0x0F, 0x84, 0x10, 0}, 4, false, 4, "Jcc_Jw", NONE, NONE, 0, 0, CPU_DS, 0},
    {"81 /0 Iz is 4 bytes in 32-bit code", {0x81, 0xC0, 1, 2, 3, 4}, 6, true, 6, "ADD_EdId", NONE, NONE, 0, 0, CPU_DS, INSN_O32},
    {"83 /7 Ib sign-extends", {0x83, 0xF8, 0xFF}, 3, true, 3, "CMP_EdIbs", NONE, NONE, 0, 0, CPU_DS, INSN_O32},
    {"F7 /0 TEST has an immediate", {0xF7, 0xC0, 1, 2, 3, 4}, 6, true, 6, "TEST_EdId", NONE, NONE, 0, 0, CPU_DS, INSN_O32},
    {"F7 /3 NEG has none", {0xF7, 0xD8}, 2, true, 2, "NEG_Ed", NONE, NONE, 0, 0, CPU_DS, INSN_O32},
    {"far JMP ptr16:32", {0xEA, 1, 2, 3, 4, 0x08, 0x00}, 7, true, 7, "JMP_Ap", NONE, NONE, 0, 0, CPU_DS, INSN_O32},
    {"ENTER Iw, Ib", {0xC8, 0x10, 0x00, 0x01}, 4, true, 4, "ENTER_d", NONE, NONE, 0, 0, CPU_DS, INSN_O32},
    {"LOCK ADD to memory is allowed", {0xF0, 0x01, 0x00}, 3, true, 3, "ADD_EdGd", CPU_EAX, NONE, 0, 0, CPU_DS, INSN_LOCK | INSN_MEM},
    {"LOCK ADD to a register is #UD", {0xF0, 0x01, 0xC0}, 3, true, 3, "UD_invalid", NONE, NONE, 0, 0, CPU_DS, 0},
    {"LOCK on MOV is #UD", {0xF0, 0x89, 0x00}, 3, true, 3, "UD_invalid", CPU_EAX, NONE, 0, 0, CPU_DS, 0},
    {"LEA with a register operand is #UD", {0x8D, 0xC0}, 2, true, 2, "UD_invalid", NONE, NONE, 0, 0, CPU_DS, 0},
    {"14 prefixes + NOP is 15 bytes: legal", {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90}, 15, true, 15, "NOP", NONE, NONE, 0, 0, CPU_DS, 0},
    {"15 prefixes + NOP is too long", {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90}, 16, true, 15, "GP_too_long", NONE, NONE, 0, 0, CPU_DS, 0},
    {"0F FF is #UD", {0x0F, 0xFF}, 2, true, 2, "UD_invalid", NONE, NONE, 0, 0, CPU_DS, 0},
    {"PUSH r32 takes the register from the opcode", {0x53}, 1, true, 1, "PUSH_Zd", NONE, NONE, 0, 0, CPU_DS, INSN_O32},
    {"last segment override wins", {0x26, 0x64, 0x8B, 0x00}, 4, true, 4, "MOV_GdEd", CPU_EAX, NONE, 0, 0, CPU_FS, INSN_MEM | INSN_SEGOVR},
    {"F3 after F2: REP wins", {0xF2, 0xF3, 0xA4}, 3, true, 3, "MOVSB", NONE, NONE, 0, 0, CPU_DS, INSN_REP},
    /* MOV CRn/DRn: "the 2 bits in the mod field are ignored" (SDM vol. 2,
     * MOV-Move to/from Control/Debug Registers): no displacement, no SIB. */
    {"MOV EAX, CR0 with mod 0 rm 5: no disp32", {0x0F, 0x20, 0x05, 1, 2, 3, 4}, 7, true, 3, "MOV_RdCd", NONE, NONE, 0, 0, CPU_DS, 0},
    {"MOV CR0, ESP with mod 1 rm 4: no SIB, no disp8", {0x0F, 0x22, 0x44, 0x24, 0x08}, 5, true, 3, "MOV_CdRd", NONE, NONE, 0, 0, CPU_DS, 0},
    {"MOV EAX, DR7 with mod 2 in 16-bit code: no disp16", {0x0F, 0x21, 0xB8, 1, 2}, 5, false, 3, "MOV_RdDd", NONE, NONE, 0, 0, CPU_DS, 0},
    {"MOV DR0, EBX with mod 0 rm 6 in 16-bit code: no disp16", {0x0F, 0x23, 0x06, 1, 2}, 5, false, 3, "MOV_DdRd", NONE, NONE, 0, 0, CPU_DS, 0},
};

static void decodes_each_case_as_the_manual_says(void **state) {
  (void)state;
  cpu_decode_init();
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const struct decode_case *t = &cases[k];
    struct insn in;
    unsigned len = cpu_decode(&in, t->bytes, t->n, t->code32);
    print_message("case: %s\n", t->what);
    assert_int_equal(len, t->len);
    assert_string_equal(cpu_rows[in.row].name, t->row);
    if (in.flags & INSN_MEM || t->flags & INSN_MEM) {
      assert_int_equal(in.ea_base, t->base);
      assert_int_equal(in.ea_index, t->index);
      assert_int_equal(in.ea_scale, t->scale);
      assert_int_equal(in.disp, t->disp);
      assert_int_equal(in.seg, t->seg);
    }
    if (cpu_rows[in.row].imm == IMM_MOFFS)
      assert_int_equal(in.disp, t->disp);
    assert_int_equal(in.flags & t->flags, t->flags);
  }
}

/* 0F 20-23 decode every ModRM byte, in either code size, as the 3-byte
 * register form with ModRM.reg and ModRM.rm as the operands. */
static void mov_crn_drn_ignore_the_mod_field(void **state) {
  (void)state;
  cpu_decode_init();
  static const char *const rows[4] = {"MOV_RdCd", "MOV_RdDd", "MOV_CdRd", "MOV_DdRd"};
  for (unsigned op = 0x20; op <= 0x23; op++)
    for (unsigned modrm = 0; modrm < 256; modrm++)
      for (int code32 = 0; code32 <= 1; code32++) {
        const uint8_t b[8] = {0x0F, (uint8_t)op, (uint8_t)modrm, 0x25, 0x11, 0x22, 0x33, 0x44};
        struct insn in;
        assert_int_equal(cpu_decode(&in, b, sizeof b, code32), 3);
        assert_string_equal(cpu_rows[in.row].name, rows[op - 0x20]);
        assert_false(in.flags & INSN_MEM);
        assert_int_equal(in.reg, (modrm >> 3) & 7);
        assert_int_equal(in.rm, modrm & 7);
      }
}

static void too_few_bytes_asks_for_more(void **state) {
  (void)state;
  cpu_decode_init();
  struct insn in;
  const uint8_t b[] = {0x81, 0xC0, 1, 2, 3, 4};
  for (unsigned n = 0; n < sizeof b; n++)
    assert_int_equal(cpu_decode(&in, b, n, true), 0);
  assert_int_equal(cpu_decode(&in, b, sizeof b, true), 6);
}

static void every_row_has_a_handler_a_name_and_a_mnemonic(void **state) {
  (void)state;
  for (unsigned r = 0; r < cpu_row_count; r++) {
    assert_non_null(cpu_rows[r].fn);
    assert_non_null(cpu_rows[r].name);
    assert_true(cpu_rows[r].mnemonic && cpu_rows[r].mnemonic[0]);
    assert_true(cpu_rows[r].map <= 1);
    assert_true(cpu_rows[r].imm <= IMM_WB);
    assert_true(cpu_rows[r].reg >= ANY && cpu_rows[r].reg <= 7);
  }
}

/* All rows of one opcode must agree on whether a ModRM byte follows, and no
 * two rows may claim the same (opcode, reg, size, form, exact rm): the
 * decoder would silently take the first. A row that covers a whole opcode
 * range (F_OPREG, F_OPCC) may share encodings with single-opcode rows,
 * which must then come first so they win: NOP before XCHG eAX,Zv, the
 * x87.def rows (FNINIT = DB E3 ...) before the X87_escape catch-all. */
static void no_two_rows_claim_the_same_encoding(void **state) {
  (void)state;
  for (unsigned a = 2; a < cpu_row_count; a++) {
    const struct cpu_row *ra = &cpu_rows[a];
    unsigned spana = (ra->flags & F_OPCC) ? 16 : (ra->flags & F_OPREG) ? 8 : 1;
    for (unsigned b = a + 1; b < cpu_row_count; b++) {
      const struct cpu_row *rb = &cpu_rows[b];
      unsigned spanb = (rb->flags & F_OPCC) ? 16 : (rb->flags & F_OPREG) ? 8 : 1;
      if (ra->map != rb->map)
        continue;
      if (!(ra->opcode < rb->opcode + spanb && rb->opcode < ra->opcode + spana))
        continue;
      assert_int_equal(ra->flags & F_MODRM, rb->flags & F_MODRM);
      bool reg_overlap = ra->reg == ANY || rb->reg == ANY || ra->reg == rb->reg;
      bool size_overlap = ra->osize == OS_ANY || rb->osize == OS_ANY || ra->osize == rb->osize;
      bool form_overlap = !((ra->flags & F_MEMONLY) && (rb->flags & F_REGONLY)) &&
                          !((ra->flags & F_REGONLY) && (rb->flags & F_MEMONLY));
      bool rm_overlap = !((ra->flags & F_RM_EXACT) && (rb->flags & F_RM_EXACT) &&
                          F_RM_OF(ra->flags) != F_RM_OF(rb->flags));
      if (!(reg_overlap && size_overlap && form_overlap && rm_overlap))
        continue;
      if (spana < spanb) /* the narrower row comes first and wins */
        continue;
      if (spana > spanb)
        fail_msg("row %s is listed after %s, whose opcode range shadows it", rb->name, ra->name);
      else
        fail_msg("rows %s and %s claim the same encoding", ra->name, rb->name);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(decodes_each_case_as_the_manual_says),
      cmocka_unit_test(mov_crn_drn_ignore_the_mod_field),
      cmocka_unit_test(too_few_bytes_asks_for_more),
      cmocka_unit_test(every_row_has_a_handler_a_name_and_a_mnemonic),
      cmocka_unit_test(no_two_rows_claim_the_same_encoding),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
