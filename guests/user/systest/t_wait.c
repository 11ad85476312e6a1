/* t_wait - exit and wait4.
 *
 * Exit statuses come back as Linux encodes them: WIFEXITED with the low
 * 8 bits of the exit code, WIFSIGNALED with the signal that killed the
 * child. wait4 waits for a given child or any child, WNOHANG returns 0
 * while a child runs, a child that ended earlier waits as a zombie until
 * reaped, and with no child to wait for wait4 fails with ECHILD. */
#include "t.h"

static void exit_codes(void) {
  static const int codes[] = {0, 1, 42, 255, 256 + 7};
  for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
    pid_t pid = t_fork();
    if (pid == 0)
      _exit(codes[i]);
    int st = T_WAIT(pid);
    T_CHECK(WIFEXITED(st));
    T_CHECK(!WIFSIGNALED(st));
    T_EQ(WEXITSTATUS(st), codes[i] & 0xff);
    T_EQ(st, (codes[i] & 0xff) << 8);
  }
  /* exit() from main's return value */
  pid_t pid = t_fork();
  if (pid == 0)
    exit(17);
  T_CHILD_EXIT(pid, 17);
}

static void killed(void) {
  static const int sigs[] = {SIGKILL, SIGTERM, SIGUSR1, SIGSEGV, SIGABRT};
  for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
    pid_t pid = t_fork();
    if (pid == 0) {
      if (sigs[i] == SIGABRT)
        abort();
      raise(sigs[i]);
      _exit(100);
    }
    int st = T_WAIT(pid);
    T_CHECK(WIFSIGNALED(st));
    T_CHECK(!WIFEXITED(st));
    T_EQ(WTERMSIG(st), sigs[i]);
  }
  /* killed by the parent while it waits for a pipe that stays empty */
  int p[2];
  T_OK(pipe(p));
  pid_t pid = t_fork();
  if (pid == 0) {
    char c;
    read(p[0], &c, 1);
    _exit(100);
  }
  T_OK(kill(pid, SIGKILL));
  T_CHILD_KILLED(pid, SIGKILL);
  close(p[0]);
  close(p[1]);
}

static void wnohang_and_zombies(void) {
  int p[2];
  T_OK(pipe(p));
  pid_t pid = t_fork();
  if (pid == 0) {
    char c;
    read(p[0], &c, 1); /* runs until the parent writes */
    _exit(5);
  }
  int st = -1;
  T_EQ(wait4(pid, &st, WNOHANG, 0), 0);
  T_EQ(wait4(-1, &st, WNOHANG, 0), 0);
  T_EQ(write(p[1], "x", 1), 1);
  T_CHILD_EXIT(pid, 5);
  close(p[0]);
  close(p[1]);

  /* three children end before the parent waits: each is waited once */
  pid_t kids[3];
  for (int i = 0; i < 3; i++) {
    kids[i] = t_fork();
    if (kids[i] == 0)
      _exit(10 + i);
  }
  int seen = 0;
  for (int i = 0; i < 3; i++) {
    pid_t r = wait4(-1, &st, 0, 0);
    for (int k = 0; k < 3; k++)
      if (r == kids[k]) {
        T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 10 + k);
        seen |= 1 << k;
      }
  }
  T_EQ(seen, 7);
  T_ERR(wait4(-1, &st, 0, 0), ECHILD);
  T_ERR(wait4(-1, &st, WNOHANG, 0), ECHILD);
  T_ERR(wait4(kids[0], &st, 0, 0), ECHILD); /* reaped already */
  T_ERR(wait4(1, &st, 0, 0), ECHILD);       /* not our child */
  /* a status pointer may be NULL */
  pid = t_fork();
  if (pid == 0)
    _exit(0);
  T_EQ(wait4(pid, 0, 0, 0), pid);
  /* the rusage argument is filled in (and may be given) */
  pid = t_fork();
  if (pid == 0)
    _exit(3);
  struct rusage ru;
  T_EQ(wait4(pid, &st, 0, &ru), pid);
  T_EQ(WEXITSTATUS(st), 3);
}

static void grandchild_not_ours(void) {
  /* a child's child is not ours to wait for */
  pid_t pid = t_fork();
  if (pid == 0) {
    pid_t g = fork();
    if (g == 0)
      _exit(0);
    int st;
    _exit(wait4(g, &st, 0, 0) == g ? 0 : 1);
  }
  T_CHILD_OK(pid);
  int st;
  T_ERR(wait4(-1, &st, 0, 0), ECHILD);
}

int main(void) {
  t_init("t_wait");
  exit_codes();
  killed();
  wnohang_and_zombies();
  grandchild_not_ours();
  return t_done();
}
