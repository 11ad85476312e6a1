/* pipe.c - pipes, as today's Linux builds them: a ring of PIPE_SLOTS
 * buffers of up to a page each (64 KiB in all). A write first tops up the
 * last buffer with the part of it below a page if that fits (so a short
 * write is never split), then fills fresh pages; a write of at most
 * PIPE_BUF bytes is therefore atomic. The pipe is full when every slot
 * holds a buffer: then a writer waits (or gets EAGAIN) and select/poll
 * stop saying POLLOUT. A read takes what there is (0 once no writer is
 * left); a write with no reader left raises SIGPIPE and fails with EPIPE.
 * Every change wakes the pipe's sleepers and select/poll.
 */
#include <asm-generic/errno.h>
#include <linux/poll.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "uaccess.h"

#define PIPE_SLOTS 16

struct pipe_buf {
  uint8_t *page; /* NULL: the slot is free */
  uint32_t off, len;
};

struct pipe {
  struct pipe_buf bufs[PIPE_SLOTS];
  uint32_t tail, used;  /* oldest buffer, buffers in use */
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
  while (p->used == 0) {
    if (p->writers == 0)
      return 0;
    if (f->flags & O_NONBLOCK)
      return -EAGAIN;
    if (sleep_on(p, 0) < 0)
      return -ERESTARTSYS;
  }
  uint32_t done = 0;
  while (done < n && p->used) {
    struct pipe_buf *b = &p->bufs[p->tail];
    uint32_t chunk = MIN(n - done, b->len);
    if (copy_to_user(ubuf + done, b->page + b->off, chunk) < 0) {
      if (!done)
        return -EFAULT;
      break;
    }
    b->off += chunk;
    b->len -= chunk;
    done += chunk;
    if (b->len == 0) {
      page_put(virt_to_pfn(b->page));
      b->page = NULL;
      p->tail = (p->tail + 1) % PIPE_SLOTS;
      p->used--;
    }
  }
  pipe_changed(p);
  return done;
}

static void broken_pipe(void) {
  struct ksiginfo info = {.code = SI_USER, .pid = current->pid};
  sig_send(current, SIGPIPE, &info);
}

static long pipe_write(struct file *f, const char *ubuf, uint32_t n) {
  struct pipe *p = f->ip->pipe;
  if (p->readers == 0) {
    broken_pipe();
    return -EPIPE;
  }
  uint32_t done = 0;
  /* the part below a page joins the last buffer if it fits there */
  uint32_t part = n & (PAGE_SIZE - 1);
  if (part && p->used) {
    struct pipe_buf *b = &p->bufs[(p->tail + p->used - 1) % PIPE_SLOTS];
    if (b->off + b->len + part <= PAGE_SIZE) {
      if (copy_from_user(b->page + b->off + b->len, ubuf, part) < 0)
        return -EFAULT;
      b->len += part;
      done = part;
      pipe_changed(p);
    }
  }
  while (done < n) {
    if (p->readers == 0) {
      broken_pipe();
      return done ? (long)done : -EPIPE;
    }
    if (p->used == PIPE_SLOTS) {
      if (f->flags & O_NONBLOCK)
        return done ? (long)done : -EAGAIN;
      if (sleep_on(p, 0) < 0)
        return done ? (long)done : -ERESTARTSYS;
      continue;
    }
    uint8_t *page = page_alloc_user(0);
    if (!page)
      return done ? (long)done : -ENOMEM;
    uint32_t chunk = MIN(n - done, PAGE_SIZE);
    size_t got = copy_from_user_partial(page, ubuf + done, chunk);
    if (got == 0) {
      page_put(virt_to_pfn(page));
      return done ? (long)done : -EFAULT;
    }
    struct pipe_buf *b = &p->bufs[(p->tail + p->used) % PIPE_SLOTS];
    b->page = page;
    b->off = 0;
    b->len = (uint32_t)got;
    p->used++;
    done += (uint32_t)got;
    pipe_changed(p);
    if (got < chunk)
      break; /* a fault part-way: what was copied stays written */
  }
  return done;
}

static unsigned pipe_poll(struct file *f) {
  struct pipe *p = f->ip->pipe;
  unsigned m = 0;
  if ((f->flags & O_ACCMODE) == O_RDONLY) {
    if (p->used)
      m |= POLLIN | POLLRDNORM;
    if (p->writers == 0)
      m |= POLLHUP;
  } else {
    if (p->used < PIPE_SLOTS)
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
    for (unsigned k = 0; k < PIPE_SLOTS; k++)
      if (p->bufs[k].page)
        page_put(virt_to_pfn(p->bufs[k].page));
    kfree(p);
    f->ip->pipe = NULL;
  }
}

static const struct file_ops pipe_ops = {.read = pipe_read, .write = pipe_write, .poll = pipe_poll, .release = pipe_release};

int pipe_create(struct file **rf, struct file **wf) {
  struct pipe *p = kzalloc(sizeof *p);
  struct inode *ip = inode_new(S_IFIFO | 0600);
  if (!p || !ip) {
    kfree(p);
    if (ip)
      inode_put(ip);
    return -ENOMEM;
  }
  ip->pipe = p;
  ip->fop = &pipe_ops;
  *rf = file_new(ip, O_RDONLY);
  if (!*rf) {
    kfree(p);
    ip->pipe = NULL;
    inode_put(ip);
    return -ENOMEM;
  }
  p->readers = 1;
  *wf = file_new(ip, O_WRONLY);
  if (!*wf) {
    file_put(*rf); /* frees the pipe */
    inode_put(ip);
    return -ENOMEM;
  }
  p->writers = 1;
  inode_put(ip); /* the files hold it */
  return 0;
}
