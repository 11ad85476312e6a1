/* tests/devices/test_rtc.c - the MC146818A: the time from the config,
 * BCD/binary and 12/24-hour formats, UIP timing, periodic, alarm and
 * update-ended interrupts, register C, the NMI mask bit and the RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices.h"

#define HZ 32768000ull /* 1000 cycles per 32.768 kHz tick, 32768000 per second */
#define TICK 1000ull
#define SECOND (32768 * TICK)

static uint64_t test_hz(void *opaque) { return HZ; }

struct rig {
  struct dev_sched *s;
  struct dev_rtc *r;
  int level;
  unsigned rises;
};

static void record(void *opaque, int irq_num, int level) {
  struct rig *g = opaque;
  if (level && !g->level)
    g->rises++;
  g->level = level;
}

static void rig_init(struct rig *g, const char *when) {
  struct dev_rtc_time t;
  assert_int_equal(dev_rtc_parse_time(when, &t), 0);
  g->s = dev_sched_new();
  g->level = 0;
  g->rises = 0;
  g->r = dev_rtc_new((struct dev_timebase){.sched = g->s, .cpu_hz = test_hz},
                     (struct dev_irq){.set_irq = record, .opaque = g}, &t);
  assert_non_null(g->r);
  assert_int_equal(dev_sched_add(g->s, &dev_rtc_clock_ops, g->r), 0);
}

static void rig_free(struct rig *g) {
  dev_rtc_free(g->r);
  dev_sched_free(g->s);
}

static uint8_t rd(struct rig *g, uint8_t reg) {
  dev_rtc_ops.write(g->r, 0, 1, reg);
  return (uint8_t)dev_rtc_ops.read(g->r, 1, 1);
}

static void wr(struct rig *g, uint8_t reg, uint8_t v) {
  dev_rtc_ops.write(g->r, 0, 1, reg);
  dev_rtc_ops.write(g->r, 1, 1, v);
}

static void at(struct rig *g, cycles_t c) { dev_sched_advance(g->s, c); }

static void the_time_comes_from_the_config_in_bcd_24_hour(void **state) {
  struct rig g;
  rig_init(&g, "2003-10-19 12:34:56");
  assert_int_equal(rd(&g, 0x00), 0x56);
  assert_int_equal(rd(&g, 0x02), 0x34);
  assert_int_equal(rd(&g, 0x04), 0x12);
  assert_int_equal(rd(&g, 0x06), 1); /* a Sunday */
  assert_int_equal(rd(&g, 0x07), 0x19);
  assert_int_equal(rd(&g, 0x08), 0x10);
  assert_int_equal(rd(&g, 0x09), 0x03);
  assert_int_equal(rd(&g, 0x32), 0x20);
  assert_int_equal(rd(&g, 0x0D), 0x80);
  rig_free(&g);
}

static void binary_and_12_hour_formats_follow_register_b(void **state) {
  struct rig g;
  rig_init(&g, "1999-12-31 23:59:58");
  wr(&g, 0x0B, 0x04); /* binary, 12-hour */
  assert_int_equal(rd(&g, 0x04), 0x80 | 11);
  assert_int_equal(rd(&g, 0x00), 58);
  at(&g, 2 * SECOND); /* into the new year */
  assert_int_equal(rd(&g, 0x00), 0);
  assert_int_equal(rd(&g, 0x04), 12); /* midnight is 12 AM */
  assert_int_equal(rd(&g, 0x09), 0);
  assert_int_equal(rd(&g, 0x08), 1);
  assert_int_equal(rd(&g, 0x07), 1);
  rig_free(&g);
}

static void uip_is_set_only_in_the_last_2228_us_before_an_update(void **state) {
  struct rig g;
  rig_init(&g, "2000-01-01 00:00:00");
  at(&g, SECOND - 74 * TICK);
  assert_int_equal(rd(&g, 0x0A) & 0x80, 0);
  at(&g, SECOND - 73 * TICK);
  assert_int_equal(rd(&g, 0x0A) & 0x80, 0x80);
  assert_int_equal(rd(&g, 0x00), 0x00);
  at(&g, SECOND);
  assert_int_equal(rd(&g, 0x0A) & 0x80, 0);
  assert_int_equal(rd(&g, 0x00), 0x01);
  rig_free(&g);
}

static void periodic_interrupts_come_at_the_rate_and_register_c_read_clears(void **state) {
  struct rig g;
  rig_init(&g, "2000-01-01 00:00:00");
  wr(&g, 0x0A, 0x26); /* 1024 Hz: every 32 ticks */
  wr(&g, 0x0B, 0x42); /* PIE */
  assert_int_equal(dev_sched_next(g.s), 32 * TICK);
  at(&g, 32 * TICK);
  assert_int_equal(g.level, 1);
  assert_int_equal(rd(&g, 0x0C), 0xC0);
  assert_int_equal(g.level, 0);
  assert_int_equal(rd(&g, 0x0C), 0x00);
  assert_int_equal(dev_sched_next(g.s), 64 * TICK);
  rig_free(&g);
}

static void update_ended_and_alarm_interrupts(void **state) {
  struct rig g;
  rig_init(&g, "2000-01-01 00:00:00");
  wr(&g, 0x01, 0x03); /* alarm at 00:00:03 */
  wr(&g, 0x03, 0x00);
  wr(&g, 0x05, 0xC0); /* any hour */
  wr(&g, 0x0B, 0x32); /* AIE UIE */
  at(&g, SECOND);
  /* PF is set too (RS 6 runs with PIE off) but raises nothing */
  assert_int_equal(rd(&g, 0x0C) & 0xB0, 0x90); /* IRQF UF */
  at(&g, 3 * SECOND);
  assert_int_equal(rd(&g, 0x0C) & 0xB0, 0xB0); /* IRQF AF UF */
  assert_int_equal(g.rises, 2);
  rig_free(&g);
}

static void set_stops_updates(void **state) {
  struct rig g;
  rig_init(&g, "2000-01-01 00:00:00");
  wr(&g, 0x0B, 0x82);
  wr(&g, 0x00, 0x30);
  at(&g, 5 * SECOND);
  assert_int_equal(rd(&g, 0x00), 0x30);
  assert_int_equal(rd(&g, 0x0A) & 0x80, 0);
  wr(&g, 0x0B, 0x02);
  at(&g, 6 * SECOND);
  assert_int_equal(rd(&g, 0x00), 0x31);
  rig_free(&g);
}

static void the_nmi_mask_bit_is_stored_and_ram_kept(void **state) {
  struct rig g;
  rig_init(&g, "2000-01-01 00:00:00");
  dev_rtc_ops.write(g.r, 0, 1, 0x80 | 0x40);
  assert_true(dev_rtc_nmi_masked(g.r));
  dev_rtc_ops.write(g.r, 1, 1, 0x5A);
  assert_int_equal(rd(&g, 0x40), 0x5A);
  assert_false(dev_rtc_nmi_masked(g.r));
  rig_free(&g);
}

static void bad_dates_are_refused(void **state) {
  struct dev_rtc_time t;
  assert_int_equal(dev_rtc_parse_time("2003-02-29 00:00:00", &t), -1);
  assert_int_equal(dev_rtc_parse_time("2004-02-29 00:00:00", &t), 0);
  assert_int_equal(dev_rtc_parse_time("2003-10-19", &t), -1);
  assert_int_equal(dev_rtc_parse_time("2003-10-19 24:00:00", &t), -1);
  assert_int_equal(dev_rtc_parse_time("2003-10-19 12:00:00x", &t), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(the_time_comes_from_the_config_in_bcd_24_hour),
      cmocka_unit_test(binary_and_12_hour_formats_follow_register_b),
      cmocka_unit_test(uip_is_set_only_in_the_last_2228_us_before_an_update),
      cmocka_unit_test(periodic_interrupts_come_at_the_rate_and_register_c_read_clears),
      cmocka_unit_test(update_ended_and_alarm_interrupts),
      cmocka_unit_test(set_stops_updates),
      cmocka_unit_test(the_nmi_mask_bit_is_stored_and_ram_kept),
      cmocka_unit_test(bad_dates_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
