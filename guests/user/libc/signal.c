/* guests/user/libc/signal.c - signals through the rt_* system calls.
 *
 * The C interface keeps the UAPI's one-word sigset_t (signals 1-31); the
 * kernel's calls take its 64-bit set (struct libc_ksigset), so each call
 * converts. sigaction() always passes SA_RESTORER with a restorer of
 * sigreturn.S, as glibc does on i386: libc_restore_rt (rt_sigreturn) for a
 * handler with SA_SIGINFO, which Linux gives an rt frame, libc_restore
 * (sigreturn) for the others, which Linux gives the old frame. */
#include "libc-internal.h"

static void to_kernel(struct libc_ksigset *k, const sigset_t *s) {
  k->sig[0] = *s;
  k->sig[1] = 0;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  struct libc_ksigaction kact, kold;
  if (act) {
    kact.handler = (void *)act->sa_handler;
    kact.flags = act->sa_flags | SA_RESTORER;
    kact.restorer = (act->sa_flags & SA_SIGINFO) ? libc_restore_rt : libc_restore;
    to_kernel(&kact.mask, &act->sa_mask);
  }
  int r = libc_sys_rt_sigaction(sig, act ? &kact : 0, old ? &kold : 0, sizeof(struct libc_ksigset));
  if (r == 0 && old) {
    old->sa_handler = (__sighandler_t)kold.handler;
    old->sa_flags = kold.flags;
    old->sa_restorer = kold.restorer;
    old->sa_mask = kold.mask.sig[0];
  }
  return r;
}

sighandler_t signal(int sig, sighandler_t handler) {
  /* BSD semantics, as glibc's signal(): the handler stays installed and
   * interrupted system calls restart. */
  struct sigaction act = {0}, old;
  act.sa_handler = handler;
  act.sa_flags = SA_RESTART;
  if (sigaction(sig, &act, &old) < 0)
    return SIG_ERR;
  return old.sa_handler;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old) {
  struct libc_ksigset kset, kold;
  if (set)
    to_kernel(&kset, set);
  int r = libc_sys_rt_sigprocmask(how, set ? &kset : 0, old ? &kold : 0, sizeof(kset));
  if (r == 0 && old)
    *old = kold.sig[0];
  return r;
}

int sigpending(sigset_t *set) {
  struct libc_ksigset k;
  int r = libc_sys_rt_sigpending(&k, sizeof(k));
  if (r == 0)
    *set = k.sig[0];
  return r;
}

int sigsuspend(const sigset_t *mask) {
  struct libc_ksigset k;
  to_kernel(&k, mask);
  return libc_sys_rt_sigsuspend(&k, sizeof(k));
}

static int valid(int sig) {
  if (sig < 1 || sig >= NSIG) {
    errno = EINVAL;
    return 0;
  }
  return 1;
}

int sigemptyset(sigset_t *set) {
  *set = 0;
  return 0;
}

int sigfillset(sigset_t *set) {
  *set = ~0ul;
  return 0;
}

int sigaddset(sigset_t *set, int sig) {
  if (!valid(sig))
    return -1;
  *set |= 1ul << (sig - 1);
  return 0;
}

int sigdelset(sigset_t *set, int sig) {
  if (!valid(sig))
    return -1;
  *set &= ~(1ul << (sig - 1));
  return 0;
}

int sigismember(const sigset_t *set, int sig) {
  if (!valid(sig))
    return -1;
  return (int)((*set >> (sig - 1)) & 1);
}

int raise(int sig) { return kill(getpid(), sig); }

/* sigsetjmp's second half (setjmp.S jumps here with its own arguments). */
int libc_sigsetjmp_mask(sigjmp_buf env, int savemask) __attribute__((used));
int libc_sigsetjmp_mask(sigjmp_buf env, int savemask) {
  env->mask_saved = savemask != 0;
  if (savemask)
    libc_sys_rt_sigprocmask(SIG_BLOCK, 0, env->mask, sizeof(env->mask));
  return 0;
}

void siglongjmp(sigjmp_buf env, int val) {
  if (env->mask_saved)
    libc_sys_rt_sigprocmask(SIG_SETMASK, env->mask, 0, sizeof(env->mask));
  longjmp(env, val);
}
