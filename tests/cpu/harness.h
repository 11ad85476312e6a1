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

/* Copies code to HARNESS_CODE and points EIP there. */
void harness_load(struct harness *h, const uint8_t *code, size_t n);

/* harness_load(), then runs until the CPU stops (at most `budget` cycles).
 * Returns why it stopped. */
enum cpu_exit harness_run(struct harness *h, const uint8_t *code, size_t n, cycles_t budget);

#define HARNESS_RUN(h, ...)                                                      \
  harness_run((h), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), 100000)

#endif
