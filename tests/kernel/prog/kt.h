/* tests/kernel/prog/kt.h - what the kernel's own test programs share.
 *
 * They are user programs on the user side's C library (guests/user/libc,
 * libc.h: start-up, printf, environ, rdtsc, sigaction's restorers), but
 * they check the kernel's mechanisms directly: every system call goes
 * through libc's syscall_raw() by its UAPI name and gives the kernel's own
 * result, -errno on failure, which the checks compare with literal values.
 * A failed check prints the program's name, the expression and the line
 * and ends the process at once with status 1: the first broken mechanism
 * stops the test (guests/user/systest/'s checks count failures and go on,
 * against libc's -1 and errno). */
#ifndef KT_H
#define KT_H

#include "libc.h"

/* System call NAME (__NR_NAME) with its arguments: the kernel's result. */
#define SYS0(n) syscall_raw(__NR_##n, 0, 0, 0, 0, 0, 0)
#define SYS1(n, a) syscall_raw(__NR_##n, (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b) syscall_raw(__NR_##n, (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) syscall_raw(__NR_##n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) syscall_raw(__NR_##n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS5(n, a, b, c, d, e) \
  syscall_raw(__NR_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define SYS6(n, a, b, c, d, e, f) \
  syscall_raw(__NR_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* The program's name, for messages; set by main. */
extern const char *kt_name;

/* Ends this process through the exit system call itself (not libc's exit:
 * no atexit handlers, no stdio flush, not exit_group), as the children of
 * these tests end. stdout is line-buffered and every message ends its
 * line, so nothing printed is lost. */
void kt_exit(int code) __attribute__((noreturn));

/* rt_sigaction(sig) to handler with flags and an empty mask, through
 * libc's sigaction (SA_RESTORER, its restorers): 0 or -errno. */
int kt_sigaction(int sig, void *handler, unsigned long flags);

/* Runs fn(arg) in a child, which exits 100 if fn returns: its wait status
 * (the signal number for a child that fn's fault killed). */
int kt_in_child(void (*fn)(void *), void *arg);

/* The kernel runs on: a child execs /bin/kt_hello with "a b" and X=1,
 * which exits 7 when it receives exactly those. */
void kt_check_exec_hello(void);

#define CHECK(c)                                                                  \
  do {                                                                            \
    if (!(c)) {                                                                   \
      printf("%s: FAIL: %s (line %d)\n", kt_name, #c, __LINE__);                  \
      kt_exit(1);                                                                 \
    }                                                                             \
  } while (0)
#define CHECK_EQ(a, b)                                                            \
  do {                                                                            \
    long va_ = (long)(a), vb_ = (long)(b);                                        \
    if (va_ != vb_) {                                                             \
      printf("%s: FAIL: %s == %s: %ld != %ld (line %d)\n", kt_name, #a, #b, va_,  \
             vb_, __LINE__);                                                      \
      kt_exit(1);                                                                 \
    }                                                                             \
  } while (0)

#endif
