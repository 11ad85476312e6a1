#!/usr/bin/env bash
# The trace stream end to end (issue 5): a guest kernel run with --trace and
# --stats;
#   - `ringlab trace stats` counts every recorded event exactly as --stats
#     counts it, and lists every nonzero --stats counter it records: the TLB
#     misses, page walks and A/D updates included (only the TLB hits are not
#     recorded, FORMAT.md);
#   - a second run writes a byte-identical file (determinism);
#   - no PATH.tmp is left behind;
#   - a truncated file and a file with a flipped byte in its last block give
#     an error naming that block, exit 64, and the records before it;
#   - a file of a newer format version is refused with a clear message;
#   - --trace-events filters classes at record time.
# Then each OPS_KERNEL (kernels that use the ops port: regions of interest,
# annotations, hypercall marks) is run the same way, and
#   - trace stats equals --stats for every event, the ops and hv classes
#     included (ops_request, ops_annotate, region_begin/end, hypercall);
#   - each region's cycles (region.NAME.cycles) equal --stats
#     regions.NAME.cycles, for every region --stats lists.
#
#   check-trace.sh RINGLAB KERNEL [OPS_KERNEL...]
set -uo pipefail
if (($# < 2)); then
  echo "usage: $0 RINGLAB KERNEL [OPS_KERNEL...]" >&2
  exit 2
fi
ringlab=$1
kernel=$2
shift 2
ops_kernels=("$@")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
no() {
  echo "FAIL: $*"
  fail=1
}

run_kernel() { # run_kernel KERNEL TRACE STATS [options...]
  local k=$1 t=$2 s=$3
  shift 3
  "$ringlab" run --max-cycles 100000000 --serial none --stats "$s" --trace "$t" "$@" "$k" </dev/null
}
run() { # run TRACE STATS [options...]
  run_kernel "$kernel" "$@"
}

# compare TRACE STATS_JSON TAG: trace stats of TRACE against the run-wide
# --stats events; sets checked (counters compared); the files stay in
# $dir/TAG.*.
compare() {
  local t=$1 j=$2 tag=$3
  "$ringlab" trace stats "$t" >"$dir/$tag.stats.txt" || no "$tag: trace stats failed on a good file"
  # The run-wide "events" object is the first in the stats file.
  sed -n '/^\t"events":/,/^\t}/p' "$j" |
    sed -n 's/^[[:space:]]*"\([a-z0-9_.]*\)":[[:space:]]*\([0-9]*\),\{0,1\}$/\1 \2/p' >"$dir/$tag.json-events.txt"
  [[ -s "$dir/$tag.json-events.txt" ]] || no "$tag: no events in --stats"
  # (NAME.cycles lines are sums of a field, not counts)
  sed -n 's/^event\.\([^ ]*\) \([0-9]*\)$/\1 \2/p' "$dir/$tag.stats.txt" | grep -v '\.cycles ' \
    >"$dir/$tag.trace-events.txt"
  sed -n 's/^not_recorded \(.*\)$/\1/p' "$dir/$tag.stats.txt" >"$dir/$tag.not-recorded.txt"
  checked=0
  local name value want key
  while read -r name value; do
    want=$(awk -v n="$name" '$1 == n {print $2}' "$dir/$tag.json-events.txt")
    if [[ "$want" != "$value" ]]; then
      no "$tag: $name: trace $value, --stats ${want:-absent}"
    fi
    checked=$((checked + 1))
  done <"$dir/$tag.trace-events.txt"
  while read -r name value; do
    key=$name
    # an indexed counter's row key: the name without ".N" / ".FtoT"
    if [[ "$name" =~ ^(exception|softint|irq|ring|hypercall|hypercall_return|region_begin|region_end)\. ]]; then
      key=${BASH_REMATCH[1]}
    fi
    grep -qx "$key" "$dir/$tag.not-recorded.txt" && continue
    grep -q "^$name " "$dir/$tag.trace-events.txt" || no "$tag: --stats $name $value missing from trace stats"
  done <"$dir/$tag.json-events.txt"
  echo "$tag: compared $checked event counters with --stats"
  # Only the TLB hits are not recorded.
  local nr
  nr=$(sort "$dir/$tag.not-recorded.txt" | tr '\n' ' ')
  [[ "$nr" == "dtlb_hit itlb_hit " ]] || no "$tag: not recorded: $nr (only the TLB hits should be)"
}

run "$dir/a.rtrace" "$dir/a.json"
[[ -f "$dir/a.rtrace" ]] || no "no trace file written"
[[ -e "$dir/a.rtrace.tmp" ]] && no "a.rtrace.tmp left behind"
compare "$dir/a.rtrace" "$dir/a.json" a
cp "$dir/a.stats.txt" "$dir/stats.txt"
cp "$dir/a.not-recorded.txt" "$dir/not-recorded.txt"
cp "$dir/a.trace-events.txt" "$dir/trace-events.txt"
((checked > 10)) || no "too few counters compared"
# The MMU's events are recorded now, and this kernel makes them.
for name in itlb_miss dtlb_miss page_walk ad_update; do
  grep -qx "$name" "$dir/not-recorded.txt" && no "$name is not recorded"
  value=$(awk -v n="$name" '$1 == n {print $2}' "$dir/trace-events.txt")
  ((${value:-0} > 0)) || no "$name: no records (the kernel makes them)"
done

run "$dir/b.rtrace" "$dir/b.json"
cmp "$dir/a.rtrace" "$dir/b.rtrace" || no "two runs of the same kernel wrote different traces"

total=$("$ringlab" trace dump "$dir/a.rtrace" | wc -l)
size=$(stat -c %s "$dir/a.rtrace")
echo "records $total, bytes $size"
((total > 4096)) || no "the kernel should make more than one block of records"

# Every record has its instruction bytes, and they
# disassemble; a CR write names its register and the instruction.
"$ringlab" trace dump "$dir/a.rtrace" --disasm >"$dir/disasm.out" || no "dump --disasm failed"
grep -q -E '\| \((no bytes|bad)' "$dir/disasm.out" && no "records without bytes: $(grep -m1 -E '\| \(' "$dir/disasm.out")"
grep -q -E ' cr_write register=(0x3|cr3) old=0x[0-9a-f]+ new=0x[0-9a-f]+ \| mov cr3, ' "$dir/disasm.out" ||
  no "no cr_write with register, value and mov cr3"
# The exports: CSV has the header and one row per record.
"$ringlab" trace export --format csv "$dir/a.rtrace" -o "$dir/a.csv" || no "export csv failed"
[[ "$(head -1 "$dir/a.csv")" == "cycle,cpu,cpl,cs,eip,event,fields,bytes" ]] || no "csv header"
(($(wc -l <"$dir/a.csv") == total + 1)) || no "csv: not one row per record"
"$ringlab" trace export --format chrome "$dir/a.rtrace" >"$dir/a.json.out" || no "export chrome failed"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["traceEvents"]) > 4096' \
    "$dir/a.json.out" || no "chrome export is not JSON with the records"
fi

# Truncated inside the last block (the end block is 28 bytes).
head -c $((size - 40)) "$dir/a.rtrace" >"$dir/trunc.rtrace"
"$ringlab" trace dump "$dir/trunc.rtrace" >"$dir/trunc.out" 2>"$dir/trunc.err"
st=$?
((st == 64)) || no "truncated file: status $st, expected 64"
grep -q "block 2" "$dir/trunc.err" || no "truncated file: error does not name block 2: $(cat "$dir/trunc.err")"
(($(wc -l <"$dir/trunc.out") == 4096)) || no "truncated file: the 4096 records of block 1 not all printed"
"$ringlab" trace stats "$dir/trunc.rtrace" >/dev/null 2>&1
(($? == 64)) || no "trace stats on a truncated file: status not 64"

# A flipped byte in the last block's compressed data.
cp "$dir/a.rtrace" "$dir/flip.rtrace"
off=$((size - 40))
byte=$(od -An -tu1 -j "$off" -N1 "$dir/flip.rtrace" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 0xff)))" | dd of="$dir/flip.rtrace" bs=1 seek="$off" conv=notrunc status=none
"$ringlab" trace dump "$dir/flip.rtrace" >"$dir/flip.out" 2>"$dir/flip.err"
st=$?
((st == 64)) || no "corrupted file: status $st, expected 64"
grep -q "block 2: corrupted" "$dir/flip.err" || no "corrupted file: error does not name block 2: $(cat "$dir/flip.err")"
(($(wc -l <"$dir/flip.out") == 4096)) || no "corrupted file: the records of block 1 not all printed"

# A newer format version (the little-endian u32 at offset 8).
cp "$dir/a.rtrace" "$dir/new.rtrace"
printf '\011' | dd of="$dir/new.rtrace" bs=1 seek=8 conv=notrunc status=none
"$ringlab" trace stats "$dir/new.rtrace" >/dev/null 2>"$dir/new.err"
st=$?
((st == 64)) || no "newer version: status $st, expected 64"
grep -q "format version 9 is newer" "$dir/new.err" || no "newer version: unclear message: $(cat "$dir/new.err")"

# Filtering at record time: only the interrupt class.
run "$dir/f.rtrace" "$dir/f.json" --trace-events interrupt
"$ringlab" trace dump "$dir/f.rtrace" >"$dir/f.out" || no "dump of the filtered trace failed"
grep -qv -E ' (softint|irq|iret)(\.|$)' "$dir/f.out" && no "--trace-events interrupt recorded other classes"
[[ "$(wc -l <"$dir/f.out")" == "$("$ringlab" trace dump "$dir/a.rtrace" --class interrupt | wc -l)" ]] ||
  no "filtered at record time and at read time differ"
"$ringlab" run --serial none --trace "$dir/x.rtrace" --trace-events cpu,bogus "$kernel" </dev/null 2>"$dir/x.err"
(($? == 64)) || no "--trace-events bogus: not bad input"

# The kernels that use the ops port: their ops and hv events and their
# regions, against --stats.
for ((i = 0; i < ${#ops_kernels[@]}; i++)); do
  k=${ops_kernels[$i]}
  tag=ops$i
  run_kernel "$k" "$dir/$tag.rtrace" "$dir/$tag.json" >/dev/null
  compare "$dir/$tag.rtrace" "$dir/$tag.json" "$tag"
  grep -q '^event\.ops_request [1-9]' "$dir/$tag.stats.txt" || no "$tag ($k): no ops_request records"
  if command -v python3 >/dev/null; then
    python3 - "$dir/$tag.json" >"$dir/$tag.json-regions.txt" <<'PY' || no "$tag: --stats regions unreadable"
import json, sys
for name, r in json.load(open(sys.argv[1]))["regions"].items():
    print(name[:16], r["cycles"])
PY
    while read -r name cycles; do
      got=$(awk -v n="region.$name.cycles" '$1 == n {print $2}' "$dir/$tag.stats.txt")
      [[ "$got" == "$cycles" ]] || no "$tag ($k): region $name: trace ${got:-absent} cycles, --stats $cycles"
      echo "$tag: region $name $cycles cycles"
    done <"$dir/$tag.json-regions.txt"
  fi
done

if ((fail)); then
  echo "trace checks failed"
  exit 1
fi
echo "trace checks passed"
