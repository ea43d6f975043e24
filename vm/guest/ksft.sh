# Runs inside the VM: load the module, then the kernel's kselftest runner
# on the suite as `make install` of the kselftest layout left it in /ksft
# (selftests/host/kselftest.sh), every test but KIPC_KSFT_SKIP (comma-separated
# names: the long torture runs, which every lane runs already).
if ! insmod /kipc.ko; then
	echo "not ok 1 insmod kipc.ko"
	exit 0
fi
# The runner writes each test's output to /dev/stdout, which devtmpfs
# does not make (udev would): without the links it would land in a file.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
# The runner applies its per-test timeout (settings) only through
# /usr/bin/timeout, which it calls with GNU's --foreground: busybox's
# timeout, without that option.
mkdir -p /usr/bin
printf '#!/bin/sh\n[ "$1" = --foreground ] && shift\nexec /bin/busybox timeout "$@"\n' \
	> /usr/bin/timeout
chmod +x /usr/bin/timeout
skip=" $(echo "${KIPC_KSFT_SKIP:-}" | tr , ' ') "
set --
for t in $(cd /ksft && ./run_kselftest.sh -l); do
	case $skip in *" ${t#kipc:} "*) continue ;; esac
	set -- "$@" -t "$t"
done
echo "=== KIPC-KSFT-BEGIN"
/ksft/run_kselftest.sh "$@"
echo "=== KIPC-KSFT-END rc=$?"
