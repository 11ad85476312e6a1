/* tests/pv/check_regions.c - checks counters of a `ringlab run --stats`
 * file, region by region.
 *
 *   pv_check_regions STATS.json EXPECTATION...
 *
 * An expectation is REGION:KEY OP VALUE with OP one of = >= <= (no
 * spaces): the sum of the region's events named KEY (or, for a KEY ending
 * in '*', of every event whose name starts with what comes before it) must
 * compare so with VALUE. REGION "run" means the whole run's events. An
 * absent event counts 0. Prints one line per expectation; exits 0 when
 * all hold, 1 otherwise, 2 on bad input.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *load(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "pv_check_regions: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    len += fread(buf + len, 1, cap - len - 1, f);
    if (len + 1 < cap)
      break;
    char *bigger = realloc(buf, cap *= 2);
    if (!bigger)
      free(buf);
    buf = bigger;
  }
  fclose(f);
  if (!buf)
    return NULL;
  buf[len] = 0;
  cJSON *root = cJSON_Parse(buf);
  free(buf);
  if (!cJSON_IsObject(root))
    fprintf(stderr, "pv_check_regions: %s: not a --stats JSON file\n", path);
  return root;
}

static double sum(const cJSON *events, const char *key) {
  size_t len = strlen(key);
  int prefix = len && key[len - 1] == '*';
  double total = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, events) {
    if (!cJSON_IsNumber(e))
      continue;
    if (prefix ? strncmp(e->string, key, len - 1) == 0 : strcmp(e->string, key) == 0)
      total += e->valuedouble;
  }
  return total;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: pv_check_regions STATS.json REGION:KEY{=,>=,<=}VALUE...\n");
    return 2;
  }
  cJSON *root = load(argv[1]);
  if (!cJSON_IsObject(root))
    return 2;
  int fail = 0;
  for (int k = 2; k < argc; k++) {
    char spec[256];
    snprintf(spec, sizeof spec, "%s", argv[k]);
    char *colon = strchr(spec, ':');
    char *op = strpbrk(spec, "=<>");
    if (!colon || !op || op < colon) {
      fprintf(stderr, "pv_check_regions: bad expectation '%s'\n", argv[k]);
      return 2;
    }
    *colon = 0;
    const char *region = spec, *key = colon + 1;
    int cmp = op[0] == '=' ? 0 : op[0] == '>' ? 1 : -1;
    char *value_text = op + (cmp ? 2 : 1);
    if (cmp && op[1] != '=') {
      fprintf(stderr, "pv_check_regions: bad operator in '%s'\n", argv[k]);
      return 2;
    }
    *op = 0;
    char *end;
    double want = strtod(value_text, &end);
    if (*end || end == value_text) {
      fprintf(stderr, "pv_check_regions: bad value in '%s'\n", argv[k]);
      return 2;
    }
    const cJSON *events;
    if (strcmp(region, "run") == 0) {
      events = cJSON_GetObjectItemCaseSensitive(root, "events");
    } else {
      const cJSON *r = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "regions"), region);
      events = cJSON_GetObjectItemCaseSensitive(r, "events");
      if (!cJSON_IsObject(events)) {
        printf("  FAIL %s: no region %s in the run\n", argv[k], region);
        fail = 1;
        continue;
      }
    }
    double got = sum(events, key);
    int ok = cmp == 0 ? got == want : cmp > 0 ? got >= want : got <= want;
    printf("  %s %s (%.0f)\n", ok ? "ok  " : "FAIL", argv[k], got);
    fail |= !ok;
  }
  cJSON_Delete(root);
  return fail;
}
