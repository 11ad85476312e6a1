/* hv/ops.c - the hypervisor's marks on the ringlab ops port
 * (machine/ringlab_ops.h): hypercalls entered and left, its other events
 * (trap bounces, upcalls, page-table emulations and updates, domain
 * switches) and annotations. Nothing else in hv/ touches the port.
 *
 * A mark is four or five OUTs to an uncharged port range: no I/O cycles,
 * only the OUTs' base cost. STATUS is never read back (one IN less per
 * mark); a bad mark is the emulator's to report. Under QEMU (no port) the
 * marks are skipped after one probe at boot.
 */
#include "hv-internal.h"
#include "ringlab_ops.h"

static int ops_present;

void hv_ops_init(void) { ops_present = ringlab_ops_present(); }

static inline void op(uint32_t code, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, int nargs) {
  ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_ARG0, a0);
  if (nargs > 1)
    ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_ARG1, a1);
  if (nargs > 2)
    ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_ARG2, a2);
  if (nargs > 3)
    ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_ARG3, a3);
  ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_OP, code);
}

void hv_mark_hypercall_enter(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3) {
  if (ops_present)
    op(RINGLAB_OP_HYPERCALL_ENTER, nr & 0xFF, a1, a2, a3, 4);
}

void hv_mark_hypercall_exit(uint32_t nr, uint32_t result) {
  if (ops_present)
    op(RINGLAB_OP_HYPERCALL_EXIT, nr & 0xFF, result, 0, 0, 2);
}

/* RINGLAB_OP_HV_EVENT (10) arrives on main with the hypervisor's event
 * kinds; until this tree has it, the events are not marked. */
void hv_mark_event(uint32_t kind, uint32_t index, uint32_t a2, uint32_t a3) {
#ifdef RINGLAB_OP_HV_EVENT
  if (ops_present)
    op(RINGLAB_OP_HV_EVENT, kind, index, a2, a3, 4);
#else
  (void)kind;
  (void)index;
  (void)a2;
  (void)a3;
#endif
}

/* Texts go by physical address: ours are in the direct map. */
void hv_annotate(const char *text) {
  if (ops_present)
    op(RINGLAB_OP_ANNOTATE, hv_virt_to_phys(text), (uint32_t)strlen(text), 0, 0, 2);
}
