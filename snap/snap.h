/* snap/snap.h - the bytes of a snapshot's sections: a growing buffer to
 * write little-endian fields into, and a reader over one that never reads
 * past its end. Header only, no dependencies: cpu/, mmu/ and devices/ write
 * and read their own state with it (cpu_save, mmu_save, dev_*_save), and
 * machine/snapshot.c makes the file of their sections.
 *
 * A reader that runs short, or that a loader finds a wrong value in
 * (snap_fail), stays failed: every later read gives 0, so a loader reads
 * all its fields and asks snap_ok once at the end.
 */
#ifndef RINGLAB_SNAP_H
#define RINGLAB_SNAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct snap_writer {
  uint8_t *buf;
  size_t len, cap;
  bool failed; /* out of memory */
};

static inline void snap_put_bytes(struct snap_writer *w, const void *p, size_t n) {
  if (w->failed)
    return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + n)
      cap *= 2;
    uint8_t *b = (uint8_t *)realloc(w->buf, cap);
    if (!b) {
      w->failed = true;
      return;
    }
    w->buf = b;
    w->cap = cap;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

static inline void snap_put_u64(struct snap_writer *w, uint64_t v) {
  uint8_t b[8];
  for (int k = 0; k < 8; k++)
    b[k] = (uint8_t)(v >> (8 * k));
  snap_put_bytes(w, b, 8);
}
static inline void snap_put_u32(struct snap_writer *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  snap_put_bytes(w, b, 4);
}
static inline void snap_put_u16(struct snap_writer *w, uint16_t v) {
  uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  snap_put_bytes(w, b, 2);
}
static inline void snap_put_u8(struct snap_writer *w, uint8_t v) { snap_put_bytes(w, &v, 1); }
static inline void snap_put_bool(struct snap_writer *w, bool v) { snap_put_u8(w, v ? 1 : 0); }

static inline void snap_writer_free(struct snap_writer *w) {
  free(w->buf);
  *w = (struct snap_writer){0};
}

struct snap_reader {
  const uint8_t *p;
  size_t len, pos;
  bool failed;
  char why[160]; /* the first failure */
};

static inline struct snap_reader snap_reader_of(const void *p, size_t len) {
  struct snap_reader r = {.p = (const uint8_t *)p, .len = len};
  return r;
}

static inline void snap_fail(struct snap_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void snap_fail(struct snap_reader *r, const char *fmt, ...) {
  if (r->failed)
    return;
  r->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->why, sizeof r->why, fmt, ap);
  va_end(ap);
}

static inline bool snap_get_bytes(struct snap_reader *r, void *out, size_t n) {
  if (r->failed || r->len - r->pos < n) {
    snap_fail(r, "cut short");
    memset(out, 0, n);
    return false;
  }
  memcpy(out, r->p + r->pos, n);
  r->pos += n;
  return true;
}

static inline uint64_t snap_get_u64(struct snap_reader *r) {
  uint8_t b[8];
  snap_get_bytes(r, b, 8);
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--)
    v = v << 8 | b[k];
  return v;
}
static inline uint32_t snap_get_u32(struct snap_reader *r) {
  uint8_t b[4];
  snap_get_bytes(r, b, 4);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint16_t snap_get_u16(struct snap_reader *r) {
  uint8_t b[2];
  snap_get_bytes(r, b, 2);
  return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint8_t snap_get_u8(struct snap_reader *r) {
  uint8_t b;
  snap_get_bytes(r, &b, 1);
  return b;
}
static inline bool snap_get_bool(struct snap_reader *r) {
  uint8_t v = snap_get_u8(r);
  if (v > 1)
    snap_fail(r, "a flag is %u", v);
  return v == 1;
}

static inline bool snap_ok(const struct snap_reader *r) { return !r->failed; }

/* A chip's state as it lies in memory, for the build that wrote it: the
 * struct's size first (another layout is refused), then its bytes. The
 * loader then puts back what is wiring, not state (callbacks, pointers). */
static inline void snap_put_struct(struct snap_writer *w, const void *p, size_t n) {
  snap_put_u32(w, (uint32_t)n);
  snap_put_bytes(w, p, n);
}
static inline bool snap_get_struct(struct snap_reader *r, void *out, size_t n, const char *what) {
  uint32_t got = snap_get_u32(r);
  if (!r->failed && got != n) {
    snap_fail(r, "%s: %u bytes of state, this build's is %zu (another ringlab made it)", what, got, n);
    return false;
  }
  return snap_get_bytes(r, out, n);
}

#endif
