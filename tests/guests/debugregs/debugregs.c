/* tests/guests/debugregs/debugregs.c - the debug registers and EFLAGS.TF/RF
 * at ring 0 (SDM vol. 3, 17.2-17.3).
 *
 * Checked: single-step traps (DR6.BS) after every instruction that began
 * with TF set, POPF that clears it included, with the address of the next
 * instruction and TF clear in the handler; an instruction breakpoint (DR0,
 * execute) that faults before the instruction with B0, is resumed with RF
 * set in the frame, and hits again on the next pass (RF cleared after one
 * instruction); a write breakpoint (DR1, 4 bytes) that traps after writes
 * into its range (one that overlaps it from below included) and not after
 * reads or a write beside it; a read/write
 * breakpoint (DR2) that traps after a read; DR6/DR7 fixed bits. The #DB
 * handler logs each #DB's return EIP, EFLAGS image and DR6, then clears
 * DR6. Both runners (QEMU models breakpoints, TF and RF). General detect is
 * in debuggd/ (QEMU does not model DR7.GD).
 */
#include "x86.h"

#define EFLAGS_TF 0x100u
#define EFLAGS_RF 0x10000u
#define DR6_FIXED 0xFFFF0FF0u
#define DR6_BS 0x4000u
#define LOG_MAX 16

static volatile uint32_t db_count;
static volatile uint32_t db_eip[LOG_MAX], db_eflags[LOG_MAX], db_dr6[LOG_MAX];
static volatile int db_set_rf; /* the handler sets RF in the frame */

static volatile uint32_t watched[4] __attribute__((aligned(16)));

static inline uint32_t read_dr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static inline uint32_t read_dr7(void) { uint32_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static inline void write_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v)); }
static inline void write_dr7(uint32_t v) { __asm__ volatile("mov %0, %%dr7" : : "r"(v) : "memory"); }
static inline void write_dr0(uint32_t v) { __asm__ volatile("mov %0, %%dr0" : : "r"(v)); }
static inline void write_dr1(uint32_t v) { __asm__ volatile("mov %0, %%dr1" : : "r"(v)); }
static inline void write_dr2(uint32_t v) { __asm__ volatile("mov %0, %%dr2" : : "r"(v)); }

static void on_db(struct trap_frame *f) {
  uint32_t k = db_count++;
  if (k < LOG_MAX) {
    db_eip[k] = f->eip;
    db_eflags[k] = f->eflags;
    db_dr6[k] = read_dr6();
  }
  write_dr6(0);
  if (db_set_rf)
    f->eflags |= EFLAGS_RF;
}

static void reset_log(void) {
  db_count = 0;
  db_set_rf = 0;
  write_dr6(0);
}

/* Addresses of the labels in the asm blocks below. */
extern char ss_1[], ss_2[], ss_3[], ss_4[], ss_5[];
extern char bp_at[];
extern char wr_1[], wr_2[], wr_3[];
extern char ed_1[], ed_2[];
extern char rw_1[], rw_2[];

static void test_single_step(void) {
  reset_log();
  uint32_t scratch = 0;
  __asm__ volatile("pushfl\n\t"
                   "orl $0x100, (%%esp)\n\t"
                   "popfl\n"            /* TF = 1: no trap after this one */
                   "ss_1:\tnop\n"       /* trap, EIP ss_2 */
                   "ss_2:\tincl %0\n"   /* trap, EIP ss_3 */
                   "ss_3:\tpushfl\n"    /* trap, EIP ss_4 */
                   "ss_4:\tandl $0xFFFFFEFF, (%%esp)\n"
                   "ss_5:\tpopfl\n"     /* TF was set when it began: trap */
                   "ss_6:\n\t"
                   ".globl ss_1, ss_2, ss_3, ss_4, ss_5, ss_6\n\t"
                   : "+r"(scratch)
                   :
                   : "memory", "cc");
  extern char ss_6[];
  const uint32_t want[] = {(uint32_t)ss_2, (uint32_t)ss_3, (uint32_t)ss_4, (uint32_t)ss_5, (uint32_t)ss_6};
  check_eq("single step: one trap per instruction", db_count, 5);
  for (unsigned k = 0; k < 5 && k < db_count; k++) {
    check_eq("single step: return EIP is the next instruction", db_eip[k], want[k]);
    check_eq("single step: DR6 = BS", db_dr6[k] & 0xE00F, DR6_BS);
  }
  check_eq("single step: TF in the frame until POPF cleared it", db_eflags[3] & EFLAGS_TF, EFLAGS_TF);
  check_eq("single step: the last frame has TF clear", db_eflags[4] & EFLAGS_TF, 0);
  check_eq("single step: TF is clear now", read_eflags() & EFLAGS_TF, 0);
  check_eq("single step: the body ran once", scratch, 1);
}

static void test_instruction_breakpoint(void) {
  reset_log();
  db_set_rf = 1;
  write_dr0((uint32_t)bp_at);
  write_dr7(0x401); /* L0, R/W0 = execute, LEN0 = 1 */
  uint32_t n = 0, loops = 2;
  __asm__ volatile("1:\n"
                   "bp_at:\tincl %0\n\t"
                   "decl %1\n\t"
                   "jnz 1b\n\t"
                   ".globl bp_at\n\t"
                   : "+r"(n), "+r"(loops)
                   :
                   : "memory", "cc");
  write_dr7(0x400);
  check_eq("instruction breakpoint: one fault per pass", db_count, 2);
  check_eq("instruction breakpoint: the instruction ran each pass", n, 2);
  for (unsigned k = 0; k < 2 && k < db_count; k++) {
    check_eq("instruction breakpoint: EIP is the instruction", db_eip[k], (uint32_t)bp_at);
    check_eq("instruction breakpoint: DR6 = B0", db_dr6[k] & 0xE00F, 0x1);
    check_eq("instruction breakpoint: RF 0 in the frame", db_eflags[k] & EFLAGS_RF, 0);
  }
  check_eq("instruction breakpoint: RF clear after the resumed instruction", read_eflags() & EFLAGS_RF, 0);
}

static void test_write_breakpoint(void) {
  reset_log();
  write_dr1((uint32_t)&watched[1] + 2); /* aligned down to &watched[1] by LEN 4 */
  write_dr7(0x400 | (1u << 2) | (1u << 20) | (3u << 22)); /* L1, write, 4 bytes */
  uint32_t v;
  __asm__ volatile("movl $5, 4(%1)\n"        /* into the range: trap, EIP wr_1 */
                   "wr_1:\tmovl 4(%1), %0\n" /* a read: nothing */
                   "wr_2:\tmovb $1, 7(%1)\n" /* its last byte: trap, EIP wr_3 */
                   "wr_3:\n\t"
                   ".globl wr_1, wr_2, wr_3\n\t"
                   : "=&r"(v)
                   : "r"(watched)
                   : "memory");
  write_dr7(0x400);
  check_eq("write breakpoint: traps after two writes", db_count, 2);
  const uint32_t want[] = {(uint32_t)wr_1, (uint32_t)wr_3};
  for (unsigned k = 0; k < 2 && k < db_count; k++) {
    check_eq("write breakpoint: EIP after the writing instruction", db_eip[k], want[k]);
    check_eq("write breakpoint: DR6 = B1", db_dr6[k] & 0xE00F, 0x2);
  }
  check_eq("write breakpoint: the read saw the value", v, 5);
}

/* The edges of a range: a write to the byte after it does not hit, a dword
 * write that overlaps its first bytes from below does (SDM vol. 3,
 * 17.2.5: any byte of the access in the range). Apart from the writes
 * above: QEMU 7.2 gave the trap of the overlapping write one instruction
 * early (at it, not after it) when these followed the byte write at the
 * range's end with no other instruction between; alone they pass there. */
static void test_write_breakpoint_edges(void) {
  reset_log();
  write_dr1((uint32_t)&watched[1]);
  write_dr7(0x400 | (1u << 2) | (1u << 20) | (3u << 22));
  __asm__ volatile("movb $1, 8(%0)\n"        /* beside it: nothing */
                   "ed_1:\tmovl $7, 2(%0)\n" /* bytes 2-5, overlapping 4-5: trap, EIP ed_2 */
                   "ed_2:\n\t"
                   ".globl ed_1, ed_2\n\t"
                   :
                   : "r"(watched)
                   : "memory");
  write_dr7(0x400);
  check_eq("write breakpoint edges: one trap", db_count, 1);
  check_eq("write breakpoint edges: after the overlapping write", db_eip[0], (uint32_t)ed_2);
}

static void test_read_write_breakpoint(void) {
  reset_log();
  watched[3] = 0x1234;
  write_dr2((uint32_t)&watched[3]);
  write_dr7(0x400 | (1u << 4) | (3u << 24) | (3u << 26)); /* L2, read/write, 4 bytes */
  uint32_t v;
  __asm__ volatile("movl 12(%1), %0\n" /* a read: trap, EIP rw_1 */
                   "rw_1:\tmovl 8(%1), %0\n"
                   "rw_2:\n\t"
                   ".globl rw_1, rw_2\n\t"
                   : "=&r"(v)
                   : "r"(watched)
                   : "memory");
  write_dr7(0x400);
  check_eq("read/write breakpoint: one trap, after the read", db_count, 1);
  check_eq("read/write breakpoint: EIP after it", db_eip[0], (uint32_t)rw_1);
  check_eq("read/write breakpoint: DR6 = B2", db_dr6[0] & 0xE00F, 0x4);
}

static void test_fixed_bits(void) {
  write_dr6(0);
  write_dr7(0);
  check_eq("DR6 written 0 reads FFFF0FF0", read_dr6(), DR6_FIXED);
  check_eq("DR7 written 0 reads 400", read_dr7(), 0x400);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  trap_set_handler(VEC_DB, on_db);
  kprintf("debugregs: single step, breakpoints, RF\n");
  test_fixed_bits();
  test_single_step();
  test_instruction_breakpoint();
  test_write_breakpoint();
  test_read_write_breakpoint();
  test_write_breakpoint_edges();
  check_done("debugregs");
}
