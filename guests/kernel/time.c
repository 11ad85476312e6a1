/* time.c - clocks and timers: the tick count (jiffies, HZ per second) is
 * the kernel's only clock. The time of day starts at 2000-01-01 00:00:00
 * UTC at boot and advances with the ticks, so runs are deterministic
 * (nothing reads the host's clock or the CMOS one). Timers: alarm and
 * setitimer(ITIMER_REAL) raise SIGALRM from the tick; nanosleep sleeps
 * to a tick.
 */
#include <asm-generic/errno.h>
#include <linux/resource.h>
#include <linux/time.h>
#include <linux/times.h>

#include "mem.h"
#include "proc.h"
#include "uaccess.h"

#define EPOCH_AT_BOOT 946684800u /* 2000-01-01T00:00:00Z */
#define USEC_PER_TICK (1000000 / HZ)

static void now_timeval(struct timeval *tv) {
  uint32_t j = jiffies;
  tv->tv_sec = (long)(EPOCH_AT_BOOT + j / HZ);
  tv->tv_usec = (long)((j % HZ) * USEC_PER_TICK);
}

long sys_time(uint32_t ut) {
  struct timeval tv;
  now_timeval(&tv);
  if (ut && put_user_u32((void *)ut, (uint32_t)tv.tv_sec) < 0)
    return -EFAULT;
  return tv.tv_sec;
}

long sys_gettimeofday(uint32_t utv, uint32_t utz) {
  struct timeval tv;
  now_timeval(&tv);
  if (utv && copy_to_user((void *)utv, &tv, sizeof tv) < 0)
    return -EFAULT;
  if (utz) {
    struct timezone tz = {0, 0};
    if (copy_to_user((void *)utz, &tz, sizeof tz) < 0)
      return -EFAULT;
  }
  return 0;
}

long sys_clock_gettime(int clk, uint32_t uts) {
  struct timespec ts;
  uint32_t j = jiffies;
  switch (clk) {
  case CLOCK_REALTIME:
    ts.tv_sec = (long)(EPOCH_AT_BOOT + j / HZ);
    break;
  case CLOCK_MONOTONIC:
  case CLOCK_MONOTONIC_RAW:
  case CLOCK_BOOTTIME:
  case CLOCK_PROCESS_CPUTIME_ID:
    ts.tv_sec = (long)(j / HZ);
    break;
  default:
    return -EINVAL;
  }
  ts.tv_nsec = (long)((j % HZ) * USEC_PER_TICK * 1000);
  return copy_to_user((void *)uts, &ts, sizeof ts) < 0 ? -EFAULT : 0;
}

static uint32_t usec_to_ticks(uint64_t usec) {
  uint64_t t = (usec + USEC_PER_TICK - 1) / USEC_PER_TICK;
  return t > 0x3FFFFFFF ? 0x3FFFFFFF : (uint32_t)t;
}

long sys_nanosleep(uint32_t ureq, uint32_t urem) {
  struct timespec req;
  if (copy_from_user(&req, (const void *)ureq, sizeof req) < 0)
    return -EFAULT;
  if (req.tv_sec < 0 || req.tv_nsec < 0 || req.tv_nsec >= 1000000000)
    return -EINVAL;
  uint32_t ticks = usec_to_ticks((uint64_t)req.tv_sec * 1000000 + (uint64_t)req.tv_nsec / 1000);
  if (ticks == 0)
    return 0;
  uint32_t deadline = jiffies + ticks + 1; /* at least the time asked */
  while ((int32_t)(jiffies - deadline) < 0) {
    if (sleep_on(&current->wake_tick, deadline) < 0) {
      if (urem) {
        uint32_t left = (uint32_t)(deadline - jiffies);
        struct timespec rem = {.tv_sec = left / HZ, .tv_nsec = (long)(left % HZ) * USEC_PER_TICK * 1000};
        if (copy_to_user((void *)urem, &rem, sizeof rem) < 0)
          return -EFAULT;
      }
      return -EINTR;
    }
  }
  return 0;
}

static void ticks_to_timeval(uint32_t t, struct timeval *tv) {
  tv->tv_sec = (long)(t / HZ);
  tv->tv_usec = (long)((t % HZ) * USEC_PER_TICK);
}

static void get_itimer(struct itimerval *v) {
  struct proc *p = current;
  uint32_t left = p->alarm_tick ? (uint32_t)(p->alarm_tick - jiffies) : 0;
  if (p->alarm_tick && (int32_t)left <= 0)
    left = 1;
  ticks_to_timeval(left, &v->it_value);
  ticks_to_timeval(p->alarm_interval, &v->it_interval);
}

long sys_setitimer(int which, uint32_t unew, uint32_t uold) {
  if (which != ITIMER_REAL)
    return -EINVAL; /* no virtual or profiling timers */
  struct itimerval nv, ov;
  if (unew && copy_from_user(&nv, (const void *)unew, sizeof nv) < 0)
    return -EFAULT;
  if (unew && (nv.it_value.tv_usec < 0 || nv.it_value.tv_usec >= 1000000 || nv.it_interval.tv_usec < 0 ||
               nv.it_interval.tv_usec >= 1000000 || nv.it_value.tv_sec < 0 || nv.it_interval.tv_sec < 0))
    return -EINVAL;
  get_itimer(&ov);
  if (unew) {
    uint64_t v = (uint64_t)nv.it_value.tv_sec * 1000000 + (uint64_t)nv.it_value.tv_usec;
    uint64_t i = (uint64_t)nv.it_interval.tv_sec * 1000000 + (uint64_t)nv.it_interval.tv_usec;
    current->alarm_interval = usec_to_ticks(i);
    current->alarm_tick = v ? jiffies + usec_to_ticks(v) : 0;
  }
  if (uold && copy_to_user((void *)uold, &ov, sizeof ov) < 0)
    return -EFAULT;
  return 0;
}

long sys_getitimer(int which, uint32_t uv) {
  if (which != ITIMER_REAL)
    return -EINVAL;
  struct itimerval v;
  get_itimer(&v);
  return copy_to_user((void *)uv, &v, sizeof v) < 0 ? -EFAULT : 0;
}

long sys_alarm(uint32_t secs) {
  struct itimerval ov;
  get_itimer(&ov);
  current->alarm_interval = 0;
  current->alarm_tick = secs ? jiffies + secs * HZ : 0;
  long left = ov.it_value.tv_sec + (ov.it_value.tv_usec >= 500000 ? 1 : 0);
  if (!left && (ov.it_value.tv_usec || ov.it_value.tv_sec))
    left = 1;
  return left;
}

long sys_times(uint32_t ubuf) {
  struct proc *p = current;
  if (ubuf) {
    struct tms t = {.tms_utime = p->utime, .tms_stime = p->stime, .tms_cutime = p->cutime, .tms_cstime = p->cstime};
    if (copy_to_user((void *)ubuf, &t, sizeof t) < 0)
      return -EFAULT;
  }
  return (long)jiffies;
}

long sys_getrusage(int who, uint32_t uru) {
  struct proc *p = current;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  uint32_t u, s;
  if (who == RUSAGE_SELF) {
    u = p->utime;
    s = p->stime;
  } else if (who == RUSAGE_CHILDREN) {
    u = p->cutime;
    s = p->cstime;
  } else {
    return -EINVAL;
  }
  ru.ru_utime.tv_sec = u / HZ;
  ru.ru_utime.tv_usec = (u % HZ) * USEC_PER_TICK;
  ru.ru_stime.tv_sec = s / HZ;
  ru.ru_stime.tv_usec = (s % HZ) * USEC_PER_TICK;
  return copy_to_user((void *)uru, &ru, sizeof ru) < 0 ? -EFAULT : 0;
}
