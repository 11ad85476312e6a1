/* hv/ptwr.c - the few instruction forms a guest kernel uses to write a
 * page-table entry, decoded well enough to emulate the write (Xen uses its
 * full x86 emulator here; a PV kernel writes its entries with MOV, XCHG,
 * CMPXCHG or CMPXCHG8B, and anything else is reflected to the guest as the
 * page fault it was). The written address is CR2, so the effective address
 * is never computed: ModRM, SIB and displacement are only skipped. Code
 * segments are taken as flat (base 0), as every PV kernel's are.
 */
#include "ptwr.h"

static uint32_t get_reg(const struct hv_frame *f, uint32_t r) {
  switch (r & 7) {
  case 0: return f->eax;
  case 1: return f->ecx;
  case 2: return f->edx;
  case 3: return f->ebx;
  case 4: return f->esp;
  case 5: return f->ebp;
  case 6: return f->esi;
  default: return f->edi;
  }
}

static void set_reg(struct hv_frame *f, uint32_t r, uint32_t v) {
  switch (r & 7) {
  case 0: f->eax = v; break;
  case 1: f->ecx = v; break;
  case 2: f->edx = v; break;
  case 3: f->ebx = v; break;
  case 4: f->esp = v; break;
  case 5: f->ebp = v; break;
  case 6: f->esi = v; break;
  default: f->edi = v; break;
  }
}

/* Byte registers: AL CL DL BL AH CH DH BH. */
static uint32_t get_reg8(const struct hv_frame *f, uint32_t r) {
  uint32_t v = get_reg(f, r & 3);
  return (r & 4) ? (v >> 8) & 0xFF : v & 0xFF;
}

/* Length of ModRM + SIB + displacement (32-bit addressing); 0 for a
 * register operand (not a memory write). */
static uint32_t modrm_len(const uint8_t *p, uint32_t avail) {
  if (avail < 1)
    return 0;
  uint32_t mod = p[0] >> 6, rm = p[0] & 7, n = 1;
  if (mod == 3)
    return 0;
  if (rm == 4) {
    if (avail < 2)
      return 0;
    if (mod == 0 && (p[1] & 7) == 5)
      n += 4;
    n++;
  } else if (mod == 0 && rm == 5) {
    n += 4;
  }
  if (mod == 1)
    n += 1;
  else if (mod == 2)
    n += 4;
  return n <= avail ? n : 0;
}

int hv_ptwr_decode(const struct hv_frame *f, uint32_t addr, struct hv_ptwr_write *w) {
  uint8_t b[16];
  uint32_t avail = 0;
  while (avail < 15 && hv_copy_from_guest(&b[avail], f->eip + avail, 1) == 0)
    avail++;
  memset(w, 0, sizeof *w);
  w->addr = addr;
  uint32_t i = 0, opsize = 4;
  for (; i < avail; i++) {
    uint8_t c = b[i];
    if (c == 0x66)
      opsize = 2;
    else if (c == 0xF0 || c == 0x26 || c == 0x2E || c == 0x36 || c == 0x3E || c == 0x64 || c == 0x65)
      continue;
    else
      break;
  }
  if (i >= avail)
    return 0;
  uint8_t op = b[i++];
  uint32_t ml;
  switch (op) {
  case 0x88: /* MOV r/m8, r8 */
  case 0x89: /* MOV r/m, r */
  case 0x86: /* XCHG r/m8, r8 */
  case 0x87: /* XCHG r/m, r */
    if (!(ml = modrm_len(b + i, avail - i)))
      return 0;
    w->reg = (b[i] >> 3) & 7;
    w->bytes = (op & 1) ? opsize : 1;
    w->val = (op & 1) ? get_reg(f, w->reg) : get_reg8(f, w->reg);
    if (w->bytes == 2)
      w->val &= 0xFFFF;
    w->is_xchg = op == 0x86 || op == 0x87;
    w->len = i + ml;
    return 1;
  case 0xC6: /* MOV r/m8, imm8 */
  case 0xC7: /* MOV r/m, imm */
    if (((b[i] >> 3) & 7) != 0 || !(ml = modrm_len(b + i, avail - i)))
      return 0;
    w->bytes = op == 0xC6 ? 1 : opsize;
    if (i + ml + w->bytes > avail)
      return 0;
    w->val = 0;
    memcpy(&w->val, b + i + ml, w->bytes);
    w->len = i + ml + w->bytes;
    return 1;
  case 0x0F:
    if (i >= avail)
      return 0;
    op = b[i++];
    if (op == 0xB1) { /* CMPXCHG r/m, r */
      if (!(ml = modrm_len(b + i, avail - i)))
        return 0;
      w->reg = (b[i] >> 3) & 7;
      w->bytes = opsize;
      w->val = get_reg(f, w->reg);
      w->old = f->eax;
      w->is_cmpxchg = 1;
      w->len = i + ml;
      return 1;
    }
    if (op == 0xC7 && ((b[i] >> 3) & 7) == 1) { /* CMPXCHG8B m64 */
      if (!(ml = modrm_len(b + i, avail - i)))
        return 0;
      w->bytes = 8;
      w->val = ((uint64_t)f->ecx << 32) | f->ebx;
      w->old = ((uint64_t)f->edx << 32) | f->eax;
      w->is_cmpxchg = 1;
      w->len = i + ml;
      return 1;
    }
    return 0;
  default:
    return 0;
  }
}

void hv_ptwr_complete(struct hv_frame *f, const struct hv_ptwr_write *w, uint64_t old64, int ok) {
  uint32_t off = w->addr & 7;
  uint64_t old = old64 >> (off * 8);
  if (w->bytes < 8)
    old &= ((uint64_t)1 << (w->bytes * 8)) - 1;
  if (w->is_xchg) {
    if (w->bytes == 1) {
      uint32_t r = w->reg & 3, v = get_reg(f, r);
      v = (w->reg & 4) ? (v & ~0xFF00u) | ((uint32_t)old << 8) : (v & ~0xFFu) | (uint32_t)old;
      set_reg(f, r, v);
    } else if (w->bytes == 2) {
      set_reg(f, w->reg, (get_reg(f, w->reg) & 0xFFFF0000u) | (uint32_t)old);
    } else {
      set_reg(f, w->reg, (uint32_t)old);
    }
  } else if (w->is_cmpxchg) {
    if (ok) {
      f->eflags |= 0x40; /* ZF */
    } else {
      f->eflags &= ~0x40u;
      if (w->bytes == 8) {
        f->eax = (uint32_t)old;
        f->edx = (uint32_t)(old >> 32);
      } else {
        f->eax = (uint32_t)old;
      }
    }
  }
  f->eip += w->len;
}
