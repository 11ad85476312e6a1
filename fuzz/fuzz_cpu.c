/* fuzz/fuzz_cpu.c - libFuzzer harness: random bytes as code, in real mode
 * and in flat 32-bit protected mode.
 *
 * Checks DESIGN.md rule 2 ("the guest cannot crash the emulator"): whatever
 * the bytes, the CPU must not fault, read or write outside guest memory
 * (AddressSanitizer), hit undefined behavior (UBSan) or hang (libFuzzer's
 * -timeout). Any way the run ends is fine: budget spent, HLT, triple fault,
 * an instruction or mechanism ringlab does not model yet.
 *
 * Input layout (short inputs are padded with zeros):
 *
 *   [0]      config
 *              bit 0    0: real mode, CS:IP = 1000:0000
 *                       1: flat protected mode (cpu_set_flat_protected)
 *              bit 1    real mode: "unreal" 4 GiB limits on DS ES FS GS
 *                       protected: 16-bit code segment (CS 0x18, D = 0)
 *                       based at 0x10000, IP 0
 *              bit 2    A20 gate off
 *              bit 3    EFLAGS.IF set
 *              bit 4    EFLAGS.DF set
 *              bits 5-6 real mode DS and ES: 0000, 1000 (code), 2000 (data), F000
 *              bit 7    code starts 16 bytes before a page end (IP 0x0FF0),
 *                       so that instructions straddle two pages
 *   [1]      arithmetic flags: CF PF AF ZF SF as in EFLAGS; bit 1 sets OF
 *   [2..17]  low 16 bits of EAX ECX EDX EBX ESP EBP ESI EDI
 *   [18]     bit k set: register k gets 0xFFFF in its high 16 bits
 *   [19..]   code, at linear 0x10000 (or 0x10FF0, bit 7)
 *
 * Guest memory: 1 MiB of RAM, a 64 KiB ROM at 0xFFFF0000, a 4 KiB MMIO
 * range at 0xFEC00000 and port I/O that reads a pattern; a byte written to
 * port 0xF4 asks the CPU to stop (the ops-port exit). In real mode the IVT
 * points every vector at 0000:0500, which holds HLT; IRET. In protected mode
 * a setup stub first loads a GDT at 0x800 (0x08 flat 32-bit code, 0x10 flat
 * data, 0x18 16-bit code at 0x10000, 0x20 16-bit data) and an IDT at 0x1000
 * whose 256 interrupt gates lead to 0x08:0x500 (HLT; IRETD). So an exception
 * halts the run; the harness then resumes it (the IRET returns to the
 * faulting instruction or, for INT n, past it) for a few more rounds. The rest of the code's 64 KiB
 * is HLT, so that running off the end of the code stops soon instead of
 * decoding 64 KiB of zeros (which only slows the fuzzer down). 0x00600-
 * 0x0FFFF and 0x20000-0x2FFFF hold copies of the input, so memory operands
 * read real bytes.
 *
 * The same bytes also go to cpu_decode_length() in both code sizes, checking
 * that a length never depends on bytes past the end of the instruction.
 *
 * With RINGLAB_FUZZ_VERBOSE set in the environment, the harness says how
 * each round ended (for looking at one input: fuzz_cpu FILE).
 *
 * The CPU and its memory are made once; each input starts from cpu_reset()
 * and zeroed RAM, and cpu_invalidate_phys() drops every block the previous
 * input decoded, so that no input sees another's code (each input is
 * independent: a finding replays alone). The ROM never changes, so its
 * blocks may stay.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "mmu.h"

#define RAM_BYTES (1u << 20)
#define ROM_BASE 0xFFFF0000u
#define ROM_BYTES 0x10000u
#define MMIO_BASE 0xFEC00000u
#define MMIO_BYTES 0x1000u

#define HEADER_BYTES 19
#define CODE_SEG 0x1000u
#define CODE_LINEAR (CODE_SEG << 4)
#define CODE_MAX 0x8000u
#define STUB_LINEAR 0x500u
#define FILL1_LINEAR 0x600u
#define FILL1_END 0x10000u
#define FILL2_LINEAR 0x20000u
#define FILL2_END 0x30000u

/* Protected mode: descriptor tables, loaded by a setup stub run first. */
#define SETUP_LINEAR 0x700u
#define GDTR_LINEAR 0x7F0u
#define IDTR_LINEAR 0x7F8u
#define GDT_LINEAR 0x800u
#define IDT_LINEAR 0x1000u
#define SEL_CODE32 0x08u
#define SEL_CODE16 0x18u

#define ROUND_CYCLES 20000u
#define ROUNDS 3

static struct mmu *mem;
static struct cpu *cpu;
static bool verbose; /* RINGLAB_FUZZ_VERBOSE set: say how each round ended */

static uint32_t io_in(void *ctx, uint16_t port, unsigned size_bytes) {
  (void)ctx;
  return ((uint32_t)port * 0x9E3779B1u) ^ size_bytes;
}

static void io_out(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value) {
  (void)size_bytes;
  (void)value;
  if (port == 0xF4)
    cpu_request_stop(*(struct cpu **)ctx);
}

static const struct cpu_io_ops io_ops = {io_in, io_out};

static uint32_t mmio_read(void *ctx, uint32_t offset, unsigned size_bytes) {
  (void)ctx;
  if (offset >= MMIO_BYTES || size_bytes == 0 || size_bytes > 4 || offset + size_bytes > MMIO_BYTES)
    abort(); /* the MMU promised an access inside the range */
  uint32_t v = (offset * 0x01000193u) ^ 0xA5A5A5A5u;
  return size_bytes == 4 ? v : v & ((1u << (8 * size_bytes)) - 1);
}

static void mmio_write(void *ctx, uint32_t offset, unsigned size_bytes, uint32_t value) {
  (void)ctx;
  (void)value;
  if (offset >= MMIO_BYTES || size_bytes == 0 || size_bytes > 4 || offset + size_bytes > MMIO_BYTES)
    abort();
}

static const struct mmu_mmio_ops mmio_ops = {mmio_read, mmio_write};

static void setup_once(void) {
  mem = mmu_new(RAM_BYTES);
  if (!mem)
    abort();
  static uint8_t rom[ROM_BYTES];
  uint32_t x = 0x12345678u; /* fixed pattern: a deterministic ROM */
  for (uint32_t k = 0; k < ROM_BYTES; k++) {
    x = x * 1664525u + 1013904223u;
    rom[k] = (uint8_t)(x >> 24);
  }
  rom[0xFFF0] = 0xF4; /* HLT at the reset vector */
  if (mmu_map_rom(mem, ROM_BASE, rom, ROM_BYTES) < 0 ||
      mmu_map_mmio(mem, MMIO_BASE, MMIO_BYTES, &mmio_ops, NULL) < 0)
    abort();
  cpu = cpu_new(mem, &io_ops, &cpu);
  if (!cpu)
    abort();
  verbose = getenv("RINGLAB_FUZZ_VERBOSE") != NULL;
}

/* Zeroes RAM and drops every block decoded from it. (Writing one byte per
 * marked page through mmu_write() used to do this, until a write began to
 * drop only the blocks it overlaps: the rest of a page's blocks then ran
 * in the next input.) */
static void clear_ram(void) {
  cpu_invalidate_phys(cpu, 0, mem->ram_bytes);
  memset(mem->ram, 0, mem->ram_bytes);
}

static void fill(uint32_t from, uint32_t to, const uint8_t *data, size_t n) {
  if (n == 0)
    return;
  for (uint32_t a = from; a < to;) {
    size_t k = n < (size_t)(to - a) ? n : (size_t)(to - a);
    memcpy(mem->ram + a, data, k);
    a += (uint32_t)k;
  }
}

/* cpu_decode_length() on bytes[0..n) must agree with itself on every
 * truncation: -1 while the bytes are too few, then one answer (length and
 * row) for every longer window. The window is placed at the end of a heap
 * block so that ASan sees a read past n. */
static void check_decode(const uint8_t *bytes, unsigned n, bool code32) {
  static uint8_t *window;
  if (!window && !(window = malloc(15)))
    abort();
  if (n > 15)
    n = 15;
  unsigned full_row = 0;
  memcpy(window + 15 - n, bytes, n);
  int full = cpu_decode_length(window + 15 - n, n, code32, &full_row);
  if (n == 15 && full < 0)
    abort(); /* 15 bytes always decide: an instruction, #UD or too long */
  if (full > 15 || full < -1)
    abort();
  if (full > 0 && full_row >= cpu_opcode_rows())
    abort();
  bool decided = false;
  for (unsigned k = 0; k < n; k++) {
    memcpy(window + 15 - k, bytes, k);
    unsigned row = 0;
    int r = cpu_decode_length(window + 15 - k, k, code32, &row);
    if (r == -1) {
      if (decided)
        abort(); /* more bytes made a decided instruction undecided */
      continue;
    }
    decided = true;
    if (r != full || (full > 0 && row != full_row)) {
      fprintf(stderr, "fuzz_cpu: decode of %u of %u bytes (code32 %d) gives %d row %u, all give %d row %u\n",
              k, n, code32, r, row, full, full_row);
      abort();
    }
    if (r > 0 && (unsigned)r > k)
      abort(); /* a length longer than the bytes given */
  }
}

static void put_desc(uint32_t at, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  uint8_t d[8] = {(uint8_t)limit, (uint8_t)(limit >> 8), (uint8_t)base, (uint8_t)(base >> 8),
                  (uint8_t)(base >> 16), access, (uint8_t)((flags << 4) | ((limit >> 16) & 0xF)),
                  (uint8_t)(base >> 24)};
  memcpy(mem->ram + at, d, 8);
}

/* Protected mode: a GDT (flat 32-bit code 0x08 and data 0x10, 16-bit code
 * 0x18 based at the code, 16-bit data 0x20), an IDT of 256 interrupt gates
 * to 0x08:0x500 (HLT; IRETD), and a stub that loads both with LGDT/LIDT and
 * halts. Runs the stub; the CPU is then ready for the code. */
static void setup_protected(void) {
  put_desc(GDT_LINEAR + 0x08, 0, 0xFFFFF, 0x9A, 0xC);
  put_desc(GDT_LINEAR + 0x10, 0, 0xFFFFF, 0x92, 0xC);
  put_desc(GDT_LINEAR + 0x18, CODE_LINEAR, 0xFFFF, 0x9A, 0x0);
  put_desc(GDT_LINEAR + 0x20, 0, 0xFFFF, 0x92, 0x0);
  memset(mem->ram + GDT_LINEAR, 0, 8);
  for (unsigned v = 0; v < 256; v++) {
    uint8_t gate[8] = {STUB_LINEAR & 0xFF, STUB_LINEAR >> 8, SEL_CODE32, 0, 0, 0x8E, 0, 0};
    memcpy(mem->ram + IDT_LINEAR + 8 * v, gate, 8);
  }
  uint8_t gdtr[6] = {0x27, 0, GDT_LINEAR & 0xFF, GDT_LINEAR >> 8, 0, 0};
  uint8_t idtr[6] = {0xFF, 0x07, IDT_LINEAR & 0xFF, IDT_LINEAR >> 8, 0, 0};
  memcpy(mem->ram + GDTR_LINEAR, gdtr, 6);
  memcpy(mem->ram + IDTR_LINEAR, idtr, 6);
  static const uint8_t stub[] = {
      0x0F, 0x01, 0x15, GDTR_LINEAR & 0xFF, GDTR_LINEAR >> 8, 0, 0, /* lgdt [GDTR_LINEAR] */
      0x0F, 0x01, 0x1D, IDTR_LINEAR & 0xFF, IDTR_LINEAR >> 8, 0, 0, /* lidt [IDTR_LINEAR] */
      0xF4,                                                         /* hlt */
  };
  memcpy(mem->ram + SETUP_LINEAR, stub, sizeof stub);
  cpu_set_flat_protected(cpu);
  cpu_set_eip(cpu, SETUP_LINEAR);
  enum cpu_exit why = cpu_run(cpu, cpu_cycles(cpu) + 100);
  if (why != CPU_EXIT_HALT || cpu_get_eip(cpu) != SETUP_LINEAR + sizeof stub) {
    fprintf(stderr, "fuzz_cpu: the protected-mode setup stub did not run (exit %d at %08x: %s)\n", why,
            cpu_get_eip(cpu), cpu_stop_reason(cpu));
    abort();
  }
}

static void decode_stream(const uint8_t *code, size_t n, bool code32) {
  size_t pos = 0;
  for (unsigned steps = 0; pos < n && steps < 64; steps++) {
    size_t left = n - pos;
    check_decode(code + pos, (unsigned)(left < 15 ? left : 15), code32);
    int len = cpu_decode_length(code + pos, (unsigned)(left < 15 ? left : 15), code32, NULL);
    pos += len > 0 ? (size_t)len : 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!cpu)
    setup_once();

  uint8_t hdr[HEADER_BYTES] = {0};
  memcpy(hdr, data, size < HEADER_BYTES ? size : HEADER_BYTES);
  const uint8_t *code = size > HEADER_BYTES ? data + HEADER_BYTES : NULL;
  size_t code_n = size > HEADER_BYTES ? size - HEADER_BYTES : 0;
  if (code_n > CODE_MAX)
    code_n = CODE_MAX;

  decode_stream(code, code_n, false);
  decode_stream(code, code_n, true);

  /* Guest memory */
  clear_ram();
  mmu_set_a20(mem, !(hdr[0] & 0x04));
  for (unsigned v = 0; v < 256; v++) {
    uint8_t entry[4] = {STUB_LINEAR & 0xFF, STUB_LINEAR >> 8, 0, 0}; /* 0000:0500 */
    memcpy(mem->ram + 4 * v, entry, 4);
  }
  fill(FILL1_LINEAR, FILL1_END, data, size);
  fill(FILL2_LINEAR, FILL2_END, data, size);
  mem->ram[STUB_LINEAR] = 0xF4;     /* HLT */
  mem->ram[STUB_LINEAR + 1] = 0xCF; /* IRET */
  uint32_t ip = (hdr[0] & 0x80) ? 0x0FF0u : 0;
  memset(mem->ram + CODE_LINEAR, 0xF4, 0x10000); /* HLT around the code */
  if (code_n)
    memcpy(mem->ram + CODE_LINEAR + ip, code, code_n);

  /* Processor */
  cpu_reset(cpu);
  bool prot = hdr[0] & 0x01;
  if (prot) {
    setup_protected();
    if (hdr[0] & 0x02) {
      struct cpu_segment cs;
      cpu_get_segment(cpu, CPU_CS, &cs);
      cs.selector = SEL_CODE16;
      cs.base = CODE_LINEAR;         /* the code at offset 0 (or 0x0FF0) */
      cs.limit = 0xFFFF;
      cs.attr &= (uint16_t)~0x4000u; /* D = 0: 16-bit code */
      cpu_set_segment(cpu, CPU_CS, &cs);
    }
  } else {
    static const uint16_t data_segs[4] = {0x0000, CODE_SEG, FILL2_LINEAR >> 4, 0xF000};
    uint16_t ds = data_segs[(hdr[0] >> 5) & 3];
    cpu_load_segment_real(cpu, CPU_CS, CODE_SEG);
    cpu_load_segment_real(cpu, CPU_DS, ds);
    cpu_load_segment_real(cpu, CPU_ES, ds);
    cpu_load_segment_real(cpu, CPU_SS, 0x3000);
    if (hdr[0] & 0x02) {
      for (enum cpu_sreg s = CPU_ES; s < CPU_NSREG; s++) {
        if (s == CPU_CS || s == CPU_SS)
          continue;
        struct cpu_segment sg;
        cpu_get_segment(cpu, s, &sg);
        sg.limit = 0xFFFFFFFFu;
        cpu_set_segment(cpu, s, &sg);
      }
    }
  }
  for (unsigned r = 0; r < 8; r++) {
    uint32_t lo = (uint32_t)hdr[2 + 2 * r] | (uint32_t)hdr[3 + 2 * r] << 8;
    cpu_set_reg(cpu, (enum cpu_reg)r, lo | ((hdr[18] >> r & 1) ? 0xFFFF0000u : 0));
  }
  uint32_t flags = (hdr[1] & 0xD5u) | ((hdr[1] & 0x02) ? 0x800u : 0);
  if (hdr[0] & 0x08)
    flags |= 0x200u;
  if (hdr[0] & 0x10)
    flags |= 0x400u;
  cpu_set_eflags(cpu, flags);
  cpu_set_eip(cpu, (prot && !(hdr[0] & 0x02) ? CODE_LINEAR : 0) + ip);

  /* Run: each round has its own budget; HLT (an exception's handler, or the
   * code's own) is resumed after, anything else ends the input. */
  for (int round = 0; round < ROUNDS; round++) {
    cycles_t before = cpu_cycles(cpu);
    enum cpu_exit why = cpu_run(cpu, before + ROUND_CYCLES);
    if (cpu_cycles(cpu) < before)
      abort(); /* time runs forward */
    const char *reason = cpu_stop_reason(cpu);
    if (verbose) {
      static const char *const exits[] = {"budget", "halt", "triple fault", "stop", "unimplemented"};
      struct cpu_segment cs;
      cpu_get_segment(cpu, CPU_CS, &cs);
      fprintf(stderr, "fuzz_cpu: round %d: %s at %04x:%08x after %llu insns, %llu cycles: %s\n", round,
              (unsigned)why < 5 ? exits[why] : "?", cs.selector, cpu_get_eip(cpu),
              (unsigned long long)cpu_instructions(cpu), (unsigned long long)cpu_cycles(cpu), reason);
    }
    if (why == CPU_EXIT_HALT)
      cpu_set_eip(cpu, cpu_get_eip(cpu)); /* wake up and go on */
    else if (why != CPU_EXIT_BUDGET)
      break;
  }
  return 0;
}
