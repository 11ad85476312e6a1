/* t_exec - execve.
 *
 * The new program gets exactly the argv and envp it was given (this
 * program execs itself with "--child"), keeps its pid, its parent and its
 * open descriptors, and gets default actions for caught signals while
 * ignored ones stay ignored and the blocked mask is kept. Errors: ENOENT
 * (no such file, or an empty path), ENOTDIR (a path through a regular
 * file), EACCES (a file without execute permission, a directory), ENOEXEC
 * (an executable file that is no ELF program), EFAULT (bad path, argv or
 * envp pointers), E2BIG (one argument longer than Linux's 32 pages). A
 * failed execve leaves the caller running. */
#include "t.h"

static char self[256]; /* this program's path */

static void on_usr1(int sig) { (void)sig; }

/* The exec'ed side: checks what it was given and exits 0 if all is well. */
static int child_main(int argc, char **argv, char **envp) {
  t_init("t_exec(child)");
  T_EQ(argc, 5);
  if (argc == 5) {
    T_CHECK(!strcmp(argv[1], "--child"));
    T_CHECK(!strcmp(argv[2], "two words"));
    T_CHECK(!strcmp(argv[3], ""));
    T_EQ(atoi(argv[4]), getpid()); /* same process */
  }
  T_CHECK(argv[argc] == 0);
  int n = 0;
  while (envp[n])
    n++;
  T_EQ(n, 2);
  if (n == 2) {
    T_CHECK(!strcmp(envp[0], "T_EXEC=yes"));
    T_CHECK(!strcmp(envp[1], "EMPTY="));
  }
  T_CHECK(!strcmp(getenv("T_EXEC"), "yes"));
  /* descriptor 9, opened by the parent before exec, is still open */
  char buf[8];
  T_EQ(read(9, buf, 5), 5);
  T_CHECK(!memcmp(buf, "hello", 5));
  /* SIGUSR1 had a handler: now default; SIGUSR2 was ignored: still ignored;
   * SIGTERM was blocked: still blocked */
  struct sigaction sa;
  T_OK(sigaction(SIGUSR1, 0, &sa));
  T_CHECK(sa.sa_handler == SIG_DFL);
  T_OK(sigaction(SIGUSR2, 0, &sa));
  T_CHECK(sa.sa_handler == SIG_IGN);
  sigset_t mask;
  T_OK(sigprocmask(SIG_BLOCK, 0, &mask));
  T_EQ(sigismember(&mask, SIGTERM), 1);
  T_EQ(sigismember(&mask, SIGUSR1), 0);
  return t_failures ? 1 : 0;
}

static void exec_passes_everything(void) {
  int p[2];
  T_OK(pipe(p));
  T_EQ(write(p[1], "hello", 5), 5);
  pid_t pid = t_fork();
  if (pid == 0) {
    T_EQ(dup2(p[0], 9), 9);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, 0);
    char pidbuf[16];
    snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
    char *argv[] = {self, "--child", "two words", "", pidbuf, 0};
    char *envp[] = {"T_EXEC=yes", "EMPTY=", 0};
    execve(self, argv, envp);
    printf("t_exec: execve %s: %s\n", self, strerror(errno));
    _exit(99);
  }
  T_CHILD_OK(pid);
  close(p[0]);
  close(p[1]);
}

static void exec_errors(void) {
  char *argv[] = {"x", 0};
  char *envp[] = {0};
  char path[64], dir[64], sub[96];

  T_ERR(execve("/nonexistent/program", argv, envp), ENOENT);
  T_ERR(execve("", argv, envp), ENOENT);

  /* a file that is not a program, mode 0755: ENOEXEC; mode 0644: EACCES */
  t_tmp(path, "notelf");
  int fd = T_OK(open(path, O_CREAT | O_WRONLY | O_TRUNC, 0755));
  T_EQ(write(fd, "this is not a program\n", 22), 22);
  close(fd);
  T_ERR(execve(path, argv, envp), ENOEXEC);
  snprintf(sub, sizeof(sub), "%s/x", path);
  T_ERR(execve(sub, argv, envp), ENOTDIR);
  T_OK(unlink(path));
  fd = T_OK(open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644));
  close(fd);
  T_ERR(execve(path, argv, envp), EACCES);
  T_OK(unlink(path));

  t_tmp(dir, "dir");
  T_OK(mkdir(dir, 0755));
  T_ERR(execve(dir, argv, envp), EACCES);
  T_OK(rmdir(dir));

  /* bad pointers */
  T_ERR(execve((char *)1, argv, envp), EFAULT);
  T_ERR(execve(self, (char **)1, envp), EFAULT);
  T_ERR(execve(self, argv, (char **)1), EFAULT);
  char *bad_argv[] = {"x", (char *)1, 0};
  T_ERR(execve(self, bad_argv, envp), EFAULT);

  /* one argument of 33 pages: E2BIG (Linux: MAX_ARG_STRLEN, 32 pages) */
  size_t n = 33 * 4096;
  char *huge = malloc(n + 1);
  T_CHECK(huge != 0);
  if (huge) {
    memset(huge, 'a', n);
    huge[n] = 0;
    char *big_argv[] = {"x", huge, 0};
    T_ERR(execve(self, big_argv, envp), E2BIG);
    free(huge);
  }
}

int main(int argc, char **argv, char **envp) {
  if (argc > 1 && !strcmp(argv[1], "--child"))
    return child_main(argc, argv, envp);
  t_init("t_exec");
  if (strchr(argv[0], '/'))
    snprintf(self, sizeof(self), "%s", argv[0]);
  else
    snprintf(self, sizeof(self), "/bin/%s", argv[0]);
  exec_passes_everything();
  exec_errors();
  return t_done();
}
