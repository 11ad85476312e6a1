#!/usr/bin/env bash
# What recording a trace costs (issue 5 section 3, issue 6 "lose at most 20%
# when --trace records ring, exception and CR events"), on the speed
# workloads, three ways each: off; (a) --trace-events cpu,exception,interrupt
# (ring, exception and CR events); (b) every class (the default: TLB misses,
# page walks and A/D updates included; the TLB hits are never recorded,
# trace/FORMAT.md).
#
#   1. callgrind host instructions, total over all threads (the writer
#      compresses on a second thread), on the small images: exact and
#      repeatable; with records, file bytes and host instructions per record.
#   2. wall clock, the median of RUNS (5) runs of the large images: what a
#      user waits; noisy on a shared machine (the writer's thread needs a
#      free core to be free).
#
# Prints two Markdown tables for the README ("What it costs").
#
#   tests/trace/cost.sh RINGLAB GUESTS_DIR      (a Release build:
#     tests/trace/cost.sh build/<you>-rel/machine/ringlab build/<you>-rel/guests)
#   RUNS=N to change the number of timed runs; WALL=0 or CALLGRIND=0 to skip one.
set -euo pipefail
if (($# != 2)); then
  echo "usage: $0 RINGLAB GUESTS_DIR" >&2
  exit 2
fi
ringlab=$1 guests=$2
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
workloads=(alu mem ring cr3)
a_opts=(--trace-events cpu,exception,interrupt)

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }'; }
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.0f", (a - b) / n; else printf "-" }'; }
group() { echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; } # 1234567 -> 1,234,567

# cg IMAGE TAG [run options...] -> "host_instructions records bytes"
cg() {
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

# misses STATS_JSON -> itlb_miss + dtlb_miss of the run
misses() {
  sed -n '/"events":/,/}/p' "$1" | awk -F'[:,]' '/"[id]tlb_miss"/ {gsub(/[ \t]/,"",$2); s += $2} END {print s+0}'
}

if [[ ${CALLGRIND:-1} != 0 ]]; then
  echo "Host instructions (callgrind, all threads), small images:"
  echo
  echo "| workload | off | (a) cpu,exception,interrupt: records, bytes, host instr. | (a) cost, per record | (b) every class: records, bytes, host instr. | (b) cost, per record | TLB misses |"
  echo "|---|---:|---|---|---|---|---:|"
  for w in "${workloads[@]}"; do
    read -r h0 _ _ < <(cg "${w}_small" "$w.off")
    read -r h1 r1 b1 < <(cg "${w}_small" "$w.a" --trace "$work/t.$w.a" "${a_opts[@]}")
    read -r h2 r2 b2 < <(cg "${w}_small" "$w.b" --trace "$work/t.$w.b")
    echo "| ${w}_small | $(group "$h0") | $(group "$r1"), $(group "$b1"), $(group "$h1") | $(pct "$h1" "$h0"), $(per "$h1" "$h0" "$r1") | $(group "$r2"), $(group "$b2"), $(group "$h2") | $(pct "$h2" "$h0"), $(per "$h2" "$h0" "$r2") | $(group "$(misses "$work/st.$w.off.json")") |"
  done
  echo
fi

# wall IMAGE [run options...] -> median seconds of RUNS runs
wall() {
  local elf=$guests/bench_$1.elf
  shift
  local k t0 t1
  for ((k = 0; k < runs; k++)); do
    t0=$(date +%s%N)
    "$ringlab" run --serial none "$@" "$elf" </dev/null >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
  done | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] / 1e6 }'
}

if [[ ${WALL:-1} != 0 ]]; then
  echo "Wall clock (median of $runs runs, seconds), large images:"
  echo
  echo "| workload | off | (a) cpu,exception,interrupt | (a) cost | (b) every class | (b) cost | (b) records |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for w in "${workloads[@]}"; do
    s0=$(wall "$w")
    s1=$(wall "$w" --trace "$work/w.a" "${a_opts[@]}")
    s2=$(wall "$w" --trace "$work/w.b")
    r2=$("$ringlab" trace stats "$work/w.b" | sed -n 's/^records //p')
    echo "| $w | $s0 | $s1 | $(pct "$s1" "$s0") | $s2 | $(pct "$s2" "$s0") | $(group "$r2") |"
  done
fi
