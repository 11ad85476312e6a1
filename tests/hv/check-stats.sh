#!/usr/bin/env bash
# Runs the hypervisor under ringlab with --stats and checks counters of the
# run: what the hypervisor marks (hypercall.N) and what the CPU counts
# (ring.3to1, softint.128, ...).
#
#   check-stats.sh RINGLAB HV_ELF [RINGLAB_OPTIONS... [-- HV_OPTIONS...]] :: NAME=VALUE|NAME>=VALUE|NAME<=VALUE...
#
# Passes when ringlab exits with 1 (verdict 0) and every expectation holds
# (an absent counter is 0).
set -uo pipefail
if (($# < 3)); then
  echo "usage: $0 RINGLAB HV_ELF [OPTIONS...] :: EXPECTATIONS..." >&2
  exit 2
fi
ringlab=$1
hv=$2
shift 2
opts=()
while (($#)) && [[ $1 != :: ]]; do
  opts+=("$1")
  shift
done
shift
before=()
after=()
for o in "${opts[@]}"; do
  if ((${#after[@]})) || [[ $o == -- ]]; then
    after+=("$o")
  else
    before+=("$o")
  fi
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$ringlab" run --max-cycles 400000000 --serial "$dir/serial" --stats "$dir/stats.json" "${before[@]}" "$hv" "${after[@]}" </dev/null
status=$?
cat "$dir/serial"
if ((status != 1)); then
  echo "fail: ringlab exit status $status, expected 1 (verdict 0)"
  exit 1
fi
events=$(sed -n '/^\t"events":/,/^\t}/p' "$dir/stats.json")
value() {
  local v
  v=$(printf '%s\n' "$events" | sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([0-9]*\),\{0,1\}$/\1/p")
  echo "${v:-0}"
}
fail=0
for e in "$@"; do
  if [[ $e =~ ^([^<>=]+)(=|\>=|\<=)([0-9]+)$ ]]; then
    name=${BASH_REMATCH[1]} op=${BASH_REMATCH[2]} want=${BASH_REMATCH[3]}
    got=$(value "$name")
    case $op in
      =) ok=$((got == want)) ;;
      '>=') ok=$((got >= want)) ;;
      '<=') ok=$((got <= want)) ;;
    esac
    if ((ok)); then
      echo "  ok   $name = $got ($op $want)"
    else
      echo "  FAIL $name = $got, want $op $want"
      fail=1
    fi
  else
    echo "bad expectation: $e" >&2
    exit 2
  fi
done
((fail == 0)) && echo pass
exit $fail
