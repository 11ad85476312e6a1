/* hv/hv-internal.h - the hypervisor's internal interfaces.
 *
 * The hypervisor is one freestanding 32-bit image that runs in ring 0 of
 * the emulated PC with PAE paging, at the top of every address space. Its
 * guests are Xen 32-bit PAE paravirtual kernels (ring 1) and their
 * processes (ring 3). The ABI is Xen's public headers (<xen/...>); this
 * header declares only our own structures and functions.
 *
 * The hypervisor's virtual address space (the top of every address space;
 * L3 slot 3's L2 entries 428-511 are the hypervisor's in every domain):
 *
 *   0xFFFFFFFF +----------------------------------+
 *              | direct map of machine memory     |  2 MiB pages, global,
 *              | 0 .. 128 MiB (the image at +1MiB) |  ring 0 only
 *   0xF8000000 +----------------------------------+  HV_DIRECTMAP_VIRT
 *              | (unused)                         |
 *   0xF6A00000 +----------------------------------+
 *              | per-domain area (one L1 per      |  GDT: 16 pages (guest
 *              | domain): GDT 64 KiB, LDT 64 KiB  |  frames 0-13, ours 14)
 *   0xF6800000 +----------------------------------+  GUEST_SEGMENT_MAX_ADDR
 *              | machine-to-physical table (RO)   |  MACH2PHYS_VIRT_START:
 *              | 4 bytes per machine frame        |  guests read it
 *   0xF5800000 +----------------------------------+  HYPERVISOR_VIRT_START
 *              | the guest's own address space    |
 *   0x00000000 +----------------------------------+
 *
 * Guest segments end at 0xF67FFFFF (Xen's flat ring-1/ring-3 descriptors
 * and every descriptor a guest installs are truncated there), so a guest
 * reads the M2P table and nothing above it.
 */
#ifndef HV_INTERNAL_H
#define HV_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>

/* Xen's error numbers (<xen/errno.h>) under their plain names. */
#define XEN_ERRNO(name, value) name = value,
enum hv_errno {
#include <xen/errno.h>
};

#include "guestlib.h"
#include "ringlab_ops.h"

/* ---- address space ------------------------------------------------------ */
#define HV_PAGE_SIZE 4096u
#define HV_PAGE_SHIFT 12
#define HV_DIRECTMAP_VIRT 0xF8000000u
#define HV_DIRECTMAP_BYTES (128u << 20)
#define HV_MAX_MFNS (HV_DIRECTMAP_BYTES >> HV_PAGE_SHIFT) /* frames we manage */
#define HV_M2P_VIRT MACH2PHYS_VIRT_START                   /* 0xF5800000 */
#define HV_PERDOMAIN_VIRT 0xF6800000u
#define HV_GDT_VIRT HV_PERDOMAIN_VIRT              /* 16 pages */
#define HV_LDT_VIRT (HV_PERDOMAIN_VIRT + 0x10000u) /* 16 pages */
#define HV_GUEST_SEG_END 0xF6800000u                /* GUEST_SEGMENT_MAX_ADDR */
#define HV_FIRST_HV_L2_SLOT (HYPERVISOR_VIRT_START >> 21 & 511) /* 428 */
#define HV_PERDOMAIN_L2_SLOT (HV_PERDOMAIN_VIRT >> 21 & 511)     /* 436 */

static inline void *hv_mfn_to_virt(uint32_t mfn) { return (void *)(HV_DIRECTMAP_VIRT + (mfn << HV_PAGE_SHIFT)); }
static inline uint32_t hv_virt_to_phys(const void *p) { return (uint32_t)p - HV_DIRECTMAP_VIRT; }
static inline uint32_t hv_virt_to_mfn(const void *p) { return hv_virt_to_phys(p) >> HV_PAGE_SHIFT; }
static inline void *hv_phys_to_virt(uint32_t pa) { return (void *)(pa + HV_DIRECTMAP_VIRT); }

/* PAE paging-entry bits */
#define PTE_P 0x001u    /* present */
#define PTE_RW 0x002u   /* writable */
#define PTE_US 0x004u   /* user */
#define PTE_PWT 0x008u  /* write-through */
#define PTE_PCD 0x010u  /* cache disable */
#define PTE_A 0x020u    /* accessed */
#define PTE_D 0x040u    /* dirty */
#define PTE_PS 0x080u   /* 2 MiB page (L2) / PAT (L1) */
#define PTE_G 0x100u    /* global */
#define PTE_AVAIL 0xE00u /* software bits */
#define PTE_FRAME 0x000FFFFFFFFFF000ull
typedef uint64_t hv_pte_t;

/* ---- selectors (Xen's reserved GDT page: entries 7168-7679) --------------- */
#define HV_GDT_FIRST_RESERVED FIRST_RESERVED_GDT_ENTRY /* 7168 */
#define HV_CS 0xe008u  /* ring-0 code */
#define HV_DS 0xe010u  /* ring-0 data */
#define HV_TSS_SEL 0xe040u
#define HV_LDT_SEL 0xe048u
#define HV_HYPERCALL_VECTOR 0x82

/* ---- the frame that every entry into the hypervisor pushes -------------- */
/* Low to high addresses; entry.S builds it, the exit path pops it. The last
 * two words exist only when the CPU came from ring 1 or 3 (always, for a
 * guest's frame: it sits at the top of the hypervisor stack). */
struct hv_frame {
  uint32_t ebx, ecx, edx, esi, edi, ebp, eax; /* Xen's cpu_user_regs order */
  uint32_t ds, es, fs, gs;
  uint32_t vector, error_code;
  uint32_t eip, cs, eflags; /* pushed by the CPU */
  uint32_t esp, ss;         /* pushed by the CPU on a privilege change */
};

#define EFLAGS_CF 0x00000001u
#define EFLAGS_TF 0x00000100u
#define EFLAGS_IF 0x00000200u
#define EFLAGS_DF 0x00000400u
#define EFLAGS_IOPL 0x00003000u
#define EFLAGS_NT 0x00004000u
#define EFLAGS_RF 0x00010000u
#define EFLAGS_VM 0x00020000u
#define EFLAGS_AC 0x00040000u
#define EFLAGS_ID 0x00200000u

/* ---- page frames (mm.c) -------------------------------------------------- */
enum hv_page_type {
  HV_PGT_NONE = 0,
  HV_PGT_L1 = 1,
  HV_PGT_L2 = 2,
  HV_PGT_L3 = 3,
  HV_PGT_SEG_DESC = 5, /* a GDT or LDT page */
  HV_PGT_WRITABLE = 6, /* mapped writable somewhere */
};
#define HV_OWNER_FREE 0xFFFFu /* on the free list */
#define HV_OWNER_XEN DOMID_XEN /* the hypervisor's own */
#define HV_OWNER_NONE DOMID_INVALID /* not RAM we manage */

#define HV_PGF_VALIDATED 0x01 /* contents checked for its type */
#define HV_PGF_PINNED 0x02    /* pinned by the guest (holds a type ref) */
#define HV_PGF_PAE_XEN_L2 0x04 /* an L2 in L3 slot 3: holds our entries */
#define HV_PGF_SHARED_RO 0x08 /* a hypervisor frame guests may map read-only */
#define HV_PGF_SHARED_RW 0x10 /* a hypervisor frame its domain may map (shared info) */
#define HV_PGF_ALLOCATED 0x20 /* the domain's allocation holds a reference */

struct hv_page {
  uint16_t owner;      /* domain id, HV_OWNER_XEN, _FREE or _NONE */
  uint8_t type;        /* enum hv_page_type */
  uint8_t flags;       /* HV_PGF_* */
  uint32_t type_count; /* references of this type (mappings, table slots, pins) */
  uint32_t count;      /* general references (Xen's count_info) */
  uint32_t next_free;  /* free-list link */
};
extern struct hv_page hv_frames[HV_MAX_MFNS];
extern uint32_t hv_max_mfn; /* frames below this exist */
extern uint32_t hv_m2p[HV_MAX_MFNS]; /* written here, read by guests at HV_M2P_VIRT */

void hv_mem_init(uint32_t mbi_phys);
uint32_t hv_alloc_frame(uint16_t owner);              /* zeroed; 0 = none left */
void hv_free_frame(uint32_t mfn);
uint32_t hv_free_frames(void);
void hv_mem_reserve(uint32_t start_phys, uint32_t end_phys); /* take out of the pool */
void hv_mem_release(uint32_t start_phys, uint32_t end_phys); /* give (module) frames back */

/* ---- the run's verdict on the exit port (sched.c decides) ---------------- */
#define HV_VERDICT_POWEROFF 0  /* every domain shut down with SHUTDOWN_poweroff */
#define HV_VERDICT_DESTROYED 8 /* some domain was destroyed (crashed into us) */
#define HV_VERDICT_PANIC 9     /* the hypervisor itself stopped (bad boot input) */
/* otherwise 1 + the first other shutdown reason (SHUTDOWN_reboot ... ) */

/* ---- console (console.c) ------------------------------------------------- */
void hv_console_init(void);
void hv_putc(char c);
int hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int hv_vprintf(const char *fmt, va_list ap);
__attribute__((noreturn)) void hv_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void hv_halt_machine(uint32_t verdict);

/* ---- instrumentation (ops.c): the only place that talks to the ops port -- */
void hv_ops_init(void);
void hv_mark_hypercall_enter(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3);
void hv_mark_hypercall_exit(uint32_t nr, uint32_t result);
void hv_mark_event(uint32_t kind, uint32_t index, uint32_t a2, uint32_t a3);
void hv_annotate(const char *text);
/* kinds of hv_mark_event: ringlab_ops.h's once it has them */
#ifdef RINGLAB_OP_HV_EVENT
#define HV_EV_TRAP_BOUNCE RINGLAB_HV_TRAP_BOUNCE
#define HV_EV_EVENT_UPCALL RINGLAB_HV_EVENT_UPCALL
#define HV_EV_PT_EMULATE RINGLAB_HV_PT_EMULATE
#define HV_EV_DOMAIN_SWITCH RINGLAB_HV_DOMAIN_SWITCH
#define HV_EV_PT_UPDATE RINGLAB_HV_PT_UPDATE
#else
#define HV_EV_TRAP_BOUNCE 1
#define HV_EV_EVENT_UPCALL 2
#define HV_EV_PT_EMULATE 3
#define HV_EV_DOMAIN_SWITCH 4
#define HV_EV_PT_UPDATE 5
#endif

/* ---- x86 helpers ---------------------------------------------------------- */
static inline void hv_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t hv_inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint64_t hv_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
static inline uint32_t hv_read_cr2(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}
static inline uint32_t hv_read_cr3(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}
static inline void hv_write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void hv_invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline void hv_flush_tlb_local(void) { hv_write_cr3(hv_read_cr3()); }

/* ---- descriptor tables (desc.c) ------------------------------------------ */
struct hv_desc {
  uint32_t a, b; /* low and high words, as the SDM draws them */
};
void hv_desc_init(void);
void hv_tss_set_ring1_stack(uint32_t ss, uint32_t esp);
void hv_tss_set_iomap(int allow_all);
void hv_idt_set_direct_trap(uint32_t vector, uint32_t cs, uint32_t eip, int present);
int hv_check_descriptor(struct hv_desc *d); /* 1: valid (possibly fixed up) */
extern struct hv_desc hv_idt[256];

/* ---- guest memory access (uaccess.S) ------------------------------------- */
/* Copy n bytes between the hypervisor and the current guest's virtual
 * address space; return the bytes NOT copied (0 = success). A fault in the
 * copy is caught (exception-table fixup), never fatal. */
uint32_t hv_copy_from_guest_raw(void *dst, uint32_t src, uint32_t n);
uint32_t hv_copy_to_guest_raw(uint32_t dst, const void *src, uint32_t n);
int hv_guest_range_ok(uint32_t va, uint32_t n); /* below HYPERVISOR_VIRT_START */
int hv_copy_from_guest(void *dst, uint32_t src, uint32_t n); /* 0 or -EFAULT */
int hv_copy_to_guest(uint32_t dst, const void *src, uint32_t n);
uint32_t hv_fixup_lookup(uint32_t eip); /* fixup address for a faulting EIP, or 0 */

#endif
