/* tests/devices/test_kbc.c - the 8042 keyboard controller and its PS/2
 * keyboard: controller commands, the command byte, the output port's A20
 * and RESET lines, keyboard commands, scan codes in sets 1 and 2 with and
 * without the controller's translation, IRQ 1, typematic repeat and
 * overrun on the keyboard's own clock, and the key table's consistency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "devices.h"

/* 1000 cycles a second: one cycle is one millisecond. */
static uint64_t test_hz(void *opaque) { return 1000; }

struct rig {
  struct dev_sched *s;
  struct dev_kbc *c;
  int irq1, irq1_rises, irq12;
  int resets, a20_calls;
  bool a20;
};

static void set_irq(void *opaque, int irq_num, int level) {
  struct rig *r = opaque;
  if (irq_num == 1) {
    if (level && !r->irq1)
      r->irq1_rises++;
    r->irq1 = level;
  } else {
    r->irq12 = level;
  }
}

static void on_reset(void *opaque) { ((struct rig *)opaque)->resets++; }

static void on_a20(void *opaque, bool on) {
  struct rig *r = opaque;
  r->a20 = on;
  r->a20_calls++;
}

static int setup(void **state) {
  struct rig *r = calloc(1, sizeof *r);
  r->s = dev_sched_new();
  r->c = dev_kbc_new((struct dev_timebase){.sched = r->s, .cpu_hz = test_hz},
                     (struct dev_irq){.set_irq = set_irq, .opaque = r, .irq_num = 1},
                     (struct dev_irq){.set_irq = set_irq, .opaque = r, .irq_num = 12},
                     (struct dev_kbc_lines){.reset = on_reset, .set_a20 = on_a20, .opaque = r});
  assert_non_null(r->c);
  assert_int_equal(dev_sched_add(r->s, &dev_kbc_clock_ops, r->c), 0);
  *state = r;
  return 0;
}

static int teardown(void **state) {
  struct rig *r = *state;
  dev_kbc_free(r->c);
  dev_sched_free(r->s);
  free(r);
  return 0;
}

static uint8_t status(struct rig *r) { return (uint8_t)dev_kbc_command_ops.read(r->c, 0, 1); }
static void command(struct rig *r, uint8_t v) { dev_kbc_command_ops.write(r->c, 0, 1, v); }
static void data(struct rig *r, uint8_t v) { dev_kbc_data_ops.write(r->c, 0, 1, v); }
static uint8_t read_data(struct rig *r) { return (uint8_t)dev_kbc_data_ops.read(r->c, 0, 1); }

/* Reads every byte waiting, as a driver polling OBF does. */
static unsigned drain(struct rig *r, uint8_t *out, unsigned max) {
  unsigned n = 0;
  while ((status(r) & 0x01) && n < max)
    out[n++] = read_data(r);
  return n;
}

static void expect(struct rig *r, const uint8_t *want, unsigned n) {
  uint8_t got[64];
  unsigned k = drain(r, got, 64);
  if (k != n) {
    print_message("got");
    for (unsigned j = 0; j < k; j++)
      print_message(" %02x", got[j]);
    print_message("\n");
  }
  assert_int_equal(k, n);
  for (unsigned j = 0; j < n; j++)
    assert_int_equal(got[j], want[j]);
}

static void key(struct rig *r, cycles_t when, unsigned k, bool down) {
  assert_int_equal(dev_kbc_queue_key(r->c, when, k, down), 0);
}

static void self_test_and_the_command_byte(void **state) {
  struct rig *r = *state;
  assert_int_equal(status(r) & 0x15, 0x14); /* SYS, not inhibited, nothing to read */
  command(r, 0xAA);
  assert_int_equal(status(r) & 0x09, 0x09); /* OBF, A2: the last write was a command */
  expect(r, (const uint8_t[]){0x55}, 1);
  command(r, 0x20);
  expect(r, (const uint8_t[]){0x65}, 1);
  command(r, 0x60);
  data(r, 0x40); /* IRQs off, system flag clear */
  assert_int_equal(status(r) & 0x0C, 0x00);
  command(r, 0x20);
  expect(r, (const uint8_t[]){0x40}, 1);
  command(r, 0xAB);
  expect(r, (const uint8_t[]){0x00}, 1);
  command(r, 0xA9);
  expect(r, (const uint8_t[]){0x00}, 1);
  command(r, 0x7F); /* internal RAM */
  data(r, 0x5A);
  command(r, 0x3F);
  expect(r, (const uint8_t[]){0x5A}, 1);
}

static void keyboard_commands_are_answered_through_the_translation(void **state) {
  struct rig *r = *state;
  data(r, 0xFF);
  expect(r, (const uint8_t[]){0xFA, 0xAA}, 2);
  data(r, 0xF2);
  expect(r, (const uint8_t[]){0xFA, 0xAB, 0x41}, 3); /* 83 translated */
  data(r, 0xEE);
  expect(r, (const uint8_t[]){0xEE}, 1);
  data(r, 0xED); /* a driver reads the ACK before it sends the argument */
  expect(r, (const uint8_t[]){0xFA}, 1);
  data(r, 0x07);
  expect(r, (const uint8_t[]){0xFA}, 1);
  assert_int_equal(dev_ps2kbd_leds(dev_kbc_keyboard(r->c)), 7);
  data(r, 0xF0);
  expect(r, (const uint8_t[]){0xFA}, 1);
  data(r, 0x00);
  expect(r, (const uint8_t[]){0xFA, 0x41}, 2); /* set 2, translated */
  data(r, 0xF0);
  expect(r, (const uint8_t[]){0xFA}, 1);
  data(r, 0x03);
  expect(r, (const uint8_t[]){0xFE}, 1); /* no set 3 */
  data(r, 0xAB);
  expect(r, (const uint8_t[]){0xFE}, 1); /* not a command */
  data(r, 0xFE);
  expect(r, (const uint8_t[]){0xFE}, 1); /* resend: the last byte again */
  command(r, 0x60);
  data(r, 0x25); /* translation off */
  data(r, 0xF2);
  expect(r, (const uint8_t[]){0xFA, 0xAB, 0x83}, 3);
}

static void keys_come_as_set_1_codes_through_the_translation(void **state) {
  struct rig *r = *state;
  key(r, 10, DEV_KEY_A, true);
  key(r, 20, DEV_KEY_A, false);
  key(r, 30, DEV_KEY_RCTRL, true);
  key(r, 40, DEV_KEY_RCTRL, false);
  key(r, 50, DEV_KEY_PAUSE, true);
  key(r, 60, DEV_KEY_PAUSE, false);
  assert_int_equal(dev_sched_next(r->s), 10);
  dev_sched_advance(r->s, 9);
  assert_int_equal(status(r) & 0x01, 0);
  assert_int_equal(r->irq1, 0);
  dev_sched_advance(r->s, 10);
  assert_int_equal(r->irq1, 1);
  assert_int_equal(r->irq1_rises, 1);
  dev_sched_advance(r->s, 100);
  expect(r, (const uint8_t[]){0x1E, 0x9E, 0xE0, 0x1D, 0xE0, 0x9D, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5}, 12);
  assert_int_equal(r->irq1, 0);
  assert_int_equal(r->irq1_rises, 12); /* one edge a byte */
  assert_int_equal(dev_ps2kbd_delivered(dev_kbc_keyboard(r->c)), 6);
}

static void the_output_port_reads_back_the_irq_line(void **state) {
  struct rig *r = *state;
  key(r, 5, DEV_KEY_Z, true);
  dev_sched_advance(r->s, 5);
  command(r, 0xD0); /* read while the key's byte waits; its reply waits behind it */
  assert_int_equal(read_data(r), 0x2C);
  assert_int_equal(read_data(r) & 0x13, 0x11); /* RESET high, A20 low, IRQ 1 high then */
  command(r, 0xD0);
  assert_int_equal(read_data(r) & 0x13, 0x01); /* and low with nothing waiting */
}

static void without_translation_keys_are_set_2(void **state) {
  struct rig *r = *state;
  command(r, 0x60);
  data(r, 0x25);
  key(r, 1, DEV_KEY_A, true);
  key(r, 2, DEV_KEY_A, false);
  key(r, 3, DEV_KEY_PRINT, true);
  key(r, 4, DEV_KEY_PRINT, false);
  dev_sched_advance(r->s, 10);
  expect(r, (const uint8_t[]){0x1C, 0xF0, 0x1C, 0xE0, 0x12, 0xE0, 0x7C, 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12}, 13);
}

static void scan_set_1_on_request(void **state) {
  struct rig *r = *state;
  command(r, 0x60);
  data(r, 0x25);
  data(r, 0xF0);
  expect(r, (const uint8_t[]){0xFA}, 1);
  data(r, 0x01);
  expect(r, (const uint8_t[]){0xFA}, 1);
  assert_int_equal(dev_ps2kbd_scan_set(dev_kbc_keyboard(r->c)), 1);
  key(r, 1, DEV_KEY_KP_ENTER, true);
  key(r, 2, DEV_KEY_KP_ENTER, false);
  dev_sched_advance(r->s, 10);
  expect(r, (const uint8_t[]){0xE0, 0x1C, 0xE0, 0x9C}, 4);
}

static void a_held_key_repeats_on_the_keyboards_clock(void **state) {
  struct rig *r = *state;
  /* Defaults: 500 ms, then every 22/240 s (91 cycles at 1000 Hz). */
  key(r, 0, DEV_KEY_X, true);
  key(r, 700, DEV_KEY_X, false);
  dev_sched_advance(r->s, 0);
  expect(r, (const uint8_t[]){0x2D}, 1);
  assert_int_equal(dev_sched_next(r->s), 500);
  dev_sched_advance(r->s, 500);
  expect(r, (const uint8_t[]){0x2D}, 1);
  assert_int_equal(dev_sched_next(r->s), 591);
  dev_sched_advance(r->s, 1000);
  expect(r, (const uint8_t[]){0x2D, 0x2D, 0xAD}, 3); /* at 591 and 682, then the break */
  assert_int_equal(dev_sched_next(r->s), DEV_NEVER);
  /* F3: 250 ms, 30 per second (8/240 s: 33 cycles). */
  data(r, 0xF3);
  expect(r, (const uint8_t[]){0xFA}, 1);
  data(r, 0x00);
  expect(r, (const uint8_t[]){0xFA}, 1);
  key(r, 2000, DEV_KEY_X, true);
  dev_sched_advance(r->s, 2000);
  expect(r, (const uint8_t[]){0x2D}, 1);
  assert_int_equal(dev_sched_next(r->s), 2250);
  dev_sched_advance(r->s, 2250);
  assert_int_equal(dev_sched_next(r->s), 2283);
}

static void a_full_keyboard_buffer_ends_in_the_overrun_code(void **state) {
  struct rig *r = *state;
  command(r, 0xAD); /* the keyboard's clock off: its bytes stay in its buffer */
  for (unsigned k = 0; k < 10; k++) {
    key(r, 2 * k, DEV_KEY_Q, true);
    key(r, 2 * k + 1, DEV_KEY_Q, false);
  }
  dev_sched_advance(r->s, 100);
  assert_int_equal(status(r) & 0x01, 0);
  command(r, 0xAE);
  uint8_t got[32];
  unsigned n = drain(r, got, 32);
  /* 16 bytes fit: q's make and break (10 and F0 15 in set 2) five times
   * and once more its make, whose slot then takes the overrun code (00,
   * translated FF); the rest is lost. */
  assert_int_equal(n, 11);
  for (unsigned k = 0; k < 5; k++) {
    assert_int_equal(got[2 * k], 0x10);
    assert_int_equal(got[2 * k + 1], 0x90);
  }
  assert_int_equal(got[10], 0xFF);
}

static void a_disabled_keyboard_loses_its_keys(void **state) {
  struct rig *r = *state;
  data(r, 0xF5);
  expect(r, (const uint8_t[]){0xFA}, 1);
  key(r, 1, DEV_KEY_W, true);
  key(r, 2, DEV_KEY_W, false);
  dev_sched_advance(r->s, 10);
  assert_int_equal(status(r) & 0x01, 0);
  data(r, 0xF4);
  expect(r, (const uint8_t[]){0xFA}, 1);
  key(r, 20, DEV_KEY_W, true);
  dev_sched_advance(r->s, 20);
  expect(r, (const uint8_t[]){0x11}, 1);
}

static void the_output_port_drives_a20_and_reset(void **state) {
  struct rig *r = *state;
  assert_false(dev_kbc_a20(r->c));
  command(r, 0xD1);
  data(r, 0xDF);
  assert_true(dev_kbc_a20(r->c));
  assert_true(r->a20);
  assert_int_equal(r->a20_calls, 1);
  command(r, 0xD0);
  assert_int_equal(read_data(r) & 0x03, 0x03);
  command(r, 0xDD);
  assert_false(r->a20);
  command(r, 0xDF);
  assert_true(r->a20);
  assert_int_equal(r->resets, 0);
  command(r, 0xFE); /* pulse RESET */
  assert_int_equal(r->resets, 1);
  command(r, 0xFF); /* pulse nothing */
  assert_int_equal(r->resets, 1);
  command(r, 0xD1);
  data(r, 0xDE); /* RESET low */
  assert_int_equal(r->resets, 2);
  command(r, 0xD0);
  assert_int_equal(read_data(r) & 0x01, 0x01); /* high again after the pulse */
  assert_int_equal(r->a20_calls, 3);
}

static void aux_bytes_raise_irq_12(void **state) {
  struct rig *r = *state;
  command(r, 0x60);
  data(r, 0x47); /* IRQ 12 on too */
  command(r, 0xD3);
  data(r, 0x5A);
  assert_int_equal(status(r) & 0x21, 0x21);
  assert_int_equal(r->irq12, 1);
  assert_int_equal(r->irq1, 0);
  assert_int_equal(read_data(r), 0x5A);
  assert_int_equal(r->irq12, 0);
  command(r, 0xD4);
  data(r, 0xFF); /* to the aux device: there is none */
  assert_int_equal(status(r) & 0x41, 0x40);
}

static void every_keys_set_2_code_translates_to_its_set_1_code(void **state) {
  for (unsigned k = 0; k < DEV_KEY_COUNT; k++) {
    uint16_t s1 = dev_key_set1(k), s2 = dev_key_set2(k);
    assert_int_equal(s1 & 0xE000, s2 & 0xE000);
    assert_int_equal(dev_kbc_translate((uint8_t)s2), (uint8_t)s1);
    assert_int_equal(dev_key_by_name(dev_key_name(k)), (int)k);
  }
  assert_int_equal(dev_key_by_name("nosuchkey"), -1);
  assert_int_equal(dev_kbc_translate(0xFA), 0xFA);
  assert_int_equal(dev_kbc_translate(0x00), 0xFF);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(self_test_and_the_command_byte),
      T(keyboard_commands_are_answered_through_the_translation),
      T(keys_come_as_set_1_codes_through_the_translation),
      T(the_output_port_reads_back_the_irq_line),
      T(without_translation_keys_are_set_2),
      T(scan_set_1_on_request),
      T(a_held_key_repeats_on_the_keyboards_clock),
      T(a_full_keyboard_buffer_ends_in_the_overrun_code),
      T(a_disabled_keyboard_loses_its_keys),
      T(the_output_port_drives_a20_and_reset),
      T(aux_bytes_raise_irq_12),
      T(every_keys_set_2_code_translates_to_its_set_1_code),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
