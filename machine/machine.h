/* machine/machine.h - the public header of machine/: the `ringlab run`
 * command and the Multiboot loader (for main.c, tests and fuzzers).
 */
#ifndef RINGLAB_MACHINE_H
#define RINGLAB_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmu;
struct cpu;

/* Exit statuses of `ringlab run` (README, "Running a kernel"). The exit
 * port gives (V << 1) | 1 and an ops-port exit gives its status (0-63). */
#define RUN_EXIT_BAD_INPUT 64     /* bad file, option or config (as EX_USAGE) */
#define RUN_EXIT_TRIPLE_FAULT 65  /* the processor shut down */
#define RUN_EXIT_HALT 66          /* HLT with nothing that could wake it */
#define RUN_EXIT_MAX_CYCLES 67    /* --max-cycles reached */
#define RUN_EXIT_UNIMPLEMENTED 68 /* an instruction or feature ringlab lacks */
#define RUN_EXIT_RESET 69         /* the guest reset the machine (8042 pulse): ringlab stops */
#define RUN_EXIT_STOPPED 70       /* the user stopped the run (closed the window, gdb's kill) */

/* `ringlab run [options] KERNEL [--] [args...]`; argv[0] is "run". Returns
 * the exit status. Safe to call more than once in a process. */
int run_main(int argc, char **argv);

/* ---- the Multiboot v1 loader (multiboot.c) ---------------------------------- */

struct mb_module {
  const char *path;
  const char *args; /* NULL for none */
};

struct mb_request {
  const char *kernel;  /* path, also the first word of the command line */
  const char *args;    /* rest of the command line, NULL for none */
  const struct mb_module *modules;
  unsigned n_modules;
  bool flat;           /* load KERNEL as a flat binary at flat_addr */
  uint32_t flat_addr;
};

struct mb_boot {
  uint32_t entry;      /* EIP at entry */
  uint32_t info;       /* physical address of the information structure (EBX) */
  uint32_t image_end;  /* first byte after the kernel, modules and info */
};

/* Loads the kernel, its modules and the Multiboot information structure
 * into mem. On bad input returns -1 with one line "FILE: reason" in err
 * (no trailing newline); memory may then be partly written. */
int mb_load(struct mmu *mem, const struct mb_request *req, struct mb_boot *out, char *err,
            size_t err_bytes);
/* Puts the CPU in the Multiboot entry state: flat 4 GiB protected mode,
 * paging off, IF = 0, EAX = 0x2BADB002, EBX = info, EIP = entry. */
void mb_enter(struct cpu *cpu, const struct mb_boot *boot);

#endif
