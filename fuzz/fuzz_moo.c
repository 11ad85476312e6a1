/* fuzz/fuzz_moo.c - libFuzzer harness for the MOO test-vector reader.
 *
 * Checks DESIGN.md rule 3 on conform/moo.c: whatever the bytes, the reader
 * returns either a file whose every array holds what its count says, or
 * NULL with a one-line message naming the file; it never reads out of
 * bounds, leaks (LeakSanitizer) or runs into undefined behavior.
 *
 * Inputs that start with the gzip magic (1f 8b) also go through moo_load(),
 * from a memfd, so that zlib's error paths (bad header, truncated stream,
 * bad CRC) are reached; every input goes through moo_parse().
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "moo.h"

static const char *const NAME = "fuzz.moo";

/* Reads every byte the result claims to hold, so ASan sees a wrong count. */
static unsigned touch_state(const struct moo_state *st) {
  unsigned sum = st->regs.present ^ st->rmsk.present;
  if (!st->ram)
    abort(); /* the reader always allocates the RAM list */
  for (uint32_t k = 0; k < st->n_ram; k++)
    sum += st->ram[k].addr + st->ram[k].value;
  for (int r = 0; r < MOO_NREGS; r++)
    sum += st->regs.value[r] + st->rmsk.value[r];
  return sum;
}

static void check_result(struct moo_file *f, const char *err) {
  if (!f) {
    size_t n = strnlen(err, 512);
    if (n == 0 || n >= 512 || strchr(err, '\n'))
      abort(); /* a failure must say why, on one line */
    if (strncmp(err, NAME, strlen(NAME)) != 0 && strstr(err, "/proc/self/fd/") != err)
      abort(); /* ... naming the file */
    return;
  }
  if (f->n_tests != f->test_count || (f->n_tests && !f->tests))
    abort();
  if (strlen(f->cpu_id) != 4)
    abort();
  volatile unsigned sum = 0;
  for (uint32_t t = 0; t < f->n_tests; t++) {
    const struct moo_test *test = &f->tests[t];
    if (!test->name || !test->bytes || test->n_bytes == 0)
      abort();
    sum += (unsigned)strlen(test->name);
    for (uint32_t k = 0; k < test->n_bytes; k++)
      sum += test->bytes[k];
    sum += touch_state(&test->init) + touch_state(&test->fina);
    char hex[2 * MOO_HASH_BYTES + 1];
    moo_hash_hex(test->hash, hex);
    sum += (unsigned)strlen(hex);
  }
  for (int r = 0; r < MOO_NREGS; r++)
    sum += (unsigned)strlen(moo_reg_name((enum moo_reg)r));
  (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512];
  err[0] = 0;
  struct moo_file *f = moo_parse(data, size, NAME, err, sizeof err);
  check_result(f, err);
  moo_free(f);

  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    int fd = memfd_create("fuzz_moo", 0);
    if (fd < 0)
      abort();
    size_t done = 0;
    while (done < size) {
      ssize_t w = write(fd, data + done, size - done);
      if (w <= 0)
        abort();
      done += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    err[0] = 0;
    f = moo_load(path, err, sizeof err);
    check_result(f, err);
    moo_free(f);
    close(fd);
  }
  return 0;
}
