/* display/panel.c - the counters panel: what the class watches beside the
 * guest's screen. Lines of DISPLAY_PANEL_COLS characters, from a sample of
 * the counters (and the one before it, for rates):
 *
 *    ringlab  running                         title and state
 *    cycle   1,234,567   4.1 ms               emulated time
 *    instr     987,654   CPL 0 0008:00101234  where it is
 *    ring transitions / emulated ms           by pair, since the last sample
 *      3->0    12.5   0->3    12.5
 *    exceptions  250   #PF 200 #GP 50         the total, the top three
 *    interrupts   18   irq.32 18              external interrupts
 *    TLB miss  I 12  D 3,400  walks 3,412
 *    flushes   cr3 250  all 1  invlpg 250
 *              task 0  #PF 200
 *    hypercalls by name                       Xen's names (trace_hypercall_name)
 *      mmu_update           1,024
 *      ...
 *    F12 pause  F11 step  (running)           the keys
 *
 * Counters are the run's since power-on (COUNTERS_RESET resets what
 * --stats reports, not the panel). Host floating point here is fine: it
 * only prints.
 */
#include "display.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TITLE 0x1F  /* white on blue */
#define HEAD 0x0E   /* yellow */
#define TEXT 0x07   /* light grey */
#define VALUE 0x0F  /* white */
#define KEYS 0x08   /* dark grey */

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#21", "#22", "#23", "#24", "#25", "#26", "#27", "#28", "#29", "#30", "#31",
};

void display_format_count(char *out, size_t n, uint64_t v) {
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
  char buf[48];
  int o = 0;
  for (int k = 0; k < len; k++) {
    if (k > 0 && (len - k) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = digits[k];
  }
  buf[o] = 0;
  if (n == 0)
    return;
  size_t m = (size_t)o < n ? (size_t)o : n - 1; /* cut to fit, as snprintf would */
  memcpy(out, buf, m);
  out[m] = 0;
}

static void line(struct display_panel *p, uint8_t colour, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(struct display_panel *p, uint8_t colour, const char *fmt, ...) {
  if (p->rows >= DISPLAY_PANEL_ROWS)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->text[p->rows], sizeof p->text[p->rows], fmt, ap);
  va_end(ap);
  p->colour[p->rows++] = colour;
}

static uint64_t slot(const struct display_sample *s, enum trace_event e, unsigned index) {
  return s->events.slot[e + index];
}

/* The k largest nonzero slots of an indexed row into out, largest first
 * (ties: lower index first); returns how many. */
static unsigned top(const struct display_sample *s, enum trace_event e, unsigned slots, unsigned k, unsigned *out) {
  unsigned n = 0;
  for (unsigned i = 0; i < slots; i++) {
    uint64_t v = slot(s, e, i);
    if (!v)
      continue;
    unsigned j = n;
    while (j > 0 && slot(s, e, out[j - 1]) < v)
      j--;
    if (j >= k)
      continue;
    for (unsigned m = n < k ? n : k - 1; m > j; m--)
      out[m] = out[m - 1];
    out[j] = i;
    if (n < k)
      n++;
  }
  return n;
}

static uint64_t row_sum(const struct display_sample *s, enum trace_event e, unsigned slots) {
  uint64_t t = 0;
  for (unsigned i = 0; i < slots; i++)
    t += slot(s, e, i);
  return t;
}

void display_panel_build(struct display_panel *p, const struct display_sample *now,
                         const struct display_sample *prev, enum display_state state, const char *status) {
  memset(p, 0, sizeof *p);
  char a[32], b[32], c[32];
  static const char *const states[] = {"running", "paused", "ended"};
  line(p, TITLE, " ringlab  %-36s", states[state]);
  if (status && *status)
    line(p, TEXT, " %.44s", status);
  double ms = now->frequency_hz ? (double)now->cycles * 1000.0 / (double)now->frequency_hz : 0.0;
  display_format_count(a, sizeof a, now->cycles);
  line(p, VALUE, " cycle  %15s  %.3f ms", a, ms);
  display_format_count(a, sizeof a, now->instructions);
  line(p, VALUE, " instr  %15s  CPL %u %04x:%08x%s", a, now->cpl, now->cs, now->eip, now->halted ? " hlt" : "");

  /* Ring transitions per emulated millisecond, by pair. */
  line(p, HEAD, " ring transitions / emulated ms");
  double span_ms = 0;
  if (prev && now->cycles > prev->cycles && now->frequency_hz)
    span_ms = (double)(now->cycles - prev->cycles) * 1000.0 / (double)now->frequency_hz;
  char pairs[DISPLAY_PANEL_COLS + 1] = "";
  size_t used = 0;
  unsigned shown = 0;
  for (unsigned from = 0; from < 4; from++)
    for (unsigned to = 0; to < 4; to++) {
      unsigned i = TRACE_RING_INDEX(from, to);
      if (from == to || !slot(now, TRACE_EV_ring, i))
        continue;
      double rate = span_ms > 0 ? (double)(slot(now, TRACE_EV_ring, i) - slot(prev, TRACE_EV_ring, i)) / span_ms : 0;
      used += (size_t)snprintf(pairs + used, sizeof pairs - (used < sizeof pairs ? used : sizeof pairs),
                               "  %u->%u %9.1f", from, to, rate);
      if (++shown % 2 == 0 || used >= DISPLAY_PANEL_COLS - 16) {
        line(p, VALUE, "%s", pairs);
        used = 0;
        pairs[0] = 0;
      }
    }
  if (used)
    line(p, VALUE, "%s", pairs);
  if (!shown)
    line(p, TEXT, "  (none yet)");

  /* Exceptions and interrupts: totals and the most frequent. */
  unsigned t[3];
  unsigned n = top(now, TRACE_EV_exception, 32, 3, t);
  display_format_count(a, sizeof a, row_sum(now, TRACE_EV_exception, 256));
  char detail[64] = "";
  for (unsigned k = 0, o = 0; k < n; k++) {
    display_format_count(b, sizeof b, slot(now, TRACE_EV_exception, t[k]));
    o += (unsigned)snprintf(detail + o, sizeof detail - o, " %s %s", exception_names[t[k]], b);
  }
  line(p, VALUE, " exceptions %7s%.27s", a, detail);
  n = top(now, TRACE_EV_irq, 256, 2, t);
  display_format_count(a, sizeof a, row_sum(now, TRACE_EV_irq, 256));
  detail[0] = 0;
  for (unsigned k = 0, o = 0; k < n; k++) {
    display_format_count(b, sizeof b, slot(now, TRACE_EV_irq, t[k]));
    o += (unsigned)snprintf(detail + o, sizeof detail - o, " v%u %s", t[k], b);
  }
  line(p, VALUE, " interrupts %7s%.27s", a, detail);

  /* The TLBs. */
  display_format_count(a, sizeof a, slot(now, TRACE_EV_itlb_miss, 0));
  display_format_count(b, sizeof b, slot(now, TRACE_EV_dtlb_miss, 0));
  display_format_count(c, sizeof c, slot(now, TRACE_EV_page_walk, 0));
  line(p, VALUE, " TLB miss  I %s  D %s  walks %s", a, b, c);
  display_format_count(a, sizeof a, slot(now, TRACE_EV_tlb_flush_cr3, 0));
  display_format_count(b, sizeof b, slot(now, TRACE_EV_tlb_flush_all, 0));
  display_format_count(c, sizeof c, slot(now, TRACE_EV_tlb_flush_invlpg, 0));
  line(p, VALUE, " flushes   cr3 %s  all %s  invlpg %s", a, b, c);
  display_format_count(a, sizeof a, slot(now, TRACE_EV_tlb_flush_task, 0));
  display_format_count(b, sizeof b, slot(now, TRACE_EV_tlb_flush_page_fault, 0));
  line(p, VALUE, "           task %s  #PF %s", a, b);

  /* Hypercalls by Xen's names, the most frequent first, as rows allow. */
  unsigned room = DISPLAY_PANEL_ROWS - 1 - p->rows - 1;
  unsigned hc[DISPLAY_PANEL_ROWS];
  n = top(now, TRACE_EV_hypercall, 256, room < DISPLAY_PANEL_ROWS ? room : 0, hc);
  line(p, HEAD, " hypercalls by name");
  for (unsigned k = 0; k < n; k++) {
    const char *name = trace_hypercall_name(hc[k]);
    char num[16];
    snprintf(num, sizeof num, "#%u", hc[k]);
    display_format_count(a, sizeof a, slot(now, TRACE_EV_hypercall, hc[k]));
    line(p, VALUE, "   %-24s %15s", name ? name : num, a);
  }
  if (!n)
    line(p, TEXT, "   (none: the ops port carries them)");
  while (p->rows < DISPLAY_PANEL_ROWS - 1)
    line(p, TEXT, "%s", "");
  line(p, KEYS, " F12 %s  F11 step", state == DISPLAY_PAUSED ? "go on" : "pause");
}
