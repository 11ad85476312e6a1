/* tests/guests/countcheck/countcheck.c - the exact-count kernel of issue 3
 * (section 5): known numbers of architectural events, for the counters to
 * report exactly.
 *
 *   setup   desc_init; 4 KiB paging identity-maps 0-8 MiB: one MOV to CR3
 *           before CR0.PG is set (cr3_write 1);
 *   M       CR3 loads (MOV CR3 with the same page directory), each followed
 *           by an INVLPG of a data page and a read through it;
 *   N       INT 0x80 round trips from ring 3 through a DPL-3 trap gate, each
 *           returning with IRET;
 *   then    ring3_exit (INT 0x81 from ring 3), paging off, the verdict.
 *
 * So the run's --stats must say, exactly (check-counts.sh, ctest
 * guest_countcheck_counts): softint.128 = N, softint.129 = 1,
 * ring.3to0 = N + 1, ring.0to3 = N + 1 (ring3_call's IRET and the N
 * IRETs), cr3_write = M + 1, invlpg = M, tlb_flush.cr3 = M + 1,
 * tlb_flush.invlpg = M, and no exception at all. The kernel checks its own
 * side (handler calls, results) and reports the verdict. ringlab only: the
 * counters are ringlab's --stats.
 */
#include "x86.h"

#define N_SYSCALLS 1000 /* N: INT 0x80 round trips (check-counts.sh) */
#define M_CR3_LOADS 250 /* M: CR3 loads, each followed by an INVLPG */
#define SYSCALL_VECTOR 0x80
#define USER_STACK_BYTES 4096

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[2][1024] __attribute__((aligned(4096)));
static volatile uint32_t data_page[1024] __attribute__((aligned(4096)));
static uint8_t user_stack[USER_STACK_BYTES] __attribute__((aligned(16)));

static volatile uint32_t sys_calls, sys_bad_cpl, user_sum;

static void syscall_handler(struct trap_frame *f) {
  sys_calls++;
  if ((read_cs() & 3) != 0 || (f->cs & 3) != 3)
    sys_bad_cpl++;
  f->eax = f->eax + 1;
}

static void user_main(void) {
  uint32_t sum = 0;
  for (uint32_t k = 0; k < N_SYSCALLS; k++) {
    uint32_t eax = k;
    __asm__ volatile("int $0x80" : "+a"(eax) : : "memory");
    sum += eax - k; /* 1 per call */
  }
  user_sum = sum;
  ring3_exit(0xC0C0);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  idt_set_stub(SYSCALL_VECTOR, SYS_TRAP_GATE32, 3);
  trap_set_handler(SYSCALL_VECTOR, syscall_handler);
  kprintf("countcheck: %u INT 0x80 round trips from ring 3, %u CR3 loads each with an INVLPG\n",
          N_SYSCALLS, M_CR3_LOADS);

  for (uint32_t k = 0; k < 2 * 1024; k++)
    pt_low[k / 1024][k % 1024] = (k << 12) | PTE_P | PTE_W | PTE_U;
  pd[0] = (uint32_t)pt_low[0] | PTE_P | PTE_W | PTE_U;
  pd[1] = (uint32_t)pt_low[1] | PTE_P | PTE_W | PTE_U;
  write_cr3((uint32_t)pd); /* the setup CR3 write */
  write_cr0(read_cr0() | CR0_PG);

  uint32_t seen = 0;
  data_page[0] = 0x5A5A5A5Au;
  for (uint32_t k = 0; k < M_CR3_LOADS; k++) {
    write_cr3((uint32_t)pd);
    invlpg(data_page);
    seen += data_page[0] == 0x5A5A5A5Au;
  }

  uint32_t r = ring3_call(user_main, (uint32_t)user_stack + USER_STACK_BYTES);
  write_cr0(read_cr0() & ~CR0_PG);

  check_eq("ring3_call came back with ring 3's value", r, 0xC0C0);
  check_eq("INT 0x80 handler calls", sys_calls, N_SYSCALLS);
  check_eq("calls not from ring 3 into ring 0", sys_bad_cpl, 0);
  check_eq("ring 3 saw every result", user_sum, N_SYSCALLS);
  check_eq("reads through the invalidated page", seen, M_CR3_LOADS);
  check_done("countcheck");
}
