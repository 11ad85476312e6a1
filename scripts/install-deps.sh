#!/usr/bin/env bash
# Installs the Debian 12 packages ringlab needs to build and test. Idempotent:
# when every package is already installed it says so and changes nothing.
#
#   scripts/install-deps.sh [EXTRA-PACKAGE...]
#
# Extra packages (the fuzzing toolchain, say) are checked and installed the
# same way as the build's own.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git gcc-multilib
  libsdl2-dev libelf-dev zlib1g-dev libcmocka-dev libcapstone-dev
  libinih-dev libcjson-dev qemu-system-x86 libxen-dev cpio gnuplot-nox
  console-data gdb xvfb
  "$@"
)
# console-data: the VGA font the window's built-in font is generated from
# (display/); gdb: the gdb stub's test drives Debian's gdb; xvfb: a real X
# server for the window's test under X11 (SDL's offscreen driver needs none).

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != installed ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps: missing ${missing[*]} and not root (no sudo to install them)" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
