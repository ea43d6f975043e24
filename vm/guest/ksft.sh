# Runs inside the VM: load the module, then the kernel's kselftest runner
# on the suite as `make install` of the kselftest layout left it in /ksft
# (selftests/host/kselftest.sh), every test but KIPC_KSFT_SKIP (comma-separated
# names: the long torture runs, which every lane runs already).
if ! insmod /kipc.ko; then
	echo "not ok 1 insmod kipc.ko"
	exit 0
fi
skip=" $(echo "${KIPC_KSFT_SKIP:-}" | tr , ' ') "
set --
for t in $(cd /ksft && ./run_kselftest.sh -l); do
	case $skip in *" ${t#kipc:} "*) continue ;; esac
	set -- "$@" -t "$t"
done
echo "=== KIPC-KSFT-BEGIN"
/ksft/run_kselftest.sh "$@"
echo "=== KIPC-KSFT-END rc=$?"
