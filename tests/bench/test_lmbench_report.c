/* tests/bench/test_lmbench_report.c - from a run's --stats to the rows of
 * the Xen paper's tables: cycles and microseconds per operation exactly
 * as results/ops, the two-measurement mean of "null I/O", mechanisms per
 * operation from the regions, X beside L with the ratios ours and the
 * paper's, hypercalls by Xen name and the entries per mmu_update, the
 * CSV's columns, the comparison of two settings, the plot's data and
 * script, the reference's every row covered, and bad files named in one
 * line. */
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

/* What is printed on the FILE capture() gives, once captured() closes it
 * (free the text). */
static char *capture_text;
static size_t capture_len;

static FILE *capture(void) {
  FILE *f = open_memstream(&capture_text, &capture_len);
  assert_non_null(f);
  return f;
}

static char *captured(FILE *f) {
  fclose(f);
  return capture_text;
}

/* The whole of file p into text (size n), NUL-terminated. */
static void read_text(const char *p, char *text, size_t n) {
  FILE *f = fopen(p, "r");
  assert_non_null(f);
  size_t got = fread(text, 1, n - 1, f);
  fclose(f);
  text[got] = 0;
}

static void load_reference(struct lm_reference *ref) {
  char err[256];
  assert_int_equal(lm_reference_load(ref, REFERENCE_CSV, err, sizeof err), 0);
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

  FILE *f = capture();
  lm_write_csv(f, &c, 1, NULL);
  char *csv = captured(f);
  assert_non_null(strstr(csv, LM_CSV_HEADER "\n"));
  assert_non_null(strstr(csv, "\n3-processes,null call,L,960.0,0.4000,,,,2.002,1.001,"));
  /* null I/O: the mean of read (1200) and write (800) per operation */
  assert_non_null(strstr(csv, "\n3-processes,null I/O,L,1000.0,0.4167,"));
  assert_non_null(strstr(csv, "\n3-processes,fork proc,L,264000.0,110.0000,"));
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
  load_reference(&ref);
  FILE *f = capture();
  unsigned missing = lm_print_tables(f, &c, 1, &ref);
  char *out = captured(f);
  /* 26 rows in all, 3 reported (null call, null I/O, fork proc) */
  assert_int_equal(missing, 25 - 3);
  assert_non_null(strstr(out, "Table 3: processes (microseconds per operation; netburst preset, 2400 MHz)"));
  /* ours 0.40, the paper's L-UP 0.45, 960 cycles */
  assert_non_null(strstr(out, "\nnull call              0.40       0.45            960\n"));
  assert_non_null(strstr(out, "\nfork proc               110        110         264000\n"));
  /* mechanisms: 2,002 ring changes / 1,000 calls; fork: 2 CR3 loads, 3
   * page faults, 4 exceptions per fork */
  assert_non_null(strstr(out, "mechanisms per operation, L:"));
  assert_non_null(strstr(out, "\n  fork proc             0.00      0.00      4.00      3.00      2.00      2.00\n"));
  assert_non_null(strstr(out, "Table 4: context switches"));
  assert_non_null(strstr(out, "Table 5: file and VM system"));
  assert_non_null(strstr(out, "no cache model"));
  free(out);
}

/* The same rows paravirtualized: null call 1,000 cycles, null I/O as L;
 * fork 2.5 times L's (660,000 cycles), its region (100 forks) counting
 * 1,100 int $0x82, 200 mmu_update calls, 300 update_va_mapping calls
 * (each validates one entry) and 2,300 entries validated: (2,300 - 300) /
 * 200 = 10 entries per mmu_update; 200 bounced page faults. */
static const char *stats_x =
    "{\"schema\": 1, \"preset\": \"netburst\", \"frequency_hz\": 2400000000,\n"
    " \"cycles\": 99999, \"instructions\": 88888,\n"
    " \"events\": {},\n"
    " \"regions\": {\n"
    "  \"lat_syscall.null\": {\"cycles\": 1, \"instructions\": 1, \"events\": {\"ring.3to1\": 1001,"
    " \"ring.1to3\": 1001, \"softint.128\": 1001}},\n"
    "  \"lat_proc.fork\": {\"cycles\": 5, \"instructions\": 1, \"events\": {\"softint.130\": 1100,"
    " \"hypercall.1\": 200, \"hypercall.14\": 300, \"hypercall.13\": 400, \"hypercall_return.1\": 200,"
    " \"hv_pt_update.1\": 2000, \"hv_pt_update.2\": 300, \"hv_trap_bounce.14\": 200}}},\n"
    " \"results\": {\"lat_syscall.null.cycles\": 1000000, \"lat_syscall.null.ops\": 1000,\n"
    "  \"lat_syscall.read.cycles\": 120000, \"lat_syscall.read.ops\": 100,\n"
    "  \"lat_syscall.write.cycles\": 80000, \"lat_syscall.write.ops\": 100,\n"
    "  \"lat_proc.fork.cycles\": 66000000, \"lat_proc.fork.ops\": 100}}\n";

static void load_pair(struct lm_config c[2]) {
  char err[256];
  write_text(stats);
  assert_int_equal(lm_config_load(&c[0], "L", path, err, sizeof err), 0);
  write_text(stats_x);
  assert_int_equal(lm_config_load(&c[1], "X", path, err, sizeof err), 0);
}

static void x_stands_beside_l_with_both_ratios_and_its_hypercalls(void **state) {
  (void)state;
  struct lm_config c[2];
  struct lm_reference ref;
  load_pair(c);
  load_reference(&ref);
  const struct lm_measure *m = lm_config_find(&c[1], "lat_proc.fork");
  assert_non_null(m);
  assert_true(m->hcall[1] == 200 && m->hcall[14] == 300 && m->hcall[13] == 400);
  assert_true(m->mech[LM_MECH_hcall] == 1100);
  assert_true(m->mech[LM_MECH_ptupd] == 2300);
  assert_true(m->mech[LM_MECH_bounce] == 200);
  FILE *f = capture();
  lm_print_tables(f, c, 2, &ref);
  char *out = captured(f);
  /* fork: L 110 us, X 275 us, the paper's 110 and 198; X/L 2.50 ours, 1.80 the paper's */
  assert_non_null(strstr(out, "        L us       X us paper L-UP  paper Xen     X/L   paper       L cycles       X cycles\n"));
  assert_non_null(strstr(out, "\nfork proc               110        275        110        198    2.50    1.80         264000         660000\n"));
  assert_non_null(strstr(out, "\nnull call              0.40       0.42       0.45       0.46    1.04    1.02            960           1000\n"));
  /* X's mechanisms: 11 hypercalls, 2 bounces, 23 entries, 10 per mmu_update */
  assert_non_null(strstr(out, "mechanisms per operation, X:"));
  assert_non_null(strstr(out, "     hcall    bounce   pte upd   pte/mmu\n"));
  assert_non_null(strstr(out, "\n  fork proc             0.00      0.00     11.00      2.00     23.00      10.0\n"));
  /* and by Xen's names */
  assert_non_null(strstr(out, "hypercalls per operation, X (a multicall's members also under their own names):\n"
                              "  benchmark        mmu_update multicall update_va_mapping\n"));
  assert_non_null(strstr(out, "\n  fork proc              2.00      4.00              3.00\n"));
  /* L made no hypercall: no such table for L */
  assert_null(strstr(out, "hypercalls per operation, L"));
  free(out);

  f = capture();
  lm_write_csv(f, c, 2, &ref);
  char *csv = captured(f);
  assert_non_null(strstr(csv, "\n3-processes,fork proc,L,264000.0,110.0000,110,,,"));
  /* X: the paper's Xen figure, X/L ours and the paper's, ..., hcall 11, bounce 2, entries 23, 10 per call */
  assert_non_null(strstr(csv, "\n3-processes,fork proc,X,660000.0,275.0000,198,2.5000,1.8000,"));
  assert_non_null(strstr(csv, ",11.000,2.000,0.000,23.000,0.000,10.00\n"));
  free(csv);
}

static void compare_prints_both_settings_and_the_change(void **state) {
  (void)state;
  struct lm_config base[2], variant[2];
  struct lm_reference ref;
  load_pair(base);
  load_pair(variant);
  snprintf(variant[0].name, sizeof variant[0].name, "L'");
  snprintf(variant[1].name, sizeof variant[1].name, "X'");
  variant[1].m[3].cycles = 33000000; /* X' forks in half the time (ids in file order: fork last) */
  assert_string_equal(variant[1].ids[3], "lat_proc.fork");
  load_reference(&ref);
  FILE *f = capture();
  lm_print_compare(f, base, variant, 2, "--tlb-tagged");
  char *out = captured(f);
  assert_non_null(strstr(out, "Comparison: each configuration with and without \"--tlb-tagged\""));
  assert_non_null(strstr(out, "       L us      L' us   change       X us      X' us   change     X/L   X'/L'\n"));
  assert_non_null(strstr(out, "\nfork proc               110        110    +0.0%        275        138   -50.0%    2.50    1.25\n"));
  free(out);
}

static void the_plot_has_ours_beside_the_papers_per_row(void **state) {
  (void)state;
  struct lm_config c[2];
  struct lm_reference ref;
  char err[256], data[80], script[80];
  load_pair(c);
  load_reference(&ref);
  snprintf(data, sizeof data, "%s.dat", path);
  snprintf(script, sizeof script, "%s.gp", path);
  assert_int_equal(lm_write_plot(data, script, "out.svg", c, 2, &ref, NULL, err, sizeof err), 0);
  char text[8192];
  read_text(data, text, sizeof text);
  assert_non_null(strstr(text, "# row paper X/L\n"));
  assert_non_null(strstr(text, "\n\"fork proc\" 1.8000 2.5000\n"));
  assert_non_null(strstr(text, "\n\"exec proc\" 1.4491 NaN\n"));
  read_text(script, text, sizeof text);
  assert_non_null(strstr(text, "set terminal svg"));
  assert_non_null(strstr(text, "set output 'out.svg'"));
  assert_non_null(strstr(text, "title 'paper: Xen / L-UP', '' using 3 title 'ringlab: X / L'"));
  /* with a compared setting: X'/L' a third bar, quotes doubled for gnuplot */
  struct lm_config four[4];
  load_pair(four);
  load_pair(four + 2);
  snprintf(four[2].name, sizeof four[2].name, "L'");
  snprintf(four[3].name, sizeof four[3].name, "X'");
  assert_int_equal(lm_write_plot(data, script, "out.svg", four, 4, &ref, "--timing p6", err, sizeof err), 0);
  read_text(script, text, sizeof text);
  assert_non_null(strstr(text, ", '' using 4 title 'ringlab: X'' / L'' with --timing p6'\n"));
  read_text(data, text, sizeof text);
  assert_non_null(strstr(text, "\n\"fork proc\" 1.8000 2.5000 2.5000\n"));
  /* PNG by the extension; anything else refused; X/L needs L and X */
  assert_int_equal(lm_write_plot(data, script, "out.png", c, 2, &ref, NULL, err, sizeof err), 0);
  assert_int_equal(lm_write_plot(data, script, "out.pdf", c, 2, &ref, NULL, err, sizeof err), -1);
  assert_non_null(strstr(err, "must end in .svg or .png"));
  assert_int_equal(lm_write_plot(data, script, "out.svg", c, 1, &ref, NULL, err, sizeof err), -1);
  assert_non_null(strstr(err, "needs the configurations L and X"));
  unlink(data);
  unlink(script);
}

static void every_row_of_the_reference_is_covered(void **state) {
  (void)state;
  struct lm_reference ref;
  char err[256], missing[96] = "";
  load_reference(&ref);
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
      cmocka_unit_test_setup_teardown(x_stands_beside_l_with_both_ratios_and_its_hypercalls, setup, teardown),
      cmocka_unit_test_setup_teardown(compare_prints_both_settings_and_the_change, setup, teardown),
      cmocka_unit_test_setup_teardown(the_plot_has_ours_beside_the_papers_per_row, setup, teardown),
      cmocka_unit_test_setup_teardown(every_row_of_the_reference_is_covered, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_files_are_named_in_one_line, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
