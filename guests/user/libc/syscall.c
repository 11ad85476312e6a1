/* guests/user/libc/syscall.c - the system-call stubs, one per row of
 * syscalls.def, and syscall()/syscall_raw() for any number.
 *
 * A stub is an ordinary out-of-line function, as in glibc: a benchmark that
 * times getppid() times the call into the library, the trap and the return,
 * as lmbench does on Linux. */
#include "libc-internal.h"

int errno;

#define LIBC_A(n) (long)a##n
#define LIBC_SC_0(ret, name, nr, t) \
  ret name(void) { return (ret)libc_sc_ret(libc_sc0(nr)); }
#define LIBC_SC_1(ret, name, nr, t1) \
  ret name(t1 a1) { return (ret)libc_sc_ret(libc_sc1(nr, LIBC_A(1))); }
#define LIBC_SC_2(ret, name, nr, t1, t2) \
  ret name(t1 a1, t2 a2) { return (ret)libc_sc_ret(libc_sc2(nr, LIBC_A(1), LIBC_A(2))); }
#define LIBC_SC_3(ret, name, nr, t1, t2, t3)                                    \
  ret name(t1 a1, t2 a2, t3 a3) {                                               \
    return (ret)libc_sc_ret(libc_sc3(nr, LIBC_A(1), LIBC_A(2), LIBC_A(3)));     \
  }
#define LIBC_SC_4(ret, name, nr, t1, t2, t3, t4)                                        \
  ret name(t1 a1, t2 a2, t3 a3, t4 a4) {                                                \
    return (ret)libc_sc_ret(libc_sc4(nr, LIBC_A(1), LIBC_A(2), LIBC_A(3), LIBC_A(4))); \
  }
#define LIBC_SC_5(ret, name, nr, t1, t2, t3, t4, t5)                                      \
  ret name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5) {                                           \
    return (ret)libc_sc_ret(                                                              \
        libc_sc5(nr, LIBC_A(1), LIBC_A(2), LIBC_A(3), LIBC_A(4), LIBC_A(5)));             \
  }
#define LIBC_SC_6(ret, name, nr, t1, t2, t3, t4, t5, t6)                                  \
  ret name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6) {                                    \
    return (ret)libc_sc_ret(                                                              \
        libc_sc6(nr, LIBC_A(1), LIBC_A(2), LIBC_A(3), LIBC_A(4), LIBC_A(5), LIBC_A(6)));  \
  }
#define LIBC_SC(ret, name, nr, nargs, ...) LIBC_SC_##nargs(ret, name, nr, __VA_ARGS__)
#include "syscalls.def"
#undef LIBC_SC

long syscall_raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  return libc_sc6(nr, a1, a2, a3, a4, a5, a6);
}

long syscall(long nr, ...) {
  va_list ap;
  long a[6];
  va_start(ap, nr);
  for (int i = 0; i < 6; i++)
    a[i] = va_arg(ap, long); /* reads past what the caller passed are harmless on i386 */
  va_end(ap);
  return libc_sc_ret(libc_sc6(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}
