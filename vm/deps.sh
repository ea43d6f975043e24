#!/bin/sh
# Install what building and testing kipc needs, if it is missing.
# Usage: vm/deps.sh [check|demo|bench|deb|build]   (run as root to install)
set -e
want="gcc make libc6-dev pkg-config linux-headers-amd64 linux-source-6.1 xz-utils liburing-dev"
case "${1:-check}" in
check) want="$want linux-image-amd64 qemu-system-x86 busybox-static cpio kmod dkms spin rsync"	# rsync: the kselftest install
       want="$want debhelper dh-dkms lintian debootstrap git" ;;	# host/deb.sh
demo) want="$want linux-image-amd64 qemu-system-x86 busybox-static cpio kmod" ;;
bench) want="$want linux-image-amd64 qemu-system-x86 busybox-static cpio kmod"
       want="$want linux-perf gnuplot-nox" ;;
deb) want="$want debhelper dh-dkms lintian git" ;;	# make deb
esac
# Another kernel flavour (KERNEL=, vm/kernel.sh): its image and headers are
# fetched into /var/cache/kipc, but the host needs the tools for that.
case "${KERNEL:-bookworm}" in
backports) want="$want pahole" ;;	# its linux-kbuild runs pahole (BTF)
sid) want="$want debootstrap" ;;	# built in a sid chroot
debug|kcsan) want="$want flex bison bc libelf-dev libssl-dev" ;;	# a kernel build
arm64) want="$want gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm" ;;	# cross + VM
esac
missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$s" in ii*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "kipc: missing packages:$missing" >&2
	echo "kipc: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "kipc: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
