#!/usr/bin/env bash
# The main job: builds ringlab optimized in build/release, boots the default
# machine (128 MiB PC, p6 timing) with the combined workload kernel (an ALU
# loop, memory traffic over 8 MiB with TLB misses, ring 3/0 round trips and
# CR3 reloads; bench/README.md) and prints its counters and results, then
# runs the instruction conformance vectors. Extra arguments go to
# `ringlab conform`, before the vector files.
#
#   RINGLAB_CONFORMANCE_DIR  folder of *.MOO.gz vectors
#                            (default ../shared/conformance/80286/v1_real_mode)
set -euo pipefail
if [[ -n "${RINGLAB_CONFORMANCE_DIR:-}" ]]; then
  # Taken relative to where the script was started, not the repo root.
  RINGLAB_CONFORMANCE_DIR=$(realpath -m -- "$RINGLAB_CONFORMANCE_DIR")
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j2

ringlab=build/release/machine/ringlab
"$ringlab" --version

# The default machine: what a run reports (--stats, README "Running a kernel").
stats=build/release/default-machine.json
echo "run: booting the default machine with bench_all_small.elf (--timing p6)"
"$ringlab" run --timing p6 --serial none --stats "$stats" build/release/guests/bench_all_small.elf
cat "$stats"
echo

conformance_dir=${RINGLAB_CONFORMANCE_DIR:-../shared/conformance/80286/v1_real_mode}
if [[ ! -d "$conformance_dir" ]]; then
  echo "run: no conformance vectors at $conformance_dir (set RINGLAB_CONFORMANCE_DIR); skipping"
  exit 0
fi
shopt -s nullglob
vectors=("$conformance_dir"/*.MOO.gz)
if ((${#vectors[@]} == 0)); then
  echo "run: no *.MOO.gz files in $conformance_dir; skipping"
  exit 0
fi
exec "$ringlab" conform "$@" "${vectors[@]}"
