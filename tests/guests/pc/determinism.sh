#!/usr/bin/env bash
# Runs a kernel twice under ringlab with --stats and checks that the two
# stats files and serial outputs are byte for byte the same.
#
#   determinism.sh RINGLAB KERNEL [RINGLAB_RUN_OPTIONS...]
set -uo pipefail
ringlab=$1
kernel=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for k in 1 2; do
  "$ringlab" run --max-cycles 100000000 --serial "$dir/serial$k" --stats "$dir/stats$k.json" "$@" "$kernel" \
    </dev/null
  echo "run $k: status $?"
done
if ! cmp "$dir/stats1.json" "$dir/stats2.json"; then
  echo "fail: the stats differ"
  diff "$dir/stats1.json" "$dir/stats2.json" | head -20
  exit 1
fi
if ! cmp "$dir/serial1" "$dir/serial2"; then
  echo "fail: the serial outputs differ"
  exit 1
fi
cat "$dir/stats1.json"
echo
echo "pass: identical stats and serial output"
