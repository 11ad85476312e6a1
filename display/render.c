/* display/render.c - drawing a VGA text screen and the counters panel into
 * a frame in host memory, as the VGA's attribute controller would: no SDL
 * here, so golden pixel hashes of known screens are computed anywhere
 * (tests/display).
 *
 * Frame layout (pixels):
 *
 *   0                 720  728                  1096
 *   +------------------+----+---------------------+ 0
 *   | text screen      |gap | panel, 46 x 25 cells |
 *   | (80x25 of 9x16)  |    | of 8x16              |
 *   +------------------+----+---------------------+ 400
 *
 * A screen of another geometry (40 columns, 8-dot cells) is drawn from the
 * top left and cut to the 720x400 area; what it does not cover is black.
 */
#include "display.h"

#include <string.h>

#define SCREEN_WIDTH 720
#define SCREEN_HEIGHT 400

/* The panel's colours: the CGA's sixteen, as mode 3 shows them. */
static const uint32_t cga[16] = {0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
                                 0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF};

unsigned display_frame_width(void) { return SCREEN_WIDTH + DISPLAY_GAP + DISPLAY_PANEL_COLS * DISPLAY_CHAR_WIDTH; }

unsigned display_frame_height(void) {
  unsigned panel = DISPLAY_PANEL_ROWS * DISPLAY_CHAR_HEIGHT;
  return panel > SCREEN_HEIGHT ? panel : SCREEN_HEIGHT;
}

static void fill(struct display_frame *f, unsigned x, unsigned y, unsigned w, unsigned h, uint32_t rgb) {
  for (unsigned j = y; j < y + h && j < f->height; j++)
    for (unsigned i = x; i < x + w && i < f->width; i++)
      f->px[(size_t)j * f->width + i] = rgb;
}

void display_draw_char(struct display_frame *f, unsigned x, unsigned y, uint8_t ch, uint32_t fg, uint32_t bg) {
  for (unsigned r = 0; r < DISPLAY_CHAR_HEIGHT && y + r < f->height; r++) {
    uint8_t bits = display_font[ch][r];
    uint32_t *row = &f->px[(size_t)(y + r) * f->width];
    for (unsigned c = 0; c < DISPLAY_CHAR_WIDTH && x + c < f->width; c++)
      row[x + c] = (bits & (0x80u >> c)) ? fg : bg;
  }
}

/* One cell of the screen: its glyph rows (rows beyond the font's 16 are
 * blank), the 9th column, and the cursor's scan lines. */
static void draw_cell(struct display_frame *f, unsigned x, unsigned y, const struct dev_vga_screen *s, uint8_t ch,
                      uint8_t attr, bool cursor_here) {
  uint32_t bg = s->palette[(attr >> 4) & (s->blink ? 7 : 15)];
  uint32_t fg = s->palette[attr & 15];
  bool text_shown = !(s->blink && (attr & 0x80)) || !(s->frame & 16); /* 16 frames on, 16 off */
  bool cursor_shown = cursor_here && !(s->frame & 8);                 /* 8 frames on, 8 off */
  bool ninth = s->cell_width == 9 && s->line_graphics && ch >= 0xC0 && ch <= 0xDF;
  for (unsigned r = 0; r < s->cell_height && y + r < f->height; r++) {
    uint8_t bits = (text_shown && r < 16) ? display_font[ch][r] : 0;
    bool nine = ninth && (bits & 1); /* the 9th dot: the 8th again, or background */
    if (cursor_shown && r >= s->cursor_first && r <= s->cursor_last)
      bits = 0xFF, nine = true;
    uint32_t *row = &f->px[(size_t)(y + r) * f->width];
    for (unsigned c = 0; c < s->cell_width && x + c < f->width && x + c < SCREEN_WIDTH; c++) {
      bool on = c < 8 ? (bits & (0x80u >> c)) != 0 : nine;
      row[x + c] = on ? fg : bg;
    }
  }
}

void display_draw_screen(struct display_frame *f, unsigned x, unsigned y, const struct dev_vga_screen *s) {
  fill(f, x, y, SCREEN_WIDTH, SCREEN_HEIGHT, 0x000000);
  if (!s->text || s->blank || !s->cell_width || !s->cell_height)
    return;
  for (unsigned r = 0; r < s->rows; r++) {
    unsigned py = y + r * s->cell_height;
    if (py >= y + SCREEN_HEIGHT)
      break;
    for (unsigned c = 0; c < s->cols; c++) {
      unsigned px = x + c * s->cell_width;
      if (px >= x + SCREEN_WIDTH)
        break;
      unsigned cell = (s->start + r * s->stride + c) & (DEV_VGA_TEXT_BYTES / 2 - 1);
      bool cursor = s->cursor_on && (s->cursor & (DEV_VGA_TEXT_BYTES / 2 - 1)) == cell;
      draw_cell(f, px, py, s, s->text[2 * cell], s->text[2 * cell + 1], cursor);
    }
  }
}

void display_draw_panel(struct display_frame *f, unsigned x, unsigned y, const struct display_panel *p) {
  for (unsigned r = 0; r < DISPLAY_PANEL_ROWS; r++) {
    const char *t = r < p->rows ? p->text[r] : "";
    uint8_t a = r < p->rows ? p->colour[r] : 0x07;
    size_t len = strlen(t);
    for (unsigned c = 0; c < DISPLAY_PANEL_COLS; c++)
      display_draw_char(f, x + c * DISPLAY_CHAR_WIDTH, y + r * DISPLAY_CHAR_HEIGHT,
                        c < len ? (uint8_t)t[c] : ' ', cga[a & 15], cga[(a >> 4) & 15]);
  }
}
