/* machine/loop.c - the run loop: the CPU runs until the next device event,
 * then device time catches up (dev_sched_advance), then the ops port's
 * request, if any, runs at that instruction boundary. A halted CPU with
 * IF = 1 is the same loop: cpu_run() moves the clock to the next event,
 * whose interrupt (through the local APIC on the CPU's INTR) wakes it.
 *
 * Emulated time is the CPU's cycle counter alone; devices see it only
 * through the scheduler. Nothing here reads the host clock, so a run is a
 * function of the image, the options and the input events.
 *
 * Observers (the window, the gdb stub, --save-at) get the machine at
 * pauses: the CPU stops where an observer asked (cpu_pause_at, cpu_step),
 * device time does not move (nothing is due before the next event), the
 * observer looks or waits, and the run goes on as if it had not stopped.
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

int machine_observe(struct machine *m, struct machine_observer *o) {
  if (m->n_observers == MACHINE_MAX_OBSERVERS)
    return -1;
  m->observers[m->n_observers++] = o;
  return 0;
}

/* Calls the observers (while the run goes on; all of them at its end). */
static void notify(struct machine *m) {
  bool ended = m->end != MACHINE_RUNNING;
  for (unsigned k = 0; k < m->n_observers && (ended || m->end == MACHINE_RUNNING); k++)
    m->observers[k]->stopped(m->observers[k]->ctx, m);
}

static bool input_may_come(const struct machine *m) {
  for (unsigned k = 0; k < m->n_observers; k++)
    if (m->observers[k]->input)
      return true;
  return false;
}

static bool stepping(const struct machine *m) {
  for (unsigned k = 0; k < m->n_observers; k++)
    if (m->observers[k]->step)
      return true;
  return false;
}

/* One run of the CPU up to `until`, as the observers want it. */
static enum cpu_exit run_cpu(struct machine *m, cycles_t until) {
  cycles_t pause = DEV_NEVER;
  for (unsigned k = 0; k < m->n_observers; k++)
    if (m->observers[k]->pause_at < pause)
      pause = m->observers[k]->pause_at;
  if (stepping(m))
    return cpu_step(m->cpu, until);
  cpu_pause_at(m->cpu, pause);
  return cpu_run(m->cpu, until);
}

void machine_run(struct machine *m, uint64_t max_cycles) {
  m->max_cycles = max_cycles;
  if (m->n_observers)
    notify(m);
  while (m->end == MACHINE_RUNNING) {
    cycles_t until = dev_sched_next(m->sched);
    if (until > max_cycles)
      until = max_cycles;
    m->run_until = until; /* the board stops the CPU if a port access moves it */
    enum cpu_exit x = run_cpu(m, until);
    m->idle = false;
    if (x == CPU_EXIT_PAUSE) {
      notify(m);
      continue;
    }
    dev_sched_advance(m->sched, cpu_cycles(m->cpu));
    opsport_run(m);
    if (m->init_pending && m->end == MACHINE_RUNNING)
      machine_init_signal(m); /* the local APIC's INIT, at this boundary */
    if (m->end != MACHINE_RUNNING)
      break;
    char what[200];
    switch (x) {
    case CPU_EXIT_PAUSE: /* handled above */
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
      else if (dev_sched_next(m->sched) == DEV_NEVER && !m->intr && input_may_come(m))
        m->idle = true; /* the window's keys may wake it: time passes at its pauses */
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
    /* A step that ended where the machine stops anyway (a device event,
     * an op, HLT) is still a step: the observer sees its boundary. */
    if (m->end == MACHINE_RUNNING && stepping(m))
      notify(m);
  }
  cpu_pause_at(m->cpu, DEV_NEVER);
  if (m->n_observers)
    notify(m); /* the end: observers see the final state */
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
