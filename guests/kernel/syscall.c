/* syscall.c - the system-call table and the calls too small for a file
 * of their own.
 *
 * int $0x80 with Linux i386's convention: the number in eax, arguments in
 * ebx, ecx, edx, esi, edi, ebp, the result (or -errno) back in eax. The
 * table is keyed by Linux's numbers (<asm/unistd_32.h>), one row per call;
 * a number with no row gives -ENOSYS. __NR_ringlab (1440) is the one call
 * of our own. The call's number stays in the frame's err slot (Linux's
 * orig_eax) so that an interrupted call can be restarted (sig.c).
 */
#include <asm-generic/errno.h>
#include <asm/unistd_32.h>
#include <linux/resource.h>
#include <linux/sysinfo.h>
#include <linux/utsname.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "ringlab_syscall.h"
#include "uaccess.h"
#include "vm.h"

typedef long (*syscall_fn)(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);

/* ---- calls defined elsewhere ------------------------------------------------------- */
long sys_read(int, uint32_t, uint32_t);
long sys_write(int, uint32_t, uint32_t);
long sys_readv(int, uint32_t, int);
long sys_writev(int, uint32_t, int);
long sys_pread64(int, uint32_t, uint32_t, uint32_t, uint32_t);
long sys_pwrite64(int, uint32_t, uint32_t, uint32_t, uint32_t);
long sys_lseek(int, int32_t, int);
long sys_llseek(int, uint32_t, uint32_t, uint32_t, int);
long sys_close(int);
long sys_dup(int);
long sys_dup2(int, int);
long sys_dup3(int, int, int);
long sys_fcntl(int, int, uint32_t);
long sys_ioctl(int, uint32_t, uint32_t);
long sys_pipe(uint32_t);
long sys_pipe2(uint32_t, int);
long sys_open(uint32_t, uint32_t, uint32_t);
long sys_openat(int, uint32_t, uint32_t, uint32_t);
long sys_creat(uint32_t, uint32_t);
long sys_mkdir(uint32_t, uint32_t);
long sys_mknod(uint32_t, uint32_t, uint32_t);
long sys_unlink(uint32_t);
long sys_rmdir(uint32_t);
long sys_link(uint32_t, uint32_t);
long sys_rename(uint32_t, uint32_t);
long sys_symlink(uint32_t, uint32_t);
long sys_readlink(uint32_t, uint32_t, int);
long sys_chdir(uint32_t);
long sys_fchdir(int);
long sys_getcwd(uint32_t, uint32_t);
long sys_getdents(int, uint32_t, uint32_t);
long sys_getdents64(int, uint32_t, uint32_t);
long sys_stat(uint32_t, uint32_t);
long sys_lstat(uint32_t, uint32_t);
long sys_fstat(int, uint32_t);
long sys_stat64(uint32_t, uint32_t);
long sys_lstat64(uint32_t, uint32_t);
long sys_fstat64(int, uint32_t);
long sys_fstatat64(int, uint32_t, uint32_t, int);
long sys_access(uint32_t, int);
long sys_truncate(uint32_t, int32_t);
long sys_ftruncate(int, int32_t);
long sys_ftruncate64(int, uint32_t, uint32_t);
long sys_chmod(uint32_t, uint32_t);
long sys_fchmod(int, uint32_t);
long sys_umask(uint32_t);
long sys_poll(uint32_t, uint32_t, int);
long sys_newselect(int, uint32_t, uint32_t, uint32_t, uint32_t);
long sys_old_select(uint32_t);
long sys_clone(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
long sys_time(uint32_t);
long sys_gettimeofday(uint32_t, uint32_t);
long sys_clock_gettime(int, uint32_t);
long sys_nanosleep(uint32_t, uint32_t);
long sys_setitimer(int, uint32_t, uint32_t);
long sys_getitimer(int, uint32_t);
long sys_alarm(uint32_t);
long sys_times(uint32_t);
long sys_getrusage(int, uint32_t);
long sys_ringlab(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);

/* ---- small calls -------------------------------------------------------------------- */
static long sys_getpid(void) { return current->pid; }
static long sys_getppid(void) { return current->parent ? current->parent->pid : 0; }
static long sys_getuid(void) { return 0; } /* everything runs as root */
static long sys_setuid(uint32_t id) { return id == 0 ? 0 : -EPERM; }
static long sys_getpgrp(void) { return current->pgid; }
static long sys_sync(void) { return 0; }
static long sys_fsync(int fd) { return fd_file(fd) ? 0 : -EBADF; }
static long sys_madvise(uint32_t a, uint32_t l, int adv) {
  UNUSED(a);
  UNUSED(l);
  UNUSED(adv);
  return 0;
}

static long sys_getpgid(int pid) {
  struct proc *p = pid ? proc_find(pid) : current;
  return p ? p->pgid : -ESRCH;
}

static long sys_setpgid(int pid, int pgid) {
  struct proc *p = pid ? proc_find(pid) : current;
  if (!p || (p != current && p->parent != current))
    return -ESRCH;
  if (pgid < 0)
    return -EINVAL;
  p->pgid = pgid ? pgid : p->pid;
  return 0;
}

static long sys_setsid(void) {
  current->pgid = current->pid;
  return current->pid;
}

static long sys_sched_yield(void) {
  schedule();
  return 0;
}

static long sys_uname(uint32_t ubuf) {
  struct new_utsname u;
  memset(&u, 0, sizeof u);
  strcpy(u.sysname, "Linux"); /* the ABI it speaks; release says what it is */
  strcpy(u.nodename, "ringlab");
  strcpy(u.release, "2.4.21-ringlab");
  strcpy(u.version, "#1");
  strcpy(u.machine, "i686");
  return copy_to_user((void *)ubuf, &u, sizeof u) < 0 ? -EFAULT : 0;
}

static long sys_getrlimit(int res, uint32_t urlim) {
  struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
  if (res < 0 || res >= RLIM_NLIMITS)
    return -EINVAL;
  if (res == RLIMIT_NOFILE)
    r.rlim_cur = r.rlim_max = NOFILE;
  else if (res == RLIMIT_STACK)
    r.rlim_cur = r.rlim_max = STACK_MAX;
  else if (res == RLIMIT_NPROC)
    r.rlim_cur = r.rlim_max = NPROC;
  return copy_to_user((void *)urlim, &r, sizeof r) < 0 ? -EFAULT : 0;
}

static long sys_setrlimit(int res, uint32_t urlim) {
  UNUSED(urlim);
  return res < 0 || res >= RLIM_NLIMITS ? -EINVAL : 0; /* accepted, not enforced */
}

static long sys_set_tid_address(uint32_t p) {
  UNUSED(p);
  return current->pid;
}

static long sys_exit_group(int code) { return sys_exit(code); }

/* Memory in pages of the allocator: freeram is what the frame allocator
 * holds (the tests use it to find leaks). */
static long sys_sysinfo(uint32_t uinfo) {
  struct sysinfo si;
  memset(&si, 0, sizeof si);
  si.uptime = (long)(jiffies / HZ);
  si.totalram = page_max_pfn;
  si.freeram = page_free_count();
  for (int k = 0; k < NPROC; k++)
    if (proc_table[k])
      si.procs++;
  si.mem_unit = PAGE_SIZE;
  return copy_to_user((void *)uinfo, &si, sizeof si) < 0 ? -EFAULT : 0;
}

/* ---- the table ------------------------------------------------------------------------- */
struct syscall_row {
  syscall_fn fn;
  const char *name;
};

#define SYS(nr, f) [__NR_##nr] = {(syscall_fn)(void (*)(void))(f), #nr}

static const struct syscall_row syscall_table[] = {
    SYS(exit, sys_exit),
    SYS(fork, sys_fork),
    SYS(read, sys_read),
    SYS(write, sys_write),
    SYS(open, sys_open),
    SYS(close, sys_close),
    SYS(waitpid, sys_waitpid),
    SYS(creat, sys_creat),
    SYS(link, sys_link),
    SYS(unlink, sys_unlink),
    SYS(execve, sys_execve),
    SYS(chdir, sys_chdir),
    SYS(time, sys_time),
    SYS(mknod, sys_mknod),
    SYS(chmod, sys_chmod),
    SYS(lseek, sys_lseek),
    SYS(getpid, sys_getpid),
    SYS(setuid, sys_setuid),
    SYS(getuid, sys_getuid),
    SYS(alarm, sys_alarm),
    SYS(pause, sys_pause),
    SYS(access, sys_access),
    SYS(sync, sys_sync),
    SYS(kill, sys_kill),
    SYS(rename, sys_rename),
    SYS(mkdir, sys_mkdir),
    SYS(rmdir, sys_rmdir),
    SYS(dup, sys_dup),
    SYS(pipe, sys_pipe),
    SYS(times, sys_times),
    SYS(brk, sys_brk),
    SYS(setgid, sys_setuid),
    SYS(getgid, sys_getuid),
    SYS(signal, sys_signal),
    SYS(geteuid, sys_getuid),
    SYS(getegid, sys_getuid),
    SYS(ioctl, sys_ioctl),
    SYS(fcntl, sys_fcntl),
    SYS(setpgid, sys_setpgid),
    SYS(umask, sys_umask),
    SYS(dup2, sys_dup2),
    SYS(getppid, sys_getppid),
    SYS(getpgrp, sys_getpgrp),
    SYS(setsid, sys_setsid),
    SYS(sigaction, sys_sigaction),
    SYS(sigsuspend, sys_sigsuspend),
    SYS(setrlimit, sys_setrlimit),
    SYS(getrlimit, sys_getrlimit),
    SYS(getrusage, sys_getrusage),
    SYS(gettimeofday, sys_gettimeofday),
    SYS(select, sys_old_select),
    SYS(symlink, sys_symlink),
    SYS(readlink, sys_readlink),
    SYS(mmap, sys_old_mmap),
    SYS(munmap, sys_munmap),
    SYS(truncate, sys_truncate),
    SYS(ftruncate, sys_ftruncate),
    SYS(fchmod, sys_fchmod),
    SYS(setitimer, sys_setitimer),
    SYS(getitimer, sys_getitimer),
    SYS(stat, sys_stat),
    SYS(lstat, sys_lstat),
    SYS(fstat, sys_fstat),
    SYS(wait4, sys_wait4),
    SYS(sysinfo, sys_sysinfo),
    SYS(fsync, sys_fsync),
    SYS(sigreturn, sys_sigreturn),
    SYS(clone, sys_clone),
    SYS(uname, sys_uname),
    SYS(mprotect, sys_mprotect),
    SYS(sigprocmask, sys_sigprocmask),
    SYS(getpgid, sys_getpgid),
    SYS(fchdir, sys_fchdir),
    SYS(_llseek, sys_llseek),
    SYS(getdents, sys_getdents),
    SYS(_newselect, sys_newselect),
    SYS(readv, sys_readv),
    SYS(writev, sys_writev),
    SYS(fdatasync, sys_fsync),
    SYS(sched_yield, sys_sched_yield),
    SYS(nanosleep, sys_nanosleep),
    SYS(poll, sys_poll),
    SYS(rt_sigreturn, sys_rt_sigreturn),
    SYS(rt_sigaction, sys_rt_sigaction),
    SYS(rt_sigprocmask, sys_rt_sigprocmask),
    SYS(rt_sigpending, sys_rt_sigpending),
    SYS(rt_sigsuspend, sys_rt_sigsuspend),
    SYS(pread64, sys_pread64),
    SYS(pwrite64, sys_pwrite64),
    SYS(getcwd, sys_getcwd),
    SYS(vfork, sys_fork),
    SYS(ugetrlimit, sys_getrlimit),
    SYS(mmap2, sys_mmap2),
    SYS(ftruncate64, sys_ftruncate64),
    SYS(stat64, sys_stat64),
    SYS(lstat64, sys_lstat64),
    SYS(fstat64, sys_fstat64),
    SYS(getuid32, sys_getuid),
    SYS(getgid32, sys_getuid),
    SYS(geteuid32, sys_getuid),
    SYS(getegid32, sys_getuid),
    SYS(setuid32, sys_setuid),
    SYS(setgid32, sys_setuid),
    SYS(madvise, sys_madvise),
    SYS(getdents64, sys_getdents64),
    SYS(fcntl64, sys_fcntl),
    SYS(gettid, sys_getpid),
    SYS(set_tid_address, sys_set_tid_address),
    SYS(exit_group, sys_exit_group),
    SYS(clock_gettime, sys_clock_gettime),
    SYS(openat, sys_openat),
    SYS(fstatat64, sys_fstatat64),
    SYS(dup3, sys_dup3),
    SYS(pipe2, sys_pipe2),
};

int syscall_trace; /* kernel command line "ktrace": print every call */

void syscall_entry(struct trapframe *tf) {
  uint32_t nr = tf->eax;
  tf->err = nr; /* orig_eax */
  current->tf = tf;
  long r;
  if (nr < ARRAY_SIZE(syscall_table) && syscall_table[nr].fn)
    r = syscall_table[nr].fn(tf->ebx, tf->ecx, tf->edx, tf->esi, tf->edi, tf->ebp);
  else if (nr == __NR_ringlab)
    r = sys_ringlab(tf->ebx, tf->ecx, tf->edx, tf->esi, tf->edi);
  else
    r = -ENOSYS;
  if (syscall_trace)
    kprintf("[%d] %s(%#x, %#x, %#x) = %ld\n", current->pid,
            nr < ARRAY_SIZE(syscall_table) && syscall_table[nr].name ? syscall_table[nr].name : "?", tf->ebx,
            tf->ecx, tf->edx, r);
  tf->eax = (uint32_t)r;
}
