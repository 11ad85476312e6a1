#!/usr/bin/env bash
# Observing a run changes nothing: a run paused every N cycles, and one
# paused at every instruction boundary (--pause-every N|step, the mechanism
# of the window, the gdb stub and --save-at), gives the same --stats, the
# same serial output and the same trace, byte for byte, as a run without.
#
#   check-pause.sh RINGLAB KERNEL [RINGLAB RUN OPTIONS...]
#
# Run from tests/guests (relative option paths).
set -uo pipefail
ringlab=$1
kernel=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for mode in none 997 4099 step; do
  extra=()
  [[ $mode != none ]] && extra=(--pause-every "$mode")
  "$ringlab" run --max-cycles 400000000 --serial "$tmp/$mode.out" --stats "$tmp/$mode.json" \
    --trace "$tmp/$mode.rtrace" "${extra[@]}" "$@" "$kernel" </dev/null 2>"$tmp/$mode.err"
  echo "$?" >"$tmp/$mode.status"
  if [[ $mode != none ]]; then
    for f in status out json rtrace; do
      if ! cmp -s "$tmp/none.$f" "$tmp/$mode.$f"; then
        echo "FAIL: --pause-every $mode changes the $f of $(basename "$kernel")"
        fail=1
      fi
    done
  fi
done
if ((fail == 0)); then
  echo "ok: $(basename "$kernel"): --pause-every 997, 4099 and step change nothing (status $(cat "$tmp/none.status"))"
fi
exit $fail
