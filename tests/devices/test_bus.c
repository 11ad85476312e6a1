/* tests/devices/test_bus.c - the port I/O bus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bus.h"

/* A recording device: a 16-byte register file, and the last access seen. */
struct regs {
  uint8_t r[16];
  unsigned reads, writes;
  uint16_t last_offset;
  unsigned last_size;
  uint32_t last_value;
};

static uint32_t regs_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct regs *d = ctx;
  uint32_t v = 0;
  for (unsigned i = 0; i < size_bytes; i++)
    v |= (uint32_t)d->r[(offset + i) & 15] << (8 * i);
  d->reads++;
  d->last_offset = offset;
  d->last_size = size_bytes;
  return v | 0xA5000000u * (size_bytes < 4); /* junk above the access size */
}

static void regs_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct regs *d = ctx;
  for (unsigned i = 0; i < size_bytes; i++)
    d->r[(offset + i) & 15] = (uint8_t)(value >> (8 * i));
  d->writes++;
  d->last_offset = offset;
  d->last_size = size_bytes;
  d->last_value = value;
}

static const struct dev_port_ops byte_dev = {"byte", DEV_SIZE_8, regs_read, regs_write};
static const struct dev_port_ops word_dev = {"word", DEV_SIZE_8 | DEV_SIZE_16, regs_read, regs_write};
static const struct dev_port_ops any_dev = {"any", DEV_SIZE_8 | DEV_SIZE_16 | DEV_SIZE_32, regs_read,
                                            regs_write};
static const struct dev_port_ops write_only_dev = {"write-only", DEV_SIZE_8, NULL, regs_write};

static int setup(void **state) {
  *state = dev_bus_new();
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  dev_bus_free(*state);
  return 0;
}

static void unclaimed_port_reads_all_ones(void **state) {
  struct dev_bus *bus = *state;
  assert_int_equal(dev_bus_in(bus, 0x80, 1), 0xFF);
  assert_int_equal(dev_bus_in(bus, 0x80, 2), 0xFFFF);
  assert_int_equal(dev_bus_in(bus, 0x80, 4), 0xFFFFFFFFu);
  assert_int_equal(dev_bus_in(bus, 0xFFFF, 4), 0xFFFFFFFFu);
}

static void unclaimed_port_ignores_writes(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {0};
  assert_int_equal(dev_bus_register(bus, 0x60, 1, &byte_dev, &d), DEV_BUS_OK);
  dev_bus_out(bus, 0x61, 1, 0x12);
  dev_bus_out(bus, 0x5C, 4, 0x12345678); /* ends just below the device */
  assert_int_equal(d.writes, 0);
  assert_int_equal(dev_bus_in(bus, 0x61, 1), 0xFF);
}

static void callback_sees_offset_in_its_range(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {0};
  assert_int_equal(dev_bus_register(bus, 0x40, 4, &byte_dev, &d), DEV_BUS_OK);
  dev_bus_out(bus, 0x43, 1, 0x36);
  assert_int_equal(d.last_offset, 3);
  assert_int_equal(d.last_size, 1);
  assert_int_equal(d.r[3], 0x36);
  assert_int_equal(dev_bus_in(bus, 0x43, 1), 0x36);
}

static void native_size_access_is_one_callback(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {0};
  assert_int_equal(dev_bus_register(bus, 0x1F0, 8, &word_dev, &d), DEV_BUS_OK);
  dev_bus_out(bus, 0x1F0, 2, 0xBEEF);
  assert_int_equal(d.writes, 1);
  assert_int_equal(d.last_size, 2);
  assert_int_equal(d.last_value, 0xBEEF);
  assert_int_equal(dev_bus_in(bus, 0x1F0, 2), 0xBEEF);
  assert_int_equal(d.reads, 1);
}

static void read_value_is_masked_to_access_size(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {.r = {0x11, 0x22}};
  assert_int_equal(dev_bus_register(bus, 0x70, 2, &word_dev, &d), DEV_BUS_OK);
  assert_int_equal(dev_bus_in(bus, 0x70, 1), 0x11);
  assert_int_equal(dev_bus_in(bus, 0x70, 2), 0x2211);
}

static void word_access_to_byte_device_is_split_little_endian(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {.r = {0x11, 0x22, 0x33, 0x44}};
  assert_int_equal(dev_bus_register(bus, 0x3F8, 8, &byte_dev, &d), DEV_BUS_OK);
  assert_int_equal(dev_bus_in(bus, 0x3F8, 2), 0x2211);
  assert_int_equal(d.reads, 2);
  assert_int_equal(d.last_size, 1);
  assert_int_equal(d.last_offset, 1);
  dev_bus_out(bus, 0x3FA, 2, 0xBBAA);
  assert_int_equal(d.writes, 2);
  assert_int_equal(d.r[2], 0xAA);
  assert_int_equal(d.r[3], 0xBB);
}

static void dword_access_to_word_device_is_split_into_bytes(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {.r = {0x11, 0x22, 0x33, 0x44}};
  assert_int_equal(dev_bus_register(bus, 0x100, 4, &word_dev, &d), DEV_BUS_OK);
  assert_int_equal(dev_bus_in(bus, 0x100, 4), 0x44332211u);
  assert_int_equal(d.reads, 4);
  assert_int_equal(d.last_size, 1);
  dev_bus_out(bus, 0x100, 4, 0xDDCCBBAAu);
  assert_int_equal(d.writes, 4);
  assert_int_equal(d.last_offset, 3);
  assert_int_equal(d.r[0], 0xAA);
  assert_int_equal(d.r[3], 0xDD);
}

static void access_straddling_two_devices_is_split(void **state) {
  struct dev_bus *bus = *state;
  struct regs a = {.r = {0, 0, 0x11, 0x22}}, b = {.r = {0x33, 0x44}};
  assert_int_equal(dev_bus_register(bus, 0x200, 4, &any_dev, &a), DEV_BUS_OK);
  assert_int_equal(dev_bus_register(bus, 0x204, 4, &any_dev, &b), DEV_BUS_OK);
  assert_int_equal(dev_bus_in(bus, 0x202, 4), 0x44332211u);
  assert_int_equal(a.reads, 2);
  assert_int_equal(b.reads, 2);
  dev_bus_out(bus, 0x203, 2, 0x6655);
  assert_int_equal(a.r[3], 0x55);
  assert_int_equal(b.r[0], 0x66);
}

static void access_straddling_claimed_and_unclaimed_ports_reads_ones_for_unclaimed(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {.r = {0x11, 0x22}};
  assert_int_equal(dev_bus_register(bus, 0x300, 2, &any_dev, &d), DEV_BUS_OK);
  assert_int_equal(dev_bus_in(bus, 0x301, 2), 0xFF22);
  assert_int_equal(dev_bus_in(bus, 0x2FF, 4), 0xFF2211FFu);
}

static void access_past_port_ffff_does_not_wrap(void **state) {
  struct dev_bus *bus = *state;
  struct regs lo = {.r = {0x99}}, hi = {.r = {0x77}};
  assert_int_equal(dev_bus_register(bus, 0x0000, 1, &byte_dev, &lo), DEV_BUS_OK);
  assert_int_equal(dev_bus_register(bus, 0xFFFF, 1, &byte_dev, &hi), DEV_BUS_OK);
  assert_int_equal(dev_bus_in(bus, 0xFFFF, 2), 0xFF77);
  dev_bus_out(bus, 0xFFFF, 4, 0x12345678);
  assert_int_equal(hi.r[0], 0x78);
  assert_int_equal(lo.writes, 0);
  assert_int_equal(lo.reads, 0);
}

static void device_without_read_reads_all_ones(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {0};
  assert_int_equal(dev_bus_register(bus, 0xF4, 1, &write_only_dev, &d), DEV_BUS_OK);
  assert_int_equal(dev_bus_in(bus, 0xF4, 1), 0xFF);
  dev_bus_out(bus, 0xF4, 1, 0x01);
  assert_int_equal(d.r[0], 0x01);
}

static void overlapping_registration_is_rejected(void **state) {
  struct dev_bus *bus = *state;
  struct regs a = {0}, b = {0};
  assert_int_equal(dev_bus_register(bus, 0x20, 2, &byte_dev, &a), DEV_BUS_OK);
  assert_int_equal(dev_bus_register(bus, 0x21, 1, &byte_dev, &b), DEV_BUS_EOVERLAP);
  assert_int_equal(dev_bus_register(bus, 0x10, 0x20, &byte_dev, &b), DEV_BUS_EOVERLAP);
  assert_int_equal(dev_bus_register(bus, 0x1F, 2, &word_dev, &b), DEV_BUS_EOVERLAP);
  /* A rejected registration leaves the bus as it was. */
  assert_string_equal(dev_bus_owner(bus, 0x20), "byte");
  assert_null(dev_bus_owner(bus, 0x1F));
  assert_null(dev_bus_owner(bus, 0x10));
  dev_bus_out(bus, 0x1F, 1, 0x42);
  assert_int_equal(b.writes, 0);
  /* Adjacent ranges are fine. */
  assert_int_equal(dev_bus_register(bus, 0x22, 1, &byte_dev, &b), DEV_BUS_OK);
  assert_int_equal(dev_bus_register(bus, 0x1F, 1, &byte_dev, &b), DEV_BUS_OK);
  assert_string_equal(dev_bus_strerror(DEV_BUS_EOVERLAP), "port range overlaps a registered device");
}

static void invalid_registration_is_rejected(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {0};
  static const struct dev_port_ops no_bytes = {"no-bytes", DEV_SIZE_16, regs_read, regs_write};
  assert_int_equal(dev_bus_register(bus, 0x10, 0, &byte_dev, &d), DEV_BUS_EINVAL);
  assert_int_equal(dev_bus_register(bus, 0xFFFF, 2, &byte_dev, &d), DEV_BUS_EINVAL);
  assert_int_equal(dev_bus_register(bus, 0x10, 1, NULL, &d), DEV_BUS_EINVAL);
  assert_int_equal(dev_bus_register(bus, 0x10, 2, &no_bytes, &d), DEV_BUS_EINVAL);
  assert_null(dev_bus_owner(bus, 0x10));
  assert_int_equal(dev_bus_register(bus, 0, 0x10000, &byte_dev, &d), DEV_BUS_OK);
  assert_string_equal(dev_bus_owner(bus, 0xFFFF), "byte");
}

static void many_devices_can_register(void **state) {
  struct dev_bus *bus = *state;
  static struct regs d[300];
  for (unsigned i = 0; i < 300; i++)
    assert_int_equal(dev_bus_register(bus, (uint16_t)(0x1000 + 2 * i), 2, &byte_dev, &d[i]), DEV_BUS_OK);
  for (unsigned i = 0; i < 300; i++)
    dev_bus_out(bus, (uint16_t)(0x1000 + 2 * i + 1), 1, i & 0xFF);
  for (unsigned i = 0; i < 300; i++)
    assert_int_equal(d[i].r[1], i & 0xFF);
}

static void every_access_is_counted_once_per_direction(void **state) {
  struct dev_bus *bus = *state;
  struct regs d = {0};
  struct dev_bus_stats s;
  assert_int_equal(dev_bus_register(bus, 0x60, 4, &byte_dev, &d), DEV_BUS_OK);
  dev_bus_in(bus, 0x60, 1);
  dev_bus_in(bus, 0x60, 4); /* split into four device reads, one bus access */
  dev_bus_in(bus, 0x80, 1); /* unclaimed */
  dev_bus_out(bus, 0x60, 2, 0);
  dev_bus_stats(bus, &s);
  assert_int_equal(s.in, 3);
  assert_int_equal(s.out, 1);
  assert_int_equal(s.in_unclaimed, 1);
  assert_int_equal(s.out_unclaimed, 0);
  assert_int_equal(s.split, 2);
  dev_bus_stats_reset(bus);
  dev_bus_stats(bus, &s);
  assert_int_equal(s.in + s.out + s.in_unclaimed + s.out_unclaimed + s.split, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(unclaimed_port_reads_all_ones),
      T(unclaimed_port_ignores_writes),
      T(callback_sees_offset_in_its_range),
      T(native_size_access_is_one_callback),
      T(read_value_is_masked_to_access_size),
      T(word_access_to_byte_device_is_split_little_endian),
      T(dword_access_to_word_device_is_split_into_bytes),
      T(access_straddling_two_devices_is_split),
      T(access_straddling_claimed_and_unclaimed_ports_reads_ones_for_unclaimed),
      T(access_past_port_ffff_does_not_wrap),
      T(device_without_read_reads_all_ones),
      T(overlapping_registration_is_rejected),
      T(invalid_registration_is_rejected),
      T(many_devices_can_register),
      T(every_access_is_counted_once_per_direction),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
