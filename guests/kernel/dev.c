/* dev.c - character devices: /dev/null (1,3), /dev/zero (1,5), and the
 * console (5,1; also /dev/tty 5,0 and /dev/ttyS0 4,64) on the layer's
 * console (COM1 natively).
 *
 * The console is raw: output goes out byte for byte, input arrives from
 * the layer's receive interrupt into a small ring and is read as it came
 * (no echo, no line editing). A read blocks until a byte is there. TCGETS
 * answers with a plain termios so that isatty() is true.
 */
#include <asm-generic/errno.h>
#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <asm/termios.h>
#include <linux/poll.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "uaccess.h"

#define MKDEV(ma, mi) (((ma) << 8) | (mi))
#define DEV_NULL MKDEV(1, 3)
#define DEV_ZERO MKDEV(1, 5)
#define DEV_TTY MKDEV(5, 0)
#define DEV_CONSOLE MKDEV(5, 1)
#define DEV_TTYS0 MKDEV(4, 64)

/* ---- null and zero ---------------------------------------------------------------- */
static long null_read(struct file *f, char *ubuf, uint32_t n) {
  UNUSED(f);
  UNUSED(ubuf);
  UNUSED(n);
  return 0;
}

static long null_write(struct file *f, const char *ubuf, uint32_t n) {
  UNUSED(f);
  UNUSED(ubuf);
  return n;
}

static long zero_read(struct file *f, char *ubuf, uint32_t n) {
  UNUSED(f);
  return clear_user(ubuf, n) < 0 ? -EFAULT : (long)n;
}

static unsigned always_ready(struct file *f) {
  UNUSED(f);
  return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

static const struct file_ops null_ops = {.read = null_read, .write = null_write, .poll = always_ready};
static const struct file_ops zero_ops = {.read = zero_read, .write = null_write, .poll = always_ready};

/* ---- the console --------------------------------------------------------------------- */
#define CONS_IN 256

static uint8_t cons_in[CONS_IN];
static uint32_t cons_head, cons_count;

void console_input(void) {
  int c;
  while ((c = pv.console_getc()) >= 0) {
    if (cons_count < CONS_IN) {
      cons_in[(cons_head + cons_count) % CONS_IN] = (uint8_t)c;
      cons_count++;
    }
  }
  wakeup(cons_in);
  pipe_wake_pollers();
}

static long cons_read(struct file *f, char *ubuf, uint32_t n) {
  if (n == 0)
    return 0;
  for (;;) {
    unsigned long fl = pv.irq_save();
    if (cons_count) {
      uint32_t k = 0;
      char tmp[CONS_IN];
      while (k < n && cons_count) {
        tmp[k++] = (char)cons_in[cons_head];
        cons_head = (cons_head + 1) % CONS_IN;
        cons_count--;
      }
      pv.irq_restore(fl);
      return copy_to_user(ubuf, tmp, k) < 0 ? -EFAULT : (long)k;
    }
    pv.irq_restore(fl);
    if (f->flags & O_NONBLOCK)
      return -EAGAIN;
    if (sleep_on(cons_in, 0) < 0)
      return -ERESTARTSYS;
  }
}

static long cons_write(struct file *f, const char *ubuf, uint32_t n) {
  UNUSED(f);
  char buf[256];
  uint32_t done = 0;
  while (done < n) {
    uint32_t chunk = MIN(n - done, (uint32_t)sizeof buf);
    if (copy_from_user(buf, ubuf + done, chunk) < 0)
      return done ? (long)done : -EFAULT;
    pv.console_write(buf, chunk);
    done += chunk;
  }
  return done;
}

static unsigned cons_poll(struct file *f) {
  UNUSED(f);
  return POLLOUT | POLLWRNORM | (cons_count ? POLLIN | POLLRDNORM : 0);
}

static long cons_ioctl(struct file *f, uint32_t cmd, uint32_t arg) {
  UNUSED(f);
  switch (cmd) {
  case TCGETS: {
    struct termios t;
    memset(&t, 0, sizeof t);
    t.c_cflag = B115200 | CS8 | CREAD | CLOCAL;
    return copy_to_user((void *)arg, &t, sizeof t) < 0 ? -EFAULT : 0;
  }
  case TCSETS:
  case TCSETSW:
  case TCSETSF:
    return 0; /* raw whatever is asked */
  case TIOCGWINSZ: {
    struct winsize w = {.ws_row = 24, .ws_col = 80};
    return copy_to_user((void *)arg, &w, sizeof w) < 0 ? -EFAULT : 0;
  }
  default:
    return -ENOTTY;
  }
}

static const struct file_ops cons_ops = {.read = cons_read, .write = cons_write, .poll = cons_poll, .ioctl = cons_ioctl};

const struct file_ops *dev_file_ops(uint32_t rdev) {
  switch (rdev) {
  case DEV_NULL:
    return &null_ops;
  case DEV_ZERO:
    return &zero_ops;
  case DEV_TTY:
  case DEV_CONSOLE:
  case DEV_TTYS0:
    return &cons_ops;
  default:
    return NULL; /* no such device: open gives ENXIO */
  }
}

/* /dev and its nodes, unless the initramfs brought them. */
void dev_init(void) {
  static const struct {
    const char *path;
    uint32_t rdev;
  } nodes[] = {
      {"/dev/null", DEV_NULL}, {"/dev/zero", DEV_ZERO},   {"/dev/console", DEV_CONSOLE},
      {"/dev/tty", DEV_TTY},   {"/dev/ttyS0", DEV_TTYS0},
  };
  vfs_mknod("/dev", S_IFDIR | 0755, 0);
  for (unsigned k = 0; k < ARRAY_SIZE(nodes); k++)
    vfs_mknod(nodes[k].path, S_IFCHR | 0666, nodes[k].rdev);
  pv.console_rx_start(console_input);
}
