/* tests/guests/xen/ring - two domains pass data over an I/O ring of their
 * own, as Xen's split drivers do: the frontend (command line "front PEER")
 * grants a page to the backend ("back PEER"), allocates an unbound event
 * channel for it and publishes both in the store; the backend waits for
 * them (a store watch), maps the grant, binds the channel, and answers
 * 100 requests, each notified over the channel. Both check the grant
 * table's rules on the way: bad references, domains and handles, a
 * write mapping of a read-only grant, a reference not granted to it, the
 * reading/writing flags while mapped, unmapping. */
#include "xs.h"

#include <xen/grant_table.h>

#define N_REQ 100
#define REF_RING 8
#define REF_RO 9
#define REF_OTHER 10

struct ring {
  volatile uint32_t req_prod, req_cons, rsp_prod, rsp_cons;
  volatile uint32_t req[64];
  volatile uint32_t rsp[64];
};

static uint8_t ring_page[4096] __attribute__((aligned(4096)));
static uint8_t ro_page[4096] __attribute__((aligned(4096)));
static uint8_t gnttab_page[4096] __attribute__((aligned(4096)));
static uint8_t map_area[2][4096] __attribute__((aligned(4096)));
static uint32_t peer, port;

static void notify(uint32_t p) {
  struct evtchn_send s = {.port = p};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), 0);
}

static void wait_port(uint32_t p, uint32_t seen) {
  while (pv_port_count[p] == seen)
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}

static void front(void) {
  char path[64], v[32];
  /* Our grant table, mapped at one of our pages. */
  xen_pfn_t frame = 0;
  struct gnttab_setup_table st = {.dom = DOMID_SELF, .nr_frames = 1};
  set_xen_guest_handle(st.frame_list, &frame);
  PV_EXPECT(HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1), 0);
  PV_EXPECT(st.status, GNTST_okay);
  PV_EXPECT(HYPERVISOR_update_va_mapping((uint32_t)gnttab_page, ((uint64_t)frame << 12) | PTE_P | PTE_RW | PTE_A | PTE_D,
                                         UVMF_INVLPG),
            0);
  grant_entry_v1_t *gt = (grant_entry_v1_t *)gnttab_page;
  /* Grants: the ring (read-write), a page read-only, one for another domain. */
  gt[REF_RING].domid = (domid_t)peer;
  gt[REF_RING].frame = pv_virt_to_mfn(ring_page);
  gt[REF_RO].domid = (domid_t)peer;
  gt[REF_RO].frame = pv_virt_to_mfn(ro_page);
  gt[REF_OTHER].domid = (domid_t)(peer + 5);
  gt[REF_OTHER].frame = pv_virt_to_mfn(ro_page);
  __asm__ volatile("" ::: "memory");
  gt[REF_RING].flags = GTF_permit_access;
  gt[REF_RO].flags = GTF_permit_access | GTF_readonly;
  gt[REF_OTHER].flags = GTF_permit_access;
  ((volatile uint32_t *)ro_page)[0] = 0xfeedface;
  /* The channel and the store entries. */
  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = (domid_t)peer};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a), 0);
  port = a.port;
  snprintf(v, sizeof v, "%u", REF_RING);
  PV_EXPECT(pv_xs_write(0, "ring/ref", v), 0);
  snprintf(v, sizeof v, "%u", port);
  PV_EXPECT(pv_xs_write(0, "ring/port", v), 0);
  /* The backend may read the ring's details and write its state. */
  char me[64], rd[16], bd[16];
  PV_EXPECT(pv_xs_read(0, "domid", v, sizeof v), 0);
  snprintf(me, sizeof me, "n%s", v);
  snprintf(rd, sizeof rd, "r%u", peer);
  snprintf(bd, sizeof bd, "b%u", peer);
  static const char *const nodes[4] = {"ring", "ring/ref", "ring/port", "ring/state"};
  PV_EXPECT(pv_xs_write(0, "ring/state", "init"), 0);
  for (uint32_t k = 0; k < 4; k++) {
    const char *perms[3] = {nodes[k], me, k == 3 ? bd : rd};
    uint32_t lens[3] = {(uint32_t)strlen(nodes[k]) + 1, (uint32_t)strlen(me) + 1, (uint32_t)strlen(perms[2]) + 1}, len;
    PV_EXPECT(pv_xs_request(XS_SET_PERMS, 0, perms, lens, 3, path, sizeof path, &len), 0);
  }
  PV_EXPECT(pv_xs_write(0, "ring/state", "ready"), 0);

  /* Requests: k*k; the backend answers k*k + 1. */
  struct ring *r = (struct ring *)ring_page;
  uint32_t got = 0, bad = 0;
  for (uint32_t k = 0; k < N_REQ; k++) {
    while (r->req_prod - r->req_cons >= 64)
      HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    r->req[r->req_prod % 64] = k * k;
    __asm__ volatile("" ::: "memory");
    r->req_prod++;
    notify(port);
    while (r->rsp_cons != r->rsp_prod) {
      bad += r->rsp[r->rsp_cons % 64] != got * got + 1;
      r->rsp_cons++;
      got++;
    }
  }
  while (got < N_REQ) {
    uint32_t seen = pv_port_count[port];
    while (r->rsp_cons != r->rsp_prod) {
      bad += r->rsp[r->rsp_cons % 64] != got * got + 1;
      r->rsp_cons++;
      got++;
    }
    if (got < N_REQ)
      wait_port(port, seen);
  }
  PV_EXPECT(bad, 0);
  pv_printf("ring: frontend got %u answers\n", got);
  /* While mapped, the entry says so; after the backend unmaps, not. */
  PV_EXPECT(gt[REF_RING].flags & (GTF_reading | GTF_writing), GTF_reading | GTF_writing);
  PV_EXPECT(pv_xs_write(0, "ring/state", "done"), 0);
  pv_xs_wait_for("ring/state", "unmapped");
  PV_EXPECT(gt[REF_RING].flags & (GTF_reading | GTF_writing), 0);
  gt[REF_RING].flags = 0;
}

static long map(uint32_t ref, uint32_t dom, uint32_t va, uint32_t flags, uint32_t *handle) {
  struct gnttab_map_grant_ref m = {.host_addr = va, .flags = flags, .ref = ref, .dom = (domid_t)dom};
  long rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &m, 1);
  if (rc)
    return rc;
  if (handle)
    *handle = m.handle;
  return m.status;
}

static long unmap(uint32_t va, uint32_t handle) {
  struct gnttab_unmap_grant_ref u = {.host_addr = va, .dev_bus_addr = 0, .handle = handle};
  long rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1);
  return rc ? rc : u.status;
}

static void back(void) {
  char path[64], v[32];
  snprintf(path, sizeof path, "/local/domain/%u/ring/state", peer);
  pv_xs_wait_for(path, "ready");
  snprintf(path, sizeof path, "/local/domain/%u/ring/ref", peer);
  PV_EXPECT(pv_xs_read(0, path, v, sizeof v), 0);
  uint32_t ref = (uint32_t)strtoul(v, NULL, 10);
  snprintf(path, sizeof path, "/local/domain/%u/ring/port", peer);
  PV_EXPECT(pv_xs_read(0, path, v, sizeof v), 0);
  uint32_t rport = (uint32_t)strtoul(v, NULL, 10);
  uint32_t va = (uint32_t)map_area[0], va2 = (uint32_t)map_area[1], h = 0, h2 = 0;

  /* The grant rules. */
  PV_EXPECT(map(ref, peer, va, 0, NULL), GNTST_bad_gntref);               /* neither host nor device */
  PV_EXPECT(map(5000, peer, va, GNTMAP_host_map, NULL), GNTST_bad_gntref); /* past the table */
  PV_EXPECT(map(ref, 6, va, GNTMAP_host_map, NULL), GNTST_bad_domain);
  PV_EXPECT(map(REF_OTHER, peer, va, GNTMAP_host_map, NULL), GNTST_general_error); /* granted to another */
  PV_EXPECT(map(11, peer, va, GNTMAP_host_map, NULL), GNTST_general_error);        /* not granted */
  PV_EXPECT(map(REF_RO, peer, va2, GNTMAP_host_map, NULL), GNTST_general_error);   /* write of a r/o grant */
  PV_EXPECT(map(REF_RO, peer, 0x1000, GNTMAP_host_map | GNTMAP_readonly, NULL), GNTST_general_error); /* no L1 */
  PV_EXPECT(map(REF_RO, peer, va2, GNTMAP_host_map | GNTMAP_readonly, &h2), GNTST_okay);
  PV_EXPECT(*(volatile uint32_t *)va2, 0xfeedface);
  PV_EXPECT(unmap(va2, 99), GNTST_bad_handle);
  PV_EXPECT(unmap(va, h2), GNTST_general_error); /* va does not map that frame */
  PV_EXPECT(unmap(va2, h2), GNTST_okay);
  PV_EXPECT(unmap(va2, h2), GNTST_bad_handle);
  PV_EXPECT(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, (void *)0x1000, 1), -EFAULT);
  PV_EXPECT(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, (void *)va, 513), -EINVAL);
  PV_EXPECT(HYPERVISOR_grant_table_op(GNTTABOP_copy, (void *)va, 1), -ENOSYS);
  struct gnttab_query_size q = {.dom = DOMID_SELF};
  PV_EXPECT(HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1), 0);
  PV_EXPECT(q.nr_frames, 1);
  PV_EXPECT(q.max_nr_frames, 4);
  struct gnttab_setup_table st = {.dom = DOMID_SELF, .nr_frames = 5};
  PV_EXPECT(HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1), 0);
  PV_EXPECT(st.status, GNTST_general_error);

  /* The ring. */
  PV_EXPECT(map(ref, peer, va, GNTMAP_host_map, &h), GNTST_okay);
  struct evtchn_bind_interdomain b = {.remote_dom = (domid_t)peer, .remote_port = rport};
  PV_EXPECT(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b), 0);
  port = b.local_port;
  struct ring *r = (struct ring *)va;
  uint32_t served = 0;
  while (served < N_REQ) {
    uint32_t seen = pv_port_count[port];
    while (r->req_cons != r->req_prod) {
      uint32_t x = r->req[r->req_cons % 64];
      r->req_cons++;
      r->rsp[r->rsp_prod % 64] = x + 1;
      __asm__ volatile("" ::: "memory");
      r->rsp_prod++;
      served++;
    }
    notify(port);
    if (served < N_REQ)
      wait_port(port, seen);
  }
  pv_printf("ring: backend answered %u requests\n", served);
  snprintf(path, sizeof path, "/local/domain/%u/ring/state", peer);
  pv_xs_wait_for(path, "done");
  PV_EXPECT(unmap(va, h), GNTST_okay);
  PV_EXPECT(pv_xs_write(0, path, "unmapped"), 0);
  PV_EXPECT(pv_xs_write(0, "/local/domain/99/x", "y"), (pv_si->flags & SIF_PRIVILEGED) ? 0 : -EACCES);
}

void test_main(void) {
  const char *cmd = (const char *)pv_si->cmd_line;
  pv_map_shared_info();
  pv_install_traps();
  pv_vcpu->evtchn_upcall_mask = 0;
  pv_xs_init();
  peer = (uint32_t)strtoul(cmd + strcspn(cmd, " ") , NULL, 10);
  if (strncmp(cmd, "front", 5) == 0)
    front();
  else if (strncmp(cmd, "back", 4) == 0)
    back();
  else
    pv_expect("role on the command line", 0, 1);
  if (pv_failures == 0)
    pv_printf("xen_ring %s: PASS\n", strncmp(cmd, "front", 5) == 0 ? "front" : "back");
}
