/* tests/trace/test_stream.c - the trace writer and reader (trace/FORMAT.md):
 * version 3 records round-trip (every recorded row's fields, sites stored
 * once a block, bytes that change at one address), the writer's thread
 * leaves the bytes deterministic, damaged files fail by block, and
 * version 2 files (built here byte by byte) still read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "trace.h"

#define N_RECORDS 10000 /* three blocks of up to 4096 */
#define BLOCK_RECORDS 4096

static char path[64];

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "test_stream_%d.rtrace", (int)getpid());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char tmp[80];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  remove(path);
  remove(tmp);
  return 0;
}

static const struct trace_run_info info = {
    .ringlab_version = "9.9.9", .preset = "p6", .frequency_hz = 300000000, .config = "mem=128\ntiming=p6\n"};

/* Record k of the test stream: every recorded row in turn, varied fields. */
static struct trace_record record(unsigned k) {
  static const enum trace_event evs[] = {TRACE_EV_exception, TRACE_EV_ring,   TRACE_EV_iret,
                                         TRACE_EV_cr3_write, TRACE_EV_io_out, TRACE_EV_tlb_flush_cr3};
  enum trace_event e = evs[k % 6];
  unsigned index = e == TRACE_EV_exception ? k % 32 : e == TRACE_EV_ring ? TRACE_RING_INDEX(3, 0) : 0;
  return (struct trace_record){.cycle = 1000 + 7ull * k,
                               .slot = (uint16_t)(e + index),
                               .cpu = 0,
                               .cpl = (uint8_t)(k & 3),
                               .cs = (uint16_t)(0x08 | (k & 3)),
                               .eip = 0x100000u + k * 3};
}

static void write_file(uint32_t classes, unsigned n) {
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, classes, err, sizeof err);
  assert_non_null(w);
  for (unsigned k = 0; k < n; k++) {
    struct trace_record r = record(k);
    assert_int_equal(trace_writer_add(w, &r), 0);
  }
  assert_int_equal(trace_writer_finish(w, 123456789, err, sizeof err), 0);
}

static long file_size(void) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

/* Reads the file; returns the records read before the end or the error
 * (rc: the last trace_reader_next result), checking each against record(). */
static unsigned read_back(int *rc, char *err, size_t n) {
  struct trace_reader *r = trace_reader_open(path, err, n);
  assert_non_null(r);
  struct trace_record got;
  unsigned k = 0;
  while ((*rc = trace_reader_next(r, &got, err, n)) == 1) {
    struct trace_record want = record(k++);
    assert_int_equal(got.cycle, want.cycle);
    assert_int_equal(got.slot, want.slot);
    assert_int_equal(got.cpu, want.cpu);
    assert_int_equal(got.cpl, want.cpl);
    assert_int_equal(got.cs, want.cs);
    assert_int_equal(got.eip, want.eip);
  }
  trace_reader_close(r);
  return k;
}

static void records_read_back_equal_with_header_and_totals(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, N_RECORDS);
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), N_RECORDS);
  assert_int_equal(rc, 0);
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(trace_reader_version(r), TRACE_FORMAT_VERSION);
  const struct trace_run_info *i = trace_reader_info(r);
  assert_string_equal(i->ringlab_version, "9.9.9");
  assert_string_equal(i->preset, "p6");
  assert_int_equal(i->frequency_hz, 300000000);
  assert_string_equal(i->config, "mem=128\ntiming=p6\n");
  char name[32];
  assert_true(trace_reader_slot_name(r, TRACE_EV_exception + 14, name, sizeof name) > 0);
  assert_string_equal(name, "exception.14");
  assert_true(trace_reader_slot_name(r, TRACE_EV_ring + TRACE_RING_INDEX(3, 0), name, sizeof name) > 0);
  assert_string_equal(name, "ring.3to0");
  assert_string_equal(trace_reader_slot_class(r, TRACE_EV_tlb_flush_cr3), "tlb");
  assert_true(trace_reader_slot_recorded(r, TRACE_EV_tlb_flush_cr3));
  assert_true(trace_reader_slot_recorded(r, TRACE_EV_dtlb_miss));
  assert_true(trace_reader_slot_recorded(r, TRACE_EV_page_walk));
  assert_true(trace_reader_slot_recorded(r, TRACE_EV_ad_update));
  assert_false(trace_reader_slot_recorded(r, TRACE_EV_dtlb_hit)); /* one per access: never recorded */
  assert_false(trace_reader_slot_recorded(r, TRACE_EV_itlb_hit));
  struct trace_record rec;
  while (trace_reader_next(r, &rec, err, sizeof err) == 1)
    ;
  assert_int_equal(trace_reader_total_records(r), N_RECORDS);
  assert_int_equal(trace_reader_end_cycle(r), 123456789);
  trace_reader_close(r);
}

static void an_empty_trace_is_complete(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, 0);
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), 0);
  assert_int_equal(rc, 0);
}

static void the_class_filter_drops_records_at_write_time(void **state) {
  (void)state;
  write_file(1u << TRACE_CLASS_exception, 60);
  char err[256];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(trace_reader_classes(r), 1u << TRACE_CLASS_exception);
  struct trace_record rec;
  unsigned n = 0;
  while (trace_reader_next(r, &rec, err, sizeof err) == 1) {
    assert_int_equal(trace_reader_slot_class(r, rec.slot)[0], 'e');
    n++;
  }
  assert_int_equal(n, 10); /* every sixth record is an exception */
  assert_false(trace_reader_slot_recorded(r, TRACE_EV_iret));
  trace_reader_close(r);
}

static void the_file_appears_only_when_finished(void **state) {
  (void)state;
  char err[256], tmp[80];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  struct trace_record r = record(0);
  trace_writer_add(w, &r);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(access(tmp, F_OK), 0);
  trace_writer_abort(w);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(access(tmp, F_OK), -1);
}

static void a_truncated_file_names_the_block_after_the_good_records(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, N_RECORDS);
  assert_int_equal(truncate(path, file_size() - 40), 0); /* into block 3 */
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), 2 * BLOCK_RECORDS);
  assert_int_equal(rc, -1);
  assert_non_null(strstr(err, "block 3"));
}

static void a_flipped_byte_names_the_corrupted_block(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, N_RECORDS);
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, -40, SEEK_END);
  int c = fgetc(f);
  fseek(f, -40, SEEK_END);
  fputc(c ^ 0x10, f);
  fclose(f);
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), 2 * BLOCK_RECORDS);
  assert_int_equal(rc, -1);
  assert_non_null(strstr(err, "block 3: corrupted"));
}

static void a_file_without_its_end_block_is_truncated(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, 100);
  assert_int_equal(truncate(path, file_size() - 28), 0);
  char err[256];
  int rc;
  assert_int_equal(read_back(&rc, err, sizeof err), 100);
  assert_int_equal(rc, -1);
  assert_non_null(strstr(err, "truncated"));
}

static void a_newer_format_version_is_refused(void **state) {
  (void)state;
  write_file(TRACE_CLASSES_ALL, 10);
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, 8, SEEK_SET);
  fputc(TRACE_FORMAT_VERSION + 1, f);
  fclose(f);
  char err[256];
  assert_null(trace_reader_open(path, err, sizeof err));
  assert_non_null(strstr(err, "is newer than this ringlab reads"));
}

static void a_foreign_file_is_refused(void **state) {
  (void)state;
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs("{\"schema\": 1}\n", f);
  fclose(f);
  char err[256];
  assert_null(trace_reader_open(path, err, sizeof err));
  assert_non_null(strstr(err, "not a ringlab trace"));
}

static void class_lists_parse_and_reject_unknown_names(void **state) {
  (void)state;
  uint32_t m;
  char err[256];
  assert_int_equal(trace_classes_parse("cpu,tlb", &m, err, sizeof err), 0);
  assert_int_equal(m, (1u << TRACE_CLASS_cpu) | (1u << TRACE_CLASS_tlb));
  assert_int_equal(trace_classes_parse("cpu,rings", &m, err, sizeof err), -1);
  assert_non_null(strstr(err, "'rings'"));
  assert_int_equal(trace_classes_parse("", &m, err, sizeof err), -1);
}

/* ---- version 3: the per-event part, sites, determinism ---- */

static void same_record(const struct trace_record *a, const struct trace_record *b) {
  assert_int_equal(a->cycle, b->cycle);
  assert_int_equal(a->slot, b->slot);
  assert_int_equal(a->cpu, b->cpu);
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

static unsigned count_names(const char *names) {
  unsigned n = 0;
  for (const char *p = names; *p; p++)
    if (*p != ' ' && (p == names || p[-1] == ' '))
      n++;
  return n;
}

/* Record k of a stream over every recorded row with fields: all its fields
 * (small, large, all ones), a few sites with bytes, big and zero cycle
 * steps. */
static unsigned n_field_rows;
static enum trace_event field_rows[64];

static void find_field_rows(void) {
  n_field_rows = 0;
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++) {
    enum trace_event e = (enum trace_event)trace_event_at(r);
    if (trace_event_recorded(e) && *trace_event_fields(e))
      field_rows[n_field_rows++] = e;
  }
}

static struct trace_record field_record(unsigned k) {
  static const uint32_t values[] = {0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0xC0101000u, 0xFFFFFFFFu};
  enum trace_event e = field_rows[k % n_field_rows];
  struct trace_record r = {.cycle = 5000000000ull + (k / 3) * 977ull + (k % 7 == 0 ? 1ull << 40 : 0),
                           .slot = (uint16_t)(e + (e == TRACE_EV_exception ? 14 : 0)),
                           .cpl = (uint8_t)(k % 3 == 0 ? 3 : 0),
                           .cs = (uint16_t)(k % 3 == 0 ? 0x1B : 0x08),
                           .eip = 0xC0100000u + (k % 5) * 0x11u,
                           .flags = TRACE_REC_CODE32,
                           .insn_len = (uint8_t)(1 + k % 5)};
  for (unsigned b = 0; b < r.insn_len; b++)
    r.insn[b] = (uint8_t)(0x90 + k % 5 + b);
  r.n_fields = (uint8_t)count_names(trace_event_fields(e));
  for (unsigned f = 0; f < r.n_fields; f++)
    r.field[f] = values[(k + f) % 8];
  return r;
}

static void every_recorded_row_round_trips_with_all_its_fields(void **state) {
  (void)state;
  find_field_rows();
  /* the rows committed with fields: ring, CR writes, flushes, TLB misses, walks, A/D */
  static const enum trace_event must[] = {TRACE_EV_ring,           TRACE_EV_cr_write,         TRACE_EV_cr3_write,
                                          TRACE_EV_tlb_flush_cr3,  TRACE_EV_tlb_flush_invlpg, TRACE_EV_itlb_miss,
                                          TRACE_EV_dtlb_miss,      TRACE_EV_page_walk,        TRACE_EV_ad_update};
  for (unsigned m = 0; m < sizeof must / sizeof must[0]; m++) {
    bool found = false;
    for (unsigned k = 0; k < n_field_rows; k++)
      found |= field_rows[k] == must[m];
    assert_true(found);
  }
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  const unsigned n = 2 * BLOCK_RECORDS + 77; /* sites defined again in every block */
  for (unsigned k = 0; k < n; k++) {
    struct trace_record r = field_record(k);
    assert_int_equal(trace_writer_add(w, &r), 0);
  }
  assert_int_equal(trace_writer_finish(w, 9000000000ull, err, sizeof err), 0);
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(trace_reader_version(r), 3);
  struct trace_record got;
  unsigned k = 0;
  while (trace_reader_next(r, &got, err, sizeof err) == 1) {
    struct trace_record want = field_record(k++);
    same_record(&got, &want);
  }
  assert_int_equal(k, n);
  assert_int_equal(trace_reader_total_records(r), n);
  trace_reader_close(r);
}

/* The block header's U (uncompressed bytes) of block 1. */
static uint32_t first_block_bytes(void) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  unsigned char h[16];
  assert_int_equal(fread(h, 1, 16, f), 16);
  uint32_t t = (uint32_t)h[12] | (uint32_t)h[13] << 8 | (uint32_t)h[14] << 16 | (uint32_t)h[15] << 24;
  fseek(f, 16 + (long)t + 4 + 8, SEEK_SET);
  unsigned char u[4];
  assert_int_equal(fread(u, 1, 4, f), 4);
  fclose(f);
  return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void a_site_is_stored_once_a_block_and_named_after(void **state) {
  (void)state;
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  struct trace_record r = {.cycle = 100, .slot = TRACE_EV_softint + 0x80, .cpl = 3, .cs = 0x1B, .eip = 0x401000,
                           .flags = TRACE_REC_CODE32, .insn_len = 2, .insn = {0xCD, 0x80}};
  for (unsigned k = 0; k < 1000; k++) {
    r.cycle += 50;
    assert_int_equal(trace_writer_add(w, &r), 0);
  }
  assert_int_equal(trace_writer_finish(w, 100000, err, sizeof err), 0);
  /* one site definition (head 2 bytes: softint.128's slot is above 15;
   * delta 1; site 0; 10 + 2), then 4 bytes a record: head, delta, site */
  assert_int_equal(first_block_bytes(), 16 + 999 * 4);
}

static void changed_bytes_at_one_address_are_a_new_site(void **state) {
  (void)state;
  char err[256];
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  struct trace_record a = {.cycle = 10, .slot = TRACE_EV_iret, .cs = 0x08, .eip = 0x1000, .flags = TRACE_REC_CODE32,
                           .insn_len = 1, .insn = {0xCF}};
  struct trace_record b = a; /* the code at 0x1000 rewritten: INT3 */
  b.insn[0] = 0xCC;
  b.slot = TRACE_EV_exception + 3;
  struct trace_record c = a; /* same bytes, another CPL */
  c.cpl = 3;
  c.cs = 0x1B;
  const struct trace_record *seq[] = {&a, &b, &a, &c, &b};
  for (unsigned k = 0; k < 5; k++)
    assert_int_equal(trace_writer_add(w, seq[k]), 0);
  assert_int_equal(trace_writer_finish(w, 20, err, sizeof err), 0);
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  struct trace_record got;
  for (unsigned k = 0; k < 5; k++) {
    assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 1);
    same_record(&got, seq[k]);
  }
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 0);
  trace_reader_close(r);
}

static unsigned char *slurp(const char *p, long *n) {
  FILE *f = fopen(p, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)*n);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)*n, f), (size_t)*n);
  fclose(f);
  return b;
}

/* Blocks are cut by count and compressed on the writer's thread: the bytes
 * must not depend on its timing. Many blocks, written twice. */
static void the_writer_thread_leaves_the_file_byte_identical(void **state) {
  (void)state;
  find_field_rows();
  char err[256], first[80];
  snprintf(first, sizeof first, "%s.first", path);
  long n[2];
  unsigned char *bytes[2];
  for (int run = 0; run < 2; run++) {
    struct trace_writer *w = trace_writer_open(run ? path : first, &info, TRACE_CLASSES_ALL, err, sizeof err);
    assert_non_null(w);
    for (unsigned k = 0; k < 12 * BLOCK_RECORDS + 5; k++) {
      struct trace_record r = field_record(k);
      assert_int_equal(trace_writer_add(w, &r), 0);
    }
    assert_int_equal(trace_writer_finish(w, 1, err, sizeof err), 0);
    bytes[run] = slurp(run ? path : first, &n[run]);
  }
  remove(first);
  assert_int_equal(n[0], n[1]);
  assert_memory_equal(bytes[0], bytes[1], (size_t)n[0]);
  free(bytes[0]);
  free(bytes[1]);
}

static void an_aborted_writer_with_blocks_queued_leaves_no_file(void **state) {
  (void)state;
  find_field_rows();
  char err[256], tmp[80];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  struct trace_writer *w = trace_writer_open(path, &info, TRACE_CLASSES_ALL, err, sizeof err);
  assert_non_null(w);
  for (unsigned k = 0; k < 5 * BLOCK_RECORDS; k++) {
    struct trace_record r = field_record(k);
    trace_writer_add(w, &r);
  }
  trace_writer_abort(w);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(access(tmp, F_OK), -1);
}

/* ---- hand-made files: a version 2 file, a malformed version 3 block ---- */

static void put32(unsigned char *p, uint32_t v) {
  for (int k = 0; k < 4; k++)
    p[k] = (unsigned char)(v >> (8 * k));
}
static void put64(unsigned char *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

/* Writes a file of format `version` with this writer's header text and one
 * block of `count` records (recs, ulen bytes, as that version lays them). */
static void write_handmade(unsigned version, const unsigned char *recs, uint32_t ulen, uint32_t count,
                           uint64_t first_cycle) {
  write_file(TRACE_CLASSES_ALL, 0); /* for its header text */
  long n;
  unsigned char *f0 = slurp(path, &n);
  uint32_t t = (uint32_t)f0[12] | (uint32_t)f0[13] << 8 | (uint32_t)f0[14] << 16 | (uint32_t)f0[15] << 24;
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  put32(f0 + 8, version);
  fwrite(f0, 1, 16 + t + 4, f);
  free(f0);
  uLongf zl = compressBound(ulen);
  unsigned char *z = malloc(zl);
  assert_non_null(z);
  assert_int_equal(compress2(z, &zl, recs, ulen, 1), Z_OK);
  unsigned char b[28];
  memcpy(b, "RLBK", 4);
  put32(b + 4, (uint32_t)zl);
  put32(b + 8, ulen);
  put32(b + 12, count);
  put64(b + 16, first_cycle);
  put32(b + 24, (uint32_t)crc32(0L, recs, ulen));
  fwrite(b, 1, sizeof b, f);
  fwrite(z, 1, zl, f);
  free(z);
  unsigned char e[28];
  memcpy(e, "RLEN", 4);
  put32(e + 4, 1);
  put64(e + 8, count);
  put64(e + 16, first_cycle + 1000);
  put32(e + 24, (uint32_t)crc32(0L, e, 24));
  fwrite(e, 1, sizeof e, f);
  fclose(f);
}

static void a_version_2_file_still_reads(void **state) {
  (void)state;
  /* two records as the version 2 writer laid them: 20 fixed bytes, flags,
   * B, the bytes, N, the fields */
  unsigned char recs[64] = {0};
  size_t at = 0;
  put64(recs, 777);
  recs[8] = (unsigned char)(TRACE_EV_cr_write & 0xFF);
  recs[9] = (unsigned char)(TRACE_EV_cr_write >> 8);
  recs[12] = 0x08;
  put32(recs + 14, 0x100228);
  recs[18] = 3 + 3 + 12; /* F */
  recs[20] = TRACE_REC_CODE32;
  recs[21] = 3;
  recs[22] = 0x0F;
  recs[23] = 0x22;
  recs[24] = 0xD9;
  recs[25] = 3;
  put32(recs + 26, 3);
  put32(recs + 30, 0);
  put32(recs + 34, 0x10C000);
  at = 38;
  put64(recs + at, 900);
  recs[at + 8] = (unsigned char)(TRACE_EV_iret & 0xFF);
  recs[at + 9] = (unsigned char)(TRACE_EV_iret >> 8);
  recs[at + 11] = 3;
  recs[at + 12] = 0x1B;
  put32(recs + at + 14, 0x401000);
  recs[at + 18] = 3; /* no bytes, no fields */
  at += 23;
  write_handmade(2, recs, (uint32_t)at, 2, 777);
  char err[256];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(trace_reader_version(r), 2);
  struct trace_record got;
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 1);
  struct trace_record want = {.cycle = 777, .slot = TRACE_EV_cr_write, .cs = 0x08, .eip = 0x100228,
                              .flags = TRACE_REC_CODE32, .insn_len = 3, .insn = {0x0F, 0x22, 0xD9},
                              .n_fields = 3, .field = {3, 0, 0x10C000}};
  same_record(&got, &want);
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 1);
  struct trace_record want2 = {.cycle = 900, .slot = TRACE_EV_iret, .cpl = 3, .cs = 0x1B, .eip = 0x401000};
  same_record(&got, &want2);
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 0);
  trace_reader_close(r);
}

/* A block whose zlib data and CRC-32 are good but whose records are not:
 * refused whole, naming the block. */
static void a_version_3_block_that_does_not_decode_is_corrupted(void **state) {
  (void)state;
  /* slot 0 (exception.0): a one-byte head, 0 | N */
  static const struct {
    unsigned char bytes[16];
    uint32_t len, count;
  } bad[] = {
      {{0, 0, 2}, 3, 1},                                  /* site 2 of none */
      {{0, 0, 0, 0, 0}, 5, 1},                            /* new site cut short */
      {{5, 0, 0}, 3, 1},                                  /* 5 fields */
      {{0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 13, 1},    /* first delta not 0 */
      {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA}, 14, 1}, /* bytes left over */
      {{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}, 14, 1}, /* a field's varint cut short */
  };
  for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    write_handmade(3, bad[k].bytes, bad[k].len, bad[k].count, 1000);
    char err[256];
    int rc;
    struct trace_reader *r = trace_reader_open(path, err, sizeof err);
    assert_non_null(r);
    struct trace_record got;
    rc = trace_reader_next(r, &got, err, sizeof err);
    trace_reader_close(r);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "block 1: corrupted"));
  }
  /* and the same bytes well formed read: exception.0 with one field */
  static const unsigned char good[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0x01};
  write_handmade(3, good, sizeof good, 1, 1000);
  char err[256];
  struct trace_reader *r = trace_reader_open(path, err, sizeof err);
  assert_non_null(r);
  struct trace_record got;
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 1);
  assert_int_equal(got.cycle, 1000);
  assert_int_equal(got.n_fields, 1);
  assert_int_equal(got.field[0], 0x81);
  assert_int_equal(trace_reader_next(r, &got, err, sizeof err), 0);
  trace_reader_close(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(records_read_back_equal_with_header_and_totals, setup, teardown),
      cmocka_unit_test_setup_teardown(an_empty_trace_is_complete, setup, teardown),
      cmocka_unit_test_setup_teardown(the_class_filter_drops_records_at_write_time, setup, teardown),
      cmocka_unit_test_setup_teardown(the_file_appears_only_when_finished, setup, teardown),
      cmocka_unit_test_setup_teardown(a_truncated_file_names_the_block_after_the_good_records, setup, teardown),
      cmocka_unit_test_setup_teardown(a_flipped_byte_names_the_corrupted_block, setup, teardown),
      cmocka_unit_test_setup_teardown(a_file_without_its_end_block_is_truncated, setup, teardown),
      cmocka_unit_test_setup_teardown(a_newer_format_version_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(a_foreign_file_is_refused, setup, teardown),
      cmocka_unit_test(class_lists_parse_and_reject_unknown_names),
      cmocka_unit_test_setup_teardown(every_recorded_row_round_trips_with_all_its_fields, setup, teardown),
      cmocka_unit_test_setup_teardown(a_site_is_stored_once_a_block_and_named_after, setup, teardown),
      cmocka_unit_test_setup_teardown(changed_bytes_at_one_address_are_a_new_site, setup, teardown),
      cmocka_unit_test_setup_teardown(the_writer_thread_leaves_the_file_byte_identical, setup, teardown),
      cmocka_unit_test_setup_teardown(an_aborted_writer_with_blocks_queued_leaves_no_file, setup, teardown),
      cmocka_unit_test_setup_teardown(a_version_2_file_still_reads, setup, teardown),
      cmocka_unit_test_setup_teardown(a_version_3_block_that_does_not_decode_is_corrupted, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
