/* trace/cli.c - `ringlab trace stats|dump FILE`: reads a trace file
 * (trace/FORMAT.md). A damaged file: the records before the damage are
 * still used, then one error line naming the damaged block, exit 64.
 *
 *   ringlab trace stats FILE
 *   ringlab trace dump FILE [--event NAME] [--class CLASS] [--cpl N]
 *                           [--from CYCLE] [--to CYCLE]
 */
#include "trace.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 512
#define EXIT_USAGE 64

static void usage(FILE *out) {
  fprintf(out, "usage: ringlab trace stats FILE\n"
               "       ringlab trace dump FILE [--event NAME] [--class CLASS] [--cpl N]\n"
               "                               [--from CYCLE] [--to CYCLE]\n"
               "\n"
               "stats: record counts by event (the names of run --stats \"events\"), by CPL,\n"
               "and the cycle span. dump: one line per record, \"CYCLE cpuN cplN CS:EIP EVENT\";\n"
               "--event takes a counter name (exception.14) or a row's key (exception);\n"
               "--from and --to bound the cycle, both inclusive.\n"
               "exit status: 0, 64 bad usage or a damaged, truncated or foreign file.\n");
}

static int fail(const char *msg) {
  fprintf(stderr, "ringlab trace: %s\n", msg);
  return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!*s || *s == '-' || *s == '+')
    return false;
  char *end;
  unsigned long long v = strtoull(s, &end, 0);
  if (*end)
    return false;
  *out = v;
  return true;
}

struct name_slot {
  char key[40]; /* the row's key */
  unsigned slot;
};

/* The order of --stats: by key, then index (a row's slots are in index
 * order). */
static int by_name(const void *a, const void *b) {
  const struct name_slot *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : x->slot < y->slot ? -1 : x->slot > y->slot;
}

static int stats(const char *path) {
  char err[ERR_BYTES];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  if (!r)
    return fail(err);
  unsigned n = trace_reader_slot_count(r);
  uint64_t *count = calloc(n ? n : 1, sizeof *count);
  struct name_slot *names = calloc(n ? n : 1, sizeof *names);
  if (!count || !names) {
    free(count);
    free(names);
    trace_reader_close(r);
    return fail("out of memory");
  }
  uint64_t cpl[4] = {0}, records = 0, first = 0, last = 0;
  struct trace_record rec;
  int rc;
  while ((rc = trace_reader_next(r, &rec, err, sizeof err)) == 1) {
    if (rec.slot < n)
      count[rec.slot]++;
    cpl[rec.cpl & 3]++;
    if (!records++)
      first = rec.cycle;
    last = rec.cycle;
  }
  const struct trace_run_info *info = trace_reader_info(r);
  printf("format_version %u\nringlab_version %s\npreset %s\nfrequency_hz %llu\n", trace_reader_version(r),
         info->ringlab_version, info->preset, (unsigned long long)info->frequency_hz);
  printf("records %llu\n", (unsigned long long)records);
  if (rc == 0)
    printf("end_cycle %llu\n", (unsigned long long)trace_reader_end_cycle(r));
  printf("first_cycle %llu\nlast_cycle %llu\n", (unsigned long long)first, (unsigned long long)last);
  for (unsigned k = 0; k < 4; k++)
    printf("cpl.%u %llu\n", k, (unsigned long long)cpl[k]);
  /* The events, as --stats lists them: every recorded plain counter and
   * every nonzero indexed one, sorted by name. */
  unsigned m = 0;
  for (unsigned s = 0; s < n; s++) {
    int indexed;
    const char *key = trace_reader_slot_key(r, s, &indexed);
    if (!key || !trace_reader_slot_recorded(r, s) || (indexed && count[s] == 0))
      continue;
    snprintf(names[m].key, sizeof names[m].key, "%s", key);
    names[m++].slot = s;
  }
  qsort(names, m, sizeof names[0], by_name);
  for (unsigned k = 0; k < m; k++) {
    char name[40];
    trace_reader_slot_name(r, names[k].slot, name, sizeof name);
    printf("event.%s %llu\n", name, (unsigned long long)count[names[k].slot]);
  }
  /* Rows this file does not record (filtered out, or not recorded yet). */
  for (unsigned s = 0; s < n; s++) {
    int indexed;
    const char *key = trace_reader_slot_key(r, s, &indexed);
    if (key && !trace_reader_slot_recorded(r, s) && trace_reader_slot_key(r, s - 1, &indexed) != key)
      printf("not_recorded %s\n", key);
  }
  free(count);
  free(names);
  trace_reader_close(r);
  if (rc < 0)
    return fail(err);
  return 0;
}

static int dump(const char *path, int argc, char **argv) {
  const char *event = NULL, *class = NULL;
  int want_cpl = -1;
  uint64_t from = 0, to = UINT64_MAX;
  for (int k = 0; k < argc; k++) {
    const char *a = argv[k];
    if (k + 1 >= argc) {
      fprintf(stderr, "ringlab trace: '%s' needs a value (try 'ringlab trace --help')\n", a);
      return EXIT_USAGE;
    }
    const char *v = argv[++k];
    uint64_t u;
    if (strcmp(a, "--event") == 0)
      event = v;
    else if (strcmp(a, "--class") == 0)
      class = v;
    else if (strcmp(a, "--cpl") == 0 && parse_u64(v, &u) && u <= 3)
      want_cpl = (int)u;
    else if (strcmp(a, "--from") == 0 && parse_u64(v, &u))
      from = u;
    else if (strcmp(a, "--to") == 0 && parse_u64(v, &u))
      to = u;
    else {
      fprintf(stderr, "ringlab trace: bad option or value '%s %s' (try 'ringlab trace --help')\n", a, v);
      return EXIT_USAGE;
    }
  }
  char err[ERR_BYTES];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  if (!r)
    return fail(err);
  size_t elen = event ? strlen(event) : 0;
  struct trace_record rec;
  int rc;
  while ((rc = trace_reader_next(r, &rec, err, sizeof err)) == 1) {
    char name[40];
    if (trace_reader_slot_name(r, rec.slot, name, sizeof name) < 0)
      snprintf(name, sizeof name, "slot.%u", rec.slot);
    if (rec.cycle < from || rec.cycle > to || (want_cpl >= 0 && rec.cpl != want_cpl))
      continue;
    if (event && strcmp(name, event) != 0 && !(strncmp(name, event, elen) == 0 && name[elen] == '.'))
      continue;
    const char *cls = trace_reader_slot_class(r, rec.slot);
    if (class && (!cls || strcmp(cls, class) != 0))
      continue;
    printf("%llu cpu%u cpl%u %04x:%08x %s\n", (unsigned long long)rec.cycle, rec.cpu, rec.cpl, rec.cs, rec.eip, name);
  }
  trace_reader_close(r);
  if (rc < 0) {
    fflush(stdout);
    return fail(err);
  }
  return 0;
}

int trace_main(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  if (argc < 3) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "stats") == 0 && argc == 3)
    return stats(argv[2]);
  if (strcmp(argv[1], "dump") == 0)
    return dump(argv[2], argc - 3, argv + 3);
  usage(stderr);
  return EXIT_USAGE;
}
