/* tests/guests/cpuid_tsc/cpuid_tsc.c - CPUID and the time-stamp counter.
 *
 * Asserts only what ringlab (a P6, family 6) and QEMU's default qemu32
 * model both report: EFLAGS.ID toggles (CPUID exists), leaf 0's vendor
 * "GenuineIntel" and a highest leaf >= 1, leaf 1's family 6 and the
 * features TSC MSR CX8 SEP CMOV. RDTSC never goes backwards and advances
 * over the reads; CR4.TSD makes a ring-3 RDTSC #GP(0) while without it
 * ring 3 may read the counter. Both runners. Writing the TSC through its
 * MSR is in tsc_msr/ (ringlab only: QEMU's TCG ignores the write).
 */
#include "x86.h"

#define FEAT_TSC (1u << 4)
#define FEAT_MSR (1u << 5)
#define FEAT_CX8 (1u << 8)
#define FEAT_SEP (1u << 11)
#define FEAT_CMOV (1u << 15)
#define READS 1000
#define USER_STACK_BYTES 4096

static uint8_t user_stack[USER_STACK_BYTES] __attribute__((aligned(16)));
static volatile uint32_t user_vec, user_err;

static void user_rdtsc(void) {
  trap_last.vector = 0xFFFFFFFFu;
  uint32_t lo, hi;
  __asm__ volatile(PROBE_ASM("rdtsc") : "=a"(lo), "=d"(hi) : : "memory");
  user_vec = trap_last.vector;
  user_err = trap_last.error;
  ring3_exit(lo);
}

static int eflags_id_toggles(void) {
  uint32_t a, b;
  __asm__ volatile("pushfl\n\t"
                   "popl %0\n\t"
                   "movl %0, %1\n\t"
                   "xorl %2, %1\n\t"
                   "pushl %1\n\t"
                   "popfl\n\t"
                   "pushfl\n\t"
                   "popl %1\n\t"
                   "pushl %0\n\t"
                   "popfl"
                   : "=&r"(a), "=&r"(b)
                   : "i"(EFLAGS_ID)
                   : "cc");
  return ((a ^ b) & EFLAGS_ID) != 0;
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("cpuid_tsc: CPUID vendor and features, RDTSC, the TSC MSR, CR4.TSD\n");

  check_true("EFLAGS.ID can be toggled (CPUID present)", eflags_id_toggles());
  uint32_t r[4];
  cpuid(0, r);
  check_true("CPUID.0: highest leaf >= 1", r[0] >= 1);
  char vendor[13];
  uint32_t order[3] = {r[1], r[3], r[2]}; /* EBX EDX ECX */
  for (int k = 0; k < 12; k++)
    vendor[k] = (char)(order[k / 4] >> (8 * (k % 4)));
  vendor[12] = 0;
  kprintf("  vendor %s\n", vendor);
  check_eq("CPUID.0: EBX \"Genu\"", r[1], 0x756E6547);
  check_eq("CPUID.0: EDX \"ineI\"", r[3], 0x49656E69);
  check_eq("CPUID.0: ECX \"ntel\"", r[2], 0x6C65746E);
  cpuid(1, r);
  kprintf("  signature %#x, features edx %#x\n", r[0], r[3]);
  check_eq("CPUID.1: family 6", (r[0] >> 8) & 0xF, 6);
  uint32_t want = FEAT_TSC | FEAT_MSR | FEAT_CX8 | FEAT_SEP | FEAT_CMOV;
  check_eq("CPUID.1: EDX has TSC MSR CX8 SEP CMOV", r[3] & want, want);

  uint32_t backwards = 0;
  uint64_t prev = rdtsc(), first = prev;
  for (int k = 0; k < READS; k++) {
    uint64_t t = rdtsc();
    if (t < prev)
      backwards++;
    prev = t;
  }
  check_eq("1000 consecutive RDTSCs never go backwards", backwards, 0);
  check_true("RDTSC advanced over the reads", prev > first);

  uint32_t user_stack_top = (uint32_t)user_stack + USER_STACK_BYTES;
  ring3_call(user_rdtsc, user_stack_top);
  check_eq("ring-3 RDTSC with CR4.TSD = 0 does not fault", user_vec, 0xFFFFFFFFu);
  write_cr4(read_cr4() | CR4_TSD);
  ring3_call(user_rdtsc, user_stack_top);
  write_cr4(read_cr4() & ~CR4_TSD);
  check_eq("ring-3 RDTSC with CR4.TSD = 1: #GP", user_vec, VEC_GP);
  check_eq("ring-3 RDTSC with CR4.TSD = 1: error code 0", user_err, 0);
  check_done("cpuid_tsc");
}
