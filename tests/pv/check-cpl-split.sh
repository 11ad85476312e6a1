#!/usr/bin/env bash
# bench/cpl-split.sh on a traced quick run of both configurations: every
# region of lmbench gets a line; under X a null call spends nothing in the
# hypervisor but the region marks' emulated port accesses (6 per region:
# about 70 cycles a call at the quick count), a fork over 10,000 cycles
# with the mmuext_op of its pin and unpin; natively nothing runs at CPL 1.
#
#   check-cpl-split.sh RINGLAB SPLIT_SCRIPT
set -uo pipefail
ringlab=$1 split=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! "$ringlab" bench lmbench --quick --trace-dir "$dir/t" --keep "$dir/k" >/dev/null 2>"$dir/err"; then
  cat "$dir/err"
  echo "fail: the traced run"
  exit 1
fi
"$split" "$ringlab" "$dir/t/X.rtrace" "$dir/k/X.json" >"$dir/X.txt" || exit 1
"$split" "$ringlab" "$dir/t/L.rtrace" "$dir/k/L.json" >"$dir/L.txt" || exit 1
cat "$dir/X.txt" "$dir/L.txt"
fail=0
for f in X L; do
  lines=$(wc -l <"$dir/$f.txt")
  ((lines == 26)) || { echo "FAIL $f: $lines regions, want 26"; fail=1; }
done
awk '$1 == "lat_syscall.null" && $3 + 0 > 200 { print "FAIL X null call: " $3 " cycles in the hypervisor"; bad = 1 }
     $1 == "lat_proc.fork" && ($3 + 0 < 10000 || $0 !~ /mmuext_op:/) { print "FAIL X fork: " $0; bad = 1 }
     END { exit bad }' "$dir/X.txt" || fail=1
awk '$5 + 0 != 0 { print "FAIL L at CPL 1: " $0; bad = 1 } END { exit bad }' "$dir/L.txt" || fail=1
((fail)) && exit 1
echo pass
