/* display/display.h - the window: the guest's text screen and a panel of
 * live counters beside it (`ringlab run --display sdl`).
 *
 *   +---------------------------------------------+-----------------------+
 *   | the VGA text screen: 80x25 cells of 9x16    | the counters panel:   |
 *   | dots (720x400), the built-in VGA font,      | state, time, CPL,     |
 *   | colours from the attributes through the     | ring transitions per  |
 *   | palette and the DAC, the cursor, blinking   | emulated ms, faults,  |
 *   |                                             | TLB, hypercalls       |
 *   +---------------------------------------------+-----------------------+
 *
 * Three parts, so that everything but the window itself is tested without
 * a display: render.c draws a screen and a panel into a frame in host
 * memory (0x00RRGGBB pixels); panel.c turns counters into the panel's
 * lines; window.c is SDL2: it shows frames and turns keys into events.
 * The machine's observer (machine/window.c) ties them to a run. Nothing
 * here touches the machine: it is given what to draw.
 */
#ifndef RINGLAB_DISPLAY_H
#define RINGLAB_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "trace.h"

/* ---- frames and drawing (render.c) --------------------------------------- */

struct display_frame {
  uint32_t *px;           /* width * height pixels, 0x00RRGGBB, row-major */
  unsigned width, height; /* pixels */
};

#define DISPLAY_CHAR_WIDTH 8   /* the panel's characters: 8x16 */
#define DISPLAY_CHAR_HEIGHT 16
#define DISPLAY_PANEL_COLS 46
#define DISPLAY_PANEL_ROWS 25
#define DISPLAY_GAP 8 /* pixels between the screen and the panel */

/* The built-in font (generated from the VGA font, font_gen.c). */
extern const uint8_t display_font[256][16];

/* The whole window: the screen (at least 720x400) and the panel. */
unsigned display_frame_width(void);
unsigned display_frame_height(void);

/* Draws the text screen s with its top left at (x, y): cols x rows cells
 * of cell_width x cell_height dots, characters in the font (9-dot cells
 * repeat the 8th column of 0xC0-0xDF with line graphics, else leave it
 * blank), attribute colours through s->palette, blink (attribute bit 7:
 * the foreground shows in the first half of each 32 frames) and the cursor
 * (scan lines cursor_first..last, in the first half of each 16 frames).
 * A blank screen is black. Cells outside the frame are cut. */
void display_draw_screen(struct display_frame *f, unsigned x, unsigned y, const struct dev_vga_screen *s);

/* One character of the panel font at (x, y), colours 0xRRGGBB. */
void display_draw_char(struct display_frame *f, unsigned x, unsigned y, uint8_t ch, uint32_t fg, uint32_t bg);

/* ---- the counters panel (panel.c) ------------------------------------------- */

/* What the panel shows, taken from the machine at a pause. */
struct display_sample {
  uint64_t cycles, instructions;
  uint64_t frequency_hz; /* of the timing preset: emulated time */
  unsigned cpl;
  uint16_t cs;
  uint32_t eip;
  bool halted;
  struct trace_counters events; /* the CPU's and the machine's (ops port, hypervisor marks) */
};

enum display_state { DISPLAY_RUNNING, DISPLAY_PAUSED, DISPLAY_ENDED };

struct display_panel {
  char text[DISPLAY_PANEL_ROWS][DISPLAY_PANEL_COLS + 1];
  uint8_t colour[DISPLAY_PANEL_ROWS]; /* an attribute: fg | bg << 4, CGA colours */
  unsigned rows;
};

/* The panel for sample now; rates (ring transitions per emulated ms) from
 * the change since prev (NULL or no cycles between: none shown). `status`
 * is a line under the state ("" for none): the end of the run, a message. */
void display_panel_build(struct display_panel *p, const struct display_sample *now,
                         const struct display_sample *prev, enum display_state state, const char *status);

/* Draws a panel with its top left at (x, y). */
void display_draw_panel(struct display_frame *f, unsigned x, unsigned y, const struct display_panel *p);

/* A number with a thin separator every three digits ("12,345,678"). */
void display_format_count(char *out, size_t n, uint64_t v);

/* ---- the window (window.c, SDL2) -------------------------------------------- */

struct display_window;

enum display_input_kind {
  DISPLAY_NONE,   /* nothing happened */
  DISPLAY_KEY,    /* a key of the guest's keyboard went down or up */
  DISPLAY_PAUSE,  /* F12: pause or go on */
  DISPLAY_STEP,   /* F11: one instruction (while paused) */
  DISPLAY_QUIT,   /* the window was closed */
};

struct display_input {
  enum display_input_kind kind;
  unsigned key; /* DISPLAY_KEY: an enum dev_key */
  bool down;
};

/* Opens a window of width x height (SDL's video driver: SDL_VIDEODRIVER
 * chooses, "offscreen" needs no display). NULL with one line in err when
 * there is no display to open it on. */
struct display_window *display_window_open(const char *title, unsigned width, unsigned height, char *err,
                                           size_t n);
void display_window_close(struct display_window *w);
/* Shows frame f (width x height as opened). 0, or -1 with err. */
int display_window_show(struct display_window *w, const struct display_frame *f, char *err, size_t n);
/* Reads back what the window shows into f (same size): what a screenshot
 * or a test sees. 0, or -1 with err. */
int display_window_read(struct display_window *w, struct display_frame *f, char *err, size_t n);
/* The next input, waiting up to timeout_ms (0: not at all). Keys the guest
 * gets are those of devices/keys.def; F11 and F12 are the window's own;
 * key repeats of the host are dropped (the guest's keyboard repeats by
 * itself). */
struct display_input display_window_poll(struct display_window *w, int timeout_ms);
/* Milliseconds of host time since the window opened: when to draw, never
 * what the machine does. */
uint64_t display_window_ticks(struct display_window *w);

/* Writes frame f as a BMP file (SDL_SaveBMP). 0, or -1 with err. */
int display_frame_save_bmp(const struct display_frame *f, const char *path, char *err, size_t n);

#endif
