/* tests/guests/kbdreset/kbdreset.c - the 8042's RESET line: a kernel that
 * reboots the way PC kernels do, with controller command FE (pulse output
 * port bit 0). A real PC restarts its BIOS; ringlab has none to restart and
 * ends the run with status 69 (RUN_EXIT_RESET). Ringlab only (under QEMU
 * with -no-reboot a reset ends QEMU with status 0, which the QEMU runner
 * does not take as a verdict). */
#include "guest.h"
#include "x86.h"

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  kprintf("kbdreset: pulsing RESET through the 8042\n");
  while (inb(0x64) & 0x02)
    ;
  outb(0x64, 0xFE);
  for (;;)
    __asm__ volatile("hlt");
}
