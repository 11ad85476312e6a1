#!/usr/bin/env bash
# Builds everything with ASan and UBSan in build/test and runs every test
# (ctest: cmocka unit tests, conformance, guest kernels under QEMU).
# Extra arguments go to ctest (e.g. -R mmu).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build/test -DRINGLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS_DEBUG="-O1 -g"
cmake --build build/test -j2

status=0
ctest --test-dir build/test -j2 --output-on-failure "$@" || status=$?
exit "$status"
