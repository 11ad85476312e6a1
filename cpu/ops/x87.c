/* ops/x87.c - the x87 FPU as a kernel sees it: FNINIT, FNCLEX, FNSTSW,
 * FNSTCW, FLDCW, FNSAVE and FRSTOR, and the CR0 bits that make lazy FPU
 * switching work (SDM vol. 3, 2.5 and 13.x "x87 FPU": EM, MP, TS).
 *
 * #NM (SDM vol. 3, Table 2-2 "Action Taken By x87 FPU Instructions for
 * Different Combinations of EM, MP, and TS"): every ESC instruction (D8-DF)
 * raises #NM when CR0.EM = 1 or CR0.TS = 1, whatever MP says; WAIT/FWAIT
 * raises it only when MP = 1 and TS = 1 (misc.c). The check comes before any
 * operand is read or written. X87_escape (misc.c), the row of every x87
 * form not modeled here, applies it too before stopping the machine, so a
 * lazy-switching kernel still sees its #NM first.
 *
 * Exceptions: no instruction of this subset computes, so none raises an
 * x87 exception flag. Flags can still be pending after FRSTOR loads a
 * status word, or FLDCW unmasks a flag that is set; as Bochs does, both
 * recompute ES and B (status bits 7 and 15) from "flag set and unmasked",
 * and the waiting instructions (WAIT, FLDCW, FRSTOR) then report it
 * (cpu_x87_check_pending). FNINIT and FNCLEX clear it; the FN forms ignore
 * it (SDM vol. 1, 8.7 "Handling x87 FPU Exceptions in Software").
 *
 * Pointers: FIP, FCS, FOP, FDP and FDS record the last non-control x87
 * instruction; this subset has only control instructions, so only FNINIT
 * (zeroes) and FRSTOR (loads) change them.
 */
#include "../cpu-internal.h"

#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_NE 0x20u

#define SW_FLAGS 0x003Fu /* IE DE ZE OE UE PE */
#define SW_SF 0x0040u
#define SW_ES 0x0080u
#define SW_B 0x8000u
#define SW_TOP(sw) (((sw) >> 11) & 7u)
#define CW_MASKS 0x003Fu
#define CW_RESERVED 0xE0C0u /* bits 6, 13-15; bit 6 reads as 1 (037F after FNINIT) */

#define ENV16_BYTES 14u
#define ENV32_BYTES 28u
#define REGS_BYTES 80u

static void check_nm(struct cpu *c) {
  if (c->cr[0] & (CR0_EM | CR0_TS))
    cpu_raise(c, CPU_EXC_NM, CPU_NO_ERROR_CODE);
}

/* ES and B follow "some exception flag is set and unmasked". */
static void recompute_summary(struct cpu_x87 *x) {
  if (x->sw & SW_FLAGS & ~x->cw)
    x->sw |= SW_ES | SW_B;
  else
    x->sw &= (uint16_t)~(SW_ES | SW_B);
}

void cpu_x87_check_pending(struct cpu *c) {
  if (!(c->x87.sw & SW_ES))
    return;
  if (c->cr[0] & CR0_NE)
    cpu_raise(c, CPU_EXC_MF, CPU_NO_ERROR_CODE);
  /* CR0.NE = 0: the PC reports it through FERR# and IRQ 13, not modeled. */
  cpu_stop(c, CPU_EXIT_UNIMPLEMENTED,
           "x87 error reporting through FERR#/IRQ 13 (CR0.NE = 0) not implemented at %04x:%08x",
           c->seg[CPU_CS].selector, c->eip);
  cpu_raise(c, -1, 0);
}

static void fninit(struct cpu_x87 *x) {
  x->cw = 0x037F;
  x->sw = 0;
  x->tw = 0xFFFF;
  x->fip = x->fdp = 0;
  x->fcs = x->fds = 0;
  x->fop = 0;
}

void FNINIT(struct cpu *c, const struct insn *i) {
  check_nm(c);
  fninit(&c->x87);
}

/* FNCLEX: clears the exception flags, SF, ES and B; C0-C3 are left (the SDM
 * says undefined). */
void FNCLEX(struct cpu *c, const struct insn *i) {
  check_nm(c);
  c->x87.sw &= (uint16_t)~(SW_FLAGS | SW_SF | SW_ES | SW_B);
}

void FNSTSW_AX(struct cpu *c, const struct insn *i) {
  check_nm(c);
  cpu_w16(c, CPU_EAX, c->x87.sw);
}

void FNSTSW_Mw(struct cpu *c, const struct insn *i) {
  check_nm(c);
  cpu_wr16(c, i->seg, cpu_ea(c, i), c->x87.sw);
}

void FNSTCW_Mw(struct cpu *c, const struct insn *i) {
  check_nm(c);
  cpu_wr16(c, i->seg, cpu_ea(c, i), c->x87.cw);
}

/* FLDCW waits (a flag unmasked by an earlier FLDCW is reported first); the
 * reserved bits read back as FNINIT leaves them. */
void FLDCW_Mw(struct cpu *c, const struct insn *i) {
  check_nm(c);
  cpu_x87_check_pending(c);
  uint16_t cw = cpu_rd16(c, i->seg, cpu_ea(c, i));
  c->x87.cw = (uint16_t)((cw & ~CW_RESERVED) | 0x0040u);
  recompute_summary(&c->x87);
}

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

/* Builds the image of x in b; returns its length. */
static unsigned save_image(const struct cpu_x87 *x, bool o32, bool real, uint8_t *b) {
  unsigned n;
  uint16_t fop = x->fop & 0x7FFu;
  if (o32) {
    put32(b + 0, 0xFFFF0000u | x->cw);
    put32(b + 4, 0xFFFF0000u | x->sw);
    put32(b + 8, 0xFFFF0000u | x->tw);
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
    n = ENV32_BYTES;
  } else {
    put16(b + 0, x->cw);
    put16(b + 2, x->sw);
    put16(b + 4, x->tw);
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
    n = ENV16_BYTES;
  }
  for (unsigned k = 0; k < 8; k++)
    memcpy(b + n + 10 * k, x->st[(SW_TOP(x->sw) + k) & 7], 10);
  return n + REGS_BYTES;
}

/* Loads x from the image in b (the inverse of save_image). */
static void load_image(struct cpu_x87 *x, bool o32, bool real, const uint8_t *b) {
  unsigned n;
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
    n = ENV32_BYTES;
  } else {
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
    n = ENV16_BYTES;
  }
  x->cw = (uint16_t)((x->cw & ~CW_RESERVED) | 0x0040u);
  for (unsigned k = 0; k < 8; k++)
    memcpy(x->st[(SW_TOP(x->sw) + k) & 7], b + n + 10 * k, 10);
  recompute_summary(x);
}

static bool real_format(const struct cpu *c) { return c->mode != CPU_MODE_PROT; }

/* FNSAVE: stores the image, then initialises the FPU as FNINIT. The whole
 * destination is checked before the first byte is written, and the FPU
 * changes only after the last. */
void FNSAVE_M(struct cpu *c, const struct insn *i) {
  check_nm(c);
  uint8_t b[ENV32_BYTES + REGS_BYTES];
  unsigned n = save_image(&c->x87, (i->flags & INSN_O32) != 0, real_format(c), b);
  uint32_t ea = cpu_ea(c, i);
  cpu_probe_write(c, i->seg, ea, n);
  for (unsigned k = 0; k < n; k += 2)
    cpu_wr16(c, i->seg, ea + k, get16(b + k));
  fninit(&c->x87);
}

/* FRSTOR: reads the whole image (any fault leaves the FPU as it was), then
 * loads it. A waiting instruction: a pending exception is reported first. */
void FRSTOR_M(struct cpu *c, const struct insn *i) {
  check_nm(c);
  cpu_x87_check_pending(c);
  bool o32 = (i->flags & INSN_O32) != 0;
  unsigned n = (o32 ? ENV32_BYTES : ENV16_BYTES) + REGS_BYTES;
  uint8_t b[ENV32_BYTES + REGS_BYTES];
  uint32_t ea = cpu_ea(c, i);
  for (unsigned k = 0; k < n; k += 2)
    put16(b + k, cpu_rd16(c, i->seg, ea + k));
  load_image(&c->x87, o32, real_format(c), b);
}
