#!/usr/bin/env bash
# Both kernels are one source tree: every object of the core (everything
# outside arch/) is the same bytes in the native build and the Xen build,
# so no core file can know which layer it is linked with.
#
#   same-core.sh NATIVE_OBJECT_DIR XEN_OBJECT_DIR FILE...
set -uo pipefail
native=$1 xen=$2
shift 2
fail=0
for f in "$@"; do
  o=guests/kernel/$f.o
  if [[ ! -f $native/$o || ! -f $xen/$o ]]; then
    echo "FAIL $o: missing in one of the builds"
    fail=1
  elif cmp -s "$native/$o" "$xen/$o"; then
    echo "  same $o"
  else
    echo "FAIL $o differs between the native and the Xen build"
    fail=1
  fi
done
exit $fail
