/* bench/workloads/loops.S - the measured loops of the benchmark workloads.
 *
 * Hand-written so that each dynamic instruction count is a formula in the
 * build-time parameters of bench.h. Each bench_X function is called from
 * bench.c with paging on (directory A loaded), interrupts off, DF = 0:
 *
 *   REGION_BEGIN "X"      9 instructions; the region starts after the last OUT
 *   RDTSC -> bench_t0     3 instructions (T0)
 *   setup and loop        counted below
 *   RDTSC -> bench_t1     3 instructions (T1)
 *   REGION_END "X"        9 instructions; the region ends with the last OUT
 *
 * so a workload's RDTSC delta D is the count of the instructions from the
 * first RDTSC up to (not including) the second, and its region's
 * `instructions` counter is D + 3 + 9 = D + 12. Under `--timing unit`
 * (1 cycle per instruction, 0 per event) the delta D equals that
 * instruction count, for every workload (the ring one's deliveries and
 * IRETs cost 0 cycles there).
 *
 * The formulas (N, P, S, R as in bench.h; the tests in bench/CMakeLists.txt
 * check them for the small variants under `--timing unit`):
 *
 *   alu   D = 9.5 * N + 13         (N = BENCH_ALU_N, even)
 *   mem   D = P * (S + 5) + 8 * R + 9
 *         (P = BENCH_MEM_PASSES >= 1, S = BENCH_MEM_SEQ_BYTES, R = BENCH_MEM_RND_N)
 *   ring  D = 4 * N + 19 instructions, N + 1 deliveries (N = BENCH_RING_N);
 *         under unit the RDTSC delta is 5 * N + 20
 *   cr3   D = 21 * N + 6           (N = BENCH_CR3_N, even)
 *
 * and for each, the region's `instructions` = D + 12, D counted in
 * instructions (the ring's: 4 * N + 31).
 */
#include "bench.h"

/* One ops-port request: ARG0 = name, ARG1 = length, OP = op (9 instructions). */
.macro OPS_REGION op, name, len
        movl $OPS_ARG0, %edx
        movl $\name, %eax
        outl %eax, %dx
        movl $OPS_ARG1, %edx
        movl $\len, %eax
        outl %eax, %dx
        movl $OPS_PORT, %edx
        movl $\op, %eax
        outl %eax, %dx
.endm

.macro T0 /* 3 instructions */
        rdtsc
        movl %eax, bench_t0
        movl %edx, bench_t0 + 4
.endm

.macro T1 /* 3 instructions */
        rdtsc
        movl %eax, bench_t1
        movl %edx, bench_t1 + 4
.endm

.macro SAVE
        pushl %ebx
        pushl %esi
        pushl %edi
        pushl %ebp
.endm

.macro RESTORE
        popl %ebp
        popl %edi
        popl %esi
        popl %ebx
.endm

        .section .rodata
name_alu:  .ascii "alu"
name_mem:  .ascii "mem"
name_ring: .ascii "ring"
name_cr3:  .ascii "cr3"

        .section .bss
        .balign 8
        .globl bench_t0, bench_t1
bench_t0: .skip 8
bench_t1: .skip 8
bench_kernel_esp: .skip 4

        .text

/* uint32_t bench_alu(void): (a) the ALU and branch loop.
 *   T0                                 3
 *   setup                              6
 *   loop, N iterations                 9 each, + 1 when ECX is odd (N/2 times)
 *   checksum                           4
 *   D = 3 + 6 + 9.5 N + 4 = 9.5 N + 13
 * Returns a checksum of the registers (the same on every emulator). */
        .globl bench_alu
bench_alu:
        SAVE
        OPS_REGION OPS_OP_REGION_BEGIN, name_alu, 3
        T0
        movl $BENCH_ALU_N, %ecx
        xorl %eax, %eax
        movl $1, %ebx
        movl $2, %esi
        xorl %edx, %edx
        xorl %edi, %edi
1:      addl %esi, %eax
        xorl %eax, %ebx
        roll $3, %ebx
        leal 1(%eax,%ebx,2), %esi
        subl %ebx, %edx
        testl $1, %ecx
        jz 2f
        incl %edi
2:      decl %ecx
        jnz 1b
        addl %ebx, %eax                     /* checksum: 4 */
        addl %edx, %eax
        addl %edi, %eax
        movl %eax, %ebx
        T1
        OPS_REGION OPS_OP_REGION_END, name_alu, 3
        movl %ebx, %eax
        RESTORE
        ret

/* uint32_t bench_mem(void): (b) read-modify-write over the 8 MiB buffer.
 *   T0                                 3
 *   setup                              2
 *   P passes: 2 + 4 per dword (S/4 dwords) + 3 = S + 5 each
 *   random setup                       2
 *   R random accesses                  8 each (LCG, index, ADD to memory)
 *   checksum                           2
 *   D = 3 + 2 + P (S + 5) + 2 + 8 R + 2 = P (S + 5) + 8 R + 9
 * Returns the final LCG state plus the buffer's first dword. */
        .globl bench_mem
bench_mem:
        SAVE
        OPS_REGION OPS_OP_REGION_BEGIN, name_mem, 3
        T0                                  /* 3 */
        movl $BENCH_MEM_PASSES, %ebp        /* 1 */
        movl $1, %ebx                       /* 1: the value added */
3:      movl $BENCH_BUF, %esi               /* pass: 1 */
        movl $BENCH_BUF + BENCH_MEM_SEQ_BYTES, %edi /* 1 */
4:      addl %ebx, (%esi)                   /* per dword: 4 */
        addl $4, %esi
        cmpl %edi, %esi
        jb 4b
        incl %ebx                           /* pass: 3 */
        decl %ebp
        jnz 3b
        movl $BENCH_LCG_SEED, %eax          /* 1 */
        movl $BENCH_MEM_RND_N, %ecx         /* 1 */
5:      imull $BENCH_LCG_A, %eax, %eax      /* per access: 8 */
        addl $BENCH_LCG_C, %eax
        movl %eax, %edx
        shrl $9, %edx
        andl $BENCH_MEM_MASK, %edx
        addl %eax, BENCH_BUF(%edx)
        decl %ecx
        jnz 5b
        movl %eax, %ebx                     /* checksum: 2 */
        addl BENCH_BUF, %ebx
        T1
        OPS_REGION OPS_OP_REGION_END, name_mem, 3
        movl %ebx, %eax
        RESTORE
        ret

/* uint32_t bench_ring(void): (c) ring 3 -> ring 0 -> ring 3 round trips.
 * IRET to ring 3, N times INT 0x80 (a DPL-3 interrupt gate whose handler
 * is one IRET), then INT 0x81, whose handler comes back here.
 *   T0                                 3
 *   setup and IRET to ring 3          10
 *   N round trips: INT, IRET, DEC, JNZ 4 each
 *   INT 0x81                           1
 *   bench_leave: reload DS, ES, ESP    4
 *   result                             1
 *   D = 4 N + 19 instructions; N + 1 interrupt deliveries
 * Returns ECX (0). */
        .globl bench_ring
bench_ring:
        SAVE
        movl %esp, bench_kernel_esp
        OPS_REGION OPS_OP_REGION_BEGIN, name_ring, 4
        T0                                  /* 3 */
        movl $BENCH_RING_N, %ecx            /* 10 */
        pushl $SEL_UDATA                    /* SS */
        pushl $bench_user_stack_top         /* ESP */
        pushl $0x2                          /* EFLAGS: IF = 0, IOPL = 0 */
        pushl $SEL_UCODE                    /* CS */
        pushl $ring_user                    /* EIP */
        movl $SEL_UDATA, %eax
        movl %eax, %ds
        movl %eax, %es
        iret
ring_user:                                  /* ring 3 */
1:      int $BENCH_SYSCALL_VECTOR
        decl %ecx
        jnz 1b
        int $BENCH_LEAVE_VECTOR
        .globl bench_leave
bench_leave:                                /* ring 0, through the 0x81 gate */
        movl $SEL_KDATA, %eax               /* 4 */
        movl %eax, %ds
        movl %eax, %es
        movl bench_kernel_esp, %esp
        movl %ecx, %ebx                     /* result: 1 */
        T1
        OPS_REGION OPS_OP_REGION_END, name_ring, 4
        movl %ebx, %eax
        RESTORE
        ret

        .globl bench_syscall
bench_syscall:                              /* ring 0, through the 0x80 gate */
        iret

/* uint32_t bench_cr3(uint32_t pd_a, uint32_t pd_b): (d) CR3 reloads
 * alternating between directories B and A (N even: A is loaded at the
 * end, as at the start), each followed by 16 RMW touches 512 KiB apart in
 * the buffer and one INVLPG.
 *   T0                                 3
 *   setup                              3
 *   N iterations: MOV CR3, XCHG, 16 touches, INVLPG, DEC, JNZ = 21 each
 *   D = 21 N + 6 */
        .globl bench_cr3
bench_cr3:
        SAVE
        OPS_REGION OPS_OP_REGION_BEGIN, name_cr3, 3
        T0                                  /* 3 */
        movl $BENCH_CR3_N, %ecx             /* 3 */
        movl 20(%esp), %edi                 /* pd_a */
        movl 24(%esp), %esi                 /* pd_b */
1:      movl %esi, %cr3
        xchgl %esi, %edi
        .irp k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
        incl BENCH_BUF + \k * BENCH_CR3_STRIDE
        .endr
        invlpg BENCH_BUF
        decl %ecx
        jnz 1b
        T1
        OPS_REGION OPS_OP_REGION_END, name_cr3, 3
        xorl %eax, %eax
        RESTORE
        ret

/* Any exception: end the run with status 3 on every emulator (ringlab ops
 * EXIT 3; QEMU debug-exit 3, status 7; Bochs shutdown). */
        .globl bench_fault
bench_fault:
        cli
        movl $OPS_ARG0, %edx
        movl $3, %eax
        outl %eax, %dx
        movl $OPS_PORT, %edx
        movl $1, %eax
        outl %eax, %dx
        movb $3, %al
        outb %al, $0xf4
        movl $0x8900, %edx
        movl $shutdown, %esi
        movl $8, %ecx
        rep outsb
1:      hlt
        jmp 1b

        .section .rodata
shutdown: .ascii "Shutdown"

        .section .note.GNU-stack, "", @progbits
