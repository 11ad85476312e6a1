/* tests/guests/debuggd/debuggd.c - DR7.GD, general detect (SDM vol. 3,
 * 17.2.4): with GD set, a MOV from or to a debug register is a #DB fault
 * at the MOV (EIP at it, RF = 1 in the frame: a fault-class #DB), DR6.BD
 * set; entering the handler clears GD, so the handler itself may use the
 * debug registers, and the IRET re-runs the MOV, which then succeeds.
 * ringlab only: QEMU 7.2's TCG does not model general detect.
 */
#include "x86.h"

#define EFLAGS_RF 0x10000u
#define DR6_BD 0x2000u
#define DR7_GD 0x2000u

static volatile uint32_t db_count, db_eip, db_eflags, db_dr6, db_dr7;

static inline uint32_t read_dr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static inline uint32_t read_dr7(void) { uint32_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static inline void write_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v)); }
static inline void write_dr7(uint32_t v) { __asm__ volatile("mov %0, %%dr7" : : "r"(v) : "memory"); }

static void on_db(struct trap_frame *f) {
  db_count++;
  db_eip = f->eip;
  db_eflags = f->eflags;
  db_dr7 = read_dr7(); /* GD already clear: no second #DB */
  db_dr6 = read_dr6();
  write_dr6(0);
}

extern char gd_mov[];

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  trap_set_handler(VEC_DB, on_db);
  kprintf("debuggd: general detect\n");
  __asm__ volatile("mov %0, %%dr0" : : "r"(0x12345678u));
  write_dr6(0);
  write_dr7(0x400 | DR7_GD);
  uint32_t v;
  __asm__ volatile("gd_mov:\tmov %%dr0, %0\n\t"
                   ".globl gd_mov\n\t"
                   : "=r"(v)
                   :
                   : "memory");
  check_eq("general detect: one #DB", db_count, 1);
  check_eq("general detect: EIP is the MOV", db_eip, (uint32_t)gd_mov);
  check_eq("general detect: RF 1 in the frame", db_eflags & EFLAGS_RF, EFLAGS_RF);
  check_eq("general detect: DR6 = BD", db_dr6 & 0xE00F, DR6_BD);
  check_eq("general detect: GD clear in the handler", db_dr7 & DR7_GD, 0);
  check_eq("general detect: the MOV ran after the return", v, 0x12345678u);
  check_eq("general detect: GD stays clear", read_dr7() & DR7_GD, 0);
  check_done("debuggd");
}
