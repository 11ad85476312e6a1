/* lat_select - select on many descriptors (lmbench's lat_select).
 *
 *   lat_select [-N n] [-W w] [-n descriptors] pipe          lat_select.pipe100
 *
 * lmbench times select() for writing on N descriptors that are all ready,
 * with a zero timeout, copying the descriptor set before each call; the
 * Xen paper ran it on 100 TCP sockets. Our kernel has no sockets: the
 * descriptors here are 100 copies (dup) of one pipe's write end, which is
 * always writable, as the connected sockets were. select is given the
 * highest descriptor plus one (lmbench passes the count, which on a system
 * where the copies start at 3 leaves the last three out). The id names the
 * count: -n 100 gives lat_select.pipe100. */
#include "bench.h"

struct state {
  fd_set set;
  int max;
};

static void do_select(long n, void *cookie) {
  struct state *s = cookie;
  struct timeval tv = {0, 0};
  while (n-- > 0) {
    fd_set w = s->set;
    select(s->max + 1, 0, &w, 0, &tv);
  }
}

static long count = 100;
static void on_option(int c, const char *arg) {
  if (c == 'n')
    count = atol(arg);
}

int main(int argc, char **argv) {
  const char *usage = "[-n descriptors] pipe";
  struct bench_opts o = {.n = 2000};
  int i = bench_options(argc, argv, &o, "n:", on_option);
  if (i < 0 || i + 1 != argc || strcmp(argv[i], "pipe") || count < 1 || count > 1000)
    bench_usage("lat_select", usage);
  int p[2];
  if (pipe(p) < 0) {
    perror("lat_select: pipe");
    return 1;
  }
  struct state s;
  FD_ZERO(&s.set);
  s.max = 0;
  for (long k = 0; k < count; k++) {
    int fd = dup(p[1]);
    if (fd < 0) {
      perror("lat_select: dup");
      return 1;
    }
    FD_SET(fd, &s.set);
    if (fd > s.max)
      s.max = fd;
  }
  char id[32], what[64];
  snprintf(id, sizeof(id), "lat_select.pipe%ld", count);
  snprintf(what, sizeof(what), "Select on %ld fd's (pipes, not TCP)", count);
  bench_announce(id);
  struct bench_time t = bench_measure(id, do_select, o.n, o.warmup, &s);
  bench_report(id, what, bench_net(t), o.n, t.overhead);
  return 0;
}
