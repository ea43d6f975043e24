# Sourced by the host tests (not one itself: vm/check.sh runs host/*.sh).
# Sets $tmp (a scratch directory removed at exit) and check(), which runs a
# command and prints a TAP line, with the command's last output as comments
# when it fails.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
check() {	# check DESCRIPTION COMMAND...
	local d=$1; shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then echo "ok $n $d"; else
		sed 's/^/# /' "$tmp/out" | tail -n 20; echo "not ok $n $d"; fi
}
