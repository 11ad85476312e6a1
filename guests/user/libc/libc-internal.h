/* guests/user/libc/libc-internal.h - what the C library's files share and
 * programs do not see: the system-call entry, the kernel's signal structures
 * and the start-up and exit hooks. */
#ifndef LIBC_INTERNAL_H
#define LIBC_INTERNAL_H

#include "libc.h"

/* The kernel's 64-bit signal set as rt_sigprocmask and rt_sigaction take it
 * (sigsetsize 8 on i386). The UAPI headers export only the one-word
 * sigset_t of the old calls, so the layout is written here: Linux's
 * arch/x86/include/asm/signal.h, _NSIG 64. */
struct libc_ksigset {
  unsigned long sig[2];
};

/* The kernel's struct sigaction as rt_sigaction reads and writes it on i386
 * (arch/x86/include/asm/signal.h, not exported by the UAPI: handler, flags,
 * restorer, then the mask last). */
struct libc_ksigaction {
  void *handler;
  unsigned long flags;
  void (*restorer)(void);
  struct libc_ksigset mask;
};

/* sigreturn.S: the restorers a signal handler returns to: rt_sigreturn
 * for SA_SIGINFO handlers (rt frame), sigreturn for the others (Linux
 * i386 gives those the old, non-rt frame). */
void libc_restore_rt(void);
void libc_restore(void);

/* The one place a raw result becomes -1 and errno. */
static inline long libc_sc_ret(long r) {
  if ((unsigned long)r >= -4095ul) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

/* int $0x80 with 0-5 arguments; the 6-argument form needs EBP (syscall6.S). */
static inline long libc_sc0(long nr) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(nr) : "memory");
  return r;
}
static inline long libc_sc1(long nr, long a1) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(nr), "b"(a1) : "memory");
  return r;
}
static inline long libc_sc2(long nr, long a1, long a2) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(nr), "b"(a1), "c"(a2) : "memory");
  return r;
}
static inline long libc_sc3(long nr, long a1, long a2, long a3) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(nr), "b"(a1), "c"(a2), "d"(a3) : "memory");
  return r;
}
static inline long libc_sc4(long nr, long a1, long a2, long a3, long a4) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4) : "memory");
  return r;
}
static inline long libc_sc5(long nr, long a1, long a2, long a3, long a4, long a5) {
  long r;
  __asm__ volatile("int $0x80"
                   : "=a"(r)
                   : "0"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4), "D"(a5)
                   : "memory");
  return r;
}
long libc_sc6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* stdio's hook for exit(): flushes every FILE. */
void libc_stdio_flush_all(void);

#endif
