/* lat_fs - file creation and deletion (lmbench's lat_fs).
 *
 *   lat_fs [-N n] [-W w] [-s size] [DIR]     lat_fs.create.<K>k, lat_fs.delete.<K>k
 *
 * Creates n files of size bytes (default 0 and 10k, each run apart when
 * -s is not given) in a fresh directory under DIR (default /tmp), at most
 * 100 to a subdirectory as lmbench does, then deletes them:
 *
 *   create  creat(name, 0666), one write of size bytes if size > 0, close
 *   delete  unlink(name)
 *
 * The names are made before the clock starts; files are made and removed
 * in reverse order of their names, as lmbench's loops count down. Each
 * figure is per file. A warm-up creates and deletes w files first. */
#include "bench.h"

#define FS_PER_DIR 100 /* lmbench's default -n */

struct files {
  long n;
  char **names;
  long ndirs;
  char **dirs;   /* dirs[0] is the top one */
  size_t size;
};

static char file_buf[128 * 1024];

static void die(const char *what) {
  perror(what);
  exit(1);
}

static char *copy(const char *s) {
  char *d = strdup(s);
  if (!d)
    die("lat_fs: malloc");
  return d;
}

/* Makes the directory tree and the names of n files under top. */
static void setup(struct files *f, const char *parent, const char *tag, long n) {
  char buf[256];
  f->n = n;
  f->ndirs = 1 + (n > FS_PER_DIR ? (n + FS_PER_DIR - 1) / FS_PER_DIR : 0);
  f->names = malloc(sizeof(char *) * (size_t)n);
  f->dirs = malloc(sizeof(char *) * (size_t)f->ndirs);
  if (!f->names || !f->dirs)
    die("lat_fs: malloc");
  snprintf(buf, sizeof(buf), "%s/lat_fs.%d.%s", parent, (int)getpid(), tag);
  f->dirs[0] = copy(buf);
  if (mkdir(buf, 0755) < 0)
    die(buf);
  for (long d = 1; d < f->ndirs; d++) {
    snprintf(buf, sizeof(buf), "%s/%ld", f->dirs[0], d - 1);
    f->dirs[d] = copy(buf);
    if (mkdir(buf, 0755) < 0)
      die(buf);
  }
  for (long i = 0; i < n; i++) {
    if (f->ndirs == 1)
      snprintf(buf, sizeof(buf), "%s/%ld", f->dirs[0], i);
    else
      snprintf(buf, sizeof(buf), "%s/%ld", f->dirs[1 + i / FS_PER_DIR], i % FS_PER_DIR);
    f->names[i] = copy(buf);
  }
}

static void teardown(struct files *f) {
  for (long i = 0; i < f->n; i++)
    free(f->names[i]);
  for (long d = f->ndirs - 1; d >= 0; d--) {
    if (rmdir(f->dirs[d]) < 0)
      die(f->dirs[d]);
    free(f->dirs[d]);
  }
  free(f->names);
  free(f->dirs);
}

static void do_create(long n, void *cookie) {
  struct files *f = cookie;
  while (n-- > 0) {
    int fd = creat(f->names[n], 0666);
    if (fd < 0)
      die(f->names[n]);
    if (f->size && write(fd, file_buf, f->size) != (ssize_t)f->size)
      die("lat_fs: write");
    close(fd);
  }
}

static void do_delete(long n, void *cookie) {
  struct files *f = cookie;
  while (n-- > 0)
    if (unlink(f->names[n]) < 0)
      die(f->names[n]);
}

static void measure(const char *dir, size_t size, struct bench_opts *o) {
  char create_id[48], delete_id[48], what[48];
  long k = (long)(size / 1024);
  snprintf(create_id, sizeof(create_id), "lat_fs.create.%ldk", k);
  snprintf(delete_id, sizeof(delete_id), "lat_fs.delete.%ldk", k);

  struct files warm = {.size = size}, f = {.size = size};
  bench_announce(create_id);
  if (o->warmup > 0) {
    setup(&warm, dir, "warm", o->warmup);
    do_create(o->warmup, &warm);
    do_delete(o->warmup, &warm);
    teardown(&warm);
  }
  setup(&f, dir, "files", o->n);
  struct bench_time c = bench_measure(create_id, do_create, o->n, 0, &f);
  snprintf(what, sizeof(what), "%ld KiB file create", k);
  bench_report(create_id, what, bench_net(c), o->n, c.overhead);

  bench_announce(delete_id);
  struct bench_time d = bench_measure(delete_id, do_delete, o->n, 0, &f);
  snprintf(what, sizeof(what), "%ld KiB file delete", k);
  bench_report(delete_id, what, bench_net(d), o->n, d.overhead);
  teardown(&f);
}

static long size = -1;
static void on_option(int c, const char *arg) {
  if (c == 's')
    size = bench_bytes(arg);
}

int main(int argc, char **argv) {
  const char *usage = "[-s size] [dir]";
  struct bench_opts o = {.n = 1000};
  int i = bench_options(argc, argv, &o, "s:", on_option);
  if (i < 0 || argc - i > 1 || size > (long)sizeof(file_buf))
    bench_usage("lat_fs", usage);
  const char *dir = i < argc ? argv[i] : "/tmp";
  if (size >= 0) {
    measure(dir, (size_t)size, &o);
  } else {
    measure(dir, 0, &o);
    measure(dir, 10 * 1024, &o);
  }
  return 0;
}
