/* tests/guests/multiboot/multiboot.c - the Multiboot v1 information
 * structure (Multiboot Specification 0.6.96, 3.3 "Boot information
 * format") as the loader hands it over.
 *
 * The manifest passes the same things to both runners: memory (ringlab
 * --mem, QEMU -m), the kernel's arguments (ringlab "-- args", QEMU
 * -append) and two modules (ringlab --module PATH=ARGS, QEMU -initrd
 * "PATH ARGS,..."), the files beside this one. The arguments begin with
 * "mem=MIB", which is how the kernel learns the memory size it was given.
 * Checked:
 *   - EAX = 0x2BADB002; flags 0 (mem), 2 (cmdline), 3 (mods), 6 (mmap) and
 *     9 (boot loader name) set;
 *   - mem_lower in (0, 640]; mem_upper = MIB * 1024 - 1024;
 *   - the memory map: entries sorted by base and not overlapping; no
 *     available (type 1) byte at or past the end of RAM; the available
 *     entries cover [0, mem_lower KiB) and [1 MiB, 1 MiB + mem_upper KiB);
 *     invariants only, as QEMU's map (its BIOS's E820) differs from
 *     ringlab's;
 *   - cmdline = "KERNEL-PATH ARGS": a path ending in "multiboot.elf", one
 *     space, the arguments given;
 *   - two modules, page-aligned, past the kernel's image, inside RAM, not
 *     overlapping, with the files' sizes and bytes and the strings
 *     "PATH ARGS";
 *   - a boot loader name ("ringlab" under ringlab).
 * Both runners.
 */
#include "x86.h"
#include "ringlab_ops.h"

#define MB_ARGS "mem=64 alpha beta=2 gamma"
#define MB_MEM_MIB 64u

#define MBI_F_MEM 0x001u
#define MBI_F_CMDLINE 0x004u
#define MBI_F_MODS 0x008u
#define MBI_F_MMAP 0x040u
#define MBI_F_LOADER 0x200u

struct mb_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
  uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};
struct mb_module {
  uint32_t start, end, string, reserved;
};
struct __attribute__((packed)) mb_mmap {
  uint32_t size;
  uint64_t base, len;
  uint32_t type;
};

static const struct {
  const char *string, *contents;
} want_mods[2] = {
    {"multiboot/mod1.txt first", "first module: ringlab multiboot test\n"},
    {"multiboot/mod2.txt second arg", "second module, a little longer: 0123456789abcdef\n"},
};

extern char _end[];

static uint32_t slen(const char *s) {
  uint32_t n = 0;
  while (s[n])
    n++;
  return n;
}
static int seq(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}
static int mem_eq(const char *a, const char *b, uint32_t n) {
  for (uint32_t k = 0; k < n; k++)
    if (a[k] != b[k])
      return 0;
  return 1;
}
/* Do the n bytes at s end with suffix? */
static int ends_with(const char *s, uint32_t n, const char *suffix) {
  uint32_t k = slen(suffix);
  return n >= k && mem_eq(s + n - k, suffix, k);
}

void kmain(uint32_t magic, uint32_t info_addr) {
  serial_init();
  kprintf("multiboot: the Multiboot information structure\n");
  const struct mb_info *mbi = (const struct mb_info *)info_addr;
  check_eq("EAX magic", magic, MULTIBOOT_BOOTLOADER_MAGIC);
  uint32_t need = MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS | MBI_F_MMAP | MBI_F_LOADER;
  kprintf("  flags %#x mem_lower %u mem_upper %u\n", mbi->flags, mbi->mem_lower, mbi->mem_upper);
  check_eq("flags: mem, cmdline, mods, mmap, loader name", mbi->flags & need, need);

  uint64_t ram = (uint64_t)MB_MEM_MIB << 20;
  check_true("mem_lower in (0, 640] KiB", mbi->mem_lower > 0 && mbi->mem_lower <= 640);
  /* The spec makes mem_upper at most the first hole above 1 MiB less
   * 1 MiB, "not guaranteed to be this value": QEMU's (from SeaBIOS's E820,
   * which reserves the top 128 KiB of RAM) is 128 KiB short. ringlab's is
   * exact. */
  check_true("mem_upper <= RAM - 1 MiB, within 1 MiB of it",
             mbi->mem_upper <= MB_MEM_MIB * 1024 - 1024 && mbi->mem_upper > MB_MEM_MIB * 1024 - 2048);
  if (ringlab_ops_present())
    check_eq("ringlab: mem_upper = RAM - 1 MiB exactly", mbi->mem_upper, MB_MEM_MIB * 1024 - 1024);

  /* the memory map */
  uint32_t at = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
  uint64_t prev_end = 0, low_cover = 0, high_cover = 0x100000;
  int sorted = 1, n = 0, avail_past_ram = 0;
  uint64_t low_end = (uint64_t)mbi->mem_lower << 10, high_end = 0x100000 + ((uint64_t)mbi->mem_upper << 10);
  /* entries come sorted, so coverage grows from the start of each range */
  while (at + 4 <= end && n < 64) {
    const struct mb_mmap *e = (const struct mb_mmap *)at;
    kprintf("  mmap %08x%08x +%08x%08x type %u\n", (uint32_t)(e->base >> 32), (uint32_t)e->base,
            (uint32_t)(e->len >> 32), (uint32_t)e->len, e->type);
    if (e->base < prev_end)
      sorted = 0;
    prev_end = e->base + e->len;
    if (e->type == 1) {
      if (e->base + e->len > ram)
        avail_past_ram = 1;
      if (e->base <= low_cover && e->base + e->len > low_cover)
        low_cover = e->base + e->len;
      if (e->base <= high_cover && e->base + e->len > high_cover)
        high_cover = e->base + e->len;
    }
    at += e->size + 4;
    n++;
  }
  check_true("mmap: at least two entries", n >= 2);
  check_true("mmap: sorted by base, not overlapping", sorted);
  check_true("mmap: nothing available at or past the end of RAM", !avail_past_ram);
  check_true("mmap: available covers [0, mem_lower)", low_cover >= low_end);
  check_true("mmap: available covers [1 MiB, 1 MiB + mem_upper)", high_cover >= high_end);

  /* the command line */
  const char *cmd = (const char *)mbi->cmdline;
  kprintf("  cmdline \"%s\"\n", cmd);
  uint32_t cl = slen(cmd), al = slen(MB_ARGS);
  check_true("cmdline ends with \" " MB_ARGS "\"", cl > al + 1 && cmd[cl - al - 1] == ' ' && seq(cmd + cl - al, MB_ARGS));
  check_true("cmdline begins with the kernel's path (...multiboot.elf)",
             cl > al + 1 && ends_with(cmd, cl - al - 1, "multiboot.elf"));

  /* the modules */
  check_eq("mods_count", mbi->mods_count, 2);
  const struct mb_module *mods = (const struct mb_module *)mbi->mods_addr;
  for (uint32_t k = 0; k < mbi->mods_count && k < 2; k++) {
    const struct mb_module *m = &mods[k];
    const char *s = (const char *)m->string;
    kprintf("  module %u: %08x-%08x \"%s\"\n", k, m->start, m->end, s);
    check_eq("  page-aligned start", m->start & 0xFFF, 0);
    check_true("  past the kernel's image", m->start >= (uint32_t)_end);
    check_true("  inside RAM", m->end <= ram && m->end >= m->start);
    check_eq("  size", m->end - m->start, slen(want_mods[k].contents));
    check_true("  contents", m->end - m->start == slen(want_mods[k].contents) &&
                                 mem_eq((const char *)m->start, want_mods[k].contents, m->end - m->start));
    check_true("  string \"PATH ARGS\"", seq(s, want_mods[k].string));
  }
  if (mbi->mods_count >= 2)
    check_true("modules do not overlap", mods[0].end <= mods[1].start || mods[1].end <= mods[0].start);

  const char *name = (const char *)mbi->boot_loader_name;
  kprintf("  boot loader \"%s\"\n", name);
  check_true("boot loader name not empty", slen(name) > 0);
  if (ringlab_ops_present())
    check_true("boot loader name is \"ringlab\"", seq(name, "ringlab"));
  check_done("multiboot");
}
