#!/usr/bin/env bash
# Packs the kernel tests' initramfs: a "newc" cpio archive of the given
# programs under /bin, the same bytes on every build.
#   mkcpio.sh OUT.cpio PROGRAM...
set -euo pipefail
out=$1
shift
stage=$out.stage
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/sbin" "$stage/dev" "$stage/tmp"
for p in "$@"; do
  cp "$p" "$stage/bin/"
  chmod 0755 "$stage/bin/$(basename "$p")"
done
printf 'not an executable\n' >"$stage/bin/notelf"
chmod 0755 "$stage/bin/notelf"
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
  cpio --quiet -o -H newc --reproducible -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$stage"
