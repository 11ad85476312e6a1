/* cpu/codecache.c - decoded blocks, keyed by physical address.
 *
 * A block is a run of decoded instructions that starts at a physical
 * address and ends at a control transfer (F_BRANCH rows), after 64
 * instructions, or where the next instruction would start on a new page, so
 * that a block touches at most two pages (when its last instruction crosses
 * a page boundary). Each block's base cost and the cost of the instructions
 * before each one are summed at decode time (struct insn.cost_before), so
 * the run loop adds cycles once per block.
 *
 * Self-modifying code: every RAM page that holds a block is marked in the
 * MMU; a write into a marked page calls code_write() first, which drops
 * the blocks of that page whose bytes the write overlaps and, if it dropped
 * any, asks the run loop to leave the current block after the writing
 * instruction. Writes beside code (a stack sharing the page) drop nothing. ROM holds blocks without marks (it
 * is never written). Code fetched from MMIO or unbacked addresses is decoded
 * into a scratch block that is used once and never cached.
 *
 * A host that writes guest memory behind the MMU (a loader's memcpy, a
 * snapshot restore, a harness zeroing RAM between inputs) calls
 * cpu_invalidate_phys(), which drops the blocks overlapping a physical
 * range, RAM or ROM (ROM blocks, in no page list, by a scan of the pool).
 *
 * When the pools fill up everything is flushed (between blocks only, never
 * while one runs).
 *
 * Paging: the fetch address CS:EIP is translated through the ITLB as an
 * instruction fetch (cpu_translate with MMU_ACC_EXEC, the user bit from the
 * CPL) once per block lookup; blocks stay keyed by physical address, so two
 * linear mappings of one page share its blocks and a write through either
 * invalidates them. A block ends where the next instruction would start on
 * a new linear page. An instruction that crosses into the next page
 * translates that page when it is decoded: as the first of its block, a
 * fault there is its fetch fault (#PF, CR2 = the first byte on the second
 * page); later in a block (paging on) the block ends before it instead, so
 * that it faults, if at all, when it is reached. A block whose last
 * instruction crosses into a second page checks that page's translation on
 * every lookup (without faulting: if it no longer holds, the block is
 * decoded afresh).
 *
 * Chaining: each block remembers up to two successors (the fall-through
 * block, at phys + span, and one other: the taken branch), keyed by
 * (physical address, code32) like the hash. A lookup after a cached block
 * first compares the new CS:EIP's physical address with that block's links
 * and takes the block from there without the hash lookup. The fetch
 * translation, the CS limit check and the second-page check happen as on
 * the hash path, so a link only replaces the hash lookup. Every
 * invalidation (a dropped block) and every flush bumps the cache's
 * generation; a link made in an earlier generation is not followed, so
 * links never lead to a dropped or reused block. The run loop follows links
 * inline (cpu_code_cache_next, cpu-internal.h), so the generation and the
 * last block live in struct cpu (cc_gen, cc_last); this file owns them.
 */
#include "cpu-internal.h"

#include <stdlib.h>

#define HASH_BITS 15
#define MAX_BLOCKS 32768
#define MAX_INSNS (MAX_BLOCKS * 8)
#define BLOCK_MAX_INSNS 64

struct cpu_code_cache {
  struct cpu *cpu;
  struct cpu_block *hash[1u << HASH_BITS];
  struct cpu_block *blocks;
  unsigned n_blocks;
  struct insn *insns;
  unsigned n_insns;
  struct cpu_block **page_head; /* per RAM page */
  uint32_t n_pages;
  struct insn scratch[BLOCK_MAX_INSNS];
};

static unsigned hash_of(uint32_t phys, bool code32) {
  return ((phys * 2654435761u) ^ (code32 ? 0x9E3779B9u : 0)) >> (32 - HASH_BITS);
}

static void code_write(void *ctx, uint32_t phys, unsigned size_bytes);

struct cpu_code_cache *cpu_code_cache_new(struct cpu *c) {
  struct cpu_code_cache *cc = calloc(1, sizeof *cc);
  if (!cc)
    return NULL;
  cc->cpu = c;
  c->cc_last = NULL;
  c->cc_gen = c->cc_last_gen = 0;
  cc->n_pages = c->mem->ram_bytes >> MMU_PAGE_SHIFT;
  cc->blocks = calloc(MAX_BLOCKS, sizeof *cc->blocks);
  cc->insns = calloc(MAX_INSNS, sizeof *cc->insns);
  cc->page_head = calloc(cc->n_pages ? cc->n_pages : 1, sizeof *cc->page_head);
  if (!cc->blocks || !cc->insns || !cc->page_head) {
    cpu_code_cache_free(cc);
    return NULL;
  }
  mmu_set_code_write_hook(c->mem, code_write, cc);
  return cc;
}

void cpu_code_cache_free(struct cpu_code_cache *cc) {
  if (!cc)
    return;
  if (cc->cpu->mem->code_write_ctx == cc)
    mmu_set_code_write_hook(cc->cpu->mem, NULL, NULL);
  cc->cpu->cc_last = NULL;
  free(cc->blocks);
  free(cc->insns);
  free(cc->page_head);
  free(cc);
}

void cpu_code_cache_flush(struct cpu_code_cache *cc) {
  memset(cc->hash, 0, sizeof cc->hash);
  cc->cpu->cc_gen++;
  cc->cpu->cc_last = NULL;
  for (uint32_t p = 0; p < cc->n_pages; p++)
    if (cc->page_head[p]) {
      cc->page_head[p] = NULL;
      mmu_mark_code_page(cc->cpu->mem, p, false);
    }
  cc->n_blocks = 0;
  cc->n_insns = 0;
}

static void unhash(struct cpu_code_cache *cc, struct cpu_block *b) {
  struct cpu_block **pp = &cc->hash[hash_of(b->phys, b->code32)];
  while (*pp && *pp != b)
    pp = &(*pp)->hash_next;
  if (*pp)
    *pp = b->hash_next;
}

/* The bytes block b occupies on RAM page p, as [*lo, *hi): its code may
 * continue on a second page that is not the next physical page. */
static void block_bytes_on_page(const struct cpu_block *b, uint32_t p, uint32_t *lo, uint32_t *hi) {
  uint32_t first_end = ((b->phys >> MMU_PAGE_SHIFT) + 1) << MMU_PAGE_SHIFT;
  uint32_t on_first = first_end - b->phys;
  if ((b->phys >> MMU_PAGE_SHIFT) == p) {
    *lo = b->phys;
    *hi = b->phys + (b->span < on_first ? b->span : on_first);
  } else {
    *lo = p << MMU_PAGE_SHIFT;
    *hi = *lo + (b->span - on_first);
  }
}

/* Drops the blocks on RAM page p whose bytes overlap [lo, hi), unlinking
 * them (and blocks already dropped through their other page) from the
 * page's list. A write next to code but not into it (a stack or data that
 * shares the page) drops nothing. Returns how many blocks it dropped;
 * count: a guest-visible write, counted as code_invalidate (the host's
 * cpu_invalidate_phys is not a write of the machine's and is not). */
static unsigned invalidate_range(struct cpu_code_cache *cc, uint32_t p, uint32_t lo, uint32_t hi, bool count) {
  if (p >= cc->n_pages || !cc->page_head[p])
    return 0;
  unsigned dropped = 0;
  struct cpu_block **pp = &cc->page_head[p];
  while (*pp) {
    struct cpu_block *b = *pp;
    int which = (b->phys >> MMU_PAGE_SHIFT) == p ? 0 : 1;
    uint32_t blo, bhi;
    block_bytes_on_page(b, p, &blo, &bhi);
    if (b->valid && blo < hi && lo < bhi) {
      b->valid = false;
      unhash(cc, b);
      dropped++;
    }
    if (!b->valid)
      *pp = b->page_next[which]; /* unlink */
    else
      pp = &b->page_next[which];
  }
  if (!cc->page_head[p])
    mmu_mark_code_page(cc->cpu->mem, p, false);
  if (dropped) {
    cc->cpu->cc_gen++; /* breaks every link */
    if (count)
      cpu_count(cc->cpu, TRACE_EV_code_invalidate);
  }
  return dropped;
}

static void code_write(void *ctx, uint32_t phys, unsigned size_bytes) {
  struct cpu_code_cache *cc = ctx;
  uint32_t end = phys + size_bytes; /* exclusive */
  uint32_t first = phys >> MMU_PAGE_SHIFT, last = (end - 1) >> MMU_PAGE_SHIFT;
  uint32_t split = last != first ? last << MMU_PAGE_SHIFT : end;
  unsigned dropped = invalidate_range(cc, first, phys, split, true);
  if (last != first)
    dropped += invalidate_range(cc, last, split, end, true);
  /* The block running may be one of them: leave it after this insn. */
  if (dropped)
    cpu_end_block(cc->cpu);
}

/* Drops a block that lies outside RAM (ROM), or on a RAM page and
 * outside it, if its bytes overlap [lo, hi): such blocks are in no page
 * list on that side, so a scan of the pool finds them. */
static unsigned invalidate_unlisted(struct cpu_code_cache *cc, uint64_t lo, uint64_t hi) {
  unsigned dropped = 0;
  for (unsigned k = 0; k < cc->n_blocks; k++) {
    struct cpu_block *b = &cc->blocks[k];
    uint32_t first = b->phys >> MMU_PAGE_SHIFT;
    if (!b->valid || (first < cc->n_pages && b->last_page < cc->n_pages))
      continue;
    uint64_t first_end = ((uint64_t)first + 1) << MMU_PAGE_SHIFT;
    uint64_t on_first = first_end - b->phys < b->span ? first_end - b->phys : b->span;
    uint64_t second_lo = (uint64_t)b->last_page << MMU_PAGE_SHIFT;
    bool hit = b->phys < hi && lo < b->phys + on_first;
    if (b->last_page != first)
      hit |= second_lo < hi && lo < second_lo + (b->span - on_first);
    if (hit) {
      b->valid = false; /* page lists on the RAM side unlink it when next walked */
      unhash(cc, b);
      dropped++;
    }
  }
  if (dropped)
    cc->cpu->cc_gen++;
  return dropped;
}

unsigned cpu_invalidate_phys(struct cpu *c, uint64_t addr, uint64_t len) {
  struct cpu_code_cache *cc = c->cache;
  if (len == 0 || addr >= 0x100000000ull)
    return 0;
  uint64_t end = addr + len > 0x100000000ull ? 0x100000000ull : addr + len; /* exclusive */
  unsigned dropped = 0;
  uint64_t ram_end = (uint64_t)cc->n_pages << MMU_PAGE_SHIFT;
  for (uint64_t a = addr; a < end && a < ram_end;) {
    uint64_t page_end = ((a >> MMU_PAGE_SHIFT) + 1) << MMU_PAGE_SHIFT;
    uint64_t hi = page_end < end ? page_end : end;
    dropped += invalidate_range(cc, (uint32_t)(a >> MMU_PAGE_SHIFT), (uint32_t)a, (uint32_t)hi, false);
    a = hi;
  }
  dropped += invalidate_unlisted(cc, addr, end);
  if (dropped)
    cpu_end_block(c); /* from a device callback: leave the block after this insn */
  return dropped;
}

/* Fetches n instruction bytes at physical address pa (within one page).
 * Sets *backed to false if any came from outside RAM and ROM. */
static void fetch(struct cpu *c, uint64_t pa, unsigned n, uint8_t *buf, bool *backed) {
  for (unsigned k = 0; k < n; k++) {
    if (pa + k >= 0x100000000ull) { /* PAE: nothing above 4 GiB */
      buf[k] = 0xFF;
      *backed = false;
      continue;
    }
    uint32_t a = (uint32_t)(pa + k);
    const uint8_t *p = mmu_code_ptr(c->mem, a, 1);
    if (p) {
      buf[k] = *p;
    } else {
      buf[k] = (uint8_t)mmu_read(c->mem, a, 1);
      *backed = false;
    }
  }
}

/* The instruction-fetch access of the current privilege. */
static unsigned fetch_access(const struct cpu *c) { return MMU_ACC_EXEC | cpu_acc_user(c); }

static void link_page(struct cpu_code_cache *cc, struct cpu_block *b, uint32_t page, int which) {
  if (page >= cc->n_pages)
    return; /* ROM: never written */
  b->page_next[which] = cc->page_head[page];
  cc->page_head[page] = b;
  mmu_mark_code_page(cc->cpu->mem, page, true);
}

/* The block-ending rows after which the run loop may go straight on to the
 * next block: near jumps, calls and returns change EIP alone, never EFLAGS.IF,
 * CS, the mode, the shadow or the NMI block (every other F_BRANCH row may). */
static bool near_transfer(cpu_handler fn) {
  return fn == Jcc_Jbw || fn == Jcc_Jbd || fn == Jcc_Jw || fn == Jcc_Jd || fn == JMP_Jbw || fn == JMP_Jbd ||
         fn == JMP_Jw || fn == JMP_Jd || fn == JMP_Ew || fn == JMP_Ed || fn == CALL_Jw || fn == CALL_Jd ||
         fn == CALL_Ew || fn == CALL_Ed || fn == RET_near || fn == RET_near_Iw || fn == LOOPNE_Jb ||
         fn == LOOPE_Jb || fn == LOOP_Jb || fn == JCXZ_Jb;
}

/* Decodes a block at CS:EIP (linear lin, physical pa) into out (room for
 * BLOCK_MAX_INSNS). room is the number of bytes the CS limit allows from
 * EIP. Returns the instruction count and sets *span and *last_page (the
 * physical page of the last byte); raises #GP(0) if not even the first
 * instruction fits, #PF if its bytes on a second page cannot be fetched. */
static unsigned build(struct cpu *c, struct insn *out, uint32_t lin, uint64_t pa, uint64_t room, bool *backed,
                      uint32_t *span, uint64_t *last_page) {
  uint32_t off = 0, cost = 0;
  unsigned k = 0;
  *last_page = pa >> MMU_PAGE_SHIFT;
  while (k < BLOCK_MAX_INSNS) {
    uint8_t buf[15];
    uint64_t left = room - off;
    unsigned want = left > 15 ? 15 : (unsigned)left;
    uint32_t at = lin + off;
    unsigned here = MMU_PAGE_BYTES - (at & (MMU_PAGE_BYTES - 1));
    if (here > want)
      here = want;
    fetch(c, pa + off, here, buf, backed);
    unsigned len = cpu_decode(&out[k], buf, here, c->code32);
    uint64_t second = 0;
    if (len == 0 && here < want) {
      /* The instruction continues on the next linear page. */
      if (k > 0 && c->mem->paging)
        break; /* it starts the next block, where its fetch may fault */
      second = cpu_translate(c, at + here, fetch_access(c));
      fetch(c, second, want - here, buf + here, backed);
      len = cpu_decode(&out[k], buf, want, c->code32);
    }
    if (len == 0) {
      if (k == 0)
        cpu_raise(c, CPU_EXC_GP, 0); /* the instruction runs past the CS limit */
      break;
    }
    if (len > here)
      *last_page = second >> MMU_PAGE_SHIFT;
    struct insn *in = &out[k];
    cycles_t own = c->timing.row_cost ? c->timing.row_cost[in->row] : 1;
    if (in->flags & INSN_MEM)
      own += c->timing.memory_operand;
    in->cost = (uint16_t)(own > 0xFFFF ? 0xFFFF : own);
    in->cost_before = cost;
    in->retired = (uint8_t)(k + 1);
    cost += in->cost;
    if (in->fn == POP_SS || (in->fn == MOV_SwEw && in->reg == CPU_SS))
      in->after = INSN_AFTER_SHADOW;
    else if (in->fn == IRET || in->fn == IRETD)
      in->after = INSN_AFTER_IRET;
    if ((cpu_rows[in->row].flags & F_BRANCH) && !near_transfer(in->fn))
      in->after |= INSN_AFTER_CHECK;
    in->fn = cpu_jcc_handler(in->fn, in->opcode & 0xF);
    off += len;
    k++;
    if (cpu_rows[in->row].flags & F_BRANCH || in->row == CPU_ROW_UD || in->row == CPU_ROW_TOOLONG)
      break;
    if (((lin + off) >> MMU_PAGE_SHIFT) != (lin >> MMU_PAGE_SHIFT))
      break;
  }
  /* What the run loop reads instead of the block: its length, and on
   * every instruction but the last that a block stopping there was cut. */
  for (unsigned j = 0; j < k; j++) {
    out[j].block_n = (uint8_t)k;
    if (j + 1 < k)
      out[j].after |= INSN_AFTER_CUT;
  }
  *span = off;
  return k;
}

static const struct insn *decode_block(struct cpu *c, uint32_t lin, uint64_t pa, uint64_t room,
                                       unsigned *n_insns);

/* The lookup in full: the hash, the link to fill, the CS limit and second
 * page checks. Out of line, so that the fast path below stays a leaf. */
static const struct insn *lookup_at(struct cpu *c, unsigned *n_insns, uint32_t lin, uint64_t pa, uint64_t room);

static __attribute__((noinline)) const struct insn *lookup_full(struct cpu *c, unsigned *n_insns) {
  const struct cpu_segment *cs = &c->seg[CPU_CS];
  if (c->eip > cs->limit)
    cpu_raise(c, CPU_EXC_GP, 0);
  uint64_t room = (uint64_t)cs->limit - c->eip + 1;
  uint32_t lin = cs->base + c->eip;
  uint64_t pa;
  if (likely(!c->mem->paging)) {
    pa = mmu_phys(c->mem, lin);
  } else {
    uint32_t p;
    if (mmu_ifast_phys(c->mem, lin, c->cpl == 3, &p))
      pa = p; /* the ITLB entry used last (an ITLB hit) */
    else
      pa = cpu_translate(c, lin, fetch_access(c));
  }
  return lookup_at(c, n_insns, lin, pa, room);
}

/* The lookup after translation: CS:EIP is linear lin, physical pa; room
 * bytes to the CS limit. */
static __attribute__((noinline)) const struct insn *lookup_at(struct cpu *c, unsigned *n_insns, uint32_t lin,
                                                              uint64_t pa, uint64_t room) {
  struct cpu_code_cache *cc = c->cache;
  bool above_4g = pa >= 0x100000000ull; /* PAE: nothing there, never cached */
  uint32_t phys = (uint32_t)pa;

  /* The links of the block before: no hash lookup if one matches. */
  struct cpu_block *prev = cc->cpu->cc_last, *b = NULL;
  int slot = -1; /* the link to fill if the hash finds the block */
  cc->cpu->cc_last = NULL;
  if (prev && cc->cpu->cc_last_gen == cc->cpu->cc_gen && !above_4g) {
    slot = phys == prev->end_phys ? 0 : 1;
    struct cpu_block *s = prev->succ[slot].to;
    if (s && prev->succ[slot].gen == cc->cpu->cc_gen && s->phys == phys && s->code32 == c->code32)
      b = s;
  }
  if (!b) {
    for (b = cc->hash[hash_of(phys, c->code32)]; b && !above_4g; b = b->hash_next)
      if (b->phys == phys && b->code32 == c->code32)
        break;
    if (above_4g)
      b = NULL;
    if (b && slot >= 0)
      prev->succ[slot] = (struct cpu_link){b, cc->cpu->cc_gen};
  }
  if (b) {
    if (b->span > room)
      return decode_block(c, lin, pa, room, n_insns); /* the CS limit cuts this block short here */
    if (b->last_page != (b->phys >> MMU_PAGE_SHIFT)) {
      uint64_t last;
      if (!cpu_translate_try(c, lin + b->span - 1, fetch_access(c), &last) ||
          (last >> MMU_PAGE_SHIFT) != b->last_page)
        return decode_block(c, lin, pa, room, n_insns); /* the second page maps elsewhere now */
    }
    cc->cpu->cc_last = b;
    cc->cpu->cc_last_gen = cc->cpu->cc_gen;
    *n_insns = b->n;
    return b->insns;
  }
  return decode_block(c, lin, pa, room, n_insns);
}

const struct insn *cpu_code_cache_lookup(struct cpu *c, unsigned *n_insns) { return lookup_full(c, n_insns); }

const struct insn *cpu_code_cache_lookup_at(struct cpu *c, unsigned *n_insns, uint32_t lin, uint32_t phys) {
  return lookup_at(c, n_insns, lin, phys, (uint64_t)c->seg[CPU_CS].limit - c->eip + 1);
}

/* The miss path of cpu_code_cache_lookup: decodes the block at lin (pa),
 * kept out of line so that the hit path stays small. */
static __attribute__((noinline)) const struct insn *decode_block(struct cpu *c, uint32_t lin, uint64_t pa,
                                                                 uint64_t room, unsigned *n_insns) {
  struct cpu_code_cache *cc = c->cache;
  bool above_4g = pa >= 0x100000000ull;
  uint32_t phys = (uint32_t)pa;
  if (cc->n_blocks >= MAX_BLOCKS || cc->n_insns + BLOCK_MAX_INSNS > MAX_INSNS)
    cpu_code_cache_flush(cc);

  bool backed = !above_4g;
  uint32_t span;
  uint64_t last_page;
  cpu_count(c, TRACE_EV_block_decode);
  struct insn *out = &cc->insns[cc->n_insns];
  unsigned n = build(c, out, lin, pa, room, &backed, &span, &last_page);
  /* A block found above but cut short by the limit or by its second page,
   * or one fetched from MMIO (or from nothing), is used once from the
   * scratch area. */
  bool cached_elsewhere = false;
  for (struct cpu_block *b = cc->hash[hash_of(phys, c->code32)]; b; b = b->hash_next)
    if (b->phys == phys && b->code32 == c->code32)
      cached_elsewhere = true;
  if (!backed || cached_elsewhere || last_page >= MMU_PHYS_PAGE_LIMIT) {
    memcpy(cc->scratch, out, n * sizeof *out);
    *n_insns = n;
    return cc->scratch;
  }

  struct cpu_block *b = &cc->blocks[cc->n_blocks++];
  cc->n_insns += n;
  cc->cpu->cc_last = b;
  cc->cpu->cc_last_gen = cc->cpu->cc_gen;
  *b = (struct cpu_block){.phys = phys,
                          .last_page = (uint32_t)last_page,
                          .span = span,
                          .end_phys = phys + span,
                          .n = (uint16_t)n,
                          .code32 = c->code32,
                          .valid = true,
                          .insns = out,
                          .link_code32 = (uint32_t)last_page == (phys >> MMU_PAGE_SHIFT) ? c->code32 : 2};
  unsigned h = hash_of(phys, c->code32);
  b->hash_next = cc->hash[h];
  cc->hash[h] = b;
  link_page(cc, b, phys >> MMU_PAGE_SHIFT, 0);
  if (b->last_page != (phys >> MMU_PAGE_SHIFT))
    link_page(cc, b, b->last_page, 1);
  *n_insns = n;
  return out;
}
