/* tests/guests/hello/hello.c - the smallest test kernel.
 *
 * Checks that the loader entered it the Multiboot way (magic in EAX), says
 * hello on the serial port and passes. Proves the guest toolchain, the
 * loader, the serial port and the exit port work together.
 */
#include "guest.h"

void kmain(uint32_t magic, uint32_t info) {
  (void)info;
  serial_init();
  if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
    serial_puts("hello: entered without the Multiboot magic in EAX\n");
    guest_exit(GUEST_FAIL);
  }
  serial_puts("hello from ringlab guest\n");
  guest_exit(GUEST_PASS);
}
