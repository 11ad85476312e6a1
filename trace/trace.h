/* trace/trace.h - the event catalog and the event counters.
 *
 * Every architectural event of a run (an exception delivered, a port access,
 * a TLB miss, ...) is a row of events.def. Counting is always on and costs a
 * single increment: trace_count() on the hot paths. The catalog itself (names,
 * classes, descriptions) is read by the reader, the exports and the docs
 * through the functions below, never spelled out a second time.
 *
 * Counters belong to whoever runs the machine; this library has no globals,
 * changes nothing the guest sees and never advances emulated time.
 */
#ifndef RINGLAB_TRACE_H
#define RINGLAB_TRACE_H

#include <stdint.h>
#include <stdio.h>

enum trace_class {
#define TRACE_CLASS(name, description) TRACE_CLASS_##name,
#include "events.def"
  TRACE_CLASS_COUNT
};

enum trace_event {
#define EVENT(name, class, description) TRACE_EV_##name,
#include "events.def"
  TRACE_EVENT_COUNT
};

#define TRACE_EXCEPTION_VECTORS 32 /* vectors 0-31 are reserved for exceptions */

struct trace_counters {
  uint64_t event[TRACE_EVENT_COUNT];                  /* by enum trace_event */
  uint64_t exception_vector[TRACE_EXCEPTION_VECTORS]; /* TRACE_EV_exception, by vector */
};

/* Counts one occurrence of e. */
static inline void trace_count(struct trace_counters *c, enum trace_event e) { c->event[e]++; }

/* Counts one exception delivered through vector (0-31): the exception event
 * and its per-vector counter together. */
static inline void trace_count_exception(struct trace_counters *c, unsigned vector) {
  c->event[TRACE_EV_exception]++;
  if (vector < TRACE_EXCEPTION_VECTORS)
    c->exception_vector[vector]++;
}

/* The catalog. Out-of-range arguments give NULL (names, descriptions) or
 * TRACE_CLASS_COUNT (class). */
const char *trace_event_name(enum trace_event e);
const char *trace_event_description(enum trace_event e);
enum trace_class trace_event_class(enum trace_event e);
const char *trace_class_name(enum trace_class c);
const char *trace_class_description(enum trace_class c);
/* The event whose name is name, or -1 if there is none. */
int trace_event_by_name(const char *name);

void trace_counters_reset(struct trace_counters *c);
/* sum += add, counter by counter. */
void trace_counters_add(struct trace_counters *sum, const struct trace_counters *add);

/* Writes "name value\n" for every event with a nonzero count, in catalog
 * order. Returns 0, or -1 if writing failed. */
int trace_counters_write_text(FILE *f, const struct trace_counters *c);

/* Writes the catalog as a Markdown table: a header line, a separator line and
 * one line per event with its name, class and description. Returns 0, or -1
 * if writing failed. */
int trace_catalog_write_markdown(FILE *f);

#endif
