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

struct lm_row {
  const char *table, *benchmark, *reference, *id, *id2, *note;
};

static const struct lm_row rows[] = {
#define LMROW(table, benchmark, reference, id, id2, note) {table, benchmark, reference, id, id2, note},
#include "lmbench_rows.def"
};
#define N_ROWS (sizeof rows / sizeof rows[0])

static const struct {
  const char *label, *key;
} mechanisms[LM_MECH_COUNT] = {
#define X(id, label, key) {label, key},
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

static void sum_mechanisms(const cJSON *events, double mech[LM_MECH_COUNT]) {
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
      sum_mechanisms(cJSON_GetObjectItemCaseSensitive(region, "events"), m->mech);
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
};

static void add_measure(struct lm_value *v, const struct lm_measure *m, double weight) {
  double ops = (double)m->ops;
  v->cycles += weight * (double)m->cycles / ops;
  for (unsigned k = 0; k < LM_MECH_COUNT; k++)
    v->mech[k] += weight * m->mech[k] / ops;
}

static struct lm_value row_value(const struct lm_config *c, const struct lm_row *row) {
  struct lm_value v = {0};
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

static const struct lm_config *config_named(const struct lm_config *configs, unsigned n, const char *name) {
  for (unsigned k = 0; k < n; k++)
    if (strcmp(configs[k].name, name) == 0)
      return &configs[k];
  return NULL;
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

unsigned lm_print_tables(FILE *out, const struct lm_config *configs, unsigned n_configs,
                         const struct lm_reference *ref) {
  unsigned missing = 0;
  const struct lm_config *L = config_named(configs, n_configs, "L");
  const struct lm_config *X = config_named(configs, n_configs, "X");
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
    if (ratios)
      fprintf(out, " %7s %7s", "X/L", "paper");
    for (unsigned c = 0; c < n_configs; c++) {
      snprintf(label, sizeof label, "%s cycles", configs[c].name);
      fprintf(out, " %18s", label);
    }
    fputc('\n', out);
    for (unsigned r = 0; r < N_ROWS; r++) {
      if (strcmp(rows[r].table, tname) != 0)
        continue;
      const struct lm_reference_row *rr = ref_find(ref, &rows[r]);
      struct lm_value v[8];
      fprintf(out, "%-16s", rows[r].benchmark);
      for (unsigned c = 0; c < n_configs && c < 8; c++) {
        v[c] = row_value(&configs[c], &rows[r]);
        missing += !v[c].have;
        print_us(out, v[c].us, v[c].have);
      }
      print_us(out, rr ? rr->l_up : 0, rr && rr->l_up >= 0);
      if (X)
        print_us(out, rr ? rr->xen : 0, rr && rr->xen >= 0);
      if (ratios) {
        struct lm_value l = row_value(L, &rows[r]), x = row_value(X, &rows[r]);
        print_ratio(out, x.cycles, l.cycles, l.have && x.have);
        print_ratio(out, rr ? rr->xen : 0, rr ? rr->l_up : 0, rr && rr->xen >= 0 && rr->l_up >= 0);
      }
      for (unsigned c = 0; c < n_configs && c < 8; c++) {
        if (v[c].have)
          fprintf(out, " %18.0f", v[c].cycles);
        else
          fprintf(out, " %18s", "-");
      }
      fputc('\n', out);
    }
    /* Mechanisms per operation, each configuration: only the columns that
     * are nonzero somewhere in this table. */
    for (unsigned c = 0; c < n_configs; c++) {
      bool used[LM_MECH_COUNT] = {false};
      for (unsigned r = 0; r < N_ROWS; r++) {
        if (strcmp(rows[r].table, tname) != 0)
          continue;
        struct lm_value v = row_value(&configs[c], &rows[r]);
        for (unsigned k = 0; v.have && k < LM_MECH_COUNT; k++)
          used[k] |= v.mech[k] >= 0.005;
      }
      fprintf(out, "\n  mechanisms per operation, %s:\n  %-16s", configs[c].name, "benchmark");
      for (unsigned k = 0; k < LM_MECH_COUNT; k++)
        if (used[k])
          fprintf(out, " %9s", mechanisms[k].label);
      fputc('\n', out);
      for (unsigned r = 0; r < N_ROWS; r++) {
        if (strcmp(rows[r].table, tname) != 0)
          continue;
        struct lm_value v = row_value(&configs[c], &rows[r]);
        fprintf(out, "  %-16s", rows[r].benchmark);
        for (unsigned k = 0; k < LM_MECH_COUNT; k++) {
          if (!used[k])
            continue;
          if (v.have)
            fprintf(out, " %9.2f", v.mech[k]);
          else
            fprintf(out, " %9s", "-");
        }
        fputc('\n', out);
      }
    }
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

/* ---- CSV and JSON --------------------------------------------------------- */

void lm_write_csv(FILE *out, const struct lm_config *configs, unsigned n_configs) {
  fprintf(out, "table,benchmark,config,cycles,us\n");
  for (unsigned r = 0; r < N_ROWS; r++)
    for (unsigned c = 0; c < n_configs; c++) {
      struct lm_value v = row_value(&configs[c], &rows[r]);
      if (v.have)
        fprintf(out, "%s,%s,%s,%.1f,%.4f\n", rows[r].table, rows[r].benchmark, configs[c].name, v.cycles, v.us);
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
    }
    for (unsigned c = 0; c < n_configs; c++) {
      struct lm_value v = row_value(&configs[c], &rows[r]);
      if (!v.have)
        continue;
      cJSON *o = cJSON_AddObjectToObject(row, configs[c].name);
      cJSON_AddItemToObject(o, "cycles", rounded(v.cycles, 0.1));
      cJSON_AddItemToObject(o, "us", rounded(v.us, 0.0001));
      cJSON *mo = cJSON_AddObjectToObject(o, "mechanisms");
      for (unsigned k = 0; k < LM_MECH_COUNT; k++)
        cJSON_AddItemToObject(mo, mechanisms[k].label, rounded(v.mech[k], 0.001));
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
