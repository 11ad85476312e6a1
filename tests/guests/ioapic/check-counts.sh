#!/usr/bin/env bash
# The APICs' counters (trace/events.def: ioapic_message.N, apic_eoi.N and
# the CPU's irq.N): under ringlab the ioapic kernel's --stats show every
# message the I/O APIC sent for its PIT (vectors 0x60, 0x61) and RTC (0x68)
# entries delivered once and ended by one EOI, so the three counters agree
# vector by vector; and its NMI and ExtINT entries' messages (vector field
# 0) are counted too.
#
#   check-counts.sh RINGLAB KERNEL
set -uo pipefail
if (($# != 2)); then
  echo "usage: $0 RINGLAB KERNEL" >&2
  exit 2
fi
ringlab=$1
kernel=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$ringlab" run --max-cycles 100000000 --serial "$dir/serial" --stats "$dir/stats.json" "$kernel" </dev/null
status=$?
tail -1 "$dir/serial"
if ((status != 1)); then
  echo "fail: ringlab exit status $status, expected 1 (verdict 0)"
  exit 1
fi
events=$(sed -n '/^\t"events":/,/^\t}/p' "$dir/stats.json")
value() {
  local v
  v=$(printf '%s\n' "$events" | sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([0-9]*\),\{0,1\}$/\1/p")
  echo "${v:-0}"
}
fail=0
for v in 96 97 104; do
  m=$(value "ioapic_message.$v") i=$(value "irq.$v") e=$(value "apic_eoi.$v")
  if ((m > 0 && m == i && i == e)); then
    echo "  ok   vector $v: $m messages, $i interrupts, $e EOIs"
  else
    echo "  FAIL vector $v: $m messages, $i interrupts, $e EOIs (want equal, nonzero)"
    fail=1
  fi
done
n=$(value "ioapic_message.0")
if ((n >= 2)); then
  echo "  ok   NMI and ExtINT entries: $n messages"
else
  echo "  FAIL NMI and ExtINT entries: $n messages (want at least 2)"
  fail=1
fi
exit $fail
