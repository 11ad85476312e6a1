/* trace/stream-internal.h - the byte layout shared by stream.c and reader.c
 * (documented in trace/FORMAT.md). */
#ifndef RINGLAB_TRACE_STREAM_INTERNAL_H
#define RINGLAB_TRACE_STREAM_INTERNAL_H

#include <stdint.h>

#include "trace.h"

#define TRACE_MAGIC "RLTRACE\0"  /* 8 bytes */
#define TRACE_BLOCK_MAGIC "RLBK" /* 4 bytes */
#define TRACE_END_MAGIC "RLEN"   /* 4 bytes */
#define TRACE_RECORD_BYTES 20    /* versions 1-2: the fixed part of a record (all of it in version 1) */
/* version 3: a record is head, cycle delta and site (varints), a new site's
 * 10 fixed bytes and its instruction bytes, then the fields (varints). */
#define TRACE_V3_SITE_BYTES 10 /* cpu, cpl, flags, cs, eip, insn_len */
#define TRACE_RECORD_MAX (5 + 10 + 5 + TRACE_V3_SITE_BYTES + TRACE_INSN_MAX + 5 * TRACE_FIELDS_MAX)
#define TRACE_BLOCK_RECORDS 4096 /* records per block (the last may hold fewer) */
#define TRACE_BLOCK_HEADER_BYTES 28
#define TRACE_END_BYTES 28
#define TRACE_HEADER_TEXT_MAX (1u << 20)
#define TRACE_BLOCK_MAX (64u << 20) /* a reader's bound on one block's lengths */

/* LEB128: 7 bits a byte, low first, bit 7 set on every byte but the last.
 * Writes v at p; returns the bytes written (at most 10). */
static inline unsigned trace_put_varint(unsigned char *p, uint64_t v) {
  unsigned n = 0;
  while (v >= 0x80) {
    p[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (unsigned char)v;
  return n;
}

void trace_put16(unsigned char *p, uint16_t v);
void trace_put32(unsigned char *p, uint32_t v);
void trace_put64(unsigned char *p, uint64_t v);

#endif
