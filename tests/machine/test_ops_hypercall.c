/* tests/machine/test_ops_hypercall.c - the ops port's hypervisor marks
 * (machine/ringlab_ops.h, HYPERCALL_ENTER/EXIT and HV_EVENT), driven
 * through the port device as a guest's OUTs would, then run as the run
 * loop runs them (opsport_run at the instruction boundary): counted as
 * hypercall.N and hypercall_return.N, properly nested, the other events
 * by kind and index, bad input answered in STATUS; hypercalls named by
 * Xen's names in --stats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

static void each_hv_event_kind_counts_its_row_at_its_index(void **state) {
  struct machine *m = *state;
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_TRAP_BOUNCE, 14, 0, 2), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_TRAP_BOUNCE, 14, 1, 4), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_EVENT_UPCALL, 1, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_PT_EMULATE, 0, 0xC0001000u, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_DOMAIN_SWITCH, 2, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_PT_UPDATE, 1, 37, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_PT_UPDATE, 1, 5, 0), RINGLAB_OPS_OK);
  assert_int_equal(counted(m, TRACE_EV_hv_trap_bounce, 14), 2);
  assert_int_equal(counted(m, TRACE_EV_hv_upcall, 1), 1);
  assert_int_equal(trace_counter(&m->counted, TRACE_EV_hv_pt_emulate), 1);
  assert_int_equal(counted(m, TRACE_EV_hv_domain_switch, 2), 1);
  /* a PT_UPDATE mark counts its entries, not itself */
  assert_int_equal(counted(m, TRACE_EV_hv_pt_update, 1), 42);
  assert_int_equal(counted(m, TRACE_EV_hv_pt_update, 2), 0);
  char name[32];
  assert_true(trace_slot_name(TRACE_EV_hv_trap_bounce + 14, name, sizeof name) > 0);
  assert_string_equal(name, "hv_trap_bounce.14");
  assert_string_equal(trace_event_fields(TRACE_EV_hv_pt_update), "count");
}

static void a_bad_hv_event_fails_with_einval_and_counts_nothing(void **state) {
  struct machine *m = *state;
  struct trace_counters before = m->counted;
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, 0, 0, 0, 0), RINGLAB_OPS_EINVAL);  /* no kind 0 */
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, 99, 0, 0, 0), RINGLAB_OPS_EINVAL); /* unknown kind */
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_TRAP_BOUNCE, 256, 0, 0), RINGLAB_OPS_EINVAL);
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_PT_UPDATE, 0, 1, 0), RINGLAB_OPS_EINVAL);
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_PT_UPDATE, 5, 1, 0), RINGLAB_OPS_EINVAL);
  assert_int_equal(op(m, RINGLAB_OP_HV_EVENT, RINGLAB_HV_PT_UPDATE, 2, 0, 0), RINGLAB_OPS_EINVAL);
  for (unsigned slot = 0; slot < TRACE_SLOT_COUNT; slot++)
    if (slot != TRACE_EV_ops_request)
      assert_int_equal(m->counted.slot[slot], before.slot[slot]);
  assert_int_equal(trace_counter(&m->counted, TRACE_EV_ops_request), 6);
}

static void hypercalls_have_xen_names(void **state) {
  (void)state;
  assert_string_equal(trace_hypercall_name(0), "set_trap_table");
  assert_string_equal(trace_hypercall_name(1), "mmu_update");
  assert_string_equal(trace_hypercall_name(13), "multicall");
  assert_string_equal(trace_hypercall_name(23), "iret");
  assert_string_equal(trace_hypercall_name(26), "mmuext_op");
  assert_string_equal(trace_hypercall_name(29), "sched_op"); /* not the compat 6 */
  assert_string_equal(trace_hypercall_name(32), "event_channel_op");
  assert_null(trace_hypercall_name(11)); /* a hole in Xen's numbering */
  assert_null(trace_hypercall_name(255));
}

static void stats_name_the_hypercalls_by_xen_name(void **state) {
  struct machine *m = *state;
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 13, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 1, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 1, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 1, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 1, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_EXIT, 13, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(m, RINGLAB_OP_HYPERCALL_ENTER, 200, 0, 0, 0), RINGLAB_OPS_OK);
  char path[] = "/tmp/ringlab-stats-XXXXXX", err[256];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(machine_write_stats(m, path, err, sizeof err), 0);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char text[65536];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  unlink(path);
  text[len] = 0;
  cJSON *j = cJSON_Parse(text);
  assert_non_null(j);
  cJSON *hc = cJSON_GetObjectItem(j, "hypercalls");
  assert_non_null(hc);
  /* in the order of the numbers: mmu_update (1), multicall (13), 200 */
  assert_string_equal(hc->child->string, "mmu_update");
  assert_string_equal(hc->child->next->string, "multicall");
  assert_string_equal(hc->child->next->next->string, "hypercall.200");
  cJSON *mu = cJSON_GetObjectItem(hc, "mmu_update");
  assert_int_equal(cJSON_GetObjectItem(mu, "number")->valueint, 1);
  assert_int_equal(cJSON_GetObjectItem(mu, "calls")->valueint, 2);
  assert_int_equal(cJSON_GetObjectItem(mu, "returns")->valueint, 2);
  cJSON *open = cJSON_GetObjectItem(hc, "hypercall.200");
  assert_int_equal(cJSON_GetObjectItem(open, "calls")->valueint, 1);
  assert_int_equal(cJSON_GetObjectItem(open, "returns")->valueint, 0);
  cJSON_Delete(j);
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
      cmocka_unit_test_setup_teardown(each_hv_event_kind_counts_its_row_at_its_index, setup, teardown),
      cmocka_unit_test_setup_teardown(a_bad_hv_event_fails_with_einval_and_counts_nothing, setup, teardown),
      cmocka_unit_test(hypercalls_have_xen_names),
      cmocka_unit_test_setup_teardown(stats_name_the_hypercalls_by_xen_name, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
