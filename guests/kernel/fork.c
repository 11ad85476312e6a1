/* fork.c - fork: a new process with a copy-on-write copy of the caller's
 * address space (vm.c, mm_fork), its descriptors, current directory and
 * signal actions. The child starts at fork_ret on its own kernel stack,
 * returning to user mode with the parent's registers and eax = 0.
 */
#include <asm-generic/errno.h>
#include <linux/sched.h>

#include "mem.h"
#include "proc.h"
#include "vm.h"

/* The child's kernel stack: the trapframe at the top, below it the
 * context swtch pops, returning into fork_ret. */
static void prepare_stack(struct proc *p) {
  uint32_t *sp = (uint32_t *)p->tf;
  *--sp = 0; /* fork_ret's (unused) return address */
  sp -= sizeof(struct context) / 4;
  p->ctx = (struct context *)sp;
  memset(p->ctx, 0, sizeof *p->ctx);
  p->ctx->eip = (uint32_t)fork_ret;
}

long sys_fork(void) {
  struct proc *parent = current;
  struct proc *p = proc_alloc();
  if (!p)
    return -EAGAIN;
  p->mm = mm_fork(parent->mm);
  if (!p->mm) {
    proc_free(p);
    return -ENOMEM;
  }
  p->parent = parent;
  p->pgid = parent->pgid;
  p->umask = parent->umask;
  memcpy(p->name, parent->name, sizeof p->name);
  p->cwd = parent->cwd;
  inode_get(p->cwd);
  fd_copy(p, parent);
  sig_fork(p, parent);
  *p->tf = *parent->tf;
  p->tf->eax = 0;
  prepare_stack(p);
  sched_make_runnable(p);
  return p->pid;
}

/* clone as fork: only a new process with SIGCHLD at exit (no threads) */
long sys_clone(uint32_t flags, uint32_t stack, uint32_t ptid, uint32_t tls, uint32_t ctid) {
  UNUSED(ptid);
  UNUSED(tls);
  UNUSED(ctid);
  if ((flags & ~0xFFu) != 0 || stack != 0)
    return -EINVAL;
  if ((flags & 0xFF) != SIGCHLD)
    return -EINVAL;
  return sys_fork();
}

/* The first process: a kernel context that execs init and drops to user
 * mode (Linux's kernel_init and run_init_process). */
struct proc *proc_spawn_kernel(void (*fn)(void)) {
  struct proc *p = proc_alloc();
  if (!p)
    panic("spawn: no memory for a process");
  uint32_t *sp = (uint32_t *)p->tf;
  *--sp = 0;
  sp -= sizeof(struct context) / 4;
  p->ctx = (struct context *)sp;
  memset(p->ctx, 0, sizeof *p->ctx);
  p->ctx->eip = (uint32_t)fn;
  return p;
}
