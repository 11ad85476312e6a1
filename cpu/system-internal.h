/* cpu/system-internal.h - processor state of the system architecture that
 * the run loop, interrupt delivery and the system instructions share: the
 * interrupt inputs (INTR, INTA, NMI), the interrupt shadow, and the MSRs.
 *
 * The state lives beside struct cpu, in the same allocation (struct
 * cpu_box, made by cpu_new), so that this work did not have to edit
 * struct cpu while other files were changing it; cpu_sys() reaches it at a
 * constant offset, as cheaply as a field. It can move into struct cpu as
 * one block of fields at any time.
 */
#ifndef RINGLAB_CPU_SYSTEM_INTERNAL_H
#define RINGLAB_CPU_SYSTEM_INTERNAL_H

#include "cpu-internal.h"

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

  /* MSRs */
  uint64_t tsc_offset;     /* RDTSC = cycles + tsc_offset (WRMSR 0x10 sets it) */
  uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
  uint64_t mtrr[MTRR_SLOTS];
};

struct cpu_box {
  struct cpu cpu; /* first: a struct cpu * points here */
  struct cpu_sys sys;
};

static inline struct cpu_sys *cpu_sys(struct cpu *c) { return &((struct cpu_box *)(void *)c)->sys; }
static inline const struct cpu_sys *cpu_sys_const(const struct cpu *c) {
  return &((const struct cpu_box *)(const void *)c)->sys;
}

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
static inline uint64_t cpu_tsc(struct cpu *c) { return cpu_now(c) + cpu_sys(c)->tsc_offset; }

#endif
