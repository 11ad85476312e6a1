/* machine/board.c - the PC board: which chip sits at which ports and IRQ.
 *
 * One table wires the chips (devices/, each knowing nothing of the board)
 * to the port bus. The IRQ column records the ISA line each chip's
 * interrupt output will drive once the 8259 pair lands; until then the
 * lines are left unconnected and guests run with interrupts off.
 *
 *   port        chip                  IRQ
 *   0x0e9       debug console         -
 *   0x0f4-0f7   debug exit (QEMU)     -
 *   0x3f8-3ff   16550A UART (COM1)    4
 *   0x5a0-5bf   ringlab ops port      -
 *
 * Next increment of this table: the 8259A pair (0x20, 0xa0), the 8254 PIT
 * (0x40-0x43, IRQ 0, port 0x61), the CMOS RTC (0x70-0x71, IRQ 8), the A20
 * gate at port 0x92.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "machine-internal.h"

enum chip { CHIP_DEBUGCON, CHIP_DEBUGEXIT, CHIP_UART, CHIP_OPS };

struct board_slot {
  const char *what;                 /* for diagnostics */
  uint16_t port;                    /* first port */
  uint32_t ports;                   /* ports claimed */
  const struct dev_port_ops *ops;   /* the chip's class */
  enum chip chip;                   /* which instance of struct machine */
  int irq;                          /* ISA IRQ of its output, -1 none */
};

static const struct board_slot board[] = {
    /* what            port               ports                ops                  chip            irq */
    {"debug console", 0x0e9,            DEV_DEBUGCON_PORTS,  &dev_debugcon_ops,     CHIP_DEBUGCON,  -1},
    {"debug exit",    0x0f4,            DEV_DEBUGEXIT_PORTS, &dev_debugexit_ops,    CHIP_DEBUGEXIT, -1},
    {"COM1",          0x3f8,            DEV_UART_PORTS,      &dev_uart_ops,         CHIP_UART,       4},
    {"ringlab ops",   RINGLAB_OPS_PORT, RINGLAB_OPS_PORTS,   &machine_opsport_ops,  CHIP_OPS,       -1},
};

static void *chip_ctx(struct machine *m, enum chip c) {
  switch (c) {
  case CHIP_DEBUGCON:
    return m->debugcon;
  case CHIP_DEBUGEXIT:
    return m->debugexit;
  case CHIP_UART:
    return m->uart;
  case CHIP_OPS:
    return &m->ops;
  }
  return NULL;
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

static struct dev_byte_sink sink_to(FILE *f) {
  return (struct dev_byte_sink){.fn = f ? sink_file : NULL, .opaque = f};
}

struct machine *machine_new(uint32_t ram_bytes, FILE *serial_out, FILE *debugcon_out, char *err, size_t n) {
  struct machine *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(err, n, "out of memory");
    return NULL;
  }
  m->serial_out = serial_out;
  m->debugcon_out = debugcon_out;
  m->mem = mmu_new(ram_bytes);
  m->bus = dev_bus_new();
  m->sched = dev_sched_new();
  if (!m->mem || !m->bus || !m->sched)
    goto oom;
  mmu_set_a20(m->mem, true);
  m->cpu = cpu_new(m->mem, &dev_bus_cpu_io, m->bus);
  if (m->cpu)
    cpu_set_uncharged_ports(m->cpu, RINGLAB_OPS_PORT, RINGLAB_OPS_PORTS);
  m->uart = dev_uart_new(sink_to(serial_out), (struct dev_irq){0});
  m->debugcon = dev_debugcon_new(sink_to(debugcon_out));
  m->debugexit = dev_debugexit_new(on_exit_port, m);
  m->ops.m = m;
  if (!m->cpu || !m->uart || !m->debugcon || !m->debugexit)
    goto oom;
  if (dev_sched_add(m->sched, &dev_uart_clock_ops, m->uart) != 0)
    goto oom;
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
  dev_uart_free(m->uart);
  dev_debugcon_free(m->debugcon);
  dev_debugexit_free(m->debugexit);
  cpu_free(m->cpu);
  dev_sched_free(m->sched);
  dev_bus_free(m->bus);
  mmu_free(m->mem);
  free(m);
}
