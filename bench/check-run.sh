#!/usr/bin/env bash
# bench/check-run.sh RINGLAB CHECK_STATS KERNEL PRESET EXPECTED
# Runs KERNEL under `ringlab run --timing PRESET --stats` and checks the
# stats against the lines of EXPECTED for KERNEL (its file name without
# .elf) with check_stats. The ctests bench_*_small_{unit,p6}.
set -uo pipefail
if (($# != 5)); then
  echo "usage: $0 RINGLAB CHECK_STATS KERNEL PRESET EXPECTED" >&2
  exit 2
fi
ringlab=$1 checker=$2 kernel=$3 preset=$4 expected=$5
name=$(basename "$kernel" .elf)
stats=$(mktemp)
trap 'rm -f "$stats"' EXIT
"$ringlab" run --timing "$preset" --max-cycles 20000000000 --serial none --stats "$stats" "$kernel" </dev/null
status=$?
if ((status != 0)); then
  echo "fail: ringlab run ended with status $status (want 0: ops EXIT 0)"
  exit 1
fi
"$checker" "$stats" "$expected" "$name"
