/* tests/guests/common/printf.c - a tiny printf to COM1.
 *
 * Conversions: %s %c %d %u %x %X %p %%, with the flags '0' and '#', a
 * width, and an 'l' length that is ignored (long is 32 bits here). */
#include <stdarg.h>

#include "x86.h"

static void put_uint(uint32_t v, unsigned base, int upper, int width, char pad) {
  char buf[12];
  int n = 0;
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    buf[n++] = digits[v % base];
    v /= base;
  } while (v);
  while (width-- > n)
    serial_putc(pad);
  while (n)
    serial_putc(buf[--n]);
}

void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      serial_putc(*p);
      continue;
    }
    p++;
    char pad = ' ';
    int alt = 0, width = 0;
    for (;; p++) {
      if (*p == '0')
        pad = '0';
      else if (*p == '#')
        alt = 1;
      else
        break;
    }
    while (*p >= '0' && *p <= '9')
      width = width * 10 + (*p++ - '0');
    while (*p == 'l')
      p++;
    switch (*p) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      serial_puts(s ? s : "(null)");
      break;
    }
    case 'c':
      serial_putc((char)va_arg(ap, int));
      break;
    case 'd': {
      int v = va_arg(ap, int);
      if (v < 0) {
        serial_putc('-');
        put_uint(-(uint32_t)v, 10, 0, width ? width - 1 : 0, pad);
      } else {
        put_uint((uint32_t)v, 10, 0, width, pad);
      }
      break;
    }
    case 'u':
      put_uint(va_arg(ap, uint32_t), 10, 0, width, pad);
      break;
    case 'p':
      alt = 1;
      width = 8;
      pad = '0';
      /* fall through */
    case 'x':
    case 'X':
      if (alt)
        serial_puts("0x");
      put_uint(va_arg(ap, uint32_t), 16, *p == 'X', width, pad);
      break;
    case '%':
      serial_putc('%');
      break;
    case 0:
      p--;
      break;
    default:
      serial_putc('%');
      serial_putc(*p);
      break;
    }
  }
  va_end(ap);
}
