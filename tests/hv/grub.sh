#!/usr/bin/env bash
# Debian's GRUB for Xen (grub-xen-bin's i386-xen: someone else's 32-bit PAE
# PV kernel) on the hypervisor, unchanged. The images are made from the
# packages scripts/grub-xen.sh fetched into BUILD_DIR/grub-xen; without
# them the test is skipped (exit 77) and says how to fetch them.
#
#   grub.sh SCENARIO RUNNER BUILD_DIR HV_ELF [RINGLAB] [DOM0_GUEST]
#
# RUNNER ringlab or qemu (qemu-system-i386 -kernel HV -initrd "...").
# SCENARIO:
#   domu        GRUB alone, an unprivileged domain (dom0less): it prints its
#               markers, lists the memdisk, reads the store (xen_cat, xen_ls)
#               and the memory map, and halts: SCHEDOP_shutdown poweroff,
#               verdict 0
#   beside_dom0 the usual Xen set-up: DOM0_GUEST (a PV test guest) is domain
#               0, GRUB domain 1; both power off, verdict 0
#   dom0        GRUB as domain 0 (ringlab): GRUB's Xen port takes its console
#               from start_info's console.domU, which for domain 0 is
#               console.dom0 (info_off 0): it maps machine frame 0 as its
#               console ring (the first megabyte is I/O memory dom0 may map,
#               as on Xen) and then yields for ever waiting for a console
#               back end that no Xen gives domain 0. Checked: its page tables
#               validate and it runs on, unharmed, never crashing, until
#               --max-cycles ends the run
#   refuse64    the x86_64-xen image: refused with one line (64-bit)
#   refusepvh   the i386-xen_pvh image: refused with one line (PVH)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if (($# < 4)); then
  echo "usage: $0 SCENARIO ringlab|qemu BUILD_DIR HV_ELF [RINGLAB] [DOM0_GUEST]" >&2
  exit 2
fi
scenario=$1 runner=$2 build=$3 hv=$4 ringlab=${5:-} dom0=${6:-}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$here/../../scripts/grub-xen.sh" image "$build" "$dir"
rc=$?
if ((rc == 77)); then
  echo "skip: Debian's GRUB for Xen is not fetched: run scripts/grub-xen.sh $build (scripts/test.sh does)"
  exit 77
elif ((rc != 0)); then
  echo "fail: grub-mkimage failed"
  exit 1
fi
if [[ $runner == qemu ]] && ! command -v qemu-system-i386 >/dev/null 2>&1; then
  echo "skip: qemu-system-i386 is not installed (Debian package qemu-system-x86)"
  exit 77
fi

grub=$dir/grub-i386-xen.elf
serial=$dir/serial
modules=() append=() cycles=200000000 want=1
case $scenario in
  domu) modules=("$grub") append=(dom0less) ;;
  beside_dom0) modules=("$dom0" "$grub") ;;
  dom0) modules=("$grub") cycles=60000000 want=67 ;;
  refuse64) modules=("$dir/grub-x86_64-xen.elf") want=19 ;;
  refusepvh) modules=("$dir/grub-i386-xen_pvh.elf") want=19 ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac

if [[ $runner == ringlab ]]; then
  margs=()
  for m in "${modules[@]}"; do margs+=("--module=$m"); done
  "$ringlab" run --max-cycles "$cycles" --serial "$serial" --stats "$dir/stats.json" "${margs[@]}" "$hv" \
    ${append[@]+-- "${append[@]}"} </dev/null 2>"$dir/err"
  status=$?
else
  initrd=$(IFS=,; echo "${modules[*]}")
  timeout 60 qemu-system-i386 -nographic -no-reboot -nic none -m 128 \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$hv" -initrd "$initrd" \
    ${append[@]+-append "${append[*]}"} </dev/null >"$serial" 2>&1
  status=$?
fi
echo "--- serial output ($scenario, $runner) ---"
cat "$serial"
echo "--- end (exit status $status) ---"
[[ -s $dir/err ]] && cat "$dir/err"

fail=0
expect_status() {
  if ((status != $1)); then
    echo "fail: exit status $status, expected $1"
    fail=1
  fi
}
# The serial output holds LINE exactly (after the hypervisor's own edits:
# "(dN) " prefixes, escape bytes shown as '?').
line() {
  if grep -qxF -- "$1" "$serial"; then
    echo "  ok   \"$1\""
  else
    echo "  FAIL no line \"$1\""
    fail=1
  fi
}
lines_matching() {
  if grep -qxE -- "$1" "$serial"; then
    echo "  ok   /$1/"
  else
    echo "  FAIL no line matching /$1/"
    fail=1
  fi
}
absent() {
  if grep -qF -- "$1" "$serial"; then
    echo "  FAIL \"$1\" is there"
    fail=1
  else
    echo "  ok   no \"$1\""
  fi
}
# What GRUB's embedded configuration (tests/hv/grub/early.cfg) prints, as
# domain D, in order.
grub_ran() {
  local d=$1 p="($1) "
  lines_matching "\(${d}\) .*pvgrub: GRUB is up" # after GRUB's terminal escapes
  line "$p(memdisk) "
  line "${p}README boot/ "
  line "${p}pvgrub: read from the memdisk"
  line "$p${d#d}"  # xen_cat domid: the store's answer
  line "$p$d"      # xen_cat name
  line "${p}name"  # xen_ls /local/domain/D
  line "${p}domid"
  line "${p}memory"
  line "${p}console"
  lines_matching "\(${d}\) base_addr = 0x0, length = 0x[0-9a-f]+, available RAM"
  line "${p}pvgrub: done"
  # in that order
  if ! grep -F -- "$p" "$serial" | grep -A1000 -F 'pvgrub: GRUB is up' | grep -q -F 'pvgrub: done'; then
    echo "  FAIL the markers are out of order"
    fail=1
  fi
}

case $scenario in
  domu)
    expect_status 1
    grub_ran d0
    line "(XEN) domain 0 shut down: poweroff"
    line "(XEN) all domains are gone: verdict 0"
    ;;
  beside_dom0)
    expect_status 1
    grub_ran d1
    line "xen_hello: PASS"
    line "(XEN) domain 1 shut down: poweroff"
    line "(XEN) all domains are gone: verdict 0"
    ;;
  dom0)
    expect_status 67
    lines_matching '\(XEN\) domain 0: .*grub-i386-xen\.elf \(GRUB, xen-3\.0\) .*'
    absent "crashed"
    absent "all domains are gone"
    # Its page tables validated (no failed hypercall before its console
    # loop) and it is yielding, waiting for the console ring to drain.
    yields=$(sed -n 's/^[[:space:]]*"hypercall\.29":[[:space:]]*\([0-9]*\),\{0,1\}$/\1/p' "$dir/stats.json" | head -1)
    if ((${yields:-0} >= 10000)); then
      echo "  ok   $yields sched_op calls (yield, waiting for a console back end)"
    else
      echo "  FAIL ${yields:-0} sched_op calls, expected at least 10000"
      fail=1
    fi
    ;;
  refuse64)
    expect_status 19
    lines_matching '\(XEN\) domain 0: .*grub-x86_64-xen\.elf: not a 32-bit little-endian i386 ELF \(a 64-bit kernel cannot run on 32-bit PAE Xen\)'
    ;;
  refusepvh)
    expect_status 19
    lines_matching "\(XEN\) domain 0: .*grub-i386-xen_pvh\.elf: built for loader '', guest OS '': only the generic loader or Linux images load here \(a PVH image.*"
    ;;
esac
if ((fail)); then
  echo "fail"
  exit 1
fi
echo "pass"
