/* tests/guests/segcheck/segcheck.c - segment rights and limits on data
 * accesses (SDM vol. 3, 5.3 and 5.4): a write through a read-only data
 * segment, an access past the limit of an expand-up and inside the
 * invalid range of an expand-down segment, through a null selector, and
 * past the limit of SS. Each is #GP(0) (#SS(0) for SS) and changes nothing.
 *
 * ringlab only: QEMU's TCG does not check segment rights or limits on data
 * accesses in protected mode (this kernel fails there; see the manifest).
 */
#include "x86.h"

#define IDX_READ_ONLY 6   /* base 0, 4 GiB, data, not writable */
#define IDX_SMALL 7       /* base &window, limit 0xFFF bytes, writable */
#define IDX_EXPDOWN 8     /* base &window, expand-down, limit 0xFFF, B=1 */
#define IDX_SMALL_STACK 9 /* base 0, limit just above the boot stack */
#define SEL(idx) ((idx) << 3)

static uint8_t window[0x2000] __attribute__((aligned(4096)));

static void expect_fault(const char *what, uint32_t vector, uint32_t before) {
  kprintf("  %s:\n", what);
  check_eq("    vector", trap_last.vector, vector);
  check_eq("    error code", trap_last.error, 0);
  check_eq("    return EIP is the instruction", trap_last.eip, probe_fault_eip);
  check_eq("    taken once", trap_count - before, 1);
}

static void arm(void) { trap_last.vector = 0xFFFFFFFFu; }

static void test_read_only(void) {
  static volatile uint32_t cell = 5;
  uint32_t before = trap_count;
  arm();
  __asm__ volatile("mov %1, %%fs\n\t" PROBE_ASM("movl $7, %%fs:(%0)")
                   : : "r"(&cell), "r"((uint32_t)SEL(IDX_READ_ONLY)) : "memory");
  __asm__ volatile("mov %0, %%fs" : : "r"((uint32_t)SEL_KDATA));
  expect_fault("#GP(0): write through a read-only data segment", VEC_GP, before);
  check_eq("    the write did not happen", cell, 5);
}

static uint32_t read_fs(uint32_t offset, uint32_t sel) {
  uint32_t v = 0xEEEEEEEEu;
  __asm__ volatile("mov %2, %%fs\n\t" PROBE_ASM("movl %%fs:(%1), %0") "mov %3, %%fs"
                   : "+r"(v) : "r"(offset), "r"(sel), "r"((uint32_t)SEL_KDATA) : "memory");
  return v;
}

static void test_limits(void) {
  window[0xFFC] = 0x11;
  uint32_t before = trap_count;
  trap_expect(0);
  uint32_t v = read_fs(0xFFC, SEL(IDX_SMALL));
  trap_resume = 0;
  check_eq("dword at the last 4 bytes of a 4 KiB segment reads", v & 0xFF, 0x11);
  check_eq("    no fault", trap_count - before, 0);

  before = trap_count;
  arm();
  read_fs(0xFFD, SEL(IDX_SMALL));
  expect_fault("#GP(0): dword straddling the limit (offset 0xFFD, limit 0xFFF)", VEC_GP, before);

  before = trap_count;
  arm();
  read_fs(0x1000, SEL(IDX_SMALL));
  expect_fault("#GP(0): offset 0x1000 past the limit 0xFFF", VEC_GP, before);

  before = trap_count;
  arm();
  read_fs(0x800, SEL(IDX_EXPDOWN));
  expect_fault("#GP(0): offset 0x800 in an expand-down segment with limit 0xFFF", VEC_GP, before);

  window[0x1000] = 0x22;
  before = trap_count;
  v = read_fs(0x1000, SEL(IDX_EXPDOWN));
  trap_resume = 0;
  check_eq("expand-down: offset 0x1000 (limit + 1) reads", v & 0xFF, 0x22);
  check_eq("    no fault", trap_count - before, 0);

  before = trap_count;
  arm();
  read_fs((uint32_t)window, 0);
  expect_fault("#GP(0): access through a null selector", VEC_GP, before);
}

static void test_stack_limit(void) {
  uint32_t esp = read_esp();
  uint32_t limit_pages = (esp >> 12) + 1; /* SS covers [0, esp rounded up + 4 KiB) */
  gdt_set_segment(IDX_SMALL_STACK, 0, limit_pages, SEG_P | SEG_S | SEG_WRITE, SEG_G | SEG_D);
  uint32_t past = (limit_pages + 1) << 12; /* first byte past the limit */
  uint32_t before = trap_count;
  arm();
  __asm__ volatile("mov %1, %%ss\n\t" PROBE_ASM("movl %%ss:(%0), %%eax") "mov %2, %%ss"
                   : : "r"(past), "r"((uint32_t)SEL(IDX_SMALL_STACK)), "r"((uint32_t)SEL_KDATA)
                   : "eax", "memory");
  expect_fault("#SS(0): SS-relative read past the SS limit", VEC_SS, before);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  gdt_set_segment(IDX_READ_ONLY, 0, 0xFFFFF, SEG_P | SEG_S, SEG_G | SEG_D);
  gdt_set_segment(IDX_SMALL, (uint32_t)window, 0xFFF, SEG_P | SEG_S | SEG_WRITE, SEG_D);
  gdt_set_segment(IDX_EXPDOWN, (uint32_t)window, 0xFFF, SEG_P | SEG_S | SEG_WRITE | SEG_EXPDOWN, SEG_D);
  kprintf("segcheck: rights and limits of data segments\n");
  test_read_only();
  test_limits();
  test_stack_limit();
  check_done("segcheck");
}
