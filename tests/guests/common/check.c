/* tests/guests/common/check.c - one printed line per check, one verdict. */
#include "x86.h"

int check_failures;
int check_total;

void check_eq(const char *what, uint32_t got, uint32_t want) {
  check_total++;
  if (got == want) {
    kprintf("  ok   %s (%#x)\n", what, got);
    return;
  }
  check_failures++;
  kprintf("  FAIL %s: got %#x, want %#x\n", what, got, want);
}

void check_true(const char *what, int ok) {
  check_total++;
  if (ok) {
    kprintf("  ok   %s\n", what);
    return;
  }
  check_failures++;
  kprintf("  FAIL %s\n", what);
}

void check_pf(const char *what, uint32_t before, uint32_t error, uint32_t cr2) {
  kprintf("  %s:\n", what);
  check_eq("    vector 14", trap_last.vector, VEC_PF);
  check_eq("    error code", trap_last.error, error);
  check_eq("    CR2", trap_last.cr2, cr2);
  check_eq("    return EIP is the instruction", trap_last.eip, probe_fault_eip);
  check_eq("    taken once", trap_count - before, 1);
}

void check_done(const char *name) {
  if (check_failures) {
    kprintf("%s: FAIL (%d of %d checks)\n", name, check_failures, check_total);
    guest_exit(GUEST_FAIL);
  }
  kprintf("%s: PASS (%d checks)\n", name, check_total);
  guest_exit(GUEST_PASS);
}
