#!/usr/bin/env bash
# Fuzzes the hypervisor for as long as asked: runs the fuzzing guest
# (tests/guests/xen/fuzz) beside the victim guest with the hypervisor's
# audit of every frame's counts, seed after seed, and stops at the first
# run that does not end with verdict 0 (every domain shut down cleanly,
# the audit held, the victim's memory and time intact). ctest runs one
# seed of 50,000 calls (guest_xen_fuzz_ringlab); this runs millions.
#
#   tests/hv/fuzz.sh BUILD_DIR [FIRST_SEED [SEEDS [CALLS_PER_SEED]]]
#
# e.g. tests/hv/fuzz.sh build/release 1 40 100000   (4 million calls)
set -uo pipefail
build=${1:?usage: $0 BUILD_DIR [FIRST_SEED [SEEDS [CALLS]]]}
first=${2:-1}
seeds=${3:-10}
calls=${4:-100000}
ringlab=$build/machine/ringlab
hv=$build/hv/hv.elf
fuzz=$build/guests/xen_fuzz.elf
victim=$build/guests/xen_victim.elf
for ((s = first; s < first + seeds; s++)); do
  out=$(mktemp)
  "$ringlab" run --max-cycles 20000000000 --serial "$out" --module "$fuzz=$s $calls" --module "$victim=100" \
    "$hv" -- dom0less audit=1000 </dev/null
  status=$?
  if ((status != 1)) || ! grep -q "xen_fuzz: PASS" "$out" || ! grep -q "xen_victim: PASS" "$out"; then
    cat "$out"
    echo "fuzz.sh: seed $s failed (ringlab status $status); rerun: $ringlab run --module '$fuzz=$s $calls' --module '$victim=100' $hv -- dom0less audit=1000"
    rm -f "$out"
    exit 1
  fi
  echo "fuzz.sh: seed $s: $calls calls, audit held, victim intact"
  rm -f "$out"
done
echo "fuzz.sh: $seeds seeds, $((seeds * calls)) calls: no failure"
