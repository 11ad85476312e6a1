/* t_select - select and poll over pipes and files.
 *
 * An empty pipe is not readable, a pipe with data is; its write end is
 * writable until the pipe is full; the read end of a pipe whose writers
 * are gone is readable (end of file) and, for poll, POLLHUP; the write end
 * of a pipe without readers is POLLERR. Regular files are always readable
 * and writable. A zero timeout returns at once; a short timeout returns 0
 * when nothing happens; a blocking select or poll wakes when another
 * process writes. select returns the number of ready descriptors and
 * leaves only those in the sets; a closed descriptor is EBADF for select
 * and POLLNVAL for poll. */
#include "t.h"

static int readable(int fd) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(fd, &r);
  struct timeval tv = {0, 0};
  int n = select(fd + 1, &r, 0, 0, &tv);
  return n < 0 ? -1 : (n == 1 && FD_ISSET(fd, &r));
}

static int writable(int fd) {
  fd_set w;
  FD_ZERO(&w);
  FD_SET(fd, &w);
  struct timeval tv = {0, 0};
  int n = select(fd + 1, 0, &w, 0, &tv);
  return n < 0 ? -1 : (n == 1 && FD_ISSET(fd, &w));
}

static short revents(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int n = poll(&p, 1, 0);
  return n < 0 ? -1 : p.revents;
}

static void pipes(void) {
  int p[2];
  T_OK(pipe(p));
  T_EQ(readable(p[0]), 0);
  T_EQ(writable(p[1]), 1);
  T_EQ(revents(p[0], POLLIN), 0);
  T_EQ(revents(p[1], POLLOUT), POLLOUT);
  T_EQ(write(p[1], "x", 1), 1);
  T_EQ(readable(p[0]), 1);
  T_EQ(revents(p[0], POLLIN | POLLOUT), POLLIN); /* a read end never POLLOUT */

  /* select keeps only the ready ones, and counts them */
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(p[0], &r);
  FD_SET(p[1], &r); /* a write end is never readable */
  FD_SET(p[1], &w);
  struct timeval tv = {0, 0};
  int maxfd = p[0] > p[1] ? p[0] : p[1];
  T_EQ(select(maxfd + 1, &r, &w, 0, &tv), 2);
  T_EQ(FD_ISSET(p[0], &r), 1);
  T_EQ(FD_ISSET(p[1], &r), 0);
  T_EQ(FD_ISSET(p[1], &w), 1);

  /* full: not writable */
  T_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
  char block[1024];
  memset(block, 0, sizeof(block));
  while (write(p[1], block, sizeof(block)) > 0)
    ;
  T_EQ(writable(p[1]), 0);
  T_EQ(revents(p[1], POLLOUT), 0);

  /* writers gone: readable (EOF), POLLHUP */
  close(p[1]);
  char buf[4096];
  while (read(p[0], buf, sizeof(buf)) > 0)
    ;
  T_EQ(readable(p[0]), 1);
  T_EQ(revents(p[0], POLLIN) & POLLHUP, POLLHUP);
  close(p[0]);

  /* readers gone: POLLERR on the write end */
  T_OK(pipe(p));
  close(p[0]);
  T_EQ(revents(p[1], POLLOUT) & POLLERR, POLLERR);
  close(p[1]);
}

static void files(void) {
  char path[64];
  int fd = T_OK(open(t_tmp(path, "file"), O_CREAT | O_RDWR | O_TRUNC, 0644));
  T_EQ(readable(fd), 1); /* even at end of file */
  T_EQ(writable(fd), 1);
  T_EQ(revents(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
  close(fd);
  T_OK(unlink(path));
}

static void timeouts_and_errors(void) {
  int p[2];
  T_OK(pipe(p));
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  struct timeval tv = {0, 20000}; /* 20 ms, nothing arrives */
  T_EQ(select(p[0] + 1, &r, 0, 0, &tv), 0);
  T_EQ(FD_ISSET(p[0], &r), 0);
  struct pollfd pf = {p[0], POLLIN, 0};
  T_EQ(poll(&pf, 1, 20), 0);
  T_EQ(select(0, 0, 0, 0, &(struct timeval){0, 1000}), 0); /* a sleep */

  int closed = p[0] + 10;
  FD_ZERO(&r);
  FD_SET(closed, &r);
  tv.tv_sec = 0;
  tv.tv_usec = 0;
  T_ERR(select(closed + 1, &r, 0, 0, &tv), EBADF);
  struct pollfd bad = {closed, POLLIN, 0};
  T_EQ(poll(&bad, 1, 0), 1);
  T_EQ(bad.revents, POLLNVAL);
  struct pollfd ignored = {-1, POLLIN, 0}; /* a negative fd is skipped */
  T_EQ(poll(&ignored, 1, 0), 0);
  T_EQ(ignored.revents, 0);
  T_ERR(select(-1, 0, 0, 0, &tv), EINVAL);
  close(p[0]);
  close(p[1]);
}

static void wakes_on_write(void) {
  int p[2];
  T_OK(pipe(p));
  pid_t pid = t_fork();
  if (pid == 0) {
    for (int i = 0; i < 5; i++)
      sched_yield();
    write(p[1], "w", 1);
    _exit(0);
  }
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  T_EQ(select(p[0] + 1, &r, 0, 0, 0), 1); /* no timeout: blocks */
  T_EQ(FD_ISSET(p[0], &r), 1);
  char c;
  T_EQ(read(p[0], &c, 1), 1);
  T_CHILD_OK(pid);

  pid = t_fork();
  if (pid == 0) {
    for (int i = 0; i < 5; i++)
      sched_yield();
    write(p[1], "v", 1);
    _exit(0);
  }
  struct pollfd pf = {p[0], POLLIN, 0};
  T_EQ(poll(&pf, 1, -1), 1);
  T_EQ(pf.revents, POLLIN);
  T_CHILD_OK(pid);
  close(p[0]);
  close(p[1]);
}

int main(void) {
  t_init("t_select");
  pipes();
  files();
  timeouts_and_errors();
  wakes_on_write();
  return t_done();
}
