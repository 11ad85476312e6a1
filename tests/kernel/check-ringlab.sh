#!/usr/bin/env bash
# Runs kt_ringlab as init under ringlab with --stats and checks what the
# ringlab system call reported: its results, and its region's counters,
# exactly. The region kt_region holds the return from the REGION_BEGIN
# call, 100 getppid calls, and the entry of the REGION_END call: 101 int
# $0x80 (softint.128, ring.3to0) and 101 returns to user mode (ring.0to3).
#
#   check-ringlab.sh RINGLAB KERNEL INITRAMFS
set -uo pipefail
ringlab=$1 kernel=$2 initramfs=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$ringlab" run --max-cycles 1000000000 --serial "$dir/serial" --stats "$dir/stats.json" \
  --module "$initramfs" "$kernel" -- init=/bin/kt_ringlab -- ringlab </dev/null
status=$?
cat "$dir/serial"
if ((status != 0)) || ! grep -q "kt_ringlab: PASS" "$dir/serial"; then
  echo "fail: status $status"
  exit 1
fi
fail=0
# cJSON prints one member per line; the region's events follow its name.
region=$(sed -n '/"kt_region":/,/^\t\t}/p' "$dir/stats.json")
value() { # value TEXT NAME
  printf '%s\n' "$1" | sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\(-\{0,1\}[0-9]*\),\{0,1\}$/\1/p" | head -1
}
expect() { # expect WHERE NAME VALUE
  local got
  got=$(value "$1" "$2")
  if [[ "$got" == "$3" ]]; then
    echo "  ok   $2 = $3"
  else
    echo "  FAIL $2 = ${got:-absent}, want $3"
    fail=1
  fi
}
results=$(sed -n '/"results":/,/}/p' "$dir/stats.json")
expect "$results" kt.answer 42
expect "$results" kt.big $(((0x1234567 << 32) | 0x89abcdef))
expect "$region" softint.128 101
expect "$region" ring.3to0 101
expect "$region" ring.0to3 101
if ((fail)); then
  cat "$dir/stats.json"
  exit 1
fi
echo pass
