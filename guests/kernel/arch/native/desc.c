/* arch/native/desc.c - the descriptor tables of the bare PC: a flat GDT
 * (kernel ring 0, user ring 3), one TSS whose esp0 is the running process's
 * kernel stack, and the IDT that set_trap_table fills.
 *
 *   GDT   0x00 null
 *         0x08 kernel code  (SEL_KCODE)   base 0, limit 4 GiB, DPL 0
 *         0x10 kernel data  (SEL_KDATA)
 *         0x18 user code    (SEL_UCODE = 0x1B)  DPL 3
 *         0x20 user data    (SEL_UDATA = 0x23)
 *         0x28 TSS          (SEL_TSS)     no I/O bitmap: user I/O faults
 */
#include "native.h"

struct tss {
  uint16_t link, r0;
  uint32_t esp0;
  uint16_t ss0, r1;
  uint32_t esp1;
  uint16_t ss1, r2;
  uint32_t esp2;
  uint16_t ss2, r3;
  uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
  uint16_t trap, iomap; /* iomap past the limit: no I/O permission bitmap */
} __attribute__((packed));

static uint64_t gdt[6];
static uint64_t idt[256];
static struct tss tss;

static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl, unsigned flags) {
  /* flags: 0xC = 4 KiB granularity, 32-bit; type includes the S bit */
  return (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) |
         ((uint64_t)(type | (dpl << 5) | 0x80) << 40) | ((uint64_t)((limit >> 16) & 0xF) << 48) |
         ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

void native_set_gate(unsigned vector, uint32_t handler, unsigned dpl, int trap_gate) {
  unsigned type = trap_gate ? 0xF : 0xE; /* 32-bit trap / interrupt gate */
  idt[vector] = (uint64_t)(handler & 0xFFFF) | ((uint64_t)SEL_KCODE << 16) |
                ((uint64_t)(type | (dpl << 5) | 0x80) << 40) | ((uint64_t)(handler >> 16) << 48);
}

void native_tss_set_esp0(uint32_t esp0) { tss.esp0 = esp0; }

void native_desc_init(void) {
  gdt[0] = 0;
  gdt[1] = seg_desc(0, 0xFFFFF, 0x1A, 0, 0xC); /* code, readable */
  gdt[2] = seg_desc(0, 0xFFFFF, 0x12, 0, 0xC); /* data, writable */
  gdt[3] = seg_desc(0, 0xFFFFF, 0x1A, 3, 0xC);
  gdt[4] = seg_desc(0, 0xFFFFF, 0x12, 3, 0xC);
  tss.ss0 = SEL_KDATA;
  tss.iomap = sizeof tss;
  gdt[5] = seg_desc((uint32_t)&tss, sizeof tss - 1, 0x09, 0, 0); /* 32-bit TSS, available */

  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint32_t)gdt}, idtr = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile("lgdt %0" : : "m"(gdtr));
  __asm__ volatile("ljmp %0, $1f\n1:" : : "i"(SEL_KCODE));
  __asm__ volatile("movl %0, %%ds; movl %0, %%es; movl %0, %%ss; movl %1, %%fs; movl %1, %%gs"
                   : : "r"((uint32_t)SEL_KDATA), "r"(0u));
  __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
  __asm__ volatile("lidt %0" : : "m"(idtr));
}
