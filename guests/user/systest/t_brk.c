/* t_brk - the program break and malloc on it.
 *
 * brk(0) reports the break, which starts past the program's bss; moving it
 * up gives zero-filled, writable memory; moving it down takes the memory
 * away (an access faults); a break below the program's data is refused
 * (the call returns the old break); after moving down and up again the
 * memory is zero again. malloc, free, calloc and realloc work across many
 * sizes on top of it. */
#include "t.h"

extern char _end[]; /* user.ld: the end of the bss */

static sigjmp_buf env;
static void on_segv(int sig) {
  (void)sig;
  siglongjmp(env, 1);
}

static int faults(volatile char *p) {
  if (sigsetjmp(env, 1) == 0) {
    *p = 1;
    return 0;
  }
  return 1;
}

static void raw_brk(void) {
  unsigned long start = (unsigned long)syscall_raw(__NR_brk, 0, 0, 0, 0, 0, 0);
  T_CHECK(start >= (unsigned long)_end);
  unsigned long top = start + 64 * 1024;
  T_EQ(syscall_raw(__NR_brk, (long)top, 0, 0, 0, 0, 0), (long)top);
  char *p = (char *)start;
  int nonzero = 0;
  for (unsigned long i = 0; i < top - start; i++)
    nonzero += p[i] != 0;
  T_EQ(nonzero, 0);
  memset(p, 0x5a, top - start);
  T_EQ(p[top - start - 1], 0x5a);
  /* down: the pages past the new break are gone */
  unsigned long down = start + 8192;
  down = (down + 4095) & ~4095ul;
  T_EQ(syscall_raw(__NR_brk, (long)down, 0, 0, 0, 0, 0), (long)down);
  T_CHECK(faults((char *)down + 4096));
  T_CHECK(!faults((char *)down - 1));
  /* up again: fresh zero pages */
  T_EQ(syscall_raw(__NR_brk, (long)top, 0, 0, 0, 0, 0), (long)top);
  T_EQ(((char *)down)[4096], 0);
  /* below the data: refused, the break stays */
  T_EQ(syscall_raw(__NR_brk, 0x08048000, 0, 0, 0, 0, 0), (long)top);
  T_EQ(syscall_raw(__NR_brk, 0, 0, 0, 0, 0, 0), (long)top);
  T_EQ(syscall_raw(__NR_brk, (long)start, 0, 0, 0, 0, 0), (long)start);
}

static void allocator(void) {
  enum { N = 200 };
  static char *blocks[N];
  static size_t sizes[N];
  for (int i = 0; i < N; i++) {
    sizes[i] = (size_t)((i * 37) % 3000 + 1);
    if (i % 50 == 7)
      sizes[i] = 200 * 1024; /* big: its own mapping */
    blocks[i] = malloc(sizes[i]);
    T_CHECK(blocks[i] != 0);
    T_EQ((uintptr_t)blocks[i] & 7, 0);
    memset(blocks[i], i & 0xff, sizes[i]);
  }
  for (int i = 0; i < N; i += 2) {
    free(blocks[i]);
    blocks[i] = 0;
  }
  for (int i = 1; i < N; i += 2) {
    int bad = 0;
    for (size_t k = 0; k < sizes[i]; k++)
      bad += (unsigned char)blocks[i][k] != (i & 0xff);
    T_EQ(bad, 0);
    char *r = realloc(blocks[i], sizes[i] * 2);
    T_CHECK(r != 0);
    bad = 0;
    for (size_t k = 0; k < sizes[i]; k++)
      bad += (unsigned char)r[k] != (i & 0xff);
    T_EQ(bad, 0);
    free(r);
  }
  unsigned *z = calloc(1000, sizeof(unsigned));
  T_CHECK(z != 0);
  int nonzero = 0;
  for (int i = 0; i < 1000; i++)
    nonzero += z[i] != 0;
  T_EQ(nonzero, 0);
  free(z);
  T_CHECK(calloc(0x40000000, 16) == 0); /* overflow */
  free(0);
}

int main(void) {
  t_init("t_brk");
  signal(SIGSEGV, on_segv);
  raw_brk();
  allocator();
  return t_done();
}
