/* guests/kernel/kernel.h - what every file of the guest kernel's core uses:
 * fixed-width types, the virtual memory constants and the address-space
 * map, printing, panic, and a few helpers.
 *
 * Every address space (one per process) looks like this, natively and
 * under Xen alike (only the top 168 MiB differ: Xen owns them):
 *
 *   0xFFFFFFFF +------------------------------+
 *              | hypervisor (Xen) or unused   |  never mapped by this kernel
 *   0xF5800000 +------------------------------+  HV_VIRT_START
 *              | unused                       |
 *              +------------------------------+  PAGE_OFFSET + direct map size
 *              | direct map of RAM            |  virt = PAGE_OFFSET + phys, at
 *              |   kernel image at 0xC0100000 |  most DIRECT_MAP_MAX bytes;
 *              |   page frames, heap, stacks  |  global 2 MiB pages natively
 *   0xC0000000 +------------------------------+  PAGE_OFFSET = USER_END
 *              | user stack (grows down)      |  STACK_MAX bytes reserved
 *   0xBF800000 +------------------------------+  USER_STACK_BOTTOM
 *              | mmap area (first fit, up)    |
 *   0x40000000 +------------------------------+  MMAP_BASE
 *              | brk heap (grows up)          |
 *              | program data, bss            |  ELF segments, demand paged
 *              | program text                 |  (0x08048000 by convention)
 *   0x00001000 +------------------------------+
 *              | never mapped (NULL guard)    |
 *   0x00000000 +------------------------------+
 *
 * PAE paging: a 4-entry page-directory-pointer table (a page of its own per
 * address space), slots 0-2 hold the user page directories, slot 3 this
 * address space's own copy of the kernel's page directory (filled from the
 * master copy when the address space is made; Xen writes its own entries in
 * it). Kernel mappings never change after boot (no vmalloc area), so the
 * copies never need updating.
 */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "guestlib.h"

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_OFFSET 0xC0000000u      /* kernel virtual = PAGE_OFFSET + physical */
#define USER_END 0xC0000000u         /* user addresses are below this */
#define HV_VIRT_START 0xF5800000u    /* Xen's HYPERVISOR_VIRT_START (PAE) */
#define DIRECT_MAP_MAX 0x30000000u   /* 768 MiB of RAM at most are mapped */
#define STACK_MAX 0x00800000u        /* 8 MiB user stack, as Linux's rlimit */
#define USER_STACK_BOTTOM (USER_END - STACK_MAX)
#define MMAP_BASE 0x40000000u        /* Linux 2.4's TASK_UNMAPPED_BASE */
#define USER_LOW 0x00001000u         /* nothing is mapped below this */

#define KSTACK_ORDER 1               /* kernel stacks: 2 pages */
#define KSTACK_SIZE (PAGE_SIZE << KSTACK_ORDER)
#define HZ 100                       /* timer ticks per second (Linux 2.4) */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define UNUSED(x) ((void)(x))
#define NORETURN __attribute__((noreturn))

/* Kernel virtual <-> physical, for the direct map. */
static inline uint32_t virt_to_phys(const void *p) { return (uint32_t)p - PAGE_OFFSET; }
static inline void *phys_to_virt(uint32_t pa) { return (void *)(pa + PAGE_OFFSET); }
static inline uint32_t virt_to_pfn(const void *p) { return virt_to_phys(p) >> PAGE_SHIFT; }
static inline void *pfn_to_virt(uint32_t pfn) { return phys_to_virt(pfn << PAGE_SHIFT); }

/* Linux's kernel-internal restart codes (never seen by user programs). */
#define ERESTARTSYS 512    /* restart unless a handler without SA_RESTART ran */
#define ERESTARTNOHAND 514 /* restart only if no handler ran */

/* printk.c */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define KASSERT(c)                                                                  \
  do {                                                                              \
    if (!(c))                                                                       \
      panic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__);                \
  } while (0)

#endif
