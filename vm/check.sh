#!/bin/bash
# The test run behind `make check`: the host tests (selftests/host/*.sh),
# then every selftest inside the VM, then a scan of the guest's kernel log.
# Prints each result and ends with the line "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
O=$top/build
log=${VM_LOG:-$O/vm-check.log}
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

echo "== selftests in the VM"
VM_LOG=$log "$top/vm/run.sh" check
vmrc=$?
if [ "$vmrc" != 0 ] || ! grep -q '^=== KIPC-GUEST-DONE' "$log"; then
	result fail "vm: the VM did not finish (panic, hang or timeout; see $log)"
fi

# Per binary: its TAP lines, and a failure if it died without reporting one.
cur="" nfail=0
while IFS= read -r line; do
	case $line in
	"=== KIPC-BIN "*) cur=${line#=== KIPC-BIN }; nfail=0 ;;
	"=== KIPC-BIN-END "*)
		rc=${line##*rc=}
		if [ "$rc" != 0 ] && [ "$nfail" = 0 ]; then
			result fail "$cur: exited with status $rc (crash or timeout)"
		fi
		cur="" ;;
	"not ok "*) [ -n "$cur" ] && nfail=$((nfail + 1)); tally "$cur: " <<<"$line" ;;
	"ok "*) tally "${cur:+$cur: }" <<<"$line" ;;
	esac
done < <(sed -n '/^=== KIPC-GUEST /,/^=== KIPC-DMESG-BEGIN/p' "$log")

# The kernel must have said nothing bad, anywhere in the serial log.
bad='BUG:|WARNING:|Oops|general protection|Kernel panic|blocked for more than|'
bad+='possible circular locking|possible recursive locking|lockdep|UBSAN|KASAN|'
bad+='kmemleak|soft lockup|hard LOCKUP|rcu.*stall|Call Trace|refcount_t'
reports=$(grep -aE "$bad" "$log" | grep -v 'kipcmode=' || true)
if [ -z "$reports" ]; then
	result ok "kernel log: no BUG/WARNING/oops/lockdep/hung-task reports"
else
	printf '%s\n' "$reports" | head -n 40 | sed 's/^/    /'
	result fail "kernel log: $(printf '%s\n' "$reports" | wc -l) report line(s)"
fi

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
[ "$fail" = 0 ]
