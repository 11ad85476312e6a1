/* arch/native/native.h - the native layer's private interface: the bare PC
 * (ring 0, the 8259A pair, the 8254, COM1, the ringlab ops port or QEMU's
 * exit port). Nothing outside arch/native/ includes this.
 */
#ifndef NATIVE_H
#define NATIVE_H

#include <stdint.h>

#include "../../kernel.h"
#include "../../pv.h"

/* GDT selectors: kernel in ring 0, user in ring 3. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23
#define SEL_TSS 0x28

#define IRQ_BASE 32       /* the PICs deliver IRQ n at vector 32 + n */
#define IRQ_TIMER 0
#define IRQ_COM1 4
#define VEC_SYSCALL 0x80

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

/* desc.c */
void native_desc_init(void);
void native_set_gate(unsigned vector, uint32_t handler, unsigned dpl, int trap_gate);
void native_tss_set_esp0(uint32_t esp0);

/* pic.c: the 8259A pair and the 8254 */
void native_pic_init(void);
void native_pic_unmask(unsigned irq);
void native_pic_eoi(unsigned irq);
void native_pit_start(unsigned hz);

/* serial.c: COM1 */
void native_serial_init(void);
void native_serial_write(const char *s, size_t n);
int native_serial_getc(void);
void native_serial_rx_enable(void);

/* multiboot.c */
void native_multiboot_parse(uint32_t magic, uint32_t info_phys, struct boot_info *bi);

/* entry.S */
extern const uint32_t native_trap_stubs[256]; /* entry stub of each vector, 0 if none */
__attribute__((noreturn)) void native_return_to_user(struct trapframe *tf);
void native_trap(struct trapframe *tf); /* called by the common entry stub */

/* check.c */
void native_check_start(struct boot_info *bi);

/* native.c */
void native_ops_init(void);
void native_irq_handler(unsigned irq, trap_handler_fn fn);

#endif
