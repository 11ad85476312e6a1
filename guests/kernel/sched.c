/* sched.c - the scheduler: run queue, context switch, sleep and wakeup,
 * and the timer tick (proc.h describes the policy).
 *
 * The run queue and process states change with interrupts off: the tick
 * and console interrupts wake sleepers. A sleeper gives up the CPU inside
 * sleep_on with interrupts off, and gets them back as they were when it
 * runs again.
 */
#include <asm-generic/errno.h>

#include "proc.h"
#include "sig.h"
#include "vm.h"

struct proc *current;
volatile uint32_t jiffies;
int need_resched;
static struct proc idle_proc;
static struct proc *rq_head, *rq_tail;

static void rq_push(struct proc *p) {
  p->rq_next = NULL;
  if (rq_tail)
    rq_tail->rq_next = p;
  else
    rq_head = p;
  rq_tail = p;
}

static struct proc *rq_pop(void) {
  struct proc *p = rq_head;
  if (p) {
    rq_head = p->rq_next;
    if (!rq_head)
      rq_tail = NULL;
  }
  return p;
}

void sched_init(void) {
  idle_proc.pid = 0;
  idle_proc.state = P_RUNNING;
  strlcpy(idle_proc.name, "idle", sizeof idle_proc.name);
  current = &idle_proc;
}

void sched_make_runnable(struct proc *p) {
  unsigned long f = pv.irq_save();
  if (p->state != P_RUNNABLE) {
    p->state = P_RUNNABLE;
    rq_push(p);
  }
  pv.irq_restore(f);
}

/* Switches to the next runnable process (or idle); interrupts off. */
static void sched_switch(void) {
  need_resched = 0;
  struct proc *prev = current, *next = rq_pop();
  if (!next) {
    if (prev->state == P_RUNNING)
      return; /* nothing else to run */
    next = &idle_proc;
  }
  next->state = P_RUNNING;
  next->slice = SCHED_SLICE;
  if (next == prev)
    return;
  if (prev != &idle_proc && *(uint32_t *)prev->kstack != KSTACK_MAGIC)
    panic("kernel stack overflow in pid %d (%s)", prev->pid, prev->name);
  current = next;
  if (next != &idle_proc) {
    pv.set_kernel_stack((uint32_t)(next->kstack + KSTACK_SIZE));
    mm_activate(next->mm);
  }
  mm_reap(); /* an exited process's address space, now that it is not loaded */
  swtch(&prev->ctx, next->ctx);
}

void schedule(void) {
  unsigned long f = pv.irq_save();
  if (current != &idle_proc && current->state == P_RUNNING) {
    current->state = P_RUNNABLE;
    rq_push(current);
  }
  sched_switch();
  pv.irq_restore(f);
}

/* Called with interrupts off by do_exit: never comes back. */
void sched_exit(void) {
  sched_switch();
  panic("sched: a zombie ran again");
}

int sleep_on(const void *chan, uint32_t deadline) {
  unsigned long f = pv.irq_save();
  if (sig_pending(current)) {
    pv.irq_restore(f);
    return -EINTR;
  }
  current->chan = chan;
  current->wake_tick = deadline;
  current->state = P_SLEEPING;
  sched_switch();
  current->chan = NULL;
  current->wake_tick = 0;
  pv.irq_restore(f);
  return 0; /* the caller looks at its condition first, then sleeps again */
}

void wakeup(const void *chan) {
  unsigned long f = pv.irq_save();
  for (int k = 0; k < NPROC; k++) {
    struct proc *p = proc_table[k];
    if (p && p->state == P_SLEEPING && p->chan == chan)
      sched_make_runnable(p);
  }
  pv.irq_restore(f);
}

void wake_process(struct proc *p) {
  if (p->state == P_SLEEPING)
    sched_make_runnable(p);
}

NORETURN void sched_idle(void) {
  for (;;) {
    pv.irq_disable();
    if (rq_head)
      sched_switch();
    else
      pv.safe_halt();
  }
}

void timer_tick(struct trapframe *tf) {
  jiffies++;
  struct proc *cur = current;
  if (cur != &idle_proc) {
    if (tf_from_user(tf))
      cur->utime++;
    else
      cur->stime++;
    if (--cur->slice <= 0)
      need_resched = 1;
  }
  for (int k = 0; k < NPROC; k++) {
    struct proc *p = proc_table[k];
    if (!p || p->state == P_UNUSED || p->state == P_ZOMBIE)
      continue;
    if (p->state == P_SLEEPING && p->wake_tick && (int32_t)(jiffies - p->wake_tick) >= 0)
      sched_make_runnable(p);
    if (p->alarm_tick && (int32_t)(jiffies - p->alarm_tick) >= 0) {
      p->alarm_tick = p->alarm_interval ? jiffies + p->alarm_interval : 0;
      struct ksiginfo info = {.code = SI_KERNEL};
      sig_send(p, SIGALRM, &info);
    }
  }
}

/* On every return to user mode: give up the CPU if the slice is over,
 * act on signals. Returns with interrupts off, so that nothing new can
 * become pending between the last check and the return. */
void kern_exit_to_user(struct trapframe *tf) {
  for (;;) {
    pv.irq_disable();
    if (need_resched) {
      pv.irq_enable();
      schedule();
      continue;
    }
    if (current->sig.pending || current->sig.restore_mask ||
        (tf->trapno == 0x80 && (int32_t)tf->err >= 0 &&
         ((int32_t)tf->eax == -ERESTARTSYS || (int32_t)tf->eax == -ERESTARTNOHAND))) {
      pv.irq_enable();
      sig_deliver(tf);
      pv.irq_disable();
      if (need_resched || sig_pending(current))
        continue;
    }
    return;
  }
}

void fork_ret(void) {
  pv.irq_enable();
  kern_exit_to_user(current->tf);
  pv.return_to_user(current->tf);
}
