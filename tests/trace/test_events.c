/* tests/trace/test_events.c - the event catalog and the counters. */
#include <setjmp.h>
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

static void every_row_has_a_name_a_valid_class_and_a_description(void **state) {
  for (int e = 0; e < TRACE_EVENT_COUNT; e++) {
    const char *name = trace_event_name(e), *desc = trace_event_description(e);
    assert_non_null(name);
    assert_true(name[0] != '\0');
    assert_in_range(trace_event_class(e), 0, TRACE_CLASS_COUNT - 1);
    assert_non_null(desc);
    assert_true(desc[0] != '\0');
    /* Names are tokens of the text format; descriptions are table cells. */
    assert_null(strpbrk(name, " \t\n|"));
    assert_null(strpbrk(desc, "\n|"));
  }
}

static void every_class_has_a_name_and_a_description(void **state) {
  for (int c = 0; c < TRACE_CLASS_COUNT; c++) {
    assert_non_null(trace_class_name(c));
    assert_true(trace_class_name(c)[0] != '\0');
    assert_non_null(trace_class_description(c));
    assert_true(trace_class_description(c)[0] != '\0');
  }
}

static void event_names_are_unique(void **state) {
  for (int a = 0; a < TRACE_EVENT_COUNT; a++)
    for (int b = a + 1; b < TRACE_EVENT_COUNT; b++)
      assert_string_not_equal(trace_event_name(a), trace_event_name(b));
}

static void lookup_by_name_round_trips(void **state) {
  for (int e = 0; e < TRACE_EVENT_COUNT; e++)
    assert_int_equal(trace_event_by_name(trace_event_name(e)), e);
  assert_int_equal(trace_event_by_name("io_in"), TRACE_EV_io_in);
}

static void unknown_name_looks_up_as_minus_one(void **state) {
  assert_int_equal(trace_event_by_name("no_such_event"), -1);
  assert_int_equal(trace_event_by_name(""), -1);
  assert_int_equal(trace_event_by_name(NULL), -1);
}

static void out_of_range_event_has_no_name_or_class(void **state) {
  assert_null(trace_event_name(TRACE_EVENT_COUNT));
  assert_null(trace_event_description(TRACE_EVENT_COUNT));
  assert_int_equal(trace_event_class(TRACE_EVENT_COUNT), TRACE_CLASS_COUNT);
  assert_null(trace_class_name(TRACE_CLASS_COUNT));
}

static void the_core_events_are_in_the_catalog(void **state) {
  static const char *const core[] = {
      "exception",    "sw_interrupt",    "hw_interrupt", "iret",     "halt",      "io_in",
      "io_out",       "cr_write",        "tlb_flush",    "tlb_miss", "page_walk", "privilege_change",
      "block_decode", "code_invalidate", "triple_fault",
  };
  for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
    assert_true(trace_event_by_name(core[i]) >= 0);
  assert_string_equal(trace_class_name(trace_event_class(TRACE_EV_io_out)), "io");
  assert_string_equal(trace_class_name(trace_event_class(TRACE_EV_tlb_miss)), "tlb");
}

static void trace_count_increments_one_counter(void **state) {
  struct trace_counters c;
  trace_counters_reset(&c);
  trace_count(&c, TRACE_EV_halt);
  trace_count(&c, TRACE_EV_halt);
  for (int e = 0; e < TRACE_EVENT_COUNT; e++)
    assert_int_equal(c.event[e], e == TRACE_EV_halt ? 2 : 0);
}

static void exception_counts_the_event_and_its_vector(void **state) {
  struct trace_counters c;
  trace_counters_reset(&c);
  trace_count_exception(&c, 14);
  trace_count_exception(&c, 14);
  trace_count_exception(&c, 13);
  trace_count_exception(&c, 99); /* not an exception vector: event only */
  assert_int_equal(c.event[TRACE_EV_exception], 4);
  assert_int_equal(c.exception_vector[14], 2);
  assert_int_equal(c.exception_vector[13], 1);
  uint64_t sum = 0;
  for (int v = 0; v < TRACE_EXCEPTION_VECTORS; v++)
    sum += c.exception_vector[v];
  assert_int_equal(sum, 3);
}

static void reset_clears_every_counter(void **state) {
  struct trace_counters c;
  memset(&c, 0xAB, sizeof c);
  trace_counters_reset(&c);
  for (int e = 0; e < TRACE_EVENT_COUNT; e++)
    assert_int_equal(c.event[e], 0);
  for (int v = 0; v < TRACE_EXCEPTION_VECTORS; v++)
    assert_int_equal(c.exception_vector[v], 0);
}

static void add_sums_events_and_vectors(void **state) {
  struct trace_counters a, b;
  trace_counters_reset(&a);
  trace_counters_reset(&b);
  a.event[TRACE_EV_io_in] = 3;
  b.event[TRACE_EV_io_in] = 4;
  b.event[TRACE_EV_tlb_miss] = 1;
  a.exception_vector[6] = 1;
  b.exception_vector[6] = 2;
  trace_counters_add(&a, &b);
  assert_int_equal(a.event[TRACE_EV_io_in], 7);
  assert_int_equal(a.event[TRACE_EV_tlb_miss], 1);
  assert_int_equal(a.exception_vector[6], 3);
  assert_int_equal(b.event[TRACE_EV_io_in], 4);
}

static void text_has_one_name_value_line_per_nonzero_event(void **state) {
  struct trace_counters c;
  trace_counters_reset(&c);
  c.event[TRACE_EV_tlb_miss] = 12345678901234ull;
  c.event[TRACE_EV_io_out] = 1;
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(trace_counters_write_text(f, &c), 0);
  char *s = contents(f);
  /* Catalog order: io_out comes before tlb_miss in events.def. */
  assert_true(TRACE_EV_io_out < TRACE_EV_tlb_miss);
  assert_string_equal(s, "io_out 1\ntlb_miss 12345678901234\n");
  free(s);
  fclose(f);
}

static void text_of_zero_counters_is_empty(void **state) {
  struct trace_counters c;
  trace_counters_reset(&c);
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(trace_counters_write_text(f, &c), 0);
  assert_int_equal(ftell(f), 0);
  fclose(f);
}

static void markdown_has_one_line_per_row_plus_the_header(void **state) {
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(trace_catalog_write_markdown(f), 0);
  char *s = contents(f);
  assert_int_equal(count_lines(s), TRACE_EVENT_COUNT + 2); /* header and separator */
  assert_true(strncmp(s, "| name | class | description |\n", 31) == 0);
  char *line = s;
  for (int i = 0; i < TRACE_EVENT_COUNT + 2; i++) {
    char *end = strchr(line, '\n');
    assert_non_null(end);
    unsigned bars = 0;
    for (char *p = line; p < end; p++)
      bars += *p == '|';
    assert_int_equal(bars, 4); /* three cells on every line */
    if (i >= 2) {
      char want[64];
      snprintf(want, sizeof want, "| `%s` | ", trace_event_name(i - 2));
      assert_true(strncmp(line, want, strlen(want)) == 0);
    }
    line = end + 1;
  }
  free(s);
  fclose(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_row_has_a_name_a_valid_class_and_a_description),
      cmocka_unit_test(every_class_has_a_name_and_a_description),
      cmocka_unit_test(event_names_are_unique),
      cmocka_unit_test(lookup_by_name_round_trips),
      cmocka_unit_test(unknown_name_looks_up_as_minus_one),
      cmocka_unit_test(out_of_range_event_has_no_name_or_class),
      cmocka_unit_test(the_core_events_are_in_the_catalog),
      cmocka_unit_test(trace_count_increments_one_counter),
      cmocka_unit_test(exception_counts_the_event_and_its_vector),
      cmocka_unit_test(reset_clears_every_counter),
      cmocka_unit_test(add_sums_events_and_vectors),
      cmocka_unit_test(text_has_one_name_value_line_per_nonzero_event),
      cmocka_unit_test(text_of_zero_counters_is_empty),
      cmocka_unit_test(markdown_has_one_line_per_row_plus_the_header),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
