/* proc.h - processes and the scheduler.
 *
 * A process is a struct proc with an 8 KiB kernel stack: entries from user
 * mode build their trapframe at the top of it (the layer's set_kernel_stack
 * points there), and a switched-out process keeps its callee-saved
 * registers below in a struct context (swtch.S). Scheduling is preemptive
 * round robin: a FIFO run queue, a slice of SCHED_SLICE timer ticks, and a
 * switch only when a process sleeps or is about to return to user mode
 * (the kernel itself is not preempted, as Linux 2.4's). Sleeping is on a
 * channel (any address), woken by wakeup(channel), by a signal, or by the
 * clock when the sleep has a deadline.
 *
 * The idle process (pid 0) runs on the boot stack and halts until an
 * interrupt when nothing is runnable. A context switch loads the next
 * process's kernel stack and address space through the layer; the idle
 * process keeps whatever address space was loaded (as Linux's lazy TLB).
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include "fs.h"
#include "kernel.h"
#include "pv.h"
#include "sig.h"

#define NPROC 128
#define KSTACK_MAGIC 0x57ACCA11u /* at the bottom of every kernel stack */
#define SCHED_SLICE 5 /* ticks: 50 ms */

enum proc_state { P_UNUSED, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE };

struct context {
  uint32_t edi, esi, ebx, ebp, eip; /* swtch.S's push order */
};

struct proc {
  int pid, pgid;
  enum proc_state state;
  char name[16];
  struct proc *parent;
  struct mm *mm;
  uint8_t *kstack;           /* KSTACK_SIZE bytes */
  struct trapframe *tf;      /* the user frame at the top of kstack */
  struct context *ctx;       /* saved by swtch */
  struct proc *rq_next;      /* run queue */
  const void *chan;          /* sleeping on */
  uint32_t wake_tick;        /* timed sleep: woken at this tick (0: none) */
  int slice;                 /* ticks left */
  int exit_status;           /* wait status of a zombie */
  struct file *files[NOFILE];
  uint32_t cloexec[NOFILE / 32];
  struct inode *cwd;
  uint32_t umask;
  struct sigstate sig;
  uint32_t alarm_tick, alarm_interval; /* ITIMER_REAL in ticks (0: off) */
  uint32_t fault_err;        /* the last page fault's error code (sigcontext) */
  uint32_t utime, stime;     /* ticks in user / kernel mode */
  uint32_t cutime, cstime;   /* of reaped children */
};

extern struct proc *current;
extern struct proc *proc_table[NPROC];
extern volatile uint32_t jiffies;
extern int need_resched;

struct proc *proc_alloc(void);      /* with a kernel stack; state P_UNUSED */
void proc_free(struct proc *p);
struct proc *proc_find(int pid);
void proc_set_name(struct proc *p, const char *path);

void sched_init(void);
void sched_make_runnable(struct proc *p);
void schedule(void);                 /* give up the CPU (stays runnable) */
NORETURN void sched_exit(void);      /* a zombie's last switch (interrupts off) */
NORETURN void sched_idle(void);
/* Sleeps on chan until woken (wakeup, a signal, or the deadline tick if
 * not 0): 0, or -EINTR without sleeping if a signal is already pending.
 * Callers loop: check the condition, then sleep_on again (as Linux's
 * wait loops check the condition before signal_pending). */
int sleep_on(const void *chan, uint32_t deadline);
void wakeup(const void *chan);
void wake_process(struct proc *p);   /* a signal for a sleeper */
void timer_tick(struct trapframe *tf);

/* fork.c, exec.c, exit.c */
long sys_fork(void);
long sys_execve(uint32_t path, uint32_t argv, uint32_t envp);
int kernel_exec(const char *path, char *const argv[], char *const envp[]);
struct proc *proc_spawn_kernel(void (*fn)(void)); /* process 1: runs fn in the kernel */
NORETURN void do_exit(int status);  /* wait status */
long sys_exit(int code);
long sys_wait4(int pid, uint32_t status, int options, uint32_t rusage);
long sys_waitpid(int pid, uint32_t status, int options);

/* swtch.S */
void swtch(struct context **old, struct context *new);
void fork_ret(void);

#endif
