/* conform/runner.c - `ringlab conform`: runs MOO vectors on the cpu.
 *
 * One mmu and one cpu serve the whole run. Per vector:
 *
 *   rules    conform_rules_apply(): skip it (counted as skipped, with the
 *            rule's name) or learn which FLAGS bits to clear and compare
 *   load     INIT registers (32-bit registers written whole, so nothing of
 *            the previous vector survives in the upper halves, FS or GS),
 *            INIT RAM bytes through mmu_write() so the code cache sees them
 *   run      cpu_run() for at most RUN_BUDGET cycles; it must stop on HLT
 *   compare  every register (FINA value, or the INIT value if FINA omits
 *            it: unchanged), FLAGS under the rules' mask, every FINA RAM
 *            byte (the pushed FLAGS image of an exception under that mask)
 *   clean    the INIT and FINA addresses back to zero; nothing else was
 *            written by a correct cpu, and clearing 16 MiB per vector would
 *            dominate the run
 *
 * Memory: 16 MiB + 64 KiB of RAM at 0, so every address real mode forms
 * with A20 on (up to 0x10FFEF) is RAM, as on the test rig.
 */
#include "conform.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "metadata.h"
#include "mmu.h"
#include "moo.h"

#define RUN_BUDGET 10000                  /* cycles; a vector is one instruction */
#define RAM_BYTES (16u * 1024 * 1024 + 64 * 1024)
#define MAX_ONLY 64

/* How each MOO register is reached on the cpu. */
enum reg_kind { REG_GPR, REG_SEG, REG_IP, REG_FLAGS };
static const struct {
  enum reg_kind kind;
  int cpu; /* enum cpu_reg or enum cpu_sreg */
} reg_map[MOO_NREGS] = {
    [MOO_AX] = {REG_GPR, CPU_EAX}, [MOO_BX] = {REG_GPR, CPU_EBX},
    [MOO_CX] = {REG_GPR, CPU_ECX}, [MOO_DX] = {REG_GPR, CPU_EDX},
    [MOO_CS] = {REG_SEG, CPU_CS},  [MOO_SS] = {REG_SEG, CPU_SS},
    [MOO_DS] = {REG_SEG, CPU_DS},  [MOO_ES] = {REG_SEG, CPU_ES},
    [MOO_SP] = {REG_GPR, CPU_ESP}, [MOO_BP] = {REG_GPR, CPU_EBP},
    [MOO_SI] = {REG_GPR, CPU_ESI}, [MOO_DI] = {REG_GPR, CPU_EDI},
    [MOO_IP] = {REG_IP, 0},        [MOO_FLAGS] = {REG_FLAGS, 0},
};

struct only {
  const char *file; /* as given: a path or a basename */
  uint32_t index;
  bool used;
};

struct run {
  struct mmu *mmu;
  struct cpu *cpu;
  bool verbose;
  struct only only[MAX_ONLY];
  unsigned n_only;
  bool needs_reset;  /* the last vector ended abnormally */
  uint64_t passed, failed, skipped;
  uint64_t skipped_by[CONFORM_NRULES];
  char md_dir[4096];  /* directory of the loaded metadata.json */
  struct conform_metadata *md;
};

/* A failure line under construction. */
struct report {
  char text[2048];
  size_t len;
  unsigned n_fields;
};

static void report_add(struct report *r, const char *fmt, ...) {
  if (r->len >= sizeof r->text - 1)
    return;
  if (r->n_fields++)
    r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, ", ");
  if (r->len >= sizeof r->text - 1)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(r->text + r->len, sizeof r->text - r->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    r->len += (size_t)n;
  if (r->len > sizeof r->text - 1)
    r->len = sizeof r->text - 1;
}

static uint32_t io_in(void *ctx, uint16_t port, unsigned size_bytes) {
  return size_bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * size_bytes)) - 1; /* IN reads 0xFF */
}

static void io_out(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value) {}

static const struct cpu_io_ops io_ops = {io_in, io_out};

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* "FILE:INDEX hash=... NAME" with the name's unprintable bytes replaced. */
static void print_vector_id(FILE *out, const char *file, const struct moo_test *t) {
  char hex[2 * MOO_HASH_BYTES + 1];
  moo_hash_hex(t->hash, hex);
  fprintf(out, "%s:%u hash=%s ", base_name(file), t->index, hex);
  for (const char *c = t->name; *c; c++)
    fputc(*c >= 0x20 && *c < 0x7F ? *c : '?', out);
}

static uint16_t moo_value(const struct moo_test *t, enum moo_reg r) {
  return t->fina.regs.present >> r & 1 ? t->fina.regs.value[r] : t->init.regs.value[r];
}

/* The AND mask RMSK chunks put on register r (file-wide, then per test). */
static uint16_t rmsk_of(const struct moo_file *f, const struct moo_test *t, enum moo_reg r) {
  uint16_t keep = 0xFFFF;
  if (f->has_rmsk && f->rmsk.present >> r & 1)
    keep &= f->rmsk.value[r];
  if (t->fina.has_rmsk && t->fina.rmsk.present >> r & 1)
    keep &= t->fina.rmsk.value[r];
  return keep;
}

static uint32_t cpu_value(struct cpu *cpu, enum moo_reg r, uint32_t *seg_base) {
  struct cpu_segment seg;
  switch (reg_map[r].kind) {
  case REG_GPR:
    return cpu_get_reg(cpu, (enum cpu_reg)reg_map[r].cpu);
  case REG_SEG:
    cpu_get_segment(cpu, (enum cpu_sreg)reg_map[r].cpu, &seg);
    *seg_base = seg.base;
    return seg.selector;
  case REG_IP:
    return cpu_get_eip(cpu);
  case REG_FLAGS:
    return cpu_get_eflags(cpu);
  }
  return 0;
}

static void load_state(struct run *run, const struct moo_test *t,
                       const struct conform_adjust *adj) {
  struct cpu *cpu = run->cpu;
  if (run->needs_reset) {
    cpu_reset(cpu);
    run->needs_reset = false;
  }
  for (uint32_t k = 0; k < t->init.n_ram; k++)
    mmu_write(run->mmu, t->init.ram[k].addr, 1, t->init.ram[k].value);
  const uint16_t *v = t->init.regs.value;
  for (int r = 0; r < MOO_NREGS; r++)
    if (reg_map[r].kind == REG_GPR)
      cpu_set_reg(cpu, (enum cpu_reg)reg_map[r].cpu, v[r]);
    else if (reg_map[r].kind == REG_SEG)
      cpu_load_segment_real(cpu, (enum cpu_sreg)reg_map[r].cpu, v[r]);
  cpu_load_segment_real(cpu, CPU_FS, 0);
  cpu_load_segment_real(cpu, CPU_GS, 0);
  cpu_set_eflags(cpu, (v[MOO_FLAGS] & ~(uint32_t)adj->init_flags_clear) | 0x2u);
  cpu_set_eip(cpu, v[MOO_IP]);
}

/* Clears the addresses the vector touched, so the next one starts on zeros. */
static void clean_state(struct run *run, const struct moo_test *t) {
  for (uint32_t k = 0; k < t->init.n_ram; k++)
    mmu_write(run->mmu, t->init.ram[k].addr, 1, 0);
  for (uint32_t k = 0; k < t->fina.n_ram; k++)
    mmu_write(run->mmu, t->fina.ram[k].addr, 1, 0);
}

static void flag_letters(uint32_t diff, char *out) {
  static const struct {
    uint32_t bit;
    char letter;
  } f[] = {{CPU_FLAG_OF, 'o'}, {CPU_FLAG_DF, 'd'}, {CPU_FLAG_IF, 'i'}, {CPU_FLAG_TF, 't'},
           {CPU_FLAG_SF, 's'}, {CPU_FLAG_ZF, 'z'}, {CPU_FLAG_AF, 'a'}, {CPU_FLAG_PF, 'p'},
           {CPU_FLAG_CF, 'c'}};
  size_t n = 0;
  for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
    if (diff & f[k].bit)
      out[n++] = f[k].letter;
  if (diff & ~(uint32_t)0xFD5)
    out[n++] = '+';
  out[n] = 0;
}

/* Where the exception pushed FLAGS: the word above the pushed CS:IP, i.e.
 * final SS:(SP + 4). EXCP records this address too, but for an odd initial
 * SP the vectors give it rounded down to even (839 of the 8,443 EXCP
 * vectors), one byte below the image the FINA RAM holds; the final SS:SP
 * locates it exactly. Returns the addresses of the low and high byte. */
static void pushed_flags_addr(const struct moo_test *t, uint32_t *lo, uint32_t *hi) {
  uint32_t ss_base = (uint32_t)moo_value(t, MOO_SS) << 4;
  uint16_t sp = moo_value(t, MOO_SP);
  *lo = ss_base + (uint16_t)(sp + 4);
  *hi = ss_base + (uint16_t)(sp + 5);
}

static void compare(struct run *run, const struct moo_file *f, const struct moo_test *t,
                    const struct conform_adjust *adj, struct report *rep) {
  for (int r = 0; r < MOO_NREGS; r++) {
    uint32_t seg_base = 0;
    uint32_t got = cpu_value(run->cpu, r, &seg_base);
    uint32_t want = moo_value(t, r);
    uint32_t keep = 0xFFFF0000u | rmsk_of(f, t, r);
    if (adj->regs_ignore >> r & 1)
      continue;
    if (r == MOO_FLAGS) {
      keep &= 0xFFFF0000u | adj->flags_keep;
      if ((got & keep) != (want & keep)) {
        char letters[16];
        flag_letters((got ^ want) & keep, letters);
        report_add(rep, "flags expected 0x%04x got 0x%04x (differ: %s, compared 0x%04x)", want,
                   got, letters, keep & 0xFFFF);
      }
      continue;
    }
    if ((got & keep) != (want & keep))
      report_add(rep, got > 0xFFFF ? "%s expected 0x%04x got 0x%08x"
                                   : "%s expected 0x%04x got 0x%04x",
                 moo_reg_name(r), want, got);
    else if (reg_map[r].kind == REG_SEG && seg_base != got << 4)
      report_add(rep, "%s.base expected 0x%05x got 0x%08x", moo_reg_name(r), got << 4, seg_base);
  }
  uint32_t flags_lo = 0, flags_hi = 0;
  if (t->has_excp)
    pushed_flags_addr(t, &flags_lo, &flags_hi);
  for (uint32_t k = 0; k < t->fina.n_ram; k++) {
    uint32_t addr = t->fina.ram[k].addr;
    uint8_t want = t->fina.ram[k].value;
    uint8_t got = (uint8_t)mmu_read(run->mmu, addr, 1);
    uint8_t keep = 0xFF;
    if (t->has_excp && addr == flags_lo)
      keep = (uint8_t)adj->flags_keep;
    else if (t->has_excp && addr == flags_hi)
      keep = (uint8_t)(adj->flags_keep >> 8);
    if ((got & keep) != (want & keep))
      report_add(rep, keep == 0xFF ? "ram[0x%06x] expected 0x%02x got 0x%02x"
                                   : "ram[0x%06x] (pushed flags) expected 0x%02x got 0x%02x",
                 addr, want, got);
  }
}

/* Prints the whole vector and the cpu's final state (--only with -v). */
static void dump_vector(struct run *run, const struct moo_test *t) {
  printf("  bytes:");
  for (uint32_t k = 0; k < t->n_bytes; k++)
    printf(" %02x", t->bytes[k]);
  printf("\n  %-6s %-6s %-6s %s\n", "reg", "init", "final", "cpu");
  for (int r = 0; r < MOO_NREGS; r++) {
    uint32_t base = 0;
    printf("  %-6s %04x   %04x%c  %04x\n", moo_reg_name(r), t->init.regs.value[r],
           moo_value(t, r), t->fina.regs.present >> r & 1 ? '*' : ' ',
           cpu_value(run->cpu, r, &base));
  }
  for (uint32_t k = 0; k < t->init.n_ram; k++)
    printf("  init ram[0x%06x] = 0x%02x\n", t->init.ram[k].addr, t->init.ram[k].value);
  for (uint32_t k = 0; k < t->fina.n_ram; k++)
    printf("  fina ram[0x%06x] = 0x%02x, cpu 0x%02x\n", t->fina.ram[k].addr,
           t->fina.ram[k].value, (uint8_t)mmu_read(run->mmu, t->fina.ram[k].addr, 1));
  if (t->has_excp)
    printf("  exception %u, FLAGS pushed at 0x%06x (EXCP)\n", t->excp_number,
           t->excp_flags_addr);
}

static void run_vector(struct run *run, const char *path, const struct moo_file *f,
                       const struct moo_test *t, bool dump) {
  struct conform_adjust adj;
  int skip = conform_rules_apply(t, run->md, &adj);
  if (skip >= 0) {
    run->skipped++;
    run->skipped_by[skip]++;
    if (run->verbose) {
      print_vector_id(stdout, path, t);
      printf(": skipped by rule %s\n", conform_rule_name(skip));
    }
    return;
  }
  struct report rep = {.len = 0};
  load_state(run, t, &adj);
  cpu_clear_first_exception(run->cpu);
  enum cpu_exit why = cpu_run(run->cpu, cpu_cycles(run->cpu) + RUN_BUDGET);
  int after = conform_rules_after(t, run->md, cpu_first_exception(run->cpu));
  if (after >= 0) {
    run->skipped++;
    run->skipped_by[after]++;
    if (run->verbose) {
      print_vector_id(stdout, path, t);
      printf(": skipped by rule %s\n", conform_rule_name(after));
    }
    if (why != CPU_EXIT_HALT)
      run->needs_reset = true;
    clean_state(run, t);
    return;
  }
  if (why != CPU_EXIT_HALT) {
    const char *reason = why == CPU_EXIT_BUDGET ? "the cycle budget ran out" : NULL;
    if (!reason)
      reason = cpu_stop_reason(run->cpu);
    report_add(&rep, "did not halt: %s", reason && *reason ? reason : "(no reason given)");
    run->needs_reset = true;
  }
  compare(run, f, t, &adj, &rep);
  if (rep.n_fields) {
    run->failed++;
    print_vector_id(stdout, path, t);
    printf(": %s\n", rep.text);
  } else {
    run->passed++;
    if (dump) {
      print_vector_id(stdout, path, t);
      printf(": passed\n");
    }
  }
  if (dump)
    dump_vector(run, t);
  clean_state(run, t);
}

/* Loads metadata.json from the directory of path unless it is loaded. */
static bool load_metadata(struct run *run, const char *path) {
  char dir[sizeof run->md_dir];
  const char *slash = strrchr(path, '/');
  size_t n = slash ? (size_t)(slash - path) : 1;
  if (n >= sizeof dir) {
    fprintf(stderr, "conform: %s: path too long\n", path);
    return false;
  }
  memcpy(dir, slash ? path : ".", n);
  dir[n] = 0;
  if (run->md && strcmp(dir, run->md_dir) == 0)
    return true;
  conform_metadata_free(run->md);
  run->md = NULL;
  char md_path[sizeof dir + 16], err[512];
  snprintf(md_path, sizeof md_path, "%s/metadata.json", dir);
  run->md = conform_metadata_load(md_path, err, sizeof err);
  if (!run->md) {
    fprintf(stderr, "conform: %s\n", err);
    return false;
  }
  snprintf(run->md_dir, sizeof run->md_dir, "%s", dir);
  return true;
}

static bool only_names(const struct only *o, const char *path) {
  return strcmp(o->file, path) == 0 || strcmp(base_name(o->file), base_name(path)) == 0;
}

/* Runs the vectors of one file; false on bad input. */
static bool run_file(struct run *run, const char *path) {
  bool wanted = run->n_only == 0;
  for (unsigned k = 0; k < run->n_only; k++)
    wanted |= only_names(&run->only[k], path);
  if (!wanted)
    return true;
  char err[512];
  struct moo_file *f = moo_load(path, err, sizeof err);
  if (!f) {
    fprintf(stderr, "conform: %s\n", err);
    return false;
  }
  if (!load_metadata(run, path)) {
    moo_free(f);
    return false;
  }
  for (uint32_t k = 0; k < f->n_tests; k++) {
    const struct moo_test *t = &f->tests[k];
    bool selected = run->n_only == 0;
    for (unsigned o = 0; o < run->n_only; o++)
      if (only_names(&run->only[o], path) && run->only[o].index == t->index) {
        run->only[o].used = true;
        selected = true;
      }
    if (selected)
      run_vector(run, path, f, t, run->n_only && run->verbose);
  }
  moo_free(f);
  return true;
}

static int usage(void) {
  fprintf(stderr, "usage: ringlab conform [--only FILE:INDEX]... [-v] FILE.MOO.gz...\n");
  return 2;
}

static bool parse_only(struct run *run, const char *arg) {
  const char *colon = strrchr(arg, ':');
  if (!colon || colon == arg || !colon[1] || run->n_only == MAX_ONLY)
    return false;
  char *end;
  errno = 0;
  unsigned long index = strtoul(colon + 1, &end, 10);
  if (*end || errno || index > 0xFFFFFFFFul)
    return false;
  struct only *o = &run->only[run->n_only++];
  size_t n = (size_t)(colon - arg);
  char *file = malloc(n + 1);
  if (!file)
    return false;
  memcpy(file, arg, n);
  file[n] = 0;
  o->file = file;
  o->index = (uint32_t)index;
  return true;
}

static void print_summary(const struct run *run) {
  for (int k = 0; k < CONFORM_NRULES; k++)
    if (run->skipped_by[k])
      printf("conform: skipped by %s: %llu (%s)\n", conform_rule_name(k),
             (unsigned long long)run->skipped_by[k], conform_rule_reason(k));
  printf("conform: %llu passed, %llu failed, %llu skipped\n", (unsigned long long)run->passed,
         (unsigned long long)run->failed, (unsigned long long)run->skipped);
}

int conform_main(int argc, char **argv) {
  static struct run run; /* large; one per process */
  memset(&run, 0, sizeof run);
  const char **files = calloc((size_t)argc + 1, sizeof *files);
  unsigned n_files = 0;
  int status = 0;
  bool options_done = false;
  if (!files)
    return 2;
  for (int k = 1; k < argc; k++) {
    const char *a = argv[k];
    if (!options_done && strcmp(a, "--") == 0) {
      options_done = true;
    } else if (!options_done && strcmp(a, "-v") == 0) {
      run.verbose = true;
    } else if (!options_done && strcmp(a, "--only") == 0) {
      if (k + 1 >= argc || !parse_only(&run, argv[++k])) {
        fprintf(stderr, "conform: --only wants FILE:INDEX\n");
        status = usage();
        goto out;
      }
    } else if (!options_done && strncmp(a, "--only=", 7) == 0) {
      if (!parse_only(&run, a + 7)) {
        fprintf(stderr, "conform: --only wants FILE:INDEX\n");
        status = usage();
        goto out;
      }
    } else if (!options_done && a[0] == '-' && a[1]) {
      fprintf(stderr, "conform: unknown option %s\n", a);
      status = usage();
      goto out;
    } else {
      files[n_files++] = a;
    }
  }
  /* --only with a path and no FILE: run that file. */
  if (n_files == 0)
    for (unsigned k = 0; k < run.n_only; k++)
      files[n_files++] = run.only[k].file;
  if (n_files == 0) {
    status = usage();
    goto out;
  }

  run.mmu = mmu_new(RAM_BYTES);
  run.cpu = run.mmu ? cpu_new(run.mmu, &io_ops, NULL) : NULL;
  if (!run.cpu) {
    fprintf(stderr, "conform: cannot create the machine: %s\n", strerror(errno));
    status = 2;
    goto out;
  }
  cpu_reset(run.cpu);
  bool bad_input = false;
  for (unsigned k = 0; k < n_files; k++) {
    bool duplicate = false;
    for (unsigned j = 0; j < k; j++)
      duplicate |= strcmp(files[j], files[k]) == 0;
    if (!duplicate && !run_file(&run, files[k]))
      bad_input = true;
  }
  for (unsigned k = 0; k < run.n_only; k++)
    if (!run.only[k].used && !bad_input) {
      fprintf(stderr, "conform: --only %s:%u names no vector of the files given\n",
              run.only[k].file, run.only[k].index);
      bad_input = true;
    }
  print_summary(&run);
  status = bad_input ? 2 : run.failed ? 1 : 0;
out:
  for (unsigned k = 0; k < run.n_only; k++)
    free((char *)run.only[k].file);
  free(files);
  if (run.cpu)
    cpu_free(run.cpu);
  if (run.mmu)
    mmu_free(run.mmu);
  conform_metadata_free(run.md);
  return status;
}
