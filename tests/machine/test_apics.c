/* tests/machine/test_apics.c - the board's APICs (machine/board.c): their
 * pages where the board maps them, the model and bus clock the preset
 * gives, the state the loaders leave (SeaBIOS's virtual-wire mode) and the
 * power-on state a ROM finds, the page following IA32_APIC_BASE, the ISA
 * lines on the I/O APIC's pins, and INIT: the end of a run without a BIOS,
 * the reset vector with one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "machine-internal.h"

#define LAPIC 0xFEE00000u
#define IOAPIC 0xFEC00000u

static struct machine *new_machine(const char *preset) {
  char err[256];
  struct machine *m = machine_new(16u << 20, NULL, NULL, err, sizeof err);
  assert_non_null(m);
  assert_int_equal(cpu_set_timing(m->cpu, preset, err, sizeof err), 0);
  return m;
}

static uint32_t ioapic_read(struct machine *m, uint8_t index) {
  mmu_write(m->mem, IOAPIC, 4, index);
  return mmu_read(m->mem, IOAPIC + 0x10, 4);
}

static void ioapic_write(struct machine *m, uint8_t index, uint32_t v) {
  mmu_write(m->mem, IOAPIC, 4, index);
  mmu_write(m->mem, IOAPIC + 0x10, 4, v);
}

static void the_pages_are_mapped_with_the_presets_apic_in_virtual_wire_mode(void **state) {
  struct machine *m = new_machine("p6");
  assert_int_equal(mmu_read(m->mem, LAPIC + 0x30, 4), 0x00040011u); /* the P6's */
  assert_int_equal(mmu_read(m->mem, LAPIC + 0xF0, 4), 0x1FFu);      /* software-enabled */
  assert_int_equal(mmu_read(m->mem, LAPIC + 0x350, 4), 0x8700u);    /* LINT0 ExtINT */
  assert_int_equal(mmu_read(m->mem, LAPIC + 0x360, 4), 0x8400u);    /* LINT1 NMI */
  assert_int_equal(mmu_read(m->mem, LAPIC + 0x320, 4), 0x10000u);   /* the rest masked */
  assert_int_equal(ioapic_read(m, 0x00), 0x01000000u);              /* I/O APIC ID 1 */
  assert_int_equal(ioapic_read(m, 0x01), 0x00170011u);
  assert_int_equal(ioapic_read(m, 0x10) & 0x10000u, 0x10000u);
  assert_true(dev_lapic_base_msr(m->lapic) == 0xFEE00900u);
  machine_free(m);
  m = new_machine("netburst");
  assert_int_equal(mmu_read(m->mem, LAPIC + 0x30, 4), 0x00050014u); /* the xAPIC */
  machine_free(m);
}

static void a_rom_finds_the_apics_as_they_power_on(void **state) {
  struct machine *m = new_machine("p6");
  machine_power_on_apics(m);
  assert_int_equal(mmu_read(m->mem, LAPIC + 0xF0, 4), 0xFFu); /* software-disabled */
  assert_int_equal(mmu_read(m->mem, LAPIC + 0x350, 4), 0x10000u);
  assert_int_equal(ioapic_read(m, 0x00), 0);
  machine_free(m);
}

static void the_page_follows_ia32_apic_base(void **state) {
  struct machine *m = new_machine("p6");
  assert_true(dev_lapic_set_base_msr(m->lapic, 0xFED00800u));
  assert_int_equal(mmu_read(m->mem, 0xFED00030u, 4), 0x00040011u);
  assert_int_equal(mmu_read(m->mem, LAPIC + 0x30, 4), 0xFFFFFFFFu);
  assert_true(dev_lapic_set_base_msr(m->lapic, 0xFED00000u)); /* disabled: gone */
  assert_int_equal(mmu_read(m->mem, 0xFED00030u, 4), 0xFFFFFFFFu);
  assert_true(dev_lapic_set_base_msr(m->lapic, 0x00100800u)); /* onto RAM: unreachable */
  assert_int_equal(mmu_read(m->mem, 0x00100030u, 4), 0);
  assert_true(dev_lapic_set_base_msr(m->lapic, 0xFEE00800u));
  assert_int_equal(mmu_read(m->mem, LAPIC + 0x30, 4), 0x00040011u);
  machine_free(m);
}

static void isa_irq_0_drives_pin_2_and_the_8259as_int_pin_0(void **state) {
  struct machine *m = new_machine("p6");
  ioapic_write(m, 0x14, 0x61); /* pin 2: vector 0x61, edge, unmasked */
  ioapic_write(m, 0x10, 0x700); /* pin 0: ExtINT */
  mmu_write(m->mem, LAPIC + 0x350, 4, 0x18700); /* LINT0 masked: only the I/O APIC */
  /* the PIT's OUT0 through a mode 2 count: programmed through the bus */
  dev_bus_out(m->bus, 0x43, 1, 0x34);
  dev_bus_out(m->bus, 0x40, 1, 0x10);
  dev_bus_out(m->bus, 0x40, 1, 0x00);
  dev_bus_out(m->bus, 0x20, 1, 0x11); /* the 8259A master: vectors 0x20-0x27, IRQ 0 unmasked */
  dev_bus_out(m->bus, 0x21, 1, 0x20);
  dev_bus_out(m->bus, 0x21, 1, 0x04);
  dev_bus_out(m->bus, 0x21, 1, 0x01);
  dev_bus_out(m->bus, 0x21, 1, 0xFE);
  dev_sched_advance(m->sched, dev_sched_next(m->sched));
  dev_sched_advance(m->sched, dev_sched_next(m->sched));
  assert_true(m->intr);
  int first = dev_lapic_inta(m->lapic);
  int second = dev_lapic_inta(m->lapic);
  assert_int_equal(first, 0x61); /* the fixed message first */
  assert_int_equal(second, 0x20); /* then the ExtINT: the 8259A's IRQ 0 */
  machine_free(m);
}

static void an_init_ends_a_run_without_a_bios_and_restarts_one_with_it(void **state) {
  struct machine *m = new_machine("p6");
  mmu_write(m->mem, LAPIC + 0x310, 4, 0);
  mmu_write(m->mem, LAPIC + 0x300, 4, 0x4500); /* INIT to APIC ID 0 */
  assert_true(m->init_pending);
  machine_init_signal(m);
  assert_int_equal(m->end, MACHINE_END_RESET);
  assert_int_equal(machine_exit_status(m), RUN_EXIT_RESET);
  assert_non_null(strstr(m->end_message, "INIT"));
  machine_free(m);

  m = new_machine("p6");
  m->has_bios = true;
  cpu_set_flat_protected(m->cpu);
  cpu_set_eip(m->cpu, 0x100000);
  mmu_write(m->mem, LAPIC + 0x80, 4, 0x30); /* TPR: INIT resets the APIC too */
  mmu_write(m->mem, LAPIC + 0x300, 4, 0x4500);
  machine_init_signal(m);
  assert_int_equal(m->end, MACHINE_RUNNING);
  assert_int_equal(cpu_get_eip(m->cpu), 0xFFF0);
  struct cpu_segment cs;
  cpu_get_segment(m->cpu, CPU_CS, &cs);
  assert_int_equal(cs.base, 0xFFFF0000u);
  assert_int_equal(cpu_get_cr(m->cpu, 0) & 1, 0);
  assert_int_equal(mmu_read(m->mem, LAPIC + 0x80, 4), 0);
  assert_int_equal(mmu_read(m->mem, LAPIC + 0xF0, 4), 0xFFu);
  assert_true(dev_lapic_base_msr(m->lapic) == 0xFEE00900u); /* the MSR is kept */
  machine_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(the_pages_are_mapped_with_the_presets_apic_in_virtual_wire_mode),
      cmocka_unit_test(a_rom_finds_the_apics_as_they_power_on),
      cmocka_unit_test(the_page_follows_ia32_apic_base),
      cmocka_unit_test(isa_irq_0_drives_pin_2_and_the_8259as_int_pin_0),
      cmocka_unit_test(an_init_ends_a_run_without_a_bios_and_restarts_one_with_it),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
