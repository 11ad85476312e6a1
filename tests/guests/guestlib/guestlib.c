/* tests/guests/guestlib - the shared freestanding library (guests/lib)
 * checked inside the machine it is built for: snprintf against the C
 * standard's results for each conversion, flag, width, precision and
 * length; the string functions; strtoul and kin. Runs under ringlab and
 * QEMU (it depends on no ringlab feature). */
#include "guestlib.h"
#include "x86.h"

static void check_fmt(const char *want, int want_len, const char *fmt, ...) {
  char buf[96];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char what[128];
  snprintf(what, sizeof what, "\"%s\" -> \"%s\"", fmt, want);
  check_true(what, n == want_len && strcmp(buf, want) == 0);
  if (n != want_len || strcmp(buf, want) != 0)
    kprintf("       got \"%s\" (%d)\n", buf, n);
}

#define FMT(want, ...) check_fmt(want, (int)sizeof(want) - 1, __VA_ARGS__)

static void test_format(void) {
  FMT("42", "%d", 42);
  FMT("-42", "%i", -42);
  FMT("-2147483648", "%d", (int)0x80000000);
  FMT("4294967295", "%u", 0xffffffffu);
  FMT("ff FF", "%x %X", 255, 255);
  FMT("0x1f", "%#x", 31);
  FMT("0", "%#x", 0);
  FMT("017", "%#o", 15);
  FMT("   42", "%5d", 42);
  FMT("42   |", "%-5d|", 42);
  FMT("00042", "%05d", 42);
  FMT("-0042", "%05d", -42);
  FMT("+42  42", "%+d % d", 42, 42);
  FMT("  007", "%5.3d", 7);
  FMT("", "%.0d", 0);
  FMT("   ab", "%*s", 5, "ab");
  FMT("ab   |", "%-*s|", 5, "ab");
  FMT("abc", "%.3s", "abcdef");
  FMT("ab", "%.*s", 2, "abcdef");
  FMT("(null)", "%s", (char *)0);
  FMT("x", "%c", 'x');
  FMT("  x", "%3c", 'x');
  FMT("100%", "%d%%", 100);
  FMT("18446744073709551615", "%llu", ~0ull);
  FMT("-9223372036854775808", "%lld", (long long)0x8000000000000000ull);
  FMT("123456789012", "%llu", 123456789012ull);
  FMT("1234567890abcdef", "%llx", 0x1234567890abcdefull);
  FMT("2400000000", "%lu", 2400000000ul);
  FMT("-1 255", "%hd %hhu", 0xffff, 0x1ff);
  FMT("12 34", "%zu %jd", (size_t)12, (long long)34);
  FMT("0x0010abcd", "%p", (void *)0x10abcd);
  FMT("%q", "%q");

  char small[4];
  int n = snprintf(small, sizeof small, "%s", "truncated");
  check_true("snprintf truncates and terminates", n == 9 && strcmp(small, "tru") == 0);
  check_true("snprintf with size 0 writes nothing", snprintf(0, 0, "%d", 12345) == 5);
}

static void test_strings(void) {
  char a[32], b[32];
  memset(a, 'x', sizeof a);
  check_true("memset fills", a[0] == 'x' && a[31] == 'x');
  memcpy(b, "hello, world", 13);
  check_true("memcpy copies", strcmp(b, "hello, world") == 0);
  memcpy(a + 1, b, 13); /* unaligned destination */
  check_true("memcpy unaligned", memcmp(a + 1, b, 13) == 0);
  memmove(b + 2, b, 13);
  check_true("memmove overlapping forward", strcmp(b + 2, "hello, world") == 0);
  memmove(b, b + 2, 13);
  check_true("memmove overlapping backward", strcmp(b, "hello, world") == 0);
  check_true("memcmp orders", memcmp("abc", "abd", 3) < 0 && memcmp("b", "a", 1) > 0);
  check_true("strlen", strlen("") == 0 && strlen("four") == 4);
  check_true("strnlen", strnlen("four", 2) == 2);
  check_true("strcmp", strcmp("a", "b") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0);
  check_true("strcmp unsigned", strcmp("\x80", "a") > 0);
  check_true("strncmp", strncmp("abcx", "abcy", 3) == 0 && strncmp("ab", "abc", 3) < 0);
  const char *h = "hello";
  check_true("strchr finds first", strchr(h, 'l') == h + 2 && strchr(h, 'z') == 0 && strchr(h, 0) == h + 5);
  check_true("strrchr finds last", strrchr(h, 'l') == h + 3);
  check_true("strstr", strstr(h, "llo") == h + 2 && strstr(h, "lol") == 0 && strstr(h, "") == h);
  check_true("strspn/strcspn", strspn("aab", "a") == 2 && strcspn("abc", "c") == 2);
  char c[8];
  check_true("strlcpy truncates", strlcpy(c, "truncated", sizeof c) == 9 && strcmp(c, "truncat") == 0);
  strcpy(c, "ab");
  strcat(c, "cd");
  check_true("strcpy/strcat", strcmp(c, "abcd") == 0);
}

static void test_numbers(void) {
  char *end;
  check_eq("strtoul decimal", strtoul("1234x", &end, 10), 1234);
  check_true("strtoul end", *end == 'x');
  check_eq("strtoul base 0 hex", strtoul("0x1F", 0, 0), 0x1f);
  check_eq("strtoul base 0 octal", strtoul("017", 0, 0), 15);
  check_eq("strtoul overflow saturates", strtoul("99999999999", 0, 10), 0xffffffffu);
  check_eq("strtol negative", (uint32_t)strtol("  -17", 0, 10), (uint32_t)-17);
  check_eq("strtol saturates", (uint32_t)strtol("-99999999999", 0, 10), 0x80000000u);
  const char *none = "zz";
  check_true("no digits: end is the start", strtoul(none, &end, 10) == 0 && end == none);
  check_true("strtoull 64-bit", strtoull("0x123456789", 0, 0) == 0x123456789ull);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  kprintf("guestlib: formatting\n");
  test_format();
  kprintf("guestlib: strings\n");
  test_strings();
  kprintf("guestlib: numbers\n");
  test_numbers();
  check_done("guestlib");
}
