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
 *
 * Interrupts (SDM vol. 3, 6.8 and 6.9) are taken between blocks: an NMI,
 * or INTR with IF = 1, is delivered before the next block starts. Every
 * instruction that can set IF (STI, POPF, IRET) ends its block, and a
 * device that asserts INTR or NMI during a block ends it (cpu_set_intr),
 * so "between blocks" is "at the next instruction boundary". The interrupt
 * shadow (6.8.3) holds interrupts for one instruction after an STI that set
 * IF (misc.c) and after MOV SS / POP SS (noticed here, after the block they
 * end): if an interrupt is waiting while the shadow is in force, the next
 * block is cut to that one instruction. The shadow also holds NMIs, which
 * SDM 6.8.3 permits. NMIs then wait for the IRET that ends the NMI handler
 * (6.7.1), noticed here too.
 *
 * Pauses. An observer (the window, a debugger, a snapshot) may stop the
 * processor between two instructions where nothing else would stop it
 * (cpu_pause_at, cpu_step: CPU_EXIT_PAUSE), and the run must go on exactly
 * as if it had not stopped: the same instruction boundaries for device
 * events, the same cycles, the same counters. Two things make a stop
 * visible, and a pause avoids both. (1) The block lookup after a stop (an
 * ITLB use, perhaps a decode): a pause that cuts a block keeps it
 * (struct cpu_resume) and the next cpu_run goes on inside it, with no
 * lookup, if nothing that decides the block changed in between. (2) The
 * budget rule: a block entered at cycle E with budget `until` stops at the
 * first instruction whose base costs from the block's start reach
 * until - E (the dynamic costs of its instructions, page walks say, are not
 * known at entry), so where a run stops depends on where its blocks began.
 * The resumed block keeps E and applies the rule from there, so it stops
 * for a device event where one uncut run would have stopped. A pause right
 * after an interrupt or exception was delivered (a step) likewise goes on
 * with the handler's first block without the interrupt checks the uncut
 * run did not make there.
 */
#include "cpu-internal.h"

bool cpu_handle_fault(struct cpu *c);

/* Is an interrupt waiting that the processor would take now (the shadow
 * aside)? */
static inline bool interrupt_ready(struct cpu *c) {
  const struct cpu_sys *s = &c->sys;
  return (s->nmi_pending && !s->nmi_blocked) || (s->intr && (c->eflags & CPU_FLAG_IF));
}

/* Delivers the waiting NMI or external interrupt at this boundary: EIP is
 * the instruction to resume. A delivery fault comes back through the
 * setjmp in cpu_run as a fault of that instruction boundary. */
static void take_interrupt(struct cpu *c) {
  struct cpu_sys *s = &c->sys;
  c->halted = false;
  if (s->nmi_pending && !s->nmi_blocked) {
    s->nmi_pending = false;
    s->nmi_blocked = true;
    cpu_deliver(c, CPU_EXC_NMI, CPU_NO_ERROR_CODE, c->eip, CPU_DELIVER_EXTERNAL);
    return;
  }
  int vector = s->ack ? s->ack(s->ack_ctx) : -1; /* the INTA cycle */
  if (vector >= 0) {
    cpu_charge(c, CPU_TEV_irq_acknowledge);
    cpu_deliver(c, vector & 0xFF, CPU_NO_ERROR_CODE, c->eip, CPU_DELIVER_EXTERNAL);
  }
}

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

/* Between blocks, when an interrupt is waiting or the shadow is in force:
 * takes the interrupt (*delivered), or returns true if the next block must
 * be cut to one instruction (the shadow holds the interrupt for it). */
static bool block_start_slow(struct cpu *c, bool *delivered) {
  bool one = false;
  *delivered = false;
  if (interrupt_ready(c)) {
    if (c->sys.shadow) {
      one = true;
    } else {
      uint64_t before = c->instructions;
      uint32_t eip = c->eip;
      uint16_t cs = c->seg[CPU_CS].selector;
      take_interrupt(c);
      *delivered = before == c->instructions && (eip != c->eip || cs != c->seg[CPU_CS].selector);
    }
  }
  c->sys.shadow = false;
  c->dbg_inhibit = false; /* the shadow's hold on debug traps ends with it */
  return one;
}

/* After a block that stopped at `last` (insn.after says which): the shadow
 * of MOV SS / POP SS, which holds debug traps too (SDM vol. 3, 6.8.3), the
 * end of NMI blocking at IRET. */
static void block_end_slow(struct cpu *c, const struct insn *last) {
  if (last->after & INSN_AFTER_SHADOW) {
    c->sys.shadow = true; /* the next instruction runs first */
    c->dbg_inhibit = true;
  } else if ((last->after & INSN_AFTER_IRET) && c->sys.nmi_blocked) {
    c->sys.nmi_blocked = false;
  }
}

/* The instruction of the block [first, end) before which a run entered at
 * cycle `entry` stops for `until`: the first, after at least one, whose
 * base costs from the block's start reach until - entry; or end. */
static inline const struct insn *budget_cut(const struct insn *first, const struct insn *end, cycles_t entry,
                                            cycles_t until) {
  cycles_t left = until > entry ? until - entry : 0;
  if (likely(end[-1].cost_before + end[-1].cost <= left))
    return end;
  const struct insn *k = first + 1; /* at least one instruction runs */
  while (k < end && k->cost_before < left)
    k++;
  return k;
}

/* Where a pause cuts the block [first, end) run from i: the budget rule
 * for the pause's cycle, or after the pause's instruction count; or end. */
static __attribute__((noinline)) const struct insn *pause_cut(struct cpu *c, const struct insn *first,
                                                              const struct insn *i, const struct insn *end,
                                                              cycles_t entry) {
  const struct insn *k = budget_cut(first, end, entry, c->pause.cycles);
  if (k <= i)
    k = i + 1;
  /* c->instructions counts from the block's start here (see resume_take) */
  uint64_t done = c->instructions + (uint64_t)(i - first);
  if (c->pause.insns != UINT64_MAX) {
    uint64_t more = c->pause.insns > done ? c->pause.insns - done : 1;
    if (more < (uint64_t)(k - i))
      k = i + more;
  }
  return k;
}

/* Runs the block `first` from its instruction i up to end (first +
 * block_n, or less: the interrupt shadow), stopping early for `until` by
 * the budget rule from `entry` (the cycle the block was entered at), at a
 * pause, or where a handler calls cpu_end_block; commits EIP, accounts the
 * instructions that ran and returns the last. A pause that cuts the block
 * leaves what resume_take needs to go on with it. */
static inline __attribute__((always_inline)) const struct insn *run_block(struct cpu *c, const struct insn *first,
                                                                         const struct insn *i,
                                                                         const struct insn *end, cycles_t entry,
                                                                         cycles_t until) {
  /* A block that would run past `until` stops at the first instruction
   * boundary at or after it, so the machine's next device event (a timer
   * interrupt) is taken on its cycle, not a block later. */
  const struct insn *natural = end;
  end = budget_cut(first, end, entry, until);
  const struct insn *budget = end < natural ? end : NULL; /* where `until` cuts it, if it does */
  const struct insn *paused = NULL;
  if (unlikely(c->pause.armed)) {
    const struct insn *k = pause_cut(c, first, i, end, entry);
    if (k < end)
      end = paused = k;
  }
  c->block_first = first;
  c->block_end = end;
  if (unlikely(c->trace != NULL))
    cpu_trace_site_now(c); /* the site of this block's records */
  /* Within a block only its last instruction changes CS or the mode
   * (those end the block), and a handler that redirects next_eip
   * (branches, restarts) ends it: so EIP and the IP mask stay in
   * registers, and next_eip is read back once, after the block. */
  uint32_t eip = c->eip;
  const uint32_t ip_mask = c->ip_mask; /* 16-bit code: IP wraps */
  do {
    c->cur = i;
    c->eip = eip;
    eip = (eip + i->len) & ip_mask;
    c->next_eip = eip;
    i->fn(c, i);
    i++;
  } while ((uintptr_t)i < (uintptr_t)c->block_end); /* cpu_end_block: NULL */
  const struct insn *last = i - 1;
  /* retire(c, i - first), inline. The empty asm keeps the two adds two
   * adds: GCC would otherwise pack them into vector registers (slower). */
  c->instructions += last->retired;
  __asm__("" ::: "memory");
  c->eip = c->next_eip;
  c->cycles += last->cost_before + last->cost;
  c->cur = NULL;
  if (unlikely(paused != NULL) && i == paused && c->block_end != NULL) {
    /* Cut by the pause alone: keep the rest of the block. */
    c->resume = (struct cpu_resume){.at = i, .first = first, .entry = entry, .gen = c->cc_gen, .eip = c->eip,
                                    .cs_base = c->seg[CPU_CS].base, .cs_attr = c->seg[CPU_CS].attr,
                                    .cpl = c->cpl, .mode = (uint8_t)c->mode, .cr0 = c->cr[0], .cr3 = c->cr[3],
                                    .cr4 = c->cr[4]};
    c->paused = true;
  } else if (unlikely(c->pause.armed) && c->instructions >= c->pause.insns && i != budget &&
             c->block_end != NULL) {
    c->paused = true; /* a step that ended its block */
  }
  return last;
}

/* Whether nothing that decides what the next instruction is changed since
 * the pause that left r (only the host can change it: devices do not move
 * at pauses). Whether an interrupt is waiting is not asked: the uncut run
 * would not have asked here either (mid-block, or right after a delivery),
 * and asking (an INTA cycle) would change the run. */
static bool resume_holds(const struct cpu *c, const struct cpu_resume *r) {
  return r->eip == c->eip && r->cs_base == c->seg[CPU_CS].base && r->cs_attr == c->seg[CPU_CS].attr &&
         r->cpl == c->cpl && r->mode == (uint8_t)c->mode && r->cr0 == c->cr[0] && r->cr3 == c->cr[3] &&
         r->cr4 == c->cr[4] && !c->halted;
}

/* At the start of a run after a pause: the block (first, from *i, entered
 * at *entry) to go on with, with the counters wound back to the block's
 * start as run_block counts; or false with *stop if the run must stop
 * where it is (the budget rule for `until` says the uncut run stops here
 * too: the pause is kept for the next run), or false with nothing to go on
 * with (the block is gone or the state changed: run as after any stop). */
static bool resume_take(struct cpu *c, cycles_t until, const struct insn **first, const struct insn **i,
                        cycles_t *entry, bool *stop) {
  struct cpu_resume r = c->resume;
  *stop = false;
  if (!resume_holds(c, &r) || (r.at && r.gen != c->cc_gen)) {
    c->resume = (struct cpu_resume){0};
    return false;
  }
  if (r.after_delivery) { /* the handler's first block, without the checks */
    c->resume = (struct cpu_resume){0};
    *first = *i = cpu_code_cache_next(c);
    *entry = c->cycles;
    return true;
  }
  const struct insn *end = budget_cut(r.first, r.first + r.first->block_n, r.entry, until);
  if (end <= r.at) {
    *stop = true;
    return false;
  }
  c->resume = (struct cpu_resume){0};
  c->cycles -= r.at->cost_before;
  c->instructions -= (uint64_t)(r.at - r.first);
  *first = r.first;
  *i = r.at;
  *entry = r.entry;
  return true;
}

/* Debug mode (debug.c): TF or RF set, a breakpoint enabled in DR7, or a
 * debug trap pending. */
static inline bool debug_mode(const struct cpu *c) {
  return (c->eflags & (CPU_FLAG_TF | CPU_FLAG_RF)) || c->dbg_any;
}

/* One instruction boundary in debug mode and the instruction after it, in
 * the priority order of SDM vol. 3, 6.9: the traps of the instruction before
 * (single step, data and I/O breakpoints: one #DB; held for one instruction
 * after MOV SS), then NMI and INTR (block_start_slow, with the interrupt
 * shadow), then the instruction breakpoints at CS:EIP (a fault; not with
 * RF set), then RF is cleared and the instruction runs alone, armed for a
 * single-step trap if TF is set. With RF alone set the block runs whole. Returns the instruction run, or NULL if a
 * delivery took the boundary (the caller comes back for the next one). */
static const struct insn *run_debug_step(struct cpu *c, cycles_t until) {
  bool inhibit = c->dbg_inhibit;
  c->dbg_inhibit = false;
  if (c->dbg_pending && !inhibit) {
    cpu_debug_deliver(c, c->dbg_pending);
    return NULL;
  }
  bool delivered;
  bool one = block_start_slow(c, &delivered); /* may deliver an interrupt: then a new boundary */
  if (!(c->eflags & CPU_FLAG_TF) && !c->dbg_any) {
    /* RF alone (a REP string stopped between iterations, an IRET of an
     * image with RF): no breakpoint for it to suppress. The interrupt
     * check above saw it (a frame pushed there has RF = 1); it is cleared
     * as the next instruction starts, and the block runs whole, as
     * without RF. */
    c->eflags &= ~CPU_FLAG_RF;
    const struct insn *i = cpu_code_cache_next(c);
    return run_block(c, i, i, one ? i + 1 : i + i->block_n, c->cycles, until);
  }
  if (c->dbg_exec && !(c->eflags & CPU_FLAG_RF)) {
    unsigned hit = cpu_debug_exec_match(c, c->seg[CPU_CS].base + c->eip);
    if (hit) {
      /* A fault of an instruction not fetched costs 1 cycle, as a fetch
       * fault does (cpu_run): a breakpoint on the #DB handler's own first
       * instruction loops on deliveries, and time must advance so that
       * --max-cycles ends it (found by fuzz_cpu_replay). */
      c->cycles += 1;
      cpu_debug_deliver(c, hit | c->dbg_pending);
      return NULL;
    }
  }
  c->eflags &= ~CPU_FLAG_RF; /* cleared at the start of the instruction (SDM 17.3.1.1) */
  c->dbg_step = (c->eflags & CPU_FLAG_TF) != 0;
  const struct insn *i = cpu_code_cache_next(c);
  const struct insn *last = run_block(c, i, i, i + 1, c->cycles, until);
  if (c->dbg_step) { /* not cancelled by a delivery (INT n) */
    c->dbg_step = false;
    c->dbg_pending |= CPU_DR6_BS;
    c->dbg_any = true; /* delivered at the next boundary, TF or not */
  }
  return last;
}

/* The loop proper. Kept apart from the setjmp of cpu_run, where every
 * local must live in memory: here the CPU pointer, the instruction and the
 * block's end stay in registers. A fault longjmps out of it to cpu_run,
 * which calls it again.
 *
 * Between two blocks the interrupt checks run (block_start_slow) unless
 * nothing they read can have changed: the checks before the block found
 * nothing, and the block ran to its end by itself (not cut short, no
 * cpu_end_block: no device raised INTR or NMI, nothing asked to stop) and
 * ended with a near transfer or no transfer at all (its last instruction
 * changed neither IF, nor the shadow, nor the NMI block): insn.after is 0
 * and block_end is still set. Then the next block follows at once, which
 * gives what the checks would have given. */
static __attribute__((noinline)) enum cpu_exit run_blocks(struct cpu *c, cycles_t until) {
  const struct insn *first = NULL, *i = NULL;
  cycles_t entry = 0;
  if (unlikely(c->resume.at != NULL || c->resume.after_delivery)) {
    bool stop;
    if (!resume_take(c, until, &first, &i, &entry, &stop) && stop)
      return CPU_EXIT_BUDGET;
  }
  while (first != NULL || c->cycles < until) {
    const struct insn *last, *end;
    if (first == NULL && unlikely(debug_mode(c))) {
      /* The guest's own debugging (TF, RF, DR7): one instruction a block
       * (debug.c). A step stops after it, a pause by cycle where due. */
      last = run_debug_step(c, until);
      if (last && (last->after & (INSN_AFTER_SHADOW | INSN_AFTER_IRET)))
        block_end_slow(c, last);
      if (c->stop_requested)
        return c->exit;
      if (unlikely(c->pause.armed) && (c->instructions >= c->pause.insns || c->cycles >= c->pause.cycles) &&
          c->cycles < until) {
        c->paused = false;
        return CPU_EXIT_PAUSE;
      }
      continue;
    }
    if (first != NULL) {
      end = first + first->block_n; /* going on after a pause */
    } else if (unlikely(c->sys.shadow || interrupt_ready(c))) {
      bool delivered;
      bool one = block_start_slow(c, &delivered); /* run one instruction: it is in an interrupt shadow */
      if (unlikely(delivered && c->pause.armed && c->pause.insns != UINT64_MAX)) {
        c->resume = (struct cpu_resume){.after_delivery = true, .eip = c->eip,
                                        .cs_base = c->seg[CPU_CS].base, .cs_attr = c->seg[CPU_CS].attr,
                                        .cpl = c->cpl, .mode = (uint8_t)c->mode, .cr0 = c->cr[0],
                                        .cr3 = c->cr[3], .cr4 = c->cr[4]};
        return CPU_EXIT_PAUSE; /* a step: the boundary after the delivery */
      }
      first = i = cpu_code_cache_next(c);
      entry = c->cycles;
      end = one ? i + 1 : i + i->block_n;
    } else {
      first = i = cpu_code_cache_next(c);
      entry = c->cycles;
      end = i + i->block_n;
    }
    for (;;) {
      last = run_block(c, first, i, end, entry, until);
      first = NULL;
      if (unlikely(last->after | (c->block_end == NULL) | c->paused))
        break;
      if (c->cycles >= until)
        return CPU_EXIT_BUDGET;
      if (unlikely(c->pause.armed) && c->cycles >= c->pause.cycles)
        return CPU_EXIT_PAUSE;
      i = cpu_code_cache_next(c);
      entry = c->cycles;
      end = i + i->block_n;
      first = i;
    }
    if (unlikely(c->paused)) { /* never with a stop request: that block ended by cpu_end_block */
      c->paused = false;
      return CPU_EXIT_PAUSE;
    }
    if (last->after & (INSN_AFTER_SHADOW | INSN_AFTER_IRET))
      block_end_slow(c, last);
    if (c->stop_requested)
      return c->exit;
    if (unlikely(c->pause.armed) && c->cycles >= c->pause.cycles && c->cycles < until)
      return CPU_EXIT_PAUSE;
  }
  return CPU_EXIT_BUDGET;
}

enum cpu_exit cpu_run(struct cpu *c, cycles_t until) {
  c->stop_requested = false;
  c->exit = CPU_EXIT_BUDGET;
  c->paused = false;
  if (c->halted && !interrupt_ready(c)) {
    /* HLT waits for an interrupt; with IF = 0 only an NMI ends it (the
     * machine decides whether to wait). Time passes while halted; a pause
     * by cycle stops the clock there (running on takes it to `until`, as
     * one run would have). */
    if ((c->eflags & CPU_FLAG_IF) && c->cycles < until) {
      if (unlikely(c->pause.armed) && c->pause.cycles < until) {
        if (c->cycles < c->pause.cycles)
          c->cycles = c->pause.cycles;
        return CPU_EXIT_PAUSE;
      }
      c->cycles = until;
    }
    return CPU_EXIT_HALT;
  }
  if (unlikely(c->pause.armed) && c->cycles >= c->pause.cycles && c->cycles < until)
    return CPU_EXIT_PAUSE;
  c->cur = NULL;
  c->block_first = NULL;

  if (setjmp(c->fault_jmp)) {
    /* The faulting instruction does not retire but it ran: it costs its
     * base cycles (1 if no instruction was fetched). So time advances even
     * in a loop of faults, and --max-cycles ends it. */
    cycles_t fault_cost = c->cur ? c->cur->cost : 0;
    c->trace_site_fixed = false; /* a fault while delivering: cpu_deliver sets it again */
    retire(c, c->block_first && c->cur ? (unsigned)(c->cur - c->block_first) : 0);
    c->cycles += fault_cost ? fault_cost : 1;
    c->resume = (struct cpu_resume){0};
    c->paused = false;
    if (!cpu_handle_fault(c) || c->stop_requested)
      return c->exit;
    if (unlikely(c->pause.armed) && c->pause.insns != UINT64_MAX)
      return CPU_EXIT_PAUSE; /* a step: the boundary after the delivery */
  }
  return run_blocks(c, until);
}

void cpu_pause_at(struct cpu *c, cycles_t at) {
  c->pause.cycles = at;
  c->pause.insns = UINT64_MAX;
  c->pause.armed = at != UINT64_MAX;
}

enum cpu_exit cpu_step(struct cpu *c, cycles_t until) {
  struct cpu_pause saved = c->pause;
  c->pause = (struct cpu_pause){.cycles = UINT64_MAX, .insns = c->instructions + 1, .armed = true};
  enum cpu_exit x = cpu_run(c, until);
  c->pause = saved;
  return x;
}

void cpu_resume_forget(struct cpu *c) { c->resume = (struct cpu_resume){0}; }

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
  cpu_end_block(c);
}
