/* cpu/ops/x87-internal.h - what the x87 instruction files share: the
 * register stack and its tags, the status word's fields, the start and the
 * end of every x87 instruction (x87_stack.c).
 *
 * The shape of a computing x87 instruction (x87_arith.c and the others):
 *
 *   if (!x87_begin(c)) return;           #NM; a pending unmasked exception:
 *                                          #MF (CR0.NE) or the FERR# freeze
 *   read the memory operand              a fault here changes nothing
 *   struct fpu_status st = x87_status(c);
 *   check the stack: an empty operand    x87_stack_fault: IE, SF, C1; the
 *   or a full push target                masked response, or nothing
 *   compute with cpu/fpu (fpu.h)         flags and C1 collect in st
 *   probe the memory destination, then write the registers and memory
 *   x87_end(c, i, &st);                  flags into SW, ES and B, FERR#,
 *                                          the last-instruction pointers
 *
 * The control instructions (x87.c: FNINIT, FLDCW, FNSTENV, FRSTOR, ...)
 * keep their own order: some do not wait, none changes the pointers.
 */
#ifndef RINGLAB_CPU_OPS_X87_INTERNAL_H
#define RINGLAB_CPU_OPS_X87_INTERNAL_H

#include "../cpu-internal.h"
#include "../fpu/fpu.h"

/* Status word */
#define X87_SW_FLAGS 0x003Fu /* IE DE ZE OE UE PE */
#define X87_SW_SF 0x0040u    /* stack fault */
#define X87_SW_ES 0x0080u    /* error summary */
#define X87_SW_C0 0x0100u
#define X87_SW_C1 0x0200u
#define X87_SW_C2 0x0400u
#define X87_SW_TOP 0x3800u
#define X87_SW_C3 0x4000u
#define X87_SW_B 0x8000u     /* busy: a copy of ES */
#define X87_SW_CC (X87_SW_C0 | X87_SW_C1 | X87_SW_C2 | X87_SW_C3)

/* Control word */
#define X87_CW_MASKS 0x003Fu
#define X87_CW_RESERVED 0xE0C0u /* bits 6, 13-15; bit 6 reads as 1 */

#define X87_CR0_MP 0x2u
#define X87_CR0_EM 0x4u
#define X87_CR0_TS 0x8u
#define X87_CR0_NE 0x20u

#define X87_TAG_EMPTY 3u

static inline unsigned x87_top(const struct cpu *c) { return (c->x87.sw >> 11) & 7u; }
/* The physical register R0-R7 of ST(i). */
static inline unsigned x87_phys(const struct cpu *c, unsigned i) { return (x87_top(c) + i) & 7u; }
static inline unsigned x87_tag(const struct cpu *c, unsigned phys) { return (c->x87.tw >> (2 * phys)) & 3u; }
static inline bool x87_empty(const struct cpu *c, unsigned i) { return x87_tag(c, x87_phys(c, i)) == X87_TAG_EMPTY; }

/* Physical register images. */
struct fpu_reg x87_reg(const struct cpu *c, unsigned phys);
void x87_reg_put(struct cpu *c, unsigned phys, struct fpu_reg v); /* and its tag */
/* ST(i) and writes to it (the tag follows the value). */
static inline struct fpu_reg x87_st(const struct cpu *c, unsigned i) { return x87_reg(c, x87_phys(c, i)); }
static inline void x87_st_put(struct cpu *c, unsigned i, struct fpu_reg v) { x87_reg_put(c, x87_phys(c, i), v); }
void x87_set_top(struct cpu *c, unsigned top);
/* Marks ST(0) empty and increments TOP. */
void x87_pop(struct cpu *c);
/* Decrements TOP and writes the new ST(0). */
void x87_push(struct cpu *c, struct fpu_reg v);
/* The tag word as FSTENV stores it: every non-empty register's tag
 * computed from its contents. */
uint16_t x87_tag_word(const struct cpu *c);

/* The start of every waiting x87 instruction (all but FNINIT, FNCLEX,
 * FNSTSW, FNSTCW, FNSTENV, FNSAVE and the 8087/287 NOPs): #NM when CR0.EM
 * or CR0.TS is set, then a pending unmasked exception (SW.ES): #MF with
 * CR0.NE; without it the instruction freezes until an interrupt comes
 * (FERR# reaches IRQ 13 on the PC) unless IGNNE# is asserted. Returns
 * false when frozen: the handler must return at once. */
bool x87_begin(struct cpu *c);
/* #NM alone, for the no-wait control instructions. */
void x87_check_nm(struct cpu *c);

/* The rounding, precision and masks of the control word, no flags yet. */
struct fpu_status x87_status(const struct cpu *c);

/* A stack fault: an empty source (underflow) or a push onto a full
 * register (overflow). Raises IE with SF (X87_SW_SF in st->flags, beside
 * the exception flags: nothing reaches the status word before x87_end, so
 * a later memory fault leaves it alone), C1 = overflow. Returns true if IE
 * is masked (the masked response goes ahead). */
bool x87_stack_fault(struct cpu *c, struct fpu_status *st, bool overflow);

/* The end of a computing x87 instruction: st's flags into the status word
 * (sticky), C1 = st->c1, ES and B, FERR#, and the last instruction's
 * pointers (FIP/FCS/FOP; FDP/FDS for a memory operand). */
void x87_end(struct cpu *c, const struct insn *i, const struct fpu_status *st);

/* ES and B from "a flag set and unmasked"; FERR# follows. */
void x87_summary(struct cpu *c);
/* FERR# = SW.ES with CR0.NE clear: tells the board when it changes. */
void x87_update_ferr(struct cpu *c);

/* Condition codes: C3 C2 C1 C0 as bits 3..0 of cc (C1 included). */
static inline void x87_set_cc(struct cpu *c, unsigned c3, unsigned c2, unsigned c1, unsigned c0) {
  c->x87.sw = (uint16_t)((c->x87.sw & ~X87_SW_CC) | (c3 ? X87_SW_C3 : 0) | (c2 ? X87_SW_C2 : 0) |
                         (c1 ? X87_SW_C1 : 0) | (c0 ? X87_SW_C0 : 0));
}

/* Register image <-> bytes (little-endian, 10 bytes). */
static inline struct fpu_reg x87_reg_from_bytes(const uint8_t *b) {
  uint64_t s = 0;
  for (int k = 7; k >= 0; k--)
    s = (s << 8) | b[k];
  return (struct fpu_reg){s, (uint16_t)(b[8] | b[9] << 8)};
}
static inline void x87_reg_to_bytes(struct fpu_reg v, uint8_t *b) {
  for (int k = 0; k < 8; k++)
    b[k] = (uint8_t)(v.sig >> (8 * k));
  b[8] = (uint8_t)v.se;
  b[9] = (uint8_t)(v.se >> 8);
}

/* Memory operands wider than 4 bytes, checked whole before any byte is
 * written (a fault changes nothing). */
void x87_read_bytes(struct cpu *c, const struct insn *i, unsigned n, uint8_t *out);
void x87_write_bytes(struct cpu *c, const struct insn *i, unsigned n, const uint8_t *in);
uint64_t x87_read64(struct cpu *c, const struct insn *i);

#endif
