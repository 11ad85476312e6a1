#!/usr/bin/env bash
# tests/bench/lmbench-twice.sh RINGLAB - `ringlab bench lmbench --quick`
# end to end on the configurations given (default L): it must succeed, print
# every row of Tables 3-5 with a number (no "-"), write a CSV with the
# documented columns and one line per row and configuration, and print the
# same tables and CSV on a second run (the machine is deterministic).
set -uo pipefail
ringlab=$1
configs=${2:-L}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
no() {
  echo "FAIL: $*"
  fail=1
}
for run in 1 2; do
  if ! "$ringlab" bench lmbench --quick --configs "$configs" --csv "$dir/$run.csv" \
      >"$dir/$run.txt" 2>"$dir/$run.err"; then
    no "run $run: ringlab bench lmbench failed"
    cat "$dir/$run.err"
  fi
done
cmp -s "$dir/1.txt" "$dir/2.txt" || no "two runs printed different tables"
cmp -s "$dir/1.csv" "$dir/2.csv" || no "two runs wrote different CSV files"
[[ $(head -1 "$dir/1.csv") == "table,benchmark,config,cycles,us" ]] || no "CSV header: $(head -1 "$dir/1.csv")"
rows=$(grep -c '^[345]-' "$dir/1.csv")
n_configs=$(tr ',' '\n' <<<"$configs" | grep -c .)
want=$((25 * n_configs)) # bench/lmbench_rows.def: 25 rows
((rows == want)) || no "CSV has $rows rows, want $want"
for t in "Table 3: processes" "Table 4: context switches" "Table 5: file and VM system"; do
  grep -q "^$t" "$dir/1.txt" || no "no '$t'"
done
# Every row of the tables has a number in each configuration's column.
if grep -E '^(null call|fork proc|2p 0K|16p 64K|mmap lat|page fault) +-' "$dir/1.txt"; then
  no "a row has no figure"
fi
grep -q "progress\|\[L\] lat_syscall.null" "$dir/1.err" || no "no progress line for lat_syscall.null on stderr"
if ((fail == 0)); then
  echo "lmbench: two runs identical, $rows CSV rows"
fi
exit $fail
