/* tests/display/test_window.c - the SDL2 window under SDL's offscreen
 * driver (ctest sets SDL_VIDEODRIVER=offscreen): a frame shown reads back
 * pixel for pixel (the golden screen's hash through the window), host keys
 * become the guest keyboard's keys (every key of devices/keys.def but F11
 * and F12 reachable by exactly one scancode), F11/F12 are the window's, host repeats are
 * dropped, closing the window is a quit, and with no display the window
 * is refused with one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <stdlib.h>

#include "golden.h"

static struct display_window *open_window(void) {
  char err[256];
  struct display_window *w = display_window_open("test", display_frame_width(), display_frame_height(), err,
                                                 sizeof err);
  if (!w)
    print_message("%s\n", err);
  assert_non_null(w);
  return w;
}

static void a_frame_shown_reads_back_unchanged(void **state) {
  struct display_window *w = open_window();
  static uint8_t text[DEV_VGA_TEXT_BYTES];
  golden_text(text);
  struct dev_vga_screen s;
  golden_screen(&s, text);
  struct display_frame f = {.width = display_frame_width(), .height = display_frame_height()};
  struct display_frame back = f;
  f.px = calloc((size_t)f.width * f.height, sizeof *f.px);
  back.px = calloc((size_t)f.width * f.height, sizeof *f.px);
  display_draw_screen(&f, 0, 0, &s);
  char err[256];
  assert_int_equal(display_window_show(w, &f, err, sizeof err), 0);
  assert_int_equal(display_window_read(w, &back, err, sizeof err), 0);
  assert_memory_equal(back.px, f.px, (size_t)f.width * f.height * sizeof *f.px);
  assert_true(golden_hash(back.px, back.width, 0, 0, 720, 400) == GOLDEN_SCREEN);
  struct display_frame wrong = {.px = f.px, .width = 10, .height = 10};
  assert_int_equal(display_window_show(w, &wrong, err, sizeof err), -1);
  free(f.px);
  free(back.px);
  display_window_close(w);
}

static void push_key(SDL_Scancode sc, bool down, bool repeat) {
  SDL_Event e = {0};
  e.type = down ? SDL_KEYDOWN : SDL_KEYUP;
  e.key.state = down ? SDL_PRESSED : SDL_RELEASED;
  e.key.repeat = repeat;
  e.key.keysym.scancode = sc;
  assert_int_equal(SDL_PushEvent(&e), 1);
}

/* The next input for the events pushed: SDL's poll stops at the sentinel
 * of its last pump (SDL 2.26), so an event pushed after a poll that
 * returned one shows one poll later. */
static struct display_input poll_next(struct display_window *w) {
  struct display_input in = {0};
  for (int k = 0; k < 3 && in.kind == DISPLAY_NONE; k++)
    in = display_window_poll(w, 0);
  return in;
}

static void host_keys_become_guest_keys(void **state) {
  struct display_window *w = open_window();
  unsigned seen[DEV_KEY_COUNT] = {0};
  for (int sc = 0; sc < SDL_NUM_SCANCODES; sc++) {
    if (sc == SDL_SCANCODE_F11 || sc == SDL_SCANCODE_F12)
      continue;
    push_key((SDL_Scancode)sc, true, false);
    struct display_input in = poll_next(w);
    if (in.kind == DISPLAY_NONE)
      continue;
    assert_int_equal(in.kind, DISPLAY_KEY);
    assert_true(in.down);
    assert_true(in.key < DEV_KEY_COUNT);
    seen[in.key]++;
    push_key((SDL_Scancode)sc, false, false);
    in = poll_next(w);
    assert_int_equal(in.kind, DISPLAY_KEY);
    assert_false(in.down);
  }
  for (unsigned k = 0; k < DEV_KEY_COUNT; k++) {
    if (k == DEV_KEY_F11 || k == DEV_KEY_F12) {
      assert_int_equal(seen[k], 0); /* the window's own */
      continue;
    }
    if (seen[k] != 1)
      print_message("key %s reached %u times\n", dev_key_name(k), seen[k]);
    assert_int_equal(seen[k], 1);
  }
  push_key(SDL_SCANCODE_A, true, true); /* a host repeat */
  assert_int_equal(poll_next(w).kind, DISPLAY_NONE);
  push_key(SDL_SCANCODE_F12, true, false);
  assert_int_equal(poll_next(w).kind, DISPLAY_PAUSE);
  push_key(SDL_SCANCODE_F11, true, false);
  assert_int_equal(poll_next(w).kind, DISPLAY_STEP);
  push_key(SDL_SCANCODE_F11, false, false);
  assert_int_equal(poll_next(w).kind, DISPLAY_NONE);
  SDL_Event q = {.type = SDL_QUIT};
  SDL_PushEvent(&q);
  assert_int_equal(poll_next(w).kind, DISPLAY_QUIT);
  display_window_close(w);
}

static void no_display_is_one_line(void **state) {
  char *driver = getenv("SDL_VIDEODRIVER") ? strdup(getenv("SDL_VIDEODRIVER")) : NULL;
  char *x = getenv("DISPLAY") ? strdup(getenv("DISPLAY")) : NULL;
  char *wl = getenv("WAYLAND_DISPLAY") ? strdup(getenv("WAYLAND_DISPLAY")) : NULL;
  unsetenv("SDL_VIDEODRIVER");
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  char err[256];
  assert_null(display_window_open("test", 100, 100, err, sizeof err));
  assert_non_null(strstr(err, "no display"));
  assert_null(strchr(err, '\n'));
  if (driver)
    setenv("SDL_VIDEODRIVER", driver, 1);
  if (x)
    setenv("DISPLAY", x, 1);
  if (wl)
    setenv("WAYLAND_DISPLAY", wl, 1);
  free(driver);
  free(x);
  free(wl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_frame_shown_reads_back_unchanged),
      cmocka_unit_test(host_keys_become_guest_keys),
      cmocka_unit_test(no_display_is_one_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
