/* hv/time.c - time: the TSC calibrated against the 8254, system time in
 * nanoseconds since boot, the one-shot timer interrupt, the wall clock from
 * the CMOS clock, and each domain's vcpu_time_info.
 *
 * The hypervisor owns the PIT and the 8259A pair. Boot measures the TSC
 * over 10 ms of PIT counter 2 (Xen's calibrate_tsc, with port B's gate).
 * System time is then Xen's formula on the TSC, ns = ((tsc - tsc0) <<
 * shift) * mul >> 32 (shift may be negative), with mul and shift from the
 * TSC rate (Xen's set_time_scale); guests get the same mul and shift in
 * their vcpu_time_info and so compute exactly the hypervisor's time.
 *
 * Counter 0 runs in mode 0 (interrupt on terminal count), reprogrammed at
 * each interrupt for the earliest deadline: a domain's one-shot timer or
 * periodic timer, or the end of the running domain's time slice; at most
 * 65535 PIT ticks (~55 ms) ahead.
 *
 * A domain's vcpu_time_info is refreshed when it is switched in and, as
 * Xen's time calibration does every second (EPOCH), for the domain running
 * when a second has passed since the last calibration (checked at each
 * timer interrupt, so up to 50 ms late): a guest that reads system_time
 * without extrapolating from the TSC (GRUB's date) sees it move.
 */
#include "domain.h"

#include <xen/vcpu.h>

#define PIT_HZ 1193182u
#define CALIBRATE_TICKS (PIT_HZ / 100) /* 10 ms */
#define PIC1 0x20
#define PIC2 0xA0

uint64_t hv_tsc_hz;
static uint64_t tsc0;      /* TSC at system time 0 */
static uint32_t scale_mul; /* Xen's tsc_to_system_mul */
static int8_t scale_shift; /* Xen's tsc_shift */
static uint64_t wc_boot_sec; /* Unix time at system time 0 */
uint64_t hv_slice_end_ns;  /* end of the running domain's slice (sched.c), 0: none */

static uint64_t scale_delta(uint64_t delta) {
  if (scale_shift < 0)
    delta >>= -scale_shift;
  else
    delta <<= scale_shift;
  /* (delta * mul) >> 32 with a 96-bit product */
  uint64_t lo = (delta & 0xFFFFFFFFu) * scale_mul;
  uint64_t hi = (delta >> 32) * scale_mul;
  return hi + (lo >> 32);
}

uint64_t hv_now_ns(void) { return scale_delta(hv_rdtsc() - tsc0); }

static void set_time_scale(uint64_t hz) {
  uint64_t tps64 = hz;
  int shift = 0;
  while (tps64 > 2000000000ull) {
    tps64 >>= 1;
    shift--;
  }
  uint32_t tps32 = (uint32_t)tps64;
  while (tps32 <= 1000000000u) {
    tps32 <<= 1;
    shift++;
  }
  scale_mul = (uint32_t)((1000000000ull << 32) / tps32);
  scale_shift = (int8_t)shift;
}

static uint8_t cmos(uint8_t reg) {
  hv_outb(0x70, reg);
  return hv_inb(0x71);
}

static uint32_t bcd(uint8_t v, int binary) { return binary ? v : (v >> 4) * 10 + (v & 15); }

static uint64_t days_from_civil(uint32_t y, uint32_t m, uint32_t d) {
  /* days since 1970-01-01 (proleptic Gregorian) */
  y -= m <= 2;
  uint32_t era = y / 400, yoe = y - era * 400;
  uint32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (uint64_t)era * 146097 + doe - 719468;
}

static void read_rtc(void) {
  for (int spin = 0; spin < 100000 && (cmos(0x0A) & 0x80); spin++)
    ;
  uint8_t b = cmos(0x0B);
  int binary = (b & 0x04) != 0;
  uint32_t sec = bcd(cmos(0x00), binary), min = bcd(cmos(0x02), binary);
  uint8_t h = cmos(0x04);
  uint32_t hour = bcd(h & 0x7F, binary);
  if (!(b & 0x02) && (h & 0x80)) /* 12-hour clock, PM */
    hour = (hour % 12) + 12;
  uint32_t day = bcd(cmos(0x07), binary), mon = bcd(cmos(0x08), binary), year = bcd(cmos(0x09), binary);
  uint32_t century = bcd(cmos(0x32), binary);
  year += century >= 19 && century <= 21 ? century * 100 : (year < 70 ? 2000 : 1900);
  if (mon < 1 || mon > 12 || day < 1 || day > 31)
    mon = day = 1;
  uint64_t t = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
  uint64_t up_s = hv_now_ns() / 1000000000ull;
  wc_boot_sec = t > up_s ? t - up_s : 0;
}

static void pic_init(void) {
  hv_outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 */
  hv_outb(PIC2, 0x11);
  hv_outb(PIC1 + 1, 0x20); /* ICW2: vectors 0x20-0x27 */
  hv_outb(PIC2 + 1, 0x28); /*       and 0x28-0x2F */
  hv_outb(PIC1 + 1, 0x04); /* ICW3: slave on IRQ 2 */
  hv_outb(PIC2 + 1, 0x02);
  hv_outb(PIC1 + 1, 0x01); /* ICW4: 8086 mode */
  hv_outb(PIC2 + 1, 0x01);
  hv_outb(PIC1 + 1, 0xFE); /* only IRQ 0 (the PIT) */
  hv_outb(PIC2 + 1, 0xFF);
}

static uint64_t calibrate_tsc(void) {
  hv_outb(0x61, (hv_inb(0x61) & ~0x02) | 0x01); /* gate 2 high, speaker off */
  hv_outb(0x43, 0xB0);                          /* counter 2, lo/hi, mode 0 */
  hv_outb(0x42, CALIBRATE_TICKS & 0xFF);
  hv_outb(0x42, CALIBRATE_TICKS >> 8);
  uint64_t start = hv_rdtsc();
  uint32_t count = 0;
  while (!(hv_inb(0x61) & 0x20) && count < 100000000u)
    count++;
  uint64_t end = hv_rdtsc();
  if (count == 0)
    hv_panic("the PIT's counter 2 does not count: cannot calibrate the TSC");
  return (end - start) * PIT_HZ / CALIBRATE_TICKS;
}

void hv_time_init(void) {
  pic_init();
  hv_tsc_hz = calibrate_tsc();
  set_time_scale(hv_tsc_hz);
  tsc0 = hv_rdtsc();
  read_rtc();
}

static uint64_t programmed_ns; /* when counter 0 will interrupt (0: it will not) */
#define EPOCH_NS 1000000000ull    /* Xen's time calibration period */
static uint64_t next_calibration_ns = EPOCH_NS;

/* Programs counter 0 to interrupt at the earliest deadline, unless it
 * already will no later than that: each programming is three port writes
 * (the PIT is slow to reach; Xen would use the local APIC's timer), so a
 * later deadline waits for the interrupt already due, whose handler
 * programs the next one. */
void hv_timer_reprogram(void) {
  uint64_t now = hv_now_ns(), next = now + 50000000ull; /* at most 50 ms */
  for (uint32_t k = 0; k < hv_n_domains; k++) {
    struct hv_domain *d = &hv_domains[k];
    if (!d->exists || d->destroyed || d->shutdown_reason >= 0)
      continue;
    struct hv_vcpu *v = hv_vcpu(d);
    if (v->timer_deadline_ns && v->timer_deadline_ns < next)
      next = v->timer_deadline_ns;
    if (v->periodic_ns && v->periodic_next_ns < next)
      next = v->periodic_next_ns;
    if (v->state == VCPU_POLLING && v->poll_timeout_ns && v->poll_timeout_ns < next)
      next = v->poll_timeout_ns;
  }
  if (hv_slice_end_ns && hv_slice_end_ns < next)
    next = hv_slice_end_ns;
  if (programmed_ns > now && programmed_ns <= next)
    return;
  uint64_t ticks = next > now ? ((next - now) * PIT_HZ + 999999999ull) / 1000000000ull : 1;
  if (ticks < 1)
    ticks = 1;
  if (ticks > 0xFFFF)
    ticks = 0xFFFF;
  hv_outb(0x43, 0x30); /* counter 0, lo/hi, mode 0 */
  hv_outb(0x40, (uint8_t)ticks);
  hv_outb(0x40, (uint8_t)(ticks >> 8));
  programmed_ns = now + ticks * 1000000000ull / PIT_HZ;
}

/* Timers due: VIRQ_TIMER for one-shot and periodic timers, poll timeouts,
 * the end of the slice. */
void hv_timer_irq(void) {
  uint64_t now = hv_now_ns();
  programmed_ns = 0; /* the interrupt came: nothing is programmed now */
  for (uint32_t k = 0; k < hv_n_domains; k++) {
    struct hv_domain *d = &hv_domains[k];
    if (!d->exists || d->destroyed || d->shutdown_reason >= 0)
      continue;
    struct hv_vcpu *v = hv_vcpu(d);
    int fire = 0;
    if (v->timer_deadline_ns && v->timer_deadline_ns <= now) {
      v->timer_deadline_ns = 0;
      fire = 1;
    }
    if (v->periodic_ns && v->periodic_next_ns <= now) {
      /* Ticks missed are merged into one event (as Xen's timer does). */
      v->periodic_next_ns += ((now - v->periodic_next_ns) / v->periodic_ns + 1) * v->periodic_ns;
      fire = 1;
    }
    if (fire)
      hv_send_virq(d, VIRQ_TIMER);
    if (v->state == VCPU_POLLING && v->poll_timeout_ns && v->poll_timeout_ns <= now)
      hv_vcpu_wake(d);
  }
  if (hv_slice_end_ns && hv_slice_end_ns <= now)
    hv_need_resched = 1;
  if (now >= next_calibration_ns) {
    next_calibration_ns = now + EPOCH_NS;
    if (hv_current)
      hv_time_fill_vcpu(hv_current); /* Xen: update_vcpu_system_time(current) */
  }
  hv_timer_reprogram();
}

void hv_irq(uint32_t vector) {
  uint32_t irq = vector - 0x20;
  if (irq == 7 || irq == 15) { /* maybe spurious: check the ISR */
    uint16_t pic = irq == 7 ? PIC1 : PIC2;
    hv_outb(pic, 0x0B);
    if (!(hv_inb(pic) & 0x80)) {
      if (irq == 15)
        hv_outb(PIC1, 0x20);
      return;
    }
  }
  if (irq >= 8)
    hv_outb(PIC2, 0x20);
  hv_outb(PIC1, 0x20);
  if (irq == 0)
    hv_timer_irq();
}

/* vcpu_time_info: Xen's version protocol (odd while updating). */
void hv_time_fill_vcpu(struct hv_domain *d) {
  vcpu_time_info_t *t = &hv_vcpu(d)->info->time;
  t->version++;
  __asm__ volatile("" ::: "memory");
  uint64_t tsc = hv_rdtsc();
  t->tsc_timestamp = tsc;
  t->system_time = scale_delta(tsc - tsc0);
  t->tsc_to_system_mul = scale_mul;
  t->tsc_shift = scale_shift;
  t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
  __asm__ volatile("" ::: "memory");
  t->version++;
}

void hv_time_fill_wallclock(struct hv_domain *d) {
  shared_info_t *s = d->shared;
  s->wc_version++;
  __asm__ volatile("" ::: "memory");
  s->wc_sec = (uint32_t)wc_boot_sec;
  s->wc_nsec = 0;
  s->arch.wc_sec_hi = (uint32_t)(wc_boot_sec >> 32);
  __asm__ volatile("" ::: "memory");
  s->wc_version++;
}
