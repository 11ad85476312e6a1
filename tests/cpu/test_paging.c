/* tests/cpu/test_paging.c - paging and the modeled TLBs, from the CPU: the
 * walks (4 KiB, 4 MiB with PSE, PAE 4 KiB and 2 MiB), A/D bits, the U/S and
 * R/W checks with CR0.WP, #PF error codes and CR2, stale TLB entries until
 * INVLPG or a CR3 load (global pages with PGE), LRU replacement, the tagged
 * mode, the cost of a miss, PDPTE reserved bits, self-modifying code
 * through an alias mapping, a stale ITLB entry, and interrupt frames that
 * fault before any byte is written.
 *
 * The machine is the harness's flat one plus a GDT, an IDT whose every
 * vector leads to its own HLT, and page tables that identity-map the first
 * 4 MiB with 4 KiB user-writable pages:
 *
 *   0x01000  code              0x10000  GDT     0x11000  IDT
 *   0x07000  ring-3 stack      0x12000  TSS     0x13000  handlers (HLT at +16 * vector)
 *   0x08000  ring-0 stack      0x20000  page directory
 *   0x30000+ data pages        0x21000  page table of 0-4 MiB
 *   0x60000  PAE PDPT          0x61000  PAE page directory   0x62000 PAE page table
 *   0x70000  a spare page table (for 0x400000-0x7FFFFF)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu-internal.h"

#include "harness.h"

#define PD 0x20000u
#define PT0 0x21000u
#define PT1 0x70000u
#define PDPT 0x60000u
#define PAE_PD 0x61000u
#define PAE_PT 0x62000u

#define P 0x001u
#define W 0x002u
#define U 0x004u
#define A 0x020u
#define D 0x040u
#define PS 0x080u
#define G 0x100u

#define CR0_PG 0x80000000u
#define CR0_WP 0x00010000u
#define CR4_PSE 0x10u
#define CR4_PAE 0x20u
#define CR4_PGE 0x80u

#define REG(h, r) cpu_get_reg((h)->cpu, (r))
#define LE32(x) (uint8_t)(x), (uint8_t)((x) >> 8), (uint8_t)((x) >> 16), (uint8_t)((x) >> 24)

static uint32_t rd32(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 4); }
static void wr32(struct harness *h, uint32_t a, uint32_t v) { mmu_write(h->mem, a, 4, v); }
static uint64_t count(struct harness *h, enum trace_event e) { return trace_counter(cpu_counters(h->cpu), e); }
static uint64_t dtlb_misses(struct harness *h) { return count(h, TRACE_EV_dtlb_miss); }

/* The 2-level tables: PD[0] -> PT0 identity-maps 0-4 MiB. */
static struct harness *machine(void) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  harness_pm_tables(h, 0x8000, 0);
  wr32(h, PD, PT0 | P | W | U);
  for (uint32_t k = 0; k < 1024; k++)
    wr32(h, PT0 + 4 * k, (k << 12) | P | W | U);
  return h;
}

static int setup(void **state) {
  *state = machine();
  return 0;
}

/* Runs: mov eax, cr4v; mov cr4, eax; mov eax, cr3v; mov cr3, eax;
 * mov eax, cr0; or eax, PG | extra; mov cr0, eax; hlt. */
static void paging_on(struct harness *h, uint32_t cr4, uint32_t cr3, uint32_t cr0_extra) {
  uint32_t or = CR0_PG | cr0_extra;
  assert_int_equal(HARNESS_RUN(h, 0xB8, LE32(cr4), 0x0F, 0x22, 0xE0, 0xB8, LE32(cr3), 0x0F, 0x22, 0xD8, 0x0F, 0x20,
                               0xC0, 0x0D, LE32(or), 0x0F, 0x22, 0xC0, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 28);
  assert_true(h->cpu->mem->paging);
}

/* mov eax, [addr]; hlt */
static uint32_t load(struct harness *h, uint32_t addr) {
  assert_int_equal(HARNESS_RUN(h, 0xA1, LE32(addr), 0xF4), CPU_EXIT_HALT);
  return REG(h, CPU_EAX);
}

/* mov [addr], eax; hlt (with eax = v) */
static void store(struct harness *h, uint32_t addr, uint32_t v) {
  cpu_set_reg(h->cpu, CPU_EAX, v);
  assert_int_equal(HARNESS_RUN(h, 0xA3, LE32(addr), 0xF4), CPU_EXIT_HALT);
}

/* invlpg [addr]; hlt */
static void invlpg(struct harness *h, uint32_t addr) {
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x01, 0x3D, LE32(addr), 0xF4), CPU_EXIT_HALT);
}

/* The run ended in the #PF handler with error code err and CR2 = cr2. */
static void assert_pf(struct harness *h, uint32_t err, uint32_t cr2) {
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_PF) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), err);
  assert_int_equal(cpu_get_cr(h->cpu, 2), cr2);
}

/* ---- translation ----------------------------------------------------------------- */

static void four_kib_pages_translate_through_the_page_table(void **state) {
  struct harness *h = *state;
  wr32(h, PD + 4, PT1 | P | W);
  wr32(h, PT1 + 4 * 3, 0x31000 | P | W); /* 0x403000 -> 0x31000 */
  wr32(h, 0x31010, 0xCAFEF00D);
  paging_on(h, 0, PD, 0);
  assert_int_equal(load(h, 0x403010), 0xCAFEF00D);
  store(h, 0x403020, 0x12345678);
  assert_int_equal(rd32(h, 0x31020), 0x12345678);
  assert_int_equal(load(h, 0x2000), 0); /* identity-mapped */
}

/* RESET clears CR0.PG: the MMU must stop translating with it. */
static void reset_turns_translation_off(void **state) {
  struct harness *h = *state;
  paging_on(h, 0, PD, 0); /* the setup identity-maps the low 4 MiB */
  cpu_reset(h->cpu);
  assert_false(h->cpu->mem->paging);
  assert_false(h->cpu->mem->pg.pg);
}

static void four_mib_pages_translate_with_cr4_pse(void **state) {
  struct harness *h = *state;
  wr32(h, PD + 4, 0x00000000 | PS | P | W); /* 0x400000-0x7FFFFF -> 0-4 MiB */
  wr32(h, 0x35678, 0x600DF00D);
  paging_on(h, CR4_PSE, PD, 0);
  assert_int_equal(load(h, 0x435678), 0x600DF00D);
  assert_int_equal(rd32(h, PD + 4) & (A | D), A);
  store(h, 0x435678, 7);
  assert_int_equal(rd32(h, 0x35678), 7);
  assert_int_equal(rd32(h, PD + 4) & (A | D), A | D);
}

static void without_cr4_pse_the_ps_bit_is_ignored(void **state) {
  struct harness *h = *state;
  wr32(h, PD + 4, PT1 | PS | P | W); /* PS ignored: PT1 is a page table */
  wr32(h, PT1, 0x32000 | P | W);
  wr32(h, 0x32004, 0x44);
  paging_on(h, 0, PD, 0);
  assert_int_equal(load(h, 0x400004), 0x44);
}

/* PAE: PDPT[0] -> PAE_PD; PD[0] -> PAE_PT identity 0-2 MiB; PD[1] a 2 MiB
 * page at 0; PDPT[1] -> PAE_PD as well (0x40000000 aliases 0). */
static void pae_tables(struct harness *h) {
  wr32(h, PDPT, PAE_PD | P);
  wr32(h, PDPT + 8, PAE_PD | P);
  wr32(h, PAE_PD, PAE_PT | P | W | U);
  wr32(h, PAE_PD + 8, 0x00000000 | PS | P | W | U);
  for (uint32_t k = 0; k < 512; k++)
    wr32(h, PAE_PT + 8 * k, (k << 12) | P | W | U);
}

static void pae_four_kib_and_two_mib_pages_translate(void **state) {
  struct harness *h = *state;
  pae_tables(h);
  wr32(h, PAE_PT + 8 * 0x40, 0x33000 | P | W); /* 0x40000 -> 0x33000 */
  wr32(h, 0x33008, 0xAAAA5555);
  wr32(h, 0x34000, 0xBBBB6666);
  paging_on(h, CR4_PAE, PDPT, 0);
  assert_int_equal(load(h, 0x40008), 0xAAAA5555);
  assert_int_equal(load(h, 0x234000), 0xBBBB6666); /* 2 MiB page: 0x200000 -> 0 */
  assert_int_equal(load(h, 0x40234000), 0xBBBB6666); /* through PDPTE 1 */
  store(h, 0x234004, 9);
  assert_int_equal(rd32(h, 0x34004), 9);
  assert_int_equal(rd32(h, PAE_PD + 8) & (A | D), A | D);
}

static void pae_entries_above_4_gib_map_nothing(void **state) {
  struct harness *h = *state;
  pae_tables(h);
  wr32(h, PAE_PT + 8 * 0x40, 0x33000 | P | W);
  wr32(h, PAE_PT + 8 * 0x40 + 4, 0x1); /* frame 0x1_00033000: above 4 GiB */
  wr32(h, 0x33000, 0x12121212);
  paging_on(h, CR4_PAE, PDPT, 0);
  assert_int_equal(load(h, 0x40000), 0xFFFFFFFFu);
  store(h, 0x40000, 0);
  assert_int_equal(rd32(h, 0x33000), 0x12121212);
}

static void a_pae_pdpte_with_reserved_bits_raises_gp_on_mov_cr3(void **state) {
  struct harness *h = *state;
  pae_tables(h);
  paging_on(h, CR4_PAE, PDPT, 0);
  wr32(h, 0x63000, PAE_PD | P | 0x4); /* bit 2 is reserved */
  cpu_set_reg(h->cpu, CPU_EAX, 0x63000);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xD8, 0xF4), CPU_EXIT_HALT); /* mov cr3, eax */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(rd32(h, REG(h, CPU_ESP)), 0);
  assert_int_equal(cpu_get_cr(h->cpu, 3), PDPT);
}

static void enabling_pae_paging_with_a_bad_pdpte_raises_gp_and_stays_unpaged(void **state) {
  struct harness *h = *state;
  wr32(h, PDPT, PAE_PD | P | 0x20); /* bit 5 is reserved */
  cpu_set_reg(h->cpu, CPU_EAX, CR4_PAE);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xE0, 0xB8, LE32(PDPT), 0x0F, 0x22, 0xD8, 0x0F, 0x20, 0xC0, 0x0D,
                               LE32(CR0_PG), 0x0F, 0x22, 0xC0, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_GP) + 1);
  assert_int_equal(cpu_get_cr(h->cpu, 0) & CR0_PG, 0);
  assert_false(h->cpu->mem->paging);
}

/* ---- A/D bits and rights ------------------------------------------------------------ */

static void reads_set_accessed_bits_and_writes_set_dirty(void **state) {
  struct harness *h = *state;
  wr32(h, PD + 4, PT1 | P | W);
  wr32(h, PT1, 0x31000 | P | W);
  wr32(h, PT1 + 4, 0x32000 | P | W);
  paging_on(h, 0, PD, 0);
  load(h, 0x400000);
  assert_int_equal(rd32(h, PD + 4) & (A | D), A);
  assert_int_equal(rd32(h, PT1) & (A | D), A);
  assert_int_equal(rd32(h, PT1 + 4) & (A | D), 0);
  store(h, 0x400000, 1); /* the TLB entry is clean: the write walks again */
  assert_int_equal(rd32(h, PT1) & (A | D), A | D);
  store(h, 0x401000, 1);
  assert_int_equal(rd32(h, PT1 + 4) & (A | D), A | D);
}

static void user_accesses_need_u_and_user_writes_need_w(void **state) {
  struct harness *h = *state;
  wr32(h, PT0 + 4 * 0x31, 0x31000 | P | W);     /* supervisor page */
  wr32(h, PT0 + 4 * 0x32, 0x32000 | P | U);     /* user read-only page */
  wr32(h, 0x32000, 0x5A5A);
  paging_on(h, 0, PD, 0);
  harness_enter_ring3(h);
  assert_int_equal(load(h, 0x32000), 0x5A5A);
  harness_enter_ring3(h);
  load(h, 0x31000);
  assert_pf(h, MMU_PF_P | MMU_PF_U, 0x31000);
  harness_enter_ring3(h);
  store(h, 0x32000, 1);
  assert_pf(h, MMU_PF_P | MMU_PF_W | MMU_PF_U, 0x32000);
  assert_int_equal(rd32(h, 0x32000), 0x5A5A);
}

static void supervisor_writes_to_read_only_pages_fault_only_with_cr0_wp(void **state) {
  struct harness *h = *state;
  wr32(h, PT0 + 4 * 0x32, 0x32000 | P | U); /* read-only */
  paging_on(h, 0, PD, 0);
  store(h, 0x32000, 0x77);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 6);
  assert_int_equal(rd32(h, 0x32000), 0x77);
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  /* mov eax, cr0; or eax, WP; mov cr0, eax; mov [0x32000], ebx; hlt */
  cpu_set_reg(h->cpu, CPU_EBX, 0x88);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x20, 0xC0, 0x0D, LE32(CR0_WP), 0x0F, 0x22, 0xC0, 0x89, 0x1D, LE32(0x32000),
                               0xF4),
                   CPU_EXIT_HALT);
  assert_pf(h, MMU_PF_P | MMU_PF_W, 0x32000);
  assert_int_equal(rd32(h, 0x32000), 0x77);
}

/* MOV CRn ignores ModRM.mod (SDM vol. 2, MOV-Move to/from Control
 * Registers): 0F 20 00 is MOV EAX, CR0 and 0F 22 40 is MOV CR0, EAX, each
 * 3 bytes with no memory operand; here they set CR0.WP. */
static void mov_crn_with_a_memory_mod_is_the_register_form(void **state) {
  struct harness *h = *state;
  uint32_t cr0 = cpu_get_cr(h->cpu, 0);
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  /* mov eax, cr0 (mod 0); or eax, WP; mov cr0, eax (mod 1); mov ebx, cr0 (mod 2); hlt */
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x20, 0x00, 0x0D, LE32(CR0_WP), 0x0F, 0x22, 0x40, 0x0F, 0x20, 0x83, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), HARNESS_CODE + 15);
  assert_int_equal(cpu_get_cr(h->cpu, 0), cr0 | CR0_WP);
  assert_int_equal(REG(h, CPU_EAX), cr0 | CR0_WP);
  assert_int_equal(REG(h, CPU_EBX), cr0 | CR0_WP);
}

/* ---- #PF ------------------------------------------------------------------------- */

static void not_present_reads_writes_and_fetches_fault_with_cr2(void **state) {
  struct harness *h = *state;
  wr32(h, PT0 + 4 * 0x40, 0);        /* 0x40000 not present */
  wr32(h, PD + 8, 0);                /* 0x800000 not present at the PDE */
  paging_on(h, 0, PD, 0);
  load(h, 0x40004);
  assert_pf(h, 0, 0x40004);
  store(h, 0x800010, 1);
  assert_pf(h, MMU_PF_W, 0x800010);
  /* mov eax, 0x40000; jmp eax */
  assert_int_equal(HARNESS_RUN(h, 0xB8, LE32(0x40000), 0xFF, 0xE0), CPU_EXIT_HALT);
  assert_pf(h, 0, 0x40000);
  assert_int_equal(rd32(h, REG(h, CPU_ESP) + 4), 0x40000); /* the faulting EIP */
  harness_enter_ring3(h);
  assert_int_equal(HARNESS_RUN(h, 0xB8, LE32(0x40000), 0xFF, 0xE0), CPU_EXIT_HALT);
  assert_pf(h, MMU_PF_U, 0x40000);
}

static void reserved_bits_fault_with_rsvd(void **state) {
  struct harness *h = *state;
  wr32(h, PD + 4, 0x00400000 | (1u << 13) | PS | P | W); /* bit 13 reserved (no PSE-36) */
  paging_on(h, CR4_PSE, PD, 0);
  load(h, 0x400000);
  assert_pf(h, MMU_PF_P | MMU_PF_RSVD, 0x400000);
  store(h, 0x400000, 0);
  assert_pf(h, MMU_PF_P | MMU_PF_RSVD | MMU_PF_W, 0x400000);
  assert_int_equal(rd32(h, PD + 4) & A, 0); /* a faulting walk sets no A bit */
}

static void a_fetch_crossing_into_a_not_present_page_faults_at_that_instruction(void **state) {
  struct harness *h = *state;
  wr32(h, PD + 4, PT1 | P | W);
  wr32(h, PT1, 0x31000 | P | W); /* 0x400000 -> 0x31000; 0x401000 not present */
  for (uint32_t a = 0x31FF0; a < 0x31FFD; a++)
    mmu_write(h->mem, a, 1, 0x40); /* inc eax */
  mmu_write(h->mem, 0x31FFD, 1, 0xB9); /* mov ecx, imm32: 5 bytes, 2 on the next page */
  mmu_write(h->mem, 0x31FFE, 1, 0x11);
  mmu_write(h->mem, 0x31FFF, 1, 0x22);
  paging_on(h, 0, PD, 0);
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  /* mov edx, 0x400FF0; jmp edx */
  assert_int_equal(HARNESS_RUN(h, 0xBA, LE32(0x400FF0), 0xFF, 0xE2), CPU_EXIT_HALT);
  assert_pf(h, 0, 0x401000);
  assert_int_equal(rd32(h, REG(h, CPU_ESP) + 4), 0x400FFD);
  assert_int_equal(REG(h, CPU_EAX), 13); /* the instructions before it ran */
}

/* ---- the TLB model ------------------------------------------------------------------ */

static void a_changed_pte_is_not_seen_until_invlpg(void **state) {
  struct harness *h = *state;
  wr32(h, 0x31000, 0x1111);
  wr32(h, 0x32000, 0x2222);
  wr32(h, PT0 + 4 * 0x40, 0x31000 | P | W);
  paging_on(h, 0, PD, 0);
  store(h, 0x40000, 0x1111); /* the entry is dirty: later writes do not walk */
  wr32(h, PT0 + 4 * 0x40, 0x32000 | P | W);
  assert_int_equal(load(h, 0x40000), 0x1111); /* stale */
  store(h, 0x40004, 0x3333);                    /* through the stale entry */
  assert_int_equal(rd32(h, 0x31004), 0x3333);
  uint64_t flushes = count(h, TRACE_EV_tlb_flush_invlpg);
  invlpg(h, 0x40000);
  assert_int_equal(count(h, TRACE_EV_tlb_flush_invlpg), flushes + 1);
  assert_int_equal(load(h, 0x40000), 0x2222);
}

static void a_not_present_pte_is_not_seen_until_invlpg(void **state) {
  struct harness *h = *state;
  wr32(h, 0x31000, 0x1111);
  wr32(h, PT0 + 4 * 0x40, 0x31000 | P | W);
  paging_on(h, 0, PD, 0);
  assert_int_equal(load(h, 0x40000), 0x1111);
  wr32(h, PT0 + 4 * 0x40, 0);
  assert_int_equal(load(h, 0x40000), 0x1111);
  invlpg(h, 0x40000);
  load(h, 0x40000);
  assert_pf(h, 0, 0x40000);
}

static void a_global_page_survives_a_cr3_load_only_with_cr4_pge(void **state) {
  struct harness *h = *state;
  wr32(h, 0x31000, 0x1111);
  wr32(h, 0x32000, 0x2222);
  wr32(h, PT0 + 4 * 0x40, 0x31000 | P | W | G);
  paging_on(h, CR4_PGE, PD, 0);
  assert_int_equal(load(h, 0x40000), 0x1111);
  wr32(h, PT0 + 4 * 0x40, 0x32000 | P | W | G);
  cpu_set_reg(h->cpu, CPU_EAX, PD);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xD8, 0xF4), CPU_EXIT_HALT); /* mov cr3, eax */
  assert_int_equal(load(h, 0x40000), 0x1111); /* global: kept */
  /* clearing CR4.PGE flushes everything */
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xE0, 0xF4), CPU_EXIT_HALT); /* mov cr4, eax */
  assert_int_equal(load(h, 0x40000), 0x2222);
}

static void a_non_global_page_is_dropped_by_a_cr3_load(void **state) {
  struct harness *h = *state;
  wr32(h, 0x31000, 0x1111);
  wr32(h, 0x32000, 0x2222);
  wr32(h, PT0 + 4 * 0x40, 0x31000 | P | W | G); /* G without CR4.PGE: not global */
  paging_on(h, 0, PD, 0);
  assert_int_equal(load(h, 0x40000), 0x1111);
  wr32(h, PT0 + 4 * 0x40, 0x32000 | P | W);
  uint64_t flushes = count(h, TRACE_EV_tlb_flush_cr3);
  cpu_set_reg(h->cpu, CPU_EAX, PD);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xD8, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(count(h, TRACE_EV_tlb_flush_cr3), flushes + 1);
  assert_int_equal(load(h, 0x40000), 0x2222);
}

static void the_tagged_tlb_keeps_entries_across_cr3_loads(void **state) {
  struct harness *h = *state;
  mmu_tlb_set_tagged(h->mem, true);
  wr32(h, 0x31000, 0x1111);
  wr32(h, PT0 + 4 * 0x40, 0x31000 | P | W);
  /* a second address space: PD2 maps 0-4 MiB through PT0 too */
  wr32(h, 0x22000, PT0 | P | W | U);
  paging_on(h, 0, PD, 0);
  assert_int_equal(load(h, 0x40000), 0x1111);
  wr32(h, PT0 + 4 * 0x40, 0x32000 | P | W);
  uint64_t flushes = count(h, TRACE_EV_tlb_flush_cr3);
  cpu_set_reg(h->cpu, CPU_EAX, PD);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xD8, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(count(h, TRACE_EV_tlb_flush_cr3), flushes);
  uint64_t misses = dtlb_misses(h);
  assert_int_equal(load(h, 0x40000), 0x1111); /* still the old entry */
  assert_int_equal(dtlb_misses(h), misses);
  /* another ASID does not see it; coming back does */
  cpu_set_reg(h->cpu, CPU_EAX, 0x22000);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xD8, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(load(h, 0x40000), 0); /* walked afresh: 0x32000 */
  cpu_set_reg(h->cpu, CPU_EAX, PD);
  assert_int_equal(HARNESS_RUN(h, 0x0F, 0x22, 0xD8, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(load(h, 0x40000), 0x1111);
}

/* Five pages of one DTLB set (16 sets of 4 ways: page numbers 16 apart):
 * A B C D fill it, A is used again, E evicts the least recently used, B. */
static void a_miss_in_a_full_set_evicts_its_least_recently_used_entry(void **state) {
  struct harness *h = *state;
  paging_on(h, 0, PD, 0);
  const uint32_t a = 0x100000, b = 0x110000, c = 0x120000, d = 0x130000, e = 0x140000;
  /* mov eax,[a]; [b]; [c]; [d]; [a]; [e]; hlt */
  uint64_t m0 = dtlb_misses(h);
  assert_int_equal(HARNESS_RUN(h, 0xA1, LE32(a), 0xA1, LE32(b), 0xA1, LE32(c), 0xA1, LE32(d), 0xA1, LE32(a), 0xA1,
                               LE32(e), 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(dtlb_misses(h) - m0, 5);
  load(h, a);
  load(h, c);
  load(h, d);
  load(h, e);
  assert_int_equal(dtlb_misses(h) - m0, 5); /* all four still there */
  load(h, b);
  assert_int_equal(dtlb_misses(h) - m0, 6); /* B was the one evicted */
  load(h, a);                               /* B evicted A (LRU: A C D E, A oldest) */
  assert_int_equal(dtlb_misses(h) - m0, 7);
}

static void a_smaller_configured_dtlb_evicts_sooner(void **state) {
  struct harness *h = *state;
  assert_int_equal(mmu_tlb_configure(h->mem, MMU_DTLB, 2, 2, 1, 1), 0); /* 2 entries, one set */
  assert_int_equal(mmu_tlb_configure(h->mem, MMU_DTLB, 3, 2, 1, 1), -1);
  paging_on(h, 0, PD, 0);
  load(h, 0x30000); /* the stack pages of the earlier runs are gone: not used here */
  uint64_t m0 = dtlb_misses(h);
  load(h, 0x30000);
  load(h, 0x31000);
  assert_int_equal(dtlb_misses(h) - m0, 1);
  load(h, 0x32000); /* evicts 0x30000 */
  load(h, 0x31000);
  assert_int_equal(dtlb_misses(h) - m0, 2);
  load(h, 0x30000);
  assert_int_equal(dtlb_misses(h) - m0, 3);
}

/* Under the p6 preset a DTLB miss on a 4 KiB page costs tlb_fill (5) and
 * two page_walk_access (10 each): 25 cycles more than the same load
 * hitting; a 4 MiB page walks one level: 15. */
static void a_dtlb_miss_costs_the_fill_and_each_walk_access(void **state) {
  struct harness *h = *state;
  char err[128];
  assert_int_equal(cpu_set_timing(h->cpu, "p6", err, sizeof err), 0);
  wr32(h, PD + 4, 0x00000000 | PS | P | W);
  paging_on(h, CR4_PSE, PD, 0);
  load(h, 0x30000); /* warm the ITLB and the code page */
  cycles_t t0 = cpu_cycles(h->cpu);
  uint64_t walks = count(h, TRACE_EV_page_walk), misses = count(h, TRACE_EV_dtlb_miss);
  load(h, 0x31000); /* miss */
  cycles_t miss = cpu_cycles(h->cpu) - t0;
  assert_int_equal(count(h, TRACE_EV_page_walk), walks + 1);
  assert_int_equal(count(h, TRACE_EV_dtlb_miss), misses + 1);
  t0 = cpu_cycles(h->cpu);
  load(h, 0x31000); /* hit */
  cycles_t hit = cpu_cycles(h->cpu) - t0;
  assert_int_equal(miss - hit, 25);
  t0 = cpu_cycles(h->cpu);
  load(h, 0x431000); /* 4 MiB page: one level */
  assert_int_equal(cpu_cycles(h->cpu) - t0 - hit, 15);
}

/* ---- code ------------------------------------------------------------------------- */

/* 0x400000 and 0x500000 both map physical 0x31000: the code runs at
 * 0x400000 and patches its next instruction through 0x500000. */
static void self_modifying_code_through_an_alias_mapping_is_seen(void **state) {
  struct harness *h = *state;
  wr32(h, PD + 4, PT1 | P | W);
  wr32(h, PT1, 0x31000 | P | W);
  wr32(h, PT1 + 4 * 0x100, 0x31000 | P | W); /* 0x500000: the same page */
  const uint8_t code[] = {0xC6, 0x05, LE32(0x500008), 0x42, /* mov byte [0x500008], 0x42 */
                          0xB0, 0x11,                        /* mov al, 0x11 (patched to 0x42) */
                          0xF4};
  mmu_copy_to_guest(h->mem, 0x31000, code, sizeof code);
  paging_on(h, 0, PD, 0);
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  /* mov edx, 0x400000; jmp edx */
  assert_int_equal(HARNESS_RUN(h, 0xBA, LE32(0x400000), 0xFF, 0xE2), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX) & 0xFF, 0x42);
  /* run it again: the block of the patched code is decoded afresh */
  mmu_write(h->mem, 0x31009 - 1, 1, 0x11);
  cpu_set_reg(h->cpu, CPU_EAX, 0);
  assert_int_equal(HARNESS_RUN(h, 0xBA, LE32(0x400000), 0xFF, 0xE2), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX) & 0xFF, 0x42);
}

static void a_remapped_code_page_runs_its_old_code_until_invlpg(void **state) {
  struct harness *h = *state;
  wr32(h, PD + 4, PT1 | P | W);
  wr32(h, PT1, 0x31000 | P | W);
  const uint8_t one[] = {0xB8, LE32(1), 0xF4}, two[] = {0xB8, LE32(2), 0xF4}; /* mov eax, n; hlt */
  mmu_copy_to_guest(h->mem, 0x31000, one, sizeof one);
  mmu_copy_to_guest(h->mem, 0x32000, two, sizeof two);
  paging_on(h, 0, PD, 0);
  uint64_t itlb = count(h, TRACE_EV_itlb_miss);
  assert_int_equal(HARNESS_RUN(h, 0xBA, LE32(0x400000), 0xFF, 0xE2), CPU_EXIT_HALT); /* jmp 0x400000 */
  assert_int_equal(REG(h, CPU_EAX), 1);
  assert_int_equal(count(h, TRACE_EV_itlb_miss), itlb + 1);
  wr32(h, PT1, 0x32000 | P | W);
  assert_int_equal(HARNESS_RUN(h, 0xBA, LE32(0x400000), 0xFF, 0xE2), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 1); /* the stale ITLB entry */
  invlpg(h, 0x400000);
  assert_int_equal(HARNESS_RUN(h, 0xBA, LE32(0x400000), 0xFF, 0xE2), CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_EAX), 2);
}

/* INT 0x30 with ESP = 0x40008: the frame's EFLAGS and CS slots lie on the
 * present page 0x40000, its EIP slot on the not-present 0x3F000. The #PF,
 * and the #DF after it, find the same stack: a triple fault. Not a byte of
 * any of the three frames was written. */
static void interrupt_frames_are_translated_before_any_byte_is_written(void **state) {
  struct harness *h = *state;
  wr32(h, PT0 + 4 * 0x3F, 0);
  wr32(h, 0x40000, 0xABCDEF01);
  wr32(h, 0x40004, 0x12345678);
  paging_on(h, 0, PD, 0);
  cpu_set_reg(h->cpu, CPU_ESP, 0x40008);
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x30, 0xF4), CPU_EXIT_TRIPLE_FAULT);
  assert_int_equal(cpu_get_cr(h->cpu, 2), 0x3FFFC);
  assert_int_equal(rd32(h, 0x40000), 0xABCDEF01);
  assert_int_equal(rd32(h, 0x40004), 0x12345678);
}

/* Delivery from ring 3 to ring 0 sets the accessed bit of the new SS's
 * descriptor. With the GDT on a read-only page and CR0.WP set, that write is
 * a #PF, which must come before any byte of the frame is written: the #PF,
 * and the #DF after it, meet the same refusal (a triple fault), and the
 * ring-0 stack holds what it held. */
static void a_read_only_gdt_faults_on_the_ss_accessed_bit_before_the_frame_is_written(void **state) {
  struct harness *h = *state;
  harness_gdt_set(h, HARNESS_SEL_CODE0, 0x0000FFFF, 0x00CF9B00); /* CS accessed already: no write */
  harness_gdt_set(h, HARNESS_SEL_DATA0, 0x0000FFFF, 0x00CF9200); /* SS0 not yet accessed */
  harness_idt_gate(h, 0x80, HARNESS_GATE_INT32, 3, HARNESS_SEL_CODE0, harness_handler(0x80));
  wr32(h, PT0 + 4 * (HARNESS_GDT >> 12), HARNESS_GDT | P | U); /* the GDT page read-only */
  for (uint32_t a = 0x8000 - 64; a < 0x8000; a += 4)
    wr32(h, a, 0xA5A5A5A5);
  paging_on(h, 0, PD, CR0_WP);
  harness_enter_ring3(h);
  cpu_clear_first_exception(h->cpu);
  assert_int_equal(HARNESS_RUN(h, 0xCD, 0x80), CPU_EXIT_TRIPLE_FAULT); /* int 0x80 */
  assert_int_equal(cpu_first_exception(h->cpu), CPU_EXC_PF);
  assert_int_equal(cpu_get_cr(h->cpu, 2), HARNESS_GDT + HARNESS_SEL_DATA0 + 5);
  for (uint32_t a = 0x8000 - 64; a < 0x8000; a += 4)
    assert_int_equal(rd32(h, a), 0xA5A5A5A5);
  assert_int_equal(rd32(h, HARNESS_GDT + HARNESS_SEL_DATA0 + 4), 0x00CF9200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(four_kib_pages_translate_through_the_page_table, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(reset_turns_translation_off, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(four_mib_pages_translate_with_cr4_pse, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(without_cr4_pse_the_ps_bit_is_ignored, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(pae_four_kib_and_two_mib_pages_translate, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(pae_entries_above_4_gib_map_nothing, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_pae_pdpte_with_reserved_bits_raises_gp_on_mov_cr3, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(enabling_pae_paging_with_a_bad_pdpte_raises_gp_and_stays_unpaged, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(reads_set_accessed_bits_and_writes_set_dirty, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(user_accesses_need_u_and_user_writes_need_w, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(supervisor_writes_to_read_only_pages_fault_only_with_cr0_wp, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(mov_crn_with_a_memory_mod_is_the_register_form, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(not_present_reads_writes_and_fetches_fault_with_cr2, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(reserved_bits_fault_with_rsvd, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_fetch_crossing_into_a_not_present_page_faults_at_that_instruction, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_changed_pte_is_not_seen_until_invlpg, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_not_present_pte_is_not_seen_until_invlpg, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_global_page_survives_a_cr3_load_only_with_cr4_pge, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_non_global_page_is_dropped_by_a_cr3_load, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(the_tagged_tlb_keeps_entries_across_cr3_loads, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_miss_in_a_full_set_evicts_its_least_recently_used_entry, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_smaller_configured_dtlb_evicts_sooner, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_dtlb_miss_costs_the_fill_and_each_walk_access, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(self_modifying_code_through_an_alias_mapping_is_seen, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_remapped_code_page_runs_its_old_code_until_invlpg, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_read_only_gdt_faults_on_the_ss_accessed_bit_before_the_frame_is_written, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(interrupt_frames_are_translated_before_any_byte_is_written, setup,
                                      harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
