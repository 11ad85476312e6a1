/* tests/guests/common/pic.h - the 8259A pair and the 8254's counter 0 for
 * kernels built on the common library (x86.h): header only. IRQ n is
 * vector PIC_IRQ_BASE + n; desc_init's gates lead to trap_dispatch. */
#ifndef RINGLAB_GUEST_PIC_H
#define RINGLAB_GUEST_PIC_H

#include "x86.h"

#define PIC_IRQ_BASE 0x20
#define PIC_MASTER 0x20
#define PIC_SLAVE 0xA0
#define PIC_EOI 0x20          /* OCW2: non-specific EOI */
#define PIC_SPECIFIC_EOI 0x60 /* OCW2: specific EOI, | level */
#define PIC_READ_IRR 0x0A     /* OCW3 */
#define PIC_READ_ISR 0x0B

#define PIT_CH0 0x40
#define PIT_CTRL 0x43
#define PIT_HZ 1193182u

/* ICW1-4 on both chips (edge, cascade on IR2, 8086 mode), then the masks. */
static inline void pic_init(uint8_t master_mask, uint8_t slave_mask) {
  outb(PIC_MASTER, 0x11);
  outb(PIC_SLAVE, 0x11);
  outb(PIC_MASTER + 1, PIC_IRQ_BASE);
  outb(PIC_SLAVE + 1, PIC_IRQ_BASE + 8);
  outb(PIC_MASTER + 1, 0x04);
  outb(PIC_SLAVE + 1, 0x02);
  outb(PIC_MASTER + 1, 0x01);
  outb(PIC_SLAVE + 1, 0x01);
  outb(PIC_MASTER + 1, master_mask);
  outb(PIC_SLAVE + 1, slave_mask);
}

static inline uint8_t pic_read(uint16_t base, uint8_t ocw3) {
  outb(base, ocw3);
  return inb(base);
}

/* Counter 0: lobyte/hibyte, the mode, binary. */
static inline void pit_ch0(unsigned mode, uint16_t count) {
  outb(PIT_CTRL, (uint8_t)(0x30 | mode << 1));
  outb(PIT_CH0, count & 0xFF);
  outb(PIT_CH0, count >> 8);
}

/* OUT0 through the read-back command (status of counter 0: bit 7). */
static inline int pit_out0(void) {
  outb(PIT_CTRL, 0xE2);
  return (inb(PIT_CH0) >> 7) & 1;
}

static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }

#endif
