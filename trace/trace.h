/* trace/trace.h - the event catalog and the event counters.
 *
 * Every architectural event of a run (an exception delivered, a port access,
 * a TLB miss, ...) is a row of events.def. A row has one counter, or one per
 * index (a vector 0-255, or a (from, to) privilege-level pair): the rows
 * expand, at compile time, into one flat array of counters, struct
 * trace_counters, in which each row owns a run of slots starting at its
 * enum value. So counting is a single increment of a slot whose address the
 * compiler knows:
 *
 *   trace_count(c, TRACE_EV_invlpg);                    plain row
 *   trace_count_at(c, TRACE_EV_exception, 14);          indexed row
 *   trace_count_at(c, TRACE_EV_ring, TRACE_RING_INDEX(3, 0));
 *
 * Counting is always on, in every build type, unless the build sets
 * RINGLAB_COUNTERS=OFF (CMake), which defines RINGLAB_COUNTERS to 0 and
 * makes both functions empty: that build exists to measure what counting
 * costs (README, "Counters"); its counts stay zero. The layout of the
 * array is the same either way.
 *
 * Counter names: a plain row's key ("tlb_flush.cr3"); key.N for a vector
 * ("softint.128"); key.FtoT for a ring pair ("ring.3to0"). The catalog
 * (names, keys, classes, descriptions) is read by the reader, the exports
 * and the docs through the functions below, never spelled out a second
 * time.
 *
 * Counters belong to whoever runs the machine; this library has no globals,
 * changes nothing the guest sees and never advances emulated time.
 */
#ifndef RINGLAB_TRACE_H
#define RINGLAB_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef RINGLAB_COUNTERS
#define RINGLAB_COUNTERS 1
#endif

enum trace_class {
#define TRACE_CLASS(name, description) TRACE_CLASS_##name,
#include "events.def"
  TRACE_CLASS_COUNT
};

/* Index dimensions of a row, and the slots each takes. */
enum trace_index { TRACE_INDEX_NONE, TRACE_INDEX_VECTOR, TRACE_INDEX_RING };
#define TRACE_INDEX_SLOTS_NONE 1
#define TRACE_INDEX_SLOTS_VECTOR 256
#define TRACE_INDEX_SLOTS_RING 16
/* The slot offset of the privilege-level change from CPL `from` to `to`. */
#define TRACE_RING_INDEX(from, to) ((((unsigned)(from)&3u) << 2) | ((unsigned)(to)&3u))

/* An event's value is its first slot in the counter array; the row's other
 * slots follow it (TRACE_EV_name_end_ marks the last, for the enum only). */
enum trace_event {
#define EVENT(name, class, key, index, description)                                                         \
  TRACE_EV_##name, TRACE_EV_##name##_end_ = TRACE_EV_##name + TRACE_INDEX_SLOTS_##index - 1,
#include "events.def"
  TRACE_SLOT_COUNT
};

/* Rows in catalog order: 0 .. TRACE_EVENT_COUNT - 1 (trace_event_at). */
enum trace_row {
#define EVENT(name, class, key, index, description) TRACE_ROW_##name,
#include "events.def"
  TRACE_EVENT_COUNT
};

struct trace_counters {
  uint64_t slot[TRACE_SLOT_COUNT]; /* by enum trace_event (+ index) */
};

#if RINGLAB_COUNTERS
/* Counts one occurrence of plain event e. */
static inline void trace_count(struct trace_counters *c, enum trace_event e) { c->slot[e]++; }
/* Counts one occurrence of indexed event e at index (a vector 0-255, or
 * TRACE_RING_INDEX(from, to)); the caller keeps index in range. */
static inline void trace_count_at(struct trace_counters *c, enum trace_event e, unsigned index) {
  c->slot[e + index]++;
}
/* Counts n occurrences of indexed event e at index at once (a batch the
 * hypervisor reports in one mark). */
static inline void trace_count_n_at(struct trace_counters *c, enum trace_event e, unsigned index, uint64_t n) {
  c->slot[e + index] += n;
}
#else
static inline void trace_count(struct trace_counters *c, enum trace_event e) {
  (void)c;
  (void)e;
}
static inline void trace_count_at(struct trace_counters *c, enum trace_event e, unsigned index) {
  (void)c;
  (void)e;
  (void)index;
}
static inline void trace_count_n_at(struct trace_counters *c, enum trace_event e, unsigned index, uint64_t n) {
  (void)c;
  (void)e;
  (void)index;
  (void)n;
}
#endif

/* Field values with names (the reader prints the name, exports too).
 *
 * mechanism: how a privilege-level change happened (the field of "ring"
 * records). One table, in record order: the value is the row's position. */
#define TRACE_MECHANISMS(X)                                                         \
  X(exception)   /* a processor exception delivered through the IDT */            \
  X(interrupt)   /* an external interrupt (INTR) or NMI delivered */               \
  X(int)         /* INT n, INT3, INTO */                                          \
  X(iret)        /* IRET (to an outer ring or to virtual-8086 mode) */            \
  X(call_gate)   /* far CALL through a call gate to an inner ring */              \
  X(far_ret)     /* far RET to an outer ring */                                   \
  X(sysenter)    /* SYSENTER */                                                   \
  X(sysexit)     /* SYSEXIT */                                                    \
  X(task_switch) /* a hardware task switch (JMP/CALL/IRET/task gate) */

enum trace_mechanism {
#define X(name) TRACE_MECH_##name,
  TRACE_MECHANISMS(X)
#undef X
  TRACE_MECH_COUNT
};
/* The name of mechanism m ("iret"), or NULL. */
const char *trace_mechanism_name(unsigned m);
/* Xen's name of hypercall nr ("mmu_update" for 1), NULL for a number
 * Xen's public headers do not name. */
const char *trace_hypercall_name(unsigned nr);

/* Reading counters. */
static inline uint64_t trace_counter(const struct trace_counters *c, enum trace_event e) { return c->slot[e]; }
static inline uint64_t trace_counter_at(const struct trace_counters *c, enum trace_event e, unsigned index) {
  return c->slot[e + index];
}

/* The catalog. Out-of-range arguments give NULL (names, keys,
 * descriptions), TRACE_CLASS_COUNT (class) or -1. */
/* The event of row (0 .. TRACE_EVENT_COUNT - 1), or -1. */
int trace_event_at(unsigned row);
/* The C name ("tlb_flush_cr3"), the counter key ("tlb_flush.cr3"), the
 * index dimension, the description and the class of event e. */
const char *trace_event_name(enum trace_event e);
const char *trace_event_key(enum trace_event e);
enum trace_index trace_event_index(enum trace_event e);
const char *trace_event_description(enum trace_event e);
enum trace_class trace_event_class(enum trace_event e);
const char *trace_class_name(enum trace_class c);
const char *trace_class_description(enum trace_class c);
/* The slot named name: a counter name ("invlpg", "tlb_flush.cr3",
 * "exception.14", "ring.3to0"), or a row's C name or key, which gives the
 * row's first slot (its enum value). -1 if there is none. */
int trace_event_by_name(const char *name);
/* The event owning slot (with *index its offset in the row), or -1. */
int trace_slot_event(unsigned slot, unsigned *index);
/* Writes the counter name of slot into buf (n bytes, 32 is always enough).
 * Returns the length, or -1 if slot is out of range or buf too small. */
int trace_slot_name(unsigned slot, char *buf, size_t n);

void trace_counters_reset(struct trace_counters *c);
/* sum += add, counter by counter. */
void trace_counters_add(struct trace_counters *sum, const struct trace_counters *add);
/* out = a - b, counter by counter (a later snapshot minus an earlier one). */
void trace_counters_sub(struct trace_counters *out, const struct trace_counters *a, const struct trace_counters *b);

/* The slots to report, sorted by counter name (key, then index): every
 * plain row, and the indexed counters that are nonzero. Writes up to max
 * slots and returns how many there are in all. */
unsigned trace_counters_report(const struct trace_counters *c, unsigned *slots, unsigned max);

/* Writes "name value\n" for each slot trace_counters_report lists.
 * Returns 0, or -1 if writing failed. */
int trace_counters_write_text(FILE *f, const struct trace_counters *c);

/* Writes the catalog as a Markdown table: a header line, a separator line and
 * one line per event with its counter name (key.N, key.FtoT for indexed
 * rows), class and description. Returns 0, or -1 if writing failed. */
int trace_catalog_write_markdown(FILE *f);


/* ---- the event stream (stream.c writes it, reader.c reads it; FORMAT.md) ---- */

/* The newest format version this build writes and reads. A reader accepts
 * every version up to it and refuses newer ones. */
#define TRACE_FORMAT_VERSION 3
/* The exit status of `ringlab trace` for a damaged, truncated or foreign
 * file (EX_USAGE, as every bad input of ringlab). */
#define TRACE_EXIT_BAD_FILE 64

/* One recorded event. slot is a counter slot of the writer's catalog
 * (enum trace_event + index: "exception.14", "ring.3to0"). Version 2 adds
 * the per-event part (FORMAT.md): the bytes of the instruction at CS:EIP
 * (insn_len 0: not available, e.g. not in RAM or ROM, or unmapped) and up
 * to TRACE_FIELDS_MAX 32-bit fields, the first n_fields of the row's
 * "fields" in events.def (EVENT_FIELDS). A version 1 file reads with
 * insn_len and n_fields 0. */
#define TRACE_INSN_MAX 15
#define TRACE_FIELDS_MAX 4
#define TRACE_REC_CODE32 0x01u /* flags: CS was a 32-bit code segment (disassembly mode) */
/* The CPL and CS:EIP of a record are the event's site: the instruction
 * that caused it (INT n, IRET, MOV CR3, the faulting one, the one whose
 * access missed the TLB), or for an external interrupt the instruction it
 * came before; never the handler it led to. */
struct trace_record {
  uint64_t cycle; /* cpu_cycles_now() at the event */
  uint16_t slot;
  uint8_t cpu;
  uint8_t cpl;
  uint16_t cs;
  uint32_t eip;
  uint32_t cs_base; /* in memory only (not in the file): CS base at the site, to fetch the bytes */
  uint8_t flags;    /* TRACE_REC_* */
  uint8_t insn_len; /* bytes in insn, 0 .. TRACE_INSN_MAX */
  uint8_t n_fields; /* 0 .. TRACE_FIELDS_MAX */
  uint8_t insn[TRACE_INSN_MAX];
  uint32_t field[TRACE_FIELDS_MAX];
};

/* The names of event e's fields (a row's first slot), space-separated, in
 * record order ("error_code cr2"); "" if the row has none. */
const char *trace_event_fields(enum trace_event e);

/* What the header says about the run (all text: nothing host-specific). */
struct trace_run_info {
  const char *ringlab_version;
  const char *preset;
  uint64_t frequency_hz;
  const char *config; /* the machine configuration, "key=value" lines */
};

/* Classes as a bit mask (1u << enum trace_class); TRACE_CLASSES_ALL is
 * every class. */
#define TRACE_CLASSES_ALL ((1u << TRACE_CLASS_COUNT) - 1u)
/* Parses "cpu,exception,..." into a mask; -1 with err set if a name is not
 * a class. */
int trace_classes_parse(const char *list, uint32_t *mask, char *err, size_t n);
/* Whether event e (a row's first slot) is recorded in a trace: every event
 * but the TLB hits (one per memory access: a record each would be the run
 * over again), which are counted and not recorded (FORMAT.md). */
int trace_event_recorded(enum trace_event e);

/* The writer. Records go to PATH.tmp, which trace_writer_finish renames to
 * PATH after the end block; trace_writer_abort removes it. */
struct trace_writer;
struct trace_writer *trace_writer_open(const char *path, const struct trace_run_info *info, uint32_t classes,
                                       char *err, size_t n);
/* Whether the writer records slot (its class is in the filter). */
int trace_writer_wants(const struct trace_writer *w, unsigned slot);
/* Appends a record (a slot the filter excludes is dropped). 0, or -1 after
 * a write error (reported by trace_writer_finish; the worker thread that
 * compresses and writes blocks reports its errors at the next block). */
int trace_writer_add(struct trace_writer *w, const struct trace_record *r);
/* trace_writer_add for the CPU's record hook (cpu_set_trace(cpu,
 * trace_writer_record, writer)): a failed write is kept and reported by
 * trace_writer_finish. */
void trace_writer_record(void *writer, const struct trace_record *r);
/* Writes the last block and the end block (end_cycle: the run's final
 * cycle), closes and renames. Frees w. 0, or -1 with err set (then no file
 * named PATH is left behind by this writer). */
int trace_writer_finish(struct trace_writer *w, uint64_t end_cycle, char *err, size_t n);
void trace_writer_abort(struct trace_writer *w);

/* The reader. */
struct trace_reader;
struct trace_reader *trace_reader_open(const char *path, char *err, size_t n);
/* The next record: 1, 0 at the end block, -1 with err set (naming the
 * damaged block) if the file is truncated or corrupted. The records before
 * the damage are all returned first. */
int trace_reader_next(struct trace_reader *r, struct trace_record *rec, char *err, size_t n);
/* The header. */
unsigned trace_reader_version(const struct trace_reader *r);
const struct trace_run_info *trace_reader_info(const struct trace_reader *r);
uint32_t trace_reader_classes(const struct trace_reader *r); /* the --trace-events filter */
/* The file's catalog (its own, not this build's): slot name into buf, and
 * the slot's class name; -1 / NULL for a slot the file does not name. */
int trace_reader_slot_name(const struct trace_reader *r, unsigned slot, char *buf, size_t n);
const char *trace_reader_slot_class(const struct trace_reader *r, unsigned slot);
/* The key of the file's row holding slot (NULL if none) and whether that
 * row is indexed (a vector or ring pair). */
const char *trace_reader_slot_key(const struct trace_reader *r, unsigned slot, int *indexed);
/* The field names of the file's row holding slot ("error_code cr2"; "" if
 * none or a version 1 file). */
const char *trace_reader_slot_fields(const struct trace_reader *r, unsigned slot);
/* Whether the file records the slot's row (classes recorded and filtered in). */
int trace_reader_slot_recorded(const struct trace_reader *r, unsigned slot);
unsigned trace_reader_slot_count(const struct trace_reader *r);
/* After trace_reader_next returned 0: the end block's totals. */
uint64_t trace_reader_total_records(const struct trace_reader *r);
uint64_t trace_reader_end_cycle(const struct trace_reader *r);
void trace_reader_close(struct trace_reader *r);

/* `ringlab trace ...` (cli.c), a subcommand's main. */
int trace_main(int argc, char **argv);

#endif
