/* ops/misc.c - IN OUT, the flag instructions, HLT, UD2, CPUID, RDTSC, NOP,
 * WAIT, and the x87 escape.
 *
 * Privilege checks (IOPL for CLI/STI/IN/OUT, the I/O permission bitmap,
 * CPL 0 for HLT, CR4.TSD for RDTSC) apply in protected and virtual-8086
 * mode; cpu_io_check() and the checks below are where they live.
 */
#include "../cpu-internal.h"

static unsigned iopl(const struct cpu *c) { return (c->eflags & CPU_FLAG_IOPL) >> 12; }

/* IN/OUT/INS/OUTS permission (SDM vol. 1, 19.5 "Protection and I/O";
 * vol. 3, 20.2.8.1 for virtual-8086 mode): always in real mode; in
 * protected mode at CPL <= IOPL; otherwise (CPL > IOPL, and always in
 * virtual-8086 mode, where IOPL does not matter to I/O) the I/O permission
 * bitmap of the current TSS decides. Its offset is the word at TSS + 0x66;
 * bit p of the map is port p, and every port of the access (port .. port +
 * n - 1) must have a clear bit. The processor reads the two bytes holding
 * the first port's bit (19.5.2), so both must lie within the TSS limit; a
 * 16-bit TSS has no bitmap. Anything else is #GP(0). The reads are system
 * accesses at linear addresses (supervisor translations, cpu_sys_read). */
void cpu_io_check(struct cpu *c, uint16_t port, unsigned n) {
  if (c->mode == CPU_MODE_REAL || (c->mode == CPU_MODE_PROT && c->cpl <= iopl(c)))
    return;
  const struct cpu_segment *tr = &c->tr;
  bool tss32 = (tr->attr & 0x1Du) == 0x09u; /* S = 0, type 9 or 11 */
  if (!tss32 || tr->limit < 0x67)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t map = cpu_sys_read(c, tr->base + 0x66, 2);
  uint32_t at = map + port / 8u;
  if ((uint64_t)at + 1 > tr->limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t bits = cpu_sys_read(c, tr->base + at, 2);
  if ((bits >> (port % 8u)) & ((1u << n) - 1))
    cpu_raise(c, CPU_EXC_GP, 0);
}

static void in(struct cpu *c, uint16_t port, unsigned n) {
  cpu_io_check(c, port, n);
  cpu_reg_write(c, CPU_EAX, n, cpu_port_in(c, port, n));
}

static void out(struct cpu *c, uint16_t port, unsigned n) {
  cpu_io_check(c, port, n);
  cpu_port_out(c, port, n, cpu_reg_read(c, CPU_EAX, n));
}

void IN_ALIb(struct cpu *c, const struct insn *i) { in(c, (uint16_t)i->imm, 1); }
void IN_AXIb(struct cpu *c, const struct insn *i) { in(c, (uint16_t)i->imm, 2); }
void IN_EAXIb(struct cpu *c, const struct insn *i) { in(c, (uint16_t)i->imm, 4); }
void OUT_IbAL(struct cpu *c, const struct insn *i) { out(c, (uint16_t)i->imm, 1); }
void OUT_IbAX(struct cpu *c, const struct insn *i) { out(c, (uint16_t)i->imm, 2); }
void OUT_IbEAX(struct cpu *c, const struct insn *i) { out(c, (uint16_t)i->imm, 4); }
void IN_ALDX(struct cpu *c, const struct insn *i) { in(c, cpu_r16(c, CPU_EDX), 1); }
void IN_AXDX(struct cpu *c, const struct insn *i) { in(c, cpu_r16(c, CPU_EDX), 2); }
void IN_EAXDX(struct cpu *c, const struct insn *i) { in(c, cpu_r16(c, CPU_EDX), 4); }
void OUT_DXAL(struct cpu *c, const struct insn *i) { out(c, cpu_r16(c, CPU_EDX), 1); }
void OUT_DXAX(struct cpu *c, const struct insn *i) { out(c, cpu_r16(c, CPU_EDX), 2); }
void OUT_DXEAX(struct cpu *c, const struct insn *i) { out(c, cpu_r16(c, CPU_EDX), 4); }

void CMC(struct cpu *c, const struct insn *i) { cpu_eflags_write(c, cpu_eflags(c) ^ CPU_FLAG_CF, CPU_FLAG_CF); }
void CLC(struct cpu *c, const struct insn *i) { cpu_eflags_write(c, 0, CPU_FLAG_CF); }
void STC(struct cpu *c, const struct insn *i) { cpu_eflags_write(c, CPU_FLAG_CF, CPU_FLAG_CF); }
void CLD(struct cpu *c, const struct insn *i) { c->eflags &= ~CPU_FLAG_DF; }
void STD(struct cpu *c, const struct insn *i) { c->eflags |= CPU_FLAG_DF; }

/* CLI/STI: IOPL-sensitive outside real mode (VME/PVI are not modeled). */
void CLI(struct cpu *c, const struct insn *i) {
  if (c->mode != CPU_MODE_REAL && c->cpl > iopl(c))
    cpu_raise(c, CPU_EXC_GP, 0);
  c->eflags &= ~CPU_FLAG_IF;
}

/* An STI that sets IF holds interrupts off for one more instruction (the
 * interrupt shadow, SDM vol. 3, 6.8.3), so that STI; HLT or STI; RET run
 * before the interrupt; the row ends its block and the run loop honours
 * the shadow. STI with IF already set casts none. */
void STI(struct cpu *c, const struct insn *i) {
  if (c->mode != CPU_MODE_REAL && c->cpl > iopl(c))
    cpu_raise(c, CPU_EXC_GP, 0);
  if (!(c->eflags & CPU_FLAG_IF))
    c->sys.shadow = true;
  c->eflags |= CPU_FLAG_IF;
}

/* HLT stops the processor until an interrupt (cpu.h, cpu_set_intr). With
 * an interrupt already waiting (INTR and IF = 1, or an NMI) it wakes at
 * once: the block ends and the run loop delivers it, the return address
 * being the instruction after HLT. Otherwise cpu_run() returns
 * CPU_EXIT_HALT, and later calls keep returning it until an interrupt
 * arrives (with IF = 0 only an NMI can). */
void HLT(struct cpu *c, const struct insn *i) {
  if (c->mode != CPU_MODE_REAL && c->cpl != 0)
    cpu_raise(c, CPU_EXC_GP, 0);
  cpu_count(c, TRACE_EV_halt);
  const struct cpu_sys *s = &c->sys;
  /* An interrupt waiting, or a single-step trap armed (TF): the processor
   * takes it at the boundary after HLT and does not wait there. */
  if ((s->nmi_pending && !s->nmi_blocked) || (s->intr && (c->eflags & CPU_FLAG_IF)) || c->dbg_step) {
    cpu_end_block(c);
    return;
  }
  c->halted = true;
  cpu_stop(c, CPU_EXIT_HALT, "halted");
}

void UD2(struct cpu *c, const struct insn *i) { cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE); }

void NOP(struct cpu *c, const struct insn *i) {}
void NOP_Ev(struct cpu *c, const struct insn *i) {}

/* WAIT/FWAIT (SDM vol. 3, Table 2-2): #NM iff CR0.MP and CR0.TS are both
 * set (EM does not matter); otherwise it reports a pending unmasked x87
 * exception (#MF, or the FERR# freeze without CR0.NE: ops/x87_stack.c).
 * Without one, WAIT does nothing. */
void WAIT(struct cpu *c, const struct insn *i) {
  if ((c->cr[0] & 0xA) == 0xA)
    cpu_raise(c, CPU_EXC_NM, CPU_NO_ERROR_CODE);
  cpu_x87_wait(c);
}

/* The D8-DF encodings no x87 row names (D9 D1, DB E5, DD /5 ...): "like
 * legal floating-point opcodes, [they] cause #NM when either the TS or EM
 * flag in CR0 is set"; otherwise #UD, without checking for a pending x87
 * error (SDM vol. 3, "x87 FPU" in "Architecture Compatibility"). */
void X87_escape(struct cpu *c, const struct insn *i) {
  if (c->cr[0] & 0xC) /* EM | TS */
    cpu_raise(c, CPU_EXC_NM, CPU_NO_ERROR_CODE);
  cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE);
}

/* CPUID: a P6-class processor (family 6, model 3: Pentium II "Klamath").
 * Feature bits advertise exactly what ringlab implements:
 *   TSC   RDTSC and CR4.TSD            MSR   RDMSR/WRMSR (ops/system.c)
 *   CX8   CMPXCHG8B                    SEP   SYSENTER/SYSEXIT (family 6,
 *   MTRR  the MTRR MSRs (as storage)         model 3, stepping 3: honoured)
 *   CMOV  CMOVcc                       FPU   the whole x87 (ops/x87*.c,
 *                                            fpu/), #NM, #MF and FERR#
 *   PSE   4 MiB pages                  PAE   PAE paging, 36-bit frames
 *   PGE   global pages                         (mmu/paging.c, mmu/tlb.c)
 *   APIC  the local APIC (devices/lapic.c), while the board says one is
 *         there and enabled (IA32_APIC_BASE.EN: SDM vol. 3, 10.4.3);
 *         its initial APIC ID (EBX bits 31-24) is 0, the board's
 * Not yet: VME, DE, MCE, PAT, PSE-36, MMX. */
#define CPUID_FPU (1u << 0)
#define CPUID_PSE (1u << 3)
#define CPUID_TSC (1u << 4)
#define CPUID_MSR (1u << 5)
#define CPUID_PAE (1u << 6)
#define CPUID_CX8 (1u << 8)
#define CPUID_APIC (1u << 9)
#define CPUID_SEP (1u << 11)
#define CPUID_MTRR (1u << 12)
#define CPUID_PGE (1u << 13)
#define CPUID_CMOV (1u << 15)
#define CPUID_FEATURES (CPUID_FPU | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE | CPUID_CX8 | CPUID_SEP | \
                        CPUID_MTRR | CPUID_PGE | CPUID_CMOV)

void CPUID(struct cpu *c, const struct insn *i) {
  uint32_t leaf = c->gpr[CPU_EAX];
  uint32_t a = 0, b = 0, cx = 0, d = 0;
  switch (leaf) {
  case 0:
    a = 1;
    b = 0x756E6547; /* "GenuineIntel" */
    d = 0x49656E69;
    cx = 0x6C65746E;
    break;
  case 1:
  default: /* past the highest leaf: the highest basic leaf's values */
    a = 0x00000633;
    d = CPUID_FEATURES | (c->sys.apic_present ? CPUID_APIC : 0);
    break;
  }
  c->gpr[CPU_EAX] = a;
  c->gpr[CPU_EBX] = b;
  c->gpr[CPU_ECX] = cx;
  c->gpr[CPU_EDX] = d;
}

/* RDTSC: the cycle counter at this instruction plus the offset a WRMSR to
 * the TSC set (CR4.TSD: CPL 0 only). */
void RDTSC(struct cpu *c, const struct insn *i) {
  if ((c->cr[4] & 0x4) && c->mode != CPU_MODE_REAL && c->cpl != 0)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint64_t t = cpu_tsc(c);
  c->gpr[CPU_EAX] = (uint32_t)t;
  c->gpr[CPU_EDX] = (uint32_t)(t >> 32);
}
