/* tests/display/test_render.c - drawing without a window: the text screen
 * as the VGA shows it (the font, 9-dot cells and line graphics, colours,
 * blink and cursor phases, start address, blanking), the counters panel
 * (its lines from counters: rates per emulated ms, exceptions by name,
 * hypercalls by Xen's names), and the golden pixel hashes of known frames
 * (golden.h). With RINGLAB_WRITE_GOLDEN=DIR set, the frames are written
 * there as BMP files to look at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"

struct rig {
  uint8_t text[DEV_VGA_TEXT_BYTES];
  struct dev_vga_screen s;
  struct display_frame f;
};

static int setup(void **state) {
  struct rig *r = calloc(1, sizeof *r);
  golden_text(r->text);
  golden_screen(&r->s, r->text);
  r->f.width = display_frame_width();
  r->f.height = display_frame_height();
  r->f.px = calloc((size_t)r->f.width * r->f.height, sizeof *r->f.px);
  *state = r;
  return 0;
}

static int teardown(void **state) {
  struct rig *r = *state;
  free(r->f.px);
  free(r);
  return 0;
}

static uint32_t px(const struct rig *r, unsigned x, unsigned y) { return r->f.px[(size_t)y * r->f.width + x]; }

/* The pixels of cell (row, col) of a 9x16 screen drawn at (0, 0). */
static uint32_t cell_px(const struct rig *r, unsigned row, unsigned col, unsigned x, unsigned y) {
  return px(r, col * 9 + x, row * 16 + y);
}

static void write_golden(const struct rig *r, const char *name) {
  const char *dir = getenv("RINGLAB_WRITE_GOLDEN");
  if (!dir)
    return;
  char path[512], err[256];
  snprintf(path, sizeof path, "%s/%s.bmp", dir, name);
  if (display_frame_save_bmp(&r->f, path, err, sizeof err) != 0)
    print_message("%s\n", err);
}

static void pin(uint64_t got, uint64_t want, const char *what) {
  if (got != want)
    print_message("%s: hash 0x%016llxull, pinned 0x%016llxull\n", what, (unsigned long long)got,
                  (unsigned long long)want);
  assert_true(got == want);
}

static void the_frame_is_the_screen_and_the_panel(void **state) {
  assert_int_equal(display_frame_width(), 720 + DISPLAY_GAP + DISPLAY_PANEL_COLS * 8);
  assert_int_equal(display_frame_height(), 400);
}

static void characters_are_the_fonts_glyphs_in_their_colours(void **state) {
  struct rig *r = *state;
  display_draw_screen(&r->f, 0, 0, &r->s);
  /* Cell (0, 1) is 'r' white (0xF) on blue (0x1). */
  for (unsigned y = 0; y < 16; y++)
    for (unsigned x = 0; x < 8; x++) {
      uint32_t want = (display_font['r'][y] & (0x80u >> x)) ? 0xFFFFFF : 0x0000AA;
      assert_int_equal(cell_px(r, 0, 1, x, y), want);
    }
  /* 9-dot cells: the 9th column is the background, except for the line
   * graphics 0xC0-0xDF, which repeat their 8th. Row 2 holds 0-63, row 5
   * 192-255: 0xC4 (a horizontal line) is at (5, 4), 0xB3 at (4, 51). */
  for (unsigned y = 0; y < 16; y++) {
    assert_int_equal(cell_px(r, 5, 4, 8, y), cell_px(r, 5, 4, 7, y));
    assert_int_equal(cell_px(r, 4, 51, 8, y), 0x000000);
  }
  bool line_seen = false;
  for (unsigned y = 0; y < 16; y++)
    line_seen |= cell_px(r, 5, 4, 8, y) == 0xAAAAAA;
  assert_true(line_seen);
}

static void attribute_bit_7_blinks_or_brightens_the_background(void **state) {
  struct rig *r = *state;
  /* Row 8 onwards: attribute k on cell k; attribute 0x9E is yellow on blue, blinking. */
  unsigned row = 8 + 0x9E / 64, col = 0x9E % 64;
  uint8_t ch = r->text[2 * (row * 80 + col)];
  unsigned on_y = 0;
  while (!display_font[ch][on_y])
    on_y++;
  unsigned on_x = 0;
  while (!(display_font[ch][on_y] & (0x80u >> on_x)))
    on_x++;
  display_draw_screen(&r->f, 0, 0, &r->s);
  assert_int_equal(cell_px(r, row, col, on_x, on_y), 0xFFFF55); /* frame 0: shown */
  r->s.frame = 16;
  display_draw_screen(&r->f, 0, 0, &r->s);
  assert_int_equal(cell_px(r, row, col, on_x, on_y), 0x0000AA); /* frames 16-31: background only */
  r->s.blink = false;
  display_draw_screen(&r->f, 0, 0, &r->s);
  assert_int_equal(cell_px(r, row, col, on_x, on_y), 0xFFFF55);
  assert_int_equal(cell_px(r, row, col, 8, 0), 0x5555FF); /* bright blue background */
}

static void the_cursor_shows_in_its_scan_lines_half_the_time(void **state) {
  struct rig *r = *state;
  display_draw_screen(&r->f, 0, 0, &r->s);
  for (unsigned x = 0; x < 9; x++) {
    assert_int_equal(cell_px(r, 20, 5, x, 13), 0xAAAAAA);
    assert_int_equal(cell_px(r, 20, 5, x, 14), 0xAAAAAA);
    assert_int_equal(cell_px(r, 20, 5, x, 12), 0x000000);
    assert_int_equal(cell_px(r, 20, 5, x, 15), 0x000000);
  }
  r->s.frame = 8;
  display_draw_screen(&r->f, 0, 0, &r->s);
  for (unsigned x = 0; x < 9; x++)
    assert_int_equal(cell_px(r, 20, 5, x, 13), 0x000000);
  r->s.frame = 0;
  r->s.cursor_on = false;
  display_draw_screen(&r->f, 0, 0, &r->s);
  assert_int_equal(cell_px(r, 20, 5, 0, 13), 0x000000);
}

static void the_start_address_scrolls_and_blank_is_black(void **state) {
  struct rig *r = *state;
  r->s.start = 80; /* row 1 at the top */
  display_draw_screen(&r->f, 0, 0, &r->s);
  assert_int_equal(cell_px(r, 0, 0, 0, 0), 0x000000);
  for (unsigned y = 0; y < 16; y++) /* row 2's character 1 (a face) now on row 1 */
    for (unsigned x = 0; x < 8; x++)
      assert_int_equal(cell_px(r, 1, 1, x, y), (display_font[1][y] & (0x80u >> x)) ? 0xAAAAAA : 0x000000);
  r->s.blank = true;
  display_draw_screen(&r->f, 0, 0, &r->s);
  for (unsigned k = 0; k < 720 * 400; k += 97)
    assert_int_equal(px(r, k % 720, k / 720), 0x000000);
}

static void known_screens_match_their_golden_hashes(void **state) {
  struct rig *r = *state;
  memset(r->f.px, 0, (size_t)r->f.width * r->f.height * sizeof *r->f.px);
  display_draw_screen(&r->f, 0, 0, &r->s);
  write_golden(r, "screen");
  pin(golden_hash(r->f.px, r->f.width, 0, 0, 720, 400), GOLDEN_SCREEN, "golden_screen");
  r->s.frame = 24;
  display_draw_screen(&r->f, 0, 0, &r->s);
  write_golden(r, "screen_blink");
  pin(golden_hash(r->f.px, r->f.width, 0, 0, 720, 400), GOLDEN_SCREEN_BLINK, "golden_screen at frame 24");
}

/* A sample one emulated millisecond after another at 300 MHz, with ring
 * transitions, exceptions, interrupts, TLB events and hypercalls. */
static void samples(struct display_sample *prev, struct display_sample *now) {
  memset(prev, 0, sizeof *prev);
  prev->cycles = 3000000;
  prev->instructions = 2000000;
  prev->frequency_hz = 300000000;
  prev->events.slot[TRACE_EV_ring + TRACE_RING_INDEX(3, 0)] = 1000;
  prev->events.slot[TRACE_EV_ring + TRACE_RING_INDEX(0, 3)] = 1000;
  *now = *prev;
  now->cycles += 300000;
  now->instructions = 2123456;
  now->cpl = 3;
  now->cs = 0x1B;
  now->eip = 0x08048123;
  now->events.slot[TRACE_EV_ring + TRACE_RING_INDEX(3, 0)] += 1234;
  now->events.slot[TRACE_EV_ring + TRACE_RING_INDEX(0, 3)] += 1233;
  now->events.slot[TRACE_EV_exception + 14] = 4321;
  now->events.slot[TRACE_EV_exception + 13] = 5;
  now->events.slot[TRACE_EV_irq + 32] = 77;
  now->events.slot[TRACE_EV_dtlb_miss] = 5000;
  now->events.slot[TRACE_EV_tlb_flush_cr3] = 250;
  now->events.slot[TRACE_EV_hypercall + 1] = 1024; /* mmu_update */
  now->events.slot[TRACE_EV_hypercall + 29] = 3;   /* sched_op */
}

static bool has_line(const struct display_panel *p, const char *text) {
  for (unsigned k = 0; k < p->rows; k++)
    if (strstr(p->text[k], text))
      return true;
  return false;
}

static void the_panel_shows_rates_faults_and_hypercalls_by_name(void **state) {
  struct display_sample prev, now;
  samples(&prev, &now);
  struct display_panel p;
  display_panel_build(&p, &now, &prev, DISPLAY_RUNNING, "");
  assert_int_equal(p.rows, DISPLAY_PANEL_ROWS);
  assert_true(has_line(&p, "running"));
  assert_true(has_line(&p, "3,300,000"));
  assert_true(has_line(&p, "11.000 ms"));
  assert_true(has_line(&p, "CPL 3 001b:08048123"));
  assert_true(has_line(&p, "3->0    1234.0"));
  assert_true(has_line(&p, "0->3    1233.0"));
  assert_true(has_line(&p, "4,326 #PF 4,321 #GP 5"));
  assert_true(has_line(&p, "77 v32 77"));
  assert_true(has_line(&p, "D 5,000"));
  assert_true(has_line(&p, "cr3 250"));
  assert_true(has_line(&p, "mmu_update"));
  assert_true(has_line(&p, "sched_op"));
  assert_true(has_line(&p, "1,024"));
  for (unsigned k = 0; k < p.rows; k++)
    assert_true(strlen(p.text[k]) <= DISPLAY_PANEL_COLS);
  /* No earlier sample (or no time between): counts, but no rates. */
  display_panel_build(&p, &now, NULL, DISPLAY_PAUSED, "a note");
  assert_true(has_line(&p, "paused"));
  assert_true(has_line(&p, "a note"));
  assert_true(has_line(&p, "3->0       0.0"));
  assert_true(has_line(&p, "F12 go on"));
}

static void the_panel_matches_its_golden_hash(void **state) {
  struct rig *r = *state;
  struct display_sample prev, now;
  samples(&prev, &now);
  struct display_panel p;
  display_panel_build(&p, &now, &prev, DISPLAY_RUNNING, "");
  memset(r->f.px, 0, (size_t)r->f.width * r->f.height * sizeof *r->f.px);
  display_draw_screen(&r->f, 0, 0, &r->s);
  unsigned x = display_frame_width() - DISPLAY_PANEL_COLS * DISPLAY_CHAR_WIDTH;
  display_draw_panel(&r->f, x, 0, &p);
  write_golden(r, "panel");
  pin(golden_hash(r->f.px, r->f.width, x, 0, DISPLAY_PANEL_COLS * 8, 400), GOLDEN_PANEL, "the panel");
}

static void counts_get_separators(void **state) {
  char b[32];
  display_format_count(b, sizeof b, 0);
  assert_string_equal(b, "0");
  display_format_count(b, sizeof b, 999);
  assert_string_equal(b, "999");
  display_format_count(b, sizeof b, 1000);
  assert_string_equal(b, "1,000");
  display_format_count(b, sizeof b, 18446744073709551615ull);
  assert_string_equal(b, "18,446,744,073,709,551,615");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(the_frame_is_the_screen_and_the_panel),
      T(characters_are_the_fonts_glyphs_in_their_colours),
      T(attribute_bit_7_blinks_or_brightens_the_background),
      T(the_cursor_shows_in_its_scan_lines_half_the_time),
      T(the_start_address_scrolls_and_blank_is_black),
      T(known_screens_match_their_golden_hashes),
      T(the_panel_shows_rates_faults_and_hypercalls_by_name),
      T(the_panel_matches_its_golden_hash),
      T(counts_get_separators),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
