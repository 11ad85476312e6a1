/* lat_ctx - context switches (lmbench's lat_ctx).
 *
 *   lat_ctx [-N n] [-W w] [-s KiB] PROCS...        lat_ctx.<P>p.<K>k for each PROCS
 *
 * P processes in a ring of P pipes pass a token (an int) round: process i
 * reads it from pipe i-1, sums its own K KiB working set (every word, as
 * lmbench's bread), and writes it to pipe i. The measuring process is one
 * of them; it times n trips of the token round the ring, P switches each.
 * lmbench subtracts what is not a switch, measured in one process with no
 * switch at all: n times, write the token into one of the pipes, read it
 * back, and sum the working set. So
 *
 *   cycles per switch = ring time / (n P) - overhead time / n
 *
 * reported as lat_ctx.<P>p.<K>k with cycles = ring time - n P (overhead
 * time / n) and ops = n P. The default n gives about 2000 switches. */
#include "bench.h"

#define CTX_MAXPROCS 64

struct ring {
  int procs;
  size_t size;         /* working set bytes */
  int p[CTX_MAXPROCS][2];
  pid_t pids[CTX_MAXPROCS];
  void *data;          /* the measuring process's working set */
};

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void make_pipes(struct ring *r) {
  for (int i = 0; i < r->procs; i++)
    if (pipe(r->p[i]) < 0)
      die("lat_ctx: pipe");
}

static void close_pipes(struct ring *r) {
  for (int i = 0; i < r->procs; i++) {
    close(r->p[i][0]);
    close(r->p[i][1]);
  }
}

/* the no-switch loop: lmbench's benchmark_overhead */
static void do_overhead(long n, void *cookie) {
  struct ring *r = cookie;
  int i = 0, msg = 1;
  while (n-- > 0) {
    if (write(r->p[i][1], &msg, sizeof(msg)) != sizeof(msg) ||
        read(r->p[i][0], &msg, sizeof(msg)) != sizeof(msg))
      die("lat_ctx: overhead pipe");
    if (++i == r->procs)
      i = 0;
    bench_sum(r->data, r->size);
  }
}

/* one of the other processes of the ring, forever */
static void member(struct ring *r, int rd, int wr) {
  void *data = 0;
  if (r->size) {
    data = malloc(r->size);
    if (!data)
      die("lat_ctx: malloc");
    memset(data, 0, r->size);
  }
  int msg;
  for (;;) {
    if (read(r->p[rd][0], &msg, sizeof(msg)) != sizeof(msg))
      _exit(1);
    bench_sum(data, r->size);
    if (write(r->p[wr][1], &msg, sizeof(msg)) != sizeof(msg))
      _exit(1);
  }
}

/* the measuring process's part: send the token round n times */
static void do_ring(long n, void *cookie) {
  struct ring *r = cookie;
  int msg = 0;
  while (n-- > 0) {
    if (write(r->p[0][1], &msg, sizeof(msg)) != sizeof(msg) ||
        read(r->p[r->procs - 1][0], &msg, sizeof(msg)) != sizeof(msg))
      die("lat_ctx: ring pipe");
    bench_sum(r->data, r->size);
  }
}

static void start_ring(struct ring *r) {
  make_pipes(r);
  fflush(stdout);
  for (int i = 1; i < r->procs; i++) {
    r->pids[i] = fork();
    if (r->pids[i] < 0)
      die("lat_ctx: fork");
    if (r->pids[i] == 0)
      member(r, i - 1, i);
  }
  /* once round, so every process is there and waiting */
  int msg = 0;
  if (write(r->p[0][1], &msg, sizeof(msg)) != sizeof(msg) ||
      read(r->p[r->procs - 1][0], &msg, sizeof(msg)) != sizeof(msg))
    die("lat_ctx: first trip");
}

static void stop_ring(struct ring *r) {
  for (int i = 1; i < r->procs; i++) {
    kill(r->pids[i], SIGKILL);
    waitpid(r->pids[i], 0, 0);
  }
  close_pipes(r);
}

static long size_kib;
static void on_option(int c, const char *arg) {
  if (c == 's')
    size_kib = atol(arg);
}

int main(int argc, char **argv) {
  const char *usage = "[-s kbytes] processes...";
  struct bench_opts o = {.n = 1};
  int i = bench_options(argc, argv, &o, "s:", on_option);
  if (i < 0 || i >= argc || size_kib < 0)
    bench_usage("lat_ctx", usage);
  struct ring r;
  memset(&r, 0, sizeof(r));
  r.size = (size_t)size_kib * 1024;
  r.data = r.size ? malloc(r.size) : 0;
  if (r.size && !r.data)
    die("lat_ctx: malloc");
  if (r.data)
    memset(r.data, 0, r.size);

  for (; i < argc; i++) {
    r.procs = atoi(argv[i]);
    if (r.procs < 2 || r.procs > CTX_MAXPROCS)
      bench_usage("lat_ctx", "processes: 2 to 64");
    long n = o.n, warmup = o.warmup;
    if (!o.n_given) /* about 2000 switches */
      n = 2000 / r.procs;
    if (!o.warmup_given)
      warmup = n / 10 > 0 ? n / 10 : 1;
    char id[48], what[64];
    snprintf(id, sizeof(id), "lat_ctx.%dp.%ldk", r.procs, size_kib);
    snprintf(what, sizeof(what), "%d processes, %ld KiB each", r.procs, size_kib);
    bench_announce(id);

    make_pipes(&r);
    struct bench_time ovh = bench_measure(0, do_overhead, n, warmup, &r);
    close_pipes(&r);

    start_ring(&r);
    struct bench_time ring = bench_measure(id, do_ring, n, warmup, &r);
    stop_ring(&r);

    int64_t ops = (int64_t)n * r.procs;
    int64_t not_switching = bench_scale(bench_net(ovh), n, ops); /* overhead per trip x ops */
    bench_report(id, what, bench_net(ring) - not_switching, ops, ring.overhead + not_switching);
  }
  return 0;
}
