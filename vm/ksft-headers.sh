#!/bin/sh
# Extract kselftest_harness.h and kselftest.h from Debian's linux-source-6.1
# into $1 (once).  Nothing of the kernel's is committed to this repository.
set -e
out=$1
[ -f "$out/kselftest_harness.h" ] && [ -f "$out/kselftest.h" ] && exit 0
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ]; then
	echo "kipc: the selftests need kselftest_harness.h from linux-source-6.1:" >&2
	echo "kipc: apt-get install linux-source-6.1 (or run 'make deps' as root)" >&2
	exit 1
fi
mkdir -p "$out"
tmp=$(mktemp -d)
top=$(basename "$tarball" .tar.xz)
tar -xJf "$tarball" -C "$tmp" \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest.h"
cp "$tmp/$top/tools/testing/selftests/kselftest_harness.h" \
   "$tmp/$top/tools/testing/selftests/kselftest.h" "$out/"
rm -rf "$tmp"
