/* lat_mmap - making and breaking a mapping (lmbench's lat_mmap).
 *
 *   lat_mmap [-N n] [-W w] SIZE FILE                       lat_mmap
 *
 * Each operation maps SIZE bytes of FILE (read/write, MAP_SHARED), writes
 * one byte every 16 KiB of its first tenth (lmbench: "to have both sparse
 * and full mappings reported", an algorithm it credits to Linus), and
 * unmaps it all. FILE is made SIZE bytes long (zeros) if it is shorter.
 * lmbench's script runs SIZE up to its memory setting; our suite uses
 * 8 MiB (1 MiB with --quick). The figure is per map+touch+unmap. */
#include "bench.h"

#define MMAP_STRIDE (16 * 1024) /* lmbench's PSIZE */
#define MMAP_PART 10            /* lmbench's N: the first tenth is touched */

struct state {
  int fd;
  size_t size;
};

static void do_mapping(long n, void *cookie) {
  struct state *s = cookie;
  char c = (char)(s->size & 0xff);
  while (n-- > 0) {
    char *where = mmap(0, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (where == MAP_FAILED) {
      perror("lat_mmap: mmap");
      exit(1);
    }
    char *end = where + s->size / MMAP_PART;
    for (volatile char *p = where; p < end; p += MMAP_STRIDE)
      *p = c;
    munmap(where, s->size);
  }
}

int main(int argc, char **argv) {
  const char *usage = "size file";
  struct bench_opts o = {.n = 200};
  int i = bench_options(argc, argv, &o, 0, 0);
  if (i < 0 || i + 2 != argc)
    bench_usage("lat_mmap", usage);
  struct state s;
  long size = bench_bytes(argv[i]);
  if (size < 2 * 10 * MMAP_STRIDE) { /* lmbench's MINSIZE */
    fprintf(stderr, "lat_mmap: size %ld is below lmbench's minimum %d\n", size, 20 * MMAP_STRIDE);
    return 1;
  }
  s.size = (size_t)size;
  if (bench_data_file(argv[i + 1], s.size) < 0)
    return 1;
  s.fd = open(argv[i + 1], O_RDWR);
  if (s.fd < 0) {
    perror(argv[i + 1]);
    return 1;
  }
  bench_announce("lat_mmap");
  struct bench_time t = bench_measure("lat_mmap", do_mapping, o.n, o.warmup, &s);
  char what[64];
  snprintf(what, sizeof(what), "mmap+touch+munmap of %ld KiB", size / 1024);
  bench_report("lat_mmap", what, bench_net(t), o.n, t.overhead);
  close(s.fd);
  return 0;
}
