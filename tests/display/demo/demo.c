/* tests/display/demo/demo.c - a kernel to watch in the window: it keeps
 * the machine busy with the mechanisms the panel counts and draws its own
 * screen.
 *
 *   - 4 KiB paging, identity-mapped 0-8 MiB;
 *   - the PIT at 100 Hz on IRQ 0: the clock on the screen;
 *   - in a loop: 200 INT 0x80 round trips from ring 3 (ring 3->0->3), a
 *     CR3 reload and an INVLPG (TLB flushes), a page fault on a page it
 *     maps in its handler (#PF);
 *   - the keyboard on IRQ 1: keys typed into the window appear on the
 *     screen (set 1 codes, a US layout, letters, digits, space, enter,
 *     backspace).
 *
 * It never ends by itself: --max-cycles or closing the window ends it.
 * Used by display/README.md's screenshot and by ctest display_demo_runs
 * (the window changes nothing on a run with timer and keyboard interrupts,
 * ring transitions, page faults and flushes).
 */
#include "pic.h"

#define COLS 80
#define TEXT ((volatile uint16_t *)0xB8000)
#define SYSCALL_VECTOR 0x80
#define USER_STACK_BYTES 4096
#define FAULT_PAGE 0x00700000u /* a page left unmapped until touched */
#define PIT_100HZ (PIT_HZ / 100)

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[2][1024] __attribute__((aligned(4096)));
static uint8_t user_stack[USER_STACK_BYTES] __attribute__((aligned(16)));
static volatile uint32_t ticks, syscalls, faults, rounds;
static volatile uint8_t typed[COLS - 4];
static volatile unsigned ntyped;
static volatile int shift;

/* Set 1 make codes 0x02-0x39 to characters (US), unshifted and shifted. */
static const char lower[] = "\0\0001234567890-=\0\0qwertyuiop[]\0\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
static const char upper[] = "\0\0!@#$%^&*()_+\0\0QWERTYUIOP{}\0\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

static void put(int row, int col, const char *s, uint8_t attr) {
  for (; *s && col < COLS; s++, col++)
    TEXT[row * COLS + col] = (uint16_t)((uint8_t)*s | attr << 8);
}

static void put_num(int row, int col, uint32_t v, uint8_t attr) {
  char b[11];
  int k = 10;
  b[k] = 0;
  do {
    b[--k] = (char)('0' + v % 10);
    v /= 10;
  } while (v && k > 0);
  while (k > 2) /* right-aligned in 8 */
    b[--k] = ' ';
  put(row, col, b + k, attr);
}

static void timer_irq(struct trap_frame *f) {
  (void)f;
  ticks++;
  outb(PIC_MASTER, PIC_EOI);
}

static void keyboard_irq(struct trap_frame *f) {
  (void)f;
  while (inb(0x64) & 1) {
    uint8_t code = inb(0x60);
    if (code == 0x2A || code == 0x36)
      shift = 1;
    else if (code == 0xAA || code == 0xB6)
      shift = 0;
    else if (code == 0x0E && ntyped) /* backspace */
      typed[--ntyped] = ' ';
    else if (code == 0x1C) /* enter: a fresh line */
      while (ntyped)
        typed[--ntyped] = ' ';
    else if (code < sizeof lower && lower[code] && ntyped < sizeof typed)
      typed[ntyped++] = (uint8_t)(shift ? upper[code] : lower[code]);
  }
  outb(PIC_MASTER, PIC_EOI);
}

static void syscall_handler(struct trap_frame *f) {
  syscalls++;
  f->eax++;
}

static void page_fault(struct trap_frame *f) {
  (void)f;
  faults++;
  uint32_t page = read_cr2() & ~0xFFFu;
  pt_low[page >> 22][(page >> 12) & 1023] = page | PTE_P | PTE_W | PTE_U;
}

static void user_main(void) {
  for (uint32_t k = 0; k < 200; k++) {
    uint32_t eax = k;
    __asm__ volatile("int $0x80" : "+a"(eax) : : "memory");
  }
  ring3_exit(0);
}

static void draw(void) {
  put_num(4, 22, ticks / 100, 0x0F);
  put_num(5, 22, rounds, 0x0F);
  put_num(6, 22, syscalls, 0x0F);
  put_num(7, 22, faults, 0x0F);
  for (unsigned k = 0; k < sizeof typed; k++)
    TEXT[12 * COLS + 2 + k] = (uint16_t)((typed[k] ? typed[k] : ' ') | 0x1E << 8);
  unsigned cursor = 12 * COLS + 2 + ntyped;
  outb(0x3D4, 0x0E);
  outb(0x3D5, (uint8_t)(cursor >> 8));
  outb(0x3D4, 0x0F);
  outb(0x3D5, (uint8_t)cursor);
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("demo: ring transitions, TLB flushes, page faults, timer and keyboard on the VGA screen\n");
  for (int k = 0; k < 25 * COLS; k++)
    TEXT[k] = 0x0720;
  put(0, 0, " ringlab demo: a guest at work                                                  ", 0x1F);
  put(2, 2, "what the guest counts itself", 0x0E);
  put(4, 4, "seconds (PIT)", 0x07);
  put(5, 4, "rounds", 0x07);
  put(6, 4, "INT 0x80 calls", 0x07);
  put(7, 4, "page faults", 0x07);
  put(10, 2, "type here (keys reach the guest through the 8042 on IRQ 1):", 0x0E);
  for (unsigned k = 0; k < sizeof typed; k++)
    typed[k] = ' ';
  put(23, 2, "the panel on the right is ringlab's own count of the same events", 0x08);

  idt_set_stub(SYSCALL_VECTOR, SYS_TRAP_GATE32, 3);
  trap_set_handler(SYSCALL_VECTOR, syscall_handler);
  trap_set_handler(VEC_PF, page_fault);
  trap_set_handler(PIC_IRQ_BASE + 0, timer_irq);
  trap_set_handler(PIC_IRQ_BASE + 1, keyboard_irq);
  for (uint32_t k = 0; k < 2 * 1024; k++)
    pt_low[k / 1024][k % 1024] = (k << 12) | PTE_P | PTE_W | PTE_U;
  pd[0] = (uint32_t)pt_low[0] | PTE_P | PTE_W | PTE_U;
  pd[1] = (uint32_t)pt_low[1] | PTE_P | PTE_W | PTE_U;
  write_cr3((uint32_t)pd);
  write_cr0(read_cr0() | CR0_PG);
  pic_init((uint8_t)~0x03u, 0xFF);
  pit_ch0(2, PIT_100HZ);
  sti();

  for (;;) {
    ring3_call(user_main, (uint32_t)user_stack + USER_STACK_BYTES);
    sti(); /* ring3_call comes back through INT 0x81's interrupt gate: IF clear */
    uint32_t page = FAULT_PAGE + (rounds % 64) * 4096;
    pt_low[page >> 22][(page >> 12) & 1023] = 0; /* unmap, flush, touch: a #PF */
    write_cr3((uint32_t)pd);
    *(volatile uint32_t *)page = rounds;
    invlpg((const volatile void *)page);
    rounds++;
    draw();
  }
}
