/* trace/stream-internal.h - the byte layout shared by stream.c and reader.c
 * (documented in trace/FORMAT.md). */
#ifndef RINGLAB_TRACE_STREAM_INTERNAL_H
#define RINGLAB_TRACE_STREAM_INTERNAL_H

#include <stdint.h>

#include "trace.h"

#define TRACE_MAGIC "RLTRACE\0"  /* 8 bytes */
#define TRACE_BLOCK_MAGIC "RLBK" /* 4 bytes */
#define TRACE_END_MAGIC "RLEN"   /* 4 bytes */
#define TRACE_RECORD_BYTES 20    /* the fixed part of a record (all of it in version 1) */
/* version 2: the fixed part, then flags, insn_len, the bytes, n_fields, the fields */
#define TRACE_RECORD_MAX (TRACE_RECORD_BYTES + 3 + TRACE_INSN_MAX + 4 * TRACE_FIELDS_MAX)
#define TRACE_BLOCK_RECORDS 4096 /* records per block (the last may hold fewer) */
#define TRACE_BLOCK_HEADER_BYTES 28
#define TRACE_END_BYTES 28
#define TRACE_HEADER_TEXT_MAX (1u << 20)
#define TRACE_BLOCK_MAX (64u << 20) /* a reader's bound on one block's lengths */

void trace_put16(unsigned char *p, uint16_t v);
void trace_put32(unsigned char *p, uint32_t v);
void trace_put64(unsigned char *p, uint64_t v);

#endif
