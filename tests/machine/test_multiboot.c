/* tests/machine/test_multiboot.c - the Multiboot v1 loader, on small ELF
 * files the tests write themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu.h"
#include "machine.h"
#include "mmu.h"

#define RAM_BYTES (16u << 20)
#define LOAD_ADDR 0x100000u
#define PAYLOAD_OFFSET 0x100u
#define MB_MAGIC 0x1BADB002u

/* What the generated kernel looks like; defaults from elf_default(). */
struct elf_spec {
  unsigned char cls;      /* ELFCLASS32 */
  uint16_t machine;       /* EM_386 */
  uint16_t type;          /* ET_EXEC */
  uint32_t mb_flags;      /* 0x3 */
  uint32_t mb_offset;     /* file offset of the Multiboot header */
  bool mb_bad_checksum;
  bool no_mb_header;
  uint32_t phoff;         /* 52 */
  uint16_t phnum;         /* 1 */
  uint32_t paddr, vaddr;  /* LOAD_ADDR */
  uint32_t entry;         /* LOAD_ADDR + 12 */
  uint32_t bss;           /* bytes past the file bytes */
  uint32_t seg_offset;    /* PAYLOAD_OFFSET */
  size_t truncate;        /* nonzero: write only this many bytes */
};

static struct elf_spec elf_default(void) {
  return (struct elf_spec){.cls = ELFCLASS32, .machine = EM_386, .type = ET_EXEC, .mb_flags = 0x3,
                           .mb_offset = PAYLOAD_OFFSET, .phoff = sizeof(Elf32_Ehdr), .phnum = 1,
                           .paddr = LOAD_ADDR, .vaddr = LOAD_ADDR, .entry = LOAD_ADDR + 12, .bss = 0x1000,
                           .seg_offset = PAYLOAD_OFFSET};
}

static char tmpdir[64];

static char *path_in_tmp(const char *name) {
  static char buf[4][128];
  static unsigned k;
  char *p = buf[k++ % 4];
  snprintf(p, 128, "%s/%s", tmpdir, name);
  return p;
}

static void write_file(const char *path, const void *bytes, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, n, f), n);
  fclose(f);
}

/* Writes the kernel: ELF header, program headers, then at PAYLOAD_OFFSET
 * 256 payload bytes (the Multiboot header first) unless moved. */
static const char *write_elf(const char *name, const struct elf_spec *s) {
  size_t size = 16384;
  uint8_t *b = calloc(1, size);
  assert_non_null(b);
  Elf32_Ehdr *eh = (Elf32_Ehdr *)b;
  memcpy(eh->e_ident, ELFMAG, SELFMAG);
  eh->e_ident[EI_CLASS] = s->cls;
  eh->e_ident[EI_DATA] = ELFDATA2LSB;
  eh->e_ident[EI_VERSION] = EV_CURRENT;
  eh->e_type = s->type;
  eh->e_machine = s->machine;
  eh->e_version = EV_CURRENT;
  eh->e_entry = s->entry;
  eh->e_phoff = s->phoff;
  eh->e_ehsize = sizeof(Elf32_Ehdr);
  eh->e_phentsize = sizeof(Elf32_Phdr);
  eh->e_phnum = s->phnum;
  if (s->phoff + sizeof(Elf32_Phdr) <= size) {
    Elf32_Phdr *ph = (Elf32_Phdr *)(b + s->phoff);
    ph->p_type = PT_LOAD;
    ph->p_offset = s->seg_offset;
    ph->p_vaddr = s->vaddr;
    ph->p_paddr = s->paddr;
    ph->p_filesz = 256;
    ph->p_memsz = 256 + s->bss;
    ph->p_flags = PF_R | PF_X;
  }
  uint8_t *payload = b + PAYLOAD_OFFSET;
  for (unsigned k = 0; k < 256; k++)
    payload[k] = (uint8_t)(0x90 + k); /* recognizable bytes */
  if (!s->no_mb_header) {
    uint32_t hdr[3] = {MB_MAGIC, s->mb_flags, -(MB_MAGIC + s->mb_flags) + (s->mb_bad_checksum ? 1 : 0)};
    memcpy(b + s->mb_offset, hdr, sizeof hdr);
  }
  const char *path = path_in_tmp(name);
  write_file(path, b, s->truncate ? s->truncate : size);
  free(b);
  return path;
}

static int setup(void **state) {
  struct mmu *m = mmu_new(RAM_BYTES);
  assert_non_null(m);
  *state = m;
  return 0;
}

static int teardown(void **state) {
  mmu_free(*state);
  return 0;
}

static uint32_t rd32(struct mmu *m, uint32_t a) { return mmu_read(m, a, 4); }

static int load(struct mmu *m, const char *path, char *err, struct mb_boot *boot) {
  struct mb_request req = {.kernel = path};
  return mb_load(m, &req, boot, err, 256);
}

static void loads_segment_at_physical_address_and_zeroes_bss(void **state) {
  struct mmu *m = *state;
  memset(m->ram + LOAD_ADDR, 0xAA, 0x2000); /* junk where bss goes */
  struct elf_spec s = elf_default();
  const char *k = write_elf("k.elf", &s);
  char err[256];
  struct mb_boot boot;
  assert_int_equal(load(m, k, err, &boot), 0);
  assert_int_equal(rd32(m, LOAD_ADDR), MB_MAGIC);
  assert_int_equal(mmu_read(m, LOAD_ADDR + 12, 1), 0x90 + 12);
  assert_int_equal(mmu_read(m, LOAD_ADDR + 255, 1), (0x90 + 255) & 0xFF);
  for (uint32_t a = LOAD_ADDR + 256; a < LOAD_ADDR + 256 + s.bss; a++)
    assert_int_equal(mmu_read(m, a, 1), 0);
  assert_int_equal(boot.entry, LOAD_ADDR + 12);
}

static void entry_state_is_flat_protected_mode_with_magic_and_info(void **state) {
  struct mmu *m = *state;
  struct elf_spec s = elf_default();
  char err[256];
  struct mb_boot boot;
  assert_int_equal(load(m, write_elf("k.elf", &s), err, &boot), 0);
  struct cpu *c = cpu_new(m, NULL, NULL);
  cpu_set_eflags(c, CPU_FLAG_IF);
  mb_enter(c, &boot);
  assert_int_equal(cpu_get_reg(c, CPU_EAX), 0x2BADB002u);
  assert_int_equal(cpu_get_reg(c, CPU_EBX), boot.info);
  assert_int_equal(cpu_get_eip(c), LOAD_ADDR + 12);
  assert_int_equal(cpu_get_eflags(c) & CPU_FLAG_IF, 0);
  assert_int_equal(cpu_get_cr(c, 0) & 0x80000001u, 1); /* PE on, PG off */
  for (int sreg = 0; sreg < CPU_NSREG; sreg++) {
    struct cpu_segment seg;
    cpu_get_segment(c, (enum cpu_sreg)sreg, &seg);
    assert_int_equal(seg.base, 0);
    assert_int_equal(seg.limit, 0xFFFFFFFFu);
    assert_true(seg.attr & CPU_SEG_ATTR_DB);
  }
  cpu_free(c);
}

static void info_carries_memory_map_covering_ram_and_the_command_line(void **state) {
  struct mmu *m = *state;
  struct elf_spec s = elf_default();
  const char *k = write_elf("k.elf", &s);
  char err[256];
  struct mb_boot boot;
  struct mb_request req = {.kernel = k, .args = "console=ttyS0 quiet"};
  assert_int_equal(mb_load(m, &req, &boot, err, sizeof err), 0);
  uint32_t info = boot.info, flags = rd32(m, info);
  assert_true(flags & 0x1);  /* mem */
  assert_true(flags & 0x4);  /* cmdline */
  assert_true(flags & 0x40); /* mmap */
  assert_true(flags & 0x200); /* loader name */
  assert_int_equal(rd32(m, info + 4), 639);
  assert_int_equal(rd32(m, info + 8), (RAM_BYTES - 0x100000) / 1024);
  assert_true(info >= LOAD_ADDR + 256 + s.bss); /* after the kernel */
  assert_int_equal(info & 0xFFF, 0);

  char cmd[256];
  mmu_copy_from_guest(m, rd32(m, info + 16), cmd, sizeof cmd);
  char want[300];
  snprintf(want, sizeof want, "%s console=ttyS0 quiet", k);
  assert_string_equal(cmd, want);

  /* The map: sorted, not overlapping, and its available entries are
   * exactly [0, 639 KiB) and [1 MiB, end of RAM). */
  uint32_t len = rd32(m, info + 44), addr = rd32(m, info + 48);
  uint64_t prev_end = 0, available = 0;
  unsigned n = 0;
  for (uint32_t p = addr; p < addr + len; p += rd32(m, p) + 4, n++) {
    uint64_t base = rd32(m, p + 4) | (uint64_t)rd32(m, p + 8) << 32;
    uint64_t bytes = rd32(m, p + 12) | (uint64_t)rd32(m, p + 16) << 32;
    uint32_t type = rd32(m, p + 20);
    assert_true(base >= prev_end);
    assert_true(bytes > 0);
    prev_end = base + bytes;
    if (type == 1)
      available += bytes;
  }
  assert_int_equal(n, 4);
  assert_true(prev_end <= RAM_BYTES);
  assert_int_equal(available, 639 * 1024 + (RAM_BYTES - 0x100000));
}

static void modules_load_page_aligned_with_their_command_lines(void **state) {
  struct mmu *m = *state;
  struct elf_spec s = elf_default();
  const char *k = write_elf("k.elf", &s);
  const char *a = path_in_tmp("mod-a"), *b = path_in_tmp("mod-b");
  write_file(a, "AAAAA", 5);
  write_file(b, "BB", 2);
  struct mb_module mods[2] = {{.path = a, .args = "x=1 y"}, {.path = b}};
  struct mb_request req = {.kernel = k, .modules = mods, .n_modules = 2};
  char err[256];
  struct mb_boot boot;
  assert_int_equal(mb_load(m, &req, &boot, err, sizeof err), 0);
  uint32_t info = boot.info;
  assert_true(rd32(m, info) & 0x8);
  assert_int_equal(rd32(m, info + 20), 2);
  uint32_t list = rd32(m, info + 24);
  uint32_t a_start = rd32(m, list), a_end = rd32(m, list + 4);
  uint32_t b_start = rd32(m, list + 16), b_end = rd32(m, list + 20);
  assert_int_equal(a_start & 0xFFF, 0);
  assert_int_equal(b_start & 0xFFF, 0);
  assert_int_equal(a_end - a_start, 5);
  assert_int_equal(b_end - b_start, 2);
  assert_true(a_start >= LOAD_ADDR + 256 + s.bss);
  assert_true(b_start >= a_end);
  assert_int_equal(mmu_read(m, a_start, 1), 'A');
  assert_int_equal(mmu_read(m, b_start + 1, 1), 'B');
  char str[200], want[200];
  mmu_copy_from_guest(m, rd32(m, list + 8), str, sizeof str);
  snprintf(want, sizeof want, "%s x=1 y", a);
  assert_string_equal(str, want);
  mmu_copy_from_guest(m, rd32(m, list + 24), str, sizeof str);
  assert_string_equal(str, b);
}

static void entry_in_a_high_virtual_segment_becomes_physical(void **state) {
  struct elf_spec s = elf_default();
  s.vaddr = 0xC0100000u;
  s.entry = 0xC0100000u + 12;
  char err[256];
  struct mb_boot boot;
  assert_int_equal(load(*state, write_elf("k.elf", &s), err, &boot), 0);
  assert_int_equal(boot.entry, LOAD_ADDR + 12);
}

static void flat_binary_loads_and_enters_at_the_given_address(void **state) {
  struct mmu *m = *state;
  const char *f = path_in_tmp("flat.bin");
  write_file(f, "\xfa\xf4", 2);
  struct mb_request req = {.kernel = f, .flat = true, .flat_addr = 0x200000};
  char err[256];
  struct mb_boot boot;
  assert_int_equal(mb_load(m, &req, &boot, err, sizeof err), 0);
  assert_int_equal(boot.entry, 0x200000);
  assert_int_equal(mmu_read(m, 0x200000, 2), 0xF4FA);
}

/* Bad input: one line that names the file and says why. */
static void expect_rejected(struct mmu *m, const char *path, const char *reason) {
  char err[256];
  struct mb_boot boot;
  assert_int_equal(load(m, path, err, &boot), -1);
  size_t n = strlen(path);
  assert_memory_equal(err, path, n);
  assert_memory_equal(err + n, ": ", 2);
  assert_null(strchr(err, '\n'));
  if (!strstr(err, reason))
    fail_msg("error '%s' lacks '%s'", err, reason);
}

static void rejects_a_missing_file(void **state) { expect_rejected(*state, path_in_tmp("nope.elf"), "cannot open"); }

static void rejects_a_directory(void **state) { expect_rejected(*state, tmpdir, "is a directory"); }

static void rejects_an_empty_file(void **state) {
  const char *p = path_in_tmp("empty");
  write_file(p, "", 0);
  expect_rejected(*state, p, "empty file");
}

static void rejects_a_truncated_elf(void **state) {
  struct elf_spec s = elf_default();
  s.truncate = 30;
  expect_rejected(*state, write_elf("trunc.elf", &s), "truncated ELF header");
}

static void rejects_an_elf_of_the_wrong_class(void **state) {
  struct elf_spec s = elf_default();
  s.cls = ELFCLASS64;
  expect_rejected(*state, write_elf("k64.elf", &s), "not a 32-bit ELF");
}

static void rejects_an_elf_of_the_wrong_machine(void **state) {
  struct elf_spec s = elf_default();
  s.machine = EM_ARM;
  expect_rejected(*state, write_elf("arm.elf", &s), "not i386");
}

static void rejects_an_elf_without_a_multiboot_header_in_the_first_8_kib(void **state) {
  struct elf_spec s = elf_default();
  s.mb_offset = 8192; /* first byte past the window */
  expect_rejected(*state, write_elf("late.elf", &s), "no Multiboot header in the first 8192 bytes");
  s = elf_default();
  s.mb_offset = 8192 - 8; /* straddles the end of the window */
  expect_rejected(*state, write_elf("straddle.elf", &s), "no Multiboot header");
}

static void rejects_a_bad_multiboot_checksum(void **state) {
  struct elf_spec s = elf_default();
  s.mb_bad_checksum = true;
  expect_rejected(*state, write_elf("sum.elf", &s), "bad checksum");
}

static void rejects_unknown_required_multiboot_flags(void **state) {
  struct elf_spec s = elf_default();
  s.mb_flags = 0x3 | 0x4; /* a video mode */
  expect_rejected(*state, write_elf("video.elf", &s), "0x0004");
  s.mb_flags = 0x3 | 0x8000;
  expect_rejected(*state, write_elf("bit15.elf", &s), "0x8000");
}

static void accepts_optional_multiboot_flags_above_bit_15(void **state) {
  struct elf_spec s = elf_default();
  s.mb_flags = 0x3 | 0x10000; /* a.out kludge: ignored for ELF */
  char err[256];
  struct mb_boot boot;
  assert_int_equal(load(*state, write_elf("kludge.elf", &s), err, &boot), 0);
}

static void rejects_program_headers_past_the_end_of_the_file(void **state) {
  struct elf_spec s = elf_default();
  s.phoff = 16384 - 16;
  expect_rejected(*state, write_elf("ph.elf", &s), "program headers lie past the end");
}

static void rejects_segment_bytes_past_the_end_of_the_file(void **state) {
  struct elf_spec s = elf_default();
  s.seg_offset = 16384 - 100;
  expect_rejected(*state, write_elf("seg.elf", &s), "past the end of the file");
}

static void rejects_a_segment_outside_guest_memory(void **state) {
  struct elf_spec s = elf_default();
  s.paddr = RAM_BYTES - 0x100;
  expect_rejected(*state, write_elf("high.elf", &s), "outside guest memory");
  s.paddr = 0xFFFFFF00u; /* wraps past 4 GiB */
  expect_rejected(*state, write_elf("wrap.elf", &s), "outside guest memory");
}

static void rejects_a_file_that_is_not_elf(void **state) {
  const char *p = path_in_tmp("raw.bin");
  write_file(p, "\xfa\xf4\x00\x00\x00\x00", 6);
  expect_rejected(*state, p, "not an ELF file");
}

static void rejects_a_missing_module_naming_the_module(void **state) {
  struct elf_spec s = elf_default();
  const char *k = write_elf("k.elf", &s);
  const char *mp = path_in_tmp("no-such-module");
  struct mb_module mod = {.path = mp};
  struct mb_request req = {.kernel = k, .modules = &mod, .n_modules = 1};
  char err[256];
  struct mb_boot boot;
  assert_int_equal(mb_load(*state, &req, &boot, err, sizeof err), -1);
  assert_memory_equal(err, mp, strlen(mp));
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/ringlab-mb-XXXXXX");
  if (!mkdtemp(tmpdir))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(loads_segment_at_physical_address_and_zeroes_bss, setup, teardown),
      cmocka_unit_test_setup_teardown(entry_state_is_flat_protected_mode_with_magic_and_info, setup, teardown),
      cmocka_unit_test_setup_teardown(info_carries_memory_map_covering_ram_and_the_command_line, setup, teardown),
      cmocka_unit_test_setup_teardown(modules_load_page_aligned_with_their_command_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(entry_in_a_high_virtual_segment_becomes_physical, setup, teardown),
      cmocka_unit_test_setup_teardown(flat_binary_loads_and_enters_at_the_given_address, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_a_missing_file, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_a_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_an_empty_file, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_a_truncated_elf, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_an_elf_of_the_wrong_class, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_an_elf_of_the_wrong_machine, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_an_elf_without_a_multiboot_header_in_the_first_8_kib, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(rejects_a_bad_multiboot_checksum, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_unknown_required_multiboot_flags, setup, teardown),
      cmocka_unit_test_setup_teardown(accepts_optional_multiboot_flags_above_bit_15, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_program_headers_past_the_end_of_the_file, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_segment_bytes_past_the_end_of_the_file, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_a_segment_outside_guest_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_a_file_that_is_not_elf, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_a_missing_module_naming_the_module, setup, teardown),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    return 1;
  return failed;
}
