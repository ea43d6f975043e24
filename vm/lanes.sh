#!/bin/bash
# Run `make check` once per kernel flavour and sum up.  Without arguments
# (`make check-all`, and .ci/run: one list for both) every lane: the four
# Debian amd64 kernels, Debian's arm64 kernel (everything cross-built,
# booted in qemu-system-aarch64), then debug and kcsan, the two kernels
# built here; a built
# kernel that is not cached yet is built first (5-20 minutes each), unless
# KIPC_CI_DEBUG_COLD=0, which skips that lane and says so.
# Each lane ends with "<flavour>: N passed, N failed", the whole run with
# "kernel reports: N" (their sum; every report is also one of the failures)
# and "N passed, N failed".   Usage: vm/lanes.sh [FLAVOUR...]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
lanes=$*
if [ -z "$lanes" ]; then
	lanes="bookworm rt backports sid arm64"
	for k in debug kcsan; do
		if vm/kernel.sh "$k" cached; then
			lanes="$lanes $k"
		elif [ "${KIPC_CI_DEBUG_COLD:-1}" = 1 ]; then
			echo "lanes: the $k kernel is not cached: building it first (5-20 minutes)"
			lanes="$lanes $k"
		else
			echo "lanes: $k lane skipped: its kernel is not cached and" \
				"KIPC_CI_DEBUG_COLD=0 (make check-$k builds and caches it)"
		fi
	done
fi
mkdir -p build
pass=0 fail=0 reports=0 summary=() times=()
for k in $lanes; do
	start=$(date +%s)
	echo "=== lane $k"
	make check KERNEL="$k" 2>&1 | tee "build/lane-$k.log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "build/lane-$k.log" | tail -n 1)
	if [ -z "$line" ]; then
		line="0 passed, 1 failed"	# the lane did not get to its tests
	elif [ "$rc" != 0 ] && [ "${line#* passed, }" = "0 failed" ]; then
		line="${line%%,*}, 1 failed"	# tests passed but the lane failed
	fi
	p=${line%% passed*}; f=${line#* passed, }; f=${f%% failed*}
	pass=$((pass + p)); fail=$((fail + f))
	r=$(sed -n 's/^kernel reports: \([0-9]*\)$/\1/p' "build/lane-$k.log" | tail -n 1)
	reports=$((reports + ${r:-0}))
	times+=("$k: $(( $(date +%s) - start )) s")
	summary+=("$k: $line")
done
echo
echo "lane times: ${times[*]}"
printf '%s\n' "${summary[@]}"
echo "kernel reports: $reports"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
