/* t_crash - faults kill the faulting process, not the system.
 *
 * Children that dereference NULL, write into their own text, jump to an
 * unmapped address, divide by zero, execute an invalid instruction, a
 * breakpoint, a privileged instruction (hlt, cli) or an I/O instruction
 * (on the ringlab ops port: user processes have no I/O privilege) die of
 * the signal Linux gives (SIGSEGV, SIGFPE, SIGILL, SIGTRAP), while the
 * parent runs on: it forks again after each and does its own work. */
#include "t.h"

static volatile int zero;

static void null_read(void) { (void)*(volatile int *)0; }
static void text_write(void) { *(volatile char *)(uintptr_t)null_read = 0; }
static void jump_wild(void) { ((void (*)(void))0x00001234)(); }
static void divide(void) {
  /* idiv by zero: #DE (C's 1 / x would be folded into a compare) */
  int divisor = zero, lo = 1, hi = 0;
  __asm__ volatile("idivl %2" : "+a"(lo), "+d"(hi) : "r"(divisor));
  zero = lo + hi;
}
static void invalid(void) { __asm__ volatile("ud2"); }
static void breakpoint(void) { __asm__ volatile("int3"); }
static void halt(void) { __asm__ volatile("hlt"); }
static void no_interrupts(void) { __asm__ volatile("cli"); }
static void port_io(void) { __asm__ volatile("outl %0, %1" : : "a"(0u), "Nd"((unsigned short)0x5a0)); }
static const struct {
  const char *name;
  void (*fn)(void);
  int sig;
} cases[] = {
    {"null read", null_read, SIGSEGV},     {"text write", text_write, SIGSEGV},
    {"wild jump", jump_wild, SIGSEGV},     {"divide by zero", divide, SIGFPE},
    {"ud2", invalid, SIGILL},              {"int3", breakpoint, SIGTRAP},
    {"hlt", halt, SIGSEGV},                {"cli", no_interrupts, SIGSEGV},
    {"out to the ops port", port_io, SIGSEGV},
};

int main(void) {
  t_init("t_crash");
  long work = 0;
  for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    pid_t pid = t_fork();
    if (pid == 0) {
      cases[i].fn();
      _exit(100);
    }
    int st = T_WAIT(pid);
    if (st != -1 && !(WIFSIGNALED(st) && WTERMSIG(st) == cases[i].sig))
      t_fail(__FILE__, __LINE__, "%s: status 0x%x, want killed by signal %d", cases[i].name, st,
             cases[i].sig);
    /* the parent goes on working */
    for (int k = 0; k < 1000; k++)
      work += k;
    char *m = malloc(10000);
    T_CHECK(m != 0);
    memset(m, 1, 10000);
    free(m);
  }
  T_EQ(work, (long)(sizeof(cases) / sizeof(cases[0])) * 499500L);
  return t_done();
}
