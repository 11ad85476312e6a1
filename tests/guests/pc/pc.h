/* tests/guests/pc/pc.h - what the PC-device test kernels share: a GDT and
 * an IDT of interrupt gates (protected mode, CPL 0), the 8259A pair
 * remapped to vectors 0x20-0x2F, and EOI.
 *
 * Vectors 0-31 with no handler end the test as a failure (an unexpected
 * exception); IRQ vectors with no handler are counted in pc_stray_irqs.
 */
#ifndef RINGLAB_GUEST_PC_H
#define RINGLAB_GUEST_PC_H

#include <stdint.h>

#include "guest.h"

#define PC_IRQ_BASE 0x20 /* IRQ n is vector PC_IRQ_BASE + n */
#define PC_VECTORS 48

#define PIC_MASTER 0x20
#define PIC_SLAVE 0xA0
#define PIC_EOI 0x20
#define PIC_READ_IRR 0x0A /* OCW3 */
#define PIC_READ_ISR 0x0B

typedef void (*pc_handler)(unsigned vector);

/* Loads a flat GDT (code 0x08, data 0x10) and an IDT for PC_VECTORS. */
void pc_setup_cpu(void);
void pc_set_handler(unsigned vector, pc_handler fn);
/* ICW1-4 on both chips (edge, cascade on IR2, 8086 mode), then the masks. */
void pc_pic_init(uint8_t master_mask, uint8_t slave_mask);
/* Non-specific EOI for IRQ n (slave then master for n >= 8). */
void pc_eoi(unsigned irq);
uint8_t pc_pic_read(uint16_t base, uint8_t ocw3);

extern volatile unsigned pc_stray_irqs;

/* Prints an unsigned decimal. */
void pc_put_uint(uint32_t v);

static inline void pc_sti_hlt_cli(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline void pc_cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline uint64_t pc_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

#endif
