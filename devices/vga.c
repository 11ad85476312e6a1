/* devices/vga.c - a VGA adapter in colour text mode: its registers, its
 * frame timing, and the text screen it would show.
 *
 *                 +-----------------------+
 *   port bus ---->| CRTC  0x3B4/5 0x3D4/5 |    cursor, start address, timing
 *                 | ATC   0x3C0/1         |    palette, blink, line graphics
 *                 | misc  0x3C2 0x3CC     |    I/O address select, dot clock
 *                 | SEQ   0x3C4/5         |    8/9-dot cells, screen off
 *                 | DAC   0x3C6-0x3C9     |    256 x 6-bit RGB
 *                 | GC    0x3CE/F         |    (stored)
 *                 | status 0x3C2 0x3BA/DA |    retrace bits, from the clock
 *                 +-----------------------+
 *   text memory:  the 32 KiB window at 0xB8000, which the board hands in
 *                 as a host pointer (guest RAM there plays the role of the
 *                 adapter's planes 0 and 1: character and attribute bytes)
 *
 * Ports are offsets from 0x3B0 (DEV_VGA_PORTS = 0x30, 0x3B0-0x3DF):
 *
 *   0x3B4/0x3B5  CRTC index/data when misc bit 0 = 0 (monochrome addressing)
 *   0x3BA        read: input status 1; write: feature control (mono)
 *   0x3C0        attribute controller: index, then data, by a flip-flop
 *   0x3C1        attribute controller data (read)
 *   0x3C2        write: miscellaneous output; read: input status 0
 *   0x3C3        video subsystem enable (stored)
 *   0x3C4/0x3C5  sequencer index/data (5 registers)
 *   0x3C6        DAC pixel mask
 *   0x3C7        write: DAC read index; read: DAC state (0 read mode, 3 write)
 *   0x3C8        DAC write index
 *   0x3C9        DAC data: R, G, B, 6 bits each, the index auto-incrementing
 *   0x3CA        feature control (read)
 *   0x3CC        miscellaneous output (read)
 *   0x3CE/0x3CF  graphics controller index/data (9 registers)
 *   0x3D4/0x3D5  CRTC index/data when misc bit 0 = 1 (colour addressing)
 *   0x3DA        read: input status 1; write: feature control (colour)
 *
 * The CRTC pair and status register of the addressing mode not selected
 * are not decoded (read 0xFF, writes ignored), as on the real card. Reading
 * input status 1 resets the attribute controller's flip-flop to "index".
 * CRTC registers 0-7 are write-protected while bit 7 of register 0x11 is
 * set (except the line-compare bit 4 of register 7).
 *
 * Power-on state: there is no video BIOS, so the chip starts as IBM's BIOS
 * leaves mode 3 (80x25 colour text, 9x16 cells, 720x400 at 70 Hz): the
 * register values of that mode and the DAC's first 64 entries as the EGA
 * palette (each channel 0x2A for the primary bit plus 0x15 for the
 * secondary), the rest black. The board fills the text window with blank
 * cells (0x0720) as the BIOS's mode set does.
 *
 * Time. Input status 1 bit 3 (vertical retrace) and bit 0 (display
 * disabled: horizontal or vertical blanking) follow the beam, computed in
 * closed form from the cycle counter: the dot clock (misc bits 3-2: 25.175
 * or 28.322 MHz) counts dots from cycle 0 with exact 128-bit arithmetic,
 * the CRTC's horizontal total (in 8- or 9-dot characters, sequencer
 * register 1 bit 0) and vertical total give the beam's line and column,
 * and its display-end and retrace registers say which interval that is.
 * Mode 3: 900 dots by 449 lines, 70.087 Hz; vertical retrace on lines
 * 412-413. Nothing is stepped and no event is scheduled: the beam is a
 * function of now, which the board sets to the accessing instruction's
 * cycle.
 *
 * Departures: no graphics modes (the graphics controller's and sequencer's
 * registers are stored and read back, the memory map is fixed at the text
 * window, plane access modes are not modelled); no vertical retrace
 * interrupt; input status 0 reads 0 (no switch sense); one font (the
 * sequencer's character map select is stored).
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>
#include <string.h>

#define DOT_HZ_25 25175000u /* misc bits 3-2 = 00: 640/320-dot modes */
#define DOT_HZ_28 28322000u /* misc bits 3-2 = 01: 720/360-dot modes */

#define MISC_COLOR 0x01 /* I/O address select: 0x3Dx (1) or 0x3Bx (0) */

/* Register offsets from 0x3B0. */
#define P_CRTC_MONO 0x04
#define P_STATUS_MONO 0x0A
#define P_ATC 0x10
#define P_ATC_READ 0x11
#define P_MISC 0x12
#define P_ENABLE 0x13
#define P_SEQ 0x14
#define P_DAC_MASK 0x16
#define P_DAC_READ 0x17
#define P_DAC_WRITE 0x18
#define P_DAC_DATA 0x19
#define P_FEATURE_READ 0x1A
#define P_MISC_READ 0x1C
#define P_GC 0x1E
#define P_CRTC_COLOR 0x24
#define P_STATUS_COLOR 0x2A

/* CRTC registers used here. */
#define CR_HTOTAL 0x00
#define CR_HDISP_END 0x01
#define CR_VTOTAL 0x06
#define CR_OVERFLOW 0x07
#define CR_MAX_SCAN 0x09
#define CR_CURSOR_START 0x0A
#define CR_CURSOR_END 0x0B
#define CR_START_HI 0x0C
#define CR_START_LO 0x0D
#define CR_CURSOR_HI 0x0E
#define CR_CURSOR_LO 0x0F
#define CR_VRETRACE_START 0x10
#define CR_VRETRACE_END 0x11
#define CR_VDISP_END 0x12
#define CR_OFFSET 0x13

#define ATC_MODE 0x10 /* mode control: bit 2 line graphics, bit 3 blink */
#define ATC_REGS 21
#define SEQ_REGS 5
#define GC_REGS 9

struct dev_vga {
  struct dev_timebase tb;
  const uint8_t *text; /* DEV_VGA_TEXT_BYTES at 0xB8000 */
  uint8_t misc, feature, enable;
  uint8_t crtc_index, crtc[DEV_VGA_CRTC_REGS];
  uint8_t seq_index, seq[SEQ_REGS];
  uint8_t gc_index, gc[GC_REGS];
  uint8_t atc_index; /* bits 0-4 the register, bit 5 PAS (palette address source) */
  bool atc_data;     /* the flip-flop: the next 0x3C0 write is data */
  uint8_t atc[ATC_REGS];
  uint8_t dac[256][3];
  uint8_t dac_mask, dac_read, dac_write, dac_phase; /* phase: 0 R, 1 G, 2 B */
  bool dac_reading;                                 /* the last index write was to 0x3C7 */
};

/* The register values of mode 3 as IBM's VGA BIOS sets them. */
static const uint8_t mode3_crtc[DEV_VGA_CRTC_REGS] = {
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
    0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
};
static const uint8_t mode3_seq[SEQ_REGS] = {0x03, 0x00, 0x03, 0x00, 0x02};
static const uint8_t mode3_gc[GC_REGS] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
static const uint8_t mode3_atc[ATC_REGS] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
    0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00,
};
#define MODE3_MISC 0x67

static void power_on(struct dev_vga *v) {
  v->misc = MODE3_MISC;
  v->feature = 0;
  v->enable = 1;
  memcpy(v->crtc, mode3_crtc, sizeof v->crtc);
  memcpy(v->seq, mode3_seq, sizeof v->seq);
  memcpy(v->gc, mode3_gc, sizeof v->gc);
  memcpy(v->atc, mode3_atc, sizeof v->atc);
  v->crtc_index = v->seq_index = v->gc_index = 0;
  v->atc_index = 0x20; /* PAS set: the screen shows */
  v->atc_data = false;
  memset(v->dac, 0, sizeof v->dac);
  for (unsigned i = 0; i < 64; i++) { /* EGA colour i: bits 2 1 0 = R G B, 5 4 3 = r g b */
    v->dac[i][0] = (uint8_t)((i & 4 ? 0x2A : 0) + (i & 32 ? 0x15 : 0));
    v->dac[i][1] = (uint8_t)((i & 2 ? 0x2A : 0) + (i & 16 ? 0x15 : 0));
    v->dac[i][2] = (uint8_t)((i & 1 ? 0x2A : 0) + (i & 8 ? 0x15 : 0));
  }
  v->dac_mask = 0xFF;
  v->dac_read = v->dac_write = v->dac_phase = 0;
  v->dac_reading = false;
}

/* ---- the beam ------------------------------------------------------------- */

static uint32_t vertical(const struct dev_vga *v, unsigned reg, unsigned bit8, unsigned bit9) {
  uint8_t ov = v->crtc[CR_OVERFLOW];
  return v->crtc[reg] | ((ov >> bit8) & 1u) << 8 | ((ov >> bit9) & 1u) << 9;
}

struct beam {
  uint32_t char_dots; /* 8 or 9 */
  uint32_t htotal;    /* dots per line */
  uint32_t vtotal;    /* lines per frame */
  uint64_t dot_hz;
};

static struct beam beam_of(const struct dev_vga *v) {
  struct beam b;
  b.char_dots = (v->seq[1] & 1) ? 8 : 9;
  b.htotal = (v->crtc[CR_HTOTAL] + 5u) * b.char_dots;
  b.vtotal = vertical(v, CR_VTOTAL, 0, 5) + 2;
  b.dot_hz = (v->misc & 0x0C) == 0x04 ? DOT_HZ_28 : DOT_HZ_25;
  return b;
}

static uint64_t cpu_hz(const struct dev_vga *v) {
  uint64_t f = v->tb.cpu_hz ? v->tb.cpu_hz(v->tb.opaque) : 0;
  return f ? f : 1000000000u;
}

static cycles_t now(const struct dev_vga *v) { return v->tb.sched ? dev_sched_now(v->tb.sched) : 0; }

/* Dots since cycle 0, and the frame number, line and dot now. */
static void beam_now(const struct dev_vga *v, uint64_t *frame, uint32_t *line, uint32_t *dot) {
  struct beam b = beam_of(v);
  uint64_t dots = (uint64_t)((unsigned __int128)now(v) * b.dot_hz / cpu_hz(v));
  uint64_t per_frame = (uint64_t)b.htotal * b.vtotal;
  uint64_t in_frame = dots % per_frame;
  *frame = dots / per_frame;
  *line = (uint32_t)(in_frame / b.htotal);
  *dot = (uint32_t)(in_frame % b.htotal);
}

static uint8_t input_status_1(struct dev_vga *v) {
  uint64_t frame;
  uint32_t line, dot;
  beam_now(v, &frame, &line, &dot);
  struct beam b = beam_of(v);
  uint32_t hdisp = (v->crtc[CR_HDISP_END] + 1u) * b.char_dots;
  uint32_t vdisp = vertical(v, CR_VDISP_END, 1, 6) + 1;
  uint32_t vrs = vertical(v, CR_VRETRACE_START, 2, 7);
  /* Retrace ends on the first line after its start whose low four bits
   * equal register 0x11's. */
  uint32_t vre = vrs + (((v->crtc[CR_VRETRACE_END] & 0x0F) - vrs) & 0x0F);
  if (vre == vrs)
    vre += 16;
  uint8_t s = 0;
  if (dot >= hdisp || line >= vdisp)
    s |= 0x01; /* display disabled */
  if (line >= vrs && line < vre)
    s |= 0x08; /* vertical retrace */
  v->atc_data = false;
  return s;
}

/* ---- registers -------------------------------------------------------------- */

static bool color(const struct dev_vga *v) { return v->misc & MISC_COLOR; }

static void crtc_write(struct dev_vga *v, uint8_t value) {
  unsigned i = v->crtc_index;
  if (i >= DEV_VGA_CRTC_REGS)
    return;
  if ((v->crtc[CR_VRETRACE_END] & 0x80) && i <= CR_OVERFLOW) { /* protected */
    if (i == CR_OVERFLOW)
      v->crtc[i] = (uint8_t)((v->crtc[i] & ~0x10) | (value & 0x10));
    return;
  }
  v->crtc[i] = value;
}

static uint32_t vga_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct dev_vga *v = ctx;
  switch (offset) {
  case P_CRTC_MONO:
  case P_CRTC_COLOR:
    if ((offset == P_CRTC_COLOR) != color(v))
      return 0xFF;
    return v->crtc_index;
  case P_CRTC_MONO + 1:
  case P_CRTC_COLOR + 1:
    if ((offset == P_CRTC_COLOR + 1) != color(v))
      return 0xFF;
    return v->crtc_index < DEV_VGA_CRTC_REGS ? v->crtc[v->crtc_index] : 0xFF;
  case P_STATUS_MONO:
  case P_STATUS_COLOR:
    if ((offset == P_STATUS_COLOR) != color(v))
      return 0xFF;
    return input_status_1(v);
  case P_ATC:
    return v->atc_index;
  case P_ATC_READ:
    return (v->atc_index & 0x1F) < ATC_REGS ? v->atc[v->atc_index & 0x1F] : 0;
  case P_MISC:
    return 0; /* input status 0 */
  case P_ENABLE:
    return v->enable;
  case P_SEQ:
    return v->seq_index;
  case P_SEQ + 1:
    return v->seq_index < SEQ_REGS ? v->seq[v->seq_index] : 0xFF;
  case P_DAC_MASK:
    return v->dac_mask;
  case P_DAC_READ:
    return v->dac_reading ? 0x03 : 0x00;
  case P_DAC_WRITE:
    return v->dac_write;
  case P_DAC_DATA: {
    uint8_t c = v->dac[v->dac_read][v->dac_phase];
    if (++v->dac_phase == 3) {
      v->dac_phase = 0;
      v->dac_read++;
    }
    return c;
  }
  case P_FEATURE_READ:
    return v->feature;
  case P_MISC_READ:
    return v->misc;
  case P_GC:
    return v->gc_index;
  case P_GC + 1:
    return v->gc_index < GC_REGS ? v->gc[v->gc_index] : 0xFF;
  }
  return 0xFF;
}

static void vga_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_vga *v = ctx;
  uint8_t b = (uint8_t)value;
  switch (offset) {
  case P_CRTC_MONO:
  case P_CRTC_COLOR:
    if ((offset == P_CRTC_COLOR) == color(v))
      v->crtc_index = b;
    return;
  case P_CRTC_MONO + 1:
  case P_CRTC_COLOR + 1:
    if ((offset == P_CRTC_COLOR + 1) == color(v))
      crtc_write(v, b);
    return;
  case P_STATUS_MONO:
  case P_STATUS_COLOR:
    if ((offset == P_STATUS_COLOR) == color(v))
      v->feature = b;
    return;
  case P_ATC:
    if (!v->atc_data)
      v->atc_index = b & 0x3F;
    else if ((v->atc_index & 0x1F) < ATC_REGS)
      v->atc[v->atc_index & 0x1F] = b;
    v->atc_data = !v->atc_data;
    return;
  case P_MISC:
    v->misc = b;
    return;
  case P_ENABLE:
    v->enable = b;
    return;
  case P_SEQ:
    v->seq_index = b;
    return;
  case P_SEQ + 1:
    if (v->seq_index < SEQ_REGS)
      v->seq[v->seq_index] = b;
    return;
  case P_DAC_MASK:
    v->dac_mask = b;
    return;
  case P_DAC_READ:
    v->dac_read = b;
    v->dac_phase = 0;
    v->dac_reading = true;
    return;
  case P_DAC_WRITE:
    v->dac_write = b;
    v->dac_phase = 0;
    v->dac_reading = false;
    return;
  case P_DAC_DATA:
    v->dac[v->dac_write][v->dac_phase] = b & 0x3F;
    if (++v->dac_phase == 3) {
      v->dac_phase = 0;
      v->dac_write++;
    }
    return;
  case P_GC:
    v->gc_index = b;
    return;
  case P_GC + 1:
    if (v->gc_index < GC_REGS)
      v->gc[v->gc_index] = b;
    return;
  }
}

const struct dev_port_ops dev_vga_ops = {
    .name = "vga",
    .sizes = DEV_SIZE_8,
    .read = vga_read,
    .write = vga_write,
};

/* ---- what the screen shows ---------------------------------------------------- */

void dev_vga_screen(const struct dev_vga *v, struct dev_vga_screen *s) {
  memset(s, 0, sizeof *s);
  struct beam b = beam_of(v);
  s->text = v->text;
  s->cols = v->crtc[CR_HDISP_END] + 1u;
  s->cell_width = b.char_dots;
  s->cell_height = (v->crtc[CR_MAX_SCAN] & 0x1Fu) + 1;
  s->rows = (vertical(v, CR_VDISP_END, 1, 6) + 1) / s->cell_height;
  if (s->cols > DEV_VGA_MAX_COLS)
    s->cols = DEV_VGA_MAX_COLS;
  if (s->rows > DEV_VGA_MAX_ROWS)
    s->rows = DEV_VGA_MAX_ROWS;
  s->start = (uint16_t)(v->crtc[CR_START_HI] << 8 | v->crtc[CR_START_LO]);
  s->stride = 2u * v->crtc[CR_OFFSET];
  s->cursor = (uint16_t)(v->crtc[CR_CURSOR_HI] << 8 | v->crtc[CR_CURSOR_LO]);
  s->cursor_on = !(v->crtc[CR_CURSOR_START] & 0x20);
  s->cursor_first = v->crtc[CR_CURSOR_START] & 0x1F;
  s->cursor_last = v->crtc[CR_CURSOR_END] & 0x1F;
  s->blink = (v->atc[ATC_MODE] & 0x08) != 0;
  s->line_graphics = (v->atc[ATC_MODE] & 0x04) != 0;
  s->blank = (v->seq[1] & 0x20) || !(v->atc_index & 0x20);
  uint64_t frame;
  uint32_t line, dot;
  beam_now(v, &frame, &line, &dot);
  s->frame = frame;
  /* Attribute nibble -> palette register -> DAC entry (bits 5-4 from the
   * palette register or colour select register 0x14 by mode bit 7). */
  for (unsigned k = 0; k < 16; k++) {
    uint8_t p = v->atc[k] & 0x3F;
    uint8_t index;
    if (v->atc[ATC_MODE] & 0x80)
      index = (uint8_t)((p & 0x0F) | (v->atc[0x14] & 0x0F) << 4);
    else
      index = (uint8_t)(p | (v->atc[0x14] & 0x0C) << 4);
    index &= v->dac_mask;
    /* 6-bit DAC values to 8 bits: v << 2 | v >> 4 (0x3F -> 0xFF). */
    uint8_t r = v->dac[index][0], g = v->dac[index][1], bl = v->dac[index][2];
    s->palette[k] = (uint32_t)(r << 2 | r >> 4) << 16 | (uint32_t)(g << 2 | g >> 4) << 8 | (uint32_t)(bl << 2 | bl >> 4);
  }
}

uint8_t dev_vga_crtc(const struct dev_vga *v, unsigned index) {
  return index < DEV_VGA_CRTC_REGS ? v->crtc[index] : 0xFF;
}

struct dev_vga *dev_vga_new(struct dev_timebase tb, const uint8_t *text) {
  struct dev_vga *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v->tb = tb;
  v->text = text;
  power_on(v);
  return v;
}

void dev_vga_free(struct dev_vga *v) { free(v); }

/* ---- snapshots ------------------------------------------------------------ */

/* The registers; the text lives in RAM (the machine's section). */
void dev_vga_save(const struct dev_vga *v, struct snap_writer *w) {
  struct dev_vga n;
  memcpy(&n, v, sizeof n);
  memset(&n.tb, 0, sizeof n.tb); /* wiring zeroed: the file is the state alone */
  n.text = NULL;
  snap_put_struct(w, &n, sizeof n);
}

int dev_vga_load(struct dev_vga *v, struct snap_reader *r) {
  struct dev_vga n;
  if (!snap_get_struct(r, &n, sizeof n, "VGA"))
    return -1;
  n.tb = v->tb; /* wiring, not state */
  n.text = v->text;
  *v = n;
  return 0;
}
