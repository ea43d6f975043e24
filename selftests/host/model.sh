#!/bin/bash
# The Promela model of the rendezvous, the wait state machine and the
# notifications (module/kipc.pml) through spin: every configuration below
# must verify with "errors: 0" (no assertion violated, among them the
# wait state table's, no invalid end state, no acceptance cycle for the
# LTL runs), and the model must catch every bug variant it carries, each a
# known bug put back or a rule of the table taken out:
#  -DBUG_RESTART_RACE (commit 435d35d undone: a signal racing the delivery
#   of a queued call restarts it, and the request is delivered twice)
#  -DBUG_LOST_WAKEUP (kipc_complete() without the smp_mb() that pairs with
#   kipc_sleep(): a sleeper is never woken)
#  -DBUG_CANCEL_STALE (a cancel trusts its lockless look: no re-check of
#   the state under the queue lock)
#  -DBUG_WITHDRAW_NO_RECHECK (T6/T10: the owner's withdraw does not
#   re-check the state under the lock: a delivered phase is withdrawn)
#  -DBUG_STRANDED_RECEIVER (the last RECV handle fails only the senders: a
#   receiver blocked in recv waits for ever)
#  -DBUG_RECV_NO_RECHECK (a recv that looked its handle up before the close
#   queues after it)
#  -DBUG_PARK_WITHDRAW (a call parked by a signal in its reply phase is
#   withdrawn and sent again), -DBUG_PARK_UNLOCKED (a parked call claimed
#   without the context lock: resumed and abandoned both),
#   -DBUG_HANDLER_EINTR_AFTER_REPLY (a parked call resumed after a handler
#   returns EINTR without looking whether its reply came: a lost reply)
#  -DBUG_T7_LATE (T7: the caller enters REPLY only after dropping the
#   endpoint's lock: the receiver runs with a call and no reply right)
#  -DBUG_DELIVER_UNLOCKED (T5: a sender drops the endpoint's lock after
#   taking a receiver off the queue, before it copies and completes it:
#   the receiver withdraws meanwhile, and the message is delivered to a
#   phase that ended)
#  -DBUG_REPLY_EMSGSIZE_DROPS_RIGHT (T8: a reply refused with EMSGSIZE gives
#   the right up: the retry finds none, the caller waits for ever)
#  -DBUG_REPLY_LOST_UNREPORTED (T10: reply_recv's reply finding no caller
#   is not reported as KIPC_ST_REPLY_LOST)
#  -DBUG_EMSGSIZE_STRANDED (T5: a receiver takes a sender with too many
#   descriptors off the queue without failing it: it waits for ever)
#  -DBUG_SIGNAL_NO_WAKE (T5: a signal ORs its bits in but wakes no waiter)
#  -DBUG_NTFN_NO_PRECEDENCE (a receive takes a queued sender's message
#   before its bound notification's pending bits)
#  -DBUG_BOUND_LOSES_BITS (a signal of a bound notification clears the bits
#   although no receiver took them)
#  -DBUG_RAISE_STALE_BINDING (a signal trusts the binding it saw before
#   taking ep->lock: bits go the endpoint's way after an unbind, and a
#   waiter of the now unbound notification is not woken)
#  -DBUG_DEAD_EP_KEEPS_NTFN (the last RECV handle does not unbind the
#   notification), -DBUG_BIND_NO_RECHECK (a bind binds to an endpoint
#   whose last RECV handle closed since its lookup)
#  -DBUG_UNBIND_STRANDS (an unbind with no SEND handle left does not fail
#   the receivers: nothing can wake them any more).
# The model found a bug of module/notify.c (fixed since): the last close
# looked at the binding before it marked the notification closed, in
# another critical section, so a KIPC_IOC_NTFN_BIND that looked the
# notification up before the close bound it in between and its
# kipc_ntfn_put() freed it while ep->ntfn still pointed to it; that order
# is now the bug variant -DBUG_NTFN_RELEASE_LATE, which must fail.
# Needs Debian's spin and gcc (or clang); skipped without spin.  About two
# minutes and 600 MB on 2 quiet cores.  KIPC_MODEL_JOBS=N runs N checks at
# a time (no faster here: pan is memory bound); KIPC_MODEL_FULL=1 adds
# larger bounds (about 15 more minutes and up to 3.6 GB).
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
"clean|1 caller (2 calls), 1 server (2 receives): signals, timeouts, poll, spin, restarts, parked calls resumed (after a handler or not) or abandoned after siglongjmp, replies lost (KIPC_ST_REPLY_LOST)|-DNCALLS=2 -DNSRVOPS=2"
"clean|descriptors closed by another thread at any moment (EPIPE races, the last RECV handle)|-DCLOSER -DNCALLS=1 -DNSRVOPS=2"
"clean|a call and a plain send queued together, 1 server (2 receives)|-DNCALLS=1 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0"
"clean|2 servers: a stale reply right and the caller's next call|-DNCALLS=2 -DNSERVERS=2 -DNSRVOPS=1 -DNOSPIN -DNSIG=0 -DNSRVSIG=0"
"clean|LTL: every wait of the caller ends (weak fairness)|-DLIVENESS -DNCALLS=1 -DNSRVOPS=2"
"clean|LTL: a wait in recv ends once no RECV handle is left (weak fairness)|-DLIVENESS -DCLOSER -DNCALLS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0"
"clean|KIPC_IOC_CANCEL from another task at any moment (first caller, server)|-DCANCELLER -DNCALLS=1 -DNSRVOPS=2 -DNOSPIN"
"clean|a parked call claimed by its close or another thread (its task exiting) at any moment|-DREAPER -DNCALLS=1 -DNSRVOPS=2 -DNSRVSIG=0"
"clean|2 signals per caller: a resumed call parked again|-DNSIG=2 -DNCALLS=2 -DNSRVOPS=2 -DNOSPIN"
"clean|descriptors: 0 or 1 sent against 0 or 1 reserved: EMSGSIZE to a sender, to queued senders the receiver skips for the next, to a reply that keeps its right and goes again with fewer|-DFDS -DNCALLS=1 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO"
"clean|descriptors and timeouts: a reply refused with EMSGSIZE while its caller gives up (the retry's ECONNRESET, REPLY_LOST)|-DFDS -DNCALLS=2 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL"
"clean|notification: 2 signals, a waiter (2 waits: signals, timeouts, poll) cancelled at any moment, the last close|-DNTFN -DCANCELLER -DNCALLERS=0 -DNSERVERS=0"
"clean|notification: 2 waiters, a signal wakes the oldest with all the bits|-DNTFN -DNCALLERS=0 -DNSERVERS=0 -DNWAITERS=2 -DNWAITS=1"
"clean|notification bound (and maybe unbound) at any moment to an endpoint with a sender and a server (signals: receives withdrawn and queued again): bits before messages, to a waiting receiver, no EPIPE while bound|-DNTFN -DBIND -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=1 -DNOPOLL -DNOTMO -DNWAITERS=0"
"clean|a bound notification and its waiter (EBUSY both ways)|-DNTFN -DBIND -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITS=1 -DNSIGNALS=1"
"clean|a bound notification as the endpoint's last RECV and SEND handles close at any moment: unbound, bits kept, no receiver stranded|-DNTFN -DBIND -DCLOSER -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITERS=0 -DNSIGNALS=1"
"clean|LTL: every wait of the notification's waiter ends (weak fairness)|-DLIVENESS -DNTFN -DLIVE=WAITER0 -DNCALLERS=0 -DNSERVERS=0"
"clean|LTL: with a bound notification, a wait in recv ends once no RECV handle is left|-DLIVENESS -DNTFN -DBIND -DCLOSER -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=1 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITERS=0 -DNSIGNALS=1"
"clean|the notification's last descriptor closed at any moment, racing bind, signal and wait|-DNTFN -DBIND -DNTFN_CLOSER -DNCALLERS=0 -DNSENDERS=0 -DNSRVOPS=1 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITS=1 -DNSIGNALS=1"
"assertion violated ( !(nbound)&&(q_len(nwaiters)==0))|-DBUG_NTFN_RELEASE_LATE (closed set after the binding is looked at) is caught: the last close racing KIPC_IOC_NTFN_BIND frees a bound notification|-DNTFN -DBIND -DNTFN_CLOSER -DBUG_NTFN_RELEASE_LATE -DNCALLERS=0 -DNSENDERS=0 -DNSRVOPS=1 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITS=1 -DNSIGNALS=1"
"assertion violated|-DBUG_RESTART_RACE (435d35d undone) is caught: a restarted call was delivered|-DBUG_RESTART_RACE"
"assertion violated|-DBUG_CANCEL_STALE (cancel trusts its lockless look) is caught|-DCANCELLER -DBUG_CANCEL_STALE -DNCALLS=1 -DNSRVOPS=2 -DNOSPIN"
"assertion violated (((phase==1)|-DBUG_WITHDRAW_NO_RECHECK (T6/T10 without the re-check under the lock) is caught: a withdrawn phase had delivered|-DBUG_WITHDRAW_NO_RECHECK"
"invalid end state|-DBUG_LOST_WAKEUP (no smp_mb in kipc_complete) is caught: a sleeper is never woken|-DBUG_LOST_WAKEUP"
"acceptance cycle|-DBUG_LOST_WAKEUP is caught by the LTL property too|-DLIVENESS -DBUG_LOST_WAKEUP -DNCALLS=1"
"assertion violated|-DBUG_STRANDED_RECEIVER (the last RECV handle fails only senders) is caught: a receiver queued on a dead endpoint|-DCLOSER -DBUG_STRANDED_RECEIVER -DNCALLS=1 -DNSRVOPS=2"
"acceptance cycle|-DBUG_STRANDED_RECEIVER is caught by the LTL property too: the receiver waits for ever|-DLIVENESS -DCLOSER -DBUG_STRANDED_RECEIVER -DNO_DEAD_ASSERT -DNCALLS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0"
"invalid end state|-DBUG_RECV_NO_RECHECK (recv queues after the last RECV handle closed) is caught: the receiver waits for ever|-DCLOSER -DBUG_RECV_NO_RECHECK -DNO_DEAD_ASSERT -DNCALLS=1 -DNSRVOPS=2"
"assertion violated|-DBUG_PARK_WITHDRAW (a parked call withdrawn and sent again) is caught: a delivered call restarted|-DBUG_PARK_WITHDRAW"
"assertion violated (replied[mymsg]==0)|-DBUG_HANDLER_EINTR_AFTER_REPLY (EINTR after a handler although the reply came) is caught: a lost reply|-DBUG_HANDLER_EINTR_AFTER_REPLY"
"assertion violated|-DBUG_PARK_UNLOCKED (a park claimed without the context lock) is caught: resumed and abandoned|-DREAPER -DBUG_PARK_UNLOCKED -DNCALLS=1 -DNSRVOPS=2 -DNSRVSIG=0"
"assertion violated (area_call[me]==right)|-DBUG_T7_LATE (REPLY entered after the endpoint's lock is dropped) is caught: a call received without its reply right|-DBUG_T7_LATE"
"assertion violated 0 (at|-DBUG_DELIVER_UNLOCKED (a receiver copied into and completed after ep->lock is dropped) is caught without the table: the receiver withdraws a delivered phase (it is on no queue)|-DBUG_DELIVER_UNLOCKED -DNO_TABLE_CHECK"
"assertion violated|-DBUG_DELIVER_UNLOCKED is caught by the table too: T7 without the queue lock|-DBUG_DELIVER_UNLOCKED"
"assertion violated (rr!=|-DBUG_REPLY_EMSGSIZE_DROPS_RIGHT (EMSGSIZE on a reply gives the right up) is caught: the retry finds no right|-DFDS -DBUG_REPLY_EMSGSIZE_DROPS_RIGHT -DNCALLS=1 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO"
"assertion violated (lost==gone)|-DBUG_REPLY_LOST_UNREPORTED (no KIPC_ST_REPLY_LOST) is caught|-DBUG_REPLY_LOST_UNREPORTED"
"invalid end state|-DBUG_EMSGSIZE_STRANDED (a too big sender dequeued, not failed) is caught: it waits for ever|-DFDS -DBUG_EMSGSIZE_STRANDED -DNCALLS=1 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO"
"assertion violated ((nbound|-DBUG_SIGNAL_NO_WAKE (a signal wakes no waiter) is caught: a waiter waits with bits pending|-DNTFN -DBUG_SIGNAL_NO_WAKE -DNCALLERS=0 -DNSERVERS=0"
"assertion violated ( !(nbound)|-DBUG_NTFN_NO_PRECEDENCE (a sender's message before bound bits) is caught|-DNTFN -DBIND -DBUG_NTFN_NO_PRECEDENCE -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITERS=0"
"assertion violated ((ntaken[i]|-DBUG_BOUND_LOSES_BITS (bound bits cleared with no receiver) is caught: a signalled bit neither taken nor pending|-DNTFN -DBIND -DBUG_BOUND_LOSES_BITS -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITERS=0"
"assertion violated ((nbound|-DBUG_RAISE_STALE_BINDING (a signal trusts a binding undone meanwhile) is caught: a waiter waits with bits pending|-DNTFN -DBIND -DBUG_RAISE_STALE_BINDING -DNCALLERS=0 -DNSENDERS=0 -DNSRVOPS=1 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITS=1 -DNSIGNALS=1"
"assertion violated ((nr_recv>0)|-DBUG_DEAD_EP_KEEPS_NTFN (the last RECV handle leaves the notification bound) is caught|-DNTFN -DBIND -DBUG_DEAD_EP_KEEPS_NTFN -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITERS=0"
"assertion violated ((nr_recv>0)|-DBUG_BIND_NO_RECHECK (a bind to an endpoint dead since its lookup) is caught|-DNTFN -DBIND -DBUG_BIND_NO_RECHECK -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITERS=0"
"assertion violated (((nr_send>0)|-DBUG_UNBIND_STRANDS (an unbind with no SEND handle left fails no receiver) is caught: a receiver nothing can wake|-DNTFN -DBIND -DBUG_UNBIND_STRANDS -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITERS=0"
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
"clean|full: descriptors, a call and a send with timeouts|-DFDS -DNCALLS=1 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL"
"clean|full: notification, 2 waiters cancelled at any moment|-DNTFN -DCANCELLER -DNCALLERS=0 -DNSERVERS=0 -DNWAITERS=2 -DNWAITS=1 -DNOSPIN"
"clean|full: a bound notification, its waiter and 2 signals|-DNTFN -DBIND -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITS=1"
"clean|full: the notification's last close with the fixed release, a sender and 2 receives|-DNTFN -DBIND -DNTFN_CLOSER -DNCALLERS=0 -DNSENDERS=1 -DNSRVOPS=2 -DNOSPIN -DNSIG=0 -DNSRVSIG=0 -DNOPOLL -DNOTMO -DNWAITS=1 -DNSIGNALS=1"
	)
fi

# run I EXPECT DEFINES: spin -a, compile and run pan in $tmp/I; output in
# out, pan's run time in ms in ms.  pan is memory bound: built with -Og or
# -O2 it runs no faster, and gcc takes 4 to 6 s more per check than -O0.
# clang, if installed, compiles pan.c in half gcc's time (0.9 s against
# 1.6 s), and that pan runs as fast.
# Weak fairness over more than 6 processes (the notification runs) needs
# NFAIR=3.
run() {
	local d=$tmp/$1 t0 t1
	local cflags=(-O0 -DCOLLAPSE -DMEMLIM=4096) args=(-m100000 -w24)
	shift 2
	mkdir -p "$d" && cp "$model" "$d/kipc.pml" && cd "$d" || return
	case " $* " in
	*" -DLIVENESS "*) args+=(-a -f); cflags+=(-DNFAIR=3) ;;
	*) cflags+=(-DSAFETY) ;;
	esac
	{
		spin "$@" -a kipc.pml && "$cc" "${cflags[@]}" -o pan pan.c &&
		t0=$(date +%s%N) && ./pan "${args[@]}"
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000000 )) >ms
	} >out 2>&1
}

cc=$(command -v clang || echo gcc)
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
