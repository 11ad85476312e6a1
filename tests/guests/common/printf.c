/* tests/guests/common/printf.c - kprintf to COM1, through the shared
 * formatter of guests/lib (every conversion gl_vformat knows). */
#include <stdarg.h>

#include "guestlib.h"
#include "x86.h"

static void put_serial(void *ctx, char c) {
  (void)ctx;
  serial_putc(c);
}

void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  gl_vformat(put_serial, 0, fmt, ap);
  va_end(ap);
}
