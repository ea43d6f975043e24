#!/bin/bash
# `make profile`: boot the bench VM under icount with the counting plugin,
# profile kipc_call and the sched_yield floor (vm/guest/profile.sh), and
# write the report (bench/prof/report.sh).
#
#   bench/prof/profile.sh PLUGIN.so OUT.txt
#
# Environment: PROF_MECHS (kipc-bench rows, comma-separated; default
# kipc_call,sched_yield), PROF_N1 and PROF_N2 (measured round trips of the
# two runs per row, default 1000 and 3000), PROF_WARM (warm-up, 1000),
# PROF_MIN (report.sh), and vm/run.sh's (KERNEL, VM_TIMEOUT, ...).
# Leaves the raw material next to OUT.txt: counts.txt (the plugin's
# intervals), symbols.txt (the guest's kallsyms), and the log
# build/vm-profile.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
plugin=${1:?usage: bench/prof/profile.sh PLUGIN.so OUT.txt}
out=${2:?usage: bench/prof/profile.sh PLUGIN.so OUT.txt}
dir=$(dirname "$out")
mkdir -p "$dir"
plugin=$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")
dir=$(cd "$dir" && pwd)
log=$top/build/vm-profile.log
rm -f "$dir/counts.txt" "$dir/symbols.txt"

append="KIPC_PROF_MECHS=${PROF_MECHS:-kipc_call,sched_yield}"
append="$append KIPC_PROF_N1=${PROF_N1:-1000} KIPC_PROF_N2=${PROF_N2:-3000}"
append="$append KIPC_PROF_WARM=${PROF_WARM:-1000}"
# icount as `make bench` (1 CPU, 2 ns per instruction); the plugin writes
# the counts, the guest's second serial port (ttyS1) the symbols.
VM_ICOUNT=1 VM_LOG=$log VM_APPEND="${VM_APPEND:+$VM_APPEND }$append" \
VM_QEMU_ARGS="-plugin $plugin,out=$dir/counts.txt -serial file:$dir/symbols.txt" \
	"$top/vm/run.sh" profile
grep -q '^=== KIPC-PROF-DONE' "$log" || { echo "bench/prof/profile.sh: the profile did not finish (see $log)" >&2; exit 1; }
"$top/bench/prof/report.sh" "$log" "$dir/counts.txt" "$dir/symbols.txt" "$top/kipc.ko" \
	"$top/build/bench/kipc-bench" > "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
echo
echo "wrote $out"
