/* bench/lmbench.c - `ringlab bench lmbench`: the Xen paper's Tables 3-5
 * from the lmbench programs of the guest kernel (guests/user), on the
 * native kernel (L) and on the same kernel paravirtualized on our
 * hypervisor (X).
 *
 * Each configuration is one `ringlab run` in a child process (the same
 * executable, /proc/self/exe), so configurations run side by side on the
 * host's cores and each is exactly the run a user could make by hand:
 *
 *   L   ringlab run --timing P --serial stdio --stats DIR/L.json
 *           --module INITRAMFS [machine options] KERNEL -- -- /bin/lmbench [--quick]
 *   X   ringlab run --timing P --serial stdio --stats DIR/X.json
 *           --module "KERNEL-XEN=-- /bin/lmbench [--quick]" --module INITRAMFS
 *           [machine options] HV.ELF -- dom_mem=96M [hypervisor options]
 *
 * (L: the kernel runs init, which runs /bin/lmbench and powers off with
 * its status: `ringlab run` exits 0. X: the hypervisor builds domain 0
 * from kernel-xen.elf with the initramfs as its initrd; init's clean
 * power-off is SCHEDOP_shutdown(poweroff), the hypervisor's verdict 0 when
 * every domain powered off, which `ringlab run` reports as (0 << 1) | 1 =
 * 1.) With --compare SETTING every configuration runs a second time with
 * SETTING's options on top (X' beside X). While the children run, their
 * consoles are read: a line "lmbench: ID" says which measurement starts
 * (the progress shown on stderr), and the whole console goes to
 * DIR/NAME.console for a post-mortem. Then each run's --stats becomes a
 * configuration (lmbench_report.c) and the tables are printed. The runs
 * are deterministic, so two invocations print identical tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

#define EXIT_USAGE 64
#define MAX_CONFIGS 8
#define MAX_PASS 32 /* machine options passed to ringlab run */
#define DEFAULT_HV_OPTIONS "dom_mem=96M"

struct options {
  const char *configs;
  const char *timing;
  bool quick;
  const char *csv, *json, *plot, *keep, *trace_dir;
  const char *kernel, *kernel_xen, *hv, *initramfs, *reference;
  const char *hv_options;
  const char *compare;
  const char *pass[MAX_PASS];
  unsigned n_pass;
};

struct child {
  char name[8];
  const struct options *o; /* its setting */
  pid_t pid;
  int fd;                /* the read end of its console, -1 when closed */
  FILE *log;             /* DIR/NAME.console */
  char line[512];
  size_t len;
  int status;
  char stats[PATH_MAX], console[PATH_MAX];
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: ringlab bench lmbench [options]\n"
          "\n"
          "Boots the guest kernel with its lmbench suite natively (L) and paravirtualized\n"
          "as domain 0 of our hypervisor (X), side by side, and prints the Xen paper's\n"
          "Tables 3, 4 and 5: each row in microseconds at the preset's frequency and in\n"
          "cycles, beside the paper's L-UP and Xen figures, the ratio X/L ours beside the\n"
          "paper's, and under each table the mechanisms per operation that the row's\n"
          "region counted (ring transitions, exceptions, TLB flushes and misses, page\n"
          "walks; under X hypercalls, bounced traps, upcalls, page-table entries\n"
          "validated, the mean entries per mmu_update, and the hypercalls by name).\n"
          "\n"
          "options:\n"
          "  --configs LIST     configurations, comma-separated (L,X): L the native kernel,\n"
          "                     X the paravirtualized one on the hypervisor\n"
          "  --timing PRESET    timing preset or preset file (netburst: the paper's Xeon)\n"
          "  --quick            short iteration counts (a test, not a measurement)\n"
          "  --compare SETTING  run every configuration again with SETTING, machine options\n"
          "                     in one argument (\"--timing p6\", \"--dtlb 256:4,8:4\",\n"
          "                     \"--itlb 128:4,2:2 --dtlb 256:4,8:4\", \"--hv-options sched=rr\"),\n"
          "                     and print the difference per row (X' beside X)\n"
          "  --csv PATH         write one line per row and configuration (columns: the\n"
          "                     first line; bench/README.md explains each)\n"
          "  --json PATH        write every row, its mechanisms, hypercalls and the paper\n"
          "  --plot PATH        grouped bars of X/L per row, ours beside the paper's, drawn\n"
          "                     by gnuplot: SVG or PNG by PATH's extension\n"
          "  --trace-dir DIR    record each run's trace as DIR/NAME.rtrace ('ringlab trace')\n"
          "  --keep DIR         keep each run's --stats and console in DIR\n"
          "  --kernel PATH      the native kernel (guests/kernel.elf of this build)\n"
          "  --kernel-xen PATH  the paravirtualized kernel (guests/kernel-xen.elf)\n"
          "  --hv PATH          the hypervisor (hv/hv.elf)\n"
          "  --initramfs PATH   the initramfs (guests/user/initramfs.cpio of this build)\n"
          "  --reference PATH   the paper's figures (bench/reference/xen-sosp03-lmbench.csv)\n"
          "  --hv-options OPTS  the hypervisor's options for X (\"" DEFAULT_HV_OPTIONS "\", hv/README.md)\n"
          "  --mem MIB, --itlb E:W,E:W, --dtlb E:W,E:W, --max-cycles N\n"
          "                     machine options passed to each ringlab run (--tlb-tagged is\n"
          "                     refused: the guests flush by reloading CR3)\n"
          "exit status: 0; 1 a run failed or a row is missing; 64 bad usage or input.\n");
}

/* An image's path: the one given, or DIR/../NAME of the running ringlab
 * (build/machine/ringlab -> build/NAME). */
static void image_path(const char *given, const char *name, char *out, size_t n) {
  if (given) {
    snprintf(out, n, "%s", given);
    return;
  }
  char self[PATH_MAX / 2];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0 || strlen(name) > 64) {
    snprintf(out, n, "%s", name);
    return;
  }
  self[len] = 0;
  char *slash = strrchr(self, '/');
  if (slash)
    *slash = 0;
  if ((size_t)len + strlen(name) + 16 > n) {
    snprintf(out, n, "%s", name);
    return;
  }
  snprintf(out, n, "%s/../%s", self, name);
}

/* The options that describe the machine (and may be compared). Returns
 * the number of words taken at argv[k] (1 or 2), 0 if argv[k] is not one
 * of them, -1 on a missing value. */
static int machine_option(struct options *o, int argc, char **argv, int k) {
  const char *a = argv[k];
  if (strcmp(a, "--tlb-tagged") == 0) {
    /* ringlab's tagged TLB flushes nothing at a CR3 load, not even a
     * reload of the same value, and keeps a freed address space's entries
     * under its CR3 until that page is a new address space's root: a
     * guest must flush by tag, and ours (both kernels, the hypervisor)
     * flush with CR3 reloads. Their runs would be wrong, not slower. */
    fprintf(stderr, "ringlab bench: --tlb-tagged: the guest kernels and the hypervisor flush their TLB by reloading "
                    "CR3, which a tagged TLB ignores (README, \"Reproducing the Xen paper\"): their runs would "
                    "compute wrong results, so the experiment refuses it\n");
    return -1;
  }
  bool pass = strcmp(a, "--mem") == 0 || strcmp(a, "--itlb") == 0 || strcmp(a, "--dtlb") == 0 ||
              strcmp(a, "--max-cycles") == 0;
  if (!pass && strcmp(a, "--timing") != 0 && strcmp(a, "--hv-options") != 0)
    return 0;
  if (k + 1 >= argc) {
    fprintf(stderr, "ringlab bench: '%s' needs a value\n", a);
    return -1;
  }
  if (strcmp(a, "--timing") == 0) {
    o->timing = argv[k + 1];
  } else if (strcmp(a, "--hv-options") == 0) {
    o->hv_options = argv[k + 1];
  } else {
    if (o->n_pass + 2 > MAX_PASS) {
      fprintf(stderr, "ringlab bench: too many machine options\n");
      return -1;
    }
    o->pass[o->n_pass++] = a;
    o->pass[o->n_pass++] = argv[k + 1];
  }
  return 2;
}

static int parse(int argc, char **argv, struct options *o) {
  *o = (struct options){.configs = "L,X",
                        .timing = "netburst",
                        .reference = RINGLAB_BENCH_REFERENCE,
                        .hv_options = DEFAULT_HV_OPTIONS};
  for (int k = 1; k < argc; k++) {
    const char *a = argv[k];
    const char **value = NULL;
    int took = machine_option(o, argc, argv, k);
    if (took < 0)
      return -1;
    if (took > 0) {
      k += took - 1;
      continue;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--quick") == 0) {
      o->quick = true;
      continue;
    } else if (strcmp(a, "--configs") == 0) {
      value = &o->configs;
    } else if (strcmp(a, "--csv") == 0) {
      value = &o->csv;
    } else if (strcmp(a, "--json") == 0) {
      value = &o->json;
    } else if (strcmp(a, "--plot") == 0) {
      value = &o->plot;
    } else if (strcmp(a, "--keep") == 0) {
      value = &o->keep;
    } else if (strcmp(a, "--trace-dir") == 0) {
      value = &o->trace_dir;
    } else if (strcmp(a, "--kernel") == 0) {
      value = &o->kernel;
    } else if (strcmp(a, "--kernel-xen") == 0) {
      value = &o->kernel_xen;
    } else if (strcmp(a, "--hv") == 0) {
      value = &o->hv;
    } else if (strcmp(a, "--initramfs") == 0) {
      value = &o->initramfs;
    } else if (strcmp(a, "--reference") == 0) {
      value = &o->reference;
    } else if (strcmp(a, "--compare") == 0) {
      value = &o->compare;
    } else {
      fprintf(stderr, "ringlab bench: unknown option '%s' (try 'ringlab bench lmbench --help')\n", a);
      return -1;
    }
    if (k + 1 >= argc) {
      fprintf(stderr, "ringlab bench: '%s' needs a value\n", a);
      return -1;
    }
    *value = argv[++k];
  }
  return 0;
}

/* The compared setting: the base options with SETTING's words on top (a
 * later option wins in `ringlab run`, and --timing/--hv-options replace). */
static int parse_compare(const struct options *base, struct options *v, char *words, char **argv, int max) {
  *v = *base;
  int argc = 1;
  argv[0] = "--compare";
  for (char *p = words, *tok; (tok = strsep(&p, " ")) != NULL;) {
    if (!*tok)
      continue;
    if (argc == max) {
      fprintf(stderr, "ringlab bench: --compare: too many words\n");
      return -1;
    }
    argv[argc++] = tok;
  }
  if (argc == 1) {
    fprintf(stderr, "ringlab bench: --compare: no option to compare\n");
    return -1;
  }
  for (int k = 1; k < argc; k++) {
    int took = machine_option(v, argc, argv, k);
    if (took < 0)
      return -1;
    if (took == 0) {
      fprintf(stderr, "ringlab bench: --compare: '%s' is not a machine option (--timing, --mem, --itlb, --dtlb, "
                      "--max-cycles, --hv-options)\n",
              argv[k]);
      return -1;
    }
    k += took - 1;
  }
  return 0;
}

static bool readable_file(const char *path, const char *what) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "ringlab bench: %s: %s (%s)\n", path, strerror(errno), what);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    fprintf(stderr, "ringlab bench: %s: not a regular file (%s)\n", path, what);
    return false;
  }
  return true;
}

struct images {
  char kernel[PATH_MAX], kernel_xen[PATH_MAX], hv[PATH_MAX], initramfs[PATH_MAX];
};

/* A run's file name: its configuration's, X' as X-compare. */
static void run_file_name(const char *name, char out[16]) {
  size_t len = strnlen(name, 7);
  memcpy(out, name, len);
  out[len] = 0;
  if (len == 2 && out[1] == '\'')
    memcpy(out + 1, "-compare", 9);
}

/* The status of a clean run: init's power-off. */
static int clean_status(const struct child *ch) { return ch->name[0] == 'X' ? 1 : 0; }

/* Starts one configuration's run with its console on a pipe. */
static int start(struct child *ch, const struct images *im, const char *trace_dir) {
  const struct options *o = ch->o;
  bool x = ch->name[0] == 'X';
  const char *argv[96];
  unsigned n = 0;
  static char module[MAX_CONFIGS][PATH_MAX + 64], trace[MAX_CONFIGS][PATH_MAX];
  static unsigned slot;
  char hv_words[512];
  argv[n++] = "ringlab";
  argv[n++] = "run";
  argv[n++] = "--timing";
  argv[n++] = o->timing;
  argv[n++] = "--serial";
  argv[n++] = "stdio";
  argv[n++] = "--stats";
  argv[n++] = ch->stats;
  if (trace_dir) {
    char file[16];
    run_file_name(ch->name, file);
    snprintf(trace[slot], sizeof trace[slot], "%s/%s.rtrace", trace_dir, file);
    argv[n++] = "--trace";
    argv[n++] = trace[slot];
  }
  if (x) {
    snprintf(module[slot], sizeof module[slot], "%s=-- /bin/lmbench%s", im->kernel_xen, o->quick ? " --quick" : "");
    argv[n++] = "--module";
    argv[n++] = module[slot];
  }
  slot++;
  argv[n++] = "--module";
  argv[n++] = im->initramfs;
  for (unsigned k = 0; k < o->n_pass; k++)
    argv[n++] = o->pass[k];
  if (x) {
    argv[n++] = im->hv;
    argv[n++] = "--";
    snprintf(hv_words, sizeof hv_words, "%s", o->hv_options);
    for (char *p = hv_words, *tok; (tok = strsep(&p, " ")) != NULL && n < 94;)
      if (*tok)
        argv[n++] = tok;
  } else {
    argv[n++] = im->kernel;
    argv[n++] = "--";
    argv[n++] = "--";
    argv[n++] = "/bin/lmbench";
    if (o->quick)
      argv[n++] = "--quick";
  }
  argv[n] = NULL;

  int pipefd[2];
  if (pipe(pipefd) != 0) {
    fprintf(stderr, "ringlab bench: pipe: %s\n", strerror(errno));
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  posix_spawn_file_actions_addclose(&fa, pipefd[1]);
  int rc = posix_spawn(&ch->pid, "/proc/self/exe", &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    fprintf(stderr, "ringlab bench: cannot start ringlab run: %s\n", strerror(rc));
    return -1;
  }
  ch->fd = pipefd[0];
  ch->log = fopen(ch->console, "w");
  fprintf(stderr, "ringlab bench: [%s] booting %s%s%s (%s preset%s)\n", ch->name, x ? im->kernel_xen : im->kernel,
          x ? " on " : "", x ? im->hv : "", o->timing, o->quick ? ", quick" : "");
  return 0;
}

/* A console line: to the log, and "lmbench: ID" as progress. */
static void console_line(struct child *ch) {
  ch->line[ch->len] = 0;
  if (ch->log)
    fprintf(ch->log, "%s\n", ch->line);
  if (strncmp(ch->line, "lmbench: ", 9) == 0)
    fprintf(stderr, "ringlab bench: [%s] %s\n", ch->name, ch->line + 9);
  ch->len = 0;
}

static void drain(struct child *ch) {
  char buf[4096];
  ssize_t got = read(ch->fd, buf, sizeof buf);
  if (got <= 0) {
    if (ch->len)
      console_line(ch);
    close(ch->fd);
    ch->fd = -1;
    return;
  }
  for (ssize_t k = 0; k < got; k++) {
    if (buf[k] == '\n' || ch->len == sizeof ch->line - 1)
      console_line(ch);
    if (buf[k] != '\n' && buf[k] != '\r')
      ch->line[ch->len++] = buf[k];
  }
}

/* The last lines of a console log, for a failed run. */
static void show_tail(const char *path, unsigned lines) {
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char ring[32][512];
  unsigned n = 0;
  while (fgets(ring[n % 32], sizeof ring[0], f))
    n++;
  fclose(f);
  unsigned first = n > lines ? n - lines : 0;
  for (unsigned k = first; k < n; k++)
    fprintf(stderr, "  | %s", ring[k % 32]);
}

/* Runs gnuplot on script; 0 when it made the plot. */
static int run_gnuplot(const char *script, const char *output) {
  pid_t pid;
  char *const argv[] = {"gnuplot", (char *)script, NULL};
  int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
  if (rc != 0) {
    fprintf(stderr, "ringlab bench: --plot: cannot run gnuplot: %s (Debian package gnuplot-nox)\n", strerror(rc));
    return -1;
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "ringlab bench: --plot: gnuplot failed on %s\n", script);
    return -1;
  }
  fprintf(stderr, "ringlab bench: plot written to %s\n", output);
  return 0;
}

static bool has_quote(const char *s) { return s && strchr(s, '\'') != NULL; }

static int lmbench_main(int argc, char **argv) {
  static struct options o, ov;
  if (parse(argc, argv, &o) != 0)
    return EXIT_USAGE;
  static char compare_words[1024];
  static char *compare_argv[64];
  if (o.compare) {
    snprintf(compare_words, sizeof compare_words, "%s", o.compare);
    if (parse_compare(&o, &ov, compare_words, compare_argv, 64) != 0)
      return EXIT_USAGE;
  }
  if (has_quote(o.plot)) {
    fprintf(stderr, "ringlab bench: --plot: a path with a ' cannot be handed to gnuplot\n");
    return EXIT_USAGE;
  }

  /* the configurations, then what they need */
  static struct child children[MAX_CONFIGS];
  unsigned n = 0;
  bool want_l = false, want_x = false;
  char list[256];
  snprintf(list, sizeof list, "%s", o.configs);
  for (char *p = list, *tok; (tok = strsep(&p, ",")) != NULL;) {
    if (!*tok)
      continue;
    if (strcmp(tok, "L") != 0 && strcmp(tok, "X") != 0) {
      fprintf(stderr, "ringlab bench: --configs: no configuration '%s' (L: the native kernel; X: the same kernel "
                      "paravirtualized on the hypervisor)\n",
              tok);
      return EXIT_USAGE;
    }
    for (unsigned pass = 0; pass < (o.compare ? 2u : 1u); pass++) {
      if (n == MAX_CONFIGS) {
        fprintf(stderr, "ringlab bench: --configs: at most %d runs\n", MAX_CONFIGS);
        return EXIT_USAGE;
      }
      struct child *ch = &children[n++];
      *ch = (struct child){.fd = -1, .o = pass ? &ov : &o};
      snprintf(ch->name, sizeof ch->name, "%s%s", tok, pass ? "'" : "");
    }
    want_l |= tok[0] == 'L';
    want_x |= tok[0] == 'X';
  }
  if (n == 0) {
    fprintf(stderr, "ringlab bench: --configs: no configuration\n");
    return EXIT_USAGE;
  }

  static struct images im;
  image_path(o.kernel, "guests/kernel.elf", im.kernel, sizeof im.kernel);
  image_path(o.kernel_xen, "guests/kernel-xen.elf", im.kernel_xen, sizeof im.kernel_xen);
  image_path(o.hv, "hv/hv.elf", im.hv, sizeof im.hv);
  image_path(o.initramfs, "guests/user/initramfs.cpio", im.initramfs, sizeof im.initramfs);
  if ((want_l && !readable_file(im.kernel, "the native kernel: build it, or give --kernel")) ||
      (want_x && !readable_file(im.kernel_xen, "the paravirtualized kernel: build it, or give --kernel-xen")) ||
      (want_x && !readable_file(im.hv, "the hypervisor: build it, or give --hv")) ||
      !readable_file(im.initramfs, "the initramfs: build it, or give --initramfs"))
    return EXIT_USAGE;
  if (want_x && strchr(im.kernel_xen, '=')) {
    fprintf(stderr, "ringlab bench: %s: a Multiboot module's path cannot hold '='\n", im.kernel_xen);
    return EXIT_USAGE;
  }
  char err[512];
  static struct lm_reference ref;
  if (lm_reference_load(&ref, o.reference, err, sizeof err) != 0) {
    fprintf(stderr, "ringlab bench: %s\n", err);
    return EXIT_USAGE;
  }

  char dir[PATH_MAX / 2]; /* room for /NAME.console in the children's paths */
  if (o.keep) {
    if (strlen(o.keep) >= sizeof dir) {
      fprintf(stderr, "ringlab bench: --keep: path too long\n");
      return EXIT_USAGE;
    }
    snprintf(dir, sizeof dir, "%s", o.keep);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
      fprintf(stderr, "ringlab bench: %s: cannot create: %s\n", dir, strerror(errno));
      return EXIT_USAGE;
    }
  } else {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ringlab-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
      fprintf(stderr, "ringlab bench: cannot create a temporary folder: %s\n", strerror(errno));
      return EXIT_USAGE;
    }
  }
  if (o.trace_dir) {
    if (strlen(o.trace_dir) >= PATH_MAX / 2) {
      fprintf(stderr, "ringlab bench: --trace-dir: path too long\n");
      return EXIT_USAGE;
    }
    if (mkdir(o.trace_dir, 0755) != 0 && errno != EEXIST) {
      fprintf(stderr, "ringlab bench: %s: cannot create: %s\n", o.trace_dir, strerror(errno));
      return EXIT_USAGE;
    }
  }
  for (unsigned k = 0; k < n; k++) {
    struct child *ch = &children[k];
    char file[16];
    run_file_name(ch->name, file);
    snprintf(ch->stats, sizeof ch->stats, "%s/%s.json", dir, file);
    snprintf(ch->console, sizeof ch->console, "%s/%s.console", dir, file);
  }

  int rc = 0;
  for (unsigned k = 0; k < n && rc == 0; k++)
    if (start(&children[k], &im, o.trace_dir) != 0)
      rc = EXIT_USAGE;

  /* Read every console until each child closes it, then reap them. */
  for (;;) {
    struct pollfd pf[MAX_CONFIGS];
    unsigned which[MAX_CONFIGS], np = 0;
    for (unsigned k = 0; k < n; k++)
      if (children[k].fd >= 0) {
        pf[np] = (struct pollfd){.fd = children[k].fd, .events = POLLIN};
        which[np++] = k;
      }
    if (np == 0)
      break;
    if (poll(pf, np, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (unsigned k = 0; k < np; k++)
      if (pf[k].revents)
        drain(&children[which[k]]);
  }
  for (unsigned k = 0; k < n; k++) {
    struct child *ch = &children[k];
    if (ch->pid > 0) {
      int st = 0;
      while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR)
        ;
      ch->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    if (ch->log)
      fclose(ch->log);
    if (ch->pid > 0 && ch->status != clean_status(ch)) {
      fprintf(stderr, "ringlab bench: [%s] the run ended with status %d (%d is init's clean power-off%s); its console "
                      "ends:\n",
              ch->name, ch->status, clean_status(ch),
              clean_status(ch) ? ": the hypervisor's verdict 0, every domain powered off" : "");
      show_tail(ch->console, 20);
      rc = 1;
    }
  }

  static struct lm_config configs[MAX_CONFIGS], base[MAX_CONFIGS / 2], variant[MAX_CONFIGS / 2];
  unsigned n_base = 0, n_variant = 0;
  if (rc == 0)
    for (unsigned k = 0; k < n; k++) {
      if (lm_config_load(&configs[k], children[k].name, children[k].stats, err, sizeof err) != 0) {
        fprintf(stderr, "ringlab bench: %s\n", err);
        rc = 1;
      } else if (children[k].name[1] == '\'') {
        variant[n_variant++] = configs[k];
      } else {
        base[n_base++] = configs[k];
      }
    }
  if (rc == 0) {
    unsigned missing = lm_print_tables(stdout, base, n_base, &ref);
    if (o.compare) {
      printf("With %s:\n\n", o.compare);
      missing += lm_print_tables(stdout, variant, n_variant, &ref);
      lm_print_compare(stdout, base, variant, n_base, o.compare);
    }
    if (missing) {
      fprintf(stderr, "ringlab bench: %u rows were not reported by the guest (shown as -)\n", missing);
      rc = 1;
    }
    if (o.csv) {
      FILE *f = fopen(o.csv, "w");
      if (!f) {
        fprintf(stderr, "ringlab bench: %s: cannot create: %s\n", o.csv, strerror(errno));
        rc = EXIT_USAGE;
      } else {
        lm_write_csv(f, configs, n, &ref);
        if (fclose(f) != 0) {
          fprintf(stderr, "ringlab bench: %s: cannot write: %s\n", o.csv, strerror(errno));
          rc = EXIT_USAGE;
        }
      }
    }
    if (o.json && lm_write_json(o.json, configs, n, &ref, err, sizeof err) != 0) {
      fprintf(stderr, "ringlab bench: %s\n", err);
      rc = EXIT_USAGE;
    }
    if (o.plot) {
      char data[PATH_MAX], script[PATH_MAX];
      snprintf(data, sizeof data, "%s/plot.dat", dir);
      snprintf(script, sizeof script, "%s/plot.gp", dir);
      if (has_quote(dir) || lm_write_plot(data, script, o.plot, configs, n, &ref, o.compare, err, sizeof err) != 0) {
        fprintf(stderr, "ringlab bench: %s\n", has_quote(dir) ? "--plot: a folder with a ' in its path" : err);
        rc = EXIT_USAGE;
      } else if (run_gnuplot(script, o.plot) != 0) {
        rc = 1;
      }
      if (!o.keep) {
        unlink(data);
        unlink(script);
      }
    }
  }
  if (!o.keep) {
    for (unsigned k = 0; k < n; k++) {
      unlink(children[k].stats);
      unlink(children[k].console);
    }
    rmdir(dir);
  }
  return rc;
}

int bench_main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    FILE *out = argc < 2 ? stderr : stdout;
    fprintf(out, "usage: ringlab bench lmbench [options]   (ringlab bench lmbench --help)\n");
    return argc < 2 ? EXIT_USAGE : 0;
  }
  if (strcmp(argv[1], "lmbench") == 0)
    return lmbench_main(argc - 1, argv + 1);
  fprintf(stderr, "ringlab bench: unknown experiment '%s' (try 'ringlab bench --help')\n", argv[1]);
  return EXIT_USAGE;
}
