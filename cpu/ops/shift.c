/* ops/shift.c - ROL ROR RCL RCR SHL/SAL SHR SAR (group 2), SHLD, SHRD.
 *
 * The count (1, CL or Ib) is masked to 5 bits, as on every processor since
 * the 80286. A masked count of 0 changes nothing: no flags, no write (the
 * memory operand is still read, so its faults are raised). RCL and RCR
 * rotate through CF, a rotation of bits + 1, so byte and word forms take
 * the masked count modulo 9 and 17.
 *
 * Flags follow the processor's step-by-step definition for every nonzero
 * count (the SDM's pseudocode, which a 286 executes literally):
 *   left shifts and rotates  OF = MSB(result) XOR CF
 *   ROR, RCR                 OF = the two top bits of the result XORed
 *   SHR                      OF = MSB(operand) when the count is 1, else 0
 *   SAR                      OF = 0
 * Intel defines OF only for a count of 1; for larger counts this is what
 * the last single-bit step leaves, which the 286 vectors record too.
 * Rotates touch only CF and OF (cpu_set_cf_of: the others stay lazy).
 * SHL/SHR/SAR set SF ZF PF from the result;
 * AF is undefined and ringlab clears it. A shift count at least the operand
 * width shifts everything out: CF is the last bit out (0 for SHL/SHR beyond
 * the width, the sign for SAR).
 *
 * SHLD/SHRD shift the destination, filling from the source register. A
 * masked count of 0 changes nothing. A count larger than the operand size
 * (16-bit forms, count 17-31) leaves the destination and flags undefined;
 * ringlab shifts the 48-bit dest:src:dest, so bits of dest come back in
 * after those of src (the Intel behaviour Bochs and QEMU model). OF, defined
 * for a count of 1, is set for any count when the sign changed.
 */
#include "../cpu-internal.h"

enum shift_op { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* The flags of SHL/SAL, SHR and SAR: SF ZF PF from the n-byte result r,
 * CF and OF as given (cf_of), AF 0. Kept lazily in the CC_ROT form (SF ZF
 * PF from cc_res at its size, CF OF AF as flag bits in cc_src2), so a
 * shift computes none of them. */
static inline void shift_set_flags(struct cpu *c, unsigned n, uint32_t r, uint32_t cf_of) {
  cpu_set_lazy(c, CC_ROT8 + cpu_cc_size(n), 0, cf_of, r);
}

/* Computes the shift of v (an n-byte value) by a nonzero masked count and
 * sets the flags. Returns the result. Called only after every fault. */
static inline uint32_t shift_compute(struct cpu *c, enum shift_op op, unsigned n, uint32_t v, unsigned count) {
  unsigned bits = 8 * n;
  uint32_t m = cpu_mask(n), s = cpu_sign(n);
  uint32_t r, cf;
  switch (op) {
  case SH_ROL: {
    unsigned k = count % bits;
    r = k ? ((v << k) | (v >> (bits - k))) & m : v;
    cf = r & 1;
    cpu_set_cf_of(c, cf | (!!(r & s) != cf ? CPU_FLAG_OF : 0));
    return r;
  }
  case SH_ROR: {
    unsigned k = count % bits;
    r = k ? ((v >> k) | (v << (bits - k))) & m : v;
    cf = !!(r & s);
    cpu_set_cf_of(c, cf | (!!(r & s) != !!(r & (s >> 1)) ? CPU_FLAG_OF : 0));
    return r;
  }
  case SH_RCL: {
    unsigned k = count % (bits + 1);
    uint64_t wide = ((uint64_t)cpu_cf(c) << bits) | v; /* CF above the operand */
    if (k)
      wide = ((wide << k) | (wide >> (bits + 1 - k))) & ((2ull << bits) - 1);
    r = (uint32_t)wide & m;
    cf = (uint32_t)(wide >> bits) & 1;
    cpu_set_cf_of(c, cf | (!!(r & s) != cf ? CPU_FLAG_OF : 0));
    return r;
  }
  case SH_RCR: {
    unsigned k = count % (bits + 1);
    uint64_t wide = ((uint64_t)cpu_cf(c) << bits) | v;
    if (k)
      wide = ((wide >> k) | (wide << (bits + 1 - k))) & ((2ull << bits) - 1);
    r = (uint32_t)wide & m;
    cf = (uint32_t)(wide >> bits) & 1;
    cpu_set_cf_of(c, cf | (!!(r & s) != !!(r & (s >> 1)) ? CPU_FLAG_OF : 0));
    return r;
  }
  case SH_SHL:
  case SH_SAL: {
    uint64_t wide = (uint64_t)v << count;
    r = (uint32_t)wide & m;
    cf = (uint32_t)(wide >> bits) & 1;
    shift_set_flags(c, n, r, cf | (!!(r & s) != cf ? CPU_FLAG_OF : 0));
    return r;
  }
  case SH_SHR: {
    r = count >= bits ? 0 : v >> count;
    cf = count > bits ? 0 : (v >> (count - 1)) & 1;
    shift_set_flags(c, n, r, cf | (count == 1 && (v & s) ? CPU_FLAG_OF : 0));
    return r;
  }
  case SH_SAR:
  default: {
    int64_t sv = n == 1 ? (int8_t)v : n == 2 ? (int16_t)v : (int32_t)v;
    r = (uint32_t)(sv >> count) & m; /* count <= 31 < 64 */
    cf = (uint32_t)(sv >> (count - 1)) & 1;
    shift_set_flags(c, n, r, cf);
    return r;
  }
  }
}

/* mem is a constant: each handler's register form is a leaf without a
 * stack frame, its memory form a function of its own (as in alu.c). */
static inline __attribute__((always_inline)) void shift_rm(struct cpu *c, const struct insn *i, enum shift_op op,
                                                           unsigned n, unsigned raw, bool mem) {
  unsigned count = raw & 0x1F;
  uint32_t ea = mem ? cpu_ea(c, i) : 0;
  uint32_t v = mem ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  if (count == 0)
    return;
  /* Probe the write first so a faulting write leaves the flags unchanged. */
  if (mem)
    cpu_probe_write(c, i->seg, ea, n);
  uint32_t r = shift_compute(c, op, n, v, count);
  if (mem)
    cpu_write(c, i->seg, ea, n, r);
  else
    cpu_reg_write(c, i->rm, n, r);
}

#define SHIFT_SPLIT(name, op, n, raw)                                                       \
  static __attribute__((noinline)) void name##_mem(struct cpu *c, const struct insn *i) {   \
    shift_rm(c, i, op, n, raw, true);                                                     \
  }                                                                                       \
  void name(struct cpu *c, const struct insn *i) {                                        \
    if (i->flags & INSN_MEM)                                                              \
      name##_mem(c, i);                                                                   \
    else                                                                                  \
      shift_rm(c, i, op, n, raw, false);                                                  \
  }

#define SHIFT_HANDLERS(OP, op)                           \
  SHIFT_SPLIT(OP##_EbIb, op, 1, i->imm)                  \
  SHIFT_SPLIT(OP##_EwIb, op, 2, i->imm)                  \
  SHIFT_SPLIT(OP##_EdIb, op, 4, i->imm)                  \
  SHIFT_SPLIT(OP##_Eb1, op, 1, 1)                        \
  SHIFT_SPLIT(OP##_Ew1, op, 2, 1)                        \
  SHIFT_SPLIT(OP##_Ed1, op, 4, 1)                        \
  SHIFT_SPLIT(OP##_EbCL, op, 1, cpu_r8(c, CPU_ECX))      \
  SHIFT_SPLIT(OP##_EwCL, op, 2, cpu_r8(c, CPU_ECX))      \
  SHIFT_SPLIT(OP##_EdCL, op, 4, cpu_r8(c, CPU_ECX))

SHIFT_HANDLERS(ROL, SH_ROL)
SHIFT_HANDLERS(ROR, SH_ROR)
SHIFT_HANDLERS(RCL, SH_RCL)
SHIFT_HANDLERS(RCR, SH_RCR)
SHIFT_HANDLERS(SHL, SH_SHL)
SHIFT_HANDLERS(SHR, SH_SHR)
SHIFT_HANDLERS(SAL, SH_SAL)
SHIFT_HANDLERS(SAR, SH_SAR)

/* SHLD/SHRD. CF is the last bit shifted out of dest, OF the sign change,
 * SF ZF PF from the result, AF cleared. */
static inline void shiftd(struct cpu *c, const struct insn *i, unsigned n, bool left, unsigned raw) {
  unsigned count = raw & 0x1F;
  uint32_t ea = (i->flags & INSN_MEM) ? cpu_ea(c, i) : 0;
  uint32_t d = (i->flags & INSN_MEM) ? cpu_read(c, i->seg, ea, n) : cpu_reg_read(c, i->rm, n);
  uint32_t src = cpu_reg_read(c, i->reg, n);
  if (count == 0)
    return;
  if (i->flags & INSN_MEM)
    cpu_probe_write(c, i->seg, ea, n);
  uint32_t m = cpu_mask(n), s = cpu_sign(n), r, cf;
  if (n == 2) {
    /* 48-bit dest:src:dest: counts 17-31 shift dest's bits back in. */
    if (left) {
      uint64_t w = ((uint64_t)d << 32) | ((uint64_t)src << 16) | d;
      r = (uint32_t)(w >> (32 - count)) & m;
      cf = (uint32_t)(w >> (48 - count)) & 1;
    } else {
      uint64_t w = ((uint64_t)d << 32) | ((uint64_t)src << 16) | d;
      r = (uint32_t)(w >> count) & m;
      cf = (uint32_t)(w >> (count - 1)) & 1;
    }
  } else {
    uint64_t w = left ? ((uint64_t)d << 32) | src : ((uint64_t)src << 32) | d;
    if (left) {
      r = (uint32_t)((w << count) >> 32);
      cf = (uint32_t)(w >> (64 - count)) & 1;
    } else {
      r = (uint32_t)(w >> count);
      cf = (uint32_t)(w >> (count - 1)) & 1;
    }
  }
  uint32_t f = cpu_flags_szp(r, n) | cf;
  if ((r ^ d) & s)
    f |= CPU_FLAG_OF;
  cpu_rm_write(c, i, n, ea, r);
  cpu_set_arith(c, f);
}

void SHLD_EwGwIb(struct cpu *c, const struct insn *i) { shiftd(c, i, 2, true, i->imm); }
void SHLD_EdGdIb(struct cpu *c, const struct insn *i) { shiftd(c, i, 4, true, i->imm); }
void SHLD_EwGwCL(struct cpu *c, const struct insn *i) { shiftd(c, i, 2, true, cpu_r8(c, CPU_ECX)); }
void SHLD_EdGdCL(struct cpu *c, const struct insn *i) { shiftd(c, i, 4, true, cpu_r8(c, CPU_ECX)); }
void SHRD_EwGwIb(struct cpu *c, const struct insn *i) { shiftd(c, i, 2, false, i->imm); }
void SHRD_EdGdIb(struct cpu *c, const struct insn *i) { shiftd(c, i, 4, false, i->imm); }
void SHRD_EwGwCL(struct cpu *c, const struct insn *i) { shiftd(c, i, 2, false, cpu_r8(c, CPU_ECX)); }
void SHRD_EdGdCL(struct cpu *c, const struct insn *i) { shiftd(c, i, 4, false, cpu_r8(c, CPU_ECX)); }
