/* tests/kernel/check_layering.c - enforces the paravirtualization layer:
 * no privileged or IOPL-sensitive instruction in the guest kernel outside
 * its arch code.
 *
 *   check_layering KERNEL.elf                 exit 0 if clean, 1 if not
 *   check_layering --expect FUNC KERNEL.elf   exit 0 only if there are
 *                                             violations, all inside FUNC
 *                                             (the self-test on a kernel
 *                                             built to break the rule)
 *
 * The kernel's linker script (arch/native/kernel.ld) puts arch/ objects'
 * code in .arch_text and the physical-mode boot code in .boot; every other executable section is
 * the core. Each section is disassembled with Capstone from every symbol
 * in it (so data or padding cannot desynchronise the sweep for long), and
 * every instruction of the list below found in the core is reported with
 * its function. Writes to page-table entries cannot be told apart from
 * other stores statically; the layer's set_pte and friends are the only
 * writers by review, not by this test.
 */
#include <capstone/capstone.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sym {
  uint64_t addr, size;
  const char *name;
};

static struct sym *syms;
static size_t n_syms;

static int cmp_sym(const void *a, const void *b) {
  const struct sym *x = a, *y = b;
  return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const char *sym_at(uint64_t addr) {
  const char *best = "?";
  for (size_t k = 0; k < n_syms && syms[k].addr <= addr; k++)
    best = syms[k].name;
  return best;
}

/* Privileged, IOPL-sensitive, or to be done through the layer. */
static int privileged(const cs_insn *in) {
  switch (in->id) {
  case X86_INS_CLI:
  case X86_INS_STI:
  case X86_INS_HLT:
  case X86_INS_IN:
  case X86_INS_INSB:
  case X86_INS_INSW:
  case X86_INS_INSD:
  case X86_INS_OUT:
  case X86_INS_OUTSB:
  case X86_INS_OUTSW:
  case X86_INS_OUTSD:
  case X86_INS_LGDT:
  case X86_INS_LIDT:
  case X86_INS_LLDT:
  case X86_INS_LTR:
  case X86_INS_LMSW:
  case X86_INS_CLTS:
  case X86_INS_INVLPG:
  case X86_INS_INVD:
  case X86_INS_WBINVD:
  case X86_INS_WRMSR:
  case X86_INS_RDMSR:
  case X86_INS_RDTSC:
  case X86_INS_RDTSCP:
  case X86_INS_RDPMC:
  case X86_INS_IRET:
  case X86_INS_IRETD:
  case X86_INS_POPF:
  case X86_INS_POPFD:
  case X86_INS_PUSHF:
  case X86_INS_PUSHFD:
  case X86_INS_SYSEXIT:
  case X86_INS_SYSRET:
    return 1;
  case X86_INS_MOV: /* to or from a control or debug register */
    for (int k = 0; k < in->detail->x86.op_count; k++) {
      const cs_x86_op *op = &in->detail->x86.operands[k];
      if (op->type == X86_OP_REG &&
          ((op->reg >= X86_REG_CR0 && op->reg <= X86_REG_CR15) || (op->reg >= X86_REG_DR0 && op->reg <= X86_REG_DR15)))
        return 1;
    }
    return 0;
  default:
    return 0;
  }
}

int main(int argc, char **argv) {
  const char *expect = NULL;
  int a = 1;
  if (argc > 2 && strcmp(argv[1], "--expect") == 0) {
    expect = argv[2];
    a = 3;
  }
  if (a != argc - 1) {
    fprintf(stderr, "usage: %s [--expect FUNCTION] KERNEL.elf\n", argv[0]);
    return 2;
  }
  const char *path = argv[a];
  if (elf_version(EV_CURRENT) == EV_NONE)
    return 2;
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    perror(path);
    return 2;
  }
  Elf *e = elf_begin(fd, ELF_C_READ, NULL);
  size_t shstrndx;
  if (!e || elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx) != 0) {
    fprintf(stderr, "%s: not an ELF file\n", path);
    return 2;
  }

  /* symbols: the sync points and the names in messages */
  for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
    GElf_Shdr sh;
    gelf_getshdr(s, &sh);
    if (sh.sh_type != SHT_SYMTAB)
      continue;
    Elf_Data *d = elf_getdata(s, NULL);
    size_t n = sh.sh_size / sh.sh_entsize;
    syms = calloc(n, sizeof *syms);
    for (size_t k = 0; k < n; k++) {
      GElf_Sym sy;
      gelf_getsym(d, (int)k, &sy);
      int t = GELF_ST_TYPE(sy.st_info);
      if ((t != STT_FUNC && t != STT_NOTYPE) || sy.st_shndx == SHN_UNDEF || sy.st_shndx >= SHN_LORESERVE)
        continue;
      const char *nm = elf_strptr(e, sh.sh_link, sy.st_name);
      if (!nm || !*nm)
        continue;
      syms[n_syms++] = (struct sym){sy.st_value, sy.st_size, nm};
    }
  }
  qsort(syms, n_syms, sizeof *syms, cmp_sym);

  csh cs;
  if (cs_open(CS_ARCH_X86, CS_MODE_32, &cs) != CS_ERR_OK)
    return 2;
  cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);

  unsigned violations = 0, outside_expected = 0, core_sections = 0, arch_sections = 0;
  size_t core_insns = 0;
  for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
    GElf_Shdr sh;
    gelf_getshdr(s, &sh);
    if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR))
      continue;
    const char *name = elf_strptr(e, shstrndx, sh.sh_name);
    if (strcmp(name, ".arch_text") == 0 || strcmp(name, ".boot") == 0) {
      arch_sections++;
      continue;
    }
    core_sections++;
    Elf_Data *d = elf_getdata(s, NULL);
    const uint8_t *bytes = d->d_buf;
    uint64_t base = sh.sh_addr, end = sh.sh_addr + sh.sh_size;
    /* sweep from each symbol to the next */
    uint64_t starts[1 + n_syms];
    size_t n_starts = 0;
    starts[n_starts++] = base;
    for (size_t k = 0; k < n_syms; k++)
      if (syms[k].addr > base && syms[k].addr < end)
        starts[n_starts++] = syms[k].addr;
    for (size_t k = 0; k < n_starts; k++) {
      uint64_t from = starts[k], to = k + 1 < n_starts ? starts[k + 1] : end;
      uint64_t at = from;
      cs_insn *in = cs_malloc(cs);
      while (at < to) {
        const uint8_t *code = bytes + (at - base);
        size_t left = (size_t)(to - at);
        uint64_t addr = at;
        if (!cs_disasm_iter(cs, &code, &left, &addr, in)) {
          at++; /* not an instruction: data or padding */
          continue;
        }
        core_insns++;
        if (privileged(in)) {
          const char *fn = sym_at(at);
          printf("%s: %#llx in %s (%s): %s %s\n", path, (unsigned long long)at, fn, name, in->mnemonic,
                 in->op_str);
          violations++;
          if (!expect || strcmp(fn, expect) != 0)
            outside_expected++;
        }
        at = addr;
      }
      cs_free(in, 1);
    }
  }
  cs_close(&cs);
  elf_end(e);
  close(fd);
  if (arch_sections == 0 || core_sections == 0) {
    fprintf(stderr, "%s: no .arch_text/.boot or no core code section: not laid out by the kernel's linker script\n", path);
    return 2;
  }
  printf("%s: %zu core instructions checked, %u privileged outside arch/\n", path, core_insns, violations);
  if (expect)
    return violations > 0 && outside_expected == 0 ? 0 : 1;
  return violations ? 1 : 0;
}
