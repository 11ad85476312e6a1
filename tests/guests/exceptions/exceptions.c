/* tests/guests/exceptions/exceptions.c - exceptions through the IDT.
 *
 * Raises #DE #UD #BP #OF #BR #GP #NP #SS at ring 0 and checks that each
 * arrives through its IDT gate with the right vector, error code and
 * return EIP: the faulting instruction for faults (#DE #UD #BR #GP #NP #SS),
 * the next instruction for traps (#BP #OF), with the faulting instruction
 * having changed nothing (SDM vol. 3, 6.5 and 6.15). Both runners. The
 * rights and limits of data accesses are in segcheck/ (ringlab only).
 */
#include "x86.h"

#define IDX_NOT_PRESENT 6  /* writable data segment, P=0 */
#define IDX_EXEC_ONLY 7    /* code segment, not readable */
#define SEL(idx) ((idx) << 3)
#define SEL_BEYOND_GDT 0x1F8 /* index 63 of a 16-entry GDT */

static void arm(void) {
  trap_last.vector = 0xFFFFFFFFu;
  trap_last.error = 0xFFFFFFFFu;
}

/* Vector, error code, return EIP (fault: the instruction; trap: after it). */
static void expect_trap(const char *name, uint32_t vector, uint32_t error, int is_fault, uint32_t before) {
  char what[64];
  const char *parts[] = {" vector", " error code", " return EIP", " CS", " taken once"};
  uint32_t got[] = {trap_last.vector, trap_last.error, trap_last.eip, trap_last.cs, trap_count - before};
  uint32_t want[] = {vector, error, is_fault ? probe_fault_eip : probe_next_eip, SEL_KCODE, 1};
  for (int k = 0; k < 5; k++) {
    int n = 0;
    for (const char *s = name; *s && n < 40; s++)
      what[n++] = *s;
    for (const char *s = parts[k]; *s && n < 63; s++)
      what[n++] = *s;
    what[n] = 0;
    check_eq(what, got[k], want[k]);
  }
}

static void test_de(void) {
  uint32_t before = trap_count, eax = 1234, edx = 0;
  arm();
  __asm__ volatile(PROBE_ASM("divl %2") : "+a"(eax), "+d"(edx) : "r"(0u) : "memory");
  expect_trap("#DE (div by 0)", VEC_DE, 0, 1, before);
  check_eq("#DE left EAX unchanged", eax, 1234);
}

static void test_ud(void) {
  uint32_t before = trap_count;
  arm();
  __asm__ volatile(PROBE_ASM("ud2") : : : "memory");
  expect_trap("#UD (ud2)", VEC_UD, 0, 1, before);
}

static void test_bp(void) {
  uint32_t before = trap_count;
  arm();
  __asm__ volatile(PROBE_ASM("int3") : : : "memory");
  expect_trap("#BP (int3)", VEC_BP, 0, 0, before);
}

static void test_of(void) {
  uint32_t before = trap_count;
  uint32_t x = 0x7FFFFFFF;
  __asm__ volatile("addl $1, %0\n\t" PROBE_ASM("into") : "+r"(x) : : "memory", "cc");
  expect_trap("#OF (into, OF=1)", VEC_OF, 0, 0, before);
  before = trap_count;
  x = 1;
  trap_expect(0);
  __asm__ volatile("addl $1, %0\n\tinto" : "+r"(x) : : "memory", "cc");
  check_eq("into with OF=0 does not trap", trap_count - before, 0);
}

static void test_br(void) {
  static int32_t bounds[2] = {10, 20};
  uint32_t before = trap_count;
  int32_t index = 21;
  arm();
  __asm__ volatile(PROBE_ASM("boundl %0, %1") : : "r"(index), "m"(bounds) : "memory");
  expect_trap("#BR (bound 21 in [10,20])", VEC_BR, 0, 1, before);
  before = trap_count;
  index = 20;
  trap_expect(0);
  __asm__ volatile("boundl %0, %1" : : "r"(index), "m"(bounds) : "memory");
  check_eq("bound 20 in [10,20] does not trap", trap_count - before, 0);
}

/* Loads sel into a segment register (asm text "mov %0, %%ds" etc.). */
#define LOAD_SEG(insn, sel) __asm__ volatile(PROBE_ASM(insn) : : "r"((uint32_t)(sel)) : "memory")

static void test_gp(void) {
  uint32_t before = trap_count;
  arm();
  LOAD_SEG("mov %0, %%ds", SEL_BEYOND_GDT);
  expect_trap("#GP (DS <- selector beyond GDT limit)", VEC_GP, SEL_BEYOND_GDT, 1, before);
  check_eq("DS unchanged after #GP", read_ds(), SEL_KDATA);

  before = trap_count;
  arm();
  LOAD_SEG("mov %0, %%es", SEL(IDX_EXEC_ONLY));
  expect_trap("#GP (ES <- execute-only code)", VEC_GP, SEL(IDX_EXEC_ONLY), 1, before);

  before = trap_count;
  arm();
  LOAD_SEG("mov %0, %%ss", 0);
  expect_trap("#GP (SS <- null)", VEC_GP, 0, 1, before);
}

static void test_np(void) {
  uint32_t before = trap_count;
  arm();
  LOAD_SEG("mov %0, %%ds", SEL(IDX_NOT_PRESENT));
  expect_trap("#NP (DS <- not-present segment)", VEC_NP, SEL(IDX_NOT_PRESENT), 1, before);
}

static void test_ss(void) {
  uint32_t before = trap_count;
  arm();
  LOAD_SEG("mov %0, %%ss", SEL(IDX_NOT_PRESENT));
  expect_trap("#SS (SS <- not-present segment)", VEC_SS, SEL(IDX_NOT_PRESENT), 1, before);
  check_eq("SS unchanged after #SS", read_ss(), SEL_KDATA);
}

static void test_soft_int(void) {
  uint32_t before = trap_count;
  arm();
  __asm__ volatile(PROBE_ASM("int $0x40") : : : "memory");
  expect_trap("int $0x40", 0x40, 0, 0, before);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  gdt_set_segment(IDX_NOT_PRESENT, 0, 0xFFFFF, SEG_S | SEG_WRITE, SEG_G | SEG_D);
  gdt_set_segment(IDX_EXEC_ONLY, 0, 0xFFFFF, SEG_P | SEG_S | SEG_CODE, SEG_G | SEG_D);
  kprintf("exceptions: each through its IDT gate with vector, error code, return EIP\n");
  test_de();
  test_ud();
  test_bp();
  test_of();
  test_br();
  test_gp();
  test_np();
  test_ss();
  test_soft_int();
  check_done("exceptions");
}
