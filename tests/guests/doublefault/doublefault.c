/* tests/guests/doublefault/doublefault.c - a double fault through a task
 * gate (SDM vol. 3, 6.15 "Interrupt 8 - Double Fault Exception (#DF)",
 * table 6-5; 7.3 task switching; 7.4 task linking).
 *
 * The IDT's vector 8 is a task gate to a TSS of its own (EIP = df_entry,
 * a fresh stack, flat segments). The #GP gate (vector 13) is made not
 * present. Loading DS with a selector past the GDT limit raises #GP
 * (contributory); its delivery finds gate 13 not present and raises #NP
 * (contributory), so the processor delivers #DF: a task switch (with
 * nesting: the back link is the old TSS, NT set, both TSS busy) onto the
 * fresh stack, where the error code 0 is pushed. The handler checks that
 * and reports; returning from a double fault is not attempted. Both
 * runners.
 */
#include "x86.h"

#define DF_TSS_INDEX 7
#define SEL_DFTSS (DF_TSS_INDEX * 8)
#define SYS_TASK_GATE 0x5
#define SYS_TSS32_BUSY 0xB
#define EFLAGS_NT 0x00004000u
#define DF_STACK_BYTES 4096
#define BAD_SELECTOR 0x7FF8 /* far past the 16-entry GDT */

struct tss32 {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
  uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
};

struct __attribute__((packed)) table_reg {
  uint16_t limit;
  uint32_t base;
};

static struct tss32 df_tss __attribute__((aligned(128)));
static uint8_t df_stack[DF_STACK_BYTES] __attribute__((aligned(16)));
volatile uint32_t df_entry_esp, df_error;
static volatile uint32_t fault_reached_next;

void df_entry(void);
__attribute__((noreturn)) void df_main(void);
__asm__(".text\n"
        ".globl df_entry\n"
        "df_entry:\n\t"
        "movl %esp, df_entry_esp\n\t"
        "popl %eax\n\t"
        "movl %eax, df_error\n\t"
        "call df_main\n"
        "1:\tjmp 1b\n");

static uint64_t *gdt_base(void) {
  struct table_reg g;
  __asm__ volatile("sgdt %0" : "=m"(g));
  return (uint64_t *)g.base;
}
static uint64_t *idt_base(void) {
  struct table_reg i;
  __asm__ volatile("sidt %0" : "=m"(i));
  return (uint64_t *)i.base;
}
static unsigned desc_type(uint64_t d) { return (unsigned)(d >> 40) & 0xF; }
static uint32_t desc_base(uint64_t d) {
  return (uint32_t)((d >> 16) & 0xFFFFFF) | (uint32_t)((d >> 56) & 0xFF) << 24;
}

void df_main(void) {
  uint16_t tr;
  __asm__ volatile("str %0" : "=r"(tr));
  uint64_t *gdt = gdt_base();
  const struct tss32 *old = (const struct tss32 *)desc_base(gdt[SEL_TSS >> 3]);
  kprintf(" in the #DF task:\n");
  check_eq("#DF error code", df_error, 0);
  check_eq("TR is the #DF task's TSS", tr, SEL_DFTSS);
  check_eq("ESP at entry: the fresh stack's top less the error code", df_entry_esp,
           (uint32_t)df_stack + DF_STACK_BYTES - 4);
  check_eq("CS from the #DF TSS", read_cs(), SEL_KCODE);
  check_eq("SS from the #DF TSS", read_ss(), SEL_KDATA);
  check_true("EFLAGS.NT set (nested task)", (read_eflags() & EFLAGS_NT) != 0);
  check_eq("back link is the old TSS", df_tss.link & 0xFFFF, SEL_TSS);
  check_eq("old TSS still busy", desc_type(gdt[SEL_TSS >> 3]), SYS_TSS32_BUSY);
  check_eq("#DF TSS busy", desc_type(gdt[DF_TSS_INDEX]), SYS_TSS32_BUSY);
  check_eq("old task's CS saved in the old TSS", old->cs & 0xFFFF, SEL_KCODE);
  check_eq("the faulting task stopped at the fault", fault_reached_next, 0);
  check_eq("no handler of the common IDT ran", trap_count, 0);
  check_done("doublefault");
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("doublefault: #GP whose gate is not present (#NP) gives #DF through a task gate\n");

  df_tss.eip = (uint32_t)df_entry;
  df_tss.esp = (uint32_t)df_stack + DF_STACK_BYTES;
  df_tss.eflags = 0x2;
  df_tss.cs = SEL_KCODE;
  df_tss.ss = df_tss.ds = df_tss.es = df_tss.fs = df_tss.gs = SEL_KDATA;
  df_tss.ss0 = SEL_KDATA;
  df_tss.esp0 = df_tss.esp;
  df_tss.cr3 = read_cr3();
  df_tss.iomap_base = sizeof df_tss;
  gdt_set_segment(DF_TSS_INDEX, (uint32_t)&df_tss, sizeof df_tss - 1, SEG_P | SYS_TSS32, 0);
  idt_set_gate(VEC_DF, SEL_DFTSS, 0, SYS_TASK_GATE, 0);
  idt_base()[VEC_GP] &= ~((uint64_t)SEG_P << 40); /* gate 13 not present */

  __asm__ volatile("movw %w0, %%ds" : : "r"(BAD_SELECTOR) : "memory");
  fault_reached_next = 1;
  kprintf("doublefault: FAIL: loading DS with %#x did not fault\n", BAD_SELECTOR);
  guest_exit(GUEST_FAIL);
}
