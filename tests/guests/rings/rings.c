/* tests/guests/rings/rings.c - privilege levels: IRET to ring 3 and back
 * through the IDT with the TSS stack switch (SDM vol. 3, 6.12.1).
 *
 * Ring 0 IRETs to ring-3 code (CS = 0x1B). There, INT 0x80 through a DPL-3
 * trap gate enters ring 0 on the TSS's SS0:ESP0 with the ring-3 SS:ESP,
 * EFLAGS, CS:EIP on that stack, and IRET goes back to ring 3. Then ring 3
 * tries privileged things: HLT and CLI (IOPL 0) are #GP(0), INT 0x82
 * through a DPL-0 gate is #GP(0x82 * 8 + 2), a MOV to CR3 is #GP(0); each
 * returns to ring 3 after the instruction. Both runners.
 */
#include "x86.h"

#define SYSCALL_VECTOR 0x80
#define DPL0_VECTOR 0x82
#define USER_STACK_BYTES 4096

static uint8_t user_stack[USER_STACK_BYTES] __attribute__((aligned(16)));

/* What the INT 0x80 handler saw, and what ring 3 saw. */
static volatile uint32_t sys_cpl, sys_frame_cs, sys_frame_esp, sys_frame_ss, sys_frame_end, sys_esp,
    sys_arg, sys_ret_eip;
static volatile uint32_t user_cpl, user_cpl_after, user_esp_at_int, user_ret, user_eip_after_int;
static volatile uint32_t hlt_vec, hlt_err, hlt_eip, hlt_want_eip, hlt_cs;
static volatile uint32_t cli_vec, cli_err, int82_vec, int82_err, cr3_vec, cr3_err;

static void syscall_handler(struct trap_frame *f) {
  sys_cpl = read_cs() & 3;
  sys_esp = read_esp();
  sys_frame_cs = f->cs;
  sys_frame_esp = f->esp;
  sys_frame_ss = f->ss;
  sys_frame_end = (uint32_t)&f->ss + 4;
  sys_arg = f->eax;
  sys_ret_eip = f->eip;
  f->eax = sys_arg + 1; /* the "system call" result */
}

/* Ring 3: one privileged instruction, expected to #GP; returns what the
 * handler recorded in vec/err. */
#define USER_PROBE(insn, vec, err)                                                                 \
  do {                                                                                             \
    trap_last.vector = 0xFFFFFFFFu;                                                                \
    __asm__ volatile(PROBE_ASM(insn) : : : "memory");                                              \
    vec = trap_last.vector;                                                                        \
    err = trap_last.error;                                                                         \
  } while (0)

static void user_main(void) {
  user_cpl = read_cs() & 3;
  uint32_t eax = 41, esp;
  __asm__ volatile("movl %%esp, %1\n\t"
                   "int $0x80\n"
                   "1:\tmovl $1b, %2"
                   : "+a"(eax), "=&r"(esp), "=m"(user_eip_after_int)
                   :
                   : "memory");
  user_esp_at_int = esp;
  user_ret = eax;
  user_cpl_after = read_cs() & 3;

  trap_last.vector = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_ASM("hlt") : : : "memory");
  hlt_vec = trap_last.vector;
  hlt_err = trap_last.error;
  hlt_eip = trap_last.eip;
  hlt_cs = trap_last.cs;
  hlt_want_eip = probe_fault_eip;

  USER_PROBE("cli", cli_vec, cli_err);
  USER_PROBE("int $0x82", int82_vec, int82_err);
  USER_PROBE("movl %%eax, %%cr3", cr3_vec, cr3_err);
  ring3_exit(0x3333);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  idt_set_stub(SYSCALL_VECTOR, SYS_TRAP_GATE32, 3);
  trap_set_handler(SYSCALL_VECTOR, syscall_handler);
  /* vector 0x82 stays a DPL-0 gate */
  kprintf("rings: IRET to ring 3, INT 0x80 through a DPL-3 trap gate, #GP on privileged instructions\n");

  uint32_t user_top = (uint32_t)user_stack + USER_STACK_BYTES;
  uint32_t r = ring3_call(user_main, user_top);
  check_eq("ring3_call came back through int 0x81 with ring 3's value", r, 0x3333);
  check_eq("CPL after IRET to ring 3", user_cpl, 3);
  check_eq("INT 0x80 handler runs at CPL 0", sys_cpl, 0);
  check_eq("frame CS is ring 3's (0x1B)", sys_frame_cs, SEL_UCODE);
  check_eq("frame SS is ring 3's (0x23)", sys_frame_ss, SEL_UDATA);
  check_eq("frame ESP is ring 3's ESP at the INT", sys_frame_esp, user_esp_at_int);
  check_eq("frame return EIP is after the INT", sys_ret_eip, user_eip_after_int);
  check_eq("ring-0 frame ends at the TSS's ESP0", sys_frame_end, tss_esp0());
  check_true("handler's ESP is on the ring-0 stack, below ESP0",
             sys_esp < tss_esp0() && sys_esp > tss_esp0() - 8192);
  check_eq("EAX result came back to ring 3", user_ret, 42);
  check_eq("CPL after IRET from INT 0x80", user_cpl_after, 3);
  check_eq("ring-3 HLT: #GP", hlt_vec, VEC_GP);
  check_eq("ring-3 HLT: error code 0", hlt_err, 0);
  check_eq("ring-3 HLT: return EIP is the HLT", hlt_eip, hlt_want_eip);
  check_eq("ring-3 HLT: frame CS is ring 3's", hlt_cs, SEL_UCODE);
  check_eq("ring-3 CLI with IOPL 0: #GP", cli_vec, VEC_GP);
  check_eq("ring-3 CLI: error code 0", cli_err, 0);
  check_eq("ring-3 INT 0x82 through a DPL-0 gate: #GP", int82_vec, VEC_GP);
  check_eq("ring-3 INT 0x82: error code 0x82*8+2 (IDT, vector)", int82_err, DPL0_VECTOR * 8 + 2);
  check_eq("ring-3 MOV CR3: #GP", cr3_vec, VEC_GP);
  check_eq("ring-3 MOV CR3: error code 0", cr3_err, 0);
  check_eq("back at CPL 0", read_cs(), SEL_KCODE);
  check_done("rings");
}
