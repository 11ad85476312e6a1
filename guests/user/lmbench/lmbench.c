/* lmbench - the whole suite, in the order of the Xen paper's tables.
 *
 *   lmbench [--quick] [--bin DIR] [--tmp DIR]
 *
 * Runs each tool as a child (fork, execve, wait) and goes on when one
 * fails; exits 1 if any failed. Each measurement prints "lmbench: ID"
 * before it starts (the tools do, through bench_announce), which the
 * host's `ringlab bench lmbench` shows as progress, and its result line
 * after. --quick gives every tool a small -N (a test that the suite runs,
 * not a measurement); the full counts are the tools' own defaults. --bin
 * says where the programs are (default /bin), --tmp where files go
 * (default /tmp): on the host Linux the suite runs from a build folder.
 *
 * Files it makes: TMP/lmbench (stat, fstat and open it), TMP/lmbench.data
 * (8 MiB, 1 MiB with --quick, for lat_mmap and lat_pagefault), removed at
 * the end. */
#include "libc.h"

#define LM_ARGS 8

/* Arguments: "@bin/x" and "@tmp/x" are under --bin and --tmp; "@size" is
 * the mapped file's size. */
static const struct step {
  const char *tool;
  const char *args[LM_ARGS];
  long quick; /* -N with --quick */
} steps[] = {
    {"lat_syscall", {"null"}, 100},
    {"lat_syscall", {"read"}, 100},
    {"lat_syscall", {"write"}, 100},
    {"lat_syscall", {"stat", "@tmp/lmbench"}, 50},
    {"lat_syscall", {"fstat", "@tmp/lmbench"}, 100},
    {"lat_syscall", {"open", "@tmp/lmbench"}, 50},
    {"lat_select", {"-n", "100", "pipe"}, 20},
    {"lat_sig", {"install"}, 100},
    {"lat_sig", {"catch"}, 50},
    {"lat_sig", {"prot", "@bin/lat_sig"}, 20},
    {"lat_proc", {"-p", "@bin/hello", "-s", "@bin/sh", "fork"}, 5},
    {"lat_proc", {"-p", "@bin/hello", "-s", "@bin/sh", "exec"}, 3},
    {"lat_proc", {"-p", "@bin/hello", "-s", "@bin/sh", "shell"}, 2},
    {"lat_ctx", {"-s", "0", "2"}, 5},
    {"lat_ctx", {"-s", "16", "2"}, 5},
    {"lat_ctx", {"-s", "64", "2"}, 5},
    {"lat_ctx", {"-s", "16", "8"}, 5},
    {"lat_ctx", {"-s", "64", "8"}, 5},
    {"lat_ctx", {"-s", "16", "16"}, 5},
    {"lat_ctx", {"-s", "64", "16"}, 5},
    {"lat_fs", {"-s", "0", "@tmp"}, 20},
    {"lat_fs", {"-s", "10k", "@tmp"}, 20},
    {"lat_mmap", {"@size", "@tmp/lmbench.data"}, 5},
    {"lat_pagefault", {"@tmp/lmbench.data"}, 2},
};

static const char *bin_dir = "/bin", *tmp_dir = "/tmp";
static int quick;

/* Expands one argument into buf. */
static char *expand(const char *a, char *buf, size_t size) {
  if (!strcmp(a, "@size"))
    snprintf(buf, size, "%s", quick ? "1m" : "8m");
  else if (!strncmp(a, "@bin", 4))
    snprintf(buf, size, "%s%s", bin_dir, a + 4);
  else if (!strncmp(a, "@tmp", 4))
    snprintf(buf, size, "%s%s", tmp_dir, a + 4);
  else
    snprintf(buf, size, "%s", a);
  return buf;
}

static int run(const struct step *s) {
  static char bufs[LM_ARGS + 3][256];
  char *argv[LM_ARGS + 4];
  int n = 0;
  snprintf(bufs[0], sizeof(bufs[0]), "%s/%s", bin_dir, s->tool);
  argv[n++] = bufs[0];
  if (quick) {
    snprintf(bufs[1], sizeof(bufs[1]), "-N%ld", s->quick);
    argv[n++] = bufs[1];
  }
  for (int k = 0; k < LM_ARGS && s->args[k]; k++) {
    argv[n] = expand(s->args[k], bufs[n], sizeof(bufs[n]));
    n++;
  }
  argv[n] = 0;
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    perror("lmbench: fork");
    return -1;
  }
  if (pid == 0) {
    execv(argv[0], argv);
    fprintf(stderr, "lmbench: %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int st;
  while (wait4(pid, &st, 0, 0) < 0)
    if (errno != EINTR)
      return -1;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
    return 0;
  fprintf(stderr, "# lmbench: %s %s failed (status 0x%x)\n", s->tool, s->args[0], st);
  return -1;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick")) {
      quick = 1;
    } else if (!strcmp(argv[i], "--bin") && i + 1 < argc) {
      bin_dir = argv[++i];
    } else if (!strcmp(argv[i], "--tmp") && i + 1 < argc) {
      tmp_dir = argv[++i];
    } else {
      fprintf(stderr, "usage: lmbench [--quick] [--bin DIR] [--tmp DIR]\n");
      return 2;
    }
  }
  int nsteps = (int)(sizeof(steps) / sizeof(steps[0])), failed = 0;
  printf("# lmbench suite: %d runs%s\n", nsteps, quick ? ", quick" : "");
  for (int i = 0; i < nsteps; i++)
    if (run(&steps[i]) < 0)
      failed++;
  char path[256];
  unlink(expand("@tmp/lmbench", path, sizeof(path)));
  unlink(expand("@tmp/lmbench.data", path, sizeof(path)));
  printf("# lmbench suite: done, %d of %d runs failed\n", failed, nsteps);
  return failed ? 1 : 0;
}
