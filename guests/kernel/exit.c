/* exit.c - process exit and wait.
 *
 * A process that exits releases its files and directory at once, its
 * address space right after the switch away from it (it still runs on it
 * until then; Linux too frees it after the switch, which spares a CR3 load
 * of the kernel-only space), hands its children to init (pid 1), and stays
 * a zombie holding its
 * wait status until its parent collects it with wait4; the parent then
 * frees its kernel stack and table entry. When init itself exits the
 * machine powers off with init's exit status (a status above 63, which the
 * ringlab ops port cannot carry, powers off with 63 after printing it);
 * init killed by a signal is a kernel panic.
 */
#include <asm-generic/errno.h>
#include <linux/resource.h>
#include <linux/wait.h>

#include "mem.h"
#include "proc.h"
#include "uaccess.h"
#include "vm.h"

static struct proc *init_proc(void) { return proc_find(1); }

void do_exit(int status) {
  struct proc *p = current;
  if (p->pid == 1) {
    if (status & 0x7f)
      panic("init killed by signal %d", status & 0x7f);
    int code = (status >> 8) & 0xff;
    kprintf("kernel: init exited with status %d, power off\n", code);
    pv.power_off(code > 63 ? 63 : code);
  }
  fd_close_all(p);
  if (p->cwd) {
    inode_put(p->cwd);
    p->cwd = NULL;
  }
  if (p->mm) { /* it stays loaded (we run on it) until the switch away */
    mm_release_after_switch(p->mm);
    p->mm = NULL;
  }
  p->alarm_tick = 0;

  struct proc *init = init_proc();
  int orphan_zombies = 0;
  for (int k = 0; k < NPROC; k++) {
    struct proc *c = proc_table[k];
    if (c && c->parent == p) {
      c->parent = init;
      if (c->state == P_ZOMBIE)
        orphan_zombies = 1;
    }
  }
  if (orphan_zombies && init)
    wakeup(init);

  struct proc *parent = p->parent;
  struct ksigaction *a = &parent->sig.action[SIGCHLD];
  if (a->handler == 1 /* SIG_IGN */ || (a->flags & SA_NOCLDWAIT))
    p->parent = parent = init; /* no zombie for that parent: init reaps it */
  p->exit_status = status;
  pv.irq_disable();
  p->state = P_ZOMBIE;
  struct ksiginfo info = {.code = (status & 0x7f) ? CLD_KILLED : CLD_EXITED,
                          .pid = p->pid,
                          .status = (status & 0x7f) ? (status & 0x7f) : (status >> 8) & 0xff};
  if (parent) {
    sig_send(parent, SIGCHLD, &info);
    wakeup(parent);
  }
  sched_exit();
}

long sys_exit(int code) { do_exit((code & 0xff) << 8); }

static int wait_match(struct proc *c, int pid) {
  if (pid > 0)
    return c->pid == pid;
  if (pid == 0)
    return c->pgid == current->pgid;
  if (pid < -1)
    return c->pgid == -pid;
  return 1;
}

long sys_wait4(int pid, uint32_t ustatus, int options, uint32_t urusage) {
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
    return -EINVAL;
  for (;;) {
    int have = 0;
    for (int k = 0; k < NPROC; k++) {
      struct proc *c = proc_table[k];
      if (!c || c->parent != current || !wait_match(c, pid))
        continue;
      have = 1;
      if (c->state != P_ZOMBIE)
        continue;
      if (ustatus && put_user_u32((void *)ustatus, (uint32_t)c->exit_status) < 0)
        return -EFAULT;
      if (urusage) {
        struct rusage ru;
        memset(&ru, 0, sizeof ru);
        ru.ru_utime.tv_sec = c->utime / HZ;
        ru.ru_utime.tv_usec = (c->utime % HZ) * (1000000 / HZ);
        ru.ru_stime.tv_sec = c->stime / HZ;
        ru.ru_stime.tv_usec = (c->stime % HZ) * (1000000 / HZ);
        if (copy_to_user((void *)urusage, &ru, sizeof ru) < 0)
          return -EFAULT;
      }
      int cpid = c->pid;
      current->cutime += c->utime + c->cutime;
      current->cstime += c->stime + c->cstime;
      proc_free(c);
      return cpid;
    }
    if (!have)
      return -ECHILD;
    if (options & WNOHANG)
      return 0;
    if (sleep_on(current, 0) < 0)
      return -ERESTARTSYS;
  }
}

long sys_waitpid(int pid, uint32_t ustatus, int options) { return sys_wait4(pid, ustatus, options, 0); }
