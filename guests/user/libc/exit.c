/* guests/user/libc/exit.c - the end of a process: atexit handlers, stdio
 * buffers, then exit_group (what a modern libc's _exit calls; with no
 * threads it is the same as exit). */
#include "libc-internal.h"

#define LIBC_ATEXIT_MAX 32 /* ISO C asks for at least 32 */

static void (*atexit_fns[LIBC_ATEXIT_MAX])(void);
static int atexit_count;

int atexit(void (*fn)(void)) {
  if (atexit_count == LIBC_ATEXIT_MAX)
    return -1;
  atexit_fns[atexit_count++] = fn;
  return 0;
}

void exit(int status) {
  while (atexit_count > 0) /* last registered runs first */
    atexit_fns[--atexit_count]();
  libc_stdio_flush_all();
  _exit(status);
}

void _exit(int status) {
  for (;;)
    libc_sys_exit_group(status);
}

void abort(void) {
  /* SIGABRT with its default action; if a handler returns or it is
   * blocked, make it default and unblocked and raise it again. */
  raise(SIGABRT);
  signal(SIGABRT, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGABRT);
  sigprocmask(SIG_UNBLOCK, &set, 0);
  raise(SIGABRT);
  _exit(127);
}
