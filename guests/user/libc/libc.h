/* guests/user/libc/libc.h - the C library of the guest kernel's user
 * programs: the one header they include.
 *
 * The kernel's system-call ABI is Linux's i386 ABI, so this library is a
 * small Linux i386 libc: system calls through `int $0x80`, numbers and
 * structure layouts from Linux's UAPI headers (linux-libc-dev), negative
 * errno results turned into -1 and errno. Every program built on it runs
 * unchanged on the host's Linux (which executes i386 static binaries) and on
 * our kernel; Linux is the specification.
 *
 * What is here (one file each in this folder):
 *   crt0.S       _start: argc, argv, envp and auxv from the initial stack
 *   syscalls.def the system calls, one row each (declared below, defined in
 *                syscall.c); syscall6.S for the six-argument ones
 *   stdio.c      FILE over fds 0-2 and fopen'd files, printf over gl_vformat
 *   malloc.c     malloc/free/calloc/realloc on brk, big blocks on mmap
 *   exit.c       exit, atexit, _exit (exit_group)
 *   signal.c     sigaction (with the rt_sigreturn restorer), masks, raise
 *   setjmp.S     setjmp/longjmp, sigsetjmp/siglongjmp
 *   exec.c       execv, execvp, execl, execlp, getenv
 *   getopt.c     getopt
 *   misc.c       atoi, strerror, perror, select/mmap/stat wrappers, wait
 *   ringlab.c    the ringlab system call: named results and regions
 * Strings, memory functions, snprintf and strtoul come from guests/lib
 * (guestlib.h), shared with every other guest.
 *
 * Deliberately absent: locales, wide characters, floating point (guest code
 * is built with -mgeneral-regs-only), threads, TLS, dynamic linking.
 * Types follow Linux i386: int, long and pointers are 32 bits, off_t is 32
 * bits (lseek), files are stat'ed with stat64 (struct stat64).
 */
#ifndef LIBC_H
#define LIBC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "guestlib.h"
#include "ringlab_syscall.h"

/* Linux's UAPI: the ABI itself, never redeclared here. */
#include <asm/unistd.h>
#include <asm/stat.h>
#include <asm/signal.h>
#include <asm/siginfo.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <asm-generic/errno.h>
#include <asm-generic/fcntl.h>
#include <asm-generic/ioctls.h>
#include <linux/mman.h>
#include <linux/poll.h>
#include <linux/time.h>
#include <linux/resource.h>
#include <linux/wait.h>
#include <linux/auxvec.h>

/* ---- types ---------------------------------------------------------------- */
typedef __kernel_ssize_t ssize_t;
typedef __kernel_off_t off_t;
typedef __kernel_pid_t pid_t;
typedef __kernel_uid32_t uid_t;
typedef __kernel_gid32_t gid_t;
typedef __kernel_mode_t mode_t;
typedef __kernel_fd_set fd_set;
typedef unsigned int nfds_t;
typedef void (*sighandler_t)(int);
/* The C-visible signal set is the UAPI's sigset_t (one word: signals 1-31,
 * all this system uses); the rt_* calls take the kernel's 64-bit set
 * (struct libc_ksigset in libc-internal.h), converted at the call. */

/* ---- errno ---------------------------------------------------------------- */
extern int errno;
const char *strerror(int err);
void perror(const char *what);

/* ---- process start and end ------------------------------------------------ */
extern char **environ;
extern unsigned long *libc_auxv; /* the auxiliary vector (AT_* pairs) */
unsigned long getauxval(unsigned long type); /* 0 where absent */
void exit(int status) __attribute__((noreturn));
void _exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
int atexit(void (*fn)(void));

/* ---- system calls (syscalls.def: one row each) ----------------------------
 * Each returns what Linux returns, except that an error is -1 with errno
 * set. */
#define LIBC_SC(ret, name, nr, nargs, ...) ret name(__VA_ARGS__);
#include "syscalls.def"
#undef LIBC_SC

/* Any system call by number, with errno (as glibc's syscall(2)); and the raw
 * form, which returns -errno, for tests that check the kernel's result. */
long syscall(long nr, ...);
long syscall_raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

int open(const char *path, int flags, ...); /* mode as third argument with O_CREAT */
int creat(const char *path, mode_t mode);
int fcntl(int fd, int cmd, ...);
int ioctl(int fd, unsigned long req, ...);
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset);
#define MAP_FAILED ((void *)-1)
int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout);
int stat(const char *path, struct stat64 *st);  /* stat64 underneath */
int fstat(int fd, struct stat64 *st);
int lstat(const char *path, struct stat64 *st);
void *sbrk(intptr_t delta);
int brk(void *end);
int isatty(int fd);
pid_t wait(int *status);
pid_t waitpid(pid_t pid, int *status, int options);
unsigned int sleep(unsigned int seconds);

/* select's descriptor sets */
#define FD_SETSIZE 1024
#define LIBC_NFDBITS (8 * (int)sizeof(unsigned long))
#define FD_ZERO(s) memset((s), 0, sizeof(fd_set))
#define FD_SET(fd, s) ((s)->fds_bits[(fd) / LIBC_NFDBITS] |= 1ul << ((fd) % LIBC_NFDBITS))
#define FD_CLR(fd, s) ((s)->fds_bits[(fd) / LIBC_NFDBITS] &= ~(1ul << ((fd) % LIBC_NFDBITS)))
#define FD_ISSET(fd, s) (((s)->fds_bits[(fd) / LIBC_NFDBITS] >> ((fd) % LIBC_NFDBITS)) & 1)

/* Linux's struct linux_dirent64 (what getdents64 fills in). Not in the
 * UAPI headers: declared by fs/readdir.c, layout fixed since 2.4. */
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen; /* bytes of this record, padded */
  unsigned char d_type;    /* DT_* */
  char d_name[];           /* NUL-terminated */
};
#define DT_UNKNOWN 0
#define DT_DIR 4
#define DT_REG 8

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* st_mode bits (POSIX values, as Linux's include/linux/stat.h) */
#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_IFREG 0100000
#define S_IFLNK 0120000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)

/* wait4 statuses: the encoding of Linux's kernel/exit.c */
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s) & 0x7f)
#define WSTOPSIG(s) WEXITSTATUS(s)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSTOPPED(s) (((s) & 0xff) == 0x7f)
#define WIFSIGNALED(s) (WTERMSIG(s) != 0 && WTERMSIG(s) != 0x7f)
#define WCOREDUMP(s) ((s) & 0x80)

/* ---- exec and the environment --------------------------------------------- */
int execv(const char *path, char *const argv[]);
int execvp(const char *file, char *const argv[]);
int execl(const char *path, const char *arg0, ...);  /* NULL-terminated */
int execlp(const char *file, const char *arg0, ...);
char *getenv(const char *name);

/* ---- signals ---------------------------------------------------------------
 * struct sigaction is the UAPI's i386 one (sa_handler/sa_sigaction, sa_mask,
 * sa_flags, sa_restorer); sigaction() passes it to rt_sigaction with
 * SA_RESTORER and a restorer that calls rt_sigreturn, as glibc does. */
int sigaction(int sig, const struct sigaction *act, struct sigaction *old);
sighandler_t signal(int sig, sighandler_t handler);
int sigprocmask(int how, const sigset_t *set, sigset_t *old);
int sigpending(sigset_t *set);
int sigsuspend(const sigset_t *mask);
int sigemptyset(sigset_t *set);
int sigfillset(sigset_t *set);
int sigaddset(sigset_t *set, int sig);
int sigdelset(sigset_t *set, int sig);
int sigismember(const sigset_t *set, int sig);
int raise(int sig);

/* ---- setjmp ----------------------------------------------------------------- */
struct libc_jmp {
  unsigned long regs[6];  /* ebx esi edi ebp esp eip */
  int mask_saved;         /* sigsetjmp: whether mask holds the mask */
  unsigned long mask[2];  /* the kernel's 64-bit signal mask */
};
typedef struct libc_jmp jmp_buf[1];
typedef struct libc_jmp sigjmp_buf[1];
int setjmp(jmp_buf env) __attribute__((returns_twice));
void longjmp(jmp_buf env, int val) __attribute__((noreturn));
int sigsetjmp(sigjmp_buf env, int savemask) __attribute__((returns_twice));
void siglongjmp(sigjmp_buf env, int val) __attribute__((noreturn));

/* ---- memory --------------------------------------------------------------- */
void *malloc(size_t n);
void free(void *p);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);
char *strdup(const char *s);

/* ---- stdio ---------------------------------------------------------------- */
typedef struct libc_file FILE;
extern FILE *stdin, *stdout, *stderr;
#define EOF (-1)
#define BUFSIZ 1024
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2
FILE *fopen(const char *path, const char *mode);
FILE *fdopen(int fd, const char *mode);
int fclose(FILE *f);
int fflush(FILE *f); /* NULL: every open FILE */
int setvbuf(FILE *f, char *buf, int mode, size_t size);
size_t fread(void *buf, size_t size, size_t n, FILE *f);
size_t fwrite(const void *buf, size_t size, size_t n, FILE *f);
int fgetc(FILE *f);
int getc(FILE *f);
int getchar(void);
char *fgets(char *s, int n, FILE *f);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int putchar(int c);
int fputs(const char *s, FILE *f);
int puts(const char *s);
int feof(FILE *f);
int ferror(FILE *f);
void clearerr(FILE *f);
int fileno(FILE *f);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vprintf(const char *fmt, va_list ap);
int vfprintf(FILE *f, const char *fmt, va_list ap);

/* ---- numbers, options ------------------------------------------------------ */
int atoi(const char *s);
long atol(const char *s);
extern char *optarg;
extern int optind, opterr, optopt;
int getopt(int argc, char *const argv[], const char *optstring);

/* ---- time ----------------------------------------------------------------- */
/* The time-stamp counter: on ringlab the model's cycle counter, on the host
 * the TSC. Not serializing, as lmbench's timers are not either. */
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

/* ---- ringlab (guests/uapi/ringlab_syscall.h) -------------------------------
 * The kernel's one non-Linux call: reports to the emulator's ops port. Each
 * returns the port's status (0 = ok), or -ENOSYS on Linux, -ENODEV where the
 * kernel has no port (QEMU): callers print their results anyway and carry
 * on. These never set errno. */
long ringlab_call(unsigned op, unsigned long a0, unsigned long a1, unsigned long a2,
                  unsigned long a3);
long ringlab_report(const char *name, int64_t value); /* named result */
long ringlab_begin(const char *name);                 /* region begins */
long ringlab_end(const char *name);                   /* region ends */
long ringlab_note(const char *text);                  /* trace annotation */

#endif
