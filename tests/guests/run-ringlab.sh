#!/usr/bin/env bash
# Runs a test kernel under ringlab and judges it.
#
#   run-ringlab.sh RINGLAB KERNEL EXPECTED_SERIAL_SUBSTRING [EXPECTED_STATUS [RINGLAB_RUN_OPTIONS...]]
#
# Passes (exit 0) when `ringlab run` ends with EXPECTED_STATUS (default 1:
# verdict 0 on the exit port, as under QEMU) and the serial output contains
# the expected text. The run is bounded by --max-cycles (status 67), never
# by a wall-clock timeout of its own. Options after a "--" are the kernel's
# arguments (`ringlab run [options] KERNEL -- args`).
set -uo pipefail

if (($# < 3)); then
  echo "usage: $0 RINGLAB KERNEL EXPECTED_SERIAL_SUBSTRING [EXPECTED_STATUS [OPTIONS...]]" >&2
  exit 2
fi
ringlab=$1
kernel=$2
expected=$3
want=${4:-1}
shift $(($# < 4 ? $# : 4))

serial=$(mktemp)
trap 'rm -f "$serial"' EXIT

before=()
after=()
while (($#)); do
  if [[ $1 == -- ]]; then
    after=("$@")
    break
  fi
  before+=("$1")
  shift
done

"$ringlab" run --max-cycles 100000000 --serial "$serial" "${before[@]}" "$kernel" "${after[@]}" </dev/null
status=$?

echo "--- serial output of $(basename "$kernel") ---"
cat "$serial"
echo "--- end (ringlab exit status $status) ---"

if ((status != want)); then
  if ((status & 1)) && ((status < 64)); then
    echo "fail: status $status (kernel verdict $((status >> 1))), expected $want"
  else
    echo "fail: status $status, expected $want"
  fi
  exit 1
fi
if ! grep -qF -- "$expected" "$serial"; then
  echo "fail: serial output lacks \"$expected\""
  exit 1
fi
echo "pass"
