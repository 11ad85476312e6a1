#!/usr/bin/env bash
# Runs ringlab's x87 against the host's own x87 for millions of cases.
#
#   scripts/x87-diff.sh [CASES] [SEED] [x87_diff options...]
#
# CASES (default 5,000,000) random x87 states and instructions, every x87
# row of the opcode table, each run on the host's x87 and on ringlab's and
# compared bit for bit (tests/cpu/x87_diff.c says what is compared and what
# difference is accepted, and counts each). SEED (default 1) picks the
# random sequence: the same seed gives the same cases. Further options go
# to x87_diff (--only ROW, --show N). Builds an optimized, unsanitized tree
# in build/x87diff (the sanitized test build runs the ctest's 100,000 cases).
# x86 hosts only. Exit status: x87_diff's (0: no failure).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cases=${1:-5000000}
seed=${2:-1}
shift $(($# > 2 ? 2 : $#))

case "$(uname -m)" in
x86_64 | amd64) ;;
*)
  echo "x87-diff: the host is $(uname -m), not x86: nothing to compare against" >&2
  exit 77
  ;;
esac

cmake -S . -B build/x87diff -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/x87diff -j2 --target x87_diff >/dev/null
exec build/x87diff/tests/cpu/x87_diff --cases "$cases" --seed "$seed" "$@"
