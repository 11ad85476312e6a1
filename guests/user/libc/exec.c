/* guests/user/libc/exec.c - the exec family over execve, and getenv.
 *
 * execvp and execlp search PATH (default "/bin:/usr/bin") for a name
 * without a slash, trying each directory in turn as POSIX says: they go on
 * after ENOENT, EACCES or ENOTDIR and report EACCES if some file existed but
 * could not run. */
#include "libc-internal.h"

#define LIBC_EXECL_MAX 64 /* arguments execl and execlp take */
#define LIBC_PATH_MAX 256

char *getenv(const char *name) {
  size_t n = strlen(name);
  for (char **e = environ; e && *e; e++)
    if (!strncmp(*e, name, n) && (*e)[n] == '=')
      return *e + n + 1;
  return 0;
}

int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }

int execvp(const char *file, char *const argv[]) {
  if (!*file) {
    errno = ENOENT;
    return -1;
  }
  if (strchr(file, '/'))
    return execv(file, argv);
  const char *path = getenv("PATH");
  if (!path)
    path = "/bin:/usr/bin";
  int saw_eacces = 0;
  size_t flen = strlen(file);
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t dlen = end ? (size_t)(end - p) : strlen(p);
    char full[LIBC_PATH_MAX];
    if (dlen + flen + 2 <= sizeof(full)) {
      memcpy(full, p, dlen);
      size_t at = dlen;
      if (dlen == 0) /* an empty entry means the current directory */
        full[at++] = '.';
      full[at++] = '/';
      memcpy(full + at, file, flen + 1);
      execv(full, argv);
      if (errno == EACCES)
        saw_eacces = 1;
      else if (errno != ENOENT && errno != ENOTDIR)
        return -1;
    }
    if (!end)
      break;
    p = end;
  }
  errno = saw_eacces ? EACCES : ENOENT;
  return -1;
}

/* Collects execl's NULL-terminated arguments. */
static int gather(char **argv, const char *arg0, va_list ap) {
  int n = 0;
  argv[n++] = (char *)arg0;
  while (arg0) {
    if (n == LIBC_EXECL_MAX) {
      errno = E2BIG;
      return -1;
    }
    argv[n++] = va_arg(ap, char *);
    arg0 = argv[n - 1];
  }
  return 0;
}

int execl(const char *path, const char *arg0, ...) {
  char *argv[LIBC_EXECL_MAX];
  va_list ap;
  va_start(ap, arg0);
  int r = gather(argv, arg0, ap);
  va_end(ap);
  return r < 0 ? r : execv(path, argv);
}

int execlp(const char *file, const char *arg0, ...) {
  char *argv[LIBC_EXECL_MAX];
  va_list ap;
  va_start(ap, arg0);
  int r = gather(argv, arg0, ap);
  va_end(ap);
  return r < 0 ? r : execvp(file, argv);
}
