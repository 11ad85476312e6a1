/* conform/moo.h - a reader for MOO processor test vectors (SingleStepTests).
 *
 * A MOO file is a sequence of little-endian chunks (4-byte id, u32 payload
 * length, payload); chunks nest. The reader takes a whole file into memory
 * (gzip or plain, through zlib), walks it once and returns every test in
 * plain structs. Unknown chunk ids (GMET, CYCL, ...) are skipped by length;
 * QUEU is skipped too. Every length is checked against its parent, so a
 * malformed file yields one error message naming the file and the reason,
 * never a read out of bounds.
 *
 *   file := "MOO " header, META?, RMSK?, TEST*
 *   TEST := u32 index, NAME, BYTS, INIT, FINA, EXCP?, HASH
 *   INIT/FINA := REGS, RMSK? (FINA only), RAM , QUEU?
 */
#ifndef RINGLAB_CONFORM_MOO_H
#define RINGLAB_CONFORM_MOO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The 16-bit register file in the order of a REGS bitmask. */
enum moo_reg {
  MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_CS, MOO_SS, MOO_DS, MOO_ES,
  MOO_SP, MOO_BP, MOO_SI, MOO_DI, MOO_IP, MOO_FLAGS, MOO_NREGS
};

#define MOO_HASH_BYTES 20

struct moo_regs {
  uint16_t present;          /* bit n set: value[n] is given (enum moo_reg) */
  uint16_t value[MOO_NREGS]; /* zero where not present */
};

struct moo_ram {
  uint32_t addr;  /* physical address */
  uint8_t value;
};

struct moo_state {
  struct moo_regs regs;
  bool has_rmsk;         /* FINA only: masks of undefined bits */
  struct moo_regs rmsk;
  struct moo_ram *ram;
  uint32_t n_ram;
};

struct moo_test {
  uint32_t index;
  char *name;             /* disassembly, NUL-terminated (may be empty) */
  uint8_t *bytes;         /* the instruction under test, then HLT */
  uint32_t n_bytes;
  struct moo_state init, fina;
  bool has_excp;
  uint8_t excp_number;
  uint32_t excp_flags_addr; /* where the exception pushed FLAGS */
  uint8_t hash[MOO_HASH_BYTES];
};

struct moo_meta {
  uint8_t major, minor;
  uint8_t cpu_type;
  uint32_t opcode;
  char mnemonic[9];   /* NUL-terminated, trailing blanks kept */
  uint32_t test_count;
  uint64_t seed;
  uint8_t cpu_mode;   /* 0 = real */
};

struct moo_file {
  uint8_t major, minor;
  uint32_t test_count;   /* from the header; equals n_tests */
  char cpu_id[5];        /* "C286", NUL-terminated */
  bool has_meta;
  struct moo_meta meta;
  bool has_rmsk;         /* file-wide masks of undefined bits */
  struct moo_regs rmsk;
  struct moo_test *tests;
  uint32_t n_tests;
};

/* Reads and parses the file at path (gzip-compressed or not). On failure
 * returns NULL and writes "path: reason" into err. */
struct moo_file *moo_load(const char *path, char *err, size_t err_bytes);

/* Parses a MOO image already in memory; name is used in messages only. */
struct moo_file *moo_parse(const uint8_t *data, size_t n_bytes, const char *name,
                           char *err, size_t err_bytes);

void moo_free(struct moo_file *f);

/* Lower-case register name ("ax" ... "flags"). */
const char *moo_reg_name(enum moo_reg r);

/* Writes the hash as 40 hex digits and a NUL into out (41 bytes). */
void moo_hash_hex(const uint8_t hash[MOO_HASH_BYTES], char out[2 * MOO_HASH_BYTES + 1]);

#endif
