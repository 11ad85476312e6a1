/* cpu/exception.c - raising faults and delivering interrupts and exceptions.
 *
 * A fault is raised by longjmp to cpu_run() (exec.c), which calls
 * cpu_handle_fault() to apply the double-fault rules of SDM vol. 3, 6.15
 * ("Exception and Interrupt Reference", Table 6-5) and deliver it.
 *
 * Real-mode delivery follows the IVT at IDTR.base: push FLAGS, CS, IP (no
 * error code), clear IF, TF and AC, load CS:IP from the vector's entry. If
 * the entry lies past IDTR.limit the processor raises #GP; the pushes can
 * raise #SS. Protected-mode gates belong to the system-architecture work;
 * until then delivery in protected mode stops the machine with a reason.
 */
#include "cpu-internal.h"

#include <stdarg.h>
#include <stdio.h>

_Noreturn void cpu_raise(struct cpu *c, int vector, uint32_t error_code) {
  c->fault_vector = vector;
  c->fault_error = error_code;
  c->fault_has_error = error_code != CPU_NO_ERROR_CODE;
  longjmp(c->fault_jmp, 1);
}

void cpu_stop(struct cpu *c, enum cpu_exit why, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->stop_reason, sizeof c->stop_reason, fmt, ap);
  va_end(ap);
  c->exit = why;
  c->stop_requested = true;
  c->block_exit = true;
}

static void deliver_real(struct cpu *c, int vector, uint32_t return_eip) {
  uint32_t entry = (uint32_t)vector * 4;
  if (entry + 3 > c->idtr.limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint32_t lin = c->idtr.base + entry;
  uint16_t new_ip = (uint16_t)(mmu_read(c->mem, mmu_phys(c->mem, lin), 1) |
                               mmu_read(c->mem, mmu_phys(c->mem, lin + 1), 1) << 8);
  uint16_t new_cs = (uint16_t)(mmu_read(c->mem, mmu_phys(c->mem, lin + 2), 1) |
                               mmu_read(c->mem, mmu_phys(c->mem, lin + 3), 1) << 8);
  /* Three pushes, committed only when all three are written. */
  uint32_t mask = cpu_sp_mask(c);
  uint32_t sp = c->gpr[CPU_ESP];
  uint32_t values[3] = {cpu_eflags(c) & 0xFFFF, c->seg[CPU_CS].selector, return_eip & 0xFFFF};
  for (int k = 0; k < 3; k++) {
    sp = (sp - 2) & mask;
    cpu_write(c, CPU_SS, sp, 2, values[k]);
  }
  c->gpr[CPU_ESP] = cpu_sp_merge(c, sp);
  cpu_eflags_write(c, 0, CPU_FLAG_IF | CPU_FLAG_TF | CPU_FLAG_AC);
  c->seg[CPU_CS].selector = new_cs;
  c->seg[CPU_CS].base = (uint32_t)new_cs << 4;
  cpu_segment_loaded(c, CPU_CS);
  c->eip = c->next_eip = new_ip;
}

void cpu_deliver(struct cpu *c, int vector, uint32_t error_code, uint32_t return_eip, bool software) {
  (void)software;
  (void)error_code;
  if (c->mode == CPU_MODE_REAL) {
    deliver_real(c, vector, return_eip);
  } else {
    cpu_stop(c, CPU_EXIT_UNIMPLEMENTED,
             "interrupt delivery in protected mode (vector %d) is not implemented yet", vector);
    cpu_raise(c, -1, 0);
  }
  cpu_end_block(c);
}

/* Exception classes for the double-fault rules. */
static bool contributory(int v) {
  return v == CPU_EXC_DE || v == CPU_EXC_TS || v == CPU_EXC_NP || v == CPU_EXC_SS || v == CPU_EXC_GP;
}

/* Called by cpu_run() after a longjmp from cpu_raise(). Returns false if the
 * machine must stop (an abort, a triple fault). */
bool cpu_handle_fault(struct cpu *c) {
  for (;;) {
    int vector = c->fault_vector;
    if (vector < 0)
      return false; /* cpu_stop() already said why */
    uint32_t error = c->fault_has_error ? c->fault_error : CPU_NO_ERROR_CODE;
    int prev = c->delivering;
    if (prev >= 0) {
      if (prev == CPU_EXC_DF) {
        cpu_stop(c, CPU_EXIT_TRIPLE_FAULT,
                 "triple fault at %04x:%08x: vector %d while delivering a double fault (first fault %d)",
                 c->seg[CPU_CS].selector, c->eip, vector, c->first_fault);
        return false;
      }
      if ((contributory(prev) && contributory(vector)) ||
          (prev == CPU_EXC_PF && (contributory(vector) || vector == CPU_EXC_PF))) {
        vector = CPU_EXC_DF;
        error = 0;
      }
    } else {
      c->first_fault = vector;
    }
    c->delivering = vector;
    if (c->first_exception < 0)
      c->first_exception = vector;
    c->fault_vector = -2; /* a nested raise overwrites this */
    cpu_deliver(c, vector, error, c->eip, false);
    c->delivering = -1;
    return true;
  }
}

/* The decoder's verdicts (rows 0 and 1 of the opcode table). */
void UD_invalid(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_raise(c, CPU_EXC_UD, CPU_NO_ERROR_CODE);
}

void GP_too_long(struct cpu *c, const struct insn *i) {
  (void)i;
  cpu_raise(c, CPU_EXC_GP, 0);
}
