/* trace/reader.c - reads what stream.c writes (trace/FORMAT.md): the
 * header, then block by block, each checked against its CRC-32 before any
 * of its records is returned. Slot names come from the file's own event
 * table, so a file names its events as the ringlab that wrote it did.
 */
#include "stream-internal.h"
#include "trace.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct file_row {
  char key[64];
  int class; /* index into classes */
  int recorded;
  int kind; /* enum trace_index */
  unsigned first, slots;
  char fields[128]; /* version 2: the row's field names, or "" */
};

struct trace_reader {
  FILE *f;
  char *path;
  unsigned version;
  char *text; /* the header text; info points into copies below */
  char ringlab_version[64], preset[64];
  char *config;
  struct trace_run_info info;
  char class_names[32][64];
  int class_on[32];
  unsigned n_classes;
  struct file_row *rows;
  unsigned n_rows, n_slots;
  uint32_t filter;
  unsigned char *block; /* uncompressed records of the current block */
  struct trace_record *recs, *sites; /* version 3: the block's records, decoded; its sites */
  unsigned count, next; /* records in block, next to return */
  size_t at, ulen;      /* byte offset of the next record, bytes in block */
  uint32_t block_no;    /* blocks read so far (1-based name of the current) */
  int done;
  uint64_t total, end_cycle;
};

static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const unsigned char *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const unsigned char *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

void trace_reader_close(struct trace_reader *r) {
  if (!r)
    return;
  if (r->f)
    fclose(r->f);
  free(r->path);
  free(r->text);
  free(r->config);
  free(r->rows);
  free(r->block);
  free(r->recs);
  free(r->sites);
  free(r);
}

/* Parses the header text; 0 or -1. */
static int parse_header(struct trace_reader *r, char *err, size_t n) {
  char *save = NULL;
  char *line = strtok_r(r->text, "\n", &save);
  unsigned cfg_lines = 0;
  for (; line; line = strtok_r(NULL, "\n", &save)) {
    char a[64], b[64], c[64];
    unsigned u1, u2;
    int on, rec;
    if (sscanf(line, "ringlab_version %63s", a) == 1)
      snprintf(r->ringlab_version, sizeof r->ringlab_version, "%s", a);
    else if (sscanf(line, "preset %63s", a) == 1)
      snprintf(r->preset, sizeof r->preset, "%s", a);
    else if (strncmp(line, "frequency_hz ", 13) == 0)
      r->info.frequency_hz = strtoull(line + 13, NULL, 10);
    else if (sscanf(line, "slots %u", &u1) == 1)
      r->n_slots = u1;
    else if (sscanf(line, "class %63s %d", a, &on) == 2 && r->n_classes < 32) {
      snprintf(r->class_names[r->n_classes], sizeof r->class_names[0], "%s", a);
      r->class_on[r->n_classes] = on;
      if (on)
        r->filter |= 1u << r->n_classes;
      r->n_classes++;
    } else if (sscanf(line, "event %63s %63s %63s %u %u %d", a, b, c, &u1, &u2, &rec) == 6) {
      struct file_row *rows = realloc(r->rows, (r->n_rows + 1) * sizeof *rows);
      if (!rows)
        return -1;
      r->rows = rows;
      struct file_row *row = &rows[r->n_rows++];
      snprintf(row->key, sizeof row->key, "%s", a);
      row->class = -1;
      for (unsigned k = 0; k < r->n_classes; k++)
        if (strcmp(r->class_names[k], b) == 0)
          row->class = (int)k;
      row->kind = strcmp(c, "vector") == 0 ? TRACE_INDEX_VECTOR
                  : strcmp(c, "ring") == 0 ? TRACE_INDEX_RING
                                           : TRACE_INDEX_NONE;
      row->recorded = rec;
      row->fields[0] = 0;
      row->first = u1;
      row->slots = u2;
    } else if (strncmp(line, "fields ", 7) == 0 && sscanf(line, "fields %63s", a) == 1) {
      const char *names = line + 7 + strlen(a);
      while (*names == ' ')
        names++;
      for (unsigned k = 0; k < r->n_rows; k++)
        if (strcmp(r->rows[k].key, a) == 0)
          snprintf(r->rows[k].fields, sizeof r->rows[k].fields, "%s", names);
    } else if (sscanf(line, "config %u", &u1) == 1) {
      cfg_lines = u1;
      size_t cap = 1, len = 0;
      r->config = calloc(1, 1);
      for (unsigned k = 0; k < cfg_lines && r->config; k++) {
        char *l = strtok_r(NULL, "\n", &save);
        if (!l)
          break;
        cap += strlen(l) + 1;
        char *c2 = realloc(r->config, cap);
        if (!c2)
          return -1;
        r->config = c2;
        len += (size_t)sprintf(r->config + len, "%s\n", l);
      }
    }
  }
  if (!r->n_rows || !r->n_classes) {
    snprintf(err, n, "%s: the header has no event table", r->path);
    return -1;
  }
  r->info.ringlab_version = r->ringlab_version;
  r->info.preset = r->preset;
  r->info.config = r->config ? r->config : "";
  return 0;
}

struct trace_reader *trace_reader_open(const char *path, char *err, size_t n) {
  struct trace_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->path = strdup(path))) {
    snprintf(err, n, "%s: out of memory", path);
    free(r);
    return NULL;
  }
  r->f = fopen(path, "rb");
  if (!r->f) {
    snprintf(err, n, "%s: cannot open: %s", path, strerror(errno));
    trace_reader_close(r);
    return NULL;
  }
  unsigned char h[16];
  if (fread(h, 1, 16, r->f) != 16 || memcmp(h, TRACE_MAGIC, 8) != 0) {
    snprintf(err, n, "%s: not a ringlab trace (no RLTRACE magic)", path);
    trace_reader_close(r);
    return NULL;
  }
  r->version = get32(h + 8);
  if (r->version == 0 || r->version > TRACE_FORMAT_VERSION) {
    snprintf(err, n,
             "%s: trace format version %u is newer than this ringlab reads (versions 1 to %u): read it with "
             "the ringlab that wrote it, or a newer one",
             path, r->version, TRACE_FORMAT_VERSION);
    trace_reader_close(r);
    return NULL;
  }
  uint32_t tlen = get32(h + 12);
  unsigned char crc[4];
  if (tlen > TRACE_HEADER_TEXT_MAX || !(r->text = malloc(tlen + 1)) || fread(r->text, 1, tlen, r->f) != tlen ||
      fread(crc, 1, 4, r->f) != 4) {
    snprintf(err, n, "%s: damaged header: truncated or too long", path);
    trace_reader_close(r);
    return NULL;
  }
  if (get32(crc) != (uint32_t)crc32(0L, (const Bytef *)r->text, tlen)) {
    snprintf(err, n, "%s: damaged header: CRC-32 mismatch", path);
    trace_reader_close(r);
    return NULL;
  }
  r->text[tlen] = 0;
  if (parse_header(r, err, n) != 0) {
    trace_reader_close(r);
    return NULL;
  }
  return r;
}

/* A LEB128 varint of at most max bytes at b[*at] (len bytes in all); 0, or
 * -1 if it runs past the end or is longer. */
static int get_varint(const unsigned char *b, size_t len, size_t *at, unsigned max, uint64_t *v) {
  *v = 0;
  for (unsigned k = 0; k < max && *at < len; k++) {
    unsigned char c = b[(*at)++];
    *v |= (uint64_t)(c & 0x7F) << (7 * k);
    if (!(c & 0x80))
      return 0;
  }
  return -1;
}

/* Decodes a version 3 block (FORMAT.md) of ulen bytes and count records
 * into r->recs: 0, -1 if it is malformed (a record does not decode, the
 * records do not fill the block exactly, the first cycle is not the
 * header's), -2 out of memory. */
static int decode_v3(struct trace_reader *r, const unsigned char *b, size_t ulen, uint32_t count, uint64_t first) {
  struct trace_record *recs = realloc(r->recs, count * sizeof *recs);
  if (!recs)
    return -2;
  r->recs = recs;
  struct trace_record *sites = realloc(r->sites, count * sizeof *sites);
  if (!sites)
    return -2;
  r->sites = sites;
  unsigned n_sites = 0;
  uint64_t cycle = first;
  size_t at = 0;
  for (uint32_t k = 0; k < count; k++) {
    uint64_t head, delta, site;
    if (get_varint(b, ulen, &at, 3, &head) || head >> 3 > 0xFFFF || (head & 7) > TRACE_FIELDS_MAX ||
        get_varint(b, ulen, &at, 10, &delta) || get_varint(b, ulen, &at, 3, &site) || site > n_sites)
      return -1;
    struct trace_record *rec = &recs[k];
    if (site == 0) { /* a new site: cpu, cpl, flags, cs, eip, insn_len, bytes */
      if (at + TRACE_V3_SITE_BYTES > ulen || b[at + 9] > TRACE_INSN_MAX ||
          at + TRACE_V3_SITE_BYTES + b[at + 9] > ulen)
        return -1;
      struct trace_record *s = &sites[n_sites++];
      memset(s, 0, sizeof *s);
      s->cpu = b[at];
      s->cpl = b[at + 1];
      s->flags = b[at + 2];
      s->cs = get16(b + at + 3);
      s->eip = get32(b + at + 5);
      s->insn_len = b[at + 9];
      memcpy(s->insn, b + at + TRACE_V3_SITE_BYTES, s->insn_len);
      at += TRACE_V3_SITE_BYTES + s->insn_len;
      *rec = *s;
    } else {
      *rec = sites[site - 1];
    }
    cycle += (delta >> 1) ^ (0 - (delta & 1)); /* zigzag */
    if (k == 0 && cycle != first)
      return -1;
    rec->cycle = cycle;
    rec->slot = (uint16_t)(head >> 3);
    rec->n_fields = (uint8_t)(head & 7);
    for (unsigned f = 0; f < rec->n_fields; f++) {
      uint64_t v;
      if (get_varint(b, ulen, &at, 5, &v) || v > 0xFFFFFFFFu)
        return -1;
      rec->field[f] = (uint32_t)v;
    }
  }
  return at == ulen ? 0 : -1;
}

/* Reads the next block or the end block. 1 block loaded, 0 end, -1 error. */
static int load_block(struct trace_reader *r, char *err, size_t n) {
  unsigned no = r->block_no + 1;
  unsigned char h[TRACE_BLOCK_HEADER_BYTES];
  size_t got = fread(h, 1, 4, r->f);
  if (got != 4) {
    snprintf(err, n, "%s: block %u: file ends before the end block (truncated)", r->path, no);
    return -1;
  }
  if (memcmp(h, TRACE_END_MAGIC, 4) == 0) {
    if (fread(h + 4, 1, TRACE_END_BYTES - 4, r->f) != TRACE_END_BYTES - 4) {
      snprintf(err, n, "%s: end block: truncated", r->path);
      return -1;
    }
    if (get32(h + 24) != (uint32_t)crc32(0L, h, 24) || get32(h + 4) != r->block_no) {
      snprintf(err, n, "%s: end block: CRC-32 or block count mismatch", r->path);
      return -1;
    }
    r->total = get64(h + 8);
    r->end_cycle = get64(h + 16);
    r->done = 1;
    return 0;
  }
  if (memcmp(h, TRACE_BLOCK_MAGIC, 4) != 0) {
    snprintf(err, n, "%s: block %u: bad block magic (corrupted)", r->path, no);
    return -1;
  }
  if (fread(h + 4, 1, sizeof h - 4, r->f) != sizeof h - 4) {
    snprintf(err, n, "%s: block %u: truncated header", r->path, no);
    return -1;
  }
  uint32_t clen = get32(h + 4), ulen = get32(h + 8), count = get32(h + 12);
  /* the smallest record: 20 bytes (version 1), 23 (2), 3 (3: head, delta, site) */
  uint64_t fixed = (uint64_t)count * (r->version >= 3 ? 3 : TRACE_RECORD_BYTES);
  if (clen > TRACE_BLOCK_MAX || ulen > TRACE_BLOCK_MAX || count == 0 ||
      (r->version == 1 ? fixed != ulen : fixed > ulen)) {
    snprintf(err, n, "%s: block %u: inconsistent lengths (corrupted)", r->path, no);
    return -1;
  }
  unsigned char *z = malloc(clen ? clen : 1);
  unsigned char *b = realloc(r->block, ulen);
  if (!z || !b) {
    free(z);
    snprintf(err, n, "%s: block %u: out of memory", r->path, no);
    return -1;
  }
  r->block = b;
  if (fread(z, 1, clen, r->f) != clen) {
    free(z);
    snprintf(err, n, "%s: block %u: truncated", r->path, no);
    return -1;
  }
  uLongf out = ulen;
  int zrc = uncompress(b, &out, z, clen);
  free(z);
  if (zrc != Z_OK || out != ulen || get32(h + 24) != (uint32_t)crc32(0L, b, ulen) ||
      (r->version < 3 && get64(h + 16) != get64(b))) {
    snprintf(err, n, "%s: block %u: corrupted (%s)", r->path, no,
             zrc != Z_OK ? "zlib data does not inflate" : "CRC-32 mismatch");
    return -1;
  }
  if (r->version >= 3) {
    int rc = decode_v3(r, b, ulen, count, get64(h + 16));
    if (rc < 0) {
      snprintf(err, n, "%s: block %u: %s", r->path, no,
               rc == -2 ? "out of memory" : "corrupted (records do not decode to the block)");
      return -1;
    }
    r->block_no = no;
    r->count = count;
    r->next = 0;
    return 1;
  }
  /* Every record's per-event part must fit the block and be well formed
   * (version 2), checked before any record of the block is returned. */
  size_t at = 0;
  for (uint32_t k = 0; k < count; k++) {
    if (at + TRACE_RECORD_BYTES > ulen)
      break;
    size_t extra = get16(b + at + 18);
    const unsigned char *q = b + at + TRACE_RECORD_BYTES;
    if (r->version == 1 ? extra != 0
                        : (extra < 3 || at + TRACE_RECORD_BYTES + extra > ulen || q[1] > TRACE_INSN_MAX ||
                           q[2 + q[1]] > TRACE_FIELDS_MAX || extra != 3u + q[1] + 4u * q[2 + q[1]])) {
      at = SIZE_MAX;
      break;
    }
    at += TRACE_RECORD_BYTES + extra;
  }
  if (at != ulen) {
    snprintf(err, n, "%s: block %u: corrupted (record lengths do not add up to the block)", r->path, no);
    return -1;
  }
  r->at = 0;
  r->ulen = ulen;
  r->block_no = no;
  r->count = count;
  r->next = 0;
  return 1;
}

int trace_reader_next(struct trace_reader *r, struct trace_record *rec, char *err, size_t n) {
  while (r->next >= r->count) {
    if (r->done)
      return 0;
    int rc = load_block(r, err, n);
    if (rc <= 0) {
      r->count = r->next = 0;
      if (rc < 0)
        r->done = 1; /* stays at the error: nothing after a damaged block is read */
      return rc;
    }
  }
  if (r->version >= 3) {
    *rec = r->recs[r->next++];
    return 1;
  }
  const unsigned char *p = r->block + r->at;
  memset(rec, 0, sizeof *rec);
  rec->cycle = get64(p);
  rec->slot = get16(p + 8);
  rec->cpu = p[10];
  rec->cpl = p[11];
  rec->cs = get16(p + 12);
  rec->eip = get32(p + 14);
  size_t extra = get16(p + 18); /* checked by load_block */
  if (extra) {
    const unsigned char *q = p + TRACE_RECORD_BYTES;
    rec->flags = q[0];
    rec->insn_len = q[1];
    memcpy(rec->insn, q + 2, q[1]);
    rec->n_fields = q[2 + q[1]];
    for (unsigned k = 0; k < rec->n_fields; k++)
      rec->field[k] = get32(q + 3 + q[1] + 4 * k);
  }
  r->at += TRACE_RECORD_BYTES + extra;
  r->next++;
  return 1;
}

unsigned trace_reader_version(const struct trace_reader *r) { return r->version; }
const struct trace_run_info *trace_reader_info(const struct trace_reader *r) { return &r->info; }
uint32_t trace_reader_classes(const struct trace_reader *r) { return r->filter; }
unsigned trace_reader_slot_count(const struct trace_reader *r) { return r->n_slots; }
uint64_t trace_reader_total_records(const struct trace_reader *r) { return r->total; }
uint64_t trace_reader_end_cycle(const struct trace_reader *r) { return r->end_cycle; }

static const struct file_row *file_row(const struct trace_reader *r, unsigned slot) {
  for (unsigned k = 0; k < r->n_rows; k++)
    if (slot >= r->rows[k].first && slot < r->rows[k].first + r->rows[k].slots)
      return &r->rows[k];
  return NULL;
}

int trace_reader_slot_name(const struct trace_reader *r, unsigned slot, char *buf, size_t n) {
  const struct file_row *row = file_row(r, slot);
  if (!row)
    return -1;
  unsigned k = slot - row->first;
  int len;
  if (row->kind == TRACE_INDEX_VECTOR)
    len = snprintf(buf, n, "%s.%u", row->key, k);
  else if (row->kind == TRACE_INDEX_RING)
    len = snprintf(buf, n, "%s.%uto%u", row->key, k >> 2, k & 3);
  else
    len = snprintf(buf, n, "%s", row->key);
  return len < 0 || (size_t)len >= n ? -1 : len;
}

const char *trace_reader_slot_class(const struct trace_reader *r, unsigned slot) {
  const struct file_row *row = file_row(r, slot);
  return row && row->class >= 0 ? r->class_names[row->class] : NULL;
}

int trace_reader_slot_recorded(const struct trace_reader *r, unsigned slot) {
  const struct file_row *row = file_row(r, slot);
  return row && row->class >= 0 && r->class_on[row->class] && row->recorded;
}

const char *trace_reader_slot_fields(const struct trace_reader *r, unsigned slot) {
  const struct file_row *row = file_row(r, slot);
  return row ? row->fields : "";
}

const char *trace_reader_slot_key(const struct trace_reader *r, unsigned slot, int *indexed) {
  const struct file_row *row = file_row(r, slot);
  if (row && indexed)
    *indexed = row->kind != TRACE_INDEX_NONE;
  return row ? row->key : NULL;
}
