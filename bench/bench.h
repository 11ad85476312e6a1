/* bench/bench.h - experiments: boot configurations of the laboratory, read
 * what their guests report and print the Xen paper's tables (DESIGN.md,
 * "The guest kernel and the experiment").
 *
 *   ringlab bench lmbench [options]     Tables 3-5 (bench/lmbench.c)
 *
 * The command runs each configuration as a `ringlab run` of its own (a
 * child process, so configurations run side by side on the host's cores),
 * reads the run's --stats (results and regions the guest reported) and
 * turns them into rows (bench/lmbench_report.c). The report half is a
 * library of its own so that tests feed it stats files directly.
 */
#ifndef RINGLAB_BENCH_H
#define RINGLAB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* `ringlab bench ...` (argv[0] is "bench"). */
int bench_main(int argc, char **argv);

/* ---- the lmbench report ---------------------------------------------------- */

/* The mechanisms counted per operation under each row: one per line of
 * LM_MECHANISMS, its label in the tables, its CSV column and the --stats
 * event keys it sums (a key ending in '.' is a prefix: every indexed
 * counter of that row). The hypervisor's rows (X) come from its marks on
 * the ops port (machine/ringlab_ops.h). */
#define LM_MECHANISMS(X)                                                                       \
  X(ring, "ring", "ring", "ring.")                   /* CPL changes, every direction */       \
  X(syscall, "syscall", "syscall", "softint.128")    /* int $0x80 */                          \
  X(exc, "exc", "exc", "exception.")                 /* exceptions delivered */               \
  X(pf, "#PF", "pf", "exception.14")                 /* of which page faults */               \
  X(irq, "irq", "irq", "irq.")                       /* external interrupts */                \
  X(cr3, "cr3", "cr3", "cr3_write")                  /* CR3 loads */                          \
  X(flush, "flush", "flush", "tlb_flush.")           /* TLB flushes of every kind */          \
  X(invlpg, "invlpg", "invlpg", "invlpg")            /* single-page flushes */                \
  X(itlb, "itlb miss", "itlb_miss", "itlb_miss")     /* instruction TLB misses */             \
  X(dtlb, "dtlb miss", "dtlb_miss", "dtlb_miss")     /* data TLB misses */                    \
  X(walk, "walk", "walk", "page_walk")               /* page-table walks */                   \
  X(hcall, "hcall", "hcall", "softint.130")          /* hypercalls: int $0x82 entries (X) */  \
  X(bounce, "bounce", "bounce", "hv_trap_bounce.")   /* traps bounced to the guest (X) */     \
  X(upcall, "upcall", "upcall", "hv_upcall.")        /* event upcalls (X) */                  \
  X(ptupd, "pte upd", "pte_upd", "hv_pt_update.")    /* page-table entries validated (X) */   \
  X(ptemu, "pte emul", "pte_emul", "hv_pt_emulate")  /* writable-page-table emulations (X) */

enum lm_mechanism {
#define X(id, label, csv, key) LM_MECH_##id,
  LM_MECHANISMS(X)
#undef X
  LM_MECH_COUNT
};

/* Hypercall numbers counted one by one (hypercall.N, Xen's numbers:
 * multicall members count under their own number, and the multicall too). */
#define LM_HYPERCALLS 64
#define LM_HC_MMU_UPDATE 1          /* __HYPERVISOR_mmu_update */
#define LM_HC_UPDATE_VA_MAPPING 14  /* __HYPERVISOR_update_va_mapping */

/* One measurement a guest reported: "<id>.cycles" over "<id>.ops", and
 * what its region counted. */
struct lm_measure {
  bool have;
  uint64_t cycles, ops;
  double mech[LM_MECH_COUNT];     /* region counts (not yet per operation) */
  double hcall[LM_HYPERCALLS];    /* region's hypercall.N */
  uint64_t region_cycles;
};

/* One configuration's run (L: the native kernel; X: paravirtualized; a
 * name ending in ' is the same configuration with the --compare setting). */
#define LM_MAX_IDS 64
struct lm_config {
  char name[8];
  char preset[32];
  uint64_t frequency_hz;
  uint64_t run_cycles, run_instructions;
  unsigned n;
  char ids[LM_MAX_IDS][64];
  struct lm_measure m[LM_MAX_IDS];
};

/* A figure of the paper (bench/reference/xen-sosp03-lmbench.csv). */
struct lm_reference_row {
  char table[24], benchmark[32];
  double l_smp, l_up, xen, vmw, uml; /* microseconds; < 0: missing */
};
#define LM_MAX_REFERENCE 64
struct lm_reference {
  unsigned n;
  struct lm_reference_row row[LM_MAX_REFERENCE];
};

/* Reads a --stats file into c (named name). On bad input returns -1 with
 * one line naming the file and the reason in err. */
int lm_config_load(struct lm_config *c, const char *name, const char *stats_path, char *err, size_t n);

/* The measurement id of c, or NULL when the run did not report it. */
const struct lm_measure *lm_config_find(const struct lm_config *c, const char *id);

/* Reads the reference CSV (the `table,benchmark,L-SMP,L-UP,Xen,VMW,UML`
 * rows; '#' lines are comments). -1 with err on bad input. */
int lm_reference_load(struct lm_reference *r, const char *path, char *err, size_t n);

/* Whether every row of ref has a row of lmbench_rows.def beside it; if
 * not, the first uncovered one ("table/benchmark") in missing. */
bool lm_reference_covered(const struct lm_reference *ref, char *missing, size_t n);

/* Prints Tables 3, 4 and 5: for each row the configurations' microseconds
 * and cycles per operation, the paper's L-UP and Xen, the ratio X/L ours
 * beside the paper's (where an L and an X configuration are given: the
 * first whose names start with L and X) and, under each table, the
 * mechanisms per operation of each configuration, the hypercalls by
 * name, the mean entries per mmu_update, and the notes. Returns the
 * number of rows a configuration failed to report. */
unsigned lm_print_tables(FILE *out, const struct lm_config *configs, unsigned n_configs,
                         const struct lm_reference *ref);

/* --compare: for each row and each pair (base[k], variant[k]) the
 * microseconds of both, the change, and the X/L ratios of both settings. */
void lm_print_compare(FILE *out, const struct lm_config *base, const struct lm_config *variant, unsigned n,
                      const char *setting);

/* The CSV (LM_CSV_HEADER), one line per row and configuration that has
 * the measurement. */
#define LM_CSV_HEADER                                                                                  \
  "table,benchmark,config,cycles,us,paper_us,x_over_l,paper_x_over_l,ring,syscall,exc,pf,irq,cr3,flush," \
  "invlpg,itlb_miss,dtlb_miss,walk,hcall,bounce,upcall,pte_upd,pte_emul,mmu_update_entries"
void lm_write_csv(FILE *out, const struct lm_config *configs, unsigned n_configs, const struct lm_reference *ref);

/* The JSON document of the whole experiment (rows, mechanisms, hypercalls
 * by name, reference). */
int lm_write_json(const char *path, const struct lm_config *configs, unsigned n_configs,
                  const struct lm_reference *ref, char *err, size_t n);

/* The gnuplot data and script of the X/L plot: grouped bars per row, ours
 * (each L/X pair of configs) beside the paper's; the terminal from the
 * output's extension (.svg, .png). -1 with err when there is no L/X pair
 * or a file cannot be written. */
int lm_write_plot(const char *data_path, const char *script_path, const char *output,
                  const struct lm_config *configs, unsigned n_configs, const struct lm_reference *ref,
                  const char *compare_setting, char *err, size_t n);

#endif
