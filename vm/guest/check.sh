# Runs inside the VM: load the module, run every selftest binary under a
# timeout, the module load/unload test last.
per_bin=${KIPC_BIN_TIMEOUT:-600}
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
