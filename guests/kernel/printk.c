/* printk.c - the kernel's console output and panic.
 *
 * kprintf formats with the shared guest library's formatter into a small
 * buffer and hands it to the layer's console_write. panic prints its
 * message and powers the machine off with status 62 (guests/kernel/README.md).
 */
#include "kernel.h"
#include "pv.h"

#define PANIC_STATUS 62

struct kbuf {
  char buf[128];
  unsigned n;
};

static void kbuf_put(void *ctx, char c) {
  struct kbuf *b = ctx;
  b->buf[b->n++] = c;
  if (b->n == sizeof b->buf) {
    pv.console_write(b->buf, b->n);
    b->n = 0;
  }
}

int kvprintf(const char *fmt, va_list ap) {
  struct kbuf b;
  b.n = 0;
  int n = gl_vformat(kbuf_put, &b, fmt, ap);
  if (b.n)
    pv.console_write(b.buf, b.n);
  return n;
}

int kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = kvprintf(fmt, ap);
  va_end(ap);
  return n;
}

void panic(const char *fmt, ...) {
  static int panicking;
  pv.irq_disable();
  if (!panicking) {
    panicking = 1;
    va_list ap;
    va_start(ap, fmt);
    kprintf("kernel panic: ");
    kvprintf(fmt, ap);
    kprintf("\n");
    va_end(ap);
  }
  pv.power_off(PANIC_STATUS);
}
