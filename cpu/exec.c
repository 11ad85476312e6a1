/* cpu/exec.c - the run loop.
 *
 * cpu_run() looks up the block at CS:EIP and calls its handlers in turn.
 * The loop keeps EIP exact at every instruction boundary (a fault sees the
 * faulting instruction's EIP; in 16-bit code IP wraps from 0xFFFF to 0, as
 * on 386 and later PCs: an instruction that straddles 0xFFFF still faults
 * at fetch) and accounts cycles and retired instructions
 * once per block from the costs summed at decode time. Faults come back
 * here by longjmp (cpu_raise); the instructions of the block that retired
 * before the fault are accounted, the faulting one is not.
 */
#include "cpu-internal.h"

bool cpu_handle_fault(struct cpu *c);

/* Accounts the first k instructions of the current block as retired. */
static void retire(struct cpu *c, unsigned k) {
  if (k > 0) {
    const struct insn *last = &c->block_first[k - 1];
    c->cycles += last->cost_before + last->cost;
    c->instructions += k;
  }
  c->cur = NULL;
  c->block_first = NULL;
}

enum cpu_exit cpu_run(struct cpu *c, cycles_t until) {
  c->stop_requested = false;
  c->exit = CPU_EXIT_BUDGET;
  if (c->halted)
    return CPU_EXIT_HALT;

  if (setjmp(c->fault_jmp)) {
    retire(c, c->block_first && c->cur ? (unsigned)(c->cur - c->block_first) : 0);
    if (!cpu_handle_fault(c) || c->stop_requested)
      return c->exit;
  }

  while (c->cycles < until) {
    unsigned n;
    c->cur = NULL;
    c->block_first = NULL;
    const struct insn *i = cpu_code_cache_lookup(c, &n);
    const struct insn *end = i + n;
    c->block_first = i;
    c->block_exit = false;
    do {
      c->cur = i;
      c->next_eip = (c->eip + i->len) & c->ip_mask; /* 16-bit code: IP wraps */
      i->fn(c, i);
      c->eip = c->next_eip;
      i++;
    } while (i < end && !c->block_exit);
    retire(c, (unsigned)(i - c->block_first));
    if (c->stop_requested)
      return c->exit;
  }
  return CPU_EXIT_BUDGET;
}

/* One more iteration of a repeated instruction: until timing presets give a
 * per-iteration cost, an iteration costs the row's base cost. */
void cpu_repeat_charge(struct cpu *c, const struct insn *i) { c->cycles += i->cost; }

/* retire() counts every handler the block called; this execution of the
 * current instruction must not count, as it will run again. */
void cpu_restart_insn(struct cpu *c) {
  c->next_eip = c->eip;
  c->instructions--;
  cpu_end_block(c);
}

void cpu_request_stop(struct cpu *c) {
  c->exit = CPU_EXIT_STOP;
  c->stop_requested = true;
  c->block_exit = true;
}
