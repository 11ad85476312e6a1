/* tests/cpu/harness.h - a machine in a box for CPU tests: RAM, a CPU, code
 * placed and run to HLT. Real mode puts code at 0000:1000 with SS:SP =
 * 0000:8000; flat protected mode at 0x1000 with ESP = 0x8000. */
#ifndef RINGLAB_TESTS_CPU_HARNESS_H
#define RINGLAB_TESTS_CPU_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "mmu.h"

#define HARNESS_CODE 0x1000u
#define HARNESS_STACK 0x8000u
#define HARNESS_HANDLER 0x0500u /* HLT that every real-mode vector reaches */
#define HARNESS_RAM (2u << 20)

struct harness {
  struct mmu *mem;
  struct cpu *cpu;
};

enum harness_mode { HARNESS_REAL16, HARNESS_FLAT32 };

/* A fresh machine in the given mode, with HARNESS_RAM bytes of RAM and no
 * ports; real mode gets an IVT whose every vector points at a HLT at
 * 0000:HARNESS_HANDLER. */
struct harness *harness_new(enum harness_mode mode);
/* The same with the CPU's ports answered by io (io_ctx passed along). */
struct harness *harness_new_io(enum harness_mode mode, const struct cpu_io_ops *io, void *io_ctx);
/* The same with ram_bytes of RAM instead of HARNESS_RAM (say, to leave the
 * addresses above 1 MiB that real mode reaches free for an MMIO page). */
struct harness *harness_new_sized(enum harness_mode mode, uint32_t ram_bytes,
                                  const struct cpu_io_ops *io, void *io_ctx);
void harness_free(struct harness *h);

/* cmocka fixtures: *state = a fresh real-mode or flat 32-bit harness;
 * harness_free(*state). */
int harness_setup_real16(void **state);
int harness_setup_flat32(void **state);
int harness_teardown(void **state);

/* Copies code to HARNESS_CODE and points EIP there. */
void harness_load(struct harness *h, const uint8_t *code, size_t n);

/* harness_load(), then runs until the CPU stops (at most `budget` cycles).
 * Returns why it stopped. */
enum cpu_exit harness_run(struct harness *h, const uint8_t *code, size_t n, cycles_t budget);

#define HARNESS_RUN(h, ...)                                                      \
  harness_run((h), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), 100000)

/* ---- protected-mode tables -------------------------------------------------
 * The system tests build their tables in RAM at fixed places and set
 * GDTR/IDTR/TR directly:
 *
 *   0x07000  ring-3 stack top          0x10000  GDT
 *   0x08000  ring-0 stack (harness)    0x11000  IDT (256 gates)
 *                                      0x12000  TSS
 *                                      0x13000  handlers: HLT at +16 * vector
 *
 *   GDT  0x08 code 0   0x10 data 0   0x18 code 3   0x20 data 3   0x28 TSS
 *        (flat 4 GiB, 32-bit)
 */
#define HARNESS_GDT 0x10000u
#define HARNESS_IDT 0x11000u
#define HARNESS_TSS 0x12000u
#define HARNESS_HANDLERS 0x13000u
#define HARNESS_RING3_STACK 0x7000u

#define HARNESS_SEL_CODE0 0x08u
#define HARNESS_SEL_DATA0 0x10u
#define HARNESS_SEL_CODE3 0x18u
#define HARNESS_SEL_DATA3 0x20u
#define HARNESS_SEL_TSS 0x28u

#define HARNESS_GATE_TASK 0x5u
#define HARNESS_GATE_INT16 0x6u
#define HARNESS_GATE_INT32 0xEu
#define HARNESS_GATE_TRAP32 0xFu

/* The address of vector v's handler (a HLT once harness_pm_tables ran). */
uint32_t harness_handler(unsigned v);

/* Writes the GDT descriptor of selector sel: its low and high dwords. */
void harness_gdt_set(struct harness *h, unsigned sel, uint32_t lo, uint32_t hi);
/* A present system descriptor of DPL 0 (TSS, LDT): base, byte limit
 * (< 1 MiB), type (0x9 TSS, 0xB busy TSS, ...). */
void harness_gdt_system(struct harness *h, unsigned sel, uint32_t base, uint32_t limit, unsigned type);
/* Writes a present IDT gate for vector v: type (HARNESS_GATE_*), DPL, the
 * target selector and offset. */
void harness_idt_gate(struct harness *h, unsigned v, unsigned type, unsigned dpl, uint16_t sel, uint32_t off);
/* A 32-bit TSS at base running flat ring-0 code at eip with stack esp, its
 * ring-0 stack at esp0 (SS0 0x10) and no I/O bitmap; everything else 0. */
void harness_tss32(struct harness *h, uint32_t base, uint32_t eip, uint32_t esp, uint32_t esp0);
/* Grows the TSS of selector sel at base (current in TR, busy) to 0xE9 bytes
 * with an I/O bitmap at +0x68 for ports 0-0x407, every port allowed. */
void harness_tss_io_bitmap(struct harness *h, unsigned sel, uint32_t base);

/* On a flat 32-bit harness: the GDT above (GDTR limit 0x2F), an IDT of 256
 * 32-bit interrupt gates of DPL gate_dpl each to its own HLT at
 * harness_handler(v), and the TSS at HARNESS_TSS (available descriptor,
 * limit 0x67) with ESP0 = esp0, SS0 = 0x10, in TR as busy. */
void harness_pm_tables(struct harness *h, uint32_t esp0, unsigned gate_dpl);

/* Ring 3 with flat DPL-3 segments (CS 0x1B, the others 0x23), as an IRET to
 * user mode leaves it, and ESP = HARNESS_RING3_STACK. */
void harness_enter_ring3(struct harness *h);

/* The selector in segment register s. */
uint16_t harness_selector(struct harness *h, enum cpu_sreg s);

#endif
