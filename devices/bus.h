/* devices/bus.h - the port I/O bus of the emulated PC.
 *
 * A device claims a range of ports [first, first + count) with a constant
 * class (struct dev_port_ops: callbacks, the access sizes it takes natively,
 * a name) and an instance context pointer, as in TinyEMU's iomem. Callbacks
 * see the offset of the port in the range, never the port itself, so chip
 * logic knows nothing of the board that wires it.
 *
 * The bus behaves as an ISA bus does:
 *
 *   - a port nobody claims reads as all ones (0xFF, 0xFFFF, 0xFFFFFFFF) and
 *     ignores writes;
 *   - an access of a size the device does not take natively, or one that
 *     straddles two devices (or claimed and unclaimed ports), is split into
 *     byte accesses at consecutive ports, low byte first (little-endian);
 *   - the port space ends at 0xFFFF: bytes of an access past it are
 *     unclaimed (the wider access does not wrap to port 0).
 *
 * Lookup costs one load from a 65536-entry table of device indices. Every
 * access the CPU makes is counted (struct dev_bus_stats), split or not.
 */
#ifndef RINGLAB_DEV_BUS_H
#define RINGLAB_DEV_BUS_H

#include <stdint.h>

/* Access sizes a device takes natively (struct dev_port_ops.sizes); each
 * bit equals its size in bytes. */
#define DEV_SIZE_8 0x1u  /* byte */
#define DEV_SIZE_16 0x2u /* word */
#define DEV_SIZE_32 0x4u /* dword */

/* A device class. A NULL read reads as all ones, a NULL write ignores. */
struct dev_port_ops {
  const char *name; /* for diagnostics */
  unsigned sizes;   /* DEV_SIZE_* mask; must include DEV_SIZE_8 */
  uint32_t (*read)(void *ctx, uint16_t offset, unsigned size_bytes);
  void (*write)(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value);
};

/* Results of dev_bus_register. */
enum dev_bus_error {
  DEV_BUS_OK = 0,
  DEV_BUS_EINVAL = -1,   /* empty range, range past 0xFFFF, no ops, no byte size */
  DEV_BUS_EOVERLAP = -2, /* a port of the range is already claimed */
  DEV_BUS_EFULL = -3,    /* no memory, or 65535 devices already */
};

struct dev_bus_stats {
  uint64_t in;            /* dev_bus_in calls */
  uint64_t out;           /* dev_bus_out calls */
  uint64_t in_unclaimed;  /* dev_bus_in calls that reached no device */
  uint64_t out_unclaimed; /* dev_bus_out calls that reached no device */
  uint64_t split;         /* accesses split into bytes, both directions */
};

struct dev_bus;

struct dev_bus *dev_bus_new(void);
void dev_bus_free(struct dev_bus *bus);

/* Claims [first, first + count) for a device. ops must outlive the bus.
 * Returns DEV_BUS_OK or an error; on error the bus is unchanged. */
int dev_bus_register(struct dev_bus *bus, uint16_t first, uint32_t count, const struct dev_port_ops *ops,
                     void *ctx);
/* One line naming an error of dev_bus_register. */
const char *dev_bus_strerror(int error);

/* The name of the device that claims port, or NULL if it is unclaimed. */
const char *dev_bus_owner(const struct dev_bus *bus, uint16_t port);

/* A port access of size_bytes 1, 2 or 4 (other sizes read all ones and
 * write nothing). Values are little-endian in the low size_bytes bytes. */
uint32_t dev_bus_in(struct dev_bus *bus, uint16_t port, unsigned size_bytes);
void dev_bus_out(struct dev_bus *bus, uint16_t port, unsigned size_bytes, uint32_t value);

void dev_bus_stats(const struct dev_bus *bus, struct dev_bus_stats *out);
void dev_bus_stats_reset(struct dev_bus *bus);

#endif
