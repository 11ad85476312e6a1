#!/usr/bin/env bash
# Builds everything with ASan and UBSan in build/test, fetches Debian's GRUB
# for Xen (scripts/grub-xen.sh) and runs every test (ctest: cmocka unit
# tests, conformance, guest kernels under QEMU).
# Extra arguments go to ctest (e.g. -R mmu).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build/test -DRINGLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS_DEBUG="-O1 -g"
cmake --build build/test -j2
# Debian's GRUB for Xen, booted on the hypervisor by the hv_grub_* tests:
# about 4 MB from Debian's archive, a few seconds; if the archive cannot be
# reached those tests are skipped and say so, nothing fails here.
scripts/grub-xen.sh build/test ||
  echo "test.sh: could not fetch Debian's GRUB for Xen; the hv_grub_* tests will be skipped" >&2

status=0
ctest --test-dir build/test -j2 --output-on-failure "$@" || status=$?
exit "$status"
