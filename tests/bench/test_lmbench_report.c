/* tests/bench/test_lmbench_report.c - from a run's --stats to the rows of
 * the Xen paper's tables: cycles and microseconds per operation exactly
 * as results/ops, the two-measurement mean of "null I/O", mechanisms per
 * operation from the regions, the CSV's columns, the reference's every
 * row covered, and bad files named in one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static char path[64];

static void write_text(const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/ringlab-lmbench-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(path);
  return 0;
}

/* A run at 2.4 GHz: null call 1000 ops in 960,000 cycles (960 cycles =
 * 0.4 us each); read 1200 and write 800 cycles per op (null I/O 1000);
 * fork with a region counting 2 CR3 loads and 300 page faults over 100
 * forks. */
static const char *stats =
    "{\"schema\": 1, \"preset\": \"netburst\", \"frequency_hz\": 2400000000,\n"
    " \"cycles\": 99999, \"instructions\": 88888,\n"
    " \"events\": {},\n"
    " \"regions\": {\n"
    "  \"lat_syscall.null\": {\"cycles\": 961000, \"instructions\": 1, \"events\": {\"ring.3to0\": 1001,"
    " \"ring.0to3\": 1001, \"softint.128\": 1001}},\n"
    "  \"lat_proc.fork\": {\"cycles\": 5, \"instructions\": 1, \"events\": {\"cr3_write\": 200,"
    " \"exception.14\": 300, \"exception.13\": 100, \"tlb_flush.cr3\": 200}}},\n"
    " \"results\": {\"lat_syscall.null.cycles\": 960000, \"lat_syscall.null.ops\": 1000,\n"
    "  \"lat_syscall.read.cycles\": 120000, \"lat_syscall.read.ops\": 100,\n"
    "  \"lat_syscall.write.cycles\": 80000, \"lat_syscall.write.ops\": 100,\n"
    "  \"lat_proc.fork.cycles\": 26400000, \"lat_proc.fork.ops\": 100,\n"
    "  \"lat_proc.exec.cycles\": 5, \"other\": 3}}\n";

static void a_row_is_results_cycles_over_ops(void **state) {
  (void)state;
  write_text(stats);
  struct lm_config c;
  char err[256];
  assert_int_equal(lm_config_load(&c, "L", path, err, sizeof err), 0);
  assert_string_equal(c.preset, "netburst");
  assert_true(c.frequency_hz == 2400000000ull);
  assert_int_equal(c.n, 4); /* exec has cycles but no ops: not a measurement */
  const struct lm_measure *m = lm_config_find(&c, "lat_syscall.null");
  assert_non_null(m);
  assert_int_equal(m->cycles, 960000);
  assert_int_equal(m->ops, 1000);
  assert_true(m->mech[LM_MECH_ring] == 2002);
  assert_true(m->mech[LM_MECH_syscall] == 1001);
  assert_null(lm_config_find(&c, "lat_proc.exec"));

  char *csv = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&csv, &len);
  lm_write_csv(f, &c, 1);
  fclose(f);
  assert_non_null(strstr(csv, "table,benchmark,config,cycles,us\n"));
  assert_non_null(strstr(csv, "\n3-processes,null call,L,960.0,0.4000\n"));
  /* null I/O: the mean of read (1200) and write (800) per operation */
  assert_non_null(strstr(csv, "\n3-processes,null I/O,L,1000.0,0.4167\n"));
  assert_non_null(strstr(csv, "\n3-processes,fork proc,L,264000.0,110.0000\n"));
  assert_null(strstr(csv, "exec proc"));
  free(csv);
}

static void the_tables_show_the_paper_and_the_mechanisms_per_operation(void **state) {
  (void)state;
  write_text(stats);
  struct lm_config c;
  struct lm_reference ref;
  char err[256];
  assert_int_equal(lm_config_load(&c, "L", path, err, sizeof err), 0);
  assert_int_equal(lm_reference_load(&ref, REFERENCE_CSV, err, sizeof err), 0);
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  unsigned missing = lm_print_tables(f, &c, 1, &ref);
  fclose(f);
  /* 26 rows in all, 3 reported (null call, null I/O, fork proc) */
  assert_int_equal(missing, 25 - 3);
  assert_non_null(strstr(out, "Table 3: processes (microseconds per operation; netburst preset, 2400 MHz)"));
  /* ours 0.40, the paper's L-UP 0.45, 960 cycles */
  assert_non_null(strstr(out, "\nnull call              0.40       0.45                960\n"));
  assert_non_null(strstr(out, "\nfork proc               110        110             264000\n"));
  /* mechanisms: 2,002 ring changes / 1,000 calls; fork: 2 CR3 loads, 3
   * page faults, 4 exceptions per fork */
  assert_non_null(strstr(out, "mechanisms per operation, L:"));
  assert_non_null(strstr(out, "\n  fork proc             0.00      0.00      4.00      3.00      2.00      2.00\n"));
  assert_non_null(strstr(out, "Table 4: context switches"));
  assert_non_null(strstr(out, "Table 5: file and VM system"));
  assert_non_null(strstr(out, "no cache model"));
  free(out);
}

static void every_row_of_the_reference_is_covered(void **state) {
  (void)state;
  struct lm_reference ref;
  char err[256], missing[96] = "";
  assert_int_equal(lm_reference_load(&ref, REFERENCE_CSV, err, sizeof err), 0);
  assert_int_equal(ref.n, 23);
  assert_true(lm_reference_covered(&ref, missing, sizeof missing));
  /* and a row we do not have is named */
  write_text("table,benchmark,L-SMP,L-UP,Xen,VMW,UML\n6-net,ttcp,1,2,3,4,5\n");
  assert_int_equal(lm_reference_load(&ref, path, err, sizeof err), 0);
  assert_false(lm_reference_covered(&ref, missing, sizeof missing));
  assert_string_equal(missing, "6-net/ttcp");
}

static void bad_files_are_named_in_one_line(void **state) {
  (void)state;
  struct lm_config c;
  struct lm_reference ref;
  char err[512];
  write_text("not json");
  assert_int_equal(lm_config_load(&c, "L", path, err, sizeof err), -1);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "not a ringlab --stats JSON file"));
  write_text("{\"preset\": \"p6\", \"results\": {}, \"regions\": {}}");
  assert_int_equal(lm_config_load(&c, "L", path, err, sizeof err), -1);
  assert_non_null(strstr(err, "frequency_hz"));
  assert_int_equal(lm_config_load(&c, "L", "/nonexistent/stats.json", err, sizeof err), -1);
  assert_non_null(strstr(err, "/nonexistent/stats.json: cannot open"));
  write_text("table,benchmark\n");
  assert_int_equal(lm_reference_load(&ref, path, err, sizeof err), -1);
  assert_non_null(strstr(err, ":1: not the lmbench reference"));
  write_text("table,benchmark,L-SMP,L-UP,Xen,VMW,UML\n3-processes,null call,1\n");
  assert_int_equal(lm_reference_load(&ref, path, err, sizeof err), -1);
  assert_non_null(strstr(err, ":2: want 7 comma-separated fields"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(a_row_is_results_cycles_over_ops, setup, teardown),
      cmocka_unit_test_setup_teardown(the_tables_show_the_paper_and_the_mechanisms_per_operation, setup, teardown),
      cmocka_unit_test_setup_teardown(every_row_of_the_reference_is_covered, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_files_are_named_in_one_line, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
