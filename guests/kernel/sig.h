/* sig.h - signals, as Linux i386 delivers them.
 *
 * A process has 64 signals (sigset 64 bits, as rt_sigprocmask wants with
 * sigsetsize 8), a pending set, a blocked set and an action per signal.
 * Signals are acted on when the process is about to return to user mode
 * (kern_exit_to_user): the default action (terminate, ignore; "core"
 * terminates without writing a core; stop and continue are ignored: there
 * is no job control), or a handler, entered through a frame built on the
 * user stack exactly as Linux i386 builds it (an rt_sigframe for
 * SA_SIGINFO handlers, a sigframe otherwise) and left through
 * rt_sigreturn or sigreturn.
 */
#ifndef KERNEL_SIG_H
#define KERNEL_SIG_H

#include <asm/signal.h>
#include <linux/signal.h>

#include "kernel.h"
#include "pv.h"

#define NSIG_K 64

/* The kernel's struct sigaction on i386, as rt_sigaction reads and writes
 * it (handler, flags, restorer, 64-bit mask). Linux's UAPI headers give
 * user space only the old layout (struct sigaction of <asm/signal.h>,
 * with a 32-bit mask between handler and flags), which sigaction (67)
 * uses; this one lives in the kernel's own headers. */
struct ksigaction {
  uint32_t handler;
  uint32_t flags;
  uint32_t restorer;
  uint64_t mask;
};

/* What the kernel keeps of a pending signal's siginfo. */
struct ksiginfo {
  int code;        /* si_code */
  int pid;         /* sender (SI_USER), child (SIGCHLD) */
  int status;      /* SIGCHLD: exit code or signal */
  uint32_t addr;   /* SIGSEGV, SIGBUS: the address */
  int trapno;
};

struct sigstate {
  uint64_t pending, blocked;
  uint64_t saved_blocked;  /* sigsuspend's mask to restore after a handler */
  int restore_mask;
  struct ksigaction action[NSIG_K + 1]; /* by signal number, 1-64 */
  struct ksiginfo info[NSIG_K + 1];
};

struct proc;

static inline uint64_t sig_bit(int sig) { return 1ull << (sig - 1); }

void sig_init_process(struct proc *p);   /* default actions, nothing pending */
void sig_exec(struct proc *p);           /* handlers back to default */
void sig_fork(struct proc *child, struct proc *parent);
/* Makes sig pending for p (sender pid, code); wakes p if it sleeps. */
void sig_send(struct proc *p, int sig, const struct ksiginfo *info);
/* A fault of the current process: the signal cannot be blocked or ignored. */
void sig_force(int sig, int code, uint32_t addr, int trapno);
int sig_pending(struct proc *p);         /* something deliverable? */
void sig_deliver(struct trapframe *tf);  /* on the way to user mode */

long sys_kill(int pid, int sig);
long sys_rt_sigaction(int sig, uint32_t act, uint32_t oact, uint32_t setsize);
long sys_sigaction(int sig, uint32_t act, uint32_t oact);
long sys_signal(int sig, uint32_t handler);
long sys_rt_sigprocmask(int how, uint32_t set, uint32_t oset, uint32_t setsize);
long sys_sigprocmask(int how, uint32_t set, uint32_t oset);
long sys_rt_sigpending(uint32_t set, uint32_t setsize);
long sys_rt_sigsuspend(uint32_t set, uint32_t setsize);
long sys_sigsuspend(int a, int b, uint32_t mask);
long sys_pause(void);
long sys_rt_sigreturn(void);
long sys_sigreturn(void);

#endif
