/* bench/workloads/bench.h - parameters and layout of the benchmark workloads
 * (bench/README.md). Shared by the C setup (bench.c) and the measured loops
 * (loops.S), so it holds only preprocessor definitions.
 *
 * Every parameter is chosen at build time: bench/CMakeLists.txt builds each
 * workload twice, with the defaults below (the full size the speed runs use)
 * and with the small values of its *_small variant (tests, callgrind), by
 * passing -DBENCH_<NAME>=value.
 */
#ifndef RINGLAB_BENCH_H
#define RINGLAB_BENCH_H

/* Which workloads an image runs (a bit each; "all" sets the four). */
#define BENCH_W_ALU 1
#define BENCH_W_MEM 2
#define BENCH_W_RING 4
#define BENCH_W_CR3 8
#ifndef BENCH_WORKLOADS
#define BENCH_WORKLOADS 0 /* the null image: boot, report, exit */
#endif

/* (a) ALU and branch loop: iterations, even. */
#ifndef BENCH_ALU_N
#define BENCH_ALU_N 40000000
#endif
/* (b) memory: sequential passes over the first BENCH_MEM_SEQ_BYTES of the
 * buffer (a multiple of 4), then BENCH_MEM_RND_N random accesses over all
 * of it. */
#ifndef BENCH_MEM_PASSES
#define BENCH_MEM_PASSES 2
#endif
#ifndef BENCH_MEM_SEQ_BYTES
#define BENCH_MEM_SEQ_BYTES 0x800000
#endif
#ifndef BENCH_MEM_RND_N
#define BENCH_MEM_RND_N 4000000
#endif
/* (c) ring 3 -> ring 0 -> ring 3 round trips. */
#ifndef BENCH_RING_N
#define BENCH_RING_N 2000000
#endif
/* (d) CR3 reload iterations, even (they alternate between two directories). */
#ifndef BENCH_CR3_N
#define BENCH_CR3_N 500000
#endif

#if BENCH_ALU_N % 2 != 0 || BENCH_CR3_N % 2 != 0
#error "BENCH_ALU_N and BENCH_CR3_N must be even"
#endif
#if BENCH_MEM_PASSES < 1 || BENCH_MEM_SEQ_BYTES % 4 != 0 || BENCH_MEM_SEQ_BYTES < 4 || \
    BENCH_MEM_SEQ_BYTES > 0x800000
#error "BENCH_MEM_PASSES >= 1 and BENCH_MEM_SEQ_BYTES a multiple of 4 in 4 .. 8 MiB"
#endif
#if BENCH_ALU_N < 2 || BENCH_MEM_RND_N < 1 || BENCH_RING_N < 1 || BENCH_CR3_N < 2
#error "the loops run at least once (they count down to zero)"
#endif

/* Memory layout (physical = virtual where identity-mapped; 32 MiB of RAM
 * needed, the runners give 128):
 *   1 MiB          the image (text, data, bss with page tables and stacks)
 *   16 - 24 MiB    the buffer (BENCH_BUF); directory A maps 0 - 32 MiB identically,
 *                  directory B maps the buffer range to 24 - 32 MiB instead */
#define BENCH_BUF 0x01000000
#define BENCH_BUF_BYTES 0x00800000 /* 8 MiB, a power of two */
#define BENCH_BUF_B_PHYS 0x01800000
#define BENCH_MAP_BYTES 0x02000000 /* directory A maps 0 - 32 MiB with 4 KiB pages */

/* (b) the random index: LCG x' = x * 1664525 + 1013904223 (Numerical
 * Recipes), offset (x' >> 9) & BENCH_MEM_MASK: 23 bits, dword aligned. */
#define BENCH_LCG_A 1664525
#define BENCH_LCG_C 1013904223
#define BENCH_LCG_SEED 12345
#define BENCH_MEM_MASK (BENCH_BUF_BYTES - 4)

/* (d) the 16 touches are 512 KiB apart from BENCH_BUF. */
#define BENCH_CR3_STRIDE 0x80000

/* Selectors (bench.c builds the GDT). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23
#define SEL_TSS 0x28

#define BENCH_SYSCALL_VECTOR 0x80 /* DPL-3 interrupt gate: IRET back */
#define BENCH_LEAVE_VECTOR 0x81   /* DPL-3 interrupt gate: back to the kernel */

/* ringlab ops port (machine/ringlab_ops.h, repeated for assembly) */
#define OPS_PORT 0x5A0
#define OPS_ARG0 0x5A4
#define OPS_ARG1 0x5A8
#define OPS_OP_REGION_BEGIN 4
#define OPS_OP_REGION_END 5

#endif
