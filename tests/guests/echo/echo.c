/* tests/guests/echo/echo.c - serial input replayed at emulated cycles.
 *
 * Reads one line from COM1 by polling LSR.DR and echoes it; passes when
 * the line is "ping". ringlab only: its input comes from --serial-in
 * (echo/input.txt), bytes stamped with the cycle they arrive at.
 */
#include "guest.h"

#define UART_RBR 0
#define UART_LSR 5
#define LSR_DR 0x01
#define POLL_LIMIT 10000000 /* bounded: no input must not hang the test */
#define LINE_MAX 32

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  char line[LINE_MAX + 1];
  unsigned n = 0;
  for (int polls = 0; polls < POLL_LIMIT && n < LINE_MAX; polls++) {
    if (!(inb(SERIAL_COM1 + UART_LSR) & LSR_DR))
      continue;
    char ch = (char)inb(SERIAL_COM1 + UART_RBR);
    if (ch == '\n')
      break;
    line[n++] = ch;
  }
  line[n] = 0;
  serial_puts("echo: ");
  serial_puts(line);
  serial_puts("\n");
  const char *want = "ping";
  for (unsigned k = 0; k <= 4; k++)
    if (line[k] != want[k])
      guest_exit(GUEST_FAIL);
  guest_exit(GUEST_PASS);
}
