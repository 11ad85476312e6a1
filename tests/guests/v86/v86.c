/* tests/guests/v86/v86.c - virtual-8086 mode (SDM vol. 3, chapter 20
 * "8086 Emulation": 20.2 entering v86 through IRET, 20.3.1 interrupts
 * and exceptions to a protected-mode handler, 20.2.7 IOPL-sensitive
 * instructions).
 *
 * Ring 0 IRETDs with EFLAGS.VM = 1 (IOPL 3) into 8086 code copied to
 * linear 0x10000 (CS = 0x1000, IP = 0). The 8086 code writes through DS =
 * 0x2000 and reads the same byte back through ES = 0x2001 (linear =
 * selector * 16 + offset), then:
 *   - INT 0x30 (IOPL 3): through the IDT (a DPL-3 interrupt gate to ring-0
 *     code) on the TSS's ring-0 stack, with the v86 frame GS FS DS ES SS
 *     ESP EFLAGS CS EIP, and DS ES FS GS null inside the handler. The
 *     handler clears IOPL in the frame; its IRETD resumes the 8086 code
 *     after the INT with the segment registers of the frame;
 *   - CLI with IOPL 0: #GP(0) to the monitor with the v86 frame; the
 *     monitor steps over it;
 *   - INT 0x32 with IOPL 0: #GP(0) too (no VME); the monitor steps over
 *     it and sets IOPL 3 again;
 *   - INT 0x31 (IOPL 3) ends the v86 session (v86_exit).
 * Both runners.
 */
#include "x86.h"

#define EFLAGS_VM 0x00020000u
#define EFLAGS_IOPL3 0x00003000u
#define V86_CODE_LINEAR 0x10000u
#define V86_CS 0x1000u
#define V86_SS 0x5000u
#define V86_SP 0x1000u
#define V86_FS 0x3000u
#define V86_GS 0x4000u
#define V86_DATA 0x20000u /* DS = 0x2000 */

/* Enters v86 by IRETD from the frame at `frame` (EIP CS EFLAGS ESP SS ES DS
 * FS GS); returns the value given to v86_exit. */
uint32_t v86_enter(const uint32_t *frame);
__attribute__((noreturn)) void v86_exit(uint32_t value);
extern const uint8_t v86_code[], v86_code_end[], v86_after_int30[], v86_cli[], v86_int32[],
    v86_after_int31[];

__asm__(".text\n"
        ".globl v86_enter\n"
        "v86_enter:\n\t"
        "pushl %ebp\n\tpushl %ebx\n\tpushl %esi\n\tpushl %edi\n\t"
        "movl %esp, v86_kernel_esp\n\t"
        "movl 20(%esp), %esp\n\t"
        "iretl\n"
        ".globl v86_exit\n"
        "v86_exit:\n\t"
        "movl 4(%esp), %eax\n\t"
        "movl v86_kernel_esp, %esp\n\t"
        "movl $0x10, %edx\n\tmovl %edx, %ds\n\tmovl %edx, %es\n\tmovl %edx, %fs\n\tmovl %edx, %gs\n\t"
        "popl %edi\n\tpopl %esi\n\tpopl %ebx\n\tpopl %ebp\n\t"
        "ret\n"
        /* The 8086 code: position-independent but for its data offsets. */
        ".code16\n"
        ".globl v86_code, v86_code_end, v86_after_int30, v86_cli, v86_int32, v86_after_int31\n"
        "v86_code:\n\t"
        "movw $0x2000, %ax\n\t"
        "movw %ax, %ds\n\t"
        "movw $0x1234, 0x10\n\t"      /* linear 0x20010 */
        "movw $0x2001, %ax\n\t"
        "movw %ax, %es\n\t"
        "movw %es:0x0, %bx\n\t"       /* linear 0x20010 again */
        "incw %bx\n\t"
        "movw %bx, 0x12\n\t"          /* 0x1235 at linear 0x20012 */
        "int $0x30\n"
        "v86_after_int30:\n\t"
        "movw $0x5678, 0x14\n"        /* resumed after IRETD, DS from the frame */
        "v86_cli:\n\t"
        "cli\n\t"
        "movw $0x9abc, 0x16\n"
        "v86_int32:\n\t"
        "int $0x32\n\t"
        "movw $0xdef0, 0x18\n\t"
        "int $0x31\n"
        "v86_after_int31:\n"
        "1:\tjmp 1b\n"
        "v86_code_end:\n"
        ".code32\n"
        ".bss\n"
        "v86_kernel_esp: .skip 4\n"
        ".text\n");

static uint32_t iret_frame[9];

#define OFF(label) ((uint32_t)((label) - v86_code))

/* What the handlers saw. */
struct seen {
  uint32_t taken, vector, error, eip, cs, eflags, esp, ss, es, ds, fs, gs;
  uint32_t entry_ds, entry_es, entry_fs, entry_gs, cpl, frame_end;
};
static volatile struct seen int30, gp_cli, gp_int, int31;
static volatile uint32_t mem_at_int30[2];

static uint32_t read_fs(void) { uint32_t v; __asm__ volatile("movl %%fs, %0" : "=r"(v)); return v & 0xFFFF; }
static uint32_t read_gs(void) { uint32_t v; __asm__ volatile("movl %%gs, %0" : "=r"(v)); return v & 0xFFFF; }

static void record(volatile struct seen *s, struct trap_frame *f) {
  uint32_t *v86 = (uint32_t *)&f->ss + 1; /* ES DS FS GS above SS */
  s->taken++;
  s->vector = f->vector;
  s->error = f->error;
  s->eip = f->eip;
  s->cs = f->cs & 0xFFFF; /* upper halves of pushed selectors: not checked */
  s->eflags = f->eflags;
  s->esp = f->esp;
  s->ss = f->ss & 0xFFFF;
  s->es = v86[0] & 0xFFFF;
  s->ds = v86[1] & 0xFFFF;
  s->fs = v86[2] & 0xFFFF;
  s->gs = v86[3] & 0xFFFF;
  s->entry_ds = f->ds & 0xFFFF; /* as trap.S found them */
  s->entry_es = f->es & 0xFFFF;
  s->entry_fs = read_fs(); /* trap.S leaves FS and GS alone */
  s->entry_gs = read_gs();
  s->cpl = read_cs() & 3;
  s->frame_end = (uint32_t)&v86[4];
}

static void int30_handler(struct trap_frame *f) {
  record(&int30, f);
  mem_at_int30[0] = *(volatile uint16_t *)(V86_DATA + 0x10);
  mem_at_int30[1] = *(volatile uint16_t *)(V86_DATA + 0x12);
  f->eflags &= ~EFLAGS_IOPL3; /* IOPL 0 from here */
}

/* The monitor: #GP from v86 for an IOPL-sensitive instruction. */
static void gp_handler(struct trap_frame *f) {
  if (!(f->eflags & EFLAGS_VM)) {
    kprintf("v86: unexpected #GP(%#x) at %04x:%08x outside v86\n", f->error, f->cs, f->eip);
    guest_exit(GUEST_FAIL);
  }
  uint8_t op = *(volatile uint8_t *)((f->cs << 4) + f->eip);
  if (op == 0xFA) { /* CLI */
    record(&gp_cli, f);
    f->eip += 1;
  } else if (op == 0xCD) { /* INT n */
    record(&gp_int, f);
    f->eip += 2;
    f->eflags |= EFLAGS_IOPL3;
  } else {
    kprintf("v86: #GP on opcode %#x at %04x:%04x\n", op, f->cs, f->eip);
    guest_exit(GUEST_FAIL);
  }
}

static void int31_handler(struct trap_frame *f) {
  record(&int31, f);
  v86_exit(0x86);
}

static void check_frame(const char *what, volatile struct seen *s, uint32_t eip, uint32_t iopl) {
  kprintf(" %s:\n", what);
  check_eq("  taken once", s->taken, 1);
  check_eq("  frame CS is the v86 CS", s->cs, V86_CS);
  check_eq("  frame EIP", s->eip, eip);
  check_true("  frame EFLAGS.VM is 1", (s->eflags & EFLAGS_VM) != 0);
  check_eq("  frame IOPL", (s->eflags >> 12) & 3, iopl);
  check_eq("  frame SS:ESP is the v86 stack (SS)", s->ss, V86_SS);
  check_eq("  frame SS:ESP is the v86 stack (ESP)", s->esp, V86_SP);
  check_eq("  frame DS", s->ds, 0x2000);
  check_eq("  frame ES", s->es, 0x2001);
  check_eq("  frame FS", s->fs, V86_FS);
  check_eq("  frame GS", s->gs, V86_GS);
  check_eq("  handler at CPL 0", s->cpl, 0);
  check_eq("  DS null in the handler", s->entry_ds, 0);
  check_eq("  ES null in the handler", s->entry_es, 0);
  check_eq("  FS null in the handler", s->entry_fs, 0);
  check_eq("  GS null in the handler", s->entry_gs, 0);
  check_eq("  the frame ends at the TSS's ESP0", s->frame_end, tss_esp0());
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("v86: IRETD into virtual-8086 mode, INT n and #GP to a ring-0 monitor\n");
  idt_set_stub(0x30, SYS_INTR_GATE32, 3);
  idt_set_stub(0x31, SYS_INTR_GATE32, 3);
  idt_set_stub(0x32, SYS_INTR_GATE32, 3);
  trap_set_handler(0x30, int30_handler);
  trap_set_handler(0x31, int31_handler);
  trap_set_handler(VEC_GP, gp_handler);

  volatile uint8_t *dst = (volatile uint8_t *)V86_CODE_LINEAR;
  for (const uint8_t *p = v86_code; p < v86_code_end; p++)
    *dst++ = *p;
  for (int k = 0; k < 16; k++)
    ((volatile uint16_t *)V86_DATA)[k] = 0;

  iret_frame[0] = 0;                              /* EIP */
  iret_frame[1] = V86_CS;                         /* CS */
  iret_frame[2] = EFLAGS_VM | EFLAGS_IOPL3 | 0x2; /* EFLAGS */
  iret_frame[3] = V86_SP;                         /* ESP */
  iret_frame[4] = V86_SS;                         /* SS */
  iret_frame[5] = 0x6000;                         /* ES */
  iret_frame[6] = 0x7000;                         /* DS */
  iret_frame[7] = V86_FS;                         /* FS */
  iret_frame[8] = V86_GS;                         /* GS */
  uint32_t r = v86_enter(iret_frame);

  check_eq("v86_exit came back to ring 0", r, 0x86);
  check_eq("back at CPL 0 with the kernel CS", read_cs(), SEL_KCODE);
  check_eq("DS:0x10 with DS = 0x2000 wrote linear 0x20010", mem_at_int30[0], 0x1234);
  check_eq("ES = 0x2001 read linear 0x20010 (0x1234 + 1 at 0x20012)", mem_at_int30[1], 0x1235);
  check_frame("INT 0x30 with IOPL 3 through the IDT", &int30, OFF(v86_after_int30), 3);
  check_eq("  vector", int30.vector, 0x30);
  check_eq("resumed after IRETD: marker at 0x20014", *(volatile uint16_t *)(V86_DATA + 0x14), 0x5678);
  check_frame("CLI with IOPL 0: #GP to the monitor", &gp_cli, OFF(v86_cli), 0);
  check_eq("  vector", gp_cli.vector, VEC_GP);
  check_eq("  error code 0", gp_cli.error, 0);
  check_eq("resumed after the CLI: marker at 0x20016", *(volatile uint16_t *)(V86_DATA + 0x16), 0x9abc);
  check_frame("INT 0x32 with IOPL 0: #GP to the monitor", &gp_int, OFF(v86_int32), 0);
  check_eq("  vector", gp_int.vector, VEC_GP);
  check_eq("  error code 0", gp_int.error, 0);
  check_eq("resumed after the INT 0x32: marker at 0x20018", *(volatile uint16_t *)(V86_DATA + 0x18), 0xdef0);
  check_frame("INT 0x31 with IOPL 3 again", &int31, OFF(v86_after_int31), 3);
  check_done("v86");
}
