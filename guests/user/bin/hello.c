/* guests/user/bin/hello.c - lmbench's hello: one write and exit. lat_proc
 * exec and shell run it, so it must stay this small (no stdio). */
#include "libc.h"

int main(void) {
  write(1, "Hello world\n", 12);
  return 0;
}
