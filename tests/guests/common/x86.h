/* tests/guests/common/x86.h - descriptor tables, traps, rings and the
 * checks of a test kernel (common/desc.c, common/trap.S, common/check.c,
 * common/printf.c).
 *
 * desc_init() loads this GDT, an IDT whose 256 gates all lead to one
 * assembly entry (trap.S) and a TSS with a ring-0 stack:
 *
 *   selector  index  descriptor
 *   0x00      0      null
 *   0x08      1      ring-0 code, flat 4 GiB, 32-bit  (SEL_KCODE)
 *   0x10      2      ring-0 data, flat                (SEL_KDATA)
 *   0x1B      3      ring-3 code, flat                (SEL_UCODE)
 *   0x23      4      ring-3 data, flat                (SEL_UDATA)
 *   0x28      5      32-bit TSS                       (SEL_TSS)
 *   0x30..    6-15   free for a test (gdt_set_segment, gdt_set_gate)
 *
 * The order 0x08 0x10 0x18 0x20 is the one SYSENTER/SYSEXIT derive from
 * IA32_SYSENTER_CS = 0x08.
 *
 * Every exception or interrupt enters trap_dispatch() with a trap_frame.
 * It records the frame in trap_last, then calls the vector's handler if
 * one is set (trap_set_handler), else resumes at trap_resume if a probe
 * armed it (PROBE_ASM), else reports an unexpected exception and fails.
 */
#ifndef RINGLAB_GUEST_X86_H
#define RINGLAB_GUEST_X86_H

#include <stdint.h>

#include "guest.h"

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23
#define SEL_TSS 0x28
#define GDT_ENTRIES 16
#define GDT_FIRST_FREE 6

/* access byte of a descriptor */
#define SEG_P 0x80          /* present */
#define SEG_DPL(n) ((n) << 5)
#define SEG_S 0x10          /* code or data (not system) */
#define SEG_CODE 0x08       /* executable */
#define SEG_READ 0x02       /* code: readable */
#define SEG_WRITE 0x02      /* data: writable */
#define SEG_EXPDOWN 0x04    /* data: expand-down */
#define SEG_ACCESSED 0x01

/* system descriptor types */
#define SYS_TSS32 0x9
#define SYS_CALL_GATE32 0xC
#define SYS_INTR_GATE32 0xE
#define SYS_TRAP_GATE32 0xF

/* flags nibble (byte 6 high bits) */
#define SEG_G 0x80   /* limit in 4 KiB units */
#define SEG_D 0x40   /* 32-bit */

/* exception vectors */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_OF 4
#define VEC_BR 5
#define VEC_UD 6
#define VEC_DF 8
#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14

#define RING3_EXIT_VECTOR 0x81 /* int $0x81 from ring 3: ring3_call returns EAX */

#define EFLAGS_CF 0x00000001u
#define EFLAGS_OF 0x00000800u
#define EFLAGS_IF 0x00000200u
#define EFLAGS_ID 0x00200000u

#define CR0_PE 0x00000001u
#define CR0_WP 0x00010000u
#define CR0_PG 0x80000000u
#define CR4_TSD 0x004u
#define CR4_PSE 0x010u
#define CR4_PAE 0x020u
#define CR4_PGE 0x080u

/* page-table entry bits (4 KiB PTE, PDE; PAE entries share the low 12) */
#define PTE_P 0x001   /* present */
#define PTE_W 0x002   /* writable */
#define PTE_U 0x004   /* user */
#define PTE_A 0x020   /* accessed */
#define PTE_D 0x040   /* dirty */
#define PTE_PS 0x080  /* PDE: large page (4 MiB, PAE 2 MiB) */
#define PTE_G 0x100   /* global (CR4.PGE) */

/* page-fault error code bits */
#define PF_P 0x1  /* protection violation (else not present) */
#define PF_W 0x2  /* write */
#define PF_U 0x4  /* CPL 3 */

#define MSR_TSC 0x10
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

/* What the common entry pushed (lowest address first). esp/ss are valid
 * only when the trap came from an outer ring (cs & 3 != 0). */
struct trap_frame {
  uint32_t es, ds;
  uint32_t edi, esi, ebp, esp_pushal, ebx, edx, ecx, eax; /* pushal */
  uint32_t vector, error; /* error is 0 for vectors without one */
  uint32_t eip, cs, eflags; /* pushed by the processor */
  uint32_t esp, ss;         /* only from an outer ring */
};

/* The last trap, as trap_dispatch saw it. */
struct trap_record {
  uint32_t vector, error, eip, cs, eflags;
  uint32_t esp, ss;      /* outer-ring traps only, else 0 */
  uint32_t cr2;          /* #PF only */
  uint32_t frame_end;    /* address just above the processor's frame */
};

extern volatile struct trap_record trap_last;
extern volatile uint32_t trap_count;   /* traps taken since boot */
extern volatile uint32_t trap_resume;  /* where the next unhandled trap resumes; 0: unexpected */
extern volatile uint32_t probe_fault_eip; /* address of the probed instruction */
extern volatile uint32_t probe_next_eip;  /* address after it */

/* Inline-asm text for one probed instruction: records its address and the
 * next one's and arms trap_resume, so an expected fault resumes after it;
 * disarmed after the instruction either way.
 * Use it once per asm statement; add the operands and clobbers. */
#define PROBE_ASM(insn)                                                                            \
  "movl $1f, probe_fault_eip\n\t"                                                                  \
  "movl $2f, probe_next_eip\n\t"                                                                   \
  "movl $2f, trap_resume\n"                                                                        \
  "1:\t" insn "\n"                                                                                 \
  "2:\n\t"                                                                                         \
  "movl $0, trap_resume\n\t"

typedef void (*trap_handler)(struct trap_frame *f);

void desc_init(void);  /* GDT, IDT, TSS; reloads the segment registers */
void gdt_set_segment(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void gdt_set_gate(int index, uint16_t sel, uint32_t offset, uint8_t type, int dpl, int params);
void idt_set_gate(int vector, uint16_t sel, uint32_t offset, uint8_t type, int dpl);
/* Points the vector back at the common entry, as a gate of this type and DPL. */
void idt_set_stub(int vector, uint8_t type, int dpl);
void trap_set_handler(int vector, trap_handler fn);
/* Arms a probe by hand (for code that is not one instruction). */
void trap_expect(uint32_t resume_eip);
uint32_t tss_esp0(void); /* the ring-0 stack top in the TSS */

/* Runs fn at CPL 3 on the stack user_esp (IRET); fn ends with
 * ring3_exit(value), which makes ring3_call return value. */
uint32_t ring3_call(void (*fn)(void), uint32_t user_esp);
__attribute__((noreturn)) void ring3_return(uint32_t value); /* CPL 0 only */

static inline __attribute__((noreturn)) void ring3_exit(uint32_t value) {
  __asm__ volatile("int $0x81" : : "a"(value) : "memory");
  __builtin_unreachable();
}

/* ---- printing and checks (printf.c, check.c) --------------------------------- */

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Each check prints one line: "  ok   what" or "  FAIL what: got .., want ..". */
void check_eq(const char *what, uint32_t got, uint32_t want);
void check_true(const char *what, int ok);
extern int check_failures;
extern int check_total;
/* Prints "NAME: PASS (N checks)" and exits with verdict 0, or
 * "NAME: FAIL (K of N checks)" and verdict 1. */
__attribute__((noreturn)) void check_done(const char *name);
/* The last probe (PROBE_ASM) took exactly one #PF since trap_count was
 * `before`, with this error code and CR2, returning to the instruction:
 * five checks, printed under "  what:". */
void check_pf(const char *what, uint32_t before, uint32_t error, uint32_t cr2);

/* 2-level paging, 4 KiB pages: pt[k] maps the k-th 4 MiB of physical
 * memory one to one (P W) and pd[k] points at it, for k < n. */
void paging_identity_4k(volatile uint32_t *pd, volatile uint32_t (*pt)[1024], uint32_t n);

/* ---- instructions --------------------------------------------------------- */

static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void invlpg(const volatile void *p) { __asm__ volatile("invlpg (%0)" : : "r"(p) : "memory"); }

static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "2"(0));
}
static inline uint16_t read_cs(void) { uint16_t v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline uint16_t read_ds(void) { uint16_t v; __asm__ volatile("mov %%ds, %0" : "=r"(v)); return v; }
static inline uint16_t read_ss(void) { uint16_t v; __asm__ volatile("mov %%ss, %0" : "=r"(v)); return v; }
static inline uint32_t read_esp(void) { uint32_t v; __asm__ volatile("mov %%esp, %0" : "=r"(v)); return v; }
static inline uint32_t read_eflags(void) { uint32_t v; __asm__ volatile("pushfl; popl %0" : "=r"(v)); return v; }

#endif
