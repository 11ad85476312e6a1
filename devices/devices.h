/* devices/devices.h - the public header of devices/: the bus, the scheduler
 * of device events, IRQ lines and the chips.
 *
 * bus.h stays the header of the port bus (its tests include it alone); this
 * header includes it and adds what the machine needs to assemble a board.
 * Every chip is a constant class (struct dev_port_ops) plus instances made
 * by its _new function, and knows nothing of the board: which ports and
 * IRQ it sits at is machine/board.c's business. Callbacks get offsets in the
 * chip's range, never board ports.
 *
 * Time. Devices never read the host clock. Emulated time is the CPU's cycle
 * counter, and it reaches devices through one place, the scheduler below: a
 * device that has something to do at a future cycle registers a clock
 * (struct dev_clock_ops) that says when its next event is; the machine runs
 * the CPU until the earliest of them (dev_sched_next) and then moves the
 * scheduler's time forward (dev_sched_advance), which fires every event due,
 * earliest first. Host input (serial bytes) enters as events stamped with a
 * cycle, so a run can be replayed.
 */
#ifndef RINGLAB_DEVICES_H
#define RINGLAB_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

typedef uint64_t cycles_t; /* as cpu/cpu.h */

#define DEV_NEVER UINT64_MAX /* "no event pending" */

/* ---- the scheduler of device events (sched.c) ----------------------------- */

struct dev_clock_ops {
  const char *name;                           /* for diagnostics */
  cycles_t (*next_event)(void *ctx);          /* cycle of the next event, or DEV_NEVER */
  void (*run_until)(void *ctx, cycles_t now); /* handle every event at or before now */
};

struct dev_sched;

struct dev_sched *dev_sched_new(void);
void dev_sched_free(struct dev_sched *s);
/* Adds a device clock; ops must outlive the scheduler. Returns 0, or -1
 * when out of memory. */
int dev_sched_add(struct dev_sched *s, const struct dev_clock_ops *ops, void *ctx);
/* The earliest next event of any device, or DEV_NEVER. */
cycles_t dev_sched_next(const struct dev_sched *s);
/* Moves device time forward to now (never backward: an earlier now is
 * ignored), firing due events earliest first; among devices with events at
 * one cycle, in the order they were added. */
void dev_sched_advance(struct dev_sched *s, cycles_t now);
/* The time devices have been brought to. */
cycles_t dev_sched_now(const struct dev_sched *s);

/* ---- interrupt lines ------------------------------------------------------- */

/* A chip's interrupt output, as in TinyEMU: the chip calls
 * dev_irq_set(&line, level); an unconnected line (set_irq NULL) does
 * nothing. */
struct dev_irq {
  void (*set_irq)(void *opaque, int irq_num, int level);
  void *opaque;
  int irq_num;
};

static inline void dev_irq_set(const struct dev_irq *irq, int level) {
  if (irq->set_irq)
    irq->set_irq(irq->opaque, irq->irq_num, level);
}

/* Where a chip's output bytes go (serial transmit, debug console). A NULL
 * fn drops them. */
struct dev_byte_sink {
  void (*fn)(void *opaque, uint8_t byte);
  void *opaque;
};

/* ---- debug exit: QEMU's isa-debug-exit (debugexit.c) ------------------------ */

/* A write of value V of any size at any offset of the range asks the
 * machine to end with host exit status ((V << 1) | 1) & 0xFF, as QEMU's
 * `-device isa-debug-exit,iobase=0xf4,iosize=4` does (V = 0 gives 1). The
 * first write wins; the chip calls on_exit once, and the machine stops the
 * CPU at the end of the writing instruction. Reads give all ones. */
struct dev_debugexit;
extern const struct dev_port_ops dev_debugexit_ops;
#define DEV_DEBUGEXIT_PORTS 4 /* iosize=4 */
struct dev_debugexit *dev_debugexit_new(void (*on_exit)(void *opaque, int status), void *opaque);
void dev_debugexit_free(struct dev_debugexit *d);
/* Whether the guest wrote, and the exit status it asked for. */
bool dev_debugexit_fired(const struct dev_debugexit *d, int *status);

/* ---- debug console: Bochs/QEMU port 0xe9 (debugcon.c) ---------------------- */

/* A byte written goes to the sink; a read gives 0xE9, which guests use to
 * detect the console (as Bochs and QEMU do). */
struct dev_debugcon;
extern const struct dev_port_ops dev_debugcon_ops;
#define DEV_DEBUGCON_PORTS 1
struct dev_debugcon *dev_debugcon_new(struct dev_byte_sink sink);
void dev_debugcon_free(struct dev_debugcon *d);

/* ---- 16550A UART (uart16550.c) ----------------------------------------------- */

/* Eight registers at offsets 0-7 (see uart16550.c for the map). Transmitted
 * bytes go to the sink (or, in loopback, back into the receiver). Received
 * bytes come from a queue of (cycle, byte) events that the scheduler
 * delivers through the chip's clock (dev_uart_clock_ops). The interrupt
 * output is `irq`, level-triggered, high while an enabled interrupt is
 * pending. */
struct dev_uart;
extern const struct dev_port_ops dev_uart_ops;
extern const struct dev_clock_ops dev_uart_clock_ops;
#define DEV_UART_PORTS 8
struct dev_uart *dev_uart_new(struct dev_byte_sink tx, struct dev_irq irq);
void dev_uart_free(struct dev_uart *u);
/* Queues a byte to arrive at the receiver at cycle `when`. Events must come
 * in nondecreasing cycle order; returns 0, -1 on an out-of-order event or
 * no memory. */
int dev_uart_queue_rx(struct dev_uart *u, cycles_t when, uint8_t byte);
/* Bytes lost because the receiver was full (LSR.OE), since creation. */
uint64_t dev_uart_overruns(const struct dev_uart *u);

#endif
