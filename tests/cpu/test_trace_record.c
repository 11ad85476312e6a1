/* tests/cpu/test_trace_record.c - the CPU records what it counts into a
 * trace writer (cpu_set_trace; trace/FORMAT.md), and nothing when none is set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "trace.h"

static char path[64];

static const struct trace_run_info info = {
    .ringlab_version = "test", .preset = "unit", .frequency_hz = 1000000000, .config = ""};

/* Runs ud2 in real mode (the IVT's vector 6 leads to a HLT) while tracing
 * classes `classes`; returns the records read back (up to max). */
static unsigned traced_ud2(uint32_t classes, struct trace_record *out, unsigned max) {
  snprintf(path, sizeof path, "test_trace_record_%d.rtrace", (int)getpid());
  char err[256];
  struct harness *h = harness_new(HARNESS_REAL16);
  struct trace_writer *w = trace_writer_open(path, &info, classes, err, sizeof err);
  assert_non_null(w);
  cpu_set_trace(h->cpu, trace_writer_record, w);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x0B), CPU_EXIT_HALT);
  cpu_set_trace(h->cpu, NULL, NULL);
  assert_int_equal(trace_writer_finish(w, cpu_cycles_now(h->cpu), err, sizeof err), 0);
  harness_free(h);
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  unsigned n = 0;
  struct trace_record rec;
  int rc;
  while ((rc = trace_reader_next(r, &rec, err, sizeof err)) == 1)
    if (n < max)
      out[n++] = rec;
  assert_int_equal(rc, 0);
  trace_reader_close(r);
  remove(path);
  return n;
}

static unsigned find(const struct trace_record *rec, unsigned n, unsigned slot) {
  for (unsigned k = 0; k < n; k++)
    if (rec[k].slot == slot)
      return k;
  return n;
}

static void an_exception_is_recorded_at_the_faulting_instruction(void **state) {
  (void)state;
  struct trace_record rec[64];
  unsigned n = traced_ud2(TRACE_CLASSES_ALL, rec, 64);
  unsigned k = find(rec, n, TRACE_EV_exception + 6);
  assert_true(k < n);
  assert_int_equal(rec[k].cpl, 0);
  assert_int_equal(rec[k].cpu, 0);
  /* the site of the event: the UD2 at the harness's code address, not the
   * handler the delivery led to */
  assert_int_equal(rec[k].cs, 0);
  assert_int_equal(rec[k].eip, HARNESS_CODE);
  unsigned halt = find(rec, n, TRACE_EV_halt);
  assert_true(halt < n && halt > k); /* in counting order */
  assert_true(rec[halt].cycle >= rec[k].cycle);
  assert_int_equal(rec[halt].eip, HARNESS_HANDLER); /* the HLT is the handler's instruction */
}

static void the_class_filter_applies_to_what_the_cpu_records(void **state) {
  (void)state;
  struct trace_record rec[64];
  unsigned n = traced_ud2(1u << TRACE_CLASS_exception, rec, 64);
  assert_int_equal(n, 1);
  assert_int_equal(rec[0].slot, TRACE_EV_exception + 6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(an_exception_is_recorded_at_the_faulting_instruction),
      cmocka_unit_test(the_class_filter_applies_to_what_the_cpu_records),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
