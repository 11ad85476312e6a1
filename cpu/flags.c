/* cpu/flags.c - the arithmetic flags, computed on demand from cc_*.
 *
 * See "Flags" in cpu-internal.h. AF after a logical operation is undefined
 * by Intel; ringlab clears it, as P6-family processors do.
 */
#include "cpu-internal.h"

static const uint8_t parity_even[256] = {
#define P2(n) n, n ^ 1, n ^ 1, n
#define P4(n) P2(n), P2(n ^ 1), P2(n ^ 1), P2(n)
#define P6(n) P4(n), P4(n ^ 1), P4(n ^ 1), P4(n)
    P6(1), P6(0), P6(0), P6(1)
#undef P2
#undef P4
#undef P6
};

uint32_t cpu_flags_szp(uint32_t res, unsigned n) {
  uint32_t f = 0;
  res &= cpu_mask(n);
  if (res == 0)
    f |= CPU_FLAG_ZF;
  if (res & cpu_sign(n))
    f |= CPU_FLAG_SF;
  if (parity_even[res & 0xFF])
    f |= CPU_FLAG_PF;
  return f;
}

/* Per lazy operation: its operand mask, sign bit and kind (the row of
 * enum cpu_cc_op without the size). Index 0 (CC_EAGER) is unused. */
enum { K_ADD = CC_K_ADD, K_ADC = CC_K_ADC, K_SUB = CC_K_SUB, K_SBB = CC_K_SBB, K_LOGIC = CC_K_LOGIC,
       K_INC = CC_K_INC, K_DEC = CC_K_DEC, K_ROT = CC_K_ROT };
#define CC3(k) {0xFFu, 0x80u, k}, {0xFFFFu, 0x8000u, k}, {0xFFFFFFFFu, 0x80000000u, k}
static const struct {
  uint32_t mask, sign;
  uint8_t kind;
} cc_info[] = {{0, 0, CC_K_EAGER}, CC3(K_ADD), CC3(K_ADC), CC3(K_SUB), CC3(K_SBB),
               CC3(K_LOGIC),       CC3(K_INC), CC3(K_DEC), CC3(K_ROT)};
#undef CC3
_Static_assert(sizeof cc_info / sizeof cc_info[0] == CC_COUNT, "a cc_info row per cc_op");

#define KIND3(k) k, k, k
const uint8_t cpu_cc_kind[CC_COUNT] = {CC_K_EAGER,     KIND3(CC_K_ADD), KIND3(CC_K_ADC),
                                       KIND3(CC_K_SUB), KIND3(CC_K_SBB), KIND3(CC_K_LOGIC),
                                       KIND3(CC_K_INC), KIND3(CC_K_DEC), KIND3(CC_K_ROT)};
#undef KIND3
#define ROT3 CC_ROT8, CC_ROT16, CC_ROT32
const uint8_t cpu_cc_rot[CC_COUNT] = {CC_EAGER, ROT3, ROT3, ROT3, ROT3, ROT3, ROT3, ROT3, ROT3};
#undef ROT3

uint32_t cpu_flags_arith(const struct cpu *c) {
  unsigned op = c->cc_op;
  if (op == CC_EAGER || op >= sizeof cc_info / sizeof cc_info[0])
    return c->eflags & CPU_FLAGS_ARITH;
  uint32_t m = cc_info[op].mask, s = cc_info[op].sign;
  uint32_t a = c->cc_src1 & m, b = c->cc_src2 & m, r = c->cc_res & m;
  uint32_t f = parity_even[r & 0xFF] ? CPU_FLAG_PF : 0;
  if (r == 0)
    f |= CPU_FLAG_ZF;
  if (r & s)
    f |= CPU_FLAG_SF;
  switch (cc_info[op].kind) {
  case K_ADD:
  case K_ADC:
    if (cc_info[op].kind == K_ADD ? r < a : r <= a)
      f |= CPU_FLAG_CF;
    if ((a ^ r) & (b ^ r) & s)
      f |= CPU_FLAG_OF;
    f |= (a ^ b ^ r) & CPU_FLAG_AF;
    break;
  case K_SUB:
  case K_SBB:
    if (cc_info[op].kind == K_SUB ? a < b : a <= b)
      f |= CPU_FLAG_CF;
    if ((a ^ b) & (a ^ r) & s)
      f |= CPU_FLAG_OF;
    f |= (a ^ b ^ r) & CPU_FLAG_AF;
    break;
  case K_LOGIC:
    break;
  case K_INC:
    f |= c->cc_src2 & CPU_FLAG_CF;
    if (r == s)
      f |= CPU_FLAG_OF;
    if ((r & 0xF) == 0)
      f |= CPU_FLAG_AF;
    break;
  case K_DEC:
    f |= c->cc_src2 & CPU_FLAG_CF;
    if (r == s - 1)
      f |= CPU_FLAG_OF;
    if ((r & 0xF) == 0xF)
      f |= CPU_FLAG_AF;
    break;
  default: /* K_ROT */
    f |= c->cc_src2 & (CPU_FLAG_CF | CPU_FLAG_OF | CPU_FLAG_AF);
    break;
  }
  return f;
}

/* The full computation: all six flags, then the condition. cpu_cond's
 * fallback, and the reference its fast path is tested against. */
bool cpu_cond_full(const struct cpu *c, unsigned cc) {
  uint32_t f = cpu_flags_arith(c);
  bool r;
  switch (cc >> 1) {
  case 0: r = f & CPU_FLAG_OF; break;                              /* O */
  case 1: r = f & CPU_FLAG_CF; break;                              /* B */
  case 2: r = f & CPU_FLAG_ZF; break;                              /* Z */
  case 3: r = f & (CPU_FLAG_CF | CPU_FLAG_ZF); break;              /* BE */
  case 4: r = f & CPU_FLAG_SF; break;                              /* S */
  case 5: r = f & CPU_FLAG_PF; break;                              /* P */
  case 6: r = !(f & CPU_FLAG_SF) != !(f & CPU_FLAG_OF); break;     /* L */
  default: r = (f & CPU_FLAG_ZF) || (!(f & CPU_FLAG_SF) != !(f & CPU_FLAG_OF)); break; /* LE */
  }
  return (cc & 1) ? !r : r;
}

/* The condition straight from the lazy state (cc_src1, cc_src2, cc_res):
 * only the flags the condition reads are computed, each by the same
 * formula as cpu_flags_arith. CC_EAGER and any other operation fall back
 * to the full computation. */
#define MASK3 0xFFu, 0xFFFFu, 0xFFFFFFFFu
const uint32_t cpu_cc_mask[CC_COUNT] = {0, MASK3, MASK3, MASK3, MASK3, MASK3, MASK3, MASK3, MASK3};
#undef MASK3

bool cpu_cond_lazy(const struct cpu *c, unsigned cc) {
  unsigned op = c->cc_op;
  if (unlikely(op == CC_EAGER || op >= sizeof cc_info / sizeof cc_info[0]))
    return cpu_cond_full(c, cc);
  uint32_t m = cc_info[op].mask, s = cc_info[op].sign;
  unsigned kind = cc_info[op].kind;
  uint32_t a = c->cc_src1 & m, b = c->cc_src2 & m, r = c->cc_res & m;
  bool cf, of, res;
  switch (cc >> 1) {
  case 2: /* Z */
    res = r == 0;
    break;
  case 4: /* S */
    res = (r & s) != 0;
    break;
  case 5: /* P */
    res = parity_even[r & 0xFF];
    break;
  default:
    switch (kind) {
    case K_ADD: cf = r < a; of = (a ^ r) & (b ^ r) & s; break;
    case K_ADC: cf = r <= a; of = (a ^ r) & (b ^ r) & s; break;
    case K_SUB: cf = a < b; of = (a ^ b) & (a ^ r) & s; break;
    case K_SBB: cf = a <= b; of = (a ^ b) & (a ^ r) & s; break;
    case K_LOGIC: cf = false; of = false; break;
    case K_INC: cf = c->cc_src2 & CPU_FLAG_CF; of = r == s; break;
    case K_DEC: cf = c->cc_src2 & CPU_FLAG_CF; of = r == s - 1; break;
    default: cf = c->cc_src2 & CPU_FLAG_CF; of = c->cc_src2 & CPU_FLAG_OF; break; /* K_ROT */
    }
    switch (cc >> 1) {
    case 0: res = of; break;                                  /* O */
    case 1: res = cf; break;                                  /* B */
    case 3: res = cf || r == 0; break;                        /* BE */
    case 6: res = ((r & s) != 0) != of; break;                /* L */
    default: res = r == 0 || (((r & s) != 0) != of); break;   /* LE */
    }
  }
  return (cc & 1) ? !res : res;
}

uint32_t cpu_eflags(const struct cpu *c) {
  return (c->eflags & ~CPU_FLAGS_ARITH) | cpu_flags_arith(c) | 0x2u;
}

void cpu_eflags_write(struct cpu *c, uint32_t value, uint32_t mask) {
  /* A write of none of the arithmetic flags (IF, TF, NT, RF, VM...) leaves
   * the lazy ones as they are: their bits in c->eflags are not read while
   * cc_op is lazy. */
  if (!(mask & CPU_FLAGS_ARITH)) {
    c->eflags = (c->eflags & ~mask) | (value & mask) | 0x2u;
    return;
  }
  /* A write of all six (POPF, IRET) need not compute the lazy ones it
   * replaces. */
  uint32_t cur = (mask & CPU_FLAGS_ARITH) == CPU_FLAGS_ARITH ? c->eflags : cpu_eflags(c);
  c->eflags = ((cur & ~mask) | (value & mask)) | 0x2u;
  c->cc_op = CC_EAGER;
}
