/* hv/grant.c - grant tables: not implemented yet; grant_table_op answers
 * -ENOSYS (see README.md, "What is not there yet"). */
#include "domain.h"

void hv_gnttab_init(struct hv_domain *d) { d->gnttab_frames = 0; }
void hv_gnttab_release(struct hv_domain *d) { d->gnttab_frames = 0; }

long hv_do_grant_table_op(uint32_t cmd, uint32_t arg, uint32_t count) {
  (void)cmd;
  (void)arg;
  (void)count;
  return -ENOSYS;
}
