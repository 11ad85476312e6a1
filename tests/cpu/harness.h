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
#define HARNESS_RAM (2u << 20)

struct harness {
  struct mmu *mem;
  struct cpu *cpu;
};

enum harness_mode { HARNESS_REAL16, HARNESS_FLAT32 };

/* A fresh machine in the given mode; real mode gets an IVT whose every
 * vector points at a HLT at 0000:0500. */
struct harness *harness_new(enum harness_mode mode);
void harness_free(struct harness *h);

/* Copies code to HARNESS_CODE, points EIP there and runs until the CPU
 * stops (at most `budget` cycles). Returns why it stopped. */
enum cpu_exit harness_run(struct harness *h, const uint8_t *code, size_t n, cycles_t budget);

#define HARNESS_RUN(h, ...)                                                      \
  harness_run((h), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), 100000)

#endif
