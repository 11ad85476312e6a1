/* machine/machine-internal.h - the assembled machine, shared by the files
 * of machine/ (board, ops port, run loop, stats, the run command).
 */
#ifndef RINGLAB_MACHINE_INTERNAL_H
#define RINGLAB_MACHINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu.h"
#include "devices.h"
#include "machine.h"
#include "mmu.h"
#include "ringlab_ops.h"
#include "trace.h"

#define MACHINE_MAX_REGIONS 64
#define MACHINE_MAX_RESULTS 256

/* What a run reports: the CPU's clock and retired instructions and the
 * event counters, at one instruction boundary. */
struct machine_snap {
  cycles_t cycles;
  uint64_t instructions;
  struct trace_counters events;
};

struct region {
  char name[RINGLAB_OPS_NAME_MAX + 1];
  bool open;
  struct machine_snap begin; /* at the open REGION_BEGIN */
  struct machine_snap sum;   /* over closed begin-end pairs */
};

struct result {
  char name[RINGLAB_OPS_NAME_MAX + 1];
  int64_t value;
};

/* The ops-port device (opsport.c). */
struct opsport {
  struct machine *m;
  uint32_t arg[4];
  uint32_t status;   /* of the last op */
  bool pending;      /* an op was written; the run loop runs it */
  uint32_t op;
  uint8_t hypercall[RINGLAB_OPS_HYPERCALL_DEPTH]; /* numbers of the open hypercalls, innermost last */
  unsigned hypercalls;                            /* open hypercalls */
};

/* Why the machine stopped. */
enum machine_end {
  MACHINE_RUNNING,
  MACHINE_END_EXIT_PORT,     /* isa-debug-exit write */
  MACHINE_END_OPS_EXIT,      /* ops-port EXIT */
  MACHINE_END_TRIPLE_FAULT,
  MACHINE_END_HALT,
  MACHINE_END_MAX_CYCLES,
  MACHINE_END_UNIMPLEMENTED,
  MACHINE_END_RESET,         /* the 8042 pulsed the processor's RESET line */
  MACHINE_END_STOPPED,       /* the user stopped the run (window closed, gdb kill) */
};

struct machine {
  struct mmu *mem;
  struct cpu *cpu;
  struct dev_bus *bus;
  struct dev_sched *sched;

  /* chips, wired by board.c */
  struct dev_uart *uart;
  struct dev_debugcon *debugcon;
  struct dev_debugexit *debugexit;
  struct dev_pic *pic_master, *pic_slave;
  struct dev_pit *pit;
  struct dev_rtc *rtc;
  struct dev_a20 *a20;
  struct dev_vga *vga;
  struct dev_kbc *kbc;
  struct dev_fpuerr *fpuerr; /* FERR# -> IRQ 13, port F0h -> IGNNE# */
  struct opsport ops;
  bool intr;      /* the master PIC's INT, as driven on the CPU's INTR */
  cycles_t run_until; /* the end of the CPU's current run (loop.c): a device
                         event moved before it stops the run (board.c) */
  int com1_intr;  /* the UART's INTR pin */
  bool com1_out2; /* its MCR OUT2, which enables the pin onto IRQ 4 */

  FILE *serial_out;   /* NULL: serial output dropped */
  FILE *debugcon_out; /* NULL: debug console dropped */

  struct trace_counters counted; /* events the machine counts itself */
  struct machine_snap baseline;  /* at the last COUNTERS_RESET */
  struct region regions[MACHINE_MAX_REGIONS];
  unsigned n_regions;
  struct result results[MACHINE_MAX_RESULTS];
  unsigned n_results;

  enum machine_end end;
  int exit_status; /* for MACHINE_END_EXIT_PORT / _OPS_EXIT */
  char end_message[256]; /* one line for stderr, or "" */
};

/* board.c: creates memory, CPU, bus, scheduler and chips and wires them.
 * Returns NULL with err set on failure. */
struct machine *machine_new(uint32_t ram_bytes, FILE *serial_out, FILE *debugcon_out, char *err,
                            size_t err_bytes);
void machine_free(struct machine *m);

/* run.c's loop (loop.c): runs until the machine ends or max_cycles
 * (0 = no limit); sets m->end, m->exit_status, m->end_message. */
void machine_run(struct machine *m, uint64_t max_cycles);
/* Ends the run now (at the end of the current instruction when called from
 * a device), with one line "what at CS:EIP ..., cycle N"; nothing if it has
 * ended already. */
void machine_stop(struct machine *m, enum machine_end e, const char *what);
/* The exit status for how the machine ended. */
int machine_exit_status(const struct machine *m);
const char *machine_end_name(enum machine_end e);

/* Counters now (since power-on, before the baseline is subtracted). */
void machine_snap(const struct machine *m, struct machine_snap *s);
/* a - b, field by field. */
void machine_snap_sub(struct machine_snap *out, const struct machine_snap *a, const struct machine_snap *b);

/* opsport.c */
extern const struct dev_port_ops machine_opsport_ops;
/* Runs the op the guest wrote, at the instruction boundary after its OUT. */
void opsport_run(struct machine *m);
/* Closes regions still open (at the end of the run). */
void opsport_finish(struct machine *m);

/* keys.c: queues the key events of a --keys-in file on the keyboard
 * (0, or -1 with one line "FILE:LINE: reason" in err); writes one event
 * line of the same format (--keys-out). */
int keys_load(struct machine *m, const char *path, char *err, size_t n);
int keys_write(FILE *f, cycles_t when, unsigned key, bool down);

/* stats.c: writes the --stats JSON to path (through a temporary file).
 * Returns 0, or -1 with err set. */
int machine_write_stats(const struct machine *m, const char *path, char *err, size_t err_bytes);

#endif
