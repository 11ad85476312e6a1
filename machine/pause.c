/* machine/pause.c - `ringlab run --pause-every N|step`: an observer that
 * pauses the machine every N cycles (or at every instruction boundary) and
 * does nothing else. It exists to show that observing changes nothing:
 * the window, the gdb stub and --save-at pause the machine the same way,
 * and a run with pauses must give the same --stats, serial output and
 * trace as one without (tests/machine/check-pause.sh compares them).
 */
#include <stdlib.h>

#include "machine-internal.h"

struct pause_every {
  struct machine_observer obs;
  cycles_t every; /* 0: every instruction boundary */
  uint64_t pauses;
};

static void pause_stopped(void *ctx, struct machine *m) {
  struct pause_every *p = ctx;
  p->pauses++;
  if (p->every)
    p->obs.pause_at = cpu_cycles(m->cpu) + p->every;
}

struct pause_every *pause_every_new(struct machine *m, cycles_t every) {
  struct pause_every *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->every = every;
  p->obs = (struct machine_observer){.stopped = pause_stopped, .ctx = p, .pause_at = DEV_NEVER, .step = every == 0};
  if (machine_observe(m, &p->obs) != 0) {
    free(p);
    return NULL;
  }
  return p;
}

uint64_t pause_every_count(const struct pause_every *p) { return p->pauses; }
