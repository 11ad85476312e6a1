/* tests/cpu/test_timing.c - timing presets: the built-in ones parse and
 * price every row, bad files are rejected with their name and line, and the
 * cycle counter follows the preset in force. Cycle counts are literal
 * numbers from the presets' documented costs, never read back from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpu-internal.h"
#include "harness.h"

static unsigned row_of(const char *name) {
  for (unsigned r = 0; r < cpu_opcode_rows(); r++)
    if (!strcmp(cpu_opcode_row_name(r), name))
      return r;
  fail_msg("no row %s", name);
  return 0;
}

static uint16_t row_cost(const struct harness *h, const char *name) {
  return h->cpu->timing.row_cost[row_of(name)];
}

/* Writes text to a fresh temporary file; its path into path. */
static void write_file(char *path, size_t n, const char *text) {
  snprintf(path, n, "/tmp/ringlab_timing_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* A complete small preset, with extra text spliced into [rows] and
 * [events]. */
static void write_preset(char *path, size_t n, const char *rows, const char *events) {
  char text[2048];
  snprintf(text, sizeof text,
           "[preset]\nfrequency_hz = 1000\n"      /* lines 1-2 */
           "apic = p6\napic_bus_hz = 250/3\n"      /* lines 3-4 */
           "[rows]\ndefault = 2\n%s"              /* lines 5-6, then rows */
           "[events]\n"
           "page_walk_access = 1\ntlb_fill = 2\ncr3_load = 3\ninvlpg = 4\nint_real = 5\n"
           "intgate_same = 6\nintgate_inner = 7\ntrapgate_same = 8\ntrapgate_inner = 9\n"
           "gate_from_v86 = 10\ntask_switch = 11\nirq_acknowledge = 12\niret_real = 13\n"
           "iret_same = 14\niret_outer = 15\niret_to_v86 = 16\ncallgate_same = 17\n"
           "callgate_inner = 18\nret_far_outer = 19\nsysenter = 20\nsysexit = 21\n"
           "io_port = 22\n%s",
           rows, events);
  write_file(path, n, text);
}

static void builtin_presets_are_unit_p6_and_netburst(void **state) {
  const char *const *names = cpu_timing_presets();
  bool unit = false, p6 = false, netburst = false;
  unsigned n = 0;
  for (; names[n]; n++) {
    unit |= !strcmp(names[n], "unit");
    p6 |= !strcmp(names[n], "p6");
    netburst |= !strcmp(names[n], "netburst");
  }
  assert_int_equal(n, 3);
  assert_true(unit && p6 && netburst);
}

static void every_builtin_preset_parses_and_prices_every_row(void **state) {
  struct harness *h = *state;
  assert_int_equal(CPU_ROW_MAX, cpu_opcode_rows());
  for (const char *const *name = cpu_timing_presets(); *name; name++) {
    char err[256] = "";
    assert_int_equal(cpu_set_timing(h->cpu, *name, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_string_equal(cpu_timing_name(h->cpu), *name);
    assert_non_null(h->cpu->timing.row_cost);
    /* No built-in preset makes an instruction free. */
    for (unsigned r = 0; r < cpu_opcode_rows(); r++)
      if (h->cpu->timing.row_cost[r] == 0)
        fail_msg("%s: row %s costs 0", *name, cpu_opcode_row_name(r));
  }
}

static void presets_hold_their_documented_numbers(void **state) {
  struct harness *h = *state;
  assert_int_equal(cpu_set_timing(h->cpu, "unit", NULL, 0), 0);
  assert_int_equal(cpu_timing_frequency_hz(h->cpu), 1000000000u);
  for (unsigned r = 0; r < cpu_opcode_rows(); r++)
    assert_int_equal(h->cpu->timing.row_cost[r], 1);
  for (unsigned e = 0; e < CPU_TEV_COUNT; e++)
    assert_int_equal(cpu_timing_event(&h->cpu->timing, e), 0);

  assert_int_equal(cpu_set_timing(h->cpu, "p6", NULL, 0), 0);
  assert_int_equal(cpu_timing_frequency_hz(h->cpu), 300000000u);
  assert_int_equal(row_cost(h, "ADD_EdGd"), 1);
  assert_int_equal(row_cost(h, "DIV_Ed"), 37);
  assert_int_equal(row_cost(h, "DIV_Eb"), 12);
  assert_int_equal(row_cost(h, "CALL_Jd"), 2);
  assert_int_equal(row_cost(h, "IN_ALDX"), 6);   /* by the IN_* wildcard */
  assert_int_equal(row_cost(h, "INSB"), 6);      /* by INS* */
  assert_int_equal(row_cost(h, "INC_Zd"), 1);    /* INS* does not reach INC */
  assert_int_equal(row_cost(h, "FDIVRP_STi_ST0"), 37); /* x87: by FDIV* */
  assert_int_equal(row_cost(h, "FMUL_Md"), 2);
  assert_int_equal(row_cost(h, "FADD_ST0_STi"), 1);   /* the default */
  assert_int_equal(row_cost(h, "FSQRT"), 69);
  assert_int_equal(row_cost(h, "FYL2X"), 103);
  assert_int_equal(row_cost(h, "FNSAVE_M"), 47);
  assert_int_equal(h->cpu->timing.intgate_inner, 48);
  assert_int_equal(h->cpu->timing.iret_outer, 27);
  assert_int_equal(h->cpu->timing.io_port, 300);
  assert_int_equal(cpu_timing_event(&h->cpu->timing, CPU_TEV_io_port), 300);

  assert_int_equal(cpu_set_timing(h->cpu, "netburst", NULL, 0), 0);
  assert_int_equal(cpu_timing_frequency_hz(h->cpu), 2400000000u);
  assert_int_equal(row_cost(h, "DIV_Ed"), 23);
  assert_int_equal(row_cost(h, "ADC_EdGd"), 3);
  assert_int_equal(row_cost(h, "RCL_Ed1"), 1);  /* exact key beats RCL_* */
  assert_int_equal(row_cost(h, "RCL_EdCL"), 4);
  assert_int_equal(row_cost(h, "FDIV_Mq"), 43);
  assert_int_equal(row_cost(h, "FSIN"), 160);
  assert_int_equal(h->cpu->timing.io_port, 2400);
}

static void event_names_match_the_event_table(void **state) {
  assert_string_equal(cpu_timing_event_name(CPU_TEV_page_walk_access), "page_walk_access");
  assert_string_equal(cpu_timing_event_name(CPU_TEV_io_port), "io_port");
  assert_null(cpu_timing_event_name(CPU_TEV_COUNT));
}

/* Runs code on a fresh flat machine under preset; returns its cycles. */
static cycles_t cycles_of(const char *preset, const uint8_t *code, size_t n) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  assert_int_equal(cpu_set_timing(h->cpu, preset, NULL, 0), 0);
  cycles_t c0 = cpu_cycles(h->cpu);
  assert_int_equal(harness_run(h, code, n, 100000), CPU_EXIT_HALT);
  cycles_t c = cpu_cycles(h->cpu) - c0;
  harness_free(h);
  return c;
}

/* mov eax, 100; xor edx, edx; mov ecx, 7; div ecx; hlt */
static const uint8_t div_code[] = {0xB8, 100, 0, 0, 0, 0x31, 0xD2, 0xB9, 7, 0, 0, 0, 0xF7, 0xF1, 0xF4};

static void unit_preset_charges_one_cycle_per_instruction(void **state) {
  struct harness *h = *state;
  assert_int_equal(cpu_set_timing(h->cpu, "unit", NULL, 0), 0);
  cycles_t c0 = cpu_cycles(h->cpu);
  uint64_t i0 = cpu_instructions(h->cpu);
  assert_int_equal(harness_run(h, div_code, sizeof div_code, 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_get_reg(h->cpu, CPU_EAX), 14);
  assert_int_equal(cpu_instructions(h->cpu) - i0, 5);
  assert_int_equal(cpu_cycles(h->cpu) - c0, 5);
}

static void presets_price_the_same_code_by_their_row_costs(void **state) {
  assert_int_equal(cycles_of("unit", div_code, sizeof div_code), 5);
  assert_int_equal(cycles_of("p6", div_code, sizeof div_code), 41);       /* 1+1+1+37+1 */
  assert_int_equal(cycles_of("netburst", div_code, sizeof div_code), 27); /* 1+1+1+23+1 */
}

/* The engine sums row costs when it decodes a block: a preset chosen after
 * the block was cached must still apply to its next run. */
static void switching_presets_reprices_cached_code(void **state) {
  struct harness *h = *state;
  assert_int_equal(cpu_set_timing(h->cpu, "unit", NULL, 0), 0);
  cycles_t c0 = cpu_cycles(h->cpu);
  assert_int_equal(harness_run(h, div_code, sizeof div_code, 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_cycles(h->cpu) - c0, 5);

  assert_int_equal(cpu_set_timing(h->cpu, "p6", NULL, 0), 0);
  c0 = cpu_cycles(h->cpu);
  assert_int_equal(harness_run(h, div_code, sizeof div_code, 1000), CPU_EXIT_HALT);
  assert_int_equal(cpu_cycles(h->cpu) - c0, 41);
}

static void the_same_code_takes_the_same_cycles_every_run(void **state) {
  /* a loop: mov ecx, 50; l: add eax, ecx; imul eax, eax, 3; loop l; hlt */
  static const uint8_t loop[] = {0xB9, 50, 0, 0, 0, 0x01, 0xC8, 0x6B, 0xC0, 0x03, 0xE2, 0xF9, 0xF4};
  for (const char *const *name = cpu_timing_presets(); *name; name++) {
    cycles_t a = cycles_of(*name, loop, sizeof loop);
    cycles_t b = cycles_of(*name, loop, sizeof loop);
    assert_int_equal(a, b);
  }
  /* p6: mov 1 + 50 * (add 1 + imul 1 + loop 8) + hlt 1 */
  assert_int_equal(cycles_of("p6", loop, sizeof loop), 502);
}

static void a_file_preset_is_read_from_its_path(void **state) {
  struct harness *h = *state;
  char path[64], err[256];
  write_preset(path, sizeof path, "DIV_* = 9\nDIV_Ed = 3\nIDIV_Ed = 4\nIDIV_* = 8\n", "memory_operand = 0\n");
  assert_int_equal(cpu_set_timing(h->cpu, path, err, sizeof err), 0);
  assert_string_equal(cpu_timing_name(h->cpu), strrchr(path, '/') + 1);
  assert_int_equal(cpu_timing_frequency_hz(h->cpu), 1000);
  assert_int_equal(row_cost(h, "ADD_EdGd"), 2);  /* default */
  assert_int_equal(row_cost(h, "DIV_Ed"), 3);    /* exact beats the wildcard */
  assert_int_equal(row_cost(h, "DIV_Ew"), 9);
  assert_int_equal(row_cost(h, "IDIV_Ed"), 4);   /* whatever the order */
  assert_int_equal(row_cost(h, "IDIV_Eb"), 8);
  assert_int_equal(h->cpu->timing.sysexit, 21);
  remove(path);
}

static void a_preset_may_start_from_a_base(void **state) {
  struct harness *h = *state;
  char path[64], err[256];
  write_file(path, sizeof path,
             "[preset]\nbase = p6\nname = p6-cheap-trap\n"
             "[rows]\nDIV_Ed = 5\n[events]\ntrapgate_inner = 10\n");
  assert_int_equal(cpu_set_timing(h->cpu, path, err, sizeof err), 0);
  assert_string_equal(cpu_timing_name(h->cpu), "p6-cheap-trap");
  assert_int_equal(cpu_timing_frequency_hz(h->cpu), 300000000u);
  assert_int_equal(row_cost(h, "DIV_Ed"), 5);
  assert_int_equal(row_cost(h, "DIV_Ew"), 21);
  assert_int_equal(h->cpu->timing.trapgate_inner, 10);
  assert_int_equal(row_cost(h, "FDIVRP_STi_ST0"), 37); /* x87: by FDIV* */
  assert_int_equal(row_cost(h, "FMUL_Md"), 2);
  assert_int_equal(row_cost(h, "FADD_ST0_STi"), 1);   /* the default */
  assert_int_equal(row_cost(h, "FSQRT"), 69);
  assert_int_equal(row_cost(h, "FYL2X"), 103);
  assert_int_equal(row_cost(h, "FNSAVE_M"), 47);
  assert_int_equal(h->cpu->timing.intgate_inner, 48);
  remove(path);
}

/* Expects cpu_set_timing(text) to fail with "PATH:LINE: ..." naming what. */
static void expect_error(struct harness *h, const char *path, int line, const char *what) {
  char err[256], want[96];
  assert_int_equal(cpu_set_timing(h->cpu, "unit", NULL, 0), 0);
  assert_int_equal(cpu_set_timing(h->cpu, path, err, sizeof err), -1);
  if (line > 0)
    snprintf(want, sizeof want, "%s:%d: ", path, line);
  else
    snprintf(want, sizeof want, "%s: ", path);
  if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, what))
    fail_msg("error '%s' does not start with '%s' and name '%s'", err, want, what);
  assert_null(strchr(err, '\n'));
  assert_string_equal(cpu_timing_name(h->cpu), "unit"); /* unchanged */
}

static void an_unknown_key_is_an_error_naming_file_line_and_key(void **state) {
  char path[64];
  write_preset(path, sizeof path, "ADD_EdGd = 1\nADD_NOSUCH = 1\n", "memory_operand = 0\n");
  expect_error(*state, path, 8, "ADD_NOSUCH");
  remove(path);
  write_preset(path, sizeof path, "", "memory_operand = 0\ncache_miss = 7\n");
  expect_error(*state, path, 31, "cache_miss");
  remove(path);
  write_preset(path, sizeof path, "NOSUCH_* = 1\n", "memory_operand = 0\n");
  expect_error(*state, path, 7, "NOSUCH_*");
  remove(path);
  write_file(path, sizeof path, "[preset]\nfrequency_hz = 1\n[cache]\nsize = 1\n");
  expect_error(*state, path, 4, "[cache]");
  remove(path);
}

static void a_bad_number_is_an_error_naming_file_and_line(void **state) {
  char path[64];
  write_preset(path, sizeof path, "ADD_EdGd = 1.5\n", "memory_operand = 0\n");
  expect_error(*state, path, 7, "1.5");
  remove(path);
  write_preset(path, sizeof path, "ADD_EdGd = 70000\n", "memory_operand = 0\n");
  expect_error(*state, path, 7, "70000");
  remove(path);
  write_preset(path, sizeof path, "", "memory_operand = -1\n");
  expect_error(*state, path, 30, "-1");
  remove(path);
  write_file(path, sizeof path, "[preset]\nfrequency_hz = 2.4GHz\n");
  expect_error(*state, path, 2, "2.4GHz");
  remove(path);
}

static void duplicate_and_missing_keys_are_errors(void **state) {
  char path[64];
  write_preset(path, sizeof path, "ADD_EdGd = 1\nADD_EdGd = 2\n", "memory_operand = 0\n");
  expect_error(*state, path, 8, "duplicate key 'ADD_EdGd'");
  remove(path);
  write_preset(path, sizeof path, "", ""); /* no memory_operand */
  expect_error(*state, path, 0, "missing [events] memory_operand");
  remove(path);
  write_file(path, sizeof path, "[rows]\ndefault = 1\n");
  expect_error(*state, path, 0, "frequency_hz");
  remove(path);
  write_file(path, sizeof path, "[preset]\nname = x\nbase = p6\n");
  expect_error(*state, path, 3, "base must be the first key");
  remove(path);
  write_file(path, sizeof path, "[preset]\nfrequency_hz = 1\nthis line has no equals sign\n");
  expect_error(*state, path, 3, "not an INI line");
  remove(path);
}

static void presets_name_their_apic_and_its_bus_clock(void **state) {
  struct harness *h = *state;
  uint64_t num, den;
  assert_int_equal(cpu_timing_apic(h->cpu), CPU_APIC_XAPIC); /* a new cpu: unit's */
  cpu_timing_apic_bus_hz(h->cpu, &num, &den);
  assert_true(num == 1000000000u && den == 1);
  assert_int_equal(cpu_set_timing(h->cpu, "p6", NULL, 0), 0);
  assert_int_equal(cpu_timing_apic(h->cpu), CPU_APIC_P6);
  cpu_timing_apic_bus_hz(h->cpu, &num, &den);
  assert_true(num == 200000000u && den == 3); /* 66.67 MHz: 4.5 cycles a tick */
  assert_int_equal(cpu_set_timing(h->cpu, "netburst", NULL, 0), 0);
  assert_int_equal(cpu_timing_apic(h->cpu), CPU_APIC_XAPIC);
  cpu_timing_apic_bus_hz(h->cpu, &num, &den);
  assert_true(num == 100000000u && den == 1);
  assert_int_equal(cpu_set_timing(h->cpu, "unit", NULL, 0), 0);
  assert_int_equal(cpu_timing_apic(h->cpu), CPU_APIC_XAPIC);
  cpu_timing_apic_bus_hz(h->cpu, &num, &den);
  assert_true(num == 1000000000u && den == 1);
  char path[64];
  write_preset(path, sizeof path, "", "memory_operand = 0\n");
  assert_int_equal(cpu_set_timing(h->cpu, path, NULL, 0), 0);
  assert_int_equal(cpu_timing_apic(h->cpu), CPU_APIC_P6);
  cpu_timing_apic_bus_hz(h->cpu, &num, &den);
  assert_true(num == 250 && den == 3);
  remove(path);
}

static void apic_keys_are_required_and_checked(void **state) {
  char path[64];
  write_file(path, sizeof path, "[preset]\nfrequency_hz = 1\napic_bus_hz = 1\n[rows]\ndefault = 1\n");
  expect_error(*state, path, 0, "missing [preset] apic (p6 or xapic)");
  remove(path);
  write_file(path, sizeof path, "[preset]\nfrequency_hz = 1\napic = xapic\n[rows]\ndefault = 1\n");
  expect_error(*state, path, 0, "missing [preset] apic_bus_hz");
  remove(path);
  write_file(path, sizeof path, "[preset]\nfrequency_hz = 1\napic = 486\n");
  expect_error(*state, path, 3, "apic '486' is not p6 or xapic");
  remove(path);
  const char *bad[] = {"0", "1/0", "1/1001", "2.5", "1/", "/3", "66MHz"};
  for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    char text[128];
    snprintf(text, sizeof text, "[preset]\nfrequency_hz = 1\napic_bus_hz = %s\n", bad[k]);
    write_file(path, sizeof path, text);
    expect_error(*state, path, 3, "apic_bus_hz");
    remove(path);
  }
}

static void a_missing_file_is_an_error_naming_it(void **state) {
  struct harness *h = *state;
  char err[256];
  assert_int_equal(cpu_set_timing(h->cpu, "/nonexistent/p7.ini", err, sizeof err), -1);
  assert_non_null(strstr(err, "/nonexistent/p7.ini: "));
  assert_non_null(strstr(err, "No such file"));
  assert_int_equal(cpu_set_timing(h->cpu, "p7", err, sizeof err), -1);
  assert_non_null(strstr(err, "p7: no such built-in preset (netburst, p6, unit)"));
  assert_int_equal(cpu_set_timing(h->cpu, "", err, sizeof err), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(builtin_presets_are_unit_p6_and_netburst),
      cmocka_unit_test_setup_teardown(every_builtin_preset_parses_and_prices_every_row, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(presets_hold_their_documented_numbers, harness_setup_flat32, harness_teardown),
      cmocka_unit_test_setup_teardown(presets_name_their_apic_and_its_bus_clock, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(apic_keys_are_required_and_checked, harness_setup_flat32, harness_teardown),
      cmocka_unit_test(event_names_match_the_event_table),
      cmocka_unit_test_setup_teardown(unit_preset_charges_one_cycle_per_instruction, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test(presets_price_the_same_code_by_their_row_costs),
      cmocka_unit_test_setup_teardown(switching_presets_reprices_cached_code, harness_setup_flat32, harness_teardown),
      cmocka_unit_test(the_same_code_takes_the_same_cycles_every_run),
      cmocka_unit_test_setup_teardown(a_file_preset_is_read_from_its_path, harness_setup_flat32, harness_teardown),
      cmocka_unit_test_setup_teardown(a_preset_may_start_from_a_base, harness_setup_flat32, harness_teardown),
      cmocka_unit_test_setup_teardown(an_unknown_key_is_an_error_naming_file_line_and_key, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_bad_number_is_an_error_naming_file_and_line, harness_setup_flat32,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(duplicate_and_missing_keys_are_errors, harness_setup_flat32, harness_teardown),
      cmocka_unit_test_setup_teardown(a_missing_file_is_an_error_naming_it, harness_setup_flat32, harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
