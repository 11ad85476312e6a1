/* tests/guests/xen/lib/xs.c - a small client of the store (io/xs_wire.h)
 * for the PV test guests: one request at a time over the store ring of
 * start_info, waiting (SCHEDOP_block) for the reply; watch events that
 * arrive meanwhile are counted and their paths kept. */
#include "xs.h"

#include <xen/io/xs_wire.h>

static struct xenstore_domain_interface *ring;
static uint32_t req_id;
uint32_t pv_xs_watch_events;
char pv_xs_last_watch[128];

void pv_xs_init(void) {
  ring = (struct xenstore_domain_interface *)(PV_VIRT_BASE + (pv_mfn_to_pfn(pv_si->store_mfn) << 12));
}

static void notify(void) {
  struct evtchn_send s = {.port = pv_si->store_evtchn};
  HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

static void put(const void *p, uint32_t n) {
  const char *c = p;
  for (uint32_t k = 0; k < n; k++) {
    while (ring->req_prod - ring->req_cons >= XENSTORE_RING_SIZE)
      notify();
    ring->req[MASK_XENSTORE_IDX(ring->req_prod)] = c[k];
    __asm__ volatile("" ::: "memory");
    ring->req_prod++;
  }
}

static void get(void *p, uint32_t n) {
  char *c = p;
  for (uint32_t k = 0; k < n; k++) {
    while (ring->rsp_prod == ring->rsp_cons)
      HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    c[k] = ring->rsp[MASK_XENSTORE_IDX(ring->rsp_cons)];
    __asm__ volatile("" ::: "memory");
    ring->rsp_cons++;
  }
}

/* Reads one message; watch events are consumed here. Returns its type. */
static uint32_t read_msg(struct xsd_sockmsg *h, char *buf, uint32_t size) {
  for (;;) {
    get(h, sizeof *h);
    char tmp[512];
    uint32_t n = h->len < sizeof tmp ? h->len : sizeof tmp;
    get(tmp, n);
    for (uint32_t k = n; k < h->len; k++) {
      char skip;
      get(&skip, 1);
    }
    if (h->type == XS_WATCH_EVENT) {
      pv_xs_watch_events++;
      strlcpy(pv_xs_last_watch, tmp, sizeof pv_xs_last_watch);
      continue;
    }
    uint32_t c = n < size ? n : size;
    memcpy(buf, tmp, c);
    h->len = c;
    return h->type;
  }
}

int pv_xs_request(uint32_t type, uint32_t tx, const char *const *parts, const uint32_t *lens, uint32_t nparts,
                  char *reply, uint32_t reply_size, uint32_t *reply_len) {
  struct xsd_sockmsg h = {.type = type, .req_id = ++req_id, .tx_id = tx, .len = 0};
  for (uint32_t k = 0; k < nparts; k++)
    h.len += lens[k];
  put(&h, sizeof h);
  for (uint32_t k = 0; k < nparts; k++)
    put(parts[k], lens[k]);
  notify();
  struct xsd_sockmsg r;
  uint32_t t = read_msg(&r, reply, reply_size);
  if (reply_len)
    *reply_len = r.len;
  if (r.req_id != h.req_id)
    return -1000;
  if (t == XS_ERROR) {
    static const struct {
      const char *s;
      int e;
    } errs[] = {{"ENOENT", ENOENT}, {"EACCES", EACCES}, {"EINVAL", EINVAL}, {"E2BIG", E2BIG},
                {"ENOSPC", ENOSPC}, {"ENOSYS", ENOSYS}, {"EEXIST", EEXIST}, {"EAGAIN", EAGAIN}};
    for (uint32_t k = 0; k < sizeof errs / sizeof errs[0]; k++)
      if (strncmp(reply, errs[k].s, r.len) == 0)
        return -errs[k].e;
    return -EINVAL;
  }
  return t == type ? 0 : -1001;
}

int pv_xs_read(uint32_t tx, const char *path, char *out, uint32_t size) {
  const char *parts[1] = {path};
  uint32_t lens[1] = {(uint32_t)strlen(path) + 1}, len = 0;
  int rc = pv_xs_request(XS_READ, tx, parts, lens, 1, out, size - 1, &len);
  out[rc == 0 ? len : 0] = 0;
  return rc;
}

int pv_xs_write(uint32_t tx, const char *path, const char *value) {
  const char *parts[2] = {path, value};
  uint32_t lens[2] = {(uint32_t)strlen(path) + 1, (uint32_t)strlen(value)};
  char r[16];
  return pv_xs_request(XS_WRITE, tx, parts, lens, 2, r, sizeof r, NULL);
}

int pv_xs_simple(uint32_t type, uint32_t tx, const char *a, const char *b, char *out, uint32_t size) {
  const char *parts[2] = {a, b};
  uint32_t lens[2] = {(uint32_t)strlen(a) + 1, b ? (uint32_t)strlen(b) + 1 : 0}, len = 0;
  char tmp[16];
  if (!out) {
    out = tmp;
    size = sizeof tmp;
  }
  int rc = pv_xs_request(type, tx, parts, lens, b ? 2 : 1, out, size, &len);
  if (rc == 0 && len < size)
    out[len] = 0;
  return rc;
}

/* Waits until path reads as want (watching it). */
void pv_xs_wait_for(const char *path, const char *want) {
  char v[128];
  PV_EXPECT(pv_xs_simple(XS_WATCH, 0, path, "wait", NULL, 0), 0);
  for (;;) {
    if (pv_xs_read(0, path, v, sizeof v) == 0 && strcmp(v, want) == 0)
      break;
    uint32_t seen = pv_xs_watch_events;
    while (pv_xs_watch_events == seen) {
      /* A watch event arrives as a message: read it with a harmless request. */
      HYPERVISOR_sched_op(SCHEDOP_block, NULL);
      if (ring->rsp_prod != ring->rsp_cons) {
        char dir[64];
        pv_xs_simple(XS_GET_DOMAIN_PATH, 0, "0", NULL, dir, sizeof dir);
      }
    }
  }
  PV_EXPECT(pv_xs_simple(XS_UNWATCH, 0, path, "wait", NULL, 0), 0);
}
