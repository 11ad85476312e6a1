/* arch/native/pic.c - the PC's interrupt controllers (two 8259A, master
 * at 0x20, slave at 0xA0 on the master's IRQ 2) and interval timer (8254,
 * channel 0 on IRQ 0, 1,193,182 Hz input).
 *
 * The PICs are remapped to vectors 32-47 (the CPU's exceptions own 0-31)
 * and every line is masked until the kernel asks for it; end of interrupt
 * is a non-specific EOI to the master, and to the slave first for IRQs 8-15.
 */
#include "native.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20

#define PIT_CH0 0x40
#define PIT_MODE 0x43
#define PIT_HZ 1193182u

static uint16_t pic_mask = 0xFFFF & ~(1u << 2); /* the cascade line stays open */

static void pic_write_mask(void) {
  outb(PIC1_DATA, pic_mask & 0xFF);
  outb(PIC2_DATA, pic_mask >> 8);
}

void native_pic_init(void) {
  outb(PIC1_CMD, 0x11); /* ICW1: edge, cascade, ICW4 follows */
  outb(PIC2_CMD, 0x11);
  outb(PIC1_DATA, IRQ_BASE);     /* ICW2: vector base */
  outb(PIC2_DATA, IRQ_BASE + 8);
  outb(PIC1_DATA, 0x04); /* ICW3: slave on IRQ 2 */
  outb(PIC2_DATA, 0x02); /* ICW3: slave identity 2 */
  outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode, normal EOI */
  outb(PIC2_DATA, 0x01);
  pic_write_mask();
}

void native_pic_unmask(unsigned irq) {
  pic_mask &= ~(1u << irq);
  pic_write_mask();
}

void native_pic_eoi(unsigned irq) {
  if (irq >= 8)
    outb(PIC2_CMD, PIC_EOI);
  outb(PIC1_CMD, PIC_EOI);
}

void native_pit_start(unsigned hz) {
  uint32_t divisor = (PIT_HZ + hz / 2) / hz;
  outb(PIT_MODE, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
  outb(PIT_CH0, divisor & 0xFF);
  outb(PIT_CH0, divisor >> 8);
  native_pic_unmask(IRQ_TIMER);
}
