/* pipe.c - pipes: a one-page ring buffer between a read end and a write
 * end (PIPE_BUF = 4096 bytes, Linux 2.4's pipe size). A read waits for
 * data and returns what there is (0 once no writer is left); a write of
 * at most PIPE_BUF bytes is atomic, a longer one goes in pieces as room
 * appears; a write with no reader left raises SIGPIPE and fails with
 * EPIPE. Every change wakes the pipe's sleepers and select/poll.
 */
#include <asm-generic/errno.h>
#include <linux/poll.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "uaccess.h"

#define PIPE_SIZE 4096u
#define PIPE_ATOMIC 4096u

struct pipe {
  uint8_t *buf;
  uint32_t head, count; /* read position and bytes in the ring */
  int readers, writers;
};

int poll_chan; /* select and poll sleep here; any pipe or console change wakes it */

void pipe_wake_pollers(void) { wakeup(&poll_chan); }

static void pipe_changed(struct pipe *p) {
  wakeup(p);
  pipe_wake_pollers();
}

static long pipe_read(struct file *f, char *ubuf, uint32_t n) {
  struct pipe *p = f->ip->pipe;
  if (n == 0)
    return 0;
  while (p->count == 0) {
    if (p->writers == 0)
      return 0;
    if (f->flags & O_NONBLOCK)
      return -EAGAIN;
    if (sleep_on(p, 0) < 0)
      return -ERESTARTSYS;
  }
  uint32_t done = 0;
  while (done < n && p->count) {
    uint32_t chunk = MIN(MIN(n - done, p->count), PIPE_SIZE - p->head);
    if (copy_to_user(ubuf + done, p->buf + p->head, chunk) < 0) {
      if (!done)
        return -EFAULT;
      break;
    }
    p->head = (p->head + chunk) % PIPE_SIZE;
    p->count -= chunk;
    done += chunk;
  }
  if (p->count == 0)
    p->head = 0;
  pipe_changed(p);
  return done;
}

static long pipe_write(struct file *f, const char *ubuf, uint32_t n) {
  struct pipe *p = f->ip->pipe;
  uint32_t done = 0;
  while (done < n) {
    if (p->readers == 0) {
      struct ksiginfo info = {.code = SI_USER, .pid = current->pid};
      sig_send(current, SIGPIPE, &info);
      return done ? (long)done : -EPIPE;
    }
    uint32_t room = PIPE_SIZE - p->count;
    uint32_t want = n - done;
    if (room == 0 || (want <= PIPE_ATOMIC && room < want)) {
      if (f->flags & O_NONBLOCK)
        return done ? (long)done : -EAGAIN;
      if (sleep_on(p, 0) < 0)
        return done ? (long)done : -ERESTARTSYS;
      continue;
    }
    while (done < n && p->count < PIPE_SIZE) {
      uint32_t tail = (p->head + p->count) % PIPE_SIZE;
      uint32_t chunk = MIN(MIN(n - done, PIPE_SIZE - p->count), PIPE_SIZE - tail);
      if (copy_from_user(p->buf + tail, ubuf + done, chunk) < 0) {
        pipe_changed(p);
        return done ? (long)done : -EFAULT;
      }
      p->count += chunk;
      done += chunk;
    }
    pipe_changed(p);
  }
  return done;
}

static unsigned pipe_poll(struct file *f) {
  struct pipe *p = f->ip->pipe;
  unsigned m = 0;
  if ((f->flags & O_ACCMODE) == O_RDONLY) {
    if (p->count)
      m |= POLLIN | POLLRDNORM;
    if (p->writers == 0)
      m |= POLLHUP;
  } else {
    if (PIPE_SIZE - p->count >= PIPE_ATOMIC)
      m |= POLLOUT | POLLWRNORM;
    if (p->readers == 0)
      m |= POLLERR;
  }
  return m;
}

static void pipe_release(struct file *f) {
  struct pipe *p = f->ip->pipe;
  if ((f->flags & O_ACCMODE) == O_RDONLY)
    p->readers--;
  else
    p->writers--;
  pipe_changed(p);
  if (p->readers == 0 && p->writers == 0) {
    page_put(virt_to_pfn(p->buf));
    kfree(p);
    f->ip->pipe = NULL;
  }
}

static const struct file_ops pipe_ops = {.read = pipe_read, .write = pipe_write, .poll = pipe_poll, .release = pipe_release};

int pipe_create(struct file **rf, struct file **wf) {
  struct pipe *p = kzalloc(sizeof *p);
  struct inode *ip = inode_new(S_IFIFO | 0600);
  if (!p || !ip)
    goto fail;
  p->buf = page_alloc(0);
  if (!p->buf)
    goto fail;
  ip->pipe = p;
  ip->fop = &pipe_ops;
  *rf = file_new(ip, O_RDONLY);
  if (!*rf)
    goto fail;
  p->readers = 1;
  *wf = file_new(ip, O_WRONLY);
  if (!*wf) {
    file_put(*rf);
    inode_put(ip);
    return -ENOMEM;
  }
  p->writers = 1;
  inode_put(ip); /* the files hold it */
  return 0;
fail:
  if (p && p->buf)
    page_put(virt_to_pfn(p->buf));
  kfree(p);
  if (ip)
    inode_put(ip);
  return -ENOMEM;
}
