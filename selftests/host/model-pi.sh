#!/bin/bash
# The Promela model of sched.c's lend protocol (module/kipc-pi.pml): a
# server serving calls whose callers lend their urgency (or not), the
# server settling it itself, queued callers lending on the call they saw,
# callers that stop waiting.  The clean runs must verify with "errors: 0"
# (a lending caller's call runs boosted; nothing stays boosted or lent
# once all are done), and each bug variant must be caught:
#  -DBUG_UNDO_NO_UPDATE (a lender that finds the call ended does not settle
#   the boost: the once-in-25,000 stress failure fixed in b1aad6b),
#  -DBUG_NO_SETTLE (the server runs for a call before its lend is in
#   place), -DBUG_END_NO_MB (the server reads ->lent before it moves its
#   sequence: the store-buffer pair broken).
# Needs spin and a C compiler; skipped without spin.  About 5 s.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/host/spin.bash"

checks=(
"clean|2 calls, lending or not, 1 queued lender, withdrawals|-DNCALLS=2 -DQLEND=1"
"clean|2 calls, lending or not, 2 queued lenders, withdrawals|-DNCALLS=2 -DQLEND=2"
"assertion violated (boost==0)|-DBUG_UNDO_NO_UPDATE is caught: a boost outlives its call|-DBUG_UNDO_NO_UPDATE"
"assertion violated ((|-DBUG_NO_SETTLE is caught: a lending caller's call runs unboosted|-DBUG_NO_SETTLE"
"assertion violated (boost==0)|-DBUG_END_NO_MB is caught: a lend recorded after the server's look survives its call|-DBUG_END_NO_MB"
)
run_models kipc-pi.pml lend "${checks[@]}"
