/* bench/lmbench.c - `ringlab bench lmbench`: the Xen paper's Tables 3-5
 * from the lmbench programs of the guest kernel (guests/user).
 *
 * Each configuration is one `ringlab run` in a child process (the same
 * executable, /proc/self/exe), so configurations run side by side on the
 * host's cores and each is exactly the run a user could make by hand:
 *
 *   L   ringlab run --timing P --serial stdio --stats DIR/L.json
 *           --module INITRAMFS KERNEL -- -- /bin/lmbench [--quick]
 *
 * (the kernel runs init, which runs /bin/lmbench and powers off with its
 * status). While the children run, their consoles are read: a line
 * "lmbench: ID" says which measurement starts (the progress shown on
 * stderr), and the whole console goes to DIR/L.console for a post-mortem.
 * Then each run's --stats becomes a configuration (lmbench_report.c) and
 * the tables are printed. The runs are deterministic, so two invocations
 * print identical tables.
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
#define MAX_CONFIGS 4
#define MAX_PASS 16 /* machine options passed to ringlab run */

struct options {
  const char *configs;
  const char *timing;
  bool quick;
  const char *csv, *json, *keep;
  const char *kernel, *initramfs, *reference;
  const char *pass[MAX_PASS * 2];
  unsigned n_pass;
};

struct child {
  char name[8];
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
          "Boots the guest kernel with its lmbench suite and prints the Xen paper's\n"
          "Tables 3, 4 and 5: each row in microseconds at the preset's frequency and in\n"
          "cycles, beside the paper's figures, with the mechanisms per operation\n"
          "(ring transitions, exceptions, TLB flushes and misses, page walks) that\n"
          "the row's region counted.\n"
          "\n"
          "options:\n"
          "  --configs LIST     configurations, comma-separated (L): L the native kernel\n"
          "  --timing PRESET    timing preset or preset file (netburst: the paper's Xeon)\n"
          "  --quick            short iteration counts (a test, not a measurement)\n"
          "  --csv PATH         write table,benchmark,config,cycles,us\n"
          "  --json PATH        write every row, its mechanisms and the paper's figures\n"
          "  --keep DIR         keep each run's --stats and console in DIR\n"
          "  --kernel PATH      the guest kernel (guests/kernel.elf of this build)\n"
          "  --initramfs PATH   its initramfs (guests/user/initramfs.cpio of this build)\n"
          "  --reference PATH   the paper's figures (bench/reference/xen-sosp03-lmbench.csv)\n"
          "  --mem MIB, --itlb E:W,E:W, --dtlb E:W,E:W, --tlb-tagged, --max-cycles N\n"
          "                     passed to each ringlab run\n"
          "exit status: 0; 1 a run failed or a row is missing; 64 bad usage or input.\n");
}

/* DIR/../guests/NAME of the running ringlab (build/machine/ringlab ->
 * build/guests/NAME). */
static void beside_build(const char *name, char *out, size_t n) {
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
  snprintf(out, n, "%s/../guests/%s", self, name);
}

static int parse(int argc, char **argv, struct options *o) {
  *o = (struct options){.configs = "L", .timing = "netburst", .reference = RINGLAB_BENCH_REFERENCE};
  for (int k = 1; k < argc; k++) {
    const char *a = argv[k];
    const char **value = NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--quick") == 0) {
      o->quick = true;
      continue;
    } else if (strcmp(a, "--tlb-tagged") == 0) {
      if (o->n_pass + 1 > MAX_PASS * 2)
        return -1;
      o->pass[o->n_pass++] = a;
      continue;
    } else if (strcmp(a, "--configs") == 0) {
      value = &o->configs;
    } else if (strcmp(a, "--timing") == 0) {
      value = &o->timing;
    } else if (strcmp(a, "--csv") == 0) {
      value = &o->csv;
    } else if (strcmp(a, "--json") == 0) {
      value = &o->json;
    } else if (strcmp(a, "--keep") == 0) {
      value = &o->keep;
    } else if (strcmp(a, "--kernel") == 0) {
      value = &o->kernel;
    } else if (strcmp(a, "--initramfs") == 0) {
      value = &o->initramfs;
    } else if (strcmp(a, "--reference") == 0) {
      value = &o->reference;
    } else if (strcmp(a, "--mem") == 0 || strcmp(a, "--itlb") == 0 || strcmp(a, "--dtlb") == 0 ||
               strcmp(a, "--max-cycles") == 0) {
      if (k + 1 >= argc || o->n_pass + 2 > MAX_PASS * 2) {
        fprintf(stderr, "ringlab bench: '%s' needs a value\n", a);
        return -1;
      }
      o->pass[o->n_pass++] = a;
      o->pass[o->n_pass++] = argv[++k];
      continue;
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

/* Starts one configuration's run with its console on a pipe. */
static int start(struct child *ch, const struct options *o, const char *kernel, const char *initramfs) {
  if (strcmp(ch->name, "L") != 0) {
    fprintf(stderr, "ringlab bench: configuration '%s' does not exist yet (L is the native kernel; X, the "
                    "paravirtualized one, comes with issue 12)\n",
            ch->name);
    return -1;
  }
  const char *argv[64];
  unsigned n = 0;
  argv[n++] = "ringlab";
  argv[n++] = "run";
  argv[n++] = "--timing";
  argv[n++] = o->timing;
  argv[n++] = "--serial";
  argv[n++] = "stdio";
  argv[n++] = "--stats";
  argv[n++] = ch->stats;
  argv[n++] = "--module";
  argv[n++] = initramfs;
  for (unsigned k = 0; k < o->n_pass; k++)
    argv[n++] = o->pass[k];
  argv[n++] = kernel;
  argv[n++] = "--";
  argv[n++] = "--";
  argv[n++] = "/bin/lmbench";
  if (o->quick)
    argv[n++] = "--quick";
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
  fprintf(stderr, "ringlab bench: [%s] booting %s (%s preset%s)\n", ch->name, kernel, o->timing,
          o->quick ? ", quick" : "");
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

static int lmbench_main(int argc, char **argv) {
  struct options o;
  if (parse(argc, argv, &o) != 0)
    return EXIT_USAGE;
  char kernel[PATH_MAX], initramfs[PATH_MAX];
  if (o.kernel)
    snprintf(kernel, sizeof kernel, "%s", o.kernel);
  else
    beside_build("kernel.elf", kernel, sizeof kernel);
  if (o.initramfs)
    snprintf(initramfs, sizeof initramfs, "%s", o.initramfs);
  else
    beside_build("user/initramfs.cpio", initramfs, sizeof initramfs);
  if (!readable_file(kernel, "the guest kernel: build it, or give --kernel") ||
      !readable_file(initramfs, "the initramfs: build it, or give --initramfs"))
    return EXIT_USAGE;
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

  static struct child children[MAX_CONFIGS];
  unsigned n = 0;
  char list[256];
  snprintf(list, sizeof list, "%s", o.configs);
  for (char *p = list, *tok; (tok = strsep(&p, ",")) != NULL;) {
    if (!*tok)
      continue;
    if (n == MAX_CONFIGS || strlen(tok) >= sizeof children[0].name) {
      fprintf(stderr, "ringlab bench: --configs: at most %d short names\n", MAX_CONFIGS);
      return EXIT_USAGE;
    }
    struct child *ch = &children[n++];
    *ch = (struct child){.fd = -1};
    snprintf(ch->name, sizeof ch->name, "%s", tok);
    snprintf(ch->stats, sizeof ch->stats, "%s/%s.json", dir, tok);
    snprintf(ch->console, sizeof ch->console, "%s/%s.console", dir, tok);
  }
  int rc = 0;
  for (unsigned k = 0; k < n && rc == 0; k++)
    if (start(&children[k], &o, kernel, initramfs) != 0)
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
    if (ch->pid > 0 && ch->status != 0) {
      fprintf(stderr, "ringlab bench: [%s] the run ended with status %d (0 is init's clean power-off); "
                      "its console ends:\n",
              ch->name, ch->status);
      show_tail(ch->console, 20);
      rc = 1;
    }
  }

  static struct lm_config configs[MAX_CONFIGS];
  if (rc == 0)
    for (unsigned k = 0; k < n; k++)
      if (lm_config_load(&configs[k], children[k].name, children[k].stats, err, sizeof err) != 0) {
        fprintf(stderr, "ringlab bench: %s\n", err);
        rc = 1;
      }
  if (rc == 0) {
    unsigned missing = lm_print_tables(stdout, configs, n, &ref);
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
        lm_write_csv(f, configs, n);
        fclose(f);
      }
    }
    if (o.json && lm_write_json(o.json, configs, n, &ref, err, sizeof err) != 0) {
      fprintf(stderr, "ringlab bench: %s\n", err);
      rc = EXIT_USAGE;
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
