/* devices/pit8254.c - the Intel 8254 programmable interval timer, and the
 * PC's system control port B (port 0x61) around its counter 2.
 *
 *            +-----------+
 *   CLK0-2 ->|  8254     |-> OUT0   (struct dev_irq out0: IRQ 0 on a PC)
 *   GATE0-2->|           |-> OUT1   (not connected; see port B bit 4)
 *   A0-A1  ->|           |-> OUT2   (port B bit 5, and the speaker)
 *            +-----------+
 *
 * Datasheet: Intel 8254, order no. 231164. Ports (offset = A1 A0): 0-2 the
 * counters, 3 the control word (SC1 SC0 RW1 RW0 M2 M1 M0 BCD; SC = 11 is
 * the read-back command, RW = 00 the counter latch command).
 *
 * Time. The three CLK inputs are the PC's 1,193,182 Hz crystal. Clock
 * pulse k (k = 1, 2, ...) falls at CPU cycle ceil(k * F / 1193182), F the
 * preset's frequency (cycles per second); at cycle c, floor(c * 1193182 / F)
 * pulses have happened. The arithmetic is exact (128-bit products), and the
 * pulse grid is absolute (counted from cycle 0), so nothing drifts. The
 * chip is never stepped pulse by pulse: each counter keeps the pulse at
 * which its counting element was last loaded (`load`) and the count `n`,
 * and the value and OUT at any pulse are closed-form functions of the
 * pulses since. The only events the scheduler sees are OUT0's transitions,
 * each at its exact cycle (for mode 2, the one-pulse low and the rise).
 * Now is dev_sched_now(): the board brings device time to the cycle of
 * every port access before the access.
 *
 * Modes, with N the count (0 means 65536, or 10000 in BCD), following the
 * datasheet's waveforms; "loads" means the count register (CR) moves into
 * the counting element (CE) on the next CLK pulse after the write:
 *   0 interrupt on terminal count: OUT low from the control word (and from
 *     the first byte of a two-byte count, which also stops counting); high
 *     N pulses after the load, and stays high while CE wraps. GATE low
 *     suspends counting.
 *   1 hardware-retriggerable one-shot: a GATE rising edge loads; OUT low
 *     from the load for N pulses. A new count waits for the next trigger.
 *   2 rate generator: period N; OUT low for one pulse when CE reaches 1,
 *     then CE reloads. A new count takes effect at the next reload. GATE
 *     low forces OUT high and stops; a GATE rising edge reloads.
 *   3 square wave: OUT high for ceil(N/2) pulses and low for floor(N/2);
 *     CE counts down by two (odd N: the datasheet's N, N-1, N-3, ... /
 *     N, N-3, N-5, ... sequences). GATE as in mode 2.
 *   4 software-triggered strobe: OUT low for one pulse N pulses after the
 *     load. GATE low suspends counting.
 *   5 hardware-triggered strobe: as 4, loaded by a GATE rising edge.
 * Modes 6 and 7 are 2 and 3. BCD counting wraps at 10000; CE reads back in
 * BCD. Counter latch and read-back (status: OUT, null count, the mode
 * bits) latch once until read; lobyte, hibyte and lobyte-then-hibyte
 * access with separate read and write flip-flops.
 *
 * Departures: a new count written in mode 3 takes effect at the end of the
 * current period (the datasheet says half-period); a count written while
 * GATE is low in modes 0, 2, 3 and 4 shows in CE at once rather than at the
 * next pulse; N = 1 in modes 2 and 3 (which the datasheet forbids) keeps
 * OUT constant.
 *
 * Port B (port 0x61, DEV_PIT_PORTB_PORTS): write bit 0 GATE2, bit 1 speaker
 * data enable, bits 2-3 parity/channel check disables (stored); read bits
 * 0-3 as written, bit 4 the refresh toggle (flips every 18 PIT pulses,
 * 15.09 us, as the AT's counter 1 drives it and as QEMU models it), bit 5
 * OUT2, bits 6-7 0 (no parity or channel errors). The speaker (OUT2 AND
 * bit 1) goes nowhere.
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>
#include <string.h>

#define MODE_COUNT 6

enum run { IDLE, RUNNING, STOPPED };

struct counter {
  uint8_t ctrl; /* RW1 RW0 M2 M1 M0 BCD, as status bits 5-0 */
  unsigned mode, rw;
  bool bcd, gate;

  bool wr_msb; /* rw 3: the next byte written is the msb */
  uint8_t wr_lsb;
  uint32_t cr_n; /* the count register, binary, 1..M */
  bool cr_valid; /* a whole count was written since the control word */

  bool rd_msb; /* rw 3: the next byte read is the msb */
  bool ol_latched, st_latched;
  uint16_t ol; /* output latch (as it reads: BCD digits in BCD mode) */
  uint8_t st;

  enum run run;
  int64_t load;     /* RUNNING: the pulse at which CE held n (j = 0) */
  uint32_t n;       /* the count in use, binary, 1..M */
  bool fired;       /* modes 0 1 4 5: terminal count passed before `load` */
  uint32_t frozen;  /* CE when not running, or before `load` */
  bool out_idle;    /* OUT when not running, or before `load` */
  bool pending;     /* modes 2 3: pending_n becomes n at pulse pending_at */
  uint32_t pending_n;
  int64_t pending_at;
  int64_t null_until; /* null count reads 1 before this pulse */
};

struct dev_pit {
  struct dev_timebase tb;
  struct dev_irq out0;
  struct counter c[3];
  int out0_level;    /* level driven on out0 */
  int64_t out0_done; /* OUT0 transitions up to this pulse are driven */
  uint8_t portb;     /* bits 0-3 as written */
};

#define NEVER INT64_MAX

static uint32_t modulus(const struct counter *c) { return c->bcd ? 10000 : 65536; }

static uint64_t hz(const struct dev_pit *p) {
  uint64_t f = p->tb.cpu_hz ? p->tb.cpu_hz(p->tb.opaque) : 0;
  return f ? f : DEV_PIT_HZ;
}

static int64_t pulses_at(const struct dev_pit *p, cycles_t c) {
  return (int64_t)((unsigned __int128)c * DEV_PIT_HZ / hz(p));
}

static cycles_t cycle_of_pulse(const struct dev_pit *p, int64_t k) {
  if (k <= 0)
    return 0;
  unsigned __int128 c = ((unsigned __int128)(uint64_t)k * hz(p) + DEV_PIT_HZ - 1) / DEV_PIT_HZ;
  return c >= DEV_NEVER ? DEV_NEVER - 1 : (cycles_t)c;
}

static int64_t now_pulse(const struct dev_pit *p) {
  return p->tb.sched ? pulses_at(p, dev_sched_now(p->tb.sched)) : 0;
}

/* Modes 2 and 3: a count written while counting becomes the count at the
 * reload after the write. */
static void apply_pending(struct counter *c, int64_t t) {
  if (c->pending && t >= c->pending_at) {
    c->load = c->pending_at;
    c->n = c->pending_n;
    c->pending = false;
  }
}

static bool out_running(const struct counter *c, int64_t j) {
  uint64_t n = c->n;
  switch (c->mode) {
  case 0:
  case 1:
    return c->fired || (uint64_t)j >= n;
  case 2:
    return n == 1 || (uint64_t)j % n != n - 1;
  case 3:
    return (uint64_t)j % n < (n + 1) / 2;
  default: /* 4 5 */
    return c->fired || (uint64_t)j != n;
  }
}

static uint32_t value_running(const struct counter *c, int64_t j) {
  uint32_t n = c->n, m = modulus(c);
  switch (c->mode) {
  case 2:
    return n - (uint32_t)((uint64_t)j % n);
  case 3: {
    uint32_t p = (uint32_t)((uint64_t)j % n);
    if (n == 1)
      return 1;
    if (!(n & 1))
      return n - 2 * (p % (n / 2));
    uint32_t hi = (n + 1) / 2;
    if (p < hi)
      return p == 0 ? n : n + 1 - 2 * p;
    uint32_t q = p - hi;
    return q == 0 ? n : n - 1 - 2 * q;
  }
  default:
    return (uint32_t)((n + m - (uint64_t)j % m) % m);
  }
}

static bool out_at(struct counter *c, int64_t t) {
  apply_pending(c, t);
  if (c->run != RUNNING || t < c->load)
    return c->out_idle;
  return out_running(c, t - c->load);
}

/* CE at pulse t, binary (M reads as 0). */
static uint32_t value_at(struct counter *c, int64_t t) {
  apply_pending(c, t);
  uint32_t v = (c->run != RUNNING || t < c->load) ? c->frozen : value_running(c, t - c->load);
  return v % modulus(c);
}

/* The first pulse after t at which OUT changes, or NEVER. */
static int64_t next_transition(struct counter *c, int64_t t) {
  apply_pending(c, t);
  if (c->run != RUNNING)
    return NEVER;
  if (t < c->load) {
    if (out_running(c, 0) != c->out_idle)
      return c->load;
    t = c->load;
  }
  int64_t j = t - c->load, n = c->n, cand;
  switch (c->mode) {
  case 0:
  case 1:
    cand = (c->fired || j >= n) ? NEVER : c->load + n;
    break;
  case 2:
  case 3: {
    if (n == 1)
      return NEVER;
    int64_t p = j % n, base = t - p;
    int64_t fall = c->mode == 2 ? n - 1 : (n + 1) / 2;
    cand = p < fall ? base + fall : base + n;
    break;
  }
  default:
    cand = c->fired ? NEVER : j < n ? c->load + n : j == n ? c->load + n + 1 : NEVER;
  }
  return cand;
}

static uint32_t from_bcd(uint16_t v) {
  return (v >> 12 & 15) * 1000u + (v >> 8 & 15) * 100u + (v >> 4 & 15) * 10u + (v & 15);
}

static uint16_t to_bcd(uint32_t v) {
  return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10));
}

/* ---- OUT0: the interrupt output, driven at its exact cycles ---------------- */

static void out0_catch_up(struct dev_pit *p, int64_t t) {
  struct counter *c = &p->c[0];
  for (;;) {
    int64_t nt = next_transition(c, p->out0_done);
    if (nt > t)
      break;
    p->out0_done = nt;
    int level = out_at(c, nt);
    if (level != p->out0_level) {
      p->out0_level = level;
      dev_irq_set(&p->out0, level);
    }
  }
  if (t > p->out0_done)
    p->out0_done = t;
}

/* After reprogramming counter 0 at pulse t: OUT0 as it is now. */
static void out0_sync(struct dev_pit *p, int64_t t) {
  int level = out_at(&p->c[0], t);
  if (level != p->out0_level) {
    p->out0_level = level;
    dev_irq_set(&p->out0, level);
  }
  p->out0_done = t;
}

static cycles_t pit_next_event(void *ctx) {
  struct dev_pit *p = ctx;
  int64_t nt = next_transition(&p->c[0], p->out0_done);
  return nt == NEVER ? DEV_NEVER : cycle_of_pulse(p, nt);
}

static void pit_run_until(void *ctx, cycles_t now) {
  struct dev_pit *p = ctx;
  out0_catch_up(p, pulses_at(p, now));
}

const struct dev_clock_ops dev_pit_clock_ops = {
    .name = "pit8254",
    .next_event = pit_next_event,
    .run_until = pit_run_until,
};

/* ---- programming ---------------------------------------------------------- */

/* Stops counting at t, keeping CE and OUT as they are. */
static void stop(struct counter *c, int64_t t) {
  if (c->run == RUNNING) {
    c->frozen = value_at(c, t);
    c->out_idle = out_at(c, t);
    if (c->mode == 0 || c->mode == 1 || c->mode == 4 || c->mode == 5)
      c->fired = c->fired || (t >= c->load && (uint64_t)(t - c->load) >= c->n);
    c->pending = false;
  }
  c->run = STOPPED;
}

/* Starts counting from CE = n at pulse `at` (the load). */
static void start(struct counter *c, int64_t at, uint32_t n, bool out_before) {
  c->run = RUNNING;
  c->load = at;
  c->n = n;
  c->fired = false;
  c->pending = false;
  c->out_idle = out_before;
}

/* Modes 0 and 4 after GATE comes back: counting goes on from CE. */
static void resume(struct counter *c, int64_t t) {
  uint32_t m = modulus(c), v = c->frozen ? c->frozen : m;
  int64_t j0 = c->fired ? (int64_t)((c->n + m - v) % m) : (int64_t)c->n - (int64_t)v;
  bool fired = c->fired, out = c->out_idle;
  c->run = RUNNING;
  c->load = t - j0;
  c->fired = fired;
  c->out_idle = out;
  c->pending = false;
}

static void write_count(struct counter *c, int64_t t, uint32_t n) {
  c->cr_n = n;
  c->cr_valid = true;
  c->null_until = t + 1;
  switch (c->mode) {
  case 0:
  case 4:
    if (!c->gate) {
      c->run = STOPPED;
      c->frozen = n;
      c->fired = false;
      c->out_idle = c->mode == 4;
    } else {
      start(c, t + 1, n, c->mode == 4);
    }
    break;
  case 1:
  case 5:
    c->null_until = NEVER; /* until a trigger loads it */
    break;
  case 2:
  case 3:
    apply_pending(c, t);
    if (c->run == RUNNING && t >= c->load) {
      c->pending = true;
      c->pending_n = n;
      c->pending_at = c->load + ((t - c->load) / c->n + 1) * (int64_t)c->n;
      c->null_until = c->pending_at;
    } else if (c->run == RUNNING) {
      c->n = n; /* not loaded yet: the load takes the new count */
    } else if (c->gate) {
      start(c, t + 1, n, true);
    } else {
      c->run = STOPPED;
      c->frozen = n;
      c->out_idle = true;
    }
    break;
  }
}

static void set_gate(struct counter *c, int64_t t, bool level) {
  if (level == c->gate)
    return;
  c->gate = level;
  switch (c->mode) {
  case 0:
  case 4:
    if (!level)
      stop(c, t);
    else if (c->run == STOPPED && c->cr_valid)
      resume(c, t);
    break;
  case 1:
  case 5:
    if (level && c->cr_valid) { /* trigger */
      bool out = out_at(c, t);
      c->frozen = value_at(c, t);
      start(c, t + 1, c->cr_n, out);
      c->null_until = t + 1;
    }
    break;
  case 2:
  case 3:
    if (!level) {
      stop(c, t);
      c->out_idle = true;
    } else if (c->cr_valid) {
      c->frozen = value_at(c, t);
      start(c, t + 1, c->cr_n, true);
    }
    break;
  }
}

static void write_control(struct dev_pit *p, int64_t t, uint8_t v) {
  unsigned sc = v >> 6;
  if (sc == 3) { /* read-back */
    for (unsigned k = 0; k < 3; k++) {
      if (!(v & (2u << k)))
        continue;
      struct counter *c = &p->c[k];
      if (!(v & 0x10) && !c->st_latched) {
        c->st_latched = true;
        c->st = (uint8_t)((out_at(c, t) ? 0x80 : 0) | (t < c->null_until ? 0x40 : 0) | c->ctrl);
      }
      if (!(v & 0x20) && !c->ol_latched) {
        uint32_t val = value_at(c, t);
        c->ol_latched = true;
        c->ol = c->bcd ? to_bcd(val) : (uint16_t)val;
        c->rd_msb = false;
      }
    }
    return;
  }
  struct counter *c = &p->c[sc];
  unsigned rw = (v >> 4) & 3;
  if (rw == 0) { /* counter latch */
    if (!c->ol_latched) {
      uint32_t val = value_at(c, t);
      c->ol_latched = true;
      c->ol = c->bcd ? to_bcd(val) : (uint16_t)val;
      c->rd_msb = false;
    }
    return;
  }
  stop(c, t);
  c->ctrl = v & 0x3F;
  c->rw = rw;
  c->mode = (v >> 1) & 7;
  if (c->mode >= MODE_COUNT)
    c->mode -= 4; /* 6, 7 are 2, 3 */
  c->bcd = v & 1;
  c->run = IDLE;
  c->out_idle = c->mode != 0;
  c->fired = false;
  c->pending = false;
  c->cr_valid = false;
  c->wr_msb = c->rd_msb = false;
  c->ol_latched = c->st_latched = false;
  c->null_until = NEVER;
}

static void write_data(struct counter *c, int64_t t, uint8_t v) {
  uint16_t raw;
  switch (c->rw) {
  case 1:
    raw = v;
    break;
  case 2:
    raw = (uint16_t)(v << 8);
    break;
  default:
    if (!c->wr_msb) {
      c->wr_lsb = v;
      c->wr_msb = true;
      if (c->mode == 0) { /* the first byte stops counting, OUT low at once */
        stop(c, t);
        c->out_idle = false;
        c->fired = false;
      }
      return;
    }
    c->wr_msb = false;
    raw = (uint16_t)(c->wr_lsb | v << 8);
  }
  uint32_t n = c->bcd ? from_bcd(raw) : raw;
  if (n == 0)
    n = modulus(c);
  write_count(c, t, n);
}

static uint8_t read_data(struct counter *c, int64_t t) {
  if (c->st_latched) {
    c->st_latched = false;
    return c->st;
  }
  uint16_t v;
  if (c->ol_latched) {
    v = c->ol;
  } else {
    uint32_t val = value_at(c, t);
    v = c->bcd ? to_bcd(val) : (uint16_t)val;
  }
  uint8_t b;
  switch (c->rw) {
  case 1:
    b = (uint8_t)v;
    c->ol_latched = false;
    break;
  case 2:
    b = (uint8_t)(v >> 8);
    c->ol_latched = false;
    break;
  default:
    b = c->rd_msb ? (uint8_t)(v >> 8) : (uint8_t)v;
    if (c->rd_msb)
      c->ol_latched = false;
    c->rd_msb = !c->rd_msb;
  }
  return b;
}

static uint32_t pit_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct dev_pit *p = ctx;
  int64_t t = now_pulse(p);
  out0_catch_up(p, t);
  if (offset == 3)
    return 0xFF; /* the control word is write-only (8254: no-op read) */
  return read_data(&p->c[offset], t);
}

static void pit_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_pit *p = ctx;
  int64_t t = now_pulse(p);
  out0_catch_up(p, t);
  if (offset == 3)
    write_control(p, t, (uint8_t)value);
  else
    write_data(&p->c[offset], t, (uint8_t)value);
  out0_sync(p, t);
}

const struct dev_port_ops dev_pit_ops = {
    .name = "pit8254",
    .sizes = DEV_SIZE_8,
    .read = pit_read,
    .write = pit_write,
};

/* ---- port B (0x61) -------------------------------------------------------- */

#define PORTB_GATE2 0x01
#define PORTB_SPEAKER 0x02
#define PORTB_REFRESH 0x10
#define PORTB_OUT2 0x20
#define REFRESH_PULSES 18

static uint32_t portb_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct dev_pit *p = ctx;
  int64_t t = now_pulse(p);
  uint8_t v = p->portb & 0x0F;
  if ((t / REFRESH_PULSES) & 1)
    v |= PORTB_REFRESH;
  if (out_at(&p->c[2], t))
    v |= PORTB_OUT2;
  return v;
}

static void portb_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_pit *p = ctx;
  p->portb = (uint8_t)(value & 0x0F);
  set_gate(&p->c[2], now_pulse(p), value & PORTB_GATE2);
}

const struct dev_port_ops dev_pit_portb_ops = {
    .name = "port B (0x61)",
    .sizes = DEV_SIZE_8,
    .read = portb_read,
    .write = portb_write,
};

/* ---- instances ------------------------------------------------------------ */

void dev_pit_set_gate(struct dev_pit *p, int counter, bool level) {
  int64_t t = now_pulse(p);
  out0_catch_up(p, t);
  set_gate(&p->c[counter], t, level);
  if (counter == 0)
    out0_sync(p, t);
}

bool dev_pit_out(struct dev_pit *p, int counter) { return out_at(&p->c[counter], now_pulse(p)); }

bool dev_pit_speaker(struct dev_pit *p) { return (p->portb & PORTB_SPEAKER) && dev_pit_out(p, 2); }

struct dev_pit *dev_pit_new(struct dev_timebase tb, struct dev_irq out0) {
  struct dev_pit *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->tb = tb;
  p->out0 = out0;
  for (unsigned k = 0; k < 3; k++) {
    struct counter *c = &p->c[k];
    /* Power-on: no mode programmed; gates 0 and 1 are tied high on a PC,
     * gate 2 follows port B bit 0 (0). OUT is undefined until a control
     * word; ringlab holds it low, as QEMU does for a counter never
     * programmed. */
    c->gate = k != 2;
    c->run = IDLE;
    c->rw = 3;
    c->null_until = NEVER;
    c->n = 65536;
    c->cr_n = 65536;
  }
  return p;
}

void dev_pit_free(struct dev_pit *p) { free(p); }

/* ---- snapshots ------------------------------------------------------------ */

/* Wiring zeroed: the file is the state alone. */
void dev_pit_save(const struct dev_pit *p, struct snap_writer *w) {
  struct dev_pit n;
  memcpy(&n, p, sizeof n);
  memset(&n.tb, 0, sizeof n.tb);
  memset(&n.out0, 0, sizeof n.out0);
  snap_put_struct(w, &n, sizeof n);
}

int dev_pit_load(struct dev_pit *p, struct snap_reader *r) {
  struct dev_pit n;
  if (!snap_get_struct(r, &n, sizeof n, "8254"))
    return -1;
  n.tb = p->tb; /* wiring, not state */
  n.out0 = p->out0;
  *p = n;
  return 0;
}
