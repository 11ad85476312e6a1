/* tests/guests/xen/desc - descriptor validation (32-bit Xen's
 * check_descriptor, rule by rule) through update_descriptor, set_gdt and
 * the LDT: what is accepted, fixed up, truncated and refused. */
#include "pv.h"

static uint64_t gdt[512] __attribute__((aligned(4096)));
static uint64_t ldt[512] __attribute__((aligned(4096)));
static uint64_t bad_page[512] __attribute__((aligned(4096)));
static uint64_t data_page[512] __attribute__((aligned(4096)));

/* base, limit (20 bits), type nibble + S (bit 4) + DPL + P, flags (G, D) */
static uint64_t desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags) {
  uint32_t a = (base << 16) | (limit & 0xFFFF);
  uint32_t b = (base & 0xFF000000u) | ((base >> 16) & 0xFF) | (limit & 0xF0000) | (access << 8) | flags;
  return ((uint64_t)b << 32) | a;
}
static uint64_t gate(uint32_t sel, uint32_t off, uint32_t type, uint32_t dpl, uint32_t params) {
  uint32_t a = (sel << 16) | (off & 0xFFFF);
  uint32_t b = (off & 0xFFFF0000u) | 0x8000 | (dpl << 13) | (type << 8) | params;
  return ((uint64_t)b << 32) | a;
}

#define P 0x80
#define S 0x10
#define DPL(n) ((n) << 5)
#define CODE 0xA /* execute/read */
#define DATA 0x2 /* read/write */
#define DATA_DOWN 0x6
#define G (1u << 23)
#define D (1u << 22)

static long upd(int idx, uint64_t d) { return HYPERVISOR_update_descriptor(pv_virt_to_machine(&gdt[idx]), d); }
static uint32_t limit_of(uint64_t d) { return (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000)); }

static void make_ro(void *p) {
  uint64_t pte = pv_read_pte((uint32_t)p);
  PV_EXPECT(HYPERVISOR_update_va_mapping((uint32_t)p, pte & ~PTE_RW, UVMF_INVLPG), 0);
}

static void test_gdt(void) {
  /* A GDT frame must not be writable anywhere. */
  uint32_t frame = pv_virt_to_mfn(gdt);
  PV_EXPECT(HYPERVISOR_set_gdt(&frame, 512), -EINVAL);
  make_ro(gdt);
  PV_EXPECT(HYPERVISOR_set_gdt(&frame, 7169), -EINVAL); /* past FIRST_RESERVED_GDT_ENTRY */
  PV_EXPECT(HYPERVISOR_set_gdt((uint32_t *)0x10, 512), -EFAULT);
  PV_EXPECT(HYPERVISOR_set_gdt(&frame, 512), 0);
  /* A frame whose contents do not validate (an interrupt gate). */
  bad_page[5] = gate(FLAT_KERNEL_CS, 0x1000, 0xE, 1, 0);
  make_ro(bad_page);
  uint32_t frames2[2] = {frame, pv_virt_to_mfn(bad_page)};
  PV_EXPECT(HYPERVISOR_set_gdt(frames2, 1024), -EINVAL);
  /* Our GDT is mapped read-only: writes fault (page tables and descriptor
   * pages alike). update_descriptor is the way in. */
  PV_EXPECT(upd(2, desc(0, 0xFFFFF, P | S | DPL(1) | DATA, G | D)), 0);
  uint16_t sel = (2 << 3) | 1;
  __asm__ volatile("movw %0, %%es; movw %1, %%es" : : "r"(sel), "r"((uint16_t)FLAT_KERNEL_DS));
}

static void test_rules(void) {
  /* 1. Not present: stored as given, whatever it says. */
  PV_EXPECT(upd(3, 0x0000ffff12345678ull & ~(1ull << 47)), 0);
  PV_EXPECT(gdt[3], 0x0000ffff12345678ull & ~(1ull << 47));
  /* 2. DPL 0 becomes DPL 1. */
  PV_EXPECT(upd(4, desc(0, 0xFFFF, P | S | DPL(0) | CODE, D)), 0);
  PV_EXPECT((gdt[4] >> 45) & 3, 1);
  /* 3. System descriptors: only call gates. */
  PV_EXPECT(upd(5, gate(FLAT_KERNEL_CS, 0x1000, 0xE, 1, 0)), -EINVAL); /* interrupt gate */
  PV_EXPECT(upd(5, gate(FLAT_KERNEL_CS, 0x1000, 0xF, 1, 0)), -EINVAL); /* trap gate */
  PV_EXPECT(upd(5, gate(FLAT_KERNEL_CS, 0x1000, 0x5, 1, 0)), -EINVAL); /* task gate */
  PV_EXPECT(upd(5, desc(0x1000, 0x67, P | 0x9, 0)), -EINVAL);          /* TSS */
  PV_EXPECT(upd(5, desc(0x1000, 0x67, P | 0x2, 0)), -EINVAL);          /* LDT */
  PV_EXPECT(upd(5, gate(FLAT_KERNEL_CS, 0x1000, 0x4, 1, 0)), -EINVAL); /* 16-bit call gate */
  /* 4. A call gate's target: RPL 0 gets 1; no hypervisor segment. */
  PV_EXPECT(upd(5, gate(FLAT_KERNEL_CS, 0x12345678, 0xC, 3, 2)), 0);
  PV_EXPECT(upd(5, gate(0x0020, 0x1000, 0xC, 3, 0)), 0);
  PV_EXPECT((gdt[5] >> 16) & 0xFFFF, 0x0021);
  PV_EXPECT(upd(5, gate(0xe008, 0x1000, 0xC, 3, 0)), -EINVAL);
  PV_EXPECT(upd(5, gate(0xe021, 0x1000, 0xC, 3, 0)), -EINVAL); /* only FLAT_KERNEL_CS of ours */
  PV_EXPECT(upd(5, gate(0x0004 | 0x38, 0x1000, 0xC, 3, 0)), 0); /* an LDT selector */
  /* 5. Parameter-count bits 5-7 are reserved. */
  PV_EXPECT(upd(5, gate(FLAT_KERNEL_CS, 0x1000, 0xC, 3, 0x20)), -EINVAL);
  /* 6. A base within a page of the end of the guest's range. */
  PV_EXPECT(upd(6, desc(0xF67FF000, 0, P | S | DPL(1) | DATA, 0)), -EINVAL);
  PV_EXPECT(upd(6, desc(0xF67FE000, 0, P | S | DPL(1) | DATA, 0)), 0);
  /* 7. Limits are truncated at 0xF6800000 (page-granular ones only). */
  PV_EXPECT(upd(7, desc(0, 0xFFFFF, P | S | DPL(3) | DATA, G | D)), 0);
  PV_EXPECT(limit_of(gdt[7]), 0xF67FF);
  PV_EXPECT(upd(7, desc(0x10000000, 0xFFFFF, P | S | DPL(1) | CODE, G | D)), 0);
  PV_EXPECT(limit_of(gdt[7]), (0xF6800000u - 0x10000000u) / 4096 - 1);
  PV_EXPECT(upd(7, desc(0xF6701000, 0xFFFFF, P | S | DPL(1) | DATA, 0)), -EINVAL); /* byte-granular */
  PV_EXPECT(upd(7, desc(0xF6700000, 0xFFFFF, P | S | DPL(1) | DATA, 0)), 0);       /* ends exactly there */
  PV_EXPECT(limit_of(gdt[7]), 0xFFFFF);
  PV_EXPECT(upd(7, desc(0, 0x12345, P | S | DPL(1) | DATA, G | D)), 0);           /* within: kept */
  PV_EXPECT(limit_of(gdt[7]), 0x12345);
  /* Expand-down: the valid offsets are above the limit; they must not
   * wrap past the top. */
  PV_EXPECT(upd(8, desc(0, 0, P | S | DPL(1) | DATA_DOWN, G | D)), 0);
  PV_EXPECT(limit_of(gdt[8]), 0xFFFFF);
  PV_EXPECT(upd(8, desc(0, 0, P | S | DPL(1) | DATA_DOWN, D)), -EINVAL);
  /* update_descriptor's own checks: alignment, ownership, page type. */
  PV_EXPECT(HYPERVISOR_update_descriptor(pv_virt_to_machine(&gdt[9]) + 4, 0), -EINVAL);
  PV_EXPECT(HYPERVISOR_update_descriptor(0x101000ull, 0), -EINVAL);
  PV_EXPECT(HYPERVISOR_update_descriptor(((uint64_t)pv_virt_to_mfn((void *)pv_si->pt_base) << 12), 0), -EINVAL);
  /* An ordinary writable page: accepted and written. */
  PV_EXPECT(HYPERVISOR_update_descriptor(pv_virt_to_machine(&data_page[1]), desc(0, 0xFFFF, P | S | DPL(1) | DATA, 0)), 0);
  PV_EXPECT(data_page[1], desc(0, 0xFFFF, P | S | DPL(1) | DATA, 0));
}

static void test_segments(void) {
  /* A DPL-0 data descriptor (raised to 1) loads in ring 1. */
  PV_EXPECT(upd(10, desc(0, 0xFFFFF, P | S | DPL(0) | DATA, G | D)), 0);
  uint16_t sel = (10 << 3) | 1;
  uint16_t got;
  __asm__ volatile("movw %1, %%fs; movw %%fs, %0" : "=r"(got) : "r"(sel));
  PV_EXPECT(got, sel);
  uint32_t lim;
  __asm__ volatile("lsl %1, %0" : "=r"(lim) : "r"((uint32_t)sel));
  PV_EXPECT(lim, 0xF67FFFFF);
  __asm__ volatile("movw %0, %%fs" : : "r"((uint16_t)0));
  /* The LDT: a page of descriptors at a page-aligned address. */
  ldt[1] = desc(0x1000, 0xFFFFF, P | S | DPL(1) | DATA, G | D);
  make_ro(ldt);
  struct mmuext_op op = {.cmd = MMUEXT_SET_LDT};
  op.arg1.linear_addr = (uint32_t)ldt + 8;
  op.arg2.nr_ents = 4;
  PV_EXPECT(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -EINVAL); /* not page aligned */
  op.arg1.linear_addr = (uint32_t)ldt;
  op.arg2.nr_ents = 8193;
  PV_EXPECT(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -EINVAL);
  op.arg2.nr_ents = 4;
  PV_EXPECT(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
  uint16_t lsel = (1 << 3) | 4 | 1;
  __asm__ volatile("movw %1, %%gs; movw %%gs, %0" : "=r"(got) : "r"(lsel));
  PV_EXPECT(got, lsel);
  uint32_t base_probe;
  __asm__ volatile("movl %%gs:0xC0000000, %0" : "=r"(base_probe)); /* base 0x1000: reads 0xC0001000 */
  PV_EXPECT(base_probe, *(const uint32_t *)0xC0001000);
  __asm__ volatile("movw %0, %%gs" : : "r"((uint16_t)0));
  op.arg2.nr_ents = 0;
  PV_EXPECT(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
  /* Back to no guest GDT. */
  PV_EXPECT(HYPERVISOR_set_gdt(NULL, 0), 0);
}

void test_main(void) {
  test_gdt();
  test_rules();
  test_segments();
  if (pv_failures == 0)
    pv_puts("xen_desc: PASS\n");
}
