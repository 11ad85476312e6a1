/* bench/check_stats.c - checks a `ringlab run --stats` JSON file against
 * literal expected numbers (the benchmark tests), or prints the numbers to
 * pin.
 *
 *   check_stats STATS.json EXPECTED KERNEL
 *       For every line "KERNEL PATH VALUE" of EXPECTED (other kernels'
 *       lines, blank lines and # comments are skipped), the JSON value at
 *       PATH must be the integer VALUE. PATH names nested keys separated by
 *       '/': cycles, regions/alu/instructions, regions/mem/events/tlb_miss,
 *       results/alu.tsc. Also the run must have ended with ops EXIT 0.
 *       Prints every mismatch; exits 0 when all match, 1 otherwise (also
 *       when EXPECTED has no line for KERNEL), 2 on bad input.
 *
 *   check_stats --pin STATS.json KERNEL
 *       Prints the lines to pin for KERNEL: every region's cycles,
 *       instructions and events, and every result. The event block_decode
 *       is left out: it counts the engine's decoded blocks, which speed
 *       work may change without changing any result (bench/README.md).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "check_stats: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      char *grown = realloc(buf, cap * 2);
      if (!grown) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = grown;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf)
    buf[len] = 0;
  return buf;
}

static cJSON *load(const char *path) {
  char *text = slurp(path);
  if (!text)
    return NULL;
  cJSON *root = cJSON_Parse(text);
  free(text);
  if (!root)
    fprintf(stderr, "check_stats: %s: not JSON\n", path);
  return root;
}

/* The node at a '/'-separated path, or NULL. */
static const cJSON *lookup(const cJSON *root, const char *path) {
  char buf[256];
  if (strlen(path) >= sizeof buf)
    return NULL;
  strcpy(buf, path);
  const cJSON *node = root;
  for (char *save = NULL, *key = strtok_r(buf, "/", &save); key && node; key = strtok_r(NULL, "/", &save))
    node = cJSON_GetObjectItemCaseSensitive(node, key);
  return node;
}

/* JSON numbers are exact integers in ringlab's stats: printed from the
 * string cJSON keeps would be better, but doubles are exact below 2^53,
 * which every count here is. */
static int integer(const cJSON *node, int64_t *out) {
  if (!cJSON_IsNumber(node))
    return 0;
  double v = node->valuedouble;
  if (v != (double)(int64_t)v)
    return 0;
  *out = (int64_t)v;
  return 1;
}

static int check(const char *stats, const char *expected, const char *kernel) {
  cJSON *root = load(stats);
  if (!root)
    return 2;
  FILE *f = fopen(expected, "r");
  if (!f) {
    fprintf(stderr, "check_stats: %s: %s\n", expected, strerror(errno));
    cJSON_Delete(root);
    return 2;
  }
  int bad = 0, lines = 0, lineno = 0;
  int64_t v;
  const cJSON *reason = lookup(root, "exit/reason");
  if (!cJSON_IsString(reason) || strcmp(reason->valuestring, "ops-exit") != 0 ||
      !integer(lookup(root, "exit/status"), &v) || v != 0) {
    printf("%s: the run did not end with ops EXIT 0\n", stats);
    bad++;
  }
  char line[512];
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char k[128], path[256], value[64];
    if (line[0] == '#' || sscanf(line, "%127s %255s %63s", k, path, value) != 3)
      continue;
    if (strcmp(k, kernel) != 0)
      continue;
    lines++;
    char *end;
    errno = 0;
    long long want = strtoll(value, &end, 10);
    if (*end || errno) {
      fprintf(stderr, "check_stats: %s:%d: bad value '%s'\n", expected, lineno, value);
      fclose(f);
      cJSON_Delete(root);
      return 2;
    }
    int64_t got;
    const cJSON *node = lookup(root, path);
    if (!node) {
      printf("%s: %s missing (expected %lld, %s:%d)\n", kernel, path, want, expected, lineno);
      bad++;
    } else if (!integer(node, &got)) {
      printf("%s: %s is not an integer (%s:%d)\n", kernel, path, expected, lineno);
      bad++;
    } else if (got != want) {
      printf("%s: %s = %" PRId64 ", expected %lld (%+" PRId64 ", %s:%d)\n", kernel, path, got, want,
             got - (int64_t)want, expected, lineno);
      bad++;
    }
  }
  fclose(f);
  cJSON_Delete(root);
  if (!lines) {
    printf("%s: no expected numbers for %s\n", expected, kernel);
    return 1;
  }
  printf("%s: %d numbers checked, %d wrong\n", kernel, lines, bad);
  return bad ? 1 : 0;
}

static void pin_object(const char *kernel, const char *prefix, const cJSON *obj) {
  const cJSON *item;
  cJSON_ArrayForEach(item, obj) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", prefix, item->string);
    int64_t v;
    if (cJSON_IsObject(item))
      pin_object(kernel, path, item);
    else if (strcmp(item->string, "block_decode") != 0 && integer(item, &v))
      printf("%s %s %" PRId64 "\n", kernel, path, v);
  }
}

static int pin(const char *stats, const char *kernel) {
  cJSON *root = load(stats);
  if (!root)
    return 2;
  pin_object(kernel, "regions", lookup(root, "regions"));
  pin_object(kernel, "results", lookup(root, "results"));
  cJSON_Delete(root);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--pin") == 0)
    return pin(argv[2], argv[3]);
  if (argc == 4)
    return check(argv[1], argv[2], argv[3]);
  fprintf(stderr, "usage: check_stats STATS.json EXPECTED KERNEL\n"
                  "       check_stats --pin STATS.json KERNEL\n");
  return 2;
}
