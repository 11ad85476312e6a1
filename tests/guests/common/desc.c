/* tests/guests/common/desc.c - GDT, IDT and TSS of a test kernel, and the C
 * side of the trap entry (trap_dispatch). The layout is in x86.h. */
#include "x86.h"

struct tss32 {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
  uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
};

#define TSS_STACK_BYTES 8192

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(128)));
static uint8_t tss_stack[TSS_STACK_BYTES] __attribute__((aligned(16)));
static trap_handler handlers[256];

extern char trap_stubs[]; /* trap.S: 256 stubs, 16 bytes apart */

volatile struct trap_record trap_last;
volatile uint32_t trap_count;
volatile uint32_t trap_resume;
volatile uint32_t probe_fault_eip;
volatile uint32_t probe_next_eip;

void gdt_set_segment(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  uint64_t d = (limit & 0xFFFFu) | ((uint64_t)(base & 0xFFFFFFu) << 16) | ((uint64_t)access << 40) |
               ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)(flags & 0xF0) << 48) |
               ((uint64_t)(base >> 24) << 56);
  gdt[index] = d;
}

static uint64_t gate(uint16_t sel, uint32_t offset, uint8_t type, int dpl, int params) {
  return (offset & 0xFFFFu) | ((uint64_t)sel << 16) | ((uint64_t)(params & 0x1F) << 32) |
         ((uint64_t)(SEG_P | SEG_DPL(dpl) | type) << 40) | ((uint64_t)(offset >> 16) << 48);
}

void gdt_set_gate(int index, uint16_t sel, uint32_t offset, uint8_t type, int dpl, int params) {
  gdt[index] = gate(sel, offset, type, dpl, params);
}

void idt_set_gate(int vector, uint16_t sel, uint32_t offset, uint8_t type, int dpl) {
  idt[vector] = gate(sel, offset, type, dpl, 0);
}

void idt_set_stub(int vector, uint8_t type, int dpl) {
  idt_set_gate(vector, SEL_KCODE, (uint32_t)trap_stubs + 16u * (uint32_t)vector, type, dpl);
}

void trap_set_handler(int vector, trap_handler fn) { handlers[vector] = fn; }

void trap_expect(uint32_t resume_eip) { trap_resume = resume_eip; }

uint32_t tss_esp0(void) { return tss.esp0; }

static void ring3_exit_handler(struct trap_frame *f) { ring3_return(f->eax); }

struct __attribute__((packed)) table_reg {
  uint16_t limit;
  uint32_t base;
};

void desc_init(void) {
  gdt[0] = 0;
  gdt_set_segment(1, 0, 0xFFFFF, SEG_P | SEG_S | SEG_CODE | SEG_READ, SEG_G | SEG_D);
  gdt_set_segment(2, 0, 0xFFFFF, SEG_P | SEG_S | SEG_WRITE, SEG_G | SEG_D);
  gdt_set_segment(3, 0, 0xFFFFF, SEG_P | SEG_DPL(3) | SEG_S | SEG_CODE | SEG_READ, SEG_G | SEG_D);
  gdt_set_segment(4, 0, 0xFFFFF, SEG_P | SEG_DPL(3) | SEG_S | SEG_WRITE, SEG_G | SEG_D);
  tss.ss0 = SEL_KDATA;
  tss.esp0 = (uint32_t)tss_stack + TSS_STACK_BYTES;
  tss.iomap_base = sizeof tss; /* no I/O bitmap: ring 3 has no port */
  gdt_set_segment(5, (uint32_t)&tss, sizeof tss - 1, SEG_P | SYS_TSS32, 0);

  for (int v = 0; v < 256; v++)
    idt_set_stub(v, SYS_INTR_GATE32, 0);
  idt_set_stub(RING3_EXIT_VECTOR, SYS_INTR_GATE32, 3);
  trap_set_handler(RING3_EXIT_VECTOR, ring3_exit_handler);

  struct table_reg g = {sizeof gdt - 1, (uint32_t)gdt};
  struct table_reg i = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile("lgdt %0\n\t"
                   "lidt %1\n\t"
                   "ljmp %2, $1f\n"
                   "1:\n\t"
                   "mov %3, %%ds\n\t"
                   "mov %3, %%es\n\t"
                   "mov %3, %%fs\n\t"
                   "mov %3, %%gs\n\t"
                   "mov %3, %%ss\n\t"
                   "ltr %w4"
                   :
                   : "m"(g), "m"(i), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS)
                   : "memory");
}

/* Called by trap.S with the frame it built; returning resumes the frame. */
void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f) {
  trap_count++;
  trap_last.vector = f->vector;
  trap_last.error = f->error;
  trap_last.eip = f->eip;
  trap_last.cs = f->cs;
  trap_last.eflags = f->eflags;
  int outer = (f->cs & 3) != 0;
  trap_last.esp = outer ? f->esp : 0;
  trap_last.ss = outer ? f->ss : 0;
  trap_last.frame_end = outer ? (uint32_t)&f->ss + 4 : (uint32_t)&f->esp;
  trap_last.cr2 = f->vector == VEC_PF ? read_cr2() : 0;

  if (handlers[f->vector]) {
    handlers[f->vector](f);
    return;
  }
  if (trap_resume) {
    f->eip = trap_resume;
    trap_resume = 0;
    return;
  }
  kprintf("unexpected exception: vector %u error %#x at %04x:%08x (cr2 %08x)\n", f->vector, f->error,
          f->cs, f->eip, trap_last.cr2);
  guest_exit(GUEST_FAIL);
}
