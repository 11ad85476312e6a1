/* sig.c - signals: sending, the system calls, and delivery on the way back
 * to user mode with Linux i386's signal frames.
 *
 * Frames (on the user stack, below the interrupted esp, aligned so that
 * (esp + 4) % 16 == 0 at the handler's first instruction, as the i386 ABI
 * wants at a function's entry):
 *
 *   handler with SA_SIGINFO: struct rt_frame       without: struct old_frame
 *     pretcode  -> restorer                           pretcode -> restorer
 *     sig                                             sig
 *     pinfo     -> info                               sc (struct sigcontext)
 *     puc       -> uc                                 fpstate (unused)
 *     info      (siginfo_t)                           extramask (mask >> 32)
 *     uc        (struct ucontext, mask 64 bits)       retcode
 *     retcode
 *
 * The restorer is sa_restorer with SA_RESTORER; otherwise the frame's
 * retcode (movl $__NR_rt_sigreturn, %eax; int $0x80, or popl %eax; movl
 * $__NR_sigreturn, %eax; int $0x80), as Linux wrote them before the vDSO.
 * rt_sigreturn finds the frame at esp - 4 (the restorer's ret popped
 * pretcode), sigreturn at esp - 8 (its popl took sig too). The handler gets
 * eax = sig and, for rt frames, edx = &info, ecx = &uc. There is no FPU
 * state (sc.fpstate = NULL) and no alternate stack.
 */
#include "sig.h"

#include <asm-generic/errno.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <asm/unistd_32.h>

#include "mem.h"
#include "proc.h"
#include "uaccess.h"
#include "vm.h"

#define SIG_DFL_K 0u
#define SIG_IGN_K 1u
#define UNBLOCKABLE (sig_bit(SIGKILL) | sig_bit(SIGSTOP))
#define VEC_SYSCALL 0x80

struct old_frame {
  uint32_t pretcode;
  int sig;
  struct sigcontext sc;
  struct _fpstate_32 fpstate_unused;
  uint32_t extramask[1];
  char retcode[8];
};

struct rt_frame {
  uint32_t pretcode;
  int sig;
  uint32_t pinfo;
  uint32_t puc;
  siginfo_t info;
  struct ucontext uc;      /* uc_sigmask is the UAPI's 32 bits... */
  uint32_t uc_sigmask_hi;  /* ...the kernel's sigset goes on for 32 more */
  char retcode[8];
};

/* ---- default actions ------------------------------------------------------------ */
enum { ACT_TERM, ACT_IGN, ACT_CORE, ACT_STOP };

static int default_action(int sig) {
  switch (sig) {
  case SIGCHLD:
  case SIGURG:
  case SIGWINCH:
  case SIGCONT:
    return ACT_IGN;
  case SIGSTOP:
  case SIGTSTP:
  case SIGTTIN:
  case SIGTTOU:
    return ACT_STOP; /* no job control: ignored */
  case SIGQUIT:
  case SIGILL:
  case SIGTRAP:
  case SIGABRT:
  case SIGBUS:
  case SIGFPE:
  case SIGSEGV:
  case SIGXCPU:
  case SIGXFSZ:
  case SIGSYS:
    return ACT_CORE; /* terminates; no core file is written */
  default:
    return ACT_TERM; /* and the real-time signals 32-64 */
  }
}

static int sig_ignored(struct proc *p, int sig) {
  if (sig == SIGKILL)
    return 0;
  uint32_t h = p->sig.action[sig].handler;
  if (h == SIG_IGN_K)
    return 1;
  int act = default_action(sig);
  return h == SIG_DFL_K && (act == ACT_IGN || act == ACT_STOP);
}

/* ---- state ---------------------------------------------------------------------- */
void sig_init_process(struct proc *p) { memset(&p->sig, 0, sizeof p->sig); }

void sig_exec(struct proc *p) {
  for (int s = 1; s <= NSIG_K; s++) {
    struct ksigaction *a = &p->sig.action[s];
    uint32_t keep_ignored = a->handler == SIG_IGN_K;
    memset(a, 0, sizeof *a);
    a->handler = keep_ignored ? SIG_IGN_K : SIG_DFL_K;
  }
}

void sig_fork(struct proc *child, struct proc *parent) {
  child->sig = parent->sig;
  child->sig.pending = 0;
  child->sig.restore_mask = 0;
}

int sig_pending(struct proc *p) {
  return (p->sig.pending & (~p->sig.blocked | sig_bit(SIGKILL))) != 0;
}

void sig_send(struct proc *p, int sig, const struct ksiginfo *info) {
  if (sig < 1 || sig > NSIG_K || p->state == P_ZOMBIE || p->state == P_UNUSED)
    return;
  uint64_t bit = sig_bit(sig);
  if (!(p->sig.blocked & bit) && sig_ignored(p, sig))
    return; /* discarded, as Linux does */
  if (p->pid == 1 && p->sig.action[sig].handler == SIG_DFL_K)
    return; /* init gets only the signals it has handlers for (Linux) */
  if (!(p->sig.pending & bit)) {
    p->sig.pending |= bit;
    p->sig.info[sig] = *info;
  }
  if (sig_pending(p))
    wake_process(p);
}

void sig_force(int sig, int code, uint32_t addr, int trapno) {
  struct proc *p = current;
  struct ksigaction *a = &p->sig.action[sig];
  if ((p->sig.blocked & sig_bit(sig)) || a->handler == SIG_IGN_K) {
    a->handler = SIG_DFL_K; /* a fault that cannot be handled kills */
    p->sig.blocked &= ~sig_bit(sig);
  }
  struct ksiginfo info = {.code = code, .addr = addr, .trapno = trapno};
  p->sig.pending |= sig_bit(sig);
  p->sig.info[sig] = info;
}

/* ---- frames --------------------------------------------------------------------- */
static void fill_sigcontext(struct sigcontext *sc, const struct trapframe *tf, uint32_t mask_lo,
                            const struct ksiginfo *ki, int sig) {
  memset(sc, 0, sizeof *sc);
  sc->gs = (uint16_t)tf->gs;
  sc->fs = (uint16_t)tf->fs;
  sc->es = (uint16_t)tf->es;
  sc->ds = (uint16_t)tf->ds;
  sc->edi = tf->edi;
  sc->esi = tf->esi;
  sc->ebp = tf->ebp;
  sc->esp = tf->esp;
  sc->ebx = tf->ebx;
  sc->edx = tf->edx;
  sc->ecx = tf->ecx;
  sc->eax = tf->eax;
  int fault = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
  sc->trapno = fault ? (uint32_t)ki->trapno : 0;
  sc->err = fault && ki->trapno == 14 ? current->fault_err : 0;
  sc->eip = tf->eip;
  sc->cs = (uint16_t)tf->cs;
  sc->eflags = tf->eflags;
  sc->esp_at_signal = tf->esp;
  sc->ss = (uint16_t)tf->ss;
  sc->fpstate = NULL;
  sc->oldmask = mask_lo;
  sc->cr2 = fault ? ki->addr : 0;
}

static void fill_siginfo(siginfo_t *si, int sig, const struct ksiginfo *ki) {
  memset(si, 0, sizeof *si);
  si->si_signo = sig;
  si->si_code = ki->code;
  switch (sig) {
  case SIGSEGV:
  case SIGBUS:
  case SIGILL:
  case SIGFPE:
  case SIGTRAP:
    if (ki->code > 0) { /* a fault, not a kill */
      si->si_addr = (void *)ki->addr;
      break;
    }
    si->si_pid = ki->pid;
    break;
  case SIGCHLD:
    si->si_pid = ki->pid;
    si->si_status = ki->status;
    break;
  default:
    si->si_pid = ki->pid;
    break;
  }
}

static uint32_t frame_address(const struct trapframe *tf, uint32_t size) {
  uint32_t sp = tf->esp - size;
  return ((sp + 4) & ~15u) - 4;
}

/* Builds the frame and points tf at the handler; 0, or -EFAULT if the
 * user stack cannot take it. */
static int setup_frame(struct trapframe *tf, int sig, const struct ksigaction *a, uint64_t mask) {
  const struct ksiginfo *ki = &current->sig.info[sig];
  if (a->flags & SA_SIGINFO) {
    struct rt_frame *f = kzalloc(sizeof *f);
    if (!f)
      return -EFAULT;
    uint32_t at = frame_address(tf, sizeof *f);
    f->sig = sig;
    f->pinfo = at + offsetof(struct rt_frame, info);
    f->puc = at + offsetof(struct rt_frame, uc);
    fill_siginfo(&f->info, sig, ki);
    f->uc.uc_flags = 0;
    f->uc.uc_link = NULL;
    f->uc.uc_stack.ss_sp = NULL;
    f->uc.uc_stack.ss_flags = SS_DISABLE;
    f->uc.uc_stack.ss_size = 0;
    fill_sigcontext(&f->uc.uc_mcontext, tf, (uint32_t)mask, ki, sig);
    f->uc.uc_sigmask = (uint32_t)mask;
    f->uc_sigmask_hi = (uint32_t)(mask >> 32);
    static const char rt_code[8] = {(char)0xb8, (char)(__NR_rt_sigreturn & 0xff), (char)(__NR_rt_sigreturn >> 8), 0, 0,
                                    (char)0xcd, (char)0x80, 0}; /* movl $173, %eax; int $0x80 */
    memcpy(f->retcode, rt_code, sizeof rt_code);
    f->pretcode = (a->flags & SA_RESTORER) ? a->restorer : at + offsetof(struct rt_frame, retcode);
    int r = copy_to_user((void *)at, f, sizeof *f);
    kfree(f);
    if (r < 0)
      return r;
    tf->esp = at;
    tf->edx = at + offsetof(struct rt_frame, info);
    tf->ecx = at + offsetof(struct rt_frame, uc);
  } else {
    struct old_frame *f = kzalloc(sizeof *f);
    if (!f)
      return -EFAULT;
    uint32_t at = frame_address(tf, sizeof *f);
    f->sig = sig;
    fill_sigcontext(&f->sc, tf, (uint32_t)mask, ki, sig);
    f->extramask[0] = (uint32_t)(mask >> 32);
    static const char code[8] = {(char)0x58, (char)0xb8, (char)__NR_sigreturn, 0, 0, 0, (char)0xcd,
                                 (char)0x80}; /* popl %eax; movl $119, %eax; int $0x80 */
    memcpy(f->retcode, code, sizeof code);
    f->pretcode = (a->flags & SA_RESTORER) ? a->restorer : at + offsetof(struct old_frame, retcode);
    int r = copy_to_user((void *)at, f, sizeof *f);
    kfree(f);
    if (r < 0)
      return r;
    tf->esp = at;
    tf->edx = 0;
    tf->ecx = 0;
  }
  tf->eip = a->handler;
  tf->eax = (uint32_t)sig;
  tf->cs = pv.user_cs;
  tf->ss = pv.user_ds;
  tf->ds = pv.user_ds;
  tf->es = pv.user_ds;
  tf->eflags &= ~(EFLAGS_TF | EFLAGS_DF);
  return 0;
}

static int selector_ok(uint32_t sel) { return (sel & 0xFFFC) == 0 || (sel | 3) == pv.user_ds; }

/* Restores registers from a sigcontext; 0, or -1 if its selectors are not
 * ones a user may load (the process then dies of SIGSEGV, as on Linux
 * when the IRET faults). */
static int restore_sigcontext(struct trapframe *tf, const struct sigcontext *sc) {
  if ((sc->cs | 3) != pv.user_cs || (sc->ss | 3) != pv.user_ds || !selector_ok(sc->ds) || !selector_ok(sc->es) ||
      !selector_ok(sc->fs) || !selector_ok(sc->gs))
    return -1;
  tf->gs = sc->gs;
  tf->fs = sc->fs;
  tf->es = sc->es;
  tf->ds = sc->ds;
  tf->edi = sc->edi;
  tf->esi = sc->esi;
  tf->ebp = sc->ebp;
  tf->esp = sc->esp;
  tf->ebx = sc->ebx;
  tf->edx = sc->edx;
  tf->ecx = sc->ecx;
  tf->eax = sc->eax;
  tf->eip = sc->eip;
  tf->cs = sc->cs | 3;
  tf->ss = sc->ss | 3;
  tf->eflags = (tf->eflags & ~EFLAGS_USER_CHANGEABLE) | (sc->eflags & EFLAGS_USER_CHANGEABLE);
  tf->err = (uint32_t)-1; /* no system-call restart */
  return 0;
}

static void set_blocked(uint64_t m) { current->sig.blocked = m & ~UNBLOCKABLE; }

long sys_rt_sigreturn(void) {
  struct trapframe *tf = current->tf;
  uint32_t at = tf->esp - 4;
  struct rt_frame *f = kmalloc(sizeof *f);
  if (!f)
    goto bad;
  if (copy_from_user(f, (const void *)at, sizeof *f) < 0 || restore_sigcontext(tf, &f->uc.uc_mcontext) < 0) {
    kfree(f);
    goto bad;
  }
  set_blocked(f->uc.uc_sigmask | ((uint64_t)f->uc_sigmask_hi << 32));
  kfree(f);
  return (long)tf->eax;
bad:
  sig_force(SIGSEGV, SI_KERNEL, 0, 0);
  return 0;
}

long sys_sigreturn(void) {
  struct trapframe *tf = current->tf;
  uint32_t at = tf->esp - 8;
  struct old_frame *f = kmalloc(sizeof *f);
  if (!f)
    goto bad;
  if (copy_from_user(f, (const void *)at, sizeof *f) < 0 || restore_sigcontext(tf, &f->sc) < 0) {
    kfree(f);
    goto bad;
  }
  set_blocked(f->sc.oldmask | ((uint64_t)f->extramask[0] << 32));
  kfree(f);
  return (long)tf->eax;
bad:
  sig_force(SIGSEGV, SI_KERNEL, 0, 0);
  return 0;
}

/* ---- delivery --------------------------------------------------------------------- */
static int next_signal(struct proc *p) {
  uint64_t ready = p->sig.pending & (~p->sig.blocked | sig_bit(SIGKILL));
  if (!ready)
    return 0;
  if (ready & sig_bit(SIGKILL))
    return SIGKILL;
  return __builtin_ctzll(ready) + 1;
}

static void syscall_restart(struct trapframe *tf, int handler, uint32_t flags) {
  if (tf->trapno != VEC_SYSCALL || (int32_t)tf->err < 0)
    return;
  int32_t r = (int32_t)tf->eax;
  if (r != -ERESTARTSYS && r != -ERESTARTNOHAND)
    return;
  if (handler && (r == -ERESTARTNOHAND || !(flags & SA_RESTART))) {
    tf->eax = (uint32_t)-EINTR;
  } else {
    tf->eax = tf->err; /* the call again */
    tf->eip -= 2;      /* int $0x80 is two bytes */
  }
  tf->err = (uint32_t)-1;
}

void sig_deliver(struct trapframe *tf) {
  struct proc *p = current;
  int sig;
  while ((sig = next_signal(p)) != 0) {
    p->sig.pending &= ~sig_bit(sig);
    struct ksigaction *a = &p->sig.action[sig];
    if (sig == SIGKILL || a->handler == SIG_DFL_K) {
      int act = sig == SIGKILL ? ACT_TERM : default_action(sig);
      if (act == ACT_IGN || act == ACT_STOP)
        continue;
      do_exit(sig); /* killed: wait status is the signal number */
    }
    if (a->handler == SIG_IGN_K)
      continue;
    syscall_restart(tf, 1, a->flags);
    uint64_t old = p->sig.restore_mask ? p->sig.saved_blocked : p->sig.blocked;
    p->sig.restore_mask = 0;
    struct ksigaction act = *a;
    if (setup_frame(tf, sig, &act, old) < 0) {
      sig_force(SIGSEGV, SI_KERNEL, 0, 0);
      continue; /* SIGSEGV at default kills on the next round */
    }
    uint64_t block = act.mask;
    if (!(act.flags & SA_NODEFER))
      block |= sig_bit(sig);
    set_blocked(old | block);
    if (act.flags & SA_RESETHAND)
      a->handler = SIG_DFL_K;
    return; /* one handler per return to user mode, as Linux */
  }
  syscall_restart(tf, 0, 0);
  if (p->sig.restore_mask) {
    p->sig.restore_mask = 0;
    set_blocked(p->sig.saved_blocked);
  }
}

/* ---- system calls ------------------------------------------------------------------ */
long sys_kill(int pid, int sig) {
  if (sig < 0 || sig > NSIG_K)
    return -EINVAL;
  struct ksiginfo info = {.code = SI_USER, .pid = current->pid};
  int found = 0;
  for (int k = 0; k < NPROC; k++) {
    struct proc *p = proc_table[k];
    if (!p || p->state == P_UNUSED)
      continue;
    int match;
    if (pid > 0)
      match = p->pid == pid;
    else if (pid == 0)
      match = p->pgid == current->pgid;
    else if (pid == -1)
      match = p->pid != 1 && p != current;
    else
      match = p->pgid == -pid;
    if (!match)
      continue;
    found = 1;
    if (sig)
      sig_send(p, sig, &info);
  }
  if (pid == -1 && sig)
    found = 1; /* Linux: success if the set was searched */
  return found ? 0 : -ESRCH;
}

static int sigaction_common(int sig, const struct ksigaction *act, struct ksigaction *old) {
  if (sig < 1 || sig > NSIG_K)
    return -EINVAL;
  struct ksigaction *a = &current->sig.action[sig];
  if (old)
    *old = *a;
  if (act) {
    if (sig == SIGKILL || sig == SIGSTOP)
      return -EINVAL;
    *a = *act;
    a->mask &= ~UNBLOCKABLE;
    if (sig_ignored(current, sig)) /* POSIX: setting SIG_IGN discards it */
      current->sig.pending &= ~sig_bit(sig);
  }
  return 0;
}

long sys_rt_sigaction(int sig, uint32_t uact, uint32_t uoact, uint32_t setsize) {
  if (setsize != 8)
    return -EINVAL;
  struct ksigaction act, old;
  if (uact && copy_from_user(&act, (const void *)uact, sizeof act) < 0)
    return -EFAULT;
  int r = sigaction_common(sig, uact ? &act : NULL, &old);
  if (r < 0)
    return r;
  if (uoact && copy_to_user((void *)uoact, &old, sizeof old) < 0)
    return -EFAULT;
  return 0;
}

long sys_sigaction(int sig, uint32_t uact, uint32_t uoact) {
  struct sigaction u; /* the UAPI's old layout: handler, 32-bit mask, flags, restorer */
  struct ksigaction act, old;
  if (uact) {
    if (copy_from_user(&u, (const void *)uact, sizeof u) < 0)
      return -EFAULT;
    act.handler = (uint32_t)u.sa_handler;
    act.flags = (uint32_t)u.sa_flags;
    act.restorer = (uint32_t)u.sa_restorer;
    act.mask = (uint32_t)u.sa_mask;
  }
  int r = sigaction_common(sig, uact ? &act : NULL, &old);
  if (r < 0)
    return r;
  if (uoact) {
    memset(&u, 0, sizeof u);
    u.sa_handler = (__sighandler_t)old.handler;
    u.sa_flags = old.flags;
    u.sa_restorer = (void (*)(void))old.restorer;
    u.sa_mask = (sigset_t)old.mask;
    if (copy_to_user((void *)uoact, &u, sizeof u) < 0)
      return -EFAULT;
  }
  return 0;
}

long sys_signal(int sig, uint32_t handler) {
  struct ksigaction act = {.handler = handler, .flags = SA_RESETHAND | SA_NODEFER}, old;
  int r = sigaction_common(sig, &act, &old);
  return r < 0 ? r : (long)old.handler;
}

static int mask_update(int how, const uint64_t *set) {
  uint64_t b = current->sig.blocked;
  switch (how) {
  case SIG_BLOCK:
    b |= *set;
    break;
  case SIG_UNBLOCK:
    b &= ~*set;
    break;
  case SIG_SETMASK:
    b = *set;
    break;
  default:
    return -EINVAL;
  }
  set_blocked(b);
  return 0;
}

long sys_rt_sigprocmask(int how, uint32_t uset, uint32_t uoset, uint32_t setsize) {
  if (setsize != 8)
    return -EINVAL;
  uint64_t old = current->sig.blocked, set;
  if (uset) {
    if (copy_from_user(&set, (const void *)uset, 8) < 0)
      return -EFAULT;
    int r = mask_update(how, &set);
    if (r < 0)
      return r;
  }
  if (uoset && copy_to_user((void *)uoset, &old, 8) < 0)
    return -EFAULT;
  return 0;
}

long sys_sigprocmask(int how, uint32_t uset, uint32_t uoset) {
  uint64_t old = current->sig.blocked;
  if (uset) {
    uint32_t s;
    if (get_user_u32(&s, (const void *)uset) < 0)
      return -EFAULT;
    uint64_t set = s;
    if (how == SIG_SETMASK)
      set |= old & 0xFFFFFFFF00000000ull; /* the old call sees only 32 signals */
    int r = mask_update(how, &set);
    if (r < 0)
      return r;
  }
  if (uoset && put_user_u32((void *)uoset, (uint32_t)old) < 0)
    return -EFAULT;
  return 0;
}

long sys_rt_sigpending(uint32_t uset, uint32_t setsize) {
  if (setsize > 8)
    return -EINVAL;
  uint64_t p = current->sig.pending & current->sig.blocked;
  return copy_to_user((void *)uset, &p, setsize) < 0 ? -EFAULT : 0;
}

static long suspend_with(uint64_t mask) {
  current->sig.saved_blocked = current->sig.blocked;
  current->sig.restore_mask = 1;
  set_blocked(mask);
  while (!sig_pending(current))
    sleep_on(&current->sig, 0);
  return -ERESTARTNOHAND;
}

long sys_rt_sigsuspend(uint32_t uset, uint32_t setsize) {
  uint64_t mask;
  if (setsize != 8)
    return -EINVAL;
  if (copy_from_user(&mask, (const void *)uset, 8) < 0)
    return -EFAULT;
  return suspend_with(mask);
}

long sys_sigsuspend(int a, int b, uint32_t mask) {
  UNUSED(a);
  UNUSED(b);
  return suspend_with((current->sig.blocked & 0xFFFFFFFF00000000ull) | mask);
}

long sys_pause(void) {
  while (!sig_pending(current))
    sleep_on(&current->sig, 0);
  return -ERESTARTNOHAND;
}
