/* tests/machine/test_snapshot.c - restoring into a machine that has run
 * on: the smc kernel (tests/guests/smc) rewrites its own code, so after the
 * save the machine holds decoded blocks of code that the snapshot's RAM
 * does not have; restored into that same machine (snapshot_apply drops the
 * decoded code) it must end exactly as it did the first time. And a
 * snapshot file is the same bytes each time for the same run.
 *
 *   test_machine_snapshot SMC.elf
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine-internal.h"

static const char *kernel;

struct outcome {
  int status;
  struct machine_snap snap;
};

static struct machine *boot(FILE *serial) {
  char err[512];
  struct machine *m = machine_new(16u << 20, serial, NULL, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(cpu_set_timing(m->cpu, "p6", err, sizeof err), 0);
  struct mb_request req = {.kernel = kernel};
  struct mb_boot b;
  assert_int_equal(mb_load(m->mem, &req, &b, err, sizeof err), 0);
  mb_enter(m->cpu, &b);
  return m;
}

static void outcome(struct machine *m, struct outcome *o) {
  o->status = machine_exit_status(m);
  machine_snap(m, &o->snap);
}

static void same(const struct outcome *a, const struct outcome *b) {
  assert_int_equal(a->status, b->status);
  assert_int_equal(a->snap.cycles, b->snap.cycles);
  assert_int_equal(a->snap.instructions, b->snap.instructions);
  assert_memory_equal(&a->snap.events, &b->snap.events, sizeof a->snap.events);
}

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  rewind(f);
  char *b = malloc(*n);
  assert_int_equal(fread(b, 1, *n, f), *n);
  fclose(f);
  return b;
}

static void a_machine_that_ran_on_restores_and_ends_alike(void **state) {
  char path[64], again[64], err[512];
  snprintf(path, sizeof path, "/tmp/ringlab-snap-%d.snap", (int)getpid());
  snprintf(again, sizeof again, "/tmp/ringlab-snap-%d-again.snap", (int)getpid());
  FILE *serial = tmpfile();
  struct machine *m = boot(serial);
  struct saver *s = saver_new(m, 20000, path);
  assert_non_null(s);
  machine_run(m, 100000000);
  assert_int_equal(saver_result(s, err, sizeof err), 0);
  struct outcome first, second, third;
  outcome(m, &first);
  assert_int_equal(first.status, 1); /* the smc kernel passed */
  assert_true(trace_counter(&first.snap.events, TRACE_EV_code_invalidate) > 0); /* it rewrote code */

  struct snapshot *snap = snapshot_read(path, err, sizeof err);
  assert_non_null(snap);
  assert_int_equal(snapshot_apply(m, snap, path, err, sizeof err), 0);
  machine_run(m, 100000000);
  outcome(m, &second);
  same(&first, &second);

  /* The same run saved again: the same bytes. */
  struct machine *m2 = boot(serial);
  struct saver *s2 = saver_new(m2, 20000, again);
  machine_run(m2, 100000000);
  assert_int_equal(saver_result(s2, err, sizeof err), 0);
  outcome(m2, &third);
  same(&first, &third);
  size_t na, nb;
  char *a = slurp(path, &na), *b = slurp(again, &nb);
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na);
  free(a);
  free(b);
  snapshot_free(snap);
  machine_free(m);
  machine_free(m2);
  free(s);
  free(s2);
  fclose(serial);
  unlink(path);
  unlink(again);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SMC.elf\n", argv[0]);
    return 2;
  }
  kernel = argv[1];
  const struct CMUnitTest tests[] = {cmocka_unit_test(a_machine_that_ran_on_restores_and_ends_alike)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
