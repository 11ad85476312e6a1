/* t_libc - the C library itself (libc/): stdio buffering and formatting,
 * FILE reads and writes on files, setjmp/longjmp, getopt, getenv, atoi,
 * strerror and execvp's PATH search. */
#include "t.h"

static void formatting(void) {
  char buf[64];
  T_EQ(snprintf(buf, sizeof(buf), "%d|%5u|%-4x|%s|%c|%lld", -12, 34u, 0xab, "str", 'z',
                -9000000000LL),
       32);
  T_CHECK(!strcmp(buf, "-12|   34|ab  |str|z|-9000000000"));
  T_EQ(snprintf(buf, 4, "%s", "truncated"), 9);
  T_CHECK(!strcmp(buf, "tru"));
}

static void files(void) {
  char path[64];
  t_tmp(path, "stdio");
  FILE *f = fopen(path, "w");
  T_CHECK(f != 0);
  if (!f)
    return;
  for (int i = 0; i < 500; i++) /* more than one buffer */
    T_CHECK(fprintf(f, "line %d\n", i) > 0);
  T_EQ(fputs("last", f), 0);
  T_EQ(fclose(f), 0);

  f = fopen(path, "r");
  T_CHECK(f != 0);
  if (!f)
    return;
  char line[32];
  int n = 0, ok = 1;
  while (fgets(line, sizeof(line), f)) {
    char want[32];
    snprintf(want, sizeof(want), n < 500 ? "line %d\n" : "last", n);
    ok &= !strcmp(line, want);
    n++;
  }
  T_EQ(n, 501);
  T_CHECK(ok);
  T_CHECK(feof(f));
  T_EQ(fgetc(f), EOF);
  T_EQ(fclose(f), 0);

  /* append, then read it all with fread */
  f = fopen(path, "a");
  T_EQ(fwrite("+tail", 1, 5, f), 5);
  fclose(f);
  f = fopen(path, "r");
  static char all[8192];
  size_t got = fread(all, 1, sizeof(all), f);
  T_CHECK(got > 5 && !memcmp(all + got - 9, "last+tail", 9));
  fclose(f);
  T_CHECK(fopen("/nonexistent/file", "r") == 0);
  T_EQ(errno, ENOENT);
  T_OK(unlink(path));

  /* stdout's line buffer reaches the descriptor at each newline, so a
   * child forked right after a printf does not print it again */
  int p[2];
  T_OK(pipe(p));
  pid_t pid = t_fork();
  if (pid == 0) {
    dup2(p[1], 1);
    printf("from the child %d\n", 7);
    printf("no newline");
    exit(0); /* exit() flushes */
  }
  close(p[1]);
  char out[64] = {0};
  int len = 0;
  ssize_t r;
  while ((r = read(p[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0)
    len += (int)r;
  T_CHECK(!strcmp(out, "from the child 7\nno newline"));
  T_CHILD_OK(pid);
  close(p[0]);
}

static jmp_buf jb;
static int depth;
static void dive(int n) {
  depth = n;
  if (n == 10)
    longjmp(jb, n);
  if (n < 20)
    dive(n + 1);
}

static void jumps(void) {
  volatile int count = 0;
  int r = setjmp(jb);
  count++;
  if (r == 0)
    dive(0);
  T_EQ(r, 10);
  T_EQ(count, 2);
  T_EQ(depth, 10);
  r = setjmp(jb);
  if (r == 0)
    longjmp(jb, 0); /* 0 becomes 1 */
  T_EQ(r, 1);
}

static void options(void) {
  char *argv[] = {"prog", "-a", "-b", "val", "-cdfoo", "--", "-x", "rest", 0};
  int argc = 8, c;
  char seen[16] = {0};
  int k = 0;
  optind = 1;
  while ((c = getopt(argc, argv, "ab:cd:")) != -1) {
    seen[k++] = (char)c;
    if (c == 'b')
      T_CHECK(!strcmp(optarg, "val"));
    if (c == 'd')
      T_CHECK(!strcmp(optarg, "foo"));
  }
  T_CHECK(!strcmp(seen, "abcd"));
  T_EQ(optind, 6);
  T_CHECK(!strcmp(argv[optind], "-x"));
  optind = 1;
  opterr = 0;
  char *argv2[] = {"prog", "-z", 0};
  T_EQ(getopt(2, argv2, "a"), '?');
  T_EQ(optopt, 'z');
  optind = 1;
  opterr = 1;
}

static void misc(void) {
  T_EQ(atoi("  -42xyz"), -42);
  T_EQ(atoi("0x10"), 0);
  T_EQ(atol("2147483647"), 2147483647L);
  T_CHECK(strstr(strerror(ENOENT), "ENOENT") != 0);
  T_CHECK(getenv("T_LIBC_SURELY_UNSET") == 0);
  /* execvp searches PATH and reports ENOENT after trying every entry */
  T_ERR(execvp("t_libc_no_such_program", (char *[]){"x", 0}), ENOENT);
  char *m = strdup("copy");
  T_CHECK(m && !strcmp(m, "copy"));
  free(m);
  unsigned long pagesz = getauxval(AT_PAGESZ);
  T_EQ(pagesz, 4096);
}

int main(void) {
  t_init("t_libc");
  formatting();
  files();
  jumps();
  options();
  misc();
  return t_done();
}
