/* devices/i8042.c - the 8042 keyboard controller of a PC/AT, with its
 * PS/2 keyboard (ps2kbd.c) on the keyboard port.
 *
 *                +--------------------+
 *   data  ------>| input buffer       |---> keyboard (commands)  <--- keys
 *   cmd   ------>| command byte (RAM) |
 *   data  <------| output buffer      |<--- keyboard bytes, translated to
 *   status <-----| status             |     set 1 when command byte bit 6
 *                | output port   P2 --|---> bit 0 RESET (active low: a pulse
 *                |                    |     resets the processor)
 *                |                    |---> bit 1 A20 gate
 *                |                    |---> IRQ 1 (keyboard byte) / IRQ 12 (aux)
 *                +--------------------+
 *
 * Two ports, each a class of its own (the PC has port B at 0x61 between
 * them): DATA (0x60) and COMMAND/STATUS (0x64).
 *
 *   status  bit 0 OBF output buffer full   bit 4 INH 1: keyboard not inhibited
 *           bit 1 IBF (always 0: every     bit 5 AUXB the byte is from aux
 *                 write is taken at once)  bit 6 TO  time-out (no aux device)
 *           bit 2 SYS system flag          bit 7 PERR (0)
 *           bit 3 A2 last write was a command
 *
 *   command byte (RAM 0)  bit 0 IRQ 1 enable   bit 4 keyboard clock disabled
 *                         bit 1 IRQ 12 enable  bit 5 aux clock disabled
 *                         bit 2 system flag    bit 6 translate set 2 -> set 1
 *
 * Controller commands (written to 0x64): 20-3F read RAM byte (20: the
 * command byte); 60-7F write RAM byte (the next data byte); A7/A8 disable/
 * enable aux; A9 aux interface test (00); AA self-test (55); AB keyboard
 * interface test (00); AD/AE disable/enable the keyboard; C0 read the input
 * port; D0 read the output port; D1 write the output port (the next data
 * byte; bit 0 = 0 resets the processor); D2 the next data byte into the
 * output buffer as if from the keyboard; D3 as if from aux; D4 the next
 * byte to the aux device (none: status TO); DD/DF A20 off/on (as many
 * controllers and QEMU have); E0 read the test inputs (00); F0-FF pulse the
 * output port bits whose bit in the low nibble is 0 (FE: reset); others
 * are ignored. A data byte (0x60) not expected by a command goes to the
 * keyboard.
 *
 * The output buffer is filled, whenever it is empty, from the replies to
 * controller commands first, then from the keyboard (unless its clock is
 * disabled). IRQ 1 is high while it holds a keyboard byte and command
 * byte bit 0 is set (a level the PIC sees as an edge each time a byte is
 * loaded), IRQ 12 likewise for aux bytes. Reading 0x60 empties it (and
 * reads the last byte again when empty).
 *
 * Translation (command byte bit 6) is the 8042's: each byte from the
 * keyboard goes through its set 2 -> set 1 table, and an F0 (set 2's break
 * prefix) is dropped and sets bit 7 of the next byte, so an AT keyboard
 * looks like an XT one to software (and its replies too: ID AB 83 reads
 * AB 41).
 *
 * Power-on state as a BIOS leaves it: command byte 0x65 (IRQ 1, system
 * flag, aux disabled, translation), output port 0xCD (RESET high, A20 off
 * here: the PC's A20 is port 0x92's OR this bit, and port 0x92 starts
 * enabled), the keyboard scanning in set 2.
 *
 * Departures: no aux device (a mouse); every reply is immediate; the input
 * port reads a fixed 0xB0 (colour display, 512 KiB); the password and
 * vendor commands are ignored.
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>
#include <string.h>

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_A2 0x08
#define ST_INH 0x10
#define ST_AUXB 0x20
#define ST_TO 0x40

#define CB_IRQ1 0x01
#define CB_IRQ12 0x02
#define CB_SYS 0x04
#define CB_KBD_OFF 0x10
#define CB_AUX_OFF 0x20
#define CB_XLAT 0x40

#define OP_RESET 0x01 /* output port: active low */
#define OP_A20 0x02
#define OP_IRQ1 0x10  /* read back: the IRQ lines */
#define OP_IRQ12 0x20

#define POWER_ON_COMMAND_BYTE 0x65
#define POWER_ON_OUTPUT_PORT 0xCD
#define INPUT_PORT 0xB0
#define REPLIES 4

/* The 8042's translation table, set 2 byte -> set 1 byte, for 0x00-0x7F
 * (IBM's firmware table; the bytes 0x80-0xFF pass unchanged but for 0x83,
 * F7, and 0x84, Alt+SysRq). */
static const uint8_t xlat_low[128] = {
    /*        0     1     2     3     4     5     6     7     8     9     a     b     c     d     e     f */
    /* 0 */ 0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    /* 1 */ 0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    /* 2 */ 0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    /* 3 */ 0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    /* 4 */ 0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    /* 5 */ 0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    /* 6 */ 0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    /* 7 */ 0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

uint8_t dev_kbc_translate(uint8_t set2) {
  if (set2 < 0x80)
    return xlat_low[set2];
  if (set2 == 0x83)
    return 0x41;
  if (set2 == 0x84)
    return 0x54;
  return set2;
}

struct dev_kbc {
  struct dev_ps2kbd *kbd;
  struct dev_irq irq1, irq12;
  struct dev_kbc_lines lines;
  uint8_t ram[32];   /* ram[0]: the command byte */
  uint8_t status;    /* SYS, A2, TO (OBF and AUXB come from the buffer) */
  uint8_t outport;   /* bits 0-3 and 6-7; 4-5 read back the IRQ lines */
  uint8_t ob;        /* the output buffer (kept after a read) */
  bool ob_full, ob_aux;
  uint8_t reply[REPLIES]; /* controller replies waiting for the buffer */
  bool reply_aux[REPLIES];
  unsigned n_replies;
  uint8_t pending;   /* the command whose data byte comes next, or 0 */
  bool xlat_break;   /* translation: an F0 was dropped */
  int irq1_level, irq12_level;
};

/* ---- the output buffer and the IRQ lines ------------------------------------- */

static void drive_irqs(struct dev_kbc *c) {
  int l1 = c->ob_full && !c->ob_aux && (c->ram[0] & CB_IRQ1);
  int l12 = c->ob_full && c->ob_aux && (c->ram[0] & CB_IRQ12);
  if (l1 != c->irq1_level) {
    c->irq1_level = l1;
    dev_irq_set(&c->irq1, l1);
  }
  if (l12 != c->irq12_level) {
    c->irq12_level = l12;
    dev_irq_set(&c->irq12, l12);
  }
}

static void reply(struct dev_kbc *c, uint8_t byte, bool aux) {
  if (c->n_replies < REPLIES) {
    c->reply[c->n_replies] = byte;
    c->reply_aux[c->n_replies++] = aux;
  }
}

/* The next keyboard byte as the host sees it (translated), if any. */
static bool keyboard_byte(struct dev_kbc *c, uint8_t *out) {
  uint8_t b;
  while (dev_ps2kbd_take(c->kbd, &b)) {
    if (!(c->ram[0] & CB_XLAT)) {
      *out = b;
      return true;
    }
    if (b == 0xF0) {
      c->xlat_break = true;
      continue;
    }
    *out = (uint8_t)(dev_kbc_translate(b) | (c->xlat_break ? 0x80 : 0));
    c->xlat_break = false;
    return true;
  }
  return false;
}

/* Loads the output buffer if it is empty and something waits. */
static void refill(struct dev_kbc *c) {
  if (!c->ob_full) {
    if (c->n_replies) {
      c->ob = c->reply[0];
      c->ob_aux = c->reply_aux[0];
      c->ob_full = true;
      c->n_replies--;
      for (unsigned k = 0; k < c->n_replies; k++) {
        c->reply[k] = c->reply[k + 1];
        c->reply_aux[k] = c->reply_aux[k + 1];
      }
    } else if (!(c->ram[0] & CB_KBD_OFF) && keyboard_byte(c, &c->ob)) {
      c->ob_aux = false;
      c->ob_full = true;
    }
  }
  drive_irqs(c);
}

/* ---- the output port ------------------------------------------------------------ */

static void set_outport(struct dev_kbc *c, uint8_t value) {
  uint8_t old = c->outport;
  c->outport = value & (uint8_t)~(OP_IRQ1 | OP_IRQ12);
  if (((old ^ c->outport) & OP_A20) && c->lines.set_a20)
    c->lines.set_a20(c->lines.opaque, c->outport & OP_A20);
  if (!(c->outport & OP_RESET)) {
    if (c->lines.reset)
      c->lines.reset(c->lines.opaque);
    c->outport |= OP_RESET; /* a pulse: the line goes high again */
  }
}

static uint8_t outport_read(const struct dev_kbc *c) {
  return (uint8_t)(c->outport | (c->ob_full && !c->ob_aux ? OP_IRQ1 : 0) | (c->ob_full && c->ob_aux ? OP_IRQ12 : 0));
}

/* ---- the ports ------------------------------------------------------------------------ */

static uint32_t data_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct dev_kbc *c = ctx;
  uint8_t v = c->ob;
  c->ob_full = false;
  drive_irqs(c); /* the line drops, and rises again for the next byte: an edge each */
  refill(c);
  return v;
}

static void data_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_kbc *c = ctx;
  uint8_t b = (uint8_t)value;
  uint8_t cmd = c->pending;
  c->pending = 0;
  c->status &= (uint8_t)~ST_A2;
  if (cmd >= 0x60 && cmd <= 0x7F) {
    c->ram[cmd & 0x1F] = b;
    if (cmd == 0x60)
      c->status = (uint8_t)((c->status & ~ST_SYS) | (b & CB_SYS));
  } else if (cmd == 0xD1) {
    set_outport(c, b);
  } else if (cmd == 0xD2 || cmd == 0xD3) {
    reply(c, b, cmd == 0xD3);
  } else if (cmd == 0xD4) {
    c->status |= ST_TO; /* no aux device answers */
  } else {
    c->ram[0] &= (uint8_t)~CB_KBD_OFF; /* sending to the keyboard enables its clock */
    dev_ps2kbd_command(c->kbd, b);
  }
  refill(c);
}

static uint32_t status_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct dev_kbc *c = ctx;
  return (uint32_t)(c->status | ST_INH | (c->ob_full ? ST_OBF : 0) | (c->ob_full && c->ob_aux ? ST_AUXB : 0));
}

static void command_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_kbc *c = ctx;
  uint8_t cmd = (uint8_t)value;
  c->pending = 0;
  c->status = (uint8_t)((c->status | ST_A2) & ~ST_TO);
  if (cmd >= 0x20 && cmd <= 0x3F) {
    reply(c, c->ram[cmd & 0x1F], false);
  } else if ((cmd >= 0x60 && cmd <= 0x7F) || (cmd >= 0xD1 && cmd <= 0xD4)) {
    c->pending = cmd;
  } else if (cmd >= 0xF0) {
    if (!(cmd & OP_RESET)) /* pulse the lines whose bit is 0; RESET is the one wired */
      set_outport(c, (uint8_t)(c->outport & ~OP_RESET));
  } else {
    switch (cmd) {
    case 0xA7:
      c->ram[0] |= CB_AUX_OFF;
      break;
    case 0xA8:
      c->ram[0] &= (uint8_t)~CB_AUX_OFF;
      break;
    case 0xA9:
    case 0xAB:
    case 0xE0:
      reply(c, 0x00, false);
      break;
    case 0xAA:
      c->status |= ST_SYS;
      reply(c, 0x55, false);
      break;
    case 0xAD:
      c->ram[0] |= CB_KBD_OFF;
      break;
    case 0xAE:
      c->ram[0] &= (uint8_t)~CB_KBD_OFF;
      break;
    case 0xC0:
      reply(c, INPUT_PORT, false);
      break;
    case 0xD0:
      reply(c, outport_read(c), false);
      break;
    case 0xDD:
      set_outport(c, (uint8_t)(c->outport & ~OP_A20));
      break;
    case 0xDF:
      set_outport(c, (uint8_t)(c->outport | OP_A20));
      break;
    default:
      break;
    }
  }
  refill(c);
}

const struct dev_port_ops dev_kbc_data_ops = {
    .name = "i8042 data",
    .sizes = DEV_SIZE_8,
    .read = data_read,
    .write = data_write,
};

const struct dev_port_ops dev_kbc_command_ops = {
    .name = "i8042 command/status",
    .sizes = DEV_SIZE_8,
    .read = status_read,
    .write = command_write,
};

/* ---- time: key events and the keyboard's typematic repeat ---------------------------- */

static cycles_t kbc_next_event(void *ctx) {
  struct dev_kbc *c = ctx;
  return dev_ps2kbd_next_event(c->kbd);
}

static void kbc_run_until(void *ctx, cycles_t now) {
  struct dev_kbc *c = ctx;
  dev_ps2kbd_run_until(c->kbd, now);
  refill(c);
}

const struct dev_clock_ops dev_kbc_clock_ops = {
    .name = "i8042 keyboard",
    .next_event = kbc_next_event,
    .run_until = kbc_run_until,
};

int dev_kbc_queue_key(struct dev_kbc *c, cycles_t when, unsigned key, bool down) {
  return dev_ps2kbd_queue(c->kbd, when, key, down);
}

struct dev_ps2kbd *dev_kbc_keyboard(struct dev_kbc *c) { return c->kbd; }

bool dev_kbc_a20(const struct dev_kbc *c) { return c->outport & OP_A20; }

struct dev_kbc *dev_kbc_new(struct dev_timebase tb, struct dev_irq irq1, struct dev_irq irq12,
                            struct dev_kbc_lines lines) {
  struct dev_kbc *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->kbd = dev_ps2kbd_new(tb);
  if (!c->kbd) {
    free(c);
    return NULL;
  }
  c->irq1 = irq1;
  c->irq12 = irq12;
  c->lines = lines;
  c->ram[0] = POWER_ON_COMMAND_BYTE;
  c->status = ST_SYS;
  c->outport = POWER_ON_OUTPUT_PORT;
  return c;
}

void dev_kbc_free(struct dev_kbc *c) {
  if (!c)
    return;
  dev_ps2kbd_free(c->kbd);
  free(c);
}

/* ---- snapshots ------------------------------------------------------------ */

void dev_kbc_save(const struct dev_kbc *c, struct snap_writer *w) {
  struct dev_kbc n;
  memcpy(&n, c, sizeof n);
  n.kbd = NULL; /* wiring zeroed: the file is the state alone */
  memset(&n.irq1, 0, sizeof n.irq1);
  memset(&n.irq12, 0, sizeof n.irq12);
  memset(&n.lines, 0, sizeof n.lines);
  snap_put_struct(w, &n, sizeof n);
  dev_ps2kbd_save(c->kbd, w);
}

int dev_kbc_load(struct dev_kbc *c, struct snap_reader *r) {
  struct dev_kbc n;
  if (!snap_get_struct(r, &n, sizeof n, "8042") || dev_ps2kbd_load(c->kbd, r) != 0)
    return -1;
  n.kbd = c->kbd; /* wiring, not state */
  n.irq1 = c->irq1;
  n.irq12 = c->irq12;
  n.lines = c->lines;
  *c = n;
  return 0;
}
