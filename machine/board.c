/* machine/board.c - the PC board: which chip sits at which ports and IRQ.
 *
 * One table wires the chips (devices/, each knowing nothing of the board)
 * to the port bus and the ISA interrupt lines; devices/README.md draws it.
 *
 *   port        chip                          IRQ
 *   0x020-021   8259A master                  INT -> APIC LINT0 (and I/O APIC pin 0)
 *   0x040-043   8254 PIT                      0 (OUT0)
 *   0x060       8042 data                     1 (keyboard byte)
 *   0x061       port B (PIT gate 2, speaker)  -
 *   0x064       8042 command/status           12 (aux byte)
 *   0x070-071   MC146818A RTC + CMOS RAM      8
 *   0x092       port A (fast A20 gate)        -
 *   0x0a0-0a1   8259A slave                   INT -> master IR2
 *   0x0e9       debug console                 -
 *   0x0f0       x87 error latch (FERR#)       13; writes assert IGNNE#
 *   0x0f4-0f7   debug exit (QEMU)             -
 *   0x3b0-3df   VGA (text mode)               -   text window 0xB8000-0xBFFFF (RAM)
 *   0x3f8-3ff   16550A UART (COM1)            4, gated by MCR OUT2
 *   0x5a0-5bf   ringlab ops port              -
 *
 *   memory      chip
 *   0xFEC00000  I/O APIC (82093AA), one page   ISA IRQ n -> pin n, IRQ 0 -> pin 2;
 *                                              pin 0 <- the master PIC's INT
 *   0xFEE00000  the local APIC's page (where   LINT0 <- the master PIC's INT
 *               IA32_APIC_BASE puts it)        INTR -> CPU, INTA <- CPU
 *
 * IRQ 0-7 are the master's IR0-7 and IRQ 8-15 the slave's; the slave's INT
 * is the master's IR2 (ICW3: the guest programs 0x04 and 2). Every ISA IRQ
 * line also drives the I/O APIC pin of the same number, but IRQ 0, which
 * drives pin 2 (pin 0 is the 8259A pair's output, as the MP specification's
 * default configurations wire them, and as the firmware tables say with an
 * interrupt source override: ISA IRQ 0 -> GSI 2; ISA lines are edge, active
 * high).
 *
 * Interrupts reach the processor through its local APIC: the master PIC's
 * INT is the APIC's LINT0 (virtual-wire mode when LINT0 is ExtINT, as the
 * loaders leave it: machine_firmware_apics), the I/O APIC's messages arrive
 * on the APIC bus, and the APIC drives the CPU's INTR and answers its INTA
 * (an ExtINT's INTA is the master PIC's). With the APIC disabled in
 * IA32_APIC_BASE, LINT0 is INTR straight through. The APIC's INIT is taken
 * between runs (machine_init_signal). On a PC the
 * COM port's INTR reaches the bus through a buffer enabled by the UART's
 * MCR OUT2 (0x08): the board snoops MCR writes to model it (the chip's pin
 * is not gated, as in the datasheet). In loopback (MCR bit 4) the chip
 * forces its OUT pins inactive, so no COM interrupt reaches the PIC then.
 * The processor's FERR# output (an unmasked x87 exception pending without
 * CR0.NE) goes to the x87 error latch, whose IGNNE# goes back to the
 * processor (devices/fpuerr.c).
 *
 * A20 is the OR of port A's bit 1 and the 8042's output port bit 1, as a
 * chipset combines them; port A starts enabled, the 8042's bit clear. The
 * 8042's RESET pulse ends the run (RUN_EXIT_RESET): a real PC would restart
 * its BIOS, and ringlab has none to restart (as a triple fault).
 *
 * The VGA's text window is the RAM at 0xB8000 (no MMIO: guest writes to
 * the screen cost what any RAM write costs, and snapshots keep it with
 * RAM); the board fills it with blank cells (0x0720) at power-on, as the
 * BIOS's mode set would.
 *
 * Time: every port access first brings the device scheduler to the cycle
 * of the accessing instruction (cpu_cycles_now), so a chip that reads its
 * counters (PIT, RTC) sees exactly that cycle and every device event due
 * before it has fired, in order. And after the access, if the next device
 * event moved (the guest programmed a timer: the PIT's first tick now
 * comes before the event the CPU runs to, or an event went away), the CPU
 * stops at the end of the instruction so that the run loop runs it to the
 * new one: an event is always taken at its cycle, whatever the guest does
 * until then (computing only, say, with no port access or HLT to stop it).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "machine-internal.h"

enum chip { CHIP_PIC_MASTER, CHIP_PIC_SLAVE, CHIP_PIT, CHIP_PORTB, CHIP_RTC, CHIP_A20, CHIP_DEBUGCON,
            CHIP_DEBUGEXIT, CHIP_UART, CHIP_OPS, CHIP_KBC_KBD, CHIP_KBC_AUX, CHIP_VGA, CHIP_FPUERR };

struct board_slot {
  const char *what;                 /* for diagnostics */
  uint16_t port;                    /* first port */
  uint32_t ports;                   /* ports claimed */
  const struct dev_port_ops *ops;   /* the chip's class */
  enum chip chip;                   /* which instance */
  int irq;                          /* ISA IRQ of its output, -1 none */
};

static const struct dev_port_ops com1_ops;

static const struct board_slot board[] = {
    /* what            port               ports                ops                  chip              irq */
    {"PIC master",    0x020,            DEV_PIC_PORTS,       &dev_pic_ops,          CHIP_PIC_MASTER,  -1},
    {"PIT",           0x040,            DEV_PIT_PORTS,       &dev_pit_ops,          CHIP_PIT,          0},
    /* the 8042: its data port's row carries the keyboard IRQ, its command port's the aux IRQ */
    {"8042 data",     0x060,            DEV_KBC_DATA_PORTS,  &dev_kbc_data_ops,     CHIP_KBC_KBD,      1},
    {"port B",        0x061,            DEV_PIT_PORTB_PORTS, &dev_pit_portb_ops,    CHIP_PORTB,       -1},
    {"8042 command",  0x064,            DEV_KBC_COMMAND_PORTS, &dev_kbc_command_ops, CHIP_KBC_AUX,    12},
    {"RTC",           0x070,            DEV_RTC_PORTS,       &dev_rtc_ops,          CHIP_RTC,          8},
    {"port A (A20)",  0x092,            DEV_A20_PORTS,       &dev_a20_ops,          CHIP_A20,         -1},
    {"PIC slave",     0x0a0,            DEV_PIC_PORTS,       &dev_pic_ops,          CHIP_PIC_SLAVE,    2},
    {"debug console", 0x0e9,            DEV_DEBUGCON_PORTS,  &dev_debugcon_ops,     CHIP_DEBUGCON,    -1},
    {"x87 error",     0x0f0,            DEV_FPUERR_PORTS,    &dev_fpuerr_ops,       CHIP_FPUERR,      13},
    {"debug exit",    0x0f4,            DEV_DEBUGEXIT_PORTS, &dev_debugexit_ops,    CHIP_DEBUGEXIT,   -1},
    {"VGA",           0x3b0,            DEV_VGA_PORTS,       &dev_vga_ops,          CHIP_VGA,         -1},
    {"COM1",          0x3f8,            DEV_UART_PORTS,      &com1_ops,             CHIP_UART,         4},
    {"ringlab ops",   RINGLAB_OPS_PORT, RINGLAB_OPS_PORTS,   &machine_opsport_ops,  CHIP_OPS,         -1},
};

#define SLAVE_IR 2 /* the master input the slave's INT drives */


static void *chip_ctx(struct machine *m, enum chip c) {
  struct machine *b = m;
  switch (c) {
  case CHIP_PIC_MASTER:
    return b->pic_master;
  case CHIP_PIC_SLAVE:
    return b->pic_slave;
  case CHIP_PIT:
  case CHIP_PORTB:
    return b->pit;
  case CHIP_RTC:
    return b->rtc;
  case CHIP_A20:
    return b->a20;
  case CHIP_UART:
    return b; /* through com1_ops */
  case CHIP_DEBUGCON:
    return m->debugcon;
  case CHIP_DEBUGEXIT:
    return m->debugexit;
  case CHIP_OPS:
    return &m->ops;
  case CHIP_KBC_KBD:
  case CHIP_KBC_AUX:
    return m->kbc;
  case CHIP_VGA:
    return m->vga;
  case CHIP_FPUERR:
    return b->fpuerr;
  }
  return NULL;
}

/* The I/O APIC pin an ISA IRQ line drives. */
static int ioapic_pin(int irq) { return irq == 0 ? 2 : irq; }

/* An ISA IRQ line: the PIC input and the I/O APIC pin it drives. */
static void isa_line(void *opaque, int irq, int level) {
  struct machine *b = opaque;
  dev_pic_set_irq(irq < 8 ? b->pic_master : b->pic_slave, irq & 7, level);
  dev_ioapic_set_irq(b->ioapic, ioapic_pin(irq), level);
}

/* The ISA line of a chip's output, from the table. */
static struct dev_irq isa_irq(struct machine *b, enum chip c) {
  for (size_t k = 0; k < sizeof board / sizeof board[0]; k++)
    if (board[k].chip == c && board[k].irq >= 0)
      return (struct dev_irq){.set_irq = isa_line, .opaque = b, .irq_num = board[k].irq};
  return (struct dev_irq){0};
}

/* ---- COM1: the UART with the PC's OUT2 gate on its interrupt ---------------- */

#define UART_MCR 4
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

static void com1_drive(struct machine *b) {
  struct dev_irq line = isa_irq(b, CHIP_UART);
  dev_irq_set(&line, b->com1_intr && b->com1_out2);
}

static void com1_intr(void *opaque, int irq_num, int level) {
  struct machine *b = opaque;
  b->com1_intr = level;
  if (b->pic_master && b->ioapic)
    com1_drive(b);
}

static uint32_t com1_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct machine *b = ctx;
  return dev_uart_ops.read(b->uart, offset, size_bytes);
}

static void com1_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct machine *b = ctx;
  if (offset == UART_MCR) /* loopback forces the OUT pins inactive (16550D datasheet) */
    b->com1_out2 = (value & UART_MCR_OUT2) && !(value & UART_MCR_LOOP);
  dev_uart_ops.write(b->uart, offset, size_bytes, value);
  com1_drive(b);
}

static const struct dev_port_ops com1_ops = {
    .name = "uart16550 (COM1, OUT2-gated)",
    .sizes = DEV_SIZE_8,
    .read = com1_read,
    .write = com1_write,
};

/* ---- the CPU's side: INTR, INTA, port I/O at the right time ------------------ */

/* The master PIC's INT: LINT0 of the local APIC, pin 0 of the I/O APIC. */
static void pic_int(void *opaque, int irq_num, int level) {
  struct machine *b = opaque;
  b->pic_int = level;
  dev_lapic_set_lint(b->lapic, 0, level);
  dev_ioapic_set_irq(b->ioapic, 0, level);
}

/* The local APIC's INTR output. */
static void cpu_intr(void *opaque, bool level) {
  struct machine *b = opaque;
  b->intr = level;
  if (b->cpu)
    cpu_set_intr(b->cpu, level);
}

static int cpu_inta(void *ctx) {
  struct machine *b = ctx;
  return dev_lapic_inta(b->lapic);
}

static int extint_ack(void *opaque) {
  struct machine *b = opaque;
  return dev_pic_inta(b->pic_master);
}

static void apic_nmi(void *opaque) {
  struct machine *b = opaque;
  cpu_nmi(b->cpu);
}

/* INIT: taken at the end of the instruction (or device event) that sent
 * it, between runs (loop.c calls machine_init_signal). */
static void apic_init(void *opaque) {
  struct machine *b = opaque;
  b->init_pending = true;
  cpu_request_stop(b->cpu);
}

static void apic_eoi(void *opaque, uint8_t vector) {
  struct machine *b = opaque;
  dev_ioapic_eoi(b->ioapic, vector);
}

/* The I/O APIC's messages (counted, traced) to the local APIC. */
static bool apic_bus(void *opaque, const struct dev_apic_msg *msg) {
  struct machine *b = opaque;
  bool accepted = dev_lapic_receive(b->lapic, msg);
  trace_count_at(&b->counted, TRACE_EV_ioapic_message, msg->vector);
  uint32_t f[3] = {msg->delivery | (msg->logical ? 0x8 : 0) | (msg->level ? 0x10 : 0), msg->dest, accepted};
  cpu_trace_emit(b->cpu, TRACE_EV_ioapic_message + msg->vector, 3, f);
  return accepted;
}

/* What the local APIC reports, counted by the machine and traced. */
static void apic_event(void *opaque, enum dev_lapic_event e, uint8_t vector, uint32_t a, uint32_t bits) {
  struct machine *b = opaque;
  uint32_t f[2] = {a, bits};
  unsigned n = 0;
  enum trace_event ev;
  switch (e) {
  case DEV_LAPIC_EV_IPI:
    ev = TRACE_EV_apic_ipi;
    n = 2;
    break;
  case DEV_LAPIC_EV_EOI:
    ev = TRACE_EV_apic_eoi;
    break;
  case DEV_LAPIC_EV_TIMER:
    ev = TRACE_EV_apic_timer;
    n = 1;
    break;
  case DEV_LAPIC_EV_ERROR:
  default:
    ev = TRACE_EV_apic_error;
    vector = (uint8_t)a;
    break;
  }
  trace_count_at(&b->counted, ev, vector);
  cpu_trace_emit(b->cpu, ev + vector, n, f);
}

static void apic_bus_hz(void *opaque, uint64_t *num, uint64_t *den) {
  struct machine *b = opaque;
  cpu_timing_apic_bus_hz(b->cpu, num, den);
}

static enum dev_lapic_model apic_model(void *opaque) {
  struct machine *b = opaque;
  return cpu_timing_apic(b->cpu) == CPU_APIC_P6 ? DEV_LAPIC_P6 : DEV_LAPIC_XAPIC;
}

/* A port access may move the next device event away from the end of the
 * CPU's current run (a timer reprogrammed: its event now earlier, or later,
 * or gone): the run then stops after this instruction, so the loop runs the
 * CPU only up to that event (loop.c). Later too: a run always goes to the
 * next event as it is now, so that a pause (which recomputes the budget)
 * changes nothing. */
static void board_resync(struct machine *b) {
  cycles_t next = dev_sched_next(b->sched);
  if (next > b->max_cycles)
    next = b->max_cycles;
  if (next != b->run_until)
    cpu_request_stop(b->cpu);
}

/* The bus as the CPU's port interface (devices/ knows nothing of the CPU's
 * types: the board adapts one to the other). */

static uint32_t board_in(void *ctx, uint16_t port, unsigned size_bytes) {
  struct machine *b = ctx;
  dev_sched_advance(b->sched, cpu_cycles_now(b->cpu));
  uint32_t v = dev_bus_in(b->bus, port, size_bytes);
  board_resync(b);
  return v;
}

static void board_out(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value) {
  struct machine *b = ctx;
  dev_sched_advance(b->sched, cpu_cycles_now(b->cpu));
  dev_bus_out(b->bus, port, size_bytes, value);
  board_resync(b);
}

static const struct cpu_io_ops board_io = {.in = board_in, .out = board_out};

/* The APICs' registers, as memory: device time first brought to the
 * access, as for a port (the APIC timer's current count), and the run
 * stopped after the access if the next device event moved (a timer
 * programmed). */

static uint32_t lapic_read(void *ctx, uint32_t offset, unsigned size_bytes) {
  struct machine *b = ctx;
  dev_sched_advance(b->sched, cpu_cycles_now(b->cpu));
  uint32_t v = dev_lapic_read(b->lapic, offset, size_bytes);
  board_resync(b);
  return v;
}

static void lapic_write(void *ctx, uint32_t offset, unsigned size_bytes, uint32_t value) {
  struct machine *b = ctx;
  dev_sched_advance(b->sched, cpu_cycles_now(b->cpu));
  dev_lapic_write(b->lapic, offset, size_bytes, value);
  board_resync(b);
}

static const struct mmu_mmio_ops lapic_mmio = {.read = lapic_read, .write = lapic_write};

static uint32_t ioapic_read(void *ctx, uint32_t offset, unsigned size_bytes) {
  struct machine *b = ctx;
  dev_sched_advance(b->sched, cpu_cycles_now(b->cpu));
  return dev_ioapic_read(b->ioapic, offset, size_bytes);
}

static void ioapic_write(void *ctx, uint32_t offset, unsigned size_bytes, uint32_t value) {
  struct machine *b = ctx;
  dev_sched_advance(b->sched, cpu_cycles_now(b->cpu));
  dev_ioapic_write(b->ioapic, offset, size_bytes, value);
}

static const struct mmu_mmio_ops ioapic_mmio = {.read = ioapic_read, .write = ioapic_write};

/* The local APIC's page where IA32_APIC_BASE says, while it is enabled. A
 * base on RAM or on another chip's range (or above 4 GiB) leaves the page
 * unreachable: ringlab's RAM path does not look for it (a P6 would answer
 * there). CPUID's APIC bit follows the enable. */
static void lapic_map(struct machine *b) {
  uint64_t base = dev_lapic_enabled(b->lapic) ? dev_lapic_base(b->lapic) : BOARD_UNMAPPED;
  if (base == b->lapic_mapped)
    return;
  if (b->lapic_mapped != BOARD_UNMAPPED)
    mmu_unmap_mmio(b->mem, (uint32_t)b->lapic_mapped);
  b->lapic_mapped = BOARD_UNMAPPED;
  if (base != BOARD_UNMAPPED && base + DEV_LAPIC_BYTES <= 0x100000000ull &&
      mmu_map_mmio(b->mem, (uint32_t)base, DEV_LAPIC_BYTES, &lapic_mmio, b) == 0)
    b->lapic_mapped = base;
}

static void apic_base_changed(void *opaque) {
  struct machine *b = opaque;
  lapic_map(b);
  cpu_set_apic_present(b->cpu, dev_lapic_enabled(b->lapic));
}

/* RDMSR/WRMSR of MSRs the CPU leaves to the board: IA32_APIC_BASE. */
#define MSR_APIC_BASE 0x1Bu

static bool board_rdmsr(void *ctx, uint32_t msr, uint64_t *value) {
  struct machine *b = ctx;
  if (msr != MSR_APIC_BASE)
    return false;
  *value = dev_lapic_base_msr(b->lapic);
  return true;
}

static bool board_wrmsr(void *ctx, uint32_t msr, uint64_t value) {
  struct machine *b = ctx;
  if (msr != MSR_APIC_BASE)
    return false;
  dev_sched_advance(b->sched, cpu_cycles_now(b->cpu));
  bool ok = dev_lapic_set_base_msr(b->lapic, value);
  board_resync(b);
  return ok;
}

static const struct cpu_msr_ops board_msrs = {.rdmsr = board_rdmsr, .wrmsr = board_wrmsr};

#define REG_SVR 0x0F0
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define FIRMWARE_IOAPIC_ID 1

void machine_firmware_apics(struct machine *m) {
  /* SeaBIOS's smp_setup: SVR | enable, LINT0 ExtINT (level), LINT1 NMI (level) */
  dev_lapic_write(m->lapic, REG_SVR, 4, dev_lapic_peek(m->lapic, REG_SVR) | 0x100);
  dev_lapic_write(m->lapic, REG_LVT_LINT0, 4, 0x8700);
  dev_lapic_write(m->lapic, REG_LVT_LINT1, 4, 0x8400);
  /* an MP BIOS gives the I/O APIC an ID of its own on the APIC bus: the
   * bootstrap processor's local APIC is 0 */
  dev_ioapic_reset(m->ioapic, FIRMWARE_IOAPIC_ID);
}

void machine_power_on_apics(struct machine *m) {
  dev_lapic_reset(m->lapic);
  dev_ioapic_reset(m->ioapic, 0);
  apic_base_changed(m);
}

void machine_board_rewire(struct machine *m) { apic_base_changed(m); }

void machine_init_signal(struct machine *m) {
  m->init_pending = false;
  if (!m->has_bios) {
    machine_stop(m, MACHINE_END_RESET, "INIT from the local APIC (ringlab has no BIOS to restart)");
    return;
  }
  /* The processor and its APIC as INIT leaves them; the ROM starts again
   * at the reset vector (a BIOS tells a warm start by its CMOS shutdown
   * byte). */
  cpu_init(m->cpu);
  dev_lapic_init_reset(m->lapic);
}

static uint64_t board_cpu_hz(void *opaque) {
  struct machine *b = opaque;
  return cpu_timing_frequency_hz(b->cpu);
}

/* The x87's error pins: FERR# to the latch, its IGNNE# back. */
static void board_ferr(void *opaque, bool level) {
  struct machine *b = opaque;
  dev_fpuerr_set_ferr(b->fpuerr, level);
}

static void board_ignne(void *opaque, bool level) {
  struct machine *b = opaque;
  cpu_set_ignne(b->cpu, level);
}

/* A20: port A's bit OR the 8042's (either chip calls this on a change). */
static void board_set_a20(void *opaque, bool on) {
  struct machine *b = opaque;
  mmu_set_a20(b->mem, (b->a20 && dev_a20_enabled(b->a20)) || (b->kbc && dev_kbc_a20(b->kbc)));
}

static void board_reset(void *opaque) {
  struct machine *m = opaque;
  machine_stop(m, MACHINE_END_RESET, "reset by the 8042 (a pulse on its RESET line)");
}

/* The text window as the BIOS's mode 3 leaves it: blank cells, attribute
 * 0x07 (light grey on black). */
static uint8_t *text_window(struct mmu *mem) {
  return mem->ram_bytes >= DEV_VGA_TEXT_BASE + DEV_VGA_TEXT_BYTES ? mem->ram + DEV_VGA_TEXT_BASE : NULL;
}

static void blank_text(struct mmu *mem) {
  uint8_t *t = text_window(mem);
  if (!t)
    return;
  for (uint32_t k = 0; k < DEV_VGA_TEXT_BYTES; k += 2) {
    t[k] = ' ';
    t[k + 1] = 0x07;
  }
}

/* The CMOS bytes a PC BIOS keeps (the IBM AT layout, as SeaBIOS reads
 * them): base and extended memory sizes, and their checksum. */
static void fill_cmos(struct dev_rtc *rtc, uint32_t ram_bytes) {
  uint32_t ext_kib = ram_bytes > (1u << 20) ? (ram_bytes >> 10) - 1024 : 0;
  if (ext_kib > 0xFC00)
    ext_kib = 0xFC00;
  uint32_t above16 = ram_bytes > (16u << 20) ? (ram_bytes - (16u << 20)) >> 16 : 0;
  if (above16 > 0xFFFF)
    above16 = 0xFFFF;
  dev_rtc_nvram_set(rtc, 0x15, 640 & 0xFF);
  dev_rtc_nvram_set(rtc, 0x16, 640 >> 8);
  dev_rtc_nvram_set(rtc, 0x17, (uint8_t)ext_kib);
  dev_rtc_nvram_set(rtc, 0x18, (uint8_t)(ext_kib >> 8));
  dev_rtc_nvram_set(rtc, 0x30, (uint8_t)ext_kib);
  dev_rtc_nvram_set(rtc, 0x31, (uint8_t)(ext_kib >> 8));
  dev_rtc_nvram_set(rtc, 0x34, (uint8_t)above16);
  dev_rtc_nvram_set(rtc, 0x35, (uint8_t)(above16 >> 8));
  unsigned sum = 0;
  for (unsigned k = 0x10; k <= 0x2D; k++)
    sum += dev_rtc_nvram(rtc, k);
  dev_rtc_nvram_set(rtc, 0x2E, (uint8_t)(sum >> 8));
  dev_rtc_nvram_set(rtc, 0x2F, (uint8_t)sum);
}

static void sink_file(void *opaque, uint8_t byte) {
  FILE *f = opaque;
  fputc(byte, f);
  if (byte == '\n' && (f == stdout || f == stderr))
    fflush(f);
}

static void on_exit_port(void *opaque, int status) {
  struct machine *m = opaque;
  if (m->end != MACHINE_RUNNING)
    return;
  m->end = MACHINE_END_EXIT_PORT;
  m->exit_status = status;
  cpu_request_stop(m->cpu);
}

/* COM1's output: counted (snapshots), then to --serial's file. */
static void com1_tx(void *opaque, uint8_t byte) {
  struct machine *m = opaque;
  m->serial_bytes++;
  if (m->serial_out)
    sink_file(m->serial_out, byte);
}

static struct dev_byte_sink sink_to(FILE *f) {
  return (struct dev_byte_sink){.fn = f ? sink_file : NULL, .opaque = f};
}

struct machine *machine_new(uint32_t ram_bytes, FILE *serial_out, FILE *debugcon_out, char *err, size_t n) {
  struct machine *b = calloc(1, sizeof *b);
  if (!b) {
    snprintf(err, n, "out of memory");
    return NULL;
  }
  struct machine *m = b;
  m->serial_out = serial_out;
  m->debugcon_out = debugcon_out;
  m->run_until = m->max_cycles = DEV_NEVER;
  m->mem = mmu_new(ram_bytes);
  m->bus = dev_bus_new();
  m->sched = dev_sched_new();
  if (!m->mem || !m->bus || !m->sched)
    goto oom;
  mmu_set_a20(m->mem, true);
  m->cpu = cpu_new(m->mem, &board_io, b);
  if (!m->cpu)
    goto oom;
  cpu_set_uncharged_ports(m->cpu, RINGLAB_OPS_PORT, RINGLAB_OPS_PORTS);
  cpu_set_interrupt_ack(m->cpu, cpu_inta, b);
  cpu_set_msr_ops(m->cpu, &board_msrs, b);

  struct dev_timebase tb = {.sched = m->sched, .cpu_hz = board_cpu_hz, .opaque = b};
  b->lapic_mapped = BOARD_UNMAPPED;
  b->lapic = dev_lapic_new(0, tb, (struct dev_lapic_clock){.model = apic_model, .bus_hz = apic_bus_hz, .opaque = b},
                           (struct dev_lapic_lines){.intr = cpu_intr,
                                                    .nmi = apic_nmi,
                                                    .init = apic_init,
                                                    .extint_ack = extint_ack,
                                                    .eoi = apic_eoi,
                                                    .base_changed = apic_base_changed,
                                                    .event = apic_event,
                                                    .opaque = b});
  b->ioapic = dev_ioapic_new(0, apic_bus, b);
  if (!b->lapic || !b->ioapic)
    goto oom;
  b->pic_master = dev_pic_new((struct dev_irq){.set_irq = pic_int, .opaque = b});
  if (!b->pic_master)
    goto oom;
  b->pic_slave = dev_pic_new((struct dev_irq){.set_irq = dev_pic_set_irq, .opaque = b->pic_master,
                                              .irq_num = SLAVE_IR});
  if (!b->pic_slave)
    goto oom;
  dev_pic_cascade(b->pic_master, SLAVE_IR, b->pic_slave);
  b->pit = dev_pit_new(tb, isa_irq(b, CHIP_PIT));
  b->rtc = dev_rtc_new(tb, isa_irq(b, CHIP_RTC), NULL);
  b->a20 = dev_a20_new(board_set_a20, b, true);
  b->kbc = dev_kbc_new(tb, isa_irq(b, CHIP_KBC_KBD), isa_irq(b, CHIP_KBC_AUX),
                       (struct dev_kbc_lines){.reset = board_reset, .set_a20 = board_set_a20, .opaque = b});
  b->vga = dev_vga_new(tb, text_window(m->mem));
  b->fpuerr = dev_fpuerr_new(isa_irq(b, CHIP_FPUERR), board_ignne, b);
  if (b->fpuerr)
    cpu_set_ferr_output(m->cpu, board_ferr, b);
  m->uart = dev_uart_new((struct dev_byte_sink){.fn = com1_tx, .opaque = m},
                         (struct dev_irq){.set_irq = com1_intr, .opaque = b});
  m->debugcon = dev_debugcon_new(sink_to(debugcon_out));
  m->debugexit = dev_debugexit_new(on_exit_port, m);
  m->ops.m = m;
  if (!b->pit || !b->rtc || !b->a20 || !b->kbc || !b->vga || !b->fpuerr || !m->uart || !m->debugcon || !m->debugexit)
    goto oom;
  fill_cmos(b->rtc, ram_bytes);
  blank_text(m->mem);
  /* Scheduler order is the tie-break among events at one cycle. */
  if (dev_sched_add(m->sched, &dev_pit_clock_ops, b->pit) != 0 ||
      dev_sched_add(m->sched, &dev_rtc_clock_ops, b->rtc) != 0 ||
      dev_sched_add(m->sched, &dev_uart_clock_ops, m->uart) != 0 ||
      dev_sched_add(m->sched, &dev_kbc_clock_ops, b->kbc) != 0 ||
      dev_sched_add(m->sched, &dev_lapic_clock_ops, b->lapic) != 0)
    goto oom;
  apic_base_changed(b); /* the APIC's page at its power-on base, CPUID.APIC */
  if (b->lapic_mapped == BOARD_UNMAPPED ||
      mmu_map_mmio(m->mem, DEV_IOAPIC_DEFAULT_BASE, DEV_IOAPIC_BYTES, &ioapic_mmio, b) != 0) {
    snprintf(err, n, "board: cannot map the APICs' pages");
    machine_free(m);
    return NULL;
  }
  machine_firmware_apics(m);
  for (size_t k = 0; k < sizeof board / sizeof board[0]; k++) {
    const struct board_slot *s = &board[k];
    int rc = dev_bus_register(m->bus, s->port, s->ports, s->ops, chip_ctx(m, s->chip));
    if (rc != DEV_BUS_OK) {
      snprintf(err, n, "board: %s at port 0x%x: %s", s->what, s->port, dev_bus_strerror(rc));
      machine_free(m);
      return NULL;
    }
  }
  return m;
oom:
  snprintf(err, n, "out of memory for a %u MiB machine", ram_bytes >> 20);
  machine_free(m);
  return NULL;
}

void machine_free(struct machine *m) {
  if (!m)
    return;
  struct machine *b = m;
  dev_uart_free(m->uart);
  dev_debugcon_free(m->debugcon);
  dev_debugexit_free(m->debugexit);
  dev_pic_free(b->pic_master);
  dev_pic_free(b->pic_slave);
  dev_pit_free(b->pit);
  dev_rtc_free(b->rtc);
  dev_a20_free(b->a20);
  dev_kbc_free(b->kbc);
  dev_vga_free(b->vga);
  dev_fpuerr_free(b->fpuerr);
  dev_lapic_free(b->lapic);
  dev_ioapic_free(b->ioapic);
  cpu_free(m->cpu);
  dev_sched_free(m->sched);
  dev_bus_free(m->bus);
  mmu_free(m->mem);
  free(b);
}
