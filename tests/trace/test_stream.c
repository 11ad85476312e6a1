/* tests/trace/test_stream.c - the trace writer and reader (trace/FORMAT.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace.h"

#define N_RECORDS 10000 /* three blocks of up to 4096 */

static char path[64];

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "test_stream_%d.rtrace", (int)getpid());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char tmp[80];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  remove(path);
  remove(tmp);
  return 0;
}

static const struct trace_run_info info = {
    .ringlab_version = "9.9.9", .preset = "p6", .frequency_hz = 300000000, .config = "mem=128\ntiming=p6\n"};

/* Record k of the test stream: every recorded row in turn, varied fields. */
static struct trace_record record(unsigned k) {
  static const enum trace_event evs[] = {TRACE_EV_exception, TRACE_EV_ring,   TRACE_EV_iret,
                                         TRACE_EV_cr3_write, TRACE_EV_io_out, TRACE_EV_tlb_flush_cr3};
  enum trace_event e = evs[k % 6];
  unsigned index = e == TRACE_EV_exception ? k % 32 : e == TRACE_EV_ring ? TRACE_RING_INDEX(3, 0) : 0;
  return (struct trace_record){.cycle = 1000 + 7ull * k,
                               .slot = (uint16_t)(e + index),
                               .cpu = 0,
                               .cpl = (uint8_t)(k & 3),
                               .cs = (uint16_t)(0x08 | (k & 3)),
                               .eip = 0x100000u + k * 3};
}

static void write_file(uint32_t classes, unsigned n) {
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, classes, err, sizeof err);
  assert_non_null(w);
  for (unsigned k = 0; k < n; k++) {
    struct trace_record r = record(k);
    assert_int_equal(trace_writer_add(w, &r), 0);
  }
  assert_int_equal(trace_writer_finish(w, 123456789, err, sizeof err), 0);
}

static long file_size(void) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

/* Reads the file; returns the records read before the end or the error
 * (rc: the last trace_reader_next result), checking each against record(). */
static unsigned read_back(int *rc, char *err, size_t n) {
  struct trace_reader *r = trace_reader_open(path, err, n);
  assert_non_null(r);
  struct trace_record got;
  unsigned k = 0;
  while ((*rc = trace_reader_next(r, &got, err, n)) == 1) {
    struct trace_record want = record(k++);
    assert_int_equal(got.cycle, want.cycle);
    assert_int_equal(got.slot, want.slot);
    assert_int_equal(got.cpu, want.cpu);
    assert_int_equal(got.cpl, want.cpl);
    assert_int_equal(got.cs, want.cs);
    assert_int_equal(got.eip, want.eip);
  }
  trace_reader_close(r);
  return k;
}

static void records_read_back_equal_with_header_and_totals(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, N_RECORDS);
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), N_RECORDS);
  assert_int_equal(rc, 0);
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(trace_reader_version(r), TRACE_FORMAT_VERSION);
  const struct trace_run_info *i = trace_reader_info(r);
  assert_string_equal(i->ringlab_version, "9.9.9");
  assert_string_equal(i->preset, "p6");
  assert_int_equal(i->frequency_hz, 300000000);
  assert_string_equal(i->config, "mem=128\ntiming=p6\n");
  char name[32];
  assert_true(trace_reader_slot_name(r, TRACE_EV_exception + 14, name, sizeof name) > 0);
  assert_string_equal(name, "exception.14");
  assert_true(trace_reader_slot_name(r, TRACE_EV_ring + TRACE_RING_INDEX(3, 0), name, sizeof name) > 0);
  assert_string_equal(name, "ring.3to0");
  assert_string_equal(trace_reader_slot_class(r, TRACE_EV_tlb_flush_cr3), "tlb");
  assert_true(trace_reader_slot_recorded(r, TRACE_EV_tlb_flush_cr3));
  assert_false(trace_reader_slot_recorded(r, TRACE_EV_dtlb_miss)); /* counted by the MMU: not yet */
  struct trace_record rec;
  while (trace_reader_next(r, &rec, err, sizeof err) == 1)
    ;
  assert_int_equal(trace_reader_total_records(r), N_RECORDS);
  assert_int_equal(trace_reader_end_cycle(r), 123456789);
  trace_reader_close(r);
}

static void an_empty_trace_is_complete(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, 0);
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), 0);
  assert_int_equal(rc, 0);
}

static void the_class_filter_drops_records_at_write_time(void **state) {
  (void)state;
  write_file(1u << TRACE_CLASS_exception, 60);
  char err[256];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(trace_reader_classes(r), 1u << TRACE_CLASS_exception);
  struct trace_record rec;
  unsigned n = 0;
  while (trace_reader_next(r, &rec, err, sizeof err) == 1) {
    assert_int_equal(trace_reader_slot_class(r, rec.slot)[0], 'e');
    n++;
  }
  assert_int_equal(n, 10); /* every sixth record is an exception */
  assert_false(trace_reader_slot_recorded(r, TRACE_EV_iret));
  trace_reader_close(r);
}

static void the_file_appears_only_when_finished(void **state) {
  (void)state;
  char err[256], tmp[80];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  struct trace_record r = record(0);
  trace_writer_add(w, &r);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(access(tmp, F_OK), 0);
  trace_writer_abort(w);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(access(tmp, F_OK), -1);
}

static void a_truncated_file_names_the_block_after_the_good_records(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, N_RECORDS);
  assert_int_equal(truncate(path, file_size() - 40), 0); /* into block 3 */
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), 2 * 4096);
  assert_int_equal(rc, -1);
  assert_non_null(strstr(err, "block 3"));
}

static void a_flipped_byte_names_the_corrupted_block(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, N_RECORDS);
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, -40, SEEK_END);
  int c = fgetc(f);
  fseek(f, -40, SEEK_END);
  fputc(c ^ 0x10, f);
  fclose(f);
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), 2 * 4096);
  assert_int_equal(rc, -1);
  assert_non_null(strstr(err, "block 3: corrupted"));
}

static void a_file_without_its_end_block_is_truncated(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, 100);
  assert_int_equal(truncate(path, file_size() - 28), 0);
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), 100);
  assert_int_equal(rc, -1);
  assert_non_null(strstr(err, "truncated"));
}

static void a_newer_format_version_is_refused(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, 10);
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, 8, SEEK_SET);
  fputc(TRACE_FORMAT_VERSION + 1, f);
  fclose(f);
  char err[256];
  assert_null(trace_reader_open(path, err, sizeof err));
  assert_non_null(strstr(err, "is newer than this ringlab reads"));
}

static void a_foreign_file_is_refused(void **state) {
  (void)state;
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs("{\"schema\": 1}\n", f);
  fclose(f);
  char err[256];
  assert_null(trace_reader_open(path, err, sizeof err));
  assert_non_null(strstr(err, "not a ringlab trace"));
}

static void class_lists_parse_and_reject_unknown_names(void **state) {
  (void)state;
  uint32_t m;
  char err[256];
  assert_int_equal(trace_classes_parse("cpu,tlb", &m, err, sizeof err), 0);
  assert_int_equal(m, (1u << TRACE_CLASS_cpu) | (1u << TRACE_CLASS_tlb));
  assert_int_equal(trace_classes_parse("cpu,rings", &m, err, sizeof err), -1);
  assert_non_null(strstr(err, "'rings'"));
  assert_int_equal(trace_classes_parse("", &m, err, sizeof err), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(records_read_back_equal_with_header_and_totals, setup, teardown),
      cmocka_unit_test_setup_teardown(an_empty_trace_is_complete, setup, teardown),
      cmocka_unit_test_setup_teardown(the_class_filter_drops_records_at_write_time, setup, teardown),
      cmocka_unit_test_setup_teardown(the_file_appears_only_when_finished, setup, teardown),
      cmocka_unit_test_setup_teardown(a_truncated_file_names_the_block_after_the_good_records, setup, teardown),
      cmocka_unit_test_setup_teardown(a_flipped_byte_names_the_corrupted_block, setup, teardown),
      cmocka_unit_test_setup_teardown(a_file_without_its_end_block_is_truncated, setup, teardown),
      cmocka_unit_test_setup_teardown(a_newer_format_version_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(a_foreign_file_is_refused, setup, teardown),
      cmocka_unit_test(class_lists_parse_and_reject_unknown_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
