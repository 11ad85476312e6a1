/* machine/ringlab_ops.h - the ringlab ops port: how guests talk to the
 * emulator about the experiment (DESIGN.md, "The instrumentation channel").
 *
 * Included by host code (machine/opsport.c) and by guest code (test kernels,
 * later hv/ and guests/): it uses only <stdint.h>, and its guest helpers at
 * the bottom compile only for freestanding 32-bit x86.
 *
 * Ports (32-bit registers; byte and word accesses reach their bytes):
 *
 *   RINGLAB_OPS_PORT + 0x00  write: OP (runs the op, with ARG0-ARG3)
 *                            read:  RINGLAB_OPS_MAGIC ("RLAB"): the port is there
 *                     + 0x04  ARG0   read/write
 *                     + 0x08  ARG1   read/write
 *                     + 0x0C  ARG2   read/write
 *                     + 0x10  ARG3   read/write
 *                     + 0x14  STATUS read: RINGLAB_OPS_OK or an error of the last op
 *                     + 0x18 .. + 0x1F reserved (read all ones, writes ignored)
 *
 * The range 0x5A0-0x5BF is free on the PC (no ISA or chipset device decodes
 * it), and on QEMU it reads as all ones, so a guest can tell it does not run
 * under ringlab: the magic is missing.
 *
 * Protocol: write the arguments, then write the op number to OP with a
 * 32-bit (or byte) OUT. The op runs at the end of that OUT instruction,
 * before the next instruction, so cycles and instructions at a region
 * boundary are exact instruction boundaries. Then STATUS says how it went.
 *
 *   op              ARG0             ARG1        ARG2        ARG3
 *   EXIT            status (0-63)    -           -           -
 *   COUNTERS_RESET  -                -           -           -
 *   COUNTERS_DUMP   -                -           -           -
 *   REGION_BEGIN    name address     name length -           -
 *   REGION_END      name address     name length -           -
 *   RESULT          name address     name length value low   value high
 *   ANNOTATE        text address     text length -           -
 *   HYPERCALL_ENTER number (0-255)   argument 1  argument 2  argument 3
 *   HYPERCALL_EXIT  number (0-255)   result      -           -
 *   HV_EVENT        kind             index       detail      detail
 *
 * EXIT ends the run; `ringlab run` exits with that status. A status above
 * 63 fails with RINGLAB_OPS_EINVAL and the guest runs on.
 * COUNTERS_RESET zeroes what `--stats` reports as the run's cycles,
 * instructions and events (the guest's RDTSC is not affected; regions and
 * results are kept). COUNTERS_DUMP writes the counters since the last reset
 * to the emulator's stderr, one "name value" line each.
 * REGION_BEGIN/END bracket a region of interest: each region's cycles,
 * instructions and events sum over all its begin-end pairs. They count
 * region_begin.N and region_end.N, N the region's number (the order the
 * guest first named it, from 0), and a trace records them with the first
 * 16 bytes of the name (`ringlab trace` shows regions as spans). Regions may
 * nest or overlap when their names differ; beginning an open region or
 * ending a closed one fails with RINGLAB_OPS_ESTATE. A region still open at
 * exit is reported up to the exit.
 * RESULT records a named signed 64-bit value (the last report wins).
 * ANNOTATE marks the trace with a text: counted (ops_annotate) and recorded
 * with its first 16 bytes. Every op, valid or not, counts ops_request (and
 * a trace records it with the op number).
 * HYPERCALL_ENTER/EXIT are the hypervisor's marks around a hypercall
 * (Xen-style 32-bit PV ABI: the number in EAX, arguments in EBX, ECX, EDX,
 * ESI, EDI, the result in EAX; the first three arguments are marked). They
 * count events hypercall.N and hypercall_return.N (trace/events.def, class
 * hv), recorded in a trace with the three arguments and the result. Hypercalls nest (a multicall's members inside it) up to
 * RINGLAB_OPS_HYPERCALL_DEPTH deep; an EXIT must name the innermost open
 * hypercall. A number above 255 fails with RINGLAB_OPS_EINVAL, an EXIT with
 * no hypercall open or another number open innermost with
 * RINGLAB_OPS_ESTATE, an ENTER past the depth with RINGLAB_OPS_EFULL; a
 * failed mark counts nothing and changes no nesting.
 *
 * HV_EVENT counts one of the hypervisor's other events (trace/events.def,
 * class hv), by kind, with an index and two details recorded in a trace:
 *
 *   kind                       index                 ARG2        ARG3        counts
 *   RINGLAB_HV_TRAP_BOUNCE     vector (0-255)        domain      error code  hv_trap_bounce.N
 *   RINGLAB_HV_EVENT_UPCALL    domain (0-255)        vcpu        -           hv_upcall.N
 *   RINGLAB_HV_PT_EMULATE      domain (0-255)        address     -           hv_pt_emulate
 *   RINGLAB_HV_DOMAIN_SWITCH   domain now running    previous    -           hv_domain_switch.N
 *   RINGLAB_HV_PT_UPDATE       level (1-4)           entries     -           hv_pt_update.N (+= entries)
 *
 * TRAP_BOUNCE: an exception or interrupt reflected to a guest's handler
 * (not the direct system-call gate, which never enters the hypervisor);
 * EVENT_UPCALL: an event delivered through the guest's event callback;
 * PT_EMULATE: a guest's write to its own page table trapped and emulated
 * (writable page tables); DOMAIN_SWITCH: the scheduler switched domains
 * (a previous domain of 0xFFFF... is the idle loop); PT_UPDATE: ARG2
 * page-table entries of that level validated and written (one mark per
 * batch). An unknown kind, an index out of range, or a PT_UPDATE of zero
 * entries fails with RINGLAB_OPS_EINVAL and counts nothing but the
 * request.
 *
 * Names and texts are passed by guest PHYSICAL address and length (paging
 * code translates first). Names are 1-63 bytes of [A-Za-z0-9_.:/-]; texts
 * 1-255 printable ASCII bytes. Up to 64 regions and 256 results per run.
 *
 * Cost: the range is the CPU's uncharged port range (cpu_set_uncharged_ports):
 * accesses to it cost no I/O cycles and are not counted as I/O events, and
 * a plain IN or OUT to it retires at zero cycles (its base cost given
 * back), so an op costs only the MOVs that load its registers (one or two
 * cycles each). The instructions still count as retired. String forms
 * (INS/OUTS) keep their base cost.
 */
#ifndef RINGLAB_OPS_H
#define RINGLAB_OPS_H

#include <stdint.h>

#define RINGLAB_OPS_PORT 0x5A0u  /* first port of the range */
#define RINGLAB_OPS_PORTS 0x20u  /* ports in the range */
#define RINGLAB_OPS_MAGIC 0x424C4152u /* "RLAB" little-endian */

/* register offsets */
#define RINGLAB_OPS_REG_OP 0x00
#define RINGLAB_OPS_REG_ARG0 0x04
#define RINGLAB_OPS_REG_ARG1 0x08
#define RINGLAB_OPS_REG_ARG2 0x0C
#define RINGLAB_OPS_REG_ARG3 0x10
#define RINGLAB_OPS_REG_STATUS 0x14

/* ops */
#define RINGLAB_OP_EXIT 1           /* end the run with status ARG0 */
#define RINGLAB_OP_COUNTERS_RESET 2 /* zero the reported counters */
#define RINGLAB_OP_COUNTERS_DUMP 3  /* print the counters on stderr */
#define RINGLAB_OP_REGION_BEGIN 4   /* open region ARG0/ARG1 */
#define RINGLAB_OP_REGION_END 5     /* close region ARG0/ARG1 */
#define RINGLAB_OP_RESULT 6         /* result ARG0/ARG1 = ARG3:ARG2 */
#define RINGLAB_OP_ANNOTATE 7       /* trace annotation ARG0/ARG1 */
#define RINGLAB_OP_HYPERCALL_ENTER 8 /* hypercall ARG0 entered, arguments ARG1-ARG3 */
#define RINGLAB_OP_HYPERCALL_EXIT 9  /* hypercall ARG0 returns result ARG1 */
#define RINGLAB_OP_HV_EVENT 10       /* hypervisor event: kind ARG0, index ARG1, details ARG2 ARG3 */

/* HV_EVENT kinds */
#define RINGLAB_HV_TRAP_BOUNCE 1    /* index: vector; ARG2 domain; ARG3 error code */
#define RINGLAB_HV_EVENT_UPCALL 2   /* index: domain; ARG2 vcpu */
#define RINGLAB_HV_PT_EMULATE 3     /* index: domain; ARG2 address written */
#define RINGLAB_HV_DOMAIN_SWITCH 4  /* index: domain now running; ARG2 previous domain */
#define RINGLAB_HV_PT_UPDATE 5      /* index: level 1-4; ARG2 entries updated */
#define RINGLAB_HV_INDEX_MAX 255    /* largest index (vector, domain, level) */

/* STATUS values */
#define RINGLAB_OPS_OK 0
#define RINGLAB_OPS_EINVAL 1 /* unknown op or argument out of range */
#define RINGLAB_OPS_ENAME 2  /* bad name or text: length, characters, not in RAM */
#define RINGLAB_OPS_ESTATE 3 /* region already open / not open */
#define RINGLAB_OPS_EFULL 4  /* too many regions or results */

#define RINGLAB_OPS_NAME_MAX 63  /* bytes in a name */
#define RINGLAB_OPS_TEXT_MAX 255 /* bytes in an annotation */
#define RINGLAB_OPS_EXIT_MAX 63  /* largest EXIT status */
#define RINGLAB_OPS_HYPERCALL_MAX 255  /* largest hypercall number */
#define RINGLAB_OPS_HYPERCALL_DEPTH 8  /* hypercalls open at once */

/* ---- guest helpers (freestanding 32-bit x86 only) --------------------------- */
#if defined(__i386__) && defined(__STDC_HOSTED__) && __STDC_HOSTED__ == 0

static inline void ringlab_ops_outl(uint16_t port, uint32_t v) {
  __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint32_t ringlab_ops_inl(uint16_t port) {
  uint32_t v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
  return v;
}

/* Whether the ops port is there (false under QEMU or on hardware). */
static inline int ringlab_ops_present(void) {
  return ringlab_ops_inl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_OP) == RINGLAB_OPS_MAGIC;
}

/* Runs op with four arguments; returns STATUS. Strings must be at their
 * physical addresses (identity-mapped or paging off). */
static inline uint32_t ringlab_op(uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3) {
  ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_ARG0, a0);
  ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_ARG1, a1);
  ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_ARG2, a2);
  ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_ARG3, a3);
  ringlab_ops_outl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_OP, op);
  return ringlab_ops_inl(RINGLAB_OPS_PORT + RINGLAB_OPS_REG_STATUS);
}

static inline uint32_t ringlab_ops_strlen(const char *s) {
  uint32_t n = 0;
  while (s[n])
    n++;
  return n;
}

static inline uint32_t ringlab_region_begin(const char *name) {
  return ringlab_op(RINGLAB_OP_REGION_BEGIN, (uint32_t)name, ringlab_ops_strlen(name), 0, 0);
}

static inline uint32_t ringlab_region_end(const char *name) {
  return ringlab_op(RINGLAB_OP_REGION_END, (uint32_t)name, ringlab_ops_strlen(name), 0, 0);
}

static inline uint32_t ringlab_result(const char *name, int64_t value) {
  uint64_t v = (uint64_t)value;
  return ringlab_op(RINGLAB_OP_RESULT, (uint32_t)name, ringlab_ops_strlen(name), (uint32_t)v,
                    (uint32_t)(v >> 32));
}

static inline uint32_t ringlab_annotate(const char *text) {
  return ringlab_op(RINGLAB_OP_ANNOTATE, (uint32_t)text, ringlab_ops_strlen(text), 0, 0);
}

/* The hypervisor's marks: call at entry with the guest's EAX, EBX, ECX,
 * EDX, and before returning with EAX and the result. */
static inline uint32_t ringlab_hypercall_enter(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3) {
  return ringlab_op(RINGLAB_OP_HYPERCALL_ENTER, nr, a1, a2, a3);
}

static inline uint32_t ringlab_hypercall_exit(uint32_t nr, uint32_t result) {
  return ringlab_op(RINGLAB_OP_HYPERCALL_EXIT, nr, result, 0, 0);
}

/* One of the hypervisor's other events (HV_EVENT). */
static inline uint32_t ringlab_hv_event(uint32_t kind, uint32_t index, uint32_t a2, uint32_t a3) {
  return ringlab_op(RINGLAB_OP_HV_EVENT, kind, index, a2, a3);
}

static inline uint32_t ringlab_counters_reset(void) { return ringlab_op(RINGLAB_OP_COUNTERS_RESET, 0, 0, 0, 0); }
static inline uint32_t ringlab_counters_dump(void) { return ringlab_op(RINGLAB_OP_COUNTERS_DUMP, 0, 0, 0, 0); }

/* Ends the run with status (0-63); returns only if the status is invalid. */
static inline uint32_t ringlab_exit(uint32_t status) { return ringlab_op(RINGLAB_OP_EXIT, status, 0, 0, 0); }

#endif /* guest helpers */

#endif
