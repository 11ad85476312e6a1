/* machine/run.c - `ringlab run [options] KERNEL [--] [args...]`.
 *
 * Options come from an INI file (--config, read with inih) and then from
 * the command line, which overrides it: every option is a key of the file
 * with the option's name (`mem = 64`, `serial = none`, `module = a.bin=x`),
 * plus `kernel` and `args`, in no section or in [machine]. `module` may
 * repeat; modules given on the command line replace the file's.
 *
 * The run: assemble the board, load the kernel (Multiboot, or flat with
 * --flat), queue the --serial-in events, run, report. Exit statuses are in
 * machine.h and in the README ("Running a kernel"). Bad input of any kind
 * (option, config, kernel, module, input file) prints one line naming the
 * file or option and the reason, and gives status 64.
 *
 * --serial-in FILE, replayed input for the UART: one event per line,
 *
 *   CYCLE TEXT
 *
 * CYCLE a decimal (or 0x hex) cycle count, nondecreasing from line to line;
 * then one space; TEXT the bytes that arrive at that cycle, with escapes
 * \n \r \t \\ \s (space) \xHH; trailing spaces are kept. Blank lines and
 * lines starting with '#' are skipped.
 */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "machine-internal.h"

#define ERR_BYTES 512
#define MIB (1024u * 1024u)
#define MEM_MIB_MIN 2
#define MEM_MIB_MAX 3584 /* RAM stays below the MMIO and ROM hole under 4 GiB */

struct run_options {
  uint32_t mem_mib;
  uint64_t max_cycles; /* DEV_NEVER: no limit */
  char *serial, *serial_in, *debugcon, *stats, *timing;
  char *keys_in; /* --keys-in PATH: key events for the keyboard */
  char *pause_every; /* --pause-every N|step */
  char *display;     /* --display sdl|none */
  char *keys_out;    /* --keys-out PATH: keys typed into the window */
  char *screenshot;  /* --screenshot PATH: the window at the end, as BMP */
  bool display_hold; /* --display-hold: keep the window after the run */
  char *gdb;         /* --gdb PORT */
  bool mem_set;      /* --mem given (--restore takes the snapshot's) */
  bool save_at_set;  /* --save-at CYCLE */
  uint64_t save_at;
  char *save;        /* --save PATH */
  char *restore;     /* --restore PATH */
  char *trace, *trace_events; /* --trace PATH, --trace-events CLASS,... */
  char **modules;
  unsigned n_modules;
  bool modules_from_cmdline;
  char *kernel;
  char *args;
  bool flat;
  uint32_t flat_addr;
  bool rtc_set; /* --rtc given; else the RTC's fixed default date */
  struct dev_rtc_time rtc;
  char *bios;
  struct tlb_geometry { bool set; unsigned small_entries, small_ways, large_entries, large_ways; } itlb, dtlb;
  bool tlb_tagged; /* the experimental tagged TLB: a CR3 load flushes nothing */
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: ringlab run [options] KERNEL [--] [args...]\n"
          "\n"
          "Boots KERNEL (a Multiboot v1 ELF) in a deterministic emulated PC; the\n"
          "guest's command line is \"KERNEL args\".\n"
          "\n"
          "options (defaults in parentheses; each is also a key of --config):\n"
          "  --mem MIB              guest RAM in MiB (128)\n"
          "  --timing PRESET        timing preset: p6, netburst, unit, or an INI file (p6)\n"
          "  --max-cycles N         stop after N emulated cycles (no limit)\n"
          "  --serial stdio|none|PATH     COM1 output (stdio)\n"
          "  --serial-in PATH       COM1 input events: lines \"CYCLE TEXT\"\n"
          "  --keys-in PATH         keyboard events: lines \"CYCLE down|up KEY\"\n"
          "  --debugcon none|stdio|PATH   port 0xe9 output (none)\n"
          "  --stats PATH           write counters, regions and results as JSON\n"
          "  --trace PATH           record every counted event into a trace file\n"
          "                         (trace/FORMAT.md; read it with 'ringlab trace')\n"
          "  --trace-events CLASS,...  record only these event classes (all): cpu,\n"
          "                         exception, interrupt, io, mmu, tlb, ops, hv\n"
          "  --display sdl|none     a window with the VGA screen and live counters (none);\n"
          "                         F12 pauses, F11 steps one instruction while paused\n"
          "  --keys-out PATH        write the keys typed into the window (--keys-in's format)\n"
          "  --screenshot PATH      write the window at the end of the run as a BMP\n"
          "  --display-hold         keep the window open after the run until it is closed\n"
          "  --gdb PORT             wait for gdb on 127.0.0.1:PORT (0: any free port) before\n"
          "                         the first instruction; run as gdb says\n"
          "  --save-at CYCLE        with --save PATH: write the whole machine to PATH at the first\n"
          "                         instruction boundary at or after CYCLE, and run on\n"
          "  --save PATH            where --save-at writes the snapshot\n"
          "  --restore PATH         run on from a snapshot instead of booting a KERNEL (the\n"
          "                         machine, its input and its options are the snapshot's)\n"
          "  --pause-every N|step   pause every N cycles (or every instruction) and go on:\n"
          "                         observing changes nothing (a check of that)\n"
          "  --config FILE          INI file of these options; the command line overrides it\n"
          "  --module PATH[=ARGS]   a Multiboot module (repeatable)\n"
          "  --flat ADDR            KERNEL is a flat binary: load and enter at ADDR\n"
          "  --itlb E:W,E:W         ITLB geometry: entries:ways of the 4 KiB and the 4 MiB arrays\n"
          "                         (32:4,2:2, a P6)\n"
          "  --dtlb E:W,E:W         DTLB geometry (64:4,8:4, a P6)\n"
          "  --tlb-tagged           tag TLB entries with the address space: a CR3 load\n"
          "                         flushes nothing (an experiment; x86 has no such TLB)\n"
          "  --rtc \"YYYY-MM-DD HH:MM:SS\"  the CMOS clock's time at power-on (2000-01-01 00:00:00;\n"
          "                         never the host's clock)\n"
          "  --bios FILE            boot a ROM image (a multiple of 64 KiB, up to 16 MiB) at\n"
          "                         the reset vector in real mode, instead of a KERNEL\n"
          "  -h, --help             this text\n"
          "\n"
          "exit status: (V << 1) | 1 when the guest writes V to port 0xf4, S for an\n"
          "ops-port exit with S (0-63), 64 bad input, 65 triple fault, 66 hlt with\n"
          "nothing to wake it, 67 --max-cycles reached, 68 unimplemented feature.\n");
}

static void options_free(struct run_options *o) {
  free(o->serial);
  free(o->serial_in);
  free(o->keys_in);
  free(o->pause_every);
  free(o->display);
  free(o->keys_out);
  free(o->screenshot);
  free(o->gdb);
  free(o->save);
  free(o->restore);
  free(o->debugcon);
  free(o->stats);
  free(o->trace);
  free(o->trace_events);
  free(o->timing);
  free(o->bios);
  for (unsigned k = 0; k < o->n_modules; k++)
    free(o->modules[k]);
  free(o->modules);
  free(o->kernel);
  free(o->args);
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!*s || *s == '-' || *s == '+' || *s == ' ')
    return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end)
    return false;
  *out = v;
  return true;
}

static int replace(char **slot, const char *value) {
  char *c = strdup(value);
  if (!c)
    return -1;
  free(*slot);
  *slot = c;
  return 0;
}

/* Options whose value is a string, by key. */
static const struct {
  const char *key;
  size_t offset; /* of the char * in struct run_options */
} string_options[] = {
    {"serial", offsetof(struct run_options, serial)},       {"serial-in", offsetof(struct run_options, serial_in)},
    {"debugcon", offsetof(struct run_options, debugcon)},   {"stats", offsetof(struct run_options, stats)},
    {"timing", offsetof(struct run_options, timing)},       {"kernel", offsetof(struct run_options, kernel)},
    {"args", offsetof(struct run_options, args)},           {"bios", offsetof(struct run_options, bios)},
    {"trace", offsetof(struct run_options, trace)},         {"trace-events", offsetof(struct run_options, trace_events)},
    {"keys-in", offsetof(struct run_options, keys_in)},     {"pause-every", offsetof(struct run_options, pause_every)},
    {"display", offsetof(struct run_options, display)},     {"keys-out", offsetof(struct run_options, keys_out)},
    {"screenshot", offsetof(struct run_options, screenshot)}, {"gdb", offsetof(struct run_options, gdb)},
    {"save", offsetof(struct run_options, save)},             {"restore", offsetof(struct run_options, restore)},
};

static char **string_option(struct run_options *o, const char *key) {
  for (size_t k = 0; k < sizeof string_options / sizeof string_options[0]; k++)
    if (strcmp(key, string_options[k].key) == 0)
      return (char **)((char *)o + string_options[k].offset);
  return NULL;
}

/* Sets option `key` to value; returns 0, or -1 with err set ("reason"). */
static int set_option(struct run_options *o, const char *key, const char *value, bool cmdline, char *err,
                      size_t n) {
  uint64_t v;
  if (strcmp(key, "mem") == 0) {
    if (!parse_u64(value, &v) || v < MEM_MIB_MIN || v > MEM_MIB_MAX) {
      snprintf(err, n, "mem '%s' is not a size in MiB from %u to %u", value, MEM_MIB_MIN, MEM_MIB_MAX);
      return -1;
    }
    o->mem_mib = (uint32_t)v;
    o->mem_set = true;
  } else if (strcmp(key, "save-at") == 0) {
    if (!parse_u64(value, &v) || v == DEV_NEVER) {
      snprintf(err, n, "save-at '%s' is not a cycle count", value);
      return -1;
    }
    o->save_at = v;
    o->save_at_set = true;
  } else if (strcmp(key, "max-cycles") == 0) {
    if (!parse_u64(value, &v) || v == DEV_NEVER) {
      snprintf(err, n, "max-cycles '%s' is not a cycle count", value);
      return -1;
    }
    o->max_cycles = v;
  } else if (strcmp(key, "flat") == 0) {
    if (!parse_u64(value, &v) || v > UINT32_MAX) {
      snprintf(err, n, "flat '%s' is not a 32-bit physical address", value);
      return -1;
    }
    o->flat = true;
    o->flat_addr = (uint32_t)v;
  } else if (strcmp(key, "itlb") == 0 || strcmp(key, "dtlb") == 0) {
    struct tlb_geometry *g = key[0] == 'i' ? &o->itlb : &o->dtlb;
    char tail;
    if (sscanf(value, "%u:%u,%u:%u%c", &g->small_entries, &g->small_ways, &g->large_entries, &g->large_ways,
               &tail) != 4) {
      snprintf(err, n, "%s '%s' is not a geometry ENTRIES:WAYS,ENTRIES:WAYS (4 KiB, then large pages)", key,
               value);
      return -1;
    }
    g->set = true;
  } else if (strcmp(key, "display-hold") == 0) {
    if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
      o->display_hold = true;
    else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
      o->display_hold = false;
    else {
      snprintf(err, n, "display-hold '%s' is not yes or no", value);
      return -1;
    }
  } else if (strcmp(key, "tlb-tagged") == 0) {
    if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
      o->tlb_tagged = true;
    else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
      o->tlb_tagged = false;
    else {
      snprintf(err, n, "tlb-tagged '%s' is not yes or no", value);
      return -1;
    }
  } else if (strcmp(key, "rtc") == 0) {
    if (dev_rtc_parse_time(value, &o->rtc) != 0) {
      snprintf(err, n, "rtc '%s' is not a date and time \"YYYY-MM-DD HH:MM:SS\" (years 1900-2099)", value);
      return -1;
    }
    o->rtc_set = true;
  } else if (string_option(o, key)) {
    if (!*value) {
      snprintf(err, n, "%s needs a value", key);
      return -1;
    }
    if (replace(string_option(o, key), value) != 0) {
      snprintf(err, n, "out of memory");
      return -1;
    }
  } else if (strcmp(key, "module") == 0) {
    if (!*value || *value == '=') {
      snprintf(err, n, "module '%s' needs a PATH", value);
      return -1;
    }
    if (cmdline && !o->modules_from_cmdline) {
      for (unsigned k = 0; k < o->n_modules; k++)
        free(o->modules[k]);
      o->n_modules = 0;
      o->modules_from_cmdline = true;
    }
    char **m = realloc(o->modules, (o->n_modules + 1) * sizeof *m);
    char *c = strdup(value);
    if (m)
      o->modules = m;
    if (!m || !c) {
      free(c);
      snprintf(err, n, "out of memory");
      return -1;
    }
    o->modules[o->n_modules++] = c;
  } else {
    snprintf(err, n, "unknown key '%s'", key);
    return -1;
  }
  return 0;
}

struct ini_ctx {
  struct run_options *o;
  char err[ERR_BYTES / 2];
};

static int config_key(void *user, const char *section, const char *name, const char *value) {
  struct ini_ctx *c = user;
  if (*section && strcmp(section, "machine") != 0) {
    snprintf(c->err, sizeof c->err, "unknown section [%s] (options go in no section or [machine])", section);
    return 0;
  }
  if (strcmp(name, "config") == 0) {
    snprintf(c->err, sizeof c->err, "a config file cannot name another (key 'config')");
    return 0;
  }
  return set_option(c->o, name, value, false, c->err, sizeof c->err) == 0;
}

/* Input files must exist and be regular files: one line naming the file
 * and the reason otherwise. *st (if not NULL) receives the file's status. */
static int check_regular_file(const char *path, struct stat *st_out, char *err, size_t n) {
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(err, n, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(err, n, "%s: not a regular file", path);
    return -1;
  }
  if (st_out)
    *st_out = st;
  return 0;
}

static int load_config(struct run_options *o, const char *path, char *err, size_t n) {
  if (check_regular_file(path, NULL, err, n) != 0)
    return -1;
  struct ini_ctx c = {.o = o};
  int line = ini_parse(path, config_key, &c);
  if (line < 0) {
    snprintf(err, n, "%s: cannot read: %s", path, line == -1 ? strerror(errno) : "out of memory");
    return -1;
  }
  if (line > 0) {
    snprintf(err, n, "%s:%d: %s", path, line, c.err[0] ? c.err : "syntax error");
    return -1;
  }
  return 0;
}

/* Opens an output: "stdio" is stdout, "none" is NULL. */
static int open_output(const char *what, const char *spec, FILE **out, char *err, size_t n) {
  *out = NULL;
  if (strcmp(spec, "none") == 0)
    return 0;
  if (strcmp(spec, "stdio") == 0) {
    *out = stdout;
    return 0;
  }
  *out = fopen(spec, "wb");
  if (!*out) {
    snprintf(err, n, "%s: cannot create %s output: %s", spec, what, strerror(errno));
    return -1;
  }
  return 0;
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* Queues the events of a --serial-in file on the UART. */
static int load_serial_in(struct machine *m, const char *path, char *err, size_t n) {
  if (check_regular_file(path, NULL, err, n) != 0)
    return -1;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, n, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  unsigned lineno = 0;
  uint64_t last = 0;
  int rc = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if (len > 0 && line[len - 1] == '\n')
      line[--len] = 0;
    if (len > 0 && line[len - 1] == '\r')
      line[--len] = 0;
    if (len == 0 || line[0] == '#')
      continue;
    char *sp = strchr(line, ' ');
    if (sp)
      *sp = 0;
    uint64_t when;
    if (!parse_u64(line, &when)) {
      snprintf(err, n, "%s:%u: '%s' is not a cycle count", path, lineno, line);
      rc = -1;
      break;
    }
    if (when < last) {
      snprintf(err, n, "%s:%u: cycle %llu is before the previous event's %llu", path, lineno,
               (unsigned long long)when, (unsigned long long)last);
      rc = -1;
      break;
    }
    last = when;
    for (const char *p = sp ? sp + 1 : ""; *p && rc == 0; p++) {
      int byte = (unsigned char)*p;
      if (*p == '\\') {
        p++;
        switch (*p) {
        case 'n': byte = '\n'; break;
        case 'r': byte = '\r'; break;
        case 't': byte = '\t'; break;
        case 's': byte = ' '; break;
        case '\\': byte = '\\'; break;
        case 'x': {
          int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
          if (lo < 0) {
            byte = -1;
            break;
          }
          byte = hi << 4 | lo;
          p += 2;
          break;
        }
        default:
          byte = -1;
        }
        if (byte < 0) {
          snprintf(err, n, "%s:%u: bad escape (use \\n \\r \\t \\s \\\\ \\xHH)", path, lineno);
          rc = -1;
          break;
        }
      }
      if (dev_uart_queue_rx(m->uart, when, (uint8_t)byte) != 0) {
        snprintf(err, n, "%s:%u: out of memory", path, lineno);
        rc = -1;
      }
    }
    if (rc)
      break;
  }
  free(line);
  fclose(f);
  return rc;
}

enum { OPT_MEM = 256, OPT_TIMING, OPT_MAX_CYCLES, OPT_SERIAL, OPT_SERIAL_IN, OPT_DEBUGCON, OPT_STATS, OPT_CONFIG,
       OPT_MODULE, OPT_FLAT, OPT_RTC, OPT_BIOS, OPT_ITLB, OPT_DTLB, OPT_TLB_TAGGED, OPT_TRACE, OPT_TRACE_EVENTS,
       OPT_KEYS_IN, OPT_PAUSE_EVERY, OPT_DISPLAY, OPT_KEYS_OUT, OPT_SCREENSHOT, OPT_DISPLAY_HOLD, OPT_GDB, OPT_SAVE_AT, OPT_SAVE, OPT_RESTORE };

static const struct option long_options[] = {
    {"mem", required_argument, NULL, OPT_MEM},
    {"timing", required_argument, NULL, OPT_TIMING},
    {"max-cycles", required_argument, NULL, OPT_MAX_CYCLES},
    {"serial", required_argument, NULL, OPT_SERIAL},
    {"serial-in", required_argument, NULL, OPT_SERIAL_IN},
    {"debugcon", required_argument, NULL, OPT_DEBUGCON},
    {"stats", required_argument, NULL, OPT_STATS},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"module", required_argument, NULL, OPT_MODULE},
    {"flat", required_argument, NULL, OPT_FLAT},
    {"rtc", required_argument, NULL, OPT_RTC},
    {"bios", required_argument, NULL, OPT_BIOS},
    {"itlb", required_argument, NULL, OPT_ITLB},
    {"dtlb", required_argument, NULL, OPT_DTLB},
    {"tlb-tagged", no_argument, NULL, OPT_TLB_TAGGED},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"trace-events", required_argument, NULL, OPT_TRACE_EVENTS},
    {"keys-in", required_argument, NULL, OPT_KEYS_IN},
    {"pause-every", required_argument, NULL, OPT_PAUSE_EVERY},
    {"display", required_argument, NULL, OPT_DISPLAY},
    {"keys-out", required_argument, NULL, OPT_KEYS_OUT},
    {"screenshot", required_argument, NULL, OPT_SCREENSHOT},
    {"display-hold", no_argument, NULL, OPT_DISPLAY_HOLD},
    {"gdb", required_argument, NULL, OPT_GDB},
    {"save-at", required_argument, NULL, OPT_SAVE_AT},
    {"save", required_argument, NULL, OPT_SAVE},
    {"restore", required_argument, NULL, OPT_RESTORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *option_key(int id) {
  for (const struct option *lo = long_options; lo->name; lo++)
    if (lo->val == id)
      return lo->name;
  return "?";
}

/* Joins argv[from..argc) with spaces, or NULL if empty. */
static char *join_args(int argc, char **argv, int from) {
  size_t len = 0;
  for (int k = from; k < argc; k++)
    len += strlen(argv[k]) + 1;
  if (!len)
    return NULL;
  char *s = malloc(len);
  if (!s)
    return NULL;
  s[0] = 0;
  for (int k = from; k < argc; k++) {
    if (k > from)
      strcat(s, " ");
    strcat(s, argv[k]);
  }
  return s;
}

static int bad(const char *msg) {
  fflush(stdout);
  fprintf(stderr, "ringlab run: %s\n", msg);
  return RUN_EXIT_BAD_INPUT;
}

/* Parses argv into o (after the config file). Returns -1 to go on, or an
 * exit status. */
static int parse_args(struct run_options *o, int argc, char **argv, char *err, size_t n) {
  /* The config file first, so the command line overrides it. */
  for (int k = 1; k < argc && strcmp(argv[k], "--") != 0; k++) {
    const char *cfg = NULL;
    if (strcmp(argv[k], "--config") == 0 && k + 1 < argc)
      cfg = argv[k + 1];
    else if (strncmp(argv[k], "--config=", 9) == 0)
      cfg = argv[k] + 9;
    if (cfg && load_config(o, cfg, err, n) != 0)
      return bad(err);
  }
  optind = 0; /* GNU getopt: reinitialize (run_main may run more than once) */
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "+h", long_options, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      return 0;
    }
    if (c == '?' || c == ':') {
      snprintf(err, n, "unknown option or missing value: '%s' (try 'ringlab run --help')", argv[optind - 1]);
      return bad(err);
    }
    if (c == OPT_CONFIG)
      continue;
    char why[ERR_BYTES / 2];
    if (set_option(o, option_key(c), optarg ? optarg : "yes", true, why, sizeof why) != 0) {
      snprintf(err, n, "--%s", why);
      return bad(err);
    }
  }
  if (optind < argc && strcmp(argv[optind], "--") != 0) {
    if (replace(&o->kernel, argv[optind]) != 0)
      return bad("out of memory");
    optind++;
  }
  if (optind < argc && strcmp(argv[optind], "--") == 0)
    optind++;
  if (optind < argc) {
    char *a = join_args(argc, argv, optind);
    if (!a)
      return bad("out of memory");
    free(o->args);
    o->args = a;
  }
  if (o->bios && o->kernel)
    return bad("--bios boots a ROM image: give no KERNEL with it");
  if (o->restore && (o->kernel || o->bios || o->args || o->mem_set || o->timing || o->itlb.set || o->dtlb.set ||
                     o->tlb_tagged || o->rtc_set || o->n_modules || o->flat || o->serial_in || o->keys_in))
    return bad("--restore runs on from a snapshot: no KERNEL, --bios, --mem, --timing, --itlb, --dtlb, "
               "--tlb-tagged, --rtc, --module, --flat, --serial-in or --keys-in with it (the snapshot has them)");
  if (!o->kernel && !o->bios && !o->restore)
    return bad("no KERNEL given (try 'ringlab run --help')");
  if (o->save_at_set != (o->save != NULL))
    return bad("--save-at CYCLE and --save PATH go together");
  return -1;
}

#define BIOS_GRAIN (64u * 1024u)
#define BIOS_MAX (16u * MIB)
#define BIOS_LOW_ALIAS (128u * 1024u)
#define LOW_MEMORY_TOP (1u * MIB)

/* --bios FILE: the image is mapped read-only at the top of the 4 GiB space
 * (the reset vector, 0xFFFFFFF0, is 16 bytes from its end), and its last
 * 128 KiB (or all of it, if smaller) appear again just below 1 MiB
 * (0xE0000-0xFFFFF for 128 KiB), where a BIOS runs after its first far
 * jump. RAM covers that low range on this machine, so the low alias is a
 * copy in RAM, as a chipset's BIOS shadow leaves it after POST (writable:
 * the shadow's write protection is not modeled). The CPU starts from
 * RESET in real mode, the APICs in their power-on state. */
static int load_bios(struct machine *m, const char *path, char *err, size_t n) {
  struct stat st;
  if (check_regular_file(path, &st, err, n) != 0)
    return -1;
  if (st.st_size == 0 || st.st_size % BIOS_GRAIN != 0 || st.st_size > (off_t)BIOS_MAX) {
    snprintf(err, n, "%s: a ROM image is a multiple of 64 KiB up to 16 MiB, not %lld bytes", path,
             (long long)st.st_size);
    return -1;
  }
  uint32_t size = (uint32_t)st.st_size;
  uint8_t *image = malloc(size);
  FILE *f = image ? fopen(path, "rb") : NULL;
  if (!f || fread(image, 1, size, f) != size) {
    snprintf(err, n, "%s: cannot read: %s", path, image ? strerror(errno) : "out of memory");
    if (f)
      fclose(f);
    free(image);
    return -1;
  }
  fclose(f);
  uint32_t alias = size < BIOS_LOW_ALIAS ? size : BIOS_LOW_ALIAS;
  int rc = 0;
  if (mmu_map_rom(m->mem, (uint32_t)(0x100000000ull - size), image, size) != 0) {
    snprintf(err, n, "%s: cannot map the ROM below 4 GiB", path);
    rc = -1;
  } else if (mmu_copy_to_guest(m->mem, LOW_MEMORY_TOP - alias, image + size - alias, alias) != 0) {
    snprintf(err, n, "%s: cannot place the ROM below 1 MiB", path);
    rc = -1;
  }
  free(image);
  if (rc == 0) {
    /* The host wrote the image behind the CPU: no block decoded before
     * may survive it (cpu_invalidate_phys). */
    cpu_invalidate_phys(m->cpu, 0x100000000ull - size, size);
    cpu_invalidate_phys(m->cpu, LOW_MEMORY_TOP - alias, alias);
    cpu_reset(m->cpu);
    /* A BIOS finds the APICs as they power on, and programs them. */
    machine_power_on_apics(m);
    m->has_bios = true;
  }
  return rc;
}

/* The machine configuration as the trace header carries it: the options
 * that shape the run, "key=value" lines, nothing host-specific (no path). */
static char *config_text(const struct run_options *o) {
  char buf[1024];
  size_t len = 0;
#define ADD(...) len += (size_t)snprintf(buf + len, len < sizeof buf ? sizeof buf - len : 0, __VA_ARGS__)
  ADD("mem=%u\n", o->mem_mib);
  ADD("timing=%s\n", o->timing);
  if (o->max_cycles != DEV_NEVER)
    ADD("max-cycles=%llu\n", (unsigned long long)o->max_cycles);
  const struct tlb_geometry *g[2] = {&o->itlb, &o->dtlb};
  for (int t = 0; t < 2; t++)
    if (g[t]->set)
      ADD("%s=%u:%u,%u:%u\n", t ? "dtlb" : "itlb", g[t]->small_entries, g[t]->small_ways, g[t]->large_entries,
          g[t]->large_ways);
  ADD("tlb-tagged=%s\n", o->tlb_tagged ? "yes" : "no");
  if (o->rtc_set)
    ADD("rtc=%04d-%02d-%02d %02d:%02d:%02d\n", o->rtc.year, o->rtc.month, o->rtc.day, o->rtc.hour, o->rtc.minute,
        o->rtc.second);
  ADD("modules=%u\n", o->n_modules);
  ADD("boot=%s\n", o->restore ? "restore" : o->bios ? "bios" : o->flat ? "flat" : "multiboot");
  ADD("trace-events=%s\n", o->trace_events ? o->trace_events : "all");
#undef ADD
  return len < sizeof buf ? strdup(buf) : NULL;
}

/* ---- --trace: the recording hook -------------------------------------------------------------
 * The CPU hands each record to record_hook (cpu_set_trace), which adds the
 * bytes of the instruction at the record's CS:EIP (trace/FORMAT.md) and
 * passes it to the writer. The bytes are read through a read-only
 * translation of its own: no TLB lookup or fill, no A/D bit, no count, only
 * RAM and ROM (mmu_code_ptr: no device is read), so recording changes
 * nothing the guest sees or the counters count. PAE reads the PDPTEs from
 * memory (the processor uses the ones loaded with CR3: they differ only if
 * the guest rewrote them without reloading CR3).
 *
 * That translation and the decode that cuts the bytes to the instruction's
 * length cost more than the rest of a record, and a trace hits the same few
 * sites again and again (an INT and its IRET, a MOV CR3): so a fetch is kept
 * in a small cache by linear address and checked on each use against what
 * it was read from: CR0, CR3, CR4 and the code mode, the paging entries the
 * walk read (host pointers and their values) and the 15 bytes themselves.
 * A hit is exactly what a fresh fetch would give, cheaper. */
#define FETCH_ENTRIES_MAX 3 /* PAE: PDPTE, PDE, PTE */
#define FETCH_CACHE_SIZE 256

struct fetch_log { /* the paging entries a translation read */
  unsigned n;
  const uint8_t *at[FETCH_ENTRIES_MAX];
  uint64_t raw[FETCH_ENTRIES_MAX]; /* as read_raw reads them (host order: compared, never interpreted) */
  uint8_t size[FETCH_ENTRIES_MAX];
};

struct fetch {
  bool valid, code32;
  uint32_t lin, cr0, cr3, cr4, phys;
  struct fetch_log log;
  const uint8_t *bytes; /* the TRACE_INSN_MAX bytes at phys (one page) */
  uint8_t insn[TRACE_INSN_MAX];
  uint8_t len; /* cut to the instruction */
};

struct trace_hook {
  struct trace_writer *w;
  struct machine *m;
  struct fetch *cache;               /* FETCH_CACHE_SIZE, by linear address */
  uint8_t wants[TRACE_SLOT_COUNT]; /* trace_writer_wants, by slot: the CPU's filter (cpu_set_trace_filter) */
};

static uint64_t load_le(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned k = n; k-- > 0;)
    v = v << 8 | p[k];
  return v;
}

/* An entry's bytes as one integer, cheaply (only compared for equality). */
static inline uint64_t read_raw(const uint8_t *p, unsigned size) {
  if (size == 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
  }
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static bool peek_entry(struct mmu *mem, uint64_t phys, unsigned n, uint64_t *out, struct fetch_log *log) {
  const uint8_t *p = phys >> 32 ? NULL : mmu_code_ptr(mem, (uint32_t)phys, n);
  if (!p)
    return false;
  *out = load_le(p, n);
  if (log->n < FETCH_ENTRIES_MAX) {
    log->at[log->n] = p;
    log->raw[log->n] = read_raw(p, n);
    log->size[log->n++] = (uint8_t)n;
  }
  return (*out & 1) != 0; /* present */
}

/* lin to physical as the processor would translate it now, or false; the
 * entries read go to log. */
static bool peek_translate(struct machine *m, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin, uint64_t *phys,
                           struct fetch_log *log) {
  uint64_t e;
  log->n = 0;
  if (!(cr0 & 0x80000000u)) {
    *phys = mmu_phys(m->mem, lin);
    return true;
  }
  if (cr4 & 0x20u) { /* PAE: PDPTE, PDE (PS: 2 MiB), PTE */
    const uint64_t addr = 0xFFFFFF000ull;
    if (!peek_entry(m->mem, (cr3 & ~0x1Fu) + (lin >> 30) * 8u, 8, &e, log) ||
        !peek_entry(m->mem, (e & addr) + ((lin >> 21) & 0x1FFu) * 8u, 8, &e, log))
      return false;
    if (e & 0x80u) {
      *phys = (e & 0xFFFE00000ull) | (lin & 0x1FFFFFu);
      return true;
    }
    if (!peek_entry(m->mem, (e & addr) + ((lin >> 12) & 0x1FFu) * 8u, 8, &e, log))
      return false;
    *phys = (e & addr) | (lin & 0xFFFu);
    return true;
  }
  if (!peek_entry(m->mem, (cr3 & ~0xFFFu) + (lin >> 22) * 4u, 4, &e, log))
    return false;
  if ((e & 0x80u) && (cr4 & 0x10u)) { /* PSE: 4 MiB page */
    *phys = (e & 0xFFC00000u) | (lin & 0x3FFFFFu);
    return true;
  }
  if (!peek_entry(m->mem, (e & ~0xFFFull) + ((lin >> 12) & 0x3FFu) * 4u, 4, &e, log))
    return false;
  *phys = (e & 0xFFFFF000u) | (lin & 0xFFFu);
  return true;
}

/* Whether the cached fetch f still holds: the same key, the same entries
 * with the same values, the same bytes. */
static inline bool fetch_holds(struct machine *m, const struct fetch *f, uint32_t lin, uint32_t cr0, uint32_t cr3,
                               uint32_t cr4, bool code32) {
  if (!f->valid || f->lin != lin || f->cr3 != cr3 || f->cr0 != cr0 || f->cr4 != cr4 || f->code32 != code32)
    return false;
  switch (f->log.n) { /* the walk's entries, last first (they fail first if anything moved) */
  case 3:
    if (read_raw(f->log.at[2], f->log.size[2]) != f->log.raw[2])
      return false;
    /* fall through */
  case 2:
    if (read_raw(f->log.at[1], f->log.size[1]) != f->log.raw[1])
      return false;
    /* fall through */
  case 1:
    if (read_raw(f->log.at[0], f->log.size[0]) != f->log.raw[0])
      return false;
    break;
  default: /* paging off */
    if (mmu_phys(m->mem, lin) != f->phys) /* the A20 gate */
      return false;
  }
  return memcmp(f->bytes, f->insn, TRACE_INSN_MAX) == 0;
}

/* Reads up to TRACE_INSN_MAX bytes at lin into rec->insn, page by page.
 * When they were all read from one page, *one_page gets their host
 * pointer and *log the entries of the translation. */
static void fetch_bytes(struct machine *m, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
                        struct trace_record *rec, const uint8_t **one_page, uint32_t *phys0, struct fetch_log *log) {
  rec->insn_len = 0;
  *one_page = NULL;
  while (rec->insn_len < TRACE_INSN_MAX) {
    uint32_t at = lin + rec->insn_len;
    unsigned n = 4096u - (at & 0xFFFu);
    if (n > TRACE_INSN_MAX - (unsigned)rec->insn_len)
      n = TRACE_INSN_MAX - (unsigned)rec->insn_len;
    uint64_t phys;
    const uint8_t *p = peek_translate(m, cr0, cr3, cr4, at, &phys, log) && !(phys >> 32)
                           ? mmu_code_ptr(m->mem, (uint32_t)phys, n)
                           : NULL;
    if (!p)
      break;
    if (n == TRACE_INSN_MAX) {
      *one_page = p;
      *phys0 = (uint32_t)phys;
    }
    memcpy(rec->insn + rec->insn_len, p, n);
    rec->insn_len = (uint8_t)(rec->insn_len + n);
  }
}

/* A fetch the cache did not hold: read, decode, keep. */
static __attribute__((noinline)) void fetch_fresh(struct trace_hook *h, struct fetch *f, uint32_t lin, uint32_t cr0,
                                                  uint32_t cr3, uint32_t cr4, struct trace_record *rec) {
  bool code32 = (rec->flags & TRACE_REC_CODE32) != 0;
  const uint8_t *one_page;
  uint32_t phys = 0;
  struct fetch_log log;
  fetch_bytes(h->m, cr0, cr3, cr4, lin, rec, &one_page, &phys, &log);
  /* Only the instruction's own bytes (smaller records, less to compress);
   * all 15 read if they do not decode (#UD, too long). */
  unsigned row;
  int len = rec->insn_len ? cpu_decode_length(rec->insn, rec->insn_len, code32, &row) : 0;
  if (one_page) { /* all 15 from one page, one translation: cached */
    *f = (struct fetch){.valid = true, .code32 = code32, .lin = lin, .cr0 = cr0, .cr3 = cr3, .cr4 = cr4,
                        .phys = phys, .log = log, .bytes = one_page,
                        .len = (uint8_t)(len > 0 ? len : TRACE_INSN_MAX)};
    memcpy(f->insn, rec->insn, TRACE_INSN_MAX);
  }
  if (len > 0)
    rec->insn_len = (uint8_t)len;
}

/* Only the slots the writer wants reach here: the CPU checks the filter
 * (h->wants) before it builds a record. */
static void record_hook(void *ctx, const struct trace_record *r) {
  struct trace_hook *h = ctx;
  struct trace_record rec = *r;
  uint32_t lin = r->cs_base + r->eip;
  uint32_t cr0 = cpu_get_cr(h->m->cpu, 0), cr3 = cpu_get_cr(h->m->cpu, 3), cr4 = cpu_get_cr(h->m->cpu, 4);
  struct fetch *f = &h->cache[(lin * 0x9E3779B1u) >> 24];
  if (fetch_holds(h->m, f, lin, cr0, cr3, cr4, (rec.flags & TRACE_REC_CODE32) != 0)) {
    memcpy(rec.insn, f->insn, TRACE_INSN_MAX); /* all 15: a fixed-size copy (the rest is ignored) */
    rec.insn_len = f->len;
  } else {
    fetch_fresh(h, f, lin, cr0, cr3, cr4, &rec);
  }
  trace_writer_record(h->w, &rec);
}

int run_main(int argc, char **argv) {
  struct run_options o = {.mem_mib = 128, .max_cycles = DEV_NEVER};
  char err[ERR_BYTES];
  int status = parse_args(&o, argc, argv, err, sizeof err);
  if (status >= 0) {
    options_free(&o);
    return status;
  }
  if ((!o.serial && replace(&o.serial, "stdio") != 0) || (!o.debugcon && replace(&o.debugcon, "none") != 0) ||
      (!o.timing && replace(&o.timing, "p6") != 0)) {
    options_free(&o);
    return bad("out of memory");
  }

  FILE *serial = NULL, *debugcon = NULL;
  struct machine *m = NULL;
  struct mb_module *mods = NULL;
  struct trace_writer *trace = NULL;
  struct trace_hook hook = {0};
  struct pause_every *pauser = NULL;
  struct window *win = NULL;
  struct gdb *gdb = NULL;
  struct snapshot *snap = NULL;
  struct saver *saver = NULL;
  uint32_t trace_classes = TRACE_CLASSES_ALL;
  if (o.trace_events && trace_classes_parse(o.trace_events, &trace_classes, err, sizeof err) != 0) {
    char why[ERR_BYTES + 16];
    snprintf(why, sizeof why, "--trace-events: %s", err);
    options_free(&o);
    return bad(why);
  }
  if (open_output("serial", o.serial, &serial, err, sizeof err) != 0 ||
      open_output("debugcon", o.debugcon, &debugcon, err, sizeof err) != 0) {
    status = bad(err);
    goto out;
  }
  if (o.restore && !(snap = snapshot_read(o.restore, err, sizeof err))) {
    status = bad(err);
    goto out;
  }
  m = machine_new(snap ? snapshot_ram_bytes(snap) : o.mem_mib * MIB, serial, debugcon, err, sizeof err);
  if (!m) {
    status = bad(err);
    goto out;
  }
  if (snap) {
    if (snapshot_apply(m, snap, o.restore, err, sizeof err) != 0) {
      status = bad(err);
      goto out;
    }
    fprintf(stderr, "ringlab: restored %s at cycle %llu (COM1 had sent %llu bytes before)\n", o.restore,
            (unsigned long long)snapshot_cycles(snap), (unsigned long long)snapshot_serial_bytes(snap));
  } else if (cpu_set_timing(m->cpu, o.timing, err, sizeof err) != 0) {
    status = bad(err);
    goto out;
  }
  if (o.rtc_set)
    dev_rtc_set_time(m->rtc, &o.rtc);
  if (o.save && !(saver = saver_new(m, o.save_at, o.save))) {
    status = bad("out of memory");
    goto out;
  }
  const struct tlb_geometry *geometry[2] = {&o.itlb, &o.dtlb};
  for (int t = 0; t < 2; t++) {
    const struct tlb_geometry *g = geometry[t];
    if (g->set && mmu_tlb_configure(m->mem, t ? MMU_DTLB : MMU_ITLB, g->small_entries, g->small_ways,
                                    g->large_entries, g->large_ways) != 0) {
      snprintf(err, sizeof err,
               "--%s %u:%u,%u:%u: entries must be a multiple of ways and entries / ways a power of two",
               t ? "dtlb" : "itlb", g->small_entries, g->small_ways, g->large_entries, g->large_ways);
      status = bad(err);
      goto out;
    }
  }
  if (!snap)
    mmu_tlb_set_tagged(m->mem, o.tlb_tagged);
  if (o.trace) {
    char *cfg = config_text(&o);
    struct trace_run_info info = {.ringlab_version = RINGLAB_VERSION, .preset = cpu_timing_name(m->cpu),
                                  .frequency_hz = cpu_timing_frequency_hz(m->cpu), .config = cfg};
    if (!cfg)
      snprintf(err, sizeof err, "out of memory");
    trace = cfg ? trace_writer_open(o.trace, &info, trace_classes, err, sizeof err) : NULL;
    free(cfg);
    if (!trace) {
      status = bad(err);
      goto out;
    }
    hook = (struct trace_hook){.w = trace, .m = m, .cache = calloc(FETCH_CACHE_SIZE, sizeof *hook.cache)};
    if (!hook.cache) {
      status = bad("out of memory");
      goto out;
    }
    for (unsigned s = 0; s < TRACE_SLOT_COUNT; s++)
      hook.wants[s] = (uint8_t)trace_writer_wants(trace, s);
    cpu_set_trace(m->cpu, record_hook, &hook);
    cpu_set_trace_filter(m->cpu, hook.wants);
  }
  if (snap)
    goto run; /* the machine, its RAM and its input are the snapshot's */
  mods = calloc(o.n_modules + 1, sizeof *mods);
  if (!mods) {
    status = bad("out of memory");
    goto out;
  }
  for (unsigned k = 0; k < o.n_modules; k++) {
    char *eq = strchr(o.modules[k], '=');
    if (eq)
      *eq = 0; /* PATH=ARGS: split at the first '=' */
    mods[k] = (struct mb_module){.path = o.modules[k], .args = eq ? eq + 1 : NULL};
  }
  uint64_t every = 0;
  if (o.pause_every && strcmp(o.pause_every, "step") != 0 && (!parse_u64(o.pause_every, &every) || every == 0)) {
    snprintf(err, sizeof err, "--pause-every '%s' is not a cycle count (> 0) or 'step'", o.pause_every);
    status = bad(err);
    goto out;
  }
  bool sdl = o.display && strcmp(o.display, "sdl") == 0;
  if (o.display && !sdl && strcmp(o.display, "none") != 0) {
    snprintf(err, sizeof err, "--display '%s' is not sdl or none", o.display);
    status = bad(err);
    goto out;
  }
  if (!sdl && (o.keys_out || o.screenshot || o.display_hold)) {
    status = bad("--keys-out, --screenshot and --display-hold need --display sdl");
    goto out;
  }
  if (sdl && !(win = window_open(m, o.keys_out, o.screenshot, o.display_hold, err, sizeof err))) {
    status = bad(err);
    goto out;
  }
  if (o.pause_every && !(pauser = pause_every_new(m, every))) {
    status = bad("out of memory");
    goto out;
  }
  if (o.keys_in && (check_regular_file(o.keys_in, NULL, err, sizeof err) != 0 ||
                    keys_load(m, o.keys_in, err, sizeof err) != 0)) {
    status = bad(err);
    goto out;
  }
  if (o.bios) {
    if (load_bios(m, o.bios, err, sizeof err) != 0 ||
        (o.serial_in && load_serial_in(m, o.serial_in, err, sizeof err) != 0)) {
      status = bad(err);
      goto out;
    }
    goto run;
  }
  struct mb_request req = {.kernel = o.kernel, .args = o.args, .modules = mods, .n_modules = o.n_modules,
                           .flat = o.flat, .flat_addr = o.flat_addr};
  struct mb_boot boot;
  if (mb_load(m->mem, &req, &boot, err, sizeof err) != 0 ||
      (o.serial_in && load_serial_in(m, o.serial_in, err, sizeof err) != 0)) {
    status = bad(err);
    goto out;
  }
  /* The loader wrote RAM behind the CPU (segments, zeroed .bss, modules,
   * the Multiboot information): drop any block decoded before. */
  cpu_invalidate_phys(m->cpu, 0, m->mem->ram_bytes);
  mb_enter(m->cpu, &boot);

run:
  if (o.gdb) {
    uint64_t port;
    if (!parse_u64(o.gdb, &port) || port > 65535) {
      snprintf(err, sizeof err, "--gdb '%s' is not a TCP port (0-65535)", o.gdb);
      status = bad(err);
      goto out;
    }
    if (!(gdb = gdb_open(m, (uint16_t)port, err, sizeof err))) {
      status = bad(err);
      goto out;
    }
  }
  machine_run(m, o.max_cycles);

  status = machine_exit_status(m);
  if (saver && saver_result(saver, err, sizeof err) != 0) {
    fprintf(stderr, "ringlab: %s\n", err);
    status = RUN_EXIT_BAD_INPUT;
  }
  if (win && window_finish(win, m, err, sizeof err) != 0) {
    fprintf(stderr, "ringlab: %s\n", err);
    status = RUN_EXIT_BAD_INPUT;
  }
  if (serial)
    fflush(serial);
  if (debugcon)
    fflush(debugcon);
  fflush(stdout);
  if (m->end != MACHINE_END_EXIT_PORT && m->end != MACHINE_END_OPS_EXIT)
    fprintf(stderr, "ringlab: %s\n", m->end_message);
  if (o.stats && machine_write_stats(m, o.stats, err, sizeof err) != 0) {
    fprintf(stderr, "ringlab: %s\n", err);
    status = RUN_EXIT_BAD_INPUT;
  }
  if (trace) {
    cpu_set_trace(m->cpu, NULL, NULL);
    int rc = trace_writer_finish(trace, cpu_cycles_now(m->cpu), err, sizeof err);
    trace = NULL;
    if (rc != 0) {
      fprintf(stderr, "ringlab: %s\n", err);
      status = RUN_EXIT_BAD_INPUT;
    }
  }
out:
  if (trace) {
    cpu_set_trace(m->cpu, NULL, NULL);
    trace_writer_abort(trace);
  }
  free(hook.cache);
  free(mods);
  window_close(win);
  gdb_close(gdb);
  snapshot_free(snap);
  machine_free(m);
  free(saver);
  free(pauser);
  if (serial && serial != stdout)
    fclose(serial);
  if (debugcon && debugcon != stdout)
    fclose(debugcon);
  options_free(&o);
  return status;
}
