/* trace/cli.c - `ringlab trace stats|dump|export FILE`: reads a trace
 * file (trace/FORMAT.md) through the public reader API only (trace.h). A
 * damaged file: the records before the damage are still used, then one
 * error line naming the damaged block, exit 64.
 *
 *   ringlab trace stats FILE [FILTERS]
 *   ringlab trace dump FILE [FILTERS] [--disasm]
 *   ringlab trace export --format chrome|csv FILE [FILTERS] [-o PATH]
 *   FILTERS: [--event NAME,...] [--class CLASS,...] [--cpl N] [--from CYCLE] [--to CYCLE]
 *            [--eip-from ADDR] [--eip-to ADDR]
 *
 * Beyond the records one by one, three things are rebuilt from them: the
 * CPL over time (a record's CPL held up to it; after ring.FtoT it is T),
 * the hypercalls (hypercall.N opens one, hypercall_return.N closes the
 * innermost open one) and the regions of interest (region_begin.N opens
 * region N, region_end.N closes it; the name is in the records' fields).
 * stats totals cycles by all three; export --format chrome draws them as
 * complete events on the track of their CPL.
 */
#include "trace.h"

#include <capstone/capstone.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 512
#define EXIT_USAGE 64

static void usage(FILE *out) {
  fprintf(out, "usage: ringlab trace stats FILE [FILTERS]\n"
               "       ringlab trace dump FILE [FILTERS] [--disasm]\n"
               "       ringlab trace export --format chrome|csv FILE [FILTERS] [-o PATH]\n"
               "FILTERS: [--event NAME,...] [--class CLASS,...] [--cpl N] [--from CYCLE] [--to CYCLE]\n"
               "         [--eip-from ADDR] [--eip-to ADDR]\n"
               "\n"
               "stats: record counts by event (event.NAME, the names of run --stats \"events\"),\n"
               "cycle totals where an event has a span or a cycles field (event.NAME.cycles:\n"
               "hypercall.N from entry to return), records and cycles by CPL (cpl.N,\n"
               "cpl.N.cycles), the cycle span, Xen's names of the hypercalls seen\n"
               "(name.hypercall.N NAME). dump: one line per record,\n"
               "\"CYCLE cpuN cplN CS:EIP EVENT [FIELD=VALUE ...]\", values by name where they\n"
               "have one (mechanism=iret, register=cr3, call=mmu_update for a hypercall),\n"
               "with --disasm \"| INSTRUCTION\" (the instruction at CS:EIP, Capstone).\n"
               "export: chrome (trace-event JSON for Perfetto or chrome://tracing: ts in\n"
               "microseconds, one track per CPL with its stretches and hypercalls (by Xen's\n"
               "name) as spans, events as instants) or csv (header\n"
               "cycle,cpu,cpl,cs,eip,event,fields,bytes; field values in hex), to standard\n"
               "output or PATH. --event takes counter names (exception.14) or rows' keys\n"
               "(exception), --class class names, comma-separated; --from/--to bound the cycle\n"
               "and --eip-from/--eip-to the EIP, all inclusive.\n"
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

static void record_name(const struct trace_reader *r, const struct trace_record *rec, char *name, size_t n) {
  if (trace_reader_slot_name(r, rec->slot, name, n) < 0)
    snprintf(name, n, "slot.%u", rec->slot);
}

/* The record filters of stats, dump and export. */
struct filter {
  const char *event, *class;
  int cpl;
  uint64_t from, to, eip_from, eip_to;
};

/* Parses argv[*k] (and its value) if it is a filter option: 1 taken, 0 not
 * a filter option, -1 bad value (reported). */
static int filter_option(struct filter *f, int argc, char **argv, int *k) {
  static const char *const names[] = {"--event", "--class", "--cpl", "--from", "--to", "--eip-from", "--eip-to"};
  const char *a = argv[*k];
  unsigned which = 0;
  while (which < sizeof names / sizeof names[0] && strcmp(a, names[which]) != 0)
    which++;
  if (which == sizeof names / sizeof names[0])
    return 0;
  if (*k + 1 >= argc) {
    fprintf(stderr, "ringlab trace: '%s' needs a value (try 'ringlab trace --help')\n", a);
    return -1;
  }
  const char *v = argv[++*k];
  uint64_t u = 0;
  bool ok = which < 2 || parse_u64(v, &u);
  switch (which) {
  case 0: f->event = v; break;
  case 1: f->class = v; break;
  case 2: ok = ok && u <= 3; f->cpl = (int)u; break;
  case 3: f->from = u; break;
  case 4: f->to = u; break;
  case 5: f->eip_from = u; break;
  default: f->eip_to = u; break;
  }
  if (!ok) {
    fprintf(stderr, "ringlab trace: bad value '%s %s' (try 'ringlab trace --help')\n", a, v);
    return -1;
  }
  return 1;
}

static void filter_init(struct filter *f) {
  *f = (struct filter){.cpl = -1, .to = UINT64_MAX, .eip_to = UINT64_MAX};
}

/* Whether name is in list, a comma-separated list of names, or (prefix
 * true) starts with one of them and a '.' (a row's key matches its
 * counters: "exception" matches "exception.14"). */
static bool in_list(const char *list, const char *name, bool prefix) {
  for (const char *p = list; *p;) {
    size_t w = strcspn(p, ",");
    if (w && strncmp(name, p, w) == 0 && (name[w] == 0 || (prefix && name[w] == '.')))
      return true;
    p += w;
    p += *p == ',';
  }
  return false;
}

/* Whether the records of slot (named name) pass the --event and --class
 * filters of f. */
static bool filter_names_pass(const struct filter *f, const struct trace_reader *r, unsigned slot,
                              const char *name) {
  if (f->event && !in_list(f->event, name, true))
    return false;
  const char *cls = trace_reader_slot_class(r, slot);
  return !f->class || (cls && in_list(f->class, cls, false));
}

/* Whether rec (named name) passes f. */
static bool filter_pass(const struct filter *f, const struct trace_reader *r, const struct trace_record *rec,
                        const char *name) {
  if (rec->cycle < f->from || rec->cycle > f->to || (f->cpl >= 0 && rec->cpl != f->cpl) || rec->eip < f->eip_from ||
      rec->eip > f->eip_to)
    return false;
  return filter_names_pass(f, r, rec->slot, name);
}

/* What the reader does with a slot beyond naming it: privilege-level
 * changes move the CPL timeline, hypercall marks open and close spans, a
 * "cycles" field adds to the event's cycle total. From the file's own
 * catalog (its keys and field names), so a file of another build reads the
 * same way. */
enum slot_kind { SLOT_PLAIN, SLOT_RING, SLOT_HYPERCALL, SLOT_HYPERCALL_RETURN, SLOT_REGION_BEGIN, SLOT_REGION_END };
struct slot_info {
  uint8_t kind;       /* enum slot_kind */
  uint8_t index;      /* hypercall or region number; ring: the CPL changed to */
  int8_t cycles_field; /* the field named "cycles", or -1 */
  int8_t count_field;  /* the field named "count" (the record stands for that many events), or -1 */
};

/* The per-slot table of r's catalog (trace_reader_slot_count entries), or
 * NULL when out of memory. */
static struct slot_info *slot_infos(const struct trace_reader *r) {
  unsigned n = trace_reader_slot_count(r);
  struct slot_info *t = calloc(n ? n : 1, sizeof *t);
  for (unsigned s = 0; t && s < n; s++) {
    int indexed = 0;
    const char *key = trace_reader_slot_key(r, s, &indexed);
    char name[40];
    t[s].cycles_field = -1;
    t[s].count_field = -1;
    if (!key || trace_reader_slot_name(r, s, name, sizeof name) < 0)
      continue;
    const char *idx = name + strlen(key);
    unsigned v = 0, from = 0, to = 0;
    if (indexed && strcmp(key, "ring") == 0 && sscanf(idx, ".%uto%u", &from, &to) == 2 && to < 4) {
      t[s].kind = SLOT_RING;
      t[s].index = (uint8_t)to;
    } else if (indexed && (strcmp(key, "hypercall") == 0 || strcmp(key, "hypercall_return") == 0) &&
               sscanf(idx, ".%u", &v) == 1 && v < 256) {
      t[s].kind = strcmp(key, "hypercall") == 0 ? SLOT_HYPERCALL : SLOT_HYPERCALL_RETURN;
      t[s].index = (uint8_t)v;
    } else if (indexed && (strcmp(key, "region_begin") == 0 || strcmp(key, "region_end") == 0) &&
               sscanf(idx, ".%u", &v) == 1 && v < 256) {
      t[s].kind = strcmp(key, "region_begin") == 0 ? SLOT_REGION_BEGIN : SLOT_REGION_END;
      t[s].index = (uint8_t)v;
    }
    const char *f = trace_reader_slot_fields(r, s);
    for (int k = 0; f && *f && k < TRACE_FIELDS_MAX; k++) {
      size_t w = strcspn(f, " ");
      if (w == 6 && strncmp(f, "cycles", 6) == 0)
        t[s].cycles_field = (int8_t)k;
      if (w == 5 && strncmp(f, "count", 5) == 0)
        t[s].count_field = (int8_t)k;
      f += w;
      f += strspn(f, " ");
    }
  }
  return t;
}

/* Xen's name of the hypercall a hypercall.N or hypercall_return.N slot
 * marks ("mmu_update"), or NULL for other slots and unnamed numbers. */
static const char *hypercall_label(const struct slot_info *si, unsigned n, unsigned slot) {
  if (slot >= n || (si[slot].kind != SLOT_HYPERCALL && si[slot].kind != SLOT_HYPERCALL_RETURN))
    return NULL;
  return trace_hypercall_name(si[slot].index);
}

/* The CPL over time, from the records: a record's CPL held up to it (its
 * site's), and after a ring.FtoT record the CPL is T. Before the first
 * record the run was at the first record's CPL, from cycle 0. Each stretch
 * at one CPL is handed to span(ctx, cpl, start, end) as it closes. */
struct cpl_timeline {
  int cpl; /* -1 before the first record */
  uint64_t since;
  void (*span)(void *ctx, unsigned cpl, uint64_t start, uint64_t end);
  void *ctx;
};

static void cpl_move(struct cpl_timeline *t, unsigned cpl, uint64_t cycle) {
  if (t->cpl < 0) {
    t->cpl = (int)cpl;
    t->since = 0;
  } else if ((unsigned)t->cpl != cpl) {
    if (cycle > t->since)
      t->span(t->ctx, (unsigned)t->cpl, t->since, cycle);
    t->cpl = (int)cpl;
    t->since = cycle;
  }
}

static void cpl_record(struct cpl_timeline *t, const struct slot_info *si, const struct trace_record *rec) {
  cpl_move(t, rec->cpl & 3u, rec->cycle);
  if (si && si->kind == SLOT_RING)
    cpl_move(t, si->index, rec->cycle);
}

/* Cuts the stretch running at cycle in two (the same CPL on both sides):
 * the Chrome export cuts at region boundaries, so that a region, which may
 * span several stretches of its CPL, holds whole stretches and the spans
 * of a track nest. */
static void cpl_split(struct cpl_timeline *t, uint64_t cycle) {
  if (t->cpl >= 0 && cycle > t->since) {
    t->span(t->ctx, (unsigned)t->cpl, t->since, cycle);
    t->since = cycle;
  }
}

static void cpl_end(struct cpl_timeline *t, uint64_t end) {
  if (t->cpl >= 0 && end > t->since)
    t->span(t->ctx, (unsigned)t->cpl, t->since, end);
}

/* Hypercalls open at a record: the marks nest (ringlab_ops.h), a return
 * closes the innermost open hypercall of its number. A return that matches
 * none is left unpaired (its instant stays); hypercalls still open at the
 * end close at the end cycle, without a result. */
#define HYPERCALL_STACK 16
struct hypercall_span {
  unsigned number, cpl, n_args;
  uint64_t start;
  uint32_t arg[3];
};
struct hypercall_stack {
  struct hypercall_span open[HYPERCALL_STACK];
  unsigned depth;
  /* closed(ctx, span, end, has_result, result) */
  void (*closed)(void *ctx, const struct hypercall_span *h, uint64_t end, bool has_result, uint32_t result);
  void *ctx;
};

static void hypercall_record(struct hypercall_stack *st, const struct slot_info *si,
                             const struct trace_record *rec) {
  if (!si)
    return;
  if (si->kind == SLOT_HYPERCALL && st->depth < HYPERCALL_STACK) {
    struct hypercall_span *h = &st->open[st->depth++];
    *h = (struct hypercall_span){.number = si->index, .cpl = rec->cpl & 3u, .start = rec->cycle};
    h->n_args = rec->n_fields < 3 ? rec->n_fields : 3;
    memcpy(h->arg, rec->field, h->n_args * sizeof h->arg[0]);
  } else if (si->kind == SLOT_HYPERCALL_RETURN && st->depth && st->open[st->depth - 1].number == si->index) {
    st->depth--;
    st->closed(st->ctx, &st->open[st->depth], rec->cycle, rec->n_fields > 0, rec->field[0]);
  }
}

static void hypercall_end(struct hypercall_stack *st, uint64_t end) {
  while (st->depth) {
    st->depth--;
    st->closed(st->ctx, &st->open[st->depth], end, false, 0);
  }
}

/* The text packed into four 32-bit fields, little-endian, NUL-padded
 * (region names and annotations, machine/opsport.c): up to 16 bytes. */
#define PACKED_TEXT_MAX 16
static void unpack_text(const uint32_t *f, unsigned n, char out[PACKED_TEXT_MAX + 1]) {
  unsigned len = 0;
  for (unsigned k = 0; k < n * 4 && k < PACKED_TEXT_MAX; k++) {
    char ch = (char)(f[k / 4] >> (8 * (k % 4)));
    if (!ch)
      break;
    out[len++] = ch;
  }
  out[len] = 0;
}

/* Regions of interest: region_begin.N opens region N (its name in the
 * record's fields, cut to 16 bytes), region_end.N closes it. A region is
 * open at most once (the ops port refuses a second begin); an end that
 * matches no open region is left alone; regions still open at the end
 * close at the end cycle, as --stats reports a region open at exit. */
#define REGIONS_MAX 256
struct region_span {
  bool open, seen;
  unsigned cpl, slot; /* slot: of its first begin record */
  uint64_t start;
  char name[PACKED_TEXT_MAX + 1];
};
struct region_set {
  struct region_span r[REGIONS_MAX];
  /* closed(ctx, number, region, end) */
  void (*closed)(void *ctx, unsigned number, const struct region_span *r, uint64_t end);
  void *ctx;
};

/* Returns whether rec opened or closed a region. */
static bool region_record(struct region_set *rs, const struct slot_info *si, const struct trace_record *rec) {
  if (!si || (si->kind != SLOT_REGION_BEGIN && si->kind != SLOT_REGION_END))
    return false;
  struct region_span *r = &rs->r[si->index];
  if (si->kind == SLOT_REGION_BEGIN) {
    if (r->open)
      return false;
    bool seen = r->seen;
    unsigned slot = seen ? r->slot : rec->slot;
    *r = (struct region_span){.open = true, .seen = true, .cpl = rec->cpl & 3u, .slot = slot, .start = rec->cycle};
    unpack_text(rec->field, rec->n_fields, r->name);
    return true;
  }
  if (!r->open)
    return false;
  r->open = false;
  rs->closed(rs->ctx, si->index, r, rec->cycle);
  return true;
}

static void region_end_all(struct region_set *rs, uint64_t end) {
  for (unsigned k = 0; k < REGIONS_MAX; k++)
    if (rs->r[k].open) {
      rs->r[k].open = false;
      rs->closed(rs->ctx, k, &rs->r[k], end);
    }
}

/* stats: cycles by CPL, by hypercall number and by region. */
struct stat_cycles {
  uint64_t cpl[4];
  uint64_t hypercall[256];
  bool hypercall_seen[256];
  uint64_t region[REGIONS_MAX], region_spans[REGIONS_MAX];
};

static void stat_region(void *ctx, unsigned number, const struct region_span *r, uint64_t end) {
  struct stat_cycles *c = ctx;
  c->region[number] += end - r->start;
  c->region_spans[number]++;
}

static void stat_cpl_span(void *ctx, unsigned cpl, uint64_t start, uint64_t end) {
  ((struct stat_cycles *)ctx)->cpl[cpl] += end - start;
}

static void stat_hypercall(void *ctx, const struct hypercall_span *h, uint64_t end, bool has_result,
                           uint32_t result) {
  (void)has_result;
  (void)result;
  struct stat_cycles *c = ctx;
  c->hypercall[h->number] += end - h->start;
  c->hypercall_seen[h->number] = true;
}

/* stats FILE [FILTERS]: the filters select the records counted (and with
 * --event/--class the events listed); the CPL timeline and the hypercall
 * spans are built from every record, as the export's. */
static int stats(const char *path, int argc, char **argv) {
  struct filter f;
  filter_init(&f);
  for (int k = 0; k < argc; k++) {
    int t = filter_option(&f, argc, argv, &k);
    if (t < 0)
      return EXIT_USAGE;
    if (!t) {
      fprintf(stderr, "ringlab trace: bad option '%s' (try 'ringlab trace --help')\n", argv[k]);
      return EXIT_USAGE;
    }
  }
  char err[ERR_BYTES];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  if (!r)
    return fail(err);
  unsigned n = trace_reader_slot_count(r);
  uint64_t *count = calloc(n ? n : 1, sizeof *count);
  uint64_t *cycles = calloc(n ? n : 1, sizeof *cycles);
  struct name_slot *names = calloc(n ? n : 1, sizeof *names);
  struct slot_info *si = slot_infos(r);
  struct stat_cycles *sc = calloc(1, sizeof *sc);
  if (!count || !cycles || !names || !si || !sc) {
    free(count);
    free(cycles);
    free(names);
    free(si);
    free(sc);
    trace_reader_close(r);
    return fail("out of memory");
  }
  uint64_t cpl[4] = {0}, records = 0, first = 0, last = 0;
  struct trace_record rec;
  int rc;
  struct cpl_timeline tl = {.cpl = -1, .span = stat_cpl_span, .ctx = sc};
  struct hypercall_stack hs = {.closed = stat_hypercall, .ctx = sc};
  struct region_set *rs = calloc(1, sizeof *rs);
  if (!rs) {
    free(count);
    free(cycles);
    free(names);
    free(si);
    free(sc);
    trace_reader_close(r);
    return fail("out of memory");
  }
  rs->closed = stat_region;
  rs->ctx = sc;
  while ((rc = trace_reader_next(r, &rec, err, sizeof err)) == 1) {
    const struct slot_info *i = rec.slot < n ? &si[rec.slot] : NULL;
    cpl_record(&tl, i, &rec);
    hypercall_record(&hs, i, &rec);
    region_record(rs, i, &rec);
    char name[40];
    record_name(r, &rec, name, sizeof name);
    if (!filter_pass(&f, r, &rec, name))
      continue;
    if (i) {
      if (i->count_field >= 0 && i->count_field < rec.n_fields)
        count[rec.slot] += rec.field[(unsigned)i->count_field];
      else
        count[rec.slot]++;
      if (i->cycles_field >= 0 && i->cycles_field < rec.n_fields)
        cycles[rec.slot] += rec.field[(unsigned)i->cycles_field];
    }
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
  uint64_t end = rc == 0 ? trace_reader_end_cycle(r) : last;
  cpl_end(&tl, end);
  hypercall_end(&hs, end);
  region_end_all(rs, end);
  for (unsigned k = 0; k < 4; k++)
    printf("cpl.%u %llu\ncpl.%u.cycles %llu\n", k, (unsigned long long)cpl[k], k,
           (unsigned long long)sc->cpl[k]);
  /* The events, as --stats lists them: every recorded plain counter and
   * every nonzero indexed one, sorted by name. */
  unsigned m = 0;
  for (unsigned s = 0; s < n; s++) {
    int indexed;
    const char *key = trace_reader_slot_key(r, s, &indexed);
    char name[40];
    if (!key || !trace_reader_slot_recorded(r, s) || (indexed && count[s] == 0) ||
        trace_reader_slot_name(r, s, name, sizeof name) < 0 || !filter_names_pass(&f, r, s, name))
      continue;
    snprintf(names[m].key, sizeof names[m].key, "%s", key);
    names[m++].slot = s;
  }
  qsort(names, m, sizeof names[0], by_name);
  for (unsigned k = 0; k < m; k++) {
    char name[40];
    trace_reader_slot_name(r, names[k].slot, name, sizeof name);
    unsigned s = names[k].slot;
    printf("event.%s %llu\n", name, (unsigned long long)count[s]);
    if (si[s].cycles_field >= 0)
      printf("event.%s.cycles %llu\n", name, (unsigned long long)cycles[s]);
    else if (si[s].kind == SLOT_HYPERCALL && sc->hypercall_seen[si[s].index])
      printf("event.%s.cycles %llu\n", name, (unsigned long long)sc->hypercall[si[s].index]);
  }
  /* Xen's names of the hypercalls listed above. */
  for (unsigned k = 0; k < m; k++) {
    unsigned s = names[k].slot;
    const char *xen = si[s].kind == SLOT_HYPERCALL ? trace_hypercall_name(si[s].index) : NULL;
    if (xen)
      printf("name.hypercall.%u %s\n", si[s].index, xen);
  }
  /* The regions, in the order the guest first named them (their numbers),
   * by --stats's names (cut to 16 bytes in a trace): begin-end pairs and
   * cycles from each begin to its end, summed. */
  for (unsigned k = 0; k < REGIONS_MAX; k++)
    if (rs->r[k].seen && filter_names_pass(&f, r, rs->r[k].slot, "region_begin"))
      printf("region.%s %llu\nregion.%s.cycles %llu\n", rs->r[k].name, (unsigned long long)sc->region_spans[k],
             rs->r[k].name, (unsigned long long)sc->region[k]);
  /* Rows this file does not record (filtered out, or not recorded yet). */
  for (unsigned s = 0; s < n; s++) {
    int indexed;
    const char *key = trace_reader_slot_key(r, s, &indexed);
    if (key && !trace_reader_slot_recorded(r, s) && trace_reader_slot_key(r, s - 1, &indexed) != key &&
        filter_names_pass(&f, r, s, key))
      printf("not_recorded %s\n", key);
  }
  free(count);
  free(cycles);
  free(names);
  free(si);
  free(sc);
  free(rs);
  trace_reader_close(r);
  if (rc < 0)
    return fail(err);
  return 0;
}

/* The name of field k from the space-separated list at *names (advanced
 * past it), or "fieldK" when the list has none. */
static void next_field_name(const char **names, unsigned k, char fname[32]) {
  size_t w = strcspn(*names, " ");
  if (w > 0 && w < 32) {
    memcpy(fname, *names, w);
    fname[w] = 0;
  } else {
    snprintf(fname, 32, "field%u", k);
  }
  *names += w;
  while (**names == ' ')
    (*names)++;
}

/* The value of field fname of a record of row key, as text: the name the
 * value stands for where trace.h or events.def gives one (a ring record's
 * mechanism, "iret"; cr_write's register, "cr3"), else hex. symbolic false:
 * always hex (the CSV export keeps numbers). */
static void field_text(const char *key, const char *fname, uint32_t v, bool symbolic, char *buf, size_t n) {
  const char *sym = NULL;
  if (symbolic && strcmp(fname, "mechanism") == 0)
    sym = trace_mechanism_name(v);
  if (sym)
    snprintf(buf, n, "%s", sym);
  else if (symbolic && key && strcmp(key, "cr_write") == 0 && strcmp(fname, "register") == 0 &&
           (v == 0 || v == 2 || v == 3 || v == 4))
    snprintf(buf, n, "cr%" PRIu32, v);
  else
    snprintf(buf, n, "0x%" PRIx32, v);
}

/* Packed text (a region's name, an annotation): fields named STEM0,
 * STEM1, ... (events.def "name0 name1 name2 name3") hold one text. If
 * field k of names (fname, the rest after it in *rest) starts one, returns
 * how many of the n fields from k belong to it, with STEM in stem; else 0. */
static unsigned packed_text_fields(const char *fname, const char *rest, unsigned k, unsigned n, char stem[32]) {
  size_t w = strlen(fname);
  if (w < 2 || fname[w - 1] != '0')
    return 0;
  memcpy(stem, fname, w - 1);
  stem[w - 1] = 0;
  unsigned got = 1;
  while (k + got < n && got < 4) {
    size_t len = strcspn(rest, " ");
    if (len != w || strncmp(rest, stem, w - 1) != 0 || rest[w - 1] != (char)('0' + got))
      break;
    got++;
    rest += len;
    rest += strspn(rest, " ");
  }
  return got;
}

/* text as a quoted string: '"' and '\\' escaped, other bytes outside
 * printable ASCII as \xHH. */
static void quote_text(const char *text, char *out, size_t n) {
  size_t len = (size_t)snprintf(out, n, "\"");
  for (const char *p = text; *p && len < n; p++) {
    unsigned char ch = (unsigned char)*p;
    if (ch == '"' || ch == '\\')
      len += (size_t)snprintf(out + len, n - len, "\\%c", ch);
    else if (ch < 0x20 || ch > 0x7E)
      len += (size_t)snprintf(out + len, n - len, "\\x%02x", ch);
    else
      len += (size_t)snprintf(out + len, n - len, "%c", ch);
  }
  if (len < n)
    snprintf(out + len, n - len, "\"");
}

/* Calls put(ctx, name, value) for each field of rec, in order: names from
 * the file's header ("field3" past them), values as field_text gives them;
 * with symbolic, packed text fields (STEM0..STEM3) as one STEM whose value
 * is the text (raw: the caller quotes it; is_text set). */
static void each_field(const struct trace_reader *r, const struct trace_record *rec, bool symbolic,
                       void (*put)(void *ctx, const char *name, const char *value, bool is_text), void *ctx) {
  const char *names = trace_reader_slot_fields(r, rec->slot);
  int indexed;
  const char *key = trace_reader_slot_key(r, rec->slot, &indexed);
  for (unsigned k = 0; k < rec->n_fields;) {
    char fname[32], value[24], stem[32];
    next_field_name(&names, k, fname);
    unsigned packed = symbolic ? packed_text_fields(fname, names, k, rec->n_fields, stem) : 0;
    if (packed) {
      char text[PACKED_TEXT_MAX + 1];
      unpack_text(rec->field + k, packed, text);
      put(ctx, stem, text, true);
      for (unsigned skip = 1; skip < packed; skip++)
        next_field_name(&names, k + skip, fname);
      k += packed;
      continue;
    }
    field_text(key, fname, rec->field[k], symbolic, value, sizeof value);
    put(ctx, fname, value, false);
    k++;
  }
}

struct field_line {
  char *out;
  size_t n, len;
  const char *sep;
};

static void field_line_put(void *ctx, const char *name, const char *value, bool is_text) {
  struct field_line *l = ctx;
  char quoted[4 * PACKED_TEXT_MAX + 3];
  if (is_text) {
    quote_text(value, quoted, sizeof quoted);
    value = quoted;
  }
  if (l->len < l->n)
    l->len += (size_t)snprintf(l->out + l->len, l->n - l->len, "%s%s=%s", l->len ? l->sep : "", name, value);
}

/* "name=VALUE name=VALUE" for the record's fields, separated by sep;
 * packed text as name="TEXT" when symbolic. */
static void format_fields(const struct trace_reader *r, const struct trace_record *rec, char *out, size_t n,
                          const char *sep, bool symbolic) {
  struct field_line l = {.out = out, .n = n, .sep = sep};
  out[0] = 0;
  each_field(r, rec, symbolic, field_line_put, &l);
}

/* The instruction at the record's CS:EIP, "mnemonic operands", or why not. */
struct disasm {
  csh h16, h32;
  bool ok;
  cs_insn *insn;
};

static bool disasm_open(struct disasm *d) {
  d->ok = cs_open(CS_ARCH_X86, CS_MODE_16, &d->h16) == CS_ERR_OK &&
          cs_open(CS_ARCH_X86, CS_MODE_32, &d->h32) == CS_ERR_OK;
  d->insn = d->ok ? cs_malloc(d->h32) : NULL;
  return d->ok && d->insn;
}

static void disasm_close(struct disasm *d) {
  if (d->insn)
    cs_free(d->insn, 1);
  if (d->ok) {
    cs_close(&d->h16);
    cs_close(&d->h32);
  }
}

static void disasm_text(struct disasm *d, unsigned version, const struct trace_record *rec, char *out, size_t n) {
  if (version < 2) {
    snprintf(out, n, "(no bytes: format version %u)", version);
    return;
  }
  if (rec->insn_len == 0) {
    snprintf(out, n, "(no bytes: CS:EIP not in RAM or ROM)");
    return;
  }
  const uint8_t *code = rec->insn;
  size_t size = rec->insn_len;
  uint64_t addr = rec->eip;
  if (cs_disasm_iter((rec->flags & TRACE_REC_CODE32) ? d->h32 : d->h16, &code, &size, &addr, d->insn)) {
    if (d->insn->op_str[0])
      snprintf(out, n, "%.31s %.120s", d->insn->mnemonic, d->insn->op_str);
    else
      snprintf(out, n, "%.31s", d->insn->mnemonic);
  } else {
    size_t len = (size_t)snprintf(out, n, "(bad:");
    for (unsigned k = 0; k < rec->insn_len && len < n; k++)
      len += (size_t)snprintf(out + len, n - len, " %02x", rec->insn[k]);
    if (len < n)
      snprintf(out + len, n - len, ")");
  }
}

static int dump(const char *path, int argc, char **argv) {
  struct filter f;
  filter_init(&f);
  bool want_disasm = false;
  for (int k = 0; k < argc; k++) {
    int t = filter_option(&f, argc, argv, &k);
    if (t < 0)
      return EXIT_USAGE;
    if (t)
      continue;
    if (strcmp(argv[k], "--disasm") == 0) {
      want_disasm = true;
      continue;
    }
    fprintf(stderr, "ringlab trace: bad option '%s' (try 'ringlab trace --help')\n", argv[k]);
    return EXIT_USAGE;
  }
  char err[ERR_BYTES];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  if (!r)
    return fail(err);
  unsigned n_slots = trace_reader_slot_count(r);
  struct slot_info *si = slot_infos(r);
  if (!si) {
    trace_reader_close(r);
    return fail("out of memory");
  }
  struct disasm d = {0};
  if (want_disasm && !disasm_open(&d)) {
    disasm_close(&d);
    free(si);
    trace_reader_close(r);
    return fail("Capstone: cannot open the x86 disassembler");
  }
  struct trace_record rec;
  int rc;
  while ((rc = trace_reader_next(r, &rec, err, sizeof err)) == 1) {
    char name[40], fields[256], text[160];
    record_name(r, &rec, name, sizeof name);
    if (!filter_pass(&f, r, &rec, name))
      continue;
    format_fields(r, &rec, fields, sizeof fields, " ", true);
    const char *call = hypercall_label(si, n_slots, rec.slot);
    printf("%llu cpu%u cpl%u %04x:%08x %s%s%s%s%s", (unsigned long long)rec.cycle, rec.cpu, rec.cpl, rec.cs,
           rec.eip, name, call ? " call=" : "", call ? call : "", fields[0] ? " " : "", fields);
    if (want_disasm) {
      disasm_text(&d, trace_reader_version(r), &rec, text, sizeof text);
      printf(" | %s", text);
    }
    putchar('\n');
  }
  disasm_close(&d);
  free(si);
  trace_reader_close(r);
  if (rc < 0) {
    fflush(stdout);
    return fail(err);
  }
  return 0;
}

/* Microseconds of cycle at frequency_hz (the preset's): cycle / (f / 1e6). */
static double cycle_us(uint64_t cycle, uint64_t frequency_hz) {
  return frequency_hz ? (double)cycle / ((double)frequency_hz / 1e6) : (double)cycle;
}

/* Writes one trace event object (and the separator before it). */
static void chrome_put(FILE *out, cJSON *ev, bool *first) {
  char *text = cJSON_PrintUnformatted(ev);
  if (text) {
    fprintf(out, "%s\n%s", *first ? "" : ",", text);
    *first = false;
  }
  free(text);
  cJSON_Delete(ev);
}

static cJSON *chrome_event(const char *name, const char *cat, const char *ph, double ts, unsigned tid) {
  cJSON *ev = cJSON_CreateObject();
  cJSON_AddStringToObject(ev, "name", name);
  if (cat)
    cJSON_AddStringToObject(ev, "cat", cat);
  cJSON_AddStringToObject(ev, "ph", ph);
  cJSON_AddNumberToObject(ev, "ts", ts);
  cJSON_AddNumberToObject(ev, "pid", 0);
  cJSON_AddNumberToObject(ev, "tid", tid);
  return ev;
}

/* The spans of the Chrome export: a CPL's stretch ("ring N", category
 * "cpl") and a hypercall ("hypercall.N", category "hv", with its arguments
 * and result), both complete events ("X") on the track of their CPL. */
struct chrome_out {
  FILE *out;
  bool first;
  uint64_t hz;
};

static void chrome_cpl_span(void *ctx, unsigned cpl, uint64_t start, uint64_t end) {
  struct chrome_out *c = ctx;
  char sname[16];
  snprintf(sname, sizeof sname, "ring %u", cpl);
  cJSON *s = chrome_event(sname, "cpl", "X", cycle_us(start, c->hz), cpl);
  cJSON_AddNumberToObject(s, "dur", cycle_us(end - start, c->hz));
  chrome_put(c->out, s, &c->first);
}

static void chrome_hypercall_span(void *ctx, const struct hypercall_span *h, uint64_t end, bool has_result,
                                  uint32_t result) {
  static const char *const arg_names[] = {"arg1", "arg2", "arg3"};
  struct chrome_out *c = ctx;
  char name[32], buf[24];
  const char *xen = trace_hypercall_name(h->number);
  if (xen)
    snprintf(name, sizeof name, "%s", xen);
  else
    snprintf(name, sizeof name, "hypercall.%u", h->number);
  cJSON *s = chrome_event(name, "hv", "X", cycle_us(h->start, c->hz), h->cpl);
  cJSON_AddNumberToObject(s, "dur", cycle_us(end - h->start, c->hz));
  cJSON *args = cJSON_AddObjectToObject(s, "args");
  cJSON_AddNumberToObject(args, "number", h->number);
  cJSON_AddNumberToObject(args, "cycles", (double)(end - h->start));
  for (unsigned k = 0; k < h->n_args; k++) {
    snprintf(buf, sizeof buf, "0x%" PRIx32, h->arg[k]);
    cJSON_AddStringToObject(args, arg_names[k], buf);
  }
  if (has_result) {
    snprintf(buf, sizeof buf, "0x%" PRIx32, result);
    cJSON_AddStringToObject(args, "result", buf);
  }
  chrome_put(c->out, s, &c->first);
}

/* A region ("NAME", category "region", args: number, cycles) on the
 * track of the CPL it began at. */
static void chrome_region_span(void *ctx, unsigned number, const struct region_span *r, uint64_t end) {
  struct chrome_out *c = ctx;
  cJSON *s = chrome_event(r->name, "region", "X", cycle_us(r->start, c->hz), r->cpl);
  cJSON_AddNumberToObject(s, "dur", cycle_us(end - r->start, c->hz));
  cJSON *args = cJSON_AddObjectToObject(s, "args");
  cJSON_AddNumberToObject(args, "number", number);
  cJSON_AddNumberToObject(args, "cycles", (double)(end - r->start));
  chrome_put(c->out, s, &c->first);
}

static void chrome_arg_put(void *ctx, const char *name, const char *value, bool is_text) {
  (void)is_text; /* a JSON string either way */
  cJSON_AddStringToObject(ctx, name, value);
}

static int export(int argc, char **argv) {
  struct filter f;
  filter_init(&f);
  const char *format = NULL, *path = NULL, *outpath = NULL;
  for (int k = 0; k < argc; k++) {
    int t = filter_option(&f, argc, argv, &k);
    if (t < 0)
      return EXIT_USAGE;
    if (t)
      continue;
    if ((strcmp(argv[k], "--format") == 0 || strcmp(argv[k], "-o") == 0) && k + 1 < argc) {
      *(argv[k][1] == 'o' ? &outpath : &format) = argv[k + 1];
      k++;
    } else if (argv[k][0] != '-' && !path) {
      path = argv[k];
    } else {
      fprintf(stderr, "ringlab trace: bad option '%s' (try 'ringlab trace --help')\n", argv[k]);
      return EXIT_USAGE;
    }
  }
  if (!path || !format || (strcmp(format, "chrome") != 0 && strcmp(format, "csv") != 0)) {
    fprintf(stderr, "ringlab trace: export needs --format chrome or csv and a FILE (try 'ringlab trace --help')\n");
    return EXIT_USAGE;
  }
  bool chrome = strcmp(format, "chrome") == 0;
  char err[ERR_BYTES];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  if (!r)
    return fail(err);
  FILE *out = stdout;
  if (outpath && !(out = fopen(outpath, "w"))) {
    snprintf(err, sizeof err, "%s: cannot create", outpath);
    trace_reader_close(r);
    return fail(err);
  }
  const struct trace_run_info *info = trace_reader_info(r);
  uint64_t hz = info->frequency_hz;
  struct chrome_out co = {.out = out, .first = true, .hz = hz};
  bool *first = &co.first;
  struct slot_info *si = slot_infos(r);
  if (!si) {
    trace_reader_close(r);
    if (out != stdout)
      fclose(out);
    return fail("out of memory");
  }
  if (chrome) {
    fprintf(out, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"ringlab_version\":\"%s\",\"preset\":\"%s\","
                 "\"frequency_hz\":%llu,\"format_version\":%u},\"traceEvents\":[",
            info->ringlab_version, info->preset, (unsigned long long)hz, trace_reader_version(r));
    cJSON *p = chrome_event("process_name", NULL, "M", 0, 0);
    cJSON_AddItemToObject(p, "args", cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_GetObjectItem(p, "args"), "name", "ringlab cpu0");
    chrome_put(out, p, first);
    for (unsigned cpl = 0; cpl < 4; cpl++) {
      char tname[16];
      snprintf(tname, sizeof tname, "ring %u", cpl);
      cJSON *t = chrome_event("thread_name", NULL, "M", 0, cpl);
      cJSON_AddItemToObject(t, "args", cJSON_CreateObject());
      cJSON_AddStringToObject(cJSON_GetObjectItem(t, "args"), "name", tname);
      chrome_put(out, t, first);
    }
  } else {
    fprintf(out, "cycle,cpu,cpl,cs,eip,event,fields,bytes\n");
  }
  /* chrome: the time at each CPL and the hypercalls as spans on their
   * tracks, from every record (the filters select the instants). */
  struct cpl_timeline tl = {.cpl = -1, .span = chrome_cpl_span, .ctx = &co};
  struct hypercall_stack hs = {.closed = chrome_hypercall_span, .ctx = &co};
  struct region_set *rs = calloc(1, sizeof *rs);
  if (!rs) {
    free(si);
    trace_reader_close(r);
    if (out != stdout)
      fclose(out);
    return fail("out of memory");
  }
  rs->closed = chrome_region_span;
  rs->ctx = &co;
  unsigned n_slots = trace_reader_slot_count(r);
  uint64_t last_cycle = 0;
  struct trace_record rec;
  int rc;
  while ((rc = trace_reader_next(r, &rec, err, sizeof err)) == 1) {
    char name[40], fields[256];
    record_name(r, &rec, name, sizeof name);
    last_cycle = rec.cycle;
    if (chrome) {
      const struct slot_info *i = rec.slot < n_slots ? &si[rec.slot] : NULL;
      cpl_record(&tl, i, &rec);
      hypercall_record(&hs, i, &rec);
      if (region_record(rs, i, &rec))
        cpl_split(&tl, rec.cycle);
    }
    if (!filter_pass(&f, r, &rec, name))
      continue;
    if (chrome) {
      const char *cls = trace_reader_slot_class(r, rec.slot);
      cJSON *ev = chrome_event(name, cls ? cls : "unknown", "i", cycle_us(rec.cycle, hz), rec.cpl);
      cJSON_AddStringToObject(ev, "s", "t");
      cJSON *args = cJSON_AddObjectToObject(ev, "args");
      char buf[32];
      cJSON_AddNumberToObject(args, "cycle", (double)rec.cycle);
      snprintf(buf, sizeof buf, "%04x:%08x", rec.cs, rec.eip);
      cJSON_AddStringToObject(args, "cs_eip", buf);
      each_field(r, &rec, true, chrome_arg_put, args);
      chrome_put(out, ev, first);
    } else {
      format_fields(r, &rec, fields, sizeof fields, " ", false);
      fprintf(out, "%llu,%u,%u,0x%04x,0x%08x,%s,%s,", (unsigned long long)rec.cycle, rec.cpu, rec.cpl, rec.cs,
              rec.eip, name, fields);
      for (unsigned k = 0; k < rec.insn_len; k++)
        fprintf(out, "%02x", rec.insn[k]);
      fputc('\n', out);
    }
  }
  if (chrome) {
    uint64_t end = rc == 0 ? trace_reader_end_cycle(r) : last_cycle;
    cpl_end(&tl, end);
    hypercall_end(&hs, end);
    region_end_all(rs, end);
    fprintf(out, "\n]}\n");
  }
  free(rs);
  free(si);
  trace_reader_close(r);
  bool werr = ferror(out) != 0;
  if (out != stdout)
    werr = fclose(out) != 0 || werr;
  else
    fflush(stdout);
  if (rc < 0)
    return fail(err);
  if (werr)
    return fail("cannot write the export");
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
  if (strcmp(argv[1], "stats") == 0)
    return stats(argv[2], argc - 3, argv + 3);
  if (strcmp(argv[1], "dump") == 0)
    return dump(argv[2], argc - 3, argv + 3);
  if (strcmp(argv[1], "export") == 0)
    return export(argc - 2, argv + 2);
  usage(stderr);
  return EXIT_USAGE;
}
