/* devices/uart16550.c - a 16550A UART.
 *
 *            +-----------+
 *   D0-D7 <->| 16550A    |-> SOUT   (struct dev_byte_sink tx)
 *   A0-A2  ->|           |<- SIN    (queue of (cycle, byte) events)
 *   RD/WR  ->|           |-> INTR   (struct dev_irq)
 *            +-----------+
 *
 * Registers (offset, DLAB = LCR bit 7):
 *
 *   0  DLAB=0 read RBR (receive buffer) / write THR (transmit holding)
 *      DLAB=1 DLL (divisor latch, low byte)
 *   1  DLAB=0 IER (interrupt enable: RDA, THRE, RLS, MS in bits 0-3)
 *      DLAB=1 DLM (divisor latch, high byte)
 *   2  read IIR (interrupt identification) / write FCR (FIFO control)
 *   3  LCR  line control          4  MCR  modem control (DTR RTS OUT1 OUT2 LOOP)
 *   5  LSR  line status           6  MSR  modem status
 *   7  SCR  scratch
 *
 * Interrupt sources in priority order (IIR bits 3-1): receiver line status
 * (011: overrun), received data available (010: FIFO at its trigger level,
 * or any byte without FIFOs), character timeout (110: FIFO mode, bytes
 * below the trigger level), transmitter holding register empty (001),
 * modem status (000). IIR bits 7-6 are 11 with FIFOs on. Reading IIR while
 * THRE is the reported source clears it, as does writing THR.
 *
 * Departures from the datasheet, until baud-rate timing arrives with the
 * next increment of the board:
 *   - transmission takes no time: a byte written to THR leaves at once, so
 *     LSR.THRE and LSR.TEMT always read 1;
 *   - the character timeout is reported as soon as the FIFO holds bytes
 *     below its trigger level (the datasheet waits four character times);
 *   - the divisor latch is kept and read back but paces nothing.
 * Received bytes arrive at the cycle of their event (the whole byte at
 * once); a byte that finds the receiver full is lost and sets LSR.OE.
 * The PC's OUT2 gate of the interrupt line is the board's business, not the
 * chip's: INTR here is the chip's pin.
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>
#include <string.h>

#define UART_FIFO_BYTES 16

/* register offsets */
#define REG_RBR_THR 0
#define REG_IER 1
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_RDA 0x01  /* received data available */
#define IER_THRE 0x02 /* transmitter holding register empty */
#define IER_RLS 0x04  /* receiver line status */
#define IER_MS 0x08   /* modem status */

#define IIR_NONE 0x01     /* no interrupt pending */
#define IIR_MS 0x00       /* modem status */
#define IIR_THRE 0x02     /* transmitter holding register empty */
#define IIR_RDA 0x04      /* received data available */
#define IIR_RLS 0x06      /* receiver line status */
#define IIR_TIMEOUT 0x0C  /* character timeout (FIFO mode) */
#define IIR_FIFOS_ON 0xC0 /* FIFOs enabled */

#define FCR_ENABLE 0x01   /* FIFOs on */
#define FCR_CLEAR_RX 0x02 /* clear the receive FIFO */
#define FCR_CLEAR_TX 0x04 /* clear the transmit FIFO */

#define LCR_DLAB 0x80 /* divisor latch access */

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01   /* data ready */
#define LSR_OE 0x02   /* overrun error */
#define LSR_THRE 0x20 /* transmitter holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty */

#define MSR_DCTS 0x01 /* delta CTS */
#define MSR_DDSR 0x02 /* delta DSR */
#define MSR_TERI 0x04 /* trailing edge of RI */
#define MSR_DDCD 0x08 /* delta DCD */
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* Outside loopback the line looks like a connected terminal, as in QEMU. */
#define MSR_CONNECTED (MSR_DCD | MSR_DSR | MSR_CTS)

struct rx_event {
  cycles_t when;
  uint8_t byte;
};

struct dev_uart {
  struct dev_byte_sink tx;
  struct dev_irq irq;
  int irq_level; /* last level driven on irq */

  uint8_t ier, lcr, mcr, scr, fcr; /* fcr: bit 0 and the trigger bits as written */
  uint8_t dll, dlm;
  uint8_t lsr_errors; /* LSR.OE latched until LSR is read */
  uint8_t msr_delta;  /* MSR bits 0-3, cleared when MSR is read */
  uint8_t msr_lines;  /* MSR bits 4-7 now */
  bool thre_pending;  /* the THRE interrupt condition (cleared by IIR read / THR write) */

  uint8_t rx[UART_FIFO_BYTES]; /* receive FIFO (one entry used without FIFOs) */
  unsigned rx_head, rx_count;

  struct rx_event *events; /* queued input, nondecreasing cycles */
  size_t ev_head, ev_count, ev_cap;
  uint64_t delivered; /* input events delivered: the stream's position */
  uint64_t overruns;
};

static bool fifo_on(const struct dev_uart *u) { return u->fcr & FCR_ENABLE; }

static unsigned rx_capacity(const struct dev_uart *u) { return fifo_on(u) ? UART_FIFO_BYTES : 1; }

static unsigned rx_trigger(const struct dev_uart *u) {
  static const unsigned levels[4] = {1, 4, 8, 14};
  return levels[u->fcr >> 6];
}

/* The highest-priority pending enabled interrupt, as IIR bits 3-0. */
static uint8_t pending(const struct dev_uart *u) {
  if ((u->ier & IER_RLS) && (u->lsr_errors & LSR_OE))
    return IIR_RLS;
  if ((u->ier & IER_RDA) && u->rx_count) {
    if (!fifo_on(u) || u->rx_count >= rx_trigger(u))
      return IIR_RDA;
    return IIR_TIMEOUT;
  }
  if ((u->ier & IER_THRE) && u->thre_pending)
    return IIR_THRE;
  if ((u->ier & IER_MS) && u->msr_delta)
    return IIR_MS;
  return IIR_NONE;
}

static void update_irq(struct dev_uart *u) {
  int level = pending(u) != IIR_NONE;
  if (level != u->irq_level) {
    u->irq_level = level;
    dev_irq_set(&u->irq, level);
  }
}

static void rx_push(struct dev_uart *u, uint8_t byte) {
  if (u->rx_count == rx_capacity(u)) {
    u->lsr_errors |= LSR_OE;
    u->overruns++;
    return;
  }
  u->rx[(u->rx_head + u->rx_count) % UART_FIFO_BYTES] = byte;
  u->rx_count++;
}

static uint8_t rx_pop(struct dev_uart *u) {
  if (!u->rx_count)
    return 0;
  uint8_t b = u->rx[u->rx_head];
  u->rx_head = (u->rx_head + 1) % UART_FIFO_BYTES;
  u->rx_count--;
  return b;
}

static void rx_clear(struct dev_uart *u) {
  u->rx_head = 0;
  u->rx_count = 0;
}

/* MSR bits 4-7 from the modem lines; in loopback they follow MCR:
 * CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2. */
static uint8_t msr_lines_now(const struct dev_uart *u) {
  if (!(u->mcr & MCR_LOOP))
    return MSR_CONNECTED;
  uint8_t m = 0;
  if (u->mcr & MCR_RTS)
    m |= MSR_CTS;
  if (u->mcr & MCR_DTR)
    m |= MSR_DSR;
  if (u->mcr & MCR_OUT1)
    m |= MSR_RI;
  if (u->mcr & MCR_OUT2)
    m |= MSR_DCD;
  return m;
}

static void msr_update(struct dev_uart *u) {
  uint8_t now = msr_lines_now(u), changed = now ^ u->msr_lines;
  if (changed & MSR_CTS)
    u->msr_delta |= MSR_DCTS;
  if (changed & MSR_DSR)
    u->msr_delta |= MSR_DDSR;
  if ((changed & MSR_RI) && !(now & MSR_RI))
    u->msr_delta |= MSR_TERI;
  if (changed & MSR_DCD)
    u->msr_delta |= MSR_DDCD;
  u->msr_lines = now;
}

static void transmit(struct dev_uart *u, uint8_t byte) {
  if (u->mcr & MCR_LOOP)
    rx_push(u, byte);
  else if (u->tx.fn)
    u->tx.fn(u->tx.opaque, byte);
  u->thre_pending = true; /* gone at once: THR empty again */
}

static uint32_t uart_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct dev_uart *u = ctx;
  uint8_t v = 0xFF;
  switch (offset) {
  case REG_RBR_THR:
    v = (u->lcr & LCR_DLAB) ? u->dll : rx_pop(u);
    break;
  case REG_IER:
    v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
    break;
  case REG_IIR_FCR: {
    uint8_t id = pending(u);
    v = id | (fifo_on(u) ? IIR_FIFOS_ON : 0);
    if (id == IIR_THRE)
      u->thre_pending = false;
    break;
  }
  case REG_LCR:
    v = u->lcr;
    break;
  case REG_MCR:
    v = u->mcr;
    break;
  case REG_LSR:
    v = LSR_THRE | LSR_TEMT | u->lsr_errors | (u->rx_count ? LSR_DR : 0);
    u->lsr_errors = 0;
    break;
  case REG_MSR:
    v = u->msr_lines | u->msr_delta;
    u->msr_delta = 0;
    break;
  case REG_SCR:
    v = u->scr;
    break;
  }
  update_irq(u);
  return v;
}

static void uart_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_uart *u = ctx;
  uint8_t v = (uint8_t)value;
  switch (offset) {
  case REG_RBR_THR:
    if (u->lcr & LCR_DLAB)
      u->dll = v;
    else
      transmit(u, v);
    break;
  case REG_IER:
    if (u->lcr & LCR_DLAB) {
      u->dlm = v;
    } else {
      /* Enabling THRE while THR is empty raises the interrupt at once. */
      if ((v & IER_THRE) && !(u->ier & IER_THRE))
        u->thre_pending = true;
      u->ier = v & 0x0F;
    }
    break;
  case REG_IIR_FCR:
    /* Turning the FIFOs on or off clears them (datasheet, FCR bit 0). */
    if ((v ^ u->fcr) & FCR_ENABLE)
      rx_clear(u);
    if (v & FCR_CLEAR_RX)
      rx_clear(u);
    /* FCR_CLEAR_TX: the transmitter is always empty. */
    u->fcr = v & (FCR_ENABLE | 0xC0);
    break;
  case REG_LCR:
    u->lcr = v;
    break;
  case REG_MCR:
    u->mcr = v & 0x1F;
    msr_update(u);
    break;
  case REG_LSR: /* read-only (factory test on real parts) */
  case REG_MSR:
    break;
  case REG_SCR:
    u->scr = v;
    break;
  }
  update_irq(u);
}

const struct dev_port_ops dev_uart_ops = {
    .name = "uart16550",
    .sizes = DEV_SIZE_8,
    .read = uart_read,
    .write = uart_write,
};

static cycles_t uart_next_event(void *ctx) {
  const struct dev_uart *u = ctx;
  return u->ev_count ? u->events[u->ev_head].when : DEV_NEVER;
}

static void uart_run_until(void *ctx, cycles_t now) {
  struct dev_uart *u = ctx;
  while (u->ev_count && u->events[u->ev_head].when <= now) {
    /* In loopback the receiver is cut off from SIN. */
    if (!(u->mcr & MCR_LOOP))
      rx_push(u, u->events[u->ev_head].byte);
    u->ev_head++;
    u->ev_count--;
    u->delivered++;
  }
  update_irq(u);
}

const struct dev_clock_ops dev_uart_clock_ops = {
    .name = "uart16550",
    .next_event = uart_next_event,
    .run_until = uart_run_until,
};

int dev_uart_queue_rx(struct dev_uart *u, cycles_t when, uint8_t byte) {
  if (u->ev_count && when < u->events[u->ev_head + u->ev_count - 1].when)
    return -1;
  if (u->ev_head + u->ev_count == u->ev_cap) {
    if (u->ev_head) { /* reuse the consumed front first */
      for (size_t k = 0; k < u->ev_count; k++)
        u->events[k] = u->events[u->ev_head + k];
      u->ev_head = 0;
    } else {
      size_t cap = u->ev_cap ? 2 * u->ev_cap : 64;
      struct rx_event *e = realloc(u->events, cap * sizeof *e);
      if (!e)
        return -1;
      u->events = e;
      u->ev_cap = cap;
    }
  }
  u->events[u->ev_head + u->ev_count++] = (struct rx_event){.when = when, .byte = byte};
  return 0;
}

uint64_t dev_uart_overruns(const struct dev_uart *u) { return u->overruns; }

struct dev_uart *dev_uart_new(struct dev_byte_sink tx, struct dev_irq irq) {
  struct dev_uart *u = calloc(1, sizeof *u);
  if (!u)
    return NULL;
  u->tx = tx;
  u->irq = irq;
  u->msr_lines = msr_lines_now(u);
  u->dll = 0x0C; /* 9600 baud, as many BIOSes leave it */
  return u;
}

void dev_uart_free(struct dev_uart *u) {
  if (!u)
    return;
  free(u->events);
  free(u);
}

/* ---- snapshots ------------------------------------------------------------ */

/* The registers and FIFO, then the input events still to come. */
void dev_uart_save(const struct dev_uart *u, struct snap_writer *w) {
  struct dev_uart n;
  memcpy(&n, u, sizeof n); /* padding too: the file's bytes are the run's */
  n.events = NULL;
  n.ev_head = n.ev_cap = 0;
  memset(&n.tx, 0, sizeof n.tx); /* wiring zeroed: the file is the state alone */
  memset(&n.irq, 0, sizeof n.irq);
  snap_put_struct(w, &n, sizeof n);
  for (size_t k = 0; k < u->ev_count; k++) {
    snap_put_u64(w, u->events[u->ev_head + k].when);
    snap_put_u8(w, u->events[u->ev_head + k].byte);
  }
}

int dev_uart_load(struct dev_uart *u, struct snap_reader *r) {
  struct dev_uart n;
  if (!snap_get_struct(r, &n, sizeof n, "16550A"))
    return -1;
  if (n.ev_count > (r->len - r->pos) / 9) {
    snap_fail(r, "16550A: %zu input events", n.ev_count);
    return -1;
  }
  struct rx_event *events = n.ev_count ? calloc(n.ev_count, sizeof *events) : NULL;
  if (n.ev_count && !events) {
    snap_fail(r, "out of memory");
    return -1;
  }
  for (size_t k = 0; k < n.ev_count; k++) {
    events[k].when = snap_get_u64(r);
    events[k].byte = snap_get_u8(r);
  }
  free(u->events);
  n.tx = u->tx; /* wiring, not state */
  n.irq = u->irq;
  n.events = events;
  n.ev_head = 0;
  n.ev_cap = n.ev_count;
  *u = n;
  return 0;
}

uint64_t dev_uart_delivered(const struct dev_uart *u) { return u->delivered; }
