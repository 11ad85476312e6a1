#!/usr/bin/env bash
# A snapshot restores the whole machine: a run saved at CYCLE (--save-at)
# and run on, and the run restored from that file (--restore), end alike:
# the same status and --stats, the restored run's serial output is the
# saving run's from the save on, and its trace is the saving run's from the
# save's cycle on. Then damaged and foreign files are refused with one line
# and status 64.
#
#   check-snapshot.sh RINGLAB KERNEL CYCLE [RINGLAB RUN OPTIONS...]
#
# SNAPSHOT_MAX_CYCLES (400000000) bounds both runs.
# Run from tests/guests (relative option paths).
set -uo pipefail
ringlab=$1
kernel=$2
at=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
max=(--max-cycles "${SNAPSHOT_MAX_CYCLES:-400000000}")
fail=0
"$ringlab" run "${max[@]}" --save-at "$at" --save "$tmp/s.snap" --stats "$tmp/a.json" --serial "$tmp/a.out" \
  --trace "$tmp/a.rtrace" "$@" "$kernel" </dev/null 2>"$tmp/a.err"
a=$?
saved=$(sed -n 's/^ringlab: saved the machine at cycle \([0-9]*\) .*/\1/p' "$tmp/a.err")
if [[ -z $saved || ! -s $tmp/s.snap ]]; then
  echo "FAIL: no snapshot written"
  cat "$tmp/a.err"
  exit 1
fi
"$ringlab" run "${max[@]}" --restore "$tmp/s.snap" --stats "$tmp/b.json" --serial "$tmp/b.out" \
  --trace "$tmp/b.rtrace" </dev/null 2>"$tmp/b.err"
b=$?
sent=$(sed -n 's/^ringlab: restored .* (COM1 had sent \([0-9]*\) bytes before)/\1/p' "$tmp/b.err")
[[ $a == "$b" ]] || { echo "FAIL: status $a saving, $b restored"; cat "$tmp/b.err"; fail=1; }
cmp -s "$tmp/a.json" "$tmp/b.json" || { echo "FAIL: --stats differ"; diff "$tmp/a.json" "$tmp/b.json" | head -20; fail=1; }
tail -c +$((sent + 1)) "$tmp/a.out" >"$tmp/a.tail"
cmp -s "$tmp/a.tail" "$tmp/b.out" || { echo "FAIL: the restored run's serial output is not the saving run's from byte $sent"; fail=1; }
"$ringlab" trace dump "$tmp/a.rtrace" --from "$saved" >"$tmp/a.dump"
"$ringlab" trace dump "$tmp/b.rtrace" >"$tmp/b.dump"
cmp -s "$tmp/a.dump" "$tmp/b.dump" || { echo "FAIL: the traces differ from cycle $saved"; diff "$tmp/a.dump" "$tmp/b.dump" | head; fail=1; }
[[ -s $tmp/b.dump ]] || echo "note: no trace records after cycle $saved"

# Refused: cut short, one byte changed, not a snapshot.
refuse() {
  local what=$1 file=$2
  "$ringlab" run --restore "$file" </dev/null >/dev/null 2>"$tmp/r.err"
  local s=$?
  if [[ $s != 64 || $(wc -l <"$tmp/r.err") != 1 ]]; then
    echo "FAIL: a $what snapshot: status $s, stderr:"
    cat "$tmp/r.err"
    fail=1
  fi
}
size=$(stat -c %s "$tmp/s.snap")
head -c $((size / 2)) "$tmp/s.snap" >"$tmp/cut.snap"
refuse "cut short" "$tmp/cut.snap"
cp "$tmp/s.snap" "$tmp/flip.snap"
printf '\x5a' | dd of="$tmp/flip.snap" bs=1 seek=$((size / 3)) conv=notrunc status=none
refuse "changed" "$tmp/flip.snap"
refuse "foreign" "$kernel"
"$ringlab" run --restore "$tmp/s.snap" --mem 64 </dev/null >/dev/null 2>"$tmp/r.err"
[[ $? == 64 ]] || { echo "FAIL: --restore with --mem is not refused"; fail=1; }
((fail == 0)) && echo "ok: $(basename "$kernel") saved at cycle $saved ($size bytes) and restored ends alike (status $a)"
exit $fail
