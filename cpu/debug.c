/* cpu/debug.c - the debug registers' breakpoints and the #DB they raise
 * (SDM vol. 3, chapter 17, "Debug, Branch Profile, TSC ...", 17.2-17.3).
 *
 *   DR0-DR3   linear breakpoint addresses (I/O ports with CR4.DE)
 *   DR6       status: B0-B3 (bits 0-3) breakpoint n matched, BD (13) a MOV
 *             DR under DR7.GD, BS (14) single step, BT (15) the T bit of a
 *             TSS. Bits 4-11 and 16-31 read as 1, bit 12 as 0 (P6). The
 *             processor sets bits and never clears them: the handler does.
 *   DR7       control: Ln/Gn (bits 2n, 2n+1) enable breakpoint n, LE/GE
 *             (8, 9) are ignored (as on P6 and later: every data breakpoint
 *             is exact), GD (13) general detect; R/Wn (16 + 4n) 00
 *             execute, 01 write, 10 I/O read/write (CR4.DE; undefined
 *             without it: ignored), 11 data read/write; LENn (18 + 4n) 00 1
 *             byte, 01 2, 11 4, 10 8 (undefined on P6; 8 as later
 *             processors). Bit 10 reads as 1. Ln and Gn act alike: task
 *             switches do not clear Ln (ringlab models one task's view).
 *
 * Kinds of #DB and where they are raised:
 *
 *   instruction breakpoint  a fault, before the instruction at a linear
 *                           address DRn runs, unless EFLAGS.RF = 1 (exec.c);
 *                           the frame's RF is EFLAGS.RF (0)
 *   data breakpoint         a trap, after the instruction (or the iteration
 *                           of a REP string) that read or wrote a byte of the
 *                           range; the slow paths of memory.c and
 *                           translate.c call cpu_debug_data(). The
 *                           processor's own accesses (descriptor tables,
 *                           accessed bits, the TSS, interrupt frames) are
 *                           data accesses here too, and an access that
 *                           faults in its translation matches nothing
 *   I/O breakpoint          a trap, after the IN/OUT/INS/OUTS (iteration)
 *                           that touched the ports (cpu_debug_io)
 *   single step             a trap after an instruction that started with
 *                           EFLAGS.TF = 1 (exec.c), not after one that
 *                           delivered an exception or interrupt (INT n, a
 *                           fault): the handler starts with TF clear
 *   general detect          a fault, on MOV to or from a DR under DR7.GD
 *                           (ops/system.c); the frame's RF is 1
 *   task switch             a trap before the new task's first instruction
 *                           when its TSS has the T bit (task.c)
 *
 * The traps of one boundary go out as one #DB with every bit they set.
 * Entering the #DB handler clears DR7.GD (cpu_debug_deliver, the GD fault,
 * the T-bit trap; not INT1, which Bochs leaves it for too). EFLAGS.RF is cleared at the start
 * of each instruction, after its breakpoint check (exec.c); the frame of an
 * interrupt or trap between two iterations of a REP string has RF = 1
 * (ops/string.c sets it when a REP stops early), so that the iteration that
 * resumes does not hit a breakpoint on the instruction again.
 *
 * Cost: nothing when DR7 enables no breakpoint and TF and RF are clear. The
 * run loop's boundary checks test one byte (dbg_any) and EFLAGS, and only
 * where they ran already (between blocks that end with something other than
 * a near transfer); in debug mode it runs one instruction per block.
 * Data breakpoints put the MMU in watch mode (mmu_set_watch), which sends
 * every data access down the slow path while they are enabled.
 */
#include "cpu-internal.h"

/* The breakpoint range of DRn: its first byte (DRn aligned to its length)
 * and its length. */
static void bp_range(const struct cpu *c, unsigned n, uint32_t *base, uint32_t *len) {
  static const uint8_t lens[4] = {1, 2, 8, 4};
  *len = lens[(c->dr[7] >> (18 + 4 * n)) & 3];
  *base = c->dr[n] & ~(*len - 1);
}

void cpu_debug_update(struct cpu *c) {
  uint32_t dr7 = c->dr[7];
  uint8_t exec = 0, data = 0, io = 0;
  for (unsigned n = 0; n < 4; n++) {
    if (!((dr7 >> (2 * n)) & 3))
      continue;
    switch ((dr7 >> (16 + 4 * n)) & 3) {
    case 0: exec |= (uint8_t)(1u << n); break;
    case 1:
    case 3: data |= (uint8_t)(1u << n); break;
    case 2:
      if (c->cr[4] & CPU_CR4_DE)
        io |= (uint8_t)(1u << n);
      break;
    }
  }
  c->dbg_exec = exec;
  c->dbg_io = io;
  c->dbg_any = (exec | io | data) != 0 || c->dbg_pending != 0;
  if ((data != 0) != (c->dbg_data != 0) && c->mem)
    mmu_set_watch(c->mem, data != 0);
  c->dbg_data = data;
}

/* Does [lo, lo + n) overlap DRn's range? */
static bool bp_hits(const struct cpu *c, unsigned k, uint32_t lo, unsigned n) {
  uint32_t base, len;
  bp_range(c, k, &base, &len);
  return (uint64_t)lo < (uint64_t)base + len && (uint64_t)base < (uint64_t)lo + n;
}

void cpu_debug_data(struct cpu *c, uint32_t lin, unsigned n, bool write) {
  for (unsigned k = 0; k < 4; k++) {
    if (!((c->dbg_data >> k) & 1))
      continue;
    bool rw_any = ((c->dr[7] >> (16 + 4 * k)) & 3) == 3; /* 11: reads too */
    if ((write || rw_any) && bp_hits(c, k, lin, n))
      c->dbg_pending |= 1u << k;
  }
}

void cpu_debug_io(struct cpu *c, uint16_t port, unsigned n) {
  for (unsigned k = 0; k < 4; k++)
    if (((c->dbg_io >> k) & 1) && bp_hits(c, k, port, n))
      c->dbg_pending |= 1u << k;
}

unsigned cpu_debug_exec_match(const struct cpu *c, uint32_t lin) {
  unsigned hit = 0;
  for (unsigned k = 0; k < 4; k++)
    if (((c->dbg_exec >> k) & 1) && c->dr[k] == lin)
      hit |= 1u << k;
  return hit;
}

void cpu_debug_deliver(struct cpu *c, uint32_t dr6_bits) {
  c->dr[6] |= dr6_bits;
  c->dr[7] &= ~CPU_DR7_GD; /* entering the #DB handler clears GD (SDM vol. 3, 17.2.4) */
  c->dbg_pending = 0;
  c->dbg_any = (c->dbg_exec | c->dbg_data | c->dbg_io) != 0;
  c->dbg_step = false;
  c->halted = false; /* a trap after HLT: the handler returns past it */
  cpu_deliver(c, CPU_EXC_DB, CPU_NO_ERROR_CODE, c->eip, CPU_DELIVER_EXCEPTION);
}
