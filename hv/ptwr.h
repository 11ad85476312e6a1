/* hv/ptwr.h - decoding the guest instruction that wrote to one of its
 * page tables (writable page tables, mm.c). */
#ifndef HV_PTWR_H
#define HV_PTWR_H

#include "hv-internal.h"

struct hv_ptwr_write {
  uint32_t addr;    /* linear address written (CR2) */
  uint32_t bytes;   /* 1, 2, 4 or 8 */
  uint64_t val;     /* the value stored */
  uint64_t old;     /* CMPXCHG/CMPXCHG8B: the expected old value */
  int is_cmpxchg, is_xchg;
  uint32_t reg;     /* MOV/XCHG/CMPXCHG source register number */
  uint32_t len;     /* instruction length */
};

/* Decodes the instruction at the guest's EIP: MOV r/m,r; MOV r/m,imm;
 * XCHG r/m,r; CMPXCHG r/m,r; CMPXCHG8B m64 (with LOCK, operand-size and
 * segment prefixes). 0 if it is none of these. */
int hv_ptwr_decode(const struct hv_frame *f, uint32_t addr, struct hv_ptwr_write *w);

/* Finishes the instruction: EIP past it, the registers and flags an
 * XCHG/CMPXCHG sets (old: the entry's previous 64 bits; ok: the compare
 * succeeded). */
void hv_ptwr_complete(struct hv_frame *f, const struct hv_ptwr_write *w, uint64_t old, int ok);

#endif
