/* trace/counters.c - the event catalog as data, and the counter operations.
 *
 * The catalog arrays below are expanded from events.def; nothing here names
 * an individual event.
 */
#include "trace.h"

#include <string.h>

struct event_row {
  const char *name;
  enum trace_class class;
  const char *description;
};

struct class_row {
  const char *name;
  const char *description;
};

static const struct event_row events[TRACE_EVENT_COUNT] = {
#define EVENT(name, class, description) {#name, TRACE_CLASS_##class, description},
#include "events.def"
};

static const struct class_row classes[TRACE_CLASS_COUNT] = {
#define TRACE_CLASS(name, description) {#name, description},
#include "events.def"
};

static int event_valid(enum trace_event e) { return (unsigned)e < TRACE_EVENT_COUNT; }

const char *trace_event_name(enum trace_event e) { return event_valid(e) ? events[e].name : NULL; }

const char *trace_event_description(enum trace_event e) {
  return event_valid(e) ? events[e].description : NULL;
}

enum trace_class trace_event_class(enum trace_event e) {
  return event_valid(e) ? events[e].class : TRACE_CLASS_COUNT;
}

const char *trace_class_name(enum trace_class c) {
  return (unsigned)c < TRACE_CLASS_COUNT ? classes[c].name : NULL;
}

const char *trace_class_description(enum trace_class c) {
  return (unsigned)c < TRACE_CLASS_COUNT ? classes[c].description : NULL;
}

int trace_event_by_name(const char *name) {
  if (!name)
    return -1;
  for (int e = 0; e < TRACE_EVENT_COUNT; e++)
    if (strcmp(events[e].name, name) == 0)
      return e;
  return -1;
}

void trace_counters_reset(struct trace_counters *c) { memset(c, 0, sizeof *c); }

void trace_counters_add(struct trace_counters *sum, const struct trace_counters *add) {
  for (int e = 0; e < TRACE_EVENT_COUNT; e++)
    sum->event[e] += add->event[e];
  for (int v = 0; v < TRACE_EXCEPTION_VECTORS; v++)
    sum->exception_vector[v] += add->exception_vector[v];
}

int trace_counters_write_text(FILE *f, const struct trace_counters *c) {
  for (int e = 0; e < TRACE_EVENT_COUNT; e++) {
    if (c->event[e] == 0)
      continue;
    if (fprintf(f, "%s %llu\n", events[e].name, (unsigned long long)c->event[e]) < 0)
      return -1;
  }
  return ferror(f) ? -1 : 0;
}

int trace_catalog_write_markdown(FILE *f) {
  if (fprintf(f, "| name | class | description |\n|---|---|---|\n") < 0)
    return -1;
  for (int e = 0; e < TRACE_EVENT_COUNT; e++) {
    if (fprintf(f, "| `%s` | %s | %s |\n", events[e].name, classes[events[e].class].name,
                events[e].description) < 0)
      return -1;
  }
  return ferror(f) ? -1 : 0;
}
