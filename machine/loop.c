/* machine/loop.c - the run loop: the CPU runs until the next device event,
 * then device time catches up (dev_sched_advance), then the ops port's
 * request, if any, runs at that instruction boundary. A halted CPU with
 * IF = 1 is the same loop: cpu_run() moves the clock to the next event,
 * whose interrupt (through the PIC's INT on the CPU's INTR) wakes it.
 *
 * Emulated time is the CPU's cycle counter alone; devices see it only
 * through the scheduler. Nothing here reads the host clock, so a run is a
 * function of the image, the options and the input events.
 */
#include <string.h>

#include "machine-internal.h"

void machine_snap(const struct machine *m, struct machine_snap *s) {
  s->cycles = cpu_cycles(m->cpu);
  s->instructions = cpu_instructions(m->cpu);
  s->events = *cpu_counters(m->cpu); /* every architectural event */
  trace_counters_add(&s->events, &m->counted); /* and the machine's own */
}

void machine_snap_sub(struct machine_snap *out, const struct machine_snap *a, const struct machine_snap *b) {
  out->cycles = a->cycles - b->cycles;
  out->instructions = a->instructions - b->instructions;
  trace_counters_sub(&out->events, &a->events, &b->events);
}

/* Ends the run with one line: what happened, where, when. A reason from
 * the CPU (triple fault, unimplemented) already says where. */
static void end(struct machine *m, enum machine_end e, const char *what, const char *cpu_reason) {
  struct cpu_segment cs;
  cpu_get_segment(m->cpu, CPU_CS, &cs);
  m->end = e;
  unsigned long long now = cpu_cycles(m->cpu);
  if (cpu_reason && *cpu_reason)
    snprintf(m->end_message, sizeof m->end_message, "%s, cycle %llu", cpu_reason, now);
  else
    snprintf(m->end_message, sizeof m->end_message, "%s at CS:EIP %04x:%08x, cycle %llu", what, cs.selector,
             cpu_get_eip(m->cpu), now);
}

void machine_stop(struct machine *m, enum machine_end e, const char *what) {
  if (m->end != MACHINE_RUNNING)
    return;
  end(m, e, what, NULL);
  cpu_request_stop(m->cpu);
}

void machine_run(struct machine *m, uint64_t max_cycles) {
  while (m->end == MACHINE_RUNNING) {
    cycles_t until = dev_sched_next(m->sched);
    if (until > max_cycles)
      until = max_cycles;
    m->run_until = until;
    enum cpu_exit x = cpu_run(m->cpu, until);
    dev_sched_advance(m->sched, cpu_cycles(m->cpu));
    opsport_run(m);
    if (m->end != MACHINE_RUNNING)
      break;
    char what[200];
    switch (x) {
    case CPU_EXIT_BUDGET:
    case CPU_EXIT_STOP:
      if (cpu_cycles(m->cpu) >= max_cycles) {
        snprintf(what, sizeof what, "--max-cycles %llu reached", (unsigned long long)max_cycles);
        end(m, MACHINE_END_MAX_CYCLES, what, NULL);
      }
      break;
    case CPU_EXIT_HALT:
      /* HLT with IF = 1 waits: the next cpu_run() lets the clock run to the
       * next device event (or --max-cycles), whose interrupt wakes it. With
       * IF = 0, or with no device event pending at all, nothing can ever
       * wake it (devices act only at their events or at port accesses, and
       * a halted CPU makes none): the run ends. */
      if (!(cpu_get_eflags(m->cpu) & CPU_FLAG_IF))
        end(m, MACHINE_END_HALT,
            cpu_ferr(m->cpu) ? "x87 error pending with interrupts disabled (CR0.NE = 0: the waiting x87 "
                               "instruction is frozen until an interrupt)"
                             : "hlt with interrupts disabled",
            NULL);
      else if (dev_sched_next(m->sched) == DEV_NEVER && !m->intr)
        end(m, MACHINE_END_HALT, "hlt with no interrupt source pending", NULL);
      else if (cpu_cycles(m->cpu) >= max_cycles) {
        snprintf(what, sizeof what, "--max-cycles %llu reached", (unsigned long long)max_cycles);
        end(m, MACHINE_END_MAX_CYCLES, what, NULL);
      }
      break;
    case CPU_EXIT_TRIPLE_FAULT:
      end(m, MACHINE_END_TRIPLE_FAULT, "triple fault", cpu_stop_reason(m->cpu));
      break;
    case CPU_EXIT_UNIMPLEMENTED:
      end(m, MACHINE_END_UNIMPLEMENTED, "unimplemented instruction", cpu_stop_reason(m->cpu));
      break;
    }
  }
  opsport_finish(m);
}

int machine_exit_status(const struct machine *m) {
  switch (m->end) {
  case MACHINE_END_EXIT_PORT:
  case MACHINE_END_OPS_EXIT:
    return m->exit_status;
  case MACHINE_END_TRIPLE_FAULT:
    return RUN_EXIT_TRIPLE_FAULT;
  case MACHINE_END_HALT:
    return RUN_EXIT_HALT;
  case MACHINE_END_MAX_CYCLES:
    return RUN_EXIT_MAX_CYCLES;
  case MACHINE_END_RESET:
    return RUN_EXIT_RESET;
  case MACHINE_END_STOPPED:
    return RUN_EXIT_STOPPED;
  case MACHINE_END_UNIMPLEMENTED:
  case MACHINE_RUNNING:
    break;
  }
  return RUN_EXIT_UNIMPLEMENTED;
}

const char *machine_end_name(enum machine_end e) {
  switch (e) {
  case MACHINE_RUNNING:
    return "running";
  case MACHINE_END_EXIT_PORT:
    return "exit-port";
  case MACHINE_END_OPS_EXIT:
    return "ops-exit";
  case MACHINE_END_TRIPLE_FAULT:
    return "triple-fault";
  case MACHINE_END_HALT:
    return "halt";
  case MACHINE_END_MAX_CYCLES:
    return "max-cycles";
  case MACHINE_END_UNIMPLEMENTED:
    return "unimplemented";
  case MACHINE_END_RESET:
    return "reset";
  case MACHINE_END_STOPPED:
    return "stopped";
  }
  return "unknown";
}
