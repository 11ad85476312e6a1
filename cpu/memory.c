/* cpu/memory.c - the slow paths of segmented memory access, the stack, and
 * port I/O.
 *
 * The inline fast paths in cpu-internal.h handle an access that lies in one
 * page of RAM and passes the cached segment rights. Everything else comes
 * here: a full segment check (which may fault), then the access, split into
 * bytes when it crosses a page (each page may map elsewhere once paging is
 * modeled, and the A20 mask applies per byte).
 */
#include "cpu-internal.h"

static uint32_t linear_read(struct cpu *c, uint32_t lin, unsigned n) {
  if ((lin & (MMU_PAGE_BYTES - 1)) + n <= MMU_PAGE_BYTES)
    return mmu_read(c->mem, mmu_phys(c->mem, lin), n);
  uint32_t v = 0;
  for (unsigned k = 0; k < n; k++)
    v |= mmu_read(c->mem, mmu_phys(c->mem, lin + k), 1) << (8 * k);
  return v;
}

static void linear_write(struct cpu *c, uint32_t lin, unsigned n, uint32_t v) {
  if ((lin & (MMU_PAGE_BYTES - 1)) + n <= MMU_PAGE_BYTES) {
    mmu_write(c->mem, mmu_phys(c->mem, lin), n, v);
    return;
  }
  for (unsigned k = 0; k < n; k++)
    mmu_write(c->mem, mmu_phys(c->mem, lin + k), 1, v >> (8 * k));
}

uint32_t cpu_read_slow(struct cpu *c, unsigned s, uint32_t off, unsigned n) {
  cpu_segment_check(c, s, off, n, false);
  return linear_read(c, c->seg[s].base + off, n);
}

void cpu_write_slow(struct cpu *c, unsigned s, uint32_t off, unsigned n, uint32_t v) {
  cpu_segment_check(c, s, off, n, true);
  linear_write(c, c->seg[s].base + off, n, v);
}

void cpu_probe_write(struct cpu *c, unsigned s, uint32_t off, unsigned n) {
  const struct cpu_segment *sg = &c->seg[s];
  if (likely((c->seg_ok[s] & SEG_OK_WRITE) && (uint64_t)off + n - 1 <= sg->limit))
    return;
  cpu_segment_check(c, s, off, n, true);
}

/* The stack: SS with the stack-address size of SS.B. A push writes memory
 * first and commits ESP after, so a faulting push leaves ESP unchanged. */
void cpu_push(struct cpu *c, unsigned n, uint32_t v) {
  uint32_t sp = (c->gpr[CPU_ESP] - n) & cpu_sp_mask(c);
  cpu_write(c, CPU_SS, sp, n, v);
  c->gpr[CPU_ESP] = cpu_sp_merge(c, sp);
}

uint32_t cpu_pop(struct cpu *c, unsigned n) {
  uint32_t sp = c->gpr[CPU_ESP] & cpu_sp_mask(c);
  uint32_t v = cpu_read(c, CPU_SS, sp, n);
  c->gpr[CPU_ESP] = cpu_sp_merge(c, sp + n);
  return v;
}

uint32_t cpu_stack_peek(struct cpu *c, uint32_t offset, unsigned n) {
  uint32_t sp = (c->gpr[CPU_ESP] + offset) & cpu_sp_mask(c);
  return cpu_read(c, CPU_SS, sp, n);
}

/* Port accesses are I/O events (charged and counted), except on the
 * uncharged range the machine sets aside for the ringlab ops port: an op
 * costs the experiment nothing beyond its instructions' base costs. */
static bool port_charged(const struct cpu *c, uint16_t port) {
  return (uint16_t)(port - c->uncharged_first) >= c->uncharged_count;
}

uint32_t cpu_port_in(struct cpu *c, uint16_t port, unsigned n) {
  if (port_charged(c, port)) {
    cpu_charge(c, CPU_TEV_io_port);
    cpu_count(c, TRACE_EV_io_in);
  }
  if (!c->io || !c->io->in)
    return cpu_mask(n);
  return c->io->in(c->io_ctx, port, n) & cpu_mask(n);
}

void cpu_port_out(struct cpu *c, uint16_t port, unsigned n, uint32_t v) {
  if (port_charged(c, port)) {
    cpu_charge(c, CPU_TEV_io_port);
    cpu_count(c, TRACE_EV_io_out);
  }
  if (c->io && c->io->out)
    c->io->out(c->io_ctx, port, n, v & cpu_mask(n));
}
