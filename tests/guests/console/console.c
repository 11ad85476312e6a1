/* tests/guests/console/console.c - the PC's console parts: the VGA in text
 * mode and the 8042 with its keyboard.
 *
 *   1. VGA: text written at 0xB8000 reads back; the CRTC's cursor location
 *      and start address read back; the I/O address select says colour;
 *      input status 1 shows vertical retrace coming and going (under
 *      ringlab, one frame is exactly 900 x 449 dots of 28.322 MHz: the
 *      retrace edges are 4,280,347 cycles apart at p6's 300 MHz, give or
 *      take the polling loop);
 *   2. 8042: self-test, the command byte, keyboard echo, identify (AB 41
 *      through the translation), reset (FA AA), the LEDs;
 *   3. A20 through the 8042's output port (a20_low.S, run below 1 MiB);
 *   4. ringlab only: the scan code set reads 2 (41 translated); keys from
 *      --keys-in (keys.txt) arrive on IRQ 1 as set 1 codes;
 *   5. the screen is left showing a test card (colours, line drawing, the
 *      cursor) for the display's golden image (tests/display).
 * Both runners.
 */
#include "pic.h"
#include "ringlab_ops.h"

#define KBC_DATA 0x60
#define KBC_CMD 0x64
#define KBC_OBF 0x01
#define KBC_IBF 0x02
#define IRQ_KBD 1
#define TIMEOUT 2000000

#define TEXT ((volatile uint16_t *)0xB8000)
#define COLS 80

extern const uint8_t a20_probe[], a20_probe_end[];
#define LOW_CODE ((uint8_t *)0x7000)

static void kbc_wait_write(void) {
  for (int k = 0; k < TIMEOUT && (inb(KBC_CMD) & KBC_IBF); k++)
    ;
}

static void kbc_cmd(uint8_t c) {
  kbc_wait_write();
  outb(KBC_CMD, c);
}

static void kbc_data(uint8_t d) {
  kbc_wait_write();
  outb(KBC_DATA, d);
}

/* The next byte from the controller, or -1 after a long wait. */
static int kbc_read(void) {
  for (int k = 0; k < TIMEOUT; k++)
    if (inb(KBC_CMD) & KBC_OBF)
      return inb(KBC_DATA);
  return -1;
}

static void kbc_flush(void) {
  for (int k = 0; k < 64 && (inb(KBC_CMD) & KBC_OBF); k++)
    (void)inb(KBC_DATA);
}

static uint8_t crtc_read(uint8_t index) {
  outb(0x3D4, index);
  return inb(0x3D5);
}

static void crtc_write(uint8_t index, uint8_t value) {
  outb(0x3D4, index);
  outb(0x3D5, value);
}

static void put_text(int row, int col, const char *s, uint8_t attr) {
  for (; *s; s++, col++)
    TEXT[row * COLS + col] = (uint16_t)((uint8_t)*s | attr << 8);
}

/* The edge of vertical retrace (input status 1 bit 3 rising); false if it
 * never comes. */
static int wait_retrace_edge(void) {
  int k = 0;
  while ((inb(0x3DA) & 0x08) && ++k < TIMEOUT)
    ;
  while (!(inb(0x3DA) & 0x08) && ++k < TIMEOUT)
    ;
  return k < TIMEOUT;
}

static volatile uint8_t keys[16];
static volatile unsigned nkeys;

static void kbd_irq(struct trap_frame *f) {
  (void)f;
  while ((inb(KBC_CMD) & KBC_OBF) && nkeys < sizeof keys)
    keys[nkeys++] = inb(KBC_DATA);
  outb(PIC_MASTER, PIC_EOI);
}

/* The test card: a title, the sixteen colours as backgrounds and
 * foregrounds, a box in CP437 line drawing, the cursor below it. */
static void test_card(void) {
  for (int k = 0; k < 25 * COLS; k++)
    TEXT[k] = 0x0720;
  put_text(0, 0, " ringlab console test card", 0x1F);
  for (int c = 26; c < COLS; c++)
    TEXT[c] = 0x1F20;
  for (int bg = 0; bg < 8; bg++)
    for (int fg = 0; fg < 16; fg++) {
      int row = 2 + bg, col = 4 + fg * 4;
      uint8_t attr = (uint8_t)(bg << 4 | fg);
      TEXT[row * COLS + col] = (uint16_t)(0x20 | attr << 8);
      TEXT[row * COLS + col + 1] = (uint16_t)(('A' + fg) | attr << 8);
      TEXT[row * COLS + col + 2] = (uint16_t)(0x20 | attr << 8);
    }
  static const uint8_t box[5][12] = {
      {0xC9, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xBB},
      {0xBA, ' ', 'r', 'i', 'n', 'g', ' ', '0', '-', '3', ' ', 0xBA},
      {0xCC, 0xC4, 0xC4, 0xC4, 0xC4, 0xC4, 0xC4, 0xC4, 0xC4, 0xC4, 0xC4, 0xB9},
      {0xBA, 0xB0, 0xB1, 0xB2, 0xDB, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xBA},
      {0xC8, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xCD, 0xBC},
  };
  for (int r = 0; r < 5; r++)
    for (int c = 0; c < 12; c++)
      TEXT[(12 + r) * COLS + 4 + c] = (uint16_t)(box[r][c] | 0x0E << 8);
  put_text(12, 20, "blinking red on white", 0xF4);
  put_text(14, 20, "bright green on blue", 0x1A);
  put_text(23, 0, "console: the screen of a passing run", 0x07);
  crtc_write(0x0A, 0x0D);
  crtc_write(0x0B, 0x0E);
  crtc_write(0x0E, (24 * COLS) >> 8);
  crtc_write(0x0F, (24 * COLS) & 0xFF);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("console: VGA text mode and the 8042 keyboard controller\n");
  int ringlab = ringlab_ops_present();

  /* 1: VGA */
  put_text(1, 0, "console: hello", 0x1F);
  check_eq("text memory reads back the character", TEXT[COLS + 0] & 0xFF, 'c');
  check_eq("  and its attribute", TEXT[COLS + 0] >> 8, 0x1F);
  check_eq("misc output: colour addressing (0x3Dx)", inb(0x3CC) & 1, 1);
  uint8_t cur_hi = crtc_read(0x0E), cur_lo = crtc_read(0x0F);
  crtc_write(0x0E, 0x01);
  crtc_write(0x0F, 0x23);
  check_eq("CRTC cursor location reads back", (uint32_t)(crtc_read(0x0E) << 8 | crtc_read(0x0F)), 0x0123);
  crtc_write(0x0C, 0x00);
  crtc_write(0x0D, 0x50);
  check_eq("CRTC start address reads back", (uint32_t)(crtc_read(0x0C) << 8 | crtc_read(0x0D)), 0x0050);
  crtc_write(0x0D, 0x00);
  crtc_write(0x0E, cur_hi);
  crtc_write(0x0F, cur_lo);
  int edge1 = wait_retrace_edge();
  uint64_t t0 = rdtsc();
  int edge2 = wait_retrace_edge();
  uint64_t frame = rdtsc() - t0;
  check_true("vertical retrace comes", edge1);
  check_true("  and comes again", edge2);
  if (ringlab) {
    check_eq("blank cells at power-on (0x0720)", TEXT[24 * COLS + 79], 0x0720);
    /* The loop reads the port every 311 cycles (p6's port access cost). */
    check_true("a frame is 4,280,347 cycles at 300 MHz (+-400)", frame + 400 >= 4280347 && frame <= 4280347 + 400);
    kprintf("  (retrace to retrace: %u cycles)\n", (uint32_t)frame);
  }

  /* 2: the 8042 and its keyboard, polled (IRQs off in the command byte) */
  kbc_cmd(0xAD);
  kbc_flush();
  kbc_cmd(0x20);
  int cb = kbc_read();
  check_true("command byte read", cb >= 0);
  kbc_cmd(0xAA);
  check_eq("controller self-test: 55", (uint32_t)kbc_read(), 0x55);
  cb &= ~0x10; /* as it was before AD disabled the keyboard */
  kbc_cmd(0x60);
  kbc_data((uint8_t)((cb & ~0x03) | 0x40)); /* no IRQs, translation on */
  kbc_cmd(0x20);
  check_eq("command byte written and read back", (uint32_t)kbc_read(), (uint32_t)((cb & ~0x03) | 0x40));
  kbc_cmd(0xAE);
  kbc_flush();
  kbc_data(0xEE);
  check_eq("keyboard echo: EE", (uint32_t)kbc_read(), 0xEE);
  kbc_data(0xF2);
  check_eq("identify: ACK", (uint32_t)kbc_read(), 0xFA);
  check_eq("  AB", (uint32_t)kbc_read(), 0xAB);
  check_eq("  41 (83 through the translation)", (uint32_t)kbc_read(), 0x41);
  kbc_data(0xFF);
  check_eq("keyboard reset: ACK", (uint32_t)kbc_read(), 0xFA);
  check_eq("  self-test passed: AA", (uint32_t)kbc_read(), 0xAA);
  kbc_data(0xED);
  check_eq("set LEDs: ACK", (uint32_t)kbc_read(), 0xFA);
  kbc_data(0x02);
  check_eq("  LED byte: ACK", (uint32_t)kbc_read(), 0xFA);
  if (ringlab) {
    kbc_data(0xF0);
    check_eq("scan code set: ACK", (uint32_t)kbc_read(), 0xFA);
    kbc_data(0x00);
    check_eq("  ACK", (uint32_t)kbc_read(), 0xFA);
    check_eq("  set 2 (41 translated)", (uint32_t)kbc_read(), 0x41);
  }

  /* 3: A20 through the 8042's output port, from below 1 MiB */
  for (const uint8_t *p = a20_probe; p < a20_probe_end; p++)
    LOW_CODE[p - a20_probe] = *p;
  uint32_t wrapped = ((uint32_t(*)(void))LOW_CODE)();
  check_eq("A20 off (8042 and port 0x92): 3 MiB wraps to 2 MiB", wrapped & 1, 1);
  check_eq("A20 on through the 8042: no wrap", wrapped & 2, 0);

  /* 4: keys on IRQ 1, ringlab only (--keys-in keys.txt) */
  if (ringlab) {
    trap_set_handler(PIC_IRQ_BASE + IRQ_KBD, kbd_irq);
    pic_init((uint8_t)~(1u << IRQ_KBD), 0xFF);
    kbc_cmd(0x60);
    kbc_data((uint8_t)((cb & ~0x03) | 0x41)); /* IRQ 1 on */
    while (nkeys < 6)
      __asm__ volatile("sti; hlt; cli" ::: "memory");
    static const uint8_t want[6] = {0x23, 0xA3, 0x17, 0x97, 0x1C, 0x9C};
    for (int k = 0; k < 6; k++)
      check_eq("key from --keys-in, set 1", keys[k], want[k]);
    outb(PIC_MASTER + 1, 0xFF);
  } else {
    kprintf("  (not ringlab: no --keys-in step)\n");
  }
  kbc_cmd(0x60);
  kbc_data((uint8_t)cb);

  test_card();
  check_done("console");
}
