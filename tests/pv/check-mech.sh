#!/usr/bin/env bash
# Runs pv_mech as init of the paravirtualized kernel under ringlab with
# --stats and checks its regions' counters (prog/pv_mech.c says what each
# region holds; tests/pv/CMakeLists.txt lists the expectations).
#
#   check-mech.sh RINGLAB HV KERNEL-XEN INITRAMFS CHECKER EXPECTATION...
set -uo pipefail
ringlab=$1 hv=$2 kernel=$3 initramfs=$4 checker=$5
shift 5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$ringlab" run --max-cycles 4000000000 --serial "$dir/serial" --stats "$dir/stats.json" \
  --module "$kernel=init=/bin/pv_mech" --module "$initramfs" "$hv" -- dom_mem=64M </dev/null
status=$?
cat "$dir/serial"
if ((status != 1)) || ! grep -q "pv_mech: PASS" "$dir/serial"; then
  echo "fail: status $status (want 1, every domain powered off) or no PASS"
  exit 1
fi
"$checker" "$dir/stats.json" "$@"
