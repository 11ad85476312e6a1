/* cpu/decode.c - bytes to struct insn, driven by the opcode table.
 *
 * The decoder is freestanding (no libc beyond memset, no host state), so the
 * hypervisor could reuse it. It builds, once, a list of candidate rows per
 * opcode from opcodes.def; decoding an instruction then reads the prefixes,
 * the opcode, the ModRM byte if that opcode has one, picks the first
 * candidate whose ModRM.reg, operand size and register/memory form match
 * (and, for an F_RM_EXACT row such as FNINIT = DB E3, the whole ModRM byte),
 * and reads the displacement and immediates the row asks for (none for the
 * "memory" forms of an F_MODIGNORE opcode, MOV CRn/DRn, whose mod is
 * ignored). Exact rows are listed before the catch-all row of their opcode,
 * so they win.
 *
 * Departures from the manual's decoding, all deliberate:
 * - A LOCK prefix on a row without F_LOCK, or with a register operand, gives
 *   #UD at decode time, as an i686 raises it before executing anything.
 * - An instruction longer than 15 bytes (prefixes included) decodes to the
 *   row GP_too_long, which raises #GP(0) when executed.
 */
#include "cpu-internal.h"

#define MAX_CANDIDATES 48 /* D9: 38 x87 rows and the escape */

static uint16_t candidates[2][256][MAX_CANDIDATES];
static uint8_t n_candidates[2][256];
static bool has_modrm[2][256];
static bool mod_ignored[2][256]; /* an F_MODIGNORE row claims this opcode */
static bool decode_ready;

void cpu_decode_init(void) {
  if (decode_ready)
    return;
  for (unsigned r = CPU_ROW_TOOLONG + 1; r < cpu_row_count; r++) {
    const struct cpu_row *row = &cpu_rows[r];
    unsigned span = (row->flags & F_OPCC) ? 16 : (row->flags & F_OPREG) ? 8 : 1;
    for (unsigned k = 0; k < span; k++) {
      unsigned op = row->opcode + k;
      if (n_candidates[row->map][op] < MAX_CANDIDATES)
        candidates[row->map][op][n_candidates[row->map][op]++] = (uint16_t)r;
      if (row->flags & F_MODRM)
        has_modrm[row->map][op] = true;
      if (row->flags & F_MODIGNORE)
        mod_ignored[row->map][op] = true;
    }
  }
  decode_ready = true;
}

static bool row_matches(const struct cpu_row *row, uint8_t modrm, bool mem, bool o32) {
  if (row->reg != ANY && (unsigned)row->reg != ((modrm >> 3) & 7u))
    return false;
  if ((row->flags & F_RM_EXACT) && (mem || (modrm & 7u) != F_RM_OF(row->flags)))
    return false;
  if ((row->osize == OS16 && o32) || (row->osize == OS32 && !o32))
    return false;
  if ((row->flags & F_MEMONLY) && !mem)
    return false;
  if ((row->flags & F_REGONLY) && mem)
    return false;
  return true;
}

static uint32_t sext8(uint8_t v) { return (uint32_t)(int32_t)(int8_t)v; }
static uint32_t sext16(uint16_t v) { return (uint32_t)(int32_t)(int16_t)v; }

/* Reads the little-endian value of k bytes at pos. */
static uint32_t take(const uint8_t *b, unsigned pos, unsigned k) {
  uint32_t v = 0;
  for (unsigned j = 0; j < k; j++)
    v |= (uint32_t)b[pos + j] << (8 * j);
  return v;
}

static unsigned verdict(struct insn *in, unsigned row, unsigned len) {
  in->row = (uint16_t)row;
  in->fn = cpu_rows[row].fn;
  in->len = (uint8_t)(len > 15 ? 15 : len);
  return in->len;
}

/* 16-bit ModRM addressing: base and index registers of rm 0-7. */
static const uint8_t ea16_base[8] = {CPU_EBX, CPU_EBX, CPU_EBP, CPU_EBP, CPU_REG_NONE, CPU_REG_NONE, CPU_EBP, CPU_EBX};
static const uint8_t ea16_index[8] = {CPU_ESI, CPU_EDI, CPU_ESI, CPU_EDI, CPU_ESI, CPU_EDI, CPU_REG_NONE, CPU_REG_NONE};

unsigned cpu_decode(struct insn *in, const uint8_t *b, unsigned n, bool code32) {
  memset(in, 0, sizeof *in);
  bool o32 = code32, a32 = code32;
  int seg_override = -1;
  unsigned flags = 0;
  unsigned pos = 0;

/* Makes sure k more bytes are there: too few given means "need more",
 * unless 15 were given, in which case the instruction is too long. */
#define NEED(k)                                   \
  do {                                            \
    if (pos + (k) > 15)                           \
      return verdict(in, CPU_ROW_TOOLONG, 15);    \
    if (pos + (k) > n)                            \
      return 0;                                   \
  } while (0)

  for (;;) {
    NEED(1);
    uint8_t p = b[pos];
    switch (p) {
    case 0x26: seg_override = CPU_ES; break;
    case 0x2E: seg_override = CPU_CS; break;
    case 0x36: seg_override = CPU_SS; break;
    case 0x3E: seg_override = CPU_DS; break;
    case 0x64: seg_override = CPU_FS; break;
    case 0x65: seg_override = CPU_GS; break;
    case 0x66: o32 = !code32; break;
    case 0x67: a32 = !code32; break;
    case 0xF0: flags |= INSN_LOCK; break;
    case 0xF2: flags = (flags & ~INSN_REP) | INSN_REPNE; break;
    case 0xF3: flags = (flags & ~INSN_REPNE) | INSN_REP; break;
    default: goto opcode;
    }
    pos++;
  }

opcode:;
  unsigned map = 0;
  uint8_t op = b[pos++];
  if (op == 0x0F) {
    NEED(1);
    map = 1;
    op = b[pos++];
  }
  in->opcode = op;
  if (o32)
    flags |= INSN_O32;
  if (a32)
    flags |= INSN_A32;

  unsigned modrm_reg = 0;
  bool mem = false;
  if (has_modrm[map][op]) {
    NEED(1);
    in->modrm = b[pos++];
    modrm_reg = (in->modrm >> 3) & 7;
    /* F_MODIGNORE (MOV CRn/DRn): "the 2 bits in the mod field are ignored"
     * (SDM vol. 2, MOV-Move to/from Control Registers): any mod is the
     * register form, with no displacement or SIB byte. */
    mem = (in->modrm >> 6) != 3 && !mod_ignored[map][op];
  }

  const struct cpu_row *row = NULL;
  unsigned row_index = CPU_ROW_UD;
  for (unsigned k = 0; k < n_candidates[map][op]; k++) {
    const struct cpu_row *r = &cpu_rows[candidates[map][op][k]];
    if (row_matches(r, in->modrm, mem, o32)) {
      row = r;
      row_index = candidates[map][op][k];
      break;
    }
  }

  /* Addressing: a memory operand's registers, scale, displacement and
   * default segment. Decoded even for #UD rows so the length is right. */
  unsigned seg = CPU_DS;
  in->ea_base = CPU_REG_NONE;
  in->ea_index = CPU_REG_NONE;
  if (has_modrm[map][op]) {
    unsigned mod = in->modrm >> 6, rm = in->modrm & 7;
    in->rm = (uint8_t)rm;
    in->reg = (uint8_t)modrm_reg;
    if (mem && !a32) {
      in->ea_base = ea16_base[rm];
      in->ea_index = ea16_index[rm];
      if (rm == 2 || rm == 3 || (rm == 6 && mod != 0))
        seg = CPU_SS;
      if (mod == 0 && rm == 6) {
        NEED(2);
        in->ea_base = CPU_REG_NONE;
        in->disp = take(b, pos, 2);
        pos += 2;
      } else if (mod == 1) {
        NEED(1);
        in->disp = sext8(b[pos++]);
      } else if (mod == 2) {
        NEED(2);
        in->disp = take(b, pos, 2);
        pos += 2;
      }
    } else if (mem) {
      unsigned base = rm;
      if (rm == 4) {
        NEED(1);
        uint8_t sib = b[pos++];
        in->ea_scale = sib >> 6;
        unsigned index = (sib >> 3) & 7;
        in->ea_index = index == 4 ? CPU_REG_NONE : (uint8_t)index;
        base = sib & 7;
      }
      if (base == 5 && mod == 0) {
        in->ea_base = CPU_REG_NONE;
        NEED(4);
        in->disp = take(b, pos, 4);
        pos += 4;
      } else {
        in->ea_base = (uint8_t)base;
        if (base == CPU_ESP || base == CPU_EBP)
          seg = CPU_SS;
        if (mod == 1) {
          NEED(1);
          in->disp = sext8(b[pos++]);
        } else if (mod == 2) {
          NEED(4);
          in->disp = take(b, pos, 4);
          pos += 4;
        }
      }
    }
  }
  if (seg_override >= 0) {
    seg = (unsigned)seg_override;
    flags |= INSN_SEGOVR;
  }
  in->seg = (uint8_t)seg;
  if (mem)
    flags |= INSN_MEM;

  if (!row)
    return verdict(in, CPU_ROW_UD, pos);
  if (!has_modrm[map][op] && (row->flags & F_OPREG))
    in->reg = op & 7;

  switch ((enum cpu_imm)row->imm) {
  case IMM_NONE:
    break;
  case IMM_B:
    NEED(1);
    in->imm = b[pos++];
    break;
  case IMM_BS:
  case IMM_JB:
    NEED(1);
    in->imm = sext8(b[pos++]);
    break;
  case IMM_W:
    NEED(2);
    in->imm = take(b, pos, 2);
    pos += 2;
    break;
  case IMM_Z:
  case IMM_JZ:
    if (o32) {
      NEED(4);
      in->imm = take(b, pos, 4);
      pos += 4;
    } else {
      NEED(2);
      in->imm = sext16((uint16_t)take(b, pos, 2));
      pos += 2;
    }
    break;
  case IMM_AP: {
    unsigned k = o32 ? 4 : 2;
    NEED(k + 2);
    in->imm = take(b, pos, k);
    in->imm2 = (uint16_t)take(b, pos + k, 2);
    pos += k + 2;
    break;
  }
  case IMM_MOFFS: {
    unsigned k = a32 ? 4 : 2;
    NEED(k);
    in->disp = take(b, pos, k);
    pos += k;
    break;
  }
  case IMM_WB:
    NEED(3);
    in->imm = take(b, pos, 2);
    in->imm2 = b[pos + 2];
    pos += 3;
    break;
  }
#undef NEED

  if ((flags & INSN_LOCK) && (!(row->flags & F_LOCK) || !mem))
    return verdict(in, CPU_ROW_UD, pos);

  in->flags = (uint8_t)flags;
  in->row = (uint16_t)row_index;
  in->fn = row->fn;
  in->len = (uint8_t)pos;
  return pos;
}

int cpu_decode_length(const uint8_t *bytes, unsigned n, bool code32, unsigned *row) {
  struct insn in;
  cpu_decode_init();
  unsigned len = cpu_decode(&in, bytes, n, code32);
  if (len == 0)
    return -1;
  if (row)
    *row = in.row;
  return (in.row == CPU_ROW_UD || in.row == CPU_ROW_TOOLONG) ? 0 : (int)len;
}
