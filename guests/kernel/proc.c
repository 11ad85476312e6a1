/* proc.c - the process table: allocation, pids, lookup. */
#include "proc.h"

#include "mem.h"
#include "vm.h"

struct proc *proc_table[NPROC];
static int last_pid;

static int pid_in_use(int pid) {
  for (int k = 0; k < NPROC; k++)
    if (proc_table[k] && (proc_table[k]->pid == pid || proc_table[k]->pgid == pid))
      return 1;
  return 0;
}

struct proc *proc_alloc(void) {
  int slot;
  for (slot = 0; slot < NPROC; slot++)
    if (!proc_table[slot])
      break;
  if (slot == NPROC)
    return NULL;
  struct proc *p = kzalloc(sizeof *p);
  if (!p)
    return NULL;
  p->kstack = page_alloc(KSTACK_ORDER);
  if (!p->kstack) {
    kfree(p);
    return NULL;
  }
  *(uint32_t *)p->kstack = KSTACK_MAGIC; /* sched.c checks it at each switch */
  do { /* pids count up to 32767 and wrap, as Linux's */
    last_pid = last_pid >= 32767 ? 2 : last_pid + 1;
  } while (pid_in_use(last_pid));
  p->pid = last_pid;
  p->pgid = p->pid;
  p->state = P_UNUSED;
  p->tf = (struct trapframe *)(p->kstack + KSTACK_SIZE) - 1;
  p->umask = 022;
  proc_table[slot] = p;
  return p;
}

void proc_free(struct proc *p) {
  for (int k = 0; k < NPROC; k++)
    if (proc_table[k] == p)
      proc_table[k] = NULL;
  page_put(virt_to_pfn(p->kstack));
  kfree(p);
}

struct proc *proc_find(int pid) {
  for (int k = 0; k < NPROC; k++) {
    struct proc *p = proc_table[k];
    if (p && p->pid == pid && p->state != P_UNUSED)
      return p;
  }
  return NULL;
}

void proc_set_name(struct proc *p, const char *path) {
  const char *base = strrchr(path, '/');
  strlcpy(p->name, base ? base + 1 : path, sizeof p->name);
}
