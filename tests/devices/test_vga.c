/* tests/devices/test_vga.c - the VGA adapter in text mode: mode 3 at power
 * on, the CRTC's cursor, start address and write protection, the two I/O
 * address modes, the attribute controller's flip-flop, the DAC, the colours
 * a screen shows, and the retrace bits on the beam's exact lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "devices.h"

/* One cycle per dot of the 28.322 MHz clock: the beam's dot is the cycle. */
#define DOT_HZ 28322000u

static uint64_t test_hz(void *opaque) { return DOT_HZ; }

struct rig {
  struct dev_sched *s;
  struct dev_vga *v;
  uint8_t text[DEV_VGA_TEXT_BYTES];
};

static int setup(void **state) {
  struct rig *r = calloc(1, sizeof *r);
  r->s = dev_sched_new();
  r->v = dev_vga_new((struct dev_timebase){.sched = r->s, .cpu_hz = test_hz}, r->text);
  assert_non_null(r->v);
  *state = r;
  return 0;
}

static int teardown(void **state) {
  struct rig *r = *state;
  dev_vga_free(r->v);
  dev_sched_free(r->s);
  free(r);
  return 0;
}

/* Ports by their PC address. */
static uint8_t in(struct rig *r, unsigned port) { return (uint8_t)dev_vga_ops.read(r->v, (uint16_t)(port - 0x3B0), 1); }
static void out(struct rig *r, unsigned port, uint8_t v) { dev_vga_ops.write(r->v, (uint16_t)(port - 0x3B0), 1, v); }
static uint8_t crtc(struct rig *r, unsigned index) {
  out(r, 0x3D4, (uint8_t)index);
  return in(r, 0x3D5);
}

static void power_on_is_mode_3(void **state) {
  struct rig *r = *state;
  assert_int_equal(in(r, 0x3CC), 0x67);
  assert_int_equal(crtc(r, 0x00), 0x5F);
  assert_int_equal(crtc(r, 0x09), 0x4F); /* 16 scan lines per row */
  assert_int_equal(crtc(r, 0x0A), 0x0D);
  assert_int_equal(crtc(r, 0x0B), 0x0E);
  struct dev_vga_screen s;
  dev_vga_screen(r->v, &s);
  assert_int_equal(s.cols, 80);
  assert_int_equal(s.rows, 25);
  assert_int_equal(s.cell_width, 9);
  assert_int_equal(s.cell_height, 16);
  assert_int_equal(s.stride, 80);
  assert_true(s.blink);
  assert_true(s.line_graphics);
  assert_false(s.blank);
  assert_true(s.cursor_on);
  assert_int_equal(s.cursor_first, 13);
  assert_int_equal(s.cursor_last, 14);
  assert_ptr_equal(s.text, r->text);
}

static void the_crtc_holds_the_cursor_and_the_start_address(void **state) {
  struct rig *r = *state;
  out(r, 0x3D4, 0x0E);
  out(r, 0x3D5, 0x01);
  out(r, 0x3D4, 0x0F);
  out(r, 0x3D5, 0x23);
  out(r, 0x3D4, 0x0C);
  out(r, 0x3D5, 0x00);
  out(r, 0x3D4, 0x0D);
  out(r, 0x3D5, 0x50);
  out(r, 0x3D4, 0x0A);
  out(r, 0x3D5, 0x20); /* cursor off */
  assert_int_equal(in(r, 0x3D4), 0x0A);
  struct dev_vga_screen s;
  dev_vga_screen(r->v, &s);
  assert_int_equal(s.cursor, 0x0123);
  assert_int_equal(s.start, 0x0050);
  assert_false(s.cursor_on);
  assert_int_equal(dev_vga_crtc(r->v, 0x0F), 0x23);
}

static void registers_0_to_7_are_protected_while_0x11_bit_7_is_set(void **state) {
  struct rig *r = *state;
  assert_true(crtc(r, 0x11) & 0x80); /* mode 3 sets it */
  out(r, 0x3D4, 0x01);
  out(r, 0x3D5, 0x27);
  assert_int_equal(crtc(r, 0x01), 0x4F);
  out(r, 0x3D4, 0x07);
  out(r, 0x3D5, 0x00); /* only bit 4 (line compare bit 8) is writable */
  assert_int_equal(crtc(r, 0x07), 0x0F);
  out(r, 0x3D4, 0x11);
  out(r, 0x3D5, 0x0E); /* clear the protection */
  out(r, 0x3D4, 0x01);
  out(r, 0x3D5, 0x27);
  assert_int_equal(crtc(r, 0x01), 0x27);
  struct dev_vga_screen s;
  dev_vga_screen(r->v, &s);
  assert_int_equal(s.cols, 40);
}

static void only_the_selected_address_mode_decodes(void **state) {
  struct rig *r = *state;
  out(r, 0x3B4, 0x0E); /* colour mode: 0x3B4/5 ignored */
  assert_int_equal(in(r, 0x3B4), 0xFF);
  assert_int_equal(in(r, 0x3B5), 0xFF);
  assert_int_equal(in(r, 0x3BA), 0xFF);
  out(r, 0x3C2, 0x66); /* monochrome addressing */
  assert_int_equal(in(r, 0x3CC), 0x66);
  out(r, 0x3B4, 0x0F);
  assert_int_equal(in(r, 0x3B5), 0x00);
  out(r, 0x3B5, 0x42);
  assert_int_equal(in(r, 0x3D5), 0xFF);
  assert_int_equal(in(r, 0x3DA), 0xFF);
  assert_int_equal(dev_vga_crtc(r->v, 0x0F), 0x42);
}

static void reading_status_1_resets_the_attribute_flip_flop(void **state) {
  struct rig *r = *state;
  in(r, 0x3DA);
  out(r, 0x3C0, 0x01); /* index 1, PAS clear: the screen blanks */
  struct dev_vga_screen s;
  dev_vga_screen(r->v, &s);
  assert_true(s.blank);
  out(r, 0x3C0, 0x3F); /* data: palette 1 = white */
  assert_int_equal(in(r, 0x3C1), 0x3F);
  out(r, 0x3C0, 0x22); /* index 2, PAS set */
  in(r, 0x3DA);        /* back to "index" */
  out(r, 0x3C0, 0x21); /* so this is an index, not palette 2's data */
  out(r, 0x3C0, 0x01);
  assert_int_equal(in(r, 0x3C0), 0x21);
  assert_int_equal(in(r, 0x3C1), 0x01);
  dev_vga_screen(r->v, &s);
  assert_false(s.blank);
  assert_int_equal(s.palette[1], 0x0000AA); /* palette 1 = 0x01 again */
  assert_int_equal(s.palette[2], 0x00AA00); /* untouched: 0x21 was an index */
}

static void the_dac_indexes_advance_by_colour(void **state) {
  struct rig *r = *state;
  out(r, 0x3C8, 0x01);
  out(r, 0x3C9, 0x3F);
  out(r, 0x3C9, 0x00);
  out(r, 0x3C9, 0x20);
  out(r, 0x3C9, 0x01); /* entry 2's red */
  assert_int_equal(in(r, 0x3C8), 0x02);
  out(r, 0x3C7, 0x01);
  assert_int_equal(in(r, 0x3C7), 0x03);
  assert_int_equal(in(r, 0x3C9), 0x3F);
  assert_int_equal(in(r, 0x3C9), 0x00);
  assert_int_equal(in(r, 0x3C9), 0x20);
  assert_int_equal(in(r, 0x3C9), 0x01);
  struct dev_vga_screen s;
  dev_vga_screen(r->v, &s);
  assert_int_equal(s.palette[1], 0xFF0082); /* 6-bit 0x20 -> 0x82 */
}

static void mode_3_shows_the_sixteen_cga_colours(void **state) {
  struct rig *r = *state;
  static const uint32_t want[16] = {0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA,
                                    0xAA5500, 0xAAAAAA, 0x555555, 0x5555FF, 0x55FF55, 0x55FFFF,
                                    0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF};
  struct dev_vga_screen s;
  dev_vga_screen(r->v, &s);
  for (int k = 0; k < 16; k++)
    assert_int_equal(s.palette[k], want[k]);
}

/* 900 dots a line (100 nine-dot characters), 449 lines, 720 x 400 shown;
 * vertical retrace on lines 412 and 413. */
static uint8_t status_at(struct rig *r, cycles_t c) {
  dev_sched_advance(r->s, c);
  return in(r, 0x3DA) & 0x09;
}

static void the_retrace_bits_follow_the_beam(void **state) {
  struct rig *r = *state;
  assert_int_equal(status_at(r, 0), 0x00);
  assert_int_equal(status_at(r, 719), 0x00);
  assert_int_equal(status_at(r, 720), 0x01); /* horizontal blanking */
  assert_int_equal(status_at(r, 899), 0x01);
  assert_int_equal(status_at(r, 900), 0x00);          /* line 1 */
  assert_int_equal(status_at(r, 400 * 900), 0x01);    /* vertical blanking */
  assert_int_equal(status_at(r, 412 * 900 - 1), 0x01);
  assert_int_equal(status_at(r, 412 * 900), 0x09);    /* vertical retrace */
  assert_int_equal(status_at(r, 414 * 900 - 1), 0x09);
  assert_int_equal(status_at(r, 414 * 900), 0x01);
  assert_int_equal(status_at(r, 449 * 900), 0x00);    /* the next frame */
  struct dev_vga_screen s;
  dev_vga_screen(r->v, &s);
  assert_int_equal(s.frame, 1);
  assert_int_equal(status_at(r, 5 * 449 * 900 + 413 * 900), 0x09);
  dev_vga_screen(r->v, &s);
  assert_int_equal(s.frame, 5);
}

static void the_eight_dot_clock_shortens_the_line(void **state) {
  struct rig *r = *state;
  out(r, 0x3C4, 0x01);
  out(r, 0x3C5, 0x01); /* 8-dot characters: 800 dots a line */
  assert_int_equal(status_at(r, 639), 0x00);
  assert_int_equal(status_at(r, 640), 0x01);
  assert_int_equal(status_at(r, 800), 0x00);
  struct dev_vga_screen s;
  dev_vga_screen(r->v, &s);
  assert_int_equal(s.cell_width, 8);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(power_on_is_mode_3),
      T(the_crtc_holds_the_cursor_and_the_start_address),
      T(registers_0_to_7_are_protected_while_0x11_bit_7_is_set),
      T(only_the_selected_address_mode_decodes),
      T(reading_status_1_resets_the_attribute_flip_flop),
      T(the_dac_indexes_advance_by_colour),
      T(mode_3_shows_the_sixteen_cga_colours),
      T(the_retrace_bits_follow_the_beam),
      T(the_eight_dot_clock_shortens_the_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
