#!/usr/bin/env bash
# Runs the lmbench suite driver (or one tool) on the host Linux and checks
# its report against the measurement ids of bench/lmbench_rows.def, the
# host's table of the paper's rows.
#
#   check-lmbench.sh ROWS_DEF -- PROGRAM ARGS...
#
# Every id the table names (its id and second-id columns) must appear as a
# progress line "lmbench: ID" followed by a result
# line "ID: WHAT: X.YY cycles (C cycles / O ops, S subtracted)" with O > 0
# and C >= 0; C > 0 where nothing but the timer and loop overheads is
# subtracted (catch, prot, the context switches and the page faults are
# differences of two measurements, which on a noisy host can come out 0
# after lmbench's clamp). No timing is asserted beyond that. Exits 77
# (skip) where the host cannot run i386 binaries.
set -uo pipefail
rows=$1
shift
[[ $1 == -- ]] && shift

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/output
(cd "$work" && exec "$@") </dev/null >"$out" 2>&1
status=$?
if ((status == 126)) && grep -q "Exec format error" "$out"; then
  echo "SKIP: this host cannot run i386 binaries"
  exit 77
fi
cat "$out"
echo "--- status $status ---"
fail=0
((status == 0)) || { echo "FAIL: exit status $status"; fail=1; }

# the ids: the 4th and 5th arguments of each LMROW line
mapfile -t ids < <(sed -n 's/^LMROW(\([^,]*,\)\{3\} *"\([^"]*\)", *\("\([^"]*\)"\|NULL\).*/\2 \4/p' "$rows" |
  tr ' ' '\n' | sed '/^$/d')
((${#ids[@]} >= 20)) || { echo "FAIL: read only ${#ids[@]} ids from $rows"; exit 1; }

for id in "${ids[@]}"; do
  if ! grep -qx "lmbench: $id" "$out"; then
    echo "FAIL: no 'lmbench: $id' in the output"
    fail=1
    continue
  fi
  line=$(grep -E "^$id: .*: [0-9]+\.[0-9]{2} cycles \([0-9]+ cycles / [0-9]+ ops, -?[0-9]+ subtracted\)$" "$out" | head -1)
  if [[ -z $line ]]; then
    echo "FAIL: no result line for $id"
    fail=1
    continue
  fi
  cycles=$(sed -E 's/.*\(([0-9]+) cycles \/ ([0-9]+) ops.*/\1/' <<<"$line")
  ops=$(sed -E 's/.*\(([0-9]+) cycles \/ ([0-9]+) ops.*/\2/' <<<"$line")
  if ((ops <= 0)); then
    echo "FAIL: $id: $ops ops"
    fail=1
  fi
  case $id in
  lat_sig.catch | lat_sig.prot | lat_ctx.* | lat_pagefault) ;;
  *) if ((cycles <= 0)); then echo "FAIL: $id: $cycles cycles"; fail=1; fi ;;
  esac
done
((fail == 0)) && echo "PASS: ${#ids[@]} measurements reported"
exit $fail
