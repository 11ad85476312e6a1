/* hv/console.c - the hypervisor's serial console (COM1) and its panic path.
 *
 * Everything the hypervisor says, and what domains write through
 * console_io or their console rings (conring.c), goes out on COM1, a 16550A
 * at 0x3F8, polled. The console option "none" silences the hypervisor's
 * own messages but not the domains' output. hv_halt_machine ends the run
 * through the exit port 0xF4 (QEMU's isa-debug-exit, ringlab's exit port)
 * with the verdict the domains earned (sched.c).
 */
#include "hv-internal.h"

#define COM1 0x3F8
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20
#define SPIN_LIMIT 100000 /* a missing UART must not hang us */
#define EXIT_PORT 0xF4

int hv_console_quiet; /* console=none: hypervisor messages off */

void hv_console_init(void) {
  hv_outb(COM1 + UART_IER, 0x00);
  hv_outb(COM1 + UART_LCR, 0x80); /* DLAB */
  hv_outb(COM1 + 0, 0x01);        /* 115200 baud */
  hv_outb(COM1 + 1, 0x00);
  hv_outb(COM1 + UART_LCR, 0x03); /* 8N1 */
  hv_outb(COM1 + UART_FCR, 0x07);
  hv_outb(COM1 + UART_MCR, 0x03);
}

void hv_putc(char c) {
  for (int spin = 0; spin < SPIN_LIMIT; spin++)
    if (hv_inb(COM1 + UART_LSR) & LSR_THRE)
      break;
  hv_outb(COM1 + UART_THR, (uint8_t)c);
}

static void put_cb(void *ctx, char c) {
  (void)ctx;
  hv_putc(c);
}

int hv_vprintf(const char *fmt, va_list ap) {
  if (hv_console_quiet)
    return 0;
  return gl_vformat(put_cb, NULL, fmt, ap);
}

int hv_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = hv_vprintf(fmt, ap);
  va_end(ap);
  return n;
}

void hv_halt_machine(uint32_t verdict) {
  hv_outb(EXIT_PORT, (uint8_t)verdict);
  for (;;)
    __asm__ volatile("cli; hlt");
}

void hv_panic(const char *fmt, ...) {
  __asm__ volatile("cli");
  hv_console_quiet = 0;
  va_list ap;
  va_start(ap, fmt);
  hv_printf("(XEN) PANIC: ");
  hv_vprintf(fmt, ap);
  hv_printf("\n");
  va_end(ap);
  hv_halt_machine(HV_VERDICT_PANIC);
}
