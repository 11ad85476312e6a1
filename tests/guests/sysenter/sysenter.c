/* tests/guests/sysenter/sysenter.c - SYSENTER/SYSEXIT round trip (SDM vol.
 * 2B, SYSENTER and SYSEXIT).
 *
 * WRMSR sets IA32_SYSENTER_CS = 0x08, _ESP and _EIP. Ring 3 executes
 * SYSENTER with its ESP in ECX and the return address in EDX; the entry
 * runs with CS = 0x08, SS = 0x10 (CS + 8), ESP = IA32_SYSENTER_ESP and
 * IF = 0, and SYSEXIT returns to EDX with ESP = ECX, CS = 0x1B (CS + 16,
 * RPL 3), SS = 0x23 (CS + 24, RPL 3). Then the #GP(0) cases: SYSEXIT at
 * CPL 3, and SYSENTER with IA32_SYSENTER_CS = 0. Both runners.
 */
#include "x86.h"

#define USER_STACK_BYTES 4096
#define ENTRY_STACK_BYTES 4096

static uint8_t user_stack[USER_STACK_BYTES] __attribute__((aligned(16)));
static uint8_t entry_stack[ENTRY_STACK_BYTES] __attribute__((aligned(16)));

/* Written by sysenter_entry at CPL 0. */
volatile uint32_t entry_cs, entry_ss, entry_esp, entry_eflags, entry_calls;

__asm__(".text\n"
        ".globl sysenter_entry\n"
        "sysenter_entry:\n\t"
        "movl %cs, %eax\n\t"
        "movl %eax, entry_cs\n\t"
        "movl %ss, %eax\n\t"
        "movl %eax, entry_ss\n\t"
        "movl %esp, entry_esp\n\t"
        "pushfl\n\t"
        "popl entry_eflags\n\t"
        "incl entry_calls\n\t"
        "movl $0x5151, %eax\n\t"
        "sysexit\n");
void sysenter_entry(void);

static volatile uint32_t u_cpl_before, u_esp_before, u_esp_after, u_cs_after, u_ss_after, u_eax,
    u_ret_eip, u_landed_eip;
static volatile uint32_t sysexit_vec, sysexit_err, sysenter0_vec, sysenter0_err, sysenter0_eip,
    sysenter0_want_eip;

static void user_main(void) {
  u_cpl_before = read_cs() & 3;
  uint32_t esp_before, eax;
  __asm__ volatile("movl %%esp, %%ecx\n\t"
                   "movl %%ecx, %0\n\t"
                   "movl $1f, %%edx\n\t"
                   "movl %%edx, %2\n\t"
                   "sysenter\n"
                   "1:\tmovl $1b, %3"
                   : "=m"(esp_before), "=a"(eax), "=m"(u_ret_eip), "=m"(u_landed_eip)
                   :
                   : "ecx", "edx", "memory");
  u_esp_after = read_esp();
  u_cs_after = read_cs();
  u_ss_after = read_ss();
  u_esp_before = esp_before;
  u_eax = eax;

  trap_last.vector = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_ASM("sysexit") : : : "memory");
  sysexit_vec = trap_last.vector;
  sysexit_err = trap_last.error;
  ring3_exit(0);
}

/* Ring 3 again, after ring 0 set IA32_SYSENTER_CS = 0. */
static void user_sysenter_null_cs(void) {
  trap_last.vector = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_ASM("sysenter") : : : "memory");
  sysenter0_vec = trap_last.vector;
  sysenter0_err = trap_last.error;
  sysenter0_eip = trap_last.eip;
  sysenter0_want_eip = probe_fault_eip;
  ring3_exit(0);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("sysenter: ring 3 -> SYSENTER -> ring 0 -> SYSEXIT -> ring 3\n");
  uint32_t esp_top = (uint32_t)entry_stack + ENTRY_STACK_BYTES;
  wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
  wrmsr(MSR_SYSENTER_ESP, esp_top);
  wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_entry);
  check_eq("RDMSR IA32_SYSENTER_CS", (uint32_t)rdmsr(MSR_SYSENTER_CS), SEL_KCODE);
  check_eq("RDMSR IA32_SYSENTER_ESP", (uint32_t)rdmsr(MSR_SYSENTER_ESP), esp_top);
  check_eq("RDMSR IA32_SYSENTER_EIP", (uint32_t)rdmsr(MSR_SYSENTER_EIP), (uint32_t)sysenter_entry);

  ring3_call(user_main, (uint32_t)user_stack + USER_STACK_BYTES);
  check_eq("caller ran at CPL 3", u_cpl_before, 3);
  check_eq("entry ran once", entry_calls, 1);
  check_eq("entry CS = IA32_SYSENTER_CS", entry_cs, SEL_KCODE);
  check_eq("entry SS = IA32_SYSENTER_CS + 8", entry_ss, SEL_KDATA);
  check_eq("entry ESP = IA32_SYSENTER_ESP", entry_esp, esp_top);
  check_eq("entry EFLAGS.IF = 0", entry_eflags & EFLAGS_IF, 0);
  check_eq("SYSEXIT: CS = IA32_SYSENTER_CS + 16 | 3", u_cs_after, SEL_UCODE);
  check_eq("SYSEXIT: SS = IA32_SYSENTER_CS + 24 | 3", u_ss_after, SEL_UDATA);
  check_eq("SYSEXIT: ESP = ECX", u_esp_after, u_esp_before);
  check_eq("SYSEXIT: EIP = EDX", u_landed_eip, u_ret_eip);
  check_eq("EAX from the entry", u_eax, 0x5151);
  check_eq("SYSEXIT at CPL 3: #GP", sysexit_vec, VEC_GP);
  check_eq("SYSEXIT at CPL 3: error code 0", sysexit_err, 0);

  wrmsr(MSR_SYSENTER_CS, 0);
  ring3_call(user_sysenter_null_cs, (uint32_t)user_stack + USER_STACK_BYTES);
  check_eq("SYSENTER with IA32_SYSENTER_CS = 0: #GP", sysenter0_vec, VEC_GP);
  check_eq("SYSENTER with IA32_SYSENTER_CS = 0: error code 0", sysenter0_err, 0);
  check_eq("SYSENTER with IA32_SYSENTER_CS = 0: return EIP is the SYSENTER", sysenter0_eip,
           sysenter0_want_eip);
  check_eq("entry did not run again", entry_calls, 1);
  check_done("sysenter");
}
