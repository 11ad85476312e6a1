/* hv/audit.c - an audit of every frame's reference and type counts
 * against what the domains' state implies (the counts recomputed from
 * scratch: allocations, the entries of validated page tables, pins, base
 * pointers, GDT and LDT frames, registered vcpu_info pages), plus the type
 * invariants (a page table in use is validated and is not writable
 * anywhere). With the option audit=N it runs after every N hypercalls and
 * stops the run (verdict 9) at the first discrepancy; audit_corrupt=N
 * corrupts one count on purpose after N hypercalls, so a test can see the
 * audit catch it. */
#include "domain.h"

static uint32_t exp_count[HV_MAX_MFNS], exp_type[HV_MAX_MFNS];
static uint32_t calls;
uint32_t hv_audit_corrupt_at;

static void ref(uint32_t mfn, int type) {
  if (mfn < HV_MAX_MFNS) {
    exp_count[mfn]++;
    if (type)
      exp_type[mfn]++;
  }
}

int hv_audit(int verbose) {
  memset(exp_count, 0, sizeof exp_count);
  memset(exp_type, 0, sizeof exp_type);
  for (uint32_t m = 0; m < hv_max_mfn; m++) {
    struct hv_page *pg = &hv_frames[m];
    if (pg->owner >= HV_MAX_DOMAINS)
      continue;
    if (pg->flags & HV_PGF_ALLOCATED)
      exp_count[m]++;
    if (pg->flags & HV_PGF_PINNED)
      ref(m, 1);
    if (!(pg->flags & HV_PGF_VALIDATED))
      continue;
    hv_pte_t *t = hv_mfn_to_virt(m);
    uint32_t n = pg->type == HV_PGT_L3 ? 4 : 512;
    if (pg->type < HV_PGT_L1 || pg->type > HV_PGT_L3)
      continue;
    for (uint32_t i = 0; i < n; i++) {
      hv_pte_t e = t[i];
      if (!(e & PTE_P))
        continue;
      uint32_t target = (uint32_t)(e >> 12);
      if (pg->type == HV_PGT_L1) {
        if (target < hv_max_mfn && hv_frames[target].owner != HV_OWNER_NONE)
          ref(target, (e & PTE_RW) != 0);
      } else if (pg->type == HV_PGT_L2) {
        if ((pg->flags & HV_PGF_PAE_XEN_L2) && i >= HV_FIRST_HV_L2_SLOT)
          continue;
        if (target != m)
          ref(target, 1);
      } else if (target != m) {
        ref(target, 1);
      }
    }
  }
  for (uint32_t k = 0; k < hv_n_domains; k++) {
    struct hv_domain *d = &hv_domains[k];
    if (!d->exists || d->destroyed || d->shutdown_reason >= 0)
      continue;
    struct hv_vcpu *v = hv_vcpu(d);
    if (v->cr3_mfn)
      ref(v->cr3_mfn, 1);
    for (uint32_t g = 0; g < v->gdt_frames; g++)
      ref(v->gdt_mfns[g], 1);
    for (uint32_t l = 0; l < v->ldt_mapped; l++)
      ref(v->ldt_mfns[l], 1);
    if (v->info_mfn)
      ref(v->info_mfn, 1);
  }
  int bad = 0;
  for (uint32_t m = 0; m < hv_max_mfn; m++) {
    struct hv_page *pg = &hv_frames[m];
    if (pg->owner >= HV_MAX_DOMAINS)
      continue;
    const char *why = NULL;
    if (pg->count != exp_count[m])
      why = "reference count";
    else if (pg->type_count != exp_type[m])
      why = "type count";
    else if (pg->type >= HV_PGT_L1 && pg->type <= HV_PGT_L3 && pg->type_count && !(pg->flags & HV_PGF_VALIDATED))
      why = "page table in use but not validated";
    else if (pg->type >= HV_PGT_L1 && pg->type <= HV_PGT_L3 && !pg->type_count && (pg->flags & HV_PGF_VALIDATED))
      why = "validated page table with no references";
    if (why) {
      if (verbose && bad < 5)
        hv_printf("(XEN) audit: mfn 0x%x (domain %u, type %u): %s: count %u (expected %u), type count %u "
                  "(expected %u)\n",
                  m, pg->owner, pg->type, why, pg->count, exp_count[m], pg->type_count, exp_type[m]);
      bad++;
    }
  }
  return bad;
}

void hv_audit_tick(void) {
  calls++;
  if (hv_audit_corrupt_at && calls == hv_audit_corrupt_at && hv_current) {
    uint32_t m = hv_vcpu(hv_current)->cr3_mfn;
    hv_printf("(XEN) audit_corrupt: adding a reference to mfn 0x%x on purpose\n", m);
    hv_frames[m].type_count++;
  }
  if (hv_opts.audit && calls % hv_opts.audit == 0) {
    int bad = hv_audit(1);
    if (bad)
      hv_panic("audit failed after %u hypercalls: %d frame%s wrong", calls, bad, bad == 1 ? "" : "s");
  }
}
