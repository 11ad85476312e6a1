/* tests/kernel/ulib/ulib.h - the smallest user library for the kernel's
 * own test programs: raw Linux i386 system calls, printing, checks. The
 * real C library is guests/user/'s; these tests exist to check kernel
 * mechanisms directly and do not depend on it. */
#ifndef KT_ULIB_H
#define KT_ULIB_H

#include <asm-generic/errno.h>
#include <asm-generic/fcntl.h>
#include <asm/signal.h>
#include <linux/signal.h>
#include <asm/stat.h>
#include <linux/stat.h>
#include <asm/unistd_32.h>
#include <linux/mman.h>
#include <linux/poll.h>
#include <linux/time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "guestlib.h"

long ksys(long nr, long a, long b, long c, long d, long e, long f);
#define SYS0(n) ksys(__NR_##n, 0, 0, 0, 0, 0, 0)
#define SYS1(n, a) ksys(__NR_##n, (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b) ksys(__NR_##n, (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) ksys(__NR_##n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) ksys(__NR_##n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS5(n, a, b, c, d, e) ksys(__NR_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define SYS6(n, a, b, c, d, e, f) ksys(__NR_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* the kernel's rt_sigaction layout */
struct ksigaction {
  void *handler;
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};
void kt_rt_restorer(void);  /* movl $173, %eax; int $0x80 */
void kt_old_restorer(void); /* popl %eax; movl $119, %eax; int $0x80 */
int kt_sigaction(int sig, void *handler, unsigned long flags);

extern char **kt_environ;
int kt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kt_exit(int code) __attribute__((noreturn));
uint64_t kt_rdtsc(void);

/* The program's name, for messages; set by main. */
extern const char *kt_name;
#define CHECK(c)                                                                  \
  do {                                                                            \
    if (!(c)) {                                                                   \
      kt_printf("%s: FAIL: %s (line %d)\n", kt_name, #c, __LINE__);              \
      kt_exit(1);                                                                 \
    }                                                                             \
  } while (0)
#define CHECK_EQ(a, b)                                                            \
  do {                                                                            \
    long va_ = (long)(a), vb_ = (long)(b);                                        \
    if (va_ != vb_) {                                                             \
      kt_printf("%s: FAIL: %s == %s: %ld != %ld (line %d)\n", kt_name, #a, #b,   \
                va_, vb_, __LINE__);                                              \
      kt_exit(1);                                                                 \
    }                                                                             \
  } while (0)

int main(int argc, char **argv);

#endif
