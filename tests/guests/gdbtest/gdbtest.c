/* tests/guests/gdbtest/gdbtest.c - the kernel the gdb stub's test drives
 * (tests/machine/check-gdb.sh, Debian's gdb in batch mode); alone it is an
 * ordinary test kernel (both runners).
 *
 *   - check_point(n) is called ten times: a breakpoint's place;
 *   - 4 KiB paging maps linear 0x40000000 to alias_page (elsewhere in
 *     physical memory): gdb reads memory through the page tables;
 *   - watched_value is written once, after paging is on: a watchpoint;
 *   - the verdict on port 0xf4.
 */
#include "x86.h"

#define ALIAS 0x40000000u

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[2][1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_alias[1024] __attribute__((aligned(4096)));
volatile uint32_t alias_page[1024] __attribute__((aligned(4096)));
volatile uint32_t counter;
volatile uint32_t watched_value;

__attribute__((noinline)) void check_point(uint32_t n) {
  counter += n;
  __asm__ volatile("" ::: "memory");
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("gdbtest: breakpoints, stepping, memory through page tables, a watchpoint\n");
  for (uint32_t k = 0; k < 10; k++)
    check_point(k);
  alias_page[0] = 0x424C4152u; /* "RLAB" */
  alias_page[1] = 0xC0DEF00Du;
  for (uint32_t k = 0; k < 2 * 1024; k++)
    pt_low[k / 1024][k % 1024] = (k << 12) | PTE_P | PTE_W;
  pt_alias[0] = (uint32_t)alias_page | PTE_P | PTE_W;
  pd[0] = (uint32_t)pt_low[0] | PTE_P | PTE_W;
  pd[1] = (uint32_t)pt_low[1] | PTE_P | PTE_W;
  pd[ALIAS >> 22] = (uint32_t)pt_alias | PTE_P | PTE_W;
  write_cr3((uint32_t)pd);
  write_cr0(read_cr0() | CR0_PG);
  uint32_t through_alias = *(volatile uint32_t *)ALIAS;
  watched_value = 0x1234;
  write_cr0(read_cr0() & ~CR0_PG);
  check_eq("check_point called ten times", counter, 45);
  check_eq("the alias reads alias_page", through_alias, 0x424C4152u);
  check_eq("watched_value written", watched_value, 0x1234);
  check_done("gdbtest");
}
