/* guests/user/systest/t.c - the test programs' checks and reporting (t.h). */
#include "t.h"

const char *t_name = "t";
int t_failures;

void t_init(const char *name) {
  t_name = name;
  umask(022); /* file modes below are literal */
}

void t_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  t_failures++;
  printf("%s: FAIL %s:%d: ", t_name, file, line);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

long t_ok_(const char *file, int line, const char *what, long r) {
  if (r == -1)
    t_fail(file, line, "%s: %s", what, strerror(errno));
  return r;
}

int t_done(void) {
  if (t_failures) {
    printf("%s: FAIL (%d checks failed)\n", t_name, t_failures);
    return 1;
  }
  printf("%s: PASS\n", t_name);
  return 0;
}

void t_child_done(void) {
  fflush(stdout);
  _exit(t_failures ? 1 : 0);
}

char *t_tmp(char *buf, const char *tag) {
  snprintf(buf, 64, "/tmp/%s.%d.%s", t_name, (int)getpid(), tag);
  return buf;
}

int t_wait(const char *file, int line, pid_t pid) {
  int status;
  pid_t r;
  do
    r = wait4(pid, &status, 0, 0);
  while (r == -1 && errno == EINTR);
  if (r != pid) {
    t_fail(file, line, "wait4(%d): got %d (%s)", (int)pid, (int)r,
           r == -1 ? strerror(errno) : "another pid");
    return -1;
  }
  return status;
}

pid_t t_fork(void) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    t_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
    exit(t_done());
  }
  return pid;
}
