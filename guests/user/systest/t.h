/* guests/user/systest/t.h - what the system-call test programs share.
 *
 * Each t_* program checks one family of system calls against literal
 * expectations (Linux's behaviour: every program passes on the host Linux
 * first) and ends with t_done(): "NAME: PASS" and status 0, or the failed
 * checks (each printed where it failed, with file and line) and status 1.
 * Checks in a forked child count in the child; the child ends with
 * t_child_done() and the parent checks its exit status with
 * T_CHILD_OK(pid). Files the tests need are made under /tmp with the
 * program's name and pid in them, and removed. */
#ifndef T_H
#define T_H

#include "libc.h"

extern const char *t_name; /* the program's name, for messages */
extern int t_failures;     /* failed checks so far (in this process) */

void t_init(const char *name);
int t_done(void);                            /* returns main's status */
void t_child_done(void) __attribute__((noreturn)); /* a child's end */
void t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "/tmp/<name>.<pid>.<tag>" into buf (size >= 64) */
char *t_tmp(char *buf, const char *tag);
/* waits for pid; returns its wait status, or -1 (and a failure) */
int t_wait(const char *file, int line, pid_t pid);

#define T_CHECK(cond)                                   \
  do {                                                  \
    if (!(cond))                                        \
      t_fail(__FILE__, __LINE__, "%s", #cond);          \
  } while (0)

/* a == b for integers (long long), printing both on failure */
#define T_EQ(a, b)                                                              \
  do {                                                                          \
    long long t_a_ = (long long)(a), t_b_ = (long long)(b);                     \
    if (t_a_ != t_b_)                                                           \
      t_fail(__FILE__, __LINE__, "%s == %s: got %lld (0x%llx), want %lld", #a, #b, \
             t_a_, (unsigned long long)t_a_, t_b_);                             \
  } while (0)

/* a system call that must succeed: its result, or -1 and a failure */
#define T_OK(expr) t_ok_(__FILE__, __LINE__, #expr, (long)(expr))
long t_ok_(const char *file, int line, const char *what, long r);

/* a system call that must fail with errno e */
#define T_ERR(expr, e)                                                              \
  do {                                                                              \
    errno = 0;                                                                      \
    long t_r_ = (long)(expr);                                                       \
    int t_e_ = errno;                                                               \
    if (t_r_ != -1 || t_e_ != (e))                                                  \
      t_fail(__FILE__, __LINE__, "%s: got %ld (%s), want -1 (%s)", #expr, t_r_,      \
             t_r_ == -1 ? strerror(t_e_) : "no error", strerror(e));                \
  } while (0)

#define T_WAIT(pid) t_wait(__FILE__, __LINE__, (pid))
/* the child exited with status code */
#define T_CHILD_EXIT(pid, code)                                        \
  do {                                                                 \
    int t_s_ = T_WAIT(pid);                                            \
    if (t_s_ != -1 && !(WIFEXITED(t_s_) && WEXITSTATUS(t_s_) == (code))) \
      t_fail(__FILE__, __LINE__, "child %d: status 0x%x, want exit %d", \
             (int)(pid), t_s_, (code));                                \
  } while (0)
#define T_CHILD_OK(pid) T_CHILD_EXIT(pid, 0)
/* the child was killed by signal sig */
#define T_CHILD_KILLED(pid, sig)                                          \
  do {                                                                    \
    int t_s_ = T_WAIT(pid);                                               \
    if (t_s_ != -1 && !(WIFSIGNALED(t_s_) && WTERMSIG(t_s_) == (sig)))    \
      t_fail(__FILE__, __LINE__, "child %d: status 0x%x, want killed by %d", \
             (int)(pid), t_s_, (sig));                                    \
  } while (0)

/* fork, failing the test if it cannot */
pid_t t_fork(void);

#endif
