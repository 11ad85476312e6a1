/* tests/guests/common/guest.c - serial output and the exit port. */
#include "guest.h"

/* 16550 registers, as offsets from the base port. */
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLL 0 /* divisor low (DLAB=1) */
#define UART_DLM 1 /* divisor high (DLAB=1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */

#define LCR_DLAB   0x80 /* divisor latch access */
#define LCR_8N1    0x03
#define FCR_ENABLE 0x07 /* enable and clear both FIFOs */
#define MCR_DTR_RTS 0x03
#define LSR_THRE   0x20 /* transmit holding register empty */

/* Bounded wait: a missing or stuck UART must not hang the test. */
#define SERIAL_SPIN_LIMIT 100000

void serial_init(void) {
  outb(SERIAL_COM1 + UART_IER, 0x00);
  outb(SERIAL_COM1 + UART_LCR, LCR_DLAB);
  outb(SERIAL_COM1 + UART_DLL, 0x01); /* 115200 baud */
  outb(SERIAL_COM1 + UART_DLM, 0x00);
  outb(SERIAL_COM1 + UART_LCR, LCR_8N1);
  outb(SERIAL_COM1 + UART_FCR, FCR_ENABLE);
  outb(SERIAL_COM1 + UART_MCR, MCR_DTR_RTS);
}

void serial_putc(char c) {
  for (int spin = 0; spin < SERIAL_SPIN_LIMIT; spin++)
    if (inb(SERIAL_COM1 + UART_LSR) & LSR_THRE)
      break;
  outb(SERIAL_COM1 + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s) {
  while (*s)
    serial_putc(*s++);
}

void guest_exit(uint8_t verdict) {
  outb(GUEST_EXIT_PORT, verdict);
  /* No exit device: stop here. */
  for (;;)
    __asm__ volatile("cli; hlt");
}
