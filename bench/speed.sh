#!/usr/bin/env bash
# bench/speed.sh - ringlab's speed side by side with QEMU and Bochs (issue 6).
#
#   bench/speed.sh [-n RUNS] [-b BUILD_DIR] [-w "alu mem ..."] [--no-qemu]
#                  [--no-bochs] [--no-install] [--no-callgrind] [--small]
#
# Runs each workload image (bench/workloads, built in BUILD_DIR, default
# build/bench: configure it with -DCMAKE_BUILD_TYPE=Release and no
# sanitizers) on every runner found, interleaved (run k of every workload on
# every runner before run k+1), RUNS times (default 5):
#   ringlab       `ringlab run` with the default preset (p6), every counter on
#   qemu          qemu-system-i386 TCG, -kernel (Multiboot)
#   qemu-icount   the same with -icount shift=0
#   bochs         Debian's bochs 2.7 (debugger build), from a floppy image
#                 (bench/boot/floppy.S); installed here through
#                 scripts/install-deps.sh unless --no-install
# and prints, per runner, the median wall seconds of each image, guest MIPS
# (the workload's measured instructions over its median time minus the null
# image's: boot time subtracted), ns per ring round trip and per CR3
# iteration (same subtraction), and ringlab's speed relative to each peer
# (peer's net time / ringlab's: above 1, ringlab is faster). Then host
# instructions per guest instruction of ringlab from valgrind's callgrind on
# the small variants ((Ir(image) - Ir(null)) / (guest instructions(image) -
# guest instructions(null)), exact and repeatable on a noisy machine).
#
# --small times the small variants instead (a quick check of the script).
#
# Also checks that every runner's workloads give ringlab's checksums (a peer
# that computes something else is not measuring the same work). Raw times go
# to BUILD_DIR/bench-results/times.tsv, the table to
# BUILD_DIR/bench-results/table.md.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
runs=5
build=$root/build/bench
workloads="alu mem ring cr3 all"
use_qemu=1 use_bochs=1 install=1 use_callgrind=1 small=
while (($#)); do
  case $1 in
    -n) runs=$2; shift 2 ;;
    -b) build=$(cd "$2" && pwd); shift 2 ;;
    -w) workloads=$2; shift 2 ;;
    --no-qemu) use_qemu=0; shift ;;
    --no-bochs) use_bochs=0; shift ;;
    --no-install) install=0; shift ;;
    --no-callgrind) use_callgrind=0; shift ;;
    --small) small=_small; shift ;;
    -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "speed: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

ringlab=$build/machine/ringlab
guests=$build/guests
floppies=$build/bench/floppy
checker=$build/bench/bench_check_stats
for f in "$ringlab" "$checker" "$guests/bench_null.elf"; do
  if [[ ! -e $f ]]; then
    echo "speed: $f missing; build first:" >&2
    echo "  cmake -S $root -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build -j2" >&2
    exit 1
  fi
done
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
san=$(sed -n 's/^RINGLAB_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt")
if [[ $btype != Release || $san == ON ]]; then
  echo "speed: warning: $build is a $btype build (sanitizers ${san:-OFF}); time a Release build without sanitizers" >&2
fi

out=$build/bench-results
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

runners=(ringlab)
if ((use_qemu)) && command -v qemu-system-i386 >/dev/null; then
  runners+=(qemu qemu-icount)
elif ((use_qemu)); then
  echo "speed: qemu-system-i386 not installed (Debian qemu-system-x86): no QEMU columns" >&2
fi
if ((use_bochs)); then
  if ((install)) && ! command -v bochs >/dev/null; then
    "$root/scripts/install-deps.sh" bochs bochs-term bochsbios vgabios >&2 ||
      echo "speed: could not install bochs" >&2
  fi
  if command -v bochs >/dev/null && [[ -e $floppies/bench_null.img ]]; then
    runners+=(bochs)
  else
    echo "speed: bochs (or the floppy images) missing: no Bochs column" >&2
  fi
fi

images="null $workloads"

# ---- one run ------------------------------------------------------------------
# run RUNNER IMAGE OUTFILE: runs the image, its guest output (results as
# "name=value" lines for the peers) in OUTFILE; prints the wall seconds, or
# "fail" when the run did not end as it should.
bochs_rc() { # NAME FLOPPY -> the bochsrc path
  local rc=$work/bochsrc.$1
  if [[ ! -e $rc ]]; then
    cat >"$rc" <<EOF
megs: 128
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
floppya: 1_44=$2, status=inserted
boot: floppy
display_library: term
clock: sync=none, time0=0
log: /dev/null
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
port_e9_hack: enabled=1
EOF
  fi
  echo "$rc"
}
printf 'c\nquit\n' >"$work/bochs.cmds"

run() {
  local runner=$1 img=$2 log=$3 t0 t1 status ok=1
  local file=bench_$img
  [[ $img != null ]] && file=bench_$img$small
  local elf=$guests/$file.elf
  t0=$EPOCHREALTIME
  case $runner in
    ringlab)
      "$ringlab" run --serial none --stats "$log" "$elf" </dev/null >/dev/null 2>&1
      status=$?
      ((status == 0)) || ok=0
      ;;
    qemu | qemu-icount)
      local icount=()
      [[ $runner == qemu-icount ]] && icount=(-icount shift=0)
      timeout 600 qemu-system-i386 -display none -no-reboot -nic none -m 128 "${icount[@]}" \
        -device isa-debug-exit,iobase=0xf4,iosize=4 -serial "file:$log" -kernel "$elf" \
        </dev/null >/dev/null 2>&1
      status=$?
      ((status == 1)) || ok=0
      ;;
    bochs)
      # Debian's bochs starts in its debugger: the rc file says continue
      # (then quit); the term display needs no X; the guest's "Shutdown"
      # on port 0x8900 ends the run (a "panic" Bochs exits on). Results
      # come on port 0xe9, which Bochs prints on stdout.
      (cd "$work" && setsid timeout 600 bochs -q -f "$(bochs_rc "$file" "$floppies/$file.img")" -rc "$work/bochs.cmds" \
        </dev/null >"$log" 2>/dev/null)
      grep -aq "bench: done" "$log" || ok=0
      ;;
  esac
  t1=$EPOCHREALTIME
  if ((ok)); then
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
  else
    echo fail
  fi
}

# guest results of a run: "name value" lines
results_of() { # RUNNER LOG
  if [[ $1 == ringlab ]]; then
    "$checker" --pin "$2" x | awk '$2 ~ /^results\// { sub("results/", "", $2); print $2, $3 }'
  else
    tr -d '\r' <"$2" | grep -aoE '[a-z0-9]+\.(n|tsc|check)=[0-9]+' | tr '=' ' '
  fi
}

# ---- the timed runs, interleaved -----------------------------------------------
times=$out/times.tsv
printf 'run\timage\trunner\tseconds\n' >"$times"
declare -A insns n_of check_of
echo "speed: ${#runners[@]} runners (${runners[*]}), images: $images, $runs runs each" >&2
for ((r = 1; r <= runs; r++)); do
  for img in $images; do
    for runner in "${runners[@]}"; do
      log=$work/$runner.$img.out
      s=$(run "$runner" "$img" "$log")
      printf '%d\t%s\t%s\t%s\n' "$r" "$img" "$runner" "$s" >>"$times"
      printf '  run %d %-5s %-12s %s\n' "$r" "$img" "$runner" "$s" >&2
      if ((r == 1)) && [[ $s != fail ]]; then
        while read -r name value; do
          key=$img.$name
          if [[ $runner == ringlab ]]; then
            check_of[$key]=$value
          elif [[ $name == *.check && -n ${check_of[$key]:-} && ${check_of[$key]} != "$value" ]]; then
            echo "speed: WARNING: $runner $img $name=$value, ringlab says ${check_of[$key]}" >&2
          fi
          [[ $name == *.n ]] && n_of[$key]=$value
        done < <(results_of "$runner" "$log")
        if [[ $runner == ringlab ]]; then
          # the measured instructions: the sum of the image's regions
          insns[$img]=$("$checker" --pin "$log" x |
            awk '$2 ~ /^regions\/[^/]+\/instructions$/ { s += $3 } END { print s + 0 }')
        fi
      fi
    done
  done
done

median() { # RUNNER IMAGE -> median seconds or "-"
  awk -F'\t' -v r="$1" -v i="$2" '$3 == r && $2 == i && $4 != "fail" { print $4 }' "$times" |
    sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
                    else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A med
for runner in "${runners[@]}"; do
  for img in $images; do
    med[$runner.$img]=$(median "$runner" "$img")
  done
done

# net seconds of an image on a runner (boot time, the null image's, subtracted)
net() { awk -v a="${med[$1.$2]}" -v b="${med[$1.null]}" 'BEGIN {
  if (a == "-" || b == "-" || a - b <= 0) print "-"; else printf "%.4f\n", a - b }'; }
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { if (x == "-" || x == "") print "-"; else printf f "\n", x }'; }
div() { awk -v a="$1" -v b="$2" -v k="${3:-1}" 'BEGIN {
  if (a == "-" || b == "-" || a == "" || b == "" || b == 0) print "-"; else printf "%.6g\n", a * k / b }'; }

# ---- the table -------------------------------------------------------------------
table=$out/table.md
{
  head="| |$(printf ' %s |' "${runners[@]}")"
  sep="|---|$(printf -- '---:|%.0s' "${runners[@]}")"
  echo "$head"
  echo "$sep"
  row() { # LABEL then one value per runner
    local label=$1; shift
    printf '| %s |' "$label"; printf ' %s |' "$@"; echo
  }
  for img in $images; do
    vals=(); for runner in "${runners[@]}"; do vals+=("$(fmt "${med[$runner.$img]}" %.3f)"); done
    row "median s, $img" "${vals[@]}"
  done
  for img in $workloads; do
    vals=()
    for runner in "${runners[@]}"; do
      vals+=("$(fmt "$(div "${insns[$img]:-}" "$(net "$runner" "$img")" 1e-6)" %.0f)")
    done
    row "guest MIPS, $img" "${vals[@]}"
  done
  if [[ " $workloads " == *" ring "* ]]; then
    vals=(); for runner in "${runners[@]}"; do
      vals+=("$(fmt "$(div "$(net "$runner" ring)" "${n_of[ring.ring.n]:-}" 1e9)" %.0f)"); done
    row "ns per ring round trip" "${vals[@]}"
  fi
  if [[ " $workloads " == *" cr3 "* ]]; then
    vals=(); for runner in "${runners[@]}"; do
      vals+=("$(fmt "$(div "$(net "$runner" cr3)" "${n_of[cr3.cr3.n]:-}" 1e9)" %.0f)"); done
    row "ns per CR3 iteration" "${vals[@]}"
  fi
  for img in $workloads; do
    vals=()
    for runner in "${runners[@]}"; do
      vals+=("$(fmt "$(div "$(net "$runner" "$img")" "$(net ringlab "$img")")" %.2f)")
    done
    row "ringlab speed vs runner, $img" "${vals[@]}"
  done
} >"$table"

echo
echo "ringlab speed side by side ($(date -u +%Y-%m-%d), $(nproc) CPUs, $runs runs, medians;"
echo "MIPS and ns with each runner's boot time, its null image's, subtracted;"
echo "'ringlab speed vs runner' = runner's net time / ringlab's, above 1: ringlab faster)"
echo
cat "$table"

# ---- callgrind: host instructions per guest instruction ----------------------------
if ((use_callgrind)) && command -v valgrind >/dev/null; then
  echo
  echo "host instructions per guest instruction (callgrind, small variants, null subtracted)"
  echo
  echo "| image | guest instructions | host instructions | host per guest |"
  echo "|---|---:|---:|---:|"
  cg() { # IMAGE -> "guest_instructions host_instructions"
    local elf=$guests/bench_$1.elf stats=$work/cg.$1.json cgout=$work/cg.$1.out
    valgrind --tool=callgrind --callgrind-out-file="$cgout" "$ringlab" run --serial none \
      --stats "$stats" "$elf" </dev/null >/dev/null 2>&1
    local g h
    g=$(sed -n 's/^\t"instructions":\t\([0-9]*\),$/\1/p' "$stats" | head -1)
    h=$(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$cgout")
    echo "$g $h"
  }
  read -r g0 h0 < <(cg null)
  for w in $workloads; do
    read -r g h < <(cg "${w}_small")
    per=$(awk -v g="$g" -v h="$h" -v g0="$g0" -v h0="$h0" 'BEGIN { printf "%.1f", (h - h0) / (g - g0) }')
    echo "| ${w}_small | $((g - g0)) | $((h - h0)) | $per |"
  done
fi
