/* devices/pic8259.c - one Intel 8259A programmable interrupt controller.
 *
 *            +-----------+
 *   IR0-7  ->|  8259A    |-> INT    (struct dev_irq int_out)
 *   A0     ->|           |<- INTA   (dev_pic_inta)
 *   D0-D7 <->|           |-> CAS0-2 (dev_pic_cascade: which IR has a slave)
 *            +-----------+
 *
 * The PC's pair is two of these, wired by the board: the slave's INT drives
 * the master's IR2, and the master's INTA of a cascade input asks the slave
 * for the vector (as CAS0-2 select it on the bus). Datasheet: Intel 8259A,
 * order no. 231468.
 *
 * Ports (offset = A0):
 *   0 write  D4=1: ICW1 (D0 IC4, D1 SNGL, D3 LTIM; D2 ADI ignored: 8086)
 *            D4=0 D3=0: OCW2 (R SL EOI in D7-D5, level L2-L0)
 *            D4=0 D3=1: OCW3 (D6 ESMM, D5 SMM, D2 P poll, D1 RR, D0 RIS)
 *   0 read   IRR or ISR as OCW3 selected (IRR after ICW1); after a poll
 *            command, the poll word (D7 = request, D2-D0 = level), which
 *            acknowledges like INTA
 *   1 write  ICW2, ICW3, ICW4 during initialization; OCW1 (IMR) after
 *   1 read   IMR
 *
 * Behavior modeled:
 *   - ICW1 resets: IMR and ISR cleared, IR7 lowest priority, special mask
 *     mode off, read IRR, and the edge-sense latches: after ICW1 a line
 *     must make a low-to-high transition to request (an input that is
 *     already high is not seen until it goes low and high again).
 *   - Edge triggering (LTIM = 0): a rising edge sets the IRR bit; the bit
 *     drops if the input goes low again before INTA (datasheet: "IR must
 *     remain high until after the falling edge of the first INTA"). Level
 *     triggering (LTIM = 1): the IRR bit is the input level.
 *   - Priority resolution with rotation: the highest-priority unmasked
 *     request interrupts when it is above every in-service level; the
 *     in-service levels that block are the whole ISR, minus the masked ones
 *     in special mask mode (so a handler that masks its own level lets every
 *     other level in, lower ones too), minus the cascade inputs on a master
 *     in special fully nested mode (ICW4 SFNM: a slave may interrupt again
 *     while its master level is in service).
 *   - INTA: the ISR bit of the winning level is set and its IRR bit
 *     cleared; the vector is ICW2 bits 7-3 | level. With AEOI (ICW4 D1) the
 *     ISR bit is cleared at the end of the acknowledge (and, if "rotate in
 *     AEOI" is set, that level becomes lowest). If nothing is requesting at
 *     INTA time, the chip answers the spurious vector of IR7 without setting
 *     ISR; a slave's spurious IR7 (IRQ 15) still sets the master's ISR bit 2,
 *     as on a PC, so the handler must EOI the master.
 *   - OCW2, all eight commands: non-specific EOI (clears the highest-
 *     priority ISR bit), specific EOI, rotate on non-specific EOI, rotate on
 *     specific EOI, set priority, set/clear rotate in AEOI mode, no-op.
 *   - OCW3: read IRR/ISR, poll, set/reset special mask mode.
 *   - Cascade: ICW3 on a master is the bit mask of IR inputs with slaves;
 *     on a slave its id (2 on a PC). dev_pic_cascade() connects a slave.
 *
 * Not modeled: MCS-80/85 mode (ICW4 D0 = 0, or no ICW4): the chip forms
 * vectors as in 8086 mode, since an x86 CPU cannot take the CALL sequence;
 * buffered mode and M/S (ICW4 D3-D2) are stored and read back nowhere.
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>
#include <string.h>

#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_INIT 0x10

#define ICW4_8086 0x01
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10

#define OCW3_SEL 0x08
#define OCW3_RIS 0x01
#define OCW3_RR 0x02
#define OCW3_POLL 0x04
#define OCW3_SMM 0x20
#define OCW3_ESMM 0x40

enum init_step { INIT_DONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

struct dev_pic {
  struct dev_irq int_out;
  int int_level; /* last level driven on INT */
  struct dev_pic *slave[8]; /* cascade: slave on each IR, or NULL */

  uint8_t icw1, icw2, icw3, icw4;
  enum init_step step;
  uint8_t irr, isr, imr;
  uint8_t level;   /* input lines now */
  uint8_t lowest;  /* the lowest-priority level (7 after ICW1) */
  bool read_isr;   /* OCW3 RIS */
  bool poll;       /* a poll command waits for the next read */
  bool smm;        /* special mask mode */
  bool rotate_aeoi;
};

/* Priority rank of a level: 0 is highest. */
static unsigned rank(const struct dev_pic *p, unsigned ir) { return (ir - p->lowest - 1) & 7; }

/* The highest-priority level in mask, or -1. */
static int highest(const struct dev_pic *p, uint8_t mask) {
  for (unsigned k = 0; k < 8; k++) {
    unsigned ir = (p->lowest + 1 + k) & 7;
    if (mask & (1u << ir))
      return (int)ir;
  }
  return -1;
}

/* The level that would interrupt now, or -1. */
static int winner(const struct dev_pic *p) {
  int req = highest(p, p->irr & ~p->imr);
  if (req < 0)
    return -1;
  uint8_t blocking = p->isr;
  if (p->smm)
    blocking &= ~p->imr;
  if ((p->icw4 & ICW4_SFNM) && !(p->icw1 & ICW1_SNGL))
    for (unsigned k = 0; k < 8; k++)
      if (p->slave[k])
        blocking &= ~(1u << k);
  int in = highest(p, blocking);
  if (in >= 0 && rank(p, (unsigned)in) <= rank(p, (unsigned)req))
    return -1;
  return req;
}

static void update(struct dev_pic *p) {
  int level = winner(p) >= 0;
  if (level != p->int_level) {
    p->int_level = level;
    dev_irq_set(&p->int_out, level);
  }
}

void dev_pic_set_irq(void *opaque, int ir, int level) {
  struct dev_pic *p = opaque;
  uint8_t bit = (uint8_t)(1u << (ir & 7));
  bool was = p->level & bit;
  if (level)
    p->level |= bit;
  else
    p->level &= ~bit;
  if (p->icw1 & ICW1_LTIM) {
    p->irr = (p->irr & ~bit) | (level ? bit : 0);
  } else if (level && !was) {
    p->irr |= bit; /* rising edge */
  } else if (!level) {
    p->irr &= ~bit; /* the request went away before INTA */
  }
  update(p);
}

static void eoi(struct dev_pic *p, int ir, bool rotate) {
  if (ir < 0)
    return;
  p->isr &= ~(1u << ir);
  if (rotate)
    p->lowest = (uint8_t)ir;
}

/* The acknowledge of one chip: sets ISR, returns the vector. */
static int acknowledge(struct dev_pic *p) {
  int ir = winner(p);
  if (ir < 0) /* nothing requesting any more: the default IR7 */
    return (p->icw2 & 0xF8) | 7;
  uint8_t bit = (uint8_t)(1u << ir);
  p->isr |= bit;
  if (!(p->icw1 & ICW1_LTIM))
    p->irr &= ~bit;
  int vector;
  if (!(p->icw1 & ICW1_SNGL) && p->slave[ir] && (p->icw3 & bit))
    vector = acknowledge(p->slave[ir]);
  else
    vector = (p->icw2 & 0xF8) | ir;
  if (p->icw4 & ICW4_AEOI)
    eoi(p, ir, p->rotate_aeoi);
  return vector;
}

int dev_pic_inta(struct dev_pic *p) {
  int v = acknowledge(p);
  for (unsigned k = 0; k < 8; k++)
    if (p->slave[k])
      update(p->slave[k]);
  update(p);
  return v;
}

static void write_ocw2(struct dev_pic *p, uint8_t v) {
  int l = v & 7;
  switch (v >> 5) {
  case 1: /* non-specific EOI */
    eoi(p, highest(p, p->isr), false);
    break;
  case 3: /* specific EOI */
    eoi(p, l, false);
    break;
  case 5: /* rotate on non-specific EOI */
    eoi(p, highest(p, p->isr), true);
    break;
  case 7: /* rotate on specific EOI */
    eoi(p, l, true);
    break;
  case 6: /* set priority: L becomes lowest */
    p->lowest = (uint8_t)l;
    break;
  case 4: /* set rotate in AEOI mode */
    p->rotate_aeoi = true;
    break;
  case 0: /* clear rotate in AEOI mode */
    p->rotate_aeoi = false;
    break;
  case 2: /* no operation */
    break;
  }
}

static void pic_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_pic *p = ctx;
  uint8_t v = (uint8_t)value;
  if (offset == 0) {
    if (v & ICW1_INIT) {
      p->icw1 = v;
      p->step = INIT_ICW2;
      p->imr = 0;
      p->isr = 0;
      p->irr = (v & ICW1_LTIM) ? p->level : 0; /* edge latches reset */
      p->lowest = 7;
      p->read_isr = false;
      p->poll = false;
      p->smm = false;
      p->rotate_aeoi = false;
      if (!(v & ICW1_IC4))
        p->icw4 = 0;
    } else if (v & OCW3_SEL) {
      if (v & OCW3_RR)
        p->read_isr = v & OCW3_RIS;
      if (v & OCW3_ESMM)
        p->smm = v & OCW3_SMM;
      p->poll = v & OCW3_POLL;
    } else {
      write_ocw2(p, v);
    }
  } else {
    switch (p->step) {
    case INIT_ICW2:
      p->icw2 = v;
      p->step = !(p->icw1 & ICW1_SNGL) ? INIT_ICW3 : (p->icw1 & ICW1_IC4) ? INIT_ICW4 : INIT_DONE;
      break;
    case INIT_ICW3:
      p->icw3 = v;
      p->step = (p->icw1 & ICW1_IC4) ? INIT_ICW4 : INIT_DONE;
      break;
    case INIT_ICW4:
      p->icw4 = v;
      p->step = INIT_DONE;
      break;
    case INIT_DONE:
      p->imr = v; /* OCW1 */
      break;
    }
  }
  update(p);
}

static uint32_t pic_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct dev_pic *p = ctx;
  if (offset == 1)
    return p->imr;
  if (p->poll) {
    /* The poll word; the read acts as an INTA (datasheet, "The Poll
     * Command"). */
    p->poll = false;
    int ir = winner(p);
    if (ir < 0)
      return 0;
    uint8_t bit = (uint8_t)(1u << ir);
    p->isr |= bit;
    if (!(p->icw1 & ICW1_LTIM))
      p->irr &= ~bit;
    update(p);
    return 0x80 | (unsigned)ir;
  }
  return p->read_isr ? p->isr : p->irr;
}

const struct dev_port_ops dev_pic_ops = {
    .name = "pic8259",
    .sizes = DEV_SIZE_8,
    .read = pic_read,
    .write = pic_write,
};

void dev_pic_cascade(struct dev_pic *master, int ir, struct dev_pic *slave) { master->slave[ir & 7] = slave; }

uint8_t dev_pic_irr(const struct dev_pic *p) { return p->irr; }
uint8_t dev_pic_isr(const struct dev_pic *p) { return p->isr; }
uint8_t dev_pic_imr(const struct dev_pic *p) { return p->imr; }
bool dev_pic_int(const struct dev_pic *p) { return p->int_level; }

struct dev_pic *dev_pic_new(struct dev_irq int_out) {
  struct dev_pic *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->int_out = int_out;
  p->lowest = 7;
  return p;
}

void dev_pic_free(struct dev_pic *p) { free(p); }

/* ---- snapshots ------------------------------------------------------------ */

/* Wiring (callbacks, pointers) zeroed: the file is the state alone, the
 * same bytes for the same run. */
void dev_pic_save(const struct dev_pic *p, struct snap_writer *w) {
  struct dev_pic n;
  memcpy(&n, p, sizeof n);
  memset(&n.int_out, 0, sizeof n.int_out);
  memset(n.slave, 0, sizeof n.slave);
  snap_put_struct(w, &n, sizeof n);
}

int dev_pic_load(struct dev_pic *p, struct snap_reader *r) {
  struct dev_pic n;
  if (!snap_get_struct(r, &n, sizeof n, "8259A"))
    return -1;
  n.int_out = p->int_out; /* wiring, not state */
  memcpy(n.slave, p->slave, sizeof n.slave);
  *p = n;
  return 0;
}
