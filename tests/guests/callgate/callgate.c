/* tests/guests/callgate/callgate.c - a far CALL from ring 3 through a call
 * gate to ring 0 with two dword parameters, and RETF back (SDM vol. 3,
 * 5.8.5 and 5.8.6).
 *
 * The gate (DPL 3, 2 parameters) leads to gate_entry at CPL 0. The
 * processor switches to SS0:ESP0 from the TSS and builds there: the
 * caller's SS, ESP, the 2 parameters copied from the caller's stack, CS,
 * EIP. gate_entry records them, returns a value in EAX and RETF 8 goes
 * back to ring 3, releasing the parameters from the ring-3 stack too.
 * Both runners.
 */
#include "x86.h"

#define IDX_GATE 6
#define SEL_GATE ((IDX_GATE << 3) | 3)
#define USER_STACK_BYTES 4096

static uint8_t user_stack[USER_STACK_BYTES] __attribute__((aligned(16)));

/* Filled by gate_entry (at CPL 0): the frame as it found it on its stack. */
volatile uint32_t gate_cs, gate_esp, gate_frame[6];

/* Ring 0 side: copies the 6 dwords of the frame, returns param1 - param2. */
__asm__(".text\n"
        ".globl gate_entry\n"
        "gate_entry:\n\t"
        "movl %cs, %eax\n\t"
        "movl %eax, gate_cs\n\t"
        "movl %esp, gate_esp\n\t"
        "movl 0(%esp), %eax\n\t  movl %eax, gate_frame+0\n\t"
        "movl 4(%esp), %eax\n\t  movl %eax, gate_frame+4\n\t"
        "movl 8(%esp), %eax\n\t  movl %eax, gate_frame+8\n\t"
        "movl 12(%esp), %eax\n\t movl %eax, gate_frame+12\n\t"
        "movl 16(%esp), %eax\n\t movl %eax, gate_frame+16\n\t"
        "movl 20(%esp), %eax\n\t movl %eax, gate_frame+20\n\t"
        "movl 8(%esp), %eax\n\t"
        "subl 12(%esp), %eax\n\t"
        "lret $8\n");
void gate_entry(void);

static volatile uint32_t user_cpl, user_esp_before, user_esp_after, user_ret, user_cpl_after,
    user_ret_eip;

static void user_main(void) {
  user_cpl = read_cs() & 3;
  uint32_t before, after, ret;
  /* push 0x2222 (param 2) then 0x7777 (param 1): param 1 is at the lower address */
  __asm__ volatile("movl %%esp, %0\n\t"
                   "pushl $0x2222\n\t"
                   "pushl $0x7777\n\t"
                   "lcall %4, $0\n"
                   "1:\tmovl $1b, %3\n\t"
                   "movl %%esp, %1"
                   : "=&r"(before), "=&r"(after), "=a"(ret), "=m"(user_ret_eip)
                   : "i"(SEL_GATE)
                   : "memory");
  user_esp_before = before;
  user_esp_after = after;
  user_ret = ret;
  user_cpl_after = read_cs() & 3;
  ring3_exit(0);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  gdt_set_gate(IDX_GATE, SEL_KCODE, (uint32_t)gate_entry, SYS_CALL_GATE32, 3, 2);
  kprintf("callgate: ring 3 -> call gate (2 params) -> ring 0 -> RETF 8 -> ring 3\n");
  ring3_call(user_main, (uint32_t)user_stack + USER_STACK_BYTES);

  uint32_t esp0 = tss_esp0();
  check_eq("ring 3 ran at CPL 3", user_cpl, 3);
  check_eq("gate target runs with CS 0x08 (CPL 0)", gate_cs, SEL_KCODE);
  check_eq("ring-0 ESP is ESP0 minus the 6-dword frame", gate_esp, esp0 - 24);
  check_eq("frame: return EIP", gate_frame[0], user_ret_eip);
  check_eq("frame: return CS is ring 3's", gate_frame[1], SEL_UCODE);
  check_eq("frame: parameter 1 (pushed last)", gate_frame[2], 0x7777);
  check_eq("frame: parameter 2", gate_frame[3], 0x2222);
  check_eq("frame: caller's ESP (after its pushes)", gate_frame[4], user_esp_before - 8);
  check_eq("frame: caller's SS", gate_frame[5], SEL_UDATA);
  check_eq("EAX from ring 0 (param1 - param2)", user_ret, 0x5555);
  check_eq("back at CPL 3 after RETF", user_cpl_after, 3);
  check_eq("RETF 8 released the parameters from the ring-3 stack", user_esp_after, user_esp_before);
  check_done("callgate");
}
