/* devices/fpuerr.c - the PC's x87 error logic: the processor's FERR#
 * output to IRQ 13, and port F0h, which answers it with IGNNE#.
 *
 * On the IBM PC/AT the coprocessor's ERROR# line set a latch driving IRQ 13,
 * and a write to port F0h ("clear busy") reset it; processors since the
 * 486 bring that reporting out as FERR# and take IGNNE# in, and a PC's
 * chipset keeps the AT's logic around them (SDM vol. 1, D.2.1.2, "Recommended
 * External Hardware to Support the MS-DOS Compatibility Sub-mode"; the
 * PIIX4 and later south bridges the same way):
 *
 *   FERR# rising        the IRQ 13 latch sets: IRQ 13 goes high
 *   write to F0h        the latch resets (IRQ 13 low) and, while FERR# is
 *                       still asserted, IGNNE# is asserted: the exception
 *                       handler may then run waiting x87 instructions
 *                       before it has cleared the error
 *   FERR# falling       IGNNE# drops (the error was cleared: FNCLEX,
 *                       FNINIT, FRSTOR ...)
 *
 * The value written to F0h does not matter; a read gives all ones. The
 * chip knows nothing of the board: its IRQ output is a struct dev_irq and
 * IGNNE# a callback (machine/board.c wires them to the 8259 pair's IR5 of
 * the slave and to the CPU).
 */
#include "devices.h"
#include "snap.h"

#include <stdlib.h>

struct dev_fpuerr {
  struct dev_irq irq;
  void (*set_ignne)(void *opaque, bool level);
  void *opaque;
  bool ferr;  /* FERR# as last driven */
  bool latch; /* IRQ 13 */
  bool ignne;
};

static void drive_ignne(struct dev_fpuerr *f, bool level) {
  if (f->ignne == level)
    return;
  f->ignne = level;
  if (f->set_ignne)
    f->set_ignne(f->opaque, level);
}

void dev_fpuerr_set_ferr(struct dev_fpuerr *f, bool level) {
  bool rising = level && !f->ferr;
  f->ferr = level;
  if (rising) {
    f->latch = true;
    dev_irq_set(&f->irq, 1);
  }
  if (!level)
    drive_ignne(f, false);
}

static uint32_t fpuerr_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  (void)ctx;
  (void)offset;
  (void)size_bytes;
  return 0xFF;
}

static void fpuerr_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct dev_fpuerr *f = ctx;
  (void)offset;
  (void)size_bytes;
  (void)value;
  if (f->latch) {
    f->latch = false;
    dev_irq_set(&f->irq, 0);
  }
  if (f->ferr)
    drive_ignne(f, true);
}

const struct dev_port_ops dev_fpuerr_ops = {
    .name = "x87 error latch (F0h)",
    .sizes = DEV_SIZE_8,
    .read = fpuerr_read,
    .write = fpuerr_write,
};

bool dev_fpuerr_irq(const struct dev_fpuerr *f) { return f->latch; }
bool dev_fpuerr_ignne(const struct dev_fpuerr *f) { return f->ignne; }

struct dev_fpuerr *dev_fpuerr_new(struct dev_irq irq, void (*set_ignne)(void *opaque, bool level), void *opaque) {
  struct dev_fpuerr *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->irq = irq;
  f->set_ignne = set_ignne;
  f->opaque = opaque;
  return f;
}

void dev_fpuerr_free(struct dev_fpuerr *f) { free(f); }

/* ---- snapshots ------------------------------------------------------------ */

void dev_fpuerr_save(const struct dev_fpuerr *f, struct snap_writer *w) {
  snap_put_bool(w, f->ferr);
  snap_put_bool(w, f->latch);
  snap_put_bool(w, f->ignne);
}

int dev_fpuerr_load(struct dev_fpuerr *f, struct snap_reader *r) {
  bool ferr = snap_get_bool(r), latch = snap_get_bool(r), ignne = snap_get_bool(r);
  if (!snap_ok(r))
    return -1;
  f->ferr = ferr; /* the CPU's IGNNE# and the IRQ line are in their own sections */
  f->latch = latch;
  f->ignne = ignne;
  return 0;
}
