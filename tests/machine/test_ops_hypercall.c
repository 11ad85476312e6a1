/* tests/machine/test_ops_hypercall.c - the ops port's hypercall marks
 * (machine/ringlab_ops.h, HYPERCALL_ENTER/EXIT), driven through the port
 * device as a guest's OUTs would, then run as the run loop runs them
 * (opsport_run at the instruction boundary): counted as hypercall.N and
 * hypercall_return.N, properly nested, bad input answered in STATUS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>

#include "machine-internal.h"

static int setup(void **state) {
  char err[256];
  struct machine *m = machine_new(4u << 20, NULL, NULL, err, sizeof err);
  assert_non_null(m);
  *state = m;
  return 0;
}

static int teardown(void **state) {
  machine_free(*state);
  return 0;
}

/* Writes ARG0-ARG3 and OP through the port as 32-bit OUTs, runs the op and
 * reads STATUS back through the port. */
static uint32_t op(struct machine *m, uint32_t code, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  const uint32_t args[4] = {a0, a1, a2, a3};
  for (unsigned k = 0; k < 4; k++)
    machine_opsport_ops.write(&m->ops, (uint16_t)(RINGLAB_OPS_REG_ARG0 + 4 * k), 4, args[k]);
  machine_opsport_ops.write(&m->ops, RINGLAB_OPS_REG_OP, 4, code);
  opsport_run(m);
  return machine_opsport_ops.read(&m->ops, RINGLAB_OPS_REG_STATUS, 4);
}

static uint64_t counted(const struct machine *m, enum trace_event e, unsigned index) {
  return trace_counter_at(&m->counted, e, index);
}

static void enter_and_exit_count_hypercall_and_hypercall_return_by_number(void **state) {
  struct machine *m = *state;
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 24, 0x1000, 3, 0), RINGLAB_OPS_OK);
  assert_int_equal(counted(m, TRACE_EV_hypercall, 24), 1);
  assert_int_equal(counted(m, TRACE_EV_hypercall_return, 24), 0);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 24, (uint32_t)-22, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(counted(m, TRACE_EV_hypercall_return, 24), 1);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 0, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 0, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(counted(m, TRACE_EV_hypercall, 0), 1);
  assert_int_equal(counted(m, TRACE_EV_hypercall_return, 0), 1);
  /* every op is an ops request too */
  assert_int_equal(trace_counter(&m->counted, TRACE_EV_ops_request), 4);
}

static void the_counters_are_named_hypercall_n_in_the_catalog(void **state) {
  (void)state;
  char name[32];
  assert_true(trace_slot_name(TRACE_EV_hypercall + 24, name, sizeof name) > 0);
  assert_string_equal(name, "hypercall.24");
  assert_true(trace_slot_name(TRACE_EV_hypercall_return + 255, name, sizeof name) > 0);
  assert_string_equal(name, "hypercall_return.255");
  assert_string_equal(trace_class_name(trace_event_class(TRACE_EV_hypercall)), "hv");
  assert_string_equal(trace_event_fields(TRACE_EV_hypercall), "arg1 arg2 arg3");
  assert_string_equal(trace_event_fields(TRACE_EV_hypercall_return), "result");
}

static void hypercalls_nest_and_each_exit_closes_the_innermost(void **state) {
  struct machine *m = *state;
  /* a multicall (13) running an mmu_update (1) */
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 13, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 1, 0, 0, 0), RINGLAB_OPS_OK);
  /* the outer one cannot return before the inner */
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 13, 0, 0, 0), RINGLAB_OPS_ESTATE);
  assert_int_equal(counted(m, TRACE_EV_hypercall_return, 13), 0);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 1, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 13, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(counted(m, TRACE_EV_hypercall_return, 1), 1);
  assert_int_equal(counted(m, TRACE_EV_hypercall_return, 13), 1);
  assert_int_equal(m->ops.hypercalls, 0);
}

static void an_exit_with_no_hypercall_open_fails_with_estate(void **state) {
  struct machine *m = *state;
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 2, 0, 0, 0), RINGLAB_OPS_ESTATE);
  assert_int_equal(counted(m, TRACE_EV_hypercall_return, 2), 0);
}

static void a_number_above_255_fails_with_einval_and_counts_nothing(void **state) {
  struct machine *m = *state;
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 256, 0, 0, 0), RINGLAB_OPS_EINVAL);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 0xFFFFFFFFu, 0, 0, 0), RINGLAB_OPS_EINVAL);
  assert_int_equal(m->ops.hypercalls, 0);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 7, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 256 + 7, 0, 0, 0), RINGLAB_OPS_EINVAL);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 7, 0, 0, 0), RINGLAB_OPS_OK);
  for (unsigned slot = TRACE_EV_hypercall; slot < TRACE_EV_hypercall + 256; slot++)
    assert_int_equal(m->counted.slot[slot], slot == TRACE_EV_hypercall + 7);
}

static void entering_past_the_depth_fails_with_efull(void **state) {
  struct machine *m = *state;
  for (unsigned k = 0; k < RINGLAB_OPS_HYPERCALL_DEPTH; k++)
    assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, k, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 99, 0, 0, 0), RINGLAB_OPS_EFULL);
  assert_int_equal(counted(m, TRACE_EV_hypercall, 99), 0);
  /* the open ones still close, innermost first */
  for (unsigned k = RINGLAB_OPS_HYPERCALL_DEPTH; k-- > 0;)
    assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, k, 0, 0, 0), RINGLAB_OPS_OK);
}

static void a_failed_mark_leaves_the_next_op_answered_ok(void **state) {
  struct machine *m = *state;
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 5, 0, 0, 0), RINGLAB_OPS_ESTATE);
  assert_int_equal(op(m, RINGLAB_OP_COUNTERS_RESET, 0, 0, 0, 0), RINGLAB_OPS_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(enter_and_exit_count_hypercall_and_hypercall_return_by_number, setup,
                                      teardown),
      cmocka_unit_test(the_counters_are_named_hypercall_n_in_the_catalog),
      cmocka_unit_test_setup_teardown(hypercalls_nest_and_each_exit_closes_the_innermost, setup, teardown),
      cmocka_unit_test_setup_teardown(an_exit_with_no_hypercall_open_fails_with_estate, setup, teardown),
      cmocka_unit_test_setup_teardown(a_number_above_255_fails_with_einval_and_counts_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(entering_past_the_depth_fails_with_efull, setup, teardown),
      cmocka_unit_test_setup_teardown(a_failed_mark_leaves_the_next_op_answered_ok, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
