/* tests/trace/test_fields.c - format version 2 (trace/FORMAT.md): records
 * with instruction bytes and per-event fields round-trip; a version 1 file
 * (built here byte by byte, as the version 1 writer laid it out) still
 * reads; `trace dump --disasm`, `trace export --format chrome|csv`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <zlib.h>

#include "trace.h"

static char path[64], out[64];

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "test_fields_%d.rtrace", (int)getpid());
  snprintf(out, sizeof out, "test_fields_%d.out", (int)getpid());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  remove(path);
  remove(out);
  return 0;
}

static const struct trace_run_info info = {
    .ringlab_version = "9.9.9", .preset = "p6", .frequency_hz = 300000000, .config = "mem=128\n"};

/* mov cr3, eax (32-bit code) at cycle 3000, CPL 0: a cr_write with its
 * register, old and new value. */
static const struct trace_record cr_rec = {.cycle = 3000,
                                           .slot = TRACE_EV_cr_write,
                                           .cpl = 0,
                                           .cs = 0x08,
                                           .eip = 0x100228,
                                           .flags = TRACE_REC_CODE32,
                                           .insn_len = 3,
                                           .insn = {0x0F, 0x22, 0xD8},
                                           .n_fields = 3,
                                           .field = {3, 0x108000, 0x10c000}};
/* int 0x80 in 16-bit code, then a #PF with error code and CR2 at CPL 3. */
static const struct trace_record int_rec = {.cycle = 6000,
                                            .slot = TRACE_EV_softint + 0x80,
                                            .cpl = 3,
                                            .cs = 0x1b,
                                            .eip = 0x1234,
                                            .insn_len = 2,
                                            .insn = {0xCD, 0x80}};
static const struct trace_record pf_rec = {.cycle = 9000,
                                           .slot = TRACE_EV_exception + 14,
                                           .cpl = 0,
                                           .cs = 0x08,
                                           .eip = 0x100ff0,
                                           .flags = TRACE_REC_CODE32,
                                           .insn_len = 15,
                                           .insn = {0x6A, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13},
                                           .n_fields = 2,
                                           .field = {0x6, 0x400123}};

static void write_three(void) {
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  assert_int_equal(trace_writer_add(w, &cr_rec), 0);
  assert_int_equal(trace_writer_add(w, &int_rec), 0);
  assert_int_equal(trace_writer_add(w, &pf_rec), 0);
  assert_int_equal(trace_writer_finish(w, 12000, err, sizeof err), 0);
}

static void same_record(const struct trace_record *a, const struct trace_record *b) {
  assert_int_equal(a->cycle, b->cycle);
  assert_int_equal(a->slot, b->slot);
  assert_int_equal(a->cpl, b->cpl);
  assert_int_equal(a->cs, b->cs);
  assert_int_equal(a->eip, b->eip);
  assert_int_equal(a->flags, b->flags);
  assert_int_equal(a->insn_len, b->insn_len);
  assert_memory_equal(a->insn, b->insn, a->insn_len);
  assert_int_equal(a->n_fields, b->n_fields);
  for (unsigned k = 0; k < a->n_fields; k++)
    assert_int_equal(a->field[k], b->field[k]);
}

static void version_2_records_round_trip_with_bytes_and_fields(void **state) {
  (void)state;
  write_three();
  char err[256];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(trace_reader_version(r), TRACE_FORMAT_VERSION);
  assert_string_equal(trace_reader_slot_fields(r, TRACE_EV_exception + 14), "error_code cr2");
  assert_string_equal(trace_reader_slot_fields(r, TRACE_EV_cr_write), "register old new");
  assert_string_equal(trace_reader_slot_fields(r, TRACE_EV_iret), "");
  struct trace_record got;
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 1);
  same_record(&got, &cr_rec);
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 1);
  same_record(&got, &int_rec);
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 1);
  same_record(&got, &pf_rec);
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 0);
  assert_int_equal(trace_reader_end_cycle(r), 12000);
  trace_reader_close(r);
}

static void events_def_names_the_fields_of_a_row(void **state) {
  (void)state;
  assert_string_equal(trace_event_fields(TRACE_EV_exception), "error_code cr2");
  assert_string_equal(trace_event_fields(TRACE_EV_io_out), "port value");
  assert_string_equal(trace_event_fields(TRACE_EV_halt), "");
}

/* ---- a version 1 file, laid out as the version 1 writer did ---- */

static void put32(unsigned char *p, uint32_t v) {
  for (int k = 0; k < 4; k++)
    p[k] = (unsigned char)(v >> (8 * k));
}
static void put64(unsigned char *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

static void write_version_1(void) {
  static const char *kinds[] = {"none", "vector", "ring"};
  static const unsigned slots_of[] = {1, 256, 16};
  char text[16384];
  size_t len = (size_t)snprintf(text, sizeof text, "ringlab_version 0.1.0\npreset p6\nfrequency_hz 300000000\nslots %u\n",
                                (unsigned)TRACE_SLOT_COUNT);
  for (unsigned c = 0; c < TRACE_CLASS_COUNT; c++)
    len += (size_t)snprintf(text + len, sizeof text - len, "class %s 1\n", trace_class_name(c));
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++) {
    enum trace_event e = (enum trace_event)trace_event_at(r);
    enum trace_index k = trace_event_index(e);
    len += (size_t)snprintf(text + len, sizeof text - len, "event %s %s %s %u %u %d\n", trace_event_key(e),
                            trace_class_name(trace_event_class(e)), kinds[k], (unsigned)e, slots_of[k],
                            trace_event_recorded(e));
  }
  len += (size_t)snprintf(text + len, sizeof text - len, "config 1\nmem=128\n");
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  unsigned char h[16];
  memcpy(h, "RLTRACE\0", 8);
  put32(h + 8, 1);
  put32(h + 12, (uint32_t)len);
  fwrite(h, 1, 16, f);
  fwrite(text, 1, len, f);
  unsigned char crc[4];
  put32(crc, (uint32_t)crc32(0L, (const Bytef *)text, (uInt)len));
  fwrite(crc, 1, 4, f);
  /* one block of two 20-byte records, field-length word 0 */
  unsigned char recs[40] = {0};
  put64(recs, 500);
  recs[8] = (unsigned char)TRACE_EV_iret;
  recs[9] = (unsigned char)(TRACE_EV_iret >> 8);
  recs[11] = 3;
  recs[12] = 0x1b;
  put32(recs + 14, 0x401000);
  put64(recs + 20, 700);
  recs[28] = (unsigned char)TRACE_EV_halt;
  recs[29] = (unsigned char)(TRACE_EV_halt >> 8);
  recs[32] = 0x08;
  put32(recs + 34, 0x100010);
  unsigned char z[128];
  uLongf zl = sizeof z;
  assert_int_equal(compress2(z, &zl, recs, sizeof recs, 1), Z_OK);
  unsigned char b[28];
  memcpy(b, "RLBK", 4);
  put32(b + 4, (uint32_t)zl);
  put32(b + 8, sizeof recs);
  put32(b + 12, 2);
  put64(b + 16, 500);
  put32(b + 24, (uint32_t)crc32(0L, recs, sizeof recs));
  fwrite(b, 1, sizeof b, f);
  fwrite(z, 1, zl, f);
  unsigned char e[28];
  memcpy(e, "RLEN", 4);
  put32(e + 4, 1);
  put64(e + 8, 2);
  put64(e + 16, 800);
  put32(e + 24, (uint32_t)crc32(0L, e, 24));
  fwrite(e, 1, sizeof e, f);
  fclose(f);
}

static void a_version_1_file_still_reads(void **state) {
  (void)state;
  write_version_1();
  char err[256];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(trace_reader_version(r), 1);
  assert_string_equal(trace_reader_slot_fields(r, TRACE_EV_exception), "");
  struct trace_record got;
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 1);
  assert_int_equal(got.cycle, 500);
  assert_int_equal(got.slot, TRACE_EV_iret);
  assert_int_equal(got.cpl, 3);
  assert_int_equal(got.cs, 0x1b);
  assert_int_equal(got.eip, 0x401000);
  assert_int_equal(got.insn_len, 0);
  assert_int_equal(got.n_fields, 0);
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 1);
  assert_int_equal(got.cycle, 700);
  assert_int_equal(got.slot, TRACE_EV_halt);
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 0);
  assert_int_equal(trace_reader_end_cycle(r), 800);
  trace_reader_close(r);
}

/* ---- the command line ---- */

/* Runs `ringlab trace ARGS...` with standard output into the file out;
 * returns the exit status and the output in buf. */
static int run_cli(char *buf, size_t n, int argc, char **argv) {
  fflush(stdout);
  int saved = dup(1);
  FILE *f = fopen(out, "w");
  assert_non_null(f);
  dup2(fileno(f), 1);
  int rc = trace_main(argc, argv);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  fclose(f);
  f = fopen(out, "r");
  size_t got = fread(buf, 1, n - 1, f);
  buf[got] = 0;
  fclose(f);
  return rc;
}

static void dump_disassembles_the_instruction_at_cs_eip(void **state) {
  (void)state;
  write_three();
  static char buf[8192];
  char *argv[] = {"trace", "dump", path, "--disasm", NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 4, argv), 0);
  assert_non_null(strstr(buf, "3000 cpu0 cpl0 0008:00100228 cr_write register=cr3 old=0x108000 new=0x10c000 | mov cr3, eax\n"));
  assert_non_null(strstr(buf, "6000 cpu0 cpl3 001b:00001234 softint.128 | int 0x80\n"));
  assert_non_null(strstr(buf, "exception.14 error_code=0x6 cr2=0x400123 | push 0\n"));
  write_version_1();
  char *argv1[] = {"trace", "dump", path, "--disasm", NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 4, argv1), 0);
  assert_non_null(strstr(buf, "500 cpu0 cpl3 001b:00401000 iret | (no bytes: format version 1)\n"));
}

static void chrome_export_is_json_with_ts_in_microseconds(void **state) {
  (void)state;
  write_three();
  static char buf[65536];
  char *argv[] = {"trace", "export", "--format", "chrome", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 5, argv), 0);
  cJSON *doc = cJSON_Parse(buf);
  assert_non_null(doc);
  cJSON *evs = cJSON_GetObjectItem(doc, "traceEvents");
  assert_true(cJSON_IsArray(evs));
  bool cr = false, pf = false, ring3 = false;
  cJSON *ev;
  cJSON_ArrayForEach(ev, evs) {
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(ev, "name"));
    const char *ph = cJSON_GetStringValue(cJSON_GetObjectItem(ev, "ph"));
    double ts = cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "ts"));
    int tid = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "tid"));
    if (strcmp(name, "cr_write") == 0) {
      /* 3000 cycles at 300 MHz: 10 microseconds */
      assert_string_equal(ph, "i");
      assert_true(ts == 10.0);
      assert_int_equal(tid, 0);
      assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "args"), "register")),
                          "cr3");
      cr = true;
    } else if (strcmp(name, "exception.14") == 0) {
      assert_true(ts == 30.0);
      assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "args"), "cr2")),
                          "0x400123");
      pf = true;
    } else if (strcmp(name, "ring 3") == 0) {
      /* CPL 3 from the record at 6000 to the next at 9000 */
      assert_string_equal(ph, "X");
      assert_int_equal(tid, 3);
      assert_true(ts == 20.0);
      assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "dur")) == 10.0);
      ring3 = true;
    }
  }
  assert_true(cr && pf && ring3);
  cJSON_Delete(doc);
}

static void csv_export_has_the_documented_header_and_rows(void **state) {
  (void)state;
  write_three();
  static char buf[8192];
  char *argv[] = {"trace", "export", "--format", "csv", path, NULL};
  assert_int_equal(run_cli(buf, sizeof buf, 5, argv), 0);
  assert_memory_equal(buf, "cycle,cpu,cpl,cs,eip,event,fields,bytes\n", 40);
  assert_non_null(strstr(buf, "\n3000,0,0,0x0008,0x00100228,cr_write,register=0x3 old=0x108000 new=0x10c000,0f22d8\n"));
  assert_non_null(strstr(buf, "\n6000,0,3,0x001b,0x00001234,softint.128,,cd80\n"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(version_2_records_round_trip_with_bytes_and_fields, setup, teardown),
      cmocka_unit_test(events_def_names_the_fields_of_a_row),
      cmocka_unit_test_setup_teardown(a_version_1_file_still_reads, setup, teardown),
      cmocka_unit_test_setup_teardown(dump_disassembles_the_instruction_at_cs_eip, setup, teardown),
      cmocka_unit_test_setup_teardown(chrome_export_is_json_with_ts_in_microseconds, setup, teardown),
      cmocka_unit_test_setup_teardown(csv_export_has_the_documented_header_and_rows, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
