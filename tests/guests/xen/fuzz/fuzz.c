/* tests/guests/xen/fuzz - seeded random hypercalls, arguments and
 * page-table entries ("SEED COUNT" on the command line), to show that no
 * argument crashes the hypervisor or corrupts its accounting: run with the
 * hypervisor's audit (audit=N checks every frame's counts after every N
 * hypercalls and stops the run on a discrepancy) and beside the victim
 * domain, which checks its memory and time.
 *
 * The fuzzer keeps itself alive: page-table entries and mmu_update
 * pointers go to a sandbox (an L1 of its own at virtual 2-4 MiB, a few
 * data and table frames) or to targets the hypervisor must refuse (its own
 * frames, the slot-3 L2's hypervisor slots, the L3's slot 3, another
 * domain's frames, frames that do not exist); it never shuts down, blocks,
 * changes its base pointer or trap table, or irets through the hypervisor
 * at random. Everything else is fair: numbers, commands, counts, flags,
 * pointers (its buffers, unmapped, read-only, the hypervisor's). */
#include "pv.h"

#include <xen/grant_table.h>
#include <xen/physdev.h>

#define SANDBOX_VA 0x00200000u
#define N_DATA 12
#define N_PT 4

static uint32_t rng;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
static uint32_t below(uint32_t n) { return rnd() % n; }

static uint32_t sandbox_l1, data[N_DATA], pts[N_PT], own_pt[6];
static uint32_t other_mfn;
static uint8_t buf[8192] __attribute__((aligned(4096)));
static uint32_t results[64]; /* by -errno, [0] success */
static mmu_update_t mc_req;   /* a multicall member's mmu_update request */
static uint8_t scratch[8192];  /* where multicall members' pointers go */

static uint32_t pick_frame(void) {
  switch (below(8)) {
  case 0: case 1: case 2: return data[below(N_DATA)];
  case 3: return pts[below(N_PT)];
  case 4: return own_pt[below(6)];
  case 5: return 0x100 + below(0x200); /* the hypervisor's */
  case 6: return other_mfn + below(64);
  default: return rnd() & 0xFFFFF;
  }
}

static uint64_t pick_pte(void) {
  uint64_t flags = rnd() & 0xFFF;
  if (below(4))
    flags &= 0x067; /* mostly valid-looking */
  uint64_t high = below(16) == 0 ? ((uint64_t)rnd() << 32) & 0xFFF0000000000000ull : 0;
  return ((uint64_t)pick_frame() << 12) | flags | high;
}

/* Any value but one inside our image (structure fields may be pointers). */
static uint32_t away_from_image(uint32_t p) {
  return p >= PV_VIRT_BASE && p < PV_VIRT_BASE + 0x400000u ? (uint32_t)buf + (p & 0xFFF) : p;
}

/* A pointer argument: our buffer, unmapped, read-only, the hypervisor's,
 * or anything else but the rest of our image (what the hypervisor writes
 * through a pointer lands there: the fuzzer would overwrite its own code,
 * console ring or shared info, and die of it, as any guest would). */
static uint32_t pick_ptr(void) {
  switch (below(8)) {
  case 0: case 1: case 2: case 3: return (uint32_t)buf + (below(4) ? 0 : below(4096));
  case 4: return below(2) ? 0 : 0x1000 + below(0x100000);
  case 5: return pv_si->pt_base; /* read-only to us */
  case 6: return 0xF5800000u + below(0x0A800000u);
  default:
    return away_from_image(rnd());
  }
}

static uint32_t pick_value(void) {
  switch (below(6)) {
  case 0: return below(4);
  case 1: return below(64);
  case 2: return pick_ptr();
  case 3: return 0xFFFFFFFFu - below(4);
  case 4: return DOMID_SELF + below(8);
  default: return away_from_image(rnd());
  }
}

/* The page-table update targets that are either ours to play with or must
 * be refused. */
/* A frame that is not ours: the hypervisor's, another domain's, none. */
static uint32_t pick_foreign_frame(void) {
  return below(3) == 0 ? 0x100 + below(0x200) : below(2) ? other_mfn + below(64) : 0x80000 + below(0x7FFFF);
}

static uint64_t pick_pt_target(void) {
  switch (below(8)) {
  case 0: case 1: case 2: return ((uint64_t)sandbox_l1 << 12) + below(512) * 8;
  case 3: return ((uint64_t)pts[below(N_PT)] << 12) + below(512) * 8;
  case 4: return ((uint64_t)own_pt[4] << 12) + (428 + below(84)) * 8; /* slot-3 L2, hypervisor slots */
  case 5: return ((uint64_t)own_pt[0] << 12) + 3 * 8;                  /* L3 slot 3 */
  case 6: return ((uint64_t)data[below(N_DATA)] << 12) + below(512) * 8;
  default: /* frames that are not ours */
    return ((uint64_t)pick_foreign_frame() << 12) + below(512) * 8 + (below(8) ? 0 : below(8));
  }
}

/* Virtual addresses for update_va_mapping and INVLPG: the sandbox, or
 * where the call must fail (no L1 below 2 MiB, the hypervisor's range). */
static uint32_t pick_va(void) {
  switch (below(4)) {
  case 0: case 1: return SANDBOX_VA + below(512) * 4096;
  case 2: return below(512) * 4096;
  default: return 0xF5800000u + below(0x0A800) * 4096;
  }
}

static void fill_random(void *p, uint32_t n) {
  uint32_t *w = p;
  for (uint32_t k = 0; k < n / 4; k++)
    w[k] = pick_value();
}

static long one_call(void) {
  uint32_t op = below(24);
  switch (op) {
  case 0: case 1: case 2: { /* mmu_update */
    mmu_update_t *u = (mmu_update_t *)buf;
    uint32_t n = below(8) + 1;
    for (uint32_t k = 0; k < n; k++) {
      u[k].ptr = pick_pt_target() | (below(6) ? 0 : below(8));
      u[k].val = below(8) ? pick_pte() : MMU_MACHPHYS_UPDATE;
    }
    uint32_t count = below(16) ? n : pick_value();
    return HYPERVISOR_mmu_update(u, count, below(2) ? (uint32_t *)(buf + 4096) : (uint32_t *)pick_ptr(),
                                 below(8) ? DOMID_SELF : pick_value() & 0xFFFF);
  }
  case 3: case 4: { /* update_va_mapping in the sandbox or where it must fail */
    uint32_t va = pick_va();
    uint32_t flags = below(4) ? below(8) : pick_value();
    return HYPERVISOR_update_va_mapping(va, pick_pte(), flags & ~(uint32_t)3 ? ((uint32_t)buf | (flags & 3)) : flags);
  }
  case 5: { /* mmuext_op, never a new base pointer */
    struct mmuext_op *m = (struct mmuext_op *)buf;
    uint32_t n = below(4) + 1;
    for (uint32_t k = 0; k < n; k++) {
      do
        m[k].cmd = below(24);
      while (m[k].cmd == MMUEXT_NEW_BASEPTR || m[k].cmd == MMUEXT_NEW_USER_BASEPTR);
      m[k].arg1.mfn = below(2) ? pts[below(N_PT)] : pick_frame();
      if (m[k].cmd == MMUEXT_SET_LDT || m[k].cmd == MMUEXT_INVLPG_LOCAL || m[k].cmd == MMUEXT_INVLPG_ALL)
        m[k].arg1.linear_addr = below(4) ? pick_va() : pick_ptr();
      m[k].arg2.nr_ents = below(2) ? below(64) : pick_value();
    }
    return HYPERVISOR_mmuext_op(m, below(16) ? n : pick_value(), (uint32_t *)(buf + 4096),
                                below(8) ? DOMID_SELF : pick_value() & 0xFFFF);
  }
  case 6: { /* multicall of harmless members */
    multicall_entry_t *mc = (multicall_entry_t *)buf;
    uint32_t n = below(2) ? below(6) : 256; /* 256: the whole buffer */
    static const uint32_t safe[] = {__HYPERVISOR_xen_version, __HYPERVISOR_mmu_update, __HYPERVISOR_vm_assist,
                                    __HYPERVISOR_multicall, 60, 200};
    for (uint32_t k = 0; k < n; k++) {
      mc[k].op = safe[below(sizeof safe / sizeof safe[0])];
      for (uint32_t a = 0; a < 6; a++) {
        /* Members write through their pointers: not into the list itself. */
        uint32_t v = pick_value();
        if (v >= (uint32_t)buf && v < (uint32_t)buf + sizeof buf)
          v = (uint32_t)scratch + (v - (uint32_t)buf);
        mc[k].args[a] = v;
      }
      if (mc[k].op == __HYPERVISOR_mmu_update)
        mc[k].args[3] = DOMID_SELF, mc[k].args[0] = (uint32_t)&mc_req, mc[k].args[1] = 1;
    }
    mc_req.ptr = pick_pt_target(); /* outside buf: the list may fill it */
    mc_req.val = pick_pte();
    /* The list is ours or unreadable: readable random memory would be
     * random hypercalls (shutdown among them). */
    uint32_t bad = below(2) ? 0x1000 + below(0x100000) : 0xF5800000u + below(0x0A800000u);
    uint32_t count = below(8) ? n : 0x08000000u + below(0x78000000u); /* or a byte size past 4 GiB */
    return HYPERVISOR_multicall(below(8) ? mc : (multicall_entry_t *)bad, count);
  }
  case 7: case 8: /* event channels */
    fill_random(buf, 64);
    if (below(2))
      ((uint32_t *)buf)[0] = below(2) ? DOMID_SELF : below(3);
    return HYPERVISOR_event_channel_op(below(14), below(8) ? buf : (void *)pick_ptr());
  case 9: /* grant tables */
    fill_random(buf, 256);
    return HYPERVISOR_grant_table_op(below(14), below(8) ? buf : (void *)pick_ptr(), below(4) ? below(4) : pick_value());
  case 10: /* xen_version */
    return HYPERVISOR_xen_version(below(16), (void *)pick_ptr());
  case 11: { /* memory_op with our sandbox frames */
    struct xen_memory_reservation *r = (struct xen_memory_reservation *)buf;
    xen_pfn_t *list = (xen_pfn_t *)(buf + 1024);
    for (uint32_t k = 0; k < 8; k++)
      list[k] = below(2) ? data[below(N_DATA)] : pick_foreign_frame();
    set_xen_guest_handle(r->extent_start, below(8) ? list : (xen_pfn_t *)pick_ptr());
    r->nr_extents = below(8) ? below(8) : pick_value();
    r->extent_order = below(8) ? 0 : below(12);
    r->mem_flags = 0;
    r->domid = below(8) ? DOMID_SELF : (domid_t)pick_value();
    return HYPERVISOR_memory_op(below(24) | (below(8) ? 0 : rnd() << 6), below(8) ? (void *)r : (void *)pick_ptr());
  }
  case 12: /* vcpu_op, but no vcpu_info move */
    fill_random(buf, 64);
    {
      uint32_t cmd = below(16);
      if (cmd == VCPUOP_register_vcpu_info)
        cmd = VCPUOP_is_up;
      return HYPERVISOR_vcpu_op(cmd, below(4) ? 0 : (int)pick_value(), below(4) ? buf : (void *)pick_ptr());
    }
  case 13: { /* sched_op: yield, poll that returns, unknown */
    uint32_t cmd = below(3);
    if (cmd == 0)
      return HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    if (cmd == 1) {
      /* Always with a timeout in the past: a poll that may not return
       * would stop the fuzzer, not the hypervisor. */
      struct sched_poll *p = (struct sched_poll *)buf;
      set_xen_guest_handle(p->ports, below(8) ? (evtchn_port_t *)(buf + 64) : (evtchn_port_t *)pick_ptr());
      fill_random(buf + 64, 32);
      p->nr_ports = below(8) ? below(8) : pick_value();
      p->timeout = 1;
      return HYPERVISOR_sched_op(SCHEDOP_poll, p);
    }
    return HYPERVISOR_sched_op(8 + below(100), (void *)pick_ptr());
  }
  case 14: /* one-shot timer anywhere (no port bound: nothing follows) */
    return HYPERVISOR_set_timer_op(((uint64_t)pick_value() << 32) | pick_value());
  case 15: /* vm_assist */
    return HYPERVISOR_vm_assist(below(4), below(40));
  case 16: { /* numbers the table (hv/hypercalls.def) does not have */
    uint32_t nr = below(2) ? 34 + below(30) : pick_value();
    switch (nr) {
#define HYPERCALL(n, name, args) case n:
#include "hypercalls.def"
#undef HYPERCALL
      nr += 64; /* implemented: the cases above exercise it */
      break;
    default:
      break;
    }
    return pv_hypercall_int82(nr, pick_value(), pick_value(), pick_value(), pick_value(), pick_value());
  }
  case 17: { /* update_descriptor in our data frames or where it must fail */
    uint64_t ma = ((uint64_t)(below(2) ? data[below(N_DATA)] : pick_foreign_frame()) << 12) + below(512) * 8 +
                  (below(8) ? 0 : below(8));
    return HYPERVISOR_update_descriptor(ma, ((uint64_t)rnd() << 32) | rnd());
  }
  case 18: { /* set_gdt from sandbox frames */
    uint32_t *frames = (uint32_t *)buf;
    for (uint32_t k = 0; k < 14; k++)
      frames[k] = below(2) ? data[below(N_DATA)] : pick_foreign_frame();
    return HYPERVISOR_set_gdt(below(8) ? frames : (uint32_t *)pick_ptr(), below(4) ? below(2048) : pick_value());
  }
  case 19: /* physdev_op */
    fill_random(buf, 16);
    return HYPERVISOR_physdev_op(below(40), below(8) ? buf : (void *)pick_ptr());
  case 20: { /* callback_op: never the failsafe callback */
    struct callback_register *c = (struct callback_register *)buf;
    fill_random(c, sizeof *c);
    if (c->type == CALLBACKTYPE_failsafe)
      c->type = CALLBACKTYPE_nmi;
    return HYPERVISOR_callback_op(below(4), below(8) ? (void *)c : (void *)pick_ptr());
  }
  case 21: /* fpu_taskswitch, stack_switch: harmless in ring 1 here */
    return below(2) ? HYPERVISOR_fpu_taskswitch((int)below(2)) : HYPERVISOR_stack_switch(pick_value(), pick_value());
  case 22: /* set_trap_table: only entries it must refuse */
    ((struct trap_info *)buf)[0] = (struct trap_info){.vector = (uint8_t)rnd(), .flags = 0, .cs = 0xe008,
                                                     .address = pick_value() | 1};
    {
      /* Ours (with the refused entry) or unreadable: random readable memory
       * would install random handlers, and NULL clears the table. */
      uint32_t p = below(2) ? (uint32_t)buf : below(2) ? 0x1000 + below(0x100000) : 0xF5800000u + below(0x0A800000u);
      return HYPERVISOR_set_trap_table((struct trap_info *)p);
    }
  default: /* console_io (refused: not domain 0) */
    return HYPERVISOR_console_io((int)below(4), (int)pick_value(), (const char *)pick_ptr());
  }
}

void pv_trap(struct pv_regs *r) {
  pv_printf("fuzz: FAIL unexpected trap %u at %08x\n", r->vector, r->eip);
  pv_exit(0);
}

static void setup(void) {
  /* Frames past the bootstrap area: a sandbox L1 and the fuzzer's frames. */
  uint32_t pfn = 1024;
  sandbox_l1 = pv_pfn_to_mfn(pfn++);
  for (uint32_t k = 0; k < N_DATA; k++)
    data[k] = pv_pfn_to_mfn(pfn++);
  for (uint32_t k = 0; k < N_PT; k++)
    pts[k] = pv_pfn_to_mfn(pfn++);
  const uint64_t *l3 = (const uint64_t *)pv_si->pt_base;
  own_pt[0] = pv_virt_to_mfn((void *)pv_si->pt_base);
  for (uint32_t s = 0; s < 4; s++)
    own_pt[1 + s] = (uint32_t)(l3[s] >> 12);
  own_pt[5] = (uint32_t)(pv_pte_machine_address(0xC0000000) >> 12);
  other_mfn = pv_pfn_to_mfn(pv_si->nr_pages - 1) - 128;
  /* Hang the (empty) sandbox L1 at virtual 2 MiB. */
  mmu_update_t u = {.ptr = ((uint64_t)own_pt[1] << 12) + 8, .val = ((uint64_t)sandbox_l1 << 12) | PTE_P | PTE_RW | PTE_A};
  if (HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF) != 0) {
    pv_puts("fuzz: FAIL setting up the sandbox\n");
    pv_exit(0);
  }
}

void test_main(void) {
  const char *cmd = (const char *)pv_si->cmd_line;
  char *end;
  rng = (uint32_t)strtoul(cmd, &end, 0);
  uint32_t count = (uint32_t)strtoul(end, NULL, 0);
  if (!rng)
    rng = 1;
  if (!count)
    count = 1000;
  pv_map_shared_info();
  pv_install_traps();
  setup();
  pv_printf("fuzz: seed %s, %u calls\n", cmd, count);
  for (uint32_t i = 1; i <= count; i++) {
    long rc = one_call();
    uint32_t e = rc < 0 && rc > -64 ? (uint32_t)-rc : 0;
    results[e]++;
    if (i % 10000 == 0)
      pv_printf("fuzz: %u calls\n", i);
  }
  pv_printf("fuzz: done: %u succeeded, EINVAL %u, EFAULT %u, ENOSYS %u, EPERM %u, ESRCH %u, other %u\n", results[0],
            results[EINVAL], results[EFAULT], results[ENOSYS], results[EPERM], results[ESRCH],
            count - results[0] - results[EINVAL] - results[EFAULT] - results[ENOSYS] - results[EPERM] - results[ESRCH]);
  pv_puts("xen_fuzz: PASS\n");
}
