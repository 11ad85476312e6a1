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

/* Observers of a run (the window, the gdb stub, --save-at): each says
 * where it wants the machine paused, and is called at every pause (and
 * once before the run starts). A pause changes nothing the guest sees or
 * the counters count (cpu.h, cpu_pause_at and cpu_step). */
struct machine;
struct machine_observer {
  /* Called with the machine stopped between two instructions; it may look,
   * change what the observer wants next (pause_at, step), wait for its
   * user, or end the run (machine_stop). */
  void (*stopped)(void *ctx, struct machine *m);
  void *ctx;
  cycles_t pause_at; /* pause at this cycle (the budget rule, as a device event); DEV_NEVER: none */
  bool step;         /* pause at the next instruction boundary */
  bool input;        /* it may queue input events (keys) at pauses: a machine halted with nothing
                      * pending waits for them instead of ending */
};
#define MACHINE_MAX_OBSERVERS 4

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
  struct dev_lapic *lapic;   /* the processor's local APIC: INTR, INTA, IA32_APIC_BASE */
  struct dev_ioapic *ioapic; /* the I/O APIC at 0xFEC00000 */
  uint64_t lapic_mapped;     /* where the APIC's page is mapped now, or BOARD_UNMAPPED */
  struct opsport ops;
  bool intr;      /* the CPU's INTR, as the local APIC drives it */
  bool pic_int;   /* the master PIC's INT (the APIC's LINT0, the I/O APIC's pin 0) */
  bool init_pending; /* an INIT from the local APIC, applied between runs (loop.c) */
  bool has_bios;  /* booted from a ROM (--bios): an INIT restarts it */
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

  struct machine_observer *observers[MACHINE_MAX_OBSERVERS];
  unsigned n_observers;
  bool idle; /* halted with nothing pending, waiting for an observer's input */
  uint64_t serial_bytes; /* bytes COM1 has sent (snapshots say where a restored run's output starts) */
  cycles_t max_cycles; /* of machine_run (DEV_NEVER: none): run_until's bound */

  enum machine_end end;
  int exit_status; /* for MACHINE_END_EXIT_PORT / _OPS_EXIT */
  char end_message[256]; /* one line for stderr, or "" */
};

/* board.c: creates memory, CPU, bus, scheduler and chips and wires them.
 * Returns NULL with err set on failure. */
struct machine *machine_new(uint32_t ram_bytes, FILE *serial_out, FILE *debugcon_out, char *err,
                            size_t err_bytes);
void machine_free(struct machine *m);
#define BOARD_UNMAPPED UINT64_MAX
/* The APICs as a BIOS leaves them for an operating system (machine_new
 * does this: the loaders are the BIOS): the local APIC software-enabled in
 * virtual-wire mode (LINT0 ExtINT, LINT1 NMI), as SeaBIOS leaves it; the
 * I/O APIC's ID 1. machine_power_on_apics: the state of the chips at
 * power-on instead, for a ROM (--bios) to program. */
void machine_firmware_apics(struct machine *m);
void machine_power_on_apics(struct machine *m);
/* After a snapshot's load: the local APIC's page where its base says. */
void machine_board_rewire(struct machine *m);
/* The INIT the local APIC sent, at an instruction boundary (loop.c). */
void machine_init_signal(struct machine *m);

/* Adds an observer (owned by the caller, alive while the machine runs);
 * -1 when there are MACHINE_MAX_OBSERVERS already. */
int machine_observe(struct machine *m, struct machine_observer *o);
/* run.c's loop (loop.c): runs until the machine ends or max_cycles
 * (DEV_NEVER = no limit); sets m->end, m->exit_status, m->end_message. */
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

/* pause.c: --pause-every (every cycles, or 0: every instruction boundary);
 * NULL when out of memory or observers. Freed with free(). */
struct pause_every *pause_every_new(struct machine *m, cycles_t every);
uint64_t pause_every_count(const struct pause_every *p);

/* window.c: --display sdl, the window as an observer. window_open adds
 * it (NULL with one line in err: no display, no key file); window_finish
 * draws the end, writes --screenshot, holds the window if asked (0, or -1
 * with err). */
struct window;
struct window *window_open(struct machine *m, const char *keys_out, const char *screenshot, bool hold, char *err,
                           size_t n);
int window_finish(struct window *win, struct machine *m, char *err, size_t n);
void window_close(struct window *win);

/* gdb.c: --gdb PORT, the gdb stub as an observer. gdb_open listens on
 * 127.0.0.1:port, says so on stderr and waits for gdb (NULL with one line
 * in err). */
struct gdb;
struct gdb *gdb_open(struct machine *m, uint16_t port, char *err, size_t n);
void gdb_close(struct gdb *g);

/* snapshot.c: --save-at/--save and --restore. snapshot_write writes the
 * machine to path (through path.tmp); snapshot_read reads and checks a file
 * (magic, version, CRC, sections: one line in err otherwise);
 * snapshot_apply restores it into a machine made with its RAM size. All 0
 * or NULL/-1 with err. */
struct snapshot;
int snapshot_write(struct machine *m, const char *path, char *err, size_t n);
struct snapshot *snapshot_read(const char *path, char *err, size_t n);
uint32_t snapshot_ram_bytes(const struct snapshot *s);
uint64_t snapshot_cycles(const struct snapshot *s);
uint64_t snapshot_serial_bytes(const struct snapshot *s);
int snapshot_apply(struct machine *m, const struct snapshot *s, const char *path, char *err, size_t n);
void snapshot_free(struct snapshot *s);
/* The --save-at observer: saves at the first instruction boundary at or
 * after `at`; saver_result says whether it did (0, or -1 with err). */
struct saver;
struct saver *saver_new(struct machine *m, cycles_t at, const char *path);
int saver_result(const struct saver *s, char *err, size_t n);

/* stats.c: writes the --stats JSON to path (through a temporary file).
 * Returns 0, or -1 with err set. */
int machine_write_stats(const struct machine *m, const char *path, char *err, size_t err_bytes);

#endif
