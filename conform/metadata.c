/* conform/metadata.c - metadata.json through cJSON. */
#include "metadata.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METADATA_MAX_BYTES (64u << 20)

struct conform_metadata {
  cJSON *root;
  const cJSON *opcodes; /* the "opcodes" object inside root */
};

static char *read_text(const char *path, char *err, size_t err_bytes) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    snprintf(err, err_bytes, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *text = malloc(cap + 1);
  while (text) {
    n += fread(text + n, 1, cap - n, fp);
    if (n < cap)
      break;
    if (cap >= METADATA_MAX_BYTES) {
      snprintf(err, err_bytes, "%s: larger than %u bytes", path, METADATA_MAX_BYTES);
      free(text);
      fclose(fp);
      return NULL;
    }
    char *grown = realloc(text, cap * 2 + 1);
    if (!grown)
      free(text);
    text = grown;
    cap *= 2;
  }
  if (!text) {
    snprintf(err, err_bytes, "%s: out of memory", path);
  } else if (ferror(fp)) {
    snprintf(err, err_bytes, "%s: cannot read: %s", path, strerror(errno));
    free(text);
    text = NULL;
  } else {
    text[n] = 0;
  }
  fclose(fp);
  return text;
}

struct conform_metadata *conform_metadata_load(const char *path, char *err, size_t err_bytes) {
  char *text = read_text(path, err, err_bytes);
  if (!text)
    return NULL;
  cJSON *root = cJSON_Parse(text);
  free(text);
  if (!root) {
    snprintf(err, err_bytes, "%s: not valid JSON", path);
    return NULL;
  }
  const cJSON *opcodes = cJSON_GetObjectItemCaseSensitive(root, "opcodes");
  if (!cJSON_IsObject(opcodes)) {
    snprintf(err, err_bytes, "%s: no \"opcodes\" object", path);
    cJSON_Delete(root);
    return NULL;
  }
  struct conform_metadata *md = malloc(sizeof *md);
  if (!md) {
    snprintf(err, err_bytes, "%s: out of memory", path);
    cJSON_Delete(root);
    return NULL;
  }
  md->root = root;
  md->opcodes = opcodes;
  return md;
}

void conform_metadata_free(struct conform_metadata *md) {
  if (!md)
    return;
  cJSON_Delete(md->root);
  free(md);
}

/* Reads "status" and "flags-mask" of one field set. */
static void read_fields(const cJSON *fields, struct conform_opcode_info *out) {
  const cJSON *status = cJSON_GetObjectItemCaseSensitive(fields, "status");
  const cJSON *mask = cJSON_GetObjectItemCaseSensitive(fields, "flags-mask");
  if (cJSON_IsString(status) && status->valuestring)
    out->status = status->valuestring;
  if (cJSON_IsNumber(mask) && mask->valuedouble >= 0 && mask->valuedouble <= 0xFFFF)
    out->flags_mask = (uint16_t)mask->valuedouble;
}

bool conform_metadata_lookup(const struct conform_metadata *md, const char *opcode, int reg,
                             struct conform_opcode_info *out) {
  *out = (struct conform_opcode_info){.status = NULL, .flags_mask = 0xFFFF, .is_group = false};
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive(md->opcodes, opcode);
  if (!cJSON_IsObject(entry))
    return false;
  read_fields(entry, out);
  const cJSON *regs = cJSON_GetObjectItemCaseSensitive(entry, "reg");
  if (cJSON_IsObject(regs)) {
    out->is_group = true;
    if (reg >= 0 && reg <= 7) {
      char key[2] = {(char)('0' + reg), 0};
      const cJSON *fields = cJSON_GetObjectItemCaseSensitive(regs, key);
      if (cJSON_IsObject(fields))
        read_fields(fields, out);
    }
  }
  return true;
}
