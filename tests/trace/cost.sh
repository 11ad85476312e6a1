#!/usr/bin/env bash
# What recording a trace costs (issue 5 section 3), in host instructions from
# valgrind's callgrind, on the small speed workloads: off, then
# --trace-events cpu,exception,interrupt (ring, exception and CR events),
# then --trace-events tlb (everything the tlb class records today: flushes and
# INVLPG; TLB hits and misses are counted by the MMU and not recorded, see
# trace/FORMAT.md). Prints a Markdown table for the README.
#
#   tests/trace/cost.sh RINGLAB GUESTS_DIR     (a Release build: build/<release>)
set -euo pipefail
ringlab=$1 guests=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cg() { # IMAGE TAG [run options...] -> "host_instructions records bytes"
  local elf=$guests/bench_$1.elf tag=$2
  shift 2
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.$tag" "$ringlab" run --serial none \
    --stats "$work/st.$tag.json" "$@" "$elf" </dev/null >/dev/null 2>&1 || true
  local h rec=0 bytes=0
  h=$(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$work/cg.$tag")
  if [[ -f "$work/t.$tag" ]]; then
    rec=$("$ringlab" trace stats "$work/t.$tag" | sed -n 's/^records //p')
    bytes=$(stat -c %s "$work/t.$tag")
  fi
  echo "$h $rec $bytes"
}
echo "| workload | off (host instr.) | cpu,exception,interrupt: records, bytes, host instr., cost | tlb: records, bytes, host instr., cost | TLB misses (not recorded) |"
echo "|---|---:|---|---|---:|"
for w in alu mem ring cr3; do
  read -r h0 _ _ < <(cg "${w}_small" "$w.off")
  read -r h1 r1 b1 < <(cg "${w}_small" "$w.ring" --trace "$work/t.$w.ring" --trace-events cpu,exception,interrupt)
  read -r h2 r2 b2 < <(cg "${w}_small" "$w.tlb" --trace "$work/t.$w.tlb" --trace-events tlb)
  miss=$(sed -n '/"events":/,/}/p' "$work/st.$w.off.json" | awk -F'[:,]' '/"[id]tlb_miss"/ {gsub(/[ \t]/,"",$2); s += $2} END {print s+0}')
  pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f%%", (a - b) * 100 / b }'; }
  echo "| ${w}_small | $h0 | $r1, $b1, $h1, $(pct "$h1" "$h0") | $r2, $b2, $h2, $(pct "$h2" "$h0") | $miss |"
done
