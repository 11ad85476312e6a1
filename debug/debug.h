/* debug/debug.h - the GDB remote serial protocol for an i386 target: the
 * stub's side of `target remote` (`ringlab run --gdb PORT`).
 *
 *   gdb <--TCP, loopback--> stub (gdbstub.c) <--struct dbg_target_ops--> the machine
 *                            packets, registers,                          (machine/gdb.c:
 *                            breakpoints, watchpoints,                    memory through
 *                            stop replies                                 the page tables,
 *                                                                         run control)
 *
 * The stub knows the protocol and keeps the breakpoints and watchpoints;
 * it knows nothing of the machine beyond the ops. The machine runs the
 * guest and, at every stop, hands control to the stub (dbg_stopped), which
 * talks to gdb until gdb resumes: then it says how (continue, step, kill,
 * detach). While the guest runs the machine asks dbg_interrupted() now and
 * then (gdb's Ctrl-C), and whether an address holds a breakpoint.
 *
 * Breakpoints never write guest memory: Z0 (gdb's software breakpoints)
 * and Z1 (hardware) are both kept here and checked at instruction
 * boundaries by the machine; the guest's DR0-DR7 are not used. Watchpoints
 * (Z2, writes) likewise: the machine compares the watched bytes after each
 * instruction. Read and access watchpoints (Z3, Z4) are not supported
 * (empty reply: gdb says so).
 */
#ifndef RINGLAB_DEBUG_H
#define RINGLAB_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Registers in the target description's order (dbg_target_xml). */
enum dbg_reg {
  DBG_EAX, DBG_ECX, DBG_EDX, DBG_EBX, DBG_ESP, DBG_EBP, DBG_ESI, DBG_EDI,
  DBG_EIP, DBG_EFLAGS,
  DBG_CS, DBG_SS, DBG_DS, DBG_ES, DBG_FS, DBG_GS,
  DBG_ST0, /* .. DBG_ST0 + 7: 80 bits each */
  DBG_FCTRL = DBG_ST0 + 8, DBG_FSTAT, DBG_FTAG, DBG_FISEG, DBG_FIOFF, DBG_FOSEG, DBG_FOOFF, DBG_FOP,
  DBG_CR0, DBG_CR2, DBG_CR3, DBG_CR4,
  DBG_GDTR_BASE, DBG_GDTR_LIMIT, DBG_IDTR_BASE, DBG_IDTR_LIMIT, DBG_LDTR, DBG_TR,
  DBG_CS_BASE, DBG_SS_BASE, DBG_DS_BASE, DBG_ES_BASE, DBG_FS_BASE, DBG_GS_BASE,
  DBG_CPL,
  DBG_NREGS
};

/* Bytes of register r in the protocol (10 for the x87 stack, else 4). */
unsigned dbg_reg_bytes(unsigned r);
/* The target description: i386, org.gnu.gdb.i386.core (the general,
 * segment and x87 registers as gdb knows them) and org.ringlab.i386.system
 * (control registers, descriptor tables, segment bases, CPL). */
const char *dbg_target_xml(void);

struct dbg_regs {
  uint32_t r[DBG_NREGS]; /* all but the x87 stack, little-endian values */
  uint8_t st[8][10];     /* ST(0)..ST(7) */
};

struct dbg_target_ops {
  void (*read_regs)(void *ctx, struct dbg_regs *out);
  /* Writes register r (its dbg_reg_bytes bytes, little-endian); -1 if that
   * register cannot be written. */
  int (*write_reg)(void *ctx, unsigned r, const uint8_t *value);
  /* Linear memory through the guest's page tables: the bytes done (stops
   * at the first unmapped or non-RAM page). Reads change nothing (no TLB
   * use, no A/D bit, no count); writes drop decoded code. */
  uint32_t (*read_mem)(void *ctx, uint32_t lin, uint8_t *buf, uint32_t n);
  uint32_t (*write_mem)(void *ctx, uint32_t lin, const uint8_t *buf, uint32_t n);
  /* A monitor command (gdb's `monitor ...`): writes its answer into out
   * (one line or more, '\n'-separated); -1 for an unknown command. */
  int (*monitor)(void *ctx, const char *cmd, char *out, size_t n);
};

/* Why the guest stopped, for the stop reply. */
enum dbg_stop_kind {
  DBG_STOP_ATTACH,     /* before the first instruction (SIGTRAP) */
  DBG_STOP_STEP,       /* a step done (SIGTRAP) */
  DBG_STOP_BREAK,      /* a breakpoint at addr (SIGTRAP, swbreak or hwbreak) */
  DBG_STOP_WATCH,      /* a write to watched addr (SIGTRAP, watch:addr) */
  DBG_STOP_INTERRUPT,  /* gdb's Ctrl-C (SIGINT) */
  DBG_STOP_EXCEPTION,  /* a caught exception delivered: signal by vector */
  DBG_STOP_EXITED,     /* the machine ended: W status */
  DBG_STOP_KILLED,     /* the machine ended abnormally: X signal */
};

struct dbg_stop {
  enum dbg_stop_kind kind;
  uint32_t addr;  /* BREAK, WATCH */
  int vector;     /* EXCEPTION: the exception's vector */
  int status;     /* EXITED: the exit status; KILLED: the signal */
};

/* What gdb asked for when it resumed. */
enum dbg_resume { DBG_CONTINUE, DBG_STEP, DBG_KILL, DBG_DETACH };

struct dbg_stub;

/* Listens on 127.0.0.1:port (0: any free port) and waits for gdb to
 * connect. *bound gets the port. NULL with one line in err. */
struct dbg_stub *dbg_listen(uint16_t port, const struct dbg_target_ops *ops, void *ctx, uint16_t *bound, char *err,
                            size_t n);
/* Stops the stub's listening socket and accepts gdb (blocking). 0, or -1
 * with err. */
int dbg_accept(struct dbg_stub *s, char *err, size_t n);
void dbg_close(struct dbg_stub *s);

/* The guest stopped: reports it (when gdb waits for a reply) and serves
 * gdb until it resumes. For EXITED and KILLED returns DBG_KILL after the
 * reply (nothing runs any more). A lost connection is a detach. */
enum dbg_resume dbg_stopped(struct dbg_stub *s, const struct dbg_stop *why);
/* While the guest runs: whether gdb sent Ctrl-C (never blocks). */
bool dbg_interrupted(struct dbg_stub *s);

/* Breakpoints and watchpoints, for the machine to check. */
bool dbg_breakpoint_at(const struct dbg_stub *s, uint32_t lin, bool *hardware);
bool dbg_has_stops(const struct dbg_stub *s); /* any breakpoint or watchpoint */
unsigned dbg_watchpoints(const struct dbg_stub *s, uint32_t *addr, uint32_t *len, unsigned max);

/* Hex helpers (also for tests). */
int dbg_hex_digit(char c);

#endif
