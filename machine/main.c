/* machine/main.c - the ringlab command: options and subcommand dispatch.
 *
 *   ringlab --version | --help
 *   ringlab <subcommand> [args...]
 *
 * Each subcommand is one row of the table below and is called like a main()
 * of its own, with argv[0] set to the subcommand's name. Usage errors exit
 * with EX_USAGE (64).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "bench.h"
#include "conform.h"
#include "machine.h"
#include "ringlab_revision.h"
#include "trace.h"

struct subcommand {
  const char *name;
  int (*main)(int argc, char **argv);
  const char *help; /* one line */
};

static const struct subcommand subcommands[] = {
    {"bench", bench_main, "run an experiment: the Xen paper's tables (ringlab bench lmbench --help)"},
    {"conform", conform_main, "run instruction test vectors (*.MOO.gz) against the CPU"},
    {"run", run_main, "boot a Multiboot kernel in the emulated PC (ringlab run --help)"},
    {"trace", trace_main, "read a trace file of ringlab run --trace (ringlab trace --help)"},
};

#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void print_usage(FILE *out) {
  fprintf(out,
          "usage: ringlab <command> [args...]\n"
          "       ringlab --version | --help\n"
          "\n"
          "commands:\n");
  for (size_t k = 0; k < N_SUBCOMMANDS; k++)
    fprintf(out, "  %-10s %s\n", subcommands[k].name, subcommands[k].help);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return EX_USAGE;
  }
  const char *arg = argv[1];
  if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
    printf("ringlab %s (%s)\n", RINGLAB_VERSION, RINGLAB_REVISION);
    return 0;
  }
  if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
    print_usage(stdout);
    return 0;
  }
  for (size_t k = 0; k < N_SUBCOMMANDS; k++)
    if (strcmp(arg, subcommands[k].name) == 0)
      return subcommands[k].main(argc - 1, argv + 1);
  if (arg[0] == '-')
    fprintf(stderr, "ringlab: unknown option '%s' (try 'ringlab --help')\n", arg);
  else
    fprintf(stderr, "ringlab: unknown command '%s' (try 'ringlab --help')\n", arg);
  return EX_USAGE;
}
