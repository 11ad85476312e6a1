/* tests/display/check_screenshot.c - the screen area of a --screenshot BMP
 * against a golden hash (golden.h): exit 0 when equal; prints the hash.
 *
 *   check_screenshot FILE.bmp console
 */
#include <SDL.h>
#include <stdio.h>
#include <string.h>

#include "golden.h"

int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[2], "console") != 0) {
    fprintf(stderr, "usage: %s FILE.bmp console\n", argv[0]);
    return 2;
  }
  SDL_Surface *bmp = SDL_LoadBMP(argv[1]);
  SDL_Surface *s = bmp ? SDL_ConvertSurfaceFormat(bmp, SDL_PIXELFORMAT_RGB888, 0) : NULL;
  if (!s) {
    fprintf(stderr, "%s: cannot read (SDL: %s)\n", argv[1], SDL_GetError());
    return 1;
  }
  if (s->w != (int)display_frame_width() || s->h != (int)display_frame_height()) {
    fprintf(stderr, "%s: %dx%d, not the window's %ux%u\n", argv[1], s->w, s->h, display_frame_width(),
            display_frame_height());
    return 1;
  }
  SDL_LockSurface(s);
  static uint32_t px[2048 * 1024];
  for (int y = 0; y < s->h; y++)
    memcpy(&px[(size_t)y * s->w], (const uint8_t *)s->pixels + (size_t)y * s->pitch, (size_t)s->w * 4);
  SDL_UnlockSurface(s);
  uint64_t h = golden_hash(px, (unsigned)s->w, 0, 0, 720, 400);
  SDL_FreeSurface(s);
  SDL_FreeSurface(bmp);
  printf("screen area of %s: 0x%016llx (golden 0x%016llx)\n", argv[1], (unsigned long long)h,
         (unsigned long long)GOLDEN_CONSOLE_CARD);
  return h == GOLDEN_CONSOLE_CARD ? 0 : 1;
}
