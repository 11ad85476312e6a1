#!/usr/bin/env bash
# The window end to end, under SDL's offscreen driver: the console kernel
# (tests/guests/console) run with --display sdl ends with its test card on
# the screen, which matches its golden pixel hash (check_screenshot), and
# the window changed nothing: the same status, serial output and --stats as
# the same run without it.
#
#   check-window.sh RINGLAB CONSOLE.elf CHECK_SCREENSHOT
#
# RINGLAB_TEST_VIDEODRIVER chooses SDL's driver (offscreen; x11 under a
# real X server: check-window-x11.sh).
set -uo pipefail
driver=${RINGLAB_TEST_VIDEODRIVER:-offscreen}
ringlab=$1
kernel=$2
check=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$(dirname "$0")/../guests" || exit 1
common=(--keys-in console/keys.txt --max-cycles 400000000)
SDL_VIDEODRIVER=$driver "$ringlab" run --display sdl --screenshot "$tmp/shot.bmp" --stats "$tmp/win.json" \
  --serial "$tmp/win.out" "${common[@]}" "$kernel" </dev/null
win=$?
"$ringlab" run --stats "$tmp/plain.json" --serial "$tmp/plain.out" "${common[@]}" "$kernel" </dev/null
plain=$?
fail=0
[[ $win == "$plain" ]] || { echo "FAIL: status $win with the window, $plain without"; fail=1; }
cmp -s "$tmp/win.json" "$tmp/plain.json" || { echo "FAIL: --stats differ with the window"; diff "$tmp/win.json" "$tmp/plain.json" | head; fail=1; }
cmp -s "$tmp/win.out" "$tmp/plain.out" || { echo "FAIL: serial output differs with the window"; fail=1; }
"$check" "$tmp/shot.bmp" console || { echo "FAIL: the window's screen is not the golden test card"; fail=1; }
((fail == 0)) && echo "ok ($driver): the window shows the golden test card and changes nothing (status $win)"
exit $fail
