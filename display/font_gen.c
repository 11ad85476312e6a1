/* display/font_gen.c - writes the window's built-in 8x16 font as C, at
 * build time, from a PC console font (PSF version 1, gzip'ed): by default
 * Debian's console-data /usr/share/consolefonts/default8x16.psf.gz, the
 * IBM VGA font in code page 437 order (its glyphs 0-31 are the VGA's
 * graphic characters, as a text-mode screen shows them).
 *
 *   ringlab_font_gen FONT.psf.gz OUT.c
 *
 * A PSF1 file: magic 0x36 0x04, a mode byte (bit 0: 512 glyphs), the glyph
 * height in bytes, then the glyphs (one byte a row, bit 7 leftmost), then
 * (mode bit 1) a Unicode table, not used here. The output defines
 * display_font[256][16]; anything else (not PSF1, not 16 rows) is refused.
 */
#include <stdio.h>
#include <zlib.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s FONT.psf.gz OUT.c\n", argv[0]);
    return 2;
  }
  gzFile in = gzopen(argv[1], "rb");
  if (!in) {
    fprintf(stderr, "%s: cannot open (Debian's console-data installs it)\n", argv[1]);
    return 1;
  }
  unsigned char head[4], glyphs[256][16];
  if (gzread(in, head, 4) != 4 || head[0] != 0x36 || head[1] != 0x04 || head[3] != 16) {
    fprintf(stderr, "%s: not a PSF1 font of 8x16 glyphs\n", argv[1]);
    gzclose(in);
    return 1;
  }
  if (gzread(in, glyphs, sizeof glyphs) != (int)sizeof glyphs) {
    fprintf(stderr, "%s: fewer than 256 glyphs\n", argv[1]);
    gzclose(in);
    return 1;
  }
  gzclose(in);
  FILE *out = fopen(argv[2], "w");
  if (!out) {
    perror(argv[2]);
    return 1;
  }
  fprintf(out, "/* Generated at build time by display/font_gen.c from %s; do not edit. */\n", argv[1]);
  fprintf(out, "#include <stdint.h>\n\nconst uint8_t display_font[256][16] = {\n");
  for (int g = 0; g < 256; g++) {
    fprintf(out, "    {");
    for (int r = 0; r < 16; r++)
      fprintf(out, "0x%02x%s", glyphs[g][r], r < 15 ? ", " : "");
    fprintf(out, "},\n");
  }
  fprintf(out, "};\n");
  return fclose(out) == 0 ? 0 : 1;
}
