/* kt_proc: processes. fork (copy-on-write of data, bss, heap, stack),
 * exit statuses through wait4/waitpid, WNOHANG, ECHILD, getpid/getppid,
 * many children at once, orphans handed to init (this program runs as
 * init), execve with arguments and environment, execve's errors, a child
 * killed by a signal. */
#include "kt.h"

static int global_data = 1;
static int global_bss;

static int wait_status(int pid) {
  int st = -1;
  long r = SYS4(wait4, pid, &st, 0, 0);
  CHECK_EQ(r, pid);
  return st;
}

static void test_fork_cow(void) {
  int local = 10;
  char *heap = (char *)SYS1(brk, 0);
  CHECK(SYS1(brk, heap + 8192) == (long)(heap + 8192));
  heap[0] = 'p';
  heap[4096] = 'q';
  global_bss = 5;
  int parent = (int)SYS0(getpid);
  long pid = SYS0(fork);
  CHECK(pid >= 0);
  if (pid == 0) {
    CHECK_EQ(SYS0(getppid), parent);
    CHECK(SYS0(getpid) != parent);
    CHECK(global_data == 1 && global_bss == 5 && local == 10 && heap[0] == 'p' && heap[4096] == 'q');
    global_data = 2;
    global_bss = 6;
    local = 11;
    heap[0] = 'c';
    heap[4096] = 'd';
    CHECK(global_data == 2 && global_bss == 6 && local == 11 && heap[0] == 'c' && heap[4096] == 'd');
    kt_exit(42);
  }
  int st = wait_status((int)pid);
  CHECK_EQ(st, 42 << 8);
  CHECK(global_data == 1 && global_bss == 5 && local == 10 && heap[0] == 'p' && heap[4096] == 'q');
  /* the parent writes after the child is gone: its pages are its own again */
  global_data = 3;
  heap[0] = 'x';
  CHECK(global_data == 3 && heap[0] == 'x');
}

static void test_many_children(void) {
  enum { N = 24 };
  long pids[N];
  for (int k = 0; k < N; k++) {
    pids[k] = SYS0(fork);
    CHECK(pids[k] >= 0);
    if (pids[k] == 0) {
      global_data = 100 + k;
      for (volatile int spin = 0; spin < 1000 * k; spin++)
        ;
      kt_exit(global_data - 100);
    }
  }
  int seen[N] = {0};
  for (int k = 0; k < N; k++) {
    int st = -1;
    long pid = SYS4(wait4, -1, &st, 0, 0);
    int idx = -1;
    for (int j = 0; j < N; j++)
      if (pids[j] == pid)
        idx = j;
    CHECK(idx >= 0);
    CHECK_EQ(st, idx << 8);
    seen[idx]++;
  }
  for (int k = 0; k < N; k++)
    CHECK_EQ(seen[k], 1);
  CHECK_EQ(SYS4(wait4, -1, 0, 0, 0), -ECHILD);
}

static void test_wnohang_and_signal_death(void) {
  int fds[2];
  CHECK_EQ(SYS1(pipe, fds), 0);
  long pid = SYS0(fork);
  if (pid == 0) {
    char c;
    SYS3(read, fds[0], &c, 1); /* wait for the parent's word */
    SYS2(kill, SYS0(getpid), SIGUSR1);
    kt_exit(0); /* not reached: SIGUSR1's default action terminates */
  }
  int st = 0;
  CHECK_EQ(SYS4(wait4, pid, &st, 1 /* WNOHANG */, 0), 0);
  SYS3(write, fds[1], "x", 1);
  st = wait_status((int)pid);
  CHECK_EQ(st, SIGUSR1); /* WIFSIGNALED, WTERMSIG == SIGUSR1 */
  SYS1(close, fds[0]);
  SYS1(close, fds[1]);
  /* killed by another process */
  pid = SYS0(fork);
  if (pid == 0) {
    for (;;)
      SYS0(pause);
  }
  CHECK_EQ(SYS2(kill, pid, SIGTERM), 0);
  CHECK_EQ(wait_status((int)pid), SIGTERM);
  CHECK_EQ(SYS2(kill, pid, 0), -ESRCH);
}

static void test_orphans(void) {
  /* the child forks a grandchild and exits; the grandchild becomes ours */
  long pid = SYS0(fork);
  if (pid == 0) {
    long g = SYS0(fork);
    if (g == 0) {
      while (SYS0(getppid) != 1)
        SYS0(sched_yield);
      kt_exit(9);
    }
    kt_exit(8);
  }
  CHECK_EQ(wait_status((int)pid), 8 << 8);
  int st;
  long g = SYS4(wait4, -1, &st, 0, 0);
  CHECK(g > 0);
  CHECK_EQ(st, 9 << 8);
}

static void test_exec(void) {
  kt_check_exec_hello();
  char *argv[] = {"x", NULL};
  CHECK_EQ(SYS3(execve, "/no/such/file", argv, NULL), -ENOENT);
  CHECK_EQ(SYS3(execve, "/bin", argv, NULL), -EACCES);
  CHECK_EQ(SYS3(execve, "/bin/notelf", argv, NULL), -ENOEXEC);
  CHECK_EQ(SYS3(execve, (char *)1, argv, NULL), -EFAULT);
  CHECK_EQ(SYS3(execve, "/bin/kt_hello", (char **)0xC0000000, NULL), -EFAULT);
  char *bad_argv[] = {"x", (char *)0xC0001000, NULL};
  CHECK_EQ(SYS3(execve, "/bin/kt_hello", bad_argv, NULL), -EFAULT);
  /* execve of a file without execute permission */
  int fd = (int)SYS3(open, "/tmp/noexec", O_CREAT | O_WRONLY, 0644);
  CHECK(fd >= 0);
  SYS1(close, fd);
  CHECK_EQ(SYS3(execve, "/tmp/noexec", argv, NULL), -EACCES);
  /* still this program, still working */
  CHECK(global_data == 3);
}

/* As init (pid 1), this program gets only the signals it has handlers
 * for: a child's kill(0, SIGTERM) (its process group is ours) and even
 * SIGKILL leave it running. */
static void test_init_unkillable(void) {
  CHECK_EQ(SYS0(getpid), 1);
  long pid = SYS0(fork);
  if (pid == 0) {
    SYS2(kill, 0, SIGTERM);
    SYS2(kill, 1, SIGKILL);
    SYS2(kill, 1, SIGUSR1);
    kt_exit(0); /* the SIGTERM to our group was ours too: not reached */
  }
  int st;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, SIGTERM);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_proc";
  test_init_unkillable();
  test_fork_cow();
  test_many_children();
  test_wnohang_and_signal_death();
  test_orphans();
  test_exec();
  printf("kt_proc: PASS\n");
  return 0;
}
