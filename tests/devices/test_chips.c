/* tests/devices/test_chips.c - the scheduler of device events and the
 * first chips: debug exit, debug console, 16550A UART.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "devices.h"

/* ---- a byte sink and an IRQ line that record ----------------------------- */

struct recorder {
  uint8_t bytes[64];
  unsigned n;
  int level;
  unsigned edges;
};

static void record_byte(void *opaque, uint8_t b) {
  struct recorder *r = opaque;
  if (r->n < sizeof r->bytes)
    r->bytes[r->n++] = b;
}

static void record_irq(void *opaque, int irq_num, int level) {
  struct recorder *r = opaque;
  assert_int_equal(irq_num, 4);
  r->level = level;
  r->edges++;
}

/* ---- scheduler --------------------------------------------------------------- */

struct fake_dev {
  cycles_t events[4];
  unsigned n, next;
  cycles_t fired_at[4];
  char log[16];
  char tag;
};

static char order[32];
static unsigned order_n;

static cycles_t fake_next(void *ctx) {
  struct fake_dev *d = ctx;
  return d->next < d->n ? d->events[d->next] : DEV_NEVER;
}

static void fake_run(void *ctx, cycles_t now) {
  struct fake_dev *d = ctx;
  while (d->next < d->n && d->events[d->next] <= now) {
    d->fired_at[d->next++] = now;
    order[order_n++] = d->tag;
  }
}

static const struct dev_clock_ops fake_clock = {.name = "fake", .next_event = fake_next, .run_until = fake_run};

static void sched_fires_events_earliest_first_at_their_cycle(void **state) {
  struct dev_sched *s = dev_sched_new();
  struct fake_dev a = {.events = {10, 30}, .n = 2, .tag = 'a'}, b = {.events = {20, 30}, .n = 2, .tag = 'b'};
  order_n = 0;
  assert_int_equal(dev_sched_add(s, &fake_clock, &a), 0);
  assert_int_equal(dev_sched_add(s, &fake_clock, &b), 0);
  assert_int_equal(dev_sched_next(s), 10);
  dev_sched_advance(s, 25);
  assert_int_equal(dev_sched_now(s), 25);
  assert_int_equal(a.fired_at[0], 10);
  assert_int_equal(b.fired_at[0], 20);
  assert_int_equal(dev_sched_next(s), 30);
  dev_sched_advance(s, 100);
  order[order_n] = 0;
  assert_string_equal(order, "abab"); /* ties in registration order */
  assert_int_equal(dev_sched_next(s), DEV_NEVER);
  dev_sched_advance(s, 50); /* time never goes back */
  assert_int_equal(dev_sched_now(s), 100);
  dev_sched_free(s);
}

/* ---- debug exit and debug console ----------------------------------------------- */

static int exit_status_seen = -1;
static void on_exit_cb(void *opaque, int status) { exit_status_seen = status; }

static void debugexit_gives_qemu_status_on_first_write_only(void **state) {
  struct dev_debugexit *d = dev_debugexit_new(on_exit_cb, NULL);
  int st;
  assert_false(dev_debugexit_fired(d, &st));
  dev_debugexit_ops.write(d, 0, 1, 0);
  assert_true(dev_debugexit_fired(d, &st));
  assert_int_equal(st, 1);
  assert_int_equal(exit_status_seen, 1);
  dev_debugexit_ops.write(d, 2, 4, 5);
  assert_true(dev_debugexit_fired(d, &st));
  assert_int_equal(st, 1);
  dev_debugexit_free(d);

  d = dev_debugexit_new(on_exit_cb, NULL);
  dev_debugexit_ops.write(d, 0, 4, 0x12345603); /* QEMU: exit((V << 1) | 1), low 8 bits */
  dev_debugexit_fired(d, &st);
  assert_int_equal(st, 7);
  dev_debugexit_free(d);
}

static void debugcon_passes_bytes_and_reads_back_0xe9(void **state) {
  struct recorder r = {0};
  struct dev_debugcon *d = dev_debugcon_new((struct dev_byte_sink){record_byte, &r});
  dev_debugcon_ops.write(d, 0, 1, 'x');
  assert_int_equal(r.n, 1);
  assert_int_equal(r.bytes[0], 'x');
  assert_int_equal(dev_debugcon_ops.read(d, 0, 1), 0xE9);
  dev_debugcon_free(d);
}

/* ---- 16550A ---------------------------------------------------------------------------- */

#define THR 0
#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static struct dev_uart *uart(struct recorder *r) {
  return dev_uart_new((struct dev_byte_sink){record_byte, r}, (struct dev_irq){record_irq, r, 4});
}

static uint8_t rd(struct dev_uart *u, uint16_t reg) { return (uint8_t)dev_uart_ops.read(u, reg, 1); }
static void wr(struct dev_uart *u, uint16_t reg, uint8_t v) { dev_uart_ops.write(u, reg, 1, v); }

static void uart_transmits_to_the_sink_and_thr_is_always_empty(void **state) {
  struct recorder r = {0};
  struct dev_uart *u = uart(&r);
  assert_int_equal(rd(u, LSR) & 0x60, 0x60);
  wr(u, THR, 'o');
  wr(u, THR, 'k');
  assert_int_equal(r.n, 2);
  assert_memory_equal(r.bytes, "ok", 2);
  assert_int_equal(rd(u, LSR) & 0x61, 0x60); /* THRE TEMT, no data */
  dev_uart_free(u);
}

static void uart_divisor_latch_hides_rbr_and_ier(void **state) {
  struct recorder r = {0};
  struct dev_uart *u = uart(&r);
  wr(u, IER, 0x05);
  wr(u, LCR, 0x80);
  wr(u, 0, 0x01);
  wr(u, 1, 0x02);
  assert_int_equal(rd(u, 0), 0x01);
  assert_int_equal(rd(u, 1), 0x02);
  wr(u, LCR, 0x03);
  assert_int_equal(rd(u, IER), 0x05);
  assert_int_equal(r.n, 0); /* the DLL write did not transmit */
  wr(u, SCR, 0x5A);
  assert_int_equal(rd(u, SCR), 0x5A);
  dev_uart_free(u);
}

static void uart_loopback_receives_its_own_bytes_and_mirrors_modem_lines(void **state) {
  struct recorder r = {0};
  struct dev_uart *u = uart(&r);
  wr(u, FCR, 0x07);
  wr(u, MCR, 0x10); /* loop */
  rd(u, MSR);       /* clear deltas */
  wr(u, THR, 'A');
  wr(u, THR, 'B');
  assert_int_equal(r.n, 0); /* nothing on the line */
  assert_int_equal(rd(u, LSR) & 1, 1);
  assert_int_equal(rd(u, RBR), 'A');
  assert_int_equal(rd(u, RBR), 'B');
  assert_int_equal(rd(u, LSR) & 1, 0);
  wr(u, MCR, 0x10 | 0x01 | 0x02 | 0x08); /* DTR RTS OUT2 */
  uint8_t msr = rd(u, MSR);
  assert_int_equal(msr & 0xF0, 0x20 | 0x10 | 0x80); /* DSR CTS DCD */
  assert_int_equal(msr & 0x0B, 0x0B);               /* their deltas */
  assert_int_equal(rd(u, MSR) & 0x0F, 0);           /* cleared by the read */
  dev_uart_free(u);
}

static void uart_fifo_overrun_sets_oe_and_loses_the_byte(void **state) {
  struct recorder r = {0};
  struct dev_uart *u = uart(&r);
  wr(u, FCR, 0x01);
  wr(u, MCR, 0x10);
  for (int k = 0; k < 17; k++)
    wr(u, THR, (uint8_t)k);
  assert_int_equal(rd(u, LSR) & 0x03, 0x03); /* DR OE */
  assert_int_equal(rd(u, LSR) & 0x02, 0);    /* OE cleared by reading LSR */
  assert_int_equal(dev_uart_overruns(u), 1);
  for (int k = 0; k < 16; k++)
    assert_int_equal(rd(u, RBR), k);
  dev_uart_free(u);
}

static void uart_interrupts_follow_priority_and_clear_as_documented(void **state) {
  struct recorder r = {0};
  struct dev_uart *u = uart(&r);
  assert_int_equal(rd(u, IIR), 0x01); /* none, FIFOs off */
  wr(u, IER, 0x02);                   /* THRE: pending at once */
  assert_int_equal(r.level, 1);
  assert_int_equal(rd(u, IIR), 0x02);
  assert_int_equal(r.level, 0); /* reading IIR cleared THRE */
  assert_int_equal(rd(u, IIR), 0x01);

  wr(u, FCR, 0xC1); /* FIFOs on, trigger 14 */
  wr(u, MCR, 0x10);
  wr(u, IER, 0x01); /* RDA only */
  wr(u, THR, 'x');
  assert_int_equal(rd(u, IIR), 0xCC); /* below the trigger: timeout */
  for (int k = 0; k < 13; k++)
    wr(u, THR, 'y');
  assert_int_equal(rd(u, IIR), 0xC4); /* at the trigger: data available */
  assert_int_equal(r.level, 1);
  for (int k = 0; k < 14; k++)
    rd(u, RBR);
  assert_int_equal(rd(u, IIR), 0xC1);
  assert_int_equal(r.level, 0);
  dev_uart_free(u);
}

static void uart_receives_queued_events_at_their_cycle_through_the_scheduler(void **state) {
  struct recorder r = {0};
  struct dev_uart *u = uart(&r);
  struct dev_sched *s = dev_sched_new();
  dev_sched_add(s, &dev_uart_clock_ops, u);
  assert_int_equal(dev_uart_queue_rx(u, 100, 'h'), 0);
  assert_int_equal(dev_uart_queue_rx(u, 100, 'i'), 0);
  assert_int_equal(dev_uart_queue_rx(u, 500, '!'), 0);
  assert_int_equal(dev_uart_queue_rx(u, 400, '?'), -1); /* out of order */
  wr(u, FCR, 0x01);
  assert_int_equal(dev_sched_next(s), 100);
  dev_sched_advance(s, 99);
  assert_int_equal(rd(u, LSR) & 1, 0);
  dev_sched_advance(s, 100);
  assert_int_equal(rd(u, RBR), 'h');
  assert_int_equal(rd(u, RBR), 'i');
  assert_int_equal(rd(u, LSR) & 1, 0);
  assert_int_equal(dev_sched_next(s), 500);
  dev_sched_advance(s, 1000);
  assert_int_equal(rd(u, RBR), '!');
  assert_int_equal(dev_sched_next(s), DEV_NEVER);
  dev_sched_free(s);
  dev_uart_free(u);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sched_fires_events_earliest_first_at_their_cycle),
      cmocka_unit_test(debugexit_gives_qemu_status_on_first_write_only),
      cmocka_unit_test(debugcon_passes_bytes_and_reads_back_0xe9),
      cmocka_unit_test(uart_transmits_to_the_sink_and_thr_is_always_empty),
      cmocka_unit_test(uart_divisor_latch_hides_rbr_and_ier),
      cmocka_unit_test(uart_loopback_receives_its_own_bytes_and_mirrors_modem_lines),
      cmocka_unit_test(uart_fifo_overrun_sets_oe_and_loses_the_byte),
      cmocka_unit_test(uart_interrupts_follow_priority_and_clear_as_documented),
      cmocka_unit_test(uart_receives_queued_events_at_their_cycle_through_the_scheduler),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
