/* tests/machine/test_ops_trace.c - what the ops port counts reaches the
 * trace (cpu_trace_emit): ops_request with the op, hypercall.N with its
 * arguments, hypercall_return.N with the result, region_begin.N and
 * region_end.N (N the region's number) and ops_annotate with the first 16
 * bytes of the name or text packed into four fields; failed ops record
 * only the request; the CPU's trace filter (cpu_set_trace_filter) drops
 * the slots it does not take; nothing is recorded when not recording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "machine-internal.h"

#define MAX_RECS 32
struct capture {
  unsigned n;
  struct trace_record r[MAX_RECS];
};

static void capture_hook(void *ctx, const struct trace_record *r) {
  struct capture *c = ctx;
  assert_true(c->n < MAX_RECS);
  c->r[c->n++] = *r;
}

struct fixture {
  struct machine *m;
  struct capture cap;
};

static int setup(void **state) {
  static struct fixture fx;
  char err[256];
  memset(&fx, 0, sizeof fx);
  fx.m = machine_new(4u << 20, NULL, NULL, err, sizeof err);
  assert_non_null(fx.m);
  cpu_set_trace(fx.m->cpu, capture_hook, &fx.cap);
  *state = &fx;
  return 0;
}

static int teardown(void **state) {
  struct fixture *fx = *state;
  cpu_set_trace(fx->m->cpu, NULL, NULL);
  machine_free(fx->m);
  return 0;
}

/* Writes ARG0-ARG3 and OP through the port, runs the op as the run loop
 * does (at the boundary after the OUT) and returns STATUS. */
static uint32_t op(struct machine *m, uint32_t code, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  const uint32_t args[4] = {a0, a1, a2, a3};
  for (unsigned k = 0; k < 4; k++)
    machine_opsport_ops.write(&m->ops, (uint16_t)(RINGLAB_OPS_REG_ARG0 + 4 * k), 4, args[k]);
  machine_opsport_ops.write(&m->ops, RINGLAB_OPS_REG_OP, 4, code);
  opsport_run(m);
  return machine_opsport_ops.read(&m->ops, RINGLAB_OPS_REG_STATUS, 4);
}

/* An op with a name or text at guest physical 0x1000. */
static uint32_t named_op(struct machine *m, uint32_t code, const char *text) {
  assert_int_equal(mmu_copy_to_guest(m->mem, 0x1000, text, strlen(text)), 0);
  return op(m, code, 0x1000, (uint32_t)strlen(text), 0, 0);
}

static void hypercall_marks_are_recorded_with_arguments_and_result(void **state) {
  struct fixture *fx = *state;
  assert_int_equal(op(fx->m, RINGLAB_OP_HYPERCALL_ENTER, 24, 0x1000, 3, 0x7ff0), RINGLAB_OPS_OK);
  assert_int_equal(op(fx->m, RINGLAB_OP_HYPERCALL_EXIT, 24, (uint32_t)-22, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(fx->cap.n, 4);
  const struct trace_record *r = fx->cap.r;
  assert_int_equal(r[0].slot, TRACE_EV_ops_request);
  assert_int_equal(r[0].n_fields, 1);
  assert_int_equal(r[0].field[0], RINGLAB_OP_HYPERCALL_ENTER);
  assert_int_equal(r[1].slot, TRACE_EV_hypercall + 24);
  assert_int_equal(r[1].n_fields, 3);
  assert_int_equal(r[1].field[0], 0x1000);
  assert_int_equal(r[1].field[1], 3);
  assert_int_equal(r[1].field[2], 0x7ff0);
  assert_int_equal(r[2].slot, TRACE_EV_ops_request);
  assert_int_equal(r[2].field[0], RINGLAB_OP_HYPERCALL_EXIT);
  assert_int_equal(r[3].slot, TRACE_EV_hypercall_return + 24);
  assert_int_equal(r[3].n_fields, 1);
  assert_int_equal(r[3].field[0], 0xffffffeau);
  /* at the CPU's site now: the boundary after the OUT */
  assert_int_equal(r[3].eip, cpu_get_eip(fx->m->cpu));
  assert_int_equal(r[3].cycle, cpu_cycles_now(fx->m->cpu));
}

static void regions_are_recorded_by_number_with_the_name_packed(void **state) {
  struct fixture *fx = *state;
  assert_int_equal(named_op(fx->m, RINGLAB_OP_REGION_BEGIN, "alu"), RINGLAB_OPS_OK);
  assert_int_equal(named_op(fx->m, RINGLAB_OP_REGION_BEGIN, "a_name_longer_than_16"), RINGLAB_OPS_OK);
  assert_int_equal(named_op(fx->m, RINGLAB_OP_REGION_END, "a_name_longer_than_16"), RINGLAB_OPS_OK);
  assert_int_equal(fx->cap.n, 6);
  const struct trace_record *r = fx->cap.r;
  assert_int_equal(r[1].slot, TRACE_EV_region_begin + 0);
  assert_int_equal(r[1].n_fields, 4);
  assert_int_equal(r[1].field[0], 0x756c61); /* "alu", little-endian, zero-padded */
  assert_int_equal(r[1].field[1], 0);
  assert_int_equal(r[1].field[3], 0);
  assert_int_equal(r[3].slot, TRACE_EV_region_begin + 1);
  assert_int_equal(r[5].slot, TRACE_EV_region_end + 1);
  char name[17] = {0};
  memcpy(name, r[5].field, 16); /* the host is little-endian as the format */
  assert_string_equal(name, "a_name_longer_th");
  /* and counted under the same slots */
  assert_int_equal(trace_counter_at(&fx->m->counted, TRACE_EV_region_begin, 1), 1);
  assert_int_equal(trace_counter_at(&fx->m->counted, TRACE_EV_region_end, 1), 1);
  assert_int_equal(trace_counter_at(&fx->m->counted, TRACE_EV_region_end, 0), 0);
}

static void an_annotation_is_recorded_with_its_first_16_bytes(void **state) {
  struct fixture *fx = *state;
  assert_int_equal(named_op(fx->m, RINGLAB_OP_ANNOTATE, "loop done, now the tail"), RINGLAB_OPS_OK);
  assert_int_equal(fx->cap.n, 2);
  assert_int_equal(fx->cap.r[1].slot, TRACE_EV_ops_annotate);
  char text[17] = {0};
  memcpy(text, fx->cap.r[1].field, 16);
  assert_string_equal(text, "loop done, now t");
}

static void a_failed_op_records_only_the_request(void **state) {
  struct fixture *fx = *state;
  assert_int_equal(named_op(fx->m, RINGLAB_OP_REGION_END, "never"), RINGLAB_OPS_ESTATE);
  assert_int_equal(op(fx->m, RINGLAB_OP_HYPERCALL_EXIT, 1, 0, 0, 0), RINGLAB_OPS_ESTATE);
  assert_int_equal(op(fx->m, 0x77, 0, 0, 0, 0), RINGLAB_OPS_EINVAL);
  assert_int_equal(fx->cap.n, 3);
  for (unsigned k = 0; k < 3; k++)
    assert_int_equal(fx->cap.r[k].slot, TRACE_EV_ops_request);
  assert_int_equal(fx->cap.r[2].field[0], 0x77);
}

static void the_trace_filter_drops_the_slots_it_does_not_take(void **state) {
  struct fixture *fx = *state;
  static uint8_t want[TRACE_SLOT_COUNT];
  memset(want, 0, sizeof want);
  want[TRACE_EV_hypercall + 5] = 1; /* hypercall.5 only: not its return, not the requests */
  cpu_set_trace_filter(fx->m->cpu, want);
  assert_int_equal(op(fx->m, RINGLAB_OP_HYPERCALL_ENTER, 5, 1, 2, 3), RINGLAB_OPS_OK);
  assert_int_equal(op(fx->m, RINGLAB_OP_HYPERCALL_ENTER, 6, 1, 2, 3), RINGLAB_OPS_OK);
  assert_int_equal(op(fx->m, RINGLAB_OP_HYPERCALL_EXIT, 6, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(op(fx->m, RINGLAB_OP_HYPERCALL_EXIT, 5, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(fx->cap.n, 1);
  assert_int_equal(fx->cap.r[0].slot, TRACE_EV_hypercall + 5);
  /* counting is not filtered */
  assert_int_equal(trace_counter(&fx->m->counted, TRACE_EV_ops_request), 4);
  /* NULL: every slot again; a new cpu_set_trace also takes every slot */
  cpu_set_trace_filter(fx->m->cpu, NULL);
  assert_int_equal(op(fx->m, RINGLAB_OP_HYPERCALL_ENTER, 7, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(fx->cap.n, 3);
  cpu_set_trace_filter(fx->m->cpu, want);
  cpu_set_trace(fx->m->cpu, capture_hook, &fx->cap);
  assert_int_equal(op(fx->m, RINGLAB_OP_HYPERCALL_EXIT, 7, 0, 0, 0), RINGLAB_OPS_OK);
  assert_int_equal(fx->cap.n, 5);
}

static void nothing_is_recorded_when_not_recording(void **state) {
  struct fixture *fx = *state;
  cpu_set_trace(fx->m->cpu, NULL, NULL);
  assert_int_equal(named_op(fx->m, RINGLAB_OP_REGION_BEGIN, "alu"), RINGLAB_OPS_OK);
  const uint32_t f[1] = {1};
  cpu_trace_emit(fx->m->cpu, TRACE_EV_ops_request, 1, f);
  assert_int_equal(fx->cap.n, 0);
  assert_int_equal(trace_counter_at(&fx->m->counted, TRACE_EV_region_begin, 0), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(hypercall_marks_are_recorded_with_arguments_and_result, setup, teardown),
      cmocka_unit_test_setup_teardown(regions_are_recorded_by_number_with_the_name_packed, setup, teardown),
      cmocka_unit_test_setup_teardown(an_annotation_is_recorded_with_its_first_16_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(a_failed_op_records_only_the_request, setup, teardown),
      cmocka_unit_test_setup_teardown(the_trace_filter_drops_the_slots_it_does_not_take, setup, teardown),
      cmocka_unit_test_setup_teardown(nothing_is_recorded_when_not_recording, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
