/* tests/trace/test_export.c - the reader's views of a trace that crosses
 * rings and makes hypercalls: `trace export --format chrome` puts the CPL
 * stretches and the hypercalls on the track of their CPL as complete
 * events (checked with cJSON: Perfetto and chrome://tracing read this),
 * `trace stats` totals cycles by CPL and by hypercall, `trace dump` names
 * the values trace.h names and the CSV keeps numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "trace.h"

static char path[64], out[64];

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "test_export_%d.rtrace", (int)getpid());
  snprintf(out, sizeof out, "test_export_%d.out", (int)getpid());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  remove(path);
  remove(out);
  return 0;
}

/* 100 MHz: 100 cycles a microsecond. */
static const struct trace_run_info info = {
    .ringlab_version = "9.9.9", .preset = "p6", .frequency_hz = 100000000, .config = "mem=128\n"};

static struct trace_record rec(uint64_t cycle, unsigned slot, unsigned cpl, unsigned n, uint32_t a, uint32_t b,
                               uint32_t c) {
  return (struct trace_record){.cycle = cycle,
                               .slot = (uint16_t)slot,
                               .cpl = (uint8_t)cpl,
                               .cs = cpl ? 0x1b : 0x08,
                               .eip = 0x100000 + (uint32_t)cycle,
                               .flags = TRACE_REC_CODE32,
                               .n_fields = (uint8_t)n,
                               .field = {a, b, c}};
}

/* A guest at CPL 3 traps into the hypervisor at 3000 (INT), which runs
 * multicall 13 from 3300 to 3900 with hypercall 1 inside it (3400-3500),
 * and returns to CPL 3 at 4200 (IRET). The run ends at 6000. */
static void write_hypercall_trace(void) {
  const struct trace_record recs[] = {
      rec(1000, TRACE_EV_iret, 3, 0, 0, 0, 0),
      rec(3000, TRACE_EV_ring + TRACE_RING_INDEX(3, 0), 3, 1, TRACE_MECH_int, 0, 0),
      rec(3300, TRACE_EV_hypercall + 13, 0, 3, 0x1000, 3, 0),
      rec(3400, TRACE_EV_hypercall + 1, 0, 3, 0x2000, 1, 0x7ff0),
      rec(3500, TRACE_EV_hypercall_return + 1, 0, 1, 0, 0, 0),
      rec(3900, TRACE_EV_hypercall_return + 13, 0, 1, (uint32_t)-22, 0, 0),
      rec(4000, TRACE_EV_cr_write, 0, 3, 3, 0x108000, 0x10c000),
      rec(4200, TRACE_EV_ring + TRACE_RING_INDEX(0, 3), 0, 1, TRACE_MECH_iret, 0, 0),
  };
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  for (unsigned k = 0; k < sizeof recs / sizeof recs[0]; k++)
    assert_int_equal(trace_writer_add(w, &recs[k]), 0);
  assert_int_equal(trace_writer_finish(w, 6000, err, sizeof err), 0);
}

/* Runs `ringlab trace ARGS...` with standard output into the file out;
 * returns the exit status and the output in buf. */
static int run_cli(char *buf, size_t n, int argc, char **argv) {
  fflush(stdout);
  int saved = dup(1);
  FILE *f = fopen(out, "w");
  assert_non_null(f);
  dup2(fileno(f), 1);
  int rc = trace_main(argc, argv);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  fclose(f);
  f = fopen(out, "r");
  size_t got = fread(buf, 1, n - 1, f);
  buf[got] = 0;
  fclose(f);
  return rc;
}

static cJSON *export_chrome(void) {
  static char buf[65536];
  char *argv[] = {"trace", "export", "--format", "chrome", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 5, argv), 0);
  cJSON *doc = cJSON_Parse(buf);
  assert_non_null(doc);
  assert_true(cJSON_IsArray(cJSON_GetObjectItem(doc, "traceEvents")));
  return doc;
}

static const char *str(const cJSON *o, const char *key) { return cJSON_GetStringValue(cJSON_GetObjectItem(o, key)); }
static double num(const cJSON *o, const char *key) { return cJSON_GetNumberValue(cJSON_GetObjectItem(o, key)); }

/* The complete event named name starting at ts, or NULL. */
static cJSON *find_span(cJSON *doc, const char *name, double ts) {
  cJSON *ev;
  cJSON_ArrayForEach(ev, cJSON_GetObjectItem(doc, "traceEvents")) {
    if (strcmp(str(ev, "name"), name) == 0 && strcmp(str(ev, "ph"), "X") == 0 && num(ev, "ts") == ts)
      return ev;
  }
  return NULL;
}

static void chrome_export_shows_each_hypercall_as_a_span_on_its_cpl_track(void **state) {
  (void)state;
  write_hypercall_trace();
  cJSON *doc = export_chrome();
  /* named by Xen's name for 13 */
  cJSON *mc = find_span(doc, "multicall", 33.0);
  assert_non_null(mc);
  assert_string_equal(str(mc, "cat"), "hv");
  assert_int_equal((int)num(mc, "tid"), 0);
  assert_true(num(mc, "dur") == 6.0);
  cJSON *args = cJSON_GetObjectItem(mc, "args");
  assert_int_equal((int)num(args, "number"), 13);
  assert_int_equal((int)num(args, "cycles"), 600);
  assert_string_equal(str(args, "arg1"), "0x1000");
  assert_string_equal(str(args, "arg2"), "0x3");
  assert_string_equal(str(args, "result"), "0xffffffea");
  cJSON *inner = find_span(doc, "mmu_update", 34.0);
  assert_non_null(inner);
  assert_true(num(inner, "dur") == 1.0);
  assert_string_equal(str(cJSON_GetObjectItem(inner, "args"), "arg3"), "0x7ff0");
  /* the marks stay as instants too */
  bool instant = false;
  cJSON *ev;
  cJSON_ArrayForEach(ev, cJSON_GetObjectItem(doc, "traceEvents")) {
    if (strcmp(str(ev, "name"), "hypercall.13") == 0 && strcmp(str(ev, "ph"), "i") == 0)
      instant = true;
  }
  assert_true(instant);
  cJSON_Delete(doc);
}

static void chrome_cpl_spans_follow_the_ring_records_destination(void **state) {
  (void)state;
  write_hypercall_trace();
  cJSON *doc = export_chrome();
  /* CPL 3 from the start to the ring.3to0 at 3000, CPL 0 up to the
   * ring.0to3 at 4200, CPL 3 up to the end at 6000 */
  cJSON *r3 = find_span(doc, "ring 3", 0.0), *r0 = find_span(doc, "ring 0", 30.0),
        *r3b = find_span(doc, "ring 3", 42.0);
  assert_non_null(r3);
  assert_non_null(r0);
  assert_non_null(r3b);
  assert_true(num(r3, "dur") == 30.0);
  assert_int_equal((int)num(r3, "tid"), 3);
  assert_true(num(r0, "dur") == 12.0);
  assert_int_equal((int)num(r0, "tid"), 0);
  assert_true(num(r3b, "dur") == 18.0);
  cJSON_Delete(doc);
}

/* The viewers draw a track's complete events as a stack: any two on one
 * track are disjoint or one holds the other. */
static void chrome_spans_on_a_track_nest(void **state) {
  (void)state;
  write_hypercall_trace();
  cJSON *doc = export_chrome();
  cJSON *evs = cJSON_GetObjectItem(doc, "traceEvents");
  unsigned spans = 0;
  cJSON *a, *b;
  cJSON_ArrayForEach(a, evs) {
    if (strcmp(str(a, "ph"), "X") != 0)
      continue;
    spans++;
    double a0 = num(a, "ts"), a1 = a0 + num(a, "dur");
    cJSON_ArrayForEach(b, evs) {
      if (a == b || strcmp(str(b, "ph"), "X") != 0 || num(a, "tid") != num(b, "tid"))
        continue;
      double b0 = num(b, "ts"), b1 = b0 + num(b, "dur");
      bool disjoint = a1 <= b0 || b1 <= a0, nested = (a0 <= b0 && b1 <= a1) || (b0 <= a0 && a1 <= b1);
      assert_true(disjoint || nested);
    }
  }
  assert_int_equal(spans, 5); /* three CPL stretches, two hypercalls */
  cJSON_Delete(doc);
}

static void a_hypercall_open_at_the_end_closes_there_without_a_result(void **state) {
  (void)state;
  const struct trace_record recs[] = {
      rec(2000, TRACE_EV_hypercall_return + 9, 0, 1, 0, 0, 0), /* unpaired: no span */
      rec(5000, TRACE_EV_hypercall + 200, 0, 1, 0x42, 0, 0),
  };
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  for (unsigned k = 0; k < 2; k++)
    assert_int_equal(trace_writer_add(w, &recs[k]), 0);
  assert_int_equal(trace_writer_finish(w, 6000, err, sizeof err), 0);
  cJSON *doc = export_chrome();
  /* 200: a number Xen does not name keeps its number */
  cJSON *h = find_span(doc, "hypercall.200", 50.0);
  assert_non_null(h);
  assert_true(num(h, "dur") == 10.0);
  assert_string_equal(str(cJSON_GetObjectItem(h, "args"), "arg1"), "0x42");
  assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(h, "args"), "result"));
  assert_null(find_span(doc, "get_debugreg", 20.0));
  assert_null(find_span(doc, "hypercall.9", 20.0));
  cJSON_Delete(doc);
}

static void stats_totals_cycles_by_cpl_and_by_hypercall(void **state) {
  (void)state;
  write_hypercall_trace();
  static char buf[65536];
  char *argv[] = {"trace", "stats", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 3, argv), 0);
  assert_non_null(strstr(buf, "\ncpl.0 6\ncpl.0.cycles 1200\n"));
  assert_non_null(strstr(buf, "\ncpl.3 2\ncpl.3.cycles 4800\n"));
  assert_non_null(strstr(buf, "\nevent.hypercall.1 1\nevent.hypercall.1.cycles 100\n"));
  assert_non_null(strstr(buf, "\nevent.hypercall.13 1\nevent.hypercall.13.cycles 600\n"));
  assert_non_null(strstr(buf, "\nevent.hypercall_return.13 1\n"));
  assert_non_null(strstr(buf, "\nevent.ring.3to0 1\n"));
  /* and Xen's names of the hypercalls seen */
  assert_non_null(strstr(buf, "\nname.hypercall.1 mmu_update\n"));
  assert_non_null(strstr(buf, "\nname.hypercall.13 multicall\n"));
}

/* A record that stands for several events (a field named "count", as
 * hv_pt_update's): trace stats adds the counts up, as --stats counted. */
static void stats_adds_up_a_count_field(void **state) {
  (void)state;
  const struct trace_record recs[] = {
      rec(1000, TRACE_EV_hv_pt_update + 1, 0, 1, 37, 0, 0),
      rec(2000, TRACE_EV_hv_pt_update + 1, 0, 1, 5, 0, 0),
      rec(3000, TRACE_EV_hv_pt_update + 2, 0, 1, 1, 0, 0),
  };
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  for (unsigned k = 0; k < 3; k++)
    assert_int_equal(trace_writer_add(w, &recs[k]), 0);
  assert_int_equal(trace_writer_finish(w, 4000, err, sizeof err), 0);
  static char buf[65536];
  char *argv[] = {"trace", "stats", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 3, argv), 0);
  assert_non_null(strstr(buf, "\nrecords 3\n"));
  assert_non_null(strstr(buf, "\nevent.hv_pt_update.1 42\nevent.hv_pt_update.2 1\n"));
}

static void stats_with_an_event_list_counts_and_lists_only_those_events(void **state) {
  (void)state;
  write_hypercall_trace();
  static char buf[65536];
  char *argv[] = {"trace", "stats", path, "--event", "ring,cr_write", NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 5, argv), 0);
  assert_non_null(strstr(buf, "\nrecords 3\n"));
  assert_non_null(strstr(buf, "\nevent.cr_write 1\nevent.ring.0to3 1\nevent.ring.3to0 1\n"));
  assert_null(strstr(buf, "hypercall"));
  assert_null(strstr(buf, "event.iret"));
  /* the CPL timeline still comes from every record */
  assert_non_null(strstr(buf, "\ncpl.0.cycles 1200\n"));
  char *bad[] = {"trace", "stats", path, "--disasm", NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 4, bad), 64);
}

static void dump_names_the_mechanism_and_the_control_register(void **state) {
  (void)state;
  write_hypercall_trace();
  static char buf[65536];
  char *argv[] = {"trace", "dump", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 3, argv), 0);
  assert_non_null(strstr(buf, "3000 cpu0 cpl3 001b:00100bb8 ring.3to0 mechanism=int\n"));
  assert_non_null(strstr(buf, "4200 cpu0 cpl0 0008:00101068 ring.0to3 mechanism=iret\n"));
  assert_non_null(strstr(buf, " cr_write register=cr3 old=0x108000 new=0x10c000\n"));
  assert_non_null(strstr(buf, " hypercall.13 call=multicall arg1=0x1000 arg2=0x3 arg3=0x0\n"));
  assert_non_null(strstr(buf, " hypercall_return.13 call=multicall result=0xffffffea\n"));
}

/* A region's name packed as machine/opsport.c packs it: the first 16
 * bytes, little-endian, four to a field, zero-padded. */
static struct trace_record region_rec(uint64_t cycle, unsigned slot, unsigned cpl, const char *name) {
  struct trace_record r = rec(cycle, slot, cpl, 4, 0, 0, 0);
  for (unsigned k = 0; k < 16 && name[k]; k++)
    r.field[k / 4] |= (uint32_t)(uint8_t)name[k] << (8 * (k % 4));
  return r;
}

/* Region 0 "alu" at CPL 0 from 1000 to 2500 and again from 5000 to 5200;
 * region 1 "ring_with_a_long_name" (cut to 16 bytes) begun at CPL 0 at
 * 2000, across a visit to CPL 3 (3000-4200), ended at 4500; region 2
 * "tail" begun at 5500 and still open at the end (6000). */
static void write_region_trace(void) {
  const struct trace_record recs[] = {
      region_rec(1000, TRACE_EV_region_begin + 0, 0, "alu"),
      region_rec(2000, TRACE_EV_region_begin + 1, 0, "ring_with_a_long_name"),
      region_rec(2500, TRACE_EV_region_end + 0, 0, "alu"),
      rec(3000, TRACE_EV_ring + TRACE_RING_INDEX(0, 3), 0, 1, TRACE_MECH_iret, 0, 0),
      rec(4200, TRACE_EV_ring + TRACE_RING_INDEX(3, 0), 3, 1, TRACE_MECH_int, 0, 0),
      region_rec(4500, TRACE_EV_region_end + 1, 0, "ring_with_a_long_name"),
      region_rec(5000, TRACE_EV_region_begin + 0, 0, "alu"),
      region_rec(5200, TRACE_EV_region_end + 0, 0, "alu"),
      region_rec(5500, TRACE_EV_region_begin + 2, 0, "tail"),
  };
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  for (unsigned k = 0; k < sizeof recs / sizeof recs[0]; k++)
    assert_int_equal(trace_writer_add(w, &recs[k]), 0);
  assert_int_equal(trace_writer_finish(w, 6000, err, sizeof err), 0);
}

static void stats_counts_and_totals_cycles_by_region_name(void **state) {
  (void)state;
  write_region_trace();
  static char buf[65536];
  char *argv[] = {"trace", "stats", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 3, argv), 0);
  /* alu: 1500 + 200; the long name cut to 16 bytes; tail up to the end */
  assert_non_null(strstr(buf, "\nregion.alu 2\nregion.alu.cycles 1700\n"
                              "region.ring_with_a_long 1\nregion.ring_with_a_long.cycles 2500\n"
                              "region.tail 1\nregion.tail.cycles 500\n"));
  assert_non_null(strstr(buf, "\nevent.region_begin.0 2\n"));
  assert_non_null(strstr(buf, "\nevent.region_end.1 1\n"));
  /* an --event list without the regions lists none */
  char *only[] = {"trace", "stats", path, "--event", "ring", NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 5, only), 0);
  assert_null(strstr(buf, "region"));
}

static void chrome_export_shows_each_region_as_a_span_named_by_the_region(void **state) {
  (void)state;
  write_region_trace();
  cJSON *doc = export_chrome();
  cJSON *alu = find_span(doc, "alu", 10.0), *alu2 = find_span(doc, "alu", 50.0),
        *ring = find_span(doc, "ring_with_a_long", 20.0), *tail = find_span(doc, "tail", 55.0);
  assert_non_null(alu);
  assert_non_null(alu2);
  assert_non_null(ring);
  assert_non_null(tail);
  assert_string_equal(str(alu, "cat"), "region");
  assert_int_equal((int)num(alu, "tid"), 0);
  assert_true(num(alu, "dur") == 15.0);
  assert_int_equal((int)num(cJSON_GetObjectItem(alu, "args"), "number"), 0);
  assert_int_equal((int)num(cJSON_GetObjectItem(alu, "args"), "cycles"), 1500);
  assert_true(num(alu2, "dur") == 2.0);
  assert_int_equal((int)num(ring, "tid"), 0);
  assert_true(num(ring, "dur") == 25.0);
  assert_true(num(tail, "dur") == 5.0);
  /* the region records' instants carry the name */
  cJSON *ev;
  bool named = false;
  cJSON_ArrayForEach(ev, cJSON_GetObjectItem(doc, "traceEvents")) {
    if (strcmp(str(ev, "name"), "region_begin.1") == 0 && strcmp(str(ev, "ph"), "i") == 0)
      named = strcmp(str(cJSON_GetObjectItem(ev, "args"), "name"), "ring_with_a_long") == 0;
  }
  assert_true(named);
  cJSON_Delete(doc);
}

/* A region across CPL changes and overlapping another region's start: the
 * CPL stretches are cut at region boundaries, so the spans of each track
 * still nest (disjoint or one inside the other). */
static void chrome_region_spans_nest_with_the_cpl_stretches(void **state) {
  (void)state;
  write_region_trace();
  cJSON *doc = export_chrome();
  cJSON *evs = cJSON_GetObjectItem(doc, "traceEvents");
  cJSON *a, *b;
  unsigned regions = 0;
  cJSON_ArrayForEach(a, evs) {
    if (strcmp(str(a, "ph"), "X") != 0)
      continue;
    regions += strcmp(str(a, "cat"), "region") == 0;
    double a0 = num(a, "ts"), a1 = a0 + num(a, "dur");
    cJSON_ArrayForEach(b, evs) {
      if (a == b || strcmp(str(b, "ph"), "X") != 0 || num(a, "tid") != num(b, "tid") ||
          (strcmp(str(a, "cat"), "region") == 0 && strcmp(str(b, "cat"), "region") == 0))
        continue; /* two regions may overlap (the guest's choice); a region and a stretch never */
      double b0 = num(b, "ts"), b1 = b0 + num(b, "dur");
      bool disjoint = a1 <= b0 || b1 <= a0, nested = (a0 <= b0 && b1 <= a1) || (b0 <= a0 && a1 <= b1);
      assert_true(disjoint || nested);
    }
  }
  assert_int_equal(regions, 4);
  /* ring 0 from 0 to 3000 is cut at 1000, 2000 and 2500 */
  assert_non_null(find_span(doc, "ring 0", 0.0));
  assert_non_null(find_span(doc, "ring 0", 10.0));
  assert_non_null(find_span(doc, "ring 0", 20.0));
  assert_non_null(find_span(doc, "ring 0", 25.0));
  assert_true(num(find_span(doc, "ring 0", 25.0), "dur") == 5.0);
  cJSON_Delete(doc);
}

static void dump_prints_a_region_name_and_an_annotation_as_text(void **state) {
  (void)state;
  struct trace_record recs[] = {
      region_rec(100, TRACE_EV_region_begin + 3, 0, "alu"),
      region_rec(200, TRACE_EV_ops_annotate, 0, "say \"hi\" \\ and more than 16"),
      rec(300, TRACE_EV_ops_request, 0, 1, 7, 0, 0),
  };
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  for (unsigned k = 0; k < 3; k++)
    assert_int_equal(trace_writer_add(w, &recs[k]), 0);
  assert_int_equal(trace_writer_finish(w, 400, err, sizeof err), 0);
  static char buf[65536];
  char *argv[] = {"trace", "dump", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 3, argv), 0);
  assert_non_null(strstr(buf, "100 cpu0 cpl0 0008:00100064 region_begin.3 name=\"alu\"\n"));
  assert_non_null(strstr(buf, " ops_annotate text=\"say \\\"hi\\\" \\\\ and m\"\n"));
  assert_non_null(strstr(buf, " ops_request op=0x7\n"));
  /* the CSV keeps the four words */
  char *csv[] = {"trace", "export", "--format", "csv", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 5, csv), 0);
  assert_non_null(strstr(buf, ",region_begin.3,name0=0x756c61 name1=0x0 name2=0x0 name3=0x0,"));
}

static void csv_keeps_the_field_values_numeric(void **state) {
  (void)state;
  write_hypercall_trace();
  static char buf[65536];
  char *argv[] = {"trace", "export", "--format", "csv", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 5, argv), 0);
  assert_non_null(strstr(buf, ",ring.3to0,mechanism=0x2,"));
  assert_non_null(strstr(buf, ",cr_write,register=0x3 old=0x108000 new=0x10c000,"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(chrome_export_shows_each_hypercall_as_a_span_on_its_cpl_track, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(chrome_cpl_spans_follow_the_ring_records_destination, setup, teardown),
      cmocka_unit_test_setup_teardown(chrome_spans_on_a_track_nest, setup, teardown),
      cmocka_unit_test_setup_teardown(a_hypercall_open_at_the_end_closes_there_without_a_result, setup, teardown),
      cmocka_unit_test_setup_teardown(stats_totals_cycles_by_cpl_and_by_hypercall, setup, teardown),
      cmocka_unit_test_setup_teardown(stats_adds_up_a_count_field, setup, teardown),
      cmocka_unit_test_setup_teardown(stats_with_an_event_list_counts_and_lists_only_those_events, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(dump_names_the_mechanism_and_the_control_register, setup, teardown),
      cmocka_unit_test_setup_teardown(csv_keeps_the_field_values_numeric, setup, teardown),
      cmocka_unit_test_setup_teardown(stats_counts_and_totals_cycles_by_region_name, setup, teardown),
      cmocka_unit_test_setup_teardown(chrome_export_shows_each_region_as_a_span_named_by_the_region, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(chrome_region_spans_nest_with_the_cpl_stretches, setup, teardown),
      cmocka_unit_test_setup_teardown(dump_prints_a_region_name_and_an_annotation_as_text, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
