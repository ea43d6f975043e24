#!/bin/bash
# The suite in the kernel's kselftest layout.  The kselftest framework of
# Debian's linux-source-6.1 (the few files it needs, extracted once into
# the cache) gets the suite in its tools/testing/selftests/kipc (make
# ksft-tree), the kernel's own `make install` builds and installs it, and
# its run_kselftest.sh runs it in the VM with kipc.ko loaded: every test
# but the torture runs (stress, fuzz, fuzz_bulk), which every lane runs.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/host/tap.bash"
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ] || ! command -v rsync >/dev/null; then
	echo "ok 1 kselftest layout # SKIP needs linux-source-6.1 and rsync (make deps)"
	exit 0
fi
ktop=$(basename "$tarball" .tar.xz)
cache=${KIPC_CACHE:-/var/cache/kipc}
src=$cache/ksft/$ktop
mkdir -p "$src" 2>/dev/null && [ -w "$src" ] || src=$tmp/src
skip=stress,fuzz,fuzz_bulk
tree=$tmp/tree
inst=$tmp/inst

# The framework's files, once per linux-source version.
framework() {
	local f=tools/testing/selftests
	[ -f "$src/.done" ] && return 0
	rm -rf "$src" && mkdir -p "$src" &&
	tar -xJf "$tarball" -C "$src" --strip-components=1 \
		"$ktop/$f/Makefile" "$ktop/$f/lib.mk" "$ktop/$f/run_kselftest.sh" \
		"$ktop/$f/kselftest" "$ktop/$f/kselftest.h" "$ktop/$f/kselftest_harness.h" \
		"$ktop/scripts/subarch.include" &&
	touch "$src/.done"
}

# kipc's tree in a scratch copy of it, then the kernel's make install
# (without the make flags of the `make check` that runs this).
build() {
	framework || return 1
	cp -r "$src" "$tree" &&
	make -s -C "$top" ksft-tree KSFT_DIR="$tree/tools/testing/selftests/kipc" &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s -C "$tree/tools/testing/selftests" TARGETS=kipc install \
		INSTALL_PATH="$inst" &&
	grep -qx 'kipc:basic' "$inst/kselftest-list.txt" && [ -x "$inst/kipc/basic" ]
}

# run_kselftest.sh in the VM: a KTAP line per test binary, every one ok.
run() {
	local want got bad
	want=$(grep -c '^kipc:' "$inst/kselftest-list.txt")
	want=$((want - $(echo "$skip" | tr , '\n' | wc -l)))
	VM_KSFT=$inst VM_LOG=$tmp/vm.log VM_APPEND="KIPC_KSFT_SKIP=$skip" \
		"$top/vm/run.sh" ksft >/dev/null 2>&1
	got=$(grep -c '^ok [0-9]* selftests: kipc: ' "$tmp/vm.log")
	bad=$(grep -c '^not ok [0-9]* selftests: kipc: ' "$tmp/vm.log")
	grep -E '^(not ok [0-9]+ selftests|KIPC-KSFT|TAP version)' "$tmp/vm.log"
	grep -E '^\[ *[0-9.]+\] (BUG|WARNING|UBSAN):|Kernel panic' "$tmp/vm.log" && return 1
	echo "$got of $want test binaries ok, $bad not ok"
	[ "$got" = "$want" ] && [ "$bad" = 0 ] && grep -q '^=== KIPC-KSFT-END' "$tmp/vm.log"
}

check "the suite builds and installs with the kernel's kselftest Makefiles ($ktop)" build
if [ -x "$inst/run_kselftest.sh" ]; then
	check "run_kselftest.sh runs it in the VM, every binary ok (but $skip)" run
	tail -n 1 "$tmp/out" | sed 's/^/# /'
fi
