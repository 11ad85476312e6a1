#!/usr/bin/env bash
# The main job: installs what is missing, builds ringlab optimized in
# build/release and runs the Xen paper's experiment (README "Reproducing
# the Xen paper"): `ringlab bench lmbench` boots the guest kernel natively
# (L) and paravirtualized as domain 0 of our hypervisor (X), side by side,
# and prints Tables 3-5 with the paper's figures, the ratios and the
# mechanisms per operation. It also writes build/release/lmbench.csv and,
# with gnuplot installed, the plot build/release/lmbench.svg. The full run
# takes about a minute here.
#
#   scripts/run.sh [--quick] [ringlab bench lmbench options...]
#       --quick: short iteration counts (seconds; a smoke test, not a
#       measurement); other options go to ringlab bench lmbench (e.g.
#       --compare --tlb-tagged, --timing p6, --trace-dir DIR).
#   scripts/run.sh --counters [ringlab conform options...]
#       what the main job was before: boots the default machine (128 MiB
#       PC, p6 timing) with the combined workload kernel and prints its
#       counters and results, then runs the instruction conformance vectors
#       (extra arguments go to `ringlab conform`).
#
#   RINGLAB_CONFORMANCE_DIR  folder of *.MOO.gz vectors (--counters)
#                            (default ../shared/conformance/80286/v1_real_mode)
set -euo pipefail
if [[ -n "${RINGLAB_CONFORMANCE_DIR:-}" ]]; then
  # Taken relative to where the script was started, not the repo root.
  RINGLAB_CONFORMANCE_DIR=$(realpath -m -- "$RINGLAB_CONFORMANCE_DIR")
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."

counters=0
if [[ ${1:-} == --counters ]]; then
  counters=1
  shift
fi

scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j2

ringlab=build/release/machine/ringlab
"$ringlab" --version

if ((!counters)); then
  plot=()
  if command -v gnuplot >/dev/null 2>&1; then
    plot=(--plot build/release/lmbench.svg)
  fi
  echo "run: ringlab bench lmbench $* (L and X side by side; progress on stderr)"
  exec "$ringlab" bench lmbench --csv build/release/lmbench.csv "${plot[@]}" "$@"
fi

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
