#!/usr/bin/env bash
# Boots the paravirtualized kernel as domain 0 of our hypervisor, with an
# initramfs as its initrd, and judges the run.
#
#   run-xen.sh ringlab RINGLAB HV KERNEL-XEN INITRAMFS EXPECTED [KERNEL ARGS...]
#   run-xen.sh qemu    -       HV KERNEL-XEN INITRAMFS EXPECTED [KERNEL ARGS...]
#
# Passes (exit 0) when every domain powered off (the hypervisor's verdict
# 0: `ringlab run` and QEMU both exit with (0 << 1) | 1 = 1; init exited 0,
# the kernel's SCHEDOP_shutdown(poweroff)) and the console contains
# EXPECTED. The hypervisor gives domain 0 HV_OPTIONS (default
# dom_mem=64M). The ringlab run is bounded by --max-cycles
# (RINGLAB_MAX_CYCLES, default 8e9), never by a wall-clock timeout of its
# own. Exits 77 (ctest's skip) when qemu-system-i386 is missing.
set -uo pipefail
if (($# < 6)); then
  echo "usage: $0 ringlab|qemu RINGLAB HV KERNEL-XEN INITRAMFS EXPECTED [ARGS...]" >&2
  exit 2
fi
runner=$1 ringlab=$2 hv=$3 kernel=$4 initramfs=$5 expected=$6
shift 6
hv_options=${HV_OPTIONS:-dom_mem=64M}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

if [[ $runner == ringlab ]]; then
  # shellcheck disable=SC2086 # HV_OPTIONS: words for the hypervisor
  "$ringlab" run --max-cycles "${RINGLAB_MAX_CYCLES:-8000000000}" --serial "$out" \
    --module "$kernel=$*" --module "$initramfs" "$hv" -- $hv_options </dev/null
  status=$?
else
  if ! command -v qemu-system-i386 >/dev/null 2>&1; then
    echo "skip: qemu-system-i386 is not installed"
    exit 77
  fi
  timeout 120 qemu-system-i386 -nographic -no-reboot -nic none -m 128 \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$hv" \
    -initrd "$kernel $*,$initramfs" -append "$hv_options" </dev/null >"$out" 2>&1
  status=$?
fi
echo "--- console ($runner, status $status) ---"
cat "$out"
echo "--- end ---"
if ((status != 1)); then
  echo "fail: status $status, expected 1 (the hypervisor's verdict 0: every domain powered off)"
  exit 1
fi
if ! grep -qF -- "$expected" "$out"; then
  echo "fail: output lacks \"$expected\""
  exit 1
fi
echo pass
