/* kt_pipe: pipes, select and poll. Bytes in order through a pipe, EOF
 * once the writers are gone, EPIPE and SIGPIPE once the readers are gone,
 * O_NONBLOCK's EAGAIN, a 64 KiB transfer to a child through the one-page
 * buffer, a ping-pong between two processes (the token of lmbench's
 * lat_ctx), select on a pipe (timeout, ready, time left) and on 100
 * descriptors, poll's POLLIN, POLLOUT, POLLHUP and POLLNVAL, pipe2. */
#include "kt.h"

static void test_basic(void) {
  int p[2];
  CHECK_EQ(SYS1(pipe, p), 0);
  CHECK_EQ(SYS3(write, p[1], "abc", 3), 3);
  char buf[16];
  CHECK_EQ(SYS3(read, p[0], buf, 2), 2);
  CHECK(buf[0] == 'a' && buf[1] == 'b');
  CHECK_EQ(SYS3(read, p[0], buf, 16), 1);
  CHECK(buf[0] == 'c');
  CHECK_EQ(SYS3(fcntl, p[0], F_SETFL, O_NONBLOCK), 0);
  CHECK_EQ(SYS3(read, p[0], buf, 1), -EAGAIN);
  CHECK_EQ(SYS3(read, p[1], buf, 1), -EBADF);
  CHECK_EQ(SYS3(write, p[0], buf, 1), -EBADF);
  SYS1(close, p[1]);
  CHECK_EQ(SYS3(read, p[0], buf, 1), 0); /* EOF */
  SYS1(close, p[0]);
  /* no reader: SIGPIPE (ignored here) and EPIPE */
  CHECK_EQ(SYS1(pipe, p), 0);
  CHECK_EQ(kt_sigaction(SIGPIPE, (void *)1, 0), 0);
  SYS1(close, p[0]);
  CHECK_EQ(SYS3(write, p[1], "x", 1), -EPIPE);
  SYS1(close, p[1]);
  CHECK_EQ(kt_sigaction(SIGPIPE, (void *)0, 0), 0);
  /* and at the default action, SIGPIPE kills */
  CHECK_EQ(SYS1(pipe, p), 0);
  SYS1(close, p[0]);
  long pid = SYS0(fork);
  if (pid == 0) {
    SYS3(write, p[1], "x", 1);
    kt_exit(0);
  }
  int st;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, SIGPIPE);
  SYS1(close, p[1]);
  CHECK_EQ(SYS2(pipe2, p, O_CLOEXEC | O_NONBLOCK), 0);
  CHECK_EQ(SYS3(fcntl, p[0], F_GETFD, 0), FD_CLOEXEC);
  CHECK(SYS3(fcntl, p[1], F_GETFL, 0) & O_NONBLOCK);
  SYS1(close, p[0]);
  SYS1(close, p[1]);
}

static void test_bulk(void) {
  int p[2];
  CHECK_EQ(SYS1(pipe, p), 0);
  long pid = SYS0(fork);
  if (pid == 0) {
    SYS1(close, p[1]);
    static unsigned char got[65536];
    long total = 0, n;
    while ((n = SYS3(read, p[0], got + total, sizeof got - total)) > 0)
      total += n;
    CHECK_EQ(total, 65536);
    for (int k = 0; k < 65536; k++)
      CHECK_EQ(got[k], (unsigned char)(k * 7));
    kt_exit(0);
  }
  SYS1(close, p[0]);
  static unsigned char data[65536];
  for (int k = 0; k < 65536; k++)
    data[k] = (unsigned char)(k * 7);
  CHECK_EQ(SYS3(write, p[1], data, sizeof data), 65536);
  SYS1(close, p[1]);
  int st;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, 0);
}

static void test_pingpong(void) {
  int a[2], b[2];
  CHECK_EQ(SYS1(pipe, a), 0);
  CHECK_EQ(SYS1(pipe, b), 0);
  long pid = SYS0(fork);
  if (pid == 0) {
    int tok;
    for (int k = 0; k < 200; k++) {
      CHECK_EQ(SYS3(read, a[0], &tok, 4), 4);
      tok++;
      CHECK_EQ(SYS3(write, b[1], &tok, 4), 4);
    }
    kt_exit(0);
  }
  int tok = 0;
  for (int k = 0; k < 200; k++) {
    CHECK_EQ(SYS3(write, a[1], &tok, 4), 4);
    CHECK_EQ(SYS3(read, b[0], &tok, 4), 4);
  }
  CHECK_EQ(tok, 200);
  int st;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  CHECK_EQ(st, 0);
  for (int k = 0; k < 2; k++) {
    SYS1(close, a[k]);
    SYS1(close, b[k]);
  }
}

static void test_select(void) {
  int p[2];
  CHECK_EQ(SYS1(pipe, p), 0);
  uint32_t rd[8] = {0}, wr[8] = {0};
  struct timeval tv = {0, 0};
  rd[0] = 1u << p[0];
  CHECK_EQ(SYS5(_newselect, p[0] + 1, rd, 0, 0, &tv), 0); /* nothing to read */
  CHECK_EQ(rd[0], 0);
  rd[0] = 1u << p[0];
  wr[0] = 1u << p[1];
  CHECK_EQ(SYS5(_newselect, p[1] + 1, rd, wr, 0, &tv), 1); /* writable */
  CHECK_EQ(wr[0], 1u << p[1]);
  /* a 50 ms timeout passes, and says so */
  rd[0] = 1u << p[0];
  tv.tv_sec = 0;
  tv.tv_usec = 50000;
  CHECK_EQ(SYS5(_newselect, p[0] + 1, rd, 0, 0, &tv), 0);
  CHECK(tv.tv_sec == 0 && tv.tv_usec == 0);
  /* a child writes after a while: select wakes */
  long pid = SYS0(fork);
  if (pid == 0) {
    struct timespec ts = {0, 30000000};
    SYS2(nanosleep, &ts, 0);
    SYS3(write, p[1], "z", 1);
    kt_exit(0);
  }
  rd[0] = 1u << p[0];
  CHECK_EQ(SYS5(_newselect, p[0] + 1, rd, 0, 0, 0), 1);
  CHECK_EQ(rd[0], 1u << p[0]);
  int st;
  CHECK_EQ(SYS4(wait4, pid, &st, 0, 0), pid);
  /* 100 descriptors, as lat_select: a file open 100 times, all ready */
  int fd0 = (int)SYS3(open, "/tmp/sel", O_CREAT | O_RDWR, 0644);
  int fds[100];
  fds[0] = fd0;
  for (int k = 1; k < 100; k++)
    fds[k] = (int)SYS1(dup, fd0);
  uint32_t set[8] = {0};
  int max = 0;
  for (int k = 0; k < 100; k++) {
    set[fds[k] / 32] |= 1u << (fds[k] % 32);
    if (fds[k] > max)
      max = fds[k];
  }
  tv.tv_sec = tv.tv_usec = 0;
  CHECK_EQ(SYS5(_newselect, max + 1, set, 0, 0, &tv), 100);
  for (int k = 0; k < 100; k++)
    SYS1(close, fds[k]);
  rd[0] = 1u << 15; /* not open */
  CHECK_EQ(SYS5(_newselect, 16, rd, 0, 0, &tv), -EBADF);
  SYS1(close, p[0]);
  SYS1(close, p[1]);
}

static void test_poll(void) {
  int p[2];
  CHECK_EQ(SYS1(pipe, p), 0);
  struct pollfd f[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {50, POLLIN, 0}};
  CHECK_EQ(SYS3(poll, f, 3, 0), 2);
  CHECK_EQ(f[0].revents, 0);
  CHECK_EQ(f[1].revents, POLLOUT);
  CHECK_EQ(f[2].revents, POLLNVAL);
  SYS3(write, p[1], "q", 1);
  CHECK_EQ(SYS3(poll, f, 1, 100), 1);
  CHECK(f[0].revents & POLLIN);
  SYS1(close, p[1]);
  char c;
  SYS3(read, p[0], &c, 1);
  CHECK_EQ(SYS3(poll, f, 1, -1), 1);
  CHECK(f[0].revents & POLLHUP);
  SYS1(close, p[0]);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  kt_name = "kt_pipe";
  test_basic();
  test_bulk();
  test_pingpong();
  test_select();
  test_poll();
  printf("kt_pipe: PASS\n");
  return 0;
}
