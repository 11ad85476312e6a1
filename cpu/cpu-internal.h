/* cpu/cpu-internal.h - what the CPU's own files share.
 *
 * Execution model
 * ---------------
 * Instructions are decoded once into struct insn, grouped into blocks keyed
 * by the physical address of their first byte (codecache.c), and run by a
 * loop that calls each insn's handler through a function pointer (exec.c).
 * A handler never touches EIP for a fall-through: the loop sets
 * cpu->next_eip = eip + len before the call and commits it after. Control
 * transfers write cpu->next_eip and always end their block.
 *
 * Faults are raised with cpu_raise(), which longjmps back to cpu_run(): a
 * handler must therefore do every check and every read that can fault before
 * it commits any architectural state (registers, flags, ESP), and write
 * memory before registers. The faulting instruction's EIP is still in
 * cpu->eip when the fault is delivered.
 *
 * Flags
 * -----
 * The arithmetic flags (CF PF AF ZF SF OF) are kept lazily: the last flag-
 * setting operation records its kind and operands in cc_*, and the flags are
 * computed only when something reads them (flags.c). cc_op == CC_EAGER means
 * the arithmetic bits of cpu->eflags are current. The other EFLAGS bits are
 * always current in cpu->eflags.
 */
#ifndef RINGLAB_CPU_INTERNAL_H
#define RINGLAB_CPU_INTERNAL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "mmu.h"
#include "trace.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

struct cpu;
struct insn;
typedef void (*cpu_handler)(struct cpu *cpu, const struct insn *i);

/* ---- the opcode table (opcodes.def) ------------------------------------ */

/* Immediate and other trailing operand kinds of a row. */
enum cpu_imm {
  IMM_NONE,
  IMM_B,     /* Ib: one byte, zero-extended into insn.imm */
  IMM_BS,    /* Ib: one byte, sign-extended into insn.imm */
  IMM_W,     /* Iw: two bytes */
  IMM_Z,     /* Iz: two or four bytes by operand size (sign-extended if 16) */
  IMM_JB,    /* Jb: rel8, sign-extended */
  IMM_JZ,    /* Jz: rel16/rel32 by operand size, sign-extended */
  IMM_AP,    /* Ap: offset (16/32 by operand size) in imm, selector in imm2 */
  IMM_MOFFS, /* Ob/Ov: offset of address size, in insn.disp */
  IMM_WB,    /* ENTER: Iw in imm, Ib in imm2 */
};

/* Row flags */
#define F_MODRM 0x0001u   /* a ModRM byte follows the opcode */
#define F_LOCK 0x0002u    /* LOCK is allowed when the destination is memory */
#define F_MEMONLY 0x0004u /* the register form (mod == 3) is #UD */
#define F_REGONLY 0x0008u /* the memory form is not this row */
#define F_BRANCH 0x0010u  /* may change CS:EIP or the mode: ends a block */
#define F_STRING 0x0020u  /* string instruction: REP prefixes apply */
#define F_BYTE 0x0040u    /* byte operands (for tools) */
#define F_OPREG 0x0080u   /* covers opcode..opcode+7, register in the low bits */
#define F_OPCC 0x0100u    /* covers opcode..opcode+15, condition in the low bits */
#define F_RM_EXACT 0x0200u /* register form with one ModRM.rm only (F_RM(n)); with F_REGONLY */
#define F_MODIGNORE 0x0400u /* ModRM.mod ignored: every mod is the register form, no
                              * displacement or SIB (MOV CRn/DRn, SDM vol. 2) */
#define F_RM_SHIFT 12     /* bits 12-14: that rm value */
#define F_RM(n) (F_RM_EXACT | ((unsigned)(n) << F_RM_SHIFT)) /* FNINIT: DB /4 with rm 3 = DB E3 */
#define F_RM_OF(flags) (((unsigned)(flags) >> F_RM_SHIFT) & 7u)

#define ANY (-1)   /* reg: any ModRM.reg */
#define OS_ANY 0   /* osize: either operand size */
#define OS16 16
#define OS32 32

struct cpu_row {
  cpu_handler fn;
  const char *name;     /* handler name: mnemonic and SDM operands, ADD_EbGb */
  const char *mnemonic; /* as Intel and Capstone spell it */
  uint8_t map;          /* 0: one-byte opcodes, 1: 0x0F two-byte opcodes */
  uint8_t opcode;
  int8_t reg;           /* ModRM.reg selecting a group member, or ANY */
  uint8_t osize;        /* OS_ANY, OS16 or OS32 */
  uint8_t imm;          /* enum cpu_imm */
  uint16_t flags;       /* F_* */
};

extern const struct cpu_row cpu_rows[];
extern const unsigned cpu_row_count;

/* Rows 0 and 1 are the decoder's own verdicts. */
#define CPU_ROW_UD 0      /* invalid opcode or invalid LOCK: #UD */
#define CPU_ROW_TOOLONG 1 /* more than 15 bytes: #GP(0) */

/* Handler prototypes from the table. */
#define X(handler, mnem, map, op, reg, osz, imm, flags) \
  void handler(struct cpu *cpu, const struct insn *i);
#include "opcodes.def"
#undef X

/* ---- decoded instructions ------------------------------------------------ */

#define INSN_O32 0x01    /* operand size is 32 */
#define INSN_A32 0x02    /* address size is 32 */
#define INSN_REP 0x04    /* F3 prefix (REP/REPE) */
#define INSN_REPNE 0x08  /* F2 prefix (REPNE) */
#define INSN_LOCK 0x10   /* F0 prefix */
#define INSN_MEM 0x20    /* ModRM names a memory operand */
#define INSN_SEGOVR 0x40 /* a segment-override prefix was given */

#define CPU_REG_NONE 8 /* ea_base/ea_index: no register (gpr[8] is always 0) */

struct insn {
  cpu_handler fn;
  uint32_t disp;        /* displacement, or the moffs offset */
  uint32_t imm;         /* first immediate, extended as its kind says */
  uint16_t imm2;        /* far selector (Ap) or ENTER's nesting level */
  uint16_t row;         /* index in cpu_rows */
  uint32_t cost_before; /* base cycles of the block's earlier insns */
  uint16_t cost;        /* base cycles of this insn */
  uint8_t len;          /* bytes, prefixes included */
  uint8_t flags;        /* INSN_* */
  uint8_t opcode;       /* last opcode byte */
  uint8_t modrm;
  uint8_t reg;          /* ModRM.reg, or the register in the opcode's low bits */
  uint8_t rm;           /* ModRM.rm */
  uint8_t seg;          /* segment of the memory operand (default or override) */
  uint8_t ea_base;      /* register, or CPU_REG_NONE */
  uint8_t ea_index;     /* register, or CPU_REG_NONE */
  uint8_t ea_scale;     /* shift count 0-3 */
  uint8_t after;        /* INSN_AFTER_*: what the run loop checks when a block stops here */
  uint8_t retired;      /* 1 + its index in the block: instructions retired when it ends it */
  uint8_t block_n;      /* instructions in its block (the run loop reads the first's) */
};

/* insn.after, set when the block is built (codecache.c), so that the run
 * loop tests one byte instead of comparing handlers after every block. */
#define INSN_AFTER_SHADOW 0x01 /* MOV SS / POP SS: an interrupt shadow follows */
#define INSN_AFTER_IRET 0x02   /* IRET: ends the NMI block (SDM vol. 3, 6.7.1) */
#define INSN_AFTER_CHECK 0x04  /* a block-ending row other than a near transfer: it may
                                * change IF, the mode or CS, so the interrupt checks run
                                * before the next block (exec.c) */
#define INSN_AFTER_CUT 0x08    /* not its block's last: a block that stops here was cut
                                * short (by `until`, the shadow or cpu_end_block) */

/* Decodes one instruction from bytes[0..n). Returns the length, or 0 if n
 * bytes are too few to hold it (the caller then knows whether that is a
 * fetch fault or the end of a block). The #UD and too-long verdicts come back
 * as rows CPU_ROW_UD and CPU_ROW_TOOLONG with a length of the bytes examined. */
unsigned cpu_decode(struct insn *out, const uint8_t *bytes, unsigned n, bool code32);
void cpu_decode_init(void);

/* ---- lazy flags ------------------------------------------------------------ */

enum cpu_cc_op {
  CC_EAGER,
  CC_ADD8, CC_ADD16, CC_ADD32,    /* src1 + src2 */
  CC_ADC8, CC_ADC16, CC_ADC32,    /* src1 + src2 + 1 */
  CC_SUB8, CC_SUB16, CC_SUB32,    /* src1 - src2 (also CMP, NEG with src1 0) */
  CC_SBB8, CC_SBB16, CC_SBB32,    /* src1 - src2 - 1 */
  CC_LOGIC8, CC_LOGIC16, CC_LOGIC32,
  CC_INC8, CC_INC16, CC_INC32,    /* src2 holds the CF to keep */
  CC_DEC8, CC_DEC16, CC_DEC32,
  /* A rotate (ROL ROR RCL RCR) after a lazy operation: SF ZF PF of that
   * operation's result, still in cc_res at its size; CF, OF and its AF as
   * flag bits in src2 (src1 unused). So a rotate sets CF and OF without
   * computing the flags it keeps. */
  CC_ROT8, CC_ROT16, CC_ROT32,
  CC_COUNT
};

/* Size index: 0 byte, 1 word, 2 dword. CC ops are laid out by it. */
#define CC_SZ8 0
#define CC_SZ16 1
#define CC_SZ32 2

/* ---- the processor ---------------------------------------------------------- */

enum cpu_mode { CPU_MODE_REAL, CPU_MODE_PROT, CPU_MODE_V86 };

/* Segment access rights cached for the fast path. */
#define SEG_OK_READ 0x1
#define SEG_OK_WRITE 0x2

struct cpu_code_cache;

/* ---- system state: interrupt inputs and MSRs ---------------------------------- */

/* MSR numbers (SDM vol. 4, "Model-Specific Registers", P6 family). */
#define MSR_TSC 0x010u
#define MSR_MTRRCAP 0x0FEu
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_MTRR_PHYS_FIRST 0x200u /* PhysBase0, PhysMask0 ... PhysMask7 */
#define MSR_MTRR_PHYS_LAST 0x20Fu
#define MSR_MTRR_FIX64K 0x250u
#define MSR_MTRR_FIX16K_80000 0x258u
#define MSR_MTRR_FIX16K_A0000 0x259u
#define MSR_MTRR_FIX4K_FIRST 0x268u /* C0000 ... F8000 */
#define MSR_MTRR_FIX4K_LAST 0x26Fu
#define MSR_MTRR_DEF_TYPE 0x2FFu

/* MTRRcap: 8 variable ranges, fixed ranges and write-combining supported. */
#define MTRRCAP_VALUE 0x508u

/* Storage slots of the MTRRs: 16 variable, 3 + 8 fixed, the default type. */
enum {
  MTRR_SLOT_PHYS = 0,
  MTRR_SLOT_FIX64K = 16,
  MTRR_SLOT_FIX16K = 17, /* two */
  MTRR_SLOT_FIX4K = 19,  /* eight */
  MTRR_SLOT_DEF_TYPE = 27,
  MTRR_SLOTS = 28,
};

struct cpu_sys {
  /* interrupt inputs */
  bool intr;               /* INTR pin level (asserted by the interrupt controller) */
  int (*ack)(void *ctx);   /* the INTA cycle: a vector, or -1 (spurious/none) */
  void *ack_ctx;
  bool nmi_pending;        /* an NMI edge not yet delivered */
  bool nmi_blocked;        /* an NMI handler runs: NMIs wait for the next IRET */
  bool shadow;             /* the next instruction runs before any interrupt (SDM 6.8.3) */
  /* the x87 error pins (ops/x87_stack.c), wired by the board */
  bool ferr;               /* FERR# output level */
  bool ignne;              /* IGNNE# input level */
  void (*ferr_fn)(void *ctx, bool asserted);
  void *ferr_ctx;

  /* MSRs */
  const struct cpu_msr_ops *msr_ops; /* the board's MSRs (IA32_APIC_BASE), or NULL */
  void *msr_ctx;
  bool apic_present;       /* CPUID.01H:EDX.APIC (the board: an enabled local APIC) */
  uint64_t tsc_offset;     /* RDTSC = cycles + tsc_offset (WRMSR 0x10 sets it) */
  uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
  uint64_t mtrr[MTRR_SLOTS];
};


/* ---- the timing model (timing.c; presets: the INI files of cpu/timing/) ------ */

/* Number of rows in opcodes.def, as a constant (cpu_row_count at run time). */
enum {
  CPU_ROW_MAX = 0
#define X(...) +1
#include "opcodes.def"
#undef X
};

/* The dynamic events a preset prices, in cycles, added to the base cost of
 * the instruction that causes them. One row per event: its [events] key in a
 * preset and what it charges. cpu/timing/README.md says where the numbers of
 * each preset come from. */
#define CPU_TIMING_EVENTS(X)                                                   \
  X(page_walk_access) /* each memory read of a page walk (PDE, PTE) */      \
  X(tlb_fill)         /* a TLB miss, on top of its page_walk_access */      \
  X(cr3_load)         /* MOV to CR3 (PAE: + 4 page_walk_access, PDPTEs) */  \
  X(invlpg)           /* INVLPG */                                          \
  X(int_real)         /* interrupt/exception through the real-mode IVT */   \
  X(intgate_same)     /* through an interrupt gate, same privilege */       \
  X(intgate_inner)    /* through an interrupt gate to an inner ring */      \
  X(trapgate_same)    /* through a trap gate, same privilege */             \
  X(trapgate_inner)   /* through a trap gate to an inner ring */            \
  X(gate_from_v86)    /* extra for a gate entered from virtual-8086 mode */ \
  X(task_switch)      /* a hardware task switch (task gate, JMP/CALL TSS, */\
                      /* IRET with NT), all of it */                        \
  X(irq_acknowledge)  /* extra for an external interrupt (INTA cycles) */   \
  X(iret_real)        /* IRET in real mode */                               \
  X(iret_same)        /* IRET, same privilege */                            \
  X(iret_outer)       /* IRET to an outer ring */                           \
  X(iret_to_v86)      /* IRET to virtual-8086 mode */                       \
  X(callgate_same)    /* far CALL through a call gate, same privilege */    \
  X(callgate_inner)   /* far CALL through a call gate to an inner ring */   \
  X(ret_far_outer)    /* far RET to an outer ring */                        \
  X(sysenter)         /* SYSENTER */                                        \
  X(sysexit)          /* SYSEXIT */                                         \
  X(io_port)          /* each port access: IN, OUT, each INS/OUTS element */\
  X(memory_operand)   /* a ModRM memory operand (decode time, per insn) */

enum cpu_timing_event {
#define X(ev) CPU_TEV_##ev,
  CPU_TIMING_EVENTS(X)
#undef X
  CPU_TEV_COUNT
};

/* The timing preset in force. cpu_new() leaves the `unit` preset's values
 * (row_cost NULL means 1 cycle per row; events 0); cpu_set_timing() fills
 * the rest and points row_cost at row_cost_table. */
struct cpu_timing {
  const char *name;
  uint64_t frequency_hz;
  uint64_t apic_bus_num, apic_bus_den; /* the local APIC timer's bus clock: num / den Hz */
  enum cpu_apic_model apic;   /* which local APIC */
  uint16_t *row_cost; /* base cycles per opcode-table row, or NULL: 1 each */
#define X(ev) cycles_t ev;
  CPU_TIMING_EVENTS(X) /* event costs in cycles, by name: t->cr3_load */
#undef X
  uint16_t row_cost_table[CPU_ROW_MAX];
  char name_buf[64];
};

/* The cost of event e in preset t (the fields above, by number). */
static inline cycles_t cpu_timing_event(const struct cpu_timing *t, enum cpu_timing_event e) {
  switch (e) {
#define X(ev)       \
  case CPU_TEV_##ev: \
    return t->ev;
    CPU_TIMING_EVENTS(X)
#undef X
  case CPU_TEV_COUNT:
    break;
  }
  return 0;
}
/* The [events] key of e ("cr3_load"), or NULL. */
const char *cpu_timing_event_name(enum cpu_timing_event e);

/* The x87 FPU (ops/x87*.c, arithmetic in fpu/): control, status and tag
 * words as the SDM lays them out (TOP lives in sw bits 11-13; tw holds the
 * full two-bit tags of R0-R7), the last-instruction pointers, and the
 * physical registers R0-R7 as 80-bit little-endian images (ST(i) is
 * R[(TOP + i) & 7]). */
struct cpu_x87 {
  uint16_t cw, sw, tw;
  uint32_t fip, fdp; /* offsets; in real and V86 mode 32-bit linear addresses */
  uint16_t fcs, fds;
  uint16_t fop;      /* 11-bit last opcode */
  uint8_t st[8][10];
};
/* A waiting x87 instruction (WAIT, FLDCW, FRSTOR, every computing one)
 * reports a pending unmasked x87 exception (SW.ES): #MF with CR0.NE; without
 * it the instruction freezes (returns false: the handler must return at
 * once) until an interrupt, unless IGNNE# is asserted (ops/x87_stack.c). */
bool cpu_x87_wait(struct cpu *c);
/* FERR# follows SW.ES and CR0.NE: MOV to CR0 calls this after NE may have
 * changed. */
void cpu_x87_update_ferr(struct cpu *c);

struct cpu {
  uint32_t gpr[9];           /* EAX..EDI, and gpr[8] == 0 for addressing */
  uint32_t eip;              /* of the instruction executing */
  uint32_t next_eip;         /* where execution goes after it */
  uint32_t eflags;           /* see "Flags" above */
  uint32_t cc_res, cc_src1, cc_src2;
  uint32_t cc_op;            /* enum cpu_cc_op */

  struct cpu_segment seg[CPU_NSREG];
  uint8_t seg_ok[CPU_NSREG]; /* SEG_OK_*: fast-path rights */
  enum cpu_mode mode;
  uint8_t cpl;
  bool code32;               /* CS.D */
  uint32_t ip_mask;          /* 0xFFFF in 16-bit code: IP wraps there */
  bool stack32;              /* SS.B */

  uint32_t cr[5];            /* CR0, (CR1), CR2, CR3, CR4 */
  struct cpu_x87 x87;         /* the x87 FPU (ops/x87.c) */
  uint32_t dr[8];
  /* Debug registers decoded (debug.c): bit n of each mask is DRn enabled
   * in DR7 as an execute, data or I/O breakpoint. */
  uint8_t dbg_exec, dbg_data, dbg_io;
  bool dbg_any;              /* a mask or dbg_pending is nonzero: the run loop's debug mode */
  bool dbg_step;             /* single step armed: TF was 1 when the instruction running began */
  bool dbg_inhibit;          /* after MOV SS / POP SS: debug traps wait one instruction */
  uint32_t dbg_pending;      /* DR6 bits (B0-B3, BS) of traps to deliver at the next boundary */
  struct { uint32_t base; uint32_t limit; } gdtr, idtr;
  struct cpu_segment ldtr, tr;

  cycles_t cycles;           /* at the start of the current block */
  uint64_t instructions;     /* retired */

  struct mmu *mem;
  const struct cpu_io_ops *io;
  void *io_ctx;
  struct cpu_timing timing;
  struct cpu_code_cache *cache;
  struct cpu_sys sys;        /* interrupt inputs, shadow, MSRs */
  struct trace_counters counters; /* every architectural event, always on */
  cpu_trace_fn trace;        /* recording (--trace): where records go, or NULL: off */
  void *trace_ctx;
  const uint8_t *trace_want; /* while recording: nonzero by counter slot if the slot is recorded (never NULL then) */
  /* The site of the events being recorded (struct trace_record): CS, CPL
   * and mode of the block running (set at block start, only when
   * recording), or, while trace_site_fixed, all of it including EIP as it
   * was when cpu_deliver started (the delivery changes them). */
  struct cpu_trace_site {
    uint16_t cs;
    uint8_t cpl;
    bool code32;
    uint32_t cs_base;
    uint32_t eip;
  } trace_site;
  bool trace_site_fixed;
  uint16_t uncharged_first;  /* ports neither charged nor counted (ops port) */
  uint32_t uncharged_count;

  /* Run-loop state */
  struct cpu_block *cc_last; /* code cache: the cached block the last lookup returned */
  uint32_t cc_last_gen;      /* the cache generation it was returned in */
  uint32_t cc_gen;           /* bumped by every invalidation and flush (codecache.c) */
  const struct insn *cur;    /* the instruction executing */
  const struct insn *block_first;
  /* Past the last insn of the block running: the loop runs while the next
   * insn lies below it. cpu_end_block() sets it to NULL (leave after the
   * current insn); a block that ran to its end with it unchanged ended by
   * itself. */
  const struct insn *block_end;
  bool halted;
  bool stop_requested;
  enum cpu_exit exit;        /* set with cpu_end_block when cpu_run must return */
  jmp_buf fault_jmp;
  int fault_vector;          /* raised, being delivered */
  uint32_t fault_error;
  bool fault_has_error;
  int delivering;            /* vector being delivered, or -1 */
  int first_fault;           /* for the double-fault rules */
  int first_exception;        /* cpu_first_exception() */
  bool fault_db_rf;          /* the #DB being raised is a fault (general detect): RF = 1 in its frame */
  char stop_reason[160];

  /* Observer stops (exec.c, "Pauses"): where to pause, and what a pause
   * that cut a block leaves to go on with. */
  struct cpu_pause {
    cycles_t cycles;   /* pause at this cycle by the budget rule (UINT64_MAX: none) */
    uint64_t insns;    /* pause once instructions reach this (UINT64_MAX: none); a step */
    bool armed;
  } pause;
  bool paused;         /* run_block stopped for the pause */
  struct cpu_resume {
    const struct insn *at, *first; /* the next instruction, its block's first */
    cycles_t entry;    /* the cycle the block was entered at */
    uint32_t gen;      /* cc_gen then: the block is still there */
    bool after_delivery; /* paused after an interrupt's or exception's delivery */
    uint32_t eip, cs_base, cr0, cr3, cr4;
    uint16_t cs_attr;
    uint8_t cpl, mode;
  } resume;
};

/* ---- registers --------------------------------------------------------------- */

static inline uint8_t cpu_r8(const struct cpu *c, unsigned r) {
  return (uint8_t)(c->gpr[r & 3] >> ((r & 4) << 1));
}
static inline void cpu_w8(struct cpu *c, unsigned r, uint8_t v) {
  unsigned sh = (r & 4) << 1;
  c->gpr[r & 3] = (c->gpr[r & 3] & ~(0xFFu << sh)) | ((uint32_t)v << sh);
}
static inline uint16_t cpu_r16(const struct cpu *c, unsigned r) { return (uint16_t)c->gpr[r]; }
static inline void cpu_w16(struct cpu *c, unsigned r, uint16_t v) {
  c->gpr[r] = (c->gpr[r] & 0xFFFF0000u) | v;
}
static inline uint32_t cpu_r32(const struct cpu *c, unsigned r) { return c->gpr[r]; }
static inline void cpu_w32(struct cpu *c, unsigned r, uint32_t v) { c->gpr[r] = v; }

/* ---- exceptions (exception.c) ------------------------------------------------ */

#define CPU_NO_ERROR_CODE 0xFFFFFFFFu

/* Raises a fault: never returns; execution resumes in cpu_run(), which
 * delivers the exception with the faulting instruction's EIP. */
_Noreturn void cpu_raise(struct cpu *c, int vector, uint32_t error_code);
/* What is being delivered: decides the gate-DPL check (software forms) and
 * what is counted. */
enum cpu_delivery {
  CPU_DELIVER_EXCEPTION, /* a fault, trap or abort the processor raised (and INT1) */
  CPU_DELIVER_SOFT_EXC,  /* INT3, INTO: exceptions with the software DPL check */
  CPU_DELIVER_SOFT_INT,  /* INT n */
  CPU_DELIVER_EXTERNAL,  /* INTR or NMI */
};
/* Delivers interrupt or exception `vector` now, pushing return_eip. Used by
 * INT n, INT3, INTO (traps), by cpu_run for faults and external interrupts.
 * A delivery costs the preset's event cost; a fault also costs the faulting
 * instruction's base cycles (exec.c), so time advances even in a loop of
 * faults and --max-cycles ends it. */
void cpu_deliver(struct cpu *c, int vector, uint32_t error_code, uint32_t return_eip, enum cpu_delivery kind);
/* Stops the machine: cpu_run returns `why` at the end of this insn. */
void cpu_stop(struct cpu *c, enum cpu_exit why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The stack of privilege level `ring` (0-2) from the current TSS (tss.c):
 * SSn and ESPn of a 32-bit TSS, SSn and SPn of a 16-bit one. Raises
 * #TS(TR selector) if the entry lies past the TSS limit. */
void cpu_tss_ring_stack(struct cpu *c, unsigned ring, uint16_t *ss, uint32_t *esp);

/* ---- segments (segment.c) ------------------------------------------------------- */

/* Recomputes seg_ok, code32, stack32 after seg[s] changed. Inline: every
 * far transfer, interrupt and IRET calls it for CS and often SS. Outside
 * protected mode everything may be read and written; in it, a present
 * code/data segment by its type (code: read if readable; data: read, write
 * if writable); expand-down data segments always take the slow path. */
static inline void cpu_segment_loaded(struct cpu *c, unsigned s) {
  const struct cpu_segment *sg = &c->seg[s];
  uint8_t ok = 0;
  if (c->mode != CPU_MODE_PROT) {
    ok = SEG_OK_READ | SEG_OK_WRITE;
  } else if ((sg->attr & (0x80u | 0x10u)) == (0x80u | 0x10u)) { /* P, S */
    if (sg->attr & 0x8u) /* code */
      ok = (sg->attr & 0x2u) ? SEG_OK_READ : 0;
    else
      ok = SEG_OK_READ | ((sg->attr & 0x2u) ? SEG_OK_WRITE : 0);
  }
  if ((sg->attr & (0x10u | 0x8u | 0x4u)) == (0x10u | 0x4u)) /* S, data, expand-down */
    ok = 0;
  c->seg_ok[s] = ok;
  if (s == CPU_CS) {
    c->code32 = (sg->attr & CPU_SEG_ATTR_DB) != 0;
    c->ip_mask = c->code32 ? 0xFFFFFFFFu : 0xFFFFu;
  }
  if (s == CPU_SS)
    c->stack32 = (sg->attr & CPU_SEG_ATTR_DB) != 0;
}
/* Loads a segment register with `selector` as MOV/POP/LxS do in the current
 * mode (real mode: base = selector << 4). May fault. */
void cpu_load_sreg(struct cpu *c, unsigned s, uint16_t selector);
/* Loads CS:EIP for a far transfer in the current mode. */
void cpu_load_cs(struct cpu *c, uint16_t selector, uint32_t eip);
/* Full checks of an access of n bytes at seg:off; raises #GP/#SS. */
void cpu_segment_check(struct cpu *c, unsigned s, uint32_t off, unsigned n, bool write);

/* ---- descriptors (descriptor.c) ---------------------------------------------------- */

#define CPU_SEL_TI 0x4u        /* selector: table indicator (LDT) */
#define CPU_SEL_RPL 0x3u       /* selector: requested privilege level */
#define CPU_ATTR_TYPE 0x000Fu  /* attr: type */
#define CPU_ATTR_S 0x0010u     /* attr: code/data (1) or system (0) */
#define CPU_ATTR_DPL 0x0060u   /* attr: descriptor privilege level */
#define CPU_ATTR_P 0x0080u     /* attr: present */
#define CPU_ATTR_ACCESSED 0x0001u /* attr: code/data type bit 0, accessed */
#define CPU_ATTR_DB CPU_SEG_ATTR_DB
#define CPU_ATTR_G 0x8000u     /* attr: granularity */
static inline unsigned cpu_attr_dpl(uint16_t attr) { return (attr & CPU_ATTR_DPL) >> 5; }

/* A raw 8-byte descriptor and the linear address it was read from. */
struct cpu_descriptor {
  uint32_t lo, hi;
  uint32_t addr;
};

/* Reads the GDT or LDT entry of selector. Returns false if the selector
 * lies past the table's limit (or the LDT is not usable); the caller raises
 * the fault its instruction specifies. */
bool cpu_descriptor_read(struct cpu *c, uint16_t selector, struct cpu_descriptor *d);
/* Reads IDT entry `vector`; false if past IDTR.limit. */
bool cpu_idt_read(struct cpu *c, unsigned vector, struct cpu_descriptor *d);
/* Sets the accessed bit of a code/data descriptor in memory (and in d):
 * inline, it is nearly always set already, and then nothing is written. */
void cpu_descriptor_write_accessed(struct cpu *c, struct cpu_descriptor *d);
static inline void cpu_descriptor_set_accessed(struct cpu *c, struct cpu_descriptor *d) {
  if (unlikely(!(d->hi & 0x100)))
    cpu_descriptor_write_accessed(c, d);
}
/* The segment-register cache of a code/data (or LDT/TSS) descriptor. */
static inline void cpu_descriptor_to_segment(const struct cpu_descriptor *d, uint16_t selector,
                                             struct cpu_segment *out) {
  uint32_t limit = (d->lo & 0xFFFF) | (d->hi & 0x000F0000u);
  if (d->hi & 0x00800000u) /* G: 4 KiB granularity */
    limit = (limit << 12) | 0xFFF;
  out->selector = selector;
  out->base = (d->lo >> 16) | ((d->hi & 0xFF) << 16) | (d->hi & 0xFF000000u);
  out->limit = limit;
  out->attr = (uint16_t)(((d->hi >> 8) & 0xFF) | ((d->hi >> 8) & 0xF000));
}

/* ---- memory (memory.c and the fast paths below) ---------------------------------- */

/* For every CPU file (task switches, v86 and the rest): the processor's own
 * accesses to system structures at linear addresses (GDT, LDT, IDT, TSS,
 * accessed and busy bits) go through cpu_sys_read / cpu_sys_write, which
 * translate them as supervisor accesses whatever the CPL (SDM vol. 3, 4.6)
 * and may raise #PF; cpu_sys_probe checks n bytes (every page) first when a
 * later write must not fault. Never call mmu_read(mmu_phys(lin)) for a
 * linear address: that bypasses paging. A CR3 load from anywhere (MOV CR3,
 * a task switch) is cpu_load_cr3 (ops/system.c).
 *
 * Paging: with CR0.PG = 0 the fast paths below are the plain RAM pointers
 * they always were. With PG = 1 they use the MMU's host-pointer cache, an
 * exact mirror of the modeled DTLB (mmu.h, mmu_fast_ptr); a miss goes to
 * the slow path: DTLB lookup, page walk, #PF (cpu_translate). */

uint32_t cpu_read_slow(struct cpu *c, unsigned s, uint32_t off, unsigned n);
void cpu_write_slow(struct cpu *c, unsigned s, uint32_t off, unsigned n, uint32_t v);

/* System accesses of n (1, 2, 4) bytes at linear address lin. */
uint32_t cpu_sys_read(struct cpu *c, uint32_t lin, unsigned n);
void cpu_sys_write(struct cpu *c, uint32_t lin, unsigned n, uint32_t v);
/* Translates every page of [lin, lin + n) for a system read or write
 * (write = true also sets the dirty bits), raising #PF, writing nothing. */
void cpu_sys_probe(struct cpu *c, uint32_t lin, uint32_t n, bool write);
/* Linear accesses with the privilege given (user: CPL 3 rules): interrupt
 * frames, and what else must choose its privilege itself. */
uint32_t cpu_lin_read(struct cpu *c, uint32_t lin, unsigned n, bool user);
void cpu_lin_write(struct cpu *c, uint32_t lin, unsigned n, uint32_t v, bool user);
void cpu_lin_probe(struct cpu *c, uint32_t lin, uint32_t n, bool write, bool user);

/* One host pointer for `uses` accesses (reads, or writes if write) that all
 * lie in [lin, lin + n), within one page: an interrupt frame, a descriptor's
 * two dwords. With paging off the RAM pointer (for writes: a page without
 * code); with paging on the host-pointer cache's entry, looked up once per
 * access, counted (mmu_fast_ptr_uses) so that the DTLB sees exactly what
 * `uses` separate fast-path accesses would show it (a dtlb_hit and an LRU
 * use each). NULL, with
 * nothing counted, when the fast path would not take them: the caller then
 * makes the accesses one by one (cpu_sys_read, cpu_lin_write ...). user: 1
 * for CPL 3 rules. */
static inline __attribute__((always_inline)) uint8_t *cpu_lin_span_ptr(struct cpu *c, uint32_t lin, unsigned n,
                                                                      unsigned uses, unsigned user,
                                                                      unsigned write) {
  if (unlikely((lin & (MMU_PAGE_BYTES - 1)) > MMU_PAGE_BYTES - n))
    return NULL;
  struct mmu *m = c->mem;
  if (!m->paging)
    return write ? mmu_direct_write_ptr(m, lin, n) : (uint8_t *)mmu_direct_read_ptr(m, lin, n);
  return mmu_fast_ptr_uses(m, lin, user, write, uses);
}

/* The physical address of linear address lin for an access (MMU_ACC_*
 * bits of mmu.h: WRITE, USER, EXEC). With paging on it goes through the
 * ITLB (EXEC) or the DTLB, walks on a miss (counted and charged), and on a
 * fault sets CR2 and raises #PF with its error code. The result may lie
 * above 4 GiB (PAE): nothing is there. */
uint64_t cpu_translate(struct cpu *c, uint32_t lin, unsigned access);
/* The same without raising: false if the access would fault (CR2 and the
 * TLBs untouched beyond the walk's A bits). */
bool cpu_translate_try(struct cpu *c, uint32_t lin, unsigned access, uint64_t *phys);
/* The fast paths' misses with paging on (translate.c): n bytes at linear
 * address lin, in one page, whose segment checks have passed. The DTLB
 * path of cpu_translate (the same counts, charges, records, #PF, fast-path
 * entries installed), then the access through the page's host address, or
 * cpu_phys_read/cpu_phys_write when it is not plain RAM (ROM, MMIO,
 * nothing, above 4 GiB; for a write, a page holding decoded code). */
uint32_t cpu_read_paged(struct cpu *c, uint32_t lin, unsigned n);
void cpu_write_paged(struct cpu *c, uint32_t lin, unsigned n, uint32_t v);
/* Physical accesses (memory.c): RAM, else mmu_read/mmu_write; above 4 GiB
 * nothing (reads all ones, writes dropped). */
uint32_t cpu_phys_read(struct cpu *c, uint64_t pa, unsigned n);
void cpu_phys_write(struct cpu *c, uint64_t pa, unsigned n, uint32_t v);
/* MMU_ACC_USER if the CPU runs at CPL 3, else 0. */
static inline unsigned cpu_acc_user(const struct cpu *c) { return c->cpl == 3 ? MMU_ACC_USER : 0; }

/* Loads CR3 with v as MOV to CR3 does: with PAE paging on, the PDPTEs
 * (false, nothing changed, if one sets a reserved bit: the caller raises
 * its fault, #GP(0) for MOV); the non-global TLB entries flushed (nothing
 * in the experimental tagged mode); cr3_load charged; counted as
 * cr3_write and, when it flushes, as flush (TRACE_EV_tlb_flush_cr3 for MOV,
 * TRACE_EV_tlb_flush_task for a task switch). */
bool cpu_load_cr3(struct cpu *c, uint32_t v, enum trace_event flush);
/* Hands CR0/CR3/CR4 as they are to the MMU and empties the TLBs (RESET:
 * cpu_reset must call it after setting the control registers). */
void cpu_paging_reset(struct cpu *c);

static inline uint32_t cpu_ld_le(const uint8_t *p, unsigned n) {
  if (n == 1)
    return *p;
  if (n == 2) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
  }
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline void cpu_st_le(uint8_t *p, unsigned n, uint32_t v) {
  if (n == 1)
    *p = (uint8_t)v;
  else if (n == 2) {
    uint16_t w = (uint16_t)v;
    memcpy(p, &w, 2);
  } else
    memcpy(p, &v, 4);
}

/* Reads n (1, 2, 4) bytes at seg:off. Forced inline: the handlers' hot
 * path (GCC's heuristics stop inlining it once the paged branch is there).
 * Paging is asked first: the guests whose speed matters run paged. */
static inline __attribute__((always_inline)) uint32_t cpu_read(struct cpu *c, unsigned s, uint32_t off, unsigned n) {
  const struct cpu_segment *sg = &c->seg[s];
  if (likely((c->seg_ok[s] & SEG_OK_READ) && (uint64_t)off + n - 1 <= sg->limit)) {
    uint32_t lin = sg->base + off;
    if (likely((lin & (MMU_PAGE_BYTES - 1)) <= MMU_PAGE_BYTES - n)) {
      const uint8_t *p;
      if (c->mem->paging) {
        if (likely((p = mmu_fast_ptr(c->mem, lin, c->cpl == 3, 0)) != NULL))
          return cpu_ld_le(p, n);
        return cpu_read_paged(c, lin, n); /* a host-cache miss: nothing else to check */
      }
      if (likely((p = mmu_direct_read_ptr(c->mem, lin, n)) != NULL))
        return cpu_ld_le(p, n);
    }
  }
  return cpu_read_slow(c, s, off, n);
}

static inline __attribute__((always_inline)) void cpu_write(struct cpu *c, unsigned s, uint32_t off, unsigned n,
                                                             uint32_t v) {
  const struct cpu_segment *sg = &c->seg[s];
  if (likely((c->seg_ok[s] & SEG_OK_WRITE) && (uint64_t)off + n - 1 <= sg->limit)) {
    uint32_t lin = sg->base + off;
    if (likely((lin & (MMU_PAGE_BYTES - 1)) <= MMU_PAGE_BYTES - n)) {
      uint8_t *p;
      if (c->mem->paging) {
        if (likely((p = mmu_fast_ptr(c->mem, lin, c->cpl == 3, 1)) != NULL))
          cpu_st_le(p, n, v);
        else
          cpu_write_paged(c, lin, n, v); /* a host-cache miss: nothing else to check */
        return;
      }
      if (likely((p = mmu_direct_write_ptr(c->mem, lin, n)) != NULL)) {
        cpu_st_le(p, n, v);
        return;
      }
    }
  }
  cpu_write_slow(c, s, off, n, v);
}

static inline uint8_t cpu_rd8(struct cpu *c, unsigned s, uint32_t off) { return (uint8_t)cpu_read(c, s, off, 1); }
static inline uint16_t cpu_rd16(struct cpu *c, unsigned s, uint32_t off) { return (uint16_t)cpu_read(c, s, off, 2); }
static inline uint32_t cpu_rd32(struct cpu *c, unsigned s, uint32_t off) { return cpu_read(c, s, off, 4); }
static inline void cpu_wr8(struct cpu *c, unsigned s, uint32_t off, uint8_t v) { cpu_write(c, s, off, 1, v); }
static inline void cpu_wr16(struct cpu *c, unsigned s, uint32_t off, uint16_t v) { cpu_write(c, s, off, 2, v); }
static inline void cpu_wr32(struct cpu *c, unsigned s, uint32_t off, uint32_t v) { cpu_write(c, s, off, 4, v); }

/* Checks that n bytes at seg:off can be written (segment and, with paging,
 * every page), without writing (for instructions that must not commit
 * anything before a later fault). */
void cpu_probe_write(struct cpu *c, unsigned s, uint32_t off, unsigned n);

/* ---- operands -------------------------------------------------------------------- */

/* Effective address (offset in the segment) of the ModRM memory operand. */
static inline uint32_t cpu_ea(const struct cpu *c, const struct insn *i) {
  uint32_t ea = c->gpr[i->ea_base] + (c->gpr[i->ea_index] << i->ea_scale) + i->disp;
  return (i->flags & INSN_A32) ? ea : (ea & 0xFFFF);
}

/* The r/m operand of size n bytes: register or memory. */
static inline __attribute__((always_inline)) uint32_t cpu_rm_read(struct cpu *c, const struct insn *i, unsigned n) {
  if (!(i->flags & INSN_MEM))
    return n == 1 ? cpu_r8(c, i->rm) : n == 2 ? cpu_r16(c, i->rm) : cpu_r32(c, i->rm);
  return cpu_read(c, i->seg, cpu_ea(c, i), n);
}

/* Writes the r/m operand. For memory forms, pass the address already
 * computed (ea) so read-modify-write computes it once. */
static inline __attribute__((always_inline)) void cpu_rm_write(struct cpu *c, const struct insn *i, unsigned n,
                                                                uint32_t ea, uint32_t v) {
  if (!(i->flags & INSN_MEM)) {
    if (n == 1)
      cpu_w8(c, i->rm, (uint8_t)v);
    else if (n == 2)
      cpu_w16(c, i->rm, (uint16_t)v);
    else
      cpu_w32(c, i->rm, v);
    return;
  }
  cpu_write(c, i->seg, ea, n, v);
}

static inline uint32_t cpu_reg_read(const struct cpu *c, unsigned r, unsigned n) {
  return n == 1 ? cpu_r8(c, r) : n == 2 ? cpu_r16(c, r) : cpu_r32(c, r);
}
static inline void cpu_reg_write(struct cpu *c, unsigned r, unsigned n, uint32_t v) {
  if (n == 1)
    cpu_w8(c, r, (uint8_t)v);
  else if (n == 2)
    cpu_w16(c, r, (uint16_t)v);
  else
    cpu_w32(c, r, v);
}

/* Operand size in bytes from the prefixes: 2 or 4. */
static inline unsigned cpu_osize(const struct insn *i) { return (i->flags & INSN_O32) ? 4 : 2; }

/* Mask of an n-byte value and its sign bit. */
static inline uint32_t cpu_mask(unsigned n) { return n == 4 ? 0xFFFFFFFFu : (1u << (8 * n)) - 1; }
static inline uint32_t cpu_sign(unsigned n) { return 1u << (8 * n - 1); }
static inline unsigned cpu_cc_size(unsigned n) { return n == 1 ? CC_SZ8 : n == 2 ? CC_SZ16 : CC_SZ32; }

/* ---- stack (stack helpers in memory.c) ----------------------------------------- */

static inline uint32_t cpu_sp_mask(const struct cpu *c) { return c->stack32 ? 0xFFFFFFFFu : 0xFFFFu; }
/* ESP with its low 16 or all 32 bits replaced by sp, by stack size. */
static inline uint32_t cpu_sp_merge(const struct cpu *c, uint32_t sp) {
  return c->stack32 ? sp : ((c->gpr[CPU_ESP] & 0xFFFF0000u) | (sp & 0xFFFFu));
}
void cpu_push(struct cpu *c, unsigned n, uint32_t v);
uint32_t cpu_pop(struct cpu *c, unsigned n);
/* Reads n bytes at SS:(ESP + offset) without popping (stack-size wrap). */
uint32_t cpu_stack_peek(struct cpu *c, uint32_t offset, unsigned n);
/* One host pointer for `uses` reads (cpu_stack_peek) that all lie in the
 * n bytes at SS:(ESP + offset), which must neither wrap at the stack size nor
 * leave the segment's fast-path rights: what those reads would see and
 * count (cpu_lin_span_ptr), or NULL, nothing counted: then peek them one
 * by one. */
static inline __attribute__((always_inline)) const uint8_t *cpu_stack_span_ptr(struct cpu *c, uint32_t offset,
                                                                              unsigned n, unsigned uses) {
  uint32_t mask = cpu_sp_mask(c);
  uint32_t sp = (c->gpr[CPU_ESP] + offset) & mask;
  uint64_t last = (uint64_t)sp + n - 1;
  if (unlikely(!(c->seg_ok[CPU_SS] & SEG_OK_READ) || last > c->seg[CPU_SS].limit || last > mask))
    return NULL;
  return cpu_lin_span_ptr(c, c->seg[CPU_SS].base + sp, n, uses, c->cpl == 3, 0);
}

/* ---- flags (flags.c) ----------------------------------------------------------- */

uint32_t cpu_flags_arith(const struct cpu *c);   /* the six arithmetic bits */
/* Condition code 0-15 (Jcc order). A loop's branch (Z/NZ after a lazy
 * operation: DEC/CMP/TEST then JNZ; B/NB after CMP) inline; the rest from
 * the lazy state directly (cpu_cond_lazy), falling back to the full
 * computation. */
bool cpu_cond_lazy(const struct cpu *c, unsigned cc);
extern const uint32_t cpu_cc_mask[CC_COUNT]; /* operand mask per cc_op */
/* The kind of each cc_op (its row in enum cpu_cc_op without the size). */
enum { CC_K_EAGER, CC_K_ADD, CC_K_ADC, CC_K_SUB, CC_K_SBB, CC_K_LOGIC, CC_K_INC, CC_K_DEC, CC_K_ROT };
extern const uint8_t cpu_cc_kind[CC_COUNT];
/* cpu_cond's inline part: decides those conditions into *taken and returns
 * true, or returns false (the caller asks cpu_cond_lazy). */
static inline bool cpu_cond_quick(const struct cpu *c, unsigned cc, bool *taken) {
  unsigned op = c->cc_op;
  if (unlikely(op - 1u >= CC_COUNT - 1u)) /* CC_EAGER */
    return false;
  if ((cc >> 1) == 2) {
    *taken = ((c->cc_res & cpu_cc_mask[op]) == 0) != (cc & 1);
    return true;
  }
  if ((cc >> 1) == 1 && cpu_cc_kind[op] == CC_K_SUB) {
    uint32_t m = cpu_cc_mask[op];
    *taken = ((c->cc_src1 & m) < (c->cc_src2 & m)) != (cc & 1);
    return true;
  }
  return false;
}
static inline bool cpu_cond(const struct cpu *c, unsigned cc) {
  bool taken;
  return cpu_cond_quick(c, cc, &taken) ? taken : cpu_cond_lazy(c, cc);
}
/* The same from all six flags computed in full (the reference of cpu_cond's
 * fast path, which reads the lazy state directly). */
bool cpu_cond_full(const struct cpu *c, unsigned cc);
/* CF alone, from the lazy state: what INC, DEC, ADC, SBB and RCL/RCR read
 * on every execution, so inline. */
extern const uint8_t cpu_cc_rot[CC_COUNT]; /* CC_ROT of each lazy cc_op's size */
static inline bool cpu_cf(const struct cpu *c) {
  unsigned op = c->cc_op, kind = cpu_cc_kind[op];
  /* Tests, not a jump table: the kinds a loop's INC/DEC follow come first. */
  if (kind >= CC_K_INC) /* INC, DEC, ROT: the CF kept */
    return (c->cc_src2 & CPU_FLAG_CF) != 0;
  if (kind == CC_K_LOGIC)
    return false;
  uint32_t m = cpu_cc_mask[op];
  if (kind == CC_K_SUB)
    return (c->cc_src1 & m) < (c->cc_src2 & m);
  if (kind == CC_K_ADD)
    return (c->cc_res & m) < (c->cc_src1 & m);
  if (kind == CC_K_EAGER)
    return (c->eflags & CPU_FLAG_CF) != 0;
  if (kind == CC_K_ADC)
    return (c->cc_res & m) <= (c->cc_src1 & m);
  return (c->cc_src1 & m) <= (c->cc_src2 & m); /* SBB */
}
/* Sets CF and OF to the bits of cf_of (CPU_FLAG_CF | CPU_FLAG_OF) and keeps
 * the other arithmetic flags, lazily where they are (the rotates): a lazy
 * operation becomes CC_ROT at its size, with its AF computed now. */
static inline void cpu_set_cf_of(struct cpu *c, uint32_t cf_of) {
  unsigned op = c->cc_op;
  uint32_t af;
  cf_of &= CPU_FLAG_CF | CPU_FLAG_OF;
  switch (cpu_cc_kind[op]) {
  case CC_K_EAGER:
    c->eflags = (c->eflags & ~(CPU_FLAG_CF | CPU_FLAG_OF)) | cf_of;
    return;
  case CC_K_LOGIC: af = 0; break; /* cleared, as P6 does (flags.c) */
  case CC_K_INC: af = (c->cc_res & 0xF) == 0 ? CPU_FLAG_AF : 0; break;
  case CC_K_DEC: af = (c->cc_res & 0xF) == 0xF ? CPU_FLAG_AF : 0; break;
  case CC_K_ROT: af = c->cc_src2 & CPU_FLAG_AF; break;
  default: af = (c->cc_src1 ^ c->cc_src2 ^ c->cc_res) & CPU_FLAG_AF; break; /* ADD ADC SUB SBB */
  }
  c->cc_src2 = af | cf_of;
  c->cc_op = cpu_cc_rot[op]; /* SF ZF PF: cc_res at the operation's size */
}
uint32_t cpu_eflags(const struct cpu *c);        /* full EFLAGS */
/* Writes EFLAGS bits under mask (arithmetic and others alike). */
void cpu_eflags_write(struct cpu *c, uint32_t value, uint32_t mask);
/* Sets the arithmetic flags eagerly (for the operations not kept lazily). */
static inline void cpu_set_arith(struct cpu *c, uint32_t value) {
  c->eflags = (c->eflags & ~CPU_FLAGS_ARITH) | (value & CPU_FLAGS_ARITH);
  c->cc_op = CC_EAGER;
}
static inline void cpu_set_lazy(struct cpu *c, unsigned op, uint32_t src1, uint32_t src2, uint32_t res) {
  c->cc_op = op;
  c->cc_src1 = src1;
  /* An empty asm between the stores: without it GCC packs two of them
   * into one vector store, two more instructions in every handler. */
  __asm__("" ::: "memory");
  c->cc_src2 = src2;
  c->cc_res = res;
}
/* PF, ZF and SF of an n-byte result, as a flags value. */
uint32_t cpu_flags_szp(uint32_t res, unsigned n);

/* ---- misc --------------------------------------------------------------------- */

/* Cycle counter at the start of the current instruction (RDTSC, devices). */
static inline cycles_t cpu_now(const struct cpu *c) {
  return c->cycles + (c->cur ? c->cur->cost_before : 0);
}

/* Ends the block after the current instruction (mode changes, SMC, an
 * interrupt or a stop request from a device). Every way out of a block
 * goes through here: the run loop then takes the slow way between blocks
 * (interrupts, shadow, stop). Between blocks it does nothing: the next
 * block sets block_end anew. */
static inline void cpu_end_block(struct cpu *c) { c->block_end = NULL; }

/* Port I/O through the environment. */
uint32_t cpu_port_in(struct cpu *c, uint16_t port, unsigned n);
void cpu_port_out(struct cpu *c, uint16_t port, unsigned n, uint32_t v);
/* IN/OUT/INS/OUTS permission (misc.c): raises #GP(0) when denied. */
void cpu_io_check(struct cpu *c, uint16_t port, unsigned n);

/* Repeated instructions (REP strings), exec.c: each iteration after the
 * first of an execution is charged by the timing model; an execution that
 * stops early (a chunk boundary, a stop request) leaves EIP at the
 * instruction, does not retire, and ends the block. */
void cpu_repeat_charge(struct cpu *c, const struct insn *i);
void cpu_restart_insn(struct cpu *c);

/* Code cache (codecache.c) */
/* The handler the block builder puts in insn.fn for a row handler fn of
 * condition code cc: a Jcc specialised to its condition (ops/control.c),
 * or fn itself. */
cpu_handler cpu_jcc_handler(cpu_handler fn, unsigned cc);
struct cpu_code_cache *cpu_code_cache_new(struct cpu *c);
void cpu_code_cache_free(struct cpu_code_cache *cc);
void cpu_code_cache_flush(struct cpu_code_cache *cc);
/* The block starting at CS:EIP; may raise a fetch fault. */
const struct insn *cpu_code_cache_lookup(struct cpu *c, unsigned *n_insns);
/* The same once CS:EIP is known to be linear lin, physical phys (its fetch
 * translated and counted) and within the CS limit. */
const struct insn *cpu_code_cache_lookup_at(struct cpu *c, unsigned *n_insns, uint32_t lin, uint32_t phys);

/* A cached block: a run of decoded instructions from physical address
 * phys (codecache.c says how blocks are made, dropped and linked). */
struct cpu_block {
  uint32_t phys;             /* physical address of the first byte */
  uint32_t last_page;        /* physical page of the last byte */
  uint32_t span;             /* bytes from the first to past the last insn */
  uint32_t end_phys;         /* phys + span: where its fall-through successor starts */
  uint16_t n;                /* instructions */
  bool code32;
  bool valid;
  /* code32 if the block lies on one page, else 2 (never equal to CS.D), so
   * that the link fast path checks the mode and the one-page case at once:
   * a block on two pages must check its second page's translation. */
  uint8_t link_code32;
  struct insn *insns;
  struct cpu_link {
    struct cpu_block *to;
    uint32_t gen; /* the cache generation it was made in */
  } succ[2];      /* successors: [0] fall-through, [1] other */
  struct cpu_block *hash_next;
  struct cpu_block *page_next[2]; /* in the lists of its first and last page */
};

/* cpu_code_cache_lookup's common case, inline in the run loop: the fetch
 * address translates without a walk (paging off, or the ITLB entry used
 * last, counted as its hit), the block before links to the block there,
 * which fits the CS limit and lies on one page. Anything else goes the
 * full way. The link's generation alone proves both blocks valid: every
 * drop bumps the generation, a flush also forgets the last block, and
 * links are made only from a block valid in the link's generation. */
static inline __attribute__((always_inline)) const struct insn *cpu_code_cache_next(struct cpu *c) {
  unsigned n_insns[1]; /* the slow ways' count: insn.block_n has it too */
  struct cpu_block *prev = c->cc_last;
  uint32_t eip = c->eip, limit = c->seg[CPU_CS].limit;
  if (unlikely(prev == NULL || eip > limit))
    return cpu_code_cache_lookup(c, n_insns);
  uint32_t lin = c->seg[CPU_CS].base + eip, phys;
  if (likely(!c->mem->paging))
    phys = mmu_phys(c->mem, lin);
  else if (unlikely(!mmu_ifast_phys(c->mem, lin, c->cpl == 3, &phys)))
    return cpu_code_cache_lookup(c, n_insns);
  const struct cpu_link *l = &prev->succ[phys != prev->end_phys];
  struct cpu_block *b = l->to;
  uint32_t gen = c->cc_gen;
  if (likely(b && l->gen == gen && b->phys == phys && b->link_code32 == c->code32 &&
             b->span - 1 <= limit - eip)) {
    c->cc_last = b;
    c->cc_last_gen = gen;
    return b->insns;
  }
  /* Not linked: the full way must not translate (and count) again. */
  return cpu_code_cache_lookup_at(c, n_insns, lin, phys);
}

/* ---- events: time and counters ------------------------------------------------------ */

/* Charges timing event e: the preset's cost is added to the cycle counter. */
static inline void cpu_charge(struct cpu *c, enum cpu_timing_event e) {
  c->cycles += cpu_timing_event(&c->timing, e);
}
/* Records counter slot `slot` in the trace (cpu.c; only when cpu_trace_wants),
 * with the event's fields (events.def EVENT_FIELDS) inferred from the
 * state at hand; cpu_trace_record_fields takes them from the count site. */
void cpu_trace_record(struct cpu *c, unsigned slot);
void cpu_trace_record_fields(struct cpu *c, unsigned slot, unsigned n, const uint32_t *fields);
/* Makes the current CS, CPL, mode and EIP the site of the records to come
 * (the run loop at a block's start; cpu_deliver before it delivers). */
void cpu_trace_site_now(struct cpu *c);
/* Whether counter slot `slot` is being recorded (a trace is on and its
 * filter, cpu_set_trace_filter, takes the slot). Off, that costs what
 * `c->trace != NULL` costs; a caller that does extra work for a record
 * (scans the TLBs for a flush's entries) asks this first. */
static inline bool cpu_trace_wants(const struct cpu *c, unsigned slot) {
  return unlikely(c->trace != NULL) && c->trace_want[slot];
}
/* Counts trace event e (always on: one increment) and, when a trace is
 * being recorded and takes e, records it: off, that costs one predictable
 * branch; filtered out, one more load. */
static inline void cpu_count(struct cpu *c, enum trace_event e) {
  trace_count(&c->counters, e);
  if (cpu_trace_wants(c, (unsigned)e))
    cpu_trace_record(c, (unsigned)e);
}
/* Counts indexed trace event e at index (a vector 0-255). */
static inline void cpu_count_at(struct cpu *c, enum trace_event e, unsigned index) {
  trace_count_at(&c->counters, e, index);
  if (cpu_trace_wants(c, (unsigned)e + index))
    cpu_trace_record(c, (unsigned)e + index);
}
/* Counts plain event e with up to three fields given at the count site
 * (the first n of a, b, d are recorded). */
static inline void cpu_count_with(struct cpu *c, enum trace_event e, unsigned n, uint32_t a, uint32_t b,
                                  uint32_t d) {
  trace_count(&c->counters, e);
  if (cpu_trace_wants(c, (unsigned)e)) {
    const uint32_t f[3] = {a, b, d};
    cpu_trace_record_fields(c, (unsigned)e, n, f);
  }
}
/* Counts a privilege-level change from CPL from to CPL to (ring.FtoT) by
 * mechanism mech (enum trace_mechanism); nothing if they are equal. */
static inline void cpu_count_ring(struct cpu *c, unsigned from, unsigned to, enum trace_mechanism mech) {
  if (from != to) {
    unsigned slot = (unsigned)TRACE_EV_ring + TRACE_RING_INDEX(from, to);
    trace_count_at(&c->counters, TRACE_EV_ring, TRACE_RING_INDEX(from, to));
    if (cpu_trace_wants(c, slot)) {
      const uint32_t f[1] = {(uint32_t)mech};
      cpu_trace_record_fields(c, slot, 1, f);
    }
  }
}

/* ---- system architecture (cpu.c, exec.c, tss.c, ops/system.c) ---------------------- */

/* Resets the system state (cpu_reset); the INTR wiring (level, INTA
 * callback) belongs to the board and stays. */
void cpu_sys_reset(struct cpu *c);

/* Recomputes c->mode from CR0.PE and EFLAGS.VM and reloads the rights
 * cached for all six segment registers (cpu_segment_loaded). */
void cpu_update_mode(struct cpu *c);

/* cpu_tss_ring_stack() with the EXT bit (interrupt delivery) in the #TS
 * error code. */
void cpu_tss_ring_stack_ext(struct cpu *c, unsigned ring, uint16_t *ss, uint32_t *esp, unsigned ext);

/* Drops the translation of the page holding linear address lin (INVLPG). */
void cpu_tlb_invalidate_page(struct cpu *c, uint32_t lin);

/* The time-stamp counter the guest reads: the cycle counter at this
 * instruction plus the offset WRMSR to IA32_TIME_STAMP_COUNTER set. */
static inline uint64_t cpu_tsc(struct cpu *c) { return cpu_now(c) + c->sys.tsc_offset; }

/* ---- debug registers (debug.c) ------------------------------------------------------ */

#define CPU_CR4_DE 0x008u       /* CR4: debugging extensions (I/O breakpoints, DR4/DR5 #UD) */
#define CPU_DR6_B(n) (1u << (n)) /* breakpoint n matched */
#define CPU_DR6_BD 0x00002000u  /* a MOV DR under DR7.GD */
#define CPU_DR6_BS 0x00004000u  /* single step */
#define CPU_DR6_BT 0x00008000u  /* task switch to a TSS with the T bit */
#define CPU_DR7_GD 0x00002000u  /* general detect */

/* Recomputes the masks from DR7 and CR4.DE (after MOV DR7, MOV CR4, RESET)
 * and puts the MMU in watch mode while a data breakpoint is enabled. */
void cpu_debug_update(struct cpu *c);
/* A data access of n bytes at linear address lin (the slow paths, only
 * while dbg_data is nonzero): marks the data breakpoints it hits pending. */
void cpu_debug_data(struct cpu *c, uint32_t lin, unsigned n, bool write);
/* A port access (only while dbg_io is nonzero): the same for I/O breakpoints. */
void cpu_debug_io(struct cpu *c, uint16_t port, unsigned n);
/* The execute breakpoints (DR6 B bits) at linear address lin. */
unsigned cpu_debug_exec_match(const struct cpu *c, uint32_t lin);
/* Sets dr6_bits in DR6 and delivers #DB at this boundary (return address
 * EIP): the pending traps are delivered with it. May fault (cpu_raise). */
void cpu_debug_deliver(struct cpu *c, uint32_t dr6_bits);

/* ---- hardware task switches (task.c) --------------------------------------------- */

/* Far JMP (call = false) or CALL in protected mode to selector sel whose
 * descriptor d (already read by the caller) is an available TSS (type 1 or
 * 9) or a task gate (type 5): the privilege and presence checks of the SDM's
 * JMP/CALL "TASK-GATE" and "TASK-STATE-SEGMENT" steps, then the switch. */
void cpu_task_far(struct cpu *c, bool call, uint16_t sel, const struct cpu_descriptor *d);

/* Delivery through a task gate of the IDT (the gate's DPL and P bit are
 * checked by the caller): the TSS checks with EXT in their error codes, the
 * switch (return_eip saved in the old TSS, back link and NT set), then the
 * error code, if any, pushed on the new task's stack. With set_rf (a
 * fault-class exception, SDM vol. 3, 17.3.1.1) the EFLAGS image saved in
 * the old TSS has RF set, as a gate's frame has. */
void cpu_task_gate_deliver_rf(struct cpu *c, const struct cpu_descriptor *gate, uint32_t error_code,
                              uint32_t return_eip, unsigned ext, bool set_rf);

/* IRET with EFLAGS.NT = 1 in protected mode: back to the task named by the
 * back link of the current TSS. */
void cpu_task_return(struct cpu *c);

#endif
