#!/usr/bin/env bash
# Debian's GRUB for Xen PV guests, as a kernel for the hypervisor (hv/):
# someone else's 32-bit PAE PV kernel, booted unchanged.
#
#   scripts/grub-xen.sh [fetch] BUILD_DIR    fetch, extract, build the images
#   scripts/grub-xen.sh image BUILD_DIR OUT  build the images into OUT from
#                                            what fetch extracted (exit 77
#                                            when it has not run)
#
# fetch: `apt-get download` of grub-xen-bin (GRUB's Xen platforms: the
# i386-xen modules, i386-xen_pvh and x86_64-xen) and grub-common
# (grub-mkimage) into BUILD_DIR/grub-xen/debs, `dpkg-deb -x` into
# BUILD_DIR/grub-xen/root. Nothing is installed. A second run with the same
# versions downloads nothing (apt-get download keeps the files; the
# extraction is redone only when a .deb changed).
#
# image: grub-mkimage (the extracted one) makes, in OUT:
#   grub-i386-xen.elf  -O i386-xen: a 32-bit PAE PV kernel (Xen notes:
#                      GUEST_OS GRUB, LOADER generic, XEN_VERSION xen-3.0,
#                      VIRT_BASE 0, ENTRY 0, PAE_MODE "yes"), with a memdisk
#                      (tests/hv/grub/memdisk as a tar) and the embedded
#                      configuration tests/hv/grub/early.cfg, which prints
#                      markers, lists the memdisk, the store and the memory
#                      map, and halts (SCHEDOP_shutdown, poweroff)
#   grub-x86_64-xen.elf, grub-i386-xen_pvh.elf  the same for the 64-bit PV
#                      and the PVH platforms, which this 32-bit PAE PV
#                      hypervisor refuses at build time with one line
# The memdisk tar is made reproducible (sorted names, fixed times, owners).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
packages=(grub-xen-bin grub-common)
modules=(memdisk tar echo ls cat lsxen lsmmap halt)

usage() {
  echo "usage: $0 [fetch] BUILD_DIR | $0 image BUILD_DIR OUT_DIR" >&2
  exit 2
}

cmd=fetch
if (($# >= 1)) && [[ $1 == fetch || $1 == image ]]; then
  cmd=$1
  shift
fi
(($# >= 1)) || usage
top=$1/grub-xen
root=$top/root

fetch() {
  mkdir -p "$top/debs"
  if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    echo "grub-xen: apt-get and dpkg-deb are needed (a Debian machine)" >&2
    return 1
  fi
  # apt-get download needs the package lists; on a machine where they were
  # never fetched, fetch them once (root only) and try again.
  # Bounded, so that an unreachable archive cannot hang a test run.
  if ! (cd "$top/debs" && timeout 300 apt-get download -q -o APT::Sandbox::User=root "${packages[@]}"); then
    if ((EUID == 0)); then
      timeout 300 apt-get update -q >/dev/null
      (cd "$top/debs" && timeout 300 apt-get download -q -o APT::Sandbox::User=root "${packages[@]}")
    else
      echo "grub-xen: apt-get download failed (run apt-get update as root?)" >&2
      return 1
    fi
  fi
  # One version of each package: the newest file downloaded.
  local stamp="" p deb
  for p in "${packages[@]}"; do
    deb=$(ls -t "$top/debs/${p}_"*.deb | head -1)
    stamp+="$(basename "$deb") "
  done
  if [[ ! -f $top/extracted || $(cat "$top/extracted") != "$stamp" ]]; then
    rm -rf "$root"
    mkdir -p "$root"
    for deb in $stamp; do
      dpkg-deb -x "$top/debs/$deb" "$root"
    done
    echo "$stamp" >"$top/extracted"
  fi
  echo "grub-xen: $stamp-> $root"
}

image() {
  local out=$1
  if [[ ! -x $root/usr/bin/grub-mkimage || ! -d $root/usr/lib/grub/i386-xen ]]; then
    echo "grub-xen: Debian's GRUB for Xen is not fetched into $top (run scripts/grub-xen.sh $(dirname "$top"))"
    return 77
  fi
  mkdir -p "$out"
  local tar=$out/memdisk.tar
  tar -C "$here/tests/hv/grub/memdisk" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --format=ustar -cf "$tar" .
  local platform m
  for platform in i386-xen x86_64-xen i386-xen_pvh; do
    local dir=$root/usr/lib/grub/$platform have=()
    for m in "${modules[@]}"; do
      [[ -f $dir/$m.mod ]] && have+=("$m") # PVH has no lsxen
    done
    if ! "$root/usr/bin/grub-mkimage" -O "$platform" -d "$dir" -o "$out/grub-$platform.elf" -m "$tar" \
      -c "$here/tests/hv/grub/early.cfg" -p '(memdisk)/boot' "${have[@]}"; then
      rm -f "$out/grub-$platform.elf"
      return 1
    fi
  done
}

case $cmd in
  fetch)
    (($# == 1)) || usage
    fetch
    image "$top"
    echo "grub-xen: images in $top: grub-i386-xen.elf (the PV kernel), grub-x86_64-xen.elf, grub-i386-xen_pvh.elf"
    ;;
  image)
    (($# == 2)) || usage
    image "$2"
    ;;
esac
