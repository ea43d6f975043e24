#!/bin/bash
# The Promela model of the bulk-data gate (module/kipc-bulk.pml): a
# caller with windows waiting for its reply, the server that holds the
# right copying pieces into them, a server with a stale right, the caller
# stopping to wait or the reply coming.  The clean runs must verify with
# "errors: 0" (no byte lands after the caller's operation returned or
# from a stale right; nothing stays counted), and each bug variant must be
# caught: -DBUG_ONCE (the call checked live once, not at every piece),
# -DBUG_NO_DRAIN (the caller returns with a piece in flight),
# -DBUG_NO_FROM (the gate does not check whose reply the caller waits for),
# -DBUG_PARK_OPEN (a parked call's windows stay open).
# Needs spin and a C compiler; skipped without spin.  About 1 s.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/host/spin.bash"

checks=(
"clean|a caller, the right holder, a stale server, 2 pieces each|-DNSRV=2 -DPIECES=2"
"clean|a caller, the right holder, a stale server, 4 pieces each|-DNSRV=2 -DPIECES=4"
"assertion violated (((me==1)|-DBUG_ONCE is caught: a timed-out caller written after it returned|-DBUG_ONCE"
"assertion violated (((me==1)|-DBUG_NO_DRAIN is caught: a piece in flight lands after the return|-DBUG_NO_DRAIN"
"assertion violated (((me==1)|-DBUG_NO_FROM is caught: a stale reply right copies|-DBUG_NO_FROM"
"assertion violated (((me==1)|-DBUG_PARK_OPEN is caught: a parked call's windows written while its handler runs|-DBUG_PARK_OPEN"
)
run_models kipc-bulk.pml bulk "${checks[@]}"
