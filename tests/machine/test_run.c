/* tests/machine/test_run.c - `ringlab run` end to end, in process: exit
 * statuses, serial output, --stats contents and determinism, the config
 * file, and bad input (one line on stderr, status 64).
 *
 * Usage: test_machine_run HELLO_ELF OPS_ELF (the guest kernels of
 * tests/guests/, passed by ctest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"

static const char *hello_elf, *ops_elf;
static char tmpdir[64];

static char *tmp(const char *name) {
  static char buf[8][160];
  static unsigned k;
  char *p = buf[k++ % 8];
  snprintf(p, 160, "%s/%s", tmpdir, name);
  return p;
}

static void write_file(const char *path, const char *text, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, n, f), n);
  fclose(f);
}

/* The whole file, NUL-terminated (caller frees); NULL if missing. */
static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = calloc(1, (size_t)n + 1);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  if (len)
    *len = (size_t)n;
  return b;
}

/* Runs `ringlab run ARGS...` with stderr captured in *err_out (caller
 * frees). Returns the exit status. */
static int run(char **err_out, ...) {
  char *argv[32];
  int argc = 0;
  argv[argc++] = "run";
  va_list ap;
  va_start(ap, err_out);
  for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
    argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;

  const char *errpath = tmp("stderr.txt");
  fflush(stderr);
  int saved = dup(2);
  int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved >= 0 && fd >= 0);
  dup2(fd, 2);
  close(fd);
  int status = run_main(argc, argv);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char *e = read_all(errpath, NULL);
  if (err_out)
    *err_out = e;
  else
    free(e);
  return status;
}

static unsigned lines(const char *s) {
  unsigned n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void hello_passes_with_status_1_and_its_serial_output(void **state) {
  char *serial = tmp("hello.serial");
  assert_int_equal(run(NULL, "--serial", serial, hello_elf, NULL), 1);
  char *out = read_all(serial, NULL);
  assert_non_null(out);
  assert_non_null(strstr(out, "hello from ringlab guest\n"));
  free(out);
}

static void stats_of_two_runs_are_byte_identical(void **state) {
  char *s1 = tmp("s1.json"), *s2 = tmp("s2.json");
  assert_int_equal(run(NULL, "--serial", "none", "--stats", s1, ops_elf, NULL), 0);
  assert_int_equal(run(NULL, "--serial", "none", "--stats", s2, ops_elf, NULL), 0);
  size_t n1, n2;
  char *a = read_all(s1, &n1), *b = read_all(s2, &n2);
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal(n1, n2);
  assert_memory_equal(a, b, n1);
  free(a);
  free(b);
}

static void stats_report_exit_counters_regions_and_results(void **state) {
  char *s = tmp("ops.json");
  assert_int_equal(run(NULL, "--serial", "none", "--stats", s, ops_elf, NULL), 0);
  char *text = read_all(s, NULL);
  assert_non_null(strstr(text, "\"big\":\t1311768467463790320")); /* exact, not via a double */
  cJSON *j = cJSON_Parse(text);
  assert_non_null(j);
  assert_int_equal(cJSON_GetObjectItem(j, "schema")->valueint, 1);
  assert_string_equal(cJSON_GetObjectItem(j, "preset")->valuestring, "p6"); /* the default */
  assert_int_equal((int)cJSON_GetObjectItem(j, "frequency_hz")->valuedouble, 300000000); /* p6: 300 MHz */
  cJSON *ex = cJSON_GetObjectItem(j, "exit");
  assert_string_equal(cJSON_GetObjectItem(ex, "reason")->valuestring, "ops-exit");
  assert_int_equal(cJSON_GetObjectItem(ex, "status")->valueint, 0);
  assert_true(cJSON_GetObjectItem(j, "cycles")->valuedouble > 0);
  assert_true(cJSON_GetObjectItem(j, "instructions")->valuedouble > 0);
  cJSON *ev = cJSON_GetObjectItem(j, "events");
  assert_non_null(cJSON_GetObjectItem(ev, "io_out"));
  assert_non_null(cJSON_GetObjectItem(ev, "tlb_flush.cr3")); /* plain counters always, zero or not */
  assert_null(cJSON_GetObjectItem(ev, "exception"));         /* indexed: "exception.N", when nonzero */
  assert_null(cJSON_GetObjectItem(ev, "exception.14"));

  cJSON *loop = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "regions"), "loop");
  assert_non_null(loop);
  double cycles = cJSON_GetObjectItem(loop, "cycles")->valuedouble;
  assert_true(cycles >= 1000); /* at least one instruction per iteration */
  assert_true(cycles < cJSON_GetObjectItem(j, "cycles")->valuedouble);
  assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "regions"), "tail")); /* open at exit */
  assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "regions"), "never"));

  cJSON *res = cJSON_GetObjectItem(j, "results");
  assert_int_equal(cJSON_GetObjectItem(res, "sum")->valueint, 500500);
  assert_int_equal(cJSON_GetObjectItem(res, "negative")->valueint, -5);
  assert_null(cJSON_GetObjectItem(res, "bad name"));
  assert_null(strstr(text, tmpdir)); /* nothing of the host */
  cJSON_Delete(j);
  free(text);
}

static void timing_preset_unit_charges_one_cycle_per_instruction(void **state) {
  char *s = tmp("unit.json");
  assert_int_equal(run(NULL, "--serial", "none", "--timing", "unit", "--stats", s, hello_elf, NULL), 1);
  char *text = read_all(s, NULL);
  cJSON *j = cJSON_Parse(text);
  assert_string_equal(cJSON_GetObjectItem(j, "preset")->valuestring, "unit");
  assert_true(cJSON_GetObjectItem(j, "cycles")->valuedouble == cJSON_GetObjectItem(j, "instructions")->valuedouble);
  cJSON_Delete(j);
  free(text);
}

static void max_cycles_ends_the_run_with_67_and_one_line(void **state) {
  char *err;
  assert_int_equal(run(&err, "--serial", "none", "--max-cycles", "50", hello_elf, NULL), 67);
  assert_int_equal(lines(err), 1);
  assert_non_null(strstr(err, "--max-cycles 50 reached at CS:EIP 0008:"));
  free(err);
}

static void hlt_with_interrupts_off_ends_with_66(void **state) {
  char *f = tmp("hlt.bin"), *err;
  write_file(f, "\xfa\xf4", 2); /* cli; hlt */
  assert_int_equal(run(&err, "--flat", "0x100000", f, NULL), 66);
  assert_non_null(strstr(err, "hlt with interrupts disabled at CS:EIP 0008:00100002, cycle"));
  free(err);
}

/* The x87 computes (it used to stop the machine with 68): 1 + 1 stored as
 * an integer and sent to the debug exit, (2 << 1) | 1 = 5. */
static void x87_arithmetic_runs(void **state) {
  char *f = tmp("x87.bin"), *err;
  static const char code[] = "\xdb\xe3"                 /* fninit (RESET leaves CW 0040: all unmasked) */
                             "\xd9\xe8"                 /* fld1 */
                             "\xd9\xe8"                 /* fld1 */
                             "\xde\xc1"                 /* faddp st(1), st */
                             "\xdf\x1d\x00\x01\x10\x00" /* fistp word [0x100100] */
                             "\xa0\x00\x01\x10\x00"     /* mov al, [0x100100] */
                             "\xe6\xf4";                /* out 0xf4, al */
  write_file(f, code, sizeof code - 1);
  assert_int_equal(run(&err, "--flat", "0x100000", f, NULL), 5);
  free(err);
}

/* Without CR0.NE a pending x87 error freezes the next waiting x87
 * instruction until an interrupt; with IF = 0 none can come: 66, saying so. */
static void a_frozen_x87_with_interrupts_off_ends_with_66(void **state) {
  char *f = tmp("x87frozen.bin"), *err;
  static const char code[] = "\xdb\xe3"                 /* fninit */
                             "\x66\xc7\x05\x00\x01\x10\x00\x7b\x03" /* mov word [0x100100], 0x037b */
                             "\xd9\x2d\x00\x01\x10\x00" /* fldcw [0x100100]: ZE unmasked */
                             "\xd9\xe8\xd9\xee\xde\xf9" /* fld1; fldz; fdivp: 1/0 */
                             "\xfa\x9b";                /* cli; fwait */
  write_file(f, code, sizeof code - 1);
  assert_int_equal(run(&err, "--flat", "0x100000", f, NULL), 66);
  assert_non_null(strstr(err, "x87 error pending with interrupts disabled"));
  free(err);
}

static void triple_fault_ends_with_65(void **state) {
  char *f = tmp("ud.bin"), *err;
  write_file(f, "\x0f\x0b", 2); /* ud2, with no IDT to deliver it */
  assert_int_equal(run(&err, "--flat", "0x100000", f, NULL), 65);
  assert_non_null(strstr(err, "triple fault"));
  assert_int_equal(lines(err), 1);
  free(err);
}

static void config_file_sets_options_and_the_command_line_overrides(void **state) {
  char *cfg = tmp("m.ini"), *s1 = tmp("cfg1.serial"), *s2 = tmp("cfg2.serial");
  char text[512];
  snprintf(text, sizeof text, "; a machine\n[machine]\nmem = 32\nserial = %s\nkernel = %s\n", s1, hello_elf);
  write_file(cfg, text, strlen(text));
  unlink(s1);
  assert_int_equal(run(NULL, "--config", cfg, NULL), 1);
  char *out = read_all(s1, NULL);
  assert_non_null(out);
  assert_non_null(strstr(out, "hello from ringlab guest"));
  free(out);
  unlink(s1);
  assert_int_equal(run(NULL, "--config", cfg, "--serial", s2, NULL), 1);
  assert_null(read_all(s1, NULL));
  out = read_all(s2, NULL);
  assert_non_null(out);
  free(out);
}

/* One line on stderr that contains `names`, status 64. */
static void expect_bad(char *err, int status, const char *names) {
  assert_int_equal(status, 64);
  assert_int_equal(lines(err), 1);
  if (!strstr(err, names))
    fail_msg("'%s' does not name '%s'", err, names);
  free(err);
}

static void bad_input_gives_64_and_one_line_naming_it(void **state) {
  char *err;
  int st = run(&err, tmp("missing.elf"), NULL);
  expect_bad(err, st, "missing.elf: cannot open");
  st = run(&err, tmpdir, NULL);
  expect_bad(err, st, "is a directory");
  st = run(&err, "--mem", "lots", hello_elf, NULL);
  expect_bad(err, st, "mem 'lots'");
  st = run(&err, "--timing", "bogus", hello_elf, NULL);
  expect_bad(err, st, "bogus");
  st = run(&err, "--bogus", hello_elf, NULL);
  expect_bad(err, st, "--bogus");
  st = run(&err, NULL);
  expect_bad(err, st, "no KERNEL");

  char *cfg = tmp("bad.ini");
  write_file(cfg, "mem = 64\ncolour = blue\n", 23);
  st = run(&err, "--config", cfg, hello_elf, NULL);
  expect_bad(err, st, "bad.ini:2: unknown key 'colour'");
  write_file(cfg, "max-cycles = -3\n", 16);
  st = run(&err, "--config", cfg, hello_elf, NULL);
  expect_bad(err, st, "bad.ini:1: max-cycles '-3'");
  st = run(&err, "--config", tmp("no.ini"), hello_elf, NULL);
  expect_bad(err, st, "no.ini: cannot open");

  char *in = tmp("in.txt");
  write_file(in, "100 ab\n50 c\n", 12);
  st = run(&err, "--serial-in", in, hello_elf, NULL);
  expect_bad(err, st, "in.txt:2: cycle 50 is before");
  write_file(in, "100 a\\qb\n", 9);
  st = run(&err, "--serial-in", in, hello_elf, NULL);
  expect_bad(err, st, "in.txt:1: bad escape");

  st = run(&err, "--mem", "2", "--module", tmp("nomod"), hello_elf, NULL);
  expect_bad(err, st, "nomod: cannot open");
}

/* The TLB experiments: geometry per TLB and the tagged switch, from the
 * command line and the config; an impossible geometry is bad input. */
static void tlb_geometry_and_tagging_are_options(void **state) {
  assert_int_equal(run(NULL, "--serial", "none", "--itlb", "4:4,2:2", "--dtlb", "8:2,1:1", "--tlb-tagged",
                       hello_elf, NULL),
                   1);
  char *cfg = tmp("tlb.ini");
  write_file(cfg, "dtlb = 128:8,16:4\ntlb-tagged = yes\n", 35);
  assert_int_equal(run(NULL, "--serial", "none", "--config", cfg, hello_elf, NULL), 1);
  char *err;
  int st = run(&err, "--dtlb", "6:4,8:4", hello_elf, NULL);
  expect_bad(err, st, "--dtlb 6:4,8:4: entries must be a multiple of ways");
  st = run(&err, "--itlb", "32", hello_elf, NULL);
  expect_bad(err, st, "itlb '32' is not a geometry");
  write_file(cfg, "tlb-tagged = maybe\n", 19);
  st = run(&err, "--config", cfg, hello_elf, NULL);
  expect_bad(err, st, "tlb-tagged 'maybe'");
}

static void serial_input_file_is_accepted(void **state) {
  char *in = tmp("ok.txt");
  write_file(in, "# replay\n0 hi\\n\n\n900 \\x41\\s\n", 28);
  assert_int_equal(run(NULL, "--serial", "none", "--serial-in", in, hello_elf, NULL), 1);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s HELLO_ELF OPS_ELF\n", argv[0]);
    return 2;
  }
  hello_elf = argv[1];
  ops_elf = argv[2];
  snprintf(tmpdir, sizeof tmpdir, "/tmp/ringlab-run-XXXXXX");
  if (!mkdtemp(tmpdir))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hello_passes_with_status_1_and_its_serial_output),
      cmocka_unit_test(stats_of_two_runs_are_byte_identical),
      cmocka_unit_test(stats_report_exit_counters_regions_and_results),
      cmocka_unit_test(timing_preset_unit_charges_one_cycle_per_instruction),
      cmocka_unit_test(max_cycles_ends_the_run_with_67_and_one_line),
      cmocka_unit_test(hlt_with_interrupts_off_ends_with_66),
      cmocka_unit_test(x87_arithmetic_runs),
      cmocka_unit_test(a_frozen_x87_with_interrupts_off_ends_with_66),
      cmocka_unit_test(triple_fault_ends_with_65),
      cmocka_unit_test(config_file_sets_options_and_the_command_line_overrides),
      cmocka_unit_test(bad_input_gives_64_and_one_line_naming_it),
      cmocka_unit_test(serial_input_file_is_accepted),
      cmocka_unit_test(tlb_geometry_and_tagging_are_options),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    return 1;
  return failed;
}
