# tests/machine/gdb/session.gdb - a gdb session against `ringlab run --gdb`
# (check-gdb.sh substitutes @PORT@): break at a symbol, step, read
# registers and memory (through the page tables), a watchpoint, the end.
# Guest kernels carry symbols but no debug information: casts give types.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
echo @@ attached\n
info registers eip
break check_point
continue
echo @@ at check_point\n
print $eip == (int)check_point
print/x $cs
stepi
echo @@ stepped\n
print $eip != (int)check_point
info registers cr0 cpl
delete
monitor help
watch *(int *)&watched_value
continue
echo @@ watchpoint\n
print/x *(int *)&watched_value
print/x $cr0
x/2xw 0x40000000
print *(int *)&counter
delete
continue
echo @@ end\n
