/* machine/snapshot.c - `ringlab run --save-at CYCLE --save PATH` and
 * `ringlab run --restore PATH`: the whole machine in one file.
 *
 * File (little-endian):
 *
 *   "RLABSNAP"                    magic
 *   u32 format version            SNAPSHOT_VERSION
 *   sections, each:  char tag[4], u64 length, bytes
 *     "INFO"  ringlab's version, the cycle and instructions at the save,
 *             the bytes COM1 had sent, the input streams' positions (key
 *             and serial events delivered)
 *     "CPU "  cpu_save: registers, time, the timing preset, counters
 *     "MMU "  mmu_save: A20, paging state, both TLBs whole, ROMs
 *     "DEVS"  the scheduler's time and every chip (dev_*_save), with their
 *             pending events and the input still to come
 *     "MACH"  the board's wires (INTR, the PIC's INT, a pending INIT, the
 *             BIOS boot, COM1's INTR and OUT2), the ops port,
 *             the machine's own counters, the --stats baseline, regions,
 *             results
 *     "RAM "  u32 bytes, then RAM compressed with zlib (deflate)
 *   "END "  u32 CRC-32 of every byte before it
 *
 * The file is written to PATH.tmp and renamed when complete. A file that
 * is not a snapshot, is damaged (its CRC), is of another format version
 * or was made by a build whose chip layouts differ is refused with one
 * line (status 64) before anything of it is used.
 *
 * The save happens at a pause (cpu.h), at the first instruction boundary
 * at or after CYCLE, so saving changes nothing up to there. Then the
 * saving run drops its decoded code, as the restored run starts without
 * any: from that point on both do the same (block decodes, code-page
 * writes, instruction-cache lookups all alike), and the restored run ends
 * exactly as the saving run does (its --stats, serial output from the
 * save on, and trace from that point; ctest snapshot_restore). The saving
 * run's block_decode count (and its code_invalidate and itlb_hit counts by
 * a few) then differ from a run that never saved: decoded code is an
 * engine statistic, not the guest's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "machine-internal.h"
#include "snap.h"

#define SNAPSHOT_MAGIC "RLABSNAP"
#define SNAPSHOT_VERSION 2u
#define RAM_CHUNK (1u << 20)

/* ---- the machine's own section ---------------------------------------------------- */

static void put_snap(struct snap_writer *w, const struct machine_snap *s) {
  snap_put_u64(w, s->cycles);
  snap_put_u64(w, s->instructions);
  for (unsigned k = 0; k < TRACE_SLOT_COUNT; k++)
    snap_put_u64(w, s->events.slot[k]);
}

static void get_snap(struct snap_reader *r, struct machine_snap *s) {
  s->cycles = snap_get_u64(r);
  s->instructions = snap_get_u64(r);
  for (unsigned k = 0; k < TRACE_SLOT_COUNT; k++)
    s->events.slot[k] = snap_get_u64(r);
}

static void put_name(struct snap_writer *w, const char *name) {
  size_t n = strlen(name);
  snap_put_u8(w, (uint8_t)n);
  snap_put_bytes(w, name, n);
}

static void get_name(struct snap_reader *r, char *name) {
  uint8_t n = snap_get_u8(r);
  if (n > RINGLAB_OPS_NAME_MAX)
    snap_fail(r, "a name of %u bytes", n);
  else
    snap_get_bytes(r, name, n);
  name[n <= RINGLAB_OPS_NAME_MAX ? n : 0] = 0;
}

static void machine_save_board(const struct machine *m, struct snap_writer *w) {
  snap_put_bool(w, m->intr);
  snap_put_bool(w, m->pic_int);
  snap_put_bool(w, m->init_pending);
  snap_put_bool(w, m->has_bios);
  snap_put_u32(w, (uint32_t)m->com1_intr);
  snap_put_bool(w, m->com1_out2);
  const struct opsport *o = &m->ops;
  for (int k = 0; k < 4; k++)
    snap_put_u32(w, o->arg[k]);
  snap_put_u32(w, o->status);
  snap_put_bool(w, o->pending);
  snap_put_u32(w, o->op);
  snap_put_bytes(w, o->hypercall, sizeof o->hypercall);
  snap_put_u32(w, o->hypercalls);
  snap_put_u32(w, TRACE_SLOT_COUNT);
  for (unsigned k = 0; k < TRACE_SLOT_COUNT; k++)
    snap_put_u64(w, m->counted.slot[k]);
  put_snap(w, &m->baseline);
  snap_put_u32(w, m->n_regions);
  for (unsigned k = 0; k < m->n_regions; k++) {
    put_name(w, m->regions[k].name);
    snap_put_bool(w, m->regions[k].open);
    put_snap(w, &m->regions[k].begin);
    put_snap(w, &m->regions[k].sum);
  }
  snap_put_u32(w, m->n_results);
  for (unsigned k = 0; k < m->n_results; k++) {
    put_name(w, m->results[k].name);
    snap_put_u64(w, (uint64_t)m->results[k].value);
  }
}

static int machine_load_board(struct machine *m, struct snap_reader *r) {
  m->end = MACHINE_RUNNING; /* a snapshot is taken while the machine runs */
  m->exit_status = 0;
  m->end_message[0] = 0;
  m->idle = false;
  m->intr = snap_get_bool(r);
  m->pic_int = snap_get_bool(r);
  m->init_pending = snap_get_bool(r);
  m->has_bios = snap_get_bool(r);
  m->com1_intr = (int)snap_get_u32(r);
  m->com1_out2 = snap_get_bool(r);
  struct opsport *o = &m->ops;
  for (int k = 0; k < 4; k++)
    o->arg[k] = snap_get_u32(r);
  o->status = snap_get_u32(r);
  o->pending = snap_get_bool(r);
  o->op = snap_get_u32(r);
  snap_get_bytes(r, o->hypercall, sizeof o->hypercall);
  o->hypercalls = snap_get_u32(r);
  if (o->hypercalls > RINGLAB_OPS_HYPERCALL_DEPTH)
    snap_fail(r, "%u hypercalls open", o->hypercalls);
  if (snap_get_u32(r) != TRACE_SLOT_COUNT)
    snap_fail(r, "another event catalog (another ringlab made it)");
  for (unsigned k = 0; k < TRACE_SLOT_COUNT && snap_ok(r); k++)
    m->counted.slot[k] = snap_get_u64(r);
  get_snap(r, &m->baseline);
  m->n_regions = snap_get_u32(r);
  if (m->n_regions > MACHINE_MAX_REGIONS)
    snap_fail(r, "%u regions", m->n_regions);
  for (unsigned k = 0; k < m->n_regions && snap_ok(r); k++) {
    get_name(r, m->regions[k].name);
    m->regions[k].open = snap_get_bool(r);
    get_snap(r, &m->regions[k].begin);
    get_snap(r, &m->regions[k].sum);
  }
  m->n_results = snap_get_u32(r);
  if (m->n_results > MACHINE_MAX_RESULTS)
    snap_fail(r, "%u results", m->n_results);
  for (unsigned k = 0; k < m->n_results && snap_ok(r); k++) {
    get_name(r, m->results[k].name);
    m->results[k].value = (int64_t)snap_get_u64(r);
  }
  if (!snap_ok(r)) {
    m->n_regions = m->n_results = 0;
    return -1;
  }
  return 0;
}

static void devices_save(const struct machine *m, struct snap_writer *w) {
  dev_sched_save(m->sched, w);
  dev_pic_save(m->pic_master, w);
  dev_pic_save(m->pic_slave, w);
  dev_pit_save(m->pit, w);
  dev_rtc_save(m->rtc, w);
  dev_a20_save(m->a20, w);
  dev_uart_save(m->uart, w);
  dev_debugexit_save(m->debugexit, w);
  dev_vga_save(m->vga, w);
  dev_kbc_save(m->kbc, w);
  dev_fpuerr_save(m->fpuerr, w);
  dev_lapic_save(m->lapic, w);
  dev_ioapic_save(m->ioapic, w);
}

static int devices_load(struct machine *m, struct snap_reader *r) {
  if (dev_sched_load(m->sched, r) || dev_pic_load(m->pic_master, r) || dev_pic_load(m->pic_slave, r) ||
      dev_pit_load(m->pit, r) || dev_rtc_load(m->rtc, r) || dev_a20_load(m->a20, r) ||
      dev_uart_load(m->uart, r) || dev_debugexit_load(m->debugexit, r) || dev_vga_load(m->vga, r) ||
      dev_kbc_load(m->kbc, r) || dev_fpuerr_load(m->fpuerr, r) || dev_lapic_load(m->lapic, r) ||
      dev_ioapic_load(m->ioapic, r))
    return -1;
  return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

/* The file as it is written; its CRC is taken at the end, from the file
 * (the RAM section's length is patched in after its bytes). */
struct out {
  FILE *f;
  bool failed;
};

static void out_bytes(struct out *o, const void *p, size_t n) {
  if (o->failed || !n)
    return;
  if (fwrite(p, 1, n, o->f) != n)
    o->failed = true;
}

static void out_u32(struct out *o, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  out_bytes(o, b, 4);
}

static void out_u64(struct out *o, uint64_t v) {
  out_u32(o, (uint32_t)v);
  out_u32(o, (uint32_t)(v >> 32));
}

static void out_section(struct out *o, const char *tag, const struct snap_writer *w) {
  out_bytes(o, tag, 4);
  out_u64(o, w->len);
  out_bytes(o, w->buf, w->len);
  if (w->failed)
    o->failed = true;
}

/* RAM through deflate, in chunks; the section's length is known only at
 * the end and is patched in then. */
static int out_ram(struct out *o, const struct mmu *mem, char *err, size_t n) {
  z_stream z = {0};
  if (deflateInit(&z, 1) != Z_OK) {
    snprintf(err, n, "zlib: cannot start compressing");
    return -1;
  }
  out_bytes(o, "RAM ", 4);
  long len_at = ftell(o->f);
  out_u64(o, 0); /* the section length: patched below */
  out_u32(o, mem->ram_bytes);
  static uint8_t chunk[RAM_CHUNK];
  uint64_t written = 4;
  z.next_in = mem->ram;
  z.avail_in = mem->ram_bytes;
  int rc;
  do {
    z.next_out = chunk;
    z.avail_out = sizeof chunk;
    rc = deflate(&z, Z_FINISH);
    size_t have = sizeof chunk - z.avail_out;
    out_bytes(o, chunk, have);
    written += have;
  } while (rc == Z_OK);
  deflateEnd(&z);
  if (rc != Z_STREAM_END || o->failed || len_at < 0) {
    snprintf(err, n, "zlib: cannot compress RAM");
    return -1;
  }
  long end = ftell(o->f);
  uint8_t b[8];
  for (int k = 0; k < 8; k++)
    b[k] = (uint8_t)(written >> (8 * k));
  if (fseek(o->f, len_at, SEEK_SET) != 0 || fwrite(b, 1, 8, o->f) != 8 || fseek(o->f, end, SEEK_SET) != 0) {
    snprintf(err, n, "cannot write: %s", strerror(errno));
    return -1;
  }
  return 0;
}

/* The CRC-32 of the file's first `bytes` bytes. */
static int crc_of_file(FILE *f, long bytes, uLong *crc) {
  static uint8_t buf[RAM_CHUNK];
  *crc = crc32(0, NULL, 0);
  if (fseek(f, 0, SEEK_SET) != 0)
    return -1;
  while (bytes > 0) {
    size_t want = bytes < (long)sizeof buf ? (size_t)bytes : sizeof buf;
    if (fread(buf, 1, want, f) != want)
      return -1;
    *crc = crc32(*crc, buf, (uInt)want);
    bytes -= (long)want;
  }
  return fseek(f, 0, SEEK_END);
}

int snapshot_write(struct machine *m, const char *path, char *err, size_t n) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
    snprintf(err, n, "%s: path too long", path);
    return -1;
  }
  struct out o = {.f = fopen(tmp, "w+b")};
  if (!o.f) {
    snprintf(err, n, "%s: cannot create: %s", tmp, strerror(errno));
    return -1;
  }
  out_bytes(&o, SNAPSHOT_MAGIC, 8);
  out_u32(&o, SNAPSHOT_VERSION);

  struct snap_writer w = {0};
  put_name(&w, RINGLAB_VERSION);
  snap_put_u64(&w, cpu_cycles(m->cpu));
  snap_put_u64(&w, cpu_instructions(m->cpu));
  snap_put_u64(&w, m->serial_bytes);
  snap_put_u64(&w, dev_ps2kbd_delivered(dev_kbc_keyboard(m->kbc)));
  snap_put_u64(&w, dev_uart_delivered(m->uart));
  out_section(&o, "INFO", &w);
  snap_writer_free(&w);
  cpu_save(m->cpu, &w);
  out_section(&o, "CPU ", &w);
  snap_writer_free(&w);
  mmu_save(m->mem, &w);
  out_section(&o, "MMU ", &w);
  snap_writer_free(&w);
  devices_save(m, &w);
  out_section(&o, "DEVS", &w);
  snap_writer_free(&w);
  machine_save_board(m, &w);
  out_section(&o, "MACH", &w);
  snap_writer_free(&w);
  int rc = out_ram(&o, m->mem, err, n);
  uLong crc;
  long size = ftell(o.f);
  if (rc == 0 && (o.failed || size < 0 || crc_of_file(o.f, size, &crc) != 0)) {
    snprintf(err, n, "%s: cannot write: %s", tmp, strerror(errno));
    rc = -1;
  }
  if (rc == 0) {
    out_bytes(&o, "END ", 4);
    uint8_t b[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    if (fwrite(b, 1, 4, o.f) != 4 || o.failed) {
      snprintf(err, n, "%s: cannot write: %s", tmp, strerror(errno));
      rc = -1;
    }
  }
  if (fclose(o.f) != 0 && rc == 0) {
    snprintf(err, n, "%s: cannot write: %s", tmp, strerror(errno));
    rc = -1;
  }
  if (rc == 0 && rename(tmp, path) != 0) {
    snprintf(err, n, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    rc = -1;
  }
  if (rc != 0)
    remove(tmp);
  return rc;
}

/* ---- reading -------------------------------------------------------------------------- */

struct snapshot {
  uint8_t *file;
  size_t size;
  struct { const uint8_t *p; uint64_t len; } sec[6]; /* INFO CPU MMU DEVS MACH RAM */
  uint32_t ram_bytes;
  uint64_t cycles, instructions, serial_bytes, keys, serial_events;
};

static const char *const tags[6] = {"INFO", "CPU ", "MMU ", "DEVS", "MACH", "RAM "};

static uint64_t le(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned k = n; k-- > 0;)
    v = v << 8 | p[k];
  return v;
}

struct snapshot *snapshot_read(const char *path, char *err, size_t n) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, n, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  struct snapshot *s = calloc(1, sizeof *s);
  struct stat st;
  if (!s || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, n, "%s: not a regular file", path);
    fclose(f);
    free(s);
    return NULL;
  }
  s->size = (size_t)st.st_size;
  s->file = malloc(s->size ? s->size : 1);
  if (!s->file || fread(s->file, 1, s->size, f) != s->size) {
    snprintf(err, n, "%s: cannot read: %s", path, s->file ? strerror(errno) : "out of memory");
    fclose(f);
    snapshot_free(s);
    return NULL;
  }
  fclose(f);
  const uint8_t *p = s->file;
  if (s->size < 20 || memcmp(p, SNAPSHOT_MAGIC, 8) != 0) {
    snprintf(err, n, "%s: not a ringlab snapshot", path);
    snapshot_free(s);
    return NULL;
  }
  uint32_t stored = (uint32_t)le(p + s->size - 4, 4);
  uint32_t crc = (uint32_t)crc32(crc32(0, NULL, 0), p, (uInt)(s->size - 8));
  if (memcmp(p + s->size - 8, "END ", 4) != 0 || stored != crc) {
    snprintf(err, n, "%s: damaged: its checksum does not match (cut short or changed)", path);
    snapshot_free(s);
    return NULL;
  }
  uint32_t version = (uint32_t)le(p + 8, 4);
  if (version != SNAPSHOT_VERSION) {
    snprintf(err, n, "%s: snapshot format version %u, this ringlab reads version %u", path, version,
             SNAPSHOT_VERSION);
    snapshot_free(s);
    return NULL;
  }
  size_t at = 12, end = s->size - 8;
  for (int k = 0; k < 6; k++) {
    if (end - at < 12 || memcmp(p + at, tags[k], 4) != 0 || le(p + at + 4, 8) > end - at - 12) {
      snprintf(err, n, "%s: damaged: section %.4s missing or cut short", path, tags[k]);
      snapshot_free(s);
      return NULL;
    }
    s->sec[k].len = le(p + at + 4, 8);
    s->sec[k].p = p + at + 12;
    at += 12 + (size_t)s->sec[k].len;
  }
  struct snap_reader r = snap_reader_of(s->sec[0].p, s->sec[0].len);
  char version_name[RINGLAB_OPS_NAME_MAX + 1];
  get_name(&r, version_name);
  s->cycles = snap_get_u64(&r);
  s->instructions = snap_get_u64(&r);
  s->serial_bytes = snap_get_u64(&r);
  s->keys = snap_get_u64(&r);
  s->serial_events = snap_get_u64(&r);
  if (!snap_ok(&r) || s->sec[5].len < 4) {
    snprintf(err, n, "%s: damaged: %s", path, snap_ok(&r) ? "no RAM" : r.why);
    snapshot_free(s);
    return NULL;
  }
  s->ram_bytes = (uint32_t)le(s->sec[5].p, 4);
  return s;
}

uint32_t snapshot_ram_bytes(const struct snapshot *s) { return s->ram_bytes; }
uint64_t snapshot_cycles(const struct snapshot *s) { return s->cycles; }
uint64_t snapshot_serial_bytes(const struct snapshot *s) { return s->serial_bytes; }

void snapshot_free(struct snapshot *s) {
  if (!s)
    return;
  free(s->file);
  free(s);
}

int snapshot_apply(struct machine *m, const struct snapshot *s, const char *path, char *err, size_t n) {
  if (s->ram_bytes != m->mem->ram_bytes) {
    snprintf(err, n, "%s: %u bytes of RAM, the machine has %u", path, s->ram_bytes, m->mem->ram_bytes);
    return -1;
  }
  const char *what[5] = {NULL, "processor", "memory", "devices", "board"};
  for (int k = 1; k < 5; k++) {
    struct snap_reader r = snap_reader_of(s->sec[k].p, s->sec[k].len);
    int rc = k == 1 ? cpu_load(m->cpu, &r) : k == 2 ? mmu_load(m->mem, &r) : k == 3 ? devices_load(m, &r)
                                                                                    : machine_load_board(m, &r);
    if (rc == 0 && r.pos != r.len)
      snap_fail(&r, "%zu bytes left over", r.len - r.pos);
    if (rc != 0 || !snap_ok(&r)) {
      snprintf(err, n, "%s: %s state: %s", path, what[k], r.why);
      return -1;
    }
  }
  z_stream z = {0};
  z.next_in = (Bytef *)(s->sec[5].p + 4);
  z.avail_in = (uInt)(s->sec[5].len - 4);
  z.next_out = m->mem->ram;
  z.avail_out = m->mem->ram_bytes;
  int rc = inflateInit(&z) == Z_OK ? inflate(&z, Z_FINISH) : Z_DATA_ERROR;
  bool whole = rc == Z_STREAM_END && z.avail_out == 0 && z.avail_in == 0;
  inflateEnd(&z);
  if (!whole) {
    snprintf(err, n, "%s: damaged: its RAM does not decompress to %u bytes", path, m->mem->ram_bytes);
    return -1;
  }
  cpu_invalidate_phys(m->cpu, 0, 1ull << 32); /* RAM and ROM changed under any decoded code */
  cpu_set_intr(m->cpu, m->intr);
  machine_board_rewire(m); /* the local APIC's page where its restored base is */
  return 0;
}

/* ---- --save-at: the observer ------------------------------------------------------------ */

struct saver {
  struct machine_observer obs;
  const char *path;
  cycles_t at;
  bool done;
  int rc;
  char err[512];
};

static void saver_stopped(void *ctx, struct machine *m) {
  struct saver *s = ctx;
  if (s->done)
    return;
  if (m->end != MACHINE_RUNNING) {
    snprintf(s->err, sizeof s->err, "--save-at %llu: the run ended at cycle %llu, before it; no snapshot written",
             (unsigned long long)s->at, (unsigned long long)cpu_cycles(m->cpu));
    s->rc = -1;
    s->done = true;
    return;
  }
  if (cpu_cycles(m->cpu) < s->at)
    return;
  s->done = true;
  s->obs.pause_at = DEV_NEVER;
  s->rc = snapshot_write(m, s->path, s->err, sizeof s->err);
  if (s->rc == 0)
    fprintf(stderr, "ringlab: saved the machine at cycle %llu to %s\n", (unsigned long long)cpu_cycles(m->cpu),
            s->path);
  /* From here on as the restored run: no decoded code. */
  cpu_invalidate_phys(m->cpu, 0, 1ull << 32);
  cpu_resume_forget(m->cpu);
}

struct saver *saver_new(struct machine *m, cycles_t at, const char *path) {
  struct saver *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->path = path;
  s->at = at;
  s->obs = (struct machine_observer){.stopped = saver_stopped, .ctx = s, .pause_at = at};
  if (machine_observe(m, &s->obs) != 0) {
    free(s);
    return NULL;
  }
  return s;
}

int saver_result(const struct saver *s, char *err, size_t n) {
  if (s->rc != 0)
    snprintf(err, n, "%s", s->err);
  return s->rc;
}
