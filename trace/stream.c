/* trace/stream.c - the trace writer: header, zlib-compressed blocks of
 * records, end block (the layout is trace/FORMAT.md, version 3). The file is
 * written as PATH.tmp and renamed to PATH only after the end block, so a run
 * that crashes never leaves a file that looks complete.
 *
 * Recording is on the emulator's path, so the producer (trace_writer_add)
 * only copies each record into the current block. A worker thread encodes a
 * cut block (a record is a few varints; the instruction bytes of its site,
 * CPU, CPL, CS:EIP, mode and bytes, are stored once per block and then
 * referred to by index: the ring workload hits a handful of sites millions
 * of times), compresses it and writes it. The bytes of the file never depend
 * on thread timing: the producer cuts a block after exactly
 * TRACE_BLOCK_RECORDS records, each block is encoded and compressed on its
 * own (same input, same zlib level, same output) and the single worker
 * writes blocks in the order they were cut. If the thread cannot be started
 * the producer does the worker's job itself at each cut: same bytes.
 */
#include "stream-internal.h"
#include "trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BLOCK_BUF_BYTES ((size_t)TRACE_BLOCK_RECORDS * TRACE_RECORD_MAX) /* a block, encoded */
#define N_BUFS 3                                 /* one filling, up to two queued or compressing */
#define SITE_HASH_SIZE (2 * TRACE_BLOCK_RECORDS) /* open addressing, at most half full */

/* A record's site: what a block stores once and records then name. key
 * packs EIP, CS, CPL and flags, more the cpu and the byte count. */
struct site {
  uint64_t key;
  uint16_t more;
  uint8_t insn[TRACE_INSN_MAX];
};

static inline uint64_t site_key(const struct trace_record *r) {
  return (uint64_t)r->eip | (uint64_t)r->cs << 32 | (uint64_t)r->cpl << 48 | (uint64_t)r->flags << 56;
}

struct block { /* records as the producer appended them, not yet encoded */
  struct trace_record *recs;
  unsigned n;
};

struct trace_writer {
  FILE *f; /* the worker's once the header is written */
  char *path, *tmp;
  uint32_t classes;
  uint8_t wants[TRACE_SLOT_COUNT]; /* by slot: recorded under the filter */

  /* the producer's */
  struct block cur;
  uint64_t total;
  int failed_seen; /* the worker's error, as of the last cut (the producer's copy) */

  /* the worker's: encoding (a block at a time), compressing, writing */
  unsigned char *data; /* the block encoded: BLOCK_BUF_BYTES */
  uint32_t cut;        /* blocks encoded so far: the generation of the site table */
  struct site sites[TRACE_BLOCK_RECORDS];
  unsigned n_sites;
  struct {
    uint32_t gen; /* cut + 1 when the entry belongs to the current block */
    uint32_t site;
  } site_hash[SITE_HASH_SIZE];
  z_stream z;
  bool z_ready;
  unsigned char *zbuf;
  uint32_t blocks; /* blocks written */
  int failed;      /* errno of the first write error, or 0 */

  /* between them (under lock) */
  bool threaded, stop, discard;
  int failed_shared; /* failed, as of the last block written */
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t work, freed;
  struct block queue[N_BUFS]; /* cut, not yet written: FIFO */
  unsigned q_head, q_len;
  struct trace_record *free_bufs[N_BUFS];
  unsigned n_free;
};

int trace_event_recorded(enum trace_event e) {
  switch (e) {
  /* TLB hits: one per memory access or code-cache block entered, counted
   * on the MMU's fast path; a record each would be the whole run over
   * again (FORMAT.md). Counted, never recorded. (The machine's own events,
   * ops and hv, are recorded through cpu_trace_emit.) */
  case TRACE_EV_itlb_hit:
  case TRACE_EV_dtlb_hit:
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

/* ---- compressing and writing a block (the worker, or the producer without one) ---- */

static size_t encode_block(struct trace_writer *w, const struct block *b);

static void write_block(struct trace_writer *w, const struct block *b) {
  if (w->failed)
    return;
  if (!w->z_ready) {
    memset(&w->z, 0, sizeof w->z);
    w->zbuf = NULL;
    if (deflateInit(&w->z, Z_BEST_SPEED) != Z_OK) {
      w->failed = ENOMEM;
      return;
    }
    w->z_ready = true;
    w->zbuf = malloc(deflateBound(&w->z, BLOCK_BUF_BYTES));
    if (!w->zbuf) {
      w->failed = ENOMEM;
      return;
    }
  }
  size_t ulen = encode_block(w, b);
  /* One zlib stream per block (deflateReset: as compress2 would, without
   * reallocating zlib's state each block). */
  deflateReset(&w->z);
  w->z.next_in = w->data;
  w->z.avail_in = (uInt)ulen;
  w->z.next_out = w->zbuf;
  w->z.avail_out = (uInt)deflateBound(&w->z, BLOCK_BUF_BYTES);
  if (deflate(&w->z, Z_FINISH) != Z_STREAM_END) {
    w->failed = EIO;
    return;
  }
  uint32_t clen = (uint32_t)w->z.total_out;
  unsigned char h[TRACE_BLOCK_HEADER_BYTES];
  memcpy(h, TRACE_BLOCK_MAGIC, 4);
  trace_put32(h + 4, clen);
  trace_put32(h + 8, (uint32_t)ulen);
  trace_put32(h + 12, b->n);
  trace_put64(h + 16, b->recs[0].cycle);
  trace_put32(h + 24, (uint32_t)crc32(0L, w->data, (uInt)ulen));
  put(w, h, sizeof h);
  put(w, w->zbuf, clen);
  w->blocks++;
}

static void *worker(void *arg) {
  struct trace_writer *w = arg;
  pthread_mutex_lock(&w->lock);
  for (;;) {
    while (!w->q_len && !w->stop)
      pthread_cond_wait(&w->work, &w->lock);
    if (!w->q_len || w->discard)
      break;
    struct block b = w->queue[w->q_head]; /* stays queued until written: the FIFO keeps the order */
    pthread_mutex_unlock(&w->lock);
    write_block(w, &b);
    pthread_mutex_lock(&w->lock);
    w->failed_shared = w->failed;
    w->q_head = (w->q_head + 1) % N_BUFS;
    w->q_len--;
    w->free_bufs[w->n_free++] = b.recs;
    pthread_cond_signal(&w->freed);
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

/* Cuts the producer's block: hands it to the worker (waiting for a free
 * buffer if two are queued) or writes it here. */
static void cut_block(struct trace_writer *w) {
  if (w->cur.n == 0)
    return;
  if (!w->threaded) {
    write_block(w, &w->cur);
    w->failed_seen = w->failed;
  } else {
    pthread_mutex_lock(&w->lock);
    while (!w->n_free)
      pthread_cond_wait(&w->freed, &w->lock);
    w->queue[(w->q_head + w->q_len++) % N_BUFS] = w->cur;
    w->cur.recs = w->free_bufs[--w->n_free];
    w->failed_seen = w->failed_shared;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
  }
  w->cur.n = 0;
}

/* Stops the worker (after it wrote every queued block, unless discard). */
static void stop_worker(struct trace_writer *w, bool discard) {
  if (!w->threaded)
    return;
  pthread_mutex_lock(&w->lock);
  w->stop = true;
  w->discard = discard;
  pthread_cond_signal(&w->work);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
  w->threaded = false;
  pthread_cond_destroy(&w->work);
  pthread_cond_destroy(&w->freed);
  pthread_mutex_destroy(&w->lock);
}

static void free_writer(struct trace_writer *w) {
  if (w->z_ready)
    deflateEnd(&w->z);
  free(w->zbuf);
  free(w->data);
  free(w->cur.recs);
  for (unsigned k = 0; k < w->n_free; k++)
    free(w->free_bufs[k]);
  for (unsigned k = 0; k < w->q_len; k++) /* discarded by an abort */
    free(w->queue[(w->q_head + k) % N_BUFS].recs);
  free(w->path);
  free(w->tmp);
  free(w);
}

struct trace_writer *trace_writer_open(const char *path, const struct trace_run_info *info, uint32_t classes, char *err,
                                       size_t n) {
  struct trace_writer *w = calloc(1, sizeof *w);
  char *text = header_text(info, classes);
  size_t plen = strlen(path);
  bool bufs = w != NULL;
  if (w) {
    w->path = strdup(path);
    w->tmp = malloc(plen + 5);
    w->data = malloc(BLOCK_BUF_BYTES);
    w->cur.recs = malloc(TRACE_BLOCK_RECORDS * sizeof *w->cur.recs);
    for (; w->n_free < N_BUFS - 1; w->n_free++)
      if (!(w->free_bufs[w->n_free] = malloc(TRACE_BLOCK_RECORDS * sizeof *w->cur.recs)))
        break;
    bufs = w->data && w->cur.recs && w->n_free == N_BUFS - 1;
  }
  if (!w || !text || !w->path || !w->tmp || !bufs) {
    snprintf(err, n, "%s: out of memory", path);
    free(text);
    if (w)
      free_writer(w);
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
    free_writer(w);
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
  /* The worker; without one (no thread to be had) the producer writes. */
  if (pthread_mutex_init(&w->lock, NULL) == 0) {
    if (pthread_cond_init(&w->work, NULL) == 0) {
      if (pthread_cond_init(&w->freed, NULL) == 0) {
        if (pthread_create(&w->thread, NULL, worker, w) == 0) {
          w->threaded = true;
          return w;
        }
        pthread_cond_destroy(&w->freed);
      }
      pthread_cond_destroy(&w->work);
    }
    pthread_mutex_destroy(&w->lock);
  }
  return w;
}

int trace_writer_wants(const struct trace_writer *w, unsigned slot) {
  return slot < TRACE_SLOT_COUNT && w->wants[slot];
}

/* The block's index of r's site, or -1 after adding it as a new one (the
 * record then defines it). */
static inline int site_of(struct trace_writer *w, const struct trace_record *r, unsigned il) {
  uint32_t gen = w->cut + 1;
  uint64_t key = site_key(r);
  uint16_t more = (uint16_t)(r->cpu | il << 8);
  uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (SITE_HASH_SIZE - 1);
  for (;; h = (h + 1) & (SITE_HASH_SIZE - 1)) {
    if (w->site_hash[h].gen != gen)
      break;
    const struct site *s = &w->sites[w->site_hash[h].site];
    /* all TRACE_INSN_MAX bytes, a fixed-size compare: bytes past il that
     * differ only make a second site with the same content */
    if (s->key == key && s->more == more && memcmp(s->insn, r->insn, TRACE_INSN_MAX) == 0)
      return (int)w->site_hash[h].site;
  }
  struct site *s = &w->sites[w->n_sites]; /* at most one a record: never more than the block holds */
  s->key = key;
  s->more = more;
  memcpy(s->insn, r->insn, TRACE_INSN_MAX);
  w->site_hash[h].gen = gen;
  w->site_hash[h].site = w->n_sites++;
  return -1;
}

/* trace_put_varint with the one- and two-byte cases inline. */
static inline unsigned char *varint(unsigned char *p, uint64_t v) {
  if (v < 0x80) {
    *p = (unsigned char)v;
    return p + 1;
  }
  if (v < 0x4000) {
    p[0] = (unsigned char)(v | 0x80);
    p[1] = (unsigned char)(v >> 7);
    return p + 2;
  }
  return p + trace_put_varint(p, v);
}

/* Encodes block b into w->data (the layout of FORMAT.md, version 3): the
 * worker's job, so the producer only copies records. Returns the bytes. */
static size_t encode_block(struct trace_writer *w, const struct block *b) {
  w->cut++; /* a new generation: the site table starts empty */
  w->n_sites = 0;
  unsigned char *p = w->data;
  uint64_t last_cycle = b->recs[0].cycle;
  for (unsigned k = 0; k < b->n; k++) {
    const struct trace_record *r = &b->recs[k];
    unsigned il = r->insn_len <= TRACE_INSN_MAX ? r->insn_len : TRACE_INSN_MAX;
    unsigned nf = r->n_fields <= TRACE_FIELDS_MAX ? r->n_fields : TRACE_FIELDS_MAX;
    p = varint(p, (uint64_t)r->slot << 3 | nf);
    int64_t d = (int64_t)(r->cycle - last_cycle); /* zigzag: small either way (cycles never decrease) */
    p = varint(p, ((uint64_t)d << 1) ^ (uint64_t)(d >> 63));
    last_cycle = r->cycle;
    int site = site_of(w, r, il);
    if (site >= 0) {
      p = varint(p, (uint64_t)site + 1);
    } else {
      *p++ = 0; /* a new site: it follows */
      p[0] = r->cpu;
      p[1] = r->cpl;
      p[2] = r->flags;
      trace_put16(p + 3, r->cs);
      trace_put32(p + 5, r->eip);
      p[9] = (unsigned char)il;
      memcpy(p + TRACE_V3_SITE_BYTES, r->insn, il);
      p += TRACE_V3_SITE_BYTES + il;
    }
    for (unsigned f = 0; f < nf; f++)
      p = varint(p, r->field[f]);
  }
  return (size_t)(p - w->data);
}

int trace_writer_add(struct trace_writer *w, const struct trace_record *r) {
  if (r->slot >= TRACE_SLOT_COUNT || !w->wants[r->slot])
    return 0;
  w->cur.recs[w->cur.n] = *r; /* encoded with its block, on the worker */
  w->total++;
  if (++w->cur.n == TRACE_BLOCK_RECORDS)
    cut_block(w);
  return w->failed_seen ? -1 : 0;
}

void trace_writer_record(void *writer, const struct trace_record *r) { (void)trace_writer_add(writer, r); }

void trace_writer_abort(struct trace_writer *w) {
  if (!w)
    return;
  stop_worker(w, true);
  fclose(w->f);
  remove(w->tmp);
  free_writer(w);
}

int trace_writer_finish(struct trace_writer *w, uint64_t end_cycle, char *err, size_t n) {
  cut_block(w);
  stop_worker(w, false);
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
  free_writer(w);
  return rc;
}
