/* guests/lib/format.c - the printf family's formatter, writing through a
 * callback so that a kernel's console, a hypervisor's serial line, a user
 * program's stdio buffer and snprintf's array all share it.
 *
 * One conversion at a time: parse flags, width, precision and length into
 * a struct spec, turn the argument into digits in a small buffer, then pad
 * and emit. Long long values are formatted with 64-bit division (libgcc's
 * __udivdi3/__umoddi3 on 32-bit x86), narrower ones with 32-bit division. */
#include "guestlib.h"

struct spec {
  int left;      /* '-': pad on the right */
  int zero;      /* '0': pad numbers with zeros */
  int plus;      /* '+': sign always */
  int space;     /* ' ': a space where a plus would be */
  int alt;       /* '#': 0x / 0 prefix */
  int width;     /* minimum field width */
  int precision; /* -1 when none */
  int length;    /* 0 int, 1 long, 2 long long, -1 short, -2 char */
};

struct out {
  gl_putc_fn put;
  void *ctx;
  int count;
};

static void emit(struct out *o, char c) {
  o->put(o->ctx, c);
  o->count++;
}

static void emit_repeat(struct out *o, char c, int n) {
  while (n-- > 0)
    emit(o, c);
}

/* Digits of v in base, least significant first; returns how many. */
static int to_digits(char *buf, unsigned long long v, unsigned base, int upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  if (v >> 32) {
    while (v) {
      buf[n++] = digits[v % base];
      v /= base;
    }
  } else {
    uint32_t w = (uint32_t)v;
    while (w) {
      buf[n++] = digits[w % base];
      w /= base;
    }
  }
  return n;
}

static void emit_number(struct out *o, const struct spec *sp, unsigned long long v, int negative,
                        unsigned base, int upper) {
  char digits[24];
  int n = to_digits(digits, v, base, upper);
  /* C: a precision gives the minimum digit count; 0 with precision 0 is
   * no digits at all. Without a precision the minimum is one digit. */
  int min_digits = sp->precision >= 0 ? sp->precision : 1;
  const char *prefix = "";
  if (negative)
    prefix = "-";
  else if (sp->plus && base == 10)
    prefix = "+";
  else if (sp->space && base == 10)
    prefix = " ";
  else if (sp->alt && base == 16 && v)
    prefix = upper ? "0X" : "0x";
  else if (sp->alt && base == 8 && n >= min_digits)
    prefix = "0";
  int zeros = min_digits > n ? min_digits - n : 0;
  int body = (int)strlen(prefix) + zeros + n;
  int pad = sp->width > body ? sp->width - body : 0;
  if (sp->zero && !sp->left && sp->precision < 0) {
    zeros += pad;
    pad = 0;
  }
  if (!sp->left)
    emit_repeat(o, ' ', pad);
  for (const char *p = prefix; *p; p++)
    emit(o, *p);
  emit_repeat(o, '0', zeros);
  while (n)
    emit(o, digits[--n]);
  if (sp->left)
    emit_repeat(o, ' ', pad);
}

static void emit_string(struct out *o, const struct spec *sp, const char *s) {
  if (!s)
    s = "(null)";
  int n = sp->precision >= 0 ? (int)strnlen(s, (size_t)sp->precision) : (int)strlen(s);
  int pad = sp->width > n ? sp->width - n : 0;
  if (!sp->left)
    emit_repeat(o, ' ', pad);
  for (int i = 0; i < n; i++)
    emit(o, s[i]);
  if (sp->left)
    emit_repeat(o, ' ', pad);
}

static unsigned long long unsigned_arg(const struct spec *sp, va_list *ap) {
  switch (sp->length) {
  case 2:
    return va_arg(*ap, unsigned long long);
  case 1:
    return va_arg(*ap, unsigned long);
  case -1:
    return (unsigned short)va_arg(*ap, unsigned int);
  case -2:
    return (unsigned char)va_arg(*ap, unsigned int);
  default:
    return va_arg(*ap, unsigned int);
  }
}

static long long signed_arg(const struct spec *sp, va_list *ap) {
  switch (sp->length) {
  case 2:
    return va_arg(*ap, long long);
  case 1:
    return va_arg(*ap, long);
  case -1:
    return (short)va_arg(*ap, int);
  case -2:
    return (signed char)va_arg(*ap, int);
  default:
    return va_arg(*ap, int);
  }
}

/* Parses the part of a conversion between '%' and its letter. */
static const char *parse_spec(const char *p, struct spec *sp, va_list *ap) {
  *sp = (struct spec){.precision = -1};
  for (;; p++) {
    if (*p == '-')
      sp->left = 1;
    else if (*p == '0')
      sp->zero = 1;
    else if (*p == '+')
      sp->plus = 1;
    else if (*p == ' ')
      sp->space = 1;
    else if (*p == '#')
      sp->alt = 1;
    else
      break;
  }
  if (*p == '*') {
    sp->width = va_arg(*ap, int);
    if (sp->width < 0) {
      sp->left = 1;
      sp->width = -sp->width;
    }
    p++;
  } else {
    while (gl_isdigit(*p))
      sp->width = sp->width * 10 + (*p++ - '0');
  }
  if (*p == '.') {
    p++;
    sp->precision = 0;
    if (*p == '*') {
      sp->precision = va_arg(*ap, int);
      if (sp->precision < 0)
        sp->precision = -1;
      p++;
    } else {
      while (gl_isdigit(*p))
        sp->precision = sp->precision * 10 + (*p++ - '0');
    }
  }
  for (;; p++) {
    if (*p == 'l')
      sp->length++;
    else if (*p == 'h')
      sp->length--;
    else if (*p == 'j')
      sp->length = 2; /* intmax_t is long long */
    else if (*p != 'z' && *p != 't') /* size_t, ptrdiff_t: 32 bits */
      break;
  }
  if (sp->length > 2)
    sp->length = 2;
  if (sp->length < -2)
    sp->length = -2;
  return p;
}

int gl_vformat(gl_putc_fn put, void *ctx, const char *fmt, va_list ap_in) {
  struct out o = {put, ctx, 0};
  va_list ap;
  va_copy(ap, ap_in);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      emit(&o, *p);
      continue;
    }
    const char *start = p;
    struct spec sp;
    p = parse_spec(p + 1, &sp, &ap);
    switch (*p) {
    case 'd':
    case 'i': {
      long long v = signed_arg(&sp, &ap);
      emit_number(&o, &sp, v < 0 ? -(unsigned long long)v : (unsigned long long)v, v < 0, 10, 0);
      break;
    }
    case 'u':
      emit_number(&o, &sp, unsigned_arg(&sp, &ap), 0, 10, 0);
      break;
    case 'x':
    case 'X':
      emit_number(&o, &sp, unsigned_arg(&sp, &ap), 0, 16, *p == 'X');
      break;
    case 'o':
      emit_number(&o, &sp, unsigned_arg(&sp, &ap), 0, 8, 0);
      break;
    case 'p': {
      struct spec pp = {.alt = 0, .precision = 8};
      emit(&o, '0');
      emit(&o, 'x');
      emit_number(&o, &pp, (uintptr_t)va_arg(ap, void *), 0, 16, 0);
      break;
    }
    case 's':
      emit_string(&o, &sp, va_arg(ap, const char *));
      break;
    case 'c':
      emit_repeat(&o, ' ', sp.left ? 0 : sp.width - 1);
      emit(&o, (char)va_arg(ap, int));
      emit_repeat(&o, ' ', sp.left ? sp.width - 1 : 0);
      break;
    case '%':
      emit(&o, '%');
      break;
    case 0: /* a lone '%' at the end: print what was there */
      for (const char *q = start; q < p; q++)
        emit(&o, *q);
      p--;
      break;
    default: /* unknown conversion: print it as it stands */
      for (const char *q = start; q <= p; q++)
        emit(&o, *q);
      break;
    }
  }
  va_end(ap);
  return o.count;
}

int gl_format(gl_putc_fn put, void *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = gl_vformat(put, ctx, fmt, ap);
  va_end(ap);
  return n;
}

struct buffer {
  char *buf;
  size_t size;
  size_t used;
};

static void buffer_put(void *ctx, char c) {
  struct buffer *b = ctx;
  if (b->used + 1 < b->size)
    b->buf[b->used] = c;
  b->used++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct buffer b = {buf, size, 0};
  int n = gl_vformat(buffer_put, &b, fmt, ap);
  if (size)
    buf[b.used < size ? b.used : size - 1] = 0;
  return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
