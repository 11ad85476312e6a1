/* devices/debugexit.c - the exit device of QEMU's isa-debug-exit.
 *
 * QEMU (hw/misc/debugexit.c) ends the emulator with exit((V << 1) | 1) on a
 * write of V of any size anywhere in its range; the host sees the low 8
 * bits of that status. Test kernels written for QEMU therefore run here
 * unchanged: verdict 0 gives status 1. Statuses for V >= 32 can collide with
 * ringlab's own (64-68); that is QEMU's encoding, kept as is.
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>

struct dev_debugexit {
  void (*on_exit)(void *opaque, int status);
  void *opaque;
  bool fired;
  int status;
};

static void debugexit_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_debugexit *d = ctx;
  if (d->fired)
    return;
  d->fired = true;
  d->status = (int)(((value << 1) | 1) & 0xFF);
  if (d->on_exit)
    d->on_exit(d->opaque, d->status);
}

const struct dev_port_ops dev_debugexit_ops = {
    .name = "debug-exit",
    .sizes = DEV_SIZE_8 | DEV_SIZE_16 | DEV_SIZE_32,
    .read = NULL,
    .write = debugexit_write,
};

struct dev_debugexit *dev_debugexit_new(void (*on_exit)(void *opaque, int status), void *opaque) {
  struct dev_debugexit *d = calloc(1, sizeof *d);
  if (d) {
    d->on_exit = on_exit;
    d->opaque = opaque;
  }
  return d;
}

void dev_debugexit_free(struct dev_debugexit *d) { free(d); }

bool dev_debugexit_fired(const struct dev_debugexit *d, int *status) {
  if (d->fired && status)
    *status = d->status;
  return d->fired;
}

/* ---- snapshots ------------------------------------------------------------ */

void dev_debugexit_save(const struct dev_debugexit *d, struct snap_writer *w) {
  snap_put_bool(w, d->fired);
  snap_put_u32(w, (uint32_t)d->status);
}

int dev_debugexit_load(struct dev_debugexit *d, struct snap_reader *r) {
  bool fired = snap_get_bool(r);
  uint32_t status = snap_get_u32(r);
  if (!snap_ok(r))
    return -1;
  d->fired = fired;
  d->status = (int)status;
  return 0;
}
