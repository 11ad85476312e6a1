/* guests/user/bin/echo.c - echo [-n] WORDS: the words, separated by one
 * space, and a newline unless -n. One write, so a pipe gets it whole. */
#include "libc.h"

int main(int argc, char **argv) {
  int newline = 1, i = 1;
  if (argc > 1 && !strcmp(argv[1], "-n")) {
    newline = 0;
    i = 2;
  }
  char out[4096];
  size_t n = 0;
  for (int first = i; i < argc; i++) {
    if (i > first && n < sizeof(out))
      out[n++] = ' ';
    for (const char *s = argv[i]; *s && n < sizeof(out); s++)
      out[n++] = *s;
  }
  if (newline && n < sizeof(out))
    out[n++] = '\n';
  return write(1, out, n) == (ssize_t)n ? 0 : 1;
}
