# Runs inside the VM (from /init) for `make bench` and `make bench-smp`:
# load kipc and binder, run kipc-bench on one CPU (and on two if there are
# two), then `perf bench sched pipe` as a reference, then (`make bench`
# only) the bulk rows, `kipc-bench -B`, and print the results as CSV
# between markers for bench/report.sh on the host.
#
# Under icount (kipcicount set) guest time counts instructions: the figures
# do not vary from run to run, so fewer round trips suffice.
if [ -n "$kipcicount" ]; then
	iter=10000 warm=1000 loops=20000
else
	iter=10000 warm=1000 loops=20000
fi
csv=/tmp/bench.csv

# Console messages would land in the middle of the table; the kernel log is
# printed at the end anyway.
dmesg -n 1

insmod /kipc.ko || echo "bench: insmod /kipc.ko failed: no kipc rows"
if [ -f /modules/order ]; then
	for m in $(cat /modules/order); do
		insmod /modules/$m.ko || echo "bench: insmod $m.ko failed: no binder row"
	done
else
	echo "bench: binder_linux.ko is not in the initramfs: no binder row"
fi

if [ "$(nproc)" -ge 2 ]; then place=both; else place=1; fi
echo
how="$(nproc) CPU$([ "$(nproc)" = 1 ] || echo s), clocksource"
how="$how $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "=== kipc-bench ($how${kipcicount:+, icount shift=$kipcicount})"
# Latency under load (-L) on one CPU only: its busy task is pinned to CPU 0.
load=2000
[ "$(nproc)" = 1 ] || load=0
timeout 700 /bench/kipc-bench -n $iter -w $warm -p $place -L $load -o $csv
rc=$?
[ $rc = 0 ] || echo "bench: kipc-bench exited with status $rc"

# The reference: the real `perf bench sched pipe` (it writes and reads a
# 4-byte int each way and reports only the mean).  Its two processes cannot
# be pinned apart, so the 2-CPU row lets the scheduler place them.
perf_row() {	# perf_row CPUS CPULIST
	out=$(timeout 300 taskset -c $2 /usr/bin/perf bench sched pipe -l $loops 2>&1)
	us=$(echo "$out" | awk '$2 == "usecs/op" { print $1 }')
	if [ -z "$us" ]; then
		echo "bench: perf bench sched pipe failed:"
		echo "$out" | sed 's/^/    /'
		return
	fi
	ns=$(echo "$us" | awk '{ printf "%.0f", $1 * 1000 }')
	printf "%-15s %5d %4d %10s %10s %10.3f  (mean only; taskset -c %s)\n" \
		perf_sched_pipe 4 $1 - - "$us" $2
	[ -f $csv ] && echo "perf_sched_pipe,4,$1,,,$ns,$loops," >> $csv
}
if [ -x /usr/bin/perf ]; then
	echo
	echo "=== reference: perf bench sched pipe -l $loops ($(/usr/bin/perf --version))"
	perf_row 1 0
	[ "$(nproc)" -ge 2 ] && perf_row 2 0,1
else
	echo "bench: no perf in the initramfs: no reference row"
fi

# Bulk data (kipc-bench -B, bench/README.md "Bulk data"): a request and an
# answer of 4 KiB to 16 MiB, one CPU, in `make bench` (icount) only.  Its
# rows join the CSV.
if [ -n "$kipcicount" ]; then
	echo
	echo "=== kipc-bench -B ($how, icount shift=$kipcicount)"
	t0=$(date +%s)
	timeout 600 /bench/kipc-bench -B -p 1 -o /tmp/bulk.csv
	rc=$?
	[ $rc = 0 ] || echo "bench: kipc-bench -B exited with status $rc"
	echo "bench: kipc-bench -B took $(($(date +%s) - t0)) s of guest time"
	if [ -f /tmp/bulk.csv ]; then
		if [ -f $csv ]; then
			tail -n +2 /tmp/bulk.csv >> $csv
		else
			cp /tmp/bulk.csv $csv
		fi
	fi
fi

if [ -f $csv ]; then
	echo "=== KIPC-BENCH-CSV-BEGIN"
	cat $csv
	echo "=== KIPC-BENCH-CSV-END"
fi
