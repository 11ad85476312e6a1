/* hv/store.c - the store (<xen/io/xs_wire.h>) answered by the hypervisor,
 * standing in for domain 0's store daemon so that guests that look up
 * their configuration find it: every domain's start_info names a store
 * page (a ring of requests and one of replies) and a port; a notification
 * on the port has the hypervisor read the requests and write the replies.
 *
 * The tree holds, per domain N, /local/domain/N/{name, domid,
 * memory/target, console/ring-ref, console/port, console/type}, owned by
 * N. Paths are absolute or relative to /local/domain/N. Permissions are
 * the store's: a node's first entry names its owner (the hypervisor's own
 * nodes, /, /local and /local/domain, are DOMID_XEN's, readable by all)
 * and what everyone else
 * may do (n none, r read, w write, b both), later entries grant a domain
 * more; the owner and the privileged domain may do everything. A node
 * written into being inherits its parent's permissions with the writer as
 * owner.
 *
 * Operations: READ, WRITE, MKDIR, RM, DIRECTORY, GET_PERMS, SET_PERMS,
 * WATCH (an event at once, then one per change at or below the path),
 * UNWATCH, RESET_WATCHES, TRANSACTION_START/END (writes and removals in a
 * transaction are seen by its own reads and applied at END "T", dropped at
 * "F"; no conflict is ever reported), GET_DOMAIN_PATH,
 * IS_DOMAIN_INTRODUCED. Others answer ENOSYS (CONTROL, INTRODUCE, RELEASE,
 * RESUME, SET_TARGET: the toolstack's) or EACCES.
 *
 * Limits (an error, never a crash): 256 nodes, paths of 95 bytes, values
 * of 127 bytes, 8 watches and 2 transactions of 16 operations per domain;
 * a request over 4096 bytes is refused with E2BIG.
 */
#include "domain.h"

#define MAX_NODES 256
#define PATH_MAX_LEN 96
#define VALUE_MAX 128
#define MAX_ACL 4
#define MAX_WATCHES 8
#define MAX_TX 2
#define TX_OPS 16

#define P_READ 1
#define P_WRITE 2

struct acl {
  uint16_t dom;
  uint8_t mode;
};

struct node {
  uint8_t used;
  char path[PATH_MAX_LEN];
  char value[VALUE_MAX];
  uint32_t len;
  uint16_t owner;
  uint8_t other;          /* what the rest may do */
  uint8_t n_acl;
  struct acl acl[MAX_ACL];
};

struct watch {
  uint8_t used;
  char path[PATH_MAX_LEN]; /* absolute */
  char given[PATH_MAX_LEN]; /* as the domain gave it */
  char token[64];
};

struct txop {
  uint8_t rm;
  char path[PATH_MAX_LEN];
  char value[VALUE_MAX];
  uint32_t len;
};

struct tx {
  uint32_t id;
  uint32_t n;
  struct txop ops[TX_OPS];
};

struct conn {
  struct watch watches[MAX_WATCHES];
  struct tx tx[MAX_TX];
  uint32_t next_tx;
  char out[2048]; /* replies not yet in the ring */
  uint32_t out_len;
};

static struct node nodes[MAX_NODES];
static struct conn conns[HV_MAX_DOMAINS];

/* ---- the tree ------------------------------------------------------------------ */
static struct node *find(const char *path) {
  for (uint32_t k = 0; k < MAX_NODES; k++)
    if (nodes[k].used && strcmp(nodes[k].path, path) == 0)
      return &nodes[k];
  return NULL;
}

static void parent_of(const char *path, char *out) {
  strlcpy(out, path, PATH_MAX_LEN);
  char *slash = strrchr(out, '/');
  if (slash == out)
    out[1] = 0;
  else if (slash)
    *slash = 0;
}

static uint8_t mode_of(const struct node *n, struct hv_domain *d) {
  if (d->privileged || n->owner == d->id)
    return P_READ | P_WRITE;
  for (uint32_t k = 0; k < n->n_acl; k++)
    if (n->acl[k].dom == d->id)
      return n->acl[k].mode;
  return n->other;
}

/* Creates path (and its missing parents) for d; NULL if full or denied. */
static struct node *create(const char *path, struct hv_domain *d, int *err) {
  struct node *n = find(path);
  if (n)
    return n;
  char parent[PATH_MAX_LEN];
  parent_of(path, parent);
  struct node *p = strcmp(parent, path) == 0 ? NULL : create(parent, d, err);
  if (!p && strcmp(path, "/") != 0)
    return NULL;
  if (p && d && !(mode_of(p, d) & P_WRITE)) {
    *err = EACCES;
    return NULL;
  }
  for (uint32_t k = 0; k < MAX_NODES; k++)
    if (!nodes[k].used) {
      n = &nodes[k];
      memset(n, 0, sizeof *n);
      n->used = 1;
      strlcpy(n->path, path, sizeof n->path);
      if (p) {
        n->other = p->other;
        n->n_acl = p->n_acl;
        memcpy(n->acl, p->acl, sizeof n->acl);
      }
      n->owner = d ? d->id : DOMID_XEN; /* the hypervisor's own nodes (/, /local, ...) */
      return n;
    }
  *err = ENOSPC;
  return NULL;
}

static void set_value(struct node *n, const char *v, uint32_t len) {
  memcpy(n->value, v, len);
  n->len = len;
}

static int is_below(const char *path, const char *top) {
  size_t l = strlen(top);
  return strncmp(path, top, l) == 0 && (path[l] == 0 || path[l] == '/' || strcmp(top, "/") == 0);
}

/* ---- replies ---------------------------------------------------------------------- */
static void queue(struct hv_domain *d, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p, uint32_t len) {
  struct conn *c = &conns[d->id];
  struct xsd_sockmsg h = {type, req_id, tx_id, len};
  if (c->out_len + sizeof h + len > sizeof c->out)
    return; /* a guest that never reads its replies loses the newest */
  memcpy(c->out + c->out_len, &h, sizeof h);
  memcpy(c->out + c->out_len + sizeof h, p, len);
  c->out_len += sizeof h + len;
}

static void flush(struct hv_domain *d) {
  struct conn *c = &conns[d->id];
  struct xenstore_domain_interface *r = hv_mfn_to_virt(d->store_mfn);
  uint32_t done = 0;
  XENSTORE_RING_IDX prod = r->rsp_prod, cons = r->rsp_cons;
  if (prod - cons > XENSTORE_RING_SIZE)
    return; /* a corrupt ring: nothing more goes out */
  while (done < c->out_len && prod - cons < XENSTORE_RING_SIZE)
    r->rsp[MASK_XENSTORE_IDX(prod++)] = c->out[done++];
  __asm__ volatile("" ::: "memory");
  r->rsp_prod = prod;
  memmove(c->out, c->out + done, c->out_len - done);
  c->out_len -= done;
  if (done)
    hv_evtchn_set_pending(d, d->store_port);
}

static void error(struct hv_domain *d, const struct xsd_sockmsg *h, int e) {
  static const struct {
    int e;
    const char *s;
  } names[] = {{EINVAL, "EINVAL"}, {EACCES, "EACCES"}, {EEXIST, "EEXIST"},   {ENOENT, "ENOENT"},
               {ENOSPC, "ENOSPC"}, {ENOSYS, "ENOSYS"}, {E2BIG, "E2BIG"},     {EAGAIN, "EAGAIN"}};
  const char *s = "EINVAL";
  for (uint32_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (names[k].e == e)
      s = names[k].s;
  queue(d, XS_ERROR, h->req_id, h->tx_id, s, (uint32_t)strlen(s) + 1);
}

static void ok(struct hv_domain *d, const struct xsd_sockmsg *h) { queue(d, h->type, h->req_id, h->tx_id, "OK", 3); }

/* ---- watches ------------------------------------------------------------------------- */
static void fire_one(struct hv_domain *w, struct watch *wt, const char *path) {
  char buf[PATH_MAX_LEN + 64 + 2];
  const char *shown = path;
  char local[32];
  snprintf(local, sizeof local, "/local/domain/%u/", w->id);
  if (wt->given[0] != '/' && strncmp(path, local, strlen(local)) == 0)
    shown = path + strlen(local);
  uint32_t pl = (uint32_t)strlen(shown) + 1, tl = (uint32_t)strlen(wt->token) + 1;
  memcpy(buf, shown, pl);
  memcpy(buf + pl, wt->token, tl);
  queue(w, XS_WATCH_EVENT, 0, 0, buf, pl + tl);
  flush(w);
}

static void fire(const char *path) {
  for (uint32_t k = 0; k < hv_n_domains; k++) {
    struct hv_domain *w = hv_domain_by_id(k);
    if (!w || !w->store_mfn)
      continue;
    struct node *n = find(path);
    if (n && !(mode_of(n, w) & P_READ))
      continue;
    for (uint32_t i = 0; i < MAX_WATCHES; i++) {
      struct watch *wt = &conns[k].watches[i];
      if (wt->used && is_below(path, wt->path))
        fire_one(w, wt, path);
    }
  }
}

/* ---- requests ---------------------------------------------------------------------------- */
/* The absolute path of a request's first string; 0 or an errno. */
static int abs_path(struct hv_domain *d, const char *s, uint32_t len, char *out) {
  if (len == 0 || strnlen(s, len) == len)
    return EINVAL;
  if (s[0] == '/')
    return strlcpy(out, s, PATH_MAX_LEN) >= PATH_MAX_LEN ? E2BIG : 0;
  int n = snprintf(out, PATH_MAX_LEN, "/local/domain/%u/%s", d->id, s);
  return n >= PATH_MAX_LEN ? E2BIG : 0;
}

static struct tx *tx_of(struct hv_domain *d, uint32_t id) {
  for (uint32_t k = 0; k < MAX_TX; k++)
    if (conns[d->id].tx[k].id == id && id)
      return &conns[d->id].tx[k];
  return NULL;
}

static void remove_tree(const char *path) {
  for (uint32_t k = 0; k < MAX_NODES; k++)
    if (nodes[k].used && is_below(nodes[k].path, path))
      nodes[k].used = 0;
}

static int do_write(struct hv_domain *d, const char *path, const char *v, uint32_t len) {
  int err = 0;
  struct node *n = find(path);
  if (n && !(mode_of(n, d) & P_WRITE))
    return EACCES;
  if (len >= VALUE_MAX)
    return E2BIG;
  if (!n && !(n = create(path, d, &err)))
    return err ? err : ENOSPC;
  set_value(n, v, len);
  fire(path);
  return 0;
}

static int do_rm(struct hv_domain *d, const char *path) {
  struct node *n = find(path);
  if (!n)
    return ENOENT;
  if (!(mode_of(n, d) & P_WRITE) || strcmp(path, "/") == 0)
    return EACCES;
  remove_tree(path);
  fire(path);
  return 0;
}

static void handle(struct hv_domain *d, const struct xsd_sockmsg *h, const char *p) {
  struct conn *c = &conns[d->id];
  char path[PATH_MAX_LEN];
  int e;
  struct tx *tx = h->tx_id ? tx_of(d, h->tx_id) : NULL;
  if (h->tx_id && !tx && h->type != XS_TRANSACTION_START) {
    error(d, h, ENOENT);
    return;
  }
  switch (h->type) {
  case XS_READ: {
    if ((e = abs_path(d, p, h->len, path)))
      break;
    if (tx)
      for (uint32_t k = tx->n; k-- > 0;)
        if (strcmp(tx->ops[k].path, path) == 0) {
          if (tx->ops[k].rm)
            error(d, h, ENOENT);
          else
            queue(d, XS_READ, h->req_id, h->tx_id, tx->ops[k].value, tx->ops[k].len);
          return;
        }
    struct node *n = find(path);
    if (!n) {
      e = ENOENT;
      break;
    }
    if (!(mode_of(n, d) & P_READ)) {
      e = EACCES;
      break;
    }
    queue(d, XS_READ, h->req_id, h->tx_id, n->value, n->len);
    return;
  }
  case XS_WRITE:
  case XS_MKDIR: {
    if ((e = abs_path(d, p, h->len, path)))
      break;
    uint32_t pl = (uint32_t)strlen(p) + 1;
    const char *v = h->type == XS_WRITE ? p + pl : "";
    uint32_t vl = h->type == XS_WRITE ? h->len - pl : 0;
    if (h->type == XS_MKDIR && find(path)) {
      ok(d, h);
      return;
    }
    if (tx) {
      if (tx->n == TX_OPS) {
        e = ENOSPC;
        break;
      }
      if (vl >= VALUE_MAX) {
        e = E2BIG;
        break;
      }
      struct txop *op = &tx->ops[tx->n++];
      op->rm = 0;
      strlcpy(op->path, path, sizeof op->path);
      memcpy(op->value, v, vl);
      op->len = vl;
      ok(d, h);
      return;
    }
    if ((e = do_write(d, path, v, vl)))
      break;
    ok(d, h);
    return;
  }
  case XS_RM:
    if ((e = abs_path(d, p, h->len, path)))
      break;
    if (tx) {
      if (tx->n == TX_OPS) {
        e = ENOSPC;
        break;
      }
      struct txop *op = &tx->ops[tx->n++];
      op->rm = 1;
      strlcpy(op->path, path, sizeof op->path);
      ok(d, h);
      return;
    }
    if ((e = do_rm(d, path)))
      break;
    ok(d, h);
    return;
  case XS_DIRECTORY: {
    if ((e = abs_path(d, p, h->len, path)))
      break;
    struct node *n = find(path);
    if (!n) {
      e = ENOENT;
      break;
    }
    if (!(mode_of(n, d) & P_READ)) {
      e = EACCES;
      break;
    }
    char out[1024];
    uint32_t len = 0;
    size_t pl = strlen(path);
    for (uint32_t k = 0; k < MAX_NODES; k++) {
      const char *q = nodes[k].path;
      if (!nodes[k].used || strncmp(q, path, pl) != 0)
        continue;
      const char *rest = q + pl;
      if (pl > 1) {
        if (*rest != '/')
          continue;
        rest++;
      }
      if (!*rest || strchr(rest, '/'))
        continue;
      uint32_t l = (uint32_t)strlen(rest) + 1;
      if (len + l > sizeof out) {
        e = E2BIG;
        break;
      }
      memcpy(out + len, rest, l);
      len += l;
    }
    queue(d, XS_DIRECTORY, h->req_id, h->tx_id, out, len);
    return;
  }
  case XS_GET_PERMS: {
    if ((e = abs_path(d, p, h->len, path)))
      break;
    struct node *n = find(path);
    if (!n) {
      e = ENOENT;
      break;
    }
    if (!(mode_of(n, d) & P_READ)) {
      e = EACCES;
      break;
    }
    static const char letters[4] = {'n', 'r', 'w', 'b'};
    char out[128];
    int len = snprintf(out, sizeof out, "%c%u", letters[n->other & 3], n->owner) + 1;
    for (uint32_t k = 0; k < n->n_acl && len < 100; k++)
      len += snprintf(out + len, sizeof out - (uint32_t)len, "%c%u", letters[n->acl[k].mode & 3], n->acl[k].dom) + 1;
    queue(d, XS_GET_PERMS, h->req_id, h->tx_id, out, (uint32_t)len);
    return;
  }
  case XS_SET_PERMS: {
    if ((e = abs_path(d, p, h->len, path)))
      break;
    struct node *n = find(path);
    if (!n) {
      e = ENOENT;
      break;
    }
    if (!d->privileged && n->owner != d->id) {
      e = EACCES;
      break;
    }
    const char *q = p + strlen(p) + 1, *end = p + h->len;
    struct node t = *n;
    t.n_acl = 0;
    for (int first = 1; q < end && *q; q += strlen(q) + 1, first = 0) {
      uint8_t m = *q == 'r' ? P_READ : *q == 'w' ? P_WRITE : *q == 'b' ? (P_READ | P_WRITE) : 0;
      if (*q != 'n' && !m) {
        e = EINVAL;
        break;
      }
      uint32_t dom = (uint32_t)strtoul(q + 1, NULL, 10);
      if (first) {
        t.owner = (uint16_t)dom;
        t.other = m;
      } else if (t.n_acl < MAX_ACL) {
        t.acl[t.n_acl++] = (struct acl){(uint16_t)dom, m};
      }
    }
    if (e)
      break;
    *n = t;
    fire(path);
    ok(d, h);
    return;
  }
  case XS_WATCH: {
    if ((e = abs_path(d, p, h->len, path)))
      break;
    const char *token = p + strlen(p) + 1;
    if (token >= p + h->len || strnlen(token, (size_t)(p + h->len - token)) == (size_t)(p + h->len - token)) {
      e = EINVAL;
      break;
    }
    struct watch *w = NULL;
    for (uint32_t k = 0; k < MAX_WATCHES && !w; k++)
      if (!c->watches[k].used)
        w = &c->watches[k];
    if (!w) {
      e = ENOSPC;
      break;
    }
    w->used = 1;
    strlcpy(w->path, path, sizeof w->path);
    strlcpy(w->given, p, sizeof w->given);
    strlcpy(w->token, token, sizeof w->token);
    ok(d, h);
    fire_one(d, w, path); /* the store fires a new watch once */
    return;
  }
  case XS_UNWATCH: {
    if ((e = abs_path(d, p, h->len, path)))
      break;
    const char *token = p + strlen(p) + 1;
    e = ENOENT;
    for (uint32_t k = 0; k < MAX_WATCHES; k++)
      if (c->watches[k].used && strcmp(c->watches[k].path, path) == 0 && token < p + h->len &&
          strcmp(c->watches[k].token, token) == 0) {
        c->watches[k].used = 0;
        e = 0;
      }
    if (e)
      break;
    ok(d, h);
    return;
  }
  case XS_RESET_WATCHES:
    memset(c->watches, 0, sizeof c->watches);
    ok(d, h);
    return;
  case XS_TRANSACTION_START: {
    struct tx *t = NULL;
    for (uint32_t k = 0; k < MAX_TX && !t; k++)
      if (!c->tx[k].id)
        t = &c->tx[k];
    if (!t) {
      e = ENOSPC;
      break;
    }
    t->id = ++c->next_tx;
    t->n = 0;
    char out[16];
    int len = snprintf(out, sizeof out, "%u", t->id) + 1;
    queue(d, XS_TRANSACTION_START, h->req_id, 0, out, (uint32_t)len);
    return;
  }
  case XS_TRANSACTION_END: {
    if (!tx || h->len < 1) {
      e = tx ? EINVAL : ENOENT;
      break;
    }
    int commit = p[0] == 'T';
    if (!commit && p[0] != 'F') {
      e = EINVAL;
      break;
    }
    int err = 0;
    for (uint32_t k = 0; commit && k < tx->n && !err; k++)
      err = tx->ops[k].rm ? do_rm(d, tx->ops[k].path) : do_write(d, tx->ops[k].path, tx->ops[k].value, tx->ops[k].len);
    tx->id = 0;
    if (err && err != ENOENT) {
      e = err;
      break;
    }
    ok(d, h);
    return;
  }
  case XS_GET_DOMAIN_PATH: {
    char out[32];
    int len = snprintf(out, sizeof out, "/local/domain/%u", (uint32_t)strtoul(p, NULL, 10)) + 1;
    queue(d, XS_GET_DOMAIN_PATH, h->req_id, h->tx_id, out, (uint32_t)len);
    return;
  }
  case XS_IS_DOMAIN_INTRODUCED: {
    const char *ans = hv_domain_by_id((uint32_t)strtoul(p, NULL, 10)) ? "T" : "F";
    queue(d, XS_IS_DOMAIN_INTRODUCED, h->req_id, h->tx_id, ans, 2);
    return;
  }
  default:
    e = ENOSYS;
    break;
  }
  error(d, h, e);
}

/* ---- the connection ------------------------------------------------------------------ */
void hv_store_service(struct hv_domain *d) {
  if (!d->store_mfn)
    return;
  struct xenstore_domain_interface *r = hv_mfn_to_virt(d->store_mfn);
  static char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
  for (;;) {
    XENSTORE_RING_IDX cons = r->req_cons, prod = r->req_prod;
    __asm__ volatile("" ::: "memory");
    uint32_t avail = prod - cons;
    if (avail > XENSTORE_RING_SIZE) {
      r->error = XENSTORE_ERROR_RINGIDX;
      break;
    }
    if (avail < sizeof(struct xsd_sockmsg))
      break;
    struct xsd_sockmsg h;
    for (uint32_t k = 0; k < sizeof h; k++)
      ((char *)&h)[k] = r->req[MASK_XENSTORE_IDX(cons + k)];
    if (h.len > XENSTORE_PAYLOAD_MAX) {
      /* Too long to ever fit: refuse and drop what is there. */
      r->req_cons = prod;
      error(d, &h, E2BIG);
      break;
    }
    if (avail < sizeof h + h.len)
      break; /* the rest is still to come */
    for (uint32_t k = 0; k < h.len; k++)
      buf[k] = r->req[MASK_XENSTORE_IDX(cons + sizeof h + k)];
    buf[h.len] = 0;
    r->req_cons = cons + (uint32_t)sizeof h + h.len;
    handle(d, &h, buf);
  }
  flush(d);
}

void hv_store_init(struct hv_domain *d) {
  char path[PATH_MAX_LEN], v[32];
  int err = 0;
  memset(&conns[d->id], 0, sizeof conns[d->id]);
  if (!find("/")) {
    struct node *root = create("/", NULL, &err);
    if (root)
      root->other = P_READ;
  }
  snprintf(path, sizeof path, "/local/domain/%u", d->id);
  struct node *n = create(path, NULL, &err);
  if (!n)
    return;
  n->owner = d->id;
  n->other = 0;
  n->n_acl = 0;
#define PUT(rel, fmt, ...)                                                 \
  do {                                                                     \
    snprintf(path, sizeof path, "/local/domain/%u/" rel, d->id);           \
    int l = snprintf(v, sizeof v, fmt, __VA_ARGS__);                       \
    struct node *x = create(path, d, &err);                                \
    if (x)                                                                 \
      set_value(x, v, (uint32_t)l);                                        \
  } while (0)
  PUT("name", "%s", d->name);
  PUT("domid", "%u", d->id);
  PUT("memory/target", "%u", d->nr_pages * 4);
  if (d->console_mfn) {
    PUT("console/ring-ref", "%u", d->console_mfn);
    PUT("console/port", "%u", d->console_port);
    PUT("console/type", "%s", "ringlab");
  }
#undef PUT
}
