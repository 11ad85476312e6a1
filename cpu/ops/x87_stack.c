/* ops/x87_stack.c - the x87's register stack, tags, exception summary,
 * error pins and last-instruction pointers, shared by every x87 file
 * (x87-internal.h says how an instruction uses them).
 *
 * Tags: the tag word keeps each physical register's full two-bit tag (00
 * valid, 01 zero, 10 special, 11 empty), recomputed from the value on every
 * write, so FSTENV and FSAVE store what the P6 stores: the tags its
 * contents give (SDM vol. 1, 8.1.7). Only "empty or not" is state.
 *
 * Exceptions (SDM vol. 1, 8.7): an instruction's flags are sticky in the
 * status word; ES (and B, its copy) is set while some flag is set and
 * unmasked. The next waiting instruction then reports it: #MF when CR0.NE
 * is set. Without NE (the PC's "MS-DOS compatibility" wiring, vol. 1,
 * D.2.2) the P6 asserts its FERR# output at the end of the instruction that
 * set ES (vol. 3, "Assertion of the FERR# Pin"), the board turns it into
 * IRQ 13, and the next waiting instruction freezes until an interrupt
 * arrives, unless the IGNNE# input is asserted (the board asserts it after
 * the handler writes port F0h), when it goes ahead. ringlab models the
 * freeze like HLT with EIP left at the frozen instruction: the interrupt
 * returns to it and it runs again.
 *
 * Pointers: FIP/FCS and FOP name the last non-control instruction, FDP/FDS
 * its memory operand (left alone by register forms). In real and virtual-
 * 8086 mode FIP and FDP hold linear addresses (the real-mode FSAVE image
 * stores them so); in protected mode offsets, with the selectors.
 */
#include "x87-internal.h"

struct fpu_reg x87_reg(const struct cpu *c, unsigned phys) { return x87_reg_from_bytes(c->x87.st[phys & 7u]); }

void x87_reg_put(struct cpu *c, unsigned phys, struct fpu_reg v) {
  phys &= 7u;
  x87_reg_to_bytes(v, c->x87.st[phys]);
  c->x87.tw = (uint16_t)((c->x87.tw & ~(3u << (2 * phys))) | fpu_tag(v) << (2 * phys));
}

void x87_set_top(struct cpu *c, unsigned top) {
  c->x87.sw = (uint16_t)((c->x87.sw & ~X87_SW_TOP) | (top & 7u) << 11);
}

void x87_pop(struct cpu *c) {
  unsigned p = x87_top(c);
  c->x87.tw |= (uint16_t)(3u << (2 * p));
  x87_set_top(c, p + 1);
}

void x87_push(struct cpu *c, struct fpu_reg v) {
  x87_set_top(c, x87_top(c) - 1);
  x87_st_put(c, 0, v);
}

uint16_t x87_tag_word(const struct cpu *c) {
  uint16_t tw = 0;
  for (unsigned p = 0; p < 8; p++) {
    unsigned t = x87_tag(c, p) == X87_TAG_EMPTY ? X87_TAG_EMPTY : fpu_tag(x87_reg(c, p));
    tw |= (uint16_t)(t << (2 * p));
  }
  return tw;
}

void x87_check_nm(struct cpu *c) {
  if (c->cr[0] & (X87_CR0_EM | X87_CR0_TS))
    cpu_raise(c, CPU_EXC_NM, CPU_NO_ERROR_CODE);
}

void x87_update_ferr(struct cpu *c) {
  bool level = (c->x87.sw & X87_SW_ES) && !(c->cr[0] & X87_CR0_NE);
  if (level == c->sys.ferr)
    return;
  c->sys.ferr = level;
  if (c->sys.ferr_fn)
    c->sys.ferr_fn(c->sys.ferr_ctx, level);
}

void cpu_x87_update_ferr(struct cpu *c) { x87_update_ferr(c); }

void x87_summary(struct cpu *c) {
  if (c->x87.sw & X87_SW_FLAGS & ~c->x87.cw)
    c->x87.sw |= X87_SW_ES | X87_SW_B;
  else
    c->x87.sw &= (uint16_t)~(X87_SW_ES | X87_SW_B);
  x87_update_ferr(c);
}

/* A pending unmasked exception at a waiting instruction. */
bool cpu_x87_wait(struct cpu *c) {
  if (!(c->x87.sw & X87_SW_ES))
    return true;
  if (c->cr[0] & X87_CR0_NE)
    cpu_raise(c, CPU_EXC_MF, CPU_NO_ERROR_CODE);
  if (c->sys.ignne)
    return true;
  /* Frozen: the instruction runs again once an interrupt has been taken. */
  x87_update_ferr(c);
  cpu_restart_insn(c);
  const struct cpu_sys *s = &c->sys;
  if (!((s->nmi_pending && !s->nmi_blocked) || (s->intr && (c->eflags & CPU_FLAG_IF)))) {
    c->halted = true;
    cpu_stop(c, CPU_EXIT_HALT, "x87 error pending (CR0.NE = 0): frozen at %04x:%08x until FERR# is answered",
             c->seg[CPU_CS].selector, c->eip);
  }
  return false;
}

bool x87_begin(struct cpu *c) {
  x87_check_nm(c);
  return cpu_x87_wait(c);
}

struct fpu_status x87_status(const struct cpu *c) { return fpu_status_of(c->x87.cw); }

bool x87_stack_fault(struct cpu *c, struct fpu_status *st, bool overflow) {
  (void)c;
  st->flags |= FPU_IE | X87_SW_SF; /* SF reaches the status word at x87_end, with IE */
  st->c1 = overflow;
  return (st->masks & FPU_IE) != 0;
}

void x87_end(struct cpu *c, const struct insn *i, const struct fpu_status *st) {
  struct cpu_x87 *x = &c->x87;
  x->sw = (uint16_t)((x->sw | (st->flags & (X87_SW_FLAGS | X87_SW_SF))) & ~X87_SW_C1) | (st->c1 ? X87_SW_C1 : 0);
  bool real = c->mode != CPU_MODE_PROT;
  const struct cpu_segment *cs = &c->seg[CPU_CS];
  x->fip = real ? cs->base + c->eip : c->eip;
  x->fcs = real ? 0 : cs->selector;
  x->fop = (uint16_t)(((i->opcode & 7u) << 8) | i->modrm);
  if (i->flags & INSN_MEM) {
    uint32_t ea = cpu_ea(c, i);
    x->fdp = real ? c->seg[i->seg].base + ea : ea;
    x->fds = real ? 0 : c->seg[i->seg].selector;
  }
  x87_summary(c);
}

/* ---- wide memory operands ------------------------------------------------------------ */

void x87_read_bytes(struct cpu *c, const struct insn *i, unsigned n, uint8_t *out) {
  uint32_t ea = cpu_ea(c, i);
  unsigned k = 0;
  for (; k + 2 <= n; k += 2) {
    uint16_t w = cpu_rd16(c, i->seg, ea + k);
    out[k] = (uint8_t)w;
    out[k + 1] = (uint8_t)(w >> 8);
  }
  if (k < n)
    out[k] = cpu_rd8(c, i->seg, ea + k);
}

void x87_write_bytes(struct cpu *c, const struct insn *i, unsigned n, const uint8_t *in) {
  uint32_t ea = cpu_ea(c, i);
  cpu_probe_write(c, i->seg, ea, n);
  unsigned k = 0;
  for (; k + 2 <= n; k += 2)
    cpu_wr16(c, i->seg, ea + k, (uint16_t)(in[k] | in[k + 1] << 8));
  if (k < n)
    cpu_wr8(c, i->seg, ea + k, in[k]);
}

uint64_t x87_read64(struct cpu *c, const struct insn *i) {
  uint8_t b[8];
  x87_read_bytes(c, i, 8, b);
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--)
    v = (v << 8) | b[k];
  return v;
}
