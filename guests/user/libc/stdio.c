/* guests/user/libc/stdio.c - buffered FILEs over file descriptors.
 *
 * A FILE holds one buffer used either for reading (pos..len are bytes read
 * ahead) or for writing (0..pos are bytes not yet written); switching
 * direction flushes the written bytes or gives back the read-ahead with
 * lseek. stdin and stdout are line-buffered, stderr unbuffered; fopen'd
 * files are fully buffered. exit() flushes every open FILE. Formatting is
 * guests/lib's gl_vformat, writing through fputc. */
#include "libc-internal.h"

enum {
  F_READ = 1,     /* opened for reading */
  F_WRITE = 2,    /* opened for writing */
  F_EOF = 4,      /* end of file seen */
  F_ERR = 8,      /* an error seen */
  F_WRITING = 16, /* the buffer holds bytes to write (else bytes read) */
  F_OWNBUF = 32,  /* buf was malloc'ed by fopen */
};

struct libc_file {
  int fd;
  int flags;         /* F_* */
  int mode;          /* _IOFBF, _IOLBF, _IONBF */
  unsigned char *buf;
  size_t size;       /* bytes in buf */
  size_t pos;        /* next byte to read or to fill */
  size_t len;        /* when reading: bytes valid in buf */
  struct libc_file *next; /* every open FILE, for fflush(NULL) */
};

static unsigned char buf_in[BUFSIZ], buf_out[BUFSIZ];
static struct libc_file file_err = {2, F_WRITE, _IONBF, 0, 0, 0, 0, 0};
static struct libc_file file_out = {1, F_WRITE, _IOLBF, buf_out, BUFSIZ, 0, 0, &file_err};
static struct libc_file file_in = {0, F_READ, _IOLBF, buf_in, BUFSIZ, 0, 0, &file_out};
static struct libc_file *files = &file_in;

FILE *stdin = &file_in;
FILE *stdout = &file_out;
FILE *stderr = &file_err;

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Writes out what the buffer holds for writing; drops read-ahead (moving
 * the file offset back over it, so the descriptor is where the FILE is). */
static int flush_one(FILE *f) {
  if (f->flags & F_WRITING) {
    size_t n = f->pos;
    f->pos = 0;
    f->flags &= ~F_WRITING;
    if (n && write_all(f->fd, f->buf, n) < 0) {
      f->flags |= F_ERR;
      return EOF;
    }
  } else if (f->len > f->pos) {
    lseek(f->fd, -(off_t)(f->len - f->pos), SEEK_CUR); /* pipes: ESPIPE, harmless */
    f->pos = f->len = 0;
  }
  return 0;
}

int fflush(FILE *f) {
  if (f)
    return flush_one(f);
  int r = 0;
  for (f = files; f; f = f->next)
    if (flush_one(f) == EOF)
      r = EOF;
  return r;
}

void libc_stdio_flush_all(void) { fflush(0); }

static int parse_mode(const char *mode, int *fflags) {
  int o;
  switch (mode[0]) {
  case 'r': o = O_RDONLY; *fflags = F_READ; break;
  case 'w': o = O_WRONLY | O_CREAT | O_TRUNC; *fflags = F_WRITE; break;
  case 'a': o = O_WRONLY | O_CREAT | O_APPEND; *fflags = F_WRITE; break;
  default: errno = EINVAL; return -1;
  }
  if (strchr(mode, '+')) {
    o = (o & ~(O_RDONLY | O_WRONLY)) | O_RDWR;
    *fflags = F_READ | F_WRITE;
  }
  return o;
}

static FILE *file_new(int fd, int fflags) {
  FILE *f = calloc(1, sizeof(*f));
  unsigned char *b = malloc(BUFSIZ);
  if (!f || !b) {
    free(f);
    free(b);
    errno = ENOMEM;
    return 0;
  }
  f->fd = fd;
  f->flags = fflags | F_OWNBUF;
  f->mode = _IOFBF;
  f->buf = b;
  f->size = BUFSIZ;
  f->next = files;
  files = f;
  return f;
}

FILE *fopen(const char *path, const char *mode) {
  int fflags;
  int o = parse_mode(mode, &fflags);
  if (o < 0)
    return 0;
  int fd = open(path, o, 0666);
  if (fd < 0)
    return 0;
  FILE *f = file_new(fd, fflags);
  if (!f)
    close(fd);
  return f;
}

FILE *fdopen(int fd, const char *mode) {
  int fflags;
  if (parse_mode(mode, &fflags) < 0)
    return 0;
  return file_new(fd, fflags);
}

int fclose(FILE *f) {
  int r = flush_one(f);
  if (close(f->fd) < 0)
    r = EOF;
  for (FILE **p = &files; *p; p = &(*p)->next)
    if (*p == f) {
      *p = f->next;
      break;
    }
  if (f->flags & F_OWNBUF)
    free(f->buf);
  if (f != stdin && f != stdout && f != stderr)
    free(f);
  return r;
}

int setvbuf(FILE *f, char *buf, int mode, size_t size) {
  flush_one(f);
  f->mode = mode;
  if (mode == _IONBF)
    return 0;
  if (buf && size) {
    if (f->flags & F_OWNBUF)
      free(f->buf);
    f->flags &= ~F_OWNBUF;
    f->buf = (unsigned char *)buf;
    f->size = size;
  }
  return 0;
}

/* ---- writing ---- */

int fputc(int c, FILE *f) {
  unsigned char ch = (unsigned char)c;
  if (!(f->flags & F_WRITE)) {
    f->flags |= F_ERR;
    errno = EBADF;
    return EOF;
  }
  if (f->mode == _IONBF || !f->buf) {
    if (write_all(f->fd, &ch, 1) < 0) {
      f->flags |= F_ERR;
      return EOF;
    }
    return ch;
  }
  if (!(f->flags & F_WRITING)) {
    flush_one(f); /* give back read-ahead */
    f->flags |= F_WRITING;
    f->pos = 0;
  }
  f->buf[f->pos++] = ch;
  if (f->pos == f->size || (f->mode == _IOLBF && ch == '\n'))
    return flush_one(f) == EOF ? EOF : ch;
  return ch;
}

int putc(int c, FILE *f) { return fputc(c, f); }
int putchar(int c) { return fputc(c, stdout); }

size_t fwrite(const void *buf, size_t size, size_t n, FILE *f) {
  const unsigned char *p = buf;
  size_t total = size * n;
  if (f->mode == _IONBF) { /* one write, not one per byte */
    if (write_all(f->fd, p, total) < 0) {
      f->flags |= F_ERR;
      return 0;
    }
    return n;
  }
  for (size_t i = 0; i < total; i++)
    if (fputc(p[i], f) == EOF)
      return size ? i / size : 0;
  return n;
}

int fputs(const char *s, FILE *f) {
  size_t n = strlen(s);
  return fwrite(s, 1, n, f) == n ? 0 : EOF;
}

int puts(const char *s) {
  if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF)
    return EOF;
  return 0;
}

static void put_file(void *ctx, char c) { fputc(c, (FILE *)ctx); }

int vfprintf(FILE *f, const char *fmt, va_list ap) {
  if (f->mode == _IONBF) {
    /* an unbuffered stream still gets each message in one write */
    char line[256];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(line, sizeof(line), fmt, again);
    va_end(again);
    if (n < (int)sizeof(line)) {
      if (write_all(f->fd, (unsigned char *)line, (size_t)n) < 0)
        return -1;
      return n;
    }
    /* longer: format again straight to the descriptor, byte by byte */
  }
  int n = gl_vformat(put_file, f, fmt, ap);
  return (f->flags & F_ERR) ? -1 : n;
}

int vprintf(const char *fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(stdout, fmt, ap);
  va_end(ap);
  return n;
}

int fprintf(FILE *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(f, fmt, ap);
  va_end(ap);
  return n;
}

struct fd_out {
  int fd;
  unsigned char buf[128];
  size_t n;
  int err;
};

static void put_fd(void *ctx, char c) {
  struct fd_out *o = ctx;
  o->buf[o->n++] = (unsigned char)c;
  if (o->n == sizeof(o->buf)) {
    if (write_all(o->fd, o->buf, o->n) < 0)
      o->err = 1;
    o->n = 0;
  }
}

int dprintf(int fd, const char *fmt, ...) {
  struct fd_out o = {.fd = fd};
  va_list ap;
  va_start(ap, fmt);
  int n = gl_vformat(put_fd, &o, fmt, ap);
  va_end(ap);
  if (o.n && write_all(fd, o.buf, o.n) < 0)
    o.err = 1;
  return o.err ? -1 : n;
}

/* ---- reading ---- */

int fgetc(FILE *f) {
  if (!(f->flags & F_READ)) {
    f->flags |= F_ERR;
    errno = EBADF;
    return EOF;
  }
  if (f->flags & F_WRITING)
    flush_one(f);
  if (f == stdin)
    fflush(stdout); /* a prompt appears before the program waits for input */
  if (f->pos == f->len) {
    unsigned char ch;
    unsigned char *dst = f->buf ? f->buf : &ch;
    size_t cap = f->buf ? f->size : 1;
    ssize_t r;
    do
      r = read(f->fd, dst, cap);
    while (r < 0 && errno == EINTR);
    if (r <= 0) {
      f->flags |= r == 0 ? F_EOF : F_ERR;
      return EOF;
    }
    if (!f->buf)
      return ch;
    f->pos = 0;
    f->len = (size_t)r;
  }
  return f->buf[f->pos++];
}

int getc(FILE *f) { return fgetc(f); }
int getchar(void) { return fgetc(stdin); }

char *fgets(char *s, int n, FILE *f) {
  int i = 0;
  while (i < n - 1) {
    int c = fgetc(f);
    if (c == EOF)
      break;
    s[i++] = (char)c;
    if (c == '\n')
      break;
  }
  if (i == 0 || n <= 0)
    return 0;
  s[i] = 0;
  return s;
}

size_t fread(void *buf, size_t size, size_t n, FILE *f) {
  unsigned char *p = buf;
  size_t total = size * n;
  for (size_t i = 0; i < total; i++) {
    int c = fgetc(f);
    if (c == EOF)
      return size ? i / size : 0;
    p[i] = (unsigned char)c;
  }
  return n;
}

int feof(FILE *f) { return (f->flags & F_EOF) != 0; }
int ferror(FILE *f) { return (f->flags & F_ERR) != 0; }
void clearerr(FILE *f) { f->flags &= ~(F_EOF | F_ERR); }
int fileno(FILE *f) { return f->fd; }
