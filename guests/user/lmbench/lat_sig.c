/* lat_sig - signals (lmbench's lat_sig).
 *
 *   lat_sig [-N n] [-W w] install|catch|prot [FILE]
 *
 *   install  sigaction(SIGUSR1) with a handler                 lat_sig.install
 *   catch    kill(getpid(), SIGUSR1) caught by an empty handler,
 *            less the cost of kill(getpid(), 0) (the send)     lat_sig.catch
 *   prot     a write to a read-only MAP_SHARED page of FILE
 *            (default /bin/lat_sig, as lmbench's script maps
 *            lat_sig itself), caught: the handler returns and
 *            the write faults again, n times; less the cost of
 *            a catch (as lmbench: "assume they cost the same") lat_sig.prot
 *
 * The handlers have no SA_SIGINFO, as lmbench's: Linux gives them the old
 * signal frame and sigreturn. The prot loop ends in its n-th handler, which
 * reads the TSC and leaves with siglongjmp: the region lat_sig.prot also
 * holds that siglongjmp's rt_sigprocmask. */
#include "bench.h"

static void handler(int sig) { (void)sig; }

static void do_install(long n, void *cookie) {
  (void)cookie;
  struct sigaction sa, old;
  while (n-- > 0) {
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, &old);
  }
}

static void do_send(long n, void *cookie) {
  (void)cookie;
  pid_t me = getpid();
  while (n-- > 0)
    kill(me, 0);
}

static void do_catch(long n, void *cookie) {
  (void)cookie;
  pid_t me = getpid();
  while (n-- > 0)
    kill(me, SIGUSR1);
}

/* The cost of catching a signal, less sending it: lmbench's bench_catch.
 * Reports lat_sig.catch when id is given. */
static int64_t catch_cost(struct bench_opts *o, const char *id, int64_t *subtracted) {
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, 0);
  struct bench_time send = bench_measure(0, do_send, o->n, o->warmup, 0);
  struct bench_time caught = bench_measure(id, do_catch, o->n, o->warmup, 0);
  int64_t send_cost = bench_net(send); /* same n: no scaling needed */
  *subtracted = caught.overhead + send_cost;
  return bench_net(caught) - send_cost;
}

/* ---- prot ---- */

static sigjmp_buf prot_env;
static volatile long prot_caught, prot_target;
static volatile uint64_t prot_end;

static void prot_handler(int sig) {
  (void)sig;
  if (++prot_caught == prot_target) {
    prot_end = rdtsc();
    siglongjmp(prot_env, 1);
  }
}

/* n protection faults; returns t_end - t_start. */
static int64_t prot_faults(volatile char *where, long n, const char *region) {
  static uint64_t t0; /* static: kept across the siglongjmp */
  prot_caught = 0;
  prot_target = n;
  if (region)
    ringlab_begin(region);
  if (sigsetjmp(prot_env, 1) == 0) {
    t0 = rdtsc();
    *where = 1; /* faults; the handler returns and it faults again */
    fprintf(stderr, "lat_sig: the write to a read-only page did not fault\n");
    exit(1);
  }
  if (region)
    ringlab_end(region);
  return (int64_t)(prot_end - t0);
}

int main(int argc, char **argv) {
  const char *usage = "install|catch|prot [file]";
  struct bench_opts o = {.n = 5000};
  int i = bench_options(argc, argv, &o, 0, 0);
  if (i < 0 || i >= argc || argc - i > 2)
    bench_usage("lat_sig", usage);
  const char *what = argv[i];
  if (!strcmp(what, "install") && argc - i == 1) {
    bench_announce("lat_sig.install");
    struct bench_time t = bench_measure("lat_sig.install", do_install, o.n, o.warmup, 0);
    bench_report("lat_sig.install", "Signal handler installation", bench_net(t), o.n,
                 t.overhead);
  } else if (!strcmp(what, "catch") && argc - i == 1) {
    bench_announce("lat_sig.catch");
    int64_t sub;
    int64_t c = catch_cost(&o, "lat_sig.catch", &sub);
    bench_report("lat_sig.catch", "Signal handler overhead", c, o.n, sub);
  } else if (!strcmp(what, "prot")) {
    const char *file = argc - i == 2 ? argv[i + 1] : "/bin/lat_sig";
    bench_announce("lat_sig.prot");
    int64_t catch_sub;
    int64_t catch_total = catch_cost(&o, 0, &catch_sub); /* over o.n catches */
    int fd = open(file, O_RDONLY);
    if (fd < 0) {
      fprintf(stderr, "lat_sig: %s: %s\n", file, strerror(errno));
      return 1;
    }
    char *where = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (where == MAP_FAILED) {
      perror("lat_sig: mmap");
      return 1;
    }
    struct sigaction sa = {0};
    sa.sa_handler = prot_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);
    if (o.warmup > 0)
      prot_faults(where, o.warmup, 0);
    int64_t raw = prot_faults(where, o.n, "lat_sig.prot");
    int64_t sub = bench_timer_overhead() + bench_loop_overhead(o.n) + (catch_total > 0 ? catch_total : 0);
    bench_report("lat_sig.prot", "Protection fault", raw - sub, o.n, sub);
  } else {
    bench_usage("lat_sig", usage);
  }
  return 0;
}
