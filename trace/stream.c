/* trace/stream.c - the trace writer: header, zlib-compressed blocks of
 * records, end block (the layout is trace/FORMAT.md). The file is written
 * as PATH.tmp and renamed to PATH only after the end block, so a run that
 * crashes never leaves a file that looks complete.
 */
#include "stream-internal.h"
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct trace_writer {
  FILE *f;
  char *path, *tmp;
  uint32_t classes;
  uint8_t wants[TRACE_SLOT_COUNT]; /* by slot: recorded under the filter */
  unsigned char buf[TRACE_BLOCK_RECORDS * TRACE_RECORD_MAX];
  unsigned n;   /* records in buf */
  size_t bytes; /* bytes in buf */
  uint32_t blocks;
  uint64_t total;
  int failed; /* errno of the first write error, or 0 */
};

int trace_event_recorded(enum trace_event e) {
  switch (e) {
  /* counted by the MMU through the CPU's array (mmu_set_counters), or by
   * the machine in its own array: not recorded yet (FORMAT.md) */
  case TRACE_EV_itlb_hit:
  case TRACE_EV_itlb_miss:
  case TRACE_EV_dtlb_hit:
  case TRACE_EV_dtlb_miss:
  case TRACE_EV_page_walk:
  case TRACE_EV_ad_update:
  case TRACE_EV_ops_request:
  case TRACE_EV_ops_annotate:
    return 0;
  default:
    return trace_event_key(e) != NULL;
  }
}

int trace_classes_parse(const char *list, uint32_t *mask, char *err, size_t n) {
  uint32_t m = 0;
  const char *p = list;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    unsigned c;
    for (c = 0; c < TRACE_CLASS_COUNT; c++)
      if (strlen(trace_class_name(c)) == len && strncmp(trace_class_name(c), p, len) == 0)
        break;
    if (c == TRACE_CLASS_COUNT) {
      snprintf(err, n, "'%.*s' is not an event class (classes: cpu, exception, interrupt, io, mmu, tlb, ops, hv)",
               (int)len, p);
      return -1;
    }
    m |= 1u << c;
    p += len;
    if (*p == ',')
      p++;
  }
  if (!m) {
    snprintf(err, n, "no event class given");
    return -1;
  }
  *mask = m;
  return 0;
}

/* Little-endian stores. */
void trace_put16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}
void trace_put32(unsigned char *p, uint32_t v) {
  trace_put16(p, (uint16_t)v);
  trace_put16(p + 2, (uint16_t)(v >> 16));
}
void trace_put64(unsigned char *p, uint64_t v) {
  trace_put32(p, (uint32_t)v);
  trace_put32(p + 4, (uint32_t)(v >> 32));
}

static void put(struct trace_writer *w, const void *p, size_t len) {
  if (!w->failed && fwrite(p, 1, len, w->f) != len)
    w->failed = errno ? errno : EIO;
}

/* The header text: run info, filter, classes, the event table, config. */
static char *header_text(const struct trace_run_info *info, uint32_t classes) {
  size_t cap = 4096 + strlen(info->config ? info->config : "") + TRACE_EVENT_COUNT * 128;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  size_t len = 0;
#define ADD(...) len += (size_t)snprintf(s + len, cap - len, __VA_ARGS__)
  ADD("ringlab_version %s\n", info->ringlab_version ? info->ringlab_version : "unknown");
  ADD("preset %s\n", info->preset ? info->preset : "unknown");
  ADD("frequency_hz %llu\n", (unsigned long long)info->frequency_hz);
  ADD("slots %u\n", (unsigned)TRACE_SLOT_COUNT);
  for (unsigned c = 0; c < TRACE_CLASS_COUNT; c++)
    ADD("class %s %d\n", trace_class_name(c), (classes >> c) & 1u ? 1 : 0);
  static const char *kinds[] = {"none", "vector", "ring"};
  static const unsigned slots_of[] = {TRACE_INDEX_SLOTS_NONE, TRACE_INDEX_SLOTS_VECTOR, TRACE_INDEX_SLOTS_RING};
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++) {
    enum trace_event e = (enum trace_event)trace_event_at(r);
    enum trace_index k = trace_event_index(e);
    ADD("event %s %s %s %u %u %d\n", trace_event_key(e), trace_class_name(trace_event_class(e)), kinds[k], (unsigned)e,
        slots_of[k], trace_event_recorded(e));
  }
  for (unsigned r = 0; r < TRACE_EVENT_COUNT; r++) {
    enum trace_event e = (enum trace_event)trace_event_at(r);
    if (*trace_event_fields(e))
      ADD("fields %s %s\n", trace_event_key(e), trace_event_fields(e));
  }
  const char *cfg = info->config ? info->config : "";
  unsigned lines = 0;
  for (const char *p = cfg; *p; p++)
    lines += *p == '\n';
  if (*cfg && cfg[strlen(cfg) - 1] != '\n')
    lines++;
  ADD("config %u\n%s", lines, cfg);
  if (*cfg && cfg[strlen(cfg) - 1] != '\n')
    ADD("\n");
#undef ADD
  return s;
}

struct trace_writer *trace_writer_open(const char *path, const struct trace_run_info *info, uint32_t classes, char *err,
                                       size_t n) {
  struct trace_writer *w = calloc(1, sizeof *w);
  char *text = header_text(info, classes);
  size_t plen = strlen(path);
  if (w) {
    w->path = strdup(path);
    w->tmp = malloc(plen + 5);
  }
  if (!w || !text || !w->path || !w->tmp) {
    snprintf(err, n, "%s: out of memory", path);
    free(text);
    if (w) {
      free(w->path);
      free(w->tmp);
    }
    free(w);
    return NULL;
  }
  snprintf(w->tmp, plen + 5, "%s.tmp", path);
  w->classes = classes;
  for (unsigned s = 0; s < TRACE_SLOT_COUNT; s++) {
    int e = trace_slot_event(s, NULL);
    enum trace_class c = trace_event_class((enum trace_event)e);
    w->wants[s] = e >= 0 && trace_event_recorded((enum trace_event)e) && ((classes >> c) & 1u);
  }
  w->f = fopen(w->tmp, "wb");
  if (!w->f) {
    snprintf(err, n, "%s: cannot create: %s", w->tmp, strerror(errno));
    free(text);
    free(w->path);
    free(w->tmp);
    free(w);
    return NULL;
  }
  unsigned char h[16];
  memcpy(h, TRACE_MAGIC, 8);
  size_t tlen = strlen(text);
  trace_put32(h + 8, TRACE_FORMAT_VERSION);
  trace_put32(h + 12, (uint32_t)tlen);
  put(w, h, 16);
  put(w, text, tlen);
  unsigned char crc[4];
  trace_put32(crc, (uint32_t)crc32(0L, (const Bytef *)text, (uInt)tlen));
  put(w, crc, 4);
  free(text);
  return w;
}

int trace_writer_wants(const struct trace_writer *w, unsigned slot) {
  return slot < TRACE_SLOT_COUNT && w->wants[slot];
}

static void flush_block(struct trace_writer *w) {
  if (w->n == 0)
    return;
  uLong ulen = (uLong)w->bytes;
  uLongf clen = compressBound(ulen);
  unsigned char *z = malloc(clen);
  if (!z) {
    w->failed = ENOMEM;
    w->n = 0;
    return;
  }
  if (compress2(z, &clen, w->buf, ulen, Z_BEST_SPEED) != Z_OK) {
    w->failed = EIO;
  } else {
    unsigned char h[TRACE_BLOCK_HEADER_BYTES];
    memcpy(h, TRACE_BLOCK_MAGIC, 4);
    trace_put32(h + 4, (uint32_t)clen);
    trace_put32(h + 8, (uint32_t)ulen);
    trace_put32(h + 12, w->n);
    memcpy(h + 16, w->buf, 8); /* the first record's cycle, already little-endian */
    trace_put32(h + 24, (uint32_t)crc32(0L, w->buf, (uInt)ulen));
    put(w, h, sizeof h);
    put(w, z, clen);
    w->blocks++;
  }
  free(z);
  w->n = 0;
  w->bytes = 0;
}

int trace_writer_add(struct trace_writer *w, const struct trace_record *r) {
  if (!trace_writer_wants(w, r->slot))
    return 0;
  unsigned char *p = w->buf + w->bytes;
  unsigned il = r->insn_len <= TRACE_INSN_MAX ? r->insn_len : TRACE_INSN_MAX;
  unsigned nf = r->n_fields <= TRACE_FIELDS_MAX ? r->n_fields : TRACE_FIELDS_MAX;
  unsigned extra = 3 + il + 4 * nf;
  trace_put64(p, r->cycle);
  trace_put16(p + 8, r->slot);
  p[10] = r->cpu;
  p[11] = r->cpl;
  trace_put16(p + 12, r->cs);
  trace_put32(p + 14, r->eip);
  trace_put16(p + 18, (uint16_t)extra); /* the per-event part (version 2) */
  p += TRACE_RECORD_BYTES;
  p[0] = r->flags;
  p[1] = (unsigned char)il;
  memcpy(p + 2, r->insn, il);
  p[2 + il] = (unsigned char)nf;
  for (unsigned k = 0; k < nf; k++)
    trace_put32(p + 3 + il + 4 * k, r->field[k]);
  w->bytes += TRACE_RECORD_BYTES + extra;
  w->total++;
  if (++w->n == TRACE_BLOCK_RECORDS)
    flush_block(w);
  return w->failed ? -1 : 0;
}

void trace_writer_record(void *writer, const struct trace_record *r) { (void)trace_writer_add(writer, r); }

void trace_writer_abort(struct trace_writer *w) {
  if (!w)
    return;
  fclose(w->f);
  remove(w->tmp);
  free(w->path);
  free(w->tmp);
  free(w);
}

int trace_writer_finish(struct trace_writer *w, uint64_t end_cycle, char *err, size_t n) {
  flush_block(w);
  unsigned char e[TRACE_END_BYTES];
  memcpy(e, TRACE_END_MAGIC, 4);
  trace_put32(e + 4, w->blocks);
  trace_put64(e + 8, w->total);
  trace_put64(e + 16, end_cycle);
  trace_put32(e + 24, (uint32_t)crc32(0L, e, 24));
  put(w, e, sizeof e);
  if (fclose(w->f) != 0 && !w->failed)
    w->failed = errno ? errno : EIO;
  w->f = NULL;
  int rc = 0;
  if (w->failed || rename(w->tmp, w->path) != 0) {
    snprintf(err, n, "%s: cannot write: %s", w->path, strerror(w->failed ? w->failed : errno));
    remove(w->tmp);
    rc = -1;
  }
  free(w->path);
  free(w->tmp);
  free(w);
  return rc;
}
