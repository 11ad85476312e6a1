#!/usr/bin/env bash
# Fuzzes ringlab with libFuzzer (clang), under ASan and UBSan. Not part of CI.
#
#   scripts/fuzz.sh [cpu|moo] [SECONDS] [libFuzzer options...]
#
# cpu (the default) feeds random bytes as code to the CPU in real and flat
# protected mode (fuzz/fuzz_cpu.c); moo feeds them to the MOO test-vector
# reader (fuzz/fuzz_moo.c). SECONDS (default 600) bounds the run
# (-max_total_time). Further arguments go to the fuzzer (e.g. -jobs=2).
#
# Installs clang and the libFuzzer runtime if missing, configures build/fuzz
# with clang and the whole build instrumented, builds the harness, writes a
# few hand-made seed inputs to build/fuzz/seeds-TARGET, and fuzzes with the
# corpus in build/fuzz/corpus-TARGET (kept between runs). Crashes, leaks and
# timeouts land in build/fuzz/artifacts-TARGET/. The log is
# build/fuzz/fuzz-TARGET.log; the final stats are printed at the end.
# Exit status: the fuzzer's (0: nothing found).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=${1:-cpu}
seconds=${2:-600}
shift $(($# > 2 ? 2 : $#))
case "$target" in
cpu | moo) ;;
*)
  echo "usage: scripts/fuzz.sh [cpu|moo] [SECONDS] [libFuzzer options...]" >&2
  exit 2
  ;;
esac
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "fuzz: SECONDS must be a positive whole number, not '$seconds'" >&2
  exit 2
fi

# --- packages: the build's own, and clang with its libFuzzer runtime --------
scripts/install-deps.sh clang libclang-rt-14-dev

# --- build ------------------------------------------------------------------
build=build/fuzz
CC=clang cmake -S . -B "$build" -DRINGLAB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  >/dev/null
cmake --build "$build" -j2 --target "fuzz_$target"

# --- seeds --------------------------------------------------------------------
seeds=$build/seeds-$target
corpus=$build/corpus-$target
artifacts=$build/artifacts-$target
mkdir -p "$corpus" "$artifacts"

fuzz/make-seeds.sh "$target" "$seeds"

# --- run --------------------------------------------------------------------
log=$build/fuzz-$target.log
echo "fuzz: fuzz_$target for ${seconds}s, corpus $corpus, log $log"
status=0
"$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=4096 -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" \
  "$corpus" "$seeds" >"$log" 2>&1 || status=$?

echo "fuzz: final stats (fuzz_$target, exit status $status):"
# The last status line: "#N DONE cov: ..." or, with -fork=N, "#N: cov: ...".
grep -E '^#[0-9]+(:|[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED))' "$log" | tail -n 1 || true
grep -E '^stat::' "$log" || true
if ((status != 0)); then
  grep -E 'ERROR: |SUMMARY: |Test unit written to' "$log" || true
  echo "fuzz: fuzz_$target found a problem; see $log and $artifacts/" >&2
fi
exit "$status"
