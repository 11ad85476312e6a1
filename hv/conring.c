/* hv/conring.c - every domain's console ring (<xen/io/console.h>), served
 * by the hypervisor in place of domain 0's console daemon: what a domain
 * writes to its ring's output half goes to COM1, line by line, each line
 * prefixed with the domain ("(d1) "), and the domain is notified on its
 * console port when the ring has room again. The ring is read when the
 * domain notifies the port and on every return to the domain. */
#include "domain.h"

static void emit_line(struct hv_domain *d) {
  extern int hv_console_quiet;
  int quiet = hv_console_quiet;
  hv_console_quiet = 0; /* domains' output is never silenced */
  d->con_line[d->con_len] = 0;
  hv_printf("(d%u) %s\n", d->id, d->con_line);
  hv_console_quiet = quiet;
  d->con_len = 0;
}

void hv_console_domain_write(struct hv_domain *d, const char *buf, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    char c = buf[k];
    if (c == '\n') {
      emit_line(d);
    } else if (c != '\r') {
      d->con_line[d->con_len++] = gl_isprint((unsigned char)c) ? c : '?';
      if (d->con_len == sizeof d->con_line - 1)
        emit_line(d);
    }
  }
}

void hv_console_flush(struct hv_domain *d) {
  if (d->console_mfn)
    hv_console_ring_service(d);
  if (d->con_len)
    emit_line(d);
}

void hv_console_ring_service(struct hv_domain *d) {
  if (!d->console_mfn)
    return;
  struct xencons_interface *r = hv_mfn_to_virt(d->console_mfn);
  XENCONS_RING_IDX cons = r->out_cons, prod = r->out_prod;
  __asm__ volatile("" ::: "memory");
  if (cons == prod)
    return;
  if (prod - cons > sizeof r->out)
    cons = prod - sizeof r->out; /* a guest that overran its own ring */
  char chunk[64];
  while (cons != prod) {
    uint32_t n = 0;
    while (cons != prod && n < sizeof chunk)
      chunk[n++] = r->out[MASK_XENCONS_IDX(cons++, r->out)];
    hv_console_domain_write(d, chunk, n);
  }
  __asm__ volatile("" ::: "memory");
  r->out_cons = cons;
  hv_evtchn_set_pending(d, d->console_port);
}
