/* tests/guests/ops/ops.c - the ringlab ops port, seen from a guest.
 *
 * Checks the port answers with its magic, brackets a loop in a region,
 * reports results, annotates, and that malformed requests fail with the
 * documented STATUS values and change nothing. ringlab only (the port is
 * missing under QEMU). The host side checks what lands in --stats
 * (tests/machine/test_run.c).
 */
#include "guest.h"
#include "ringlab_ops.h"

#define LOOP_ITERATIONS 1000

static int failures;

static void expect(const char *what, uint32_t got, uint32_t want) {
  if (got != want) {
    serial_puts("ops: FAIL ");
    serial_puts(what);
    serial_puts("\n");
    failures++;
  }
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  if (!ringlab_ops_present()) {
    serial_puts("ops: no ringlab ops port\n");
    guest_exit(GUEST_FAIL);
  }

  expect("region begin", ringlab_region_begin("loop"), RINGLAB_OPS_OK);
  volatile uint32_t sum = 0;
  for (uint32_t k = 1; k <= LOOP_ITERATIONS; k++)
    sum += k;
  expect("region end", ringlab_region_end("loop"), RINGLAB_OPS_OK);

  expect("result sum", ringlab_result("sum", sum), RINGLAB_OPS_OK);
  expect("result negative", ringlab_result("negative", -5), RINGLAB_OPS_OK);
  expect("result big", ringlab_result("big", 0x123456789ABCDEF0ll), RINGLAB_OPS_OK);
  expect("annotate", ringlab_annotate("loop done"), RINGLAB_OPS_OK);

  expect("end of a region never begun", ringlab_region_end("never"), RINGLAB_OPS_ESTATE);
  expect("name with a space", ringlab_result("bad name", 1), RINGLAB_OPS_ENAME);
  expect("empty name", ringlab_result("", 1), RINGLAB_OPS_ENAME);
  expect("name outside RAM", ringlab_op(RINGLAB_OP_RESULT, 0xF0000000u, 4, 0, 0), RINGLAB_OPS_ENAME);
  expect("unknown op", ringlab_op(0x77, 0, 0, 0, 0), RINGLAB_OPS_EINVAL);
  expect("exit status above 63", ringlab_exit(64), RINGLAB_OPS_EINVAL);

  expect("region begin twice", ringlab_region_begin("twice"), RINGLAB_OPS_OK);
  expect("region begin twice (2)", ringlab_region_begin("twice"), RINGLAB_OPS_ESTATE);
  expect("region end twice", ringlab_region_end("twice"), RINGLAB_OPS_OK);

  if (failures) {
    serial_puts("ops: failed\n");
    guest_exit(GUEST_FAIL);
  }
  serial_puts("ops: all requests answered as documented\n");
  /* Left open on purpose: reported up to the exit. */
  ringlab_region_begin("tail");
  ringlab_exit(0);
  serial_puts("ops: EXIT returned\n");
  guest_exit(GUEST_FAIL);
}
