/* machine/stats.c - the --stats JSON (schema 1, issue 4):
 *
 *   {"schema": 1, "version": "...", "preset": "...", "frequency_hz": N,
 *    "exit": {"reason": "...", "status": N},
 *    "cycles": N, "instructions": N, "events": {"name": N, ...},
 *    "hypercalls": {"NAME": {"number": N, "calls": N, "returns": N}},
 *    "regions": {"NAME": {"cycles": N, "instructions": N, "events": {...}}},
 *    "results": {"NAME": N}}
 *
 * "hypercalls" names each hypercall.N of "events" that is nonzero by Xen's
 * name for N (trace_hypercall_name; "hypercall.N" for a number Xen does not
 * name), in the order of the numbers: calls is hypercall.N, returns
 * hypercall_return.N. It is present only when a hypervisor marked some.
 * cycles, instructions and events count from the last COUNTERS_RESET (or
 * power-on); cycles and instructions are the CPU's own totals. "events"
 * holds every plain counter of the catalog (zero or not) and every indexed
 * counter that is nonzero ("exception.14", "softint.128", "irq.32",
 * "ring.3to0"), sorted by name (key, then index), so files of two runs line
 * up; regions and results appear in the order the guest first named them. 64-bit numbers are written as exact decimal integers
 * (cJSON raw values), never through a double. Nothing depends on the host:
 * no path, date or wall time. The file is written under a temporary name
 * and renamed, so a reader never sees half of it.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine-internal.h"

#define STATS_SCHEMA 1

static cJSON *u64(uint64_t v) {
  char s[24];
  snprintf(s, sizeof s, "%" PRIu64, v);
  return cJSON_CreateRaw(s);
}

static cJSON *i64(int64_t v) {
  char s[24];
  snprintf(s, sizeof s, "%" PRId64, v);
  return cJSON_CreateRaw(s);
}

/* Every plain event and every nonzero indexed counter, sorted by name
 * (trace_counters_report). */
static cJSON *events(const struct trace_counters *c) {
  cJSON *o = cJSON_CreateObject();
  unsigned slots[TRACE_SLOT_COUNT];
  unsigned n = trace_counters_report(c, slots, TRACE_SLOT_COUNT);
  for (unsigned k = 0; k < n; k++) {
    char name[32];
    if (trace_slot_name(slots[k], name, sizeof name) > 0)
      cJSON_AddItemToObject(o, name, u64(c->slot[slots[k]]));
  }
  return o;
}

static cJSON *hypercalls(const struct trace_counters *c) {
  cJSON *o = NULL;
  for (unsigned nr = 0; nr <= RINGLAB_OPS_HYPERCALL_MAX; nr++) {
    uint64_t calls = trace_counter_at(c, TRACE_EV_hypercall, nr);
    uint64_t returns = trace_counter_at(c, TRACE_EV_hypercall_return, nr);
    if (!calls && !returns)
      continue;
    if (!o)
      o = cJSON_CreateObject();
    char fallback[24];
    const char *name = trace_hypercall_name(nr);
    if (!name) {
      snprintf(fallback, sizeof fallback, "hypercall.%u", nr);
      name = fallback;
    }
    cJSON *h = cJSON_AddObjectToObject(o, name);
    cJSON_AddNumberToObject(h, "number", nr);
    cJSON_AddItemToObject(h, "calls", u64(calls));
    cJSON_AddItemToObject(h, "returns", u64(returns));
  }
  return o;
}

static void add_snap(cJSON *o, const struct machine_snap *s) {
  cJSON_AddItemToObject(o, "cycles", u64(s->cycles));
  cJSON_AddItemToObject(o, "instructions", u64(s->instructions));
  cJSON_AddItemToObject(o, "events", events(&s->events));
}

static char *stats_text(const struct machine *m) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddNumberToObject(root, "schema", STATS_SCHEMA);
  cJSON_AddStringToObject(root, "version", RINGLAB_VERSION);
  cJSON_AddStringToObject(root, "preset", cpu_timing_name(m->cpu));
  cJSON_AddItemToObject(root, "frequency_hz", u64(cpu_timing_frequency_hz(m->cpu)));
  cJSON *ex = cJSON_AddObjectToObject(root, "exit");
  cJSON_AddStringToObject(ex, "reason", machine_end_name(m->end));
  cJSON_AddNumberToObject(ex, "status", machine_exit_status(m));
  struct machine_snap now, d;
  machine_snap(m, &now);
  machine_snap_sub(&d, &now, &m->baseline);
  add_snap(root, &d);
  cJSON *hc = hypercalls(&d.events);
  if (hc)
    cJSON_AddItemToObject(root, "hypercalls", hc);
  cJSON *regions = cJSON_AddObjectToObject(root, "regions");
  for (unsigned k = 0; k < m->n_regions; k++) {
    cJSON *r = cJSON_AddObjectToObject(regions, m->regions[k].name);
    add_snap(r, &m->regions[k].sum);
  }
  cJSON *results = cJSON_AddObjectToObject(root, "results");
  for (unsigned k = 0; k < m->n_results; k++)
    cJSON_AddItemToObject(results, m->results[k].name, i64(m->results[k].value));
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  return text;
}

int machine_write_stats(const struct machine *m, const char *path, char *err, size_t n) {
  char *text = stats_text(m);
  if (!text) {
    snprintf(err, n, "%s: out of memory", path);
    return -1;
  }
  size_t len = strlen(path);
  char *tmp = malloc(len + 8);
  if (!tmp) {
    free(text);
    snprintf(err, n, "%s: out of memory", path);
    return -1;
  }
  snprintf(tmp, len + 8, "%s.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd >= 0)
    fchmod(fd, 0644); /* mkstemp's 0600 would outlive the rename */
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  int rc = 0;
  if (!f) {
    snprintf(err, n, "%s: cannot create: %s", path, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    rc = -1;
  } else {
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
      snprintf(err, n, "%s: cannot write: %s", path, strerror(errno));
      unlink(tmp);
      rc = -1;
    }
  }
  free(tmp);
  free(text);
  return rc;
}
