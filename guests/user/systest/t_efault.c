/* t_efault - bad pointers give EFAULT, and the caller runs on.
 *
 * Every call that reads or writes user memory checks the pointer: NULL, an
 * unmapped page, a page the call may not write (the program's text as a
 * read() buffer), an address in the kernel's half (above 0xC0000000 on
 * our kernel; unmapped on Linux's 32-bit compat layout). Where NULL means
 * "not given" (sigaction's old action, select's sets, wait4's status) only
 * the other bad pointers are tried. None of these kills the caller. */
#include "t.h"

static const char text_marker[] = "";

static void *unmapped(void) {
  char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(p, 4096);
  return p;
}

int main(void) {
  t_init("t_efault");
  void *bad[] = {0, unmapped(), (void *)0xc0001000, (void *)0xfffff000};
  char path[64];
  int fd = T_OK(open(t_tmp(path, "data"), O_CREAT | O_RDWR | O_TRUNC, 0644));
  T_EQ(write(fd, "0123456789", 10), 10);
  int p[2];
  T_OK(pipe(p));
  T_EQ(write(p[1], "abc", 3), 3);

  for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    void *b = bad[i];
    T_EQ(lseek(fd, 0, SEEK_SET), 0);
    T_ERR(read(fd, b, 10), EFAULT);
    T_ERR(read(p[0], b, 1), EFAULT);
    T_ERR(write(fd, b, 10), EFAULT);
    T_ERR(write(p[1], b, 1), EFAULT);
    T_ERR(open(b, O_RDONLY), EFAULT);
    T_ERR(stat(b, &(struct stat64){0}), EFAULT);
    T_ERR(stat("/", b), EFAULT);
    T_ERR(fstat(fd, b), EFAULT);
    T_ERR(mkdir(b, 0755), EFAULT);
    T_ERR(unlink(b), EFAULT);
    T_ERR(chdir(b), EFAULT);
    T_ERR(pipe(b), EFAULT);
    T_ERR(getdents64(open("/", O_RDONLY | O_DIRECTORY), b, 4096), EFAULT);
    T_ERR(execve(b, (char *[]){"x", 0}, (char *[]){0}), EFAULT);
    T_ERR(poll(b, 1, 0), EFAULT);
    T_ERR(nanosleep(b, 0), EFAULT);
    if (!b)
      continue; /* for the calls below NULL means "not given" */
    T_ERR(syscall(__NR_rt_sigaction, SIGUSR1, b, 0, 8), EFAULT);
    T_ERR(syscall(__NR_rt_sigaction, SIGUSR1, 0, b, 8), EFAULT);
    T_ERR(syscall(__NR_rt_sigprocmask, SIG_BLOCK, b, 0, 8), EFAULT);
    T_ERR(select(1, b, 0, 0, &(struct timeval){0, 0}), EFAULT);
    T_ERR(gettimeofday(b, 0), EFAULT);
    pid_t pid = t_fork();
    if (pid == 0)
      _exit(0);
    T_ERR(wait4(pid, b, 0, 0), EFAULT);
    /* Linux since 2.6.3x reaps the child before it fails to store the
     * status; older kernels left the zombie: either is Linux */
    int st;
    pid_t again = wait4(pid, &st, 0, 0);
    T_CHECK(again == pid || (again == -1 && errno == ECHILD));
  }
  /* read() into the program's text: the page is there but not writable */
  T_EQ(lseek(fd, 0, SEEK_SET), 0);
  T_ERR(read(fd, (void *)(uintptr_t)main, 4), EFAULT);
  T_ERR(read(fd, (void *)text_marker, 1), EFAULT); /* .rodata */
  /* a buffer that starts fine and runs into an unmapped page */
  char *two = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T_OK(munmap(two + 4096, 4096));
  T_EQ(lseek(fd, 0, SEEK_SET), 0);
  long r = read(fd, two + 4096 - 4, 10);
  /* Linux copies what fits and returns it, or fails with EFAULT */
  T_CHECK(r == 4 || (r == -1 && errno == EFAULT));
  T_OK(munmap(two, 4096));
  close(fd);
  close(p[0]);
  close(p[1]);
  T_OK(unlink(path));
  return t_done();
}
