# Runs inside the VM: load the module, run every selftest binary under a
# timeout, the module load/unload test last.  On a kernel with kmemleak
# (the debug lane) what the boot leaked is reported and forgotten first
# (scan, clear), and at the end two scans look for what the tests leaked.
per_bin=${KIPC_BIN_TIMEOUT:-600}
leak=/sys/kernel/debug/kmemleak
if [ -w $leak ]; then
	echo scan > $leak
	echo "kmemleak: $(grep -c '^unreferenced object' $leak) object(s) leaked by the boot, not counted"
	echo clear > $leak
fi
if ! insmod /kipc.ko; then
	echo "not ok 1 insmod kipc.ko"
	exit 0
fi
for t in /tests/*; do
	n=${t##*/}
	[ "$n" = module ] && continue
	echo "=== KIPC-BIN $n"
	timeout -s KILL "$per_bin" "$t"
	echo "=== KIPC-BIN-END $n rc=$?"
done
if [ -x /tests/module ]; then
	echo "=== KIPC-BIN module"
	timeout -s KILL "$per_bin" /tests/module
	echo "=== KIPC-BIN-END module rc=$?"
fi
if [ -w $leak ]; then
	# An object is reported once it is older than 5 s and no reference to
	# it was found; the second scan drops pointers that were only in
	# flight (registers, stacks) during the first.
	sleep 6
	echo scan > $leak
	sleep 6
	echo scan > $leak
	echo "=== KIPC-KMEMLEAK-BEGIN"
	cat $leak
	echo "=== KIPC-KMEMLEAK-END"
fi
# On a KCSAN kernel (the kcsan lane) its counters: how many watchpoints were
# set up (that it looked at all) and how many races it found.
if [ -r /sys/kernel/debug/kcsan ]; then
	echo "=== KIPC-KCSAN-STATS"
	cat /sys/kernel/debug/kcsan
fi
