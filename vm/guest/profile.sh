# Runs inside the VM (from /init) for `make profile` (bench/prof/profile.sh):
# QEMU runs under icount with the plugin bench/prof/kipc-prof.c, which
# counts the instructions executed between the marker no-ops of
# `kipc-bench -k`.  For each mechanism, two runs of different lengths (N1
# and N2 measured round trips after the same warm-up): the host subtracts
# the first interval's counts from the second's and divides by N2 - N1, so
# what does not scale with the round trips cancels.
#
# Environment (kernel command line, from bench/prof/profile.sh):
# KIPC_PROF_MECHS (comma-separated kipc-bench rows, default
# kipc_call,sched_yield; a bulk row as NAME@SIZEK, e.g. kipc_window@64K,
# whose round trips N1 and N2 must make whole MiB, up to 2000),
# KIPC_PROF_N1, KIPC_PROF_N2, KIPC_PROF_WARM.
n1=${KIPC_PROF_N1:-1000}
n2=${KIPC_PROF_N2:-3000}
warm=${KIPC_PROF_WARM:-1000}
mechs=$(echo "${KIPC_PROF_MECHS:-kipc_call,sched_yield}" | tr , ' ')

dmesg -n 1
insmod /kipc.ko || echo "profile: insmod /kipc.ko failed: no kipc rows"

# The addresses of this boot for the host, on the second serial port (a
# file there): the kernel's and the modules' text symbols, and kipc.ko's
# section addresses (the host finds source lines with them).
if [ -c /dev/ttyS1 ]; then
	{
		awk '$2 ~ /^[tTwW]$/' /proc/kallsyms
		for f in /sys/module/kipc/sections/.*text*; do
			[ -f "$f" ] && echo "$(cat "$f") section ${f##*/} [kipc]"
		done
		echo "=== KIPC-PROF-SYMBOLS-END"
	} > /dev/ttyS1
else
	echo "profile: no /dev/ttyS1: no symbols"
fi

echo "=== KIPC-PROF (icount shift=${kipcicount:-none}) round trips $n1 and $n2 after $warm"
k=0
for m in $mechs; do
	for n in $n1 $n2; do
		k=$((k + 1))
		case $m in
		*@*)	# a bulk row at a size in KiB, NAME@SIZEK: -B, n round trips
			kib=${m#*@}; kib=${kib%K}
			echo "=== KIPC-PROF interval $k mechanism $m round-trips $n"
			/bench/kipc-bench -k -B -p 1 -m "${m%@*}" -b "${kib}K" \
				-V $((n * kib / 1024)) ||
				echo "=== KIPC-PROF-FAILED interval $k"
			;;
		*)
			echo "=== KIPC-PROF interval $k mechanism $m round-trips $n"
			/bench/kipc-bench -k -p 1 -s 0 -S 0 -m "$m" -n "$n" -w "$warm" ||
				echo "=== KIPC-PROF-FAILED interval $k"
			;;
		esac
	done
done
echo "=== KIPC-PROF-DONE intervals $k"
