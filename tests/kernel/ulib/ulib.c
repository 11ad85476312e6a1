/* tests/kernel/ulib/ulib.c - printing and helpers of the test programs. */
#include "ulib.h"

char **kt_environ;
const char *kt_name = "test";

struct outbuf {
  char b[512];
  unsigned n;
};

static void flush(struct outbuf *o) {
  if (o->n)
    SYS3(write, 1, o->b, o->n);
  o->n = 0;
}

static void put(void *ctx, char c) {
  struct outbuf *o = ctx;
  o->b[o->n++] = c;
  if (o->n == sizeof o->b)
    flush(o);
}

int kt_printf(const char *fmt, ...) {
  struct outbuf o;
  o.n = 0;
  va_list ap;
  va_start(ap, fmt);
  int n = gl_vformat(put, &o, fmt, ap);
  va_end(ap);
  flush(&o);
  return n;
}

void kt_exit(int code) {
  for (;;)
    SYS1(exit, code);
}

uint64_t kt_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

int kt_sigaction(int sig, void *handler, unsigned long flags) {
  struct ksigaction a = {handler, flags | SA_RESTORER, (flags & SA_SIGINFO) ? kt_rt_restorer : kt_old_restorer, 0};
  return (int)SYS4(rt_sigaction, sig, &a, 0, 8);
}
