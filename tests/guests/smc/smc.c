/* tests/guests/smc/smc.c - self-modifying code in protected mode.
 *
 * A store into code that has already run, or into the very next
 * instruction, is seen by the next fetch: from the P6 on, the processor
 * snoops stores against its prefetch queue and code cache by physical
 * address (SDM vol. 3, 11.6 "Self-Modifying Code"). Checked: patching an
 * immediate of a function already executed; the next instruction in the
 * same straight-line block (immediate, then opcode); a loop that patches
 * its own body each iteration; a store through a data segment with another
 * base (same physical bytes, other offset); REP MOVSB copying a new body
 * over a function. Both runners.
 */
#include "x86.h"

#define IDX_ALIAS 6 /* data segment, base 0x1000: code at X is at offset X - 0x1000 */
#define ALIAS_BASE 0x1000

/* Code we patch lives in .text (writable: segmentation only, no paging). */
__asm__(".text\n"
        ".globl smc_func\n"
        "smc_func:\n\t"
        "movl $0x11111111, %eax\n\t"
        "ret\n"
        ".globl smc_func_end\n"
        "smc_func_end:\n"
        ".globl smc_other\n"
        "smc_other:\n\t"
        "movl $0x44444444, %eax\n\t"
        "addl $0x10, %eax\n\t"
        "ret\n"
        ".globl smc_other_end\n"
        "smc_other_end:\n");
uint32_t smc_func(void);
extern char smc_func_end[];
uint32_t smc_other(void);
extern char smc_other_end[];

#define IMM_OFFSET 1 /* B8 imm32: the immediate of movl $imm, %eax */

static void patch_imm(uint32_t value) {
  volatile uint8_t *p = (volatile uint8_t *)smc_func + IMM_OFFSET;
  for (int k = 0; k < 4; k++)
    p[k] = (uint8_t)(value >> (8 * k));
}

static void test_patch_function(void) {
  check_eq("smc_func before patching", smc_func(), 0x11111111);
  patch_imm(0x22222222);
  check_eq("smc_func after patching its immediate", smc_func(), 0x22222222);
  patch_imm(0x33333333);
  check_eq("smc_func after a second patch", smc_func(), 0x33333333);
}

static void test_next_instruction(void) {
  uint32_t eax;
  __asm__ volatile("movl $0x5A5A5A5A, 1f+1\n"
                   "1:\tmovl $0x11111111, %0"
                   : "=a"(eax)
                   :
                   : "memory");
  check_eq("patched immediate of the very next instruction", eax, 0x5A5A5A5A);
  /* opcode: INC EAX (40) becomes DEC EAX (48) right before it executes */
  eax = 10;
  __asm__ volatile("movb $0x48, 1f\n"
                   "1:\tincl %0\n\t"
                   "nop"
                   : "+a"(eax)
                   :
                   : "memory", "cc");
  check_eq("patched opcode of the very next instruction (inc -> dec)", eax, 9);
}

/* Each pass adds the immediate and then increments the immediate in its own code. */
static void test_loop(void) {
  uint32_t sum = 0;
  __asm__ volatile("movl $0, 1f+1\n\t"
                   "movl $5, %%ecx\n"
                   "2:\n"
                   "1:\tmovl $0, %%edx\n\t"
                   "addl %%edx, %0\n\t"
                   "incl 1b+1\n\t"
                   "loop 2b"
                   : "+r"(sum)
                   :
                   : "ecx", "edx", "memory", "cc");
  check_eq("loop patching its own body: 0+1+2+3+4", sum, 10);
}

static void test_alias_segment(void) {
  uint32_t off = (uint32_t)smc_func + IMM_OFFSET - ALIAS_BASE;
  __asm__ volatile("mov %1, %%es\n\t"
                   "movl $0x77777777, %%es:(%0)\n\t"
                   "mov %2, %%es"
                   :
                   : "r"(off), "r"((uint32_t)(IDX_ALIAS << 3)), "r"((uint32_t)SEL_KDATA)
                   : "memory");
  check_eq("patched through a data segment with another base", smc_func(), 0x77777777);
}

static void test_rep_movsb(void) {
  check_eq("smc_other before the copy", smc_other(), 0x44444454);
  uint32_t n = (uint32_t)(smc_other_end - (char *)smc_other);
  /* copy smc_func's body (movl $0x77777777, %eax; ret) over smc_other */
  uint32_t len = (uint32_t)(smc_func_end - (char *)smc_func);
  check_true("smc_func fits in smc_other", len <= n);
  __asm__ volatile("cld\n\trep movsb"
                   : "+S"((const void *){(const void *)smc_func}), "+D"((void *){(void *)smc_other}), "+c"(len)
                   :
                   : "memory");
  check_eq("smc_other after REP MOVSB of smc_func over it", smc_other(), 0x77777777);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  gdt_set_segment(IDX_ALIAS, ALIAS_BASE, 0xFFFFF, SEG_P | SEG_S | SEG_WRITE, SEG_G | SEG_D);
  kprintf("smc: stores into code are seen by the next fetch\n");
  test_patch_function();
  test_next_instruction();
  test_loop();
  test_alias_segment();
  test_rep_movsb();
  check_done("smc");
}
