/* cpu/memory.c - the slow paths of segmented memory access, system and
 * linear accesses, the stack, and port I/O (translation: translate.c).
 *
 * The inline fast paths in cpu-internal.h handle an access that lies in one
 * page, passes the cached segment rights and finds a RAM pointer (paging
 * off) or a host-cache entry mirroring the DTLB (paging on). Everything else
 * comes here: a full segment check (which may fault), then the translation
 * of every page the access touches, then the access, split where it crosses
 * a page (the two pages may map anywhere). An access that the fast path
 * missed only for want of a host-cache entry (segment rights and limit
 * passed, one page, paging on) does not come here: cpu_read_paged and
 * cpu_write_paged (translate.c) translate it and access the page's host
 * address, or cpu_phys_read/cpu_phys_write when it is not plain RAM.
 *
 * Fault discipline: an access that crosses a page translates both pages
 * before reading or writing any byte.
 */
#include "cpu-internal.h"

/* Physical accesses; above 4 GiB (PAE) there is nothing: all ones, writes
 * dropped. */
uint32_t cpu_phys_read(struct cpu *c, uint64_t pa, unsigned n) {
  if (pa >= 0x100000000ull)
    return cpu_mask(n);
  const uint8_t *p = mmu_ram_read_ptr(c->mem, (uint32_t)pa, n); /* RAM: what mmu_read reads */
  if (likely(p != NULL))
    return cpu_ld_le(p, n);
  return mmu_read(c->mem, (uint32_t)pa, n);
}

void cpu_phys_write(struct cpu *c, uint64_t pa, unsigned n, uint32_t v) {
  if (pa >= 0x100000000ull)
    return;
  uint8_t *p = mmu_ram_write_ptr(c->mem, (uint32_t)pa, n); /* RAM without code: what mmu_write writes */
  if (likely(p != NULL))
    cpu_st_le(p, n, v);
  else
    mmu_write(c->mem, (uint32_t)pa, n, v);
}

/* Bytes of [lin, lin + n) in lin's page. */
static unsigned in_page(uint32_t lin, unsigned n) {
  unsigned room = MMU_PAGE_BYTES - (lin & (MMU_PAGE_BYTES - 1));
  return n < room ? n : room;
}

/* Data breakpoints (debug.c): in the MMU's watch mode every data access
 * comes down here; it is compared once its translation cannot fault any
 * more (a faulting access matches nothing). */
static inline void watch(struct cpu *c, uint32_t lin, unsigned n, bool write) {
  if (unlikely(c->dbg_data))
    cpu_debug_data(c, lin, n, write);
}

static uint32_t linear_read(struct cpu *c, uint32_t lin, unsigned n, unsigned access) {
  if (!c->mem->paging) {
    watch(c, lin, n, false);
    if ((lin & (MMU_PAGE_BYTES - 1)) + n <= MMU_PAGE_BYTES)
      return mmu_read(c->mem, mmu_phys(c->mem, lin), n);
    uint32_t v = 0;
    for (unsigned k = 0; k < n; k++)
      v |= mmu_read(c->mem, mmu_phys(c->mem, lin + k), 1) << (8 * k);
    return v;
  }
  unsigned n1 = in_page(lin, n);
  uint64_t p1 = cpu_translate(c, lin, access);
  if (n1 == n) {
    watch(c, lin, n, false);
    return cpu_phys_read(c, p1, n);
  }
  uint64_t p2 = cpu_translate(c, lin + n1, access);
  watch(c, lin, n, false);
  uint32_t v = 0;
  for (unsigned k = 0; k < n; k++)
    v |= cpu_phys_read(c, k < n1 ? p1 + k : p2 + (k - n1), 1) << (8 * k);
  return v;
}

static void linear_write(struct cpu *c, uint32_t lin, unsigned n, uint32_t v, unsigned access) {
  if (!c->mem->paging) {
    watch(c, lin, n, true);
    if ((lin & (MMU_PAGE_BYTES - 1)) + n <= MMU_PAGE_BYTES) {
      mmu_write(c->mem, mmu_phys(c->mem, lin), n, v);
      return;
    }
    for (unsigned k = 0; k < n; k++)
      mmu_write(c->mem, mmu_phys(c->mem, lin + k), 1, v >> (8 * k));
    return;
  }
  access |= MMU_ACC_WRITE;
  unsigned n1 = in_page(lin, n);
  uint64_t p1 = cpu_translate(c, lin, access);
  if (n1 == n) {
    watch(c, lin, n, true);
    cpu_phys_write(c, p1, n, v);
    return;
  }
  uint64_t p2 = cpu_translate(c, lin + n1, access); /* both pages before any byte */
  watch(c, lin, n, true);
  for (unsigned k = 0; k < n; k++)
    cpu_phys_write(c, k < n1 ? p1 + k : p2 + (k - n1), 1, v >> (8 * k));
}

/* Translates every page of [lin, lin + n) (linear addresses wrap at 4 GiB). */
static void linear_probe(struct cpu *c, uint32_t lin, uint32_t n, unsigned access) {
  if (!c->mem->paging || n == 0)
    return;
  uint32_t pages = (uint32_t)((((uint64_t)(lin & (MMU_PAGE_BYTES - 1)) + n - 1) >> MMU_PAGE_SHIFT) + 1);
  /* One page whose host-cache entry for this access is live: that is a
   * DTLB hit that allows the access (for a write: dirty), counted and
   * LRU-stamped by mmu_fast_ptr as the lookup would; nothing else to do. */
  if (pages == 1 &&
      mmu_fast_ptr(c->mem, lin, (access & MMU_ACC_USER) ? 1 : 0, (access & MMU_ACC_WRITE) ? 1 : 0) != NULL)
    return;
  cpu_translate(c, lin, access);
  for (uint32_t k = 1; k < pages; k++)
    cpu_translate(c, (lin & ~(MMU_PAGE_BYTES - 1)) + (k << MMU_PAGE_SHIFT), access);
}

/* The fast paths of linear accesses (IDT, GDT and TSS reads, interrupt
 * frames, descriptor A-bit writes): an access within one page through the
 * paging-off RAM pointer or the host-pointer cache that mirrors the DTLB,
 * exactly as cpu_read/cpu_write do for segmented accesses (the same LRU
 * update and dtlb_hit count as the DTLB hit of the slow path); anything
 * else goes the slow way. user: 1 for CPL 3 rules. */
static inline uint32_t linear_read_fast(struct cpu *c, uint32_t lin, unsigned n, unsigned user) {
  if (likely((lin & (MMU_PAGE_BYTES - 1)) <= MMU_PAGE_BYTES - n)) {
    const uint8_t *p = mmu_direct_read_ptr(c->mem, lin, n); /* paging off */
    if (likely(p != NULL))
      return cpu_ld_le(p, n);
    if (c->mem->paging && (p = mmu_fast_ptr(c->mem, lin, user, 0)) != NULL)
      return cpu_ld_le(p, n);
  }
  return linear_read(c, lin, n, user ? MMU_ACC_USER : 0);
}

static inline void linear_write_fast(struct cpu *c, uint32_t lin, unsigned n, uint32_t v, unsigned user) {
  if (likely((lin & (MMU_PAGE_BYTES - 1)) <= MMU_PAGE_BYTES - n)) {
    uint8_t *p = mmu_direct_write_ptr(c->mem, lin, n); /* paging off */
    if (likely(p != NULL) || (c->mem->paging && (p = mmu_fast_ptr(c->mem, lin, user, 1)) != NULL)) {
      cpu_st_le(p, n, v);
      return;
    }
  }
  linear_write(c, lin, n, v, user ? MMU_ACC_USER : 0);
}

uint32_t cpu_sys_read(struct cpu *c, uint32_t lin, unsigned n) { return linear_read_fast(c, lin, n, 0); }
void cpu_sys_write(struct cpu *c, uint32_t lin, unsigned n, uint32_t v) { linear_write_fast(c, lin, n, v, 0); }
void cpu_sys_probe(struct cpu *c, uint32_t lin, uint32_t n, bool write) {
  linear_probe(c, lin, n, write ? MMU_ACC_WRITE : 0);
}

uint32_t cpu_lin_read(struct cpu *c, uint32_t lin, unsigned n, bool user) {
  return linear_read_fast(c, lin, n, user);
}
void cpu_lin_write(struct cpu *c, uint32_t lin, unsigned n, uint32_t v, bool user) {
  linear_write_fast(c, lin, n, v, user);
}
void cpu_lin_probe(struct cpu *c, uint32_t lin, uint32_t n, bool write, bool user) {
  linear_probe(c, lin, n, (write ? MMU_ACC_WRITE : 0) | (user ? MMU_ACC_USER : 0));
}

uint32_t cpu_read_slow(struct cpu *c, unsigned s, uint32_t off, unsigned n) {
  cpu_segment_check(c, s, off, n, false);
  return linear_read(c, c->seg[s].base + off, n, cpu_acc_user(c));
}

void cpu_write_slow(struct cpu *c, unsigned s, uint32_t off, unsigned n, uint32_t v) {
  cpu_segment_check(c, s, off, n, true);
  linear_write(c, c->seg[s].base + off, n, v, cpu_acc_user(c));
}

void cpu_probe_write(struct cpu *c, unsigned s, uint32_t off, unsigned n) {
  const struct cpu_segment *sg = &c->seg[s];
  if (!likely((c->seg_ok[s] & SEG_OK_WRITE) && (uint64_t)off + n - 1 <= sg->limit))
    cpu_segment_check(c, s, off, n, true);
  if (c->mem->paging)
    linear_probe(c, sg->base + off, n, MMU_ACC_WRITE | cpu_acc_user(c));
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
 * costs the experiment nothing (DESIGN.md, "The instrumentation
 * channel"). Not only the bus time: a plain IN or OUT to that range also
 * gives back its own base cycles, so the instruction retires at zero cost
 * (the MOVs that load its registers still cost theirs). String forms keep
 * their base cost: REP charges it per chunk, and the ops port is not
 * meant to be used with them. */
static bool port_charged(const struct cpu *c, uint16_t port) {
  return (uint16_t)(port - c->uncharged_first) >= c->uncharged_count;
}

static void refund_uncharged(struct cpu *c) {
  const struct insn *i = c->cur;
  if (i && (i->opcode & 0xF4) == 0xE4) /* E4-E7, EC-EF: IN/OUT imm8 or DX */
    c->cycles -= i->cost;
}

uint32_t cpu_port_in(struct cpu *c, uint16_t port, unsigned n) {
  if (unlikely(c->dbg_io))
    cpu_debug_io(c, port, n); /* I/O breakpoints (debug.c) */
  if (port_charged(c, port)) {
    cpu_charge(c, CPU_TEV_io_port);
    cpu_count(c, TRACE_EV_io_in);
  } else {
    refund_uncharged(c);
  }
  if (!c->io || !c->io->in)
    return cpu_mask(n);
  return c->io->in(c->io_ctx, port, n) & cpu_mask(n);
}

void cpu_port_out(struct cpu *c, uint16_t port, unsigned n, uint32_t v) {
  if (unlikely(c->dbg_io))
    cpu_debug_io(c, port, n);
  if (port_charged(c, port)) {
    cpu_charge(c, CPU_TEV_io_port);
    cpu_count(c, TRACE_EV_io_out);
  } else {
    refund_uncharged(c);
  }
  if (c->io && c->io->out)
    c->io->out(c->io_ctx, port, n, v & cpu_mask(n));
}
