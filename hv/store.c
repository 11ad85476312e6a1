/* hv/store.c - the store (io/xs_wire.h) answered by the hypervisor: not
 * implemented yet. A domU's start_info names its store page and port; the
 * page is zeroed and nothing answers requests (see README.md, "What is not
 * there yet"). */
#include "domain.h"

void hv_store_init(struct hv_domain *d) { (void)d; }
void hv_store_service(struct hv_domain *d) { (void)d; }
