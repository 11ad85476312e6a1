/* devices/rtc.c - the PC's CMOS clock: a Motorola MC146818A real-time clock
 * with its battery-backed RAM, behind the PC's index/data port pair.
 *
 *            +-----------+
 *   port 0 ->| index     |   bit 7: NMI mask (stored, routed nowhere),
 *            |           |   bits 6-0: register 0x00-0x7F
 *   port 1<->| data      |
 *            | MC146818A |-> /IRQ  (struct dev_irq: IRQ 8 on a PC)
 *            +-----------+
 *
 * Registers (datasheet: Motorola MC146818A):
 *   0x00 seconds  0x01 seconds alarm  0x02 minutes  0x03 minutes alarm
 *   0x04 hours    0x05 hours alarm    0x06 day of week (1 = Sunday)
 *   0x07 date     0x08 month          0x09 year (00-99)
 *   0x0A A: UIP (read-only) | DV2-0 (010: the 32.768 kHz time base runs;
 *        11x: divider in reset) | RS3-0 (periodic rate)
 *   0x0B B: SET PIE AIE UIE SQWE DM (1 binary) 24/12 (1 24h) DSE
 *   0x0C C: IRQF PF AF UF, read-only; reading clears it (and /IRQ)
 *   0x0D D: VRT (always 1), read-only
 *   0x0E-0x7F: RAM (the PC keeps its CMOS settings here; 0x32 century)
 *
 * Time. The clock never reads the host: it starts at the time given at
 * creation (the machine's --rtc option) and runs on the CPU's cycles. Its
 * 32.768 kHz time base ticks at cycle ceil(k * F / 32768) (F the preset's
 * frequency, exact 128-bit arithmetic); an update cycle completes every
 * 32768 ticks. The chip is not stepped: on each access and each scheduled
 * event it catches up, once per elapsed second at most.
 *   - UIP reads 1 from 244 us before an update cycle until it completes
 *     (1984 us): 73 ticks. When UIP reads 0 the time registers will not
 *     change for at least 244 us, as the datasheet promises.
 *   - At the end of each update cycle (unless SET): the time advances one
 *     second (with the 146818's calendar: leap years are years divisible by
 *     4), UF is set, and AF when seconds, minutes and hours match their
 *     alarms (an alarm byte of 0xC0-0xFF matches anything).
 *   - PF is set at every period of RS: RS 1 and 2 give 256 and 128 Hz, RS
 *     3-15 give 32768 >> (RS - 1) Hz; RS 0 none.
 *   - IRQF = (PF and PIE) or (AF and AIE) or (UF and UIE); /IRQ follows it.
 *     The scheduler gets an event only for sources that are enabled.
 *   - DV leaving reset for 010: the first update completes 500 ms later.
 * Departures: the time registers are kept in binary and shown in the
 * format register B selects at the time of the read (the real chip keeps
 * the bits as written and a mode change garbles the time); DSE
 * (daylight-saving) and SQWE (the square-wave pin) are stored only; the
 * divider's other time bases (DV 000, 001) stop the clock.
 */
#include "devices.h"
#include "snap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RTC_BASE_HZ 32768
#define TICKS_PER_SECOND 32768
#define UIP_TICKS 73 /* 244 us before the update + the 1984 us update cycle */

#define REG_SEC 0x00
#define REG_SEC_ALARM 0x01
#define REG_MIN 0x02
#define REG_MIN_ALARM 0x03
#define REG_HOUR 0x04
#define REG_HOUR_ALARM 0x05
#define REG_DOW 0x06
#define REG_DAY 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_A 0x0A
#define REG_B 0x0B
#define REG_C 0x0C
#define REG_D 0x0D
#define REG_CENTURY 0x32

#define A_UIP 0x80
#define A_DV_MASK 0x70
#define A_DV_RUN 0x20
#define A_RS_MASK 0x0F

#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM_BINARY 0x04
#define B_24H 0x02

#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10

#define D_VRT 0x80

#define NEVER INT64_MAX

struct dev_rtc {
  struct dev_timebase tb;
  struct dev_irq irq;
  int irq_level;

  uint8_t index;
  bool nmi_masked;
  uint8_t ram[128]; /* alarms, A, B and the RAM bytes live here as written */
  /* the time, binary */
  unsigned sec, min, hour, dow, day, month, year;
  uint8_t flags; /* register C: PF AF UF (IRQF computed) */

  int64_t offset; /* grid tick = floor(cycle * 32768 / F) + offset */
  int64_t done;   /* the chip has caught up to this grid tick */
};

static uint64_t hz(const struct dev_rtc *r) {
  uint64_t f = r->tb.cpu_hz ? r->tb.cpu_hz(r->tb.opaque) : 0;
  return f ? f : RTC_BASE_HZ;
}

static int64_t grid_at(const struct dev_rtc *r, cycles_t c) {
  return (int64_t)((unsigned __int128)c * RTC_BASE_HZ / hz(r)) + r->offset;
}

static cycles_t cycle_of_grid(const struct dev_rtc *r, int64_t g) {
  int64_t k = g - r->offset;
  if (k <= 0)
    return 0;
  unsigned __int128 c = ((unsigned __int128)(uint64_t)k * hz(r) + RTC_BASE_HZ - 1) / RTC_BASE_HZ;
  return c >= DEV_NEVER ? DEV_NEVER - 1 : (cycles_t)c;
}

static int64_t now_grid(const struct dev_rtc *r) {
  return grid_at(r, r->tb.sched ? dev_sched_now(r->tb.sched) : 0);
}

static bool running(const struct dev_rtc *r) { return (r->ram[REG_A] & A_DV_MASK) == A_DV_RUN; }

/* Periodic interval in ticks, 0 for none. */
static int64_t period(const struct dev_rtc *r) {
  unsigned rs = r->ram[REG_A] & A_RS_MASK;
  if (rs == 0)
    return 0;
  if (rs <= 2)
    return rs == 1 ? 128 : 256;
  return (int64_t)1 << (rs - 1);
}

static unsigned days_in_month(unsigned month, unsigned year) {
  static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && year % 4 == 0)
    return 29;
  return month >= 1 && month <= 12 ? days[month - 1] : 31;
}

static uint8_t to_bcd(unsigned v) { return (uint8_t)((v / 10 % 10) << 4 | v % 10); }
static unsigned from_bcd(uint8_t v) { return (v >> 4) * 10u + (v & 15); }

static bool binary(const struct dev_rtc *r) { return r->ram[REG_B] & B_DM_BINARY; }

static uint8_t fmt(const struct dev_rtc *r, unsigned v) { return binary(r) ? (uint8_t)v : to_bcd(v); }
static unsigned parse(const struct dev_rtc *r, uint8_t v) { return binary(r) ? v : from_bcd(v); }

static uint8_t fmt_hour(const struct dev_rtc *r, unsigned h) {
  if (r->ram[REG_B] & B_24H)
    return fmt(r, h);
  unsigned h12 = h % 12 ? h % 12 : 12;
  return (uint8_t)(fmt(r, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned parse_hour(const struct dev_rtc *r, uint8_t v) {
  if (r->ram[REG_B] & B_24H)
    return parse(r, v);
  unsigned h = parse(r, v & 0x7F) % 12;
  return h + ((v & 0x80) ? 12 : 0);
}

static void tick_second(struct dev_rtc *r) {
  if (++r->sec < 60)
    return;
  r->sec = 0;
  if (++r->min < 60)
    return;
  r->min = 0;
  if (++r->hour < 24)
    return;
  r->hour = 0;
  r->dow = r->dow % 7 + 1;
  if (++r->day <= days_in_month(r->month, r->year))
    return;
  r->day = 1;
  if (++r->month <= 12)
    return;
  r->month = 1;
  r->year = (r->year + 1) % 100;
}

static bool alarm_match(const struct dev_rtc *r) {
  uint8_t s = r->ram[REG_SEC_ALARM], m = r->ram[REG_MIN_ALARM], h = r->ram[REG_HOUR_ALARM];
  return (s >= 0xC0 || s == fmt(r, r->sec)) && (m >= 0xC0 || m == fmt(r, r->min)) &&
         (h >= 0xC0 || h == fmt_hour(r, r->hour));
}

static uint8_t irqf(const struct dev_rtc *r) {
  uint8_t b = r->ram[REG_B];
  bool on = ((r->flags & C_PF) && (b & B_PIE)) || ((r->flags & C_AF) && (b & B_AIE)) ||
            ((r->flags & C_UF) && (b & B_UIE));
  return on ? C_IRQF : 0;
}

static void update_irq(struct dev_rtc *r) {
  int level = irqf(r) != 0;
  if (level != r->irq_level) {
    r->irq_level = level;
    dev_irq_set(&r->irq, level);
  }
}

static int64_t next_multiple(int64_t after, int64_t m) { return (after / m + 1) * m; }

/* Brings the clock to grid tick t: updates and flags on the way. */
static void catch_up(struct dev_rtc *r, int64_t t) {
  if (!running(r)) {
    if (t > r->done)
      r->done = t;
    return;
  }
  int64_t per = period(r);
  while (r->done < t) {
    int64_t u = next_multiple(r->done, TICKS_PER_SECOND);
    int64_t end = u < t ? u : t;
    if (per && next_multiple(r->done, per) <= end)
      r->flags |= C_PF;
    if (u <= t && !(r->ram[REG_B] & B_SET)) {
      tick_second(r);
      r->flags |= C_UF;
      if (alarm_match(r))
        r->flags |= C_AF;
    }
    r->done = end;
  }
  update_irq(r);
}

static cycles_t rtc_next_event(void *ctx) {
  struct dev_rtc *r = ctx;
  if (!running(r))
    return DEV_NEVER;
  uint8_t b = r->ram[REG_B];
  int64_t next = NEVER, per = period(r);
  if ((b & B_PIE) && per)
    next = next_multiple(r->done, per);
  if ((b & (B_UIE | B_AIE)) && !(b & B_SET)) {
    int64_t u = next_multiple(r->done, TICKS_PER_SECOND);
    if (u < next)
      next = u;
  }
  return next == NEVER ? DEV_NEVER : cycle_of_grid(r, next);
}

static void rtc_run_until(void *ctx, cycles_t now) {
  struct dev_rtc *r = ctx;
  catch_up(r, grid_at(r, now));
}

const struct dev_clock_ops dev_rtc_clock_ops = {
    .name = "rtc",
    .next_event = rtc_next_event,
    .run_until = rtc_run_until,
};

static uint8_t read_reg(struct dev_rtc *r, int64_t t, unsigned reg) {
  switch (reg) {
  case REG_SEC:
    return fmt(r, r->sec);
  case REG_MIN:
    return fmt(r, r->min);
  case REG_HOUR:
    return fmt_hour(r, r->hour);
  case REG_DOW:
    return fmt(r, r->dow);
  case REG_DAY:
    return fmt(r, r->day);
  case REG_MONTH:
    return fmt(r, r->month);
  case REG_YEAR:
    return fmt(r, r->year);
  case REG_A: {
    bool uip = running(r) && !(r->ram[REG_B] & B_SET) &&
               next_multiple(t, TICKS_PER_SECOND) - t <= UIP_TICKS;
    return (uint8_t)((r->ram[REG_A] & 0x7F) | (uip ? A_UIP : 0));
  }
  case REG_C: {
    uint8_t v = (uint8_t)(irqf(r) | r->flags);
    r->flags = 0;
    update_irq(r);
    return v;
  }
  case REG_D:
    return D_VRT;
  default:
    return r->ram[reg];
  }
}

static void write_reg(struct dev_rtc *r, int64_t t, unsigned reg, uint8_t v) {
  switch (reg) {
  case REG_SEC:
    r->sec = parse(r, v) % 60;
    break;
  case REG_MIN:
    r->min = parse(r, v) % 60;
    break;
  case REG_HOUR:
    r->hour = parse_hour(r, v) % 24;
    break;
  case REG_DOW:
    r->dow = parse(r, v);
    break;
  case REG_DAY:
    r->day = parse(r, v);
    break;
  case REG_MONTH:
    r->month = parse(r, v);
    break;
  case REG_YEAR:
    r->year = parse(r, v) % 100;
    break;
  case REG_A: {
    bool was = running(r);
    r->ram[REG_A] = v & 0x7F;
    if (!was && running(r)) {
      /* The divider leaves reset: the first update ends 500 ms later. */
      int64_t target = next_multiple(t, TICKS_PER_SECOND) + TICKS_PER_SECOND / 2;
      r->offset += target - t;
      r->done = target;
    }
    break;
  }
  case REG_B:
    r->ram[REG_B] = v;
    break;
  case REG_C:
  case REG_D:
    break; /* read-only */
  default:
    r->ram[reg] = v;
  }
  update_irq(r);
}

static uint32_t rtc_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  struct dev_rtc *r = ctx;
  if (offset == 0)
    return 0xFF; /* the index register is write-only on a PC */
  int64_t t = now_grid(r);
  catch_up(r, t);
  return read_reg(r, t, r->index);
}

static void rtc_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_rtc *r = ctx;
  if (offset == 0) {
    r->index = value & 0x7F;
    r->nmi_masked = value & 0x80;
    return;
  }
  int64_t t = now_grid(r);
  catch_up(r, t);
  write_reg(r, t, r->index, (uint8_t)value);
}

const struct dev_port_ops dev_rtc_ops = {
    .name = "rtc",
    .sizes = DEV_SIZE_8,
    .read = rtc_read,
    .write = rtc_write,
};

/* Day of the week, 1 = Sunday (Sakamoto's method). */
static unsigned weekday(int y, int m, int d) {
  static const int t[12] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  if (m < 3)
    y -= 1;
  return (unsigned)((y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7) + 1;
}

int dev_rtc_parse_time(const char *s, struct dev_rtc_time *out) {
  int y, mo, d, h, mi, se, n = 0;
  if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || s[n] != 0)
    return -1;
  if (y < 1900 || y > 2099 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > days_in_month((unsigned)mo, (unsigned)y) ||
      h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
    return -1;
  if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return -1;
  *out = (struct dev_rtc_time){.year = y, .month = mo, .day = d, .hour = h, .minute = mi, .second = se};
  return 0;
}

void dev_rtc_set_time(struct dev_rtc *r, const struct dev_rtc_time *t) {
  catch_up(r, now_grid(r));
  r->sec = (unsigned)t->second;
  r->min = (unsigned)t->minute;
  r->hour = (unsigned)t->hour;
  r->day = (unsigned)t->day;
  r->month = (unsigned)t->month;
  r->year = (unsigned)(t->year % 100);
  r->dow = weekday(t->year, t->month, t->day);
  r->ram[REG_CENTURY] = to_bcd((unsigned)(t->year / 100));
}

uint8_t dev_rtc_nvram(const struct dev_rtc *r, unsigned index) { return r->ram[index & 0x7F]; }
void dev_rtc_nvram_set(struct dev_rtc *r, unsigned index, uint8_t value) {
  if ((index & 0x7F) >= 0x0E)
    r->ram[index & 0x7F] = value;
}
bool dev_rtc_nmi_masked(const struct dev_rtc *r) { return r->nmi_masked; }

struct dev_rtc *dev_rtc_new(struct dev_timebase tb, struct dev_irq irq, const struct dev_rtc_time *start) {
  struct dev_rtc *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->tb = tb;
  r->irq = irq;
  /* As a PC BIOS leaves it: time base running, 1024 Hz rate selected
   * (RS 6), interrupts off, BCD, 24-hour. */
  r->ram[REG_A] = A_DV_RUN | 0x06;
  r->ram[REG_B] = B_24H;
  static const struct dev_rtc_time fixed = DEV_RTC_DEFAULT_TIME;
  dev_rtc_set_time(r, start ? start : &fixed);
  return r;
}

void dev_rtc_free(struct dev_rtc *r) { free(r); }

/* ---- snapshots ------------------------------------------------------------ */

/* Wiring zeroed: the file is the state alone. */
void dev_rtc_save(const struct dev_rtc *p, struct snap_writer *w) {
  struct dev_rtc n;
  memcpy(&n, p, sizeof n);
  memset(&n.tb, 0, sizeof n.tb);
  memset(&n.irq, 0, sizeof n.irq);
  snap_put_struct(w, &n, sizeof n);
}

int dev_rtc_load(struct dev_rtc *p, struct snap_reader *r) {
  struct dev_rtc n;
  if (!snap_get_struct(r, &n, sizeof n, "MC146818A"))
    return -1;
  n.tb = p->tb; /* wiring, not state */
  n.irq = p->irq;
  *p = n;
  return 0;
}
