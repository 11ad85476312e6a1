/* tests/guests/apicinit/apicinit.c - INIT through the local APIC's ICR.
 * ringlab only.
 *
 * An INIT level de-assert (delivery mode INIT, trigger level, level 0)
 * only resynchronizes the APIC bus's arbitration IDs: the kernel goes on.
 * Then an INIT to its own APIC ID (physical destination; INIT with the
 * self shorthands is invalid, SDM table 10-4): the processor takes it at
 * the end of the ICR write, and with no BIOS to restart ringlab ends the
 * run with status 69, as it does for the 8042's RESET. If the kernel
 * gets past it, it fails.
 */
#include "apic.h"

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("apicinit: INIT through the ICR\n");
  apic_ipi(0, APIC_DM_INIT | APIC_LEVEL); /* de-assert */
  check_eq("INIT level de-assert: the kernel goes on", apic_read(APIC_VERSION) >> 24, 0);
  kprintf("apicinit: sending INIT\n");
  apic_ipi(0, APIC_DM_INIT | APIC_ASSERT);
  kprintf("apicinit: FAIL: still running after INIT\n");
  guest_exit(GUEST_FAIL);
}
