/* ops/bcd.c - DAA DAS AAA AAS AAM AAD: decimal adjustments of AL/AX.
 *
 * Defined results and flags follow the SDM's pseudocode. The flags Intel
 * leaves undefined get deterministic values:
 *   DAA, DAS  OF as the signed overflow of the adjustment (AL plus or minus
 *             the correction)
 *   AAA, AAS  SF ZF PF from the final AL, OF cleared
 *   AAM       OF AF CF cleared (SF ZF PF from AL, as defined)
 *   AAD       OF AF CF of the 8-bit addition AL + AH * imm8 that forms AL
 * AAM with an immediate of 0 raises #DE before it changes anything.
 */
#include "../cpu-internal.h"

void DAA(struct cpu *c, const struct insn *i) {
  (void)i;
  uint32_t f = cpu_flags_arith(c);
  uint8_t old = cpu_r8(c, CPU_EAX), al = old;
  bool old_cf = f & CPU_FLAG_CF, cf = false, af = false;
  if ((al & 0x0F) > 9 || (f & CPU_FLAG_AF)) {
    cf = old_cf || al > 0xF9;
    al = (uint8_t)(al + 6);
    af = true;
  }
  if (old > 0x99 || old_cf) {
    al = (uint8_t)(al + 0x60);
    cf = true;
  } else {
    cf = false;
  }
  cpu_w8(c, CPU_EAX, al);
  uint32_t nf = cpu_flags_szp(al, 1) | (cf ? CPU_FLAG_CF : 0) | (af ? CPU_FLAG_AF : 0);
  if (~old & al & 0x80)
    nf |= CPU_FLAG_OF;
  cpu_set_arith(c, nf);
}

void DAS(struct cpu *c, const struct insn *i) {
  (void)i;
  uint32_t f = cpu_flags_arith(c);
  uint8_t old = cpu_r8(c, CPU_EAX), al = old;
  bool old_cf = f & CPU_FLAG_CF, cf = false, af = false;
  if ((al & 0x0F) > 9 || (f & CPU_FLAG_AF)) {
    cf = old_cf || al < 6;
    al = (uint8_t)(al - 6);
    af = true;
  }
  if (old > 0x99 || old_cf) {
    al = (uint8_t)(al - 0x60);
    cf = true;
  }
  cpu_w8(c, CPU_EAX, al);
  uint32_t nf = cpu_flags_szp(al, 1) | (cf ? CPU_FLAG_CF : 0) | (af ? CPU_FLAG_AF : 0);
  if (old & ~al & 0x80)
    nf |= CPU_FLAG_OF;
  cpu_set_arith(c, nf);
}

/* AAA/AAS: adjust = +1 or -1. */
static void ascii_adjust(struct cpu *c, int adjust) {
  uint32_t f = cpu_flags_arith(c);
  uint16_t ax = cpu_r16(c, CPU_EAX);
  bool carry = (ax & 0x0F) > 9 || (f & CPU_FLAG_AF);
  if (carry)
    ax = (uint16_t)(adjust > 0 ? ax + 0x106 : ax - 0x106);
  ax &= 0xFF0F;
  cpu_w16(c, CPU_EAX, ax);
  cpu_set_arith(c, cpu_flags_szp(ax & 0xFF, 1) | (carry ? CPU_FLAG_CF | CPU_FLAG_AF : 0));
}

void AAA(struct cpu *c, const struct insn *i) {
  (void)i;
  ascii_adjust(c, 1);
}

void AAS(struct cpu *c, const struct insn *i) {
  (void)i;
  ascii_adjust(c, -1);
}

void AAM_Ib(struct cpu *c, const struct insn *i) {
  uint8_t base = (uint8_t)i->imm, al = cpu_r8(c, CPU_EAX);
  if (base == 0)
    cpu_raise(c, CPU_EXC_DE, CPU_NO_ERROR_CODE);
  uint8_t q = al / base, r = al % base;
  cpu_w16(c, CPU_EAX, (uint16_t)(q << 8 | r));
  cpu_set_arith(c, cpu_flags_szp(r, 1));
}

void AAD_Ib(struct cpu *c, const struct insn *i) {
  uint8_t base = (uint8_t)i->imm, al = cpu_r8(c, CPU_EAX), ah = cpu_r8(c, 4);
  uint8_t p = (uint8_t)(ah * base), r = (uint8_t)(al + p);
  cpu_w16(c, CPU_EAX, r);
  cpu_set_lazy(c, CC_ADD8, al, p, r);
}
