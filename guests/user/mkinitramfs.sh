#!/usr/bin/env bash
# Packs the initramfs: a "newc" cpio archive (what Linux's initramfs and our
# kernel unpack) made by Debian's cpio from a list of entries.
#
#   mkinitramfs.sh OUT.cpio LIST
#
# LIST has one entry per line, "PATH MODE SOURCE": PATH inside the archive
# (absolute), MODE in octal, SOURCE a file to copy or "-" for a directory.
# The archive is the same bytes on every build: names sorted (C locale),
# owner and group 0, every mtime 0, inode numbers assigned in order and
# device numbers zeroed (cpio --reproducible). Written to OUT.tmp, then
# renamed.
set -euo pipefail
out=$1
list=$2
stage=$out.stage
rm -rf "$stage"
mkdir -p "$stage"
umask 022
while read -r path mode src; do
  [[ -z $path ]] && continue
  if [[ $src == - ]]; then
    mkdir -p "$stage$path"
  else
    mkdir -p "$(dirname "$stage$path")"
    cp "$src" "$stage$path"
  fi
  chmod "$mode" "$stage$path"
done <"$list"
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
  cpio --quiet -o -H newc --reproducible -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$stage"
