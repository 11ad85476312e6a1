/* tests/guests/stack16/stack16.c - 32-bit operands on a 16-bit stack
 * (SS.B = 0) in protected mode: only SP moves, the upper half of ESP stays,
 * and every value has the operand size (SDM vol. 2, ENTER, LEAVE, PUSHA,
 * PUSH, POP). ENTER's frame pointer is all of ESP after the push of EBP
 * (FrameTemp := ESP), for EBP and for the nesting level's push; LEAVE
 * loads all of EBP and sets SP alone; PUSHAD pushes all of ESP.
 *
 * Both runners: QEMU 7.2 agrees. Before issue 13 ringlab cut ENTER's frame
 * pointer to SP (EBP = 0x00007FFC here).
 */
#include "x86.h"

#define IDX_STACK16 6
#define SEL_STACK16 (IDX_STACK16 << 3)

static uint8_t stack16[65536] __attribute__((aligned(65536)));
static volatile uint32_t saved_esp, saved_ss;
static volatile uint32_t after_enter_ebp, after_enter_esp, after_leave_ebp, after_leave_esp;
static volatile uint32_t nested_ebp, nested_esp, pushad_esp;

static uint32_t at(uint32_t off) {
  uint32_t v;
  __builtin_memcpy(&v, stack16 + off, 4);
  return v;
}

void kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  serial_init();
  desc_init();
  kprintf("stack16: o32 enter, leave, pushad on a 16-bit stack\n");
  gdt_set_segment(IDX_STACK16, (uint32_t)stack16, 0xFFFF, SEG_P | SEG_S | SEG_WRITE, 0); /* B = 0 */
  *(volatile uint32_t *)(stack16 + 0x6FFC) = 0x22334455u; /* the display entry at BP - 4 */
  __asm__ volatile("cli\n\t"
                   "movl %%esp, saved_esp\n\t"
                   "movl %%ss, %%eax\n\t"
                   "movl %%eax, saved_ss\n\t"
                   "movl %0, %%eax\n\t"
                   "movl %%eax, %%ss\n\t"
                   "movl $0xABCD8000, %%esp\n\t"
                   "movl $0x11117000, %%ebp\n\t"
                   "enter $8, $0\n\t"
                   "movl %%ebp, after_enter_ebp\n\t"
                   "movl %%esp, after_enter_esp\n\t"
                   "leave\n\t"
                   "movl %%ebp, after_leave_ebp\n\t"
                   "movl %%esp, after_leave_esp\n\t"
                   "enter $0, $2\n\t"
                   "movl %%ebp, nested_ebp\n\t"
                   "movl %%esp, nested_esp\n\t"
                   "movl $0x5678A000, %%esp\n\t"
                   "pushal\n\t"
                   "movl %%esp, pushad_esp\n\t"
                   "movl saved_ss, %%eax\n\t"
                   "movl %%eax, %%ss\n\t"
                   "movl saved_esp, %%esp\n\t"
                   :
                   : "i"(SEL_STACK16)
                   : "eax", "ebp", "memory", "cc");
  check_eq("o32 enter: EBP = all of ESP after the push", after_enter_ebp, 0xABCD7FFCu);
  check_eq("o32 enter: only SP moved", after_enter_esp, 0xABCD7FF4u);
  check_eq("o32 enter: the old EBP pushed as a dword", at(0x7FFC), 0x11117000u);
  check_eq("o32 leave: all of EBP popped", after_leave_ebp, 0x11117000u);
  check_eq("o32 leave: SP = BP + 4, upper half kept", after_leave_esp, 0xABCD8000u);
  check_eq("o32 enter level 2: EBP = all of ESP", nested_ebp, 0xABCD7FFCu);
  check_eq("o32 enter level 2: only SP moved", nested_esp, 0xABCD7FF4u);
  check_eq("o32 enter level 2: the display entry copied", at(0x7FF8), 0x22334455u);
  check_eq("o32 enter level 2: the frame pointer pushed whole", at(0x7FF4), 0xABCD7FFCu);
  check_eq("o32 pushad: only SP moved", pushad_esp, 0x56789FE0u);
  check_eq("o32 pushad: all of ESP pushed", at(0x9FEC), 0x5678A000u); /* after EAX ECX EDX EBX */
  check_done("stack16");
}
