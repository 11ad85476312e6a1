/* cpu/tss.c - the ring stacks of the current task state segment.
 *
 * An interrupt or a call gate that moves to an inner privilege level takes
 * the new stack from the TSS that TR points at (SDM vol. 3, 7.2.1 and 7.7):
 *
 *   32-bit TSS (types 9, 11)        16-bit TSS (types 1, 3)
 *     +4 + 8n  ESPn (4 bytes)          +2 + 4n  SPn (2 bytes)
 *     +8 + 8n  SSn  (2 bytes)          +4 + 4n  SSn (2 bytes)
 *
 * for ring n in 0-2. An entry past TR.limit is #TS(TR selector): the check
 * of the SDM's INT n and CALL pseudocode, "(TSSstackAddress + 5) > TSS
 * limit" (32-bit) and "+ 3" (16-bit). The reads are system accesses at
 * linear addresses (cpu_sys_read: supervisor accesses with paging on).
 */
#include "cpu-internal.h"

/* A system access: supervisor with paging on, whatever the CPL. */
static uint32_t tss_read(struct cpu *c, uint32_t off, unsigned n) { return cpu_sys_read(c, c->tr.base + off, n); }

void cpu_tss_ring_stack_ext(struct cpu *c, unsigned ring, uint16_t *ss, uint32_t *esp, unsigned ext) {
  bool tss32 = (c->tr.attr & 0x8) != 0; /* type 9/11: 32-bit; 1/3: 16-bit */
  uint32_t at = tss32 ? 4 + 8 * ring : 2 + 4 * ring;
  uint32_t last = at + (tss32 ? 5 : 3);
  if (last > c->tr.limit)
    cpu_raise(c, CPU_EXC_TS, (c->tr.selector & 0xFFFCu) | (ext & 1));
  /* Both fields through one host pointer when the fast path takes them
   * (two DTLB uses, as the two reads below). */
  unsigned esp_bytes = tss32 ? 4 : 2;
  const uint8_t *p = cpu_lin_span_ptr(c, c->tr.base + at, esp_bytes + 2, 2, 0, 0);
  if (likely(p != NULL)) {
    *esp = cpu_ld_le(p, esp_bytes);
    *ss = (uint16_t)cpu_ld_le(p + esp_bytes, 2);
  } else if (tss32) {
    *esp = tss_read(c, at, 4);
    *ss = (uint16_t)tss_read(c, at + 4, 2);
  } else {
    *esp = tss_read(c, at, 2);
    *ss = (uint16_t)tss_read(c, at + 2, 2);
  }
}

void cpu_tss_ring_stack(struct cpu *c, unsigned ring, uint16_t *ss, uint32_t *esp) {
  cpu_tss_ring_stack_ext(c, ring, ss, esp, 0);
}
