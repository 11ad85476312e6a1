/* cpu/cpu.h - the emulated IA-32 processor.
 *
 * A cpu reaches memory only through its struct mmu and ports only through its
 * cpu_io_ops; it has no globals and reads nothing of the host. cpu_run()
 * executes until the cycle budget is spent or the processor stops (HLT,
 * triple fault, an instruction ringlab does not implement).
 *
 * Registers are read and written through the accessors below, so callers do
 * not depend on how EFLAGS is kept (lazily) or how blocks are cached.
 */
#ifndef RINGLAB_CPU_H
#define RINGLAB_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmu;
struct cpu;
struct trace_counters;

typedef uint64_t cycles_t;

enum cpu_reg { CPU_EAX, CPU_ECX, CPU_EDX, CPU_EBX, CPU_ESP, CPU_EBP, CPU_ESI, CPU_EDI };
enum cpu_sreg { CPU_ES, CPU_CS, CPU_SS, CPU_DS, CPU_FS, CPU_GS, CPU_NSREG };

/* EFLAGS bits */
#define CPU_FLAG_CF 0x00000001u   /* carry */
#define CPU_FLAG_PF 0x00000004u   /* parity */
#define CPU_FLAG_AF 0x00000010u   /* adjust */
#define CPU_FLAG_ZF 0x00000040u   /* zero */
#define CPU_FLAG_SF 0x00000080u   /* sign */
#define CPU_FLAG_TF 0x00000100u   /* trap */
#define CPU_FLAG_IF 0x00000200u   /* interrupt enable */
#define CPU_FLAG_DF 0x00000400u   /* direction */
#define CPU_FLAG_OF 0x00000800u   /* overflow */
#define CPU_FLAG_IOPL 0x00003000u /* I/O privilege level */
#define CPU_FLAG_NT 0x00004000u   /* nested task */
#define CPU_FLAG_RF 0x00010000u   /* resume */
#define CPU_FLAG_VM 0x00020000u   /* virtual-8086 mode */
#define CPU_FLAG_AC 0x00040000u   /* alignment check */
#define CPU_FLAG_VIF 0x00080000u  /* virtual interrupt */
#define CPU_FLAG_VIP 0x00100000u  /* virtual interrupt pending */
#define CPU_FLAG_ID 0x00200000u   /* CPUID available */
#define CPU_FLAGS_ARITH (CPU_FLAG_CF | CPU_FLAG_PF | CPU_FLAG_AF | CPU_FLAG_ZF | CPU_FLAG_SF | CPU_FLAG_OF)

/* Exception vectors */
enum cpu_vector {
  CPU_EXC_DE = 0,  /* divide error */
  CPU_EXC_DB = 1,  /* debug */
  CPU_EXC_NMI = 2,
  CPU_EXC_BP = 3,  /* breakpoint */
  CPU_EXC_OF = 4,  /* overflow (INTO) */
  CPU_EXC_BR = 5,  /* BOUND range exceeded */
  CPU_EXC_UD = 6,  /* invalid opcode */
  CPU_EXC_NM = 7,  /* device not available */
  CPU_EXC_DF = 8,  /* double fault */
  CPU_EXC_TS = 10, /* invalid TSS */
  CPU_EXC_NP = 11, /* segment not present */
  CPU_EXC_SS = 12, /* stack fault */
  CPU_EXC_GP = 13, /* general protection */
  CPU_EXC_PF = 14, /* page fault */
  CPU_EXC_MF = 16, /* x87 error */
  CPU_EXC_AC = 17, /* alignment check */
};

/* A segment register: the visible selector and the descriptor cache. */
struct cpu_segment {
  uint16_t selector;
  uint32_t base;
  uint32_t limit;  /* effective byte limit (granularity applied) */
  uint16_t attr;   /* descriptor bits 40-47 and 52-55 as in SDM 3.4.5:
                      type[3:0] S[4] DPL[6:5] P[7] AVL[12] D/B[14] G[15] */
};

#define CPU_SEG_ATTR_DB 0x4000u /* default operand size 32 (CS) / big (SS) */

struct cpu_io_ops {
  uint32_t (*in)(void *ctx, uint16_t port, unsigned size_bytes);
  void (*out)(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value);
};

/* Why cpu_run() returned. */
enum cpu_exit {
  CPU_EXIT_BUDGET,        /* the cycle budget is spent */
  CPU_EXIT_HALT,          /* HLT executed (interrupts off or none pending) */
  CPU_EXIT_TRIPLE_FAULT,  /* a fault while delivering a double fault */
  CPU_EXIT_STOP,          /* cpu_request_stop() or an ops-port exit */
  CPU_EXIT_UNIMPLEMENTED, /* a feature ringlab does not model */
  CPU_EXIT_PAUSE,         /* an observer's pause (cpu_pause_at, cpu_step) */
};

struct cpu *cpu_new(struct mmu *mem, const struct cpu_io_ops *io, void *io_ctx);
void cpu_free(struct cpu *cpu);

/* Processor state after RESET: real mode, CS:IP = F000:FFF0 with CS base
 * 0xFFFF0000, EDX = the family/model/stepping signature. */
void cpu_reset(struct cpu *cpu);

/* Runs until cycles() >= until or the processor stops. */
enum cpu_exit cpu_run(struct cpu *cpu, cycles_t until);
/* Asks cpu_run() to return at the end of the current instruction
 * (for device callbacks). */
void cpu_request_stop(struct cpu *cpu);

/* Pauses: an observer (a window, a debugger, a snapshot) stops the
 * processor where nothing else would, and the run goes on exactly as if it
 * had not stopped: calling cpu_run again with the same `until` gives the
 * same instruction boundaries, cycles and counters as one call would have
 * (exec.c, "Pauses"). The caller must not let device time advance at a
 * pause (nothing is due: the next event is at `until`).
 *
 * cpu_pause_at(at): cpu_run returns CPU_EXIT_PAUSE at the boundary where a
 * run with until = at would have stopped (if that comes before `until`),
 * and again on every call while cpu_cycles() >= at; UINT64_MAX: no pause.
 * A halted processor's clock stops at `at`.
 *
 * cpu_step(until): runs to the next instruction boundary: one instruction
 * retires (or faults, and its exception is delivered), or an interrupt
 * that is waiting is delivered; returns CPU_EXIT_PAUSE there, or what
 * cpu_run returns if that boundary is where `until` stops the run anyway
 * (then devices must advance, as after any cpu_run). A halted processor
 * with nothing to wake it returns CPU_EXIT_HALT as cpu_run does (its clock
 * runs to `until`, or stops at a cpu_pause_at cycle before it). */
void cpu_pause_at(struct cpu *cpu, cycles_t at);
enum cpu_exit cpu_step(struct cpu *cpu, cycles_t until);
/* Forgets a pause's cut block: call after changing the processor's state
 * from outside between runs (registers, memory holding code) so that the
 * next run starts afresh at CS:EIP. */
void cpu_resume_forget(struct cpu *cpu);
/* The interrupt inputs, driven by the board (devices/).
 *
 * cpu_set_intr() sets the level of the INTR pin. The processor takes a
 * maskable interrupt at an instruction boundary when INTR is asserted,
 * EFLAGS.IF = 1 and no interrupt shadow is in force (the instruction after
 * an STI that set IF, or after MOV SS / POP SS: SDM vol. 3, 6.8.3); it then
 * runs the INTA cycle, ack(ctx), which returns the vector (0-255) or -1 for
 * "nothing after all" (nothing is delivered). A device callback may assert
 * INTR during cpu_run(): the current block ends after the instruction that
 * called it. HLT with IF = 1 waits for INTR: cpu_run() returns
 * CPU_EXIT_HALT (letting the cycle counter run to `until`, as time passes
 * while the processor is halted) until INTR is asserted, then wakes and
 * delivers the interrupt.
 *
 * cpu_nmi() latches a non-maskable interrupt edge: delivered (vector 2) at
 * the next instruction boundary whatever IF says, also waking HLT; further
 * NMIs wait until the handler's IRET. */
void cpu_set_intr(struct cpu *cpu, bool asserted);
void cpu_set_interrupt_ack(struct cpu *cpu, int (*ack)(void *ctx), void *ctx);
void cpu_nmi(struct cpu *cpu);

/* INIT (SDM vol. 3, 9.1 and Table 9-1): the processor's state as RESET
 * leaves it (cpu_reset), except what INIT keeps: the x87 state, the MSRs
 * (time-stamp counter, SYSENTER, MTRRs), CR0.CD and CR0.NW, the cycle and
 * event counters. For between runs: the board latches an INIT (from the
 * local APIC) and applies it at an instruction boundary. */
void cpu_init(struct cpu *cpu);

/* MSRs the processor leaves to the board: IA32_APIC_BASE (0x1B) lives in
 * the local APIC's chip (devices/lapic.c). RDMSR and WRMSR of an MSR the
 * processor does not implement itself ask rdmsr/wrmsr (at CPL 0), which
 * return false when they do not know it either, or when a written value
 * sets a reserved bit: the instruction raises #GP(0). With no ops (NULL,
 * the default) every such MSR raises #GP(0), as on a processor without a
 * local APIC. The callbacks run inside cpu_run, as a port access does. */
struct cpu_msr_ops {
  bool (*rdmsr)(void *ctx, uint32_t msr, uint64_t *value);
  bool (*wrmsr)(void *ctx, uint32_t msr, uint64_t value);
};
void cpu_set_msr_ops(struct cpu *cpu, const struct cpu_msr_ops *ops, void *ctx);
/* CPUID.01H:EDX bit 9 (APIC): set while an enabled local APIC is there (the
 * board follows IA32_APIC_BASE.EN, SDM vol. 3, 10.4.3). Clear for a new cpu. */
void cpu_set_apic_present(struct cpu *cpu, bool present);

/* Drops every decoded block whose bytes overlap the physical range
 * [addr, addr + len) (RAM or ROM), and returns how many it dropped. For
 * whoever writes guest memory behind the CPU's back, not through
 * mmu_write(): loaders, snapshot restores, test and fuzz harnesses that
 * rewrite RAM between runs, a ROM image replaced. (mmu_write() and the
 * CPU's own stores drop what they overlap by themselves.) From a device
 * callback during cpu_run() (DMA), the block running ends after the
 * current instruction if it was dropped. */
unsigned cpu_invalidate_phys(struct cpu *cpu, uint64_t addr, uint64_t len);

/* The x87's error pins, for the PC's legacy error reporting (CR0.NE = 0;
 * SDM vol. 1, D.2). FERR# is an output: asserted while an unmasked x87
 * exception is pending (status word ES) and CR0.NE is clear, from the end of
 * the instruction that raised it; ferr(ctx, level) is called on every
 * change. IGNNE# is an input: while it is asserted, a waiting x87
 * instruction ignores the pending exception instead of freezing until an
 * interrupt (the board asserts it after the handler's write to port F0h). */
void cpu_set_ferr_output(struct cpu *cpu, void (*ferr)(void *ctx, bool asserted), void *ctx);
void cpu_set_ignne(struct cpu *cpu, bool asserted);
bool cpu_ferr(const struct cpu *cpu);

/* A one-line description of why the last run stopped abnormally. */
const char *cpu_stop_reason(const struct cpu *cpu);

cycles_t cpu_cycles(const struct cpu *cpu);
/* The cycle counter at the instruction executing now: what a device
 * callback (a port or MMIO access) should read as the time of the access.
 * Between runs it equals cpu_cycles(). */
cycles_t cpu_cycles_now(const struct cpu *cpu);
uint64_t cpu_instructions(const struct cpu *cpu);

uint32_t cpu_get_reg(const struct cpu *cpu, enum cpu_reg r);
void cpu_set_reg(struct cpu *cpu, enum cpu_reg r, uint32_t value);
uint32_t cpu_get_eip(const struct cpu *cpu);
void cpu_set_eip(struct cpu *cpu, uint32_t eip);
uint32_t cpu_get_eflags(const struct cpu *cpu);
void cpu_set_eflags(struct cpu *cpu, uint32_t eflags);
void cpu_get_segment(const struct cpu *cpu, enum cpu_sreg s, struct cpu_segment *out);
void cpu_set_segment(struct cpu *cpu, enum cpu_sreg s, const struct cpu_segment *seg);
/* Loads a segment register as real mode does: base = selector * 16. */
void cpu_load_segment_real(struct cpu *cpu, enum cpu_sreg s, uint16_t selector);
/* Sets flat 4 GiB 32-bit segments and CR0.PE, as a Multiboot loader leaves
 * the machine (CS 0x08, data 0x10). */
void cpu_set_flat_protected(struct cpu *cpu);
/* Loads GDTR as LGDT would (loaders that hand over a GDT of their own, as
 * the Linux boot protocol's __BOOT_CS/__BOOT_DS); segment registers are
 * left as they are (their caches hold until reloaded). */
void cpu_set_gdtr(struct cpu *cpu, uint32_t base, uint16_t limit);

uint32_t cpu_get_cr(const struct cpu *cpu, int n);

/* The counters of every architectural event the processor saw (trace/trace.h
 * names them); always on. */
const struct trace_counters *cpu_counters(const struct cpu *cpu);
void cpu_counters_reset(struct cpu *cpu);
/* Hands every event the processor counts from now on to record(ctx, r)
 * (struct trace_record, trace/trace.h), or stops (record NULL). The CPU
 * builds the record; whoever runs the machine decides where it goes (the
 * trace writer, trace_writer_add): the CPU never links the writer. */
struct trace_record;
typedef void (*cpu_trace_fn)(void *ctx, const struct trace_record *r);
void cpu_set_trace(struct cpu *cpu, cpu_trace_fn record, void *ctx);
/* Records only the counter slots whose byte in want_slot (TRACE_SLOT_COUNT
 * bytes, owned by the caller, alive while recording) is nonzero; NULL:
 * every slot (what cpu_set_trace sets). The CPU checks it before it builds
 * a record, so a filtered-out event costs a test, not a record. */
void cpu_set_trace_filter(struct cpu *cpu, const uint8_t *want_slot);
/* Records counter slot `slot` with the first n of fields (at most
 * TRACE_FIELDS_MAX) at the CPU's current site (between instructions: the
 * CS:EIP of the next one, the current CPL), as the CPU's own records are
 * made: for events counted outside the CPU (the machine's ops port).
 * Nothing when not recording or when the filter drops the slot. */
void cpu_trace_emit(struct cpu *cpu, unsigned slot, unsigned n, const uint32_t *fields);

/* Ports [first, first + count) are the experiment's instrumentation (the
 * ringlab ops port): accesses to them are neither charged the preset's I/O
 * cost nor counted as I/O events. */
void cpu_set_uncharged_ports(struct cpu *cpu, uint16_t first, uint16_t count);

/* The vector of the first exception the processor raised itself (faults and
 * aborts, not INT n) since cpu_clear_first_exception(), or -1. For test
 * harnesses that must tell which exception a run took first. */
int cpu_first_exception(const struct cpu *cpu);
void cpu_clear_first_exception(struct cpu *cpu);

/* For debuggers (inspect.c): the state cpu.h's accessors do not give. */
struct cpu_debug_state {
  uint8_t st[8][10];   /* ST(0)..ST(7), 80-bit little-endian images */
  uint16_t fcw, fsw, ftw, fop; /* x87 control, status, (full) tag word, last opcode */
  uint32_t fip, fdp;   /* last instruction and operand offsets */
  uint16_t fcs, fds;   /* their selectors */
  uint32_t gdtr_base, idtr_base;
  uint32_t gdtr_limit, idtr_limit;
  struct cpu_segment ldtr, tr;
  uint32_t dr[8];
  unsigned cpl;
  bool halted;
};
void cpu_debug_state(const struct cpu *cpu, struct cpu_debug_state *out);

/* Snapshots (snapshot.c, snap/snap.h): the processor's whole state, and
 * back (0, or -1 with the reader failed and saying why; the CPU is then
 * unchanged). A load drops the decoded code. */
struct snap_writer;
struct snap_reader;
void cpu_save(const struct cpu *cpu, struct snap_writer *w);
int cpu_load(struct cpu *cpu, struct snap_reader *r);

/* Timing presets (cpu/timing/README.md). cpu_set_timing() selects a built-in
 * preset by name ("p6", "netburst", "unit") or reads an INI file at a path;
 * on error it returns -1, leaves the current preset in force and writes one
 * line naming the file (and line) and the reason into err. A new cpu runs the
 * `unit` preset: 1 cycle per instruction, 0 per event, 1 GHz. It flushes
 * the code cache: call it between cpu_run() calls, not from a callback. */
int cpu_set_timing(struct cpu *cpu, const char *name_or_path, char *err, size_t errlen);
const char *cpu_timing_name(const struct cpu *cpu);
uint64_t cpu_timing_frequency_hz(const struct cpu *cpu);
/* The preset's local APIC: which one the processor has, and the frequency
 * of the bus clock its timer counts (Hz). The APIC is a chip of devices/
 * (lapic.c); the preset says which and how fast, as for the processor. */
enum cpu_apic_model {
  CPU_APIC_P6,    /* the P6 family's APIC (4-bit IDs, version 0x11) */
  CPU_APIC_XAPIC, /* the Pentium 4 / Xeon xAPIC (8-bit IDs, version 0x14) */
};
enum cpu_apic_model cpu_timing_apic(const struct cpu *cpu);
/* The bus frequency as a fraction, *num / *den Hz (the P6's 66.67 MHz bus
 * is 200000000/3: exactly 4.5 core cycles a tick at 300 MHz). */
void cpu_timing_apic_bus_hz(const struct cpu *cpu, uint64_t *num, uint64_t *den);
/* The built-in preset names, ending with NULL. */
const char *const *cpu_timing_presets(void);

/* Number of rows in the opcode table and their names (for tools and tests). */
unsigned cpu_opcode_rows(void);
const char *cpu_opcode_row_name(unsigned row);
const char *cpu_opcode_row_mnemonic(unsigned row);

/* Decodes one instruction for tools (disassembly cross-checks): returns the
 * length (1-15) and sets *row, or 0 if the bytes are #UD or #GP (too long)
 * for the processor, or -1 if n bytes are too few. */
int cpu_decode_length(const uint8_t *bytes, unsigned n, bool code32, unsigned *row);

#endif
