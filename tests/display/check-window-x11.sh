#!/usr/bin/env bash
# check-window.sh under a real X server (Xvfb, Debian's xvfb, through
# xvfb-run) with SDL's X11 driver: the same golden test card and the same
# run. Skipped (77) where xvfb-run is missing.
#
#   check-window-x11.sh RINGLAB CONSOLE.elf CHECK_SCREENSHOT
set -uo pipefail
if ! command -v xvfb-run >/dev/null 2>&1; then
  echo "skip: no xvfb-run (Debian's xvfb; scripts/install-deps.sh installs it)"
  exit 77
fi
exec xvfb-run -a -s "-screen 0 1280x600x24 -nolisten tcp" \
  env RINGLAB_TEST_VIDEODRIVER=x11 "$(dirname "$0")/check-window.sh" "$@"
