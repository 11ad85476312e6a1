/* tests/devices/test_pit.c - the 8254: the six modes, BCD, latch and
 * read-back, access modes, the port 0x61 gate/output, and OUT0's events at
 * their exact cycles through the scheduler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices.h"

#define K 10 /* cycles per PIT pulse in most tests: F = 10 * 1193182 */

static uint64_t hz_value;
static uint64_t test_hz(void *opaque) { return hz_value; }

struct edges {
  int level;
  cycles_t rise[16], fall[16];
  unsigned nr, nf;
  struct dev_sched *s;
};

static void record(void *opaque, int irq_num, int level) {
  struct edges *e = opaque;
  cycles_t now = dev_sched_now(e->s);
  if (level && e->nr < 16)
    e->rise[e->nr++] = now;
  if (!level && e->nf < 16)
    e->fall[e->nf++] = now;
  e->level = level;
}

struct rig {
  struct dev_sched *s;
  struct dev_pit *p;
  struct edges e;
};

static void rig_init(struct rig *r, uint64_t hz) {
  hz_value = hz;
  r->s = dev_sched_new();
  r->e = (struct edges){.s = r->s};
  r->p = dev_pit_new((struct dev_timebase){.sched = r->s, .cpu_hz = test_hz},
                     (struct dev_irq){.set_irq = record, .opaque = &r->e});
  assert_non_null(r->p);
  assert_int_equal(dev_sched_add(r->s, &dev_pit_clock_ops, r->p), 0);
}

static void rig_free(struct rig *r) {
  dev_pit_free(r->p);
  dev_sched_free(r->s);
}

static void at(struct rig *r, cycles_t c) { dev_sched_advance(r->s, c); }
static void wr(struct rig *r, unsigned off, uint8_t v) { dev_pit_ops.write(r->p, (uint16_t)off, 1, v); }
static uint8_t rd(struct rig *r, unsigned off) { return (uint8_t)dev_pit_ops.read(r->p, (uint16_t)off, 1); }

/* Latches and reads a 16-bit counter (lobyte/hibyte access). */
static unsigned latch_read(struct rig *r, unsigned counter) {
  wr(r, 3, (uint8_t)(counter << 6));
  unsigned lo = rd(r, counter);
  return lo | (unsigned)rd(r, counter) << 8;
}

static void program(struct rig *r, unsigned counter, unsigned mode, unsigned count) {
  wr(r, 3, (uint8_t)(counter << 6 | 0x30 | mode << 1));
  wr(r, counter, (uint8_t)count);
  wr(r, counter, (uint8_t)(count >> 8));
}

static void mode2_pulses_low_for_one_clock_every_n_clocks_at_exact_cycles(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  program(&r, 0, 2, 100); /* written at pulse 0: loads at pulse 1 */
  assert_int_equal(dev_sched_next(r.s), 100 * K);
  at(&r, 1000 * K);
  /* low at pulse 100, high at 101; period 100 */
  assert_int_equal(r.e.fall[0], 100 * K);
  assert_int_equal(r.e.rise[0], 0); /* OUT high from the control word */
  assert_int_equal(r.e.rise[1], 101 * K);
  assert_int_equal(r.e.fall[1], 200 * K);
  assert_int_equal(r.e.rise[2], 201 * K);
  rig_free(&r);
}

static void events_convert_pulses_to_cycles_exactly_at_any_frequency(void **state) {
  struct rig r;
  const uint64_t f = 300000000; /* p6 */
  rig_init(&r, f);
  program(&r, 0, 2, 1193);
  for (unsigned m = 1; m <= 5; m++) {
    cycles_t next = dev_sched_next(r.s);
    uint64_t pulse = 1 + 1193ull * m - 1; /* the low pulse */
    assert_int_equal(next, (pulse * f + DEV_PIT_HZ - 1) / DEV_PIT_HZ);
    at(&r, next);
    next = dev_sched_next(r.s);
    assert_int_equal(next, ((pulse + 1) * f + DEV_PIT_HZ - 1) / DEV_PIT_HZ);
    at(&r, next);
  }
  rig_free(&r);
}

static void mode0_output_rises_at_terminal_count_and_stays_high(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  program(&r, 0, 0, 50);
  assert_int_equal(r.e.level, 0);
  at(&r, 11 * K);
  assert_int_equal(latch_read(&r, 0), 40); /* loaded at pulse 1 */
  at(&r, 1000 * K);
  assert_int_equal(r.e.nr, 1);
  assert_int_equal(r.e.rise[0], 51 * K);
  assert_int_equal(dev_sched_next(r.s), DEV_NEVER);
  assert_int_equal(latch_read(&r, 0), (65536 + 50 - 999) % 65536); /* CE wraps */
  rig_free(&r);
}

static void mode3_is_a_square_wave_high_for_the_larger_half(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  program(&r, 0, 3, 11);
  at(&r, 40 * K);
  /* load at 1: high 6 pulses, low 5 */
  assert_int_equal(r.e.fall[0], 7 * K);
  assert_int_equal(r.e.rise[1], 12 * K);
  assert_int_equal(r.e.fall[1], 18 * K);
  rig_free(&r);
}

static void mode4_strobes_low_for_one_clock(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  program(&r, 0, 4, 20);
  at(&r, 100 * K);
  assert_int_equal(r.e.nf, 1);
  assert_int_equal(r.e.fall[0], 21 * K);
  assert_int_equal(r.e.rise[1], 22 * K);
  rig_free(&r);
}

static void read_back_latches_status_then_count_and_null_count_clears_at_load(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  program(&r, 1, 2, 300);
  wr(&r, 3, 0xC4); /* read-back counter 1: count and status */
  assert_int_equal(rd(&r, 1), 0x40 | 0x80 | 0x34); /* null count, OUT high */
  unsigned lo = rd(&r, 1);
  assert_int_equal(lo | (unsigned)rd(&r, 1) << 8, 0); /* CE not loaded yet (power-on 0) */
  at(&r, 2 * K);
  wr(&r, 3, 0xE4); /* status only */
  assert_int_equal(rd(&r, 1), 0x80 | 0x34);
  rig_free(&r);
}

static void bcd_counts_read_back_in_bcd(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  wr(&r, 3, 0x31); /* counter 0, lobyte/hibyte, mode 0, BCD */
  wr(&r, 0, 0x00);
  wr(&r, 0, 0x01); /* 100 */
  at(&r, 11 * K);
  assert_int_equal(latch_read(&r, 0), 0x0090);
  at(&r, 101 * K);
  assert_int_equal(r.e.rise[0], 101 * K);
  rig_free(&r);
}

static void lobyte_only_access_reads_and_writes_one_byte(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  wr(&r, 3, 0x10); /* counter 0, lobyte, mode 0 */
  wr(&r, 0, 30);
  at(&r, 6 * K);
  assert_int_equal(rd(&r, 0), 25);
  assert_int_equal(rd(&r, 0), 25);
  rig_free(&r);
}

static void a_latched_count_holds_until_read(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  program(&r, 0, 0, 1000);
  at(&r, 101 * K);
  wr(&r, 3, 0x00);
  at(&r, 201 * K);
  wr(&r, 3, 0x00); /* a second latch is ignored until the first is read */
  unsigned lo = rd(&r, 0);
  assert_int_equal(lo | (unsigned)rd(&r, 0) << 8, 900);
  assert_int_equal(latch_read(&r, 0), 800);
  rig_free(&r);
}

static void counter2_counts_only_with_gate_high_and_shows_out2_on_port_b(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  program(&r, 2, 0, 10);
  at(&r, 50 * K);
  assert_int_equal(dev_pit_portb_ops.read(r.p, 0, 1) & 0x20, 0);
  dev_pit_portb_ops.write(r.p, 0, 1, 0x03); /* gate high, speaker on */
  assert_int_equal(dev_pit_portb_ops.read(r.p, 0, 1) & 0x03, 0x03);
  at(&r, 59 * K);
  assert_false(dev_pit_out(r.p, 2));
  dev_pit_portb_ops.write(r.p, 0, 1, 0x00); /* pause with 1 left */
  at(&r, 100 * K);
  assert_false(dev_pit_out(r.p, 2));
  dev_pit_portb_ops.write(r.p, 0, 1, 0x01);
  at(&r, 101 * K);
  assert_true(dev_pit_out(r.p, 2));
  assert_int_equal(dev_pit_portb_ops.read(r.p, 0, 1) & 0x20, 0x20);
  assert_false(dev_pit_speaker(r.p));
  rig_free(&r);
}

static void modes1_and_5_wait_for_a_gate_trigger(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  program(&r, 2, 1, 10);
  at(&r, 30 * K);
  assert_true(dev_pit_out(r.p, 2));
  dev_pit_set_gate(r.p, 2, true); /* trigger at pulse 30: loads at 31 */
  at(&r, 31 * K);
  assert_false(dev_pit_out(r.p, 2));
  at(&r, 40 * K);
  assert_false(dev_pit_out(r.p, 2));
  at(&r, 41 * K);
  assert_true(dev_pit_out(r.p, 2));
  dev_pit_set_gate(r.p, 2, false);
  program(&r, 2, 5, 5);
  dev_pit_set_gate(r.p, 2, true); /* pulse 41: loads at 42, strobe at 47 */
  at(&r, 46 * K);
  assert_true(dev_pit_out(r.p, 2));
  at(&r, 47 * K);
  assert_false(dev_pit_out(r.p, 2));
  at(&r, 48 * K);
  assert_true(dev_pit_out(r.p, 2));
  rig_free(&r);
}

static void a_new_mode2_count_takes_effect_at_the_next_reload(void **state) {
  struct rig r;
  rig_init(&r, (uint64_t)K * DEV_PIT_HZ);
  program(&r, 0, 2, 100);
  at(&r, 50 * K);
  wr(&r, 0, 10);
  wr(&r, 0, 0);
  at(&r, 140 * K);
  assert_int_equal(r.e.fall[0], 100 * K); /* the old period ends */
  assert_int_equal(r.e.fall[1], 110 * K); /* reload at 101, then 10 */
  assert_int_equal(r.e.fall[2], 120 * K);
  rig_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mode2_pulses_low_for_one_clock_every_n_clocks_at_exact_cycles),
      cmocka_unit_test(events_convert_pulses_to_cycles_exactly_at_any_frequency),
      cmocka_unit_test(mode0_output_rises_at_terminal_count_and_stays_high),
      cmocka_unit_test(mode3_is_a_square_wave_high_for_the_larger_half),
      cmocka_unit_test(mode4_strobes_low_for_one_clock),
      cmocka_unit_test(read_back_latches_status_then_count_and_null_count_clears_at_load),
      cmocka_unit_test(bcd_counts_read_back_in_bcd),
      cmocka_unit_test(lobyte_only_access_reads_and_writes_one_byte),
      cmocka_unit_test(a_latched_count_holds_until_read),
      cmocka_unit_test(counter2_counts_only_with_gate_high_and_shows_out2_on_port_b),
      cmocka_unit_test(modes1_and_5_wait_for_a_gate_trigger),
      cmocka_unit_test(a_new_mode2_count_takes_effect_at_the_next_reload),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
