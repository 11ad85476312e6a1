/* machine/multiboot.c - the Multiboot v1 loader (Multiboot Specification
 * 0.6.96, sections 3.1 "OS image format" and 3.3 "Boot information format").
 *
 * The kernel is an ELF32 i386 executable read with libelf; its Multiboot
 * header (magic 0x1BADB002, flags, checksum) must lie wholly in the first
 * 8192 bytes of the file, 32-bit aligned. Flag bits 0-15 are requirements:
 * ringlab meets bit 0 (page-aligned modules) and bit 1 (memory information)
 * and refuses any other, bit 2 (a video mode) among them, as the
 * specification tells a loader to. Bit 16 (the a.out address fields) is
 * optional: an ELF kernel is loaded from its program headers regardless,
 * the way GRUB and QEMU do. A file that is not an ELF is bad input unless
 * the user asked for a flat binary (--flat ADDR): then the whole file is
 * copied to ADDR and entered there, with no header needed.
 *
 * Segments (PT_LOAD) load at their physical addresses (p_paddr), each
 * checked to lie in guest RAM; bytes past p_filesz are zeroed. The entry is
 * e_entry, turned into a physical address through the segment whose
 * virtual range holds it (as GRUB does, for kernels linked high).
 *
 * Guest physical memory after loading:
 *
 *   0x00000000 +---------------------------+
 *              | free (conventional)       |  mmap type 1, mem_lower = 639 KiB
 *   0x0009FC00 +---------------------------+
 *              | reserved (EBDA, VGA, BIOS)|  mmap type 2 at 0x9FC00 and 0xF0000
 *   0x00100000 +---------------------------+
 *              | kernel segments           |  at their p_paddr (often 1 MiB)
 *              +---------------------------+  page aligned
 *              | module 0, module 1, ...   |  each page aligned
 *              +---------------------------+  page aligned
 *              | info structure (EBX)      |  then the memory map, the module
 *              | mmap, module list, strings|  list and the strings
 *              +---------------------------+
 *              | free                      |  mmap type 1 up to the end of RAM
 *   ram_bytes  +---------------------------+
 *
 * Every error is one line, "FILE: reason".
 */
#include "machine.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpu.h"
#include "mmu.h"

#define MB_HEADER_MAGIC 0x1BADB002u
#define MB_BOOTLOADER_MAGIC 0x2BADB002u
#define MB_SEARCH_BYTES 8192u /* the header lies in the first 8 KiB */

/* Multiboot header flags */
#define MB_FLAG_PAGE_ALIGN 0x00000001u /* modules on 4 KiB boundaries */
#define MB_FLAG_MEMORY_INFO 0x00000002u /* mem_* and mmap_* wanted */
#define MB_FLAGS_REQUIRED 0x0000FFFFu   /* bits a loader must understand */
#define MB_FLAGS_KNOWN (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO)

/* Information structure: offsets and flags (spec 3.3) */
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_BOOT_LOADER_NAME 64
#define MBI_BYTES 120 /* up to and including the framebuffer fields */

#define MBI_F_MEM 0x001u       /* mem_lower, mem_upper */
#define MBI_F_CMDLINE 0x004u   /* cmdline */
#define MBI_F_MODS 0x008u      /* mods_count, mods_addr */
#define MBI_F_MMAP 0x040u      /* mmap_length, mmap_addr */
#define MBI_F_LOADER 0x200u    /* boot_loader_name */

#define MB_MODULE_BYTES 16     /* mod_start, mod_end, string, reserved */
#define MB_MMAP_ENTRY_BYTES 24 /* size (= 20, not counting itself), base, length, type */
#define MB_MMAP_AVAILABLE 1
#define MB_MMAP_RESERVED 2

#define LOW_MEM_END 0x9FC00u   /* conventional memory ends (EBDA above) */
#define BIOS_AREA 0xF0000u     /* reserved: the BIOS ROM area */
#define HIGH_MEM 0x100000u     /* 1 MiB */
#define MB_MAX_FILE_BYTES (1u << 30)

#define PAGE_UP(x) (((uint64_t)(x) + 0xFFFu) & ~(uint64_t)0xFFFu)

static const char loader_name[] = "ringlab";

static int fail(char *err, size_t n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t n, const char *path, const char *fmt, ...) {
  int k = snprintf(err, n, "%s: ", path);
  if (k < 0 || (size_t)k >= n)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + k, n - (size_t)k, fmt, ap);
  va_end(ap);
  return -1;
}

/* Reads a whole regular file. Empty files and directories are errors. */
static int slurp(const char *path, uint8_t **buf, size_t *size, char *err, size_t n) {
  *buf = NULL;
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(err, n, path, "cannot open: %s", strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0) {
    fclose(f);
    return fail(err, n, path, "cannot stat: %s", strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    fclose(f);
    return fail(err, n, path, "is a directory, not a kernel image");
  }
  if (!S_ISREG(st.st_mode)) {
    fclose(f);
    return fail(err, n, path, "is not a regular file");
  }
  if (st.st_size == 0) {
    fclose(f);
    return fail(err, n, path, "empty file");
  }
  if ((uint64_t)st.st_size > MB_MAX_FILE_BYTES) {
    fclose(f);
    return fail(err, n, path, "file too large (%lld bytes)", (long long)st.st_size);
  }
  uint8_t *b = malloc((size_t)st.st_size);
  if (!b) {
    fclose(f);
    return fail(err, n, path, "out of memory");
  }
  size_t got = fread(b, 1, (size_t)st.st_size, f);
  fclose(f);
  if (got != (size_t)st.st_size) {
    free(b);
    return fail(err, n, path, "read error");
  }
  *buf = b;
  *size = got;
  return 0;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Finds the Multiboot header; returns its offset or -1 (with err set). */
static long find_header(const char *path, const uint8_t *buf, size_t size, uint32_t *flags, char *err,
                        size_t n) {
  size_t limit = size < MB_SEARCH_BYTES ? size : MB_SEARCH_BYTES;
  for (size_t off = 0; off + 12 <= limit; off += 4) {
    if (le32(buf + off) != MB_HEADER_MAGIC)
      continue;
    uint32_t f = le32(buf + off + 4), sum = le32(buf + off + 8);
    if ((uint32_t)(MB_HEADER_MAGIC + f + sum) != 0) {
      fail(err, n, path, "Multiboot header at offset %zu has a bad checksum", off);
      return -1;
    }
    *flags = f;
    return (long)off;
  }
  fail(err, n, path, "no Multiboot header in the first %u bytes", MB_SEARCH_BYTES);
  return -1;
}

static bool in_ram(const struct mmu *mem, uint64_t addr, uint64_t bytes) {
  return addr <= mem->ram_bytes && bytes <= mem->ram_bytes - addr;
}

/* Loads the PT_LOAD segments; sets *entry and *end. */
static int load_elf(struct mmu *mem, const char *path, uint8_t *buf, size_t size, uint32_t *entry,
                    uint64_t *end, char *err, size_t n) {
  if (size < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
    return fail(err, n, path, "not an ELF file (use --flat ADDR for a flat binary)");
  if (buf[EI_CLASS] != ELFCLASS32)
    return fail(err, n, path, "not a 32-bit ELF (class %u); ringlab loads ELF32 i386 kernels",
                buf[EI_CLASS]);
  if (buf[EI_DATA] != ELFDATA2LSB)
    return fail(err, n, path, "not a little-endian ELF");
  if (size < sizeof(Elf32_Ehdr))
    return fail(err, n, path, "truncated ELF header (%zu bytes)", size);

  if (elf_version(EV_CURRENT) == EV_NONE)
    return fail(err, n, path, "libelf: %s", elf_errmsg(-1));
  Elf *e = elf_memory((char *)buf, size);
  if (!e)
    return fail(err, n, path, "libelf: %s", elf_errmsg(-1));
  int rc = -1;
  Elf32_Ehdr *eh = elf32_getehdr(e);
  if (!eh) {
    fail(err, n, path, "bad ELF header: %s", elf_errmsg(-1));
    goto out;
  }
  if (eh->e_machine != EM_386) {
    fail(err, n, path, "ELF for machine %u, not i386 (EM_386)", eh->e_machine);
    goto out;
  }
  if (eh->e_type != ET_EXEC) {
    fail(err, n, path, "ELF type %u is not an executable (ET_EXEC)", eh->e_type);
    goto out;
  }
  if (eh->e_phnum == 0 || eh->e_phnum == PN_XNUM) {
    fail(err, n, path, "ELF has no program headers");
    goto out;
  }
  if (eh->e_phentsize != sizeof(Elf32_Phdr)) {
    fail(err, n, path, "ELF program header size %u, expected %zu", eh->e_phentsize, sizeof(Elf32_Phdr));
    goto out;
  }
  if ((uint64_t)eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > size) {
    fail(err, n, path, "ELF program headers lie past the end of the file");
    goto out;
  }
  Elf32_Phdr *ph = elf32_getphdr(e);
  if (!ph) {
    fail(err, n, path, "bad ELF program headers: %s", elf_errmsg(-1));
    goto out;
  }

  unsigned loaded = 0;
  uint64_t top = 0;
  uint32_t pentry = eh->e_entry;
  for (unsigned k = 0; k < eh->e_phnum; k++) {
    const Elf32_Phdr *p = &ph[k];
    if (p->p_type != PT_LOAD || p->p_memsz == 0)
      continue;
    if (p->p_filesz > p->p_memsz) {
      fail(err, n, path, "segment %u: file size 0x%x exceeds memory size 0x%x", k, p->p_filesz, p->p_memsz);
      goto out;
    }
    if ((uint64_t)p->p_offset + p->p_filesz > size) {
      fail(err, n, path, "segment %u: bytes 0x%x-0x%llx lie past the end of the file (%zu bytes)", k,
           p->p_offset, (unsigned long long)p->p_offset + p->p_filesz, size);
      goto out;
    }
    if (!in_ram(mem, p->p_paddr, p->p_memsz)) {
      fail(err, n, path, "segment %u at 0x%08x-0x%08llx lies outside guest memory (%u MiB)", k, p->p_paddr,
           (unsigned long long)p->p_paddr + p->p_memsz - 1, mem->ram_bytes >> 20);
      goto out;
    }
    mmu_copy_to_guest(mem, p->p_paddr, buf + p->p_offset, p->p_filesz);
    memset(mem->ram + p->p_paddr + p->p_filesz, 0, p->p_memsz - p->p_filesz);
    if ((uint64_t)p->p_paddr + p->p_memsz > top)
      top = (uint64_t)p->p_paddr + p->p_memsz;
    if (eh->e_entry >= p->p_vaddr && eh->e_entry - p->p_vaddr < p->p_memsz)
      pentry = eh->e_entry - p->p_vaddr + p->p_paddr;
    loaded++;
  }
  if (!loaded) {
    fail(err, n, path, "ELF has no loadable segment");
    goto out;
  }
  *entry = pentry;
  *end = top;
  rc = 0;
out:
  elf_end(e);
  return rc;
}

/* A bump allocator for the information area, checked against RAM. */
struct area {
  struct mmu *mem;
  uint64_t next;
  bool overflow;
};

static uint32_t area_take(struct area *a, uint64_t bytes, uint64_t align) {
  uint64_t at = (a->next + align - 1) & ~(align - 1);
  if (!in_ram(a->mem, at, bytes)) {
    a->overflow = true;
    return 0;
  }
  a->next = at + bytes;
  return (uint32_t)at;
}

static uint32_t area_string(struct area *a, const char *s1, const char *s2) {
  size_t n1 = strlen(s1), n2 = s2 ? strlen(s2) : 0;
  uint32_t at = area_take(a, n1 + (s2 ? 1 + n2 : 0) + 1, 1);
  if (a->overflow)
    return 0;
  mmu_copy_to_guest(a->mem, at, s1, n1);
  if (s2) {
    mmu_copy_to_guest(a->mem, at + (uint32_t)n1, " ", 1);
    mmu_copy_to_guest(a->mem, at + (uint32_t)n1 + 1, s2, n2);
  }
  mmu_copy_to_guest(a->mem, at + (uint32_t)(n1 + (s2 ? 1 + n2 : 0)), "", 1);
  return at;
}

static void put32(struct mmu *mem, uint32_t at, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  mmu_copy_to_guest(mem, at, b, 4);
}

static void put_mmap(struct mmu *mem, uint32_t at, uint64_t base, uint64_t len, uint32_t type) {
  put32(mem, at, MB_MMAP_ENTRY_BYTES - 4);
  put32(mem, at + 4, (uint32_t)base);
  put32(mem, at + 8, (uint32_t)(base >> 32));
  put32(mem, at + 12, (uint32_t)len);
  put32(mem, at + 16, (uint32_t)(len >> 32));
  put32(mem, at + 20, type);
}

int mb_load(struct mmu *mem, const struct mb_request *req, struct mb_boot *out, char *err, size_t n) {
  if (mem->ram_bytes < 2 * HIGH_MEM)
    return fail(err, n, req->kernel, "guest memory must be at least 2 MiB");
  uint8_t *buf;
  size_t size;
  if (slurp(req->kernel, &buf, &size, err, n) != 0)
    return -1;

  uint32_t entry = 0;
  uint64_t end = 0;
  if (req->flat) {
    if (!in_ram(mem, req->flat_addr, size)) {
      free(buf);
      return fail(err, n, req->kernel, "flat image of %zu bytes at 0x%08x lies outside guest memory (%u MiB)",
                  size, req->flat_addr, mem->ram_bytes >> 20);
    }
    mmu_copy_to_guest(mem, req->flat_addr, buf, size);
    entry = req->flat_addr;
    end = (uint64_t)req->flat_addr + size;
  } else {
    uint32_t flags = 0;
    if (size >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) != 0) {
      free(buf);
      return fail(err, n, req->kernel, "not an ELF file (use --flat ADDR for a flat binary)");
    }
    if (load_elf(mem, req->kernel, buf, size, &entry, &end, err, n) != 0 ||
        find_header(req->kernel, buf, size, &flags, err, n) < 0) {
      free(buf);
      return -1;
    }
    uint32_t unknown = flags & MB_FLAGS_REQUIRED & ~MB_FLAGS_KNOWN;
    if (unknown) {
      free(buf);
      return fail(err, n, req->kernel, "Multiboot header requires flags 0x%04x that ringlab does not support%s",
                  unknown, (unknown & 0x4) ? " (bit 2: a video mode)" : "");
    }
  }
  free(buf);

  /* Modules, each on a page boundary after the kernel. */
  struct area a = {.mem = mem, .next = PAGE_UP(end)};
  uint32_t *mod_start = calloc(req->n_modules + 1, sizeof *mod_start);
  uint32_t *mod_end = calloc(req->n_modules + 1, sizeof *mod_end);
  if (!mod_start || !mod_end) {
    free(mod_start);
    free(mod_end);
    return fail(err, n, req->kernel, "out of memory");
  }
  for (unsigned k = 0; k < req->n_modules; k++) {
    const char *path = req->modules[k].path;
    uint8_t *mb;
    size_t ms;
    if (slurp(path, &mb, &ms, err, n) != 0)
      goto fail_mods;
    uint32_t at = area_take(&a, ms, 4096);
    if (a.overflow) {
      free(mb);
      fail(err, n, path, "module of %zu bytes does not fit in guest memory (%u MiB)", ms, mem->ram_bytes >> 20);
      goto fail_mods;
    }
    mmu_copy_to_guest(mem, at, mb, ms);
    free(mb);
    mod_start[k] = at;
    mod_end[k] = at + (uint32_t)ms;
  }

  /* The information structure and what it points to. */
  uint32_t info = area_take(&a, MBI_BYTES, 4096);
  uint32_t mmap = area_take(&a, 4 * MB_MMAP_ENTRY_BYTES, 8);
  uint32_t mods = area_take(&a, (uint64_t)req->n_modules * MB_MODULE_BYTES, 4);
  uint32_t cmdline = area_string(&a, req->kernel, req->args);
  uint32_t name = area_string(&a, loader_name, NULL);
  for (unsigned k = 0; k < req->n_modules && !a.overflow; k++) {
    uint32_t s = area_string(&a, req->modules[k].path, req->modules[k].args);
    uint32_t m = mods + k * MB_MODULE_BYTES;
    put32(mem, m, mod_start[k]);
    put32(mem, m + 4, mod_end[k]);
    put32(mem, m + 8, s);
    put32(mem, m + 12, 0);
  }
  free(mod_start);
  free(mod_end);
  if (a.overflow)
    return fail(err, n, req->kernel, "the Multiboot information does not fit in guest memory (%u MiB)",
                mem->ram_bytes >> 20);

  uint8_t zero[MBI_BYTES] = {0};
  mmu_copy_to_guest(mem, info, zero, sizeof zero);
  put32(mem, info + MBI_FLAGS, MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS | MBI_F_MMAP | MBI_F_LOADER);
  put32(mem, info + MBI_MEM_LOWER, LOW_MEM_END >> 10);
  put32(mem, info + MBI_MEM_UPPER, (mem->ram_bytes - HIGH_MEM) >> 10);
  put32(mem, info + MBI_CMDLINE, cmdline);
  put32(mem, info + MBI_MODS_COUNT, req->n_modules);
  put32(mem, info + MBI_MODS_ADDR, req->n_modules ? mods : 0);
  put32(mem, info + MBI_MMAP_LENGTH, 4 * MB_MMAP_ENTRY_BYTES);
  put32(mem, info + MBI_MMAP_ADDR, mmap);
  put32(mem, info + MBI_BOOT_LOADER_NAME, name);
  put_mmap(mem, mmap, 0, LOW_MEM_END, MB_MMAP_AVAILABLE);
  put_mmap(mem, mmap + 24, LOW_MEM_END, 0xA0000u - LOW_MEM_END, MB_MMAP_RESERVED);
  put_mmap(mem, mmap + 48, BIOS_AREA, HIGH_MEM - BIOS_AREA, MB_MMAP_RESERVED);
  put_mmap(mem, mmap + 72, HIGH_MEM, mem->ram_bytes - HIGH_MEM, MB_MMAP_AVAILABLE);

  out->entry = entry;
  out->info = info;
  out->image_end = (uint32_t)a.next;
  return 0;

fail_mods:
  free(mod_start);
  free(mod_end);
  return -1;
}

void mb_enter(struct cpu *cpu, const struct mb_boot *boot) {
  cpu_set_flat_protected(cpu);
  cpu_set_eflags(cpu, 0x2); /* IF = 0, DF = 0 */
  cpu_set_reg(cpu, CPU_EAX, MB_BOOTLOADER_MAGIC);
  cpu_set_reg(cpu, CPU_EBX, boot->info);
  cpu_set_eip(cpu, boot->entry);
}
