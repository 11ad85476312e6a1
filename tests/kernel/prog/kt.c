/* tests/kernel/prog/kt.c - the kernel test programs' shared helpers (kt.h). */
#include "kt.h"

const char *kt_name = "test";

void kt_exit(int code) {
  for (;;)
    SYS1(exit, code);
}

int kt_sigaction(int sig, void *handler, unsigned long flags) {
  struct sigaction act = {0};
  act.sa_handler = (__sighandler_t)handler;
  act.sa_flags = flags;
  return sigaction(sig, &act, 0) < 0 ? -errno : 0;
}

int kt_in_child(void (*fn)(void *), void *arg) {
  long pid = SYS0(fork);
  CHECK(pid >= 0);
  if (pid == 0) {
    fn(arg);
    kt_exit(100); /* survived */
  }
  int st = -1;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  return st;
}

void kt_check_exec_hello(void) {
  long pid = SYS0(fork);
  CHECK(pid >= 0);
  if (pid == 0) {
    char *av[] = {"kt_hello", "a", "b", NULL}, *ev[] = {"X=1", NULL};
    SYS3(execve, "/bin/kt_hello", av, ev);
    kt_exit(99);
  }
  int st = -1;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, 7 << 8);
}
