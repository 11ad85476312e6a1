/* guests/user/libc/getopt.c - POSIX getopt: short options, "a:" takes an
 * argument (attached or the next word), "--" ends the options, a leading
 * ':' in optstring makes a missing argument ':' instead of '?'. */
#include "libc-internal.h"

char *optarg;
int optind = 1, opterr = 1, optopt;
static int next_char; /* position inside a word of grouped options */

int getopt(int argc, char *const argv[], const char *optstring) {
  optarg = 0;
  if (!next_char) {
    if (optind >= argc || argv[optind][0] != '-' || argv[optind][1] == 0)
      return -1;
    if (!strcmp(argv[optind], "--")) {
      optind++;
      return -1;
    }
    next_char = 1;
  }
  const char *word = argv[optind];
  int c = (unsigned char)word[next_char++];
  const char *spec = c == ':' ? 0 : strchr(optstring, c);
  int quiet = optstring[0] == ':';
  if (!spec) {
    optopt = c;
    if (opterr && !quiet)
      fprintf(stderr, "%s: unknown option -%c\n", argv[0], c);
    if (!word[next_char]) {
      optind++;
      next_char = 0;
    }
    return '?';
  }
  if (spec[1] == ':') {
    if (word[next_char]) {
      optarg = (char *)word + next_char;
    } else if (optind + 1 < argc) {
      optarg = argv[++optind];
    } else {
      optopt = c;
      optind++;
      next_char = 0;
      if (opterr && !quiet)
        fprintf(stderr, "%s: option -%c needs an argument\n", argv[0], c);
      return quiet ? ':' : '?';
    }
    optind++;
    next_char = 0;
    return c;
  }
  if (!word[next_char]) {
    optind++;
    next_char = 0;
  }
  return c;
}
