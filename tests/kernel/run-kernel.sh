#!/usr/bin/env bash
# Boots the guest kernel with an initramfs and judges the run.
#
#   run-kernel.sh ringlab RINGLAB KERNEL INITRAMFS EXPECTED [KERNEL ARGS...]
#   run-kernel.sh qemu    -       KERNEL INITRAMFS EXPECTED [KERNEL ARGS...]
#
# Passes (exit 0) when the machine powers off with status KT_STATUS
# (default 0: init exited 0; `ringlab run` exits with it through the ops
# port, QEMU with (S << 1) | 1 through its debug-exit port) and the console
# output contains EXPECTED.
# The ringlab run is bounded by --max-cycles (RINGLAB_MAX_CYCLES, default
# 4e9), never by a wall-clock timeout of its own; RINGLAB_RUN_OPTIONS adds
# options to `ringlab run`. Exits 77 (ctest's skip)
# when qemu-system-i386 is missing.
set -uo pipefail
if (($# < 5)); then
  echo "usage: $0 ringlab|qemu RINGLAB KERNEL INITRAMFS EXPECTED [ARGS...]" >&2
  exit 2
fi
runner=$1 ringlab=$2 kernel=$3 initramfs=$4 expected=$5
shift 5
out=$(mktemp)
trap 'rm -f "$out"' EXIT

if [[ $runner == ringlab ]]; then
  # shellcheck disable=SC2086 # RINGLAB_RUN_OPTIONS: more options, split on spaces
  "$ringlab" run --max-cycles "${RINGLAB_MAX_CYCLES:-4000000000}" --serial "$out" \
    ${RINGLAB_RUN_OPTIONS:-} --module "$initramfs" "$kernel" -- "$@" </dev/null
  status=$?
  want=${KT_STATUS:-0}
else
  if ! command -v qemu-system-i386 >/dev/null 2>&1; then
    echo "skip: qemu-system-i386 is not installed"
    exit 77
  fi
  timeout 120 qemu-system-i386 -nographic -no-reboot -nic none -m 128 \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$kernel" -initrd "$initramfs" \
    -append "$*" </dev/null >"$out" 2>&1
  status=$?
  want=$(((${KT_STATUS:-0} << 1) | 1))
fi
echo "--- console ($runner, status $status) ---"
cat "$out"
echo "--- end ---"
if ((status != want)); then
  echo "fail: status $status, expected $want"
  exit 1
fi
if ! grep -qF -- "$expected" "$out"; then
  echo "fail: output lacks \"$expected\""
  exit 1
fi
echo pass
