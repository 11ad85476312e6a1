/* devices/bus.c - port I/O dispatch.
 *
 * owner[port] holds the index of the device claiming port in devs[], or 0
 * for none (devs[0] is unused), so an access costs one table load, a size
 * check and an indirect call. An access the owning device cannot take whole
 * (a size it does not accept, or bytes past the end of its range) goes
 * through bus_split_in/out, one byte at a time.
 */
#include "bus.h"

#include <stdlib.h>

#define PORTS 0x10000u

struct bus_dev {
  const struct dev_port_ops *ops;
  void *ctx;
  uint32_t first; /* first port */
  uint32_t last;  /* last port, inclusive */
};

struct dev_bus {
  uint16_t owner[PORTS]; /* device index per port; 0 = unclaimed */
  struct bus_dev *devs;  /* devs[1 .. ndevs]; devs[0] unused */
  uint32_t ndevs;        /* devices registered */
  uint32_t cap;          /* entries allocated in devs */
  struct dev_bus_stats stats;
};

static uint32_t ones(unsigned size_bytes) {
  return size_bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * size_bytes)) - 1;
}

static int size_valid(unsigned size_bytes) { return size_bytes == 1 || size_bytes == 2 || size_bytes == 4; }

struct dev_bus *dev_bus_new(void) {
  struct dev_bus *bus = calloc(1, sizeof *bus);
  if (!bus)
    return NULL;
  bus->cap = 16;
  bus->devs = calloc(bus->cap, sizeof *bus->devs);
  if (!bus->devs) {
    free(bus);
    return NULL;
  }
  return bus;
}

void dev_bus_free(struct dev_bus *bus) {
  if (!bus)
    return;
  free(bus->devs);
  free(bus);
}

int dev_bus_register(struct dev_bus *bus, uint16_t first, uint32_t count, const struct dev_port_ops *ops,
                     void *ctx) {
  if (count == 0 || (uint32_t)first + count > PORTS || !ops || !(ops->sizes & DEV_SIZE_8))
    return DEV_BUS_EINVAL;
  uint32_t last = (uint32_t)first + count - 1;
  for (uint32_t p = first; p <= last; p++)
    if (bus->owner[p])
      return DEV_BUS_EOVERLAP;
  if (bus->ndevs == UINT16_MAX)
    return DEV_BUS_EFULL;
  if (bus->ndevs + 1 == bus->cap) {
    struct bus_dev *devs = realloc(bus->devs, 2 * bus->cap * sizeof *devs);
    if (!devs)
      return DEV_BUS_EFULL;
    bus->devs = devs;
    bus->cap *= 2;
  }
  uint32_t idx = ++bus->ndevs;
  bus->devs[idx] = (struct bus_dev){.ops = ops, .ctx = ctx, .first = first, .last = last};
  for (uint32_t p = first; p <= last; p++)
    bus->owner[p] = (uint16_t)idx;
  return DEV_BUS_OK;
}

const char *dev_bus_strerror(int error) {
  switch (error) {
  case DEV_BUS_OK:
    return "success";
  case DEV_BUS_EINVAL:
    return "invalid port range or device class";
  case DEV_BUS_EOVERLAP:
    return "port range overlaps a registered device";
  case DEV_BUS_EFULL:
    return "no room for another device";
  }
  return "unknown bus error";
}

const char *dev_bus_owner(const struct dev_bus *bus, uint16_t port) {
  uint16_t idx = bus->owner[port];
  return idx ? bus->devs[idx].ops->name : NULL;
}

/* The device that can take the whole access natively, or NULL. DEV_SIZE_n
 * equals n / 8, so the size in bytes tests the mask directly. */
static const struct bus_dev *whole(const struct dev_bus *bus, uint16_t port, unsigned size_bytes) {
  uint16_t idx = bus->owner[port];
  if (!idx)
    return NULL;
  const struct bus_dev *d = &bus->devs[idx];
  if (!(d->ops->sizes & size_bytes) || (uint32_t)port + size_bytes - 1 > d->last)
    return NULL;
  return d;
}

/* Whether any byte of the access reaches a device. */
static int claimed(const struct dev_bus *bus, uint16_t port, unsigned size_bytes) {
  for (uint32_t p = port; p < (uint32_t)port + size_bytes && p < PORTS; p++)
    if (bus->owner[p])
      return 1;
  return 0;
}

static uint32_t bus_split_in(struct dev_bus *bus, uint16_t port, unsigned size_bytes) {
  uint32_t value = 0;
  for (unsigned i = 0; i < size_bytes; i++) {
    uint32_t p = (uint32_t)port + i, byte = 0xFF;
    uint16_t idx = p < PORTS ? bus->owner[p] : 0;
    if (idx) {
      const struct bus_dev *d = &bus->devs[idx];
      if (d->ops->read)
        byte = d->ops->read(d->ctx, (uint16_t)(p - d->first), 1) & 0xFF;
    }
    value |= byte << (8 * i);
  }
  return value;
}

static void bus_split_out(struct dev_bus *bus, uint16_t port, unsigned size_bytes, uint32_t value) {
  for (unsigned i = 0; i < size_bytes; i++) {
    uint32_t p = (uint32_t)port + i;
    uint16_t idx = p < PORTS ? bus->owner[p] : 0;
    if (idx) {
      const struct bus_dev *d = &bus->devs[idx];
      if (d->ops->write)
        d->ops->write(d->ctx, (uint16_t)(p - d->first), 1, (value >> (8 * i)) & 0xFF);
    }
  }
}

uint32_t dev_bus_in(struct dev_bus *bus, uint16_t port, unsigned size_bytes) {
  bus->stats.in++;
  if (!size_valid(size_bytes)) {
    bus->stats.in_unclaimed++;
    return 0xFFFFFFFFu;
  }
  const struct bus_dev *d = whole(bus, port, size_bytes);
  if (d) {
    if (!d->ops->read)
      return ones(size_bytes);
    return d->ops->read(d->ctx, (uint16_t)(port - d->first), size_bytes) & ones(size_bytes);
  }
  if (!claimed(bus, port, size_bytes)) {
    bus->stats.in_unclaimed++;
    return ones(size_bytes);
  }
  bus->stats.split++;
  return bus_split_in(bus, port, size_bytes);
}

void dev_bus_out(struct dev_bus *bus, uint16_t port, unsigned size_bytes, uint32_t value) {
  bus->stats.out++;
  if (!size_valid(size_bytes)) {
    bus->stats.out_unclaimed++;
    return;
  }
  value &= ones(size_bytes);
  const struct bus_dev *d = whole(bus, port, size_bytes);
  if (d) {
    if (d->ops->write)
      d->ops->write(d->ctx, (uint16_t)(port - d->first), size_bytes, value);
    return;
  }
  if (!claimed(bus, port, size_bytes)) {
    bus->stats.out_unclaimed++;
    return;
  }
  bus->stats.split++;
  bus_split_out(bus, port, size_bytes, value);
}

void dev_bus_stats(const struct dev_bus *bus, struct dev_bus_stats *out) { *out = bus->stats; }

void dev_bus_stats_reset(struct dev_bus *bus) { bus->stats = (struct dev_bus_stats){0}; }
