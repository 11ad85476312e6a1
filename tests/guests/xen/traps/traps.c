/* tests/guests/xen/traps - exceptions bounced to the guest's handlers with
 * Xen's frame (error codes, the fault address in vcpu_info.arch.cr2, the
 * saved upcall mask in bits 16-23 of the CS slot and EFLAGS.IF = !mask),
 * software interrupts by their trap_info DPL, privileged instructions
 * (emulated or bounced), the forced-emulation CPUID, the iret hypercall,
 * the direct system-call gate from ring 3, stack_switch, fpu_taskswitch
 * and #NM, the failsafe callback, and the trap hypercalls' errors. */
#include "pv.h"

#include <xen/physdev.h>

extern char user_page[], user_syscalls[], user_privileged[];
extern uint32_t syscall_count, syscall_last_eax, user_eflags;
void enter_user(void *entry, void *stack_top);
void back_to_kernel(void);
void syscall_entry(void);

static uint8_t user_stack[4096] __attribute__((aligned(4096)));
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));

static struct {
  uint32_t n, vector, error, eip, cs, eflags, esp, ss, cr2;
} last;
static uint32_t skip; /* bytes to skip after the faulting instruction */

void pv_trap(struct pv_regs *r) {
  last.n++;
  last.vector = r->vector;
  last.error = r->error;
  last.eip = r->eip;
  last.cs = r->cs;
  last.eflags = r->eflags;
  last.cr2 = pv_shared ? pv_shared->vcpu_info[0].arch.cr2 : 0;
  if ((r->cs & 3) == 3) {
    last.esp = r->esp;
    last.ss = r->ss;
  }
  if (r->vector == 7 || r->vector == 3) /* #NM: retry (TS now clear); int3: a trap, EIP is past it */
    return;
  r->eip += skip;
}

#define TRAP(insn, nbytes)                                  \
  do {                                                      \
    skip = (nbytes);                                        \
    last.n = 0;                                             \
    __asm__ volatile(insn ::: "memory", "eax", "ecx", "edx"); \
  } while (0)

static void test_exceptions(void) {
  /* #DE with events masked (as at boot): saved mask 1, IF clear. */
  pv_shared->vcpu_info[0].evtchn_upcall_mask = 1;
  TRAP("xorl %%ecx, %%ecx; xorl %%edx, %%edx; movl $1, %%eax; 1: divl %%ecx", 2);
  PV_EXPECT(last.n, 1);
  PV_EXPECT(last.vector, 0);
  PV_EXPECT(last.cs & 0xFFFF, FLAT_KERNEL_CS);
  PV_EXPECT((last.cs >> 16) & 0xFF, 1);
  PV_EXPECT(last.eflags & 0x200, 0);
  /* Events unmasked: saved mask 0, IF set; the bounce leaves them unmasked
   * (the trap_info entry does not ask for masking). */
  pv_shared->vcpu_info[0].evtchn_upcall_mask = 0;
  TRAP("xorl %%ecx, %%ecx; xorl %%edx, %%edx; movl $1, %%eax; divl %%ecx", 2);
  PV_EXPECT((last.cs >> 16) & 0xFF, 0);
  PV_EXPECT(last.eflags & 0x200, 0x200);
  PV_EXPECT(pv_shared->vcpu_info[0].evtchn_upcall_mask, 0);

  /* #PF: a read of an unmapped address; cr2 in the vcpu_info. */
  TRAP("movl 0x1000, %%eax", 5);
  PV_EXPECT(last.vector, 14);
  PV_EXPECT(last.error, 0);
  PV_EXPECT(last.cr2, 0x1000);
  /* #PF: a write to our own page table, mapped read-only (no writable
   * page-table assist): error code P|W. */
  uint32_t pt = pv_si->pt_base;
  skip = 2;
  last.n = 0;
  __asm__ volatile("movl %%eax, (%0)" : : "r"(pt + 64) : "memory");
  PV_EXPECT(last.n, 1);
  PV_EXPECT(last.vector, 14);
  PV_EXPECT(last.error, 3);
  PV_EXPECT(last.cr2, pt + 64);

  /* #GP: a selector past the GDT's reach (no guest GDT: entry 0x246 is in
   * the zero pages) loaded into DS. */
  TRAP("movl $0x1230, %%eax; movl %%eax, %%ds", 2);
  PV_EXPECT(last.vector, 13);
  PV_EXPECT(last.error, 0x1230);
  /* The hypervisor's ring-0 code segment: #GP as well. */
  TRAP("movl $0xe008, %%eax; movl %%eax, %%ds", 2);
  PV_EXPECT(last.vector, 13);
  PV_EXPECT(last.error, 0xe008);

  /* int3: vector 3, EIP after the instruction (a trap). */
  TRAP("int3", 0);
  PV_EXPECT(last.vector, 3);

  /* INT n with no trap_info entry: the hypervisor's DPL-0 gate faults and
   * the #GP (IDT error code) is bounced. */
  TRAP("int $0x40", 2);
  PV_EXPECT(last.vector, 13);
  PV_EXPECT(last.error, (0x40 << 3) | 2);

  /* CLI in ring 1 (IOPL 0): #GP(0), not emulated. */
  TRAP("cli", 1);
  PV_EXPECT(last.vector, 13);
  PV_EXPECT(last.error, 0);
}

static void test_softint_dpl(void) {
  struct trap_info t[2] = {{.vector = 0x40, .flags = 1, .cs = FLAT_KERNEL_CS, .address = pv_trap_stubs[0x40]},
                           {0, 0, 0, 0}};
  PV_EXPECT(HYPERVISOR_set_trap_table(t), 0);
  TRAP("int $0x40", 0);
  PV_EXPECT(last.vector, 0x40);
  PV_EXPECT(last.error, 0);
}

static void test_privileged(void) {
  uint32_t cr0, cr3;
  /* MOV from CR3: the base pointer, emulated. */
  __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
  PV_EXPECT(xen_cr3_to_pfn(cr3), pv_virt_to_mfn((void *)pv_si->pt_base));
  /* fpu_taskswitch and the virtual TS seen through MOV from CR0. */
  PV_EXPECT(HYPERVISOR_fpu_taskswitch(1), 0);
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  PV_EXPECT(cr0 & 8, 8);
  /* An x87 instruction with TS set: #NM bounced, then it runs. */
  last.n = 0;
  skip = 0;
  __asm__ volatile("fninit" ::: "memory");
  PV_EXPECT(last.n, 1);
  PV_EXPECT(last.vector, 7);
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  PV_EXPECT(cr0 & 8, 0);
  /* CLTS after fpu_taskswitch(1): emulated, no bounce. */
  HYPERVISOR_fpu_taskswitch(1);
  last.n = 0;
  __asm__ volatile("clts");
  PV_EXPECT(last.n, 0);
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  PV_EXPECT(cr0 & 8, 0);
  /* Port I/O without I/O privilege: bounced #GP(0). */
  TRAP("inb $0x61, %%al", 2);
  PV_EXPECT(last.vector, 13);
  /* The forced-emulation CPUID: leaf 1 without PSE, PGE, VME, DE. */
  uint32_t a = 1, b, c = 0, d;
  __asm__ volatile(".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e; cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  PV_EXPECT(d & ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 13)), 0);
  uint32_t na = 1, nb, nc = 0, nd;
  __asm__ volatile("cpuid" : "+a"(na), "=b"(nb), "+c"(nc), "=d"(nd));
  PV_EXPECT(nd & (1u << 0), d & (1u << 0)); /* FPU passes through */
  /* SSE2's fences (GRUB's mb() is MFENCE): they run, never bounced, on a
   * processor without them too (ringlab's Pentium II: the hypervisor
   * finishes their #UD); every register form (0F AE E8-FF). UD2 still
   * bounces. */
  TRAP("mfence", 3);
  PV_EXPECT(last.n, 0);
  TRAP("lfence", 3);
  PV_EXPECT(last.n, 0);
  TRAP("sfence", 3);
  PV_EXPECT(last.n, 0);
  TRAP(".byte 0x0f, 0xae, 0xf5", 3);
  PV_EXPECT(last.n, 0);
  TRAP("ud2", 2);
  PV_EXPECT(last.n, 1);
  PV_EXPECT(last.vector, 6);
}

/* The iret hypercall within ring 1: EAX, EIP, CS, EFLAGS from the stack,
 * the upcall mask from EFLAGS.IF. */
static void test_iret_hypercall(void) {
  uint32_t out_eax = 0;
  pv_shared->vcpu_info[0].evtchn_upcall_mask = 0;
  __asm__ volatile("pushfl\n\t"
                   "andl $~0x200, (%%esp)\n\t" /* IF = 0: events masked after */
                   "pushl %[cs]\n\t"
                   "pushl $1f\n\t"
                   "movl $0x12345678, %%eax\n\t"
                   "pushl %%eax\n\t"
                   "movl $0xdead, %%eax\n\t"
                   "jmp hypercall_page + 23 * 32 + 1\n" /* after the stub's own push */
                   "1:\n\t"
                   : "=a"(out_eax)
                   : [cs] "i"(FLAT_KERNEL_CS)
                   : "memory");
  PV_EXPECT(out_eax, 0x12345678);
  PV_EXPECT(pv_shared->vcpu_info[0].evtchn_upcall_mask, 1);
  pv_shared->vcpu_info[0].evtchn_upcall_mask = 0;
}

static void test_user_mode(void) {
  /* User pages: the code page and the stack, US set. */
  uint64_t pte = pv_read_pte((uint32_t)user_page);
  PV_EXPECT(HYPERVISOR_update_va_mapping((uint32_t)user_page, pte | PTE_US, UVMF_INVLPG), 0);
  pte = pv_read_pte((uint32_t)user_stack);
  PV_EXPECT(HYPERVISOR_update_va_mapping((uint32_t)user_stack, pte | PTE_US, UVMF_INVLPG), 0);
  PV_EXPECT(HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (uint32_t)(kernel_stack + sizeof kernel_stack)), 0);
  /* 0x80: DPL 3, events not masked: the direct gate. 0x81: DPL 3 with
   * events masked: through the hypervisor. */
  struct trap_info t[3] = {
      {.vector = 0x80, .flags = 3, .cs = FLAT_KERNEL_CS, .address = (unsigned long)syscall_entry},
      {.vector = 0x81, .flags = 3 | 4, .cs = FLAT_KERNEL_CS, .address = (unsigned long)back_to_kernel},
      {0, 0, 0, 0}};
  PV_EXPECT(HYPERVISOR_set_trap_table(t), 0);
  syscall_count = 0;
  enter_user(user_syscalls, user_stack + sizeof user_stack);
  PV_EXPECT(syscall_count, 1000);
  PV_EXPECT(syscall_last_eax, 1);
  /* int $0x81 masked events (TI_IF): unmask again. */
  PV_EXPECT(pv_shared->vcpu_info[0].evtchn_upcall_mask, 1);
  pv_shared->vcpu_info[0].evtchn_upcall_mask = 0;
  /* Ring 3: CLI bounced as #GP with the ring-3 frame (ESP, SS), int3. */
  last.n = 0;
  skip = 1;
  enter_user(user_privileged, user_stack + sizeof user_stack);
  PV_EXPECT(last.n, 2);
  PV_EXPECT(last.vector, 3); /* the int3 after the cli */
  PV_EXPECT(last.ss, FLAT_USER_SS);
  PV_EXPECT(last.cs & 3, 3);
  pv_shared->vcpu_info[0].evtchn_upcall_mask = 0;
}

/* The failsafe callback: a data selector that turns bad while loaded in
 * FS; the hypervisor's reload of FS on the way back faults. */
static void test_failsafe(void) {
  static uint64_t gdt[512] __attribute__((aligned(4096)));
  /* Entry 2: flat ring-1 data. The page becomes a descriptor page: map it
   * read-only first. */
  gdt[2] = 0x00cfb2000000ffffull;
  uint64_t pte = pv_read_pte((uint32_t)gdt);
  PV_EXPECT(HYPERVISOR_update_va_mapping((uint32_t)gdt, pte & ~PTE_RW, UVMF_INVLPG), 0);
  uint32_t frame = pv_virt_to_mfn(gdt);
  PV_EXPECT(HYPERVISOR_set_gdt(&frame, 512), 0);
  uint16_t sel = (2 << 3) | 1;
  __asm__ volatile("movw %0, %%fs" : : "r"(sel));
  /* The descriptor becomes not present (update_descriptor accepts that). */
  uint64_t np = 0x00cf32000000ffffull;
  pv_failsafe_count = 0;
  PV_EXPECT(HYPERVISOR_update_descriptor(pv_virt_to_machine(&gdt[2]), np), 0);
  /* The return from that hypercall reloaded FS: failsafe with the old FS. */
  PV_EXPECT(pv_failsafe_count, 1);
  PV_EXPECT(pv_failsafe_segs[2], sel);
}

static void test_errors(void) {
  /* A handler in a hypervisor segment: refused. */
  struct trap_info bad[2] = {{.vector = 0x41, .flags = 0, .cs = 0xe008, .address = 0x1000}, {0, 0, 0, 0}};
  PV_EXPECT(HYPERVISOR_set_trap_table(bad), -EPERM);
  PV_EXPECT(HYPERVISOR_set_trap_table((struct trap_info *)0x1000), -EFAULT);
  PV_EXPECT(HYPERVISOR_set_trap_table((struct trap_info *)0xF8100000), -EFAULT);
  /* callback_op: event and failsafe cannot be unregistered; unknown type. */
  struct callback_unregister u = {.type = CALLBACKTYPE_event};
  PV_EXPECT(HYPERVISOR_callback_op(CALLBACKOP_unregister, &u), -EINVAL);
  struct callback_register r = {.type = 99, .flags = 0, .address = {FLAT_KERNEL_CS, 0}};
  PV_EXPECT(HYPERVISOR_callback_op(CALLBACKOP_register, &r), -ENOSYS);
  PV_EXPECT(HYPERVISOR_callback_op(7, &r), -ENOSYS);
  r.type = CALLBACKTYPE_failsafe;
  r.address.eip = (unsigned long)pv_failsafe_entry;
  PV_EXPECT(HYPERVISOR_callback_op(CALLBACKOP_register, &r), 0);
  /* physdev_op: set_iopl range, unknown command. */
  struct physdev_set_iopl io = {.iopl = 4};
  PV_EXPECT(HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &io), -EINVAL);
  PV_EXPECT(HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, (void *)0x10), -EFAULT);
  PV_EXPECT(HYPERVISOR_physdev_op(1000, &io), -ENOSYS);
}

void test_main(void) {
  pv_map_shared_info();
  pv_install_traps();
  test_exceptions();
  test_softint_dpl();
  test_privileged();
  test_iret_hypercall();
  test_user_mode();
  test_failsafe();
  test_errors();
  if (pv_failures == 0)
    pv_puts("xen_traps: PASS\n");
}
