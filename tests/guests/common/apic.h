/* tests/guests/common/apic.h - the local APIC and the I/O APIC for kernels
 * built on the common library (x86.h): header only. Paging is off in these
 * kernels, so the registers are at their physical addresses.
 *
 *   0xFEC00000  I/O APIC: IOREGSEL (+0x00), IOWIN (+0x10)
 *   0xFEE00000  local APIC: one 32-bit register per 16 bytes (SDM vol. 3,
 *               table 10-1)
 */
#ifndef RINGLAB_GUEST_APIC_H
#define RINGLAB_GUEST_APIC_H

#include "x86.h"

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_BSP 0x100u
#define APIC_BASE_EN 0x800u
#define APIC_DEFAULT_BASE 0xFEE00000u
#define CPUID_APIC (1u << 9)

/* local APIC registers */
#define APIC_ID 0x020
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_APR 0x090
#define APIC_PPR 0x0A0
#define APIC_EOI 0x0B0
#define APIC_LDR 0x0D0
#define APIC_DFR 0x0E0
#define APIC_SVR 0x0F0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3E0

#define APIC_SVR_ENABLE 0x100u
#define APIC_LVT_MASKED 0x10000u
#define APIC_LVT_PERIODIC 0x20000u
#define APIC_DELIVERY_STATUS 0x1000u
/* ICR low: delivery modes, destination mode, level, trigger, shorthands */
#define APIC_DM_FIXED 0x000u
#define APIC_DM_NMI 0x400u
#define APIC_DM_INIT 0x500u
#define APIC_DM_EXTINT 0x700u
#define APIC_LOGICAL 0x800u
#define APIC_ASSERT 0x4000u
#define APIC_LEVEL 0x8000u
#define APIC_SELF (1u << 18)
#define APIC_ALL (2u << 18)
#define APIC_OTHERS (3u << 18)
#define APIC_DIVIDE_1 0xBu
#define APIC_DIVIDE_2 0x0u
#define APIC_DIVIDE_16 0x3u

static inline uint32_t apic_base(void) { return (uint32_t)rdmsr(MSR_APIC_BASE) & 0xFFFFF000u; }

static inline uint32_t apic_read(uint32_t reg) { return *(volatile uint32_t *)(APIC_DEFAULT_BASE + reg); }
static inline void apic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(APIC_DEFAULT_BASE + reg) = v; }

/* Bit v of a 256-bit register (ISR, TMR, IRR). */
static inline int apic_bit(uint32_t reg, unsigned v) { return (apic_read(reg + (v / 32) * 16) >> (v % 32)) & 1; }

static inline void apic_eoi(void) { apic_write(APIC_EOI, 0); }

/* An IPI: the destination first, then the command (which sends it). */
static inline void apic_ipi(uint8_t dest, uint32_t lo) {
  apic_write(APIC_ICR_HI, (uint32_t)dest << 24);
  apic_write(APIC_ICR_LO, lo);
}

/* The errors found since the last read (write, then read: SDM 10.5.3). */
static inline uint32_t apic_esr(void) {
  apic_write(APIC_ESR, 0);
  return apic_read(APIC_ESR);
}

/* I/O APIC */
#define IOAPIC_BASE 0xFEC00000u
#define IOAPIC_ID 0x00
#define IOAPIC_VERSION 0x01
#define IOAPIC_REDIR(n) (0x10 + 2 * (n))
#define IOAPIC_MASKED 0x10000u
#define IOAPIC_LEVEL 0x8000u
#define IOAPIC_REMOTE_IRR 0x4000u
#define IOAPIC_ACTIVE_LOW 0x2000u

static inline uint32_t ioapic_read(uint8_t index) {
  *(volatile uint32_t *)IOAPIC_BASE = index;
  return *(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}
static inline void ioapic_write(uint8_t index, uint32_t v) {
  *(volatile uint32_t *)IOAPIC_BASE = index;
  *(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}
/* Entry n: low half (vector, modes, mask), destination (high byte). */
static inline void ioapic_route(unsigned n, uint32_t lo, uint8_t dest) {
  ioapic_write((uint8_t)(IOAPIC_REDIR(n) + 1), (uint32_t)dest << 24);
  ioapic_write((uint8_t)IOAPIC_REDIR(n), lo);
}

/* Whether the Multiboot command line holds the word w. */
static inline int cmdline_has(uint32_t magic, uint32_t info, const char *w) {
  if (magic != MULTIBOOT_BOOTLOADER_MAGIC || !(*(const uint32_t *)info & 4u))
    return 0;
  const char *s = (const char *)*(const uint32_t *)(info + 16);
  for (; *s; s++) {
    const char *a = s, *b = w;
    while (*b && *a == *b)
      a++, b++;
    if (!*b && (*a == 0 || *a == ' '))
      return 1;
  }
  return 0;
}

#endif
