/* fuzz/replay.c - a main() for the fuzz harnesses without libFuzzer, so
 * that every harness runs in the ordinary (gcc, ASan + UBSan) test build.
 *
 *   fuzz_X_replay [-runs=N] [-seed=S] [-max_len=L] FILE|DIR...
 *
 * Replays each FILE, and each file of each DIR in name order, through
 * LLVMFuzzerTestOneInput(); then runs N generated inputs (default 0), each
 * a mutation of one of those inputs (bit flips, byte stores, insertions,
 * erasures, a splice of two inputs, interesting values) or, one time in
 * eight, plain random bytes, at most L bytes long (default 4096). The
 * generator is a fixed xorshift seeded with S (default 1): the same
 * arguments give the same inputs on every host and every run, so a ctest
 * built on it is deterministic. It is no fuzzer (no coverage feedback):
 * it keeps a harness from rotting unseen, while scripts/fuzz.sh does the
 * searching.
 *
 * A failure is the harness's: a sanitizer report or an abort() ends the
 * process with a nonzero status. Before the process dies, the input that
 * failed is written to replay-crash-N (N its number; the directory of
 * RINGLAB_REPLAY_ARTIFACTS, else the current one) and its number printed,
 * so that `fuzz_X FILE` (libFuzzer) or `fuzz_X_replay FILE` replays it
 * alone. On success it prints one line: inputs replayed and generated.
 */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The sanitizer runtime's death callback exists only when a sanitizer is
 * linked in (the test build); an optimized build has the header but not
 * the library. */
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_HAVE_SANITIZER_API 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_HAVE_SANITIZER_API 1
#endif
#endif
#ifdef REPLAY_HAVE_SANITIZER_API
#include <sanitizer/common_interface_defs.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
  uint8_t *bytes;
  size_t n;
};

static struct input *inputs;
static size_t n_inputs, cap_inputs;

/* The input running now, for the crash handlers. */
static const uint8_t *current;
static size_t current_n;
static unsigned long current_no;

static void save_current(void) {
  static volatile sig_atomic_t saved;
  if (saved || !current)
    return;
  saved = 1;
  char path[4096];
  const char *dir = getenv("RINGLAB_REPLAY_ARTIFACTS");
  snprintf(path, sizeof path, "%s/replay-crash-%lu", dir && *dir ? dir : ".", current_no);
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(current, 1, current_n, f);
    fclose(f);
  }
  fprintf(stderr, "replay: input %lu (%zu bytes) failed; written to %s\n", current_no, current_n,
          f ? path : "(cannot write)");
}

static void on_signal(int sig) {
  save_current();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void add_input(uint8_t *bytes, size_t n) {
  if (n_inputs == cap_inputs) {
    cap_inputs = cap_inputs ? 2 * cap_inputs : 64;
    inputs = realloc(inputs, cap_inputs * sizeof *inputs);
    if (!inputs) {
      perror("replay");
      exit(2);
    }
  }
  inputs[n_inputs++] = (struct input){bytes, n};
}

static void read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: %s: cannot open\n", path);
    exit(2);
  }
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap)
      buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf) {
    perror("replay");
    exit(2);
  }
  add_input(buf, n);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void read_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: no such file or directory\n", path);
    exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    read_file(path);
    return;
  }
  DIR *d = opendir(path);
  if (!d) {
    fprintf(stderr, "replay: %s: cannot read the directory\n", path);
    exit(2);
  }
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    names = realloc(names, (n + 1) * sizeof *names);
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    names[n] = malloc(len);
    snprintf(names[n], len, "%s/%s", path, e->d_name);
    n++;
  }
  closedir(d);
  if (n)
    qsort(names, n, sizeof *names, by_name);
  for (size_t k = 0; k < n; k++) {
    read_file(names[k]);
    free(names[k]);
  }
  free(names);
}

/* xorshift64*: a fixed generator, the same everywhere. */
static uint64_t rng_state;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}
static size_t below(size_t n) { return n ? (size_t)(rng() % n) : 0; }

/* Writes a generated input into buf (room max_len) and returns its length. */
static size_t generate(uint8_t *buf, size_t max_len) {
  if (n_inputs == 0 || below(8) == 0) {
    size_t n = 1 + below(max_len < 256 ? max_len : 256);
    for (size_t k = 0; k < n; k++)
      buf[k] = (uint8_t)rng();
    return n;
  }
  const struct input *in = &inputs[below(n_inputs)];
  size_t n = in->n < max_len ? in->n : max_len;
  memcpy(buf, in->bytes, n);
  static const uint32_t interesting[] = {0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000u,
                                         0xFFFFFFFFu};
  for (unsigned m = 1 + (unsigned)below(4); m > 0; m--) {
    switch (below(7)) {
    case 0: /* flip a bit */
      if (n)
        buf[below(n)] ^= (uint8_t)(1u << below(8));
      break;
    case 1: /* store a random byte */
      if (n)
        buf[below(n)] = (uint8_t)rng();
      break;
    case 2: { /* insert random bytes */
      size_t k = 1 + below(8), at = below(n + 1);
      if (n + k > max_len)
        break;
      memmove(buf + at + k, buf + at, n - at);
      for (size_t j = 0; j < k; j++)
        buf[at + j] = (uint8_t)rng();
      n += k;
      break;
    }
    case 3: { /* erase bytes */
      if (n < 2)
        break;
      size_t at = below(n), k = 1 + below(n - at < 8 ? n - at : 8);
      memmove(buf + at, buf + at + k, n - at - k);
      n -= k;
      break;
    }
    case 4: { /* splice: the tail of another input */
      const struct input *o = &inputs[below(n_inputs)];
      size_t at = below(n + 1), from = below(o->n + 1), k = o->n - from;
      if (at + k > max_len)
        k = max_len - at;
      memcpy(buf + at, o->bytes + from, k);
      n = at + k > n ? at + k : n;
      break;
    }
    case 5: { /* an interesting value, little-endian */
      uint32_t v = interesting[below(sizeof interesting / sizeof *interesting)];
      size_t w = (size_t)1 << below(3), at = below(n + 1);
      if (at + w > n)
        break;
      for (size_t j = 0; j < w; j++)
        buf[at + j] = (uint8_t)(v >> (8 * j));
      break;
    }
    default: /* duplicate a run of bytes (a repeated instruction) */
      if (n && n < max_len) {
        size_t at = below(n), k = 1 + below(n - at < 16 ? n - at : 16);
        if (n + k > max_len)
          k = max_len - n;
        memmove(buf + at + k, buf + at, n - at);
        n += k;
      }
      break;
    }
  }
  return n;
}

static bool number_arg(const char *arg, const char *name, unsigned long *out) {
  size_t len = strlen(name);
  if (strncmp(arg, name, len) != 0)
    return false;
  char *end;
  *out = strtoul(arg + len, &end, 0);
  if (*end || end == arg + len) {
    fprintf(stderr, "replay: bad number in %s\n", arg);
    exit(2);
  }
  return true;
}

int main(int argc, char **argv) {
  unsigned long runs = 0, seed = 1, max_len = 4096;
  for (int k = 1; k < argc; k++) {
    if (number_arg(argv[k], "-runs=", &runs) || number_arg(argv[k], "-seed=", &seed) ||
        number_arg(argv[k], "-max_len=", &max_len))
      continue;
    if (argv[k][0] == '-') {
      fprintf(stderr, "usage: %s [-runs=N] [-seed=S] [-max_len=L] FILE|DIR...\n", argv[0]);
      return 2;
    }
    read_path(argv[k]);
  }
  if (max_len == 0)
    max_len = 1;
#ifdef REPLAY_HAVE_SANITIZER_API
  __sanitizer_set_death_callback(save_current);
#endif
  signal(SIGABRT, on_signal);
  signal(SIGSEGV, on_signal);
  signal(SIGBUS, on_signal);
  signal(SIGFPE, on_signal);
  signal(SIGILL, on_signal);

  size_t n_files = n_inputs;
  for (size_t k = 0; k < n_files; k++) {
    current = inputs[k].bytes;
    current_n = inputs[k].n;
    current_no = k;
    LLVMFuzzerTestOneInput(current, current_n);
  }
  rng_state = 0x9E3779B97F4A7C15ull ^ (seed * 0xBF58476D1CE4E5B9ull);
  if (rng_state == 0)
    rng_state = 1;
  uint8_t *buf = malloc(max_len);
  if (!buf) {
    perror("replay");
    return 2;
  }
  for (unsigned long r = 0; r < runs; r++) {
    size_t n = generate(buf, max_len);
    /* A heap copy of exactly n bytes, as libFuzzer gives: ASan sees a read
     * past the end. */
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, buf, n);
    current = copy;
    current_n = n;
    current_no = n_files + r;
    LLVMFuzzerTestOneInput(copy, n);
    current = NULL;
    free(copy);
  }
  free(buf);
  for (size_t k = 0; k < n_inputs; k++)
    free(inputs[k].bytes);
  free(inputs);
  printf("replay: %zu inputs replayed, %lu generated (seed %lu), none failed\n", n_files, runs, seed);
  return 0;
}
