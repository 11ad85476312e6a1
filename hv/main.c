/* hv/main.c - start of day: the Multiboot information, the hypervisor's
 * command line, the machine set up in order, then the domains.
 *
 * Boot (README.md, "Booting"): the Multiboot modules are the guest kernels,
 * each optionally followed by its initrd. A module is a kernel when it is
 * an ELF file (it starts with the ELF magic, as Xen's dom0less boot tells a
 * kernel from its ramdisk) and an initrd when it follows a kernel and is
 * not an ELF; a non-ELF module with no kernel before it is bad input. Each
 * module's string is "PATH ARGS": ARGS, without the hv.* words, is the
 * guest's command line; its hv.* words are the hypervisor's options for
 * that domain (hv.mem=, hv.weight=, hv.warp=, ...). The first kernel is
 * domain 0.
 */
#include "hv-internal.h"
#include "domain.h"

#define MB_BOOTLOADER_MAGIC 0x2BADB002u

struct hv_options hv_opts = {
    .dom_mem_kib = 16 * 1024,
    .sched = HV_SCHED_BVT,
    .bvt_ctx_allow_us = 5000,
};
extern int hv_console_quiet;

static char hv_cmdline[1024];
static struct hv_module boot_modules[HV_MAX_MODULES];
static uint32_t n_boot_modules;

/* Copies a Multiboot string (physical address) into buf. */
static void copy_mb_string(char *buf, uint32_t size, uint32_t phys) {
  buf[0] = 0;
  if (phys == 0 || phys >= HV_DIRECTMAP_BYTES)
    return;
  strlcpy(buf, hv_phys_to_virt(phys), size);
}

/* "PATH ARGS" -> ARGS */
static const char *skip_first_word(const char *s) {
  while (*s && *s != ' ')
    s++;
  while (*s == ' ')
    s++;
  return s;
}

/* Parses a size with an optional K/M/G suffix (default KiB, as Xen's
 * dom0_mem); returns KiB. */
uint32_t hv_parse_size_kib(const char *s, char **end) {
  char *e;
  unsigned long long v = strtoull(s, &e, 0);
  switch (*e) {
  case 'G': case 'g': v <<= 20; e++; break;
  case 'M': case 'm': v <<= 10; e++; break;
  case 'K': case 'k': e++; break;
  default: break;
  }
  if (end)
    *end = e;
  return v > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)v;
}

static void parse_options(const char *line) {
  char word[128];
  while (*line) {
    while (*line == ' ')
      line++;
    size_t n = strcspn(line, " ");
    if (n == 0)
      break;
    if (n >= sizeof word)
      hv_panic("hypervisor option too long: %.40s...", line);
    memcpy(word, line, n);
    word[n] = 0;
    line += n;
    char *val = strchr(word, '=');
    if (val)
      *val++ = 0;
    if (strcmp(word, "console") == 0 && val) {
      if (strcmp(val, "none") == 0)
        hv_console_quiet = 1;
      else if (strcmp(val, "com1") != 0)
        hv_panic("console=%s: want com1 or none", val);
    } else if (strcmp(word, "sched") == 0 && val) {
      if (strcmp(val, "bvt") == 0)
        hv_opts.sched = HV_SCHED_BVT;
      else if (strcmp(val, "rr") == 0)
        hv_opts.sched = HV_SCHED_RR;
      else
        hv_panic("sched=%s: want bvt or rr", val);
    } else if (strcmp(word, "dom_mem") == 0 && val) {
      hv_opts.dom_mem_kib = hv_parse_size_kib(val, NULL);
    } else if (strcmp(word, "ctx_allow") == 0 && val) {
      hv_opts.bvt_ctx_allow_us = (uint32_t)strtoul(val, NULL, 0);
    } else if (strcmp(word, "audit_corrupt") == 0 && val) {
      extern uint32_t hv_audit_corrupt_at;
      hv_audit_corrupt_at = (uint32_t)strtoul(val, NULL, 0);
    } else if (strcmp(word, "dom0less") == 0) {
      hv_opts.dom0less = 1;
    } else if (strcmp(word, "audit") == 0) {
      hv_opts.audit = val ? (uint32_t)strtoul(val, NULL, 0) : 1;
    } else {
      hv_panic("unknown hypervisor option '%s'", word);
    }
  }
}

static void read_multiboot(uint32_t mbi_phys) {
  const uint32_t *mbi = hv_phys_to_virt(mbi_phys);
  if (mbi[0] & 0x4) {
    char full[sizeof hv_cmdline];
    copy_mb_string(full, sizeof full, mbi[4]);
    strlcpy(hv_cmdline, skip_first_word(full), sizeof hv_cmdline);
  }
  if (!(mbi[0] & 0x8))
    return;
  uint32_t count = mbi[5], at = mbi[6];
  if (count > HV_MAX_MODULES)
    hv_panic("%u Multiboot modules: at most %u", count, HV_MAX_MODULES);
  for (uint32_t k = 0; k < count; k++) {
    const uint32_t *m = hv_phys_to_virt(at + 16 * k);
    struct hv_module *mod = &boot_modules[k];
    mod->start = m[0];
    mod->end = m[1];
    char full[sizeof mod->string];
    copy_mb_string(full, sizeof full, m[2]);
    strlcpy(mod->string, skip_first_word(full), sizeof mod->string);
    strlcpy(mod->path, full, sizeof mod->path);
    mod->path[strcspn(mod->path, " ")] = 0;
    if (mod->end < mod->start || mod->end > HV_DIRECTMAP_BYTES)
      hv_panic("module %u (%s) lies outside the first %u MiB", k, mod->path, HV_DIRECTMAP_BYTES >> 20);
  }
  n_boot_modules = count;
}

void hv_main(uint32_t magic, uint32_t mbi_phys) {
  hv_console_init();
  hv_ops_init();
  if (magic != MB_BOOTLOADER_MAGIC)
    hv_panic("not started by a Multiboot loader (EAX 0x%08x)", magic);
  read_multiboot(mbi_phys);
  parse_options(hv_cmdline);
  hv_printf("(XEN) ringlab hypervisor: Xen %d.%d 32-bit PAE paravirtual ABI\n", HV_XEN_MAJOR, HV_XEN_MINOR);
  hv_printf("(XEN) command line: %s\n", hv_cmdline);

  hv_mem_init(mbi_phys);
  for (uint32_t k = 0; k < n_boot_modules; k++)
    hv_mem_reserve(boot_modules[k].start, boot_modules[k].end);
  hv_desc_init();
  hv_time_init();
  hv_printf("(XEN) memory: %u frames free of %u, TSC %u kHz\n", hv_free_frames(), hv_max_mfn,
            (uint32_t)(hv_tsc_hz / 1000));

  uint32_t built = hv_build_domains(boot_modules, n_boot_modules);
  for (uint32_t k = 0; k < n_boot_modules; k++)
    hv_mem_release(boot_modules[k].start, boot_modules[k].end);
  if (built == 0)
    hv_panic("no domain to run: give guest kernels as Multiboot modules");
  hv_sched_start();
}
