/* kt_fault: a user mistake never crashes the kernel. Bad pointers to
 * system calls give EFAULT (kernel addresses, unmapped addresses,
 * NULL, a read-only page as a destination, a PROT_NONE page as a source,
 * ranges that run into the kernel), unknown calls give ENOSYS; children
 * that fault die of their signal (NULL, kernel memory, writing their own
 * code, a jump into the kernel, ud2, divide by zero, int3, port I/O, cli,
 * hlt, an x87 instruction, a far jump to the kernel's code segment,
 * stack overflow, a bogus sigreturn frame); and after all of it the
 * kernel still forks, execs and waits. */
#include "kt.h"

#define PG 4096
#define KADDR ((void *)0xC0100000)

/* kt_in_child's fn: calls the case's function (arg). */
static void call(void *fn) { ((void (*)(void))fn)(); }

static void f_null(void) { (void)*(volatile int *)0; }
static void f_kread(void) { (void)*(volatile int *)KADDR; }
static void f_kwrite(void) { *(volatile int *)KADDR = 1; }
static void f_text(void) { *(volatile char *)f_text = 0; }
static void f_kjump(void) { ((void (*)(void))KADDR)(); }
static void f_ud2(void) { __asm__ volatile("ud2"); }
static void f_div0(void) {
  volatile int z = 0;
  volatile int x = 5 / z;
  (void)x;
}
static void f_int3(void) { __asm__ volatile("int3"); }
static void f_out(void) { __asm__ volatile("outb %%al, $0xf4" : : "a"(1)); }
static void f_in(void) { __asm__ volatile("inb $0x60, %%al" : : : "eax"); }
static void f_cli(void) { __asm__ volatile("cli"); }
static void f_hlt(void) { __asm__ volatile("hlt"); }
static void f_x87(void) { __asm__ volatile(".byte 0xdb, 0xe3"); /* fninit */ }
static void f_ljmp(void) { __asm__ volatile("ljmp $0x08, $0xc0100000"); }
static void f_int_kernel(void) { __asm__ volatile("int $0x20"); } /* an IRQ vector, DPL 0 */
static volatile int depth_limit = 1 << 30;
static int recurse(int n) {
  volatile char pad[1024];
  pad[0] = (char)n;
  if (n > depth_limit)
    return 0;
  return recurse(n + 1) + pad[0];
}
static void f_stack(void) { recurse(0); }
static void f_sigreturn(void) {
  /* a frame full of garbage selectors: the kernel must refuse it */
  static uint32_t junk[64];
  for (int k = 0; k < 64; k++)
    junk[k] = 0xdeadbeef;
  __asm__ volatile("movl %0, %%esp; movl $173, %%eax; int $0x80" : : "r"(junk + 1) : "eax", "memory");
}
static void f_badstack_signal(void) {
  /* a handler cannot be entered with esp pointing at the kernel */
  kt_sigaction(SIGUSR1, (void *)f_null, 0);
  __asm__ volatile("movl $0xc0000000, %%esp; movl %0, %%ebx; movl $37, %%eax; movl $10, %%ecx; int $0x80"
                   : : "r"((int)SYS0(getpid)) : "eax", "ebx", "ecx", "memory");
}

static void test_efault(void) {
  int p[2];
  CHECK_EQ(SYS1(pipe, p), 0);
  SYS3(write, p[1], "abc", 3);
  CHECK_EQ(SYS3(read, p[0], KADDR, 1), -EFAULT);
  CHECK_EQ(SYS3(read, p[0], (void *)0, 1), -EFAULT);
  CHECK_EQ(SYS3(read, p[0], (void *)(0xC0000000 - 1), 2), -EFAULT); /* runs into the kernel */
  CHECK_EQ(SYS3(write, p[1], KADDR, 10), -EFAULT);
  CHECK_EQ(SYS3(write, p[1], (void *)0x10, 10), -EFAULT);
  CHECK_EQ(SYS3(write, 1, (void *)0xFFFFFFF0, 0x20), -EFAULT);
  CHECK_EQ(SYS3(open, (char *)KADDR, O_RDONLY, 0), -EFAULT);
  CHECK_EQ(SYS3(open, (char *)0x1000, O_RDONLY, 0), -EFAULT);
  CHECK_EQ(SYS1(pipe, KADDR), -EFAULT);
  CHECK_EQ(SYS1(pipe, (void *)0xBFFFFFFE + 0x10000000), -EFAULT);
  struct stat st;
  CHECK_EQ(SYS2(stat, "/bin", KADDR), -EFAULT);
  CHECK_EQ(SYS2(stat, KADDR, &st), -EFAULT);
  CHECK_EQ(SYS2(fstat, 0, (void *)3), -EFAULT);
  CHECK_EQ(SYS4(rt_sigaction, SIGUSR1, KADDR, 0, 8), -EFAULT);
  CHECK_EQ(SYS4(rt_sigaction, SIGUSR1, 0, KADDR, 8), -EFAULT);
  CHECK_EQ(SYS4(rt_sigprocmask, SIG_BLOCK, KADDR, 0, 8), -EFAULT);
  CHECK_EQ(SYS5(_newselect, 4, KADDR, 0, 0, 0), -EFAULT);
  CHECK_EQ(SYS3(poll, KADDR, 1, 0), -EFAULT);
  CHECK_EQ(SYS2(gettimeofday, KADDR, 0), -EFAULT);
  CHECK_EQ(SYS2(getcwd, KADDR, 100), -EFAULT);
  CHECK_EQ(SYS4(wait4, -1, KADDR, 1, 0), -ECHILD);
  CHECK_EQ(SYS2(nanosleep, KADDR, 0), -EFAULT);
  CHECK_EQ(SYS1(uname, KADDR), -EFAULT);
  /* a read-only page as destination, a PROT_NONE page as source */
  char *ro = (char *)SYS6(mmap2, 0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK((long)ro > 0);
  CHECK_EQ(SYS3(read, p[0], ro, 1), -EFAULT);
  char *none = (char *)SYS6(mmap2, 0, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK_EQ(SYS3(write, p[1], none, 1), -EFAULT);
  /* a buffer that is good for its first page only: a partial transfer */
  char *two = (char *)SYS6(mmap2, 0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK_EQ(SYS2(munmap, two + PG, PG), 0);
  int fd = (int)SYS3(open, "/tmp/ef", O_CREAT | O_RDWR, 0644);
  CHECK_EQ(SYS3(write, fd, two + PG - 10, 20), 10);
  SYS1(close, fd);
  /* unknown system calls */
  CHECK_EQ(syscall_raw(9999, 0, 0, 0, 0, 0, 0), -ENOSYS);
  CHECK_EQ(syscall_raw(-1, 0, 0, 0, 0, 0, 0), -ENOSYS);
  CHECK_EQ(syscall_raw(1440, 1 /* EXIT */, 0, 0, 0, 0, 0), -EINVAL);
  SYS1(close, p[0]);
  SYS1(close, p[1]);
}

static void test_deaths(void) {
  static const struct {
    void (*fn)(void);
    int sig;
    const char *what;
  } cases[] = {
      {f_null, SIGSEGV, "NULL"},
      {f_kread, SIGSEGV, "kernel read"},
      {f_kwrite, SIGSEGV, "kernel write"},
      {f_text, SIGSEGV, "write to text"},
      {f_kjump, SIGSEGV, "jump to kernel"},
      {f_ud2, SIGILL, "ud2"},
      {f_div0, SIGFPE, "divide by zero"},
      {f_int3, SIGTRAP, "int3"},
      {f_out, SIGSEGV, "out"},
      {f_in, SIGSEGV, "in"},
      {f_cli, SIGSEGV, "cli"},
      {f_hlt, SIGSEGV, "hlt"},
      {f_x87, SIGILL, "x87"},
      {f_ljmp, SIGSEGV, "ljmp to kernel CS"},
      {f_int_kernel, SIGSEGV, "int to a DPL 0 gate"},
      {f_stack, SIGSEGV, "stack overflow"},
      {f_sigreturn, SIGSEGV, "bogus rt_sigreturn"},
      {f_badstack_signal, SIGSEGV, "signal with a kernel esp"},
  };
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    int st = kt_in_child(call, (void *)cases[k].fn);
    if (st != cases[k].sig) {
      printf("kt_fault: FAIL: %s: status %#x, expected signal %d\n", cases[k].what, st, cases[k].sig);
      kt_exit(1);
    }
  }
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_fault";
  test_efault();
  test_deaths();
  kt_check_exec_hello(); /* the kernel runs on */
  printf("kt_fault: PASS\n");
  return 0;
}
