#!/bin/bash
# lanes: all
# dkms add + build of kipc against the kernel of this lane (KERNEL=, see
# vm/kernel.sh), under a version of its own so that a real installation of
# kipc is never touched.  bookworm: the host's headers; rt and backports:
# the cached headers (--kernelsourcedir); sid: dkms inside the sid chroot;
# arm64: a cross build, as a user would make one (dkms -a arm64 with
# CROSS_COMPILE in the environment).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
flavour=${KERNEL:-bookworm}
if ! command -v dkms >/dev/null || [ "$(id -u)" != 0 ]; then
	echo "ok 1 dkms build # SKIP needs root and dkms"
	exit 0
fi
eval "$("$top/vm/kernel.sh" "$flavour" vars)" || { echo "not ok 1 dkms: no kernel $flavour"; exit 0; }
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
tver="$ver.selftest"
root=${KIPC_CHROOT:-}
src=$root/usr/src/kipc-$tver

# Run a command on the host, or in the lane's chroot with /proc mounted.
run() {
	if [ -z "$root" ]; then
		"$@"
	else
		unshare -m --propagation private /bin/sh -ec '
			r=$1; shift; mount -t proc proc "$r/proc"
			exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
				HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' \
			sh "$root" "$@"
	fi
}
cleanup() {
	run dkms remove -m kipc -v "$tver" --all >/dev/null 2>&1
	rm -rf "$src"
}
if [ -n "$root" ] && ! run dpkg-query -W -f='${Status}' dkms 2>/dev/null | grep -q installed; then
	run apt-get install -y -qq --no-install-recommends dkms >/dev/null 2>&1 ||
		{ echo "not ok 1 dkms: cannot install dkms in $root"; exit 0; }
fi
kflags=()
[ -z "$root" ] && [ "$flavour" != bookworm ] && kflags=(--kernelsourcedir "$KDIR")
if [ -n "${KIPC_CROSS:-}" ]; then
	kflags+=(-a "$KIPC_ARCH")
	export CROSS_COMPILE=$KIPC_CROSS
fi
cleanup
mkdir -p "$src"
cp -r "$top/Kbuild" "$top/dkms.conf" "$top/module" "$top/uapi" "$src/"
sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$tver\"/" "$src/dkms.conf"
out=$(run dkms add -m kipc -v "$tver" 2>&1 &&
      run dkms build -m kipc -v "$tver" -k "$KVER" "${kflags[@]}" 2>&1)
rc=$?
ko=$(find "$root/var/lib/dkms/kipc/$tver/$KVER" -name 'kipc.ko*' 2>/dev/null | head -n 1)
if [ $rc = 0 ] && [ -n "$ko" ] &&
   [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$KVER" ]; then
	echo "ok 1 dkms add/build against $KVER ($flavour)"
else
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
	echo "not ok 1 dkms add/build against $KVER ($flavour) (rc=$rc)"
fi
cleanup
