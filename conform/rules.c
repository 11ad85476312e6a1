/* conform/rules.c - the predicates of rules.def.
 *
 * A rule sees one vector through struct vector_view: the instruction decoded
 * as far as the rules need (prefixes, opcode, ModRM, length) and the
 * metadata of its opcode. It never sees the vector's index or hash.
 *
 * The decode is the 286's: prefixes are 26 2E 36 3E (segment), F0 (LOCK),
 * F2 F3 (REP); 66 and 67 are not prefixes on a 286 and the vectors carry
 * none. BYTS holds the instruction followed by the HLT that ends the test.
 */
#include "conform.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "metadata.h"
#include "moo.h"

struct vector_view {
  unsigned n_prefixes;
  bool lock;                      /* an F0 prefix */
  uint16_t opcode;                /* 0x00-0xFF, or 0x0F00 | second byte */
  bool has_next;                  /* a byte follows the opcode */
  uint8_t modrm_mod, modrm_reg;   /* of that byte, if the form has a ModRM */
  unsigned length;                /* instruction bytes, prefixes included */
  bool listed;                    /* the opcode is in metadata.json */
  int excp;                       /* the exception the vector records, or -1 */
  int cpu_exception;              /* AFTER rules: the one ringlab took, or -1 */
  struct conform_opcode_info info;
};

static bool is_prefix(uint8_t b) {
  return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0xF0 || b == 0xF2 ||
         b == 0xF3;
}

static void decode(const struct moo_test *t, const struct conform_metadata *md,
                   struct vector_view *v) {
  const uint8_t *b = t->bytes;
  unsigned n = t->n_bytes;
  *v = (struct vector_view){.info = {.status = NULL, .flags_mask = 0xFFFF},
                            .excp = t->has_excp ? (int)t->excp_number : -1,
                            .cpu_exception = -1};
  v->length = n > 1 && b[n - 1] == 0xF4 ? n - 1 : n; /* the trailing HLT */
  unsigned k = 0;
  while (k < n && is_prefix(b[k])) {
    v->lock |= b[k] == 0xF0;
    k++;
  }
  v->n_prefixes = k;
  if (k >= n)
    return;
  v->opcode = b[k++];
  if (v->opcode == 0x0F && k < n)
    v->opcode = 0x0F00 | b[k++];
  if (k < n) {
    v->has_next = true;
    v->modrm_mod = b[k] >> 6;
    v->modrm_reg = b[k] >> 3 & 7;
  }
  if (!md)
    return;
  char key[8];
  snprintf(key, sizeof key, v->opcode > 0xFF ? "%04X" : "%02X", v->opcode);
  v->listed = conform_metadata_lookup(md, key, -1, &v->info);
  if (!v->listed && v->opcode > 0xFF)
    v->listed = conform_metadata_lookup(md, "0F", -1, &v->info);
  else if (v->listed && v->info.is_group && v->has_next)
    conform_metadata_lookup(md, key, v->modrm_reg, &v->info);
}

/* Instructions that accept LOCK, with a memory destination only (SDM Vol. 2,
 * LOCK): opcode and the ModRM.reg values (bit n = /n) that name them. */
static const struct {
  uint16_t opcode;
  uint8_t regs;
} lockable[] = {
    {0x00, 0xFF},   /* ADD Eb,Gb */
    {0x01, 0xFF},   /* ADD Ev,Gv */
    {0x08, 0xFF},   /* OR Eb,Gb */
    {0x09, 0xFF},   /* OR Ev,Gv */
    {0x10, 0xFF},   /* ADC Eb,Gb */
    {0x11, 0xFF},   /* ADC Ev,Gv */
    {0x18, 0xFF},   /* SBB Eb,Gb */
    {0x19, 0xFF},   /* SBB Ev,Gv */
    {0x20, 0xFF},   /* AND Eb,Gb */
    {0x21, 0xFF},   /* AND Ev,Gv */
    {0x28, 0xFF},   /* SUB Eb,Gb */
    {0x29, 0xFF},   /* SUB Ev,Gv */
    {0x30, 0xFF},   /* XOR Eb,Gb */
    {0x31, 0xFF},   /* XOR Ev,Gv */
    {0x80, 0x7F},   /* group 1 Eb,Ib: ADD OR ADC SBB AND SUB XOR, not CMP */
    {0x81, 0x7F},   /* group 1 Ev,Iz */
    {0x82, 0x7F},   /* group 1 Eb,Ib (alias of 80) */
    {0x83, 0x7F},   /* group 1 Ev,Ib */
    {0x86, 0xFF},   /* XCHG Eb,Gb */
    {0x87, 0xFF},   /* XCHG Ev,Gv */
    {0xF6, 0x0C},   /* group 3 Eb: NOT /2, NEG /3 */
    {0xF7, 0x0C},   /* group 3 Ev: NOT /2, NEG /3 */
    {0xFE, 0x03},   /* group 4 Eb: INC /0, DEC /1 */
    {0xFF, 0x03},   /* group 5 Ev: INC /0, DEC /1 */
    {0x0FAB, 0xFF}, /* BTS Ev,Gv */
    {0x0FB3, 0xFF}, /* BTR Ev,Gv */
    {0x0FBB, 0xFF}, /* BTC Ev,Gv */
    {0x0FBA, 0xE0}, /* group 8 Ev,Ib: BTS /5, BTR /6, BTC /7 */
    {0x0FB0, 0xFF}, /* CMPXCHG Eb,Gb */
    {0x0FB1, 0xFF}, /* CMPXCHG Ev,Gv */
    {0x0FC0, 0xFF}, /* XADD Eb,Gb */
    {0x0FC1, 0xFF}, /* XADD Ev,Gv */
    {0x0FC7, 0x02}, /* group 9: CMPXCHG8B Mq /1 */
};

static bool lock_allowed(const struct vector_view *v) {
  if (!v->has_next || v->modrm_mod == 3)
    return false; /* no ModRM, or a register destination */
  for (unsigned k = 0; k < sizeof lockable / sizeof lockable[0]; k++)
    if (lockable[k].opcode == v->opcode)
      return lockable[k].regs >> v->modrm_reg & 1;
  return false;
}

static bool rule_flags_12_15(const struct vector_view *v, struct conform_adjust *adj) {
  adj->init_flags_clear |= 0xF000;
  adj->flags_keep &= 0x0FFF;
  return true;
}

static bool rule_undefined_flags(const struct vector_view *v, struct conform_adjust *adj) {
  adj->flags_keep &= v->info.flags_mask;
  return v->info.flags_mask != 0xFFFF;
}

static bool rule_fpu_opcode(const struct vector_view *v, struct conform_adjust *adj) {
  return (v->opcode >= 0xD8 && v->opcode <= 0xDF) ||
         (v->info.status && strcmp(v->info.status, "fpu") == 0);
}

static bool rule_not_an_instruction_on_286(const struct vector_view *v,
                                           struct conform_adjust *adj) {
  bool new_on_386 = v->opcode > 0xFF || v->opcode == 0x0F || (v->opcode >= 0x63 && v->opcode <= 0x67);
  return new_on_386 && v->info.status &&
         (strcmp(v->info.status, "undefined") == 0 || strcmp(v->info.status, "extension") == 0);
}

static bool rule_mov_sreg_fs_gs(const struct vector_view *v, struct conform_adjust *adj) {
  return (v->opcode == 0x8C || v->opcode == 0x8E) && v->has_next &&
         (v->modrm_reg == 4 || v->modrm_reg == 5);
}

static bool rule_lock_not_lockable(const struct vector_view *v, struct conform_adjust *adj) {
  return v->lock && !lock_allowed(v);
}

static bool rule_too_long(const struct vector_view *v, struct conform_adjust *adj) {
  return v->length > 10;
}

static bool is_string_op(uint16_t op) {
  return (op >= 0xA4 && op <= 0xA7) || (op >= 0xAA && op <= 0xAF) || (op >= 0x6C && op <= 0x6F);
}

static bool rule_overrun_string_registers(const struct vector_view *v, struct conform_adjust *adj) {
  if (!is_string_op(v->opcode) || v->excp != 13)
    return false;
  adj->regs_ignore |= 1u << MOO_SI | 1u << MOO_DI | 1u << MOO_CX;
  return true;
}

static bool rule_overrun_pop_memory(const struct vector_view *v, struct conform_adjust *adj) {
  return v->opcode == 0x8F && v->excp == 13;
}

static bool rule_aam_zero_flags(const struct vector_view *v, struct conform_adjust *adj) {
  if (v->opcode != 0xD4 || v->excp != 0)
    return false;
  adj->flags_keep &= (uint16_t) ~(CPU_FLAG_SF | CPU_FLAG_ZF | CPU_FLAG_PF);
  return true;
}

static bool rule_overrun_in_stack_segment(const struct vector_view *v, struct conform_adjust *adj) {
  return v->excp == 13 && v->cpu_exception == CPU_EXC_SS;
}

static bool rule_idiv_overflow_missed_by_286(const struct vector_view *v, struct conform_adjust *adj) {
  return (v->opcode == 0xF6 || v->opcode == 0xF7) && v->has_next && v->modrm_reg == 7 &&
         v->excp < 0 && v->cpu_exception == CPU_EXC_DE;
}

static const struct {
  const char *name;
  enum conform_rule_action action;
  const char *reason;
  bool (*applies)(const struct vector_view *v, struct conform_adjust *adj);
} rules[CONFORM_NRULES] = {
#define RULE(name, action, reason) {#name, CONFORM_RULE_##action, reason, rule_##name},
#include "rules.def"
#undef RULE
};

int conform_rules_apply(const struct moo_test *t, const struct conform_metadata *md,
                        struct conform_adjust *adj) {
  struct vector_view v;
  decode(t, md, &v);
  *adj = (struct conform_adjust){.init_flags_clear = 0, .flags_keep = 0xFFFF};
  for (int k = 0; k < CONFORM_NRULES; k++) {
    if (rules[k].action == CONFORM_RULE_MASK)
      rules[k].applies(&v, adj);
    else if (rules[k].action == CONFORM_RULE_SKIP && rules[k].applies(&v, adj))
      return k;
  }
  return -1;
}

int conform_rules_after(const struct moo_test *t, const struct conform_metadata *md,
                        int cpu_exception) {
  struct vector_view v;
  struct conform_adjust unused = {.flags_keep = 0xFFFF};
  decode(t, md, &v);
  v.cpu_exception = cpu_exception;
  for (int k = 0; k < CONFORM_NRULES; k++)
    if (rules[k].action == CONFORM_RULE_AFTER && rules[k].applies(&v, &unused))
      return k;
  return -1;
}

const char *conform_rule_name(enum conform_rule_id id) {
  return (unsigned)id < CONFORM_NRULES ? rules[id].name : "?";
}

const char *conform_rule_reason(enum conform_rule_id id) {
  return (unsigned)id < CONFORM_NRULES ? rules[id].reason : "?";
}

enum conform_rule_action conform_rule_action(enum conform_rule_id id) {
  return (unsigned)id < CONFORM_NRULES ? rules[id].action : CONFORM_RULE_SKIP;
}
