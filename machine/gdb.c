/* machine/gdb.c - `ringlab run --gdb PORT`: the gdb stub (debug/) as an
 * observer of the run.
 *
 * The machine waits before its first instruction for gdb to connect to
 * 127.0.0.1:PORT (the loopback address only), then runs as gdb says:
 *
 *   continue   with no breakpoint, watchpoint or caught exception: at full
 *              speed, pausing every so many cycles to see whether gdb sent
 *              Ctrl-C; with some: one instruction boundary at a time
 *              (cpu_step), checking after each whether EIP is at a
 *              breakpoint, a watched byte changed, or a caught exception
 *              was delivered;
 *   step       to the next instruction boundary (an instruction, or an
 *              interrupt's or exception's delivery);
 *   kill       ends the run (status 70); detach lets it run on alone.
 *
 * Every stop is a pause (cpu.h): stepping, breakpoints and the debugger's
 * reads change neither emulated time nor any count, so a run under gdb
 * ends as the same run without it (ctest gdb_session compares --stats).
 * Memory goes through the guest's page tables as they are (mmu_peek_translate:
 * no TLB use, no A/D bit, nothing counted) and only RAM and ROM are read
 * (a device is never touched by a debugger's read); a write lands in RAM
 * and drops the decoded code there (cpu_invalidate_phys). Breakpoints live in the
 * stub: guest memory and DR0-DR7 are never written.
 *
 * Monitor commands (gdb: `monitor CMD`): help; catch VECTOR and uncatch
 * VECTOR (stop when that exception is delivered, at its handler's first
 * instruction, with the signal gdb shows: SIGSEGV for #PF/#GP, ...);
 * counters (cycles, instructions and the nonzero counters).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "machine-internal.h"

#define CHUNK 2000000u      /* cycles between looks for Ctrl-C while running free */
#define STEPS_PER_LOOK 4096 /* steps between looks for Ctrl-C while stepping */
#define WATCH_MAX 16
#define WATCH_BYTES 64

struct gdb {
  struct machine_observer obs;
  struct machine *m;
  struct dbg_stub *stub;
  bool attached, started;
  bool stepping_for_gdb;     /* gdb asked for one step */
  uint64_t steps;
  bool catch_vec[32];
  uint64_t exc_seen[32];     /* exception.N counts when the machine last stopped */
  uint32_t watch_addr[WATCH_MAX], watch_len[WATCH_MAX];
  uint8_t watch_old[WATCH_MAX][WATCH_BYTES];
  unsigned n_watch;
};

/* ---- the target: registers and memory ---------------------------------------------- */

static void read_regs(void *ctx, struct dbg_regs *out) {
  struct gdb *g = ctx;
  struct cpu *c = g->m->cpu;
  memset(out, 0, sizeof *out);
  for (unsigned r = 0; r < 8; r++)
    out->r[DBG_EAX + r] = cpu_get_reg(c, (enum cpu_reg)r);
  out->r[DBG_EIP] = cpu_get_eip(c);
  out->r[DBG_EFLAGS] = cpu_get_eflags(c);
  static const enum cpu_sreg order[6] = {CPU_CS, CPU_SS, CPU_DS, CPU_ES, CPU_FS, CPU_GS};
  for (unsigned k = 0; k < 6; k++) {
    struct cpu_segment s;
    cpu_get_segment(c, order[k], &s);
    out->r[DBG_CS + k] = s.selector;
    out->r[DBG_CS_BASE + k] = s.base;
  }
  struct cpu_debug_state d;
  cpu_debug_state(c, &d);
  memcpy(out->st, d.st, sizeof out->st);
  out->r[DBG_FCTRL] = d.fcw;
  out->r[DBG_FSTAT] = d.fsw;
  out->r[DBG_FTAG] = d.ftw;
  out->r[DBG_FISEG] = d.fcs;
  out->r[DBG_FIOFF] = d.fip;
  out->r[DBG_FOSEG] = d.fds;
  out->r[DBG_FOOFF] = d.fdp;
  out->r[DBG_FOP] = d.fop;
  out->r[DBG_CR0] = cpu_get_cr(c, 0);
  out->r[DBG_CR2] = cpu_get_cr(c, 2);
  out->r[DBG_CR3] = cpu_get_cr(c, 3);
  out->r[DBG_CR4] = cpu_get_cr(c, 4);
  out->r[DBG_GDTR_BASE] = d.gdtr_base;
  out->r[DBG_GDTR_LIMIT] = d.gdtr_limit;
  out->r[DBG_IDTR_BASE] = d.idtr_base;
  out->r[DBG_IDTR_LIMIT] = d.idtr_limit;
  out->r[DBG_LDTR] = d.ldtr.selector;
  out->r[DBG_TR] = d.tr.selector;
  out->r[DBG_CPL] = d.cpl;
}

/* The general registers, EIP and EFLAGS can be written; the rest (a
 * selector without its descriptor, CRn, the x87) cannot from here. */
static int write_reg(void *ctx, unsigned r, const uint8_t *v) {
  struct gdb *g = ctx;
  struct cpu *c = g->m->cpu;
  uint32_t x = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
  if (r <= DBG_EDI)
    cpu_set_reg(c, (enum cpu_reg)(r - DBG_EAX), x);
  else if (r == DBG_EIP)
    cpu_set_eip(c, x);
  else if (r == DBG_EFLAGS)
    cpu_set_eflags(c, x);
  else
    return -1;
  cpu_resume_forget(c);
  return 0;
}

/* Host memory of n bytes at linear lin within one page, RAM or ROM, or NULL. */
static const uint8_t *peek(struct machine *m, uint32_t lin, unsigned n, uint64_t *phys) {
  if (!mmu_peek_translate(m->mem, lin, phys) || *phys >= 0x100000000ull)
    return NULL;
  return mmu_code_ptr(m->mem, (uint32_t)*phys, n);
}

static uint32_t read_mem(void *ctx, uint32_t lin, uint8_t *buf, uint32_t n) {
  struct gdb *g = ctx;
  uint32_t done = 0;
  while (done < n) {
    uint32_t at = lin + done;
    unsigned chunk = 4096u - (at & 4095u);
    if (chunk > n - done)
      chunk = n - done;
    uint64_t phys;
    const uint8_t *p = peek(g->m, at, chunk, &phys);
    if (!p)
      break;
    memcpy(buf + done, p, chunk);
    done += chunk;
  }
  return done;
}

static uint32_t write_mem(void *ctx, uint32_t lin, const uint8_t *buf, uint32_t n) {
  struct gdb *g = ctx;
  struct mmu *mem = g->m->mem;
  uint32_t done = 0;
  while (done < n) {
    uint32_t at = lin + done;
    unsigned chunk = 4096u - (at & 4095u);
    if (chunk > n - done)
      chunk = n - done;
    uint64_t phys;
    if (!mmu_peek_translate(mem, at, &phys) || phys + chunk > mem->ram_bytes)
      break; /* RAM only: ROM stays read-only, devices are not written */
    memcpy(mem->ram + phys, buf + done, chunk);
    cpu_invalidate_phys(g->m->cpu, phys, chunk);
    done += chunk;
  }
  cpu_resume_forget(g->m->cpu);
  return done;
}

static int monitor(void *ctx, const char *cmd, char *out, size_t n) {
  struct gdb *g = ctx;
  unsigned v;
  char extra;
  if (!strcmp(cmd, "help")) {
    snprintf(out, n, "ringlab monitor commands:\n"
                     "  catch VECTOR    stop when exception VECTOR (0-31) is delivered\n"
                     "  uncatch VECTOR  no longer\n"
                     "  counters        cycles, instructions and the nonzero event counters\n");
    return 0;
  }
  if (sscanf(cmd, "catch %u%c", &v, &extra) == 1 && v < 32) {
    g->catch_vec[v] = true;
    snprintf(out, n, "ringlab: stopping at exception %u's delivery\n", v);
    return 0;
  }
  if (sscanf(cmd, "uncatch %u%c", &v, &extra) == 1 && v < 32) {
    g->catch_vec[v] = false;
    snprintf(out, n, "ringlab: exception %u no longer stops\n", v);
    return 0;
  }
  if (!strcmp(cmd, "counters")) {
    struct machine_snap s;
    machine_snap(g->m, &s);
    size_t o = (size_t)snprintf(out, n, "cycles %llu\ninstructions %llu\n", (unsigned long long)s.cycles,
                                (unsigned long long)s.instructions);
    for (unsigned slot = 0; slot < TRACE_SLOT_COUNT && o < n; slot++) {
      char name[64];
      if (s.events.slot[slot] && trace_slot_name(slot, name, sizeof name) == 0)
        o += (size_t)snprintf(out + o, n - o, "%s %llu\n", name, (unsigned long long)s.events.slot[slot]);
    }
    return 0;
  }
  return -1;
}

static const struct dbg_target_ops target_ops = {
    .read_regs = read_regs,
    .write_reg = write_reg,
    .read_mem = read_mem,
    .write_mem = write_mem,
    .monitor = monitor,
};

/* ---- run control ------------------------------------------------------------------------ */

static bool catching(const struct gdb *g) {
  for (unsigned v = 0; v < 32; v++)
    if (g->catch_vec[v])
      return true;
  return false;
}

static void remember(struct gdb *g) {
  const struct trace_counters *c = cpu_counters(g->m->cpu);
  for (unsigned v = 0; v < 32; v++)
    g->exc_seen[v] = trace_counter_at(c, TRACE_EV_exception, v);
  g->n_watch = dbg_watchpoints(g->stub, g->watch_addr, g->watch_len, WATCH_MAX);
  for (unsigned k = 0; k < g->n_watch; k++) {
    if (g->watch_len[k] > WATCH_BYTES)
      g->watch_len[k] = WATCH_BYTES;
    memset(g->watch_old[k], 0, WATCH_BYTES);
    read_mem(g, g->watch_addr[k], g->watch_old[k], g->watch_len[k]);
  }
}

/* Why the machine should stop here for gdb, if it should. */
static bool stop_reason(struct gdb *g, struct dbg_stop *why) {
  struct machine *m = g->m;
  struct cpu_segment cs;
  cpu_get_segment(m->cpu, CPU_CS, &cs);
  uint32_t lin = cs.base + cpu_get_eip(m->cpu);
  const struct trace_counters *c = cpu_counters(m->cpu);
  for (unsigned v = 0; v < 32; v++)
    if (g->catch_vec[v] && trace_counter_at(c, TRACE_EV_exception, v) != g->exc_seen[v]) {
      *why = (struct dbg_stop){.kind = DBG_STOP_EXCEPTION, .vector = (int)v};
      return true;
    }
  for (unsigned k = 0; k < g->n_watch; k++) {
    uint8_t now[WATCH_BYTES] = {0};
    read_mem(g, g->watch_addr[k], now, g->watch_len[k]);
    if (memcmp(now, g->watch_old[k], g->watch_len[k]) != 0) {
      *why = (struct dbg_stop){.kind = DBG_STOP_WATCH, .addr = g->watch_addr[k]};
      return true;
    }
  }
  bool hw;
  if (dbg_breakpoint_at(g->stub, lin, &hw)) {
    *why = (struct dbg_stop){.kind = DBG_STOP_BREAK, .addr = lin};
    return true;
  }
  return false;
}

/* Hands the machine to gdb until it resumes, and arms the next stop. */
static void talk(struct gdb *g, const struct dbg_stop *why) {
  enum dbg_resume r = dbg_stopped(g->stub, why);
  g->stepping_for_gdb = false;
  switch (r) {
  case DBG_STEP:
    g->stepping_for_gdb = true;
    g->obs.step = true;
    g->obs.pause_at = DEV_NEVER;
    break;
  case DBG_CONTINUE:
    remember(g);
    g->obs.step = dbg_has_stops(g->stub) || catching(g);
    g->obs.pause_at = g->obs.step ? DEV_NEVER : cpu_cycles(g->m->cpu) + CHUNK;
    break;
  case DBG_KILL:
    g->attached = false;
    machine_stop(g->m, MACHINE_END_STOPPED, "killed by gdb");
    break;
  case DBG_DETACH:
    g->attached = false;
    g->obs.step = false;
    g->obs.pause_at = DEV_NEVER;
    break;
  }
  remember(g);
}

static void gdb_stopped(void *ctx, struct machine *m) {
  struct gdb *g = ctx;
  if (!g->attached)
    return;
  if (m->end != MACHINE_RUNNING) { /* the end: gdb hears how it ended */
    struct dbg_stop why = {.kind = DBG_STOP_EXITED, .status = machine_exit_status(m)};
    if (m->end == MACHINE_END_TRIPLE_FAULT)
      why = (struct dbg_stop){.kind = DBG_STOP_KILLED, .status = 11}; /* SIGSEGV */
    else if (m->end == MACHINE_END_UNIMPLEMENTED)
      why = (struct dbg_stop){.kind = DBG_STOP_KILLED, .status = 4}; /* SIGILL */
    if (m->end != MACHINE_END_STOPPED)
      dbg_stopped(g->stub, &why);
    g->attached = false;
    return;
  }
  if (!g->started) {
    g->started = true;
    talk(g, &(struct dbg_stop){.kind = DBG_STOP_ATTACH});
    return;
  }
  struct dbg_stop why;
  if (g->stepping_for_gdb) {
    if (!stop_reason(g, &why) || why.kind == DBG_STOP_BREAK)
      why = (struct dbg_stop){.kind = DBG_STOP_STEP};
    talk(g, &why);
    return;
  }
  if (g->obs.step) { /* continuing one boundary at a time */
    if (stop_reason(g, &why)) {
      talk(g, &why);
      return;
    }
    if (++g->steps % STEPS_PER_LOOK == 0 && dbg_interrupted(g->stub))
      talk(g, &(struct dbg_stop){.kind = DBG_STOP_INTERRUPT});
    return;
  }
  if (dbg_interrupted(g->stub)) { /* running free */
    talk(g, &(struct dbg_stop){.kind = DBG_STOP_INTERRUPT});
    return;
  }
  g->obs.pause_at = cpu_cycles(m->cpu) + CHUNK;
}

struct gdb *gdb_open(struct machine *m, uint16_t port, char *err, size_t n) {
  struct gdb *g = calloc(1, sizeof *g);
  if (!g) {
    snprintf(err, n, "out of memory");
    return NULL;
  }
  g->m = m;
  uint16_t bound;
  g->stub = dbg_listen(port, &target_ops, g, &bound, err, n);
  if (!g->stub) {
    free(g);
    return NULL;
  }
  fprintf(stderr, "ringlab: gdb: waiting for gdb on 127.0.0.1:%u (target remote 127.0.0.1:%u)\n", bound, bound);
  fflush(stderr);
  if (dbg_accept(g->stub, err, n) != 0) {
    gdb_close(g);
    return NULL;
  }
  g->attached = true;
  g->obs = (struct machine_observer){.stopped = gdb_stopped, .ctx = g, .pause_at = DEV_NEVER};
  if (machine_observe(m, &g->obs) != 0) {
    snprintf(err, n, "--gdb: too many observers");
    gdb_close(g);
    return NULL;
  }
  return g;
}

void gdb_close(struct gdb *g) {
  if (!g)
    return;
  dbg_close(g->stub);
  free(g);
}
