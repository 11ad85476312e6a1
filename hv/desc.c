/* hv/desc.c - the descriptor tables: Xen's reserved GDT page, the IDT, the
 * TSS, and the check every guest descriptor passes (set_gdt,
 * update_descriptor, LDT pages).
 *
 * The CPU's GDT is a 15-page window at HV_GDT_VIRT in the per-domain area:
 * pages 0-13 are the running domain's GDT frames (set_gdt) or a zero page,
 * page 14 is the hypervisor's own (entries 7168-7679: FIRST_RESERVED_GDT_
 * ENTRY), so the selectors of Xen's ABI (FLAT_RING1_CS 0xe019 ...) mean
 * the same in every domain. The flat ring-1 and ring-3 segments end at
 * GUEST_SEGMENT_MAX_ADDR (0xF6800000, the end of the read-only M2P), as
 * 32-bit PAE Xen's do: a guest reaches the M2P table and nothing above.
 *
 * hv_check_descriptor follows 32-bit Xen's check_descriptor rule by rule
 * (see its comments); what it refuses, set_gdt and update_descriptor
 * refuse with -EINVAL.
 */
#include "hv-internal.h"

/* Descriptor high-word fields (struct hv_desc.b) */
#define SEG_TYPE (15u << 8)
#define SEG_WR (1u << 9)
#define SEG_EC (1u << 10)   /* expand-down (data) / conforming (code) */
#define SEG_CODE (1u << 11) /* code, for S=1 */
#define SEG_S (1u << 12)    /* code or data (not system) */
#define SEG_DPL (3u << 13)
#define SEG_P (1u << 15)
#define SEG_G (1u << 23)
#define GUEST_KERNEL_RPL 1

struct hv_desc hv_gdt_page[512] __attribute__((aligned(4096))); /* entries 7168-7679 */
struct hv_desc hv_idt[256] __attribute__((aligned(8)));
static uint8_t zero_page[4096] __attribute__((aligned(4096)));
static hv_pte_t idle_perdomain_l1[512] __attribute__((aligned(4096)));

/* The 32-bit TSS; no I/O bitmap (iomap_base past the limit). */
static struct {
  uint16_t link, r0;
  uint32_t esp0;
  uint16_t ss0, r1;
  uint32_t esp1;
  uint16_t ss1, r2;
  uint32_t esp2;
  uint16_t ss2, r3;
  uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
  uint16_t trap, iomap_base;
} hv_tss __attribute__((aligned(128)));

extern const uint32_t hv_stub_table[256];
extern char hv_stack_top[];
extern hv_pte_t hv_l2[512];

static struct hv_desc seg(uint32_t base, uint32_t limit, uint32_t type_dpl_s_p, uint32_t flags) {
  struct hv_desc d;
  d.a = (base << 16) | (limit & 0xFFFF);
  d.b = (base & 0xFF000000u) | ((base >> 16) & 0xFF) | (limit & 0xF0000u) | type_dpl_s_p | flags;
  return d;
}

static void gate(uint32_t vector, uint32_t sel, uint32_t off, uint32_t type, uint32_t dpl) {
  hv_idt[vector].a = (sel << 16) | (off & 0xFFFF);
  hv_idt[vector].b = (off & 0xFFFF0000u) | SEG_P | (dpl << 13) | (type << 8);
}

#define GATE_INTR 0xE
#define GATE_TRAP 0xF
#define FLAT_G_D ((1u << 23) | (1u << 22))
#define GUEST_LIMIT ((HV_GUEST_SEG_END >> 12) - 1) /* 0xF67FF pages */

/* The per-domain L1 of the idle address space: GDT pages 0-13 zero. */
void hv_perdomain_fill(hv_pte_t *l1, const uint32_t *gdt_mfns, uint32_t n_gdt) {
  hv_pte_t zero = (hv_pte_t)hv_virt_to_phys(zero_page) | PTE_P | PTE_A;
  for (uint32_t k = 0; k < 14; k++)
    l1[k] = k < n_gdt ? ((hv_pte_t)gdt_mfns[k] << HV_PAGE_SHIFT) | PTE_P | PTE_RW | PTE_A | PTE_D : zero;
  l1[14] = (hv_pte_t)hv_virt_to_phys(hv_gdt_page) | PTE_P | PTE_RW | PTE_A | PTE_D;
  l1[15] = zero;
}

void hv_desc_init(void) {
  /* Xen's reserved entries (selector >> 3) - 7168. */
  hv_gdt_page[1] = seg(0, 0xFFFFF, SEG_P | SEG_S | SEG_CODE | 0xA00, FLAT_G_D);        /* 0xe008 */
  hv_gdt_page[2] = seg(0, 0xFFFFF, SEG_P | SEG_S | 0x200, FLAT_G_D);                   /* 0xe010 */
  hv_gdt_page[3] = seg(0, GUEST_LIMIT, SEG_P | SEG_S | SEG_CODE | 0xA00 | (1u << 13), FLAT_G_D); /* 0xe019 */
  hv_gdt_page[4] = seg(0, GUEST_LIMIT, SEG_P | SEG_S | 0x200 | (1u << 13), FLAT_G_D);  /* 0xe021 */
  hv_gdt_page[5] = seg(0, GUEST_LIMIT, SEG_P | SEG_S | SEG_CODE | 0xA00 | (3u << 13), FLAT_G_D); /* 0xe02b */
  hv_gdt_page[6] = seg(0, GUEST_LIMIT, SEG_P | SEG_S | 0x200 | (3u << 13), FLAT_G_D);  /* 0xe033 */
  hv_gdt_page[(HV_TSS_SEL >> 3) - HV_GDT_FIRST_RESERVED] =
      seg((uint32_t)&hv_tss, sizeof hv_tss - 1, SEG_P | (0x9u << 8), 0);

  hv_tss.ss0 = HV_DS;
  hv_tss.esp0 = (uint32_t)hv_stack_top;
  hv_tss.iomap_base = sizeof hv_tss; /* no bitmap: ring 1 and 3 I/O faults */

  for (uint32_t v = 0; v < 256; v++)
    gate(v, HV_CS, hv_stub_table[v], GATE_INTR, 0);
  gate(3, HV_CS, hv_stub_table[3], GATE_INTR, 3);  /* int3 from any ring */
  gate(4, HV_CS, hv_stub_table[4], GATE_INTR, 3);  /* into */
  gate(HV_HYPERCALL_VECTOR, HV_CS, hv_stub_table[HV_HYPERCALL_VECTOR], GATE_INTR, 1);

  hv_perdomain_fill(idle_perdomain_l1, NULL, 0);
  hv_l2[HV_PERDOMAIN_L2_SLOT] = (hv_pte_t)hv_virt_to_phys(idle_perdomain_l1) | PTE_P | PTE_RW | PTE_A;
  hv_flush_tlb_local();

  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) gdtr = {15 * 4096 - 1, HV_GDT_VIRT}, idtr = {sizeof hv_idt - 1, (uint32_t)hv_idt};
  __asm__ volatile("lgdt %0" : : "m"(gdtr));
  __asm__ volatile("lidt %0" : : "m"(idtr));
  __asm__ volatile("ljmp %0, $1f\n1:" : : "i"(HV_CS));
  __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss; mov %1, %%fs; mov %1, %%gs"
                   : : "r"(HV_DS), "r"(0) : "memory");
  __asm__ volatile("ltr %w0" : : "r"(HV_TSS_SEL));
  __asm__ volatile("lldt %w0" : : "r"(0));
}

/* The L2 entry a domain's slot-3 L2 gets for its per-domain L1. */
hv_pte_t hv_perdomain_l2e(uint32_t l1_mfn) { return ((hv_pte_t)l1_mfn << HV_PAGE_SHIFT) | PTE_P | PTE_RW | PTE_A; }

/* The idle address space's per-domain entry (for hv_l2, the template). */
hv_pte_t hv_idle_perdomain_l2e(void) { return hv_perdomain_l2e(hv_virt_to_mfn(idle_perdomain_l1)); }

void hv_tss_set_ring1_stack(uint32_t ss, uint32_t esp) {
  hv_tss.ss1 = (uint16_t)ss;
  hv_tss.esp1 = esp;
}

/* The LDT descriptor for the running domain: base HV_LDT_VIRT, ents
 * entries (0: no LDT). */
void hv_load_ldt(uint32_t ents) {
  struct hv_desc *d = &hv_gdt_page[(HV_LDT_SEL >> 3) - HV_GDT_FIRST_RESERVED];
  if (ents == 0) {
    d->a = d->b = 0;
    __asm__ volatile("lldt %w0" : : "r"(0));
    return;
  }
  *d = seg(HV_LDT_VIRT, ents * 8 - 1, SEG_P | (0x2u << 8), 0);
  __asm__ volatile("lldt %w0" : : "r"(HV_LDT_SEL));
}

/* Xen's direct system-call gate: a trap gate (events stay as they are) of
 * DPL 3 straight to the guest's handler, so an INT from ring 3 enters ring
 * 1 on the TSS's SS1:ESP1 without the hypervisor. */
void hv_idt_set_direct_trap(uint32_t vector, uint32_t cs, uint32_t eip, int present) {
  if (present)
    gate(vector, cs, eip, GATE_TRAP, 3);
  else
    gate(vector, HV_CS, hv_stub_table[vector], GATE_INTR, 0);
}

/* --- selector fix-ups of Xen's 32-bit ABI -------------------------------- */
/* A selector with RPL 0 is given the guest kernel's RPL 1. */
uint32_t hv_fixup_guest_selector(uint32_t sel) { return (sel & 3) == 0 ? (sel | GUEST_KERNEL_RPL) : sel; }

/* A gate's target code selector must not name a hypervisor descriptor: a
 * guest GDT entry, the flat ring-1 code segment, or an LDT entry. */
int hv_guest_gate_selector_ok(uint32_t sel) {
  return (sel >> 3) < HV_GDT_FIRST_RESERVED || sel == FLAT_KERNEL_CS || (sel & 4);
}

/* 32-bit Xen's check_descriptor, rule by rule. Returns 1 if the (possibly
 * fixed-up) descriptor may go into a guest's GDT or LDT. */
int hv_check_descriptor(struct hv_desc *d) {
  uint32_t a = d->a, b = d->b;

  /* 1. A not-present descriptor always faults when used: accepted as is. */
  if (!(b & SEG_P))
    return 1;

  /* 2. DPL 0 is raised to the guest kernel's DPL 1 (a DPL-0 code segment
   *    reached through a guest call gate would be ring 0). */
  if ((b & SEG_DPL) < (GUEST_KERNEL_RPL << 13))
    d->b = b = (b & ~SEG_DPL) | (GUEST_KERNEL_RPL << 13);

  if (!(b & SEG_S)) {
    /* 3. System descriptors: only 32-bit call gates (type 0xC); no
     *    interrupt, trap or task gates, TSS or LDT descriptors. */
    if ((b & SEG_TYPE) != 0xC00)
      return 0;
    /* 4. The gate's code selector gets RPL 1 if it had 0 and must not
     *    name a hypervisor segment. */
    uint32_t cs = hv_fixup_guest_selector(a >> 16);
    if (!hv_guest_gate_selector_ok(cs))
      return 0;
    a = d->a = (d->a & 0xFFFF) | (cs << 16);
    /* 5. The reserved bits 5-7 (parameter count's upper bits) must be 0. */
    if ((b & 0xE0) != 0)
      return 0;
    return 1;
  }

  /* 6. Code and data: the base must lie at least a page below the end of
   *    the guest's range. */
  uint32_t base = (b & 0xFF000000u) | ((b & 0xFF) << 16) | (a >> 16);
  if (base >= HV_GUEST_SEG_END - HV_PAGE_SIZE)
    return 0;

  /* 7. The limit is truncated at the end of the guest's range. */
  uint32_t limit = ((b & 0xF0000) | (a & 0xFFFF)) + 1; /* inclusive limit + 1 */
  if (b & SEG_G)
    limit <<= 12;
  if ((b & (SEG_CODE | SEG_EC)) == SEG_EC) {
    /* expand-down data: valid offsets are above the limit */
    if (base + limit > base) {
      limit = -(base & ~(HV_PAGE_SIZE - 1));
      goto truncate;
    }
  } else if (base + limit <= base || base + limit > HV_GUEST_SEG_END) {
    /* expand-up data and all code */
    limit = HV_GUEST_SEG_END - base;
  truncate:
    /* 8. Only a page-granular limit can be truncated. */
    if (!(b & SEG_G))
      return 0;
    limit = (limit >> 12) - 1;
    d->a = (d->a & ~0xFFFFu) | (limit & 0xFFFF);
    d->b = (d->b & ~0xF0000u) | (limit & 0xF0000);
  }
  return 1;
}
