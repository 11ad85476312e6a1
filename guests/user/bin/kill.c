/* guests/user/bin/kill.c - kill [-SIGNAL] PID...: sends SIGNAL (a number,
 * default SIGTERM) to each PID. */
#include "libc.h"

int main(int argc, char **argv) {
  int sig = SIGTERM, i = 1;
  if (argc > 1 && argv[1][0] == '-') {
    sig = atoi(argv[1] + 1);
    i = 2;
  }
  if (i >= argc) {
    dprintf(2, "usage: kill [-SIGNAL] PID...\n");
    return 2;
  }
  int status = 0;
  for (; i < argc; i++)
    if (kill(atoi(argv[i]), sig) < 0) {
      dprintf(2, "kill: %s: %s\n", argv[i], strerror(errno));
      status = 1;
    }
  return status;
}
