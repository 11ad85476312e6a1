/* t_segv - SIGSEGV from protection violations, caught.
 *
 * A write to a read-only page, a read of an unmapped page, a write into the
 * program's own text and a read of PROT_NONE memory each raise SIGSEGV;
 * the handler gets si_addr (the faulting address) and si_code
 * (SEGV_ACCERR for a page that is there but forbids the access,
 * SEGV_MAPERR for no mapping), and leaves with siglongjmp, which restores
 * the signal mask so the next fault is caught too. A handler that fixes
 * the protection and returns makes the faulting instruction run again and
 * succeed. With SIGSEGV blocked or ignored, a fault kills the process
 * anyway (the kernel forces the default action). */
#include "t.h"

static sigjmp_buf env;
static volatile void *fault_addr;
static volatile int fault_code, faults;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  faults++;
  fault_addr = si->si_addr;
  fault_code = si->si_code;
  if (sig == SIGSEGV)
    siglongjmp(env, 1);
}

/* Runs the access at p (write if write, else read); returns 1 if it
 * faulted, and then checks the address and code. */
static int faults_at(volatile char *p, int write, int code, const char *file, int line) {
  fault_addr = 0;
  fault_code = 0;
  if (sigsetjmp(env, 1) == 0) {
    if (write)
      *p = 1;
    else
      (void)*p;
    return 0;
  }
  if (fault_addr != p)
    t_fail(file, line, "si_addr %p, want %p", (void *)fault_addr, (void *)p);
  if (fault_code != code)
    t_fail(file, line, "si_code %d, want %d", fault_code, code);
  return 1;
}
#define FAULTS(p, w, code) T_CHECK(faults_at((volatile char *)(p), (w), (code), __FILE__, __LINE__))

static char *text_byte(void) { return (char *)(uintptr_t)faults_at; }

static void caught(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  T_OK(sigaction(SIGSEGV, &sa, 0));

  char *page = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T_CHECK(page != MAP_FAILED);
  page[0] = 7;
  T_OK(mprotect(page, 4096, PROT_READ));
  FAULTS(page + 10, 1, SEGV_ACCERR);
  T_EQ(page[0], 7); /* reading is still allowed */
  FAULTS(page + 20, 1, SEGV_ACCERR); /* caught again: the mask was restored */

  T_OK(mprotect(page + 4096, 4096, PROT_NONE));
  FAULTS(page + 4096, 0, SEGV_ACCERR);
  FAULTS(page + 4096 + 100, 1, SEGV_ACCERR);

  T_OK(munmap(page + 8192, 4096));
  FAULTS(page + 8192, 0, SEGV_MAPERR);
  FAULTS(0, 0, SEGV_MAPERR);
  FAULTS(text_byte(), 1, SEGV_ACCERR);

  sigset_t now;
  T_OK(sigprocmask(SIG_BLOCK, 0, &now));
  T_EQ(sigismember(&now, SIGSEGV), 0);
  T_OK(munmap(page, 8192));
}

/* ---- a handler that fixes the page and returns: the write is retried ---- */
static char *fix_page;
static void on_segv_fix(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)ctx;
  faults++;
  if ((char *)si->si_addr >= fix_page && (char *)si->si_addr < fix_page + 4096)
    mprotect(fix_page, 4096, PROT_READ | PROT_WRITE);
}

static void fixed_and_retried(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv_fix;
  sa.sa_flags = SA_SIGINFO;
  T_OK(sigaction(SIGSEGV, &sa, 0));
  fix_page = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T_CHECK(fix_page != MAP_FAILED);
  faults = 0;
  ((volatile char *)fix_page)[123] = 42;
  T_EQ(faults, 1);
  T_EQ(fix_page[123], 42);
  munmap(fix_page, 4096);
  signal(SIGSEGV, SIG_DFL);
}

static void blocked_or_ignored_kills(void) {
  pid_t pid = t_fork();
  if (pid == 0) {
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGSEGV);
    sigprocmask(SIG_BLOCK, &b, 0);
    *(volatile int *)0 = 1;
    _exit(1);
  }
  T_CHILD_KILLED(pid, SIGSEGV);
  pid = t_fork();
  if (pid == 0) {
    signal(SIGSEGV, SIG_IGN);
    *(volatile int *)0 = 1;
    _exit(1);
  }
  T_CHILD_KILLED(pid, SIGSEGV);
  /* a handler is there, but blocked: still the default action */
  pid = t_fork();
  if (pid == 0) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGSEGV);
    sigprocmask(SIG_BLOCK, &b, 0);
    *(volatile int *)0 = 1;
    _exit(1);
  }
  T_CHILD_KILLED(pid, SIGSEGV);
}

int main(void) {
  t_init("t_segv");
  caught();
  fixed_and_retried();
  blocked_or_ignored_kills();
  return t_done();
}
