/* main.c - from the arch's boot code to init.
 *
 * kern_start brings up the core in order (frames, heap, address spaces,
 * traps, the scheduler, the file system and the initramfs, the devices),
 * creates process 1 and becomes the idle process. Process 1 starts in the
 * kernel (init_main): it opens /dev/console as descriptors 0, 1 and 2,
 * executes init and leaves for user mode, as Linux's kernel_init does.
 *
 * Command line (the arguments; the arch has dropped a loader's image path):
 *   init=PATH   the program to run as init (default /sbin/init)
 *   ktrace      print every system call on the console
 *   pvcheck     (native) check the paravirtualization rules, Xen-style
 *               batching included (arch/native/check.c)
 *   --          everything after it is init's arguments (argv[1...])
 * Words may be quoted with "..." to hold spaces.
 */
#include <asm-generic/errno.h>

#include "fs.h"
#include "mem.h"
#include "proc.h"
#include "vm.h"

#define MAX_INIT_ARGS 32

void trap_init(void);
extern int syscall_trace;

static char cmdline[BOOT_CMDLINE_MAX];
static char *init_argv[MAX_INIT_ARGS + 2];
static char *init_envp[] = {"HOME=/", "TERM=linux", NULL};
static const char *init_path = "/sbin/init";

/* Splits cmdline in place into words; returns the count. */
static int split_words(char *s, char **words, int max) {
  int n = 0;
  while (*s) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (!*s)
      break;
    char *w = s, *out = s;
    int quoted = 0;
    while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
      if (*s == '"')
        quoted = !quoted;
      else
        *out++ = *s;
      s++;
    }
    if (*s)
      s++;
    *out = 0;
    if (n < max)
      words[n++] = w;
  }
  return n;
}

static void parse_cmdline(const char *loader_line) {
  static char *words[MAX_INIT_ARGS + 16];
  strlcpy(cmdline, loader_line, sizeof cmdline);
  int n = split_words(cmdline, words, (int)ARRAY_SIZE(words));
  int k = 0, nargs = 0;
  for (; k < n; k++) {
    if (strcmp(words[k], "--") == 0) {
      k++;
      break;
    }
    if (strncmp(words[k], "init=", 5) == 0)
      init_path = words[k] + 5;
    else if (strcmp(words[k], "ktrace") == 0)
      syscall_trace = 1;
    /* other words are the arch's (pvcheck) or nobody's: ignored */
  }
  init_argv[nargs++] = (char *)init_path;
  for (; k < n && nargs <= MAX_INIT_ARGS; k++)
    init_argv[nargs++] = words[k];
  init_argv[nargs] = NULL;
}

static void init_main(void) {
  pv.irq_enable();
  struct proc *p = current;
  p->cwd = ramfs_root();
  inode_get(p->cwd);
  for (int fd = 0; fd < 3; fd++) {
    struct file *f;
    if (vfs_open("/dev/console", O_RDWR, 0, &f) < 0)
      panic("init: no /dev/console");
    fd_install(f, fd);
  }
  int r = kernel_exec(init_path, init_argv, init_envp);
  if (r < 0)
    panic("cannot run init %s (error %d)", init_path, r);
  kern_exit_to_user(p->tf);
  pv.return_to_user(p->tf);
}

void kern_start(struct boot_info *bi) {
  kprintf("ringlab guest kernel, %s layer\n", pv.name);
  page_init(bi);
  heap_init();
  vm_init(bi);
  trap_init();
  sched_init();
  parse_cmdline(bi->cmdline);
  fs_init();
  if (bi->initrd) {
    initramfs_unpack(bi->initrd, bi->initrd_bytes);
    page_free_range(bi->initrd_first_pfn, bi->initrd_end_pfn);
  } else {
    kprintf("kernel: no initramfs (the first Multiboot module)\n");
  }
  dev_init();
  kprintf("memory: %u KiB free of %u KiB\n", page_free_count() * 4, bi->max_pfn * 4);

  struct proc *init = proc_spawn_kernel(init_main);
  KASSERT(init->pid == 1);
  strlcpy(init->name, "init", sizeof init->name);
  pv.timer_start(HZ, timer_tick);
  sched_make_runnable(init);
  sched_idle();
}
