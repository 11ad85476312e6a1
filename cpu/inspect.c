/* cpu/inspect.c - what a debugger (the gdb stub) reads of the processor
 * beyond the register accessors of cpu.h: the x87 registers as gdb's i387
 * registers show them, the descriptor-table registers, LDTR and TR, the
 * debug registers. Reads only.
 */
#include "cpu-internal.h"

void cpu_debug_state(const struct cpu *c, struct cpu_debug_state *out) {
  const struct cpu_x87 *x = &c->x87;
  memset(out, 0, sizeof *out);
  unsigned top = (x->sw >> 11) & 7;
  for (unsigned i = 0; i < 8; i++) /* ST(i) is R[(TOP + i) mod 8] */
    memcpy(out->st[i], x->st[(top + i) & 7], 10);
  out->fcw = x->cw;
  out->fsw = x->sw;
  out->ftw = x->tw;
  out->fop = x->fop;
  out->fip = x->fip;
  out->fdp = x->fdp;
  out->fcs = x->fcs;
  out->fds = x->fds;
  out->gdtr_base = c->gdtr.base;
  out->gdtr_limit = c->gdtr.limit;
  out->idtr_base = c->idtr.base;
  out->idtr_limit = c->idtr.limit;
  out->ldtr = c->ldtr;
  out->tr = c->tr;
  memcpy(out->dr, c->dr, sizeof out->dr);
  out->cpl = c->cpl;
  out->halted = c->halted;
}
