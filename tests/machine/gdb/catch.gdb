# tests/machine/gdb/catch.gdb - exceptions as stops (monitor catch) on the
# demo kernel (tests/display/demo), which takes page faults on purpose.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
monitor catch 14
continue
echo @@ caught\n
print/x $cr2
print $eip == (int)&trap_stubs + 16 * 14
monitor uncatch 14
kill
