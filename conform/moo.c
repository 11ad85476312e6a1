/* conform/moo.c - parsing MOO test files; see moo.h for the layout.
 *
 * Parsing is a walk over nested byte ranges (struct span). Every read goes
 * through span_take(), which checks the length left, and the first failure
 * records one message in struct parser and makes every later step fail, so
 * the callers only propagate false.
 */
#include "moo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MOO_MAX_FILE_BYTES (1u << 30) /* refuse to inflate more than 1 GiB */

struct span {
  const uint8_t *p;
  size_t n;  /* bytes left */
};

struct parser {
  const char *name;  /* file name for messages */
  char *err;
  size_t err_bytes;
  bool failed;
  const char *where; /* "test 12" or "header", for messages */
  char where_buf[32];
};

static bool fail(struct parser *ps, const char *fmt, ...) {
  if (ps->failed)
    return false;
  ps->failed = true;
  if (ps->err && ps->err_bytes) {
    char reason[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->err_bytes, "%s: %s%s%s", ps->name, ps->where ? ps->where : "",
             ps->where ? ": " : "", reason);
  }
  return false;
}

static bool span_take(struct parser *ps, struct span *s, size_t n, struct span *out,
                      const char *what) {
  *out = (struct span){NULL, 0};
  if (s->n < n)
    return fail(ps, "%s: needs %zu bytes, %zu left", what, n, s->n);
  out->p = s->p;
  out->n = n;
  s->p += n;
  s->n -= n;
  return true;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool take_u32(struct parser *ps, struct span *s, uint32_t *v, const char *what) {
  struct span b;
  if (!span_take(ps, s, 4, &b, what))
    return false;
  *v = le32(b.p);
  return true;
}

/* One chunk header and its payload. */
static bool take_chunk(struct parser *ps, struct span *s, char id[5], struct span *payload) {
  struct span h;
  if (!span_take(ps, s, 8, &h, "chunk header"))
    return false;
  memcpy(id, h.p, 4);
  id[4] = 0;
  for (int k = 0; k < 4; k++)
    if (h.p[k] < 0x20 || h.p[k] > 0x7E)
      return fail(ps, "chunk id is not printable ASCII (%02x%02x%02x%02x)", h.p[0], h.p[1],
                  h.p[2], h.p[3]);
  uint32_t len = le32(h.p + 4);
  if (len > s->n)
    return fail(ps, "chunk '%s' length %u runs past the end of its parent (%zu bytes left)", id,
                len, s->n);
  return span_take(ps, s, len, payload, id);
}

static bool id_is(const char id[5], const char *want) { return memcmp(id, want, 4) == 0; }

static bool parse_regs(struct parser *ps, struct span s, struct moo_regs *r, const char *what) {
  struct span b;
  if (!span_take(ps, &s, 2, &b, what))
    return false;
  r->present = le16(b.p);
  if (r->present >> MOO_NREGS)
    return fail(ps, "%s: bitmask 0x%04x names registers beyond flags", what, r->present);
  for (int k = 0; k < MOO_NREGS; k++) {
    r->value[k] = 0;
    if (!(r->present >> k & 1))
      continue;
    if (!span_take(ps, &s, 2, &b, what))
      return false;
    r->value[k] = le16(b.p);
  }
  if (s.n)
    return fail(ps, "%s: %zu bytes beyond the registers its bitmask names", what, s.n);
  return true;
}

static bool parse_ram(struct parser *ps, struct span s, struct moo_state *st) {
  uint32_t count;
  if (!take_u32(ps, &s, &count, "RAM "))
    return false;
  if (s.n / 5 < count || s.n != (size_t)count * 5)
    return fail(ps, "RAM : %u entries need %llu bytes, payload has %zu", count,
                (unsigned long long)count * 5, s.n);
  st->ram = calloc(count ? count : 1, sizeof *st->ram);
  if (!st->ram)
    return fail(ps, "out of memory");
  st->n_ram = count;
  for (uint32_t k = 0; k < count; k++) {
    st->ram[k].addr = le32(s.p + 5 * (size_t)k);
    st->ram[k].value = s.p[5 * (size_t)k + 4];
  }
  return true;
}

/* INIT or FINA. */
static bool parse_state(struct parser *ps, struct span s, struct moo_state *st, const char *what) {
  bool have_regs = false, have_ram = false;
  while (s.n && !ps->failed) {
    char id[5];
    struct span c;
    if (!take_chunk(ps, &s, id, &c))
      return false;
    if (id_is(id, "REGS")) {
      if (have_regs)
        return fail(ps, "%s: two REGS chunks", what);
      have_regs = parse_regs(ps, c, &st->regs, "REGS");
    } else if (id_is(id, "RMSK")) {
      if (st->has_rmsk)
        return fail(ps, "%s: two RMSK chunks", what);
      st->has_rmsk = parse_regs(ps, c, &st->rmsk, "RMSK");
    } else if (id_is(id, "RAM ")) {
      if (have_ram)
        return fail(ps, "%s: two RAM chunks", what);
      have_ram = parse_ram(ps, c, st);
    } /* QUEU and unknown ids: skipped */
  }
  if (ps->failed)
    return false;
  if (!have_regs)
    return fail(ps, "%s has no REGS chunk", what);
  if (!have_ram) {
    st->ram = calloc(1, sizeof *st->ram);
    if (!st->ram)
      return fail(ps, "out of memory");
  }
  return true;
}

/* NAME and BYTS: u32 length, then that many bytes. */
static bool parse_counted(struct parser *ps, struct span s, struct span *out, const char *what) {
  uint32_t len;
  if (!take_u32(ps, &s, &len, what))
    return false;
  if (len != s.n)
    return fail(ps, "%s: length %u but payload holds %zu bytes", what, len, s.n);
  *out = s;
  return true;
}

static bool parse_test(struct parser *ps, struct span s, struct moo_test *t) {
  if (!take_u32(ps, &s, &t->index, "TEST index"))
    return false;
  snprintf(ps->where_buf, sizeof ps->where_buf, "test %u", t->index);
  ps->where = ps->where_buf;
  bool have_name = false, have_bytes = false, have_init = false, have_fina = false;
  bool have_hash = false;
  while (s.n && !ps->failed) {
    char id[5];
    struct span c, v = {NULL, 0};
    if (!take_chunk(ps, &s, id, &c))
      return false;
    if (id_is(id, "NAME")) {
      if (have_name)
        return fail(ps, "two NAME chunks");
      if (!parse_counted(ps, c, &v, "NAME"))
        return false;
      t->name = malloc(v.n + 1);
      if (!t->name)
        return fail(ps, "out of memory");
      memcpy(t->name, v.p, v.n);
      t->name[v.n] = 0;
      have_name = true;
    } else if (id_is(id, "BYTS")) {
      if (have_bytes)
        return fail(ps, "two BYTS chunks");
      if (!parse_counted(ps, c, &v, "BYTS"))
        return false;
      if (v.n == 0)
        return fail(ps, "BYTS is empty");
      t->bytes = malloc(v.n);
      if (!t->bytes)
        return fail(ps, "out of memory");
      memcpy(t->bytes, v.p, v.n);
      t->n_bytes = (uint32_t)v.n;
      have_bytes = true;
    } else if (id_is(id, "INIT")) {
      if (have_init)
        return fail(ps, "two INIT chunks");
      have_init = parse_state(ps, c, &t->init, "INIT");
    } else if (id_is(id, "FINA")) {
      if (have_fina)
        return fail(ps, "two FINA chunks");
      have_fina = parse_state(ps, c, &t->fina, "FINA");
    } else if (id_is(id, "EXCP")) {
      if (t->has_excp)
        return fail(ps, "two EXCP chunks");
      if (c.n != 5)
        return fail(ps, "EXCP payload is %zu bytes, not 5", c.n);
      t->excp_number = c.p[0];
      t->excp_flags_addr = le32(c.p + 1);
      t->has_excp = true;
    } else if (id_is(id, "HASH")) {
      if (have_hash)
        return fail(ps, "two HASH chunks");
      if (c.n != MOO_HASH_BYTES)
        return fail(ps, "HASH payload is %zu bytes, not %d", c.n, MOO_HASH_BYTES);
      memcpy(t->hash, c.p, MOO_HASH_BYTES);
      have_hash = true;
    } /* GMET and unknown ids: skipped */
  }
  if (ps->failed)
    return false;
  if (!have_name) {
    t->name = calloc(1, 1);
    if (!t->name)
      return fail(ps, "out of memory");
  }
  if (!have_bytes)
    return fail(ps, "no BYTS chunk");
  if (!have_init)
    return fail(ps, "no INIT chunk");
  if (!have_fina)
    return fail(ps, "no FINA chunk");
  if (!have_hash)
    return fail(ps, "no HASH chunk");
  if ((t->init.regs.present & 0x3FFF) != 0x3FFF)
    return fail(ps, "INIT REGS lacks registers (bitmask 0x%04x)", t->init.regs.present);
  ps->where = NULL;
  return true;
}

static bool parse_meta(struct parser *ps, struct span s, struct moo_meta *m) {
  if (s.n != 31)
    return fail(ps, "META payload is %zu bytes, not 31", s.n);
  m->major = s.p[0];
  m->minor = s.p[1];
  m->cpu_type = s.p[2];
  m->opcode = le32(s.p + 3);
  memcpy(m->mnemonic, s.p + 7, 8);
  m->mnemonic[8] = 0;
  for (int k = 0; k < 8; k++)
    if (m->mnemonic[k] < 0x20 || m->mnemonic[k] > 0x7E)
      m->mnemonic[k] = '?';
  m->test_count = le32(s.p + 15);
  m->seed = (uint64_t)le32(s.p + 19) | (uint64_t)le32(s.p + 23) << 32;
  m->cpu_mode = s.p[27];
  return true;
}

static bool parse_header(struct parser *ps, struct span *s, struct moo_file *f) {
  char id[5];
  struct span c;
  if (s->n < 4 || memcmp(s->p, "MOO ", 4) != 0)
    return fail(ps, "not a MOO file (no 'MOO ' chunk at the start)");
  if (!take_chunk(ps, s, id, &c))
    return false;
  if (c.n < 12)
    return fail(ps, "MOO header payload is %zu bytes, needs 12", c.n);
  f->major = c.p[0];
  f->minor = c.p[1];
  f->test_count = le32(c.p + 4);
  memcpy(f->cpu_id, c.p + 8, 4);
  f->cpu_id[4] = 0;
  for (int k = 0; k < 4; k++)
    if (f->cpu_id[k] < 0x20 || f->cpu_id[k] > 0x7E)
      f->cpu_id[k] = '?';
  if (f->major != 1)
    return fail(ps, "MOO version %u.%u is not supported (1.x is)", f->major, f->minor);
  return true;
}

struct moo_file *moo_parse(const uint8_t *data, size_t n_bytes, const char *name, char *err,
                           size_t err_bytes) {
  struct parser ps = {.name = name ? name : "(memory)", .err = err, .err_bytes = err_bytes};
  struct moo_file *f = calloc(1, sizeof *f);
  if (!f) {
    fail(&ps, "out of memory");
    return NULL;
  }
  struct span s = {data, data ? n_bytes : 0};
  uint32_t cap = 0;
  if (!parse_header(&ps, &s, f))
    goto bad;
  while (s.n) {
    char id[5];
    struct span c;
    if (!take_chunk(&ps, &s, id, &c))
      goto bad;
    if (id_is(id, "META")) {
      if (f->has_meta) {
        fail(&ps, "two META chunks");
        goto bad;
      }
      if (!parse_meta(&ps, c, &f->meta))
        goto bad;
      f->has_meta = true;
    } else if (id_is(id, "RMSK")) {
      if (f->has_rmsk) {
        fail(&ps, "two top-level RMSK chunks");
        goto bad;
      }
      if (!parse_regs(&ps, c, &f->rmsk, "RMSK"))
        goto bad;
      f->has_rmsk = true;
    } else if (id_is(id, "TEST")) {
      if (f->n_tests == cap) {
        uint32_t grown_cap = cap ? cap * 2 : 64;
        struct moo_test *grown = realloc(f->tests, grown_cap * sizeof *grown);
        if (!grown) {
          fail(&ps, "out of memory");
          goto bad;
        }
        f->tests = grown;
        cap = grown_cap;
      }
      struct moo_test *t = &f->tests[f->n_tests++];
      memset(t, 0, sizeof *t);
      if (!parse_test(&ps, c, t))
        goto bad;
    } /* unknown top-level ids: skipped */
  }
  if (f->n_tests != f->test_count) {
    fail(&ps, "header says %u tests, file holds %u", f->test_count, f->n_tests);
    goto bad;
  }
  return f;
bad:
  moo_free(f);
  return NULL;
}

/* Reads the whole file through zlib (which passes plain files through). */
static uint8_t *slurp(const char *path, size_t *n_out, char *err, size_t err_bytes) {
  gzFile gz = gzopen(path, "rb");
  if (!gz) {
    snprintf(err, err_bytes, "%s: cannot open: %s", path, errno ? strerror(errno) : "zlib error");
    return NULL;
  }
  size_t cap = 1 << 20, n = 0;
  uint8_t *buf = malloc(cap);
  if (!buf) {
    snprintf(err, err_bytes, "%s: out of memory", path);
    gzclose(gz);
    return NULL;
  }
  for (;;) {
    if (n == cap) {
      if (cap >= MOO_MAX_FILE_BYTES) {
        snprintf(err, err_bytes, "%s: inflates to more than %u bytes", path, MOO_MAX_FILE_BYTES);
        goto bad;
      }
      uint8_t *grown = realloc(buf, cap * 2);
      if (!grown) {
        snprintf(err, err_bytes, "%s: out of memory", path);
        goto bad;
      }
      buf = grown;
      cap *= 2;
    }
    int got = gzread(gz, buf + n, (unsigned)(cap - n));
    if (got < 0) {
      int code;
      const char *msg = gzerror(gz, &code);
      snprintf(err, err_bytes, "%s: cannot read: %s", path,
               code == Z_ERRNO ? strerror(errno) : msg);
      goto bad;
    }
    if (got == 0)
      break;
    n += (size_t)got;
  }
  /* gzread returns 0 both at the end and on a truncated gzip stream. */
  int code;
  const char *msg = gzerror(gz, &code);
  if (code != Z_OK && code != Z_BUF_ERROR) {
    snprintf(err, err_bytes, "%s: cannot read: %s", path, msg);
    goto bad;
  }
  if (code == Z_BUF_ERROR) {
    snprintf(err, err_bytes, "%s: gzip stream is truncated", path);
    goto bad;
  }
  gzclose(gz);
  *n_out = n;
  return buf;
bad:
  free(buf);
  gzclose(gz);
  return NULL;
}

struct moo_file *moo_load(const char *path, char *err, size_t err_bytes) {
  size_t n;
  errno = 0;
  uint8_t *data = slurp(path, &n, err, err_bytes);
  if (!data)
    return NULL;
  struct moo_file *f = moo_parse(data, n, path, err, err_bytes);
  free(data);
  return f;
}

static void free_state(struct moo_state *st) { free(st->ram); }

void moo_free(struct moo_file *f) {
  if (!f)
    return;
  for (uint32_t k = 0; k < f->n_tests; k++) {
    free(f->tests[k].name);
    free(f->tests[k].bytes);
    free_state(&f->tests[k].init);
    free_state(&f->tests[k].fina);
  }
  free(f->tests);
  free(f);
}

const char *moo_reg_name(enum moo_reg r) {
  static const char *const names[MOO_NREGS] = {"ax", "bx", "cx", "dx", "cs", "ss", "ds",
                                               "es", "sp", "bp", "si", "di", "ip", "flags"};
  return (unsigned)r < MOO_NREGS ? names[r] : "?";
}

void moo_hash_hex(const uint8_t hash[MOO_HASH_BYTES], char out[2 * MOO_HASH_BYTES + 1]) {
  static const char digits[] = "0123456789abcdef";
  for (int k = 0; k < MOO_HASH_BYTES; k++) {
    out[2 * k] = digits[hash[k] >> 4];
    out[2 * k + 1] = digits[hash[k] & 15];
  }
  out[2 * MOO_HASH_BYTES] = 0;
}
