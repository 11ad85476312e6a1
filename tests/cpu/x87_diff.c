/* tests/cpu/x87_diff.c - ringlab's x87 against the host's own.
 *
 * The host (x86-64) executes the same x87 instructions as the emulated
 * P6, so every x87 row of the opcode table is run on both, from the same
 * random state, and the results compared bit for bit. One case:
 *
 *   mov eax, [rcx+4]      the same EAX on both sides (FNSTSW AX)
 *   push rdx; popf        the same arithmetic flags (FCMOVcc)
 *   frstor [rdi]          the random x87 state: registers, tags, TOP, CW
 *                         (rounding, precision, masks), SW flags and C0-C3
 *   <the instruction>     its memory operand is [rsi]: ModRM mod 0 rm 6 is
 *                         [rsi] in 64-bit code and [esi] in 32-bit code, so
 *                         the very same bytes run on both sides
 *   fnsave [rdi]          the state after (FNSAVE does not wait: an unmasked
 *                         exception the instruction raised stays pending)
 *   pushf; pop rdx; mov [rcx], edx; mov [rcx+4], eax; ret (ringlab: hlt)
 *
 * on the host through a page of generated code, in ringlab through the
 * tests' flat 32-bit harness. Compared: the control, status and tag words,
 * the eight registers, the memory operand's bytes, EFLAGS' arithmetic bits
 * and AX, and whether the instruction faulted (#UD as SIGILL).
 *
 * Left out, as the issue allows, and counted ("accepted"):
 *   pointers    FIP, FCS, FOP, FDP, FDS (the image's bytes 12-27) and the
 *               reserved upper halves of its first three dwords: another
 *               vendor and mode (the host runs 64-bit code) store them
 *               differently; a stored environment (FNSTENV/FNSAVE's
 *               operand) the same way. Never compared, so not counted
 *               (test_x87.c checks ringlab's pointers).
 *   trans       FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1: results
 *               within TRANS_ULPS units in the last place of the host's
 *               (the SDM promises 1 ulp for the P6; ringlab rounds the
 *               exact value once: tests/cpu/test_fpu.c and an mpmath check
 *               say so), and C1, which reports the rounding of each
 *               implementation's own approximation, free for them;
 *               arguments outside the SDM's domain (F2XM1 |x| > 1,
 *               FYL2XP1 |x| >= 1 - sqrt(2)/2) not compared at all.
 * Where the SDM leaves a result undefined or does not say (FFREE's C1,
 * FCOMI's C1, FPREM's condition codes on a NaN, DE after ZE, FSCALE far
 * out of range ...), ringlab does what this host's x87 does; cpu/fpu/
 * README.md lists those choices. They compare as identical here.
 * Everything else must agree, or the case is a FAILURE, printed with the
 * instruction, the state before and both states after.
 *
 * Usage: x87_diff [--seed N] [--cases N] [--show N]. The ctest runs a fixed
 * seed (deterministic); scripts/x87-diff.sh runs millions.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu-internal.h"
#include "fpu/fpu.h"
#include "harness.h"

#define TRANS_ULPS 1
#define IMG 108 /* FNSAVE image, 32-bit protected-mode layout */
#define MEMSZ 112

/* ---- random numbers ------------------------------------------------------------- */

static uint64_t rng = 0x7838375F44494646ull; /* "x87_DIFF" */

static uint64_t rnd(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1Dull;
}
static unsigned below(unsigned n) { return (unsigned)((rnd() >> 32) % n); }
static bool chance(unsigned percent) { return below(100) < percent; }

/* ---- operand shapes ---------------------------------------------------------------- */

/* Significands with structure near the rounding points of 24, 53, 64 bits. */
static uint64_t rand_sig(void) {
  uint64_t s = rnd() | FPU_J;
  switch (below(8)) {
  case 0: { /* a tie or near one at 24 or 53 bits */
    unsigned p = chance(50) ? 24 : 53;
    uint64_t low = (1ull << (64 - p)) - 1;
    s &= ~low;
    s |= (1ull << (63 - p)) + (below(3) - 1u) * (uint64_t)below(2);
    return s;
  }
  case 1: return s | 0x7FFFFFFFFFull;  /* all ones below */
  case 2: return s & ~0xFFFFFFFFFFull; /* few bits */
  case 3: return FPU_J | ((uint64_t)below(16) << 59);
  default: return s;
  }
}

enum shape { SH_ANY, SH_NEAR1, SH_INT, SH_TRIG, SH_F2XM1, SH_LOGX, SH_LOGP1, SH_SCALE };

static struct fpu_reg rand_f80(enum shape sh) {
  bool sign = chance(50);
  unsigned k = below(100);
  if (k < 3)
    return fpu_zero(sign);
  if (k < 5)
    return fpu_inf(sign);
  if (k < 7)
    return fpu_make(sign, 0x7FFF, FPU_J | FPU_QBIT | (rnd() >> 2 & (chance(50) ? 0 : ~0ull)));
  if (k < 9)
    return fpu_make(sign, 0x7FFF, FPU_J | ((rnd() >> 2) | 1));
  if (k < 12)
    return fpu_make(sign, 0, rnd() >> (1 + below(63)));             /* denormal */
  if (k < 13)
    return fpu_make(sign, 0, FPU_J | rnd());                         /* pseudo-denormal */
  if (k < 14)
    return fpu_make(sign, 1 + below(0x7FFE), rnd() >> (1 + below(8))); /* unnormal */
  if (k < 15)
    return fpu_make(sign, 0x7FFF, rnd() >> 1);                       /* pseudo-NaN/-infinity */
  if (k < 18)
    return fpu_make(sign, chance(50) ? 0x7FFE - below(3) : 1 + below(3), rand_sig());
  if (k < 22)
    return fpu_make(sign, below(64) + 1, rand_sig()); /* tiny normals */
  switch (sh) {
  case SH_INT: {
    if (chance(40))
      return fpu_from_int(sign ? -(int64_t)(rnd() >> (1 + below(63))) : (int64_t)(rnd() >> (1 + below(63))));
    unsigned e = below(70);
    return fpu_make(sign, FPU_BIAS - 2 + e, rand_sig());
  }
  case SH_TRIG:
    if (chance(30)) { /* near a multiple of pi/2 */
      static const uint64_t pi2 = 0xC90FDAA22168C235ull;
      unsigned m = 1 + below(6);
      return fpu_make(sign, FPU_BIAS + (m > 1) + (m > 3), pi2 * m + below(5) - 2);
    }
    return fpu_make(sign, FPU_BIAS - 10 + below(80), rand_sig());
  case SH_F2XM1:
    return fpu_make(sign, FPU_BIAS - below(chance(70) ? 5 : 70), chance(5) ? FPU_J : rand_sig());
  case SH_LOGX:
    return fpu_make(chance(95) ? false : sign, FPU_BIAS - 40 + below(80), chance(10) ? FPU_J : rand_sig());
  case SH_LOGP1:
    return fpu_make(sign, FPU_BIAS - 2 - below(chance(80) ? 8 : 70), rand_sig());
  case SH_SCALE:
    return chance(60) ? fpu_from_int((int64_t)below(200) - 100) : fpu_make(sign, FPU_BIAS + below(16), rand_sig());
  case SH_NEAR1: /* FPREM: now and then far apart, for the partial remainder */
    return fpu_make(sign, FPU_BIAS - 8 + below(16) + (chance(30) ? below(300) : 0), rand_sig());
  default:
    return fpu_make(sign, FPU_BIAS - 70 + below(140), rand_sig());
  }
}

static uint64_t rand_ieee(unsigned fbits, unsigned ebits) {
  uint64_t sign = (uint64_t)chance(50) << (fbits + ebits), emax = (1ull << ebits) - 1;
  uint64_t frac = rnd() & ((1ull << fbits) - 1);
  switch (below(12)) {
  case 0: return sign;
  case 1: return sign | emax << fbits;
  case 2: return sign | emax << fbits | (frac | 1);
  case 3: return sign | (frac >> below(fbits));
  case 4: return sign | (chance(50) ? 1 : emax - 1) << fbits | frac;
  default: return sign | (uint64_t)((emax >> 1) - 30 + below(60)) << fbits | frac;
  }
}

static int64_t rand_int(unsigned bits) {
  switch (below(6)) {
  case 0: return 0;
  case 1: return bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
  case 2: return (int64_t)below(200) - 100;
  default: {
    int64_t v = (int64_t)(rnd() >> (65 - bits + below(bits - 1)));
    return chance(50) ? -v : v;
  }
  }
}

/* ---- the x87 rows and what their operands look like ---------------------------------- */

enum memkind { MK_NONE, MK_F32, MK_F64, MK_F80, MK_I16, MK_I32, MK_I64, MK_BCD, MK_CW, MK_ENV, MK_IMAGE, MK_STORE };

struct rowinfo {
  unsigned row;
  enum memkind mem;
  enum shape shape;
  bool trans;
};

static struct rowinfo rows[256];
static unsigned n_rows;

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }
static bool ends(const char *s, const char *p) {
  size_t a = strlen(s), b = strlen(p);
  return a >= b && strcmp(s + a - b, p) == 0;
}

static void find_rows(void) {
  for (unsigned r = CPU_ROW_TOOLONG + 1; r < cpu_row_count; r++) {
    const struct cpu_row *row = &cpu_rows[r];
    if (row->map != 0 || row->opcode < 0xD8 || row->opcode > 0xDF || row->fn == X87_escape)
      continue;
    struct rowinfo ri = {r, MK_NONE, SH_ANY, false};
    const char *n = row->name, *m = row->mnemonic;
    bool integer = m[1] == 'i' && strcmp(m, "fincstp") != 0;
    bool store = starts(m, "fst") || starts(m, "fist") || starts(m, "fbst") || starts(m, "fnst") ||
                 strcmp(m, "fnsave") == 0;
    if (row->flags & F_MEMONLY) {
      if (store)
        ri.mem = MK_STORE;
      else if (ends(n, "_Md"))
        ri.mem = integer ? MK_I32 : MK_F32;
      else if (ends(n, "_Mq"))
        ri.mem = integer ? MK_I64 : MK_F64;
      else if (ends(n, "_Mw"))
        ri.mem = strcmp(m, "fldcw") == 0 ? MK_CW : MK_I16;
      else if (ends(n, "_Mt"))
        ri.mem = strcmp(m, "fbld") == 0 ? MK_BCD : MK_F80;
      else
        ri.mem = strcmp(m, "fldenv") == 0 ? MK_ENV : MK_IMAGE;
    }
    if (starts(m, "fist") || starts(m, "fbst") || strcmp(m, "frndint") == 0)
      ri.shape = SH_INT;
    else if (strcmp(m, "fsin") == 0 || strcmp(m, "fcos") == 0 || strcmp(m, "fsincos") == 0 ||
             strcmp(m, "fptan") == 0)
      ri.shape = SH_TRIG, ri.trans = true;
    else if (strcmp(m, "f2xm1") == 0)
      ri.shape = SH_F2XM1, ri.trans = true;
    else if (strcmp(m, "fyl2x") == 0)
      ri.shape = SH_LOGX, ri.trans = true;
    else if (strcmp(m, "fyl2xp1") == 0)
      ri.shape = SH_LOGP1, ri.trans = true;
    else if (strcmp(m, "fpatan") == 0)
      ri.shape = SH_ANY, ri.trans = true;
    else if (strcmp(m, "fscale") == 0)
      ri.shape = SH_SCALE;
    else if (starts(m, "fprem"))
      ri.shape = SH_NEAR1;
    rows[n_rows++] = ri;
  }
}

/* ---- one case ----------------------------------------------------------------------- */

struct io {
  uint8_t img[IMG];
  uint8_t mem[MEMSZ];
  uint32_t flags, eax;
  int fault; /* 0, or the signal / vector */
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* A random x87 state; pending (an unmasked flag set, ES and B with it: the
 * instruction, if it waits, faults with #MF) only when asked. */
static void rand_state(struct io *s, const struct rowinfo *ri, bool pending) {
  memset(s, 0, sizeof *s);
  unsigned pc = chance(5) ? 1 : chance(50) ? 3 : below(2) ? 0 : 2;
  uint16_t masks = chance(70) ? 0x3F : (uint16_t)below(64);
  if (pending && masks == 0x3F)
    masks = (uint16_t)(0x3F & ~(1u << below(6)));
  uint16_t cw = (uint16_t)(0x40 | masks | pc << 8 | below(4) << 10);
  uint16_t flags = (uint16_t)(below(64) & masks);
  if (pending) {
    unsigned unmasked = 0x3Fu & ~masks;
    flags |= (uint16_t)((unmasked & (0u - unmasked)) | 0x8080u); /* its lowest unmasked flag, ES, B */
  }
  unsigned top = below(8);
  uint16_t sw = (uint16_t)(flags | (below(16) * 0x100u & 0x4700u) | top << 11);
  uint16_t tw = 0;
  for (unsigned p = 0; p < 8; p++) {
    unsigned st = (p - top) & 7u; /* the register's ST index */
    bool empty = st < 2 ? chance(4) : st == 7 ? chance(60) : chance(25);
    struct fpu_reg v = rand_f80(st < 2 ? ri->shape : SH_ANY);
    if (st == 1 && ri->shape == SH_LOGP1)
      v = rand_f80(SH_ANY);
    uint8_t *b = s->img + 28 + 10 * st;
    for (int k = 0; k < 8; k++)
      b[k] = (uint8_t)(v.sig >> (8 * k));
    put16(b + 8, v.se);
    unsigned tag = empty ? 3u : fpu_tag(v);
    if (!empty && ri->mem == MK_NONE && ri->row == 0 && chance(20))
      tag = below(3); /* an image's tag that its value does not give */
    tw |= (uint16_t)(tag << (2 * p));
  }
  put16(s->img + 0, cw);
  put16(s->img + 4, sw);
  put16(s->img + 8, tw);
  for (unsigned k = 0; k < MEMSZ; k++)
    s->mem[k] = (uint8_t)rnd();
  uint64_t v;
  switch (ri->mem) {
  case MK_F32: v = rand_ieee(23, 8); memcpy(s->mem, &v, 4); break;
  case MK_F64: v = rand_ieee(52, 11); memcpy(s->mem, &v, 8); break;
  case MK_F80: {
    struct fpu_reg r = rand_f80(SH_ANY);
    memcpy(s->mem, &r.sig, 8);
    put16(s->mem + 8, r.se);
    break;
  }
  case MK_I16: v = (uint64_t)rand_int(16); memcpy(s->mem, &v, 2); break;
  case MK_I32: v = (uint64_t)rand_int(32); memcpy(s->mem, &v, 4); break;
  case MK_I64: v = (uint64_t)rand_int(64); memcpy(s->mem, &v, 8); break;
  case MK_BCD:
    for (unsigned k = 0; k < 9; k++)
      s->mem[k] = (uint8_t)(below(chance(10) ? 16 : 10) << 4 | below(chance(10) ? 16 : 10)); /* digits > 9 too */
    s->mem[9] = (uint8_t)((chance(50) ? 0x80 : 0) | (chance(20) ? below(128) : 0)); /* bits 0-6: ignored */
    break;
  case MK_CW: put16(s->mem, (uint16_t)rnd()); break;
  case MK_ENV:
  case MK_IMAGE: {
    /* a valid image: a random state of its own, tags as the values say */
    struct io t;
    rand_state(&t, &(struct rowinfo){0, MK_NONE, SH_ANY, false}, chance(10));
    memcpy(s->mem, t.img, IMG);
    put16(s->mem + 4, (uint16_t)(get16(s->mem + 4) | (rnd() & 0x3F))); /* flags, maybe unmasked */
    break;
  }
  default: break;
  }
  s->flags = (uint32_t)rnd() & (CPU_FLAG_CF | CPU_FLAG_PF | CPU_FLAG_AF | CPU_FLAG_ZF | CPU_FLAG_SF | CPU_FLAG_OF);
  s->eax = (uint32_t)rnd();
}

/* The case's code: prologue, the instruction, epilogue; last byte ret or
 * hlt. Returns the length. */
static unsigned build(uint8_t *p, const uint8_t *insn, unsigned n, uint8_t last) {
  static const uint8_t pro[] = {0x8B, 0x41, 0x04, 0x52, 0x9D, 0xDD, 0x27};
  static const uint8_t epi[] = {0xDD, 0x37, 0x9C, 0x5A, 0x89, 0x11, 0x89, 0x41, 0x04};
  unsigned k = 0;
  memcpy(p, pro, sizeof pro), k += sizeof pro;
  memcpy(p + k, insn, n), k += n;
  memcpy(p + k, epi, sizeof epi), k += sizeof epi;
  p[k++] = last;
  return k;
}

/* ---- the host ------------------------------------------------------------------------ */

static uint8_t *host_code;
static sigjmp_buf host_jmp;
static volatile sig_atomic_t host_sig;

static void on_signal(int sig) {
  host_sig = sig;
  siglongjmp(host_jmp, 1);
}

static void host_run(const uint8_t *insn, unsigned n, const struct io *in, struct io *out) {
  *out = *in;
  build(host_code, insn, n, 0xC3);
  __builtin___clear_cache((char *)host_code, (char *)host_code + 64);
  uint32_t fe[2] = {in->flags, in->eax};
  void (*fn)(void *, void *, uint64_t, void *) = (void (*)(void *, void *, uint64_t, void *))(void *)host_code;
  host_sig = 0;
  if (sigsetjmp(host_jmp, 1) == 0) {
    fn(out->img, out->mem, in->flags | 0x2, fe);
    out->flags = fe[0];
    out->eax = fe[1];
  } else {
    out->fault = host_sig == SIGILL ? 100 + CPU_EXC_UD : host_sig == SIGFPE ? 100 + CPU_EXC_MF : 100 + CPU_EXC_GP;
    __asm__ volatile("fninit");
  }
}

/* ---- ringlab --------------------------------------------------------------------------- */

#define EMU_CODE 0x40000u /* cases rotate through 0x40000-0x5FFFF: no stale decoded blocks */
#define EMU_SLOTS 4096u
#define EMU_IMG 0x70000u
#define EMU_MEM 0x71000u
#define EMU_OUT 0x72000u

static struct harness *emu;
static unsigned emu_slot;

static void emu_run(const uint8_t *insn, unsigned n, const struct io *in, struct io *out) {
  struct cpu *c = emu->cpu;
  *out = *in;
  if (emu_slot == EMU_SLOTS) {
    cpu_code_cache_flush(c->cache);
    emu_slot = 0;
  }
  uint32_t at = EMU_CODE + 32 * emu_slot++;
  uint8_t code[48];
  unsigned len = build(code, insn, n, 0xF4);
  mmu_copy_to_guest(emu->mem, at, code, len);
  mmu_copy_to_guest(emu->mem, EMU_IMG, in->img, IMG);
  mmu_copy_to_guest(emu->mem, EMU_MEM, in->mem, MEMSZ);
  uint32_t fe[2] = {in->flags, in->eax};
  mmu_copy_to_guest(emu->mem, EMU_OUT, (const uint8_t *)fe, 8);
  cpu_set_reg(c, CPU_EDI, EMU_IMG);
  cpu_set_reg(c, CPU_ESI, EMU_MEM);
  cpu_set_reg(c, CPU_EDX, in->flags);
  cpu_set_reg(c, CPU_ECX, EMU_OUT);
  cpu_set_reg(c, CPU_ESP, HARNESS_STACK);
  cpu_set_eip(c, at);
  cpu_clear_first_exception(c);
  enum cpu_exit e = cpu_run(c, cpu_cycles(c) + 1000);
  if (e != CPU_EXIT_HALT || cpu_first_exception(c) >= 0) {
    out->fault = cpu_first_exception(c) >= 0 ? 100 + cpu_first_exception(c) : 99;
    c->x87.sw = 0, c->x87.cw = 0x37F, c->x87.tw = 0xFFFF; /* as FNINIT */
    return;
  }
  mmu_copy_from_guest(emu->mem, EMU_IMG, out->img, IMG);
  mmu_copy_from_guest(emu->mem, EMU_MEM, out->mem, MEMSZ);
  mmu_copy_from_guest(emu->mem, EMU_OUT, (uint8_t *)fe, 8);
  out->flags = fe[0];
  out->eax = fe[1];
}

/* ---- comparison -------------------------------------------------------------------------- */

enum verdict { V_SAME, V_TRANS_ULP, V_TRANS_C1, V_UNDEFINED_DOMAIN, V_FAIL, N_VERDICTS };
static const char *const verdict_name[N_VERDICTS] = {
    [V_SAME] = "identical (pointers aside)",
    [V_TRANS_ULP] = "accepted: transcendental result 1 ulp from the host's",
    [V_TRANS_C1] = "accepted: transcendental result equal, C1 differs",
    [V_UNDEFINED_DOMAIN] = "accepted: argument outside the SDM's domain",
    [V_FAIL] = "FAILURE",
};

/* Flag bits compared: the arithmetic ones. */
#define ARITH_FLAGS (CPU_FLAG_CF | CPU_FLAG_PF | CPU_FLAG_AF | CPU_FLAG_ZF | CPU_FLAG_SF | CPU_FLAG_OF)

/* Bytes of the memory operand that are pointer fields of a stored
 * environment (FNSTENV/FNSAVE operand): 16-bit layout 6-13, 32-bit 12-27,
 * plus the reserved upper halves. */
static bool env_pointer_byte(unsigned k, bool o16) {
  if (o16)
    return k >= 6 && k < 14;
  return (k >= 12 && k < 28) || k == 2 || k == 3 || k == 6 || k == 7 || k == 10 || k == 11;
}

static struct fpu_reg reg_of(const uint8_t *img, unsigned k) {
  struct fpu_reg r;
  memcpy(&r.sig, img + 28 + 10 * k, 8);
  r.se = get16(img + 28 + 10 * k + 8);
  return r;
}

/* Units in the last place between two finite values of one sign. */
static uint64_t ulps(struct fpu_reg a, struct fpu_reg b) {
  if ((a.se ^ b.se) & 0x8000)
    return UINT64_MAX;
  uint64_t ea = a.se & 0x7FFF, eb = b.se & 0x7FFF;
  if (ea == 0x7FFF || eb == 0x7FFF)
    return (a.se == b.se && a.sig == b.sig) ? 0 : UINT64_MAX;
  if (ea > eb + 1 || eb > ea + 1)
    return UINT64_MAX;
  /* as integers on one scale: the exponent step doubles the weight */
  __uint128_t va = ((__uint128_t)ea << 64) | a.sig, vb = ((__uint128_t)eb << 64) | b.sig;
  if (ea != eb) { /* adjacent binades: count through the boundary */
    struct fpu_reg lo = ea < eb ? a : b, hi = ea < eb ? b : a;
    return (~lo.sig + 1) + (hi.sig - FPU_J);
  }
  return (uint64_t)(va > vb ? va - vb : vb - va);
}

struct tally {
  unsigned long verdicts[N_VERDICTS];
  unsigned long per_row_fail[1024];
  unsigned long per_row_ulp[1024], per_row_c1[1024], per_row_cases[1024];
  unsigned shown, show_max;
};

static void dump(const char *what, const struct io *s) {
  printf("    %-6s CW %04x SW %04x TW %04x flags %03x eax %08x fault %d\n", what, get16(s->img), get16(s->img + 4),
         get16(s->img + 8), s->flags & ARITH_FLAGS, s->eax, s->fault);
  unsigned top = (get16(s->img + 4) >> 11) & 7;
  for (unsigned k = 0; k < 8; k++) {
    struct fpu_reg r = reg_of(s->img, k);
    unsigned tag = (get16(s->img + 8) >> (2 * ((top + k) & 7))) & 3;
    printf("      ST%u %04x %016" PRIx64 " tag %u\n", k, r.se, r.sig, tag);
  }
  printf("      mem");
  for (unsigned k = 0; k < 28; k++)
    printf(" %02x", s->mem[k]);
  printf("\n");
}

static void show(struct tally *t, const struct rowinfo *ri, const uint8_t *insn, unsigned n, const struct io *in,
                 const struct io *host, const struct io *emu_out, const char *why) {
  if (t->shown++ >= t->show_max)
    return;
  printf("  FAIL %s (", cpu_rows[ri->row].name);
  for (unsigned k = 0; k < n; k++)
    printf("%s%02X", k ? " " : "", insn[k]);
  printf("): %s\n", why);
  dump("before", in);
  dump("host", host);
  dump("ringlab", emu_out);
}

static bool out_of_domain(const struct rowinfo *ri, const struct io *in) {
  const char *m = cpu_rows[ri->row].mnemonic;
  unsigned top = (get16(in->img + 4) >> 11) & 7, tw = get16(in->img + 8);
  if ((tw >> (2 * top) & 3) == 3)
    return false;
  struct fpu_reg x = reg_of(in->img, 0);
  unsigned e = x.se & 0x7FFF;
  if (fpu_classify(x) != FPU_C_NORMAL && fpu_classify(x) != FPU_C_DENORMAL)
    return false;
  if (strcmp(m, "f2xm1") == 0)
    return e > FPU_BIAS || (e == FPU_BIAS && x.sig != FPU_J);
  if (strcmp(m, "fyl2xp1") == 0)
    return e >= FPU_BIAS - 1 || (e == FPU_BIAS - 2 && x.sig >= 0x95F619980C4336F7ull);
  return false;
}

static enum verdict compare(struct tally *t, const struct rowinfo *ri, const uint8_t *insn, unsigned n, bool o16,
                            const struct io *in, const struct io *h, const struct io *e) {
  char why[160] = "";
  if (h->fault != e->fault) {
    snprintf(why, sizeof why, "fault: host %d, ringlab %d", h->fault, e->fault);
    show(t, ri, insn, n, in, h, e, why);
    return V_FAIL;
  }
  if (h->fault)
    return V_SAME;
  if (ri->trans && out_of_domain(ri, in))
    return V_UNDEFINED_DOMAIN;
  bool trans_diff = false, c1_diff = false;
  uint16_t hsw = get16(h->img + 4), esw = get16(e->img + 4);
  uint16_t sw_mask = 0xFFFF;
  if (ri->trans)
    sw_mask &= (uint16_t)~0x0200; /* C1: judged with the values below */
  if (get16(h->img) != get16(e->img) || get16(h->img + 8) != get16(e->img + 8) || (hsw & sw_mask) != (esw & sw_mask)) {
    snprintf(why, sizeof why, "CW/SW/TW: host %04x %04x %04x, ringlab %04x %04x %04x", get16(h->img), hsw,
             get16(h->img + 8), get16(e->img), esw, get16(e->img + 8));
    show(t, ri, insn, n, in, h, e, why);
    return V_FAIL;
  }
  for (unsigned k = 0; k < 8; k++) {
    struct fpu_reg a = reg_of(h->img, k), b = reg_of(e->img, k);
    if (a.sig == b.sig && a.se == b.se)
      continue;
    if (ri->trans && ulps(a, b) <= TRANS_ULPS) {
      trans_diff = true;
      continue;
    }
    snprintf(why, sizeof why, "ST%u: host %04x %016" PRIx64 ", ringlab %04x %016" PRIx64, k, a.se, a.sig, b.se, b.sig);
    show(t, ri, insn, n, in, h, e, why);
    return V_FAIL;
  }
  if (ri->trans && hsw != esw)
    c1_diff = true; /* C1 alone: the rounding of another approximation */
  bool env_store = strcmp(cpu_rows[ri->row].mnemonic, "fnstenv") == 0 || strcmp(cpu_rows[ri->row].mnemonic, "fnsave") == 0;
  for (unsigned k = 0; k < MEMSZ; k++) {
    if (h->mem[k] == e->mem[k] || (env_store && env_pointer_byte(k, o16)))
      continue;
    snprintf(why, sizeof why, "memory byte %u: host %02x, ringlab %02x", k, h->mem[k], e->mem[k]);
    show(t, ri, insn, n, in, h, e, why);
    return V_FAIL;
  }
  if ((h->flags & ARITH_FLAGS) != (e->flags & ARITH_FLAGS) || (h->eax & 0xFFFF) != (e->eax & 0xFFFF)) {
    snprintf(why, sizeof why, "EFLAGS/AX: host %03x %04x, ringlab %03x %04x", h->flags & ARITH_FLAGS, h->eax & 0xFFFF,
             e->flags & ARITH_FLAGS, e->eax & 0xFFFF);
    show(t, ri, insn, n, in, h, e, why);
    return V_FAIL;
  }
  return trans_diff ? V_TRANS_ULP : c1_diff ? V_TRANS_C1 : V_SAME;
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
  unsigned long cases = 100000;
  unsigned show_max = 10;
  const char *only = NULL;
  for (int k = 1; k + 1 < argc; k += 2) {
    if (strcmp(argv[k], "--only") == 0)
      only = argv[k + 1];
    if (strcmp(argv[k], "--seed") == 0)
      rng = strtoull(argv[k + 1], NULL, 0) * 0x9E3779B97F4A7C15ull + 1;
    else if (strcmp(argv[k], "--cases") == 0)
      cases = strtoul(argv[k + 1], NULL, 0);
    else if (strcmp(argv[k], "--show") == 0)
      show_max = (unsigned)strtoul(argv[k + 1], NULL, 0);
  }
  host_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (host_code == MAP_FAILED) {
    printf("SKIP: no executable page for the host's side\n");
    return 77;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  emu = harness_new_sized(HARNESS_FLAT32, 1u << 20, NULL, NULL);
  harness_pm_tables(emu, HARNESS_STACK, 0); /* every exception ends at a HLT of its own */
  emu->cpu->cr[0] |= 0x20; /* CR0.NE: #MF, as the host's x87 reports a pending exception */
  find_rows();
  if (only) { /* one row (a handler name) */
    unsigned k = 0;
    for (unsigned j = 0; j < n_rows; j++)
      if (strcmp(cpu_rows[rows[j].row].name, only) == 0)
        rows[k++] = rows[j];
    n_rows = k;
    if (!n_rows) {
      printf("no x87 row named %s\n", only);
      return 2;
    }
  }
  static struct tally t;
  t.show_max = show_max;
  for (unsigned long k = 0; k < cases; k++) {
    const struct rowinfo *ri = &rows[below(n_rows)];
    const struct cpu_row *row = &cpu_rows[ri->row];
    uint8_t insn[4];
    unsigned n = 0;
    bool o16 = (ri->mem == MK_ENV || ri->mem == MK_IMAGE || strcmp(row->mnemonic, "fnstenv") == 0 ||
                strcmp(row->mnemonic, "fnsave") == 0) && chance(25);
    if (o16)
      insn[n++] = 0x66;
    insn[n++] = row->opcode;
    if (row->flags & F_MEMONLY)
      insn[n++] = (uint8_t)(row->reg << 3 | 6);
    else
      insn[n++] = (uint8_t)(0xC0 | row->reg << 3 | ((row->flags & F_RM_EXACT) ? F_RM_OF(row->flags) : below(8)));
    struct io in, h, e;
    rand_state(&in, ri, chance(4));
    host_run(insn, n, &in, &h);
    emu_run(insn, n, &in, &e);
    enum verdict v = compare(&t, ri, insn, n, o16, &in, &h, &e);
    t.verdicts[v]++;
    t.per_row_cases[ri->row]++;
    if (v == V_FAIL)
      t.per_row_fail[ri->row]++;
    if (v == V_TRANS_ULP)
      t.per_row_ulp[ri->row]++;
    if (v == V_TRANS_C1)
      t.per_row_c1[ri->row]++;
  }
  printf("x87_diff: %lu cases over %u x87 rows\n", cases, n_rows);
  for (unsigned v = 0; v < N_VERDICTS; v++)
    printf("  %-52s %10lu\n", verdict_name[v], t.verdicts[v]);
  printf("transcendental rows: cases, 1 ulp apart, C1 alone\n");
  for (unsigned r = 0; r < 1024; r++)
    if (t.per_row_ulp[r] || t.per_row_c1[r])
      printf("  %-10s %8lu %8lu %8lu\n", cpu_rows[r].name, t.per_row_cases[r], t.per_row_ulp[r], t.per_row_c1[r]);
  if (t.verdicts[V_FAIL]) {
    printf("failures by row:");
    for (unsigned r = 0; r < 1024; r++)
      if (t.per_row_fail[r])
        printf(" %s:%lu", cpu_rows[r].name, t.per_row_fail[r]);
    printf("\nFAIL\n");
    return 1;
  }
  printf("PASS\n");
  return 0;
}
