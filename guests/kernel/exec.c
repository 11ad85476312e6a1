/* exec.c - execve: replace the calling process's program with an ELF32
 * executable from the file system.
 *
 * The program is not read into memory: each PT_LOAD segment becomes a
 * private file mapping of the executable (its pages come from the page
 * cache on the first touch, and a write copies them), the part of the last
 * file page past p_filesz is cleared (which copies that page), and the
 * rest of p_memsz is anonymous zero memory. The program break starts after
 * the highest segment. The new stack holds, from the top: the argument
 * and environment strings, 16 bytes for AT_RANDOM, then (16-byte aligned)
 * argc, argv[], NULL, envp[], NULL and the auxiliary vector, as Linux
 * i386 builds it. Registers start at zero but esp and eip.
 *
 * Everything that can fail for a reason the caller should hear of (no
 * file, not executable, not an ELF32 i386 executable, arguments too long,
 * no memory) is checked before the old address space is dropped.
 */
#include <asm-generic/errno.h>
#include <linux/auxvec.h>
#include <linux/elf.h>

#include "mem.h"
#include "proc.h"
#include "uaccess.h"
#include "vm.h"

#define ARG_MAX (64 * 1024) /* bytes of argument and environment strings */
#define MAX_PHDRS 16

struct exec_args {
  char *buf; /* argv strings then envp strings, each NUL-terminated */
  uint32_t used;
  int argc, envc;
};

static int args_add(struct exec_args *a, const char *s, int user) {
  uint32_t room = ARG_MAX - a->used;
  long n;
  if (user) {
    n = strncpy_from_user(a->buf + a->used, s, room);
    if (n == -ENAMETOOLONG)
      return -E2BIG;
    if (n < 0)
      return (int)n;
  } else {
    n = (long)strlen(s);
    if ((uint32_t)n >= room)
      return -E2BIG;
    memcpy(a->buf + a->used, s, (size_t)n + 1);
  }
  a->used += (uint32_t)n + 1;
  return 0;
}

static int args_copy_user(struct exec_args *a, uint32_t uvec, int *count) {
  *count = 0;
  if (!uvec)
    return 0;
  for (uint32_t k = 0;; k++) {
    uint32_t p;
    if (get_user_u32(&p, (const void *)(uvec + 4 * k)) < 0)
      return -EFAULT;
    if (!p)
      return 0;
    int r = args_add(a, (const char *)p, 1);
    if (r < 0)
      return r;
    (*count)++;
  }
}

struct image {
  Elf32_Ehdr eh;
  Elf32_Phdr ph[MAX_PHDRS];
  uint32_t phdr_addr; /* where the program headers are in memory (AT_PHDR) */
};

static int read_image(struct inode *ip, struct image *im) {
  if (inode_read(ip, 0, &im->eh, sizeof im->eh) != sizeof im->eh)
    return -ENOEXEC;
  const Elf32_Ehdr *eh = &im->eh;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS32 ||
      eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_386 || eh->e_type != ET_EXEC ||
      eh->e_phentsize != sizeof(Elf32_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
    return -ENOEXEC;
  uint32_t bytes = eh->e_phnum * sizeof(Elf32_Phdr);
  if (inode_read(ip, eh->e_phoff, im->ph, bytes) != (long)bytes)
    return -ENOEXEC;
  im->phdr_addr = 0;
  for (unsigned k = 0; k < eh->e_phnum; k++) {
    const Elf32_Phdr *p = &im->ph[k];
    if (p->p_type == PT_PHDR)
      im->phdr_addr = p->p_vaddr;
    if (p->p_type != PT_LOAD)
      continue;
    if (p->p_filesz > p->p_memsz || p->p_vaddr < USER_LOW || p->p_memsz > USER_STACK_BOTTOM ||
        p->p_vaddr > USER_STACK_BOTTOM - p->p_memsz || ((p->p_vaddr - p->p_offset) & (PAGE_SIZE - 1)))
      return -ENOEXEC;
    if (!im->phdr_addr && eh->e_phoff >= p->p_offset && eh->e_phoff + bytes <= p->p_offset + p->p_filesz)
      im->phdr_addr = p->p_vaddr + (eh->e_phoff - p->p_offset);
  }
  return 0;
}

/* The regions of the new program; returns the end of the highest segment. */
static int map_image(struct mm *mm, struct inode *ip, const struct image *im, uint32_t *brk) {
  uint32_t top = 0;
  for (unsigned k = 0; k < im->eh.e_phnum; k++) {
    const Elf32_Phdr *p = &im->ph[k];
    if (p->p_type != PT_LOAD || p->p_memsz == 0)
      continue;
    uint32_t prot = ((p->p_flags & PF_R) ? VM_READ : 0) | ((p->p_flags & PF_W) ? VM_WRITE : 0) |
                    ((p->p_flags & PF_X) ? VM_EXEC : 0) | VM_MAYWRITE;
    uint32_t start = ALIGN_DOWN(p->p_vaddr, PAGE_SIZE);
    uint32_t file_end = ALIGN_UP(p->p_vaddr + p->p_filesz, PAGE_SIZE);
    uint32_t mem_end = ALIGN_UP(p->p_vaddr + p->p_memsz, PAGE_SIZE);
    if (p->p_filesz) {
      uint32_t pgoff = (p->p_offset - (p->p_vaddr - start)) >> PAGE_SHIFT;
      if (vma_add(mm, start, file_end, prot, ip, pgoff) < 0)
        return -ENOEXEC;
    } else {
      file_end = start;
    }
    if (mem_end > file_end && vma_add(mm, file_end, mem_end, prot, NULL, 0) < 0)
      return -ENOEXEC;
    if (p->p_vaddr + p->p_memsz > top)
      top = p->p_vaddr + p->p_memsz;
  }
  if (!top)
    return -ENOEXEC;
  *brk = ALIGN_UP(top, PAGE_SIZE);
  return 0;
}

/* Clears the tail of each segment's last file page (bss that shares it). */
static int clear_bss(const struct image *im) {
  for (unsigned k = 0; k < im->eh.e_phnum; k++) {
    const Elf32_Phdr *p = &im->ph[k];
    if (p->p_type != PT_LOAD || p->p_memsz <= p->p_filesz || !p->p_filesz)
      continue;
    uint32_t from = p->p_vaddr + p->p_filesz;
    uint32_t to = MIN(ALIGN_UP(from, PAGE_SIZE), p->p_vaddr + p->p_memsz);
    if (to > from && (p->p_flags & PF_W) && clear_user((void *)from, to - from) < 0)
      return -EFAULT;
  }
  return 0;
}

/* Builds the initial stack; returns the new esp, or 0. */
static uint32_t build_stack(const struct exec_args *a, const struct image *im) {
  uint32_t strings = ALIGN_UP(a->used, 4);
  uint32_t str_at = USER_END - 16 - strings;    /* 16 bytes of room at the very top */
  uint32_t rand_at = str_at - 16;
  uint32_t nwords = 1 + (uint32_t)a->argc + 1 + (uint32_t)a->envc + 1 + 2 * 14;
  uint32_t sp = ALIGN_DOWN(rand_at - nwords * 4, 16);
  uint32_t bytes = USER_END - sp;
  uint32_t *img = kzalloc(bytes);
  if (!img)
    return 0;
  uint8_t *base = (uint8_t *)img;
  memcpy(base + (str_at - sp), a->buf, a->used);
  static const uint8_t random16[16] = {0x52, 0x4c, 0x41, 0x42, 0x21, 0x10, 0x8e, 0x3c,
                                       0x95, 0x07, 0xd2, 0x6b, 0xc4, 0x1f, 0x73, 0xa9};
  memcpy(base + (rand_at - sp), random16, 16);
  uint32_t *w = img;
  *w++ = (uint32_t)a->argc;
  uint32_t s = str_at;
  for (int k = 0; k < a->argc; k++) {
    *w++ = s;
    s += (uint32_t)strlen(a->buf + (s - str_at)) + 1;
  }
  *w++ = 0; /* end of argv */
  for (int k = 0; k < a->envc; k++) {
    *w++ = s;
    s += (uint32_t)strlen(a->buf + (s - str_at)) + 1;
  }
  *w++ = 0; /* end of envp */
  const uint32_t aux[][2] = {
      {AT_PHDR, im->phdr_addr}, {AT_PHENT, sizeof(Elf32_Phdr)}, {AT_PHNUM, im->eh.e_phnum},
      {AT_PAGESZ, PAGE_SIZE},   {AT_BASE, 0},                   {AT_FLAGS, 0},
      {AT_ENTRY, im->eh.e_entry}, {AT_UID, 0},                  {AT_EUID, 0},
      {AT_GID, 0},              {AT_EGID, 0},                   {AT_SECURE, 0},
      {AT_RANDOM, rand_at},     {AT_NULL, 0},
  };
  for (unsigned k = 0; k < ARRAY_SIZE(aux); k++) {
    *w++ = aux[k][0];
    *w++ = aux[k][1];
  }
  int r = copy_to_user((void *)sp, img, bytes);
  kfree(img);
  return r < 0 ? 0 : sp;
}

static int do_exec(const char *path, struct exec_args *a) {
  struct inode *ip;
  int r = vfs_lookup(path, 1, &ip);
  if (r < 0)
    return r;
  struct image *im = NULL;
  struct mm *mm = NULL;
  if (!S_ISREG(ip->mode) || !(ip->mode & 0111)) {
    r = -EACCES;
    goto fail;
  }
  im = kmalloc(sizeof *im);
  mm = mm_create();
  if (!im || !mm) {
    r = -ENOMEM;
    goto fail;
  }
  r = read_image(ip, im);
  if (r < 0)
    goto fail;
  uint32_t brk;
  r = map_image(mm, ip, im, &brk);
  if (r < 0)
    goto fail;
  r = vma_add(mm, USER_STACK_BOTTOM, USER_END, VM_READ | VM_WRITE | VM_EXEC | VM_MAYWRITE | VM_STACK, NULL, 0);
  if (r < 0)
    goto fail;
  mm->brk_start = mm->brk = brk;

  /* the point of no return */
  struct proc *p = current;
  struct mm *old = p->mm;
  p->mm = mm;
  mm_activate(mm);
  if (old)
    mm_destroy(old);
  uint32_t sp = build_stack(a, im);
  if (!sp || clear_bss(im) < 0) {
    kfree(im);
    inode_put(ip);
    do_exit(SIGSEGV);
  }
  proc_set_name(p, path);
  fd_close_on_exec(p);
  sig_exec(p);
  struct trapframe *tf = p->tf;
  memset(tf, 0, sizeof *tf);
  tf->eip = im->eh.e_entry;
  tf->esp = sp;
  tf->cs = pv.user_cs;
  tf->ss = tf->ds = tf->es = pv.user_ds;
  tf->fs = tf->gs = 0;
  tf->eflags = EFLAGS_IF | 0x2;
  tf->trapno = 0;
  tf->err = (uint32_t)-1;
  kfree(im);
  inode_put(ip);
  return 0;
fail:
  if (mm)
    mm_destroy(mm);
  kfree(im);
  inode_put(ip);
  return r;
}

long sys_execve(uint32_t upath, uint32_t uargv, uint32_t uenvp) {
  struct exec_args a = {.buf = kmalloc(ARG_MAX)};
  char *path = kmalloc(PATH_MAX);
  long r;
  if (!a.buf || !path) {
    r = -ENOMEM;
    goto out;
  }
  r = strncpy_from_user(path, (const char *)upath, PATH_MAX);
  if (r < 0)
    goto out;
  r = args_copy_user(&a, uargv, &a.argc);
  if (r == 0)
    r = args_copy_user(&a, uenvp, &a.envc);
  if (r == 0)
    r = do_exec(path, &a);
out:
  kfree(a.buf);
  kfree(path);
  return r; /* on success eax is the new program's: the frame was reset */
}

int kernel_exec(const char *path, char *const argv[], char *const envp[]) {
  struct exec_args a = {.buf = kmalloc(ARG_MAX)};
  if (!a.buf)
    return -ENOMEM;
  int r = 0;
  for (int k = 0; argv[k] && r == 0; k++, a.argc++)
    r = args_add(&a, argv[k], 0);
  for (int k = 0; envp[k] && r == 0; k++, a.envc++)
    r = args_add(&a, envp[k], 0);
  if (r == 0)
    r = do_exec(path, &a);
  kfree(a.buf);
  return r;
}
