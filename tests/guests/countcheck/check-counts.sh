#!/usr/bin/env bash
# The exact-count test of issue 3 (section 5): runs the countcheck kernel
# under ringlab with --stats and checks its counters, exactly, against the
# literal numbers its source promises (N = 1000 INT 0x80 round trips from
# ring 3, M = 250 CR3 loads each followed by an INVLPG; countcheck.c says
# where each "+ 1" of the setup comes from).
#
#   check-counts.sh RINGLAB KERNEL
set -uo pipefail
if (($# != 2)); then
  echo "usage: $0 RINGLAB KERNEL" >&2
  exit 2
fi
ringlab=$1
kernel=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$ringlab" run --max-cycles 100000000 --serial "$dir/serial" --stats "$dir/stats.json" "$kernel" </dev/null
status=$?
cat "$dir/serial"
if ((status != 1)); then
  echo "fail: ringlab exit status $status, expected 1 (verdict 0)"
  exit 1
fi

# The run-wide "events" object is the first in the file (regions follow;
# this kernel opens none). cJSON prints one member per line: "name":<tab>N
events=$(sed -n '/^\t"events":/,/^\t}/p' "$dir/stats.json")
value() {
  printf '%s\n' "$events" | sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([0-9]*\),\{0,1\}$/\1/p"
}

fail=0
expect() {
  local got
  got=$(value "$1")
  if [[ "$got" == "$2" ]]; then
    echo "  ok   $1 = $2"
  else
    echo "  FAIL $1 = ${got:-absent}, want $2"
    fail=1
  fi
}
expect softint.128 1000        # N
expect softint.129 1           # ring3_exit
expect ring.3to0 1001          # N + ring3_exit
expect ring.0to3 1001          # ring3_call's IRET + N IRETs
expect cr3_write 251           # M + the setup load before CR0.PG
expect invlpg 250              # M
expect tlb_flush.cr3 251       # every CR3 load flushes (untagged)
expect tlb_flush.invlpg 250    # M
expect tlb_flush.all 2         # CR0.PG on, off
expect task_switch 0
expect triple_fault 0
if printf '%s\n' "$events" | grep -q '"exception\.'; then
  echo "  FAIL an exception was counted:"
  printf '%s\n' "$events" | grep '"exception\.'
  fail=1
fi
if ((fail)); then
  echo "--- stats ---"
  cat "$dir/stats.json"
  echo "fail"
  exit 1
fi
echo "pass"
