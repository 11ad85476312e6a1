/* guests/user/bin/init.c - the first process.
 *
 *   init                run the default workload: /bin/lmbench
 *   init CMD ARGS...    run CMD (a path, or a name looked up in /bin)
 *
 * init forks, the child execs the command, and init reaps every child that
 * ends (the kernel makes it the parent of orphans) until none is left. Its
 * exit status is the command's: the exit status, or 128 + the signal number
 * if the command was killed (as a shell reports it), 127 if it could not be
 * run. On our kernel init is pid 1 and its exit powers the machine off with
 * that status; on Linux it is an ordinary process that behaves the same
 * (there orphans go to Linux's own reaper, not to it).
 *
 * As pid 1, init makes sure descriptors 0-2 exist (on /dev/console), in case
 * the kernel started it without them, and gives the command a minimal
 * environment if it received none. */
#include "libc.h"

static char *default_env[] = {"PATH=/bin", "HOME=/", 0};
static char *default_cmd[] = {"/bin/lmbench", 0};

static void open_console(void) {
  struct stat64 st;
  if (fstat(2, &st) == 0)
    return;
  for (int fd = 0; fd < 3; fd++)
    if (fstat(fd, &st) < 0 && errno == EBADF) {
      int got = open("/dev/console", O_RDWR);
      if (got >= 0 && got != fd) {
        dup2(got, fd);
        close(got);
      }
    }
}

int main(int argc, char **argv, char **envp) {
  if (getpid() == 1) {
    open_console();
    if (!envp || !envp[0])
      environ = default_env;
  }
  char **cmd = argc > 1 ? argv + 1 : default_cmd;

  pid_t child = fork();
  if (child < 0) {
    perror("init: fork");
    return 127;
  }
  if (child == 0) {
    char path[256];
    const char *file = cmd[0];
    if (!strchr(file, '/')) {
      snprintf(path, sizeof(path), "/bin/%s", file);
      file = path;
    }
    execve(file, cmd, environ);
    dprintf(2, "init: cannot run %s: %s\n", file, strerror(errno));
    _exit(127);
  }

  int result = 127;
  for (;;) {
    int status;
    pid_t pid = wait4(-1, &status, 0, 0);
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      break; /* ECHILD: nobody left */
    }
    if (pid != child)
      continue; /* an orphan, reaped */
    if (WIFEXITED(status))
      result = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
      result = 128 + WTERMSIG(status);
  }
  return result;
}
