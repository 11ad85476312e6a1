/* tests/display/golden.h - the known screens of the display tests and
 * their pixel hashes (FNV-1a, 64 bits, over the 0x00RRGGBB pixels row by
 * row). A hash is a pin: the images they were taken from were looked at
 * (the console kernel's test card is in display/README.md); re-pin only
 * for a deliberate change of how things are drawn.
 */
#ifndef RINGLAB_TESTS_DISPLAY_GOLDEN_H
#define RINGLAB_TESTS_DISPLAY_GOLDEN_H

#include <stdint.h>
#include <string.h>

#include "display.h"

static inline uint64_t golden_hash(const uint32_t *px, unsigned width, unsigned x, unsigned y, unsigned w,
                                   unsigned h) {
  uint64_t v = 0xcbf29ce484222325ull;
  for (unsigned j = y; j < y + h; j++)
    for (unsigned i = x; i < x + w; i++) {
      uint32_t p = px[(size_t)j * width + i] & 0x00FFFFFFu;
      for (int b = 0; b < 4; b++) {
        v ^= (p >> (8 * b)) & 0xFF;
        v *= 0x100000001b3ull;
      }
    }
  return v;
}

/* A known text screen: every character 0-255 on row 2 onwards in turn,
 * attributes cycling through all 256, a title, the cursor on row 20. */
static inline void golden_text(uint8_t *text) {
  for (unsigned k = 0; k < DEV_VGA_TEXT_BYTES / 2; k++) {
    text[2 * k] = ' ';
    text[2 * k + 1] = 0x07;
  }
  const char *title = " ringlab display test";
  for (unsigned k = 0; title[k]; k++) {
    text[2 * k] = (uint8_t)title[k];
    text[2 * k + 1] = 0x1F;
  }
  for (unsigned k = 0; k < 256; k++) {
    unsigned cell = 2 * 80 + (k / 64) * 80 + k % 64;
    text[2 * cell] = (uint8_t)k;
    text[2 * cell + 1] = 0x07;
  }
  for (unsigned k = 0; k < 256; k++) {
    unsigned cell = 8 * 80 + (k / 64) * 80 + k % 64;
    text[2 * cell] = (uint8_t)('A' + k % 26);
    text[2 * cell + 1] = (uint8_t)k;
  }
}

/* Mode 3 as the VGA starts, on golden_text, at a frame in the first half
 * of both blink periods. */
static inline void golden_screen(struct dev_vga_screen *s, const uint8_t *text) {
  static const uint32_t cga[16] = {0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
                                   0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF};
  memset(s, 0, sizeof *s);
  s->text = text;
  s->cols = 80;
  s->rows = 25;
  s->cell_width = 9;
  s->cell_height = 16;
  s->stride = 80;
  s->cursor = 20 * 80 + 5;
  s->cursor_on = true;
  s->cursor_first = 13;
  s->cursor_last = 14;
  s->blink = true;
  s->line_graphics = true;
  s->frame = 0;
  memcpy(s->palette, cga, sizeof cga);
}

/* Pins (see the file's head). */
#define GOLDEN_SCREEN 0x65d7880add5b190cull        /* golden_screen, frame 0 */
#define GOLDEN_SCREEN_BLINK 0x6bd67c0dca8a9fc8ull  /* the same at frame 24: blinking text and the cursor off */
#define GOLDEN_PANEL 0x62179570b1d65c77ull         /* the panel of tests/display/test_render.c's sample */
#define GOLDEN_CONSOLE_CARD 0xbb8d775175b3f8f1ull  /* the console kernel's test card (tests/guests/console), screen area */

#endif
