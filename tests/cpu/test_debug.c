/* tests/cpu/test_debug.c - debug registers and EFLAGS.TF/RF (cpu/debug.c):
 * single-step traps, instruction breakpoints and RF, data and I/O
 * breakpoints, general detect, DR6/DR7 fixed bits, RF between REP
 * iterations. Flat 32-bit protected mode with the harness's tables; the
 * #DB handler at DB_HANDLER counts each #DB and records its return EIP,
 * EFLAGS image and DR6 (then clears DR6), and returns with IRETD, all
 * registers kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cpu-internal.h"
#include "harness.h"

#define RING0_STACK 0x8000u
#define DB_HANDLER 0x14000u
#define COUNT 0x9000u      /* #DBs taken */
#define LOG_EIP 0x9100u    /* [k]: return EIP of the k-th #DB (k from 0) */
#define LOG_FLAGS 0x9200u  /* [k]: its EFLAGS image */
#define LOG_DR6 0x9300u    /* [k]: DR6 in the handler */
#define INT30_HANDLER 0x15000u

#define REG(h, r) cpu_get_reg((h)->cpu, (r))

static uint32_t rd32(struct harness *h, uint32_t a) { return mmu_read(h->mem, a, 4); }

/* The #DB handler; with set_rf it sets RF in the frame before IRETD. */
static void db_handler(struct harness *h, bool set_rf) {
  static const uint8_t head[] = {
      0x50, 0x52,                               /* push eax; push edx */
      0xFF, 0x05, 0x00, 0x90, 0x00, 0x00,       /* inc dword [COUNT] */
      0xA1, 0x00, 0x90, 0x00, 0x00,             /* mov eax, [COUNT] */
      0x8B, 0x54, 0x24, 0x08,                   /* mov edx, [esp + 8]: EIP */
      0x89, 0x14, 0x85, 0xFC, 0x90, 0x00, 0x00, /* mov [LOG_EIP - 4 + eax*4], edx */
      0x8B, 0x54, 0x24, 0x10,                   /* mov edx, [esp + 16]: EFLAGS */
      0x89, 0x14, 0x85, 0xFC, 0x91, 0x00, 0x00, /* mov [LOG_FLAGS - 4 + eax*4], edx */
      0x0F, 0x21, 0xF2,                         /* mov edx, dr6 */
      0x89, 0x14, 0x85, 0xFC, 0x92, 0x00, 0x00, /* mov [LOG_DR6 - 4 + eax*4], edx */
      0x31, 0xD2,                               /* xor edx, edx */
      0x0F, 0x23, 0xF2,                         /* mov dr6, edx */
  };
  static const uint8_t rf[] = {0x81, 0x4C, 0x24, 0x10, 0x00, 0x00, 0x01, 0x00}; /* or dword [esp+16], RF */
  static const uint8_t tail[] = {0x5A, 0x58, 0xCF}; /* pop edx; pop eax; iretd */
  uint32_t at = DB_HANDLER;
  mmu_copy_to_guest(h->mem, at, head, sizeof head);
  at += sizeof head;
  if (set_rf) {
    mmu_copy_to_guest(h->mem, at, rf, sizeof rf);
    at += sizeof rf;
  }
  mmu_copy_to_guest(h->mem, at, tail, sizeof tail);
  harness_idt_gate(h, CPU_EXC_DB, HARNESS_GATE_INT32, 0, HARNESS_SEL_CODE0, DB_HANDLER);
}

static int setup(void **state) {
  struct harness *h = harness_new(HARNESS_FLAT32);
  harness_pm_tables(h, RING0_STACK, 0);
  db_handler(h, false);
  mmu_write(h->mem, INT30_HANDLER, 1, 0xCF); /* int 0x30: iretd */
  harness_idt_gate(h, 0x30, HARNESS_GATE_INT32, 0, HARNESS_SEL_CODE0, INT30_HANDLER);
  *state = h;
  return 0;
}

static void set_dr(struct harness *h, unsigned n, uint32_t v) {
  h->cpu->dr[n] = v;
  cpu_debug_update(h->cpu);
}

/* DR7 for breakpoint n, locally enabled: rw (0 exec, 1 write, 2 I/O, 3
 * read/write), len code (0 1 byte, 1 2, 3 4). */
static uint32_t dr7_bp(unsigned n, unsigned rw, unsigned len) {
  return 0x400u | (1u << (2 * n)) | (rw << (16 + 4 * n)) | (len << (18 + 4 * n));
}

static enum cpu_exit run(struct harness *h, const uint8_t *code, size_t n) {
  return harness_run(h, code, n, 10000);
}
#define RUN(h, ...) run((h), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* ---- single step ------------------------------------------------------------ */

/* POPFD that sets TF does not trap; each instruction after it does, the
 * POPFD that clears TF included (TF was set when it began), with DR6.BS
 * and the address of the next instruction; the handler starts with TF
 * clear and IRETD returns with it set, untraced. */
static void single_step_traps_after_each_instruction_that_began_with_tf(void **state) {
  struct harness *h = *state;
  assert_int_equal(RUN(h, 0x68, 0x02, 0x01, 0x00, 0x00, /* 1000: push 0x102 */
                       0x9D,                         /* 1005: popfd (TF = 1) */
                       0x43,                         /* 1006: inc ebx       -> #DB, 1007 */
                       0x6A, 0x02,                   /* 1007: push 2        -> #DB, 1009 */
                       0x9D,                         /* 1009: popfd (TF = 0) -> #DB, 100a */
                       0x43,                         /* 100a: inc ebx */
                       0xF4),                        /* 100b: hlt */
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 3);
  assert_int_equal(rd32(h, LOG_EIP), 0x1007);
  assert_int_equal(rd32(h, LOG_EIP + 4), 0x1009);
  assert_int_equal(rd32(h, LOG_EIP + 8), 0x100A);
  for (unsigned k = 0; k < 3; k++) {
    assert_int_equal(rd32(h, LOG_DR6 + 4 * k), 0xFFFF0FF0u | CPU_DR6_BS);
    /* TF in the frame while it is set; the last POPFD cleared it */
    assert_int_equal(rd32(h, LOG_FLAGS + 4 * k) & (CPU_FLAG_TF | CPU_FLAG_RF), k < 2 ? CPU_FLAG_TF : 0);
  }
  assert_int_equal(REG(h, CPU_EBX), 2);
  assert_int_equal(cpu_get_eip(h->cpu), 0x100C);
}

/* INT n with TF set does not trap (the handler runs with TF clear, and its
 * IRETD began with TF clear); the instruction after the return does. */
static void single_step_does_not_trap_after_int_n(void **state) {
  struct harness *h = *state;
  assert_int_equal(RUN(h, 0x68, 0x02, 0x01, 0x00, 0x00, /* push 0x102 */
                       0x9D,                         /* popfd */
                       0xCD, 0x30,                   /* 1006: int 0x30 (iretd) */
                       0x43,                         /* 1008: inc ebx -> #DB, 1009 */
                       0x6A, 0x02, 0x9D,             /* push 2 -> #DB; popfd -> #DB */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 3);
  assert_int_equal(rd32(h, LOG_EIP), 0x1009);
}

/* HLT with TF set: the trap is taken after it (EIP past it); the processor
 * does not wait. */
static void single_step_over_hlt_traps_past_it(void **state) {
  struct harness *h = *state;
  assert_int_equal(RUN(h, 0x68, 0x02, 0x01, 0x00, 0x00, 0x9D, /* TF on */
                       0xF4,                                 /* 1006: hlt -> #DB, 1007 */
                       0x6A, 0x02, 0x9D,                     /* TF off (two traps) */
                       0xF4),                                /* 100a: hlt */
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 3);
  assert_int_equal(rd32(h, LOG_EIP), 0x1007);
  assert_int_equal(cpu_get_eip(h->cpu), 0x100B);
}

/* MOV SS holds the single-step trap for one instruction: one #DB after the
 * instruction that follows it (SDM vol. 3, 6.8.3). */
static void mov_ss_holds_the_single_step_trap_one_instruction(void **state) {
  struct harness *h = *state;
  assert_int_equal(RUN(h, 0x68, 0x02, 0x01, 0x00, 0x00, 0x9D, /* TF on */
                       0x8C, 0xD0,                           /* 1006: mov eax, ss -> #DB, 1008 */
                       0x8E, 0xD0,                           /* 1008: mov ss, eax (held) */
                       0x43,                                 /* 100a: inc ebx -> #DB, 100b */
                       0x6A, 0x02, 0x9D, 0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 4);
  assert_int_equal(rd32(h, LOG_EIP), 0x1008);
  assert_int_equal(rd32(h, LOG_EIP + 4), 0x100B);
}

/* ---- instruction breakpoints and RF -------------------------------------------- */

/* An execute breakpoint faults before the instruction (EIP at it, B0, RF 0
 * in the frame); the handler sets RF in the frame so that IRETD resumes
 * it; RF is cleared as that instruction starts, so the next pass through
 * the loop hits the breakpoint again. */
static void instruction_breakpoint_faults_and_rf_resumes_once(void **state) {
  struct harness *h = *state;
  db_handler(h, true);
  set_dr(h, 0, 0x1005);
  set_dr(h, 7, dr7_bp(0, 0, 0));
  assert_int_equal(RUN(h, 0xB9, 0x02, 0x00, 0x00, 0x00, /* 1000: mov ecx, 2 */
                       0x43,                         /* 1005: inc ebx  <- DR0 */
                       0xE2, 0xFD,                   /* 1006: loop 1005 */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 2);
  assert_int_equal(REG(h, CPU_EBX), 2);
  for (unsigned k = 0; k < 2; k++) {
    assert_int_equal(rd32(h, LOG_EIP + 4 * k), 0x1005);
    assert_int_equal(rd32(h, LOG_DR6 + 4 * k), 0xFFFF0FF0u | CPU_DR6_B(0));
    assert_int_equal(rd32(h, LOG_FLAGS + 4 * k) & CPU_FLAG_RF, 0);
  }
  assert_int_equal(cpu_get_eflags(h->cpu) & CPU_FLAG_RF, 0);
}

/* MOV DR7 in the middle of a block takes effect at the next instruction. */
static void mov_to_dr7_enables_a_breakpoint_at_once(void **state) {
  struct harness *h = *state;
  db_handler(h, true);
  assert_int_equal(RUN(h, 0xB8, 0x11, 0x10, 0x00, 0x00, /* 1000: mov eax, 0x1011 */
                       0x0F, 0x23, 0xC0,             /* 1005: mov dr0, eax */
                       0xB8, 0x01, 0x04, 0x00, 0x00, /* 1008: mov eax, 0x401 */
                       0x0F, 0x23, 0xF8,             /* 100d: mov dr7, eax */
                       0x43,                         /* 1010: inc ebx */
                       0x43,                         /* 1011: inc ebx  <- DR0 */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 1);
  assert_int_equal(rd32(h, LOG_EIP), 0x1011);
  assert_int_equal(REG(h, CPU_EBX), 2);
}

/* A breakpoint on the #DB handler's first instruction delivers #DB
 * forever (each delivery hits it again); time advances, so the budget ends
 * the run (found by fuzz_cpu_replay: it hung). */
static void a_breakpoint_on_the_db_handler_loops_but_time_advances(void **state) {
  struct harness *h = *state;
  set_dr(h, 0, HARNESS_CODE);
  set_dr(h, 1, DB_HANDLER);
  set_dr(h, 7, dr7_bp(0, 0, 0) | dr7_bp(1, 0, 0));
  cycles_t c0 = cpu_cycles(h->cpu);
  assert_int_equal(RUN(h, 0x90, 0xF4), CPU_EXIT_BUDGET);
  assert_true(cpu_cycles(h->cpu) - c0 >= 10000);
  assert_int_equal(rd32(h, COUNT), 0); /* the handler never ran an instruction */
}

/* A breakpoint that DR7 does not enable (L and G clear) does nothing. */
static void a_disabled_breakpoint_does_nothing(void **state) {
  struct harness *h = *state;
  set_dr(h, 0, 0x1000);
  set_dr(h, 7, 0x400u | (3u << 18)); /* R/W0 = exec, LEN set, L0 = G0 = 0 */
  assert_false(h->cpu->dbg_any);
  assert_int_equal(RUN(h, 0x43, 0xF4), CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 0);
}

/* ---- data and I/O breakpoints ----------------------------------------------------- */

/* A write breakpoint (R/W 01, 4 bytes) traps after a write that touches any
 * of its bytes, not after reads or writes beside it; EIP is the next
 * instruction, DR6 has B1. */
static void write_breakpoint_traps_after_writes_into_its_range(void **state) {
  struct harness *h = *state;
  set_dr(h, 1, 0xA102); /* aligned down to 0xA100 by its length */
  set_dr(h, 7, dr7_bp(1, 1, 3));
  assert_int_equal(RUN(h, 0xC7, 0x05, 0x00, 0xA1, 0x00, 0x00, 0x05, 0, 0, 0, /* 1000: mov dword [a100], 5 -> #DB */
                       0xA1, 0x00, 0xA1, 0x00, 0x00,                         /* 100a: mov eax, [a100] */
                       0xC6, 0x05, 0x03, 0xA1, 0x00, 0x00, 0x01,             /* 100f: mov byte [a103], 1 -> #DB */
                       0xC6, 0x05, 0x04, 0xA1, 0x00, 0x00, 0x01,             /* 1016: mov byte [a104], 1 */
                       0xC7, 0x05, 0xFE, 0xA0, 0x00, 0x00, 1, 2, 3, 4,       /* 101d: mov dword [a0fe], ... -> #DB */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 3);
  assert_int_equal(rd32(h, LOG_EIP), 0x100A);
  assert_int_equal(rd32(h, LOG_EIP + 4), 0x1016);
  assert_int_equal(rd32(h, LOG_EIP + 8), 0x1027);
  assert_int_equal(rd32(h, LOG_DR6), 0xFFFF0FF0u | CPU_DR6_B(1));
  assert_int_equal(REG(h, CPU_EAX), 5);
}

/* A read/write breakpoint (R/W 11) also traps after reads, one that only
 * overlaps its range included; an access beside it does not. */
static void read_write_breakpoint_traps_after_reads(void **state) {
  struct harness *h = *state;
  set_dr(h, 3, 0xA200);
  set_dr(h, 7, dr7_bp(3, 3, 1)); /* 2 bytes */
  assert_int_equal(RUN(h, 0x8B, 0x0D, 0x01, 0xA2, 0x00, 0x00,       /* 1000: mov ecx, [a201] -> #DB */
                       0x83, 0x3D, 0xFD, 0xA1, 0x00, 0x00, 0x00,   /* 1006: cmp dword [a1fd], 0 -> #DB */
                       0x8B, 0x0D, 0xFC, 0xA1, 0x00, 0x00,         /* 100d: mov ecx, [a1fc] */
                       0x8B, 0x0D, 0x02, 0xA2, 0x00, 0x00,         /* 1013: mov ecx, [a202] */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 2);
  assert_int_equal(rd32(h, LOG_EIP), 0x1006);
  assert_int_equal(rd32(h, LOG_EIP + 4), 0x100D);
  assert_int_equal(rd32(h, LOG_DR6 + 4), 0xFFFF0FF0u | CPU_DR6_B(3));
}

/* A data breakpoint hit by one iteration of a REP string traps after that
 * iteration: EIP at the REP instruction, ECX the iterations left, RF = 1 in
 * the frame; the IRETD resumes the rest. */
static void data_breakpoint_in_a_rep_string_traps_after_the_iteration(void **state) {
  struct harness *h = *state;
  set_dr(h, 0, 0xA308);
  set_dr(h, 7, dr7_bp(0, 1, 3));
  assert_int_equal(RUN(h, 0xBF, 0x00, 0xA3, 0x00, 0x00, /* 1000: mov edi, 0xa300 */
                       0xB9, 0x08, 0x00, 0x00, 0x00, /* 1005: mov ecx, 8 */
                       0xB8, 0x77, 0x00, 0x00, 0x00, /* 100a: mov eax, 0x77 */
                       0xF3, 0xAB,                   /* 100f: rep stosd (third dword hits) */
                       0x89, 0xCE,                   /* 1011: mov esi, ecx */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 1);
  assert_int_equal(rd32(h, LOG_EIP), 0x100F);
  assert_int_equal(rd32(h, LOG_FLAGS) & CPU_FLAG_RF, CPU_FLAG_RF);
  assert_int_equal(REG(h, CPU_ESI), 0);
  assert_int_equal(rd32(h, 0xA31C), 0x77);
  assert_int_equal(REG(h, CPU_EDI), 0xA320);
}

/* With paging on, data accesses go through the paged slow path: the same
 * breakpoint fires (linear addresses). */
static void write_breakpoint_fires_with_paging_on(void **state) {
  struct harness *h = *state;
  /* A page directory at 0x20000 with one 4 MiB identity page (PSE). */
  mmu_write(h->mem, 0x20000, 4, 0x00000083u);
  h->cpu->cr[4] |= 0x10; /* PSE */
  h->cpu->cr[3] = 0x20000;
  h->cpu->cr[0] |= 0x80000000u;
  cpu_paging_reset(h->cpu);
  set_dr(h, 2, 0xA400);
  set_dr(h, 7, dr7_bp(2, 1, 0));
  assert_int_equal(RUN(h, 0xC6, 0x05, 0x00, 0xA4, 0x00, 0x00, 0x09, /* 1000: mov byte [a400], 9 -> #DB */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 1);
  assert_int_equal(rd32(h, LOG_EIP), 0x1007);
  assert_int_equal(rd32(h, LOG_DR6), 0xFFFF0FF0u | CPU_DR6_B(2));
}

/* An access that faults in its translation matches nothing: a write to a
 * not-present page under a write breakpoint is a #PF, no #DB after. */
static void a_faulting_access_matches_no_breakpoint(void **state) {
  struct harness *h = *state;
  mmu_write(h->mem, 0x20000, 4, 0x00000083u); /* 0-4 MiB identity (PSE); 4 MiB up not present */
  h->cpu->cr[4] |= 0x10;
  h->cpu->cr[3] = 0x20000;
  h->cpu->cr[0] |= 0x80000000u;
  cpu_paging_reset(h->cpu);
  set_dr(h, 2, 0x00400010);
  set_dr(h, 7, dr7_bp(2, 1, 3));
  assert_int_equal(RUN(h, 0xC7, 0x05, 0x10, 0x00, 0x40, 0x00, 1, 0, 0, 0, /* mov dword [400010], 1 -> #PF */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(CPU_EXC_PF) + 1);
  assert_int_equal(rd32(h, COUNT), 0);
  assert_int_equal(h->cpu->dbg_pending, 0);
  assert_int_equal(h->cpu->dr[6] & 0xF, 0);
}

/* I/O breakpoints (R/W 10) need CR4.DE: then OUT to a port in the range
 * traps after the instruction; without DE the same DR7 does nothing. */
static void io_breakpoint_traps_with_cr4_de_only(void **state) {
  struct harness *h = *state;
  set_dr(h, 2, 0x80);
  set_dr(h, 7, dr7_bp(2, 2, 0));
  assert_int_equal(RUN(h, 0xE6, 0x80, 0xF4), CPU_EXIT_HALT); /* out 0x80, al */
  assert_int_equal(rd32(h, COUNT), 0);
  h->cpu->cr[4] |= CPU_CR4_DE;
  cpu_debug_update(h->cpu);
  assert_int_equal(RUN(h, 0xE6, 0x81, /* 1000: out 0x81, al */
                       0xE6, 0x80,   /* 1002: out 0x80, al -> #DB */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 1);
  assert_int_equal(rd32(h, LOG_EIP), 0x1004);
  assert_int_equal(rd32(h, LOG_DR6), 0xFFFF0FF0u | CPU_DR6_B(2));
}

/* ---- general detect, DR6/DR7 bits --------------------------------------------------- */

/* DR7.GD: a MOV from DR0 is a #DB fault at the MOV (EIP at it, RF = 1 in
 * the frame, DR6.BD); entering the handler clears GD, so its own MOV DR6
 * works and the IRETD re-runs the MOV, which then succeeds. */
static void general_detect_faults_on_mov_dr_and_entry_clears_gd(void **state) {
  struct harness *h = *state;
  set_dr(h, 0, 0x12345678);
  set_dr(h, 7, 0x400 | CPU_DR7_GD);
  assert_int_equal(RUN(h, 0x43,             /* 1000: inc ebx */
                       0x0F, 0x21, 0xC0,   /* 1001: mov eax, dr0 -> #DB (fault) */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(rd32(h, COUNT), 1);
  assert_int_equal(rd32(h, LOG_EIP), 0x1001);
  assert_int_equal(rd32(h, LOG_FLAGS) & CPU_FLAG_RF, CPU_FLAG_RF);
  assert_int_equal(rd32(h, LOG_DR6), 0xFFFF0FF0u | CPU_DR6_BD);
  assert_int_equal(h->cpu->dr[7] & CPU_DR7_GD, 0);
  assert_int_equal(REG(h, CPU_EAX), 0x12345678);
  assert_int_equal(REG(h, CPU_EBX), 1);
}

/* DR6 and DR7 keep their fixed bits whatever is written: DR6 bits 4-11 and
 * 16-31 read 1, bit 12 0; DR7 bit 10 reads 1, bits 11, 12, 14, 15 0. */
static void dr6_and_dr7_read_their_fixed_bits(void **state) {
  struct harness *h = *state;
  assert_int_equal(RUN(h, 0x31, 0xC0,       /* xor eax, eax */
                       0x0F, 0x23, 0xF0,   /* mov dr6, eax */
                       0x0F, 0x23, 0xF8,   /* mov dr7, eax */
                       0x0F, 0x21, 0xF1,   /* mov ecx, dr6 */
                       0x0F, 0x21, 0xFA,   /* mov edx, dr7 */
                       0x83, 0xC8, 0xFF,   /* or eax, -1 */
                       0x25, 0xFF, 0xDF, 0xFF, 0xFF, /* and eax, ~GD */
                       0x0F, 0x23, 0xF0,   /* mov dr6, eax */
                       0x0F, 0x23, 0xF8,   /* mov dr7, eax (every breakpoint on) */
                       0x0F, 0x21, 0xF6,   /* mov esi, dr6 */
                       0x0F, 0x21, 0xFF,   /* mov edi, dr7 */
                       0x31, 0xC0, 0x0F, 0x23, 0xF8, /* xor eax, eax; mov dr7, eax */
                       0xF4),
                   CPU_EXIT_HALT);
  assert_int_equal(REG(h, CPU_ECX), 0xFFFF0FF0u);
  assert_int_equal(REG(h, CPU_EDX), 0x00000400u);
  assert_int_equal(REG(h, CPU_ESI), 0xFFFFCFFFu); /* B0-B3, BS, BT (BD is bit 13: written 0) */
  assert_int_equal(REG(h, CPU_EDI), 0xFFFF07FFu);
}

/* ---- RF between REP iterations ------------------------------------------------------ */

static struct cpu *ack_cpu;
static int ack(void *ctx) {
  (void)ctx;
  cpu_set_intr(ack_cpu, false);
  return 0x40;
}
static unsigned outs;
static uint32_t io_in(void *ctx, uint16_t port, unsigned n) { return 0; }
static void io_out(void *ctx, uint16_t port, unsigned n, uint32_t v) {
  if (++outs == 10)
    cpu_set_intr(ack_cpu, true); /* an IRQ arrives during the 10th iteration */
}

/* An interrupt that arrives between two iterations of a REP string pushes
 * RF = 1 (SDM vol. 3, 17.3.1.1), with EIP at the instruction; one after an
 * ordinary instruction pushes RF as it is (0). */
static void interrupt_between_rep_iterations_pushes_rf(void **state) {
  (void)state;
  static const struct cpu_io_ops io = {io_in, io_out};
  struct harness *h = harness_new_io(HARNESS_FLAT32, &io, NULL);
  harness_pm_tables(h, RING0_STACK, 0);
  ack_cpu = h->cpu;
  outs = 0;
  cpu_set_interrupt_ack(h->cpu, ack, NULL);
  cpu_set_eflags(h->cpu, 0x202);
  cpu_set_reg(h->cpu, CPU_ECX, 5000); /* more than one chunk of the run loop */
  cpu_set_reg(h->cpu, CPU_ESI, 0x20000);
  assert_int_equal(HARNESS_RUN(h, 0xF3, 0x6E, 0xF4), CPU_EXIT_HALT); /* rep outsb; hlt */
  assert_int_equal(cpu_get_eip(h->cpu), harness_handler(0x40) + 1);
  uint32_t esp = REG(h, CPU_ESP);
  assert_int_equal(rd32(h, esp), HARNESS_CODE);
  assert_int_equal(rd32(h, esp + 8) & CPU_FLAG_RF, CPU_FLAG_RF);
  assert_true(REG(h, CPU_ECX) > 0 && REG(h, CPU_ECX) < 5000);
  assert_int_equal(cpu_get_eflags(h->cpu) & CPU_FLAG_RF, 0);
  /* After an ordinary instruction: RF 0 in the frame. */
  cpu_set_eflags(h->cpu, 0x202);
  cpu_set_reg(h->cpu, CPU_ESP, RING0_STACK);
  outs = 9;
  assert_int_equal(HARNESS_RUN(h, 0xE6, 0x10, 0x90, 0xF4), CPU_EXIT_HALT); /* out 0x10, al; nop */
  esp = REG(h, CPU_ESP);
  assert_int_equal(rd32(h, esp), HARNESS_CODE + 2);
  assert_int_equal(rd32(h, esp + 8) & CPU_FLAG_RF, 0);
  harness_free(h);
}

/* Without TF, RF or an enabled breakpoint the run loop is not in debug
 * mode: nothing of this costs the interpreter (debug.c). */
static void no_debug_mode_without_breakpoints(void **state) {
  struct harness *h = *state;
  assert_false(h->cpu->dbg_any);
  assert_false(h->mem->watch);
  set_dr(h, 1, 0xA000);
  set_dr(h, 7, dr7_bp(1, 1, 0));
  assert_true(h->cpu->dbg_any);
  assert_true(h->mem->watch);
  assert_int_equal(h->mem->direct_bytes, 0);
  set_dr(h, 7, 0x400);
  assert_false(h->cpu->dbg_any);
  assert_false(h->mem->watch);
  assert_int_equal(h->mem->direct_bytes, h->mem->ram_bytes);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(single_step_traps_after_each_instruction_that_began_with_tf, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(single_step_does_not_trap_after_int_n, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(single_step_over_hlt_traps_past_it, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(mov_ss_holds_the_single_step_trap_one_instruction, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(instruction_breakpoint_faults_and_rf_resumes_once, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(mov_to_dr7_enables_a_breakpoint_at_once, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_breakpoint_on_the_db_handler_loops_but_time_advances, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(a_disabled_breakpoint_does_nothing, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(write_breakpoint_traps_after_writes_into_its_range, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(read_write_breakpoint_traps_after_reads, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(data_breakpoint_in_a_rep_string_traps_after_the_iteration, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(write_breakpoint_fires_with_paging_on, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(a_faulting_access_matches_no_breakpoint, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(io_breakpoint_traps_with_cr4_de_only, setup, harness_teardown),
      cmocka_unit_test_setup_teardown(general_detect_faults_on_mov_dr_and_entry_clears_gd, setup,
                                      harness_teardown),
      cmocka_unit_test_setup_teardown(dr6_and_dr7_read_their_fixed_bits, setup, harness_teardown),
      cmocka_unit_test(interrupt_between_rep_iterations_pushes_rf),
      cmocka_unit_test_setup_teardown(no_debug_mode_without_breakpoints, setup, harness_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
