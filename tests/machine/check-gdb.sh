#!/usr/bin/env bash
# The gdb stub driven by Debian's gdb in batch mode (gdb/session.gdb) on the
# gdbtest kernel: break at a symbol, step, registers (general and system),
# memory through the guest's page tables, a watchpoint, the exit; and the
# debugger observes only: the run under gdb gives the same --stats and
# serial output as the run without it. Skipped (77) without gdb.
#
# Then, on the demo kernel (page faults, timer interrupts, forever): a
# caught exception stops gdb at its handler (monitor catch 14: SIGSEGV),
# and Ctrl-C (a raw 0x03 on the connection, as gdb sends it) stops the
# running machine with SIGINT.
#
#   check-gdb.sh RINGLAB GDBTEST.elf DEMO.elf
set -uo pipefail
ringlab=$1
kernel=$2
demo=$3
if ! command -v gdb >/dev/null 2>&1; then
  echo "skip: no gdb (Debian's gdb; scripts/install-deps.sh installs it)"
  exit 77
fi
tmp=$(mktemp -d)
pid=
# Starts ringlab --gdb 0 on a kernel (more options after it); sets pid
# and port.
start() {
  local k=$1
  shift
  : >"$tmp/ringlab.err"
  "$ringlab" run --gdb 0 "$@" "$k" </dev/null 2>"$tmp/ringlab.err" &
  pid=$!
  port=
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.*waiting for gdb on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/ringlab.err")
    [[ -n $port ]] && return 0
    sleep 0.05
  done
  echo "FAIL: ringlab did not say which port it listens on"
  cat "$tmp/ringlab.err"
  exit 1
}
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
start "$kernel" --max-cycles 400000000 --stats "$tmp/gdb.json" --serial "$tmp/gdb.out"
sed "s/@PORT@/$port/" "$(dirname "$0")/gdb/session.gdb" >"$tmp/session.gdb"
timeout 60 gdb -batch -nx -x "$tmp/session.gdb" "$kernel" >"$tmp/gdb.log" 2>&1
wait "$pid"
status=$?
pid=
echo "--- gdb's output ---"
cat "$tmp/gdb.log"
echo "--- ringlab's stderr ---"
cat "$tmp/ringlab.err"
fail=0
want() {
  if ! grep -qE -- "$1" "$tmp/gdb.log"; then
    echo "FAIL: gdb's output lacks: $1"
    fail=1
  fi
}
want '@@ attached'
want 'Breakpoint 1, .*check_point'
want '@@ at check_point'
want '^\$1 = 1'
want '^\$2 = 0x8'
want '^\$3 = 1'
want '^cr0 +0x[0-9a-f]+ '
want '^cpl +0x0 '
want 'catch VECTOR'
want 'Hardware watchpoint 2: [*][(]int [*][)]&watched_value'
want 'New value = 4660'
want '^\$4 = 0x1234'
want '^\$5 = 0x[89a-f][0-9a-f]{7}'
want '0x40000000:[[:space:]]+0x424c4152[[:space:]]+0xc0def00d'
want '^\$6 = 45'
want 'exited with code 01'
((status == 1)) || { echo "FAIL: ringlab's status $status, want 1 (the kernel's pass)"; fail=1; }
"$ringlab" run --max-cycles 400000000 --stats "$tmp/plain.json" --serial "$tmp/plain.out" "$kernel" </dev/null
cmp -s "$tmp/gdb.json" "$tmp/plain.json" || { echo "FAIL: --stats differ under gdb"; diff "$tmp/gdb.json" "$tmp/plain.json" | head; fail=1; }
cmp -s "$tmp/gdb.out" "$tmp/plain.out" || { echo "FAIL: serial output differs under gdb"; fail=1; }

# A caught exception.
start "$demo" --max-cycles 4000000000 --serial /dev/null
sed "s/@PORT@/$port/" "$(dirname "$0")/gdb/catch.gdb" >"$tmp/catch.gdb"
timeout 60 gdb -batch -nx -x "$tmp/catch.gdb" "$demo" >"$tmp/gdb.log" 2>&1
wait "$pid"
status=$?
pid=
echo "--- gdb's output (catch) ---"
cat "$tmp/gdb.log"
want 'received signal SIGSEGV'
want '@@ caught'
want '^\$1 = 0x7[0-9a-f]{5}$'
want '^\$2 = 1'
((status == 70)) || { echo "FAIL: ringlab's status $status after kill, want 70"; fail=1; }

# Ctrl-C, in raw packets over bash's /dev/tcp.
start "$demo" --max-cycles 4000000000 --serial /dev/null
exec 3<>"/dev/tcp/127.0.0.1/$port"
send() {
  local d=$1 sum=0 i
  for ((i = 0; i < ${#d}; i++)); do
    sum=$(((sum + $(printf '%d' "'${d:i:1}")) % 256))
  done
  printf '$%s#%02x' "$d" "$sum" >&3
}
packet() { # the next packet's data, into $got
  local c
  got=
  while IFS= read -r -t 10 -n 1 -d '' -u 3 c; do
    [[ $c == '$' ]] && break
  done
  IFS= read -r -t 10 -d '#' -u 3 got
  IFS= read -r -t 10 -n 2 -u 3 c
}
send QStartNoAckMode
packet
printf '+' >&3
[[ $got == OK ]] || { echo "FAIL: QStartNoAckMode answered '$got'"; fail=1; }
send c
sleep 0.5
printf '\x03' >&3
packet
[[ $got == T02* ]] || { echo "FAIL: Ctrl-C answered '$got', want T02..."; fail=1; }
send g
packet
[[ ${#got} -gt 100 ]] || { echo "FAIL: registers after Ctrl-C: '$got'"; fail=1; }
send k
exec 3>&-
wait "$pid"
status=$?
pid=
((status == 70)) || { echo "FAIL: ringlab's status $status after k, want 70"; fail=1; }
((fail == 0)) && echo "ok: the gdb session as expected, the run under gdb ends as without it, catch and Ctrl-C stop it"
exit $fail
