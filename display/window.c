/* display/window.c - the SDL2 window: shows frames drawn by render.c and
 * turns the host's keys into the guest keyboard's (devices/keys.def).
 *
 * One window, one renderer (SDL's choice, software under the offscreen
 * driver), one streaming texture of the frame's size; the window scales it
 * to its own size (nearest pixel). Keys are taken by physical position
 * (SDL scancodes), as a PC keyboard's scan codes are, so the guest sees a
 * US layout whatever the host's. Host key repeats are dropped: the guest's
 * keyboard repeats held keys on its own typematic clock. F11 and F12 are
 * the window's (step, pause) and never reach the guest.
 */
#include "display.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct display_window {
  SDL_Window *win;
  SDL_Renderer *ren;
  SDL_Texture *tex;
  unsigned width, height;
  int16_t key_of[SDL_NUM_SCANCODES]; /* dev_key + 1, or 0 */
};

static const struct {
  SDL_Scancode sc;
  enum dev_key key;
} keymap[] = {
    {SDL_SCANCODE_ESCAPE, DEV_KEY_ESC},        {SDL_SCANCODE_F1, DEV_KEY_F1},
    {SDL_SCANCODE_F2, DEV_KEY_F2},             {SDL_SCANCODE_F3, DEV_KEY_F3},
    {SDL_SCANCODE_F4, DEV_KEY_F4},             {SDL_SCANCODE_F5, DEV_KEY_F5},
    {SDL_SCANCODE_F6, DEV_KEY_F6},             {SDL_SCANCODE_F7, DEV_KEY_F7},
    {SDL_SCANCODE_F8, DEV_KEY_F8},             {SDL_SCANCODE_F9, DEV_KEY_F9},
    {SDL_SCANCODE_F10, DEV_KEY_F10},           {SDL_SCANCODE_PRINTSCREEN, DEV_KEY_PRINT},
    {SDL_SCANCODE_SCROLLLOCK, DEV_KEY_SCROLL_LOCK}, {SDL_SCANCODE_PAUSE, DEV_KEY_PAUSE},
    {SDL_SCANCODE_GRAVE, DEV_KEY_GRAVE},       {SDL_SCANCODE_1, DEV_KEY_1},
    {SDL_SCANCODE_2, DEV_KEY_2},               {SDL_SCANCODE_3, DEV_KEY_3},
    {SDL_SCANCODE_4, DEV_KEY_4},               {SDL_SCANCODE_5, DEV_KEY_5},
    {SDL_SCANCODE_6, DEV_KEY_6},               {SDL_SCANCODE_7, DEV_KEY_7},
    {SDL_SCANCODE_8, DEV_KEY_8},               {SDL_SCANCODE_9, DEV_KEY_9},
    {SDL_SCANCODE_0, DEV_KEY_0},               {SDL_SCANCODE_MINUS, DEV_KEY_MINUS},
    {SDL_SCANCODE_EQUALS, DEV_KEY_EQUAL},      {SDL_SCANCODE_BACKSPACE, DEV_KEY_BACKSPACE},
    {SDL_SCANCODE_TAB, DEV_KEY_TAB},           {SDL_SCANCODE_Q, DEV_KEY_Q},
    {SDL_SCANCODE_W, DEV_KEY_W},               {SDL_SCANCODE_E, DEV_KEY_E},
    {SDL_SCANCODE_R, DEV_KEY_R},               {SDL_SCANCODE_T, DEV_KEY_T},
    {SDL_SCANCODE_Y, DEV_KEY_Y},               {SDL_SCANCODE_U, DEV_KEY_U},
    {SDL_SCANCODE_I, DEV_KEY_I},               {SDL_SCANCODE_O, DEV_KEY_O},
    {SDL_SCANCODE_P, DEV_KEY_P},               {SDL_SCANCODE_LEFTBRACKET, DEV_KEY_LBRACKET},
    {SDL_SCANCODE_RIGHTBRACKET, DEV_KEY_RBRACKET}, {SDL_SCANCODE_BACKSLASH, DEV_KEY_BACKSLASH},
    {SDL_SCANCODE_CAPSLOCK, DEV_KEY_CAPS_LOCK}, {SDL_SCANCODE_A, DEV_KEY_A},
    {SDL_SCANCODE_S, DEV_KEY_S},               {SDL_SCANCODE_D, DEV_KEY_D},
    {SDL_SCANCODE_F, DEV_KEY_F},               {SDL_SCANCODE_G, DEV_KEY_G},
    {SDL_SCANCODE_H, DEV_KEY_H},               {SDL_SCANCODE_J, DEV_KEY_J},
    {SDL_SCANCODE_K, DEV_KEY_K},               {SDL_SCANCODE_L, DEV_KEY_L},
    {SDL_SCANCODE_SEMICOLON, DEV_KEY_SEMICOLON}, {SDL_SCANCODE_APOSTROPHE, DEV_KEY_APOSTROPHE},
    {SDL_SCANCODE_RETURN, DEV_KEY_ENTER},      {SDL_SCANCODE_LSHIFT, DEV_KEY_LSHIFT},
    {SDL_SCANCODE_NONUSBACKSLASH, DEV_KEY_ISO_BACKSLASH}, {SDL_SCANCODE_Z, DEV_KEY_Z},
    {SDL_SCANCODE_X, DEV_KEY_X},               {SDL_SCANCODE_C, DEV_KEY_C},
    {SDL_SCANCODE_V, DEV_KEY_V},               {SDL_SCANCODE_B, DEV_KEY_B},
    {SDL_SCANCODE_N, DEV_KEY_N},               {SDL_SCANCODE_M, DEV_KEY_M},
    {SDL_SCANCODE_COMMA, DEV_KEY_COMMA},       {SDL_SCANCODE_PERIOD, DEV_KEY_PERIOD},
    {SDL_SCANCODE_SLASH, DEV_KEY_SLASH},       {SDL_SCANCODE_RSHIFT, DEV_KEY_RSHIFT},
    {SDL_SCANCODE_LCTRL, DEV_KEY_LCTRL},       {SDL_SCANCODE_LGUI, DEV_KEY_LGUI},
    {SDL_SCANCODE_LALT, DEV_KEY_LALT},         {SDL_SCANCODE_SPACE, DEV_KEY_SPACE},
    {SDL_SCANCODE_RALT, DEV_KEY_RALT},         {SDL_SCANCODE_RGUI, DEV_KEY_RGUI},
    {SDL_SCANCODE_APPLICATION, DEV_KEY_MENU},  {SDL_SCANCODE_RCTRL, DEV_KEY_RCTRL},
    {SDL_SCANCODE_INSERT, DEV_KEY_INSERT},     {SDL_SCANCODE_HOME, DEV_KEY_HOME},
    {SDL_SCANCODE_PAGEUP, DEV_KEY_PAGE_UP},    {SDL_SCANCODE_DELETE, DEV_KEY_DELETE},
    {SDL_SCANCODE_END, DEV_KEY_END},           {SDL_SCANCODE_PAGEDOWN, DEV_KEY_PAGE_DOWN},
    {SDL_SCANCODE_UP, DEV_KEY_UP},             {SDL_SCANCODE_LEFT, DEV_KEY_LEFT},
    {SDL_SCANCODE_DOWN, DEV_KEY_DOWN},         {SDL_SCANCODE_RIGHT, DEV_KEY_RIGHT},
    {SDL_SCANCODE_NUMLOCKCLEAR, DEV_KEY_NUM_LOCK}, {SDL_SCANCODE_KP_DIVIDE, DEV_KEY_KP_DIVIDE},
    {SDL_SCANCODE_KP_MULTIPLY, DEV_KEY_KP_MULTIPLY}, {SDL_SCANCODE_KP_MINUS, DEV_KEY_KP_MINUS},
    {SDL_SCANCODE_KP_7, DEV_KEY_KP_7},         {SDL_SCANCODE_KP_8, DEV_KEY_KP_8},
    {SDL_SCANCODE_KP_9, DEV_KEY_KP_9},         {SDL_SCANCODE_KP_PLUS, DEV_KEY_KP_PLUS},
    {SDL_SCANCODE_KP_4, DEV_KEY_KP_4},         {SDL_SCANCODE_KP_5, DEV_KEY_KP_5},
    {SDL_SCANCODE_KP_6, DEV_KEY_KP_6},         {SDL_SCANCODE_KP_1, DEV_KEY_KP_1},
    {SDL_SCANCODE_KP_2, DEV_KEY_KP_2},         {SDL_SCANCODE_KP_3, DEV_KEY_KP_3},
    {SDL_SCANCODE_KP_ENTER, DEV_KEY_KP_ENTER}, {SDL_SCANCODE_KP_0, DEV_KEY_KP_0},
    {SDL_SCANCODE_KP_PERIOD, DEV_KEY_KP_PERIOD},
};

static bool set(const char *name) {
  const char *v = SDL_getenv(name);
  return v && *v;
}

struct display_window *display_window_open(const char *title, unsigned width, unsigned height, char *err,
                                           size_t n) {
  /* With no display SDL falls back to drivers that show nothing; those
   * only when asked for by name (SDL_VIDEODRIVER=offscreen, for tests). */
  if (!set("SDL_VIDEODRIVER") && !set("DISPLAY") && !set("WAYLAND_DISPLAY")) {
    snprintf(err, n, "no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set; "
                     "SDL_VIDEODRIVER=offscreen draws without one)");
    return NULL;
  }
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
    snprintf(err, n, "no display to open a window on (SDL: %s)", SDL_GetError());
    return NULL;
  }
  const char *driver = SDL_GetCurrentVideoDriver();
  if (driver && (!strcmp(driver, "offscreen") || !strcmp(driver, "dummy")) && !set("SDL_VIDEODRIVER")) {
    snprintf(err, n, "no display to open a window on (SDL found none; SDL_VIDEODRIVER=offscreen draws "
                     "without one)");
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    return NULL;
  }
  struct display_window *w = calloc(1, sizeof *w);
  if (!w) {
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    snprintf(err, n, "out of memory");
    return NULL;
  }
  w->width = width;
  w->height = height;
  for (size_t k = 0; k < sizeof keymap / sizeof keymap[0]; k++)
    w->key_of[keymap[k].sc] = (int16_t)(keymap[k].key + 1);
  w->win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, (int)width, (int)height,
                            SDL_WINDOW_RESIZABLE);
  /* The software renderer on the video driver's own framebuffer: the same
   * pixels on every host (golden hashes), no GL library loaded for a
   * 1096x400 picture (Mesa's, loaded for an accelerated framebuffer, also
   * leaks at exit, which the sanitizer builds would report). */
  SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
  w->ren = w->win ? SDL_CreateRenderer(w->win, -1, SDL_RENDERER_SOFTWARE) : NULL;
  if (w->ren) {
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "nearest");
    SDL_RenderSetLogicalSize(w->ren, (int)width, (int)height);
  }
  w->tex = w->ren ? SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING, (int)width,
                                      (int)height)
                  : NULL;
  if (!w->tex) {
    snprintf(err, n, "cannot open a %ux%u window (SDL: %s)", width, height, SDL_GetError());
    display_window_close(w);
    return NULL;
  }
  return w;
}

void display_window_close(struct display_window *w) {
  if (!w)
    return;
  if (w->tex)
    SDL_DestroyTexture(w->tex);
  if (w->ren)
    SDL_DestroyRenderer(w->ren);
  if (w->win)
    SDL_DestroyWindow(w->win);
  free(w);
  SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

int display_window_show(struct display_window *w, const struct display_frame *f, char *err, size_t n) {
  if (f->width != w->width || f->height != w->height ||
      SDL_UpdateTexture(w->tex, NULL, f->px, (int)(f->width * sizeof *f->px)) != 0 ||
      SDL_RenderClear(w->ren) != 0 || SDL_RenderCopy(w->ren, w->tex, NULL, NULL) != 0) {
    snprintf(err, n, "cannot draw the window (SDL: %s)", SDL_GetError());
    return -1;
  }
  SDL_RenderPresent(w->ren);
  return 0;
}

int display_window_read(struct display_window *w, struct display_frame *f, char *err, size_t n) {
  /* What was presented last is gone after SDL_RenderPresent (the back
   * buffer is undefined): draw the texture again and read that back. */
  SDL_Rect all = {0, 0, (int)w->width, (int)w->height};
  if (f->width != w->width || f->height != w->height || SDL_RenderClear(w->ren) != 0 ||
      SDL_RenderCopy(w->ren, w->tex, NULL, NULL) != 0 ||
      SDL_RenderReadPixels(w->ren, &all, SDL_PIXELFORMAT_RGB888, f->px, (int)(f->width * sizeof *f->px)) != 0) {
    snprintf(err, n, "cannot read the window back (SDL: %s)", SDL_GetError());
    return -1;
  }
  for (size_t k = 0; k < (size_t)f->width * f->height; k++)
    f->px[k] &= 0x00FFFFFFu;
  return 0;
}

struct display_input display_window_poll(struct display_window *w, int timeout_ms) {
  SDL_Event e;
  while (timeout_ms > 0 ? SDL_WaitEventTimeout(&e, timeout_ms) : SDL_PollEvent(&e)) {
    switch (e.type) {
    case SDL_QUIT:
      return (struct display_input){.kind = DISPLAY_QUIT};
    case SDL_WINDOWEVENT:
      if (e.window.event == SDL_WINDOWEVENT_CLOSE)
        return (struct display_input){.kind = DISPLAY_QUIT};
      break;
    case SDL_KEYDOWN:
    case SDL_KEYUP: {
      bool down = e.type == SDL_KEYDOWN;
      if (e.key.repeat)
        break;
      SDL_Scancode sc = e.key.keysym.scancode;
      if (sc == SDL_SCANCODE_F12)
        return down ? (struct display_input){.kind = DISPLAY_PAUSE} : (struct display_input){.kind = DISPLAY_NONE};
      if (sc == SDL_SCANCODE_F11)
        return down ? (struct display_input){.kind = DISPLAY_STEP} : (struct display_input){.kind = DISPLAY_NONE};
      if (sc >= 0 && sc < SDL_NUM_SCANCODES && w->key_of[sc])
        return (struct display_input){.kind = DISPLAY_KEY, .key = (unsigned)(w->key_of[sc] - 1), .down = down};
      break;
    }
    default:
      break;
    }
    timeout_ms = 0; /* one wait at most */
  }
  return (struct display_input){.kind = DISPLAY_NONE};
}

uint64_t display_window_ticks(struct display_window *w) { return SDL_GetTicks64(); }

int display_frame_save_bmp(const struct display_frame *f, const char *path, char *err, size_t n) {
  SDL_Surface *s = SDL_CreateRGBSurfaceWithFormatFrom(f->px, (int)f->width, (int)f->height, 32,
                                                      (int)(f->width * sizeof *f->px), SDL_PIXELFORMAT_RGB888);
  if (!s || SDL_SaveBMP(s, path) != 0) {
    snprintf(err, n, "%s: cannot write the screenshot (SDL: %s)", path, SDL_GetError());
    if (s)
      SDL_FreeSurface(s);
    return -1;
  }
  SDL_FreeSurface(s);
  return 0;
}
