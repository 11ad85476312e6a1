/* kt_fuzz: random system calls with random arguments, from children, and
 * the kernel must run on (a small trinity). Each child, on a fixed seed,
 * points its descriptors 0-2 at /dev/null and makes CALLS calls chosen
 * among all of Linux i386's numbers but those that would reach beyond it
 * (fork, vfork, clone, kill: the parent and its siblings share its process
 * group), with arguments drawn from small numbers, -1, pointers to its own
 * buffers and strings, NULL, kernel addresses, and random words. A child
 * that blocks is killed after a while (a 20 ms interval timer interrupts
 * most sleeps first); one that dies of a signal is fine.
 * Afterwards the kernel must still fork, exec, pipe and wait.
 *
 *   kt_fuzz [CHILDREN [CALLS [SEED]]]
 */
#include "kt.h"

static uint32_t rng;
static uint32_t next(void) {
  rng = rng * 1103515245u + 12345u;
  return (rng >> 8) ^ (rng << 13);
}

static char buf[3][8192];
/* names under /tmp, and a few whose damage is all the kernel's to refuse
 * ("/", "..", ""); nothing the final check needs (/bin/kt_hello) */
static const char *paths[] = {"/tmp/fz", "/tmp/fy", "/tmp/fz/x", "/tmp", "/", "..", "", "/dev/zero"};

static long arg(void) {
  uint32_t r = next() % 100;
  if (r < 20)
    return (long)(next() % 21);
  if (r < 30)
    return -1;
  if (r < 45)
    return (long)(buf[next() % 3] + next() % 4096);
  if (r < 55)
    return (long)paths[next() % (sizeof paths / sizeof paths[0])];
  if (r < 65)
    return (long)(0xC0000000u + next());
  if (r < 72)
    return 0;
  if (r < 85)
    return (long)next();
  return (long)(next() % 65536);
}

static int null = -1; /* opened once: a child may unlink /dev/null */

static void on_tick(int sig) { (void)sig; }

static void child(uint32_t seed, int calls) {
  rng = seed;
  /* a tick every 20 ms interrupts the calls that would sleep for ever
   * (unless the random calls themselves undo it) */
  kt_sigaction(SIGALRM, on_tick, 0);
  struct itimerval it = {{0, 20000}, {0, 20000}};
  SYS3(setitimer, ITIMER_REAL, &it, 0);
  for (int fd = 0; fd < 3; fd++)
    SYS2(dup2, null, fd);
  for (int k = 0; k < calls; k++) {
    long nr;
    do
      nr = (long)(next() % 450);
    while (nr == __NR_fork || nr == __NR_vfork || nr == __NR_clone || nr == __NR_kill || nr == __NR_exit ||
           nr == __NR_exit_group);
    long a = arg(), b = arg(), c = arg(), d = arg(), e = arg(), f = arg();
    syscall_raw(nr, a, b, c, d, e, f);
  }
  kt_exit(0);
}

int main(int argc, char **argv) {
  kt_name = "kt_fuzz";
  int children = argc > 1 ? atoi(argv[1]) : 40;
  int calls = argc > 2 ? atoi(argv[2]) : 300;
  uint32_t seed = argc > 3 ? (uint32_t)atoi(argv[3]) : 1;
  int exited = 0, signaled = 0, killed = 0;
  null = (int)SYS3(open, "/dev/null", O_RDWR, 0);
  CHECK(null >= 0);
  for (int n = 0; n < children; n++) {
    long pid = SYS0(fork);
    CHECK(pid >= 0);
    if (pid == 0)
      child(seed * 7919u + (uint32_t)n, calls);
    int st = -1;
    long r = 0;
    for (int tries = 0; tries < 50 && r == 0; tries++) { /* up to 0.5 s */
      r = SYS4(wait4, pid, &st, 1 /* WNOHANG */, 0);
      if (r == 0) {
        struct timespec ts = {0, 10000000};
        SYS2(nanosleep, &ts, 0);
      }
    }
    if (r == 0) {
      SYS2(kill, pid, SIGKILL);
      r = SYS4(wait4, pid, &st, 0, 0);
      killed++;
    } else if ((st & 0x7f) == 0) {
      exited++;
    } else {
      signaled++;
    }
    CHECK_EQ(r, pid);
    /* whatever the child left in the shared directory goes */
    SYS1(unlink, "/tmp/fz/x");
    SYS1(rmdir, "/tmp/fz/x");
    for (int k = 0; k < 2; k++) {
      SYS1(unlink, k ? "/tmp/fy" : "/tmp/fz");
      SYS1(rmdir, k ? "/tmp/fy" : "/tmp/fz");
    }
  }
  printf("kt_fuzz: %d children: %d exited, %d died of a signal, %d killed\n", children, exited, signaled,
            killed);
  kt_check_exec_hello(); /* the kernel runs on */
  int p[2];
  CHECK_EQ(SYS1(pipe, p), 0);
  CHECK_EQ(SYS3(write, p[1], "ok", 2), 2);
  char c[2];
  CHECK_EQ(SYS3(read, p[0], c, 2), 2);
  printf("kt_fuzz: PASS\n");
  return 0;
}
