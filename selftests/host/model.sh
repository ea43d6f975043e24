#!/bin/bash
# The Promela model of the rendezvous (module/kipc.pml) through spin: every
# configuration below must verify with "errors: 0" (no assertion violated,
# no invalid end state, no acceptance cycle for the LTL runs), and the model
# must catch every bug variant it carries, each a known bug put back:
# -DBUG_RESTART_RACE (commit 435d35d undone: a signal racing the delivery of
# a queued call restarts it, and the request is delivered twice),
# -DBUG_LOST_WAKEUP (kipc_complete() without the smp_mb() that pairs with
# kipc_sleep(): a sleeper is never woken), -DBUG_CANCEL_STALE (kipc_cancel()
# trusts its lockless look), -DBUG_STRANDED_RECEIVER (the last RECV handle
# fails only the senders: a receiver blocked in recv waits for ever),
# -DBUG_RECV_NO_RECHECK (a recv that looked its handle up before the close
# queues after it), -DBUG_PARK_WITHDRAW (a call parked by a signal in its
# reply phase is withdrawn and sent again), -DBUG_PARK_UNLOCKED (a parked
# call claimed without the context lock: resumed and abandoned both) and
# -DBUG_HANDLER_EINTR_AFTER_REPLY (a parked call resumed after a handler
# returns EINTR without looking whether its reply came: the reply is lost).
# Needs Debian's spin and gcc; skipped without spin.  About a minute and
# 500 MB on 2 cores.  KIPC_MODEL_JOBS=N runs N checks at a time (no faster
# here: pan is memory bound); KIPC_MODEL_FULL=1 adds larger bounds (a few
# more minutes and up to 3 GB).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
model=$top/module/kipc.pml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v spin >/dev/null 2>&1; then
	echo "ok 1 model: spin (Promela) # SKIP spin is not installed (apt-get install spin)"
	exit 0
fi

# The checks: EXPECT|DESCRIPTION|DEFINES.  EXPECT is "clean" (pan must
# report errors: 0) or the start of the error pan must report (a fixed
# string, which may name the assertion).  -DLIVENESS
# runs the LTL property (pan -a -f), anything else is a safety run.
checks=(
"clean|1 caller (2 calls), 1 server (2 receives): signals, timeouts, poll, spin, restarts, parked calls resumed (after a handler or not) or abandoned after siglongjmp|-DNCALLS=2 -DNSRVOPS=2"
"clean|descriptors closed by another thread at any moment (EPIPE races, the last RECV handle)|-DCLOSER -DNCALLS=1 -DNSRVOPS=2"
"clean|a call and a plain send queued together, 1 server (2 receives)|-DNCALLS=1 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0"
"clean|2 servers: a stale reply right and the caller's next call|-DNCALLS=2 -DNSERVERS=2 -DNSRVOPS=1 -DNOSPIN -DNSIG=0 -DNSRVSIG=0"
"clean|LTL: every wait of the caller ends (weak fairness)|-DLIVENESS -DNCALLS=1 -DNSRVOPS=2"
"clean|LTL: a wait in recv ends once no RECV handle is left (weak fairness)|-DLIVENESS -DCLOSER -DNCALLS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0"
"clean|KIPC_IOC_CANCEL from another task at any moment (first caller, server)|-DCANCELLER -DNCALLS=1 -DNSRVOPS=2 -DNOSPIN"
"clean|a parked call claimed by its close or another thread (its task exiting) at any moment|-DREAPER -DNCALLS=1 -DNSRVOPS=2 -DNSRVSIG=0"
"clean|2 signals per caller: a resumed call parked again|-DNSIG=2 -DNCALLS=2 -DNSRVOPS=2 -DNOSPIN"
"assertion violated|-DBUG_RESTART_RACE (435d35d undone) is caught: a restarted call was delivered|-DBUG_RESTART_RACE"
"assertion violated|-DBUG_CANCEL_STALE (cancel trusts its lockless look) is caught|-DCANCELLER -DBUG_CANCEL_STALE -DNCALLS=1 -DNSRVOPS=2 -DNOSPIN"
"invalid end state|-DBUG_LOST_WAKEUP (no smp_mb in kipc_complete) is caught: a sleeper is never woken|-DBUG_LOST_WAKEUP"
"acceptance cycle|-DBUG_LOST_WAKEUP is caught by the LTL property too|-DLIVENESS -DBUG_LOST_WAKEUP -DNCALLS=1"
"assertion violated|-DBUG_STRANDED_RECEIVER (the last RECV handle fails only senders) is caught: a receiver queued on a dead endpoint|-DCLOSER -DBUG_STRANDED_RECEIVER -DNCALLS=1 -DNSRVOPS=2"
"acceptance cycle|-DBUG_STRANDED_RECEIVER is caught by the LTL property too: the receiver waits for ever|-DLIVENESS -DCLOSER -DBUG_STRANDED_RECEIVER -DNO_DEAD_ASSERT -DNCALLS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0"
"invalid end state|-DBUG_RECV_NO_RECHECK (recv queues after the last RECV handle closed) is caught: the receiver waits for ever|-DCLOSER -DBUG_RECV_NO_RECHECK -DNO_DEAD_ASSERT -DNCALLS=1 -DNSRVOPS=2"
"assertion violated|-DBUG_PARK_WITHDRAW (a parked call withdrawn and sent again) is caught: a delivered call restarted|-DBUG_PARK_WITHDRAW"
"assertion violated (replied[mymsg]==0)|-DBUG_HANDLER_EINTR_AFTER_REPLY (EINTR after a handler although the reply came) is caught: a lost reply|-DBUG_HANDLER_EINTR_AFTER_REPLY"
"assertion violated|-DBUG_PARK_UNLOCKED (a park claimed without the context lock) is caught: resumed and abandoned|-DREAPER -DBUG_PARK_UNLOCKED -DNCALLS=1 -DNSRVOPS=2 -DNSRVSIG=0"
)
if [ "${KIPC_MODEL_FULL:-0}" = 1 ]; then
	checks+=(
"clean|full: 1 caller (2 calls), 1 server (3 receives)|-DNSRVOPS=3"
"clean|full: 2 callers, 1 server (2 receives)|-DNCALLERS=2 -DNCALLS=1 -DNOSPIN -DNSIG=0 -DNSRVSIG=0"
"clean|full: closing thread, 1 caller (2 calls)|-DCLOSER"
"clean|full: a call and a plain send with signals and spinning|-DNCALLS=1 -DNSENDERS=1 -DNSRVOPS=2"
"clean|full: LTL, 1 caller (2 calls)|-DLIVENESS -DNCALLS=2 -DNSRVOPS=2"
"clean|full: a parked call cancelled or claimed by another at any moment|-DCANCELLER -DREAPER -DNCALLS=1 -DNSRVOPS=2 -DNOSPIN -DNSRVSIG=0"
"clean|full: LTL with a parked call claimed by another at any moment|-DLIVENESS -DREAPER -DNCALLS=1 -DNSRVOPS=2 -DNSRVSIG=0"
"clean|full: a parked call claimed by another at any moment, 2 calls|-DREAPER -DNCALLS=2 -DNSRVOPS=2"
	)
fi

# run I EXPECT DEFINES: spin -a, compile and run pan in $tmp/I; output in
# out, pan's run time in ms in ms.  pan is memory bound: built with -Og or
# -O2 it runs no faster, and gcc takes 4 to 6 s more per check than -O0.
run() {
	local d=$tmp/$1 t0 t1
	local cflags=(-O0 -DCOLLAPSE -DMEMLIM=4096) args=(-m100000 -w24)
	shift 2
	mkdir -p "$d" && cp "$model" "$d/kipc.pml" && cd "$d" || return
	case " $* " in
	*" -DLIVENESS "*) args+=(-a -f) ;;
	*) cflags+=(-DSAFETY) ;;
	esac
	{
		spin "$@" -a kipc.pml && gcc "${cflags[@]}" -o pan pan.c &&
		t0=$(date +%s%N) && ./pan "${args[@]}"
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000000 )) >ms
	} >out 2>&1
}

jobs_max=${KIPC_MODEL_JOBS:-1}
for i in "${!checks[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
	IFS='|' read -r expect _ defs <<<"${checks[$i]}"
	# shellcheck disable=SC2086
	run "$i" "$expect" $defs &
done
wait

for i in "${!checks[@]}"; do
	IFS='|' read -r expect desc _ <<<"${checks[$i]}"
	out=$tmp/$i/out
	states=$(awk '/states, stored/ { print $1; exit }' "$out")
	ms=$(cat "$tmp/$i/ms" 2>/dev/null)
	ok=0
	if grep -q 'max search depth too small\|reached -DMEMLIM\|out of memory' "$out"; then
		ok=0				# an incomplete search proves nothing
	elif [ "$expect" = clean ]; then
		grep -q 'errors: 0$' "$out" && ! grep -q '^pan:1:' "$out" && ok=1
	else
		grep '^pan:1: ' "$out" | grep -qF "pan:1: $expect" && ok=1
	fi
	if [ $ok = 1 ]; then
		echo "ok $((i + 1)) model: $desc"
		echo "#   ${states:-?} states, ${ms:-?} ms"
	else
		grep -E 'pan|errors:|states, stored|rror' "$out" | head -n 20 | sed 's/^/# /'
		IFS='|' read -r _ _ defs <<<"${checks[$i]}"
		echo "# again, with the trail: cd module && spin $defs -a kipc.pml &&"
		echo "#   gcc -DSAFETY -o pan pan.c && ./pan -m100000 && spin $defs -t -p kipc.pml"
		echo "not ok $((i + 1)) model: $desc"
	fi
done
