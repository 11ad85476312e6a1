/* tests/trace/test_events.c - the event catalog and the counters. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace.h"

/* The text f received, NUL-terminated; the caller frees it. */
static char *contents(FILE *f) {
  long n = ftell(f);
  assert_true(n >= 0);
  char *s = calloc(1, (size_t)n + 1);
  assert_non_null(s);
  rewind(f);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  return s;
}

static unsigned count_lines(const char *s) {
  unsigned n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* The event of row r. */
static enum trace_event ev(unsigned r) {
  int e = trace_event_at(r);
  assert_true(e >= 0);
  return (enum trace_event)e;
}

static void every_row_has_a_name_a_key_a_valid_index_kind_a_class_and_a_description(void **state) {
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++) {
    enum trace_event e = ev(r);
    const char *name = trace_event_name(e), *key = trace_event_key(e), *desc = trace_event_description(e);
    assert_non_null(name);
    assert_true(name[0] != '\0');
    assert_non_null(key);
    assert_true(key[0] != '\0');
    /* Keys are tokens of the text format and JSON member names. */
    for (const char *p = key; *p; p++)
      assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.');
    assert_in_range(trace_event_index(e), TRACE_INDEX_NONE, TRACE_INDEX_RING);
    assert_in_range(trace_event_class(e), 0, TRACE_CLASS_COUNT - 1);
    assert_non_null(desc);
    assert_true(desc[0] != '\0');
    assert_null(strpbrk(name, " \t\n|"));
    assert_null(strpbrk(desc, "\n|"));
  }
}

static void rows_own_consecutive_runs_of_slots_covering_the_array(void **state) {
  unsigned next = 0;
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++) {
    enum trace_event e = ev(r);
    assert_int_equal(e, next);
    static const unsigned slots[] = {TRACE_INDEX_SLOTS_NONE, TRACE_INDEX_SLOTS_VECTOR, TRACE_INDEX_SLOTS_RING};
    next += slots[trace_event_index(e)];
  }
  assert_int_equal(next, TRACE_SLOT_COUNT);
  assert_int_equal(sizeof(struct trace_counters), TRACE_SLOT_COUNT * sizeof(uint64_t));
}

static void every_class_has_a_name_and_a_description(void **state) {
  for (int c = 0; c < TRACE_CLASS_COUNT; c++) {
    assert_non_null(trace_class_name(c));
    assert_true(trace_class_name(c)[0] != '\0');
    assert_non_null(trace_class_description(c));
    assert_true(trace_class_description(c)[0] != '\0');
  }
}

static void event_names_and_keys_are_unique(void **state) {
  for (unsigned a = 0; a < TRACE_EVENT_COUNT; a++)
    for (unsigned b = a + 1; b < TRACE_EVENT_COUNT; b++) {
      assert_string_not_equal(trace_event_name(ev(a)), trace_event_name(ev(b)));
      assert_string_not_equal(trace_event_key(ev(a)), trace_event_key(ev(b)));
    }
}

static void every_slot_name_round_trips(void **state) {
  for (unsigned s = 0; s < TRACE_SLOT_COUNT; s++) {
    char name[32];
    assert_true(trace_slot_name(s, name, sizeof name) > 0);
    assert_int_equal(trace_event_by_name(name), s);
    unsigned index = 99999;
    int e = trace_slot_event(s, &index);
    assert_true(e >= 0);
    assert_int_equal(e + index, s);
  }
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++) {
    assert_int_equal(trace_event_by_name(trace_event_name(ev(r))), ev(r));
    assert_int_equal(trace_event_by_name(trace_event_key(ev(r))), ev(r));
  }
}

static void indexed_names_look_up_their_slot(void **state) {
  assert_int_equal(trace_event_by_name("exception.14"), TRACE_EV_exception + 14);
  assert_int_equal(trace_event_by_name("softint.128"), TRACE_EV_softint + 128);
  assert_int_equal(trace_event_by_name("irq.32"), TRACE_EV_irq + 32);
  assert_int_equal(trace_event_by_name("ring.3to0"), TRACE_EV_ring + TRACE_RING_INDEX(3, 0));
  assert_int_equal(trace_event_by_name("ring.0to1"), TRACE_EV_ring + TRACE_RING_INDEX(0, 1));
  assert_int_equal(trace_event_by_name("tlb_flush.cr3"), TRACE_EV_tlb_flush_cr3);
  assert_int_equal(trace_event_by_name("tlb_flush_cr3"), TRACE_EV_tlb_flush_cr3);
  assert_int_equal(trace_event_by_name("invlpg"), TRACE_EV_invlpg);
  char name[32];
  assert_int_equal(trace_slot_name(TRACE_EV_ring + TRACE_RING_INDEX(1, 2), name, sizeof name), 9);
  assert_string_equal(name, "ring.1to2");
  assert_int_equal(trace_slot_name(TRACE_EV_exception + 14, name, sizeof name), 12);
  assert_string_equal(name, "exception.14");
  assert_int_equal(trace_slot_name(TRACE_EV_exception + 14, name, 12), -1); /* no room for the NUL */
}

static void unknown_names_look_up_as_minus_one(void **state) {
  static const char *const bad[] = {"no_such_event", "", "exception.256", "exception.-1", "exception.014",
                                    "exception.", "exception.1x", "ring.4to0", "ring.3to", "ring.3t0",
                                    "ring.3to0x", "invlpg.3", "tlb_flush", "softint.1000"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    assert_int_equal(trace_event_by_name(bad[k]), -1);
  assert_int_equal(trace_event_by_name(NULL), -1);
}

static void out_of_range_event_has_no_name_or_class(void **state) {
  assert_null(trace_event_name(TRACE_SLOT_COUNT));
  assert_null(trace_event_key(TRACE_SLOT_COUNT));
  assert_null(trace_event_description(TRACE_SLOT_COUNT));
  assert_int_equal(trace_event_class(TRACE_SLOT_COUNT), TRACE_CLASS_COUNT);
  assert_null(trace_event_name(TRACE_EV_exception + 1)); /* a slot inside a row is no event */
  assert_null(trace_class_name(TRACE_CLASS_COUNT));
  assert_int_equal(trace_event_at(TRACE_EVENT_COUNT), -1);
  assert_int_equal(trace_slot_event(TRACE_SLOT_COUNT, NULL), -1);
  char name[32];
  assert_int_equal(trace_slot_name(TRACE_SLOT_COUNT, name, sizeof name), -1);
}

static void the_issue_3_counters_are_in_the_catalog(void **state) {
  static const char *const core[] = {
      "exception.14", "softint.128",      "irq.32",          "ring.3to0",        "ring.0to3",
      "ring.1to0",    "ring.0to1",        "cr3_write",       "invlpg",           "tlb_flush.cr3",
      "tlb_flush.all", "tlb_flush.invlpg", "tlb_flush.task",  "itlb_hit",         "itlb_miss",
      "dtlb_hit",     "dtlb_miss",        "page_walk",       "ad_update",        "sysenter",
      "sysexit",      "task_switch",      "io_in",           "io_out",           "halt",
      "triple_fault", "block_decode",     "code_invalidate", "ops_request",      "ops_annotate",
      "iret",         "tlb_flush.page_fault",
  };
  for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
    assert_true(trace_event_by_name(core[i]) >= 0);
  assert_string_equal(trace_class_name(trace_event_class(TRACE_EV_io_out)), "io");
  assert_string_equal(trace_class_name(trace_event_class(TRACE_EV_dtlb_miss)), "tlb");
  assert_int_equal(trace_event_index(TRACE_EV_exception), TRACE_INDEX_VECTOR);
  assert_int_equal(trace_event_index(TRACE_EV_ring), TRACE_INDEX_RING);
  assert_int_equal(trace_event_index(TRACE_EV_invlpg), TRACE_INDEX_NONE);
}

static void trace_count_increments_one_counter(void **state) {
  struct trace_counters c;
  trace_counters_reset(&c);
  trace_count(&c, TRACE_EV_halt);
  trace_count(&c, TRACE_EV_halt);
  for (unsigned s = 0; s < TRACE_SLOT_COUNT; s++)
    assert_int_equal(c.slot[s], s == TRACE_EV_halt ? 2 : 0);
  assert_int_equal(trace_counter(&c, TRACE_EV_halt), 2);
}

static void trace_count_at_increments_the_indexed_counter_only(void **state) {
  struct trace_counters c;
  trace_counters_reset(&c);
  trace_count_at(&c, TRACE_EV_exception, 14);
  trace_count_at(&c, TRACE_EV_exception, 14);
  trace_count_at(&c, TRACE_EV_exception, 13);
  trace_count_at(&c, TRACE_EV_softint, 255);
  trace_count_at(&c, TRACE_EV_ring, TRACE_RING_INDEX(3, 0));
  assert_int_equal(trace_counter_at(&c, TRACE_EV_exception, 14), 2);
  assert_int_equal(trace_counter_at(&c, TRACE_EV_exception, 13), 1);
  assert_int_equal(trace_counter_at(&c, TRACE_EV_softint, 255), 1);
  assert_int_equal(trace_counter_at(&c, TRACE_EV_ring, TRACE_RING_INDEX(3, 0)), 1);
  uint64_t sum = 0;
  for (unsigned s = 0; s < TRACE_SLOT_COUNT; s++)
    sum += c.slot[s];
  assert_int_equal(sum, 5);
}

static void reset_clears_every_counter(void **state) {
  struct trace_counters c;
  memset(&c, 0xAB, sizeof c);
  trace_counters_reset(&c);
  for (unsigned s = 0; s < TRACE_SLOT_COUNT; s++)
    assert_int_equal(c.slot[s], 0);
}

static void add_and_sub_work_counter_by_counter(void **state) {
  struct trace_counters a, b, d;
  trace_counters_reset(&a);
  trace_counters_reset(&b);
  a.slot[TRACE_EV_io_in] = 3;
  b.slot[TRACE_EV_io_in] = 4;
  b.slot[TRACE_EV_dtlb_miss] = 1;
  a.slot[TRACE_EV_exception + 6] = 1;
  b.slot[TRACE_EV_exception + 6] = 2;
  trace_counters_add(&a, &b);
  assert_int_equal(a.slot[TRACE_EV_io_in], 7);
  assert_int_equal(a.slot[TRACE_EV_dtlb_miss], 1);
  assert_int_equal(a.slot[TRACE_EV_exception + 6], 3);
  assert_int_equal(b.slot[TRACE_EV_io_in], 4);
  trace_counters_sub(&d, &a, &b);
  assert_int_equal(d.slot[TRACE_EV_io_in], 3);
  assert_int_equal(d.slot[TRACE_EV_dtlb_miss], 0);
  assert_int_equal(d.slot[TRACE_EV_exception + 6], 1);
}

static void report_lists_plain_rows_and_nonzero_indexed_counters_sorted_by_name(void **state) {
  struct trace_counters c;
  trace_counters_reset(&c);
  c.slot[TRACE_EV_exception + 14] = 2;
  c.slot[TRACE_EV_exception + 3] = 1;
  c.slot[TRACE_EV_ring + TRACE_RING_INDEX(3, 0)] = 5;
  unsigned slots[TRACE_SLOT_COUNT];
  unsigned n = trace_counters_report(&c, slots, TRACE_SLOT_COUNT);
  unsigned plain = 0;
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++)
    plain += trace_event_index(ev(r)) == TRACE_INDEX_NONE;
  assert_int_equal(n, plain + 3);
  /* sorted by (key, index): exception.3 before exception.14 */
  for (unsigned k = 1; k < n; k++) {
    unsigned ia, ib;
    const char *ka = trace_event_key(trace_slot_event(slots[k - 1], &ia));
    const char *kb = trace_event_key(trace_slot_event(slots[k], &ib));
    assert_true(strcmp(ka, kb) < 0 || (strcmp(ka, kb) == 0 && ia < ib));
  }
  unsigned e3 = n, e14 = n;
  for (unsigned k = 0; k < n; k++) {
    if (slots[k] == TRACE_EV_exception + 3)
      e3 = k;
    if (slots[k] == TRACE_EV_exception + 14)
      e14 = k;
  }
  assert_true(e3 + 1 == e14);
  assert_int_equal(trace_counters_report(&c, slots, 2), n); /* the count, whatever max */
}

static void text_lists_the_reported_counters_one_name_value_line_each(void **state) {
  struct trace_counters c;
  trace_counters_reset(&c);
  c.slot[TRACE_EV_dtlb_miss] = 12345678901234ull;
  c.slot[TRACE_EV_softint + 128] = 3;
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(trace_counters_write_text(f, &c), 0);
  char *s = contents(f);
  unsigned slots[TRACE_SLOT_COUNT];
  assert_int_equal(count_lines(s), trace_counters_report(&c, slots, TRACE_SLOT_COUNT));
  assert_non_null(strstr(s, "\ndtlb_miss 12345678901234\n"));
  assert_non_null(strstr(s, "\nsoftint.128 3\n"));
  assert_non_null(strstr(s, "\ninvlpg 0\n")); /* plain rows always */
  assert_null(strstr(s, "exception.")); /* indexed ones only when nonzero */
  free(s);
  fclose(f);
}

static void markdown_has_one_line_per_row_plus_the_header(void **state) {
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(trace_catalog_write_markdown(f), 0);
  char *s = contents(f);
  assert_int_equal(count_lines(s), TRACE_EVENT_COUNT + 2); /* header and separator */
  assert_true(strncmp(s, "| counter | class | description |\n", 34) == 0);
  assert_non_null(strstr(s, "| `exception.N` | exception | "));
  assert_non_null(strstr(s, "| `ring.FtoT` | cpu | "));
  char *line = s;
  for (unsigned i = 0; i < TRACE_EVENT_COUNT + 2; i++) {
    char *end = strchr(line, '\n');
    assert_non_null(end);
    unsigned bars = 0;
    for (char *p = line; p < end; p++)
      bars += *p == '|';
    assert_int_equal(bars, 4); /* three cells on every line */
    if (i >= 2) {
      char want[64];
      snprintf(want, sizeof want, "| `%s", trace_event_key(ev(i - 2)));
      assert_true(strncmp(line, want, strlen(want)) == 0);
    }
    line = end + 1;
  }
  free(s);
  fclose(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_row_has_a_name_a_key_a_valid_index_kind_a_class_and_a_description),
      cmocka_unit_test(rows_own_consecutive_runs_of_slots_covering_the_array),
      cmocka_unit_test(every_class_has_a_name_and_a_description),
      cmocka_unit_test(event_names_and_keys_are_unique),
      cmocka_unit_test(every_slot_name_round_trips),
      cmocka_unit_test(indexed_names_look_up_their_slot),
      cmocka_unit_test(unknown_names_look_up_as_minus_one),
      cmocka_unit_test(out_of_range_event_has_no_name_or_class),
      cmocka_unit_test(the_issue_3_counters_are_in_the_catalog),
      cmocka_unit_test(trace_count_increments_one_counter),
      cmocka_unit_test(trace_count_at_increments_the_indexed_counter_only),
      cmocka_unit_test(reset_clears_every_counter),
      cmocka_unit_test(add_and_sub_work_counter_by_counter),
      cmocka_unit_test(report_lists_plain_rows_and_nonzero_indexed_counters_sorted_by_name),
      cmocka_unit_test(text_lists_the_reported_counters_one_name_value_line_each),
      cmocka_unit_test(markdown_has_one_line_per_row_plus_the_header),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
