/* tests/guests/tsc_msr/tsc_msr.c - the TSC through its MSR (0x10).
 *
 * RDMSR of the TSC lies between two RDTSCs; WRMSR restarts the counter
 * from the written value, and on a P6 a write sets only the low 32 bits
 * and clears the high ones (SDM vol. 3, 17.17: "only the low-order
 * 32-bits of the TSC may be written" on P6 family processors); RDTSC then
 * counts on from there.
 *
 * ringlab only: QEMU's TCG keeps a written TSC value for RDMSR but RDTSC
 * goes on from the host counter (see the manifest).
 */
#include "x86.h"

static void show(const char *what, uint64_t v) {
  kprintf("  %s: %#x:%08x\n", what, (uint32_t)(v >> 32), (uint32_t)v);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("tsc_msr: RDMSR and WRMSR of the TSC agree with RDTSC\n");

  uint64_t t0 = rdtsc();
  uint64_t m = rdmsr(MSR_TSC);
  uint64_t t1 = rdtsc();
  show("RDTSC", t0);
  show("RDMSR(TSC)", m);
  show("RDTSC", t1);
  check_true("RDMSR(TSC) lies between two RDTSCs", t0 <= m && m <= t1);

  wrmsr(MSR_TSC, 0);
  uint64_t after = rdtsc();
  show("RDTSC right after WRMSR(TSC, 0)", after);
  check_eq("after WRMSR(TSC, 0): high dword 0", (uint32_t)(after >> 32), 0);
  check_true("after WRMSR(TSC, 0): low dword below 1000", (uint32_t)after < 1000u);

  wrmsr(MSR_TSC, 0xABCD000012340000ull);
  after = rdtsc();
  show("RDTSC right after WRMSR(TSC, 0xABCD0000:12340000)", after);
  check_eq("P6: the write cleared the high dword", (uint32_t)(after >> 32), 0);
  check_true("P6: the low dword counts on from 0x12340000",
             (uint32_t)after >= 0x12340000u && (uint32_t)after < 0x12340000u + 1000u);
  check_done("tsc_msr");
}
