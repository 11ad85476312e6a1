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

uint32_t cpu_flags_arith(const struct cpu *c) {
  if (c->cc_op == CC_EAGER)
    return c->eflags & CPU_FLAGS_ARITH;
  unsigned sz = (c->cc_op - 1) % 3;
  unsigned n = sz == CC_SZ8 ? 1 : sz == CC_SZ16 ? 2 : 4;
  uint32_t m = cpu_mask(n), s = cpu_sign(n);
  uint32_t a = c->cc_src1 & m, b = c->cc_src2 & m, r = c->cc_res & m;
  uint32_t f = cpu_flags_szp(r, n);
  switch ((c->cc_op - 1) / 3 * 3 + 1) {
  case CC_ADD8:
  case CC_ADC8:
    if (c->cc_op - sz == CC_ADD8 ? r < a : r <= a)
      f |= CPU_FLAG_CF;
    if ((a ^ r) & (b ^ r) & s)
      f |= CPU_FLAG_OF;
    f |= (a ^ b ^ r) & CPU_FLAG_AF;
    break;
  case CC_SUB8:
  case CC_SBB8:
    if (c->cc_op - sz == CC_SUB8 ? a < b : a <= b)
      f |= CPU_FLAG_CF;
    if ((a ^ b) & (a ^ r) & s)
      f |= CPU_FLAG_OF;
    f |= (a ^ b ^ r) & CPU_FLAG_AF;
    break;
  case CC_LOGIC8:
    break;
  case CC_INC8:
    f |= c->cc_src2 & CPU_FLAG_CF;
    if (r == s)
      f |= CPU_FLAG_OF;
    if ((r & 0xF) == 0)
      f |= CPU_FLAG_AF;
    break;
  case CC_DEC8:
    f |= c->cc_src2 & CPU_FLAG_CF;
    if (r == s - 1)
      f |= CPU_FLAG_OF;
    if ((r & 0xF) == 0xF)
      f |= CPU_FLAG_AF;
    break;
  }
  return f;
}

bool cpu_cf(const struct cpu *c) {
  return (cpu_flags_arith(c) & CPU_FLAG_CF) != 0;
}

bool cpu_cond(const struct cpu *c, unsigned cc) {
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

uint32_t cpu_eflags(const struct cpu *c) {
  return (c->eflags & ~CPU_FLAGS_ARITH) | cpu_flags_arith(c) | 0x2u;
}

void cpu_eflags_write(struct cpu *c, uint32_t value, uint32_t mask) {
  uint32_t cur = cpu_eflags(c);
  c->eflags = ((cur & ~mask) | (value & mask)) | 0x2u;
  c->cc_op = CC_EAGER;
}
