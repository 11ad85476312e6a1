/* guests/user/bin/sh.c - a small shell.
 *
 *   sh -c 'COMMANDS'     run COMMANDS
 *   sh [FILE]            run the lines of FILE (or of standard input)
 *
 * Enough for lmbench's "sh proc" (`/bin/sh -c /bin/hello`) and for tests:
 *
 *   list      := pipeline { (';' | '&&' | '||') pipeline } [';']
 *   pipeline  := command { '|' command }
 *   command   := { word | redirection }
 *   redirection := [digit] ('<' | '>' | '>>') word  |  [digit] '>&' digit
 *
 * Words: 'single quotes' are literal, "double quotes" and bare words expand
 * $NAME (from the environment), $$ (the shell's pid) and $? (the last
 * status); a backslash quotes the next character; '#' starts a comment.
 * Expansions are not split into fields and there are no globs. Builtins:
 * cd and exit. A command without a slash is looked up in PATH (default
 * /bin). A status is the last command's: its exit status, 128 + the signal
 * that killed it, 127 when it is not found, 126 when it cannot run, 2 for
 * a syntax error.
 *
 * Like bash and dash, `sh -c` runs its last command in the shell's own
 * process (exec without fork) when that command is a lone simple command:
 * `sh -c /bin/hello` costs one fork and two execs, as on Linux.
 */
#include "libc.h"

#define SH_WORDS 64    /* words in one command line */
#define SH_CMDS 8      /* commands in one pipeline */
#define SH_REDIRS 4    /* redirections per command */
#define SH_LINE 4096   /* bytes of one line or -c string */

enum tok { T_WORD, T_PIPE, T_SEMI, T_AND, T_OR, T_LT, T_GT, T_GTGT, T_DUP, T_END, T_ERR };

struct token {
  enum tok kind;
  int fd;     /* T_LT/T_GT/T_GTGT/T_DUP: the descriptor redirected */
  int to;     /* T_DUP: the descriptor it becomes a copy of */
  char *text; /* T_WORD: the expanded word */
};

struct redir {
  int fd;
  int flags;  /* open() flags */
  char *path; /* NULL: a copy of descriptor dup_of */
  int dup_of;
};

struct cmd {
  char *argv[SH_WORDS + 1];
  int argc;
  struct redir redirs[SH_REDIRS];
  int nredir;
};

static int last_status;

/* ---- words and tokens ------------------------------------------------------ */

static char word_buf[SH_LINE * 2];
static size_t word_used;

static void put(char c) {
  if (word_used < sizeof(word_buf) - 1)
    word_buf[word_used++] = c;
}

static void put_str(const char *s) {
  while (*s)
    put(*s++);
}

static int is_name_char(char c) { return gl_isalpha(c) || gl_isdigit(c) || c == '_'; }

/* Expands the $ at *p (p points past it); returns the new position. */
static const char *expand(const char *p) {
  char num[16];
  if (*p == '$') {
    snprintf(num, sizeof(num), "%d", (int)getpid());
    put_str(num);
    return p + 1;
  }
  if (*p == '?') {
    snprintf(num, sizeof(num), "%d", last_status);
    put_str(num);
    return p + 1;
  }
  if (!is_name_char(*p) || gl_isdigit(*p)) {
    put('$');
    return p;
  }
  char name[64];
  size_t n = 0;
  while (is_name_char(*p) && n < sizeof(name) - 1)
    name[n++] = *p++;
  name[n] = 0;
  const char *v = getenv(name);
  if (v)
    put_str(v);
  return p;
}

/* Reads one token at *pp; words go into word_buf. */
static struct token next_token(const char **pp) {
  const char *p = *pp;
  struct token t = {T_END, 0, 0, 0};
  while (*p == ' ' || *p == '\t' || *p == '\n')
    p++;
  if (*p == '#')
    while (*p && *p != '\n')
      p++;
  if (!*p) {
    *pp = p;
    return t;
  }
  if (gl_isdigit(*p) && (p[1] == '<' || p[1] == '>')) {
    t.fd = *p - '0';
    p++;
  } else {
    t.fd = *p == '<' ? 0 : 1;
  }
  switch (*p) {
  case '|':
    t.kind = p[1] == '|' ? T_OR : T_PIPE;
    p += t.kind == T_OR ? 2 : 1;
    *pp = p;
    return t;
  case '&':
    if (p[1] != '&') {
      t.kind = T_ERR; /* no background jobs */
      return t;
    }
    t.kind = T_AND;
    *pp = p + 2;
    return t;
  case ';':
    t.kind = T_SEMI;
    *pp = p + 1;
    return t;
  case '<':
    t.kind = T_LT;
    *pp = p + 1;
    return t;
  case '>':
    if (p[1] == '&' && gl_isdigit(p[2])) {
      t.kind = T_DUP;
      t.to = p[2] - '0';
      *pp = p + 3;
      return t;
    }
    t.kind = p[1] == '>' ? T_GTGT : T_GT;
    *pp = p + (t.kind == T_GTGT ? 2 : 1);
    return t;
  }
  t.kind = T_WORD;
  t.text = word_buf + word_used;
  while (*p && !strchr(" \t\n|&;<>", *p)) {
    if (*p == '\'') {
      const char *end = strchr(p + 1, '\'');
      if (!end) {
        t.kind = T_ERR;
        return t;
      }
      while (++p < end)
        put(*p);
      p++;
    } else if (*p == '"') {
      p++;
      while (*p && *p != '"') {
        if (*p == '\\' && p[1] && strchr("\"\\$", p[1])) {
          put(p[1]);
          p += 2;
        } else if (*p == '$') {
          p = expand(p + 1);
        } else {
          put(*p++);
        }
      }
      if (*p != '"') {
        t.kind = T_ERR;
        return t;
      }
      p++;
    } else if (*p == '\\' && p[1]) {
      put(p[1]);
      p += 2;
    } else if (*p == '$') {
      p = expand(p + 1);
    } else {
      put(*p++);
    }
  }
  put(0);
  *pp = p;
  return t;
}

/* ---- running ---------------------------------------------------------------- */

static int status_of(int wstatus) {
  if (WIFEXITED(wstatus))
    return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus))
    return 128 + WTERMSIG(wstatus);
  return 1;
}

static void apply_redirs(struct cmd *c) {
  for (int i = 0; i < c->nredir; i++) {
    struct redir *r = &c->redirs[i];
    if (!r->path) {
      if (dup2(r->dup_of, r->fd) < 0) {
        dprintf(2, "sh: %d: %s\n", r->dup_of, strerror(errno));
        _exit(1);
      }
      continue;
    }
    int fd = open(r->path, r->flags, 0666);
    if (fd < 0) {
      dprintf(2, "sh: %s: %s\n", r->path, strerror(errno));
      _exit(1);
    }
    if (fd != r->fd) {
      dup2(fd, r->fd);
      close(fd);
    }
  }
}

/* In a child (or in the shell itself for the last command of -c): never
 * returns. */
static void run_command(struct cmd *c) {
  apply_redirs(c);
  execvp(c->argv[0], c->argv);
  int e = errno;
  dprintf(2, "sh: %s: %s\n", c->argv[0], e == ENOENT ? "not found" : strerror(e));
  _exit(e == ENOENT ? 127 : 126);
}

static int builtin(struct cmd *c, int *status) {
  if (!strcmp(c->argv[0], "cd")) {
    const char *dir = c->argc > 1 ? c->argv[1] : getenv("HOME");
    if (!dir)
      dir = "/";
    *status = 0;
    if (chdir(dir) < 0) {
      dprintf(2, "sh: cd: %s: %s\n", dir, strerror(errno));
      *status = 1;
    }
    return 1;
  }
  if (!strcmp(c->argv[0], "exit")) {
    fflush(0);
    _exit(c->argc > 1 ? atoi(c->argv[1]) : last_status);
  }
  return 0;
}

/* Runs a pipeline of n commands; returns its status. in_place: the shell
 * may become the command (sh -c's last lone command). */
static int run_pipeline(struct cmd *cmds, int n, int in_place) {
  int status;
  if (n == 1 && cmds[0].argc > 0 && builtin(&cmds[0], &status))
    return status;
  if (n == 1 && cmds[0].argc > 0 && in_place) {
    fflush(0);
    run_command(&cmds[0]);
  }
  pid_t pids[SH_CMDS];
  int prev_read = -1;
  for (int i = 0; i < n; i++) {
    int p[2] = {-1, -1};
    if (i + 1 < n && pipe(p) < 0) {
      perror("sh: pipe");
      return 1;
    }
    fflush(0);
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("sh: fork");
      return 1;
    }
    if (pids[i] == 0) {
      if (prev_read >= 0) {
        dup2(prev_read, 0);
        close(prev_read);
      }
      if (p[1] >= 0) {
        dup2(p[1], 1);
        close(p[1]);
        close(p[0]);
      }
      if (cmds[i].argc == 0) { /* only redirections: make or truncate files */
        apply_redirs(&cmds[i]);
        _exit(0);
      }
      int st;
      if (builtin(&cmds[i], &st))
        _exit(st);
      run_command(&cmds[i]);
    }
    if (prev_read >= 0)
      close(prev_read);
    if (p[1] >= 0)
      close(p[1]);
    prev_read = p[0];
  }
  status = 0;
  for (int i = 0; i < n; i++) {
    int ws;
    while (wait4(pids[i], &ws, 0, 0) < 0 && errno == EINTR)
      ;
    if (i == n - 1)
      status = status_of(ws);
  }
  return status;
}

/* Parses and runs a whole string (one line, or sh -c's argument). */
static int run_string(const char *s, int exec_last) {
  static struct cmd cmds[SH_CMDS];
  const char *p = s;
  int skip = 0; /* the next pipeline is skipped (&& after failure, ...) */
  word_used = 0;
  for (;;) {
    int n = 0;
    memset(cmds, 0, sizeof(cmds));
    struct token t;
    for (;;) {
      t = next_token(&p);
      struct cmd *c = &cmds[n];
      if (t.kind == T_WORD) {
        if (c->argc == SH_WORDS)
          goto syntax;
        c->argv[c->argc++] = t.text;
      } else if (t.kind == T_LT || t.kind == T_GT || t.kind == T_GTGT) {
        struct token w = next_token(&p);
        if (w.kind != T_WORD || c->nredir == SH_REDIRS)
          goto syntax;
        struct redir *r = &c->redirs[c->nredir++];
        r->fd = t.fd;
        r->path = w.text;
        r->flags = t.kind == T_LT    ? O_RDONLY
                   : t.kind == T_GT ? O_WRONLY | O_CREAT | O_TRUNC
                                    : O_WRONLY | O_CREAT | O_APPEND;
      } else if (t.kind == T_DUP) {
        if (c->nredir == SH_REDIRS)
          goto syntax;
        struct redir *r = &c->redirs[c->nredir++];
        r->fd = t.fd;
        r->path = 0;
        r->dup_of = t.to;
      } else if (t.kind == T_PIPE) {
        if ((c->argc == 0 && c->nredir == 0) || n + 1 == SH_CMDS)
          goto syntax;
        n++;
      } else if (t.kind == T_ERR) {
        goto syntax;
      } else {
        break; /* ; && || end */
      }
    }
    struct cmd *c = &cmds[n];
    int empty = c->argc == 0 && c->nredir == 0;
    if (empty && n > 0)
      goto syntax; /* "a |" */
    if (empty && (t.kind == T_AND || t.kind == T_OR))
      goto syntax;
    if (!empty && !skip) {
      /* in place: sh -c's lone last command (nothing may follow it) */
      const char *rest = p;
      int last = t.kind == T_END || (t.kind == T_SEMI && next_token(&rest).kind == T_END);
      last_status = run_pipeline(cmds, n + 1, exec_last && last);
    }
    if (t.kind == T_END)
      return last_status;
    skip = (t.kind == T_AND && last_status != 0) || (t.kind == T_OR && last_status == 0);
  }
syntax:
  dprintf(2, "sh: syntax error in: %s\n", s);
  return last_status = 2;
}

static int run_file(int fd) {
  FILE *f = fd == 0 ? stdin : fdopen(fd, "r");
  char line[SH_LINE];
  while (f && fgets(line, sizeof(line), f))
    run_string(line, 0);
  return last_status;
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "-c"))
    return run_string(argv[2], 1);
  if (argc == 2) {
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
      dprintf(2, "sh: %s: %s\n", argv[1], strerror(errno));
      return 127;
    }
    return run_file(fd);
  }
  if (argc > 1) {
    dprintf(2, "usage: sh [-c COMMANDS | FILE]\n");
    return 2;
  }
  return run_file(0);
}
