/* t_pipe - pipes.
 *
 * Bytes come out in order; a read blocks until a writer writes, returns
 * what is there (not more), and returns 0 (end of file) once every write
 * end is closed. Writing with no read end open raises SIGPIPE (default:
 * death) or, with SIGPIPE ignored, fails with EPIPE. A pipe holds at least
 * PIPE_BUF (4096) bytes; with O_NONBLOCK a full pipe gives EAGAIN and an
 * empty one EAGAIN. A big transfer between two processes arrives whole.
 * Errors: EBADF on the wrong end, ESPIPE for lseek, EFAULT for a bad
 * array. fstat says S_IFIFO. */
#include "t.h"

static void basic(void) {
  int p[2];
  T_OK(pipe(p));
  T_CHECK(p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
  T_EQ(write(p[1], "abc", 3), 3);
  T_EQ(write(p[1], "defg", 4), 4);
  char buf[16];
  T_EQ(read(p[0], buf, 2), 2);
  T_CHECK(!memcmp(buf, "ab", 2));
  T_EQ(read(p[0], buf, sizeof(buf)), 5); /* what is there, not more */
  T_CHECK(!memcmp(buf, "cdefg", 5));
  T_ERR(read(p[1], buf, 1), EBADF);
  T_ERR(write(p[0], "x", 1), EBADF);
  T_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
  struct stat64 st;
  T_OK(fstat(p[0], &st));
  T_CHECK(S_ISFIFO(st.st_mode));
  T_EQ(write(p[1], "z", 1), 1);
  T_OK(close(p[1]));
  T_EQ(read(p[0], buf, sizeof(buf)), 1); /* data first, */
  T_EQ(read(p[0], buf, sizeof(buf)), 0); /* then end of file */
  T_EQ(read(p[0], buf, sizeof(buf)), 0);
  T_OK(close(p[0]));
  T_ERR(pipe((int *)0), EFAULT);
}

static void blocking_read_and_eof(void) {
  int p[2];
  T_OK(pipe(p));
  pid_t pid = t_fork();
  if (pid == 0) {
    close(p[0]);
    for (int i = 0; i < 5; i++) {
      sched_yield(); /* let the reader block first, usually */
      char c = (char)('0' + i);
      write(p[1], &c, 1);
    }
    _exit(0); /* the last write end closes */
  }
  close(p[1]);
  char got[8];
  int n = 0;
  ssize_t r;
  while ((r = read(p[0], got + n, 1)) == 1 && n < 7)
    n++;
  T_EQ(r, 0);
  T_EQ(n, 5);
  T_CHECK(!memcmp(got, "01234", 5));
  T_CHILD_OK(pid);
  close(p[0]);
  /* a second write end (dup) keeps the pipe open */
  T_OK(pipe(p));
  int w2 = T_OK(dup(p[1]));
  close(p[1]);
  T_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
  char c;
  T_ERR(read(p[0], &c, 1), EAGAIN); /* empty but a writer remains */
  close(w2);
  T_EQ(read(p[0], &c, 1), 0);
  close(p[0]);
}

static void broken_pipe(void) {
  int p[2];
  T_OK(pipe(p));
  close(p[0]);
  pid_t pid = t_fork();
  if (pid == 0) {
    write(p[1], "x", 1); /* SIGPIPE, default action */
    _exit(1);
  }
  T_CHILD_KILLED(pid, SIGPIPE);
  signal(SIGPIPE, SIG_IGN);
  T_ERR(write(p[1], "x", 1), EPIPE);
  signal(SIGPIPE, SIG_DFL);
  close(p[1]);
}

static void capacity(void) {
  int p[2];
  T_OK(pipe(p));
  T_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
  T_EQ(fcntl(p[1], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  char block[512];
  memset(block, 'q', sizeof(block));
  long total = 0;
  ssize_t r;
  while ((r = write(p[1], block, sizeof(block))) > 0 && total < (1 << 22))
    total += r;
  T_EQ(r, -1);
  T_EQ(errno, EAGAIN);
  T_CHECK(total >= 4096);
  /* reading makes room again */
  char buf[4096];
  T_EQ(read(p[0], buf, sizeof(buf)), 4096);
  T_CHECK(write(p[1], block, sizeof(block)) > 0);
  close(p[0]);
  close(p[1]);
}

static void big_transfer(void) {
  enum { N = 256 * 1024 };
  int p[2];
  T_OK(pipe(p));
  pid_t pid = t_fork();
  if (pid == 0) {
    close(p[0]);
    static unsigned char out[N];
    for (int i = 0; i < N; i++)
      out[i] = (unsigned char)(i * 7 + (i >> 8));
    int off = 0;
    while (off < N) {
      ssize_t w = write(p[1], out + off, (size_t)(N - off < 10000 ? N - off : 10000));
      if (w <= 0)
        _exit(1);
      off += (int)w;
    }
    _exit(0);
  }
  close(p[1]);
  static unsigned char in[N + 16];
  int n = 0;
  ssize_t r;
  while ((r = read(p[0], in + n, 8192)) > 0)
    n += (int)r;
  T_EQ(r, 0);
  T_EQ(n, N);
  int bad = 0;
  for (int i = 0; i < N; i++)
    bad += in[i] != (unsigned char)(i * 7 + (i >> 8));
  T_EQ(bad, 0);
  T_CHILD_OK(pid);
  close(p[0]);
}

int main(void) {
  t_init("t_pipe");
  basic();
  blocking_read_and_eof();
  broken_pipe();
  capacity();
  big_transfer();
  return t_done();
}
