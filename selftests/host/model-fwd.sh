#!/bin/bash
# The Promela model of forwarding (module/kipc-fwd.pml): a caller waiting
# for the reply of a forwarder, which forwards its call to a receiver that
# waits already or takes it off the sender queue later; the caller may
# stop waiting at any moment, a queued forward may time out.  The clean
# run must verify with "errors: 0" (the caller's identity is read only
# while it waits for the forwarder, it is completed at most once and by
# the context its link names, a failed forward delivered nothing, every
# reference a broken link leaves is dropped once), and each bug variant
# must be caught: -DBUG_NO_RECHECK (the receiver taking a queued forward
# does not look again at the caller), -DBUG_NO_MOVE (the relink leaves
# reply_from naming the forwarder).
# Needs spin and a C compiler; skipped without spin.  About 1 s.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/host/spin.bash"

checks=(
"clean|a caller, its forwarder, a receiver before or after, timeouts anywhere|"
"assertion violated (c_waits&&(reply_from==1))|-DBUG_NO_RECHECK is caught: a gone caller's identity read|-DBUG_NO_RECHECK"
"assertion violated (c_gave_up&&(refs>0))|-DBUG_NO_MOVE is caught: the new server's reply finds the link naming the forwarder|-DBUG_NO_MOVE"
)
run_models kipc-fwd.pml fwd "${checks[@]}"
