# Runs inside the VM (from /init): load kipc, run the echo example with two
# clients, the second one as an unprivileged user, then compare the
# round-trip latency of kipc_call with a pipe.
sock=/tmp/echo.sock
iter=20000	# a few seconds per kipc-bench run under TCG

if ! insmod /kipc.ko; then
	echo "demo: insmod /kipc.ko failed"
	exit 0
fi

echo
echo "=== echo: one server, two clients"
timeout 60 /examples/echo-server $sock 2 &
server=$!
n=0
while [ ! -S $sock ] && [ $n -lt 100 ]; do
	usleep 100000
	n=$((n + 1))
done
[ -S $sock ] || echo "demo: the server did not create $sock"

timeout 20 /examples/echo-client $sock hello kipc

# busybox has no setuidgid; start-stop-daemon -c changes the user but
# wants it in /etc/passwd.
mkdir -p /etc
echo "demo:x:1000:1000:demo:/tmp:/bin/sh" >> /etc/passwd
echo "demo:x:1000:" >> /etc/group
timeout 20 start-stop-daemon -S -c demo -x /examples/echo-client -- \
	$sock "from uid 1000" bye-bye

wait $server
echo "demo: echo-server exited with status $?"

# KIPC_DEMO_BENCH=0 (selftests/host/deb.sh): the echo part only.
[ "${KIPC_DEMO_BENCH:-1}" = 0 ] && exit 0

echo
echo "=== round trip, kipc_call vs pipe ($(nproc) CPUs," \
	"clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource))"
for s in 0 64; do
	/bench/kipc-bench -c -m kipc_call,pipe -n "$iter" -s $s | tee /tmp/bench-$s.txt
done
echo
for s in 0 64; do
	echo "demo: $s bytes: $(grep 'round-trip ratio' /tmp/bench-$s.txt)"
done
