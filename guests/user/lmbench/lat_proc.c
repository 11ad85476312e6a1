/* lat_proc - process creation (lmbench's lat_proc).
 *
 *   lat_proc [-N n] [-W w] [-p HELLO] [-s SH] fork|exec|shell
 *
 *   fork   fork; the child exits; the parent waits      lat_proc.fork
 *   exec   fork; the child closes stdout and execs
 *          HELLO (default /bin/hello) with no
 *          environment; the parent waits               lat_proc.exec
 *   shell  fork; the child closes stdout and execs
 *          SH -c HELLO (default /bin/sh); the parent
 *          waits                                       lat_proc.shell
 *
 * Nothing is subtracted but the timer and loop overheads, as in lmbench.
 * lmbench's PROG is /tmp/hello; ours is /bin/hello, a static program like
 * lmbench's hello-s. A child whose exec fails exits 1, which fails the
 * run: a benchmark that measured a failed exec would lie. */
#include "bench.h"

static const char *hello = "/bin/hello";
static const char *shell = "/bin/sh";

static void wait_ok(pid_t pid) {
  int st;
  while (wait4(pid, &st, 0, 0) < 0) {
    if (errno != EINTR) {
      perror("lat_proc: wait4");
      exit(1);
    }
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "lat_proc: child status 0x%x\n", st);
    exit(1);
  }
}

static pid_t fork_or_die(void) {
  pid_t pid = fork();
  if (pid < 0) {
    perror("lat_proc: fork");
    exit(1);
  }
  return pid;
}

static void do_fork(long n, void *cookie) {
  (void)cookie;
  while (n-- > 0) {
    pid_t pid = fork_or_die();
    if (pid == 0)
      exit(0);
    wait_ok(pid);
  }
}

static void do_exec(long n, void *cookie) {
  (void)cookie;
  char *const argv[] = {(char *)hello, 0};
  char *const envp[] = {0};
  while (n-- > 0) {
    pid_t pid = fork_or_die();
    if (pid == 0) {
      close(1);
      execve(hello, argv, envp);
      _exit(1);
    }
    wait_ok(pid);
  }
}

static void do_shell(long n, void *cookie) {
  (void)cookie;
  while (n-- > 0) {
    pid_t pid = fork_or_die();
    if (pid == 0) {
      close(1);
      execl(shell, "sh", "-c", hello, (char *)0);
      _exit(1);
    }
    wait_ok(pid);
  }
}

static void on_option(int c, const char *arg) {
  if (c == 'p')
    hello = arg;
  else if (c == 's')
    shell = arg;
}

int main(int argc, char **argv) {
  const char *usage = "[-p hello] [-s sh] fork|exec|shell";
  struct bench_opts o = {.n = 200};
  int i = bench_options(argc, argv, &o, "p:s:", on_option);
  if (i < 0 || i + 1 != argc)
    bench_usage("lat_proc", usage);
  const char *id, *what;
  bench_fn fn;
  if (!strcmp(argv[i], "fork")) {
    id = "lat_proc.fork", what = "Process fork+exit", fn = do_fork;
  } else if (!strcmp(argv[i], "exec")) {
    id = "lat_proc.exec", what = "Process fork+execve", fn = do_exec;
  } else if (!strcmp(argv[i], "shell")) {
    id = "lat_proc.shell", what = "Process fork+/bin/sh -c", fn = do_shell;
  } else {
    bench_usage("lat_proc", usage);
  }
  signal(SIGCHLD, SIG_DFL);
  bench_announce(id);
  struct bench_time t = bench_measure(id, fn, o.n, o.warmup, 0);
  bench_report(id, what, bench_net(t), o.n, t.overhead);
  return 0;
}
