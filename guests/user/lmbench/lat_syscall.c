/* lat_syscall - simple system calls (lmbench's lat_syscall).
 *
 *   lat_syscall [-N n] [-W w] null|read|write|stat|fstat|open [FILE]
 *
 *   null   getppid()                          lat_syscall.null
 *   read   read 1 byte of /dev/zero           lat_syscall.read
 *   write  write 1 byte to /dev/null          lat_syscall.write
 *   stat   stat FILE                          lat_syscall.stat
 *   fstat  fstat an open descriptor of FILE   lat_syscall.fstat
 *   open   open FILE read-only, then close    lat_syscall.open
 *
 * FILE defaults to /tmp/lmbench (lmbench's script stats $FSDIR/lmbench),
 * made empty if it is missing. Each operation is one call through the C
 * library, as on Linux; the timer and loop overheads are subtracted. */
#include "bench.h"

struct state {
  int fd;
  const char *file;
};

static void do_null(long n, void *cookie) {
  (void)cookie;
  while (n-- > 0)
    getppid();
}

static void do_read(long n, void *cookie) {
  struct state *s = cookie;
  char c;
  while (n-- > 0)
    if (read(s->fd, &c, 1) != 1) {
      perror("lat_syscall: read /dev/zero");
      exit(1);
    }
}

static void do_write(long n, void *cookie) {
  struct state *s = cookie;
  char c = 0;
  while (n-- > 0)
    if (write(s->fd, &c, 1) != 1) {
      perror("lat_syscall: write /dev/null");
      exit(1);
    }
}

static void do_stat(long n, void *cookie) {
  struct state *s = cookie;
  struct stat64 st;
  while (n-- > 0)
    if (stat(s->file, &st) < 0) {
      perror(s->file);
      exit(1);
    }
}

static void do_fstat(long n, void *cookie) {
  struct state *s = cookie;
  struct stat64 st;
  while (n-- > 0)
    if (fstat(s->fd, &st) < 0) {
      perror("lat_syscall: fstat");
      exit(1);
    }
}

static void do_open(long n, void *cookie) {
  struct state *s = cookie;
  while (n-- > 0) {
    int fd = open(s->file, O_RDONLY);
    if (fd < 0) {
      perror(s->file);
      exit(1);
    }
    close(fd);
  }
}

static const struct {
  const char *name, *id, *what;
  bench_fn fn;
  const char *dev;  /* opened first: the descriptor the calls use */
  int dev_flags;
} ops[] = {
    {"null", "lat_syscall.null", "Simple syscall", do_null, 0, 0},
    {"read", "lat_syscall.read", "Simple read", do_read, "/dev/zero", O_RDONLY},
    {"write", "lat_syscall.write", "Simple write", do_write, "/dev/null", O_WRONLY},
    {"stat", "lat_syscall.stat", "Simple stat", do_stat, 0, 0},
    {"fstat", "lat_syscall.fstat", "Simple fstat", do_fstat, "", O_RDONLY},
    {"open", "lat_syscall.open", "Simple open/close", do_open, 0, 0},
};

int main(int argc, char **argv) {
  const char *usage = "null|read|write|stat|fstat|open [file]";
  struct bench_opts o = {.n = 10000};
  int i = bench_options(argc, argv, &o, 0, 0);
  if (i < 0 || i >= argc || argc - i > 2)
    bench_usage("lat_syscall", usage);
  struct state s = {-1, argc - i == 2 ? argv[i + 1] : "/tmp/lmbench"};
  for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
    if (strcmp(argv[i], ops[k].name))
      continue;
    if (ops[k].fn == do_stat || ops[k].fn == do_fstat || ops[k].fn == do_open)
      if (bench_data_file(s.file, 0) < 0)
        return 1;
    if (ops[k].dev) {
      const char *path = *ops[k].dev ? ops[k].dev : s.file;
      s.fd = open(path, ops[k].dev_flags);
      if (s.fd < 0) {
        fprintf(stderr, "lat_syscall: %s: %s\n", path, strerror(errno));
        return 1;
      }
    }
    bench_announce(ops[k].id);
    struct bench_time t = bench_measure(ops[k].id, ops[k].fn, o.n, o.warmup, &s);
    bench_report(ops[k].id, ops[k].what, bench_net(t), o.n, t.overhead);
    return 0;
  }
  bench_usage("lat_syscall", usage);
}
