/* tests/guests/xen/store - the store answered by the hypervisor, seen by
 * an unprivileged domain (run it with dom0less): its own nodes, read,
 * write, mkdir, rm, directory, permissions, watches, transactions, and the
 * errors of each. */
#include "xs.h"

void test_main(void) {
  char v[128], path[64];
  pv_map_shared_info();
  pv_install_traps();
  pv_vcpu->evtchn_upcall_mask = 0;
  pv_xs_init();
  uint32_t me = 0;
  /* Our path and the nodes the hypervisor made for us. */
  PV_EXPECT(pv_xs_simple(XS_GET_DOMAIN_PATH, 0, "0", NULL, v, sizeof v), 0);
  PV_EXPECT(strcmp(v, "/local/domain/0"), 0);
  PV_EXPECT(pv_xs_read(0, "domid", v, sizeof v), 0);
  me = (uint32_t)strtoul(v, NULL, 10);
  PV_EXPECT(pv_xs_read(0, "name", v, sizeof v), 0);
  pv_printf("store: I am %s (domain %u)\n", v, me);
  PV_EXPECT(pv_xs_read(0, "memory/target", v, sizeof v), 0);
  PV_EXPECT(strtoul(v, NULL, 10), pv_si->nr_pages * 4);
  PV_EXPECT(pv_xs_read(0, "console/port", v, sizeof v), 0);
  PV_EXPECT(strtoul(v, NULL, 10), pv_si->console.domU.evtchn);
  snprintf(path, sizeof path, "/local/domain/%u/console/ring-ref", me);
  PV_EXPECT(pv_xs_read(0, path, v, sizeof v), 0);
  PV_EXPECT(strtoul(v, NULL, 10), pv_si->console.domU.mfn);

  /* Write, read back, directory, rm. */
  PV_EXPECT(pv_xs_write(0, "data/a", "alpha"), 0);
  PV_EXPECT(pv_xs_write(0, "data/b", "beta"), 0);
  PV_EXPECT(pv_xs_read(0, "data/a", v, sizeof v), 0);
  PV_EXPECT(strcmp(v, "alpha"), 0);
  uint32_t len = 0;
  const char *parts[1] = {"data"};
  uint32_t lens[1] = {5};
  PV_EXPECT(pv_xs_request(XS_DIRECTORY, 0, parts, lens, 1, v, sizeof v, &len), 0);
  PV_EXPECT(len, 4); /* "a\0b\0" */
  PV_EXPECT(pv_xs_simple(XS_MKDIR, 0, "empty", NULL, NULL, 0), 0);
  PV_EXPECT(pv_xs_read(0, "empty", v, sizeof v), 0);
  PV_EXPECT(v[0], 0);
  PV_EXPECT(pv_xs_simple(XS_RM, 0, "data", NULL, NULL, 0), 0);
  PV_EXPECT(pv_xs_read(0, "data/a", v, sizeof v), -ENOENT);
  PV_EXPECT(pv_xs_simple(XS_RM, 0, "data", NULL, NULL, 0), -ENOENT);

  /* Permissions: the root is readable, not writable; others' nodes hidden. */
  PV_EXPECT(pv_xs_write(0, "/outside", "x"), -EACCES);
  PV_EXPECT(pv_xs_simple(XS_RM, 0, "/local", NULL, NULL, 0), -EACCES);
  PV_EXPECT(pv_xs_simple(XS_GET_PERMS, 0, "name", NULL, v, sizeof v), 0);
  snprintf(path, sizeof path, "n%u", me);
  PV_EXPECT(strcmp(v, path), 0);
  PV_EXPECT(pv_xs_write(0, "shared", "s"), 0);
  const char *perms[3] = {"shared", path, "r5"};
  uint32_t plens[3] = {7, (uint32_t)strlen(path) + 1, 3};
  PV_EXPECT(pv_xs_request(XS_SET_PERMS, 0, perms, plens, 3, v, sizeof v, &len), 0);
  const char *gp[1] = {"shared"};
  uint32_t gpl[1] = {7};
  PV_EXPECT(pv_xs_request(XS_GET_PERMS, 0, gp, gpl, 1, v, sizeof v, &len), 0);
  PV_EXPECT(len, strlen(path) + 1 + 3);
  PV_EXPECT(strcmp(v + strlen(v) + 1, "r5"), 0);
  const char *badperm[2] = {"shared", "x0"};
  uint32_t bplens[2] = {7, 3};
  PV_EXPECT(pv_xs_request(XS_SET_PERMS, 0, badperm, bplens, 2, v, sizeof v, &len), -EINVAL);

  /* Watches: one event at once, one per change below. */
  uint32_t ev = pv_xs_watch_events;
  PV_EXPECT(pv_xs_simple(XS_WATCH, 0, "w", "tok", NULL, 0), 0);
  PV_EXPECT(pv_xs_write(0, "w/x", "1"), 0);
  PV_EXPECT(pv_xs_write(0, "other", "1"), 0); /* not below: no event */
  PV_EXPECT(pv_xs_read(0, "w/x", v, sizeof v), 0); /* lets the event arrive */
  PV_EXPECT(pv_xs_watch_events, ev + 2);
  PV_EXPECT(strcmp(pv_xs_last_watch, "w/x"), 0);
  PV_EXPECT(pv_xs_simple(XS_UNWATCH, 0, "w", "tok", NULL, 0), 0);
  PV_EXPECT(pv_xs_simple(XS_UNWATCH, 0, "w", "tok", NULL, 0), -ENOENT);

  /* Transactions: invisible outside until committed; abort drops. */
  PV_EXPECT(pv_xs_simple(XS_TRANSACTION_START, 0, "", NULL, v, sizeof v), 0);
  uint32_t tx = (uint32_t)strtoul(v, NULL, 10);
  PV_EXPECT(tx != 0, 1);
  PV_EXPECT(pv_xs_write(tx, "t/k", "in-tx"), 0);
  PV_EXPECT(pv_xs_read(tx, "t/k", v, sizeof v), 0);
  PV_EXPECT(strcmp(v, "in-tx"), 0);
  PV_EXPECT(pv_xs_read(0, "t/k", v, sizeof v), -ENOENT);
  PV_EXPECT(pv_xs_simple(XS_TRANSACTION_END, tx, "T", NULL, NULL, 0), 0);
  PV_EXPECT(pv_xs_read(0, "t/k", v, sizeof v), 0);
  PV_EXPECT(strcmp(v, "in-tx"), 0);
  PV_EXPECT(pv_xs_simple(XS_TRANSACTION_START, 0, "", NULL, v, sizeof v), 0);
  tx = (uint32_t)strtoul(v, NULL, 10);
  PV_EXPECT(pv_xs_write(tx, "t/k", "dropped"), 0);
  PV_EXPECT(pv_xs_simple(XS_TRANSACTION_END, tx, "F", NULL, NULL, 0), 0);
  PV_EXPECT(pv_xs_read(0, "t/k", v, sizeof v), 0);
  PV_EXPECT(strcmp(v, "in-tx"), 0);
  PV_EXPECT(pv_xs_read(77, "t/k", v, sizeof v), -ENOENT); /* no such transaction */

  /* Errors: an unknown request, an oversized value, a toolstack request. */
  const char *q[1] = {"x"};
  uint32_t ql[1] = {2};
  PV_EXPECT(pv_xs_request(XS_INTRODUCE, 0, q, ql, 1, v, sizeof v, &len), -ENOSYS);
  PV_EXPECT(pv_xs_request(200, 0, q, ql, 1, v, sizeof v, &len), -ENOSYS);
  char big[200];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  PV_EXPECT(pv_xs_write(0, "big", big), -E2BIG);
  PV_EXPECT(pv_xs_simple(XS_IS_DOMAIN_INTRODUCED, 0, "0", NULL, v, sizeof v), 0);
  PV_EXPECT(v[0], 'T');
  if (pv_failures == 0)
    pv_puts("xen_store: PASS\n");
}
