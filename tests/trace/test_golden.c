/* tests/trace/test_golden.c - the golden trace summary (issue 5 section 4):
 * the rings kernel (tests/guests/rings: INT 0x80/0x81 and #GP from ring 3,
 * IRET back) run with --trace, summarized by `ringlab trace stats`, must
 * give exactly the lines of the checked-in file, literal numbers: a run is
 * deterministic, so any change is a change of behavior (or of the reader).
 *
 *   test_trace_golden KERNEL EXPECTED
 *
 * The run records the cpu, exception and interrupt classes; stats counts
 * the architectural events only (--event ...), not block_decode and
 * code_invalidate, which are statistics of the code cache that speed work
 * may change. The expected file's '#' lines are comments; the
 * format_version and ringlab_version lines of the output are not compared
 * (they change with releases, not with behavior). To regenerate after a
 * deliberate change:
 *   ringlab run --serial none --trace t.rtrace --trace-events cpu,exception,interrupt rings.elf
 *   ringlab trace stats t.rtrace --event ring,iret,exception,softint,irq,cr_write,cr3_write,\
 *       halt,sysenter,sysexit,task_switch
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"
#include "trace.h"

static const char *kernel, *expected;
static char trace_path[64], out_path[64];

#define EVENTS "ring,iret,exception,softint,irq,cr_write,cr3_write,halt,sysenter,sysexit,task_switch"

static int setup(void **state) {
  (void)state;
  snprintf(trace_path, sizeof trace_path, "test_golden_%d.rtrace", (int)getpid());
  snprintf(out_path, sizeof out_path, "test_golden_%d.out", (int)getpid());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  remove(trace_path);
  remove(out_path);
  return 0;
}

/* Reads path into a string without '#' lines and without the lines that
 * start with one of skip (NULL-terminated). */
static char *read_lines(const char *path, const char *const *skip) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t cap = 1 << 16, len = 0;
  char *text = calloc(1, cap), line[512];
  assert_non_null(text);
  while (fgets(line, sizeof line, f)) {
    bool drop = line[0] == '#';
    for (const char *const *s = skip; *s && !drop; s++)
      drop = strncmp(line, *s, strlen(*s)) == 0;
    size_t n = strlen(line);
    if (drop)
      continue;
    assert_true(len + n < cap);
    memcpy(text + len, line, n + 1);
    len += n;
  }
  fclose(f);
  return text;
}

static void rings_kernel_trace_summary_matches_the_golden_file_exactly(void **state) {
  (void)state;
  char *run[] = {"run", "--serial", "none", "--trace", trace_path, "--trace-events", "cpu,exception,interrupt",
                 (char *)kernel, NULL};
  assert_int_equal(run_main(8, run), 1); /* the kernel's verdict 0 on port 0xf4: exit 1 */

  fflush(stdout);
  int saved = dup(1);
  FILE *f = fopen(out_path, "w");
  assert_non_null(f);
  dup2(fileno(f), 1);
  char *stats[] = {"trace", "stats", trace_path, "--event", EVENTS, NULL};
  int rc = trace_main(5, stats);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  fclose(f);
  assert_int_equal(rc, 0);

  static const char *const skip[] = {"format_version ", "ringlab_version ", NULL};
  char *got = read_lines(out_path, skip), *want = read_lines(expected, skip);
  if (strcmp(got, want) != 0)
    fprintf(stderr, "--- trace stats gave:\n%s--- the golden file %s says:\n%s", got, expected, want);
  assert_string_equal(got, want);
  free(got);
  free(want);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s KERNEL EXPECTED\n", argv[0]);
    return 2;
  }
  kernel = argv[1];
  expected = argv[2];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(rings_kernel_trace_summary_matches_the_golden_file_exactly, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
