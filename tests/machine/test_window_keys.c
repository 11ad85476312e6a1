/* tests/machine/test_window_keys.c - keys typed into the window (SDL's
 * offscreen driver; the keys are SDL events pushed as a host's keyboard
 * would make them) reach the guest stamped with the emulated cycle, and
 * --keys-out records them so that --keys-in replays the run exactly: the
 * console kernel (tests/guests/console) halts until six key bytes come,
 * and the run with the window and typed keys, and the run without a
 * window that replays the recorded file, end alike (status, serial output,
 * cycles, instructions, every counter).
 *
 *   test_machine_window_keys CONSOLE.elf
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine-internal.h"

static const char *kernel;

/* Pushes h, i and enter (down, up) once the machine is past 20M cycles:
 * the kernel is then waiting for keys. */
struct typist {
  struct machine_observer obs;
  bool typed;
};

static void push(SDL_Scancode sc, bool down) {
  SDL_Event e = {0};
  e.type = down ? SDL_KEYDOWN : SDL_KEYUP;
  e.key.keysym.scancode = sc;
  assert_int_equal(SDL_PushEvent(&e), 1);
}

static void typist_stopped(void *ctx, struct machine *m) {
  struct typist *t = ctx;
  if (t->typed || m->end != MACHINE_RUNNING || cpu_cycles(m->cpu) < 20000000)
    return;
  static const SDL_Scancode keys[] = {SDL_SCANCODE_H, SDL_SCANCODE_I, SDL_SCANCODE_RETURN};
  for (unsigned k = 0; k < 3; k++) {
    push(keys[k], true);
    push(keys[k], false);
  }
  t->typed = true;
  t->obs.pause_at = DEV_NEVER;
}

struct outcome {
  int status;
  struct machine_snap snap;
  char serial[8192];
};

/* Runs the console kernel: with the window (keys typed, recorded to
 * keys_out) or without (keys replayed from keys_in). */
static void run(const char *keys_out, const char *keys_in, struct outcome *o) {
  char err[512];
  FILE *serial = tmpfile();
  assert_non_null(serial);
  struct machine *m = machine_new(128u << 20, serial, NULL, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(cpu_set_timing(m->cpu, "p6", err, sizeof err), 0);
  struct mb_request req = {.kernel = kernel};
  struct mb_boot boot;
  assert_int_equal(mb_load(m->mem, &req, &boot, err, sizeof err), 0);
  mb_enter(m->cpu, &boot);
  struct window *win = NULL;
  struct typist t = {.obs = {.stopped = typist_stopped, .pause_at = 20000000}};
  t.obs.ctx = &t;
  if (keys_out) {
    win = window_open(m, keys_out, NULL, false, err, sizeof err);
    if (!win)
      print_message("%s\n", err);
    assert_non_null(win);
    assert_int_equal(machine_observe(m, &t.obs), 0);
  } else {
    assert_int_equal(keys_load(m, keys_in, err, sizeof err), 0);
  }
  machine_run(m, 400000000);
  o->status = machine_exit_status(m);
  machine_snap(m, &o->snap);
  if (win) {
    if (!t.typed)
      print_message("not typed: %s at cycle %llu\n", m->end_message, (unsigned long long)cpu_cycles(m->cpu));
    assert_true(t.typed);
    assert_int_equal(window_finish(win, m, err, sizeof err), 0);
    window_close(win);
  }
  machine_free(m);
  rewind(serial);
  size_t n = fread(o->serial, 1, sizeof o->serial - 1, serial);
  o->serial[n] = 0;
  fclose(serial);
}

static void typed_keys_replay_exactly(void **state) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/ringlab-keys-%d.txt", (int)getpid());
  static struct outcome typed, replayed;
  run(path, NULL, &typed);
  assert_int_equal(typed.status, 1); /* the console kernel passed */
  assert_non_null(strstr(typed.serial, "console: PASS"));

  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[128];
  unsigned events = 0;
  unsigned long long first = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#')
      continue;
    unsigned long long when;
    char dir[8], name[32];
    assert_int_equal(sscanf(line, "%llu %7s %31s", &when, dir, name), 3);
    if (!events++)
      first = when;
    assert_true(when == first); /* all typed at one pause */
    assert_true(when > 20000000);
  }
  fclose(f);
  assert_int_equal(events, 6);

  run(NULL, path, &replayed);
  unlink(path);
  assert_int_equal(replayed.status, typed.status);
  assert_string_equal(replayed.serial, typed.serial);
  assert_int_equal(replayed.snap.cycles, typed.snap.cycles);
  assert_int_equal(replayed.snap.instructions, typed.snap.instructions);
  assert_memory_equal(&replayed.snap.events, &typed.snap.events, sizeof typed.snap.events);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CONSOLE.elf\n", argv[0]);
    return 2;
  }
  kernel = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(typed_keys_replay_exactly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
