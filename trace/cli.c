/* trace/cli.c - `ringlab trace stats|dump|export FILE`: reads a trace
 * file (trace/FORMAT.md). A damaged file: the records before the damage are
 * still used, then one error line naming the damaged block, exit 64.
 *
 *   ringlab trace stats FILE
 *   ringlab trace dump FILE [FILTERS] [--disasm]
 *   ringlab trace export --format chrome|csv FILE [FILTERS] [-o PATH]
 *   FILTERS: [--event NAME] [--class CLASS] [--cpl N] [--from CYCLE] [--to CYCLE]
 *            [--eip-from ADDR] [--eip-to ADDR]
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
  fprintf(out, "usage: ringlab trace stats FILE\n"
               "       ringlab trace dump FILE [FILTERS] [--disasm]\n"
               "       ringlab trace export --format chrome|csv FILE [FILTERS] [-o PATH]\n"
               "FILTERS: [--event NAME] [--class CLASS] [--cpl N] [--from CYCLE] [--to CYCLE]\n"
               "         [--eip-from ADDR] [--eip-to ADDR]\n"
               "\n"
               "stats: record counts by event (the names of run --stats \"events\"), by CPL,\n"
               "and the cycle span. dump: one line per record,\n"
               "\"CYCLE cpuN cplN CS:EIP EVENT [FIELD=VALUE ...]\", with --disasm \"| INSTRUCTION\"\n"
               "(the instruction at CS:EIP, Capstone). export: chrome (trace-event JSON for\n"
               "Perfetto or chrome://tracing: ts in microseconds, one track per CPL) or csv\n"
               "(header cycle,cpu,cpl,cs,eip,event,fields,bytes), to standard output or PATH.\n"
               "--event takes a counter name (exception.14) or a row's key (exception);\n"
               "--from/--to bound the cycle and --eip-from/--eip-to the EIP, all inclusive.\n"
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

/* The record filters of dump and export. */
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

/* Whether rec (named name) passes f. */
static bool filter_pass(const struct filter *f, const struct trace_reader *r, const struct trace_record *rec,
                        const char *name) {
  if (rec->cycle < f->from || rec->cycle > f->to || (f->cpl >= 0 && rec->cpl != f->cpl) || rec->eip < f->eip_from ||
      rec->eip > f->eip_to)
    return false;
  size_t elen = f->event ? strlen(f->event) : 0;
  if (f->event && strcmp(name, f->event) != 0 && !(strncmp(name, f->event, elen) == 0 && name[elen] == '.'))
    return false;
  const char *cls = trace_reader_slot_class(r, rec->slot);
  return !f->class || (cls && strcmp(cls, f->class) == 0);
}

static void record_name(const struct trace_reader *r, const struct trace_record *rec, char *name, size_t n) {
  if (trace_reader_slot_name(r, rec->slot, name, n) < 0)
    snprintf(name, n, "slot.%u", rec->slot);
}

/* "name=0xVALUE name=0xVALUE" for the record's fields (names from the
 * file's header; "field3" past them), separated by sep. */
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

static void format_fields(const struct trace_reader *r, const struct trace_record *rec, char *out, size_t n,
                          const char *sep) {
  const char *names = trace_reader_slot_fields(r, rec->slot);
  size_t len = 0;
  out[0] = 0;
  for (unsigned k = 0; k < rec->n_fields && len < n; k++) {
    char fname[32];
    next_field_name(&names, k, fname);
    len += (size_t)snprintf(out + len, n - len, "%s%s=0x%" PRIx32, k ? sep : "", fname, rec->field[k]);
  }
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
  struct disasm d = {0};
  if (want_disasm && !disasm_open(&d)) {
    disasm_close(&d);
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
    format_fields(r, &rec, fields, sizeof fields, " ");
    printf("%llu cpu%u cpl%u %04x:%08x %s%s%s", (unsigned long long)rec.cycle, rec.cpu, rec.cpl, rec.cs, rec.eip,
           name, fields[0] ? " " : "", fields);
    if (want_disasm) {
      disasm_text(&d, trace_reader_version(r), &rec, text, sizeof text);
      printf(" | %s", text);
    }
    putchar('\n');
  }
  disasm_close(&d);
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
  bool first = true;
  if (chrome) {
    fprintf(out, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"ringlab_version\":\"%s\",\"preset\":\"%s\","
                 "\"frequency_hz\":%llu,\"format_version\":%u},\"traceEvents\":[",
            info->ringlab_version, info->preset, (unsigned long long)hz, trace_reader_version(r));
    cJSON *p = chrome_event("process_name", NULL, "M", 0, 0);
    cJSON_AddItemToObject(p, "args", cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_GetObjectItem(p, "args"), "name", "ringlab cpu0");
    chrome_put(out, p, &first);
    for (unsigned cpl = 0; cpl < 4; cpl++) {
      char tname[16];
      snprintf(tname, sizeof tname, "ring %u", cpl);
      cJSON *t = chrome_event("thread_name", NULL, "M", 0, cpl);
      cJSON_AddItemToObject(t, "args", cJSON_CreateObject());
      cJSON_AddStringToObject(cJSON_GetObjectItem(t, "args"), "name", tname);
      chrome_put(out, t, &first);
    }
  } else {
    fprintf(out, "cycle,cpu,cpl,cs,eip,event,fields,bytes\n");
  }
  /* chrome: the time at each CPL as spans ("X") on its track, from the
   * records' CPLs (a span ends where a record shows another CPL). */
  int span_cpl = -1;
  uint64_t span_start = 0, last_cycle = 0;
  struct trace_record rec;
  int rc;
  while ((rc = trace_reader_next(r, &rec, err, sizeof err)) == 1) {
    char name[40], fields[256];
    record_name(r, &rec, name, sizeof name);
    last_cycle = rec.cycle;
    if (chrome && rec.cpl != span_cpl) {
      if (span_cpl >= 0) {
        char sname[16];
        snprintf(sname, sizeof sname, "ring %d", span_cpl);
        cJSON *s = chrome_event(sname, "cpl", "X", cycle_us(span_start, hz), (unsigned)span_cpl);
        cJSON_AddNumberToObject(s, "dur", cycle_us(rec.cycle, hz) - cycle_us(span_start, hz));
        chrome_put(out, s, &first);
      }
      span_cpl = rec.cpl;
      span_start = rec.cycle;
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
      const char *names = trace_reader_slot_fields(r, rec.slot);
      for (unsigned k = 0; k < rec.n_fields; k++) {
        char fname[32];
        next_field_name(&names, k, fname);
        snprintf(buf, sizeof buf, "0x%" PRIx32, rec.field[k]);
        cJSON_AddStringToObject(args, fname, buf);
      }
      chrome_put(out, ev, &first);
    } else {
      format_fields(r, &rec, fields, sizeof fields, " ");
      fprintf(out, "%llu,%u,%u,0x%04x,0x%08x,%s,%s,", (unsigned long long)rec.cycle, rec.cpu, rec.cpl, rec.cs,
              rec.eip, name, fields);
      for (unsigned k = 0; k < rec.insn_len; k++)
        fprintf(out, "%02x", rec.insn[k]);
      fputc('\n', out);
    }
  }
  if (chrome) {
    uint64_t end = rc == 0 ? trace_reader_end_cycle(r) : last_cycle;
    if (span_cpl >= 0 && end >= span_start) {
      char sname[16];
      snprintf(sname, sizeof sname, "ring %d", span_cpl);
      cJSON *s = chrome_event(sname, "cpl", "X", cycle_us(span_start, hz), (unsigned)span_cpl);
      cJSON_AddNumberToObject(s, "dur", cycle_us(end, hz) - cycle_us(span_start, hz));
      chrome_put(out, s, &first);
    }
    fprintf(out, "\n]}\n");
  }
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
  if (strcmp(argv[1], "stats") == 0 && argc == 3)
    return stats(argv[2]);
  if (strcmp(argv[1], "dump") == 0)
    return dump(argv[2], argc - 3, argv + 3);
  if (strcmp(argv[1], "export") == 0)
    return export(argc - 2, argv + 2);
  usage(stderr);
  return EXIT_USAGE;
}
