/* tests/guests/apic/apic.c - the local APIC (SDM vol. 3, chapter 10), as
 * the firmware leaves it and as a kernel programs it.
 *
 * In order:
 *   1. IA32_APIC_BASE (MSR 0x1B) reads without #GP: 0xFEE00000, enabled,
 *      BSP; CPUID.01H:EDX.APIC; the version register (P6 0x11 with 5 LVT
 *      entries, xAPIC 0x14 with 6); ID 0; the firmware's virtual-wire mode
 *      (software-enabled, LINT0 ExtINT, LINT1 NMI); the spurious vector
 *      (the P6's bits 3-0 read 1).
 *   2. Self IPIs: with IF = 0 a self IPI waits in the IRR, the ICR's
 *      delivery status clears; with IF = 1 it is delivered, in service in
 *      its handler with PPR = its class; EOI ends it. All-including-self,
 *      physical destination (own ID), logical flat and cluster
 *      destinations; a logical destination that is not this APIC's: not
 *      delivered.
 *   3. Priorities: three pending vectors are taken highest first; within a
 *      handler (PPR = its class) a vector of the same class waits for the
 *      EOI while a higher class nests; TPR 0x50 holds 0x45 and 0x55, 0x4F
 *      lets 0x55 through (class 5 above class 4) but not 0x45.
 *   4. EOI ends the highest in-service vector only (nested 0x80 in 0x70).
 *   5. NMI through the ICR (physical, own ID), taken with IF = 0.
 *   6. The timer: one-shot (one interrupt, then the count stays 0),
 *      periodic (regular intervals, the count reloads), masked (counts,
 *      no interrupt), the divide register (divide by 2 counts half as
 *      fast as by 1, by 16 a sixteenth).
 *   7. Virtual-wire mode: the 8259A's IRQ 0 arrives through LINT0
 *      (ExtINT); with LINT0 masked it does not (it waits in the PIC's IRR);
 *      unmasked it does.
 *   ringlab only (skipped when the command line says "qemu"):
 *   8. Software disable (SVR bit 8 clear): every LVT entry reads masked and
 *      cannot be unmasked; enabled again, entries stay masked until written
 *      (SDM 10.4.7.2; QEMU 7.2 leaves the entries as they were).
 *   9. A spurious interrupt: a self IPI raises INTR with IF = 0, the TPR
 *      then masks it: the INTA gets the spurious vector, nothing goes in
 *      service (SDM 10.9); QEMU lowers INTR when the TPR rises instead.
 *  10. The error status register: illegal vectors sent and received, an
 *      illegal register, the P6's send accept error for an IPI nobody
 *      takes; the error interrupt (LVT error). QEMU's ESR write clears
 *      rather than latches.
 *  11. IA32_APIC_BASE: relocation (the page moves) and global disable
 *      (CPUID.APIC clear, the page gone, the 8259A straight on INTR),
 *      enabled again in its power-on state (QEMU keeps the page at
 *      0xFEE00000).
 * QEMU runs it with -icount shift=0 (its APIC timer on instructions, as
 * ringlab's on cycles).
 */
#include "apic.h"
#include "pic.h"

#define SPIN 3000000
#define V_SPURIOUS 0xEF
#define DIVISOR 2000

static int strict;
static volatile unsigned hits[256];
static volatile unsigned order[32];
static volatile unsigned norder;
static volatile uint32_t seen[8];
static volatile uint64_t tick_tsc[8];
static volatile unsigned ticks;

static void record(unsigned what) {
  if (norder < 32)
    order[norder++] = what;
}

/* Counts, records, EOI. */
static void plain(struct trap_frame *f) {
  hits[f->vector]++;
  record(f->vector);
  apic_eoi();
}

static void spurious(struct trap_frame *f) {
  hits[f->vector]++;
  seen[0] = apic_bit(APIC_ISR, 0x40);
  seen[1] = apic_read(APIC_PPR);
  /* no EOI: nothing is in service */
}

static void in_service(struct trap_frame *f) {
  hits[f->vector]++;
  seen[0] = apic_bit(APIC_ISR, f->vector);
  seen[1] = apic_read(APIC_PPR);
  seen[2] = apic_bit(APIC_IRR, f->vector);
  apic_eoi();
}

/* 0x52: a same-class vector waits, a higher class nests. */
static void class5(struct trap_frame *f) {
  hits[f->vector]++;
  record(0x52);
  apic_ipi(0, APIC_SELF | 0x5A);
  apic_ipi(0, APIC_SELF | 0x62);
  sti();
  for (volatile int k = 0; k < 2000; k++)
    ;
  cli();
  record(0x152); /* the end of 0x52's handler */
  apic_eoi();
}

/* 0x70 with 0x80 nested. */
static void outer70(struct trap_frame *f) {
  hits[f->vector]++;
  apic_ipi(0, APIC_SELF | 0x80);
  sti();
  for (volatile int k = 0; k < 2000; k++)
    ;
  cli();
  seen[4] = apic_bit(APIC_ISR, 0x70);
  apic_eoi();
}

static void inner80(struct trap_frame *f) {
  hits[f->vector]++;
  seen[0] = apic_bit(APIC_ISR, 0x70);
  seen[1] = apic_bit(APIC_ISR, 0x80);
  apic_eoi();
  seen[2] = apic_bit(APIC_ISR, 0x70);
  seen[3] = apic_bit(APIC_ISR, 0x80);
}

static void timer_tick(struct trap_frame *f) {
  uint64_t t = rdtsc();
  hits[f->vector]++;
  if (ticks < 8)
    tick_tsc[ticks] = t;
  ticks++;
  apic_eoi();
}

static void nmi(struct trap_frame *f) { hits[f->vector]++; }

static void irq0(struct trap_frame *f) {
  hits[f->vector]++;
  outb(PIC_MASTER, PIC_EOI);
}

/* Runs with IF = 1 until hits[v] reaches n (or the spin limit). */
static int wait_hits(unsigned v, unsigned n) {
  int ok = 0;
  sti();
  for (long k = 0; k < SPIN && !ok; k++)
    ok = hits[v] >= n;
  cli();
  return ok;
}

/* A short window with IF = 1 for whatever is pending. */
static void open_window(void) {
  sti();
  for (volatile int k = 0; k < 200; k++)
    ;
  cli();
}

/* Waits for n rising edges of the PIT's OUT0 (IF as the caller left it). */
static int wait_periods(unsigned n) {
  int prev = pit_out0();
  for (long spin = 0; spin < SPIN; spin++) {
    int out = pit_out0();
    if (out && !prev && --n == 0)
      return 1;
    prev = out;
  }
  return 0;
}

static uint32_t count_after(uint32_t divide, int loops) {
  apic_write(APIC_TIMER_DIVIDE, divide);
  apic_write(APIC_TIMER_INITIAL, 0xFFFFFFFFu);
  uint32_t c0 = apic_read(APIC_TIMER_CURRENT);
  for (volatile int k = 0; k < loops; k++)
    ;
  return c0 - apic_read(APIC_TIMER_CURRENT);
}

static void firmware_state(void) {
  check_true("the firmware leaves the APIC software-enabled", apic_read(APIC_SVR) & APIC_SVR_ENABLE);
  check_eq("LINT0: ExtINT, unmasked (virtual wire)", apic_read(APIC_LVT_LINT0) & 0x10700, 0x700);
  check_eq("LINT1: NMI", apic_read(APIC_LVT_LINT1) & 0x700, 0x400);
}

void kmain(uint32_t magic, uint32_t info) {
  serial_init();
  strict = !cmdline_has(magic, info, "qemu");
  desc_init();
  kprintf("apic: the local APIC%s\n", strict ? "" : " (under QEMU: ringlab-only parts skipped)");

  /* 1 */
  uint64_t base = rdmsr(MSR_APIC_BASE);
  kprintf("  IA32_APIC_BASE = %#x\n", (uint32_t)base);
  check_eq("IA32_APIC_BASE: base 0xFEE00000", (uint32_t)base & 0xFFFFF000u, APIC_DEFAULT_BASE);
  check_eq("IA32_APIC_BASE: enabled, BSP", (uint32_t)base & (APIC_BASE_EN | APIC_BASE_BSP),
           APIC_BASE_EN | APIC_BASE_BSP);
  uint32_t r[4];
  cpuid(1, r);
  check_true("CPUID.01H:EDX.APIC", r[3] & CPUID_APIC);
  check_eq("CPUID.01H:EBX initial APIC ID", r[1] >> 24, 0);
  uint32_t version = apic_read(APIC_VERSION);
  unsigned max_lvt = (version >> 16) & 0xFF;
  int p6 = max_lvt == 4;
  kprintf("  version register %#x: %s\n", version, p6 ? "the P6's APIC" : "an xAPIC");
  check_true("version: an integrated APIC (0x10-0x15)", (version & 0xFF) >= 0x10 && (version & 0xFF) <= 0x15);
  check_true("max LVT entry 4 (P6) or 5 (xAPIC)", max_lvt == 4 || max_lvt == 5);
  check_eq("the page does not read all ones: ID 0", apic_read(APIC_ID), 0);
  firmware_state();
  apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xE0);
  check_eq("spurious vector 0xE0 written", apic_read(APIC_SVR) & 0x1FF, p6 ? 0x1EF : 0x1E0);
  apic_write(APIC_SVR, APIC_SVR_ENABLE | V_SPURIOUS);
  apic_write(APIC_TPR, 0x35);
  check_eq("TPR reads back", apic_read(APIC_TPR) & 0xFF, 0x35);
  check_eq("PPR = TPR with nothing in service", apic_read(APIC_PPR) & 0xFF, 0x35);
  apic_write(APIC_TPR, 0);

  for (int v = 0x20; v < 0x100; v++)
    trap_set_handler(v, plain);
  trap_set_handler(V_SPURIOUS, spurious);

  /* 2 */
  trap_set_handler(0x40, in_service);
  cli();
  apic_ipi(0, APIC_SELF | 0x40);
  int idle = 0;
  for (int k = 0; k < 1000 && !idle; k++)
    idle = !(apic_read(APIC_ICR_LO) & APIC_DELIVERY_STATUS);
  check_true("ICR delivery status clears", idle);
  check_eq("self IPI with IF = 0: waits in the IRR", apic_bit(APIC_IRR, 0x40), 1);
  check_eq("not delivered yet", hits[0x40], 0);
  check_true("self IPI delivered with IF = 1", wait_hits(0x40, 1));
  check_eq("in service inside its handler", seen[0], 1);
  check_eq("PPR inside the handler: its class", seen[1] & 0xFF, 0x40);
  check_eq("out of the IRR", seen[2], 0);
  check_eq("EOI: nothing in service", apic_bit(APIC_ISR, 0x40), 0);
  check_eq("delivered once", hits[0x40], 1);

  apic_ipi(0, APIC_ALL | 0x41);
  check_true("all-including-self IPI delivered", wait_hits(0x41, 1));
  apic_ipi(0, APIC_DM_FIXED | 0x42);
  check_true("physical destination 0 (own ID) delivered", wait_hits(0x42, 1));
  apic_write(APIC_DFR, 0xFFFFFFFFu);
  apic_write(APIC_LDR, 0x01000000u);
  apic_ipi(0x01, APIC_LOGICAL | 0x43);
  check_true("logical flat destination 0x01 (LDR 0x01) delivered", wait_hits(0x43, 1));
  apic_ipi(0x02, APIC_LOGICAL | 0x44);
  open_window();
  check_eq("logical destination 0x02: not this APIC", hits[0x44] + apic_bit(APIC_IRR, 0x44), 0);
  apic_write(APIC_DFR, 0x0FFFFFFFu);
  apic_write(APIC_LDR, 0x21000000u);
  apic_ipi(0x23, APIC_LOGICAL | 0x46);
  check_true("logical cluster 2 members 0x3 (LDR 0x21) delivered", wait_hits(0x46, 1));
  apic_ipi(0x31, APIC_LOGICAL | 0x47);
  open_window();
  check_eq("logical cluster 3: not this APIC", hits[0x47] + apic_bit(APIC_IRR, 0x47), 0);
  apic_write(APIC_DFR, 0xFFFFFFFFu);
  apic_write(APIC_LDR, 0);
  (void)apic_esr();

  /* 3 */
  norder = 0;
  apic_ipi(0, APIC_SELF | 0x35);
  apic_ipi(0, APIC_SELF | 0x65);
  apic_ipi(0, APIC_SELF | 0x55);
  open_window();
  check_eq("three pending: 0x65 first", order[0], 0x65);
  check_eq("then 0x55", order[1], 0x55);
  check_eq("then 0x35", order[2], 0x35);
  trap_set_handler(0x52, class5);
  norder = 0;
  apic_ipi(0, APIC_SELF | 0x52);
  open_window();
  check_eq("0x52 runs", order[0], 0x52);
  check_eq("a higher class (0x62) nests in it", order[1], 0x62);
  check_eq("the same class (0x5A) waits for the EOI", order[2], 0x152);
  check_eq("then 0x5A", order[3], 0x5A);
  unsigned h45 = hits[0x45], h55 = hits[0x55];
  apic_write(APIC_TPR, 0x50);
  apic_ipi(0, APIC_SELF | 0x45);
  apic_ipi(0, APIC_SELF | 0x55);
  open_window();
  check_eq("TPR 0x50 holds 0x45 and 0x55", hits[0x45] - h45 + hits[0x55] - h55, 0);
  check_eq("both wait in the IRR", apic_bit(APIC_IRR, 0x45) + apic_bit(APIC_IRR, 0x55), 2);
  check_eq("PPR = TPR", apic_read(APIC_PPR) & 0xFF, 0x50);
  apic_write(APIC_TPR, 0x4F);
  open_window();
  check_eq("TPR 0x4F: 0x55 (class 5) delivered", hits[0x55] - h55, 1);
  check_eq("0x45 (class 4) still held", hits[0x45] - h45, 0);
  apic_write(APIC_TPR, 0);
  open_window();
  check_eq("TPR 0: 0x45 delivered", hits[0x45] - h45, 1);

  /* 4 */
  trap_set_handler(0x70, outer70);
  trap_set_handler(0x80, inner80);
  apic_ipi(0, APIC_SELF | 0x70);
  check_true("0x70 with 0x80 nested", wait_hits(0x80, 1));
  check_eq("in 0x80: 0x70 in service", seen[0], 1);
  check_eq("in 0x80: 0x80 in service", seen[1], 1);
  check_eq("EOI in 0x80: 0x70 still in service", seen[2], 1);
  check_eq("EOI in 0x80: 0x80 ended", seen[3], 0);
  check_eq("back in 0x70: still in service", seen[4], 1);
  check_eq("both ended: ISR empty", apic_bit(APIC_ISR, 0x70) + apic_bit(APIC_ISR, 0x80), 0);
  apic_eoi(); /* with nothing in service: harmless */
  check_eq("an EOI with nothing in service changes nothing", apic_read(APIC_PPR) & 0xFF, 0);

  /* 5 */
  trap_set_handler(2, nmi);
  apic_ipi(0, APIC_DM_NMI);
  for (volatile int k = 0; k < 100; k++)
    ;
  check_eq("NMI through the ICR, taken with IF = 0", hits[2], 1);

  /* 6 */
  trap_set_handler(0x50, timer_tick);
  trap_set_handler(0x51, timer_tick);
  apic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_1);
  apic_write(APIC_LVT_TIMER, 0x50);
  apic_write(APIC_TIMER_INITIAL, 200000);
  uint32_t c1 = apic_read(APIC_TIMER_CURRENT);
  for (volatile int k = 0; k < 100; k++)
    ;
  uint32_t c1b = apic_read(APIC_TIMER_CURRENT);
  check_true("one-shot: the count runs down from 200000", c1 <= 200000 && c1b < c1 && c1b > 0);
  check_eq("initial count reads back", apic_read(APIC_TIMER_INITIAL), 200000);
  check_true("one-shot: its interrupt", wait_hits(0x50, 1));
  for (volatile long k = 0; k < 200000; k++)
    ;
  open_window();
  check_eq("one-shot: once", hits[0x50], 1);
  check_eq("one-shot: the count stays 0", apic_read(APIC_TIMER_CURRENT), 0);

  ticks = 0;
  apic_write(APIC_LVT_TIMER, 0x51 | APIC_LVT_PERIODIC);
  apic_write(APIC_TIMER_INITIAL, 50000);
  check_true("periodic: 6 interrupts", wait_hits(0x51, 6));
  uint32_t c2 = apic_read(APIC_TIMER_CURRENT);
  apic_write(APIC_TIMER_INITIAL, 0);
  check_true("periodic: the count reloads (never above the initial count)", c2 > 0 && c2 <= 50000);
  uint32_t d1 = (uint32_t)(tick_tsc[2] - tick_tsc[1]);
  int regular = 1;
  for (int j = 2; j < 5; j++) {
    uint32_t d = (uint32_t)(tick_tsc[j + 1] - tick_tsc[j]);
    if (d > d1 + d1 / 50 || d + d1 / 50 < d1)
      regular = 0;
  }
  kprintf("  periodic: %u TSC ticks between interrupts\n", d1);
  check_true("periodic: regular intervals (within 2%)", regular);
  open_window();
  check_eq("initial count 0 stops it", apic_read(APIC_TIMER_CURRENT), 0);
  unsigned before = hits[0x51];
  apic_write(APIC_LVT_TIMER, 0x51 | APIC_LVT_PERIODIC | APIC_LVT_MASKED);
  apic_write(APIC_TIMER_INITIAL, 10000);
  sti();
  for (volatile long k = 0; k < 100000; k++)
    ;
  cli();
  uint32_t c3 = apic_read(APIC_TIMER_CURRENT);
  check_eq("masked: no interrupt", hits[0x51], before);
  check_true("masked: the count still runs", c3 > 0 && c3 <= 10000);
  apic_write(APIC_TIMER_INITIAL, 0);
  uint32_t by1 = count_after(APIC_DIVIDE_1, 20000);
  uint32_t by2 = count_after(APIC_DIVIDE_2, 20000);
  uint32_t by16 = count_after(APIC_DIVIDE_16, 20000);
  apic_write(APIC_TIMER_INITIAL, 0);
  kprintf("  counted over one loop: %u (divide 1), %u (2), %u (16)\n", by1, by2, by16);
  check_true("divide by 2: half as fast (within 10%)", by2 * 20 >= by1 * 9 && by2 * 20 <= by1 * 11);
  check_true("divide by 16: a sixteenth (within 10%)", by16 * 160 >= by1 * 9 && by16 * 160 <= by1 * 11);

  /* 7 */
  trap_set_handler(PIC_IRQ_BASE, irq0);
  pic_init(0xFE, 0xFF);
  pit_ch0(3, DIVISOR);
  check_true("8259A IRQ 0 through LINT0 (ExtINT)", wait_hits(PIC_IRQ_BASE, 2));
  apic_write(APIC_LVT_LINT0, 0x8700 | APIC_LVT_MASKED);
  before = hits[PIC_IRQ_BASE];
  sti();
  check_true("3 PIT periods", wait_periods(3));
  cli();
  check_eq("LINT0 masked: no IRQ 0", hits[PIC_IRQ_BASE], before);
  check_eq("it waits in the 8259A's IRR", pic_read(PIC_MASTER, PIC_READ_IRR) & 1, 1);
  apic_write(APIC_LVT_LINT0, 0x8700);
  check_true("LINT0 unmasked: IRQ 0 again", wait_hits(PIC_IRQ_BASE, before + 1));
  outb(PIC_MASTER + 1, 0xFF);

  if (!strict)
    check_done("apic");

  /* 8 */
  uint32_t svr = apic_read(APIC_SVR);
  apic_write(APIC_SVR, svr & ~APIC_SVR_ENABLE);
  check_true("software-disabled: LINT0 masked", apic_read(APIC_LVT_LINT0) & APIC_LVT_MASKED);
  check_true("software-disabled: the timer's entry masked", apic_read(APIC_LVT_TIMER) & APIC_LVT_MASKED);
  apic_write(APIC_LVT_LINT0, 0x8700);
  check_true("software-disabled: an entry cannot be unmasked", apic_read(APIC_LVT_LINT0) & APIC_LVT_MASKED);
  apic_write(APIC_SVR, svr);
  check_true("enabled again: still masked", apic_read(APIC_LVT_LINT0) & APIC_LVT_MASKED);
  apic_write(APIC_LVT_LINT0, 0x8700);
  apic_write(APIC_LVT_LINT1, 0x8400);
  firmware_state();

  /* 9 */
  hits[0x40] = 0;
  apic_ipi(0, APIC_SELF | 0x40);
  apic_write(APIC_TPR, 0x50);
  open_window();
  check_eq("TPR raised after INTR: the spurious vector", hits[V_SPURIOUS], 1);
  check_eq("nothing in service for it", seen[0], 0);
  check_eq("0x40 not delivered", hits[0x40], 0);
  apic_write(APIC_TPR, 0);
  open_window();
  check_eq("TPR lowered: 0x40 delivered", hits[0x40], 1);

  /* 10 */
  (void)apic_esr();
  apic_ipi(0, APIC_SELF | 0x05);
  check_eq("a self IPI of vector 5: send and receive illegal vector", apic_esr(), 0x60);
  check_eq("ESR: a write with no new error clears it", apic_esr(), 0);
  (void)apic_read(0x3F0);
  check_eq("a reserved register: illegal register address", apic_esr(), 0x80);
  apic_ipi(0, APIC_OTHERS | 0x40);
  check_eq("all-excluding-self: the P6's send accept error", apic_esr(), p6 ? 0x04 : 0);
  apic_write(APIC_LVT_ERROR, 0x5F);
  apic_ipi(0, APIC_SELF | 0x07);
  check_true("LVT error: the error interrupt", wait_hits(0x5F, 1));
  check_eq("ESR after it", apic_esr(), 0x60);
  apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);

  /* 11 */
  wrmsr(MSR_APIC_BASE, (base & ~0xFFFFF000ull) | 0xFED00000u);
  check_eq("relocated: IA32_APIC_BASE reads it", apic_base(), 0xFED00000u);
  check_eq("relocated: the version at 0xFED00030", *(volatile uint32_t *)0xFED00030u, version);
  check_eq("relocated: nothing at 0xFEE00030", apic_read(APIC_VERSION), 0xFFFFFFFFu);
  wrmsr(MSR_APIC_BASE, base);
  check_eq("moved back", apic_read(APIC_VERSION), version);
  wrmsr(MSR_APIC_BASE, base & ~(uint64_t)APIC_BASE_EN);
  cpuid(1, r);
  check_eq("globally disabled: CPUID.APIC clear", r[3] & CPUID_APIC, 0);
  check_eq("globally disabled: the page is gone", apic_read(APIC_VERSION), 0xFFFFFFFFu);
  pic_init(0xFE, 0xFF);
  check_true("globally disabled: the 8259A straight on INTR", wait_hits(PIC_IRQ_BASE, hits[PIC_IRQ_BASE] + 1));
  outb(PIC_MASTER + 1, 0xFF);
  wrmsr(MSR_APIC_BASE, base);
  cpuid(1, r);
  check_true("enabled again: CPUID.APIC", r[3] & CPUID_APIC);
  check_eq("enabled again: power-on state (SVR 0xFF)", apic_read(APIC_SVR), 0xFF);
  check_true("enabled again: LINT0 masked", apic_read(APIC_LVT_LINT0) & APIC_LVT_MASKED);
  apic_write(APIC_SVR, APIC_SVR_ENABLE | V_SPURIOUS);
  apic_write(APIC_LVT_LINT0, 0x8700);
  apic_write(APIC_LVT_LINT1, 0x8400);
  firmware_state();
  check_done("apic");
}
