/* ops/string.c - MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE.
 *
 * Operands: the source is seg:(E)SI, where seg is DS or the override
 * (i->seg); the destination is always ES:(E)DI. The address size picks
 * SI/DI/CX (16-bit, wrapping at 64 KiB, the upper halves kept) or
 * ESI/EDI/ECX. EFLAGS.DF set steps the pointers down.
 *
 * Prefixes: F3 repeats while (E)CX != 0; on CMPS and SCAS it is REPE (also
 * stop when ZF = 0) and F2 is REPNE (stop when ZF = 1). On the other five F2
 * repeats exactly like F3 (SDM vol. 2, "REP/REPE/REPZ/REPNE/REPNZ": the
 * REPNE form on a non-comparing string instruction is not defined by Intel,
 * but every x86 from the 8086 on treats it as REP, and the 80286 vectors
 * agree). A REP with a zero count does nothing at all, not even the I/O
 * permission check of INS/OUTS (the SDM's pseudocode runs the instruction
 * only inside "WHILE CountReg != 0").
 *
 * Each iteration is one complete string instruction: its reads (and for
 * INS, a probe of the destination before the port is read, so a faulting
 * destination does not consume port data), then its write, then the
 * pointer, count and flag updates. A fault in iteration k therefore leaves
 * the registers with k iterations done and EIP at the instruction, which is
 * how the processor restarts an interrupted REP string.
 *
 * Long REPs run in chunks of STR_CHUNK iterations: at the end of a chunk the
 * handler leaves next_eip at the instruction and ends the block, exactly as
 * an interrupt taken between iterations would; the run loop re-executes the
 * instruction and it continues with the committed count. Chunking is
 * invisible to the architectural state, and the run loop's counters are
 * kept as if the instruction ran once: every iteration after the first of
 * each execution is charged through cpu_repeat_charge() as it starts (so a
 * fault charges the iterations done), and an execution that stops early
 * does not retire (cpu_restart_insn()). A
 * stop requested by a device (cpu_request_stop from an INS/OUTS port or an
 * MMIO callback) ends the chunk the same way.
 *
 * A later fast path for REP MOVS/STOS slots into str_rep() before the
 * iteration loop: with DF = 0, no wrap of (E)SI/(E)DI in the run, both
 * segments passing their fast-path rights and limits, and the run inside
 * one RAM page of each side (mmu_ram_read_ptr/mmu_ram_write_ptr, which
 * refuse code pages), copy whole elements at once (byte-wise forward when
 * the destination overlaps the source ahead of it), commit the registers and
 * charge the cycles as the loop would, then fall into the loop for the rest.
 * Such a fast path must step aside while a data breakpoint is enabled
 * (c->dbg_data): mmu_ram_*_ptr do not see the MMU's watch mode, and a hit
 * must stop the REP after its iteration (below).
 */
#include "../cpu-internal.h"

#define STR_CHUNK 4096u /* iterations per execution of a REP string */

enum str_op { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS };

/* Address-size mask: 0xFFFF for SI/DI/CX, all ones for ESI/EDI/ECX. */
static inline uint32_t str_amask(const struct insn *i) {
  return (i->flags & INSN_A32) ? 0xFFFFFFFFu : 0xFFFFu;
}

/* Replaces the address-size part of register r with v. */
static inline void str_set(struct cpu *c, unsigned r, uint32_t am, uint32_t v) {
  c->gpr[r] = (c->gpr[r] & ~am) | (v & am);
}

/* One iteration: the element operation and the (E)SI/(E)DI steps, not the
 * count. For CMPS and SCAS returns whether the compared values were equal
 * (the ZF the iteration set), else true. */
static inline bool str_once(struct cpu *c, const struct insn *i, enum str_op op, unsigned n, uint32_t am,
                            uint32_t step) {
  uint32_t si = c->gpr[CPU_ESI] & am, di = c->gpr[CPU_EDI] & am;
  uint32_t m = cpu_mask(n);
  switch (op) {
  case STR_MOVS:
    cpu_write(c, CPU_ES, di, n, cpu_read(c, i->seg, si, n));
    str_set(c, CPU_ESI, am, si + step);
    str_set(c, CPU_EDI, am, di + step);
    return true;
  case STR_CMPS: {
    uint32_t a = cpu_read(c, i->seg, si, n);
    uint32_t b = cpu_read(c, CPU_ES, di, n);
    uint32_t r = (a - b) & m;
    cpu_set_lazy(c, CC_SUB8 + cpu_cc_size(n), a, b, r);
    str_set(c, CPU_ESI, am, si + step);
    str_set(c, CPU_EDI, am, di + step);
    return r == 0;
  }
  case STR_STOS:
    cpu_write(c, CPU_ES, di, n, c->gpr[CPU_EAX] & m);
    str_set(c, CPU_EDI, am, di + step);
    return true;
  case STR_LODS:
    cpu_reg_write(c, CPU_EAX, n, cpu_read(c, i->seg, si, n));
    str_set(c, CPU_ESI, am, si + step);
    return true;
  case STR_SCAS: {
    uint32_t a = c->gpr[CPU_EAX] & m;
    uint32_t b = cpu_read(c, CPU_ES, di, n);
    uint32_t r = (a - b) & m;
    cpu_set_lazy(c, CC_SUB8 + cpu_cc_size(n), a, b, r);
    str_set(c, CPU_EDI, am, di + step);
    return r == 0;
  }
  case STR_INS:
    cpu_probe_write(c, CPU_ES, di, n);
    cpu_write(c, CPU_ES, di, n, cpu_port_in(c, cpu_r16(c, CPU_EDX), n));
    str_set(c, CPU_EDI, am, di + step);
    return true;
  case STR_OUTS:
  default:
    cpu_port_out(c, cpu_r16(c, CPU_EDX), n, cpu_read(c, i->seg, si, n));
    str_set(c, CPU_ESI, am, si + step);
    return true;
  }
}

/* The repeated form: F3, or F2 (REPNE on CMPS/SCAS, REP on the rest). */
static inline void str_rep(struct cpu *c, const struct insn *i, enum str_op op, unsigned n, uint32_t am,
                           uint32_t step) {
  uint32_t count = c->gpr[CPU_ECX] & am;
  if (count == 0)
    return;
  if (op == STR_INS || op == STR_OUTS)
    cpu_io_check(c, cpu_r16(c, CPU_EDX), n);
  bool compares = op == STR_CMPS || op == STR_SCAS;
  bool until_equal = (i->flags & INSN_REPNE) != 0; /* REPNE: stop when ZF = 1 */
  for (unsigned left = STR_CHUNK;;) {
    bool equal = str_once(c, i, op, n, am, step);
    str_set(c, CPU_ECX, am, --count);
    if (count == 0 || (compares && equal == until_equal))
      return;
    if (--left == 0 || c->stop_requested || c->dbg_pending) {
      /* As if interrupted between iterations (or a data or I/O breakpoint
       * trap after this one): the instruction runs again for the rest, and
       * RF is set, so that the frame of an interrupt or trap taken here
       * has RF = 1 and the resumed execution does not hit an instruction
       * breakpoint on it again (SDM vol. 3, 17.3.1.1). RF is cleared at
       * the start of the next instruction (exec.c). */
      c->eflags |= CPU_FLAG_RF;
      cpu_restart_insn(c);
      return;
    }
    cpu_repeat_charge(c, i);
  }
}

static inline void str_do(struct cpu *c, const struct insn *i, enum str_op op, unsigned n) {
  uint32_t am = str_amask(i);
  uint32_t step = (c->eflags & CPU_FLAG_DF) ? 0u - n : n;
  if (i->flags & (INSN_REP | INSN_REPNE)) {
    str_rep(c, i, op, n, am, step);
    return;
  }
  if (op == STR_INS || op == STR_OUTS)
    cpu_io_check(c, cpu_r16(c, CPU_EDX), n);
  str_once(c, i, op, n, am, step);
}

void MOVSB(struct cpu *c, const struct insn *i) { str_do(c, i, STR_MOVS, 1); }
void MOVSW(struct cpu *c, const struct insn *i) { str_do(c, i, STR_MOVS, 2); }
void MOVSD(struct cpu *c, const struct insn *i) { str_do(c, i, STR_MOVS, 4); }
void CMPSB(struct cpu *c, const struct insn *i) { str_do(c, i, STR_CMPS, 1); }
void CMPSW(struct cpu *c, const struct insn *i) { str_do(c, i, STR_CMPS, 2); }
void CMPSD(struct cpu *c, const struct insn *i) { str_do(c, i, STR_CMPS, 4); }
void STOSB(struct cpu *c, const struct insn *i) { str_do(c, i, STR_STOS, 1); }
void STOSW(struct cpu *c, const struct insn *i) { str_do(c, i, STR_STOS, 2); }
void STOSD(struct cpu *c, const struct insn *i) { str_do(c, i, STR_STOS, 4); }
void LODSB(struct cpu *c, const struct insn *i) { str_do(c, i, STR_LODS, 1); }
void LODSW(struct cpu *c, const struct insn *i) { str_do(c, i, STR_LODS, 2); }
void LODSD(struct cpu *c, const struct insn *i) { str_do(c, i, STR_LODS, 4); }
void SCASB(struct cpu *c, const struct insn *i) { str_do(c, i, STR_SCAS, 1); }
void SCASW(struct cpu *c, const struct insn *i) { str_do(c, i, STR_SCAS, 2); }
void SCASD(struct cpu *c, const struct insn *i) { str_do(c, i, STR_SCAS, 4); }
void INSB(struct cpu *c, const struct insn *i) { str_do(c, i, STR_INS, 1); }
void INSW(struct cpu *c, const struct insn *i) { str_do(c, i, STR_INS, 2); }
void INSD(struct cpu *c, const struct insn *i) { str_do(c, i, STR_INS, 4); }
void OUTSB(struct cpu *c, const struct insn *i) { str_do(c, i, STR_OUTS, 1); }
void OUTSW(struct cpu *c, const struct insn *i) { str_do(c, i, STR_OUTS, 2); }
void OUTSD(struct cpu *c, const struct insn *i) { str_do(c, i, STR_OUTS, 4); }
