/* tests/guests/common/guest.h - the little a test kernel needs.
 *
 * Port I/O, the COM1 serial port and the exit port. A test kernel defines
 * kmain(), called by boot.S with the Multiboot magic and info address, and
 * ends with guest_exit(GUEST_PASS) or guest_exit(GUEST_FAIL). Under QEMU with
 * isa-debug-exit, writing V to the exit port ends QEMU with status (V << 1) | 1.
 */
#ifndef RINGLAB_GUEST_H
#define RINGLAB_GUEST_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u /* in EAX at entry */

#define GUEST_EXIT_PORT 0xf4  /* QEMU isa-debug-exit, iobase=0xf4 */
#define GUEST_PASS      0     /* verdicts written to the exit port */
#define GUEST_FAIL      1

#define SERIAL_COM1     0x3f8

static inline void outb(uint16_t port, uint8_t value) {
  __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port) {
  uint8_t value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}

/* Defined by each test kernel; called once by boot.S. */
void kmain(uint32_t magic, uint32_t info);

/* Programs COM1 for 115200 8N1, no interrupts. */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);

/* Reports the verdict and stops; never returns. */
__attribute__((noreturn)) void guest_exit(uint8_t verdict);

#endif
