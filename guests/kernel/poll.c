/* poll.c - select (_newselect, and the old select) and poll over any
 * descriptors: pipes and the console say when they are ready, regular
 * files and /dev/null and /dev/zero always are. A caller with nothing
 * ready sleeps on poll_chan (woken by every pipe and console change) or
 * until its timeout's tick, and looks again.
 */
#include <asm-generic/errno.h>
#include <linux/poll.h>
#include <linux/time.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "uaccess.h"

#define POLL_IN_SET (POLLIN | POLLRDNORM | POLLHUP | POLLERR)
#define POLL_OUT_SET (POLLOUT | POLLWRNORM | POLLERR)
#define POLL_EX_SET (POLLPRI)

static unsigned file_poll(struct file *f) {
  if (f->fop && f->fop->poll)
    return f->fop->poll(f);
  return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM; /* regular files, directories */
}

/* Ticks for a timeout, rounded up, plus the tick in progress. */
static uint32_t ticks_for(uint64_t usec) {
  uint64_t t = (usec * HZ + 999999) / 1000000;
  if (t > 0x3FFFFFFF)
    t = 0x3FFFFFFF;
  return (uint32_t)t + 1;
}

long sys_poll(uint32_t ufds, uint32_t nfds, int timeout_ms) {
  if (nfds > NOFILE * 4)
    return -EINVAL;
  struct pollfd *fds = NULL;
  if (nfds) {
    fds = kmalloc(nfds * sizeof *fds);
    if (!fds)
      return -ENOMEM;
    if (copy_from_user(fds, (const void *)ufds, nfds * sizeof *fds) < 0) {
      kfree(fds);
      return -EFAULT;
    }
  }
  uint32_t deadline = timeout_ms > 0 ? jiffies + ticks_for((uint64_t)timeout_ms * 1000) : 0;
  long r;
  for (;;) {
    long count = 0;
    for (uint32_t k = 0; k < nfds; k++) {
      fds[k].revents = 0;
      if (fds[k].fd < 0)
        continue;
      struct file *f = fd_file(fds[k].fd);
      unsigned m = f ? file_poll(f) : POLLNVAL;
      fds[k].revents = (short)(m & ((unsigned)(uint16_t)fds[k].events | POLLERR | POLLHUP | POLLNVAL));
      if (fds[k].revents)
        count++;
    }
    if (count || timeout_ms == 0 || (deadline && (int32_t)(jiffies - deadline) >= 0)) {
      r = count;
      break;
    }
    if (sleep_on(&poll_chan, deadline) < 0) {
      r = timeout_ms < 0 ? -ERESTARTNOHAND : -EINTR;
      break;
    }
  }
  if (r >= 0 && nfds && copy_to_user((void *)ufds, fds, nfds * sizeof *fds) < 0)
    r = -EFAULT;
  kfree(fds);
  return r;
}

/* An fd_set of n bits as 32-bit words. */
static int get_set(uint32_t uset, uint32_t *set, uint32_t words) {
  if (!uset) {
    memset(set, 0, words * 4);
    return 0;
  }
  return copy_from_user(set, (const void *)uset, words * 4);
}

long sys_newselect(int n, uint32_t uin, uint32_t uout, uint32_t uex, uint32_t utv) {
  if (n < 0)
    return -EINVAL;
  if (n > NOFILE)
    n = NOFILE;
  uint32_t words = ((uint32_t)n + 31) / 32;
  uint32_t in[NOFILE / 32], out[NOFILE / 32], ex[NOFILE / 32];
  uint32_t rin[NOFILE / 32], rout[NOFILE / 32], rex[NOFILE / 32];
  if (get_set(uin, in, words) < 0 || get_set(uout, out, words) < 0 || get_set(uex, ex, words) < 0)
    return -EFAULT;
  struct timeval tv;
  uint32_t deadline = 0;
  int forever = 1, poll_only = 0;
  if (utv) {
    if (copy_from_user(&tv, (const void *)utv, sizeof tv) < 0)
      return -EFAULT;
    if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
      return -EINVAL;
    forever = 0;
    uint64_t usec = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
    if (usec == 0)
      poll_only = 1;
    else
      deadline = jiffies + ticks_for(usec);
  }
  uint32_t start = jiffies;
  long r;
  for (;;) {
    long count = 0;
    memset(rin, 0, words * 4);
    memset(rout, 0, words * 4);
    memset(rex, 0, words * 4);
    for (int fd = 0; fd < n; fd++) {
      uint32_t bit = 1u << (fd % 32), w = (uint32_t)fd / 32;
      if (!((in[w] | out[w] | ex[w]) & bit))
        continue;
      struct file *f = fd_file(fd);
      if (!f)
        return -EBADF;
      unsigned m = file_poll(f);
      if ((in[w] & bit) && (m & POLL_IN_SET)) {
        rin[w] |= bit;
        count++;
      }
      if ((out[w] & bit) && (m & POLL_OUT_SET)) {
        rout[w] |= bit;
        count++;
      }
      if ((ex[w] & bit) && (m & POLL_EX_SET)) {
        rex[w] |= bit;
        count++;
      }
    }
    if (count || poll_only || (!forever && (int32_t)(jiffies - deadline) >= 0)) {
      r = count;
      break;
    }
    if (sleep_on(&poll_chan, forever ? 0 : deadline) < 0) {
      r = -ERESTARTNOHAND;
      break;
    }
  }
  if (r >= 0) {
    if ((uin && copy_to_user((void *)uin, rin, words * 4) < 0) ||
        (uout && copy_to_user((void *)uout, rout, words * 4) < 0) ||
        (uex && copy_to_user((void *)uex, rex, words * 4) < 0))
      return -EFAULT;
  }
  if (utv && !forever) { /* Linux writes back the time left */
    uint64_t used = (uint64_t)(jiffies - start) * (1000000 / HZ);
    uint64_t total = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
    uint64_t left = used >= total ? 0 : total - used;
    tv.tv_sec = (long)(left / 1000000);
    tv.tv_usec = (long)(left % 1000000);
    copy_to_user((void *)utv, &tv, sizeof tv);
  }
  return r;
}

long sys_old_select(uint32_t uargs) {
  uint32_t a[5];
  if (copy_from_user(a, (const void *)uargs, sizeof a) < 0)
    return -EFAULT;
  return sys_newselect((int)a[0], a[1], a[2], a[3], a[4]);
}
