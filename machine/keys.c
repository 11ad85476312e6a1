/* machine/keys.c - key event files: --keys-in (replayed) and --keys-out
 * (recorded from the window), one format:
 *
 *   # a comment
 *   CYCLE down|up KEY
 *
 * CYCLE a decimal (or 0x hex) cycle count, nondecreasing from line to line;
 * KEY a name from devices/keys.def ("a", "lshift", "enter", "f1"). A key
 * pressed at cycle C reaches the keyboard at the first instruction boundary
 * at or after C, so a recorded session replays exactly: the window stamps
 * each key it sends with the cycle it reaches the keyboard.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine-internal.h"

int keys_load(struct machine *m, const char *path, char *err, size_t n) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, n, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  char line[256];
  unsigned lineno = 0;
  uint64_t last = 0;
  int rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') {
      snprintf(err, n, "%s:%u: line too long", path, lineno);
      rc = -1;
      break;
    }
    char *p = line;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '#' || *p == '\n' || *p == '\r' || *p == 0)
      continue;
    char cycle[32], dir[8], name[32], extra[2];
    int got = sscanf(p, "%31s %7s %31s %1s", cycle, dir, name, extra);
    char *end;
    errno = 0;
    unsigned long long when = strtoull(cycle, &end, 0);
    int key = got >= 3 ? dev_key_by_name(name) : -1;
    if (got != 3 || errno || *end || cycle[0] == '-' || (strcmp(dir, "down") && strcmp(dir, "up"))) {
      snprintf(err, n, "%s:%u: not \"CYCLE down|up KEY\"", path, lineno);
      rc = -1;
    } else if (key < 0) {
      snprintf(err, n, "%s:%u: unknown key '%s' (devices/keys.def names them)", path, lineno, name);
      rc = -1;
    } else if (when < last) {
      snprintf(err, n, "%s:%u: cycle %llu is before the previous event's %llu", path, lineno, when,
               (unsigned long long)last);
      rc = -1;
    } else if (dev_kbc_queue_key(m->kbc, when, (unsigned)key, dir[0] == 'd') != 0) {
      snprintf(err, n, "%s:%u: out of memory", path, lineno);
      rc = -1;
    }
    last = when;
  }
  if (rc == 0 && ferror(f)) {
    snprintf(err, n, "%s: cannot read: %s", path, strerror(errno));
    rc = -1;
  }
  fclose(f);
  return rc;
}

int keys_write(FILE *f, cycles_t when, unsigned key, bool down) {
  return fprintf(f, "%llu %s %s\n", (unsigned long long)when, down ? "down" : "up", dev_key_name(key)) < 0 ? -1 : 0;
}
