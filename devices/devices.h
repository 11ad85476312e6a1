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

/* Snapshots (snap/snap.h): every chip with state has dev_X_save, writing
 * its state (registers, pending events, queued input still to come), and
 * dev_X_load, restoring it into a chip wired the same way (callbacks, IRQ
 * lines and the timebase are the board's and stay). A load returns 0, or -1
 * with the reader failed and saying why. */
struct snap_writer;
struct snap_reader;

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
/* Input events (bytes) delivered since creation: the stream's position. */
uint64_t dev_uart_delivered(const struct dev_uart *u);
/* Bytes lost because the receiver was full (LSR.OE), since creation. */
uint64_t dev_uart_overruns(const struct dev_uart *u);

/* ---- the time chips see ------------------------------------------------------ */

/* What a chip with counters (PIT, RTC) needs of time: now is
 * dev_sched_now(sched), which the board brings to the cycle of every port
 * access before the access (and the run loop to the end of every run of
 * the CPU); cpu_hz gives the cycles per emulated second (the timing
 * preset's frequency), which the chip converts its own clock from with
 * exact integer arithmetic. A NULL sched reads as cycle 0. */
struct dev_timebase {
  const struct dev_sched *sched;
  uint64_t (*cpu_hz)(void *opaque);
  void *opaque;
};

/* ---- 8259A programmable interrupt controller (pic8259.c) ------------------- */

/* One chip; the PC's pair is two, cascaded by the board. Ports: offset 0
 * (A0 = 0: ICW1, OCW2, OCW3; IRR/ISR/poll) and 1 (ICW2-4, OCW1; IMR).
 * Inputs IR0-7 come in through dev_pic_set_irq (usable as a struct dev_irq
 * callback with opaque = the chip and irq_num = the IR); the output INT is
 * int_out. dev_pic_inta() is the CPU's interrupt acknowledge on the master:
 * it returns the vector, asking the slave on a cascade input. */
struct dev_pic;
extern const struct dev_port_ops dev_pic_ops;
#define DEV_PIC_PORTS 2
struct dev_pic *dev_pic_new(struct dev_irq int_out);
void dev_pic_free(struct dev_pic *p);
void dev_pic_set_irq(void *pic, int ir, int level);
/* Connects a slave's cascade: an INTA of the master on IR `ir` (with the
 * ir bit set in the master's ICW3) takes the vector from the slave. */
void dev_pic_cascade(struct dev_pic *master, int ir, struct dev_pic *slave);
int dev_pic_inta(struct dev_pic *master);
/* For tests and diagnostics. */
uint8_t dev_pic_irr(const struct dev_pic *p);
uint8_t dev_pic_isr(const struct dev_pic *p);
uint8_t dev_pic_imr(const struct dev_pic *p);
bool dev_pic_int(const struct dev_pic *p);

/* ---- 8254 programmable interval timer (pit8254.c) -------------------------- */

/* Ports: offsets 0-2 the counters, 3 the control word. dev_pit_portb_ops
 * is the PC's port 0x61 (counter 2's gate and output, the speaker enable,
 * the refresh toggle) on the same instance. OUT0 drives out0; its
 * transitions are events of dev_pit_clock_ops, at their exact cycles. */
struct dev_pit;
#define DEV_PIT_HZ 1193182u /* the PC's PIT clock, Hz */
extern const struct dev_port_ops dev_pit_ops;
extern const struct dev_port_ops dev_pit_portb_ops;
extern const struct dev_clock_ops dev_pit_clock_ops;
#define DEV_PIT_PORTS 4
#define DEV_PIT_PORTB_PORTS 1
struct dev_pit *dev_pit_new(struct dev_timebase tb, struct dev_irq out0);
void dev_pit_free(struct dev_pit *p);
/* GATE input of a counter (0 and 1 are tied high on a PC; port B drives 2). */
void dev_pit_set_gate(struct dev_pit *p, int counter, bool level);
/* OUT of a counter now, and the speaker (OUT2 AND port B bit 1). */
bool dev_pit_out(struct dev_pit *p, int counter);
bool dev_pit_speaker(struct dev_pit *p);

/* ---- MC146818A real-time clock and CMOS RAM (rtc.c) ------------------------ */

/* Ports: offset 0 the index (bit 7 the NMI mask), 1 the data. The time
 * starts at the given date (never the host's clock) and runs on cycles;
 * /IRQ drives irq (IRQ 8 on a PC). Events: periodic, alarm and update-ended
 * interrupts through dev_rtc_clock_ops. */
struct dev_rtc;
struct dev_rtc_time {
  int year, month, day, hour, minute, second; /* 1900-2099, 1-12, 1-31, ... */
};
#define DEV_RTC_DEFAULT_TIME {2000, 1, 1, 0, 0, 0}
extern const struct dev_port_ops dev_rtc_ops;
extern const struct dev_clock_ops dev_rtc_clock_ops;
#define DEV_RTC_PORTS 2
/* start NULL: DEV_RTC_DEFAULT_TIME. */
struct dev_rtc *dev_rtc_new(struct dev_timebase tb, struct dev_irq irq, const struct dev_rtc_time *start);
void dev_rtc_free(struct dev_rtc *r);
/* Parses "YYYY-MM-DD HH:MM:SS" (a valid date, years 1900-2099); 0 or -1. */
int dev_rtc_parse_time(const char *s, struct dev_rtc_time *out);
/* Sets the time (and the century byte, RAM 0x32). */
void dev_rtc_set_time(struct dev_rtc *r, const struct dev_rtc_time *t);
/* The RAM bytes 0x0E-0x7F, for the board to fill as a BIOS would. */
uint8_t dev_rtc_nvram(const struct dev_rtc *r, unsigned index);
void dev_rtc_nvram_set(struct dev_rtc *r, unsigned index, uint8_t value);
/* Port 0x70 bit 7 as last written (stored; the board routes it nowhere). */
bool dev_rtc_nmi_masked(const struct dev_rtc *r);

/* ---- port 0x92 fast A20 gate (a20.c) ---------------------------------------- */

/* Bit 1 gates address line 20; the chip calls set_a20(opaque, on) when it
 * changes (the board maps that to the memory). Other bits are stored. */
struct dev_a20;
extern const struct dev_port_ops dev_a20_ops;
#define DEV_A20_PORTS 1
struct dev_a20 *dev_a20_new(void (*set_a20)(void *opaque, bool on), void *opaque, bool initially_on);
void dev_a20_free(struct dev_a20 *a);
bool dev_a20_enabled(const struct dev_a20 *a);

/* ---- VGA adapter, colour text mode (vga.c) ------------------------------------ */

/* Ports 0x3B0-0x3DF (offsets from 0x3B0; vga.c has the map). The text the
 * adapter shows lives in the 32 KiB window at DEV_VGA_TEXT_BASE, which the
 * board hands in as a host pointer (the board's RAM there). Frame timing
 * (the retrace bits of input status 1) is computed from now. The chip
 * starts in mode 3 (80x25, 9x16 cells, 70 Hz), as a BIOS leaves it. */
struct dev_vga;
#define DEV_VGA_PORTS 0x30          /* 0x3B0-0x3DF */
#define DEV_VGA_TEXT_BASE 0xB8000u  /* physical address of the text window */
#define DEV_VGA_TEXT_BYTES 0x8000u  /* its size: 16 Ki cells of (character, attribute) */
#define DEV_VGA_CRTC_REGS 25
#define DEV_VGA_MAX_COLS 132
#define DEV_VGA_MAX_ROWS 60
extern const struct dev_port_ops dev_vga_ops;
struct dev_vga *dev_vga_new(struct dev_timebase tb, const uint8_t *text);
void dev_vga_free(struct dev_vga *v);
uint8_t dev_vga_crtc(const struct dev_vga *v, unsigned index);

/* What the screen shows now, for a display: cell (r, c) is the two bytes
 * at cell index (start + r * stride + c) mod 16384 of text (character,
 * then attribute: bits 0-3 foreground, 4-6 background, 7 blink or bright
 * background), coloured through palette[]. */
struct dev_vga_screen {
  const uint8_t *text;      /* the text window (DEV_VGA_TEXT_BYTES) */
  unsigned cols, rows;      /* characters per row, rows on the screen */
  unsigned cell_width;      /* dots per character: 8 or 9 */
  unsigned cell_height;     /* scan lines per character row */
  uint16_t start;           /* cell index of the top left character */
  unsigned stride;          /* cells from one row to the next */
  uint16_t cursor;          /* cell index of the cursor */
  bool cursor_on;           /* CRTC 0x0A bit 5 clear */
  unsigned cursor_first, cursor_last; /* its scan lines in the cell */
  bool blink;               /* attribute bit 7 blinks (else: bright background) */
  bool line_graphics;       /* characters 0xC0-0xDF repeat their 8th column in the 9th */
  bool blank;               /* the screen is off (sequencer) or the palette is being written */
  uint64_t frame;           /* frames since power-on (blink phases: cursor every 16, text 32) */
  uint32_t palette[16];     /* attribute colour -> 0xRRGGBB, through the palette and the DAC */
};
void dev_vga_screen(const struct dev_vga *v, struct dev_vga_screen *s);

/* ---- keys of a PC keyboard (keys.def) -------------------------------------------- */

enum dev_key {
#define KEY(id, name, set1, set2) DEV_KEY_##id,
#include "keys.def"
#undef KEY
  DEV_KEY_COUNT
};
/* The key's name in key files ("a", "lshift"), or NULL; the key by name, or -1. */
const char *dev_key_name(unsigned key);
int dev_key_by_name(const char *name);
/* Make codes (0xE000: an E0 prefix) in scan code sets 1 and 2. */
uint16_t dev_key_set1(unsigned key);
uint16_t dev_key_set2(unsigned key);

/* ---- PS/2 keyboard (ps2kbd.c) --------------------------------------------------- */

/* The keyboard on the 8042's keyboard port (the controller creates it):
 * commands in (dev_ps2kbd_command), bytes out (dev_ps2kbd_take), keys as
 * cycle-stamped events (dev_ps2kbd_queue, nondecreasing cycles) delivered
 * by dev_ps2kbd_run_until with the typematic repeat of held keys. */
struct dev_ps2kbd;
struct dev_ps2kbd *dev_ps2kbd_new(struct dev_timebase tb);
void dev_ps2kbd_free(struct dev_ps2kbd *k);
void dev_ps2kbd_command(struct dev_ps2kbd *k, uint8_t byte);
bool dev_ps2kbd_take(struct dev_ps2kbd *k, uint8_t *byte);
/* 0, or -1 on an unknown key, an event earlier than the last, no memory. */
int dev_ps2kbd_queue(struct dev_ps2kbd *k, cycles_t when, unsigned key, bool down);
cycles_t dev_ps2kbd_next_event(const struct dev_ps2kbd *k);
void dev_ps2kbd_run_until(struct dev_ps2kbd *k, cycles_t now);
/* Key events delivered since power-on (the input stream's position). */
uint64_t dev_ps2kbd_delivered(const struct dev_ps2kbd *k);
uint8_t dev_ps2kbd_leds(const struct dev_ps2kbd *k);
unsigned dev_ps2kbd_scan_set(const struct dev_ps2kbd *k);

/* ---- 8042 keyboard controller (i8042.c) ------------------------------------------- */

/* Two one-port classes: data (0x60 on a PC) and command/status (0x64).
 * IRQ outputs irq1 (keyboard bytes) and irq12 (aux bytes); the output
 * port's RESET pulse and A20 line go to `lines`. Key events enter through
 * dev_kbc_queue_key and are delivered by dev_kbc_clock_ops. */
struct dev_kbc;
struct dev_kbc_lines {
  void (*reset)(void *opaque);               /* RESET pulsed (FE, or D1 with bit 0 clear) */
  void (*set_a20)(void *opaque, bool on);    /* the output port's A20 bit changed */
  void *opaque;
};
extern const struct dev_port_ops dev_kbc_data_ops;
extern const struct dev_port_ops dev_kbc_command_ops;
extern const struct dev_clock_ops dev_kbc_clock_ops;
#define DEV_KBC_DATA_PORTS 1
#define DEV_KBC_COMMAND_PORTS 1
struct dev_kbc *dev_kbc_new(struct dev_timebase tb, struct dev_irq irq1, struct dev_irq irq12,
                            struct dev_kbc_lines lines);
void dev_kbc_free(struct dev_kbc *c);
int dev_kbc_queue_key(struct dev_kbc *c, cycles_t when, unsigned key, bool down);
struct dev_ps2kbd *dev_kbc_keyboard(struct dev_kbc *c);
/* The output port's A20 bit. */
bool dev_kbc_a20(const struct dev_kbc *c);
/* The controller's set 2 -> set 1 translation of one byte (F0 aside). */
uint8_t dev_kbc_translate(uint8_t set2);

/* ---- the PC's x87 error logic: FERR#, IRQ 13, port F0h (fpuerr.c) ------------ */

/* The processor's FERR# comes in through dev_fpuerr_set_ferr: its rising
 * edge raises irq (IRQ 13 on a PC) until a write to the port (F0h) lowers
 * it; that write also asserts IGNNE# (set_ignne) while FERR# lasts. */
struct dev_fpuerr;
extern const struct dev_port_ops dev_fpuerr_ops;
#define DEV_FPUERR_PORTS 1
struct dev_fpuerr *dev_fpuerr_new(struct dev_irq irq, void (*set_ignne)(void *opaque, bool level), void *opaque);
void dev_fpuerr_free(struct dev_fpuerr *f);
void dev_fpuerr_set_ferr(struct dev_fpuerr *f, bool level);
/* For tests: the IRQ output and IGNNE# now. */
bool dev_fpuerr_irq(const struct dev_fpuerr *f);
bool dev_fpuerr_ignne(const struct dev_fpuerr *f);

/* ---- the APIC bus: interrupt messages between APICs ------------------------- */

/* Delivery modes of an interrupt message (an I/O APIC redirection entry,
 * an IPI, a local vector table entry): SDM vol. 3, 10.5.1 and 10.6.1. */
enum dev_apic_delivery {
  DEV_APIC_FIXED = 0,
  DEV_APIC_LOWEST = 1,  /* lowest priority: one CPU here, so its own APIC */
  DEV_APIC_SMI = 2,
  DEV_APIC_REMOTE_READ = 3, /* P6 ICR only */
  DEV_APIC_NMI = 4,
  DEV_APIC_INIT = 5,
  DEV_APIC_STARTUP = 6,
  DEV_APIC_EXTINT = 7,
};

/* One message on the bus, as an I/O APIC sends it to the local APICs. */
struct dev_apic_msg {
  uint8_t vector;
  uint8_t delivery;   /* enum dev_apic_delivery */
  bool logical;       /* destination mode: logical (else physical) */
  bool level;         /* trigger mode: level (else edge) */
  uint8_t dest;       /* destination: an APIC ID, or a logical destination */
};

/* ---- local APIC (lapic.c) ------------------------------------------------------ */

/* The processor's local APIC, as the timing preset's processor has it:
 * the P6 family's (4-bit IDs, version 0x11, five LVT entries, the 3-wire
 * APIC bus: send accept errors) or the Pentium 4 / Xeon xAPIC (8-bit IDs,
 * version 0x14, six LVT entries, the system bus). Its 4 KiB register page
 * is at dev_lapic_base() while IA32_APIC_BASE.EN is set: the board maps
 * it (MMIO) and moves it when the base changes (lines.base_changed). The
 * chip is the processor's interrupt input: its INTR output drives the
 * core's INTR, dev_lapic_inta is the core's INTA; LINT0 and LINT1 are the
 * processor's pins (the 8259A's INT on LINT0 on a PC). With the APIC
 * globally disabled (IA32_APIC_BASE.EN = 0) LINT0 is INTR and LINT1 NMI,
 * straight through. lapic.c documents the registers and every departure. */
struct dev_lapic;

enum dev_lapic_model {
  DEV_LAPIC_P6,    /* Pentium Pro, II, III: APIC version 0x11 */
  DEV_LAPIC_XAPIC, /* Pentium 4, Xeon (NetBurst): version 0x14 */
};

/* What the chip reads of the preset: which APIC, and the frequency of
 * the bus clock its timer counts (a fraction of Hz). Asked at every use, so the preset
 * chosen after the board is built is the one in force. */
struct dev_lapic_clock {
  enum dev_lapic_model (*model)(void *opaque);
  void (*bus_hz)(void *opaque, uint64_t *num, uint64_t *den); /* num / den Hz */
  void *opaque;
};

/* Events the chip reports (for counters and traces; lines.event may be NULL). */
enum dev_lapic_event {
  DEV_LAPIC_EV_IPI,   /* an IPI sent through the ICR: vector, a = ICR low, b = ICR high */
  DEV_LAPIC_EV_EOI,   /* an EOI ended the in-service vector */
  DEV_LAPIC_EV_TIMER, /* the timer reached zero (a = 1 if its LVT entry was masked) */
  DEV_LAPIC_EV_ERROR, /* an error was detected: a = the ESR bits it sets */
};

/* The chip's outputs: the core's pins and the APIC bus. */
struct dev_lapic_lines {
  void (*intr)(void *opaque, bool level);    /* the core's INTR */
  void (*nmi)(void *opaque);                 /* an NMI to the core */
  void (*init)(void *opaque);                /* an INIT to the core (it resets the APIC too: dev_lapic_init_reset) */
  int (*extint_ack)(void *opaque);           /* the INTA cycle of an ExtINT: the 8259A's vector */
  void (*eoi)(void *opaque, uint8_t vector); /* the EOI message of a level-triggered vector (to the I/O APICs) */
  void (*base_changed)(void *opaque);        /* IA32_APIC_BASE's base or EN changed */
  void (*event)(void *opaque, enum dev_lapic_event e, uint8_t vector, uint32_t a, uint32_t b);
  void *opaque;
};

#define DEV_LAPIC_BYTES 0x1000u             /* the register page */
#define DEV_LAPIC_DEFAULT_BASE 0xFEE00000u
extern const struct dev_clock_ops dev_lapic_clock_ops; /* the timer */
/* A new APIC in its power-on state, APIC ID `id`, IA32_APIC_BASE =
 * DEV_LAPIC_DEFAULT_BASE, enabled, BSP. */
struct dev_lapic *dev_lapic_new(uint8_t id, struct dev_timebase tb, struct dev_lapic_clock clock,
                                struct dev_lapic_lines lines);
void dev_lapic_free(struct dev_lapic *l);
/* Power-on or RESET (SDM 10.4.7.1): IA32_APIC_BASE too. */
void dev_lapic_reset(struct dev_lapic *l);
/* The INIT of the processor: the same but for the APIC ID and the MSR. */
void dev_lapic_init_reset(struct dev_lapic *l);
/* The register page: offset within it, 1, 2 or 4 bytes. */
uint32_t dev_lapic_read(struct dev_lapic *l, uint32_t offset, unsigned size_bytes);
void dev_lapic_write(struct dev_lapic *l, uint32_t offset, unsigned size_bytes, uint32_t value);
/* IA32_APIC_BASE (MSR 0x1B). A write that sets a reserved bit returns
 * false and changes nothing (the processor raises #GP). */
uint64_t dev_lapic_base_msr(const struct dev_lapic *l);
bool dev_lapic_set_base_msr(struct dev_lapic *l, uint64_t value);
bool dev_lapic_enabled(const struct dev_lapic *l);   /* IA32_APIC_BASE.EN */
uint64_t dev_lapic_base(const struct dev_lapic *l);  /* the page's physical address */
/* LINT0 (pin 0) and LINT1 (pin 1) input levels; a struct dev_irq callback
 * with opaque = the chip, irq_num = the pin. */
void dev_lapic_set_lint(void *lapic, int pin, int level);
/* The core's INTA: the vector to deliver (the spurious vector if the
 * interrupt that raised INTR is masked by now), or -1. */
int dev_lapic_inta(struct dev_lapic *l);
/* A message from the APIC bus (an I/O APIC); true if this APIC accepted it. */
bool dev_lapic_receive(struct dev_lapic *l, const struct dev_apic_msg *m);
/* For tests and diagnostics: INTR now, a register by its offset (no side
 * effect), the timer's current count now. */
bool dev_lapic_intr(const struct dev_lapic *l);
uint32_t dev_lapic_peek(const struct dev_lapic *l, uint32_t offset);

/* ---- I/O APIC (ioapic.c) --------------------------------------------------------- */

/* An Intel 82093AA I/O APIC: 24 interrupt inputs, each with a redirection
 * entry that sends a message on the APIC bus (deliver, which says whether
 * a local APIC accepted it); registers through IOREGSEL (offset 0x00) and
 * IOWIN (0x10) of its page. An EOI message of a level-triggered vector
 * (dev_ioapic_eoi) clears the remote IRR of the entries with that vector.
 * ioapic.c documents the registers and departures. */
struct dev_ioapic;
#define DEV_IOAPIC_PINS 24
#define DEV_IOAPIC_BYTES 0x1000u
#define DEV_IOAPIC_DEFAULT_BASE 0xFEC00000u
struct dev_ioapic *dev_ioapic_new(uint8_t id, bool (*deliver)(void *opaque, const struct dev_apic_msg *m),
                                  void *opaque);
void dev_ioapic_free(struct dev_ioapic *io);
/* Power-on: every entry masked, the ID given. */
void dev_ioapic_reset(struct dev_ioapic *io, uint8_t id);
uint32_t dev_ioapic_read(struct dev_ioapic *io, uint32_t offset, unsigned size_bytes);
void dev_ioapic_write(struct dev_ioapic *io, uint32_t offset, unsigned size_bytes, uint32_t value);
/* Input pin levels (a struct dev_irq callback: opaque = the chip, irq_num = the pin). */
void dev_ioapic_set_irq(void *ioapic, int pin, int level);
void dev_ioapic_eoi(struct dev_ioapic *io, uint8_t vector);
/* For tests: a redirection entry, the ID. */
uint64_t dev_ioapic_entry(const struct dev_ioapic *io, unsigned pin);
uint8_t dev_ioapic_id(const struct dev_ioapic *io);

/* ---- snapshots ------------------------------------------------------------ */

void dev_sched_save(const struct dev_sched *s, struct snap_writer *w);
int dev_sched_load(struct dev_sched *s, struct snap_reader *r);
void dev_pic_save(const struct dev_pic *p, struct snap_writer *w);
int dev_pic_load(struct dev_pic *p, struct snap_reader *r);
void dev_pit_save(const struct dev_pit *p, struct snap_writer *w);
int dev_pit_load(struct dev_pit *p, struct snap_reader *r);
void dev_rtc_save(const struct dev_rtc *p, struct snap_writer *w);
int dev_rtc_load(struct dev_rtc *p, struct snap_reader *r);
void dev_uart_save(const struct dev_uart *u, struct snap_writer *w);
int dev_uart_load(struct dev_uart *u, struct snap_reader *r);
void dev_a20_save(const struct dev_a20 *a, struct snap_writer *w);
int dev_a20_load(struct dev_a20 *a, struct snap_reader *r);
void dev_debugexit_save(const struct dev_debugexit *d, struct snap_writer *w);
int dev_debugexit_load(struct dev_debugexit *d, struct snap_reader *r);
void dev_vga_save(const struct dev_vga *v, struct snap_writer *w);
int dev_vga_load(struct dev_vga *v, struct snap_reader *r);
void dev_ps2kbd_save(const struct dev_ps2kbd *k, struct snap_writer *w);
int dev_ps2kbd_load(struct dev_ps2kbd *k, struct snap_reader *r);
void dev_kbc_save(const struct dev_kbc *c, struct snap_writer *w);
int dev_kbc_load(struct dev_kbc *c, struct snap_reader *r);
void dev_fpuerr_save(const struct dev_fpuerr *f, struct snap_writer *w);
int dev_fpuerr_load(struct dev_fpuerr *f, struct snap_reader *r);
void dev_lapic_save(const struct dev_lapic *l, struct snap_writer *w);
int dev_lapic_load(struct dev_lapic *l, struct snap_reader *r);
void dev_ioapic_save(const struct dev_ioapic *io, struct snap_writer *w);
int dev_ioapic_load(struct dev_ioapic *io, struct snap_reader *r);

#endif
