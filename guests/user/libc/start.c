/* guests/user/libc/start.c - from the initial stack to main (crt0.S calls
 * libc_start with the stack pointer the kernel left, see its map). */
#include "libc-internal.h"

char **environ;
unsigned long *libc_auxv;

int main(int argc, char **argv, char **envp);
void libc_start(unsigned long *sp) __attribute__((noreturn, used));

void libc_start(unsigned long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  char **p = envp;
  while (*p)
    p++;
  environ = envp;
  libc_auxv = (unsigned long *)(p + 1);
  exit(main(argc, argv, envp));
}

unsigned long getauxval(unsigned long type) {
  for (unsigned long *a = libc_auxv; a && a[0] != AT_NULL; a += 2)
    if (a[0] == type)
      return a[1];
  return 0;
}
