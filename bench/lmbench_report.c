/* bench/lmbench_report.c - from the --stats of lmbench runs to the Xen
 * paper's Tables 3-5.
 *
 * A guest program reports each measurement id (bench/lmbench_rows.def) as
 * two named results, "<id>.cycles" (the timed operations' cycles, loop
 * overhead subtracted where lmbench subtracts it) and "<id>.ops" (how many
 * operations), and brackets the timed loop with the region "<id>". So a
 * row's cycles per operation are cycles / ops, exactly, and its
 * mechanisms per operation are the region's counters / ops (the region
 * also holds the two ringlab system calls that open and close it, which
 * is 2 / ops ring transitions per operation at most: noise at the
 * iteration counts the suite uses). Microseconds are cycles at the
 * preset's frequency (--stats frequency_hz).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "trace.h"

struct lm_row {
  const char *table, *benchmark, *reference, *id, *id2, *note;
};

static const struct lm_row rows[] = {
#define LMROW(table, benchmark, reference, id, id2, note) {table, benchmark, reference, id, id2, note},
#include "lmbench_rows.def"
};
#define N_ROWS (sizeof rows / sizeof rows[0])

static const struct {
  const char *label, *csv, *key;
} mechanisms[LM_MECH_COUNT] = {
#define X(id, label, csv, key) {label, csv, key},
    LM_MECHANISMS(X)
#undef X
};

static const struct {
  const char *name, *title;
} tables[] = {
    {"3-processes", "Table 3: processes"},
    {"4-ctxsw", "Table 4: context switches"},
    {"5-filevm", "Table 5: file and VM system"},
};

/* ---- loading a run -------------------------------------------------------- */

static char *read_file(const char *path, char *err, size_t n) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, n, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + len, 1, cap - len - 1, f);
    len += got;
    if (len + 1 < cap)
      break;
    char *bigger = realloc(buf, cap *= 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
    }
    buf = bigger;
  }
  bool bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    free(buf);
    snprintf(err, n, "%s: cannot read%s", path, buf ? "" : ": out of memory");
    return NULL;
  }
  buf[len] = 0;
  return buf;
}

/* A nonnegative integer member (--stats writes exact decimal integers;
 * cJSON's double holds them exactly up to 2^53, enough for any count). */
static bool get_u64(const cJSON *o, const char *key, uint64_t *v) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(j) || j->valuedouble < 0)
    return false;
  *v = (uint64_t)j->valuedouble;
  return true;
}

static void sum_mechanisms(const cJSON *events, double mech[LM_MECH_COUNT], double hcall[LM_HYPERCALLS]) {
  const cJSON *e;
  cJSON_ArrayForEach(e, events) {
    char *end;
    if (cJSON_IsNumber(e) && strncmp(e->string, "hypercall.", 10) == 0) {
      unsigned long nr = strtoul(e->string + 10, &end, 10);
      if (!*end && end != e->string + 10 && nr < LM_HYPERCALLS)
        hcall[nr] += e->valuedouble;
    }
  }
  for (unsigned k = 0; k < LM_MECH_COUNT; k++) {
    const char *key = mechanisms[k].key;
    size_t len = strlen(key);
    bool prefix = key[len - 1] == '.';
    double sum = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, events) {
      if (cJSON_IsNumber(e) && (prefix ? strncmp(e->string, key, len) == 0 : strcmp(e->string, key) == 0))
        sum += e->valuedouble;
    }
    mech[k] = sum;
  }
}

int lm_config_load(struct lm_config *c, const char *name, const char *path, char *err, size_t n) {
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", name);
  char *text = read_file(path, err, n);
  if (!text)
    return -1;
  cJSON *root = cJSON_Parse(text);
  free(text);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    snprintf(err, n, "%s: not a ringlab --stats JSON file", path);
    return -1;
  }
  const cJSON *preset = cJSON_GetObjectItemCaseSensitive(root, "preset");
  const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
  const cJSON *regions = cJSON_GetObjectItemCaseSensitive(root, "regions");
  if (!cJSON_IsString(preset) || !get_u64(root, "frequency_hz", &c->frequency_hz) || c->frequency_hz == 0 ||
      !cJSON_IsObject(results) || !cJSON_IsObject(regions)) {
    cJSON_Delete(root);
    snprintf(err, n, "%s: not a ringlab --stats file of this version (no preset, frequency_hz, results or regions)",
             path);
    return -1;
  }
  snprintf(c->preset, sizeof c->preset, "%s", preset->valuestring);
  get_u64(root, "cycles", &c->run_cycles);
  get_u64(root, "instructions", &c->run_instructions);
  /* Every "<id>.ops" result names a measurement. */
  const cJSON *r;
  cJSON_ArrayForEach(r, results) {
    size_t len = strlen(r->string);
    if (len < 5 || strcmp(r->string + len - 4, ".ops") != 0 || len - 4 >= sizeof c->ids[0])
      continue;
    if (c->n == LM_MAX_IDS) {
      cJSON_Delete(root);
      snprintf(err, n, "%s: more than %d measurements", path, LM_MAX_IDS);
      return -1;
    }
    char id[64], key[80];
    memcpy(id, r->string, len - 4);
    id[len - 4] = 0;
    struct lm_measure *m = &c->m[c->n];
    snprintf(key, sizeof key, "%s.cycles", id);
    if (!get_u64(results, r->string, &m->ops) ||
        !get_u64(results, key, &m->cycles) || m->ops == 0)
      continue; /* an incomplete report: the row shows as missing */
    const cJSON *region = cJSON_GetObjectItemCaseSensitive(regions, id);
    if (cJSON_IsObject(region)) {
      sum_mechanisms(cJSON_GetObjectItemCaseSensitive(region, "events"), m->mech, m->hcall);
      get_u64(region, "cycles", &m->region_cycles);
    }
    m->have = true;
    snprintf(c->ids[c->n], sizeof c->ids[0], "%s", id);
    c->n++;
  }
  cJSON_Delete(root);
  return 0;
}

const struct lm_measure *lm_config_find(const struct lm_config *c, const char *id) {
  for (unsigned k = 0; k < c->n; k++)
    if (strcmp(c->ids[k], id) == 0)
      return &c->m[k];
  return NULL;
}

/* ---- the reference -------------------------------------------------------- */

static double ref_number(const char *s) {
  if (!*s)
    return -1;
  char *end;
  double v = strtod(s, &end);
  return *end ? -1 : v;
}

int lm_reference_load(struct lm_reference *r, const char *path, char *err, size_t n) {
  memset(r, 0, sizeof *r);
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, n, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  char line[512];
  unsigned lineno = 0;
  bool header = false;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    line[strcspn(line, "\r\n")] = 0;
    if (line[0] == '#' || line[0] == 0)
      continue;
    if (!header) {
      if (strcmp(line, "table,benchmark,L-SMP,L-UP,Xen,VMW,UML") != 0) {
        fclose(f);
        snprintf(err, n, "%s:%u: not the lmbench reference (want the header table,benchmark,L-SMP,L-UP,Xen,VMW,UML)",
                 path, lineno);
        return -1;
      }
      header = true;
      continue;
    }
    char *field[7];
    unsigned nf = 0;
    for (char *p = line, *tok; nf < 7 && (tok = strsep(&p, ",")) != NULL;)
      field[nf++] = tok;
    if (nf != 7 || r->n == LM_MAX_REFERENCE) {
      fclose(f);
      snprintf(err, n, "%s:%u: want 7 comma-separated fields", path, lineno);
      return -1;
    }
    struct lm_reference_row *row = &r->row[r->n++];
    snprintf(row->table, sizeof row->table, "%s", field[0]);
    snprintf(row->benchmark, sizeof row->benchmark, "%s", field[1]);
    double *v[5] = {&row->l_smp, &row->l_up, &row->xen, &row->vmw, &row->uml};
    for (unsigned k = 0; k < 5; k++)
      *v[k] = ref_number(field[2 + k]);
  }
  fclose(f);
  if (!header) {
    snprintf(err, n, "%s: empty (no header line)", path);
    return -1;
  }
  return 0;
}

static const struct lm_reference_row *ref_find(const struct lm_reference *ref, const struct lm_row *row) {
  if (!ref || !row->reference)
    return NULL;
  for (unsigned k = 0; k < ref->n; k++)
    if (strcmp(ref->row[k].table, row->table) == 0 && strcmp(ref->row[k].benchmark, row->reference) == 0)
      return &ref->row[k];
  return NULL;
}

bool lm_reference_covered(const struct lm_reference *ref, char *missing, size_t n) {
  for (unsigned k = 0; k < ref->n; k++) {
    bool found = false;
    for (unsigned r = 0; r < N_ROWS && !found; r++)
      found = rows[r].reference && strcmp(rows[r].table, ref->row[k].table) == 0 &&
              strcmp(rows[r].reference, ref->row[k].benchmark) == 0;
    if (!found) {
      snprintf(missing, n, "%s/%s", ref->row[k].table, ref->row[k].benchmark);
      return false;
    }
  }
  return true;
}

/* ---- one row of one configuration ----------------------------------------- */

struct lm_value {
  bool have;
  double cycles, us;               /* per operation */
  double mech[LM_MECH_COUNT];      /* per operation */
  double hcall[LM_HYPERCALLS];     /* per operation */
};

static void add_measure(struct lm_value *v, const struct lm_measure *m, double weight) {
  double ops = (double)m->ops;
  v->cycles += weight * (double)m->cycles / ops;
  for (unsigned k = 0; k < LM_MECH_COUNT; k++)
    v->mech[k] += weight * m->mech[k] / ops;
  for (unsigned k = 0; k < LM_HYPERCALLS; k++)
    v->hcall[k] += weight * m->hcall[k] / ops;
}

static struct lm_value row_value(const struct lm_config *c, const struct lm_row *row) {
  struct lm_value v = {0};
  if (!c)
    return v;
  const struct lm_measure *a = lm_config_find(c, row->id);
  const struct lm_measure *b = row->id2 ? lm_config_find(c, row->id2) : NULL;
  if (!a || (row->id2 && !b))
    return v;
  add_measure(&v, a, row->id2 ? 0.5 : 1.0);
  if (b)
    add_measure(&v, b, 0.5);
  v.us = v.cycles / ((double)c->frequency_hz / 1e6);
  v.have = true;
  return v;
}

/* Entries per mmu_update: the entries the hypervisor validated minus those
 * of update_va_mapping (one each), over the mmu_update calls; < 0 when
 * the row made none. */
static double mmu_batch(const struct lm_value *v) {
  if (v->hcall[LM_HC_MMU_UPDATE] < 1e-9)
    return -1;
  return (v->mech[LM_MECH_ptupd] - v->hcall[LM_HC_UPDATE_VA_MAPPING]) / v->hcall[LM_HC_MMU_UPDATE];
}

/* The first configuration whose name starts with c ('L', 'X'). */
static const struct lm_config *config_kind(const struct lm_config *configs, unsigned n, char c) {
  for (unsigned k = 0; k < n; k++)
    if (configs[k].name[0] == c)
      return &configs[k];
  return NULL;
}

static bool is_x(const struct lm_config *c) { return c->name[0] == 'X'; }

static const char *hypercall_label(unsigned nr, char *buf, size_t n) {
  const char *name = trace_hypercall_name(nr);
  if (name)
    return name;
  snprintf(buf, n, "hcall.%u", nr);
  return buf;
}

/* ---- the tables ----------------------------------------------------------- */

static void print_us(FILE *out, double us, bool have) {
  if (!have)
    fprintf(out, " %10s", "-");
  else if (us >= 100)
    fprintf(out, " %10.0f", us);
  else if (us >= 10)
    fprintf(out, " %10.1f", us);
  else
    fprintf(out, " %10.2f", us);
}

static void print_ratio(FILE *out, double num, double den, bool have) {
  if (!have || den <= 0)
    fprintf(out, " %7s", "-");
  else
    fprintf(out, " %7.2f", num / den);
}

/* A column of the mechanism tables: value(v, k) per operation of row v
 * (< 0: none), shown when some row of the table reaches shown_from. */
struct lm_column {
  const char *label;
  double (*value)(const struct lm_value *v, unsigned k);
  unsigned k;
  double shown_from;
  int prec; /* digits after the point */
};

static double mech_value(const struct lm_value *v, unsigned k) { return v->mech[k]; }
static double hcall_value(const struct lm_value *v, unsigned k) { return v->hcall[k]; }
static double batch_value(const struct lm_value *v, unsigned k) {
  (void)k;
  return mmu_batch(v);
}

/* Keeps the columns some row of table tname shows; returns how many. */
static unsigned shown_columns(const char *tname, const struct lm_config *c, struct lm_column *cols, unsigned n) {
  unsigned kept = 0;
  for (unsigned k = 0; k < n; k++) {
    bool shown = false;
    for (unsigned r = 0; r < N_ROWS && !shown; r++) {
      if (strcmp(rows[r].table, tname) != 0)
        continue;
      struct lm_value v = row_value(c, &rows[r]);
      shown = v.have && cols[k].value(&v, cols[k].k) >= cols[k].shown_from;
    }
    if (shown)
      cols[kept++] = cols[k];
  }
  return kept;
}

/* The rows of table tname under title, one column each (at least 9 wide). */
static void print_columns(FILE *out, const char *title, const char *tname, const struct lm_config *c,
                          const struct lm_column *cols, unsigned n) {
  fprintf(out, "\n  %s:\n  %-16s", title, "benchmark");
  for (unsigned k = 0; k < n; k++)
    fprintf(out, " %9s", cols[k].label);
  fputc('\n', out);
  for (unsigned r = 0; r < N_ROWS; r++) {
    if (strcmp(rows[r].table, tname) != 0)
      continue;
    struct lm_value v = row_value(c, &rows[r]);
    fprintf(out, "  %-16s", rows[r].benchmark);
    for (unsigned k = 0; k < n; k++) {
      int w = strlen(cols[k].label) > 9 ? (int)strlen(cols[k].label) : 9;
      double x = v.have ? cols[k].value(&v, cols[k].k) : -1;
      if (x >= 0)
        fprintf(out, " %*.*f", w, cols[k].prec, x);
      else
        fprintf(out, " %*s", w, "-");
    }
    fputc('\n', out);
  }
}

static void print_mechanisms(FILE *out, const char *tname, const struct lm_config *c) {
  struct lm_column cols[LM_MECH_COUNT + 1 + LM_HYPERCALLS];
  char labels[LM_HYPERCALLS][24], title[160];
  unsigned n = 0;
  for (unsigned k = 0; k < LM_MECH_COUNT; k++)
    cols[n++] = (struct lm_column){mechanisms[k].label, mech_value, k, 0.005, 2};
  cols[n++] = (struct lm_column){"pte/mmu", batch_value, 0, 0, 1};
  n = shown_columns(tname, c, cols, n);
  snprintf(title, sizeof title, "mechanisms per operation, %s", c->name);
  print_columns(out, title, tname, c, cols, n);

  /* hypercalls by name, where the configuration made any */
  n = 0;
  for (unsigned k = 0; k < LM_HYPERCALLS; k++) {
    const char *label = hypercall_label(k, labels[k], sizeof labels[k]);
    cols[n++] = (struct lm_column){label, hcall_value, k, 0.005, 2};
  }
  n = shown_columns(tname, c, cols, n);
  if (n == 0)
    return;
  snprintf(title, sizeof title, "hypercalls per operation, %s (a multicall's members also under their own names)",
           c->name);
  print_columns(out, title, tname, c, cols, n);
}

unsigned lm_print_tables(FILE *out, const struct lm_config *configs, unsigned n_configs,
                         const struct lm_reference *ref) {
  unsigned missing = 0;
  const struct lm_config *L = config_kind(configs, n_configs, 'L');
  const struct lm_config *X = config_kind(configs, n_configs, 'X');
  bool ratios = L && X;
  for (unsigned t = 0; t < sizeof tables / sizeof tables[0]; t++) {
    const char *tname = tables[t].name;
    fprintf(out, "%s (microseconds per operation; %s preset, %.0f MHz)\n\n", tables[t].title,
            n_configs ? configs[0].preset : "?", n_configs ? (double)configs[0].frequency_hz / 1e6 : 0.0);
    fprintf(out, "%-16s", "benchmark");
    char label[24];
    for (unsigned c = 0; c < n_configs; c++) {
      snprintf(label, sizeof label, "%s us", configs[c].name);
      fprintf(out, " %10s", label);
    }
    fprintf(out, " %10s", "paper L-UP");
    if (X)
      fprintf(out, " %10s", "paper Xen");
    if (ratios) {
      snprintf(label, sizeof label, "%s/%s", X->name, L->name);
      fprintf(out, " %7s %7s", label, "paper");
    }
    for (unsigned c = 0; c < n_configs; c++) {
      snprintf(label, sizeof label, "%s cycles", configs[c].name);
      fprintf(out, " %14s", label);
    }
    fputc('\n', out);
    for (unsigned r = 0; r < N_ROWS; r++) {
      if (strcmp(rows[r].table, tname) != 0)
        continue;
      const struct lm_reference_row *rr = ref_find(ref, &rows[r]);
      fprintf(out, "%-16s", rows[r].benchmark);
      for (unsigned c = 0; c < n_configs; c++) {
        struct lm_value v = row_value(&configs[c], &rows[r]);
        missing += !v.have;
        print_us(out, v.us, v.have);
      }
      print_us(out, rr ? rr->l_up : 0, rr && rr->l_up >= 0);
      if (X)
        print_us(out, rr ? rr->xen : 0, rr && rr->xen >= 0);
      if (ratios) {
        struct lm_value l = row_value(L, &rows[r]), x = row_value(X, &rows[r]);
        print_ratio(out, x.cycles, l.cycles, l.have && x.have);
        print_ratio(out, rr ? rr->xen : 0, rr ? rr->l_up : 0, rr && rr->xen >= 0 && rr->l_up >= 0);
      }
      for (unsigned c = 0; c < n_configs; c++) {
        struct lm_value v = row_value(&configs[c], &rows[r]);
        if (v.have)
          fprintf(out, " %14.0f", v.cycles);
        else
          fprintf(out, " %14s", "-");
      }
      fputc('\n', out);
    }
    for (unsigned c = 0; c < n_configs; c++)
      print_mechanisms(out, tname, &configs[c]);
    bool any_note = false;
    for (unsigned r = 0; r < N_ROWS; r++) {
      if (strcmp(rows[r].table, tname) != 0 || !rows[r].note[0])
        continue;
      if (!any_note)
        fprintf(out, "\n  notes:\n");
      any_note = true;
      fprintf(out, "  %-16s %s\n", rows[r].benchmark, rows[r].note);
    }
    fputc('\n', out);
  }
  return missing;
}

void lm_print_compare(FILE *out, const struct lm_config *base, const struct lm_config *variant, unsigned n,
                      const char *setting) {
  const struct lm_config *L = config_kind(base, n, 'L'), *X = config_kind(base, n, 'X');
  const struct lm_config *L2 = config_kind(variant, n, 'L'), *X2 = config_kind(variant, n, 'X');
  bool ratios = L && X && L2 && X2;
  fprintf(out, "Comparison: each configuration with and without \"%s\" (microseconds per operation)\n\n", setting);
  for (unsigned t = 0; t < sizeof tables / sizeof tables[0]; t++) {
    const char *tname = tables[t].name;
    fprintf(out, "%s\n%-16s", tables[t].title, "benchmark");
    char label[24];
    for (unsigned c = 0; c < n; c++) {
      snprintf(label, sizeof label, "%s us", base[c].name);
      fprintf(out, " %10s", label);
      snprintf(label, sizeof label, "%s us", variant[c].name);
      fprintf(out, " %10s %8s", label, "change");
    }
    if (ratios)
      fprintf(out, " %7s %7s", "X/L", "X'/L'");
    fputc('\n', out);
    for (unsigned r = 0; r < N_ROWS; r++) {
      if (strcmp(rows[r].table, tname) != 0)
        continue;
      fprintf(out, "%-16s", rows[r].benchmark);
      for (unsigned c = 0; c < n; c++) {
        struct lm_value a = row_value(&base[c], &rows[r]), b = row_value(&variant[c], &rows[r]);
        print_us(out, a.us, a.have);
        print_us(out, b.us, b.have);
        if (a.have && b.have && a.us > 0) /* in time: the setting may change the clock */
          fprintf(out, " %+7.1f%%", 100.0 * (b.us - a.us) / a.us);
        else
          fprintf(out, " %8s", "-");
      }
      if (ratios) {
        struct lm_value l = row_value(L, &rows[r]), x = row_value(X, &rows[r]);
        struct lm_value l2 = row_value(L2, &rows[r]), x2 = row_value(X2, &rows[r]);
        print_ratio(out, x.cycles, l.cycles, l.have && x.have);
        print_ratio(out, x2.cycles, l2.cycles, l2.have && x2.have);
      }
      fputc('\n', out);
    }
    fputc('\n', out);
  }
}

/* ---- CSV, JSON and the plot ----------------------------------------------- */

/* The paper's figure for configuration c (L-UP for L, Xen for X), < 0 if none. */
static double paper_us(const struct lm_reference_row *rr, const struct lm_config *c) {
  if (!rr)
    return -1;
  return is_x(c) ? rr->xen : rr->l_up;
}

/* The L configuration of c's setting: L beside X, L' beside X'. */
static const struct lm_config *partner_l(const struct lm_config *configs, unsigned n, const struct lm_config *x) {
  for (unsigned k = 0; k < n; k++)
    if (configs[k].name[0] == 'L' && strcmp(configs[k].name + 1, x->name + 1) == 0)
      return &configs[k];
  return NULL;
}

void lm_write_csv(FILE *out, const struct lm_config *configs, unsigned n_configs, const struct lm_reference *ref) {
  fprintf(out, "%s\n", LM_CSV_HEADER);
  for (unsigned r = 0; r < N_ROWS; r++)
    for (unsigned c = 0; c < n_configs; c++) {
      struct lm_value v = row_value(&configs[c], &rows[r]);
      if (!v.have)
        continue;
      const struct lm_reference_row *rr = ref_find(ref, &rows[r]);
      fprintf(out, "%s,%s,%s,%.1f,%.4f,", rows[r].table, rows[r].benchmark, configs[c].name, v.cycles, v.us);
      double p = paper_us(rr, &configs[c]);
      if (p >= 0)
        fprintf(out, "%g", p);
      fputc(',', out);
      const struct lm_config *l = is_x(&configs[c]) ? partner_l(configs, n_configs, &configs[c]) : NULL;
      struct lm_value lv = row_value(l, &rows[r]);
      if (lv.have && lv.cycles > 0)
        fprintf(out, "%.4f", v.cycles / lv.cycles);
      fputc(',', out);
      if (is_x(&configs[c]) && rr && rr->xen >= 0 && rr->l_up > 0)
        fprintf(out, "%.4f", rr->xen / rr->l_up);
      for (unsigned k = 0; k < LM_MECH_COUNT; k++)
        fprintf(out, ",%.3f", v.mech[k]);
      fputc(',', out);
      double b = mmu_batch(&v);
      if (b >= 0)
        fprintf(out, "%.2f", b);
      fputc('\n', out);
    }
}

static cJSON *rounded(double v, double unit) { return cJSON_CreateNumber((double)(int64_t)(v / unit + 0.5) * unit); }

int lm_write_json(const char *path, const struct lm_config *configs, unsigned n_configs,
                  const struct lm_reference *ref, char *err, size_t n) {
  cJSON *root = cJSON_CreateObject();
  cJSON *cfgs = cJSON_AddObjectToObject(root, "configs");
  for (unsigned c = 0; c < n_configs; c++) {
    cJSON *o = cJSON_AddObjectToObject(cfgs, configs[c].name);
    cJSON_AddStringToObject(o, "preset", configs[c].preset);
    cJSON_AddNumberToObject(o, "frequency_hz", (double)configs[c].frequency_hz);
    cJSON_AddNumberToObject(o, "run_cycles", (double)configs[c].run_cycles);
    cJSON_AddNumberToObject(o, "run_instructions", (double)configs[c].run_instructions);
  }
  cJSON *out_rows = cJSON_AddArrayToObject(root, "rows");
  char buf[24];
  for (unsigned r = 0; r < N_ROWS; r++) {
    cJSON *row = cJSON_CreateObject();
    cJSON_AddItemToArray(out_rows, row);
    cJSON_AddStringToObject(row, "table", rows[r].table);
    cJSON_AddStringToObject(row, "benchmark", rows[r].benchmark);
    cJSON_AddStringToObject(row, "id", rows[r].id);
    if (rows[r].id2)
      cJSON_AddStringToObject(row, "id2", rows[r].id2);
    if (rows[r].note[0])
      cJSON_AddStringToObject(row, "note", rows[r].note);
    const struct lm_reference_row *rr = ref_find(ref, &rows[r]);
    if (rr) {
      cJSON *p = cJSON_AddObjectToObject(row, "paper");
      cJSON_AddStringToObject(p, "benchmark", rr->benchmark);
      if (rr->l_up >= 0)
        cJSON_AddNumberToObject(p, "L-UP", rr->l_up);
      if (rr->xen >= 0)
        cJSON_AddNumberToObject(p, "Xen", rr->xen);
      if (rr->xen >= 0 && rr->l_up > 0)
        cJSON_AddItemToObject(p, "Xen/L-UP", rounded(rr->xen / rr->l_up, 0.0001));
    }
    for (unsigned c = 0; c < n_configs; c++) {
      struct lm_value v = row_value(&configs[c], &rows[r]);
      if (!v.have)
        continue;
      cJSON *o = cJSON_AddObjectToObject(row, configs[c].name);
      cJSON_AddItemToObject(o, "cycles", rounded(v.cycles, 0.1));
      cJSON_AddItemToObject(o, "us", rounded(v.us, 0.0001));
      const struct lm_config *l = is_x(&configs[c]) ? partner_l(configs, n_configs, &configs[c]) : NULL;
      struct lm_value lv = row_value(l, &rows[r]);
      if (lv.have && lv.cycles > 0)
        cJSON_AddItemToObject(o, "over_L", rounded(v.cycles / lv.cycles, 0.0001));
      cJSON *mo = cJSON_AddObjectToObject(o, "mechanisms");
      for (unsigned k = 0; k < LM_MECH_COUNT; k++)
        cJSON_AddItemToObject(mo, mechanisms[k].label, rounded(v.mech[k], 0.001));
      double b = mmu_batch(&v);
      if (b >= 0)
        cJSON_AddItemToObject(mo, "pte/mmu", rounded(b, 0.01));
      cJSON *ho = cJSON_AddObjectToObject(o, "hypercalls");
      for (unsigned k = 0; k < LM_HYPERCALLS; k++)
        if (v.hcall[k] > 0)
          cJSON_AddItemToObject(ho, hypercall_label(k, buf, sizeof buf), rounded(v.hcall[k], 0.001));
    }
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) {
    snprintf(err, n, "%s: out of memory", path);
    return -1;
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  if (f)
    ok = fclose(f) == 0 && ok;
  free(text);
  if (!ok || rename(tmp, path) != 0) {
    snprintf(err, n, "%s: cannot write: %s", path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* Text inside a single-quoted gnuplot string: a quote is doubled. */
static void gnuplot_text(FILE *f, const char *t) {
  for (; *t; t++) {
    if (*t == '\'')
      fputc('\'', f);
    fputc(*t, f);
  }
}

static const char *extension(const char *path) {
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  return dot && (!slash || dot > slash) ? dot + 1 : "";
}

int lm_write_plot(const char *data_path, const char *script_path, const char *output,
                  const struct lm_config *configs, unsigned n_configs, const struct lm_reference *ref,
                  const char *compare_setting, char *err, size_t n) {
  const char *ext = extension(output);
  const char *terminal;
  if (strcmp(ext, "svg") == 0)
    terminal = "svg size 1200,640 dynamic font 'sans,11'";
  else if (strcmp(ext, "png") == 0)
    terminal = "pngcairo size 1200,640 font 'sans,10'";
  else {
    snprintf(err, n, "%s: the plot's name must end in .svg or .png", output);
    return -1;
  }
  /* the L/X pairs: the base one, and the compared one if any */
  const struct lm_config *pairs[2][2];
  unsigned n_pairs = 0;
  for (unsigned c = 0; c < n_configs && n_pairs < 2; c++)
    if (is_x(&configs[c])) {
      const struct lm_config *l = partner_l(configs, n_configs, &configs[c]);
      if (l) {
        pairs[n_pairs][0] = l;
        pairs[n_pairs][1] = &configs[c];
        n_pairs++;
      }
    }
  if (n_pairs == 0) {
    snprintf(err, n, "%s: the plot shows X/L: it needs the configurations L and X", output);
    return -1;
  }
  FILE *d = fopen(data_path, "w");
  if (!d) {
    snprintf(err, n, "%s: cannot create: %s", data_path, strerror(errno));
    return -1;
  }
  fprintf(d, "# row paper");
  for (unsigned p = 0; p < n_pairs; p++)
    fprintf(d, " %s/%s", pairs[p][1]->name, pairs[p][0]->name);
  fprintf(d, "\n");
  for (unsigned r = 0; r < N_ROWS; r++) {
    const struct lm_reference_row *rr = ref_find(ref, &rows[r]);
    fprintf(d, "\"%s\"", rows[r].benchmark);
    if (rr && rr->xen >= 0 && rr->l_up > 0)
      fprintf(d, " %.4f", rr->xen / rr->l_up);
    else
      fprintf(d, " NaN");
    for (unsigned p = 0; p < n_pairs; p++) {
      struct lm_value l = row_value(pairs[p][0], &rows[r]), x = row_value(pairs[p][1], &rows[r]);
      if (l.have && x.have && l.cycles > 0)
        fprintf(d, " %.4f", x.cycles / l.cycles);
      else
        fprintf(d, " NaN");
    }
    fprintf(d, "\n");
  }
  bool ok = fclose(d) == 0;
  FILE *s = ok ? fopen(script_path, "w") : NULL;
  if (!s) {
    snprintf(err, n, "%s: cannot write: %s", ok ? script_path : data_path, strerror(errno));
    return -1;
  }
  fprintf(s,
          "# ringlab bench lmbench --plot: X/L per row of Tables 3-5, ours beside the paper's\n"
          "set terminal %s\n"
          "set output '%s'\n"
          "set title 'Xen paper Tables 3-5: slowdown of X (paravirtualized) over L (native), %s preset'\n"
          "set ylabel 'X / L (time per operation)'\n"
          "set style data histograms\n"
          "set style histogram clustered gap 1\n"
          "set style fill solid 0.8 border -1\n"
          "set boxwidth 0.9\n"
          "set xtics rotate by -45 nomirror\n"
          "set grid ytics\n"
          "set yrange [0:*]\n"
          "set key top left\n"
          "set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2\n"
          "plot '%s' using 2:xtic(1) title 'paper: Xen / L-UP'",
          terminal, output, configs[0].preset, data_path);
  for (unsigned p = 0; p < n_pairs; p++) {
    fprintf(s, ", '' using %u title 'ringlab: ", 3 + p);
    gnuplot_text(s, pairs[p][1]->name);
    fprintf(s, " / ");
    gnuplot_text(s, pairs[p][0]->name);
    if (p > 0 && compare_setting) {
      fprintf(s, " with ");
      gnuplot_text(s, compare_setting);
    }
    fputc('\'', s);
  }
  fprintf(s, "\n");
  if (fclose(s) != 0) {
    snprintf(err, n, "%s: cannot write: %s", script_path, strerror(errno));
    return -1;
  }
  return 0;
}
