#!/bin/bash
# dkms add + build of kipc against the installed headers, under a version of
# its own so that a real installation of kipc is never touched.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$("$top/vm/kver.sh")
if ! command -v dkms >/dev/null || [ "$(id -u)" != 0 ]; then
	echo "ok 1 dkms build # SKIP needs root and dkms"
	exit 0
fi
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
tver="$ver.selftest"
src=/usr/src/kipc-$tver
cleanup() {
	dkms remove -m kipc -v "$tver" --all >/dev/null 2>&1
	rm -rf "$src"
}
cleanup
mkdir -p "$src"
cp -r "$top/Kbuild" "$top/dkms.conf" "$top/module" "$top/uapi" "$src/"
sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$tver\"/" "$src/dkms.conf"
out=$(dkms add -m kipc -v "$tver" 2>&1 && dkms build -m kipc -v "$tver" -k "$kver" 2>&1)
rc=$?
ko=$(find "/var/lib/dkms/kipc/$tver/$kver" -name 'kipc.ko*' 2>/dev/null | head -n 1)
if [ $rc = 0 ] && [ -n "$ko" ] &&
   [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ]; then
	echo "ok 1 dkms add/build against $kver"
else
	printf '%s\n' "$out" | tail -n 20
	echo "not ok 1 dkms add/build against $kver (rc=$rc)"
fi
cleanup
