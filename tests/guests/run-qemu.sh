#!/usr/bin/env bash
# Runs a test kernel under QEMU and judges it.
#
#   run-qemu.sh KERNEL EXPECTED_SERIAL_SUBSTRING [QEMU_OPTIONS...]
#
# QEMU_OPTIONS (from the manifest's fifth column, e.g. -append and -initrd)
# go after -kernel.
# Passes (exit 0) when the kernel wrote verdict 0 to the exit port (QEMU then
# exits with (0 << 1) | 1 = 1) and its serial output contains the expected
# text. Exits 77 (ctest's SKIP_RETURN_CODE) when qemu-system-i386 is missing.
set -uo pipefail

if (($# < 2)); then
  echo "usage: $0 KERNEL EXPECTED_SERIAL_SUBSTRING [QEMU_OPTIONS...]" >&2
  exit 2
fi
kernel=$1
expected=$2
shift 2

if ! command -v qemu-system-i386 >/dev/null 2>&1; then
  echo "skip: qemu-system-i386 is not installed (Debian package qemu-system-x86)"
  exit 77
fi
if [[ ! -f "$kernel" ]]; then
  echo "fail: no kernel at $kernel"
  exit 1
fi

serial=$(mktemp)
trap 'rm -f "$serial"' EXIT

timeout 60 qemu-system-i386 -nographic -no-reboot -nic none -m 128 \
  -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$kernel" "$@" \
  </dev/null >"$serial" 2>&1
status=$?

echo "--- serial output of $(basename "$kernel") ---"
cat "$serial"
echo "--- end (qemu exit status $status) ---"

case $status in
  1) ;; # verdict 0: pass
  124) echo "fail: timed out after 60 s"; exit 1 ;;
  0) echo "fail: machine reset or triple fault before a verdict"; exit 1 ;;
  *)
    if ((status & 1)); then
      echo "fail: kernel reported verdict $((status >> 1))"
    else
      echo "fail: qemu-system-i386 failed (status $status)"
    fi
    exit 1
    ;;
esac

if ! grep -qF -- "$expected" "$serial"; then
  echo "fail: serial output lacks \"$expected\""
  exit 1
fi
echo "pass"
