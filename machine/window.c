/* machine/window.c - `ringlab run --display sdl`: the window as an
 * observer of the run (display/ draws, this file decides when).
 *
 * The machine runs at full speed and pauses every `chunk` cycles (an
 * invisible pause: cpu.h); at a pause the window takes the host's input
 * and, about 60 times a host second, draws the screen and the panel. The
 * chunk adapts to the host's speed so that pauses come every few host
 * milliseconds; since pauses change nothing, the chunk (a host-time
 * choice) never shows in the run.
 *
 * Keys typed into the window reach the keyboard as events stamped with the
 * cycle after the pause they are seen at (cpu_cycles + 1: the next
 * instruction boundary the scheduler can stop at), and --keys-out writes
 * each as it is queued, in --keys-in's format: replayed, the same events
 * arrive at the same instruction boundaries, so a class demonstration
 * reruns exactly. F12 pauses (the window keeps drawing and reading keys;
 * keys typed then arrive when the run goes on), F11 runs one instruction
 * while paused (cpu_step). Closing the window ends the run (status 70).
 *
 * At the end the final screen is drawn with the run's outcome; with
 * --screenshot it is read back from the window and written as a BMP; with
 * --display-hold the window stays until it is closed.
 */
#include <stdlib.h>
#include <string.h>

#include "display.h"
#include "machine-internal.h"

#define CHUNK_FIRST 1000000u   /* cycles between pauses, at first */
#define CHUNK_MIN 10000u
#define CHUNK_MAX 200000000u
#define PAUSE_EVERY_MS 8       /* host ms between pauses, aimed at */
#define DRAW_EVERY_MS 33       /* host ms between frames: 30 a second */
#define WAIT_MS 50             /* while paused: how long to wait for input */

struct window {
  struct machine_observer obs;
  struct display_window *w;
  struct display_frame frame;
  cycles_t chunk;
  uint64_t last_pause_ms, last_draw_ms;
  bool paused;                       /* F12 */
  bool stepping;                     /* F11: the step runs now */
  struct display_sample prev;        /* for rates */
  bool have_prev;
  FILE *keys_out;
  const char *keys_out_path;
  char note[DISPLAY_PANEL_COLS + 1]; /* a line for the panel */
  const char *screenshot;
  bool hold;
  char err[256];                     /* the first error (screenshot, keys-out), for the end */
};

static void sample(struct machine *m, struct display_sample *s) {
  struct machine_snap snap;
  machine_snap(m, &snap);
  struct cpu_segment cs;
  cpu_get_segment(m->cpu, CPU_CS, &cs);
  *s = (struct display_sample){.cycles = snap.cycles, .instructions = snap.instructions,
                               .frequency_hz = cpu_timing_frequency_hz(m->cpu),
                               .cpl = cs.selector & 3, .cs = cs.selector, .eip = cpu_get_eip(m->cpu),
                               .events = snap.events};
  /* CPL is CS.RPL in protected mode; in real mode 0 and in V86 3 */
  if (!(cpu_get_cr(m->cpu, 0) & 1))
    s->cpl = 0;
  else if (cpu_get_eflags(m->cpu) & CPU_FLAG_VM)
    s->cpl = 3;
}

static void draw(struct window *win, struct machine *m) {
  struct dev_vga_screen screen;
  dev_vga_screen(m->vga, &screen);
  struct display_sample now;
  sample(m, &now);
  struct display_panel panel;
  enum display_state state = m->end != MACHINE_RUNNING ? DISPLAY_ENDED : win->paused ? DISPLAY_PAUSED
                                                                                     : DISPLAY_RUNNING;
  char status[DISPLAY_PANEL_COLS + 1];
  if (m->end != MACHINE_RUNNING)
    snprintf(status, sizeof status, "%s, status %d", machine_end_name(m->end), machine_exit_status(m));
  else
    snprintf(status, sizeof status, "%s", win->note);
  display_panel_build(&panel, &now, win->have_prev ? &win->prev : NULL, state, status);
  display_draw_screen(&win->frame, 0, 0, &screen);
  display_draw_panel(&win->frame, display_frame_width() - DISPLAY_PANEL_COLS * DISPLAY_CHAR_WIDTH, 0, &panel);
  if (display_window_show(win->w, &win->frame, win->err, sizeof win->err) != 0)
    machine_stop(m, MACHINE_END_STOPPED, "the window cannot be drawn");
  if (now.cycles != win->prev.cycles || !win->have_prev) {
    win->prev = now;
    win->have_prev = true;
  }
  win->last_draw_ms = display_window_ticks(win->w);
}

/* A key for the guest, at the next boundary the scheduler can stop at. */
static void key(struct window *win, struct machine *m, unsigned k, bool down) {
  cycles_t when = cpu_cycles(m->cpu) + 1;
  if (dev_kbc_queue_key(m->kbc, when, k, down) != 0) {
    snprintf(win->note, sizeof win->note, "key dropped: --keys-in events still to come");
    return;
  }
  if (win->keys_out && (keys_write(win->keys_out, when, k, down) != 0 || fflush(win->keys_out) != 0) &&
      !win->err[0])
    snprintf(win->err, sizeof win->err, "%s: cannot write the key events", win->keys_out_path);
}

/* Takes every input waiting (waiting up to wait_ms for the first). */
static void take_input(struct window *win, struct machine *m, int wait_ms) {
  for (;;) {
    struct display_input in = display_window_poll(win->w, wait_ms);
    wait_ms = 0;
    switch (in.kind) {
    case DISPLAY_NONE:
      return;
    case DISPLAY_KEY:
      key(win, m, in.key, in.down);
      break;
    case DISPLAY_PAUSE:
      win->paused = !win->paused;
      break;
    case DISPLAY_STEP:
      if (win->paused)
        win->stepping = true;
      break;
    case DISPLAY_QUIT:
      machine_stop(m, MACHINE_END_STOPPED, "the window was closed");
      return;
    }
    if (win->stepping)
      return;
  }
}

static void window_stopped(void *ctx, struct machine *m) {
  struct window *win = ctx;
  if (m->end != MACHINE_RUNNING)
    return; /* the end: window_finish draws it */
  uint64_t now_ms = display_window_ticks(win->w);
  /* The chunk follows the host's speed: about PAUSE_EVERY_MS between pauses. */
  uint64_t took = now_ms - win->last_pause_ms;
  if (!win->paused && !win->stepping && win->obs.pause_at != DEV_NEVER) {
    if (took < PAUSE_EVERY_MS / 2 && win->chunk < CHUNK_MAX)
      win->chunk *= 2;
    else if (took > PAUSE_EVERY_MS * 2 && win->chunk > CHUNK_MIN)
      win->chunk /= 2;
  }
  win->stepping = false;
  win->obs.step = false;
  /* Halted with nothing to wake it but a key: wait for the host's input
   * rather than race through emulated time. */
  take_input(win, m, m->idle ? WAIT_MS : 0);
  if (win->paused || now_ms - win->last_draw_ms >= DRAW_EVERY_MS)
    draw(win, m);
  while (win->paused && !win->stepping && m->end == MACHINE_RUNNING) {
    take_input(win, m, WAIT_MS);
    draw(win, m);
  }
  win->obs.step = win->stepping;
  win->obs.pause_at = cpu_cycles(m->cpu) + win->chunk;
  win->last_pause_ms = display_window_ticks(win->w);
}

struct window *window_open(struct machine *m, const char *keys_out, const char *screenshot, bool hold, char *err,
                           size_t n) {
  struct window *win = calloc(1, sizeof *win);
  if (!win) {
    snprintf(err, n, "out of memory");
    return NULL;
  }
  win->frame.width = display_frame_width();
  win->frame.height = display_frame_height();
  win->frame.px = calloc((size_t)win->frame.width * win->frame.height, sizeof *win->frame.px);
  win->chunk = CHUNK_FIRST;
  win->screenshot = screenshot;
  win->hold = hold;
  win->keys_out_path = keys_out;
  if (!win->frame.px) {
    snprintf(err, n, "out of memory");
    window_close(win);
    return NULL;
  }
  if (keys_out && !(win->keys_out = fopen(keys_out, "w"))) {
    snprintf(err, n, "%s: cannot create the key events file", keys_out);
    window_close(win);
    return NULL;
  }
  char why[200];
  win->w = display_window_open("ringlab", win->frame.width, win->frame.height, why, sizeof why);
  if (!win->w) {
    snprintf(err, n, "--display sdl: %s", why);
    window_close(win);
    return NULL;
  }
  if (win->keys_out)
    fprintf(win->keys_out, "# ringlab --keys-out: key events typed into the window (replay with --keys-in)\n");
  win->obs = (struct machine_observer){.stopped = window_stopped, .ctx = win, .pause_at = CHUNK_FIRST,
                                       .input = true};
  if (machine_observe(m, &win->obs) != 0) {
    snprintf(err, n, "--display sdl: too many observers");
    window_close(win);
    return NULL;
  }
  return win;
}

int window_finish(struct window *win, struct machine *m, char *err, size_t n) {
  draw(win, m);
  int rc = 0;
  if (win->screenshot) {
    struct display_frame shot = {.width = win->frame.width, .height = win->frame.height};
    shot.px = calloc((size_t)shot.width * shot.height, sizeof *shot.px);
    if (!shot.px) {
      snprintf(err, n, "out of memory");
      rc = -1;
    } else if (display_window_read(win->w, &shot, err, n) != 0 ||
               display_frame_save_bmp(&shot, win->screenshot, err, n) != 0) {
      rc = -1;
    }
    free(shot.px);
  }
  while (win->hold) {
    struct display_input in = display_window_poll(win->w, WAIT_MS * 4);
    if (in.kind == DISPLAY_QUIT)
      break;
  }
  if (rc == 0 && win->err[0]) {
    snprintf(err, n, "%s", win->err);
    rc = -1;
  }
  return rc;
}

void window_close(struct window *win) {
  if (!win)
    return;
  display_window_close(win->w);
  if (win->keys_out)
    fclose(win->keys_out);
  free(win->frame.px);
  free(win);
}
