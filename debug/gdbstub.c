/* debug/gdbstub.c - the GDB remote serial protocol (the stub's side), for
 * one i386 target, over one TCP connection on the loopback address.
 *
 * Packets are $data#cc (cc: the sum of data's bytes mod 256, two hex
 * digits), acknowledged with + or - until gdb asks for QStartNoAckMode.
 * What is served:
 *
 *   ?                 the last stop reply
 *   qSupported        PacketSize, qXfer:features:read, QStartNoAckMode, swbreak, hwbreak
 *   qXfer:features:read:target.xml:OFF,LEN   the target description
 *   g / G             all registers (the description's order, little-endian)
 *   p n / P n=v       one register
 *   m addr,len        linear memory (the guest's page tables), E14 if none of it is mapped
 *   M addr,len:hex    write linear memory
 *   Z0/Z1 addr,kind   software / hardware breakpoint (both kept here: guest
 *                     memory and DR0-DR7 are never touched); z0/z1 remove
 *   Z2 addr,len       write watchpoint; z2 removes (Z3, Z4: not supported)
 *   c / s             continue / step (an address argument is refused)
 *   k / D             kill the run / detach (the run goes on without gdb)
 *   qRcmd,hex         monitor commands (the target's)
 *   qAttached, qC, qfThreadInfo, qsThreadInfo, H: one thread, thread 1
 *   anything else     an empty reply: not supported
 *
 * Stop replies: T05 (SIGTRAP) with swbreak:, hwbreak: or watch:ADDR, T02
 * (SIGINT) for Ctrl-C, T0b/T04/T08/T05 for a caught exception by vector
 * (SIGSEGV for #PF, #GP, #SS, #NP, #TS; SIGILL for #UD; SIGFPE for #DE and
 * #MF; SIGTRAP for #DB, #BP), W for the run's end with its status, X0b
 * when it ended in a triple fault (the target says which).
 */
#define _GNU_SOURCE /* accept4 */
#include "debug.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PACKET_MAX 4096 /* PacketSize: what gdb may send us */
#define MAX_BREAKS 64
#define MAX_WATCHES 16

struct dbg_stub {
  int listen_fd, fd;
  const struct dbg_target_ops *ops;
  void *ctx;
  bool no_ack;
  char stop_reply[64]; /* the last stop reply, for '?' */
  struct { uint32_t addr; bool hardware; } brk[MAX_BREAKS];
  unsigned n_brk;
  struct { uint32_t addr, len; } watch[MAX_WATCHES];
  unsigned n_watch;
  uint8_t in[PACKET_MAX + 8]; /* read buffer */
  size_t in_len, in_pos;
  bool interrupt_seen; /* a Ctrl-C read while looking for something else */
};

/* ---- the target description -------------------------------------------------- */

static const char target_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<flags id=\"i386_eflags\" size=\"4\">\n"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "</flags>\n"
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\"/>\n"
    "<reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "<feature name=\"org.ringlab.i386.system\">\n"
    "<reg name=\"cr0\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "<reg name=\"cr2\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "<reg name=\"cr3\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "<reg name=\"cr4\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "<reg name=\"gdtr_base\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "<reg name=\"gdtr_limit\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "<reg name=\"idtr_base\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "<reg name=\"idtr_limit\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "<reg name=\"ldtr\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "<reg name=\"tr\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "<reg name=\"cs_base\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "<reg name=\"ss_base\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "<reg name=\"ds_base\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "<reg name=\"es_base\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "<reg name=\"fs_base\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "<reg name=\"gs_base\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "<reg name=\"cpl\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "</feature>\n"
    "</target>\n";

const char *dbg_target_xml(void) { return target_xml; }

unsigned dbg_reg_bytes(unsigned r) { return r >= DBG_ST0 && r < DBG_ST0 + 8 ? 10 : 4; }

/* ---- hex ---------------------------------------------------------------------- */

int dbg_hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static const char hexchars[] = "0123456789abcdef";

static char *put_hex(char *out, const uint8_t *bytes, size_t n) {
  for (size_t k = 0; k < n; k++) {
    *out++ = hexchars[bytes[k] >> 4];
    *out++ = hexchars[bytes[k] & 15];
  }
  *out = 0;
  return out;
}

/* Reads hex bytes; returns how many, -1 on a bad digit. */
static int get_hex(const char *s, uint8_t *out, size_t max) {
  size_t n = 0;
  while (s[0] && s[1] && n < max) {
    int hi = dbg_hex_digit(s[0]), lo = dbg_hex_digit(s[1]);
    if (hi < 0 || lo < 0)
      return -1;
    out[n++] = (uint8_t)(hi << 4 | lo);
    s += 2;
  }
  return (int)n;
}

/* A hex number up to a delimiter; *end after it. false if none. */
static bool get_num(const char *s, uint32_t *out, const char **end) {
  uint64_t v = 0;
  const char *p = s;
  int d;
  while ((d = dbg_hex_digit(*p)) >= 0 && p - s < 9)
    v = v << 4 | (unsigned)d, p++;
  if (p == s || v > UINT32_MAX)
    return false;
  *out = (uint32_t)v;
  *end = p;
  return true;
}

/* ---- the connection ---------------------------------------------------------------- */

struct dbg_stub *dbg_listen(uint16_t port, const struct dbg_target_ops *ops, void *ctx, uint16_t *bound, char *err,
                            size_t n) {
  struct dbg_stub *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, n, "out of memory");
    return NULL;
  }
  s->fd = -1;
  s->ops = ops;
  s->ctx = ctx;
  s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (s->listen_fd < 0 || setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->listen_fd, 1) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&a, &len) != 0) {
    snprintf(err, n, "cannot listen on 127.0.0.1:%u: %s", port, strerror(errno));
    dbg_close(s);
    return NULL;
  }
  *bound = ntohs(a.sin_port);
  strcpy(s->stop_reply, "T05thread:01;");
  return s;
}

int dbg_accept(struct dbg_stub *s, char *err, size_t n) {
  do
    s->fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  while (s->fd < 0 && errno == EINTR);
  if (s->fd < 0) {
    snprintf(err, n, "gdb: cannot accept a connection: %s", strerror(errno));
    return -1;
  }
  int one = 1;
  setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  close(s->listen_fd);
  s->listen_fd = -1;
  return 0;
}

void dbg_close(struct dbg_stub *s) {
  if (!s)
    return;
  if (s->fd >= 0)
    close(s->fd);
  if (s->listen_fd >= 0)
    close(s->listen_fd);
  free(s);
}

/* The next byte from gdb (blocking), or -1 when the connection is gone. */
static int get_byte(struct dbg_stub *s) {
  if (s->in_pos == s->in_len) {
    ssize_t r;
    do
      r = read(s->fd, s->in, sizeof s->in);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
      return -1;
    s->in_len = (size_t)r;
    s->in_pos = 0;
  }
  return s->in[s->in_pos++];
}

static bool write_all(struct dbg_stub *s, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(s->fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* Sends $data#cc (data may hold any byte but the four that binary replies
 * escape: put_binary does that); waits for + unless acks are off. */
static bool send_packet(struct dbg_stub *s, const char *data, size_t n) {
  static char frame[2 * PACKET_MAX + 16];
  if (n > sizeof frame - 4)
    n = sizeof frame - 4;
  uint8_t sum = 0;
  frame[0] = '$';
  for (size_t k = 0; k < n; k++) {
    frame[1 + k] = data[k];
    sum = (uint8_t)(sum + (uint8_t)data[k]);
  }
  frame[1 + n] = '#';
  frame[2 + n] = hexchars[sum >> 4];
  frame[3 + n] = hexchars[sum & 15];
  for (int tries = 0; tries < 10; tries++) {
    if (!write_all(s, frame, n + 4))
      return false;
    if (s->no_ack)
      return true;
    int c;
    while ((c = get_byte(s)) != '+' && c != '-') {
      if (c < 0)
        return false;
      if (c == 0x03)
        s->interrupt_seen = true;
    }
    if (c == '+')
      return true;
  }
  return false;
}

static bool reply(struct dbg_stub *s, const char *text) { return send_packet(s, text, strlen(text)); }

/* Reads one packet into buf (NUL-terminated). 1, or 0 when the
 * connection is gone. Ctrl-C bytes seen meanwhile are remembered. */
static int get_packet(struct dbg_stub *s, char *buf, size_t max) {
  for (;;) {
    int c;
    while ((c = get_byte(s)) != '$') {
      if (c < 0)
        return 0;
      if (c == 0x03)
        s->interrupt_seen = true;
    }
    size_t n = 0;
    uint8_t sum = 0;
    while ((c = get_byte(s)) != '#') {
      if (c < 0)
        return 0;
      if (n + 1 < max)
        buf[n++] = (char)c;
      sum = (uint8_t)(sum + c);
    }
    int h = get_byte(s), l = get_byte(s);
    if (h < 0 || l < 0)
      return 0;
    buf[n] = 0;
    bool ok = dbg_hex_digit((char)h) >= 0 && dbg_hex_digit((char)l) >= 0 &&
              (dbg_hex_digit((char)h) << 4 | dbg_hex_digit((char)l)) == sum;
    if (s->no_ack)
      return 1;
    if (!write_all(s, ok ? "+" : "-", 1))
      return 0;
    if (ok)
      return 1;
  }
}

bool dbg_interrupted(struct dbg_stub *s) {
  if (s->interrupt_seen) {
    s->interrupt_seen = false;
    return true;
  }
  struct pollfd p = {.fd = s->fd, .events = POLLIN};
  while (s->in_pos == s->in_len && poll(&p, 1, 0) == 1) {
    if (!(p.revents & POLLIN))
      return false;
    int c = get_byte(s);
    if (c < 0)
      return false;
    if (c == 0x03)
      return true;
  }
  while (s->in_pos < s->in_len)
    if (s->in[s->in_pos++] == 0x03)
      return true;
  return false;
}

/* ---- breakpoints and watchpoints ------------------------------------------------------ */

bool dbg_breakpoint_at(const struct dbg_stub *s, uint32_t lin, bool *hardware) {
  for (unsigned k = 0; k < s->n_brk; k++)
    if (s->brk[k].addr == lin) {
      *hardware = s->brk[k].hardware;
      return true;
    }
  return false;
}

bool dbg_has_stops(const struct dbg_stub *s) { return s->n_brk || s->n_watch; }

unsigned dbg_watchpoints(const struct dbg_stub *s, uint32_t *addr, uint32_t *len, unsigned max) {
  unsigned n = s->n_watch < max ? s->n_watch : max;
  for (unsigned k = 0; k < n; k++) {
    addr[k] = s->watch[k].addr;
    len[k] = s->watch[k].len;
  }
  return n;
}

/* Z/z type,addr,kind: 1 done, 0 not supported, -1 bad. */
static int set_stop(struct dbg_stub *s, const char *args, bool insert) {
  uint32_t type, addr, kind;
  const char *p;
  if (!get_num(args, &type, &p) || *p != ',' || !get_num(p + 1, &addr, &p) || *p != ',' ||
      !get_num(p + 1, &kind, &p))
    return -1;
  if (type == 0 || type == 1) {
    for (unsigned k = 0; k < s->n_brk; k++)
      if (s->brk[k].addr == addr) {
        if (!insert)
          s->brk[k] = s->brk[--s->n_brk];
        return 1;
      }
    if (insert) {
      if (s->n_brk == MAX_BREAKS)
        return -1;
      s->brk[s->n_brk].addr = addr;
      s->brk[s->n_brk++].hardware = type == 1;
    }
    return 1;
  }
  if (type == 2) {
    if (kind == 0 || kind > 4096)
      return -1;
    for (unsigned k = 0; k < s->n_watch; k++)
      if (s->watch[k].addr == addr && s->watch[k].len == kind) {
        if (!insert)
          s->watch[k] = s->watch[--s->n_watch];
        return 1;
      }
    if (insert) {
      if (s->n_watch == MAX_WATCHES)
        return -1;
      s->watch[s->n_watch].addr = addr;
      s->watch[s->n_watch++].len = kind;
    }
    return 1;
  }
  return 0; /* read and access watchpoints */
}

/* ---- registers ------------------------------------------------------------------------ */

static size_t regs_hex(struct dbg_stub *s, char *out) {
  struct dbg_regs r;
  s->ops->read_regs(s->ctx, &r);
  char *p = out;
  for (unsigned k = 0; k < DBG_NREGS; k++) {
    if (k >= DBG_ST0 && k < DBG_ST0 + 8) {
      p = put_hex(p, r.st[k - DBG_ST0], 10);
    } else {
      uint8_t b[4] = {(uint8_t)r.r[k], (uint8_t)(r.r[k] >> 8), (uint8_t)(r.r[k] >> 16), (uint8_t)(r.r[k] >> 24)};
      p = put_hex(p, b, 4);
    }
  }
  return (size_t)(p - out);
}

/* G: writes the registers whose value changed; E01 if one of those cannot
 * be written. */
static const char *write_regs(struct dbg_stub *s, const char *hex) {
  struct dbg_regs now;
  s->ops->read_regs(s->ctx, &now);
  for (unsigned k = 0; k < DBG_NREGS && *hex; k++) {
    unsigned bytes = dbg_reg_bytes(k);
    uint8_t v[10];
    if (get_hex(hex, v, bytes) != (int)bytes)
      return "E01";
    hex += 2 * bytes;
    bool same;
    if (bytes == 10) {
      same = memcmp(v, now.st[k - DBG_ST0], 10) == 0;
    } else {
      uint32_t x = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
      same = x == now.r[k];
    }
    if (!same && s->ops->write_reg(s->ctx, k, v) != 0)
      return "E01";
  }
  return "OK";
}

/* ---- memory --------------------------------------------------------------------------- */

static void read_memory(struct dbg_stub *s, const char *args, char *out) {
  uint32_t addr, len;
  const char *p;
  if (!get_num(args, &addr, &p) || *p != ',' || !get_num(p + 1, &len, &p)) {
    strcpy(out, "E01");
    return;
  }
  static uint8_t buf[PACKET_MAX / 2];
  if (len > sizeof buf)
    len = sizeof buf;
  uint32_t got = s->ops->read_mem(s->ctx, addr, buf, len);
  if (!got && len)
    strcpy(out, "E14"); /* EFAULT */
  else
    put_hex(out, buf, got);
}

static const char *write_memory(struct dbg_stub *s, const char *args) {
  uint32_t addr, len;
  const char *p;
  if (!get_num(args, &addr, &p) || *p != ',' || !get_num(p + 1, &len, &p) || *p != ':')
    return "E01";
  static uint8_t buf[PACKET_MAX / 2];
  if (len > sizeof buf || get_hex(p + 1, buf, len) != (int)len)
    return "E01";
  return s->ops->write_mem(s->ctx, addr, buf, len) == len ? "OK" : "E14";
}

/* ---- qXfer and monitor ------------------------------------------------------------------ */

/* The part [off, off + len) of text as a qXfer reply (m: more, l: last),
 * binary with #, $, } and * escaped. */
static size_t xfer(const char *text, uint32_t off, uint32_t len, char *out, size_t max) {
  size_t total = strlen(text), o = 1;
  if (off >= total) {
    out[0] = 'l';
    return 1;
  }
  size_t end = off + (size_t)len < total ? off + (size_t)len : total;
  out[0] = end < total ? 'm' : 'l';
  for (size_t k = off; k < end && o + 2 < max; k++) {
    char c = text[k];
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      out[o++] = '}';
      c = (char)(c ^ 0x20);
    }
    out[o++] = c;
  }
  return o;
}

static void monitor(struct dbg_stub *s, const char *hex, char *out) {
  char cmd[256];
  int n = get_hex(hex, (uint8_t *)cmd, sizeof cmd - 1);
  if (n < 0) {
    strcpy(out, "E01");
    return;
  }
  cmd[n] = 0;
  char text[1024];
  if (!s->ops->monitor || s->ops->monitor(s->ctx, cmd, text, sizeof text) != 0)
    snprintf(text, sizeof text, "ringlab: unknown monitor command '%s' (try 'monitor help')\n", cmd);
  /* The answer as console output (O packets), then OK. */
  size_t len = strlen(text);
  for (size_t at = 0; at < len; at += 200) {
    char o[2 + 2 * 200 + 1] = "O";
    size_t chunk = len - at < 200 ? len - at : 200;
    put_hex(o + 1, (const uint8_t *)text + at, chunk);
    reply(s, o);
  }
  strcpy(out, "OK");
}

/* ---- the stop and the conversation ---------------------------------------------------------- */

static int signal_of(int vector) {
  switch (vector) {
  case 0:  /* #DE */
  case 16: /* #MF */
    return 8; /* SIGFPE */
  case 1:
  case 3:
    return 5; /* SIGTRAP */
  case 6:
    return 4; /* SIGILL */
  default:
    return 11; /* SIGSEGV */
  }
}

static void stop_reply(struct dbg_stub *s, const struct dbg_stop *why) {
  switch (why->kind) {
  case DBG_STOP_ATTACH:
  case DBG_STOP_STEP:
    snprintf(s->stop_reply, sizeof s->stop_reply, "T05thread:01;");
    break;
  case DBG_STOP_BREAK: {
    bool hw = false;
    dbg_breakpoint_at(s, why->addr, &hw);
    snprintf(s->stop_reply, sizeof s->stop_reply, "T05thread:01;%s:;", hw ? "hwbreak" : "swbreak");
    break;
  }
  case DBG_STOP_WATCH:
    snprintf(s->stop_reply, sizeof s->stop_reply, "T05thread:01;watch:%x;", why->addr);
    break;
  case DBG_STOP_INTERRUPT:
    snprintf(s->stop_reply, sizeof s->stop_reply, "T02thread:01;");
    break;
  case DBG_STOP_EXCEPTION:
    snprintf(s->stop_reply, sizeof s->stop_reply, "T%02xthread:01;", signal_of(why->vector));
    break;
  case DBG_STOP_EXITED:
    snprintf(s->stop_reply, sizeof s->stop_reply, "W%02x", why->status & 0xFF);
    break;
  case DBG_STOP_KILLED:
    snprintf(s->stop_reply, sizeof s->stop_reply, "X%02x", why->status & 0xFF);
    break;
  }
}

enum dbg_resume dbg_stopped(struct dbg_stub *s, const struct dbg_stop *why) {
  stop_reply(s, why);
  bool ended = why->kind == DBG_STOP_EXITED || why->kind == DBG_STOP_KILLED;
  if (why->kind != DBG_STOP_ATTACH && !reply(s, s->stop_reply))
    return DBG_DETACH;
  if (ended)
    return DBG_KILL;
  static char pkt[PACKET_MAX + 1];
  static char out[2 * PACKET_MAX + 16];
  for (;;) {
    if (!get_packet(s, pkt, sizeof pkt))
      return DBG_DETACH; /* gdb went away: the run goes on without it */
    out[0] = 0;
    size_t out_len = (size_t)-1;
    const char *p;
    uint32_t v;
    switch (pkt[0]) {
    case '?':
      strcpy(out, s->stop_reply);
      break;
    case 'g':
      out_len = regs_hex(s, out);
      break;
    case 'G':
      strcpy(out, write_regs(s, pkt + 1));
      break;
    case 'p':
      if (!get_num(pkt + 1, &v, &p) || v >= DBG_NREGS) {
        strcpy(out, "E01");
      } else {
        char all[2 * 512];
        regs_hex(s, all);
        size_t off = 0;
        for (unsigned k = 0; k < v; k++)
          off += 2 * dbg_reg_bytes(k);
        memcpy(out, all + off, 2 * dbg_reg_bytes(v));
        out[2 * dbg_reg_bytes(v)] = 0;
      }
      break;
    case 'P': {
      uint8_t val[10];
      if (!get_num(pkt + 1, &v, &p) || *p != '=' || v >= DBG_NREGS ||
          get_hex(p + 1, val, dbg_reg_bytes(v)) != (int)dbg_reg_bytes(v))
        strcpy(out, "E01");
      else
        strcpy(out, s->ops->write_reg(s->ctx, v, val) == 0 ? "OK" : "E01");
      break;
    }
    case 'm':
      read_memory(s, pkt + 1, out);
      break;
    case 'M':
      strcpy(out, write_memory(s, pkt + 1));
      break;
    case 'Z':
    case 'z': {
      int r = set_stop(s, pkt + 1, pkt[0] == 'Z');
      strcpy(out, r > 0 ? "OK" : r == 0 ? "" : "E01");
      break;
    }
    case 'c':
    case 's':
      if (pkt[1]) {
        strcpy(out, "E01"); /* resuming elsewhere: set EIP first */
        break;
      }
      return pkt[0] == 'c' ? DBG_CONTINUE : DBG_STEP;
    case 'k':
      return DBG_KILL;
    case 'D':
      reply(s, "OK");
      return DBG_DETACH;
    case 'H':
      strcpy(out, "OK");
      break;
    case 'T':
      strcpy(out, "OK"); /* thread 1 is alive */
      break;
    case 'q':
      if (!strncmp(pkt, "qSupported", 10)) {
        snprintf(out, sizeof out, "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+",
                 PACKET_MAX);
      } else if (!strncmp(pkt, "qXfer:features:read:target.xml:", 31)) {
        uint32_t off, len;
        if (get_num(pkt + 31, &off, &p) && *p == ',' && get_num(p + 1, &len, &p))
          out_len = xfer(target_xml, off, len, out, sizeof out);
        else
          strcpy(out, "E01");
      } else if (!strncmp(pkt, "qXfer:features:read:", 20)) {
        strcpy(out, "E00"); /* only target.xml */
      } else if (!strcmp(pkt, "qAttached")) {
        strcpy(out, "1");
      } else if (!strcmp(pkt, "qC")) {
        strcpy(out, "QC1");
      } else if (!strcmp(pkt, "qfThreadInfo")) {
        strcpy(out, "m1");
      } else if (!strcmp(pkt, "qsThreadInfo")) {
        strcpy(out, "l");
      } else if (!strncmp(pkt, "qRcmd,", 6)) {
        monitor(s, pkt + 6, out);
      } else if (!strncmp(pkt, "qSymbol", 7)) {
        strcpy(out, "OK");
      }
      break;
    case 'Q':
      if (!strcmp(pkt, "QStartNoAckMode")) {
        reply(s, "OK");
        s->no_ack = true;
        continue;
      }
      break;
    default:
      break; /* vCont?, X and the rest: not supported (empty reply) */
    }
    if (!send_packet(s, out, out_len == (size_t)-1 ? strlen(out) : out_len))
      return DBG_DETACH;
  }
}
