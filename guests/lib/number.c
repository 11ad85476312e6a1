/* guests/lib/number.c - string to number conversions (strtoul and kin). */
#include "guestlib.h"

static int digit_value(int c) {
  if (gl_isdigit(c))
    return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  return 99;
}

/* The common parser: sign, base prefix and digits; *overflow set when the
 * value does not fit in 64 bits. */
static unsigned long long parse(const char *s, char **end, int base, int *negative, int *overflow) {
  const char *p = s;
  *negative = 0;
  *overflow = 0;
  while (gl_isspace(*p))
    p++;
  if (*p == '+' || *p == '-')
    *negative = *p++ == '-';
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 0x20) == 'x' && gl_isxdigit(p[2])) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  unsigned long long v = 0;
  const char *digits = p;
  for (; digit_value(*p) < base; p++) {
    unsigned d = (unsigned)digit_value(*p);
    if (v > (~0ull - d) / (unsigned)base)
      *overflow = 1;
    v = v * (unsigned)base + d;
  }
  if (end)
    *end = (char *)(p == digits ? s : p);
  return v;
}

unsigned long long strtoull(const char *s, char **end, int base) {
  int negative, overflow;
  unsigned long long v = parse(s, end, base, &negative, &overflow);
  if (overflow)
    return ~0ull;
  return negative ? -v : v;
}

unsigned long strtoul(const char *s, char **end, int base) {
  int negative, overflow;
  unsigned long long v = parse(s, end, base, &negative, &overflow);
  if (overflow || v > 0xffffffffull)
    return 0xfffffffful;
  return negative ? -(unsigned long)v : (unsigned long)v;
}

long strtol(const char *s, char **end, int base) {
  int negative, overflow;
  unsigned long long v = parse(s, end, base, &negative, &overflow);
  if (negative)
    return overflow || v > 0x80000000ull ? (long)-0x7fffffffl - 1 : (long)-(long long)v;
  return overflow || v > 0x7fffffffull ? 0x7fffffffl : (long)v;
}
