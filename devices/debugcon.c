/* devices/debugcon.c - the Bochs/QEMU debug console (port 0xe9 on the PC).
 *
 * Every byte written goes to the sink; a read returns 0xE9, the value
 * Bochs and QEMU return so guests can tell the console is there. Wider
 * writes are split into bytes by the bus (the device takes bytes only).
 */
#include "devices.h"

#include <stdlib.h>

#define DEBUGCON_READBACK 0xE9

struct dev_debugcon {
  struct dev_byte_sink sink;
};

static uint32_t debugcon_read(void *ctx, uint16_t offset, unsigned size_bytes) { return DEBUGCON_READBACK; }

static void debugcon_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_debugcon *d = ctx;
  if (d->sink.fn)
    d->sink.fn(d->sink.opaque, (uint8_t)value);
}

const struct dev_port_ops dev_debugcon_ops = {
    .name = "debugcon",
    .sizes = DEV_SIZE_8,
    .read = debugcon_read,
    .write = debugcon_write,
};

struct dev_debugcon *dev_debugcon_new(struct dev_byte_sink sink) {
  struct dev_debugcon *d = calloc(1, sizeof *d);
  if (d)
    d->sink = sink;
  return d;
}

void dev_debugcon_free(struct dev_debugcon *d) { free(d); }
