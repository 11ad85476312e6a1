#!/usr/bin/env bash
# bench/repin.sh [BUILD_DIR] - rewrites bench/expected/p6.txt, the pinned p6
# counts of the small workload variants (the ctests bench_*_small_p6).
#
# Run it only for a deliberate timing or counting change (a preset number,
# a new event, a corrected model), never to make a speed change pass: speed
# work must leave these numbers alone (issue 6, "Guard rails"). Review the
# diff (git diff bench/expected/p6.txt) and say in the commit why the
# numbers moved. BUILD_DIR defaults to build/bench.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/bench}
ringlab=$build/machine/ringlab
checker=$build/bench/bench_check_stats
out=$here/expected/p6.txt
stats=$(mktemp)
trap 'rm -f "$stats" "$out.tmp"' EXIT
{
  echo "# bench/expected/p6.txt - pinned counts of the small workload variants"
  echo "# under --timing p6: KERNEL PATH VALUE (check_stats.c). Written by"
  echo "# bench/repin.sh; re-pin only for a deliberate timing change (README)."
  echo "# Every region's cycles, instructions and events (not block_decode, an"
  echo "# engine statistic) and every result."
  for k in alu mem ring cr3 all; do
    name=bench_${k}_small
    "$ringlab" run --timing p6 --serial none --stats "$stats" "$build/guests/$name.elf" </dev/null
    echo
    "$checker" --pin "$stats" "$name"
  done
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "repin: wrote $out ($(grep -vc '^#\|^$' "$out") numbers)"
