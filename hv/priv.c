/* hv/priv.c - privileged instructions a ring-1 guest kernel executes and
 * the hypervisor emulates, as Xen's emulate_privileged_op does, and Xen's
 * forced-emulation prefix for CPUID.
 *
 * A privileged instruction in ring 1 raises #GP(0); what is emulated here
 * is finished and EIP moves past it, anything else is bounced to the
 * guest's #GP handler:
 *   CLTS                  fpu_taskswitch(0)
 *   MOV from CR0/2/3/4    virtual TS in CR0; CR2 of the vcpu_info; CR3 the
 *                         guest's base pointer (xen_pfn_to_cr3); real CR4
 *   MOV to CR0            only TS may change (fpu_taskswitch)
 *   MOV to CR3            new_guest_cr3 (MMUEXT_NEW_BASEPTR)
 *   WBINVD                the privileged domain only (a no-op here)
 *   RDMSR                 the TSC (0x10) only
 *   IN, OUT (byte, word, dword; immediate or DX port)
 *                         the privileged domain with a virtual IOPL
 *                         (physdev set_iopl) at or above its ring
 *   HLT                   SCHEDOP_block
 * `ud2a; .ascii "xen"; cpuid` (0F 0B 78 65 6E 0F A2) runs CPUID and hides
 * what a PV guest must not use: VME, DE, PSE, PGE, SEP, PSE36, MTRR and
 * MCA/MCE for unprivileged domains, the monitor and VMX bits.
 *
 * LFENCE, MFENCE and SFENCE (0F AE /5, /6, /7 with a register operand)
 * that raise #UD in a guest are finished as no-ops. Not Xen's doing:
 * every processor Xen runs on today has SSE2, and kernels built for it
 * fence without asking CPUID (GRUB's i386-xen mb() is MFENCE), while the
 * emulated processor is a Pentium II, which has none of the three. On one
 * processor that retires in order a fence orders nothing more, so a no-op
 * is what the instruction would do.
 */
#include "domain.h"

static int fetch(const struct hv_frame *f, uint8_t *b, uint32_t n) {
  uint32_t got = 0;
  while (got < n && hv_copy_from_guest(&b[got], f->eip + got, 1) == 0)
    got++;
  return (int)got;
}

static uint32_t *reg_ptr(struct hv_frame *f, uint32_t r) {
  switch (r & 7) {
  case 0: return &f->eax;
  case 1: return &f->ecx;
  case 2: return &f->edx;
  case 3: return &f->ebx;
  case 4: return &f->esp;
  case 5: return &f->ebp;
  case 6: return &f->esi;
  default: return &f->edi;
  }
}

static int io_ok(struct hv_domain *d, const struct hv_frame *f) {
  return d->privileged && hv_vcpu(d)->iopl >= (f->cs & 3);
}

int hv_emulate_privileged(struct hv_frame *f) {
  struct hv_domain *d = hv_current;
  struct hv_vcpu *v = hv_vcpu(d);
  uint8_t b[8];
  int n = fetch(f, b, sizeof b), i = 0, opsize = 4;
  if ((f->cs & 3) != 1 || n < 1)
    return 0;
  if (b[0] == 0x66 && n > 1) {
    opsize = 2;
    i = 1;
  }
  uint8_t op = b[i];
  switch (op) {
  case 0xF4: /* HLT */
    f->eip += (uint32_t)i + 1;
    v->info->evtchn_upcall_mask = 0;
    if (!v->info->evtchn_upcall_pending)
      hv_sched_block();
    return 1;
  case 0xE4: case 0xE5: case 0xE6: case 0xE7: /* IN/OUT imm8 */
  case 0xEC: case 0xED: case 0xEE: case 0xEF: { /* IN/OUT DX */
    if (!io_ok(d, f))
      return 0;
    int imm = op < 0xEC;
    if (imm && i + 1 >= n)
      return 0;
    uint16_t port = imm ? b[i + 1] : (uint16_t)f->edx;
    uint32_t size = (op & 1) ? (uint32_t)opsize : 1;
    if (op & 2) { /* OUT */
      uint32_t val = f->eax;
      if (size == 1)
        __asm__ volatile("outb %b0, %w1" : : "a"(val), "Nd"(port));
      else if (size == 2)
        __asm__ volatile("outw %w0, %w1" : : "a"(val), "Nd"(port));
      else
        __asm__ volatile("outl %0, %w1" : : "a"(val), "Nd"(port));
    } else {
      uint32_t val;
      if (size == 1) {
        uint8_t x;
        __asm__ volatile("inb %w1, %b0" : "=a"(x) : "Nd"(port));
        f->eax = (f->eax & ~0xFFu) | x;
      } else if (size == 2) {
        uint16_t x;
        __asm__ volatile("inw %w1, %w0" : "=a"(x) : "Nd"(port));
        f->eax = (f->eax & ~0xFFFFu) | x;
      } else {
        __asm__ volatile("inl %w1, %0" : "=a"(val) : "Nd"(port));
        f->eax = val;
      }
    }
    f->eip += (uint32_t)i + 1 + (uint32_t)imm;
    return 1;
  }
  case 0x0F:
    if (i + 1 >= n)
      return 0;
    op = b[i + 1];
    if (op == 0x06) { /* CLTS */
      hv_do_fpu_taskswitch(0);
      f->eip += (uint32_t)i + 2;
      return 1;
    }
    if (op == 0x09) { /* WBINVD */
      if (!d->privileged)
        return 0;
      f->eip += (uint32_t)i + 2;
      return 1;
    }
    if (op == 0x32) { /* RDMSR */
      if (f->ecx != 0x10)
        return 0;
      uint64_t t = hv_rdtsc();
      f->eax = (uint32_t)t;
      f->edx = (uint32_t)(t >> 32);
      f->eip += (uint32_t)i + 2;
      return 1;
    }
    if ((op == 0x20 || op == 0x22) && i + 2 < n && (b[i + 2] >> 6) == 3) {
      uint32_t cr = (b[i + 2] >> 3) & 7, *r = reg_ptr(f, b[i + 2] & 7);
      if (op == 0x20) { /* MOV r32, CRn */
        uint32_t val;
        switch (cr) {
        case 0:
          __asm__ volatile("mov %%cr0, %0" : "=r"(val));
          val = v->fpu_ts ? (val | 8u) : (val & ~8u);
          break;
        case 2: val = v->info->arch.cr2; break;
        case 3: val = xen_pfn_to_cr3(v->cr3_mfn); break;
        case 4: __asm__ volatile("mov %%cr4, %0" : "=r"(val)); break;
        default: return 0;
        }
        *r = val;
      } else { /* MOV CRn, r32 */
        uint32_t val = *r;
        if (cr == 0) {
          uint32_t cur;
          __asm__ volatile("mov %%cr0, %0" : "=r"(cur));
          if ((val ^ cur) & ~8u)
            return 0; /* only TS may change */
          hv_do_fpu_taskswitch(val & 8u);
        } else if (cr == 3) {
          if (!hv_new_guest_cr3(d, xen_cr3_to_pfn(val)))
            return 0;
        } else {
          return 0;
        }
      }
      f->eip += (uint32_t)i + 3;
      return 1;
    }
    return 0;
  default:
    return 0;
  }
}

int hv_emulate_fence(struct hv_frame *f) {
  uint8_t b[3];
  if (fetch(f, b, 3) != 3 || b[0] != 0x0F || b[1] != 0xAE || b[2] < 0xE8)
    return 0;
  f->eip += 3;
  return 1;
}

int hv_emulate_forced(struct hv_frame *f) {
  static const uint8_t sig[7] = {0x0F, 0x0B, 0x78, 0x65, 0x6E, 0x0F, 0xA2};
  uint8_t b[7];
  if (fetch(f, b, 7) != 7 || memcmp(b, sig, 7) != 0)
    return 0;
  uint32_t a = f->eax, c = f->ecx, bx, dx;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(bx), "+c"(c), "=d"(dx));
  if (f->eax == 1) {
    dx &= ~((1u << 1) | (1u << 2) | (1u << 3) | (1u << 13) | (1u << 11) | (1u << 17)); /* VME DE PSE PGE SEP PSE36 */
    if (!hv_current->privileged)
      dx &= ~((1u << 12) | (1u << 7) | (1u << 14)); /* MTRR MCE MCA */
    c &= ~((1u << 3) | (1u << 5)); /* MONITOR VMX */
  }
  f->eax = a;
  f->ebx = bx;
  f->ecx = c;
  f->edx = dx;
  f->eip += 7;
  return 1;
}
