/* tests/guests/xen/lib/xs.h - the PV test guests' store client (xs.c). */
#ifndef PV_XS_H
#define PV_XS_H

#include "pv.h"

#include <xen/io/xs_wire.h>

extern uint32_t pv_xs_watch_events;
extern char pv_xs_last_watch[128];

void pv_xs_init(void);
/* One request of nparts strings (lens include the NULs the protocol
 * wants); 0, -errno of an XS_ERROR reply, or below -999 on a protocol
 * mismatch. */
int pv_xs_request(uint32_t type, uint32_t tx, const char *const *parts, const uint32_t *lens, uint32_t nparts,
                  char *reply, uint32_t reply_size, uint32_t *reply_len);
int pv_xs_read(uint32_t tx, const char *path, char *out, uint32_t size);
int pv_xs_write(uint32_t tx, const char *path, const char *value);
/* A request of one or two NUL-terminated strings (b may be NULL). */
int pv_xs_simple(uint32_t type, uint32_t tx, const char *a, const char *b, char *out, uint32_t size);
void pv_xs_wait_for(const char *path, const char *want);

#endif
