#!/usr/bin/env bash
# Runs one workload on the guest kernel twice under ringlab with --stats
# and checks that the stats and the console output are the same bytes.
#
#   determinism.sh RINGLAB KERNEL INITRAMFS [KERNEL ARGS...]
set -uo pipefail
ringlab=$1 kernel=$2 initramfs=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for k in 1 2; do
  "$ringlab" run --max-cycles 4000000000 --serial "$dir/serial$k" --stats "$dir/stats$k.json" \
    --module "$initramfs" "$kernel" -- "$@" </dev/null
  echo "run $k: status $?"
done
cat "$dir/serial1"
if ! cmp "$dir/stats1.json" "$dir/stats2.json"; then
  echo "fail: the stats differ"
  diff "$dir/stats1.json" "$dir/stats2.json" | head -20
  exit 1
fi
if ! cmp "$dir/serial1" "$dir/serial2"; then
  echo "fail: the console outputs differ"
  exit 1
fi
grep -E '"(cycles|instructions)"' "$dir/stats1.json" | head -2
echo "pass: identical stats and console output"
