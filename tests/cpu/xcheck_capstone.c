/* tests/cpu/xcheck_capstone.c - the decoder against Capstone 4, both modes.
 *
 * Three passes, each in 16- and 32-bit code:
 *
 *  1. Rows: for every row of the opcode table, ENCODINGS_PER_ROW encodings
 *     built from the row (prefixes, opcode, ModRM with the row's reg and a
 *     random mod/rm; SIB, displacement and immediates random). cpu_decode
 *     must pick that very row, and Capstone must decode the same length and
 *     mnemonic.
 *  2. Random: RANDOM_SEQUENCES random 15-byte sequences.
 *  3. Later instructions (VEX, POPCNT, LZCNT, MOVBE, SYSCALL, RDTSCP ...):
 *     ringlab must give #UD or the P6 meaning.
 *
 * All randomness comes from one xorshift generator with a fixed seed, so a
 * failure reproduces byte for byte.
 *
 * Every comparison ends in one verdict (enum verdict), counted and printed.
 * Besides agreement, the acceptable verdicts are: Capstone decodes a post-P6
 * instruction where ringlab gives #UD (its mnemonics are listed); Capstone
 * decodes a later meaning of a P6 encoding (later_meanings[]); ringlab gives
 * #UD for an instruction not yet modeled (not_modeled[], the system-
 * architecture issue); a LOCK the SDM forbids; known_reason[] and
 * capstone_bug_reason[], each with its reason and checked narrowly. Anything
 * else is a FAILURE, printed with its bytes and grouped by kind.
 *
 * Mnemonics are compared after stripping Capstone's prefix words (lock, rep,
 * bnd ...), through a short alias table: the row mnemonics "jcc", "setcc"
 * and "cmovcc" stand for the sixteen names of the family and are checked
 * against the condition in the opcode's low bits; "x87" for any Capstone x87
 * mnemonic (whose length must still agree).
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu-internal.h"

#define ENCODINGS_PER_ROW 1000 /* per mode */
#define RANDOM_SEQUENCES 1000000 /* per mode */
#define MAX_SHOWN 20
#define SEED 0x52494E474C414231ull /* "RINGLAB1" */

/* ---- random numbers ------------------------------------------------------ */

static uint64_t rng_state = SEED;

static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}
static unsigned rnd_below(unsigned n) { return (unsigned)((rnd() >> 32) % n); }

/* ---- mnemonics ----------------------------------------------------------- */

static const char *const cc_names[16] = {"o", "no", "b", "ae", "e", "ne", "be", "a",
                                         "s", "ns", "p", "np", "l", "ge", "le", "g"};

/* Row mnemonic and a Capstone 4 spelling of the same instruction. */
static const struct {
  const char *row, *capstone;
} aliases[] = {
    {"lret", "retf"},    /* Capstone's Intel syntax says retf */
    {"pusha", "pushaw"}, /* Capstone adds the size suffix */
    {"popa", "popaw"},
    {"nop", "pause"},    /* F3 90: PAUSE is a NOP before the Pentium 4 */
    /* 0F 18 /0-3: PREFETCHh arrived with SSE; a P6 without SSE runs the
     * whole 0F 18-1F hint space as NOPs (row NOP_Ev). */
    {"nop", "prefetchnta"},
    {"nop", "prefetcht0"},
    {"nop", "prefetcht1"},
    {"nop", "prefetcht2"},
    /* x87: the 8087/287 leftovers (NOPs since the 387) and the undocumented
     * FSTP alias D9 D8+i, which Capstone spells its own way */
    {"fneni", "feni8087_nop"},
    {"fndisi", "fdisi8087_nop"},
    {"fnsetpm", "fsetpm"},
    {"fstp", "fstpnce"},
};

/* Capstone's mnemonic without its prefix words ("lock add" -> "add"). */
static const char *strip_prefixes(const char *m) {
  static const char *const words[] = {"lock ", "rep ", "repe ", "repne ", "repz ", "repnz ",
                                      "bnd ", "notrack ", "xacquire ", "xrelease ",
                                      "data16 ", "addr16 ", "addr32 "};
  for (bool again = true; again;) {
    again = false;
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
      size_t n = strlen(words[k]);
      if (strncmp(m, words[k], n) == 0) {
        m += n;
        again = true;
      }
    }
  }
  return m;
}

/* Does Capstone's (stripped) mnemonic name the instruction ringlab decoded? */
static bool mnemonic_matches(const struct insn *in, const char *cs) {
  const char *rm = cpu_rows[in->row].mnemonic;
  char want[16];
  if (strcmp(rm, "jcc") == 0 || strcmp(rm, "setcc") == 0 || strcmp(rm, "cmovcc") == 0) {
    snprintf(want, sizeof want, "%.*s%s", rm[0] == 'j' ? 1 : rm[0] == 's' ? 3 : 4, rm,
             cc_names[in->opcode & 15]);
    return strcmp(cs, want) == 0;
  }
  if (strcmp(rm, "jcxz") == 0) /* the address size picks CX or ECX */
    return strcmp(cs, (in->flags & INSN_A32) ? "jecxz" : "jcxz") == 0;
  if (strcmp(rm, "x87") == 0)
    return cs[0] == 'f';
  if (strcmp(rm, cs) == 0)
    return true;
  for (size_t k = 0; k < sizeof aliases / sizeof aliases[0]; k++)
    if (strcmp(rm, aliases[k].row) == 0 && strcmp(cs, aliases[k].capstone) == 0)
      return true;
  return false;
}

/* The mnemonics of the rows, as Capstone may spell them, sorted: a Capstone
 * mnemonic outside this set names an instruction the i686 core lacks. */
static const char *core_names[512];
static unsigned n_core_names;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_core_name(const char *s) {
  for (unsigned k = 0; k < n_core_names; k++)
    if (strcmp(core_names[k], s) == 0)
      return;
  if (n_core_names < sizeof core_names / sizeof core_names[0])
    core_names[n_core_names++] = strdup(s);
}

static void build_core_names(void) {
  for (unsigned r = CPU_ROW_TOOLONG + 1; r < cpu_row_count; r++) {
    const char *m = cpu_rows[r].mnemonic;
    if (strcmp(m, "jcc") == 0 || strcmp(m, "setcc") == 0 || strcmp(m, "cmovcc") == 0) {
      for (unsigned c = 0; c < 16; c++) {
        char b[16];
        snprintf(b, sizeof b, "%.*s%s", m[0] == 'j' ? 1 : m[0] == 's' ? 3 : 4, m, cc_names[c]);
        add_core_name(b);
      }
    } else if (strcmp(m, "x87") != 0) {
      add_core_name(m);
    }
  }
  add_core_name("jecxz");
  for (size_t k = 0; k < sizeof aliases / sizeof aliases[0]; k++)
    add_core_name(aliases[k].capstone);
  qsort(core_names, n_core_names, sizeof core_names[0], cmp_str);
}

static bool is_core_name(const char *m) {
  return bsearch(&m, core_names, n_core_names, sizeof core_names[0], cmp_str) != NULL;
}

/* ---- the acceptable categories -------------------------------------------- */

/* Not yet modeled (system-architecture issue): ringlab gives #UD until the
 * system instructions land. Matched on Capstone's mnemonic and, when
 * operand is given, on the operand text. */
static const struct {
  const char *mnemonic;
  const char *operand; /* substring of op_str required, or NULL */
  const char *what;
} not_modeled[] = {
    {"rdpmc", NULL, "0F 33"},
    {"rsm", NULL, "0F AA (#UD outside SMM anyway)"},
};
#define N_NOT_MODELED (sizeof not_modeled / sizeof not_modeled[0])

static int not_modeled_index(const char *m, const char *ops) {
  for (unsigned k = 0; k < N_NOT_MODELED; k++) {
    if (strcmp(m, not_modeled[k].mnemonic) != 0)
      continue;
    if (!not_modeled[k].operand)
      return (int)k;
    for (const char *p = strstr(ops, not_modeled[k].operand); p; p = strstr(p + 1, not_modeled[k].operand))
      if (p[2] >= '0' && p[2] <= '9') /* cr0, dr7: not "ptr" */
        return (int)k;
  }
  return -1;
}

/* Encodings a P6 decodes to its own meaning, which Capstone reads as a later
 * instruction (same length, other mnemonic). */
static const struct {
  const char *row, *capstone, *why;
} later_meanings[] = {
    {"bsf", "tzcnt", "F3 0F BC: TZCNT (BMI1) is BSF with an ignored F3 prefix on an i686"},
    {"bsr", "lzcnt", "F3 0F BD: LZCNT (ABM) is BSR with an ignored F3 prefix on an i686"},
};

/* Opcodes defined to raise #UD, which Capstone names. */
static const char *const arch_ud[] = {"ud2b", "ud1", "ud0"};

/* Disagreements that are neither side's bug in this model, with the reason. */
enum known {
  KNOWN_SREG_UD, /* listed in known_reason[] */
  KNOWN_X87_RESERVED,
  N_KNOWN
};
static const char *const known_reason[N_KNOWN] = {
    [KNOWN_SREG_UD] = "8C/8E with Sreg 6 or 7: ringlab decodes the MOV row, whose handler raises "
                      "#UD; Capstone rejects the encoding",
    [KNOWN_X87_RESERVED] = "D8-DF reserved x87 encodings: ringlab decodes the x87 escape row "
                           "(length from ModRM; it raises #NM or #UD), Capstone rejects them",
};

/* Capstone 4.0.2 errors, each checked narrowly (see classify). */
enum capstone_bug {
  CSBUG_CBW16,
  CSBUG_PREFIX_ORDER,
  CSBUG_NOP_REG,
  CSBUG_CBW_66_TWICE,
  N_CSBUG
};
static const char *const capstone_bug_reason[N_CSBUG] = {
    [CSBUG_CBW16] = "98/99 with 16-bit operand size in 16-bit code: Capstone says cwde/cdq "
                    "(SDM: CBW/CWD; Capstone gets them right in 32-bit code)",
    [CSBUG_PREFIX_ORDER] = "66 or 67 not next to the opcode: Capstone drops it for some opcodes; "
                           "it agrees once the prefix is moved (SDM 2.1.1: prefix order is free)",
    [CSBUG_NOP_REG] = "0F 1F /0 with mod 3: Capstone rejects it (SDM: NOP r/m16, r/m32)",
    [CSBUG_CBW_66_TWICE] = "98/99 with 66 given twice in 32-bit code: Capstone says cwde/cdq, as if the "
                           "second 66 undid the first (SDM 2.1: a repeated prefix is the prefix)",
};

enum verdict {
  V_AGREE,            /* same length and mnemonic */
  V_BOTH_INVALID,     /* ringlab #UD, Capstone cannot decode */
  V_BOTH_TOOLONG,     /* ringlab #GP (over 15 bytes), Capstone cannot decode */
  V_LATER_UD,         /* ringlab #UD, Capstone decodes a post-P6 instruction */
  V_LATER_MEANING,    /* ringlab the P6 meaning, Capstone a later one */
  V_NOT_MODELED,      /* ringlab #UD: not yet modeled (system-architecture issue) */
  V_LOCK_UD,          /* ringlab #UD for a LOCK the SDM forbids; Capstone ignores it */
  V_ARCH_UD,          /* both mean #UD (UD0/UD1 that Capstone names) */
  V_KNOWN,            /* one of known_reason[] */
  V_CAPSTONE_BUG,     /* one of capstone_bug_reason[]: ringlab follows the SDM */
  V_FAIL,
  N_VERDICTS
};
static const char *const verdict_name[N_VERDICTS] = {
    [V_AGREE] = "agree (length and mnemonic)",
    [V_BOTH_INVALID] = "both invalid (#UD / Capstone rejects)",
    [V_BOTH_TOOLONG] = "both reject: over 15 bytes",
    [V_LATER_UD] = "ringlab #UD, Capstone post-P6 or not in ringlab's CPUID",
    [V_LATER_MEANING] = "ringlab P6 meaning, Capstone later meaning",
    [V_NOT_MODELED] = "ringlab #UD: not yet modeled (system-architecture issue)",
    [V_LOCK_UD] = "ringlab #UD for LOCK (SDM), Capstone ignores LOCK rules",
    [V_ARCH_UD] = "both #UD (UD0/UD1 named by Capstone)",
    [V_KNOWN] = "known disagreement (see reasons)",
    [V_CAPSTONE_BUG] = "Capstone 4 bug, ringlab follows the SDM (see reasons)",
    [V_FAIL] = "FAILURE",
};

/* ---- tallies -------------------------------------------------------------- */

struct tally {
  unsigned long verdicts[N_VERDICTS];
  unsigned long known[N_KNOWN];
  unsigned long capstone_bug[N_CSBUG];
  unsigned long not_modeled[N_NOT_MODELED];
  unsigned long later_meaning[sizeof later_meanings / sizeof later_meanings[0]];
  unsigned shown;
};

/* Capstone mnemonics seen for V_LATER_UD, with counts (open addressing). */
#define LATER_SLOTS 4096
static struct {
  char name[32];
  unsigned long count;
} later_seen[LATER_SLOTS];

/* Forms seen in the known categories, for the report: x87 by opcode and
 * ModRM (memory forms by reg only). */
static bool x87_reserved_seen[8][8 + 64];


static void note_x87(const struct insn *in) {
  unsigned op = in->opcode - 0xD8;
  x87_reserved_seen[op][(in->flags & INSN_MEM) ? in->reg : 8 + (in->modrm & 63)] = true;
}

static void report_forms(void) {
  printf("x87 encodings Capstone rejects (ringlab: x87 escape row):\n ");
  for (unsigned op = 0; op < 8; op++) {
    for (unsigned f = 0; f < 8; f++)
      if (x87_reserved_seen[op][f])
        printf(" %02X/%u(mem)", 0xD8 + op, f);
    for (unsigned f = 0; f < 64; f++)
      if (x87_reserved_seen[op][8 + f])
        printf(" %02X %02X", 0xD8 + op, 0xC0 + f);
  }
  printf("\n");
}

static void count_later(const char *m) {
  unsigned h = 5381;
  for (const char *p = m; *p; p++)
    h = h * 33 + (unsigned char)*p;
  for (unsigned k = 0; k < LATER_SLOTS; k++) {
    unsigned s = (h + k) % LATER_SLOTS;
    if (later_seen[s].count == 0) {
      snprintf(later_seen[s].name, sizeof later_seen[s].name, "%s", m);
      later_seen[s].count = 1;
      return;
    }
    if (strcmp(later_seen[s].name, m) == 0) {
      later_seen[s].count++;
      return;
    }
  }
}

/* ---- one comparison -------------------------------------------------------- */

struct cs_result {
  bool ok;
  unsigned len;
  const char *mnem; /* full without prefix words */
  char full[CS_MNEMONIC_SIZE];
  char ops[160];
};

static csh cs16, cs32;
static cs_insn *cs_one;

/* Capstone's decode of the 15 bytes at b into *r (r->ok false if none). */
static void cs_decode(struct cs_result *r, const uint8_t *b, bool code32) {
  const uint8_t *code = b;
  size_t size = 15;
  uint64_t addr = 0;
  memset(r, 0, sizeof *r);
  r->mnem = r->full;
  if (cs_disasm_iter(code32 ? cs32 : cs16, &code, &size, &addr, cs_one)) {
    r->ok = true;
    r->len = cs_one->size;
    snprintf(r->full, sizeof r->full, "%s", cs_one->mnemonic);
    snprintf(r->ops, sizeof r->ops, "%s", cs_one->op_str);
    r->mnem = strip_prefixes(r->full);
  }
}

/* Failures grouped by what disagrees, each with its first bytes. */
#define MAX_GROUPS 64
static struct {
  char key[96];
  unsigned long count;
  char example[200];
} groups[MAX_GROUPS];
static unsigned n_groups;

static void show(struct tally *t, const char *pass, const uint8_t *b, bool code32,
                 const struct insn *in, unsigned rl, const struct cs_result *c, const char *why) {
  char line[200], key[96];
  int n = snprintf(line, sizeof line, "%s %d-bit:", pass, code32 ? 32 : 16);
  for (unsigned k = 0; k < 15; k++)
    n += snprintf(line + n, sizeof line - (size_t)n, " %02X", b[k]);
  snprintf(key, sizeof key, "%d-bit %s/%s vs %s: %s", code32 ? 32 : 16, cpu_rows[in->row].name,
           cpu_rows[in->row].mnemonic, c->ok ? c->mnem : "invalid", why);
  unsigned g = 0;
  while (g < n_groups && strcmp(groups[g].key, key) != 0)
    g++;
  if (g == n_groups && n_groups < MAX_GROUPS) {
    snprintf(groups[g].key, sizeof groups[g].key, "%s", key);
    snprintf(groups[g].example, sizeof groups[g].example, "%s", line);
    n_groups++;
  }
  if (g < n_groups)
    groups[g].count++;
  if (t->shown++ >= MAX_SHOWN)
    return;
  printf("  FAIL %s\n       ringlab: row %s len %u; capstone: ", line, cpu_rows[in->row].name, rl);
  if (c->ok)
    printf("\"%s %s\" len %u", c->full, c->ops, c->len);
  else
    printf("invalid");
  printf("; %s\n", why);
}

static void report_groups(void) {
  if (n_groups)
    printf("Failures by kind:\n");
  for (unsigned g = 0; g < n_groups; g++)
    printf("  %7lu  %s\n           e.g. %s\n", groups[g].count, groups[g].key, groups[g].example);
}

static bool is_prefix(uint8_t p) {
  switch (p) {
  case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65:
  case 0x66: case 0x67: case 0xF0: case 0xF2: case 0xF3:
    return true;
  default:
    return false;
  }
}

/* Is the #UD from a LOCK on an encoding that decodes without it? */
static bool lock_explains(const uint8_t *b, bool code32, const struct cs_result *c) {
  uint8_t copy[15];
  memcpy(copy, b, 15);
  bool had = false;
  for (unsigned k = 0; k < 15 && is_prefix(copy[k]); k++)
    if (copy[k] == 0xF0) {
      copy[k] = 0x3E; /* DS override: same length, no LOCK */
      had = true;
    }
  if (!had)
    return false;
  struct insn in;
  unsigned len = cpu_decode(&in, copy, 15, code32);
  if (in.row == CPU_ROW_UD || in.row == CPU_ROW_TOOLONG)
    return false;
  const struct cpu_row *row = &cpu_rows[in.row];
  bool lockable = (row->flags & F_LOCK) && (in.flags & INSN_MEM);
  bool cbw16_bug = !code32 && (row->fn == CBW || row->fn == CWD) && /* CSBUG_CBW16 as well */
                   strcmp(c->mnem, row->fn == CBW ? "cwde" : "cdq") == 0;
  return !lockable && len == c->len && (mnemonic_matches(&in, c->mnem) || cbw16_bug);
}

/* Does Capstone agree once each single 66 and/or 67 prefix is moved next to
 * the opcode? Only the order of the prefixes changes, which the SDM says
 * does not matter. */
static bool capstone_agrees_reordered(const uint8_t *b, bool code32, const struct insn *in, unsigned rl) {
  unsigned np = 0, n66 = 0, n67 = 0;
  while (np < 14 && is_prefix(b[np])) {
    n66 += b[np] == 0x66;
    n67 += b[np] == 0x67;
    np++;
  }
  static const uint8_t orders[4][2] = {{0x66, 0}, {0x67, 0}, {0x66, 0x67}, {0x67, 0x66}};
  for (unsigned o = 0; o < 4; o++) {
    uint8_t copy[15];
    unsigned m = 0;
    bool usable = true;
    for (unsigned k = 0; k < 2 && orders[o][k]; k++)
      if ((orders[o][k] == 0x66 ? n66 : n67) != 1)
        usable = false;
    if (!usable)
      continue;
    for (unsigned k = 0; k < np; k++)
      if (b[k] != orders[o][0] && b[k] != orders[o][1])
        copy[m++] = b[k];
    for (unsigned k = 0; k < 2 && orders[o][k]; k++)
      copy[m++] = orders[o][k];
    memcpy(copy + m, b + np, 15 - np);
    struct insn again;
    if (cpu_decode(&again, copy, 15, code32) != rl || again.row != in->row)
      return false; /* ringlab itself must not care about the order */
    struct cs_result c;
    cs_decode(&c, copy, code32);
    if (c.ok && c.len == rl && mnemonic_matches(in, c.mnem))
      return true;
  }
  return false;
}

/* Classifies one decoded sequence; in/rl are ringlab's decode. */
static enum verdict classify(struct tally *t, const char *pass, const uint8_t *b, bool code32,
                             const struct insn *in, unsigned rl, const struct cs_result *c) {
  unsigned row = in->row;
  if (row == CPU_ROW_TOOLONG) {
    if (!c->ok)
      return V_BOTH_TOOLONG;
    show(t, pass, b, code32, in, rl, c, "ringlab: over 15 bytes");
    return V_FAIL;
  }
  if (row == CPU_ROW_UD) {
    if (!c->ok)
      return V_BOTH_INVALID;
    int nm = not_modeled_index(c->mnem, c->ops);
    if (nm >= 0) {
      t->not_modeled[nm]++;
      return V_NOT_MODELED;
    }
    if (lock_explains(b, code32, c))
      return V_LOCK_UD;
    for (size_t k = 0; k < sizeof arch_ud / sizeof arch_ud[0]; k++)
      if (strcmp(c->mnem, arch_ud[k]) == 0)
        return V_ARCH_UD;
    if (!is_core_name(c->mnem) || strstr(c->ops, "mm")) { /* cmpsd xmm0, ... is SSE2 */
      count_later(c->mnem);
      return V_LATER_UD;
    }
    show(t, pass, b, code32, in, rl, c, "ringlab #UD, Capstone an i686 core instruction");
    return V_FAIL;
  }
  /* ringlab decoded a row */
  const struct cpu_row *r = &cpu_rows[row];
  if (!c->ok) {
    if (strcmp(r->mnemonic, "x87") == 0) {
      t->known[KNOWN_X87_RESERVED]++;
      note_x87(in);
      return V_KNOWN;
    }
    if (r->fn == NOP_Ev && !(in->flags & INSN_MEM)) {
      t->capstone_bug[CSBUG_NOP_REG]++;
      return V_CAPSTONE_BUG;
    }
    if ((r->opcode == 0x8C || r->opcode == 0x8E) && r->map == 0 && in->reg >= 6) {
      t->known[KNOWN_SREG_UD]++;
      return V_KNOWN;
    }
    if (capstone_agrees_reordered(b, code32, in, rl)) { /* e.g. 66 F3 A0: rejected, F3 66 A0 not */
      t->capstone_bug[CSBUG_PREFIX_ORDER]++;
      return V_CAPSTONE_BUG;
    }
    show(t, pass, b, code32, in, rl, c, "Capstone rejects");
    return V_FAIL;
  }
  bool mn = mnemonic_matches(in, c->mnem);
  if (rl == c->len && mn)
    return V_AGREE;
  if (rl == c->len && !code32 && (r->fn == CBW || r->fn == CWD) &&
      strcmp(c->mnem, r->fn == CBW ? "cwde" : "cdq") == 0) {
    t->capstone_bug[CSBUG_CBW16]++;
    return V_CAPSTONE_BUG;
  }
  if (capstone_agrees_reordered(b, code32, in, rl)) {
    t->capstone_bug[CSBUG_PREFIX_ORDER]++;
    return V_CAPSTONE_BUG;
  }
  if (rl == c->len && code32 && (r->fn == CBW || r->fn == CWD) &&
      strcmp(c->mnem, r->fn == CBW ? "cwde" : "cdq") == 0) {
    unsigned n66 = 0;
    for (unsigned k = 0; k < rl && is_prefix(b[k]); k++)
      n66 += b[k] == 0x66;
    if (n66 >= 2) {
      t->capstone_bug[CSBUG_CBW_66_TWICE]++;
      return V_CAPSTONE_BUG;
    }
  }
  if (rl == c->len) {
    for (size_t k = 0; k < sizeof later_meanings / sizeof later_meanings[0]; k++)
      if (strcmp(r->mnemonic, later_meanings[k].row) == 0 &&
          strcmp(c->mnem, later_meanings[k].capstone) == 0) {
        t->later_meaning[k]++;
        return V_LATER_MEANING;
      }
  }
  show(t, pass, b, code32, in, rl, c, rl != c->len ? "length differs" : "mnemonic differs");
  return V_FAIL;
}

/* ---- pass 1: encodings generated from the rows ----------------------------- */

/* Longest the row's bytes after the prefixes can be (for the 15-byte limit). */
static unsigned core_max(const struct cpu_row *row) {
  unsigned n = 1 + row->map + ((row->flags & F_MODRM) ? 6 : 0);
  static const unsigned imm_max[] = {
      [IMM_NONE] = 0, [IMM_B] = 1, [IMM_BS] = 1, [IMM_W] = 2, [IMM_Z] = 4,
      [IMM_JB] = 1,   [IMM_JZ] = 4, [IMM_AP] = 6, [IMM_MOFFS] = 4, [IMM_WB] = 3};
  return n + imm_max[row->imm];
}

static void gen_row(unsigned ri, bool code32, uint8_t b[15]) {
  const struct cpu_row *row = &cpu_rows[ri];
  for (unsigned k = 0; k < 15; k++)
    b[k] = (uint8_t)rnd();

  /* opcode */
  unsigned op = row->opcode;
  if (row->flags & F_OPCC)
    op += rnd_below(16);
  else if (row->flags & F_OPREG)
    op += (row->map == 0 && row->opcode == 0x90) ? 1 + rnd_below(7) : rnd_below(8); /* 90 is NOP */

  /* ModRM */
  unsigned modrm = 0;
  bool mem = false;
  if (row->flags & F_MODRM) {
    unsigned reg = row->reg != ANY ? (unsigned)row->reg : rnd_below(8);
    if (row->map == 0 && (row->opcode == 0x8C || row->opcode == 0x8E))
      reg = rnd_below(6); /* Sreg 6, 7 do not exist */
    unsigned mod = (row->flags & F_MEMONLY) ? rnd_below(3) : (row->flags & F_REGONLY) ? 3 : rnd_below(4);
    unsigned rm = (row->flags & F_RM_EXACT) ? F_RM_OF(row->flags) : rnd_below(8); /* FNINIT: DB E3 */
    modrm = (mod << 6) | (reg << 3) | rm;
    mem = mod != 3;
  }

  /* prefixes */
  uint8_t pfx[8];
  unsigned np = 0, budget = 15 - core_max(row);
  bool want66 = row->osize == OS_ANY ? rnd_below(4) == 0 : (row->osize == OS32) != code32;
  if (want66)
    pfx[np++] = 0x66;
  if (rnd_below(4) == 0)
    pfx[np++] = 0x67;
  if ((row->flags & F_LOCK) && mem && rnd_below(3) == 0)
    pfx[np++] = 0xF0;
  if ((row->flags & F_STRING) && rnd_below(3) == 0) {
    bool compares = op == 0xA6 || op == 0xA7 || op == 0xAE || op == 0xAF;
    pfx[np++] = compares && rnd_below(2) ? 0xF2 : 0xF3;
  }
  if (row->map == 0 && row->opcode == 0x90 && !(row->flags & F_OPREG) && rnd_below(3) == 0)
    pfx[np++] = 0xF3; /* PAUSE */
  static const uint8_t segs[] = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65};
  for (unsigned k = rnd_below(3); k > 0 && np < budget; k--)
    pfx[np++] = segs[rnd_below(6)];
  for (unsigned k = np; k > 1; k--) { /* any order */
    unsigned j = rnd_below(k);
    uint8_t t = pfx[k - 1];
    pfx[k - 1] = pfx[j];
    pfx[j] = t;
  }

  unsigned pos = 0;
  for (unsigned k = 0; k < np; k++)
    b[pos++] = pfx[k];
  if (row->map == 1)
    b[pos++] = 0x0F;
  b[pos++] = (uint8_t)op;
  if (row->flags & F_MODRM)
    b[pos++] = (uint8_t)modrm;
  /* SIB, displacement and immediates: the random bytes already there */
}

static unsigned row_span(const struct cpu_row *r) {
  return (r->flags & F_OPCC) ? 16 : (r->flags & F_OPREG) ? 8 : 1;
}

/* Is `got` a single-opcode row listed before the range row `want` (say
 * FNSTCW before the X87_escape catch-all), which the decoder rightly picks
 * for an encoding generated from `want`? The encoding is then checked
 * against `got`. */
static bool claimed_first(unsigned got, unsigned want) {
  const struct cpu_row *g = &cpu_rows[got], *w = &cpu_rows[want];
  return got > CPU_ROW_TOOLONG && got < want && g->map == w->map && row_span(g) < row_span(w);
}

static void pass_rows(struct tally *t, bool code32, unsigned long *n) {
  uint8_t b[15];
  for (unsigned ri = CPU_ROW_TOOLONG + 1; ri < cpu_row_count; ri++) {
    for (unsigned e = 0; e < ENCODINGS_PER_ROW; e++) {
      gen_row(ri, code32, b);
      struct insn in;
      unsigned rl = cpu_decode(&in, b, 15, code32);
      struct cs_result c;
      cs_decode(&c, b, code32);
    c.mnem = strip_prefixes(c.full);
  c.mnem = strip_prefixes(c.full);
      (*n)++;
      if (in.row != ri && !claimed_first(in.row, ri)) {
        t->verdicts[V_FAIL]++;
        show(t, "row", b, code32, &in, rl, &c, "");
        if (t->shown <= MAX_SHOWN)
          printf("       (generated for row %s)\n", cpu_rows[ri].name);
        continue;
      }
      t->verdicts[classify(t, "row", b, code32, &in, rl, &c)]++;
    }
  }
}

/* ---- pass 2: random bytes ---------------------------------------------------- */

static void pass_random(struct tally *t, bool code32) {
  uint8_t b[16];
  for (unsigned long s = 0; s < RANDOM_SEQUENCES; s++) {
    uint64_t x = rnd(), y = rnd();
    memcpy(b, &x, 8);
    memcpy(b + 8, &y, 8);
    struct insn in;
    unsigned rl = cpu_decode(&in, b, 15, code32);
    struct cs_result c;
    cs_decode(&c, b, code32);
  c.mnem = strip_prefixes(c.full);
    t->verdicts[classify(t, "random", b, code32, &in, rl, &c)]++;
  }
}

/* ---- pass 3: instructions after the P6 ---------------------------------------- */

/* Encodings of later instructions, fixed bytes then random ones. ringlab
 * must give #UD, or decode the P6 meaning named in p6 (same length as
 * Capstone's decode when Capstone decodes). */
static const struct {
  const char *name;
  uint8_t bytes[6];
  unsigned n;
  const char *p6; /* row mnemonic of the P6 meaning, or NULL: #UD */
} later[] = {
    {"VEX2 (C5, vzeroupper)", {0xC5, 0xF8, 0x77}, 3, NULL},
    {"VEX2 (C5, vaddps)", {0xC5, 0xF0, 0x58}, 3, NULL},
    {"VEX3 (C4, andn)", {0xC4, 0xE2, 0x78, 0xF2}, 4, NULL},
    {"EVEX (62, vmovups zmm)", {0x62, 0xF1, 0x7C, 0x48, 0x10}, 5, NULL},
    {"XOP (8F, vpcmov)", {0x8F, 0xE8, 0x78, 0xA2}, 4, NULL},
    {"POPCNT", {0xF3, 0x0F, 0xB8}, 3, NULL},
    {"LZCNT", {0xF3, 0x0F, 0xBD}, 3, "bsr"},
    {"TZCNT", {0xF3, 0x0F, 0xBC}, 3, "bsf"},
    {"MOVBE load", {0x0F, 0x38, 0xF0}, 3, NULL},
    {"MOVBE store", {0x0F, 0x38, 0xF1}, 3, NULL},
    {"CRC32", {0xF2, 0x0F, 0x38, 0xF1}, 4, NULL},
    {"ADCX", {0x66, 0x0F, 0x38, 0xF6}, 4, NULL},
    {"SYSCALL", {0x0F, 0x05}, 2, NULL},
    {"SYSRET", {0x0F, 0x07}, 2, NULL},
    {"RDTSCP", {0x0F, 0x01, 0xF9}, 3, NULL},
    {"XGETBV", {0x0F, 0x01, 0xD0}, 3, NULL},
    {"MONITOR", {0x0F, 0x01, 0xC8}, 3, NULL},
    {"XEND", {0x0F, 0x01, 0xD5}, 3, NULL},
    {"XBEGIN", {0xC7, 0xF8}, 2, NULL},
    {"XABORT", {0xC6, 0xF8}, 2, NULL},
    {"RDRAND", {0x0F, 0xC7, 0xF0}, 3, NULL},
    {"LFENCE", {0x0F, 0xAE, 0xE8}, 3, NULL},
    {"MFENCE", {0x0F, 0xAE, 0xF0}, 3, NULL},
    {"CLFLUSH", {0x0F, 0xAE, 0x38}, 3, NULL},
    {"FXSAVE", {0x0F, 0xAE, 0x00}, 3, NULL},
    {"MOVUPS (SSE)", {0x0F, 0x10}, 2, NULL},
    {"MOVSD (SSE2)", {0xF2, 0x0F, 0x10}, 3, NULL},
    {"PADDB (MMX)", {0x0F, 0xFC}, 2, NULL},
    {"EMMS (MMX)", {0x0F, 0x77}, 2, NULL},
    {"PAUSE", {0xF3, 0x90}, 2, "nop"},
};
#define N_LATER (sizeof later / sizeof later[0])
#define LATER_ENCODINGS 1000 /* per template and mode */

static unsigned long pass_later(bool code32) {
  unsigned long fails = 0;
  for (unsigned k = 0; k < N_LATER; k++) {
    unsigned long ud = 0, p6 = 0;
    char cs_names[64] = "";
    for (unsigned e = 0; e < LATER_ENCODINGS; e++) {
      uint8_t b[16];
      uint64_t x = rnd(), y = rnd();
      memcpy(b, &x, 8);
      memcpy(b + 8, &y, 8);
      memcpy(b, later[k].bytes, later[k].n);
      struct insn in;
      unsigned rl = cpu_decode(&in, b, 15, code32);
      struct cs_result c;
      cs_decode(&c, b, code32);
      if (c.ok && !strstr(cs_names, c.mnem) && strlen(cs_names) + strlen(c.mnem) + 2 < sizeof cs_names)
        snprintf(cs_names + strlen(cs_names), sizeof cs_names - strlen(cs_names), "%s%s",
                 cs_names[0] ? " " : "", c.mnem);
      if (in.row == CPU_ROW_UD) {
        ud++;
        continue;
      }
      if (later[k].p6 && strcmp(cpu_rows[in.row].mnemonic, later[k].p6) == 0 && (!c.ok || c.len == rl)) {
        p6++;
        continue;
      }
      if (fails++ < MAX_SHOWN) {
        printf("  FAIL later %d-bit %s:", code32 ? 32 : 16, later[k].name);
        for (unsigned j = 0; j < 15; j++)
          printf(" %02X", b[j]);
        printf("\n       ringlab: row %s len %u; capstone: %s len %u\n", cpu_rows[in.row].name, rl,
               c.ok ? c.full : "invalid", c.len);
      }
    }
    printf("  %d-bit %-24s ringlab #UD %4lu, P6 meaning %4lu; Capstone: %s\n", code32 ? 32 : 16,
           later[k].name, ud, p6, cs_names[0] ? cs_names : "invalid");
  }
  return fails;
}

/* ---- report ------------------------------------------------------------------ */

static void report(const char *title, const struct tally *t) {
  printf("%s\n", title);
  for (unsigned v = 0; v < N_VERDICTS; v++)
    if (t->verdicts[v])
      printf("  %-60s %9lu\n", verdict_name[v], t->verdicts[v]);
  for (unsigned k = 0; k < N_KNOWN; k++)
    if (t->known[k])
      printf("    known: %9lu  %s\n", t->known[k], known_reason[k]);
  for (unsigned k = 0; k < N_CSBUG; k++)
    if (t->capstone_bug[k])
      printf("    capstone bug: %7lu  %s\n", t->capstone_bug[k], capstone_bug_reason[k]);
  for (unsigned k = 0; k < N_NOT_MODELED; k++)
    if (t->not_modeled[k])
      printf("    not yet modeled: %-9s %-16s %7lu\n", not_modeled[k].mnemonic, not_modeled[k].what,
             t->not_modeled[k]);
  for (size_t k = 0; k < sizeof later_meanings / sizeof later_meanings[0]; k++)
    if (t->later_meaning[k])
      printf("    later meaning: %7lu  %s\n", t->later_meaning[k], later_meanings[k].why);
}

static int cmp_later(const void *a, const void *b) {
  const unsigned long ca = ((const typeof(later_seen[0]) *)a)->count;
  const unsigned long cb = ((const typeof(later_seen[0]) *)b)->count;
  return ca < cb ? 1 : ca > cb ? -1 : strcmp(((const typeof(later_seen[0]) *)a)->name,
                                              ((const typeof(later_seen[0]) *)b)->name);
}

static void report_later(void) {
  qsort(later_seen, LATER_SLOTS, sizeof later_seen[0], cmp_later);
  unsigned n = 0;
  for (unsigned k = 0; k < LATER_SLOTS && later_seen[k].count; k++)
    n++;
  printf("Capstone mnemonics where ringlab gives #UD (post-P6 or not advertised), %u kinds:\n", n);
  unsigned col = 0;
  for (unsigned k = 0; k < n; k++) {
    col += (unsigned)printf(" %s:%lu", later_seen[k].name, later_seen[k].count);
    if (col > 90) {
      printf("\n");
      col = 0;
    }
  }
  if (col)
    printf("\n");
}

/* Every row complete: the cross-check needs a mnemonic and a valid imm kind.
 * (test_decode.c checks the table more closely.) */
static unsigned check_rows(void) {
  unsigned bad = 0;
  for (unsigned r = CPU_ROW_TOOLONG + 1; r < cpu_row_count; r++) {
    const struct cpu_row *row = &cpu_rows[r];
    if (!row->fn || !row->name || !row->mnemonic || !row->mnemonic[0] || row->imm > IMM_WB ||
        row->map > 1) {
      printf("  FAIL row %u (%s) is incomplete\n", r, row->name ? row->name : "?");
      bad++;
    }
  }
  return bad;
}

int main(void) {
  clock_t t0 = clock();
  cpu_decode_init();
  unsigned bad_rows = check_rows();
  build_core_names();
  if (cs_open(CS_ARCH_X86, CS_MODE_16, &cs16) != CS_ERR_OK ||
      cs_open(CS_ARCH_X86, CS_MODE_32, &cs32) != CS_ERR_OK) {
    printf("FAIL: cannot open Capstone\n");
    return 1;
  }
  cs_one = cs_malloc(cs32);

  struct tally rows = {0}, random = {0};
  unsigned long n_rows = 0;
  pass_rows(&rows, false, &n_rows);
  pass_rows(&rows, true, &n_rows);
  pass_random(&random, false);
  pass_random(&random, true);

  char title[128];
  snprintf(title, sizeof title, "Rows: %u rows x %d encodings x 2 modes = %lu encodings",
           cpu_row_count - 2, ENCODINGS_PER_ROW, n_rows);
  report(title, &rows);
  snprintf(title, sizeof title, "Random: %d sequences x 2 modes, seed %#llx", RANDOM_SEQUENCES,
           (unsigned long long)SEED);
  report(title, &random);
  report_later();
  report_forms();
  report_groups();
  printf("Later instructions: %u templates x %d encodings x 2 modes\n", (unsigned)N_LATER, LATER_ENCODINGS);
  unsigned long later_fails = pass_later(false) + pass_later(true);

  cs_free(cs_one, 1);
  cs_close(&cs16);
  cs_close(&cs32);
  unsigned long fails = bad_rows + rows.verdicts[V_FAIL] + random.verdicts[V_FAIL] + later_fails;
  printf("%.1f s CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
  printf("%s: %lu disagreement(s)\n", fails ? "FAIL" : "PASS", fails);
  return fails ? 1 : 0;
}
