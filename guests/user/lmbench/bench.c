/* guests/user/lmbench/bench.c - timing, overheads and reporting of the
 * lmbench tools (bench.h). */
#include "bench.h"

static volatile long bench_sink; /* where sums go, so no loop is dropped */

void bench_announce(const char *id) {
  printf("lmbench: %s\n", id);
  fflush(stdout);
}

int64_t bench_timer_overhead(void) {
  static int64_t cached = -1;
  if (cached >= 0)
    return cached;
  int64_t best = INT64_MAX;
  for (int i = 0; i < 16; i++) {
    uint64_t t0 = rdtsc();
    uint64_t t1 = rdtsc();
    if ((int64_t)(t1 - t0) < best)
      best = (int64_t)(t1 - t0);
  }
  return cached = best;
}

/* lmbench's one_op and two_op: a loop of one and of two dependent loads
 * per iteration, shaped like the tools' loops. */
static long *chase_self = (long *)&chase_self;

__attribute__((noinline)) static long *one_op(long n, long *p) {
  while (n-- > 0)
    p = (long *)*p;
  return p;
}

__attribute__((noinline)) static long *two_op(long n, long *p) {
  while (n-- > 0) {
    p = (long *)*p;
    p = (long *)*p;
  }
  return p;
}

#define BENCH_CAL_N 1000 /* iterations of the calibration loops */

int64_t bench_loop_overhead(long n) {
  static int64_t per_cal = -1; /* cycles of BENCH_CAL_N iterations' loop overhead */
  if (per_cal < 0) {
    int64_t u1 = INT64_MAX, u2 = INT64_MAX, t = bench_timer_overhead();
    for (int i = 0; i < 8; i++) {
      uint64_t t0 = rdtsc();
      bench_sink += (long)one_op(BENCH_CAL_N, chase_self);
      uint64_t t1 = rdtsc();
      bench_sink += (long)two_op(BENCH_CAL_N, chase_self);
      uint64_t t2 = rdtsc();
      if ((int64_t)(t1 - t0) - t < u1)
        u1 = (int64_t)(t1 - t0) - t;
      if ((int64_t)(t2 - t1) - t < u2)
        u2 = (int64_t)(t2 - t1) - t;
    }
    per_cal = 2 * u1 - u2;
    if (per_cal < 0)
      per_cal = 0; /* lmbench: "Gag" */
  }
  return bench_scale(per_cal, BENCH_CAL_N, n);
}

int64_t bench_scale(int64_t total, int64_t total_ops, int64_t n) {
  if (total_ops <= 0)
    return 0;
  int64_t x = total * n;
  return (x + (x >= 0 ? total_ops / 2 : -total_ops / 2)) / total_ops;
}

struct bench_time bench_measure(const char *region, bench_fn fn, long n, long warmup,
                                void *cookie) {
  struct bench_time r;
  int64_t timer = bench_timer_overhead();
  int64_t loop = bench_loop_overhead(n);
  if (warmup > 0)
    fn(warmup, cookie);
  if (region)
    ringlab_begin(region);
  uint64_t t0 = rdtsc();
  fn(n, cookie);
  uint64_t t1 = rdtsc();
  if (region)
    ringlab_end(region);
  r.raw = (int64_t)(t1 - t0);
  r.overhead = timer + loop;
  return r;
}

void bench_report(const char *id, const char *what, int64_t cycles, int64_t ops,
                  int64_t subtracted) {
  char name[80];
  if (cycles < 0)
    cycles = 0;
  int64_t whole = ops > 0 ? cycles / ops : 0;
  int64_t cents = ops > 0 ? (cycles % ops) * 100 / ops : 0;
  printf("%s: %s: %lld.%02lld cycles (%lld cycles / %lld ops, %lld subtracted)\n", id, what,
         (long long)whole, (long long)cents, (long long)cycles, (long long)ops,
         (long long)subtracted);
  fflush(stdout);
  snprintf(name, sizeof(name), "%s.cycles", id);
  ringlab_report(name, cycles);
  snprintf(name, sizeof(name), "%s.ops", id);
  ringlab_report(name, ops);
  snprintf(name, sizeof(name), "%s.subtracted", id);
  ringlab_report(name, subtracted);
}

void bench_sum(const void *buf, size_t bytes) {
  const long *p = buf;
  size_t words = bytes / sizeof(long);
  long s = 0;
  size_t i = 0;
  for (; i + 16 <= words; i += 16) /* lmbench sums in unrolled chunks too */
    s += p[i] + p[i + 1] + p[i + 2] + p[i + 3] + p[i + 4] + p[i + 5] + p[i + 6] + p[i + 7] +
         p[i + 8] + p[i + 9] + p[i + 10] + p[i + 11] + p[i + 12] + p[i + 13] + p[i + 14] +
         p[i + 15];
  for (; i < words; i++)
    s += p[i];
  bench_sink += s;
}

int bench_data_file(const char *path, size_t size) {
  struct stat64 st;
  if (stat(path, &st) == 0 && (uint64_t)st.st_size >= size)
    return 0;
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  static char zeros[64 * 1024];
  for (size_t off = 0; off < size;) {
    size_t n = size - off < sizeof(zeros) ? size - off : sizeof(zeros);
    ssize_t w = write(fd, zeros, n);
    if (w <= 0) {
      fprintf(stderr, "%s: write: %s\n", path, strerror(errno));
      close(fd);
      return -1;
    }
    off += (size_t)w;
  }
  close(fd);
  return 0;
}

long bench_bytes(const char *s) {
  char *end;
  long n = strtol(s, &end, 10);
  if (*end == 'k' || *end == 'K')
    n *= 1024;
  else if (*end == 'm' || *end == 'M')
    n *= 1024 * 1024;
  return n;
}

int bench_options(int argc, char **argv, struct bench_opts *o, const char *extra,
                  void (*on_option)(int opt, const char *arg)) {
  char spec[32];
  snprintf(spec, sizeof(spec), "N:W:%s", extra ? extra : "");
  o->n_given = o->warmup_given = 0;
  int c;
  while ((c = getopt(argc, argv, spec)) != -1) {
    if (c == 'N') {
      o->n = atol(optarg);
      o->n_given = 1;
    } else if (c == 'W') {
      o->warmup = atol(optarg);
      o->warmup_given = 1;
    } else if (c != '?' && on_option) {
      on_option(c, optarg);
    } else {
      return -1;
    }
  }
  if (o->n < 1)
    o->n = 1;
  if (!o->warmup_given || o->warmup < 0)
    o->warmup = o->n / 10 > 0 ? o->n / 10 : 1;
  return optind;
}

void bench_usage(const char *prog, const char *usage) {
  fprintf(stderr, "usage: %s [-N iterations] [-W warmup] %s\n", prog, usage);
  exit(2);
}
