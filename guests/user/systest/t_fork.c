/* t_fork - fork and copy-on-write.
 *
 * After fork, parent and child each see their own writes to every kind of
 * private memory (data, bss, heap, stack, private anonymous mappings),
 * while a MAP_SHARED mapping stays one memory for both. Pages are shared
 * until written: a page neither process writes keeps its contents in both,
 * one a process writes changes only for it, also when three processes
 * share a page (a grandchild). A read-only private page stays read-only in
 * the child. fork returns the child's pid to the parent, 0 to the child,
 * and the child's parent is the forking process. */
#include "t.h"

static int data_var = 1111;      /* .data */
static int bss_var;              /* .bss */
static char big[64 * 1024] = {1}; /* several pages of .data */

/* a pipe pair used to make the parent write only after the child has
 * looked at memory, and vice versa */
static void sync_write(int fd) {
  char c = 's';
  T_EQ(write(fd, &c, 1), 1);
}
static void sync_read(int fd) {
  char c;
  T_EQ(read(fd, &c, 1), 1);
}

static void private_memory(void) {
  int stack_var = 3333;
  int *heap = malloc(sizeof(int) * 1024);
  char *anon = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T_CHECK(heap != 0);
  T_CHECK(anon != MAP_FAILED);
  heap[0] = 4444;
  anon[0] = 55;
  anon[4096] = 66;
  bss_var = 2222;
  for (unsigned i = 0; i < sizeof(big); i += 4096)
    big[i] = (char)(i / 4096);

  int to_child[2], to_parent[2];
  T_OK(pipe(to_child));
  T_OK(pipe(to_parent));
  pid_t me = getpid();
  pid_t pid = t_fork();
  if (pid == 0) {
    /* the child sees the parent's values at the fork */
    T_EQ(getppid(), me);
    T_CHECK(getpid() != me);
    T_EQ(data_var, 1111);
    T_EQ(bss_var, 2222);
    T_EQ(stack_var, 3333);
    T_EQ(heap[0], 4444);
    T_EQ(anon[0], 55);
    T_EQ(anon[4096], 66);
    /* the child writes its own values, then lets the parent look */
    data_var = -1;
    bss_var = -2;
    stack_var = -3;
    heap[0] = -4;
    anon[0] = -5;
    big[4096] = 99; /* one page of big; the others stay shared */
    sync_write(to_parent[1]);
    sync_read(to_child[0]); /* the parent has written its own values */
    T_EQ(data_var, -1);
    T_EQ(bss_var, -2);
    T_EQ(stack_var, -3);
    T_EQ(heap[0], -4);
    T_EQ(anon[0], -5);
    T_EQ(anon[4096], 66); /* untouched by both */
    T_EQ(big[4096], 99);
    T_EQ(big[0], 0);
    T_EQ(big[8192], 2); /* the parent changed its copy only */
    t_child_done();
  }
  T_CHECK(pid > 0);
  sync_read(to_parent[0]);
  /* the child's writes are not ours */
  T_EQ(data_var, 1111);
  T_EQ(bss_var, 2222);
  T_EQ(stack_var, 3333);
  T_EQ(heap[0], 4444);
  T_EQ(anon[0], 55);
  T_EQ(big[4096], 1);
  data_var = 7;
  bss_var = 8;
  stack_var = 9;
  heap[0] = 10;
  anon[0] = 11;
  big[0] = 0;     /* written with the value it had: still a write */
  big[8192] = 42; /* only the parent's copy */
  sync_write(to_child[1]);
  T_CHILD_OK(pid);
  T_EQ(data_var, 7);
  T_EQ(big[8192], 42);
  T_EQ(big[4096], 1);
  close(to_child[0]);
  close(to_child[1]);
  close(to_parent[0]);
  close(to_parent[1]);
  munmap(anon, 8192);
  free(heap);
}

static void shared_mapping(void) {
  volatile int *shared =
      mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  T_CHECK(shared != MAP_FAILED);
  if (shared == MAP_FAILED)
    return;
  shared[0] = 1;
  pid_t pid = t_fork();
  if (pid == 0) {
    T_EQ(shared[0], 1);
    shared[0] = 2; /* the parent sees it: one memory */
    shared[1] = 3;
    t_child_done();
  }
  T_CHILD_OK(pid);
  T_EQ(shared[0], 2);
  T_EQ(shared[1], 3);
  munmap((void *)shared, 4096);
}

static void three_generations(void) {
  static int value = 10; /* one page shared by three processes */
  int p[2];
  T_OK(pipe(p));
  pid_t child = t_fork();
  if (child == 0) {
    pid_t grandchild = t_fork();
    if (grandchild == 0) {
      T_EQ(value, 10);
      value = 30;
      T_EQ(value, 30);
      t_child_done();
    }
    T_CHILD_OK(grandchild);
    T_EQ(value, 10); /* the grandchild's write is its own */
    value = 20;
    t_child_done();
  }
  T_CHILD_OK(child);
  T_EQ(value, 10);
  close(p[0]);
  close(p[1]);
}

static void readonly_stays_readonly(void) {
  char *ro = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T_CHECK(ro != MAP_FAILED);
  ro[0] = 5;
  T_OK(mprotect(ro, 4096, PROT_READ));
  pid_t pid = t_fork();
  if (pid == 0) {
    if (ro[0] != 5)
      _exit(2);
    ro[0] = 6; /* must fault: SIGSEGV, default action */
    _exit(3);
  }
  T_CHILD_KILLED(pid, SIGSEGV);
  T_EQ(ro[0], 5);
  munmap(ro, 4096);
}

static void many_children(void) {
  /* fork, exit, reap, twenty times: nothing leaks into the next one */
  for (int i = 0; i < 20; i++) {
    pid_t pid = t_fork();
    if (pid == 0)
      _exit(i);
    T_CHILD_EXIT(pid, i);
  }
}

int main(void) {
  t_init("t_fork");
  private_memory();
  shared_mapping();
  three_generations();
  readonly_stays_readonly();
  many_children();
  return t_done();
}
