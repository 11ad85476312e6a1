/* kt_sig: signals. Handlers with Linux's old frame (sigreturn) and rt
 * frame (rt_sigreturn, siginfo and ucontext), the handler's argument
 * registers, registers preserved across a handler, masks (blocked signals
 * stay pending, rt_sigpending, sa_mask and the signal itself blocked in
 * its handler), SA_RESETHAND, SIG_IGN, a handler that changes the
 * interrupted eip through its ucontext (skipping a ud2), SIGCHLD, alarm
 * and setitimer with pause, SA_RESTART against EINTR for a read that a
 * timer interrupts, sigsuspend, rt_sigaction's errors, and the 16-byte
 * alignment of the handler's stack. */
#include "kt.h"

static volatile int got, got_sig, nested_blocked;
static volatile unsigned long handler_esp;

static void on_old(int sig) {
  got++;
  got_sig = sig;
  uint64_t m;
  SYS4(rt_sigprocmask, SIG_BLOCK, 0, &m, 8);
  nested_blocked = (m >> (sig - 1)) & 1; /* the signal is blocked in its handler */
}

static volatile int info_ok;
static void on_info(int sig, siginfo_t *si, void *ucv) {
  struct ucontext *uc = ucv;
  got++;
  info_ok = sig == SIGUSR2 && si->si_signo == SIGUSR2 && si->si_code == SI_USER &&
            si->si_pid == SYS0(getpid) && uc->uc_mcontext.eip > 0x08048000 && uc->uc_mcontext.eip < 0x09000000;
}

static void on_ill(int sig, siginfo_t *si, void *ucv) {
  struct ucontext *uc = ucv;
  (void)si;
  got_sig = sig;
  uc->uc_mcontext.eip += 2; /* skip the ud2 */
}

static volatile int alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

static volatile unsigned long align_esp;
__attribute__((used)) static void on_align_c(int sig) { (void)sig; }
/* The handler's first instruction records esp: (esp + 4) % 16 must be 0. */
void on_align(int sig);
__asm__(".text\n.globl on_align\non_align:\n movl %esp, align_esp\n ret\n");

static void test_basic(void) {
  CHECK_EQ(kt_sigaction(SIGUSR1, on_old, 0), 0);
  got = 0;
  CHECK_EQ(SYS2(kill, SYS0(getpid), SIGUSR1), 0);
  CHECK_EQ(got, 1);
  CHECK_EQ(got_sig, SIGUSR1);
  CHECK_EQ(nested_blocked, 1);
  CHECK_EQ(kt_sigaction(SIGUSR2, on_info, SA_SIGINFO), 0);
  CHECK_EQ(SYS2(kill, SYS0(getpid), SIGUSR2), 0);
  CHECK_EQ(got, 2);
  CHECK_EQ(info_ok, 1);
  /* registers survive a handler (the kill's return value is in eax) */
  long r = __NR_kill;
  int esi = 0x5678, edi = 0x9abc;
  __asm__ volatile("int $0x80"
                   : "+a"(r), "+S"(esi), "+D"(edi)
                   : "b"((int)SYS0(getpid)), "c"(SIGUSR1)
                   : "memory", "edx");
  CHECK_EQ(r, 0);
  CHECK_EQ(got, 3);
  CHECK_EQ(esi, 0x5678);
  CHECK_EQ(edi, 0x9abc);
  CHECK_EQ(kt_sigaction(SIGUSR1, on_align, 0), 0);
  SYS2(kill, SYS0(getpid), SIGUSR1);
  CHECK((align_esp + 4) % 16 == 0);
}

static void test_masks(void) {
  CHECK_EQ(kt_sigaction(SIGUSR1, on_old, 0), 0);
  got = 0;
  uint64_t set = 1ull << (SIGUSR1 - 1), old, pend;
  CHECK_EQ(SYS4(rt_sigprocmask, SIG_BLOCK, &set, &old, 8), 0);
  SYS2(kill, SYS0(getpid), SIGUSR1);
  CHECK_EQ(got, 0);
  CHECK_EQ(SYS2(rt_sigpending, &pend, 8), 0);
  CHECK(pend & set);
  CHECK_EQ(SYS4(rt_sigprocmask, SIG_UNBLOCK, &set, 0, 8), 0);
  CHECK_EQ(got, 1);
  /* SIGKILL cannot be blocked or caught */
  set = ~0ull;
  CHECK_EQ(SYS4(rt_sigprocmask, SIG_SETMASK, &set, 0, 8), 0);
  CHECK_EQ(SYS4(rt_sigprocmask, SIG_SETMASK, 0, &old, 8), 0);
  CHECK((old & (1ull << (SIGKILL - 1))) == 0);
  set = 0;
  CHECK_EQ(SYS4(rt_sigprocmask, SIG_SETMASK, &set, 0, 8), 0);
  CHECK_EQ(kt_sigaction(SIGKILL, on_old, 0), -EINVAL);
  CHECK_EQ(kt_sigaction(0, on_old, 0), -EINVAL);
  CHECK_EQ(kt_sigaction(65, on_old, 0), -EINVAL);
  CHECK_EQ(SYS4(rt_sigaction, SIGUSR1, 0, 0, 4), -EINVAL); /* sigsetsize must be 8 */
  /* SA_RESETHAND: the second signal takes the default action (ignored: SIGWINCH) */
  got = 0;
  CHECK_EQ(kt_sigaction(SIGWINCH, on_old, SA_RESETHAND), 0);
  SYS2(kill, SYS0(getpid), SIGWINCH);
  SYS2(kill, SYS0(getpid), SIGWINCH);
  CHECK_EQ(got, 1);
  /* SIG_IGN */
  CHECK_EQ(kt_sigaction(SIGUSR1, (void *)1, 0), 0);
  SYS2(kill, SYS0(getpid), SIGUSR1);
}

static void test_ucontext_eip(void) {
  CHECK_EQ(kt_sigaction(SIGILL, on_ill, SA_SIGINFO), 0);
  got_sig = 0;
  __asm__ volatile("ud2");
  CHECK_EQ(got_sig, SIGILL);
}

static volatile int chld;
static void on_chld(int sig) {
  (void)sig;
  chld++;
}

static void test_sigchld_and_suspend(void) {
  CHECK_EQ(kt_sigaction(SIGCHLD, on_chld, 0), 0);
  uint64_t set = 1ull << (SIGCHLD - 1), none = 0;
  CHECK_EQ(SYS4(rt_sigprocmask, SIG_BLOCK, &set, 0, 8), 0);
  long pid = SYS0(fork);
  if (pid == 0)
    kt_exit(3);
  /* wait for SIGCHLD with it unblocked only while suspended */
  CHECK_EQ(SYS2(rt_sigsuspend, &none, 8), -EINTR);
  CHECK_EQ(chld, 1);
  uint64_t now;
  CHECK_EQ(SYS4(rt_sigprocmask, SIG_BLOCK, 0, &now, 8), 0);
  CHECK(now & set); /* the old mask is back */
  int st;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, 3 << 8);
  CHECK_EQ(SYS4(rt_sigprocmask, SIG_UNBLOCK, &set, 0, 8), 0);
}

static void test_timers(void) {
  CHECK_EQ(kt_sigaction(SIGALRM, on_alarm, 0), 0);
  alarms = 0;
  CHECK_EQ(SYS1(alarm, 1), 0);
  CHECK_EQ(SYS0(pause), -EINTR);
  CHECK_EQ(alarms, 1);
  struct itimerval it = {{0, 20000}, {0, 20000}}; /* every 20 ms */
  CHECK_EQ(SYS3(setitimer, ITIMER_REAL, &it, 0), 0);
  for (int k = 0; k < 3; k++)
    CHECK_EQ(SYS0(pause), -EINTR);
  CHECK_EQ(alarms, 4);
  struct itimerval off = {{0, 0}, {0, 0}}, old;
  CHECK_EQ(SYS3(setitimer, ITIMER_REAL, &off, &old), 0);
  CHECK_EQ(old.it_interval.tv_usec, 20000);
  CHECK_EQ(SYS3(setitimer, ITIMER_VIRTUAL, &off, 0), -EINVAL);
}

static void test_restart(void) {
  int fds[2];
  CHECK_EQ(SYS1(pipe, fds), 0);
  long pid = SYS0(fork);
  if (pid == 0) { /* writes twice, late enough for the parent's timer */
    struct timespec ts = {0, 100000000};
    SYS2(nanosleep, &ts, 0);
    SYS3(write, fds[1], "a", 1);
    SYS2(nanosleep, &ts, 0);
    SYS3(write, fds[1], "b", 1);
    kt_exit(0);
  }
  struct itimerval it = {{0, 0}, {0, 30000}};
  char c = 0;
  /* with SA_RESTART the read goes on after the handler */
  alarms = 0;
  CHECK_EQ(kt_sigaction(SIGALRM, on_alarm, SA_RESTART), 0);
  CHECK_EQ(SYS3(setitimer, ITIMER_REAL, &it, 0), 0);
  CHECK_EQ(SYS3(read, fds[0], &c, 1), 1);
  CHECK_EQ(alarms, 1);
  CHECK(c == 'a');
  /* without, it fails with EINTR */
  CHECK_EQ(kt_sigaction(SIGALRM, on_alarm, 0), 0);
  CHECK_EQ(SYS3(setitimer, ITIMER_REAL, &it, 0), 0);
  CHECK_EQ(SYS3(read, fds[0], &c, 1), -EINTR);
  CHECK_EQ(alarms, 2);
  CHECK_EQ(SYS3(read, fds[0], &c, 1), 1);
  CHECK(c == 'b');
  int st;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_sig";
  test_basic();
  test_masks();
  test_ucontext_eip();
  test_sigchld_and_suspend();
  test_timers();
  test_restart();
  printf("kt_sig: PASS\n");
  return 0;
}
