/* guests/user/bin/cat.c - cat [FILE...]: copies the files (or standard
 * input, also for "-") to standard output. */
#include "libc.h"

static int copy(int fd, const char *name) {
  char buf[4096];
  ssize_t r;
  while ((r = read(fd, buf, sizeof(buf))) > 0) {
    for (ssize_t off = 0; off < r;) {
      ssize_t w = write(1, buf + off, (size_t)(r - off));
      if (w <= 0) {
        dprintf(2, "cat: write: %s\n", strerror(errno));
        return 1;
      }
      off += w;
    }
  }
  if (r < 0) {
    dprintf(2, "cat: %s: %s\n", name, strerror(errno));
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return copy(0, "stdin");
  int status = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-")) {
      status |= copy(0, "stdin");
      continue;
    }
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      dprintf(2, "cat: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    status |= copy(fd, argv[i]);
    close(fd);
  }
  return status;
}
