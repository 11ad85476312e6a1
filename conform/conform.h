/* conform/conform.h - running external processor test vectors.
 *
 * `ringlab conform [--only FILE:INDEX] [-v] FILE...` runs MOO vectors
 * (SingleStepTests 80286, real mode) on one cpu and one mmu, comparing the
 * final registers, FLAGS and memory. Where an i686 legitimately differs from
 * an 80286, a rule of rules.def says so: it skips the vector or narrows the
 * comparison, always with its reason.
 */
#ifndef RINGLAB_CONFORM_H
#define RINGLAB_CONFORM_H

#include <stdint.h>

struct moo_test;
struct conform_metadata;

/* The conform subcommand; argv[0] is "conform" (or the program). Returns 0
 * when nothing failed, 1 when a vector failed, 2 on bad input. */
int conform_main(int argc, char **argv);

/* SKIP: decided before the run from the instruction and its metadata.
 * MASK: the vector runs; the rule narrows what is compared.
 * AFTER: decided after the run from the exception the vector records and the
 * exception ringlab took (cpu_first_exception); a match counts as skipped. */
enum conform_rule_action { CONFORM_RULE_SKIP, CONFORM_RULE_MASK, CONFORM_RULE_AFTER };

enum conform_rule_id {
#define RULE(name, action, reason) CONFORM_RULE_##name,
#include "rules.def"
#undef RULE
  CONFORM_NRULES
};

/* How the MASK rules change one vector's run and comparison. */
struct conform_adjust {
  uint16_t init_flags_clear; /* FLAGS bits cleared before the run */
  uint16_t flags_keep;       /* FLAGS bits compared, final and pushed image */
  uint16_t regs_ignore;      /* bit r: MOO register r is not compared */
};

/* Applies the rules to one vector. Returns the SKIP rule that matches it, or
 * -1 and the comparison adjustments of the MASK rules. md may be NULL. */
int conform_rules_apply(const struct moo_test *t, const struct conform_metadata *md,
                        struct conform_adjust *adj);

/* After the run: the AFTER rule that matches, or -1. cpu_exception is the
 * vector of the exception ringlab took, or -1. */
int conform_rules_after(const struct moo_test *t, const struct conform_metadata *md,
                        int cpu_exception);

const char *conform_rule_name(enum conform_rule_id id);
const char *conform_rule_reason(enum conform_rule_id id);
enum conform_rule_action conform_rule_action(enum conform_rule_id id);

#endif
