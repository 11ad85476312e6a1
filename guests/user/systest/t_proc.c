/* t_proc - process identity.
 *
 * getpid is stable and unique among live processes; a child's getppid is
 * its parent's pid; an orphan gets a new parent (the kernel's init, pid 1
 * on our kernel; Linux may give it a subreaper) and is still waited for by
 * someone: it can run to its end after its parent has gone. */
#include "t.h"

static void identity(void) {
  pid_t me = getpid();
  T_CHECK(me > 0);
  T_EQ(getpid(), me);
  T_CHECK(getppid() > 0);
  T_CHECK(getppid() != me);
  enum { N = 5 };
  pid_t kids[N];
  int p[2];
  T_OK(pipe(p));
  for (int i = 0; i < N; i++) {
    kids[i] = t_fork();
    if (kids[i] == 0) {
      pid_t mine = getpid();
      int ok = getppid() == me && mine != me;
      char c;
      read(p[0], &c, 1); /* stay alive until the parent has all pids */
      _exit(ok ? 0 : 1);
    }
  }
  for (int i = 0; i < N; i++)
    for (int k = i + 1; k < N; k++)
      T_CHECK(kids[i] != kids[k]);
  for (int i = 0; i < N; i++)
    T_EQ(write(p[1], "g", 1), 1);
  for (int i = 0; i < N; i++)
    T_CHILD_OK(kids[i]);
  close(p[0]);
  close(p[1]);
}

static void orphan(void) {
  /* child forks a grandchild and exits; the grandchild checks that its
   * parent changed and reports through a pipe that outlives both */
  int report[2], go[2];
  T_OK(pipe(report));
  T_OK(pipe(go));
  pid_t child = t_fork();
  if (child == 0) {
    pid_t old_parent = getpid();
    pid_t g = fork();
    if (g == 0) {
      close(go[1]);
      char c;
      read(go[0], &c, 1); /* until the parent has exited */
      pid_t np;
      for (int i = 0; i < 1000 && (np = getppid()) == old_parent; i++)
        sched_yield();
      char verdict = np != old_parent ? 'y' : 'n';
      write(report[1], &verdict, 1);
      _exit(0);
    }
    _exit(g > 0 ? 0 : 1);
  }
  T_CHILD_OK(child); /* the grandchild's parent is gone now */
  T_EQ(write(go[1], "g", 1), 1);
  close(report[1]);
  char verdict = 0;
  T_EQ(read(report[0], &verdict, 1), 1);
  T_EQ(verdict, 'y');
  close(report[0]);
  close(go[0]);
  close(go[1]);
}

int main(void) {
  t_init("t_proc");
  identity();
  orphan();
  return t_done();
}
