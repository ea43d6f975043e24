#!/bin/bash
# The suite in the kernel's kselftest layout.  The kselftest framework of
# Debian's linux-source-6.1 (the few files it needs, extracted once into
# the cache) gets the suite in its tools/testing/selftests/kipc (make
# ksft-tree), the kernel's own `make install` builds and installs it, and
# its run_kselftest.sh runs it in the VM with kipc.ko loaded: every test
# but the torture runs (stress and the fuzzers fuzz, fuzz_async,
# fuzz_slots, fuzz_bulk), which every lane runs, and module (installed,
# not in the runner's list: it unloads kipc).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/host/tap.bash"
# Debian 12's kernel source (the lanes' 6.1), whatever else is installed.
tarball=/usr/src/linux-source-6.1.tar.xz
if [ ! -r "$tarball" ] || ! command -v rsync >/dev/null; then
	echo "ok 1 kselftest layout # SKIP needs linux-source-6.1 and rsync (make deps)"
	exit 0
fi
ktop=linux-source-6.1
kv=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %Y "$tarball")
cache=${KIPC_CACHE:-/var/cache/kipc}
src=$cache/ksft/$ktop-$kv
mkdir -p "$cache/ksft" 2>/dev/null && [ -w "$cache/ksft" ] || src=$tmp/src
skip=stress,fuzz,fuzz_async,fuzz_slots,fuzz_bulk
tree=$tmp/tree
inst=$tmp/inst

# The framework's files, once per linux-source version (extracted beside
# the cache entry, then renamed: a half-done extraction is never used).
framework() {
	local f=tools/testing/selftests part=$src.tmp.$$
	[ -d "$src" ] && return 0
	rm -rf "$part" && mkdir -p "$part" &&
	tar -xJf "$tarball" -C "$part" --strip-components=1 \
		"$ktop/$f/Makefile" "$ktop/$f/lib.mk" "$ktop/$f/run_kselftest.sh" \
		"$ktop/$f/kselftest" "$ktop/$f/kselftest.h" "$ktop/$f/kselftest_harness.h" \
		"$ktop/scripts/subarch.include" &&
	{ mv -T "$part" "$src" 2>/dev/null || [ -d "$src" ]; } && rm -rf "$part"
}

# kipc's tree in a scratch copy of it, then the kernel's make install
# (without the make flags of the `make check` that runs this, or a
# KBUILD_OUTPUT of the caller's).
build() {
	framework || return 1
	cp -r "$src" "$tree" &&
	make -s -C "$top" ksft-tree KSFT_DIR="$tree/tools/testing/selftests/kipc" &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u KBUILD_OUTPUT -u O \
		make -s -C "$tree/tools/testing/selftests" TARGETS=kipc install \
		INSTALL_PATH="$inst" &&
	grep -qx 'kipc:basic' "$inst/kselftest-list.txt" && [ -x "$inst/kipc/basic" ]
}

# run_kselftest.sh in the VM: a KTAP line per test binary, every one ok;
# the tests inside them counted (ok, skipped) from the runner's "# " lines.
run() {
	local want got bad tests skips
	want=$(grep -c '^kipc:' "$inst/kselftest-list.txt")
	want=$((want - $(echo "$skip" | tr , '\n' | wc -l)))
	VM_KSFT=$inst VM_LOG=$tmp/vm.log VM_APPEND="KIPC_KSFT_SKIP=$skip" \
		"$top/vm/run.sh" ksft >/dev/null 2>&1
	got=$(grep -c '^ok [0-9]* selftests: kipc: ' "$tmp/vm.log")
	bad=$(grep -c '^not ok [0-9]* selftests: kipc: ' "$tmp/vm.log")
	tests=$(grep -cE '^# ok [0-9]+ ' "$tmp/vm.log")
	skips=$(grep -cE '^# ok [0-9]+ .*# SKIP' "$tmp/vm.log")
	grep -E '^(not ok [0-9]+ selftests|=== KIPC-KSFT|vm/run.sh)' "$tmp/vm.log"
	grep -E '^\[ *[0-9.]+\] (BUG|WARNING|UBSAN|Oops|INFO: task .* blocked|watchdog: BUG)|Kernel panic|kernel BUG at' \
		"$tmp/vm.log" && return 1
	echo "$got of $want test binaries ok, $bad not ok ($tests tests ok, $skips of them skipped)"
	[ "$got" = "$want" ] && [ "$bad" = 0 ] && [ "$tests" -gt "$skips" ] &&
		grep -q '^=== KIPC-KSFT-END' "$tmp/vm.log"
}

check "the suite builds and installs with the kernel's kselftest Makefiles ($ktop)" build
if [ -x "$inst/run_kselftest.sh" ]; then
	check "run_kselftest.sh runs it in the VM, every binary ok (but $skip)" run
	tail -n 1 "$tmp/out" | sed 's/^/# /'
fi
