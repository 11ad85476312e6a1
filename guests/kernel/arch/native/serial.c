/* arch/native/serial.c - the console: COM1, a 16550A at 0x3F8 on IRQ 4.
 * Output polls the transmitter-empty bit; input raises IRQ 4 once enabled.
 */
#include "native.h"

#define COM1 0x3F8
#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1 /* interrupt enable */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define LSR_DR 0x01   /* data ready */
#define LSR_THRE 0x20 /* transmit holding register empty */

void native_serial_init(void) {
  outb(COM1 + UART_IER, 0x00);
  outb(COM1 + UART_LCR, 0x80); /* divisor latch */
  outb(COM1 + 0, 0x01);        /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + UART_LCR, 0x03); /* 8N1 */
  outb(COM1 + UART_FCR, 0x07); /* FIFOs on and cleared */
  outb(COM1 + UART_MCR, 0x0B); /* DTR, RTS, OUT2 (IRQ line enabled) */
}

static void serial_putc(char c) {
  while (!(inb(COM1 + UART_LSR) & LSR_THRE))
    ;
  outb(COM1 + UART_THR, (uint8_t)c);
}

void native_serial_write(const char *s, size_t n) {
  for (size_t k = 0; k < n; k++)
    serial_putc(s[k]); /* bytes as written: no newline translation */
}

int native_serial_getc(void) {
  if (!(inb(COM1 + UART_LSR) & LSR_DR))
    return -1;
  return inb(COM1 + UART_RBR);
}

void native_serial_rx_enable(void) {
  outb(COM1 + UART_IER, 0x01); /* received data available */
  native_pic_unmask(IRQ_COM1);
}
