#!/usr/bin/env bash
# bench/cpl-split.sh - where each lmbench region's cycles go: in the
# hypervisor (CPL 0 under X), the guest kernel (CPL 1 under X, 0 natively)
# and user mode (CPL 3), and how long each hypercall took from entry to
# return (a multicall's members inside their multicall), per operation,
# from a trace of `ringlab bench lmbench --trace-dir DIR --keep DIR2`.
#
#   bench/cpl-split.sh RINGLAB DIR/X.rtrace DIR2/X.json
#
# One line per region: its id, then cycles per operation at each CPL, then
# NAME:COUNT*CYCLES for each hypercall name (count per operation, mean
# cycles each). Region cycles include what lmbench's loop subtracts as
# overhead, so the sum is close to, not equal to, the table's figure.
# (The README's "Reproducing the Xen paper" quotes these numbers.)
set -euo pipefail
if (($# != 3)); then
  echo "usage: $0 RINGLAB TRACE STATS.json" >&2
  exit 2
fi
ringlab=$1 trace=$2 stats=$3
# "ID.ops": N pairs from the --stats results (cJSON prints one per line).
ops=$(sed -n 's/^[[:space:]]*"\([^"]*\)\.ops":[[:space:]]*\([0-9]*\),\{0,1\}$/\1 \2/p' "$stats")
"$ringlab" trace dump "$trace" | awk -v ops="$ops" '
BEGIN {
  n = split(ops, w, /[ \n]/)
  for (k = 1; k + 1 <= n; k += 2) { id[substr(w[k], 1, 16)] = w[k]; nops[w[k]] = w[k + 1] }
}
function flush_region(   c, line, h) {
  r = id[name]; o = nops[r]; if (!o) o = 1
  line = sprintf("%-22s cpl0 %10.0f  cpl1 %10.0f  cpl3 %10.0f ", r, cyc[0] / o, cyc[1] / o, cyc[3] / o)
  for (h in cnt) line = line sprintf(" %s:%.2f*%.0f", h, cnt[h] / o, span[h] / cnt[h])
  print line
  delete cyc; delete cnt; delete span
}
{
  t = $1; cpl = substr($3, 4, 1); ev = $5
  if (inside) cyc[cur] += t - last
  cur = cpl
  if (ev ~ /^ring\./) { split(ev, a, "to"); cur = substr(a[2], 1, 1) }
  last = t
  if (ev ~ /^region_begin\./) { inside = 1; name = $6; sub(/^name="/, "", name); sub(/"$/, "", name); depth = 0 }
  else if (ev ~ /^region_end\./) { flush_region(); inside = 0 }
  else if (inside && ev ~ /^hypercall\./) { h = $6; sub(/^call=/, "", h); depth++; st[depth] = t; nm[depth] = h; cnt[h]++ }
  else if (inside && ev ~ /^hypercall_return\./ && depth > 0) { span[nm[depth]] += t - st[depth]; depth-- }
}'
