/* devices/a20.c - the PS/2 "fast A20" gate: system control port A (0x92).
 *
 *   bit 1  A20 gate: 1 lets address line 20 through (read back as written)
 *   bit 0  fast reset: stored and read back; the pulse that resets the
 *          processor is not modeled (the machine has no warm reset yet)
 *   bits 7-2 stored and read back (on real boards: the fixed-disk activity
 *          LEDs and the CMOS security lock; nothing here)
 *
 * The chip knows nothing of the memory: it calls set_a20(opaque, on) when
 * bit 1 changes, and the board turns that into mmu_set_a20(). The 8042's
 * output port (the other A20 path of a PC) is not modeled.
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>

#define PORTA_RESET 0x01
#define PORTA_A20 0x02

struct dev_a20 {
  void (*set_a20)(void *opaque, bool on);
  void *opaque;
  uint8_t value;
};

static uint32_t a20_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  const struct dev_a20 *a = ctx;
  return a->value;
}

static void a20_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_a20 *a = ctx;
  uint8_t old = a->value;
  a->value = (uint8_t)value;
  if (((old ^ a->value) & PORTA_A20) && a->set_a20)
    a->set_a20(a->opaque, a->value & PORTA_A20);
}

const struct dev_port_ops dev_a20_ops = {
    .name = "port A (0x92)",
    .sizes = DEV_SIZE_8,
    .read = a20_read,
    .write = a20_write,
};

bool dev_a20_enabled(const struct dev_a20 *a) { return a->value & PORTA_A20; }

struct dev_a20 *dev_a20_new(void (*set_a20)(void *opaque, bool on), void *opaque, bool initially_on) {
  struct dev_a20 *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  a->set_a20 = set_a20;
  a->opaque = opaque;
  a->value = initially_on ? PORTA_A20 : 0;
  return a;
}

void dev_a20_free(struct dev_a20 *a) { free(a); }

/* ---- snapshots ------------------------------------------------------------ */

void dev_a20_save(const struct dev_a20 *a, struct snap_writer *w) { snap_put_u8(w, a->value); }

int dev_a20_load(struct dev_a20 *a, struct snap_reader *r) {
  uint8_t v = snap_get_u8(r);
  if (!snap_ok(r))
    return -1;
  a->value = v; /* the board sets the memory's A20 from the MMU's own state */
  return 0;
}
