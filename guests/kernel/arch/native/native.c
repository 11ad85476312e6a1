/* arch/native/native.c - the paravirtualization layer on the bare PC: each
 * operation of struct pv_ops (pv.h) done with the instructions themselves,
 * and native_start, which the boot code calls at the kernel's virtual
 * addresses.
 *
 * Boot: the direct map is the master page directory kernel_pmd, whose
 * entries map RAM from PAGE_OFFSET with global 2 MiB pages (as a 686-pae
 * Linux does), accessed and dirty preset so the CPU never writes them; the
 * kernel-only address space kernel_pdpt has kernel_pmd in slot 3 and
 * nothing below. Loading it drops the boot code's low identity mapping.
 */
#include "native.h"

#include <asm-generic/errno.h>

#include "ringlab_ops.h"

#define CR4_PGE 0x00000080u
#define EXIT_PORT 0xF4 /* QEMU's isa-debug-exit */

static pte_t kernel_pmd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static pte_t kernel_pdpt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static struct boot_info boot_info;
static int ops_port_present;
static trap_handler_fn trap_handlers[256];
static trap_handler_fn irq_handlers[16];

/* ---- page-table entries ------------------------------------------------------ */
static pte_t native_make_pte(uint32_t pfn, uint32_t flags) { return ((pte_t)pfn << PAGE_SHIFT) | flags; }

static uint32_t native_pte_pfn(pte_t pte) { return (uint32_t)(pte >> PAGE_SHIFT) & 0x00FFFFFFu; }

/* A 64-bit entry is two 32-bit writes: the half holding the present bit
 * goes last when an entry appears and first when it goes away, so the CPU
 * never walks through a half-written present entry. */
static void write_entry(pte_t *p, pte_t v) {
  volatile uint32_t *w = (volatile uint32_t *)p;
  if (v & PTE_P) {
    w[1] = (uint32_t)(v >> 32);
    w[0] = (uint32_t)v;
  } else {
    w[0] = (uint32_t)v;
    w[1] = (uint32_t)(v >> 32);
  }
}

static void native_flush_tlb_page(uint32_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

static void native_update_va(pte_t *ptep, uint32_t va, pte_t v, int flush) {
  write_entry(ptep, v);
  if (flush)
    native_flush_tlb_page(va);
}

static void native_nop_pt(uint32_t as, uint32_t pfn, int level) {
  UNUSED(as);
  UNUSED(pfn);
  UNUSED(level);
}
static void native_nop_mm(uint32_t pfn) { UNUSED(pfn); }
static void native_nop(void) {}

/* ---- TLB and address spaces ---------------------------------------------------- */
static uint32_t read_cr3(void) {
  uint32_t v;
  __asm__ volatile("movl %%cr3, %0" : "=r"(v));
  return v;
}

static void native_flush_tlb_user(void) { __asm__ volatile("movl %0, %%cr3" : : "r"(read_cr3()) : "memory"); }

static void native_flush_tlb_all(void) {
  uint32_t cr4;
  __asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("movl %0, %%cr4; movl %1, %%cr4" : : "r"(cr4 & ~CR4_PGE), "r"(cr4) : "memory");
}

static void native_switch_mm(uint32_t pdpt_pfn) {
  __asm__ volatile("movl %0, %%cr3" : : "r"(pdpt_pfn << PAGE_SHIFT) : "memory");
}

static uint32_t native_fault_address(void) {
  uint32_t v;
  __asm__ volatile("movl %%cr2, %0" : "=r"(v));
  return v;
}

/* ---- traps and interrupts -------------------------------------------------------- */
static void native_set_trap_table(const struct pv_trap *traps, unsigned n) {
  for (unsigned k = 0; k < n; k++) {
    unsigned v = traps[k].vector;
    if (!native_trap_stubs[v] || (v >= IRQ_BASE && v < IRQ_BASE + 16))
      panic("native: no entry stub for vector %u", v);
    trap_handlers[v] = traps[k].handler;
    native_set_gate(v, native_trap_stubs[v], traps[k].dpl, !traps[k].mask_irqs);
  }
}

void native_irq_handler(unsigned irq, trap_handler_fn fn) {
  irq_handlers[irq] = fn;
  native_set_gate(IRQ_BASE + irq, native_trap_stubs[IRQ_BASE + irq], 0, 0);
  native_pic_unmask(irq);
}

void native_trap(struct trapframe *tf) {
  uint32_t v = tf->trapno;
  if (v >= IRQ_BASE && v < IRQ_BASE + 16) {
    unsigned irq = v - IRQ_BASE;
    native_pic_eoi(irq);
    if (irq_handlers[irq])
      irq_handlers[irq](tf);
  } else if (trap_handlers[v]) {
    trap_handlers[v](tf);
  } else {
    panic("native: trap %u with no handler at %#x:%#x", v, tf->cs, tf->eip);
  }
  if (tf_from_user(tf))
    kern_exit_to_user(tf);
}

static void native_irq_disable(void) { __asm__ volatile("cli" : : : "memory"); }
static void native_irq_enable(void) { __asm__ volatile("sti" : : : "memory"); }

static unsigned long native_irq_save(void) {
  unsigned long f;
  __asm__ volatile("pushfl; popl %0; cli" : "=r"(f) : : "memory");
  return f;
}

static void native_irq_restore(unsigned long f) {
  __asm__ volatile("pushl %0; popfl" : : "r"(f) : "memory", "cc");
}

static void native_safe_halt(void) { __asm__ volatile("sti; hlt" : : : "memory"); }

static void native_timer_start(unsigned hz, trap_handler_fn tick) {
  native_irq_handler(IRQ_TIMER, tick);
  native_pit_start(hz);
}

static void (*console_rx_fn)(void);

static void native_com1_irq(struct trapframe *tf) {
  UNUSED(tf);
  if (console_rx_fn)
    console_rx_fn();
}

static void native_console_rx_start(void (*rx)(void)) {
  console_rx_fn = rx;
  native_irq_handler(IRQ_COM1, native_com1_irq);
  native_serial_rx_enable();
}

static uint64_t native_read_cycles(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

/* ---- console, power, reporting ------------------------------------------------------ */
static __attribute__((noreturn)) void native_power_off(int status) {
  __asm__ volatile("cli");
  if (ops_port_present)
    ringlab_exit((uint32_t)status);
  outb(EXIT_PORT, (uint8_t)status);
  for (;;)
    __asm__ volatile("cli; hlt");
}

static int native_report(uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  if (!ops_port_present)
    return -ENODEV;
  switch (op) {
  case RINGLAB_OP_REGION_BEGIN:
  case RINGLAB_OP_REGION_END:
  case RINGLAB_OP_RESULT:
  case RINGLAB_OP_ANNOTATE:
    a0 = virt_to_phys((const void *)a0); /* the port reads physical memory */
    break;
  default:
    break;
  }
  return (int)ringlab_op(op, a0, a1, a2, a3);
}

struct pv_ops pv;

static const struct pv_ops native_ops = {
    .name = "native",
    .kernel_cs = SEL_KCODE,
    .kernel_ds = SEL_KDATA,
    .user_cs = SEL_UCODE,
    .user_ds = SEL_UDATA,
    .make_pte = native_make_pte,
    .pte_pfn = native_pte_pfn,
    .set_pte = write_entry,
    .set_pmd = write_entry,
    .update_va = native_update_va,
    .alloc_pt = native_nop_pt,
    .release_pt = native_nop_pt,
    .pin_mm = native_nop_mm,
    .unpin_mm = native_nop_mm,
    .lazy_mmu_begin = native_nop,
    .lazy_mmu_end = native_nop,
    .flush_tlb_page = native_flush_tlb_page,
    .flush_tlb_user = native_flush_tlb_user,
    .flush_tlb_all = native_flush_tlb_all,
    .switch_mm = native_switch_mm,
    .set_kernel_stack = native_tss_set_esp0,
    .fault_address = native_fault_address,
    .set_trap_table = native_set_trap_table,
    .irq_disable = native_irq_disable,
    .irq_enable = native_irq_enable,
    .irq_save = native_irq_save,
    .irq_restore = native_irq_restore,
    .safe_halt = native_safe_halt,
    .timer_start = native_timer_start,
    .console_rx_start = native_console_rx_start,
    .read_cycles = native_read_cycles,
    .console_write = native_serial_write,
    .console_getc = native_serial_getc,
    .power_off = native_power_off,
    .report = native_report,
    .return_to_user = native_return_to_user,
};

/* Whether the command line holds word (the arch's own options). */
static int cmdline_has(const char *line, const char *word) {
  size_t n = strlen(word);
  for (const char *p = line; (p = strstr(p, word)) != NULL; p += n)
    if ((p == line || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
      return 1;
  return 0;
}

/* Called by boot.S on the boot stack, paging on (the boot map), IF = 0. */
__attribute__((noreturn)) void native_start(uint32_t magic, uint32_t info_phys);
__attribute__((noreturn)) void native_start(uint32_t magic, uint32_t info_phys) {
  pv = native_ops;
  native_serial_init();
  ops_port_present = ringlab_ops_present();
  native_multiboot_parse(magic, info_phys, &boot_info);

  /* the direct map: global 2 MiB pages over [0, max_pfn) */
  uint32_t n = ALIGN_UP(boot_info.max_pfn, PT_ENTRIES) / PT_ENTRIES;
  for (uint32_t k = 0; k < n; k++)
    kernel_pmd[k] = native_make_pte(k * PT_ENTRIES, PTE_P | PTE_W | PTE_PS | PTE_G | PTE_A | PTE_D);
  kernel_pdpt[3] = native_make_pte(virt_to_pfn(kernel_pmd), PTE_P);
  uint32_t cr4;
  __asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("movl %0, %%cr4" : : "r"(cr4 | CR4_PGE));
  native_switch_mm(virt_to_pfn(kernel_pdpt));
  boot_info.kernel_pmd = kernel_pmd;
  boot_info.kernel_pdpt_pfn = virt_to_pfn(kernel_pdpt);

  native_desc_init();
  native_pic_init();
  for (unsigned irq = 0; irq < 16; irq++) /* masked lines still get a gate: a spurious IRQ 7 or 15 is ignored */
    native_set_gate(IRQ_BASE + irq, native_trap_stubs[IRQ_BASE + irq], 0, 0);
  if (cmdline_has(boot_info.cmdline, "pvcheck"))
    native_check_start(&boot_info);
  kern_start(&boot_info);
}
