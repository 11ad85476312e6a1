/* ops/x87.c - the x87's control instructions: FNINIT, FNCLEX, FNSTSW,
 * FNSTCW, FLDCW, FNSTENV, FLDENV, FNSAVE, FRSTOR, FFREE, FINCSTP, FDECSTP,
 * FNOP and the 8087/287 leftovers, and the CR0 bits that make lazy FPU
 * switching work (SDM vol. 3, 2.5 and 13.x "x87 FPU": EM, MP, TS).
 *
 * #NM (SDM vol. 3, Table 2-2 "Action Taken By x87 FPU Instructions for
 * Different Combinations of EM, MP, and TS"): every ESC instruction (D8-DF)
 * raises #NM when CR0.EM = 1 or CR0.TS = 1, whatever MP says; WAIT/FWAIT
 * raises it only when MP = 1 and TS = 1 (misc.c). The check comes before any
 * operand is read or written; X87_escape (misc.c), the row of every
 * reserved encoding, applies it before its #UD.
 *
 * Waiting: FLDCW, FLDENV, FRSTOR, FFREE, FINCSTP, FDECSTP and FNOP report a
 * pending unmasked exception first (x87_begin: #MF or the FERR# freeze);
 * FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE and FNENI/FNDISI/FNSETPM
 * do not (SDM vol. 1, 8.3.11, 8.7). A control word or an image that leaves
 * a flag set and unmasked makes ES (and B) set, as the P6 does.
 *
 * Pointers: only the non-control instructions (FFREE, FINCSTP, FDECSTP and
 * FNOP among these) change FIP, FCS and FOP (x87_end); FNINIT zeroes them,
 * FLDENV and FRSTOR load them.
 */
#include "x87-internal.h"

#define ENV16_BYTES 14u
#define ENV32_BYTES 28u
#define REGS_BYTES 80u

static void fninit(struct cpu *c) {
  struct cpu_x87 *x = &c->x87;
  x->cw = 0x037F;
  x->sw = 0;
  x->tw = 0xFFFF;
  x->fip = x->fdp = 0;
  x->fcs = x->fds = 0;
  x->fop = 0;
  x87_update_ferr(c);
}

void FNINIT(struct cpu *c, const struct insn *i) {
  x87_check_nm(c);
  fninit(c);
}

/* FNCLEX: clears the exception flags, SF, ES and B; C0-C3 are left (the SDM
 * says undefined). */
void FNCLEX(struct cpu *c, const struct insn *i) {
  x87_check_nm(c);
  c->x87.sw &= (uint16_t)~(X87_SW_FLAGS | X87_SW_SF | X87_SW_ES | X87_SW_B);
  x87_update_ferr(c);
}

/* 8087 FNENI/FNDISI and 287 FNSETPM: NOPs on every 387 and later x87, no
 * wait, no pointers. */
void FNENI(struct cpu *c, const struct insn *i) { x87_check_nm(c); }
void FNDISI(struct cpu *c, const struct insn *i) { x87_check_nm(c); }
void FNSETPM(struct cpu *c, const struct insn *i) { x87_check_nm(c); }

void FNSTSW_AX(struct cpu *c, const struct insn *i) {
  x87_check_nm(c);
  cpu_w16(c, CPU_EAX, c->x87.sw);
}

void FNSTSW_Mw(struct cpu *c, const struct insn *i) {
  x87_check_nm(c);
  cpu_wr16(c, i->seg, cpu_ea(c, i), c->x87.sw);
}

void FNSTCW_Mw(struct cpu *c, const struct insn *i) {
  x87_check_nm(c);
  cpu_wr16(c, i->seg, cpu_ea(c, i), c->x87.cw);
}

/* FLDCW waits (a flag unmasked by an earlier FLDCW is reported first); the
 * reserved bits read back as FNINIT leaves them. */
void FLDCW_Mw(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  uint16_t cw = cpu_rd16(c, i->seg, cpu_ea(c, i));
  c->x87.cw = (uint16_t)((cw & ~X87_CW_RESERVED) | 0x0040u);
  x87_summary(c);
}

/* FNOP: a non-control instruction that computes nothing (C0-C3 left). */
void FNOP(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  st.c1 = (c->x87.sw & X87_SW_C1) != 0;
  x87_end(c, i, &st);
}

/* FINCSTP/FDECSTP: TOP +-1, tags untouched, C1 cleared. */
static void move_top(struct cpu *c, const struct insn *i, unsigned delta) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c);
  x87_set_top(c, x87_top(c) + delta);
  x87_end(c, i, &st);
}
void FINCSTP(struct cpu *c, const struct insn *i) { move_top(c, i, 1); }
void FDECSTP(struct cpu *c, const struct insn *i) { move_top(c, i, 7); }

/* FFREE ST(i): tag empty, TOP unchanged; FFREEP (DF C0+i) then pops. */
static void ffree(struct cpu *c, const struct insn *i, bool pop) {
  if (!x87_begin(c))
    return;
  struct fpu_status st = x87_status(c); /* C1 cleared, as the host x87 does (SDM: undefined) */
  unsigned p = x87_phys(c, i->rm);
  c->x87.tw |= (uint16_t)(3u << (2 * p));
  if (pop)
    x87_pop(c);
  x87_end(c, i, &st);
}
void FFREE_STi(struct cpu *c, const struct insn *i) { ffree(c, i, false); }
void FFREEP_STi(struct cpu *c, const struct insn *i) { ffree(c, i, true); }

/* ---- FNSAVE / FRSTOR: the memory image --------------------------------------
 *
 * SDM vol. 1, 8.1.10 "Saving the x87 FPU's State with FSTENV/FNSTENV and
 * FSAVE/FNSAVE", Figures 8-9 to 8-12: an environment of 28 bytes (32-bit
 * operand size) or 14 bytes (16-bit), in the protected-mode layout, or in
 * the real-mode layout in real and virtual-8086 mode (pointers as linear
 * addresses, no selectors), followed by ST(0)..ST(7), 10 bytes each.
 *
 *   32-bit protected           32-bit real / V86
 *    0 CW                       0 CW
 *    4 SW                       4 SW
 *    8 TW                       8 TW
 *   12 FIP                     12 FIP 15..0
 *   16 FCS | FOP << 16         16 FOP | FIP 31..16 << 12
 *   20 FDP                     20 FDP 15..0
 *   24 FDS                     24 FDP 31..16 << 12
 *
 *   16-bit protected           16-bit real / V86
 *    0 CW  2 SW  4 TW           0 CW  2 SW  4 TW
 *    6 FIP  8 FCS               6 FIP 15..0   8 FOP | FIP 19..16 << 12
 *   10 FDP 12 FDS              10 FDP 15..0  12 FDP 19..16 << 12
 *
 * The reserved upper halves of the 32-bit image's words are stored as
 * 0xFFFF (as Bochs stores them; FRSTOR ignores them). */

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, (uint16_t)v);
  put16(p + 2, (uint16_t)(v >> 16));
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

/* Builds the environment image of the x87 in b (the tag word computed
 * from the registers); returns its length. */
static unsigned save_env(const struct cpu *c, bool o32, bool real, uint8_t *b) {
  const struct cpu_x87 *x = &c->x87;
  uint16_t tw = x87_tag_word(c);
  uint16_t fop = x->fop & 0x7FFu;
  if (o32) {
    put32(b + 0, 0xFFFF0000u | x->cw);
    put32(b + 4, 0xFFFF0000u | x->sw);
    put32(b + 8, 0xFFFF0000u | tw);
    if (real) {
      put32(b + 12, 0xFFFF0000u | (x->fip & 0xFFFFu));
      put32(b + 16, fop | (x->fip >> 16) << 12);
      put32(b + 20, 0xFFFF0000u | (x->fdp & 0xFFFFu));
      put32(b + 24, (x->fdp >> 16) << 12);
    } else {
      put32(b + 12, x->fip);
      put32(b + 16, x->fcs | (uint32_t)fop << 16);
      put32(b + 20, x->fdp);
      put32(b + 24, 0xFFFF0000u | x->fds);
    }
    return ENV32_BYTES;
  }
  put16(b + 0, x->cw);
  put16(b + 2, x->sw);
  put16(b + 4, tw);
  if (real) {
    put16(b + 6, (uint16_t)x->fip);
    put16(b + 8, (uint16_t)(fop | ((x->fip >> 16) & 0xFu) << 12));
    put16(b + 10, (uint16_t)x->fdp);
    put16(b + 12, (uint16_t)(((x->fdp >> 16) & 0xFu) << 12));
  } else {
    put16(b + 6, (uint16_t)x->fip);
    put16(b + 8, x->fcs);
    put16(b + 10, (uint16_t)x->fdp);
    put16(b + 12, x->fds);
  }
  return ENV16_BYTES;
}

/* The environment and ST(0)..ST(7). */
static unsigned save_image(const struct cpu *c, bool o32, bool real, uint8_t *b) {
  unsigned n = save_env(c, o32, real, b);
  for (unsigned k = 0; k < 8; k++)
    memcpy(b + n + 10 * k, c->x87.st[x87_phys(c, k)], 10);
  return n + REGS_BYTES;
}

/* Loads the environment from b (the inverse of save_env); returns its
 * length. The tags are taken as empty or not: a non-empty register's tag
 * is recomputed from its contents once the registers are in. */
static unsigned load_env(struct cpu_x87 *x, bool o32, bool real, const uint8_t *b) {
  if (o32) {
    x->cw = get16(b + 0);
    x->sw = get16(b + 4);
    x->tw = get16(b + 8);
    if (real) {
      uint32_t w = get32(b + 16);
      x->fip = get16(b + 12) | ((w >> 12) & 0xFFFFu) << 16;
      x->fop = (uint16_t)(w & 0x7FFu);
      x->fdp = get16(b + 20) | ((get32(b + 24) >> 12) & 0xFFFFu) << 16;
      x->fcs = x->fds = 0;
    } else {
      x->fip = get32(b + 12);
      x->fcs = get16(b + 16);
      x->fop = get16(b + 18) & 0x7FFu;
      x->fdp = get32(b + 20);
      x->fds = get16(b + 24);
    }
    x->cw = (uint16_t)((x->cw & ~X87_CW_RESERVED) | 0x0040u);
    return ENV32_BYTES;
  }
  x->cw = get16(b + 0);
  x->sw = get16(b + 2);
  x->tw = get16(b + 4);
  if (real) {
    uint16_t w = get16(b + 8);
    x->fip = get16(b + 6) | (uint32_t)(w >> 12) << 16;
    x->fop = w & 0x7FFu;
    x->fdp = get16(b + 10) | (uint32_t)(get16(b + 12) >> 12) << 16;
    x->fcs = x->fds = 0;
  } else { /* the 16-bit protected-mode image holds no FOP: it stays */
    x->fip = get16(b + 6);
    x->fcs = get16(b + 8);
    x->fdp = get16(b + 10);
    x->fds = get16(b + 12);
  }
  x->cw = (uint16_t)((x->cw & ~X87_CW_RESERVED) | 0x0040u);
  return ENV16_BYTES;
}

/* After a load: tags from the contents, ES and B, FERR#. */
static void loaded(struct cpu *c) {
  for (unsigned p = 0; p < 8; p++)
    if (x87_tag(c, p) != X87_TAG_EMPTY)
      x87_reg_put(c, p, x87_reg(c, p));
  x87_summary(c);
}

static bool real_format(const struct cpu *c) { return c->mode != CPU_MODE_PROT; }

/* Writes the n bytes of b at the operand: the whole destination is checked
 * before the first byte is written. */
static void store_image(struct cpu *c, const struct insn *i, const uint8_t *b, unsigned n) {
  uint32_t ea = cpu_ea(c, i);
  cpu_probe_write(c, i->seg, ea, n);
  for (unsigned k = 0; k < n; k += 2)
    cpu_wr16(c, i->seg, ea + k, get16(b + k));
}

static void load_bytes(struct cpu *c, const struct insn *i, uint8_t *b, unsigned n) {
  uint32_t ea = cpu_ea(c, i);
  for (unsigned k = 0; k < n; k += 2)
    put16(b + k, cpu_rd16(c, i->seg, ea + k));
}

/* FNSTENV: stores the environment, then masks every exception (SDM vol. 2,
 * FSTENV: "then masks all floating-point exceptions"), which clears ES and
 * B (nothing is pending once all is masked; the host x87 agrees). */
void FNSTENV_M(struct cpu *c, const struct insn *i) {
  x87_check_nm(c);
  uint8_t b[ENV32_BYTES];
  unsigned n = save_env(c, (i->flags & INSN_O32) != 0, real_format(c), b);
  store_image(c, i, b, n);
  c->x87.cw |= X87_CW_MASKS;
  x87_summary(c);
}

/* FLDENV: reads the whole environment (any fault leaves the FPU as it was),
 * then loads it. A waiting instruction. */
void FLDENV_M(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  bool o32 = (i->flags & INSN_O32) != 0;
  uint8_t b[ENV32_BYTES];
  load_bytes(c, i, b, o32 ? ENV32_BYTES : ENV16_BYTES);
  load_env(&c->x87, o32, real_format(c), b);
  loaded(c);
}

/* FNSAVE: stores the image, then initialises the FPU as FNINIT. The whole
 * destination is checked before the first byte is written, and the FPU
 * changes only after the last. */
void FNSAVE_M(struct cpu *c, const struct insn *i) {
  x87_check_nm(c);
  uint8_t b[ENV32_BYTES + REGS_BYTES];
  unsigned n = save_image(c, (i->flags & INSN_O32) != 0, real_format(c), b);
  store_image(c, i, b, n);
  fninit(c);
}

/* FRSTOR: reads the whole image (any fault leaves the FPU as it was), then
 * loads it. A waiting instruction: a pending exception is reported first. */
void FRSTOR_M(struct cpu *c, const struct insn *i) {
  if (!x87_begin(c))
    return;
  bool o32 = (i->flags & INSN_O32) != 0;
  unsigned n = (o32 ? ENV32_BYTES : ENV16_BYTES) + REGS_BYTES;
  uint8_t b[ENV32_BYTES + REGS_BYTES];
  load_bytes(c, i, b, n);
  unsigned e = load_env(&c->x87, o32, real_format(c), b);
  for (unsigned k = 0; k < 8; k++)
    memcpy(c->x87.st[x87_phys(c, k)], b + e + 10 * k, 10);
  loaded(c);
}
