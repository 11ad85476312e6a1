/* trap.c - the kernel's trap table and what each exception means.
 *
 * The table handed to the layer (pv.set_trap_table): every exception with
 * DPL 0 except the breakpoint and overflow (int3, into: DPL 3, as Linux),
 * and the system call, int $0x80, DPL 3 and a trap gate (interrupts stay
 * on), so under Xen it goes straight to the kernel. The page fault is an
 * interrupt gate: nothing may fault before its address is read.
 *
 * A fault in user mode becomes a signal for the process (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGTRAP); the kernel runs on. A page fault in kernel
 * mode on a user address is resolved for the current process like a user
 * one (copy_to_user into a page not yet there); if it cannot be, the
 * instruction must be one of uaccess's copies, which then fail with
 * EFAULT. Any other kernel fault is a bug: panic.
 */
#include <asm-generic/errno.h>

#include "mem.h"
#include "proc.h"
#include "uaccess.h"
#include "vm.h"

void syscall_entry(struct trapframe *tf);

static const char *const exc_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid TSS", "segment not present",
    "stack fault", "general protection", "page fault", "reserved", "x87 error", "alignment check",
    "machine check", "SIMD error",
};

static const char *exc_name(uint32_t v) { return v < 32 && exc_names[v] ? exc_names[v] : "exception"; }

static NORETURN void kernel_fault(struct trapframe *tf, uint32_t addr) {
  panic("%s (vector %u, error %#x) in the kernel at %#x, address %#x, pid %d", exc_name(tf->trapno), tf->trapno,
        tf->err, tf->eip, addr, current->pid);
}

static void trap_exception(struct trapframe *tf) {
  int sig, code = SI_KERNEL;
  switch (tf->trapno) {
  case 0:
    sig = SIGFPE;
    code = FPE_INTDIV;
    break;
  case 1:
  case 3:
    sig = SIGTRAP;
    code = TRAP_BRKPT;
    break;
  case 6:
    sig = SIGILL;
    code = ILL_ILLOPN;
    break;
  case 7: /* x87 with CR0.EM: there is no FPU for programs */
    sig = SIGILL;
    code = ILL_COPROC;
    break;
  case 9:
  case 16:
  case 19:
    sig = SIGFPE;
    break;
  case 11:
  case 12:
  case 17:
    sig = SIGBUS;
    break;
  default: /* 4, 5, 10, 13: SIGSEGV as Linux */
    sig = SIGSEGV;
    break;
  }
  if (!tf_from_user(tf)) {
    uint32_t fix = uaccess_fixup(tf->eip); /* e.g. a general protection fault in a copy */
    if (fix && tf->trapno == 13) {
      tf->eip = fix;
      return;
    }
    kernel_fault(tf, 0);
  }
  sig_force(sig, code, tf->eip, (int)tf->trapno);
}

static void trap_fatal(struct trapframe *tf) { kernel_fault(tf, 0); }

/* Out of memory: kill the process with the most user pages (never init
 * while another will do), as Linux's OOM killer picks by size; while an
 * earlier victim is still on its way out, wait for it instead. Returns
 * the victim. */
static struct proc *oom_kill(void) {
  struct proc *victim = NULL;
  for (int k = 0; k < NPROC; k++) {
    struct proc *p = proc_table[k];
    if (p && p != current && p->mm && p->state != P_ZOMBIE && (p->sig.pending & sig_bit(SIGKILL)))
      return p; /* dying: its memory is about to come back */
  }
  for (int k = 0; k < NPROC; k++) {
    struct proc *p = proc_table[k];
    if (!p || p->state == P_UNUSED || p->state == P_ZOMBIE || !p->mm || p->pid == 1 ||
        (p->sig.pending & sig_bit(SIGKILL)))
      continue;
    if (!victim || p->mm->rss > victim->mm->rss)
      victim = p;
  }
  if (!victim)
    victim = current;
  kprintf("kernel: out of memory, killing pid %d (%s, %u pages)\n", victim->pid, victim->name,
          victim->mm ? victim->mm->rss : 0);
  struct ksiginfo info = {.code = SI_KERNEL};
  if (victim == current)
    sig_force(SIGKILL, SI_KERNEL, 0, 14);
  else
    sig_send(victim, SIGKILL, &info);
  return victim;
}

static void trap_page_fault(struct trapframe *tf) {
  uint32_t addr = pv.fault_address();
  struct proc *p = current;
  int user = tf_from_user(tf);
  int r = FAULT_MAPERR;
  if (p->mm && (user || addr < USER_END))
    r = vm_fault(p->mm, addr, tf->err);
  if (r == FAULT_OK)
    return;
  if (r == FAULT_OOM) {
    struct proc *victim = current->sig.pending & sig_bit(SIGKILL) ? current : oom_kill();
    if (user && victim != current) {
      pv.irq_enable();
      schedule(); /* let it die, then take the fault again */
      return;
    }
  }
  if (!user) {
    uint32_t fix = uaccess_fixup(tf->eip);
    if (!fix)
      kernel_fault(tf, addr);
    tf->eip = fix;
    return;
  }
  p->fault_err = tf->err;
  switch (r) {
  case FAULT_MAPERR:
    sig_force(SIGSEGV, SEGV_MAPERR, addr, 14);
    break;
  case FAULT_ACCERR:
    sig_force(SIGSEGV, SEGV_ACCERR, addr, 14);
    break;
  case FAULT_BUS:
    sig_force(SIGBUS, BUS_ADRERR, addr, 14);
    break;
  default: /* out of memory, and this process was the one to go */
    break;
  }
}

void trap_init(void) {
  static struct pv_trap traps[33];
  unsigned n = 0;
  for (uint8_t v = 0; v < 20; v++) {
    if (v == 2 || v == 15)
      continue; /* NMI, reserved */
    trap_handler_fn h = (v == 8 || v == 18) ? trap_fatal : v == 14 ? trap_page_fault : trap_exception;
    uint8_t dpl = (v == 3 || v == 4) ? 3 : 0;
    traps[n++] = (struct pv_trap){.vector = v, .dpl = dpl, .mask_irqs = 1, .handler = h};
  }
  traps[n++] = (struct pv_trap){.vector = 0x80, .dpl = 3, .mask_irqs = 0, .handler = syscall_entry};
  pv.set_trap_table(traps, n);
}
