#!/bin/bash
# The test run behind `make check`: the host tests (selftests/host/*.sh),
# then every selftest inside the VM (once per CPU count of the flavour's
# profile), then a scan of the guest's kernel log.  Prints each result and
# ends with the lines "N passed, N failed" (every kernel report is one of
# the failures) and "kernel reports: N".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0 skip=0
failed=()

result() {	# result ok|fail|skip NAME
	case $1 in
	ok) pass=$((pass + 1)); echo "PASS $2" ;;
	skip) skip=$((skip + 1)); echo "SKIP $2" ;;
	*) fail=$((fail + 1)); failed+=("$2"); echo "FAIL $2" ;;
	esac
}

# Count TAP lines ("ok N name", "not ok N name", "# SKIP") of one stream.
tally() {	# tally PREFIX < tap
	local line name
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*) name=${line#ok }; result skip "$1${name#* }" ;;
		"ok "*) name=${line#ok }; result ok "$1${name#* }" ;;
		"not ok "*) name=${line#not ok }; result fail "$1${name#* }" ;;
		esac
	done
}

echo "== host tests"
# Host tests run in the default lane; one that says "# lanes: all" (dkms,
# against each lane's kernel) runs in every lane.  KIPC_HOST_TESTS=0|1
# turns them all off or on.
for t in "$top"/selftests/host/*.sh; do
	[ -e "$t" ] || continue
	case ${KIPC_HOST_TESTS:-} in
	0) continue ;;
	1) ;;
	*) [ "${KERNEL:-bookworm}" = bookworm ] || grep -q '^# lanes: all' "$t" || continue ;;
	esac
	out=$(bash "$t" 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	n=$(printf '%s\n' "$out" | grep -c '^\(not \)\?ok ')
	tally "host/" < <(printf '%s\n' "$out")
	[ "$rc" != 0 ] && [ "$n" = 0 ] && result fail "host/$(basename "$t") exited $rc"
done

# The flavour's VM profile (vm/kernel.sh vars): KIPC_VM_SMP_RUNS, the VM
# runs, each "CPUS[:TEST,...[:NAME=VALUE,...]]": that many CPUs, only those
# selftests (all if none), that environment for them (kernel command
# line).  VM_SMP_RUNS overrides it, VM_SMP alone means one run.
if [ -n "${KERNEL:-}" ]; then
	eval "$("$top/vm/kernel.sh" "$KERNEL" vars)" || result fail "vm/kernel.sh $KERNEL vars"
fi
# The programs' folder: build, or the cross flavour's (build/arm64).
O=${KIPC_BUILD:-$top/build}
log=${VM_LOG:-$O/vm-check.log}
# A sanitizer lane's kipc.ko must be instrumented itself, or the lane would
# pass while checking only the kernel around it: KIPC_KO_CALLS (the kcsan
# profile: __tsan_) are prefixes of hooks kipc.ko must call.
for p in ${KIPC_KO_CALLS:-}; do
	n=$(nm -u "$top/kipc.ko" 2>/dev/null | awk '{ print $NF }' | grep -c "^$p")
	if [ "$n" -gt 0 ]; then
		result ok "kipc.ko is instrumented: it calls $n $p* hooks"
	else
		result fail "kipc.ko is not instrumented: it calls no $p* hook"
	fi
done

runs=${VM_SMP_RUNS:-${VM_SMP:-${KIPC_VM_SMP_RUNS:-2}}}
nruns=$(echo $runs | wc -w)
reports_total=0

# Kernel reports in a serial log, one line each: the first line of every
# BUG/WARNING/UBSAN splat (KASAN, KCSAN, lockdep, sleeping in atomic, list
# and refcount corruption, soft lockups all start so), oopses, hung tasks, RCU
# stalls, kmemleak's leaked objects.  The log holds the console and, after
# a clean run, the whole kernel log again, and after a panic
# (panic_print=0x20) a replay: a printk line is counted once (its
# timestamp makes it unique).  A panic is a report of its own only if
# nothing before it was.
reports() {	# reports LOG
	awk '
	{ msg = $0; sub(/^\[ *[0-9]+\.[0-9]+\] /, "", msg) }
	/^=== KIPC-KMEMLEAK-BEGIN/ { leak = 1; next }
	/^=== KIPC-KMEMLEAK-END/ { leak = 0; next }
	leak { if (msg ~ /^unreferenced object/) print "kmemleak: " msg; next }
	msg ~ /^(BUG|WARNING|UBSAN): / ||
	msg ~ /^kernel BUG at / ||
	msg ~ /^general protection fault/ ||
	msg ~ /^INFO: task .* blocked for more than/ ||
	msg ~ /^(rcu: )?INFO: .*(detected stalls|self-detected stall)/ ||
	msg ~ /^INFO: trying to register non-static key/ ||
	msg ~ /Watchdog detected hard LOCKUP/ ||
	msg ~ /^kmemleak: .*(disabled|[Cc]annot)/ {
		if (!seen[$0]++) { print; n++ }
		next
	}
	msg ~ /^Kernel panic - not syncing/ && !n && !panic++ { print }
	' "$1"
}

for r in $runs; do
	IFS=: read -r smp tlist env <<<"$r"
	tests=""
	if [ -n "$tlist" ]; then
		for t in ${tlist//,/ }; do
			if [ -x "$O/selftests/$t" ]; then
				tests="$tests $t"
			else
				echo "    (selftest $t is not built: not run)"
			fi
		done
		tests=${tests# }
		[ -n "$tests" ] || { result fail "${smp}-CPU run: none of its selftests is built"; continue; }
	fi
	# NAME=VALUE words of the run go last on the kernel command line: the
	# kernel gives init the last value of a name.
	append=${VM_APPEND:-}
	[ -z "$env" ] || append="${append:+$append }${env//,/ }"
	rlog=$log pre=""
	if [ "$nruns" -gt 1 ]; then
		rlog=${log%.log}-smp$smp.log
		pre="smp$smp/"
	fi
	echo "== selftests in the VM ($smp CPUs${tests:+: $tests}${env:+, ${env//,/ }}${KERNEL:+, kernel $KERNEL})"
	start=$(date +%s)
	VM_SMP=$smp VM_TESTS=${tests:-${VM_TESTS:-}} VM_APPEND=$append VM_LOG=$rlog \
		"$top/vm/run.sh" check
	vmrc=$?
	echo "    (VM run: $(( $(date +%s) - start )) s)"
	if [ "$vmrc" != 0 ] || ! grep -q '^=== KIPC-GUEST-DONE' "$rlog"; then
		result fail "${pre}vm: the VM did not finish (panic, hang or timeout; see $rlog)"
	fi

	# Per binary: its TAP lines, and a failure if it died without reporting one.
	cur="" nfail=0
	while IFS= read -r line; do
		case $line in
		"=== KIPC-BIN "*) cur=${line#=== KIPC-BIN }; nfail=0 ;;
		"=== KIPC-BIN-END "*)
			rc=${line##*rc=}
			if [ "$rc" != 0 ] && [ "$nfail" = 0 ]; then
				result fail "$pre$cur: exited with status $rc (crash or timeout)"
			fi
			cur="" ;;
		"not ok "*) [ -n "$cur" ] && nfail=$((nfail + 1)); tally "$pre$cur: " <<<"$line" ;;
		"ok "*) tally "$pre${cur:+$cur: }" <<<"$line" ;;
		esac
	done < <(sed -n '/^=== KIPC-GUEST /,/^=== KIPC-DMESG-BEGIN/p' "$rlog" |
		 sed '/^=== KIPC-KMEMLEAK-BEGIN/,/^=== KIPC-KMEMLEAK-END/d')

	# The kernel must have said nothing bad, anywhere in the serial log:
	# every report is a failure of its own.
	rep=$(reports "$rlog")
	if [ -z "$rep" ]; then
		result ok "${pre}kernel log: no BUG/WARNING/KASAN/KCSAN/UBSAN/lockdep/kmemleak/hung-task reports"
	else
		n=$(printf '%s\n' "$rep" | wc -l)
		reports_total=$((reports_total + n))
		echo "    $n kernel report(s) in $rlog:"
		# The first few splats in full, from their last copy in the log
		# (the kernel log printed at the end or replayed by the panic
		# holds the lines loglevel=4 kept off the console); the whole
		# log is in the file.
		printf '%s\n' "$rep" | head -n 3 | while IFS= read -r l; do
			n=$(grep -anF -- "${l#kmemleak: }" "$rlog" | tail -n 1 | cut -d: -f1)
			[ -n "$n" ] && sed -n "$n,$((n + 60))p" "$rlog" | sed 's/^/    | /'
		done
		while IFS= read -r l; do
			result fail "${pre}kernel report: $l"
		done <<<"$rep"
	fi
done

echo
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failed[@]}"
fi
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
echo "kernel reports: $reports_total"
[ "$fail" = 0 ]
