#!/usr/bin/env bash
# Runs one of the guest kernel's user programs (static i386 ELF) on the host
# Linux, which executes them natively through its IA-32 emulation, and
# judges it.
#
#   run-host.sh [--status N] [--expect TEXT]... [--absent TEXT]... -- PROGRAM ARGS...
#
# Passes (exit 0) when PROGRAM exits with status N (default 0) and its
# output (stdout and stderr together) contains every --expect TEXT and no
# --absent TEXT. Exits 77 (ctest: skipped) when the host cannot run i386
# binaries (a kernel without CONFIG_IA32_EMULATION, or with it turned off:
# execve fails with ENOEXEC). PROGRAM's stdin is /dev/null; it runs in a
# fresh temporary directory, removed afterwards.
set -uo pipefail

want=0
expects=()
absents=()
while (($#)); do
  case $1 in
  --status) want=$2; shift 2 ;;
  --expect) expects+=("$2"); shift 2 ;;
  --absent) absents+=("$2"); shift 2 ;;
  --) shift; break ;;
  *) echo "run-host.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if (($# < 1)); then
  echo "usage: $0 [--status N] [--expect TEXT]... [--absent TEXT]... -- PROGRAM ARGS..." >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/output
(cd "$work" && exec "$@") </dev/null >"$out" 2>&1
status=$?

if ((status == 126)) && grep -q "Exec format error" "$out"; then
  echo "SKIP: this host cannot run i386 binaries"
  exit 77
fi

echo "--- output of $* ---"
cat "$out"
echo "--- status $status ---"
fail=0
if ((status != want)); then
  echo "FAIL: exit status $status, want $want"
  fail=1
fi
for t in "${expects[@]}"; do
  if ! grep -qF -- "$t" "$out"; then
    echo "FAIL: output lacks: $t"
    fail=1
  fi
done
for t in "${absents[@]}"; do
  if grep -qF -- "$t" "$out"; then
    echo "FAIL: output has: $t"
    fail=1
  fi
done
exit $fail
