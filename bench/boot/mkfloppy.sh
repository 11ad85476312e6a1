#!/bin/sh
# bench/boot/mkfloppy.sh BOOTSECTOR PAYLOAD OUT - a 1.44 MB floppy image:
# the boot sector, then the payload (a flat image of at most the 120
# sectors floppy.S loads), zero-padded to 1474560 bytes.
set -eu
boot=$1 payload=$2 out=$3
bs=$(wc -c <"$boot")
ps=$(wc -c <"$payload")
[ "$bs" -eq 512 ] || { echo "mkfloppy: $boot is $bs bytes, not 512" >&2; exit 1; }
[ "$ps" -le 61440 ] || { echo "mkfloppy: $payload is $ps bytes, more than 120 sectors" >&2; exit 1; }
cat "$boot" "$payload" >"$out.tmp"
truncate -s 1474560 "$out.tmp"
if cmp -s "$out.tmp" "$out" 2>/dev/null; then rm -f "$out.tmp"; else mv "$out.tmp" "$out"; fi
