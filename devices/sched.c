/* devices/sched.c - the scheduler of device events on the cycle clock.
 *
 * The one place device time advances. Each device that has timed work
 * registers a clock: next_event() says when its next event is, run_until()
 * handles every event up to a cycle. The machine runs the CPU until
 * dev_sched_next() and then calls dev_sched_advance() with the CPU's cycle
 * count; events fire earliest first, ties in registration order, so the
 * order of device work is a function of the cycle counter alone.
 *
 * A handful of devices make a linear scan the right data structure; a heap
 * can replace it behind the same API when there are dozens.
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>

struct clock {
  const struct dev_clock_ops *ops;
  void *ctx;
};

struct dev_sched {
  struct clock *clocks;
  unsigned n, cap;
  cycles_t now; /* devices have been brought to this cycle */
};

struct dev_sched *dev_sched_new(void) { return calloc(1, sizeof(struct dev_sched)); }

void dev_sched_free(struct dev_sched *s) {
  if (!s)
    return;
  free(s->clocks);
  free(s);
}

int dev_sched_add(struct dev_sched *s, const struct dev_clock_ops *ops, void *ctx) {
  if (s->n == s->cap) {
    unsigned cap = s->cap ? 2 * s->cap : 8;
    struct clock *c = realloc(s->clocks, cap * sizeof *c);
    if (!c)
      return -1;
    s->clocks = c;
    s->cap = cap;
  }
  s->clocks[s->n++] = (struct clock){.ops = ops, .ctx = ctx};
  return 0;
}

/* The clock with the earliest event, or NULL if none is pending. */
static const struct clock *earliest(const struct dev_sched *s, cycles_t *when) {
  const struct clock *best = NULL;
  cycles_t t = DEV_NEVER;
  for (unsigned k = 0; k < s->n; k++) {
    cycles_t e = s->clocks[k].ops->next_event(s->clocks[k].ctx);
    if (e < t) {
      t = e;
      best = &s->clocks[k];
    }
  }
  *when = t;
  return best;
}

cycles_t dev_sched_next(const struct dev_sched *s) {
  cycles_t t;
  earliest(s, &t);
  return t;
}

void dev_sched_advance(struct dev_sched *s, cycles_t now) {
  if (now < s->now)
    return;
  for (;;) {
    cycles_t t;
    const struct clock *c = earliest(s, &t);
    if (!c || t > now)
      break;
    if (t > s->now)
      s->now = t;
    c->ops->run_until(c->ctx, s->now);
  }
  s->now = now;
}

cycles_t dev_sched_now(const struct dev_sched *s) { return s->now; }

/* ---- snapshots ------------------------------------------------------------ */

void dev_sched_save(const struct dev_sched *s, struct snap_writer *w) { snap_put_u64(w, s->now); }

int dev_sched_load(struct dev_sched *s, struct snap_reader *r) {
  cycles_t now = snap_get_u64(r);
  if (!snap_ok(r))
    return -1;
  s->now = now; /* the clocks are the board's wiring */
  return 0;
}
