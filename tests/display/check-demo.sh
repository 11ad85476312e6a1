#!/usr/bin/env bash
# The demo kernel (tests/display/demo: timer and keyboard interrupts, ring
# transitions, page faults, TLB flushes) for 60M cycles with keys typed:
# the same status, serial output and --stats with the window (SDL's
# offscreen driver) as without.
#
#   check-demo.sh RINGLAB DEMO.elf
set -uo pipefail
ringlab=$1
kernel=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
keys=$(dirname "$0")/demo/keys.txt
common=(--keys-in "$keys" --max-cycles 60000000)
SDL_VIDEODRIVER=offscreen "$ringlab" run --display sdl --stats "$tmp/win.json" --serial "$tmp/win.out" \
  "${common[@]}" "$kernel" </dev/null 2>"$tmp/win.err"
win=$?
"$ringlab" run --stats "$tmp/plain.json" --serial "$tmp/plain.out" "${common[@]}" "$kernel" </dev/null 2>"$tmp/plain.err"
plain=$?
fail=0
[[ $win == 67 && $plain == 67 ]] || { echo "FAIL: status $win with the window, $plain without (want 67)"; cat "$tmp/win.err"; fail=1; }
cmp -s "$tmp/win.json" "$tmp/plain.json" || { echo "FAIL: --stats differ with the window"; diff "$tmp/win.json" "$tmp/plain.json" | head; fail=1; }
cmp -s "$tmp/win.out" "$tmp/plain.out" || { echo "FAIL: serial output differs with the window"; fail=1; }
grep -q '"softint.128"' "$tmp/plain.json" || { echo "FAIL: the demo made no INT 0x80"; fail=1; }
grep -q '"exception.14"' "$tmp/plain.json" || { echo "FAIL: the demo took no page fault"; fail=1; }
grep -q '"irq.33"' "$tmp/plain.json" || { echo "FAIL: no keyboard interrupt"; fail=1; }
((fail == 0)) && echo "ok: the demo with the window ends as without (status $win)"
exit $fail
