/* lat_pagefault - page faults on a mapped file (lmbench's lat_pagefault).
 *
 *   lat_pagefault [-N n] [-W w] FILE                       lat_pagefault
 *
 * FILE (at least 1 MiB, lmbench's minimum; made if missing) is mapped
 * read-only and MAP_SHARED. Each of the n rounds reads one byte of every
 * page in a fixed shuffled order (lmbench shuffles with rand(); ours is a
 * fixed-seed generator, so every run is the same), then unmaps and maps the
 * file again. The pages are in the page cache: each read is a fault that
 * maps a cached page. lmbench subtracts the cost of the munmap and mmap,
 * measured alone over n rounds:
 *
 *   cycles per fault = (rounds with reads - rounds without) / (n pages)
 */
#include "bench.h"

struct state {
  int fd;
  size_t size;
  long npages;
  long *order; /* byte offsets of the pages, shuffled */
  char *where;
};

static void remap(struct state *s) {
  munmap(s->where, s->size);
  s->where = mmap(0, s->size, PROT_READ, MAP_SHARED, s->fd, 0);
  if (s->where == MAP_FAILED) {
    perror("lat_pagefault: mmap");
    exit(1);
  }
}

static volatile int sink;

static void do_faults(long n, void *cookie) {
  struct state *s = cookie;
  int sum = 0;
  while (n-- > 0) {
    for (long i = 0; i < s->npages; i++)
      sum += *(volatile char *)(s->where + s->order[i]);
    remap(s);
  }
  sink = sum;
}

static void do_remap(long n, void *cookie) {
  struct state *s = cookie;
  while (n-- > 0)
    remap(s);
}

int main(int argc, char **argv) {
  const char *usage = "file";
  struct bench_opts o = {.n = 10};
  int i = bench_options(argc, argv, &o, 0, 0);
  if (i < 0 || i + 1 != argc)
    bench_usage("lat_pagefault", usage);
  const char *file = argv[i];
  if (bench_data_file(file, 1024 * 1024) < 0)
    return 1;
  struct state s;
  s.fd = open(file, O_RDONLY);
  struct stat64 st;
  if (s.fd < 0 || fstat(s.fd, &st) < 0) {
    perror(file);
    return 1;
  }
  s.size = (size_t)st.st_size & ~(size_t)4095;
  s.npages = (long)(s.size / 4096);
  s.order = malloc(sizeof(long) * (size_t)s.npages);
  if (!s.order) {
    perror("lat_pagefault: malloc");
    return 1;
  }
  for (long k = 0; k < s.npages; k++)
    s.order[k] = k * 4096;
  uint32_t seed = 12345; /* Fisher-Yates with a fixed LCG (Numerical Recipes') */
  for (long k = s.npages - 1; k > 0; k--) {
    seed = seed * 1664525u + 1013904223u;
    long j = (long)(seed % (uint32_t)(k + 1));
    long t = s.order[k];
    s.order[k] = s.order[j];
    s.order[j] = t;
  }
  s.where = mmap(0, s.size, PROT_READ, MAP_SHARED, s.fd, 0);
  if (s.where == MAP_FAILED) {
    perror("lat_pagefault: mmap");
    return 1;
  }
  bench_announce("lat_pagefault");
  struct bench_time mapping = bench_measure(0, do_remap, o.n, o.warmup, &s);
  struct bench_time combined = bench_measure("lat_pagefault", do_faults, o.n, o.warmup, &s);
  int64_t ops = (int64_t)o.n * s.npages;
  int64_t mapping_cost = bench_net(mapping); /* the same n rounds */
  char what[80];
  snprintf(what, sizeof(what), "Pagefaults on %s (%ld pages)", file, s.npages);
  bench_report("lat_pagefault", what, bench_net(combined) - mapping_cost, ops,
               combined.overhead + mapping_cost);
  return 0;
}
