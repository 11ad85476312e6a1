/* tests/guests/pc/pc.c - GDT, IDT, the PIC pair (see pc.h). */
#include "pc.h"

struct __attribute__((packed)) table_reg {
  uint16_t limit;
  uint32_t base;
};

static const uint64_t gdt[3] = {
    0,
    0x00CF9A000000FFFFull, /* 0x08: code, base 0, 4 GiB, 32-bit, DPL 0 */
    0x00CF92000000FFFFull, /* 0x10: data */
};

static uint64_t idt[PC_VECTORS];
static pc_handler handlers[PC_VECTORS];
volatile unsigned pc_stray_irqs;

extern const uint32_t pc_isr_stubs[PC_VECTORS]; /* pc_isr.S */

void pc_put_uint(uint32_t v) {
  char buf[11];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n)
    serial_putc(buf[--n]);
}

void isr_dispatch(unsigned vector);
void isr_dispatch(unsigned vector) {
  if (vector < PC_VECTORS && handlers[vector]) {
    handlers[vector](vector);
    return;
  }
  if (vector < PC_IRQ_BASE) {
    serial_puts("unexpected exception ");
    pc_put_uint(vector);
    serial_puts("\n");
    guest_exit(GUEST_FAIL);
  }
  pc_stray_irqs++;
}

void pc_set_handler(unsigned vector, pc_handler fn) { handlers[vector] = fn; }

void pc_setup_cpu(void) {
  struct table_reg g = {sizeof gdt - 1, (uint32_t)gdt};
  __asm__ volatile("lgdt %0\n\t"
                   "ljmp $0x08, $1f\n"
                   "1:\n\t"
                   "movw $0x10, %%ax\n\t"
                   "movw %%ax, %%ds\n\t"
                   "movw %%ax, %%es\n\t"
                   "movw %%ax, %%fs\n\t"
                   "movw %%ax, %%gs\n\t"
                   "movw %%ax, %%ss"
                   :
                   : "m"(g)
                   : "eax", "memory");
  for (unsigned v = 0; v < PC_VECTORS; v++) {
    uint32_t off = pc_isr_stubs[v];
    /* 32-bit interrupt gate, DPL 0, present, selector 0x08 */
    idt[v] = (uint64_t)(off & 0xFFFF) | (uint64_t)0x08 << 16 | (uint64_t)0x8E00 << 32 |
             (uint64_t)(off >> 16) << 48;
  }
  struct table_reg i = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile("lidt %0" : : "m"(i) : "memory");
}

void pc_pic_init(uint8_t master_mask, uint8_t slave_mask) {
  outb(PIC_MASTER, 0x11); /* ICW1: edge, cascade, ICW4 follows */
  outb(PIC_SLAVE, 0x11);
  outb(PIC_MASTER + 1, PC_IRQ_BASE); /* ICW2 */
  outb(PIC_SLAVE + 1, PC_IRQ_BASE + 8);
  outb(PIC_MASTER + 1, 0x04); /* ICW3: a slave on IR2 */
  outb(PIC_SLAVE + 1, 0x02);  /* ICW3: slave id 2 */
  outb(PIC_MASTER + 1, 0x01); /* ICW4: 8086 mode, normal EOI */
  outb(PIC_SLAVE + 1, 0x01);
  outb(PIC_MASTER + 1, master_mask); /* OCW1 */
  outb(PIC_SLAVE + 1, slave_mask);
}

void pc_eoi(unsigned irq) {
  if (irq >= 8)
    outb(PIC_SLAVE, PIC_EOI);
  outb(PIC_MASTER, PIC_EOI);
}

uint8_t pc_pic_read(uint16_t base, uint8_t ocw3) {
  outb(base, ocw3);
  return inb(base);
}
