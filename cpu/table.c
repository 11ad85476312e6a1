/* cpu/table.c - the opcode table's rows as data, for the decoder and tools. */
#include "cpu-internal.h"

const struct cpu_row cpu_rows[] = {
#define X(handler, mnem, map, op, reg, osz, imm, flags) \
  {handler, #handler, mnem, map, op, reg, osz, imm, flags},
#include "opcodes.def"
#undef X
};

const unsigned cpu_row_count = sizeof cpu_rows / sizeof cpu_rows[0];

unsigned cpu_opcode_rows(void) { return cpu_row_count; }

const char *cpu_opcode_row_name(unsigned row) {
  return row < cpu_row_count ? cpu_rows[row].name : NULL;
}

const char *cpu_opcode_row_mnemonic(unsigned row) {
  return row < cpu_row_count ? cpu_rows[row].mnemonic : NULL;
}
