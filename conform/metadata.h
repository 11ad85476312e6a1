/* conform/metadata.h - the per-opcode metadata.json of a SingleStepTests set.
 *
 * metadata.json -> "opcodes" -> "F6" -> either the fields directly or, for a
 * group opcode, "reg" -> "0".."7" -> fields. The fields used here are
 * "status" (normal, alias, undocumented, undefined, prefix, extension, fpu)
 * and "flags-mask", the FLAGS bits to keep when comparing.
 */
#ifndef RINGLAB_CONFORM_METADATA_H
#define RINGLAB_CONFORM_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conform_metadata;

struct conform_opcode_info {
  const char *status;  /* "normal" ...; NULL if the opcode is not listed */
  uint16_t flags_mask; /* FLAGS bits to compare; 0xFFFF if none given */
  bool is_group;       /* the opcode's fields depend on ModRM.reg */
};

/* Loads path. On failure returns NULL and writes "path: reason" into err. */
struct conform_metadata *conform_metadata_load(const char *path, char *err, size_t err_bytes);
void conform_metadata_free(struct conform_metadata *md);

/* Looks up opcode (upper-case hex: "F6", "0F01") and, for a group opcode,
 * reg 0-7 (-1 when not known: then only is_group is meaningful). Returns
 * false if the opcode is not listed. Strings live as long as md. */
bool conform_metadata_lookup(const struct conform_metadata *md, const char *opcode, int reg,
                             struct conform_opcode_info *out);

#endif
