#!/usr/bin/env bash
# tests/bench/lmbench-twice.sh RINGLAB [CONFIGS] - `ringlab bench lmbench
# --quick` end to end on the configurations given (default L): it must
# succeed, print every row of Tables 3-5 with a number (no "-"), write a
# CSV with the documented columns (LM_CSV_HEADER, bench/README.md) and one
# line per row and configuration, and print the same tables and CSV on a
# second run (the machine is deterministic). With X among them: every X
# line has its X/L, the paper's rows their figures, a null call no
# hypercall and a context switch some, and the tables show the ratios and
# X's hypercalls by name.
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
cat "$dir/1.txt"
cmp -s "$dir/1.txt" "$dir/2.txt" || no "two runs printed different tables"
cmp -s "$dir/1.csv" "$dir/2.csv" || no "two runs wrote different CSV files"
header="table,benchmark,config,cycles,us,paper_us,x_over_l,paper_x_over_l,ring,syscall,exc,pf,irq,cr3,flush,invlpg,itlb_miss,dtlb_miss,walk,hcall,bounce,upcall,pte_upd,pte_emul,mmu_update_entries"
[[ $(head -1 "$dir/1.csv") == "$header" ]] || no "CSV header: $(head -1 "$dir/1.csv")"
rows=$(grep -c '^[345]-' "$dir/1.csv")
n_configs=$(tr ',' '\n' <<<"$configs" | grep -c .)
want=$((25 * n_configs)) # bench/lmbench_rows.def: 25 rows
((rows == want)) || no "CSV has $rows rows, want $want"
bad=$(tail -n +2 "$dir/1.csv" | awk -F, 'NF != 25 { print "columns: " $0; next }
  $3 == "L" && ($7 != "" || $8 != "") { print "a ratio on an L line: " $0 }
  $2 == "fork proc" && $6 == "" { print "no paper figure: " $0 }')
[[ -z $bad ]] || no "CSV lines: $bad"
for t in "Table 3: processes" "Table 4: context switches" "Table 5: file and VM system"; do
  grep -q "^$t" "$dir/1.txt" || no "no '$t'"
done
# Every row of the tables has a number in each configuration's column.
if grep -E '^(null call|fork proc|2p 0K|16p 64K|mmap lat|page fault) +-' "$dir/1.txt"; then
  no "a row has no figure"
fi
grep -q "\[L\] lat_syscall.null\|\[X\] lat_syscall.null" "$dir/1.err" || no "no progress line for lat_syscall.null on stderr"
if [[ ,$configs, == *,X,* ]]; then
  bad=$(tail -n +2 "$dir/1.csv" | awk -F, '
    $3 == "X" && $7 == "" { print "no X/L: " $0 }
    $3 == "X" && $2 == "fork proc" && $8 == "" { print "no paper X/L: " $0 }
    $3 == "X" && $2 == "null call" && $20 != "0.000" { print "a hypercall in a null call: " $0 }
    $3 == "X" && $2 == "2p 0K" && $20 == "0.000" { print "no hypercall in a context switch: " $0 }')
  [[ -z $bad ]] || no "X lines: $bad"
  for w in "X/L   paper" "hypercalls per operation, X" "mmuext_op" "pte/mmu" "[X] booting"; do
    grep -qF -- "$w" "$dir/1.txt" "$dir/1.err" || no "no \"$w\""
  done
fi
if ((fail == 0)); then
  echo "lmbench: two runs identical, $rows CSV rows"
fi
exit $fail
