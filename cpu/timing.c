/* cpu/timing.c - timing presets: reading them and putting one in force.
 *
 * A preset is an INI file (cpu/timing/README.md documents the format and
 * every number of the built-in ones):
 *
 *   [preset]   name, frequency_hz, apic, apic_bus_hz, and optionally
 *              base = PRESET (first key)
 *   [rows]     default = N, then ROW_NAME = N or PREFIX* = N by opcode-table
 *              handler name (cpu_rows[].name)
 *   [events]   one key per CPU_TIMING_EVENTS row, in cycles
 *
 * The built-in presets are the files of cpu/timing/, compiled in by
 * embed.cmake. A key that names no row and no event is an error, and so is a
 * missing frequency, APIC, default or event: a preset never prices
 * something by accident. Among [rows] keys the most specific wins, whatever
 * the order: an exact name beats any wildcard, a longer prefix beats a
 * shorter one.
 *
 * The engine adds each block's row costs once, at decode time (codecache.c),
 * so putting a preset in force flushes the code cache.
 */
#include "cpu-internal.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* From the file embed.cmake generates: names and texts, each ending NULL. */
extern const char *const cpu_timing_builtin_names[];
extern const char *const cpu_timing_builtin_texts[];

#define BASE_DEPTH_MAX 4 /* base = chains (no loops, no deep nesting) */
#define SPEC_EXACT 0xFFFFu

static const char *const event_names[CPU_TEV_COUNT] = {
#define X(ev) #ev,
    CPU_TIMING_EVENTS(X)
#undef X
};

const char *cpu_timing_event_name(enum cpu_timing_event e) {
  return (unsigned)e < CPU_TEV_COUNT ? event_names[e] : NULL;
}

const char *const *cpu_timing_presets(void) { return cpu_timing_builtin_names; }

const char *cpu_timing_name(const struct cpu *c) { return c->timing.name; }

uint64_t cpu_timing_frequency_hz(const struct cpu *c) { return c->timing.frequency_hz; }
enum cpu_apic_model cpu_timing_apic(const struct cpu *c) { return c->timing.apic; }
void cpu_timing_apic_bus_hz(const struct cpu *c, uint64_t *num, uint64_t *den) {
  *num = c->timing.apic_bus_num;
  *den = c->timing.apic_bus_den;
}

static cycles_t *event_field(struct cpu_timing *t, unsigned e) {
  switch ((enum cpu_timing_event)e) {
#define X(ev)          \
  case CPU_TEV_##ev: \
    return &t->ev;
    CPU_TIMING_EVENTS(X)
#undef X
  case CPU_TEV_COUNT:
    break;
  }
  return NULL;
}

/* One file being read. Several may be under way when base = chains. */
struct parse {
  const char *file;         /* as messages name it */
  struct cpu_timing *t;     /* filled in */
  int depth;
  bool any_key;             /* base must come first */
  bool have_freq, have_default, have_base, have_name, have_apic, have_apic_bus;
  uint16_t default_cost;
  bool have_event[CPU_TEV_COUNT];   /* by this file or its base */
  bool event_here[CPU_TEV_COUNT];   /* by this file */
  bool row_set[CPU_ROW_MAX];        /* by this file or its base */
  uint16_t row_spec[CPU_ROW_MAX];   /* what set it here: prefix length or SPEC_EXACT */
  char msg[200];            /* the first error, without file and line */
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse *p, const char *fmt, ...) {
  if (!p->msg[0]) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
  }
  return 0; /* inih then reports this line */
}

/* A decimal number without sign, spaces or suffix, at most max. */
static bool parse_number(const char *s, uint64_t max, uint64_t *out) {
  if (*s < '0' || *s > '9')
    return false;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return false;
    unsigned d = (unsigned)(*s - '0');
    if (v > (max - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

static int load(struct cpu_timing *t, const char *name_or_path, int depth, char *err, size_t errlen);

static int on_preset(struct parse *p, const char *key, const char *value) {
  if (!strcmp(key, "base")) {
    if (p->any_key)
      return fail(p, "base must be the first key of the file");
    if (p->depth + 1 >= BASE_DEPTH_MAX)
      return fail(p, "base presets nest deeper than %d", BASE_DEPTH_MAX);
    char inner[256];
    if (load(p->t, value, p->depth + 1, inner, sizeof inner) != 0)
      return fail(p, "base %s: %s", value, inner);
    p->any_key = p->have_base = p->have_freq = p->have_apic = p->have_apic_bus = true;
    for (unsigned e = 0; e < CPU_TEV_COUNT; e++)
      p->have_event[e] = true;
    for (unsigned r = 0; r < cpu_row_count; r++)
      p->row_set[r] = true; /* row_spec stays 0: any key here overrides */
    return 1;
  }
  p->any_key = true;
  if (!strcmp(key, "name")) {
    if (!value[0] || strlen(value) >= sizeof p->t->name_buf)
      return fail(p, "name must be 1 to %zu characters", sizeof p->t->name_buf - 1);
    snprintf(p->t->name_buf, sizeof p->t->name_buf, "%s", value);
    p->have_name = true;
    return 1;
  }
  if (!strcmp(key, "frequency_hz")) {
    uint64_t hz;
    if (!parse_number(value, 1000000000000000ull, &hz) || hz == 0)
      return fail(p, "frequency_hz '%s' is not a positive whole number of Hz", value);
    p->t->frequency_hz = hz;
    p->have_freq = true;
    return 1;
  }
  if (!strcmp(key, "apic")) {
    if (!strcmp(value, "p6"))
      p->t->apic = CPU_APIC_P6;
    else if (!strcmp(value, "xapic"))
      p->t->apic = CPU_APIC_XAPIC;
    else
      return fail(p, "apic '%s' is not p6 or xapic", value);
    p->have_apic = true;
    return 1;
  }
  if (!strcmp(key, "apic_bus_hz")) {
    /* N or N/D Hz: a whole number, or a fraction for a bus clock that is
     * not a whole number of Hz (200000000/3) */
    char num[32];
    const char *slash = strchr(value, '/');
    size_t len = slash ? (size_t)(slash - value) : strlen(value);
    uint64_t n = 0, d = 1;
    bool ok = len < sizeof num;
    if (ok) {
      memcpy(num, value, len);
      num[len] = 0;
      ok = parse_number(num, 1000000000000000ull, &n) && n > 0 &&
           (!slash || (parse_number(slash + 1, 1000, &d) && d > 0));
    }
    if (!ok)
      return fail(p, "apic_bus_hz '%s' is not a positive whole number of Hz, or N/D with D at most 1000", value);
    p->t->apic_bus_num = n;
    p->t->apic_bus_den = d;
    p->have_apic_bus = true;
    return 1;
  }
  if (!strcmp(key, "description"))
    return 1; /* free text for people */
  return fail(p, "unknown key '%s' in [preset] (name, frequency_hz, apic, apic_bus_hz, base, description)", key);
}

static int on_row(struct parse *p, const char *key, const char *value) {
  p->any_key = true;
  uint64_t cost;
  if (!parse_number(value, UINT16_MAX, &cost))
    return fail(p, "[rows] %s = '%s' is not a whole number of cycles from 0 to %u", key, value,
                (unsigned)UINT16_MAX);
  if (!strcmp(key, "default")) {
    if (p->have_default)
      return fail(p, "duplicate key 'default' in [rows]");
    p->have_default = true;
    p->default_cost = (uint16_t)cost;
    return 1;
  }
  size_t n = strlen(key);
  bool wild = n > 0 && key[n - 1] == '*';
  size_t len = wild ? n - 1 : n;
  if (wild && (len == 0 || memchr(key, '*', len)))
    return fail(p, "[rows] wildcard '%s' must be a name prefix followed by one '*'", key);
  uint16_t spec = wild ? (uint16_t)len : SPEC_EXACT;
  unsigned matched = 0;
  for (unsigned r = 0; r < cpu_row_count; r++) {
    const char *name = cpu_rows[r].name;
    if (wild ? strncmp(name, key, len) != 0 : strcmp(name, key) != 0)
      continue;
    matched++;
    if (p->row_spec[r] == spec) /* only the same key is as specific */
      return fail(p, "duplicate key '%s' in [rows]", key);
    if (p->row_spec[r] > spec)
      continue; /* a more specific key already set it */
    p->row_spec[r] = spec;
    p->row_set[r] = true;
    p->t->row_cost_table[r] = (uint16_t)cost;
  }
  if (!matched)
    return fail(p, wild ? "[rows] wildcard '%s' matches no opcode-table row"
                        : "unknown key '%s' in [rows]: no opcode-table row has that name",
                key);
  return 1;
}

static int on_event(struct parse *p, const char *key, const char *value) {
  p->any_key = true;
  for (unsigned e = 0; e < CPU_TEV_COUNT; e++) {
    if (strcmp(key, event_names[e]))
      continue;
    uint64_t cost;
    if (!parse_number(value, UINT32_MAX, &cost))
      return fail(p, "[events] %s = '%s' is not a whole number of cycles", key, value);
    if (p->event_here[e])
      return fail(p, "duplicate key '%s' in [events]", key);
    *event_field(p->t, e) = cost;
    p->have_event[e] = p->event_here[e] = true;
    return 1;
  }
  return fail(p, "unknown key '%s' in [events]: not a timing event", key);
}

static int on_key(void *user, const char *section, const char *key, const char *value) {
  struct parse *p = user;
  if (p->msg[0])
    return 1; /* report the first error only; inih keeps its line */
  if (!strcmp(section, "preset"))
    return on_preset(p, key, value);
  if (!strcmp(section, "rows"))
    return on_row(p, key, value);
  if (!strcmp(section, "events"))
    return on_event(p, key, value);
  return fail(p, "unknown section [%s] (preset, rows, events)", section);
}

static const char *builtin_text(const char *name) {
  for (unsigned i = 0; cpu_timing_builtin_names[i]; i++)
    if (!strcmp(cpu_timing_builtin_names[i], name))
      return cpu_timing_builtin_texts[i];
  return NULL;
}

/* The preset's name when the file gives none: the file name without its
 * directory and without ".ini". */
static void name_from_path(char *out, size_t n, const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t len = strlen(base);
  if (len > 4 && !strcmp(base + len - 4, ".ini"))
    len -= 4;
  if (len >= n)
    len = n - 1;
  memcpy(out, base, len);
  out[len] = '\0';
}

/* Reads a preset into *t (whose row_cost_table it fills completely). */
static int load(struct cpu_timing *t, const char *name_or_path, int depth, char *err, size_t errlen) {
  struct parse *p = calloc(1, sizeof *p);
  char file[160];
  if (!p) {
    snprintf(err, errlen, "%s: out of memory", name_or_path);
    return -1;
  }
  p->t = t;
  p->depth = depth;
  const char *text = builtin_text(name_or_path);
  int rc;
  if (text) {
    snprintf(file, sizeof file, "cpu/timing/%s.ini", name_or_path);
    p->file = file;
    rc = ini_parse_string(text, on_key, p);
  } else {
    p->file = name_or_path;
    errno = 0;
    rc = ini_parse(name_or_path, on_key, p);
    if (rc == -1) {
      char names[120] = "";
      for (unsigned i = 0; cpu_timing_builtin_names[i]; i++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", cpu_timing_builtin_names[i]);
      }
      snprintf(err, errlen, "%s: no such built-in preset (%s) and cannot open the file: %s", name_or_path,
               names, errno ? strerror(errno) : "unreadable");
      free(p);
      return -1;
    }
  }
  if (rc == -2) {
    snprintf(err, errlen, "%s: out of memory", p->file);
  } else if (rc > 0) {
    snprintf(err, errlen, "%s:%d: %s", p->file, rc, p->msg[0] ? p->msg : "not an INI line (want key = value or [section])");
  } else if (!p->have_freq) {
    snprintf(err, errlen, "%s: missing [preset] frequency_hz", p->file);
  } else if (!p->have_apic) {
    snprintf(err, errlen, "%s: missing [preset] apic (p6 or xapic)", p->file);
  } else if (!p->have_apic_bus) {
    snprintf(err, errlen, "%s: missing [preset] apic_bus_hz", p->file);
  } else if (!p->have_default && !p->have_base) {
    snprintf(err, errlen, "%s: missing [rows] default (the cost of rows the file does not list)", p->file);
  } else {
    for (unsigned e = 0; e < CPU_TEV_COUNT; e++) {
      if (!p->have_event[e]) {
        snprintf(err, errlen, "%s: missing [events] %s", p->file, event_names[e]);
        free(p);
        return -1;
      }
    }
    for (unsigned r = 0; r < cpu_row_count; r++)
      if (!p->row_set[r])
        t->row_cost_table[r] = p->default_cost;
    if (!p->have_name) {
      if (text)
        snprintf(t->name_buf, sizeof t->name_buf, "%s", name_or_path);
      else
        name_from_path(t->name_buf, sizeof t->name_buf, name_or_path);
    }
    free(p);
    return 0;
  }
  free(p);
  return -1;
}

int cpu_set_timing(struct cpu *c, const char *name_or_path, char *err, size_t errlen) {
  char scratch[2];
  if (!err || errlen == 0) {
    err = scratch;
    errlen = sizeof scratch;
  }
  err[0] = '\0';
  if (!name_or_path || !name_or_path[0]) {
    snprintf(err, errlen, "timing preset: empty name");
    return -1;
  }
  struct cpu_timing *t = calloc(1, sizeof *t);
  if (!t) {
    snprintf(err, errlen, "%s: out of memory", name_or_path);
    return -1;
  }
  if (load(t, name_or_path, 0, err, errlen) != 0) {
    free(t);
    return -1;
  }
  c->timing = *t;
  c->timing.name = c->timing.name_buf;
  c->timing.row_cost = c->timing.row_cost_table;
  free(t);
  cpu_code_cache_flush(c->cache);
  return 0;
}
