/* devices/ps2kbd.c - a PS/2 (MF II) keyboard: the device at the other end
 * of the 8042's keyboard port.
 *
 *   keys (input events, cycle-stamped) --> +-----------+ --> bytes to the host
 *   bytes from the host (commands)     --> | keyboard  |     (16-byte buffer)
 *                                          +-----------+
 *
 * Keys arrive as events (cycle, key, down or up), queued by the machine
 * from --keys-in or the window, and are delivered at their cycles through
 * the controller's clock (i8042.c), which pulls the bytes the keyboard
 * sends. A delivered key becomes its make or break code in the scan code
 * set in use (2 by default; set 1 on request), and a key held down repeats
 * its make code on the keyboard's own typematic clock (delay 250-1000 ms,
 * rate 2-30 per second; command F3), in emulated time like everything
 * else: the bytes are a function of the events and the commands.
 *
 * Commands (a byte from the host; those that IBM's reference says clear the
 * output buffer, and their argument bytes, empty it first: ED F0 F3 F4 F5
 * F6 FF):
 *   FF reset       FA, then AA (self-test passed), defaults, scanning on
 *   FE resend      the last byte sent again
 *   F6 defaults    FA; typematic 500 ms / 10.9 per second, set 2
 *   F5 disable     FA; defaults, scanning off (keys are lost)
 *   F4 enable      FA; scanning on
 *   F3 typematic   FA, then the rate/delay byte: FA
 *   F2 identify    FA AB 83 (an MF II keyboard)
 *   F0 scan set    FA, then 0 (report: FA and the set's number) or 1 or 2
 *                  (FA) or 3 (FE: set 3 is not modelled)
 *   EE echo        EE
 *   ED LEDs        FA, then the LED byte: FA
 *   F7-FD          FA (set 3 key types: accepted and ignored)
 *   other          FE
 *
 * The output buffer holds 16 bytes; a scan code that does not fit replaces
 * the last byte with the overrun code (00 in set 2, FF in set 1) and is
 * lost, as are the ones after it until there is room.
 *
 * Departures: the keyboard answers at once (a real one takes about a
 * millisecond, and hundreds for its self-test); Print Screen and Pause send
 * their plain sequences whatever modifiers are held; no set 3.
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>
#include <string.h>

#define OUT_BYTES 16
#define E0 0xE000u
#define DEFAULT_TYPEMATIC 0x2B /* 500 ms delay, 10.9 characters per second */

static const struct key_row {
  const char *name;
  uint16_t set1, set2;
} key_rows[DEV_KEY_COUNT] = {
#define KEY(id, name, s1, s2) [DEV_KEY_##id] = {name, s1, s2},
#include "keys.def"
#undef KEY
};

const char *dev_key_name(unsigned key) { return key < DEV_KEY_COUNT ? key_rows[key].name : NULL; }

int dev_key_by_name(const char *name) {
  for (unsigned k = 0; k < DEV_KEY_COUNT; k++)
    if (strcmp(key_rows[k].name, name) == 0)
      return (int)k;
  return -1;
}

uint16_t dev_key_set1(unsigned key) { return key < DEV_KEY_COUNT ? key_rows[key].set1 : 0; }
uint16_t dev_key_set2(unsigned key) { return key < DEV_KEY_COUNT ? key_rows[key].set2 : 0; }

struct key_event {
  cycles_t when;
  uint16_t key;
  bool down;
};

enum want { WANT_COMMAND, WANT_LEDS, WANT_SET, WANT_TYPEMATIC };

struct dev_ps2kbd {
  struct dev_timebase tb;
  uint8_t out[OUT_BYTES]; /* bytes to the host, oldest at head */
  unsigned head, n;
  uint8_t last_sent; /* for FE */
  bool scanning;
  uint8_t set; /* 1 or 2 */
  uint8_t leds;
  uint8_t typematic; /* the F3 byte */
  enum want want;
  bool held[DEV_KEY_COUNT];
  int repeat_key;     /* the key repeating, or -1 */
  cycles_t repeat_at; /* its next make code */

  struct key_event *events; /* queued input, in nondecreasing cycle order */
  size_t n_events, cap_events, next_event;
  uint64_t delivered; /* events delivered since power-on: the stream's position */
};

/* ---- time ----------------------------------------------------------------- */

static uint64_t cpu_hz(const struct dev_ps2kbd *k) {
  uint64_t f = k->tb.cpu_hz ? k->tb.cpu_hz(k->tb.opaque) : 0;
  return f ? f : 1000000000u;
}

/* Typematic delay: (1 + bits 6-5) quarter seconds. */
static cycles_t delay_cycles(const struct dev_ps2kbd *k) {
  return (cycles_t)(((k->typematic >> 5) & 3u) + 1) * cpu_hz(k) / 4;
}

/* Typematic period: (8 + bits 2-0) * 2^(bits 4-3) units of 1/240 s
 * (4.17 ms): 33.3 ms (30 per second) to 500 ms (2 per second). */
static cycles_t period_cycles(const struct dev_ps2kbd *k) {
  uint64_t units = (8u + (k->typematic & 7u)) << ((k->typematic >> 3) & 3u);
  return (cycles_t)((unsigned __int128)units * cpu_hz(k) / 240u);
}

/* ---- the output buffer ------------------------------------------------------- */

static void send(struct dev_ps2kbd *k, uint8_t byte) {
  if (k->n < OUT_BYTES)
    k->out[(k->head + k->n++) % OUT_BYTES] = byte;
}

/* A scan code sequence: all of it, or the overrun code in the last slot. */
static void send_scan(struct dev_ps2kbd *k, const uint8_t *bytes, unsigned n) {
  if (k->n + n > OUT_BYTES) {
    if (k->n > 0)
      k->out[(k->head + k->n - 1) % OUT_BYTES] = k->set == 1 ? 0xFF : 0x00;
    return;
  }
  for (unsigned j = 0; j < n; j++)
    send(k, bytes[j]);
}

bool dev_ps2kbd_take(struct dev_ps2kbd *k, uint8_t *byte) {
  if (k->n == 0)
    return false;
  *byte = k->out[k->head];
  k->head = (k->head + 1) % OUT_BYTES;
  k->n--;
  k->last_sent = *byte;
  return true;
}

/* ---- scan codes ------------------------------------------------------------- */

static void key_code(struct dev_ps2kbd *k, unsigned key, bool down) {
  uint8_t b[8];
  unsigned n = 0;
  if (key == DEV_KEY_PAUSE) { /* make only: no break code, no repeat */
    static const uint8_t set2[] = {0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77};
    static const uint8_t set1[] = {0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5};
    if (down)
      send_scan(k, k->set == 1 ? set1 : set2, k->set == 1 ? sizeof set1 : sizeof set2);
    return;
  }
  if (key == DEV_KEY_PRINT) { /* a fake left shift around the key, as an MF II sends */
    if (k->set == 1) {
      static const uint8_t make[] = {0xE0, 0x2A, 0xE0, 0x37}, brk[] = {0xE0, 0xB7, 0xE0, 0xAA};
      send_scan(k, down ? make : brk, 4);
    } else {
      static const uint8_t make[] = {0xE0, 0x12, 0xE0, 0x7C}, brk[] = {0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12};
      send_scan(k, down ? make : brk, down ? 4 : 6);
    }
    return;
  }
  uint16_t code = k->set == 1 ? key_rows[key].set1 : key_rows[key].set2;
  if (code & E0)
    b[n++] = 0xE0;
  if (k->set == 1) {
    b[n++] = (uint8_t)((code & 0xFF) | (down ? 0 : 0x80));
  } else {
    if (!down)
      b[n++] = 0xF0;
    b[n++] = (uint8_t)code;
  }
  send_scan(k, b, n);
}

/* ---- commands ------------------------------------------------------------------ */

static void defaults(struct dev_ps2kbd *k) {
  k->typematic = DEFAULT_TYPEMATIC;
  k->set = 2;
  k->repeat_key = -1;
}

static bool clears_buffer(uint8_t command) {
  return command == 0xED || command == 0xF0 || (command >= 0xF3 && command <= 0xF6) || command == 0xFF;
}

void dev_ps2kbd_command(struct dev_ps2kbd *k, uint8_t byte) {
  if (k->want != WANT_COMMAND || clears_buffer(byte)) {
    k->head = 0;
    k->n = 0;
  }
  enum want want = k->want;
  k->want = WANT_COMMAND;
  switch (want) {
  case WANT_LEDS:
    k->leds = byte & 7;
    send(k, 0xFA);
    return;
  case WANT_TYPEMATIC:
    k->typematic = byte & 0x7F;
    send(k, 0xFA);
    return;
  case WANT_SET:
    if (byte == 0) {
      send(k, 0xFA);
      send(k, k->set);
    } else if (byte == 1 || byte == 2) {
      k->set = byte;
      k->repeat_key = -1;
      send(k, 0xFA);
    } else {
      send(k, 0xFE);
    }
    return;
  case WANT_COMMAND:
    break;
  }
  switch (byte) {
  case 0xFF:
    defaults(k);
    k->scanning = true;
    k->leds = 0;
    send(k, 0xFA);
    send(k, 0xAA);
    return;
  case 0xFE:
    send(k, k->last_sent);
    return;
  case 0xF6:
    defaults(k);
    send(k, 0xFA);
    return;
  case 0xF5:
    defaults(k);
    k->scanning = false;
    send(k, 0xFA);
    return;
  case 0xF4:
    k->scanning = true;
    send(k, 0xFA);
    return;
  case 0xF3:
    k->want = WANT_TYPEMATIC;
    send(k, 0xFA);
    return;
  case 0xF2:
    send(k, 0xFA);
    send(k, 0xAB);
    send(k, 0x83);
    return;
  case 0xF0:
    k->want = WANT_SET;
    send(k, 0xFA);
    return;
  case 0xEE:
    send(k, 0xEE);
    return;
  case 0xED:
    k->want = WANT_LEDS;
    send(k, 0xFA);
    return;
  default:
    send(k, byte >= 0xF7 && byte <= 0xFD ? 0xFA : 0xFE);
    return;
  }
}

uint8_t dev_ps2kbd_leds(const struct dev_ps2kbd *k) { return k->leds; }
unsigned dev_ps2kbd_scan_set(const struct dev_ps2kbd *k) { return k->set; }

/* ---- input events and the typematic clock ---------------------------------------- */

int dev_ps2kbd_queue(struct dev_ps2kbd *k, cycles_t when, unsigned key, bool down) {
  if (key >= DEV_KEY_COUNT || (k->n_events && when < k->events[k->n_events - 1].when))
    return -1;
  if (k->n_events == k->cap_events) {
    size_t cap = k->cap_events ? 2 * k->cap_events : 64;
    struct key_event *e = realloc(k->events, cap * sizeof *e);
    if (!e)
      return -1;
    k->events = e;
    k->cap_events = cap;
  }
  k->events[k->n_events++] = (struct key_event){.when = when, .key = (uint16_t)key, .down = down};
  return 0;
}

uint64_t dev_ps2kbd_delivered(const struct dev_ps2kbd *k) { return k->delivered; }

cycles_t dev_ps2kbd_next_event(const struct dev_ps2kbd *k) {
  cycles_t t = k->next_event < k->n_events ? k->events[k->next_event].when : DEV_NEVER;
  if (k->repeat_key >= 0 && k->scanning && k->repeat_at < t)
    t = k->repeat_at;
  return t;
}

static void deliver(struct dev_ps2kbd *k, const struct key_event *e) {
  bool was = k->held[e->key];
  k->held[e->key] = e->down;
  if (!k->scanning)
    return; /* lost: a disabled keyboard does not scan */
  if (e->down) {
    key_code(k, e->key, true);
    if (e->key != DEV_KEY_PAUSE) {
      k->repeat_key = e->key;
      k->repeat_at = e->when + delay_cycles(k);
    }
  } else if (was) {
    key_code(k, e->key, false);
    if (k->repeat_key == e->key)
      k->repeat_key = -1;
  }
}

void dev_ps2kbd_run_until(struct dev_ps2kbd *k, cycles_t now) {
  for (;;) {
    bool have_event = k->next_event < k->n_events && k->events[k->next_event].when <= now;
    bool have_repeat = k->repeat_key >= 0 && k->scanning && k->repeat_at <= now;
    if (!have_event && !have_repeat)
      break;
    if (have_repeat && (!have_event || k->repeat_at < k->events[k->next_event].when)) {
      key_code(k, (unsigned)k->repeat_key, true);
      k->repeat_at += period_cycles(k);
    } else {
      deliver(k, &k->events[k->next_event++]);
      k->delivered++;
    }
  }
  if (k->next_event == k->n_events) { /* all delivered: reuse the array */
    k->n_events = k->next_event = 0;
  }
}

struct dev_ps2kbd *dev_ps2kbd_new(struct dev_timebase tb) {
  struct dev_ps2kbd *k = calloc(1, sizeof *k);
  if (!k)
    return NULL;
  k->tb = tb;
  defaults(k);
  k->scanning = true;
  return k;
}

void dev_ps2kbd_free(struct dev_ps2kbd *k) {
  if (!k)
    return;
  free(k->events);
  free(k);
}

/* ---- snapshots ------------------------------------------------------------ */

/* The keyboard's state, then its key events still to come. */
void dev_ps2kbd_save(const struct dev_ps2kbd *k, struct snap_writer *w) {
  struct dev_ps2kbd n;
  memcpy(&n, k, sizeof n); /* padding too: the file's bytes are the run's */
  n.events = NULL;
  n.n_events = n.cap_events = n.next_event = 0;
  memset(&n.tb, 0, sizeof n.tb); /* wiring zeroed: the file is the state alone */
  snap_put_struct(w, &n, sizeof n);
  snap_put_u64(w, k->n_events - k->next_event);
  for (size_t j = k->next_event; j < k->n_events; j++) {
    snap_put_u64(w, k->events[j].when);
    snap_put_u16(w, k->events[j].key);
    snap_put_bool(w, k->events[j].down);
  }
}

int dev_ps2kbd_load(struct dev_ps2kbd *k, struct snap_reader *r) {
  struct dev_ps2kbd n;
  if (!snap_get_struct(r, &n, sizeof n, "PS/2 keyboard"))
    return -1;
  uint64_t count = snap_get_u64(r);
  if (!snap_ok(r) || count > (r->len - r->pos) / 11) {
    snap_fail(r, "PS/2 keyboard: %llu key events", (unsigned long long)count);
    return -1;
  }
  struct key_event *events = count ? calloc(count, sizeof *events) : NULL;
  if (count && !events) {
    snap_fail(r, "out of memory");
    return -1;
  }
  for (uint64_t j = 0; j < count; j++) {
    events[j].when = snap_get_u64(r);
    events[j].key = snap_get_u16(r);
    events[j].down = snap_get_bool(r);
    if (events[j].key >= DEV_KEY_COUNT)
      snap_fail(r, "PS/2 keyboard: key %u", events[j].key);
  }
  if (!snap_ok(r)) {
    free(events);
    return -1;
  }
  free(k->events);
  n.tb = k->tb; /* wiring, not state */
  n.events = events;
  n.n_events = n.cap_events = (size_t)count;
  n.next_event = 0;
  *k = n;
  return 0;
}
