/* guests/kernel/pv.h - the paravirtualization layer: the one table of
 * operations through which the kernel does everything privileged.
 *
 * In the style of Linux's paravirt_ops: the core of the kernel (everything
 * outside arch/) never executes a privileged or IOPL-sensitive instruction
 * (cli, sti, hlt, in, out, lgdt, lidt, ltr, mov to or from CRn, invlpg,
 * wrmsr, rdtsc, a popf that changes IF, an iret to kernel mode) and never
 * writes a page-table entry: it calls an operation of `pv`. One arch
 * implements the table: arch/native/ with the instructions, on the bare PC;
 * arch/xen/ (issue 12) with hypercalls, as a Xen 32-bit PAE paravirtualized
 * guest in ring 1. The test tests/kernel/check_layering.c disassembles the
 * kernel and fails if a privileged instruction appears outside the arch
 * code (the linker script puts arch/ objects in sections of their own).
 *
 * What the table must allow, from Xen's PV ABI:
 * - The kernel may not run in ring 0: selectors come from the table
 *   (kernel_cs ...), and "came from user mode" is (cs & 3) == 3.
 * - Page-table entries hold machine frames under Xen: the core builds each
 *   entry from a pseudo-physical frame and flags with make_pte and reads
 *   frames back with pte_pfn; it reads entries directly but writes the
 *   entries of a page table only with set_pte/set_pmd/update_va.
 * - Page-table pages are read-only under Xen while they are in use (in a
 *   pinned tree): the core fills a new table while it is a plain page (a
 *   new address space's PDPT and its kernel page directory), then calls
 *   alloc_pt(as, pfn, level) before linking it in, and release_pt once
 *   nothing points to it, before the page is reused; `as` names the
 *   address space (the frame of its PDPT), as Linux's alloc_pte(mm, pfn).
 *   An address space is pinned (pin_mm) when it is first loaded, not
 *   before, and unpinned before teardown: until then its tables are the
 *   guest's to write (Linux's Xen code writes an unpinned tree, fork's
 *   copy, with plain stores and pins it when the child first runs).
 * - Bulk updates (fork's copy, exec's and exit's teardown, munmap,
 *   mprotect) are bracketed by lazy_mmu_begin/end so a hypervisor can batch
 *   them; until lazy_mmu_end the core must not rely on reading back what it
 *   wrote. Single updates of the current address space (a page fault, a COW
 *   break) use update_va, which can also flush that page.
 * - Traps are registered as a table {vector, dpl, mask, handler} (Xen's
 *   set_trap_table); int $0x80 has DPL 3 and does not mask interrupts, so
 *   Xen installs it directly in the IDT. The page-fault address comes from
 *   fault_address(). Entry and exit assembly lives in arch/.
 */
#ifndef KERNEL_PV_H
#define KERNEL_PV_H

#include <stddef.h>
#include <stdint.h>

/* ---- page-table entries (PAE: 64 bits at every level) ---------------------- */
typedef uint64_t pte_t;

#define PTE_P 0x001u     /* present */
#define PTE_W 0x002u     /* writable */
#define PTE_U 0x004u     /* user */
#define PTE_PWT 0x008u   /* write-through */
#define PTE_PCD 0x010u   /* cache disable */
#define PTE_A 0x020u     /* accessed */
#define PTE_D 0x040u     /* dirty */
#define PTE_PS 0x080u    /* 2 MiB page (in a page directory) */
#define PTE_G 0x100u     /* global */
#define PTE_PROTNONE 0x200u /* software: not present because PROT_NONE, frame kept */
#define PTE_FLAGS 0xFFFu

#define PT_ENTRIES 512   /* entries in a page table or page directory */
#define PDPT_ENTRIES 4

/* Indices of a virtual address at each level. */
static inline unsigned pdpt_index(uint32_t va) { return va >> 30; }
static inline unsigned pmd_index(uint32_t va) { return (va >> 21) & 511; }
static inline unsigned pte_index(uint32_t va) { return (va >> 12) & 511; }

/* ---- what an entry into the kernel saved ------------------------------------ */
/* The layout the entry code builds on the kernel stack (hardware frame at
 * the top; esp and ss only for an entry from user mode). Under Xen, bits
 * 16-23 of the cs slot hold the saved event mask: compare (cs & 3). */
struct trapframe {
  uint32_t gs, fs, es, ds;                          /* pushed by the entry code */
  uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax; /* pushal */
  uint32_t trapno; /* vector */
  uint32_t err;    /* error code; for int $0x80 the system-call number (orig_eax) */
  uint32_t eip, cs, eflags; /* hardware frame */
  uint32_t esp, ss;         /* only from user mode */
};

static inline int tf_from_user(const struct trapframe *tf) { return (tf->cs & 3) == 3; }

#define EFLAGS_CF 0x00000001u
#define EFLAGS_IF 0x00000200u
#define EFLAGS_TF 0x00000100u
#define EFLAGS_DF 0x00000400u
#define EFLAGS_USER_CHANGEABLE 0x00040DD5u /* AC OF DF TF SF ZF AF PF CF (Linux's FIX_EFLAGS without RF) */

/* ---- traps ------------------------------------------------------------------ */
typedef void (*trap_handler_fn)(struct trapframe *tf);

struct pv_trap {
  uint8_t vector;
  uint8_t dpl;           /* 3: may be raised by int n from user mode */
  uint8_t mask_irqs;     /* 1: interrupts off in the handler (interrupt gate) */
  trap_handler_fn handler;
};

/* ---- what the arch hands the core at boot ----------------------------------- */
#define BOOT_MAX_RANGES 16
#define BOOT_CMDLINE_MAX 512

struct boot_info {
  struct {
    uint32_t first_pfn, end_pfn; /* [first, end) free for the page allocator */
  } free[BOOT_MAX_RANGES];
  unsigned n_free;
  uint32_t max_pfn;          /* the direct map covers frames [0, max_pfn) */
  const uint8_t *initrd;     /* the initramfs (kernel virtual), or NULL */
  uint32_t initrd_bytes;
  uint32_t initrd_first_pfn, initrd_end_pfn; /* its frames, free after unpacking */
  pte_t *kernel_pmd;         /* master page directory of slot 3 (kernel half) */
  uint32_t kernel_pdpt_pfn;  /* the kernel-only address space (idle, exit) */
  char cmdline[BOOT_CMDLINE_MAX]; /* the kernel's arguments (no image path) */
};

/* ---- the table --------------------------------------------------------------- */
struct pv_ops {
  const char *name;               /* "native", "xen" */
  uint16_t kernel_cs, kernel_ds;  /* selectors */
  uint16_t user_cs, user_ds;

  /* page-table entries */
  pte_t (*make_pte)(uint32_t pfn, uint32_t flags);
  uint32_t (*pte_pfn)(pte_t pte);
  void (*set_pte)(pte_t *ptep, pte_t val);      /* a page table's entry */
  void (*set_pmd)(pte_t *pmdp, pte_t val);      /* a page directory's entry */
  /* one entry of the current address space; flush: drop va's old translation */
  void (*update_va)(pte_t *ptep, uint32_t va, pte_t val, int flush);
  /* pfn becomes a table of level 1-3 of address space `as` (its PDPT's
   * frame; for the PDPT itself, pfn == as) */
  void (*alloc_pt)(uint32_t as, uint32_t pfn, int level);
  void (*release_pt)(uint32_t as, uint32_t pfn, int level); /* a plain page again */
  void (*pin_mm)(uint32_t pdpt_pfn);            /* first loaded: its tree is in use */
  void (*unpin_mm)(uint32_t pdpt_pfn);          /* about to be torn down, not loaded */
  void (*lazy_mmu_begin)(void);
  void (*lazy_mmu_end)(void);

  /* TLB and address spaces */
  void (*flush_tlb_page)(uint32_t va);
  void (*flush_tlb_user)(void);   /* every non-global translation */
  void (*flush_tlb_all)(void);
  void (*switch_mm)(uint32_t pdpt_pfn);
  void (*set_kernel_stack)(uint32_t esp0); /* stack for entries from user mode */
  uint32_t (*fault_address)(void);         /* CR2 of the current page fault */

  /* traps and interrupts. set_trap_table installs the core's handlers;
   * vectors the platform keeps for itself (Xen: NMI, double fault, machine
   * check) are the arch's to leave out. User x87 instructions must fault
   * with #NM (there is no FPU for programs): natively CR0.EM is set; under
   * Xen, CR0.TS kept set (fpu_taskswitch) does it. */
  void (*set_trap_table)(const struct pv_trap *traps, unsigned n);
  void (*irq_disable)(void);
  void (*irq_enable)(void);
  unsigned long (*irq_save)(void);         /* disable, return the old state */
  void (*irq_restore)(unsigned long flags);
  void (*safe_halt)(void);                 /* enable and wait for an interrupt */
  void (*timer_start)(unsigned hz, trap_handler_fn tick);
  void (*console_rx_start)(void (*rx)(void)); /* call rx when input arrives */
  uint64_t (*read_cycles)(void);

  /* console, power, reporting */
  void (*console_write)(const char *s, size_t n);
  int (*console_getc)(void);               /* a byte of input, or -1 */
  __attribute__((noreturn)) void (*power_off)(int status);  /* ends the machine with status */
  /* a ringlab ops-port request; names and texts by kernel virtual address.
   * Returns the port's STATUS, or -ENODEV without an ops port. */
  int (*report)(uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3);

  /* leave the kernel through tf (a new process's first return to user) */
  __attribute__((noreturn)) void (*return_to_user)(struct trapframe *tf);
};

extern struct pv_ops pv;

/* ---- the core's entry points, called by the arch ------------------------------ */
/* After the arch has set up its table, the direct map and the console. */
__attribute__((noreturn)) void kern_start(struct boot_info *bi);
/* Before every return to user mode (interrupts enabled on entry, disabled
 * on return): reschedule, deliver signals. */
void kern_exit_to_user(struct trapframe *tf);

#endif
