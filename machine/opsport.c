/* machine/opsport.c - the ringlab ops port (protocol in ringlab_ops.h).
 *
 * The port device only latches: a write to OP records the op and asks the
 * CPU to stop at the end of the OUT instruction. The run loop then calls
 * opsport_run(), at an exact instruction boundary, where cycles and retired
 * instructions are those of the machine after the OUT. So a region's
 * numbers run from the instruction after its REGION_BEGIN OUT up to and
 * including its REGION_END OUT (with the OUTs that load END's arguments
 * and the IN that reads BEGIN's status).
 */
#include <string.h>

#include "machine-internal.h"

static uint32_t ops_read(void *ctx, uint16_t offset, unsigned size_bytes) {
  const struct opsport *o = ctx;
  uint32_t reg;
  switch (offset & ~3u) {
  case RINGLAB_OPS_REG_OP:
    reg = RINGLAB_OPS_MAGIC;
    break;
  case RINGLAB_OPS_REG_ARG0:
  case RINGLAB_OPS_REG_ARG1:
  case RINGLAB_OPS_REG_ARG2:
  case RINGLAB_OPS_REG_ARG3:
    reg = o->arg[(offset - RINGLAB_OPS_REG_ARG0) / 4];
    break;
  case RINGLAB_OPS_REG_STATUS:
    reg = o->status;
    break;
  default:
    return 0xFFFFFFFFu;
  }
  return reg >> (8 * (offset & 3));
}

static void ops_write(void *ctx, uint16_t offset, unsigned size_bytes, uint32_t value) {
  struct opsport *o = ctx;
  unsigned reg = offset & ~3u, shift = 8 * (offset & 3);
  uint32_t mask = (size_bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * size_bytes)) - 1) << shift;
  if (reg >= RINGLAB_OPS_REG_ARG0 && reg <= RINGLAB_OPS_REG_ARG3) {
    uint32_t *a = &o->arg[(reg - RINGLAB_OPS_REG_ARG0) / 4];
    *a = (*a & ~mask) | ((value << shift) & mask);
  } else if (offset == RINGLAB_OPS_REG_OP && !o->pending) {
    /* A write at the OP register's first byte runs the op. */
    o->op = value;
    o->pending = true;
    cpu_request_stop(o->m->cpu);
  }
}

const struct dev_port_ops machine_opsport_ops = {
    .name = "ringlab-ops",
    .sizes = DEV_SIZE_8 | DEV_SIZE_16 | DEV_SIZE_32,
    .read = ops_read,
    .write = ops_write,
};

static bool name_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
         ch == '.' || ch == ':' || ch == '/' || ch == '-';
}

/* Copies the name at ARG0 (length ARG1) out of guest RAM. */
static bool read_name(struct machine *m, char out[RINGLAB_OPS_NAME_MAX + 1]) {
  uint32_t addr = m->ops.arg[0], len = m->ops.arg[1];
  if (len == 0 || len > RINGLAB_OPS_NAME_MAX || mmu_copy_from_guest(m->mem, addr, out, len) != 0)
    return false;
  out[len] = 0;
  for (uint32_t k = 0; k < len; k++)
    if (!name_char(out[k]))
      return false;
  return true;
}

/* The trace (cpu_trace_emit: nothing when not recording): what the port
 * counts is recorded at the instruction boundary after the op's OUT, with
 * the CPU's site there (the next instruction's CS:EIP, the CPL). */
static void record(struct machine *m, unsigned slot, unsigned n, const uint32_t *fields) {
  cpu_trace_emit(m->cpu, slot, n, fields);
}

/* The first 16 bytes of text packed little-endian into four 32-bit
 * fields, zero-padded: a region's name or an annotation's text in a trace
 * record (events.def "name0 .. name3"; longer ones are cut in the trace,
 * not in --stats). */
static void pack16(const char *text, uint32_t f[4]) {
  memset(f, 0, 4 * sizeof f[0]);
  for (unsigned k = 0; k < 16 && text[k]; k++)
    f[k / 4] |= (uint32_t)(uint8_t)text[k] << (8 * (k % 4));
}

static void record_text(struct machine *m, unsigned slot, const char *text) {
  uint32_t f[4];
  pack16(text, f);
  record(m, slot, 4, f);
}

static struct region *find_region(struct machine *m, const char *name) {
  for (unsigned k = 0; k < m->n_regions; k++)
    if (strcmp(m->regions[k].name, name) == 0)
      return &m->regions[k];
  return NULL;
}

static void snap_add(struct machine_snap *sum, const struct machine_snap *d) {
  sum->cycles += d->cycles;
  sum->instructions += d->instructions;
  trace_counters_add(&sum->events, &d->events);
}

static void region_close(struct machine *m, struct region *r) {
  struct machine_snap now, d;
  machine_snap(m, &now);
  machine_snap_sub(&d, &now, &r->begin);
  snap_add(&r->sum, &d);
  r->open = false;
}

static uint32_t op_region(struct machine *m, bool begin) {
  char name[RINGLAB_OPS_NAME_MAX + 1];
  if (!read_name(m, name))
    return RINGLAB_OPS_ENAME;
  struct region *r = find_region(m, name);
  if (begin) {
    if (!r) {
      if (m->n_regions == MACHINE_MAX_REGIONS)
        return RINGLAB_OPS_EFULL;
      r = &m->regions[m->n_regions++];
      memset(r, 0, sizeof *r);
      memcpy(r->name, name, sizeof r->name);
    }
    if (r->open)
      return RINGLAB_OPS_ESTATE;
    r->open = true;
    unsigned index = (unsigned)(r - m->regions);
    trace_count_at(&m->counted, TRACE_EV_region_begin, index);
    record_text(m, TRACE_EV_region_begin + index, r->name);
    machine_snap(m, &r->begin);
    return RINGLAB_OPS_OK;
  }
  if (!r || !r->open)
    return RINGLAB_OPS_ESTATE;
  unsigned index = (unsigned)(r - m->regions);
  trace_count_at(&m->counted, TRACE_EV_region_end, index);
  record_text(m, TRACE_EV_region_end + index, r->name);
  region_close(m, r);
  return RINGLAB_OPS_OK;
}

static uint32_t op_result(struct machine *m) {
  char name[RINGLAB_OPS_NAME_MAX + 1];
  if (!read_name(m, name))
    return RINGLAB_OPS_ENAME;
  int64_t value = (int64_t)((uint64_t)m->ops.arg[3] << 32 | m->ops.arg[2]);
  for (unsigned k = 0; k < m->n_results; k++)
    if (strcmp(m->results[k].name, name) == 0) {
      m->results[k].value = value;
      return RINGLAB_OPS_OK;
    }
  if (m->n_results == MACHINE_MAX_RESULTS)
    return RINGLAB_OPS_EFULL;
  struct result *r = &m->results[m->n_results++];
  memcpy(r->name, name, sizeof r->name);
  r->value = value;
  return RINGLAB_OPS_OK;
}

static uint32_t op_annotate(struct machine *m) {
  uint32_t addr = m->ops.arg[0], len = m->ops.arg[1];
  char text[RINGLAB_OPS_TEXT_MAX + 1];
  if (len == 0 || len > RINGLAB_OPS_TEXT_MAX || mmu_copy_from_guest(m->mem, addr, text, len) != 0)
    return RINGLAB_OPS_ENAME;
  for (uint32_t k = 0; k < len; k++)
    if (text[k] < 0x20 || text[k] > 0x7E)
      return RINGLAB_OPS_ENAME;
  text[len] = 0;
  trace_count(&m->counted, TRACE_EV_ops_annotate);
  record_text(m, TRACE_EV_ops_annotate, text);
  return RINGLAB_OPS_OK;
}

/* HYPERCALL_ENTER/EXIT: the hypervisor's marks (ringlab_ops.h), counted
 * in the machine's own array like the other ops events and recorded with
 * the arguments (arg1-arg3) and the result (events.def). */
static uint32_t op_hypercall(struct machine *m, bool enter) {
  struct opsport *o = &m->ops;
  uint32_t nr = o->arg[0];
  if (nr > RINGLAB_OPS_HYPERCALL_MAX)
    return RINGLAB_OPS_EINVAL;
  if (enter) {
    if (o->hypercalls == RINGLAB_OPS_HYPERCALL_DEPTH)
      return RINGLAB_OPS_EFULL;
    o->hypercall[o->hypercalls++] = (uint8_t)nr;
    trace_count_at(&m->counted, TRACE_EV_hypercall, nr);
    record(m, TRACE_EV_hypercall + nr, 3, &o->arg[1]);
    return RINGLAB_OPS_OK;
  }
  if (o->hypercalls == 0 || o->hypercall[o->hypercalls - 1] != nr)
    return RINGLAB_OPS_ESTATE;
  o->hypercalls--;
  trace_count_at(&m->counted, TRACE_EV_hypercall_return, nr);
  record(m, TRACE_EV_hypercall_return + nr, 1, &o->arg[1]);
  return RINGLAB_OPS_OK;
}

/* HV_EVENT: the hypervisor's other events (ringlab_ops.h), counted by kind
 * and index in the machine's own array and recorded with their details. */
static uint32_t op_hv_event(struct machine *m) {
  const uint32_t *a = m->ops.arg;
  uint32_t index = a[1];
  if (index > RINGLAB_HV_INDEX_MAX)
    return RINGLAB_OPS_EINVAL;
  switch (a[0]) {
  case RINGLAB_HV_TRAP_BOUNCE:
    trace_count_at(&m->counted, TRACE_EV_hv_trap_bounce, index);
    record(m, TRACE_EV_hv_trap_bounce + index, 2, &a[2]);
    return RINGLAB_OPS_OK;
  case RINGLAB_HV_EVENT_UPCALL:
    trace_count_at(&m->counted, TRACE_EV_hv_upcall, index);
    record(m, TRACE_EV_hv_upcall + index, 1, &a[2]);
    return RINGLAB_OPS_OK;
  case RINGLAB_HV_PT_EMULATE: {
    const uint32_t f[2] = {index, a[2]};
    trace_count(&m->counted, TRACE_EV_hv_pt_emulate);
    record(m, TRACE_EV_hv_pt_emulate, 2, f);
    return RINGLAB_OPS_OK;
  }
  case RINGLAB_HV_DOMAIN_SWITCH:
    trace_count_at(&m->counted, TRACE_EV_hv_domain_switch, index);
    record(m, TRACE_EV_hv_domain_switch + index, 1, &a[2]);
    return RINGLAB_OPS_OK;
  case RINGLAB_HV_PT_UPDATE:
    if (index < 1 || index > 4 || a[2] == 0)
      return RINGLAB_OPS_EINVAL;
    trace_count_n_at(&m->counted, TRACE_EV_hv_pt_update, index, a[2]);
    record(m, TRACE_EV_hv_pt_update + index, 1, &a[2]);
    return RINGLAB_OPS_OK;
  default:
    return RINGLAB_OPS_EINVAL;
  }
}

static void op_dump(struct machine *m) {
  struct machine_snap now, d;
  machine_snap(m, &now);
  machine_snap_sub(&d, &now, &m->baseline);
  fflush(stdout);
  fprintf(stderr, "ringlab: counters at cycle %llu\ncycles %llu\ninstructions %llu\n",
          (unsigned long long)now.cycles, (unsigned long long)d.cycles, (unsigned long long)d.instructions);
  trace_counters_write_text(stderr, &d.events);
}

void opsport_run(struct machine *m) {
  struct opsport *o = &m->ops;
  if (!o->pending)
    return;
  o->pending = false;
  trace_count(&m->counted, TRACE_EV_ops_request);
  record(m, TRACE_EV_ops_request, 1, &o->op);
  uint32_t st = RINGLAB_OPS_OK;
  switch (o->op) {
  case RINGLAB_OP_EXIT:
    if (o->arg[0] > RINGLAB_OPS_EXIT_MAX) {
      st = RINGLAB_OPS_EINVAL;
      break;
    }
    if (m->end == MACHINE_RUNNING) {
      m->end = MACHINE_END_OPS_EXIT;
      m->exit_status = (int)o->arg[0];
    }
    break;
  case RINGLAB_OP_COUNTERS_RESET:
    machine_snap(m, &m->baseline);
    break;
  case RINGLAB_OP_COUNTERS_DUMP:
    op_dump(m);
    break;
  case RINGLAB_OP_REGION_BEGIN:
  case RINGLAB_OP_REGION_END:
    st = op_region(m, o->op == RINGLAB_OP_REGION_BEGIN);
    break;
  case RINGLAB_OP_RESULT:
    st = op_result(m);
    break;
  case RINGLAB_OP_ANNOTATE:
    st = op_annotate(m);
    break;
  case RINGLAB_OP_HYPERCALL_ENTER:
  case RINGLAB_OP_HYPERCALL_EXIT:
    st = op_hypercall(m, o->op == RINGLAB_OP_HYPERCALL_ENTER);
    break;
  case RINGLAB_OP_HV_EVENT:
    st = op_hv_event(m);
    break;
  default:
    st = RINGLAB_OPS_EINVAL;
  }
  o->status = st;
}

void opsport_finish(struct machine *m) {
  for (unsigned k = 0; k < m->n_regions; k++)
    if (m->regions[k].open)
      region_close(m, &m->regions[k]);
}
