/* t_signal - signals.
 *
 * A handler runs, with its signal number; while it runs its own signal and
 * sa_mask are blocked, and what arrives meanwhile waits until it returns.
 * sigprocmask blocks a signal: it stays pending (sigpending) and is
 * delivered when unblocked, before sigprocmask returns. SA_SIGINFO gives
 * the sender in siginfo and the interrupted registers in the ucontext;
 * rt_sigreturn restores the registers from that frame (changes a handler
 * makes there take effect); a handler without SA_SIGINFO gets the old
 * frame (a sigcontext above the signal number) and sigreturn. SA_RESETHAND and SA_NODEFER. SIGCHLD arrives
 * when a child ends. kill reaches ourselves and a child; a signal
 * interrupts a blocking read (EINTR) unless SA_RESTART. Default actions:
 * SIGTERM and SIGUSR1 terminate, SIGCHLD is ignored; SIG_IGN discards.
 * Errors: EINVAL (bad signal numbers, a handler for SIGKILL), ESRCH. */
#include "t.h"

static volatile int got[NSIG];   /* deliveries per signal */
static volatile int order[8];    /* signals in delivery order */
static volatile int norder;
static volatile int usr2_during_usr1; /* SIGUSR2 ran inside SIGUSR1's handler */
static volatile int in_usr1;

static void record(int sig) {
  got[sig]++;
  if (norder < 8)
    order[norder++] = sig;
}

static void on_signal(int sig) {
  record(sig);
  if (sig == SIGUSR2 && in_usr1)
    usr2_during_usr1 = 1;
}

static void reset(void) {
  memset((void *)got, 0, sizeof(got));
  norder = 0;
}

static void install(int sig, void (*fn)(int), int flags, sigset_t mask) {
  struct sigaction sa = {0};
  sa.sa_handler = fn;
  sa.sa_mask = mask;
  sa.sa_flags = flags;
  T_OK(sigaction(sig, &sa, 0));
}

static sigset_t none(void) {
  sigset_t s;
  sigemptyset(&s);
  return s;
}

static void handler_runs(void) {
  reset();
  install(SIGUSR1, on_signal, 0, none());
  T_OK(raise(SIGUSR1));
  T_EQ(got[SIGUSR1], 1);
  T_OK(kill(getpid(), SIGUSR1));
  T_EQ(got[SIGUSR1], 2);
  /* sigaction reports the handler back */
  struct sigaction old;
  T_OK(sigaction(SIGUSR1, 0, &old));
  T_CHECK(old.sa_handler == on_signal);
  /* kill with signal 0 checks the pid only */
  T_OK(kill(getpid(), 0));
  T_EQ(got[SIGUSR1], 2);
}

/* SIGUSR1's handler raises SIGUSR2 (in its sa_mask) and SIGUSR1 again
 * (blocked while its handler runs): both wait until it returns. */
static volatile int inside_ok;
static void on_usr1_raising(int sig) {
  record(sig);
  if (got[SIGUSR1] == 1) {
    in_usr1 = 1;
    raise(SIGUSR2);
    raise(SIGUSR1);
    inside_ok = got[SIGUSR2] == 0 && got[SIGUSR1] == 1;
    in_usr1 = 0;
  }
}

/* with SA_NODEFER the nested SIGUSR1 runs at once, inside */
static void on_usr1_nodefer(int sig) {
  record(sig);
  if (got[SIGUSR1] == 1) {
    raise(SIGUSR1);
    inside_ok = got[SIGUSR1] == 2;
  }
}

static void handler_masks(void) {
  reset();
  usr2_during_usr1 = 0;
  sigset_t m = none();
  sigaddset(&m, SIGUSR2);
  install(SIGUSR1, on_usr1_raising, 0, m);
  install(SIGUSR2, on_signal, 0, none());
  inside_ok = 0;
  T_OK(raise(SIGUSR1));
  T_CHECK(inside_ok);
  T_EQ(got[SIGUSR1], 2);
  T_EQ(got[SIGUSR2], 1);
  T_EQ(usr2_during_usr1, 0);
  /* the mask inside the handler is restored afterwards */
  sigset_t now;
  T_OK(sigprocmask(SIG_BLOCK, 0, &now));
  T_EQ(sigismember(&now, SIGUSR1), 0);
  T_EQ(sigismember(&now, SIGUSR2), 0);
}

static void blocking_and_pending(void) {
  reset();
  install(SIGUSR1, on_signal, 0, none());
  install(SIGUSR2, on_signal, 0, none());
  sigset_t b = none(), old, pend;
  sigaddset(&b, SIGUSR1);
  T_OK(sigprocmask(SIG_BLOCK, &b, &old));
  T_EQ(sigismember(&old, SIGUSR1), 0);
  T_OK(raise(SIGUSR1));
  T_OK(raise(SIGUSR1)); /* standard signals do not queue: one delivery */
  T_EQ(got[SIGUSR1], 0);
  T_OK(sigpending(&pend));
  T_EQ(sigismember(&pend, SIGUSR1), 1);
  T_EQ(sigismember(&pend, SIGUSR2), 0);
  T_OK(raise(SIGUSR2)); /* not blocked: delivered now */
  T_EQ(got[SIGUSR2], 1);
  T_OK(sigprocmask(SIG_UNBLOCK, &b, 0)); /* delivered before this returns */
  T_EQ(got[SIGUSR1], 1);
  T_OK(sigpending(&pend));
  T_EQ(sigismember(&pend, SIGUSR1), 0);
  /* SIG_SETMASK and the old mask */
  T_OK(sigprocmask(SIG_SETMASK, &b, 0));
  T_OK(sigprocmask(SIG_SETMASK, &old, &pend));
  T_EQ(sigismember(&pend, SIGUSR1), 1);
  /* SIGKILL and SIGSTOP cannot be blocked: the kernel drops them silently */
  sigset_t all;
  sigfillset(&all);
  T_OK(sigprocmask(SIG_SETMASK, &all, 0));
  T_OK(sigprocmask(SIG_SETMASK, &old, &pend));
  T_EQ(sigismember(&pend, SIGKILL), 0);
  T_EQ(sigismember(&pend, SIGSTOP), 0);
  T_ERR(sigprocmask(99, &b, 0), EINVAL);
}

/* ---- SA_SIGINFO and rt_sigreturn ---- */

static volatile int info_ok;
static volatile unsigned long seen_esi, seen_edi, seen_edx, seen_ebp, seen_eax;

static void on_info(int sig, siginfo_t *si, void *ctx) {
  struct ucontext *uc = ctx;
  info_ok = sig == SIGUSR1 && si->si_signo == SIGUSR1 && si->si_code == SI_USER &&
            si->si_pid == getpid();
  seen_esi = uc->uc_mcontext.esi;
  seen_edi = uc->uc_mcontext.edi;
  seen_edx = uc->uc_mcontext.edx;
  seen_ebp = uc->uc_mcontext.ebp;
  seen_eax = uc->uc_mcontext.eax;
  /* what rt_sigreturn must put back */
  uc->uc_mcontext.esi = 0xfeedface;
  uc->uc_mcontext.edi = 0xc0ffee00;
  uc->uc_mcontext.edx = 0x0ddba11;
  uc->uc_mcontext.eax = 0x77;
}

static void sigreturn_restores_registers(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO;
  T_OK(sigaction(SIGUSR1, &sa, 0));
  unsigned long esi, edi, edx, eax, ebp_after;
  long pid = getpid();
  /* kill(getpid(), SIGUSR1) by hand, with known values in the registers
   * the call does not use; the signal is delivered on the way back */
  __asm__ volatile(
      "pushl %%ebp\n\t"
      "movl $0x12345678, %%esi\n\t"
      "movl $0x9abcdef0, %%edi\n\t"
      "movl $0x0badf00d, %%edx\n\t"
      "movl $0x5eed5eed, %%ebp\n\t"
      "int $0x80\n\t"
      "movl %%ebp, %%ecx\n\t"
      "popl %%ebp"
      : "=S"(esi), "=D"(edi), "=d"(edx), "=a"(eax), "=c"(ebp_after)
      : "a"((long)__NR_kill), "b"(pid), "c"((long)SIGUSR1)
      : "memory");
  T_CHECK(info_ok);
  T_EQ(seen_esi, 0x12345678);
  T_EQ(seen_edi, 0x9abcdef0);
  T_EQ(seen_edx, 0x0badf00d);
  T_EQ(seen_ebp, 0x5eed5eed);
  T_EQ(seen_eax, 0); /* kill's result, already in EAX */
  T_EQ(esi, 0xfeedface);
  T_EQ(edi, 0xc0ffee00);
  T_EQ(edx, 0x0ddba11);
  T_EQ(eax, 0x77);
  T_EQ(ebp_after, 0x5eed5eed);
  install(SIGUSR1, SIG_DFL, 0, none());
}

/* A handler without SA_SIGINFO gets Linux i386's old frame: the signal
 * number, then a struct sigcontext, right above its return address; it
 * returns through sigreturn (not rt_sigreturn), which restores from it. */
static volatile unsigned long old_seen_esi;
static void on_old_frame(int sig) {
  uintptr_t at = (uintptr_t)&sig + sizeof(sig);
  __asm__("" : "+r"(at)); /* the compiler may not reason about the frame */
  struct sigcontext *sc = (struct sigcontext *)at;
  old_seen_esi = sc->esi;
  sc->esi = 0xabad1dea;
}

static void sigreturn_old_frame(void) {
  install(SIGUSR2, on_old_frame, 0, none());
  unsigned long esi, ebx = (unsigned long)getpid();
  __asm__ volatile("movl $0x13572468, %%esi\n\t"
                   "int $0x80"
                   : "=S"(esi), "+b"(ebx)
                   : "a"((long)__NR_kill), "c"((long)SIGUSR2)
                   : "memory", "edx");
  T_EQ(old_seen_esi, 0x13572468);
  T_EQ(esi, 0xabad1dea);
  install(SIGUSR2, SIG_DFL, 0, none());
}

static void resethand_nodefer(void) {
  /* SA_RESETHAND: the handler runs once, then the default action is back */
  reset();
  install(SIGUSR2, on_signal, SA_RESETHAND, none());
  T_OK(raise(SIGUSR2));
  T_EQ(got[SIGUSR2], 1);
  struct sigaction old;
  T_OK(sigaction(SIGUSR2, 0, &old));
  T_CHECK(old.sa_handler == SIG_DFL);
  /* SA_NODEFER: the handler's own signal is not blocked inside it */
  reset();
  inside_ok = 0;
  install(SIGUSR1, on_usr1_nodefer, SA_NODEFER, none());
  T_OK(raise(SIGUSR1));
  T_CHECK(inside_ok);
  T_EQ(got[SIGUSR1], 2);
  T_OK(sigaction(SIGUSR1, 0, &old));
  T_CHECK(old.sa_handler == on_usr1_nodefer);
  install(SIGUSR1, SIG_DFL, 0, none());
}

static void sigchld_arrives(void) {
  reset();
  install(SIGCHLD, on_signal, 0, none());
  sigset_t b = none(), old;
  sigaddset(&b, SIGCHLD);
  T_OK(sigprocmask(SIG_BLOCK, &b, &old));
  pid_t pid = t_fork();
  if (pid == 0)
    _exit(0);
  /* wait for it with sigsuspend: atomically unblock and sleep */
  sigset_t wait_mask = old;
  sigdelset(&wait_mask, SIGCHLD);
  while (!got[SIGCHLD]) {
    errno = 0;
    T_EQ(sigsuspend(&wait_mask), -1);
    T_EQ(errno, EINTR);
  }
  T_EQ(got[SIGCHLD], 1);
  T_CHILD_OK(pid);
  T_OK(sigprocmask(SIG_SETMASK, &old, 0));
  install(SIGCHLD, SIG_DFL, 0, none());
}

static volatile int child_got_usr1;
static void child_usr1(int sig) {
  (void)sig;
  child_got_usr1 = 1;
}

static void kill_child(void) {
  /* a child with a handler: it waits in sigsuspend, we signal it */
  int ready[2];
  T_OK(pipe(ready));
  pid_t pid = t_fork();
  if (pid == 0) {
    sigset_t b = none(), old;
    sigaddset(&b, SIGUSR1);
    sigprocmask(SIG_BLOCK, &b, &old);
    signal(SIGUSR1, child_usr1);
    write(ready[1], "r", 1);
    while (!child_got_usr1)
      sigsuspend(&old);
    _exit(33);
  }
  char c;
  T_EQ(read(ready[0], &c, 1), 1);
  T_OK(kill(pid, SIGUSR1));
  T_CHILD_EXIT(pid, 33);

  /* default actions in a child: SIGTERM and SIGUSR1 terminate, SIGCHLD
   * is ignored, an ignored SIGTERM does nothing */
  pid = t_fork();
  if (pid == 0) {
    raise(SIGCHLD);
    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    signal(SIGTERM, SIG_DFL);
    raise(SIGUSR1);
    _exit(44);
  }
  T_CHILD_KILLED(pid, SIGUSR1);
  close(ready[0]);
  close(ready[1]);
}

static volatile int interrupted;
static void on_alarmish(int sig) {
  (void)sig;
  interrupted++;
}

/* A child keeps signalling us (it cannot know when we block) until we
 * acknowledge; our read on an empty pipe is interrupted: EINTR without
 * SA_RESTART. With SA_RESTART the read goes on and returns the data the
 * child finally writes. */
static void interrupts_read(int restart) {
  int data[2], ack[2];
  T_OK(pipe(data));
  T_OK(pipe(ack));
  interrupted = 0;
  install(SIGUSR1, on_alarmish, restart ? SA_RESTART : 0, none());
  pid_t me = getpid();
  pid_t pid = t_fork();
  if (pid == 0) {
    close(data[0]);
    for (int i = 0; i < 20; i++) {
      kill(me, SIGUSR1);
      sched_yield();
    }
    if (restart) {
      write(data[1], "d", 1);
    } else {
      struct pollfd p = {ack[0], POLLIN, 0};
      while (poll(&p, 1, 0) == 0) {
        kill(me, SIGUSR1);
        sched_yield();
      }
    }
    _exit(0);
  }
  char c;
  errno = 0;
  ssize_t r = read(data[0], &c, 1);
  if (restart) {
    T_EQ(r, 1);
    T_EQ(c, 'd');
  } else {
    T_EQ(r, -1);
    T_EQ(errno, EINTR);
    T_EQ(write(ack[1], "a", 1), 1);
  }
  T_CHECK(interrupted > 0);
  T_CHILD_OK(pid);
  install(SIGUSR1, SIG_DFL, 0, none());
  close(data[0]);
  close(data[1]);
  close(ack[0]);
  close(ack[1]);
}

static void errors(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  T_ERR(sigaction(SIGKILL, &sa, 0), EINVAL);
  T_ERR(sigaction(SIGSTOP, &sa, 0), EINVAL);
  T_ERR(sigaction(0, &sa, 0), EINVAL);
  T_ERR(sigaction(65, &sa, 0), EINVAL);
  T_ERR(kill(getpid(), 99), EINVAL);
  T_ERR(kill(0x3fffffff, SIGUSR1), ESRCH);
  /* a wrong sigsetsize */
  T_EQ(syscall_raw(__NR_rt_sigprocmask, SIG_BLOCK, 0, 0, 4, 0, 0), -EINVAL);
}

int main(void) {
  t_init("t_signal");
  handler_runs();
  handler_masks();
  blocking_and_pending();
  sigreturn_restores_registers();
  sigreturn_old_frame();
  resethand_nodefer();
  sigchld_arrives();
  kill_child();
  interrupts_read(0);
  interrupts_read(1);
  errors();
  return t_done();
}
