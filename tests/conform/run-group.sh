#!/bin/sh
# tests/conform/run-group.sh RINGLAB DEFAULT_DIR PATTERN...
#
# Runs `RINGLAB conform` on the vector files of one group: the files of the
# vector directory that match the shell patterns. The directory is
# $RINGLAB_CONFORMANCE_DIR when set, else DEFAULT_DIR; it is resolved here,
# at test time, so a build made where the vectors are absent still runs them
# when they appear. Without vectors the test exits 77, which ctest reports
# as skipped (SKIP_RETURN_CODE), never as passed.
set -u
if [ $# -lt 3 ]; then
  echo "usage: $0 RINGLAB DEFAULT_DIR PATTERN..." >&2
  exit 2
fi
ringlab=$1
dir=${RINGLAB_CONFORMANCE_DIR:-$2}
shift 2

if [ ! -d "$dir" ]; then
  echo "run-group: no vector directory $dir (set RINGLAB_CONFORMANCE_DIR); skipped"
  exit 77
fi

files=
for pattern in "$@"; do
  for f in "$dir"/$pattern; do
    [ -f "$f" ] && files="$files
$f"
  done
done
if [ -z "$files" ]; then
  echo "run-group: no files match $* in $dir; skipped"
  exit 77
fi

# One path a line, so directory names with blanks survive.
IFS='
'
# shellcheck disable=SC2086
exec "$ringlab" conform $files
