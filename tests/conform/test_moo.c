/* tests/conform/test_moo.c - the MOO reader on files built here.
 *
 * A tiny MOO image (header, META, top-level RMSK, two tests with GMET,
 * QUEU, EXCP and a FINA RMSK) is assembled byte by byte, then parsed from
 * memory and from a gzip file; damaged copies of it must be rejected with a
 * message naming the file and the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "moo.h"

struct buf {
  uint8_t b[4096];
  size_t n;
};

static void put8(struct buf *b, uint8_t v) {
  assert_true(b->n < sizeof b->b);
  b->b[b->n++] = v;
}
static void put16(struct buf *b, uint16_t v) {
  put8(b, (uint8_t)v);
  put8(b, (uint8_t)(v >> 8));
}
static void put32(struct buf *b, uint32_t v) {
  put16(b, (uint16_t)v);
  put16(b, (uint16_t)(v >> 16));
}
static void put_bytes(struct buf *b, const void *p, size_t n) {
  for (size_t k = 0; k < n; k++)
    put8(b, ((const uint8_t *)p)[k]);
}

/* Opens a chunk; returns where its length goes for chunk_end(). */
static size_t chunk_begin(struct buf *b, const char id[4]) {
  put_bytes(b, id, 4);
  put32(b, 0);
  return b->n;
}
static void chunk_end(struct buf *b, size_t start) {
  uint32_t len = (uint32_t)(b->n - start);
  for (int k = 0; k < 4; k++)
    b->b[start - 4 + k] = (uint8_t)(len >> (8 * k));
}

static void put_regs(struct buf *b, const char id[4], uint16_t present, const uint16_t *values) {
  size_t c = chunk_begin(b, id);
  put16(b, present);
  for (int r = 0; r < MOO_NREGS; r++)
    if (present >> r & 1)
      put16(b, values[r]);
  chunk_end(b, c);
}

static void put_ram(struct buf *b, uint32_t n, const uint32_t *addr, const uint8_t *val) {
  size_t c = chunk_begin(b, "RAM ");
  put32(b, n);
  for (uint32_t k = 0; k < n; k++) {
    put32(b, addr[k]);
    put8(b, val[k]);
  }
  chunk_end(b, c);
}

static const uint16_t init_regs[MOO_NREGS] = {0x1111, 0x2222, 0x3333, 0x4444, 0xF000,
                                              0x2000, 0x3000, 0x4000, 0xFFFE, 0x5555,
                                              0x6666, 0x7777, 0x0100, 0xF0D7};

/* Offsets into the image, for the tests that damage it. */
struct layout {
  size_t first_test;  /* start of the first TEST chunk header */
  size_t name_chunk;  /* start of that test's NAME chunk header */
};

static void put_test(struct buf *b, uint32_t index, bool excp, struct layout *lay) {
  if (lay)
    lay->first_test = b->n;
  size_t t = chunk_begin(b, "TEST");
  put32(b, index);
  size_t c = chunk_begin(b, "GMET"); /* undocumented: skipped */
  put32(b, 0xDEADBEEF);
  chunk_end(b, c);
  if (lay)
    lay->name_chunk = b->n;
  c = chunk_begin(b, "NAME");
  put32(b, 7);
  put_bytes(b, "add al,", 7);
  chunk_end(b, c);
  c = chunk_begin(b, "BYTS");
  put32(b, 3);
  put_bytes(b, "\x04\x01\xF4", 3);
  chunk_end(b, c);

  size_t s = chunk_begin(b, "INIT");
  put_regs(b, "REGS", 0x3FFF, init_regs);
  uint32_t addr[] = {0xF0100, 0xF0101, 0xF0102};
  uint8_t val[] = {0x04, 0x01, 0xF4};
  put_ram(b, 3, addr, val);
  c = chunk_begin(b, "QUEU");
  put32(b, 0);
  chunk_end(b, c);
  chunk_end(b, s);

  s = chunk_begin(b, "FINA");
  uint16_t fina[MOO_NREGS] = {[MOO_AX] = 0x1112, [MOO_IP] = 0x0103, [MOO_FLAGS] = 0x0002};
  put_regs(b, "REGS", 1u << MOO_AX | 1u << MOO_IP | 1u << MOO_FLAGS, fina);
  uint16_t mask[MOO_NREGS] = {[MOO_FLAGS] = 0xFFEF};
  put_regs(b, "RMSK", 1u << MOO_FLAGS, mask);
  put_ram(b, 3, addr, val);
  chunk_end(b, s);

  if (excp) {
    c = chunk_begin(b, "EXCP");
    put8(b, 6);
    put32(b, 0x2FFFC);
    chunk_end(b, c);
  }
  c = chunk_begin(b, "HASH");
  for (int k = 0; k < MOO_HASH_BYTES; k++)
    put8(b, (uint8_t)(0xA0 + k));
  chunk_end(b, c);
  chunk_end(b, t);
}

static void build_good(struct buf *b, struct layout *lay) {
  b->n = 0;
  size_t c = chunk_begin(b, "MOO ");
  put8(b, 1);
  put8(b, 1);
  put16(b, 0);
  put32(b, 2);
  put_bytes(b, "C286", 4);
  chunk_end(b, c);
  c = chunk_begin(b, "META");
  put8(b, 1);
  put8(b, 0);
  put8(b, 6);
  put32(b, 0x04);
  put_bytes(b, "add     ", 8);
  put32(b, 2);
  put32(b, 0x12345678);
  put32(b, 0x9ABCDEF0);
  put8(b, 0);
  put_bytes(b, "\0\0\0", 3);
  chunk_end(b, c);
  uint16_t mask[MOO_NREGS] = {[MOO_SP] = 0xFFFE};
  put_regs(b, "RMSK", 1u << MOO_SP, mask);
  put_test(b, 0, false, lay);
  put_test(b, 1, true, NULL);
}

static struct moo_file *parse(const struct buf *b, char *err, size_t n) {
  return moo_parse(b->b, b->n, "tiny.MOO", err, n);
}

static void a_good_image_parses_into_every_field(void **state) {
  struct buf b;
  char err[256] = "";
  build_good(&b, NULL);
  struct moo_file *f = parse(&b, err, sizeof err);
  assert_non_null(f);
  assert_int_equal(f->major, 1);
  assert_int_equal(f->test_count, 2);
  assert_string_equal(f->cpu_id, "C286");
  assert_true(f->has_meta);
  assert_int_equal(f->meta.opcode, 0x04);
  assert_string_equal(f->meta.mnemonic, "add     ");
  assert_int_equal(f->meta.test_count, 2);
  assert_true(f->meta.seed == 0x9ABCDEF012345678ull);
  assert_true(f->has_rmsk);
  assert_int_equal(f->rmsk.present, 1u << MOO_SP);
  assert_int_equal(f->rmsk.value[MOO_SP], 0xFFFE);
  assert_int_equal(f->n_tests, 2);

  const struct moo_test *t = &f->tests[0];
  assert_int_equal(t->index, 0);
  assert_string_equal(t->name, "add al,");
  assert_int_equal(t->n_bytes, 3);
  assert_memory_equal(t->bytes, "\x04\x01\xF4", 3);
  assert_int_equal(t->init.regs.present, 0x3FFF);
  for (int r = 0; r < MOO_NREGS; r++)
    assert_int_equal(t->init.regs.value[r], init_regs[r]);
  assert_int_equal(t->init.n_ram, 3);
  assert_int_equal(t->init.ram[2].addr, 0xF0102);
  assert_int_equal(t->init.ram[2].value, 0xF4);
  assert_int_equal(t->fina.regs.present, 1u << MOO_AX | 1u << MOO_IP | 1u << MOO_FLAGS);
  assert_int_equal(t->fina.regs.value[MOO_AX], 0x1112);
  assert_int_equal(t->fina.regs.value[MOO_IP], 0x0103);
  assert_true(t->fina.has_rmsk);
  assert_int_equal(t->fina.rmsk.value[MOO_FLAGS], 0xFFEF);
  assert_false(t->has_excp);
  char hex[2 * MOO_HASH_BYTES + 1];
  moo_hash_hex(t->hash, hex);
  assert_string_equal(hex, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");

  assert_true(f->tests[1].has_excp);
  assert_int_equal(f->tests[1].excp_number, 6);
  assert_int_equal(f->tests[1].excp_flags_addr, 0x2FFFC);
  moo_free(f);
}

static void a_gzip_file_loads_like_the_image(void **state) {
  struct buf b;
  char path[] = "/tmp/test_moo_XXXXXX";
  char err[256] = "";
  build_good(&b, NULL);
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  gzFile gz = gzopen(path, "wb");
  assert_non_null(gz);
  assert_int_equal(gzwrite(gz, b.b, (unsigned)b.n), (int)b.n);
  assert_int_equal(gzclose(gz), Z_OK);
  struct moo_file *f = moo_load(path, err, sizeof err);
  assert_non_null(f);
  assert_int_equal(f->n_tests, 2);
  assert_string_equal(f->tests[1].name, "add al,");
  moo_free(f);

  /* The same file cut short inside the gzip stream. */
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  uint8_t z[4096];
  size_t zn = fread(z, 1, sizeof z, fp);
  fclose(fp);
  fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(z, 1, zn / 2, fp), zn / 2);
  fclose(fp);
  assert_null(moo_load(path, err, sizeof err));
  assert_non_null(strstr(err, path));
  unlink(path);
}

static void a_missing_file_is_an_error_naming_it(void **state) {
  char err[256] = "";
  assert_null(moo_load("/nonexistent/dir/x.MOO.gz", err, sizeof err));
  assert_non_null(strstr(err, "/nonexistent/dir/x.MOO.gz: cannot open"));
}

static void a_bad_magic_is_rejected(void **state) {
  struct buf b;
  char err[256] = "";
  build_good(&b, NULL);
  memcpy(b.b, "MOOX", 4);
  assert_null(parse(&b, err, sizeof err));
  assert_non_null(strstr(err, "tiny.MOO: "));
  assert_non_null(strstr(err, "not a MOO file"));
}

static void a_chunk_cut_short_is_rejected(void **state) {
  struct buf b;
  char err[256] = "";
  struct layout lay;
  build_good(&b, &lay);
  b.n = lay.name_chunk + 10; /* inside the first test's NAME */
  assert_null(parse(&b, err, sizeof err));
  assert_non_null(strstr(err, "tiny.MOO: "));
  assert_non_null(strstr(err, "runs past the end"));
}

static void a_length_past_the_parent_is_rejected(void **state) {
  struct buf b;
  char err[256] = "";
  struct layout lay;
  build_good(&b, &lay);
  b.b[lay.name_chunk + 4] = 0xFF; /* NAME longer than its TEST */
  b.b[lay.name_chunk + 5] = 0xFF;
  assert_null(parse(&b, err, sizeof err));
  assert_non_null(strstr(err, "tiny.MOO: test 0: chunk 'NAME' length"));
}

static void a_count_that_disagrees_with_the_header_is_rejected(void **state) {
  struct buf b;
  char err[256] = "";
  build_good(&b, NULL);
  b.b[12] = 3; /* header test count */
  assert_null(parse(&b, err, sizeof err));
  assert_non_null(strstr(err, "header says 3 tests, file holds 2"));
}

static void a_name_length_that_disagrees_with_its_chunk_is_rejected(void **state) {
  struct buf b;
  char err[256] = "";
  struct layout lay;
  build_good(&b, &lay);
  b.b[lay.name_chunk + 8] = 200; /* NAME's own length field */
  assert_null(parse(&b, err, sizeof err));
  assert_non_null(strstr(err, "NAME: length 200"));
}

static void every_prefix_of_the_image_is_rejected_without_a_crash(void **state) {
  struct buf b;
  char err[256];
  build_good(&b, NULL);
  for (size_t n = 0; n < b.n; n++) {
    err[0] = 0;
    struct moo_file *f = moo_parse(b.b, n, "cut", err, sizeof err);
    assert_null(f);
    assert_int_equal(strncmp(err, "cut: ", 5), 0);
  }
}

static void every_single_byte_change_parses_or_fails_cleanly(void **state) {
  struct buf b, d;
  char err[256];
  build_good(&b, NULL);
  for (size_t k = 0; k < b.n; k++)
    for (int v = 0; v < 256; v += 51) {
      d = b;
      d.b[k] = (uint8_t)v;
      err[0] = 0;
      struct moo_file *f = moo_parse(d.b, d.n, "flip", err, sizeof err);
      if (f)
        moo_free(f);
      else
        assert_int_equal(strncmp(err, "flip: ", 6), 0);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_good_image_parses_into_every_field),
      cmocka_unit_test(a_gzip_file_loads_like_the_image),
      cmocka_unit_test(a_missing_file_is_an_error_naming_it),
      cmocka_unit_test(a_bad_magic_is_rejected),
      cmocka_unit_test(a_chunk_cut_short_is_rejected),
      cmocka_unit_test(a_length_past_the_parent_is_rejected),
      cmocka_unit_test(a_count_that_disagrees_with_the_header_is_rejected),
      cmocka_unit_test(a_name_length_that_disagrees_with_its_chunk_is_rejected),
      cmocka_unit_test(every_prefix_of_the_image_is_rejected_without_a_crash),
      cmocka_unit_test(every_single_byte_change_parses_or_fails_cleanly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
