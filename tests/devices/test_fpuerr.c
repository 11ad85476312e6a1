/* tests/devices/test_fpuerr.c - the PC's x87 error latch: FERR#'s rising
 * edge raises IRQ 13, a write to F0h lowers it and asserts IGNNE# while
 * FERR# lasts, FERR# falling drops IGNNE#.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices.h"

struct pins {
  int irq, irq_edges;
  bool ignne;
  int ignne_changes;
};

static void on_irq(void *opaque, int irq_num, int level) {
  struct pins *p = opaque;
  assert_int_equal(irq_num, 5); /* as the board would pass the slave's IR5 */
  if (level && !p->irq)
    p->irq_edges++;
  p->irq = level;
}

static void on_ignne(void *opaque, bool level) {
  struct pins *p = opaque;
  p->ignne = level;
  p->ignne_changes++;
}

static struct dev_fpuerr *make(struct pins *p) {
  struct dev_fpuerr *f = dev_fpuerr_new((struct dev_irq){on_irq, p, 5}, on_ignne, p);
  assert_non_null(f);
  return f;
}

static void ferr_rising_raises_irq13_until_the_port_is_written(void **state) {
  (void)state;
  struct pins p = {0};
  struct dev_fpuerr *f = make(&p);
  dev_fpuerr_set_ferr(f, true);
  assert_int_equal(p.irq, 1);
  assert_true(dev_fpuerr_irq(f));
  dev_fpuerr_set_ferr(f, true); /* no new edge */
  assert_int_equal(p.irq_edges, 1);
  dev_fpuerr_ops.write(f, 0, 1, 0);
  assert_int_equal(p.irq, 0);
  assert_false(dev_fpuerr_irq(f));
  dev_fpuerr_free(f);
}

static void the_port_write_asserts_ignne_while_ferr_lasts(void **state) {
  (void)state;
  struct pins p = {0};
  struct dev_fpuerr *f = make(&p);
  dev_fpuerr_ops.write(f, 0, 1, 0); /* no error: nothing */
  assert_false(p.ignne);
  assert_int_equal(p.ignne_changes, 0);
  dev_fpuerr_set_ferr(f, true);
  dev_fpuerr_ops.write(f, 0, 1, 0x55);
  assert_true(p.ignne);
  assert_true(dev_fpuerr_ignne(f));
  dev_fpuerr_set_ferr(f, false); /* the handler cleared the error */
  assert_false(p.ignne);
  assert_int_equal(p.irq, 0);
  /* the next error raises IRQ 13 again, IGNNE# stays off until the port */
  dev_fpuerr_set_ferr(f, true);
  assert_int_equal(p.irq_edges, 2);
  assert_false(p.ignne);
  dev_fpuerr_free(f);
}

static void ferr_falling_alone_leaves_the_irq_latched(void **state) {
  (void)state;
  struct pins p = {0};
  struct dev_fpuerr *f = make(&p);
  dev_fpuerr_set_ferr(f, true);
  dev_fpuerr_set_ferr(f, false); /* the AT's latch holds the request */
  assert_int_equal(p.irq, 1);
  assert_int_equal(dev_fpuerr_ops.read(f, 0, 1), 0xFF);
  dev_fpuerr_ops.write(f, 0, 1, 0);
  assert_int_equal(p.irq, 0);
  assert_false(p.ignne); /* FERR# is not asserted: no IGNNE# */
  dev_fpuerr_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ferr_rising_raises_irq13_until_the_port_is_written),
      cmocka_unit_test(the_port_write_asserts_ignne_while_ferr_lasts),
      cmocka_unit_test(ferr_falling_alone_leaves_the_irq_latched),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
