/* trace/counters.c - the event catalog as data, and the counter operations.
 *
 * The catalog arrays below are expanded from events.def; nothing here names
 * an individual event.
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

struct event_row {
  const char *name;
  enum trace_class class;
  const char *key;
  enum trace_index index;
  unsigned first; /* enum trace_event: the row's first slot */
  unsigned slots;
  const char *description;
};

struct class_row {
  const char *name;
  const char *description;
};

static const struct event_row events[TRACE_EVENT_COUNT] = {
#define EVENT(name, class, key, index, description)                                                         \
  {#name, TRACE_CLASS_##class, key, TRACE_INDEX_##index, TRACE_EV_##name, TRACE_INDEX_SLOTS_##index, description},
#include "events.def"
};

static const struct class_row classes[TRACE_CLASS_COUNT] = {
#define TRACE_CLASS(name, description) {#name, description},
#include "events.def"
};

/* The row whose first slot is e, or NULL. */
static const struct event_row *row_of(enum trace_event e) {
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++)
    if (events[r].first == (unsigned)e)
      return &events[r];
  return NULL;
}

/* The row holding slot, or NULL. */
static const struct event_row *row_holding(unsigned slot) {
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++)
    if (slot >= events[r].first && slot < events[r].first + events[r].slots)
      return &events[r];
  return NULL;
}

int trace_event_at(unsigned row) { return row < TRACE_EVENT_COUNT ? (int)events[row].first : -1; }

const char *trace_event_name(enum trace_event e) {
  const struct event_row *r = row_of(e);
  return r ? r->name : NULL;
}

const char *trace_event_key(enum trace_event e) {
  const struct event_row *r = row_of(e);
  return r ? r->key : NULL;
}

enum trace_index trace_event_index(enum trace_event e) {
  const struct event_row *r = row_of(e);
  return r ? r->index : (enum trace_index)-1;
}

const char *trace_event_description(enum trace_event e) {
  const struct event_row *r = row_of(e);
  return r ? r->description : NULL;
}

const char *trace_event_fields(enum trace_event e) {
  if (!row_of(e))
    return NULL;
  switch (e) {
#define EVENT_FIELDS(name, fields)                                                                                   \
  case TRACE_EV_##name:                                                                                              \
    return fields;
#include "events.def"
  default:
    return "";
  }
}

enum trace_class trace_event_class(enum trace_event e) {
  const struct event_row *r = row_of(e);
  return r ? r->class : TRACE_CLASS_COUNT;
}

const char *trace_class_name(enum trace_class c) {
  return (unsigned)c < TRACE_CLASS_COUNT ? classes[c].name : NULL;
}

const char *trace_mechanism_name(unsigned m) {
  static const char *const names[] = {
#define X(name) #name,
      TRACE_MECHANISMS(X)
#undef X
  };
  return m < TRACE_MECH_COUNT ? names[m] : NULL;
}

const char *trace_class_description(enum trace_class c) {
  return (unsigned)c < TRACE_CLASS_COUNT ? classes[c].description : NULL;
}

/* The index named by s (what follows "key."), or -1. */
static int parse_index(enum trace_index kind, const char *s) {
  if (kind == TRACE_INDEX_VECTOR) {
    if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1]) || strlen(s) > 3)
      return -1;
    char *end;
    long v = strtol(s, &end, 10);
    return *end || v > 255 ? -1 : (int)v;
  }
  if (kind == TRACE_INDEX_RING) {
    if (s[0] < '0' || s[0] > '3' || s[1] != 't' || s[2] != 'o' || s[3] < '0' || s[3] > '3' || s[4])
      return -1;
    return (int)TRACE_RING_INDEX(s[0] - '0', s[3] - '0');
  }
  return -1;
}

int trace_event_by_name(const char *name) {
  if (!name)
    return -1;
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++) {
    const struct event_row *e = &events[r];
    if (strcmp(e->name, name) == 0 || strcmp(e->key, name) == 0)
      return (int)e->first;
    size_t n = strlen(e->key);
    if (e->index != TRACE_INDEX_NONE && strncmp(e->key, name, n) == 0 && name[n] == '.') {
      int k = parse_index(e->index, name + n + 1);
      if (k >= 0)
        return (int)e->first + k;
    }
  }
  return -1;
}

int trace_slot_event(unsigned slot, unsigned *index) {
  const struct event_row *r = row_holding(slot);
  if (!r)
    return -1;
  if (index)
    *index = slot - r->first;
  return (int)r->first;
}

int trace_slot_name(unsigned slot, char *buf, size_t n) {
  const struct event_row *r = row_holding(slot);
  if (!r || !buf)
    return -1;
  unsigned k = slot - r->first;
  int len;
  if (r->index == TRACE_INDEX_VECTOR)
    len = snprintf(buf, n, "%s.%u", r->key, k);
  else if (r->index == TRACE_INDEX_RING)
    len = snprintf(buf, n, "%s.%uto%u", r->key, k >> 2, k & 3);
  else
    len = snprintf(buf, n, "%s", r->key);
  return len < 0 || (size_t)len >= n ? -1 : len;
}

void trace_counters_reset(struct trace_counters *c) { memset(c, 0, sizeof *c); }

void trace_counters_add(struct trace_counters *sum, const struct trace_counters *add) {
  for (unsigned k = 0; k < TRACE_SLOT_COUNT; k++)
    sum->slot[k] += add->slot[k];
}

void trace_counters_sub(struct trace_counters *out, const struct trace_counters *a, const struct trace_counters *b) {
  for (unsigned k = 0; k < TRACE_SLOT_COUNT; k++)
    out->slot[k] = a->slot[k] - b->slot[k];
}

/* Rows ordered by key: built once per call (a few dozen rows). */
static int by_key(const void *a, const void *b) {
  return strcmp(events[*(const unsigned *)a].key, events[*(const unsigned *)b].key);
}

unsigned trace_counters_report(const struct trace_counters *c, unsigned *slots, unsigned max) {
  unsigned order[TRACE_EVENT_COUNT];
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++)
    order[r] = r;
  qsort(order, TRACE_EVENT_COUNT, sizeof order[0], by_key);
  unsigned n = 0;
  for (unsigned k = 0; k < TRACE_EVENT_COUNT; k++) {
    const struct event_row *r = &events[order[k]];
    for (unsigned s = r->first; s < r->first + r->slots; s++) {
      if (r->index != TRACE_INDEX_NONE && c->slot[s] == 0)
        continue;
      if (n < max)
        slots[n] = s;
      n++;
    }
  }
  return n;
}

int trace_counters_write_text(FILE *f, const struct trace_counters *c) {
  unsigned slots[TRACE_SLOT_COUNT];
  unsigned n = trace_counters_report(c, slots, TRACE_SLOT_COUNT);
  for (unsigned k = 0; k < n; k++) {
    char name[32];
    if (trace_slot_name(slots[k], name, sizeof name) < 0 ||
        fprintf(f, "%s %llu\n", name, (unsigned long long)c->slot[slots[k]]) < 0)
      return -1;
  }
  return ferror(f) ? -1 : 0;
}

int trace_catalog_write_markdown(FILE *f) {
  if (fprintf(f, "| counter | class | description |\n|---|---|---|\n") < 0)
    return -1;
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++) {
    const struct event_row *e = &events[r];
    const char *suffix = e->index == TRACE_INDEX_VECTOR ? ".N" : e->index == TRACE_INDEX_RING ? ".FtoT" : "";
    if (fprintf(f, "| `%s%s` | %s | %s |\n", e->key, suffix, classes[e->class].name, e->description) < 0)
      return -1;
  }
  return ferror(f) ? -1 : 0;
}
