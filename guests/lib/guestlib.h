/* guests/lib/guestlib.h - the freestanding support library of guest code.
 *
 * One library for everything that runs inside the emulated machine: the
 * hypervisor (hv/), the guest kernel and its user C library (guests/), and
 * the test kernels (tests/guests/). It holds what none of them should write
 * twice: the string and memory functions (under their standard names, since
 * GCC emits calls to memcpy, memset, memmove and memcmp on its own), a
 * printf-style formatter that writes through a callback, snprintf, and a few
 * conversions. Nothing here touches hardware, allocates or keeps state, so it
 * links into a ring-0 kernel, a ring-1 guest and a ring-3 program alike.
 *
 * Built with the guest flags (cmake/guest.cmake) into libguest.a; the 64-bit
 * divisions of the formatter come from the 32-bit libgcc every guest links.
 */
#ifndef RINGLAB_GUESTLIB_H
#define RINGLAB_GUESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- memory and strings (standard semantics) ----------------------------- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
char *strcat(char *dst, const char *src);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
/* Copies at most size - 1 bytes and always terminates (size > 0); returns
 * strlen(src), as BSD's strlcpy, so truncation is src_len >= size. */
size_t strlcpy(char *dst, const char *src, size_t size);

/* ---- characters (ASCII) -------------------------------------------------- */
static inline int gl_isdigit(int c) { return c >= '0' && c <= '9'; }
static inline int gl_isspace(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static inline int gl_isalpha(int c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static inline int gl_isxdigit(int c) { return gl_isdigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
static inline int gl_isprint(int c) { return c >= 0x20 && c < 0x7f; }

/* ---- numbers -------------------------------------------------------------- */
/* strtoul/strtoull/strtol: standard semantics for base 0 (prefix 0x or 0
 * decides), 8, 10 and 16; no locale; overflow saturates at the type's
 * maximum. */
unsigned long strtoul(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
long strtol(const char *s, char **end, int base);

/* ---- formatting ----------------------------------------------------------- */
/* Where formatted output goes: put(ctx, c) is called once per character. */
typedef void (*gl_putc_fn)(void *ctx, char c);

/* The printf family's formatter. Conversions: d i u x X o p s c %; flags
 * '-' '0' '+' ' ' '#'; a width and a precision, either as digits or '*';
 * lengths hh h l ll z j t (int and long are 32 bits, long long 64). %p
 * prints 0x and eight hex digits. An unknown conversion is printed as it
 * stands. Returns the number of characters produced. */
int gl_vformat(gl_putc_fn put, void *ctx, const char *fmt, va_list ap);
int gl_format(gl_putc_fn put, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* C99 semantics: writes at most size - 1 characters and a NUL (size > 0),
 * returns the length the whole output would have had. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
